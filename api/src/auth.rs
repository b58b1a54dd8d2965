//! Authentication (JWT access tokens and API keys) and authorization by role,
//! as an extractor: a handler's signature says which role it needs.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use smrm_domain::ids::{SessionId, TenantId, UserId};
use smrm_domain::model::access::{API_KEY_PREFIX, Principal, Role};
use uuid::Uuid;

use crate::problem::ApiError;
use crate::state::AppState;

const ISSUER: &str = "smrm";
const AUDIENCE: &str = "smrm-api";

/// Mints and checks access tokens: HS256 only (the algorithm is pinned, so a
/// token cannot choose it), with `iss`, `aud` and `exp` required and checked.
pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl_seconds: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    /// The user.
    sub: Uuid,
    /// The tenant.
    tid: Uuid,
    /// The login session (revoking it ends this token too).
    sid: Uuid,
    iat: u64,
    exp: u64,
}

impl TokenIssuer {
    pub fn new(secret: &[u8], ttl_seconds: u64) -> Self {
        // jsonwebtoken 11 needs its crypto provider chosen once per process.
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_seconds,
        }
    }

    pub fn issue(&self, tenant: TenantId, user: UserId, session: SessionId) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user.0,
            tid: tenant.0,
            sid: session.0,
            iat: now,
            exp: now + self.ttl_seconds,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    /// The tenant and user an access token names, if it is valid (its
    /// signature and expiry; the session is checked by `authenticate`).
    pub fn caller(&self, token: &str) -> Option<(TenantId, UserId)> {
        self.verify(token).map(|c| (TenantId(c.tid), UserId(c.sub)))
    }

    fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok().map(|d| d.claims)
    }
}

/// Resolves the caller of a request once; the result is kept in the request's
/// extensions for whoever asks again (the idempotency layer, then the handler).
pub async fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    if let Some(p) = req.extensions().get::<Principal>() {
        return Ok(p.clone());
    }
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthenticated("send `Authorization: Bearer <access token or API key>`"))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or_else(|| ApiError::unauthenticated("the Authorization header must read `Bearer <token>`"))?;
    let state = AppState::of(req);
    // The limiter has hashed an API key already.
    let known_digest = req.extensions().get::<crate::ratelimit::TokenDigest>().map(|d| d.0);
    let digest = known_digest.unwrap_or_else(|| crate::lookups::digest(token));
    let principal = if token.starts_with(API_KEY_PREFIX) {
        match state.lookups.caller(&digest) {
            Some(known) => known,
            None => {
                let who = state.access.authenticate_api_key(token).await?;
                state.lookups.remember_caller(digest, &who);
                who
            }
        }
    } else {
        // The signature and expiry are checked every time; the session's
        // state is what is remembered.
        let claims = state
            .tokens
            .verify(token)
            .ok_or_else(|| ApiError::unauthenticated("the access token is invalid or expired"))?;
        match state.lookups.caller(&digest) {
            Some(known) => known,
            None => {
                let (tenant, user, session) = (TenantId(claims.tid), UserId(claims.sub), SessionId(claims.sid));
                let who = state.access.authenticate_session(tenant, user, session).await?;
                state.lookups.remember_caller(digest, &who);
                who
            }
        }
    };
    req.extensions_mut().insert(principal.clone());
    Ok(principal)
}

/// The weakest role an endpoint accepts.
pub trait MinRole {
    const ROLE: Role;
}

macro_rules! min_role {
    ($($(#[$doc:meta])* $name:ident => $role:expr;)*) => {$(
        $(#[$doc])*
        pub struct $name;
        impl MinRole for $name {
            const ROLE: Role = $role;
        }
    )*};
}

min_role! {
    /// Any authenticated caller, `client` included (reads are then scoped to its brands).
    AnyRole => Role::Client;
    /// `viewer` and stronger.
    Viewer => Role::Viewer;
    /// `analyst` and stronger: brands, sets, mentions, templates, answers.
    Analyst => Role::Analyst;
    /// `admin` and stronger: users, keys, webhooks, settings.
    Admin => Role::Admin;
}

/// An authenticated caller whose role is at least `R`'s.
pub struct Auth<R: MinRole> {
    pub principal: Principal,
    role: PhantomData<R>,
}

impl<R: MinRole> std::ops::Deref for Auth<R> {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<R: MinRole + 'static> FromRequest for Auth<R> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let principal = authenticate(&req).await?;
            if principal.role < R::ROLE {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "Forbidden",
                    format!(
                        "this needs the `{}` role or a stronger one; the caller is `{}`",
                        R::ROLE.as_str(),
                        principal.role.as_str()
                    ),
                ));
            }
            Ok(Auth { principal, role: PhantomData })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_their_secret_and_algorithm() {
        let issuer = TokenIssuer::new(b"0123456789abcdef0123456789abcdef", 900);
        let token = issuer.issue(TenantId::new(), UserId::new(), SessionId::new());
        assert!(issuer.verify(&token).is_some());
        let other = TokenIssuer::new(b"another secret of the same length!", 900);
        assert!(other.verify(&token).is_none());
        // alg=none: header {"alg":"none","typ":"JWT"} with the same claims and no signature.
        let parts: Vec<&str> = token.split('.').collect();
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
        assert!(issuer.verify(&none).is_none());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let issuer = TokenIssuer::new(b"0123456789abcdef0123456789abcdef", 0);
        let mut claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: Uuid::now_v7(),
            tid: Uuid::now_v7(),
            sid: Uuid::now_v7(),
            iat: 0,
            exp: jsonwebtoken::get_current_timestamp() - 60,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &issuer.encoding).unwrap();
        assert!(issuer.verify(&token).is_none());
        claims.exp += 3600;
        claims.aud = "someone-else".into();
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &issuer.encoding).unwrap();
        assert!(issuer.verify(&token).is_none());
    }
}
