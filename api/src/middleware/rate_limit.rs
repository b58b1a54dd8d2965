//! Rate limits on `/v1`: a token bucket per API key or user (per client IP
//! for calls without valid credentials), and a stricter one per client IP on
//! signup and login. Every answer carries `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset`; past the limit the answer is
//! 429 with `Retry-After`, before credentials are even checked (so never 401).
//!
//! The caller is read from its credentials without the database: an access
//! token is verified (HMAC) and names its user; an API key gets a bucket of its
//! own once this replica has verified it against the database (until then, and
//! for any invented key, the call counts against the client's IP, so making up
//! keys buys no extra requests). A tenant's limit is the operator's setting
//! for it (`smrm rate-limit`), else `SMRM_RATE_LIMIT_PER_MINUTE`.
//!
//! Limits are decided on the path the router matches (percent-decoded), never
//! on the raw one: `/v%31/auth/token` is `/v1/auth/token`. The client's IP is
//! the peer's, or behind `SMRM_TRUSTED_PROXIES` the one they forward.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use sha2::{Digest, Sha256};
use smrm_domain::ids::TenantId;
use smrm_domain::model::access::API_KEY_PREFIX;
use smrm_domain::ratelimit::RateDecision;

use crate::problem::ApiError;
use crate::state::AppState;

/// Signup and login: limited per client IP by `SMRM_AUTH_RATE_LIMIT_PER_MINUTE`.
const AUTH_PATHS: &[&str] = &["/v1/signup", "/v1/auth/token", "/v1/auth/refresh"];

const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let h = headers.get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")).map(str::trim)
}

/// The SHA-256 of the request's bearer token, computed once: the limiter
/// names a key's bucket by it, and the caller memory looks it up by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenDigest(pub [u8; 32]);

/// The bucket of the caller, and its tenant when its credentials name one.
fn caller(req: &ServiceRequest, state: &AppState, ip: &str) -> (String, Option<TenantId>) {
    match bearer(req.headers()) {
        Some(token) if token.starts_with(API_KEY_PREFIX) => {
            let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            req.extensions_mut().insert(TokenDigest(digest));
            match state.rate_limits.verified_key(&digest) {
                // The key's digest, not the key, names its bucket.
                Some(tenant) => {
                    let mut name = String::with_capacity(4 + 64);
                    name.push_str("key:");
                    for b in digest {
                        name.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
                        name.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
                    }
                    (name, Some(tenant))
                }
                None => (format!("ip:{ip}"), None),
            }
        }
        Some(token) => match state.tokens.caller(token) {
            Some((tenant, user)) => (format!("user:{}", user.0.simple()), Some(tenant)),
            None => (format!("ip:{ip}"), None),
        },
        None => (format!("ip:{ip}"), None),
    }
}

fn set_headers(headers: &mut HeaderMap, d: &RateDecision) {
    headers.insert(LIMIT, HeaderValue::from(d.limit));
    headers.insert(REMAINING, HeaderValue::from(d.remaining));
    headers.insert(RESET, HeaderValue::from(d.reset_seconds));
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // The path as the router sees it: percent-decoded.
    let path = req.match_info().as_str();
    if !path.starts_with("/v1/") {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let auth_path = req.method() == Method::POST && AUTH_PATHS.contains(&path);
    let state = req.app_data::<web::Data<AppState>>().expect("state").clone();
    let rate = &state.rate_limits;
    let ip = rate
        .client_ip(req.peer_addr().map(|a| a.ip()), req.headers())
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let mut decisions = Vec::with_capacity(2);
    if auth_path {
        decisions.push(rate.limiter.hit(&format!("auth:{ip}"), rate.auth_per_minute).await);
    }
    let (key, tenant) = caller(&req, &state, &ip);
    let limit = match tenant {
        Some(t) => rate.tenant_limit(t).await,
        None => rate.per_minute,
    };
    decisions.push(rate.limiter.hit(&key, limit).await);

    if let Some(refused) = decisions.iter().find(|d| !d.allowed) {
        let e = ApiError {
            retry_after: Some(refused.retry_after_seconds),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests",
                format!(
                    "more than {} requests per minute; retry in {} s (see the RateLimit-* headers)",
                    refused.limit, refused.retry_after_seconds
                ),
            )
        };
        let mut res = req.error_response(e);
        set_headers(res.headers_mut(), refused);
        return Ok(res.map_into_boxed_body());
    }
    let shown = *decisions.iter().min_by_key(|d| d.remaining).expect("one decision at least");
    let mut res = next.call(req).await?;
    set_headers(res.headers_mut(), &shown);
    Ok(res.map_into_boxed_body())
}
