//! Bodies of the access endpoints: signup, logins, the tenant, users and API keys.

use crate::routes::common::*;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smrm_domain::model::access::{ApiKey, Role, User};
use smrm_domain::model::tenant::Tenant;
use utoipa::ToSchema;
use uuid::Uuid;

list_type! {
    /// A page of users.
    UserList => UserDto;
    /// A page of API keys.
    ApiKeyList => ApiKeyDto;
}

/// A role, strongest first: `owner`, `admin`, `analyst`, `viewer`, `client`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Role)]
pub enum RoleDto {
    Owner,
    Admin,
    Analyst,
    Viewer,
    Client,
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Role {
        match r {
            RoleDto::Owner => Role::Owner,
            RoleDto::Admin => Role::Admin,
            RoleDto::Analyst => Role::Analyst,
            RoleDto::Viewer => Role::Viewer,
            RoleDto::Client => Role::Client,
        }
    }
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> RoleDto {
        match r {
            Role::Owner => RoleDto::Owner,
            Role::Admin => RoleDto::Admin,
            Role::Analyst => RoleDto::Analyst,
            Role::Viewer => RoleDto::Viewer,
            Role::Client => RoleDto::Client,
        }
    }
}

/// A tenant: an agency or a company.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Tenant, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d11", "name": "Acme Agency", "timezone": "Europe/Moscow", "created_at": "2026-11-26T10:00:00Z"}))]
pub struct TenantDto {
    pub id: Uuid,
    pub name: String,
    /// IANA time zone: the default `tz` of reports.
    pub timezone: String,
    pub created_at: DateTime<Utc>,
}

impl From<Tenant> for TenantDto {
    fn from(t: Tenant) -> Self {
        Self { id: t.id.0, name: t.name, timezone: t.timezone, created_at: t.created_at }
    }
}

/// One quota of the tenant.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Quota, example = json!({"name": "brands", "limit": 1000, "custom": false, "used": 12}))]
pub struct QuotaDto {
    /// `brands`, `keywords_per_brand`, `users`, `api_keys`, `webhooks`, `sources` or `alert_rules`.
    pub name: &'static str,
    pub limit: u32,
    /// Whether the operator set this tenant's limit (else it is the default).
    pub custom: bool,
    /// What the tenant keeps now; absent for `keywords_per_brand`, a limit per brand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used: Option<u64>,
}

impl From<smrm_domain::model::quota::QuotaStatus> for QuotaDto {
    fn from(q: smrm_domain::model::quota::QuotaStatus) -> Self {
        Self { name: q.quota.as_str(), limit: q.limit, custom: q.custom, used: q.used }
    }
}

/// The tenant's quotas.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuotaList {
    pub data: Vec<QuotaDto>,
}

/// Changes to the tenant; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TenantPatch, example = json!({"timezone": "Europe/Moscow"}))]
pub struct TenantPatchDto {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    /// IANA time zone, e.g. `Europe/Moscow`.
    #[serde(default, deserialize_with = "present")]
    pub timezone: Option<String>,
}

/// A user of the tenant.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d12", "email": "ann@acme.example", "role": "analyst", "brand_ids": [], "created_at": "2026-11-26T10:00:00Z"}))]
pub struct UserDto {
    pub id: Uuid,
    pub email: String,
    pub role: RoleDto,
    /// For `client` users: the only brands they see. Empty for other roles.
    pub brand_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id.0,
            email: u.email,
            role: u.role.into(),
            brand_ids: uuids(&u.brand_ids),
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewUser, example = json!({"email": "client@brand.example", "password": "a long passphrase", "role": "client", "brand_ids": ["0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20"]}))]
pub struct NewUserDto {
    pub email: String,
    /// 10–256 characters.
    pub password: String,
    /// At most the caller's own role.
    pub role: RoleDto,
    /// Only for the `client` role.
    #[serde(default)]
    pub brand_ids: Vec<Uuid>,
}

impl From<NewUserDto> for smrm_domain::services::access::NewUser {
    fn from(d: NewUserDto) -> Self {
        Self { email: d.email, password: d.password, role: d.role.into(), brand_ids: ids(d.brand_ids) }
    }
}

/// Changes to a user; absent fields stay as they are. A new password or role
/// ends the user's current logins.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UserPatch, example = json!({"role": "viewer"}))]
pub struct UserPatchDto {
    #[serde(default, deserialize_with = "present")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub password: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub role: Option<RoleDto>,
    #[serde(default, deserialize_with = "present")]
    pub brand_ids: Option<Vec<Uuid>>,
}

impl From<UserPatchDto> for smrm_domain::services::access::UserPatch {
    fn from(d: UserPatchDto) -> Self {
        Self { email: d.email, password: d.password, role: d.role.map(Into::into), brand_ids: d.brand_ids.map(ids) }
    }
}

/// An API key, without its secret.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApiKey, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d30", "name": "CRM sync", "role": "analyst", "brand_ids": [], "prefix": "smrm_Xk3f9QaB", "created_by": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d12", "created_at": "2026-11-26T10:00:00Z", "last_used_at": null}))]
pub struct ApiKeyDto {
    pub id: Uuid,
    pub name: String,
    pub role: RoleDto,
    pub brand_ids: Vec<Uuid>,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    /// The user who made it (`null` when another API key made it). Removing
    /// that user revokes the key; demoting them revokes it when it is
    /// stronger than their new role.
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// Updated at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for ApiKeyDto {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id.0,
            name: k.name,
            role: k.role.into(),
            brand_ids: uuids(&k.brand_ids),
            prefix: k.prefix,
            created_by: k.created_by.map(|u| u.0),
            created_at: k.created_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// A new API key; `key` is shown in this answer only.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApiKeyCreated, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d30", "name": "CRM sync", "role": "analyst", "brand_ids": [], "prefix": "smrm_Xk3f9QaB", "created_at": "2026-11-26T10:00:00Z", "last_used_at": null, "key": "smrm_Xk3f9QaBcD4eF5gH6iJ7kL8mN9oP0qR1s0193f1d25c4e7a109f3b2a1c9e0b7d11"}))]
pub struct ApiKeyCreatedDto {
    #[serde(flatten)]
    pub api_key: ApiKeyDto,
    /// The secret. Store it now: SMRM keeps only its hash.
    pub key: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewApiKey, example = json!({"name": "CRM sync", "role": "analyst"}))]
pub struct NewApiKeyDto {
    pub name: String,
    /// At most the caller's own role.
    pub role: RoleDto,
    /// Only for the `client` role.
    #[serde(default)]
    pub brand_ids: Vec<Uuid>,
}

impl From<NewApiKeyDto> for smrm_domain::services::access::NewApiKey {
    fn from(d: NewApiKeyDto) -> Self {
        Self { name: d.name, role: d.role.into(), brand_ids: ids(d.brand_ids) }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Signup, example = json!({"tenant_name": "Acme Agency", "email": "owner@acme.example", "password": "a long passphrase"}))]
pub struct SignupDto {
    pub tenant_name: String,
    pub email: String,
    /// 10–256 characters.
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "tenant": {"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d11", "name": "Acme Agency", "timezone": "UTC", "created_at": "2026-11-26T10:00:00Z"},
    "user": {"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d12", "email": "owner@acme.example", "role": "owner", "brand_ids": [], "created_at": "2026-11-26T10:00:00Z"},
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…",
    "refresh_token": "smrt_…",
    "expires_in": 900
}))]
pub struct SignupResponse {
    pub tenant: TenantDto,
    pub user: UserDto,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until `access_token` expires.
    pub expires_in: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Login, example = json!({"email": "owner@acme.example", "password": "a long passphrase"}))]
pub struct LoginDto {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Refresh, example = json!({"refresh_token": "smrt_…"}))]
pub struct RefreshDto {
    pub refresh_token: String,
}

/// A token pair. The refresh token works once: each use returns a new pair.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…", "refresh_token": "smrt_…", "token_type": "Bearer", "expires_in": 900}))]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    pub expires_in: u64,
}

/// The caller: a user or an API key, its tenant, role and brand scope.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "user": null,
    "api_key": {"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d30", "name": "Client portal", "role": "client", "brand_ids": ["0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20"], "prefix": "smrm_Xk3f9QaB", "created_at": "2026-11-26T10:00:00Z", "last_used_at": "2026-11-26T11:00:00Z"},
    "tenant": {"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d11", "name": "Acme Agency", "timezone": "Europe/Moscow", "created_at": "2026-11-26T10:00:00Z"},
    "role": "client",
    "brand_ids": ["0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20"]
}))]
pub struct MeResponse {
    /// Set when the caller authenticated as a user.
    pub user: Option<UserDto>,
    /// Set when the caller authenticated with an API key.
    pub api_key: Option<ApiKeyDto>,
    pub tenant: TenantDto,
    pub role: RoleDto,
    /// For `client` callers: the only brands they see; empty otherwise.
    pub brand_ids: Vec<Uuid>,
}
