//! Authentication (JWT access tokens and API keys) and authorization by role,
//! as an extractor: a handler's signature says which role it needs.

pub mod tokens;

pub use tokens::TokenIssuer;

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use smrm_domain::model::access::{API_KEY_PREFIX, Principal, Role};

use crate::problem::ApiError;
use crate::state::AppState;

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
    let known_digest = req.extensions().get::<crate::middleware::rate_limit::TokenDigest>().map(|d| d.0);
    let digest = known_digest.unwrap_or_else(|| token_digest(token));
    let principal = if token.starts_with(API_KEY_PREFIX) {
        match state.lookups.caller(&digest) {
            Some(known) => known,
            None => {
                let who = state.access.authenticate_api_key(token).await?;
                state.lookups.remember_caller(digest, &who);
                state.rate_limits.remember_verified_key(digest, who.tenant_id);
                who
            }
        }
    } else {
        // The signature and expiry are checked every time; the session's
        // state is what is remembered.
        let (tenant, user, session) = state
            .tokens
            .session(token)
            .ok_or_else(|| ApiError::unauthenticated("the access token is invalid or expired"))?;
        match state.lookups.caller(&digest) {
            Some(known) => known,
            None => {
                let who = state.access.authenticate_session(tenant, user, session).await?;
                state.lookups.remember_caller(digest, &who);
                who
            }
        }
    };
    req.extensions_mut().insert(principal.clone());
    Ok(principal)
}

/// Tokens are remembered by their SHA-256, never as written.
pub fn token_digest(token: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).into()
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
