//! Who may call SMRM: users with roles, API keys, login sessions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Violations;
use crate::ids::{ApiKeyId, BrandId, RefreshTokenId, SessionId, TenantId, UserId};

/// Roles, strongest first. The derived order follows the declaration, so
/// `Role::Owner > Role::Admin > … > Role::Client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read only, limited to its `brand_ids` (the client self-service portal).
    Client,
    /// Read only.
    Viewer,
    /// Brands, sets, mentions, templates, answers.
    Analyst,
    /// Users, keys, webhooks, settings.
    Admin,
    /// Everything, including other owners.
    Owner,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Owner, Role::Admin, Role::Analyst, Role::Viewer, Role::Client];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Viewer => "viewer",
            Role::Client => "client",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Which brands a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrandScope {
    All,
    Only(Vec<BrandId>),
}

impl BrandScope {
    pub fn for_role(role: Role, brand_ids: &[BrandId]) -> Self {
        if role == Role::Client { BrandScope::Only(brand_ids.to_vec()) } else { BrandScope::All }
    }

    pub fn allows(&self, brand: BrandId) -> bool {
        match self {
            BrandScope::All => true,
            BrandScope::Only(ids) => ids.contains(&brand),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: String,
    pub role: Role,
    /// Only for `client` users: the brands they may see.
    pub brand_ids: Vec<BrandId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub tenant_id: TenantId,
    pub name: String,
    pub role: Role,
    pub brand_ids: Vec<BrandId>,
    /// The first characters of the key, enough to recognise it in a list.
    pub prefix: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// One login: every refresh token rotated from it shares the session, so a
/// replayed refresh token can revoke them all (and the access tokens with them).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RefreshToken {
    pub id: RefreshTokenId,
    pub tenant_id: TenantId,
    pub session_id: SessionId,
    pub user_id: UserId,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Who is calling, after authentication.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub tenant_id: TenantId,
    pub actor: Actor,
    pub role: Role,
    pub scope: BrandScope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User { id: UserId, session: SessionId },
    ApiKey(ApiKeyId),
}

impl Principal {
    pub fn brand_ids(&self) -> Vec<BrandId> {
        match &self.scope {
            BrandScope::All => Vec::new(),
            BrandScope::Only(ids) => ids.clone(),
        }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self.actor {
            Actor::User { id, .. } => Some(id),
            Actor::ApiKey(_) => None,
        }
    }
}

/// A bearer secret that names its tenant: `<prefix><32 random chars><tenant uuid hex>`.
/// The tenant part lets the secret be looked up through a tenant-leading index
/// (tenancy by construction); only its SHA-256 digest is ever stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerSecret {
    pub tenant_id: TenantId,
    pub full: String,
}

pub const API_KEY_PREFIX: &str = "smrm_";
pub const REFRESH_TOKEN_PREFIX: &str = "smrt_";
const RANDOM_LEN: usize = 32;

impl BearerSecret {
    pub fn compose(prefix: &str, random: &str, tenant: TenantId) -> Self {
        debug_assert_eq!(random.len(), RANDOM_LEN);
        Self { tenant_id: tenant, full: format!("{prefix}{random}{}", tenant.0.simple()) }
    }

    pub fn parse(prefix: &str, raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix(prefix)?;
        if rest.len() != RANDOM_LEN + 32 || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let tenant = Uuid::try_parse(&rest[RANDOM_LEN..]).ok()?;
        Some(Self { tenant_id: TenantId(tenant), full: raw.to_owned() })
    }

    /// What lists show: the prefix and the first 8 random characters.
    pub fn display_prefix(&self, prefix: &str) -> String {
        self.full[..prefix.len() + 8].to_owned()
    }

    pub const RANDOM_LEN: usize = RANDOM_LEN;
}

pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 256;

/// Lower-cases and checks an e-mail address (one `@`, a dotted domain, no spaces).
pub fn check_email(v: &mut Violations, field: &str, email: &str) -> String {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= EMAIL_MAX
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if !valid {
        v.add(field, "must be an e-mail address such as `ann@example.com`");
    }
    email
}

pub fn check_password(v: &mut Violations, field: &str, password: &str) {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        v.add(field, format!("must be at least {PASSWORD_MIN} characters"));
    } else if n > PASSWORD_MAX {
        v.add(field, format!("must be at most {PASSWORD_MAX} characters"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_strongest_first() {
        assert!(Role::Owner > Role::Admin);
        assert!(Role::Admin > Role::Analyst);
        assert!(Role::Analyst > Role::Viewer);
        assert!(Role::Viewer > Role::Client);
    }

    #[test]
    fn bearer_secret_round_trips_its_tenant() {
        let tenant = TenantId::new();
        let random = "a".repeat(BearerSecret::RANDOM_LEN);
        let s = BearerSecret::compose(API_KEY_PREFIX, &random, tenant);
        let parsed = BearerSecret::parse(API_KEY_PREFIX, &s.full).unwrap();
        assert_eq!(parsed.tenant_id, tenant);
        assert_eq!(parsed.display_prefix(API_KEY_PREFIX), "smrm_aaaaaaaa");
        assert!(BearerSecret::parse(REFRESH_TOKEN_PREFIX, &s.full).is_none());
        assert!(BearerSecret::parse(API_KEY_PREFIX, "smrm_short").is_none());
    }

    #[test]
    fn email_is_lowercased_and_checked() {
        let mut v = Violations::new();
        assert_eq!(check_email(&mut v, "email", " Ann@Example.COM "), "ann@example.com");
        assert!(v.is_empty());
        for bad in ["ann", "ann@", "@x.io", "a b@x.io", "ann@localhost", "a@b@c.io"] {
            let mut v = Violations::new();
            check_email(&mut v, "email", bad);
            assert!(!v.is_empty(), "{bad} should be rejected");
        }
    }
}
