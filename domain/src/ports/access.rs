//! Tenants, users, sessions, API keys, and the request limits per caller and tenant.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::DomainResult;
use crate::ids::{ApiKeyId, BrandId, RefreshTokenId, SessionId, TenantId, UserId};
use crate::model::access::{ApiKey, Principal, RefreshToken, Session, User};
use crate::model::quota::Quota;
use crate::model::tenant::Tenant;
use crate::page::{Page, PageRequest};

#[async_trait]
pub trait TenantRepository: Send + Sync {
    async fn get_tenant(&self, tenant: TenantId) -> DomainResult<Tenant>;
    async fn update_tenant(&self, tenant: &Tenant) -> DomainResult<()>;
    /// Creates the tenant, its owner (with the password hash), the owner's
    /// login session and first refresh token, all or nothing. Conflict when the
    /// e-mail address is taken.
    async fn create_tenant_with_owner(
        &self,
        tenant: &Tenant,
        owner: &User,
        password_hash: &str,
        session: &Session,
        refresh: &RefreshToken,
    ) -> DomainResult<()>;
}

/// A stored user together with its password hash, for logins only.
pub struct LoginRecord {
    pub user: User,
    pub password_hash: String,
}

#[async_trait]
pub trait UserRepository: Send + Sync {
    /// E-mail addresses are unique across SMRM (a login names no tenant), so this
    /// is the one lookup that finds the tenant from the data.
    async fn find_login(&self, email: &str) -> DomainResult<Option<LoginRecord>>;
    async fn get_user(&self, tenant: TenantId, id: UserId) -> DomainResult<User>;
    async fn list_users(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<User>>;
    /// Conflict when the e-mail address is taken.
    async fn insert_user(&self, tenant: TenantId, user: &User, password_hash: &str) -> DomainResult<()>;
    async fn update_user(&self, tenant: TenantId, user: &User, password_hash: Option<&str>) -> DomainResult<()>;
    /// Deletes the user, every session of theirs and their address in the
    /// login directory, at once (the address is free again).
    async fn delete_user(&self, tenant: TenantId, id: UserId) -> DomainResult<()>;
    async fn count_owners(&self, tenant: TenantId) -> DomainResult<u64>;
}

#[async_trait]
pub trait SessionRepository: Send + Sync {
    async fn create_session(&self, tenant: TenantId, session: &Session, refresh: &RefreshToken) -> DomainResult<()>;
    /// The user of a live (not revoked) session.
    async fn session_user(&self, tenant: TenantId, session: SessionId, user: UserId) -> DomainResult<Option<User>>;
    async fn find_refresh(&self, tenant: TenantId, token_hash: &str) -> DomainResult<Option<(RefreshToken, Session)>>;
    /// Marks `used` as used and stores `next`, atomically; `false` when
    /// `used` had been used already (a concurrent replay).
    async fn rotate_refresh(
        &self,
        tenant: TenantId,
        used: RefreshTokenId,
        next: &RefreshToken,
        now: DateTime<Utc>,
    ) -> DomainResult<bool>;
    async fn revoke_session(&self, tenant: TenantId, session: SessionId, now: DateTime<Utc>) -> DomainResult<()>;
}

#[async_trait]
pub trait ApiKeyRepository: Send + Sync {
    async fn insert_api_key(&self, tenant: TenantId, key: &ApiKey, key_hash: &str) -> DomainResult<()>;
    async fn find_api_key(&self, tenant: TenantId, key_hash: &str) -> DomainResult<Option<ApiKey>>;
    async fn get_api_key(&self, tenant: TenantId, id: ApiKeyId) -> DomainResult<ApiKey>;
    async fn list_api_keys(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<ApiKey>>;
    async fn delete_api_key(&self, tenant: TenantId, id: ApiKeyId) -> DomainResult<()>;
    /// The keys a user created (at most the tenant's key quota).
    async fn api_keys_created_by(&self, tenant: TenantId, user: UserId) -> DomainResult<Vec<ApiKey>>;
    /// Records use, at most once per `granularity` (it is a write on a hot path).
    async fn touch_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        now: DateTime<Utc>,
        granularity: Duration,
    ) -> DomainResult<()>;
}

/// Counts requests per caller (shared by every replica when it can be).
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request of `key` against `per_minute`.
    async fn hit(&self, key: &str, per_minute: u32) -> crate::ratelimit::RateDecision;
}

/// Limits an operator set for one tenant (its plan), over the defaults.
#[async_trait]
pub trait TenantLimits: Send + Sync {
    async fn rate_limit(&self, tenant: TenantId) -> DomainResult<Option<u32>>;
    /// `None`: back to the default.
    async fn set_rate_limit(&self, tenant: TenantId, per_minute: Option<u32>) -> DomainResult<()>;
}

/// The quotas an operator set for one tenant, and what the tenant uses.
#[async_trait]
pub trait QuotaRepository: Send + Sync {
    /// The limits set for this tenant (quotas not listed have their default).
    async fn quota_limits(&self, tenant: TenantId) -> DomainResult<Vec<(Quota, u32)>>;
    /// `None`: back to the default.
    async fn set_quota(&self, tenant: TenantId, quota: Quota, limit: Option<u32>) -> DomainResult<()>;
    /// How many of what `quota` counts the tenant keeps; `None` for a quota
    /// counted per item ([`Quota::KeywordsPerBrand`]).
    async fn quota_usage(&self, tenant: TenantId, quota: Quota) -> DomainResult<Option<u64>>;
}

/// A replica's short memory of what nearly every request asks again: who a
/// bearer token is (by the token's SHA-256), that a brand exists, a
/// tenant's time zone. Kept a few seconds; the services that change any of
/// these forget them here at once, whoever called the service (a handler, a
/// worker, a CLI command), and other replicas see the change when their
/// memory expires.
pub trait Lookups: Send + Sync {
    fn caller(&self, token_digest: &[u8; 32]) -> Option<Principal>;
    fn remember_caller(&self, token_digest: [u8; 32], who: &Principal);
    /// Keys, users or logins changed: every caller is checked again.
    fn forget_callers(&self);
    fn brand_exists(&self, tenant: TenantId, brand: BrandId) -> bool;
    fn remember_brand(&self, tenant: TenantId, brand: BrandId);
    fn forget_brand(&self, tenant: TenantId, brand: BrandId);
    fn zone(&self, tenant: TenantId) -> Option<String>;
    fn remember_zone(&self, tenant: TenantId, zone: &str);
    fn forget_zone(&self, tenant: TenantId);
}
