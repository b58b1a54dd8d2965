//! Signup, login, refresh-token rotation, authentication of bearer secrets,
//! and the management of users and API keys.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{DomainError, DomainResult, Violations};
use crate::ids::{ApiKeyId, BrandId, RefreshTokenId, SessionId, TenantId, UserId};
use crate::model::access::{
    API_KEY_PREFIX, Actor, ApiKey, BearerSecret, BrandScope, Principal, REFRESH_TOKEN_PREFIX, RefreshToken, Role,
    Session, User, check_email, check_password,
};
use crate::model::quota::Quota;
use crate::model::tenant::{Tenant, TenantPatch, check_name};
use crate::page::{Page, PageRequest};
use crate::ports::{
    ApiKeyRepository, BrandRepository, Clock, Lookups, PasswordHasher, SecretSource, SessionRepository,
    TenantRepository, UserRepository,
};

/// A `client` user sees at most this many brands (a tenant's default brand
/// quota): a longer list is refused before any id is looked up.
pub const CLIENT_BRANDS_MAX: usize = 1000;

/// How long a refresh token lives (it is rotated at every use).
pub const REFRESH_TTL_DAYS: i64 = 30;
/// `last_used_at` of an API key is written at most this often.
pub const KEY_TOUCH_GRANULARITY: Duration = Duration::from_secs(60);

const BAD_LOGIN: &str = "invalid e-mail address or password";
const BAD_REFRESH: &str = "the refresh token is invalid, expired or already used";

pub struct AccessService {
    pub quotas: crate::services::quotas::Quotas,
    pub tenants: Arc<dyn TenantRepository>,
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub keys: Arc<dyn ApiKeyRepository>,
    pub brands: Arc<dyn BrandRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub secrets: Arc<dyn SecretSource>,
    pub clock: Arc<dyn Clock>,
    /// Forgotten here whenever a caller's rights or a tenant's zone change.
    pub lookups: Arc<dyn Lookups>,
}

pub struct SignupInput {
    pub tenant_name: String,
    pub email: String,
    pub password: String,
}

/// A login that succeeded: the API layer turns it into an access token.
#[derive(Debug, Clone)]
pub struct Login {
    pub user: User,
    pub session: SessionId,
    pub refresh_token: String,
}

pub struct NewUser {
    pub email: String,
    pub password: String,
    pub role: Role,
    pub brand_ids: Vec<BrandId>,
}

#[derive(Default)]
pub struct UserPatch {
    pub email: Option<String>,
    pub password: Option<String>,
    pub role: Option<Role>,
    pub brand_ids: Option<Vec<BrandId>>,
}

pub struct NewApiKey {
    pub name: String,
    pub role: Role,
    pub brand_ids: Vec<BrandId>,
}

impl AccessService {
    pub async fn signup(&self, input: SignupInput) -> DomainResult<(Tenant, Login)> {
        let mut v = Violations::new();
        let name = check_name(&mut v, "tenant_name", &input.tenant_name);
        let email = check_email(&mut v, "email", &input.email);
        check_password(&mut v, "password", &input.password);
        v.finish(())?;

        let now = self.clock.now();
        let tenant = Tenant { id: TenantId::new(), name, timezone: "UTC".into(), created_at: now };
        let owner = User {
            id: UserId::new(),
            tenant_id: tenant.id,
            email,
            role: Role::Owner,
            brand_ids: vec![],
            created_at: now,
            updated_at: now,
        };
        let hash = self.hasher.hash(&input.password).await?;
        let (session, refresh, secret) = self.new_session(&owner, now);
        self.tenants.create_tenant_with_owner(&tenant, &owner, &hash, &session, &refresh).await?;
        Ok((tenant, Login { user: owner, session: session.id, refresh_token: secret }))
    }

    pub async fn login(&self, email: &str, password: &str) -> DomainResult<Login> {
        if password.chars().count() > crate::model::access::PASSWORD_MAX {
            // No stored password is this long: refuse without spending a hash.
            return Err(DomainError::Unauthenticated(BAD_LOGIN));
        }
        let record = self.users.find_login(&email.trim().to_lowercase()).await?;
        let hash = record.as_ref().map(|r| r.password_hash.as_str());
        if !self.hasher.verify(password, hash).await {
            return Err(DomainError::Unauthenticated(BAD_LOGIN));
        }
        let user = record.expect("verify() is false without a hash").user;
        let (session, refresh, secret) = self.new_session(&user, self.clock.now());
        self.sessions.create_session(user.tenant_id, &session, &refresh).await?;
        Ok(Login { user, session: session.id, refresh_token: secret })
    }

    /// Rotates a refresh token. A token presented a second time is a sign of
    /// theft: the whole session is revoked, with every token issued from it.
    pub async fn refresh(&self, raw: &str) -> DomainResult<Login> {
        let secret = BearerSecret::parse(REFRESH_TOKEN_PREFIX, raw).ok_or(DomainError::Unauthenticated(BAD_REFRESH))?;
        let tenant = secret.tenant_id;
        let now = self.clock.now();
        let (token, session) = self
            .sessions
            .find_refresh(tenant, &self.secrets.digest(&secret.full))
            .await?
            .ok_or(DomainError::Unauthenticated(BAD_REFRESH))?;
        if session.revoked_at.is_some() || token.expires_at <= now {
            return Err(DomainError::Unauthenticated(BAD_REFRESH));
        }
        if token.used_at.is_some() {
            // A reused refresh token ends the login: its access tokens stop now.
            self.sessions.revoke_session(tenant, session.id, now).await?;
            self.lookups.forget_callers();
            return Err(DomainError::Unauthenticated(BAD_REFRESH));
        }
        let user = self
            .sessions
            .session_user(tenant, session.id, token.user_id)
            .await?
            .ok_or(DomainError::Unauthenticated(BAD_REFRESH))?;
        let (next, next_secret) = self.new_refresh(&user, session.id, now);
        if !self.sessions.rotate_refresh(tenant, token.id, &next, now).await? {
            // Lost a race against another use of the same token: a replay.
            // A reused refresh token ends the login: its access tokens stop now.
            self.sessions.revoke_session(tenant, session.id, now).await?;
            self.lookups.forget_callers();
            return Err(DomainError::Unauthenticated(BAD_REFRESH));
        }
        Ok(Login { user, session: session.id, refresh_token: next_secret })
    }

    /// The caller behind an access token, checked against the live session
    /// (so a revoked session or a deleted user stops working at once).
    pub async fn authenticate_session(
        &self,
        tenant: TenantId,
        user: UserId,
        session: SessionId,
    ) -> DomainResult<Principal> {
        let user = self
            .sessions
            .session_user(tenant, session, user)
            .await?
            .ok_or(DomainError::Unauthenticated("the access token's session has ended"))?;
        Ok(Principal {
            tenant_id: tenant,
            actor: Actor::User { id: user.id, session },
            role: user.role,
            scope: BrandScope::for_role(user.role, &user.brand_ids),
        })
    }

    pub async fn authenticate_api_key(&self, raw: &str) -> DomainResult<Principal> {
        const BAD_KEY: &str = "the API key is invalid or revoked";
        let secret = BearerSecret::parse(API_KEY_PREFIX, raw).ok_or(DomainError::Unauthenticated(BAD_KEY))?;
        let key = self
            .keys
            .find_api_key(secret.tenant_id, &self.secrets.digest(&secret.full))
            .await?
            .ok_or(DomainError::Unauthenticated(BAD_KEY))?;
        // `last_used_at` is kept to the minute: most requests need no write.
        let now = self.clock.now();
        let granularity = chrono::Duration::from_std(KEY_TOUCH_GRANULARITY).unwrap_or_default();
        if key.last_used_at.is_none_or(|t| t <= now - granularity) {
            self.keys.touch_api_key(key.tenant_id, key.id, now, KEY_TOUCH_GRANULARITY).await?;
        }
        Ok(Principal {
            tenant_id: key.tenant_id,
            actor: Actor::ApiKey(key.id),
            role: key.role,
            scope: BrandScope::for_role(key.role, &key.brand_ids),
        })
    }

    pub async fn tenant(&self, who: &Principal) -> DomainResult<Tenant> {
        self.tenants.get_tenant(who.tenant_id).await
    }

    pub async fn update_tenant(&self, who: &Principal, patch: TenantPatch) -> DomainResult<Tenant> {
        let tenant = patch.apply(self.tenants.get_tenant(who.tenant_id).await?)?;
        self.tenants.update_tenant(&tenant).await?;
        self.lookups.forget_zone(who.tenant_id);
        Ok(tenant)
    }

    pub async fn me(&self, who: &Principal) -> DomainResult<(Tenant, Option<User>, Option<ApiKey>)> {
        let tenant = self.tenants.get_tenant(who.tenant_id).await?;
        Ok(match who.actor {
            Actor::User { id, .. } => (tenant, Some(self.users.get_user(who.tenant_id, id).await?), None),
            Actor::ApiKey(id) => {
                let key = self.keys.get_api_key(who.tenant_id, id).await?;
                (tenant, None, Some(key))
            }
        })
    }

    pub async fn list_users(&self, who: &Principal, page: PageRequest) -> DomainResult<Page<User>> {
        self.users.list_users(who.tenant_id, page).await
    }

    pub async fn get_user(&self, who: &Principal, id: UserId) -> DomainResult<User> {
        self.users.get_user(who.tenant_id, id).await
    }

    pub async fn create_user(&self, who: &Principal, input: NewUser) -> DomainResult<User> {
        let mut v = Violations::new();
        let email = check_email(&mut v, "email", &input.email);
        check_password(&mut v, "password", &input.password);
        check_grant(&mut v, who, input.role);
        self.check_brand_scope(&mut v, who.tenant_id, input.role, &input.brand_ids).await?;
        v.finish(())?;
        self.quotas.check_room(who.tenant_id, Quota::Users).await?;
        let now = self.clock.now();
        let user = User {
            id: UserId::new(),
            tenant_id: who.tenant_id,
            email,
            role: input.role,
            brand_ids: input.brand_ids,
            created_at: now,
            updated_at: now,
        };
        let hash = self.hasher.hash(&input.password).await?;
        self.users.insert_user(who.tenant_id, &user, &hash).await?;
        Ok(user)
    }

    pub async fn update_user(&self, who: &Principal, id: UserId, patch: UserPatch) -> DomainResult<User> {
        let mut user = self.users.get_user(who.tenant_id, id).await?;
        check_may_manage(who, &user)?;
        let mut v = Violations::new();
        if let Some(email) = &patch.email {
            user.email = check_email(&mut v, "email", email);
        }
        if let Some(password) = &patch.password {
            check_password(&mut v, "password", password);
        }
        if let Some(role) = patch.role {
            check_grant(&mut v, who, role);
            user.role = role;
        }
        match patch.brand_ids {
            Some(ids) => user.brand_ids = ids,
            // A user who stops being a client stops being limited to brands.
            None if user.role != Role::Client => user.brand_ids.clear(),
            None => {}
        }
        self.check_brand_scope(&mut v, who.tenant_id, user.role, &user.brand_ids).await?;
        v.finish(())?;
        if patch.role.is_some_and(|r| r != Role::Owner) {
            self.keep_an_owner(who.tenant_id, id).await?;
        }
        let hash = match &patch.password {
            Some(p) => Some(self.hasher.hash(p).await?),
            None => None,
        };
        user.updated_at = self.clock.now();
        self.users.update_user(who.tenant_id, &user, hash.as_deref()).await?;
        if patch.role.is_some() || user.role == Role::Client {
            self.revoke_keys_beyond(who.tenant_id, &user).await?;
        }
        self.lookups.forget_callers();
        Ok(user)
    }

    pub async fn delete_user(&self, who: &Principal, id: UserId) -> DomainResult<()> {
        let user = self.users.get_user(who.tenant_id, id).await?;
        check_may_manage(who, &user)?;
        self.keep_an_owner(who.tenant_id, id).await?;
        // The keys the user made go first: a key outliving its maker would
        // keep rights nobody in the tenant answers for.
        for key in self.keys.api_keys_created_by(who.tenant_id, id).await? {
            self.delete_key_quietly(who.tenant_id, key.id).await?;
        }
        self.users.delete_user(who.tenant_id, id).await?;
        self.lookups.forget_callers();
        Ok(())
    }

    /// A user's keys may not do more than the user: after a demotion (or a
    /// client's brands narrowed), the keys the user made with a stronger role,
    /// or with brands the user no longer sees, are revoked.
    async fn revoke_keys_beyond(&self, tenant: TenantId, user: &User) -> DomainResult<()> {
        for key in self.keys.api_keys_created_by(tenant, user.id).await? {
            let beyond = key.role > user.role
                || (user.role == Role::Client
                    && (key.role != Role::Client || !key.brand_ids.iter().all(|b| user.brand_ids.contains(b))));
            if beyond {
                self.delete_key_quietly(tenant, key.id).await?;
            }
        }
        Ok(())
    }

    /// Deletes a key; one deleted meanwhile is as good.
    async fn delete_key_quietly(&self, tenant: TenantId, id: ApiKeyId) -> DomainResult<()> {
        match self.keys.delete_api_key(tenant, id).await {
            Ok(()) | Err(DomainError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn list_api_keys(&self, who: &Principal, page: PageRequest) -> DomainResult<Page<ApiKey>> {
        self.keys.list_api_keys(who.tenant_id, page).await
    }

    /// Creates a key and returns it with its secret, which is never shown again.
    pub async fn create_api_key(&self, who: &Principal, input: NewApiKey) -> DomainResult<(ApiKey, String)> {
        let mut v = Violations::new();
        let name = check_name(&mut v, "name", &input.name);
        check_grant(&mut v, who, input.role);
        self.check_brand_scope(&mut v, who.tenant_id, input.role, &input.brand_ids).await?;
        v.finish(())?;
        self.quotas.check_room(who.tenant_id, Quota::ApiKeys).await?;
        let random = self.secrets.random_alphanumeric(BearerSecret::RANDOM_LEN);
        let secret = BearerSecret::compose(API_KEY_PREFIX, &random, who.tenant_id);
        let key = ApiKey {
            id: ApiKeyId::new(),
            tenant_id: who.tenant_id,
            name,
            role: input.role,
            brand_ids: input.brand_ids,
            prefix: secret.display_prefix(API_KEY_PREFIX),
            created_by: who.user_id(),
            created_at: self.clock.now(),
            last_used_at: None,
        };
        self.keys.insert_api_key(who.tenant_id, &key, &self.secrets.digest(&secret.full)).await?;
        Ok((key, secret.full))
    }

    pub async fn delete_api_key(&self, who: &Principal, id: ApiKeyId) -> DomainResult<()> {
        let key = self.keys.get_api_key(who.tenant_id, id).await?;
        if key.role > who.role {
            return Err(DomainError::Forbidden(format!(
                "a `{}` cannot revoke a key with the stronger role `{}`",
                who.role.as_str(),
                key.role.as_str()
            )));
        }
        self.keys.delete_api_key(who.tenant_id, id).await?;
        self.lookups.forget_callers();
        Ok(())
    }

    fn new_session(&self, user: &User, now: DateTime<Utc>) -> (Session, RefreshToken, String) {
        let session = Session {
            id: SessionId::new(),
            tenant_id: user.tenant_id,
            user_id: user.id,
            created_at: now,
            revoked_at: None,
        };
        let (refresh, secret) = self.new_refresh(user, session.id, now);
        (session, refresh, secret)
    }

    fn new_refresh(&self, user: &User, session: SessionId, now: DateTime<Utc>) -> (RefreshToken, String) {
        let random = self.secrets.random_alphanumeric(BearerSecret::RANDOM_LEN);
        let secret = BearerSecret::compose(REFRESH_TOKEN_PREFIX, &random, user.tenant_id);
        let token = RefreshToken {
            id: RefreshTokenId::new(),
            tenant_id: user.tenant_id,
            session_id: session,
            user_id: user.id,
            token_hash: self.secrets.digest(&secret.full),
            expires_at: now + chrono::Duration::days(REFRESH_TTL_DAYS),
            used_at: None,
        };
        (token, secret.full)
    }

    /// `brand_ids` belong to the client role only, and each must be a brand of the tenant.
    async fn check_brand_scope(
        &self,
        v: &mut Violations,
        tenant: TenantId,
        role: Role,
        brand_ids: &[BrandId],
    ) -> DomainResult<()> {
        if role != Role::Client {
            if !brand_ids.is_empty() {
                v.add("brand_ids", "applies to the `client` role only");
            }
            return Ok(());
        }
        if brand_ids.len() > CLIENT_BRANDS_MAX {
            v.add("brand_ids", format!("must contain at most {CLIENT_BRANDS_MAX} brands"));
            return Ok(());
        }
        let missing: HashSet<BrandId> = self.brands.missing_brands(tenant, brand_ids).await?.into_iter().collect();
        let mut seen = HashSet::with_capacity(brand_ids.len());
        for (i, id) in brand_ids.iter().enumerate() {
            if missing.contains(id) {
                v.add(format!("brand_ids[{i}]"), format!("no brand `{id}` in this tenant"));
            } else if !seen.insert(*id) {
                v.add(format!("brand_ids[{i}]"), format!("duplicates `{id}`"));
            }
        }
        Ok(())
    }

    /// Refuses to leave the tenant without an owner.
    async fn keep_an_owner(&self, tenant: TenantId, changing: UserId) -> DomainResult<()> {
        let user = self.users.get_user(tenant, changing).await?;
        if user.role == Role::Owner && self.users.count_owners(tenant).await? <= 1 {
            return Err(DomainError::Conflict("this is the tenant's last owner: make another user owner first".into()));
        }
        Ok(())
    }
}

/// Nobody hands out a role stronger than their own.
fn check_grant(v: &mut Violations, who: &Principal, role: Role) {
    if role > who.role {
        v.add("role", format!("a `{}` cannot grant the stronger role `{}`", who.role.as_str(), role.as_str()));
    }
}

/// Only an owner changes or removes an owner; nobody manages someone stronger.
fn check_may_manage(who: &Principal, target: &User) -> DomainResult<()> {
    if target.role > who.role {
        return Err(DomainError::Forbidden(format!(
            "a `{}` cannot change a user with the stronger role `{}`",
            who.role.as_str(),
            target.role.as_str()
        )));
    }
    Ok(())
}
