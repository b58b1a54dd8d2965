//! `Idempotency-Key` on every POST: the first response is stored per tenant
//! and caller (user or API key) with a fingerprint of the request; a retry by
//! the same caller with the same key and request gets that response again
//! (`Idempotent-Replayed: true`), the same key with another request a 409, and
//! a retry while the first is still running a 409 with `Retry-After`. Keys
//! expire after 24 hours; a claim whose request died unfinished after 5 minutes.
//!
//! Answers that carry credentials are never stored, so their endpoints are
//! exempt: `/v1/signup`, `/v1/auth/token`, `/v1/auth/refresh`,
//! `POST /v1/api-keys`, `POST /v1/webhooks` and `…/rotate-secret` (a retried
//! signup answers 409 for the taken address, and the caller logs in; a retried
//! key creation makes another key). The exemption is decided on the route the
//! router matches, so no spelling of the path (`/v1/api%2Dkeys`) escapes it.
//! Only authenticated callers are remembered: a request without credentials
//! is served as if it had no key, and stores nothing.

use std::time::Duration;

use actix_web::body::{self, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue, LOCATION};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use sha2::{Digest, Sha256};
use smrm_domain::model::access::Actor;
use smrm_domain::ports::{IdempotencyClaim, StoredResponse};

use crate::auth::authenticate;
use crate::extract::read_body;
use crate::problem::ApiError;
use crate::state::AppState;

pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
pub const TTL: Duration = Duration::from_secs(24 * 3600);
/// Routes whose answers carry credentials (tokens, keys, signing secrets):
/// never stored.
const EXEMPT: &[&str] = &[
    "/v1/signup",
    "/v1/auth/token",
    "/v1/auth/refresh",
    "/v1/api-keys",
    "/v1/webhooks",
    "/v1/webhooks/{id}/rotate-secret",
];

/// Whether the route the router will match for this request is exempt. A path
/// that matches no route is not (it answers 404, which stores nothing useful
/// but costs nothing either).
fn exempt(req: &ServiceRequest) -> bool {
    let path = req.match_info().as_str();
    EXEMPT.contains(&path) || req.resource_map().match_pattern(path).is_some_and(|p| EXEMPT.contains(&p.as_str()))
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() != Method::POST
        || !req.headers().contains_key(actix_web::http::header::AUTHORIZATION)
        || !req.headers().contains_key(HEADER)
        || exempt(&req)
    {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let Some(raw_key) = req.headers().get(HEADER).cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let key = match raw_key.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) => k.to_owned(),
        _ => {
            let e = ApiError::bad_request(
                "invalid_idempotency_key",
                "`Idempotency-Key` must be 1–255 visible ASCII characters (a UUID is a good choice)",
            );
            return Ok(req.error_response(e).map_into_boxed_body());
        }
    };

    // The body is part of the fingerprint; read it, then hand it on.
    let state = req.app_data::<actix_web::web::Data<AppState>>().expect("state").clone();
    let (http, payload) = req.parts_mut();
    let body = match read_body(http, payload, state.config.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return Ok(req.error_response(e).map_into_boxed_body()),
    };
    req.set_payload(actix_web::dev::Payload::from(body.clone()));

    // Scope: the caller's tenant, and the key is the caller's own (prefixed by
    // the user or API key id), so nobody replays another caller's answer. A
    // request whose credentials fail is not remembered; the handler answers 401.
    let (scope, key) = match authenticate(req.request()).await {
        Ok(p) => {
            let actor = match p.actor {
                Actor::User { id, .. } => id.0,
                Actor::ApiKey(id) => id.0,
            };
            (p.tenant_id, format!("{}:{key}", actor.simple()))
        }
        Err(_) => return next.call(req).await.map(ServiceResponse::map_into_boxed_body),
    };

    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.uri().to_string());
    hasher.update(b"\n");
    hasher.update(&body);
    let fingerprint: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();

    let now = state.clock.now();
    let claim = match state.idempotency.claim(scope, &key, &fingerprint, now, TTL).await {
        Ok(c) => c,
        Err(e) => return Ok(req.error_response(ApiError::from(e)).map_into_boxed_body()),
    };
    match claim {
        IdempotencyClaim::Replay(stored) => Ok(req.into_response(replay(stored)).map_into_boxed_body()),
        IdempotencyClaim::Mismatch => Ok(req
            .error_response(ApiError::conflict(
                "idempotency_key_reused",
                "this Idempotency-Key was already used with a different request; use a new key for a new request",
            ))
            .map_into_boxed_body()),
        IdempotencyClaim::InFlight => Ok(req
            .error_response(ApiError {
                retry_after: Some(1),
                ..ApiError::conflict(
                    "idempotency_key_in_use",
                    "a request with this Idempotency-Key is still being processed; retry shortly",
                )
            })
            .map_into_boxed_body()),
        IdempotencyClaim::Claimed => {
            let res = match next.call(req).await {
                Ok(res) => res,
                Err(e) => {
                    let _ = state.idempotency.release(scope, &key).await;
                    return Err(e);
                }
            };
            let status = res.status();
            let (http, response) = res.into_parts();
            let (head, body) = response.into_parts();
            let Ok(bytes) = body::to_bytes(body).await else {
                let _ = state.idempotency.release(scope, &key).await;
                return Err(ApiError::internal().into());
            };
            if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                let _ = state.idempotency.release(scope, &key).await;
            } else {
                let header =
                    |name| head.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned);
                let stored = StoredResponse {
                    status: status.as_u16(),
                    content_type: header(CONTENT_TYPE),
                    location: header(LOCATION),
                    body: bytes.to_vec(),
                };
                if let Err(e) = state.idempotency.complete(scope, &key, &stored).await {
                    tracing::warn!(error = %e, "could not store the idempotent response");
                    let _ = state.idempotency.release(scope, &key).await;
                }
            }
            Ok(ServiceResponse::new(http, head.set_body(bytes).map_into_boxed_body()))
        }
    }
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let mut res = HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
    if let Some(ct) = stored.content_type {
        res.insert_header((CONTENT_TYPE, ct));
    }
    if let Some(location) = stored.location {
        res.insert_header((LOCATION, location));
    }
    res.insert_header((REPLAYED, "true"));
    res.body(stored.body)
}
