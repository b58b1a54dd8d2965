//! Access tokens: HS256 JWTs naming a tenant, a user and a login session.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use smrm_domain::ids::{SessionId, TenantId, UserId};
use uuid::Uuid;

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

    /// The tenant, user and login session an access token names, if it is
    /// valid (the session itself is checked by `authenticate`).
    pub fn session(&self, token: &str) -> Option<(TenantId, UserId, SessionId)> {
        self.verify(token).map(|c| (TenantId(c.tid), UserId(c.sub), SessionId(c.sid)))
    }

    fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok().map(|d| d.claims)
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
