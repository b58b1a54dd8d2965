//! Request and response bodies, with their OpenAPI schemas and examples. They
//! convert to and from domain types; the domain never sees them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use smrm_domain::ids::BrandId;
use smrm_domain::model::access::{ApiKey, Role, User};
use smrm_domain::model::brand::{Brand, BrandInput, BrandPatch};
use smrm_domain::model::competitor_set::{CompetitorSet, CompetitorSetInput, CompetitorSetPatch};
use smrm_domain::model::tenant::Tenant;
use utoipa::ToSchema;
use uuid::Uuid;

/// For PATCH bodies: an absent field is left as it is; `null` is refused
/// (422), since none of these fields can be empty.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

fn ids(v: Vec<Uuid>) -> Vec<BrandId> {
    v.into_iter().map(BrandId).collect()
}

fn uuids(v: &[BrandId]) -> Vec<Uuid> {
    v.iter().map(|b| b.0).collect()
}

macro_rules! list_type {
    ($($(#[$doc:meta])* $name:ident => $item:ty;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Serialize, ToSchema)]
        #[schema(example = json!({"data": [], "next_cursor": "AZPx0lxOehCfOyocngt9EQ"}))]
        pub struct $name {
            pub data: Vec<$item>,
            /// Pass as `cursor` to get the next page; `null` on the last page.
            pub next_cursor: Option<String>,
        }

        impl<T: Into<$item>> From<smrm_domain::page::Page<T>> for $name {
            fn from(page: smrm_domain::page::Page<T>) -> Self {
                Self { data: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_after.map($crate::extract::encode_cursor) }
            }
        }
    )*};
}
pub(crate) use list_type;

list_type! {
    /// A page of users.
    UserList => UserDto;
    /// A page of API keys.
    ApiKeyList => ApiKeyDto;
    /// A page of brands.
    BrandList => BrandDto;
    /// A page of competitor sets.
    CompetitorSetList => CompetitorSetDto;
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
#[schema(as = ApiKey, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d30", "name": "CRM sync", "role": "analyst", "brand_ids": [], "prefix": "smrm_Xk3f9QaB", "created_at": "2026-11-26T10:00:00Z", "last_used_at": null}))]
pub struct ApiKeyDto {
    pub id: Uuid,
    pub name: String,
    pub role: RoleDto,
    pub brand_ids: Vec<Uuid>,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
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

/// A brand and its monitoring query.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Brand, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "name": "Daynet", "keywords": ["Daynet", "Дейнет", "\"Daynet Pro\""], "excluded_keywords": ["daynet.io jobs"], "languages": ["ru", "en"], "created_at": "2026-11-26T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z", "backfill": {"status": "done", "matched": 1240, "removed": 0, "finished_at": "2026-11-26T10:00:05Z"}}))]
pub struct BrandDto {
    pub id: Uuid,
    pub name: String,
    /// A keyword in double quotes matches only that exact form.
    pub keywords: Vec<String>,
    pub excluded_keywords: Vec<String>,
    /// ISO 639-1 codes; empty means every language.
    pub languages: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Re-matching of the stored posts after the query was created or changed.
    pub backfill: BackfillDto,
}

/// The background re-match of stored posts for a brand's current query.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Backfill, example = json!({"status": "done", "matched": 1240, "removed": 3, "finished_at": "2026-11-26T10:00:05Z"}))]
pub struct BackfillDto {
    /// `pending` (queued), `running`, or `done` for the current query.
    pub status: &'static str,
    /// Mentions the last run added.
    pub matched: u64,
    /// Mentions the last run removed (no longer matching, and untouched by people).
    pub removed: u64,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Brand> for BrandDto {
    fn from(b: Brand) -> Self {
        Self {
            id: b.id.0,
            name: b.name,
            keywords: b.keywords,
            excluded_keywords: b.excluded_keywords,
            languages: b.languages,
            created_at: b.created_at,
            updated_at: b.updated_at,
            backfill: BackfillDto {
                status: b.backfill.status.as_str(),
                matched: b.backfill.matched,
                removed: b.backfill.removed,
                finished_at: b.backfill.finished_at,
            },
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewBrand, example = json!({"name": "Daynet", "keywords": ["Daynet", "Дейнет"], "excluded_keywords": [], "languages": ["ru", "en"]}))]
pub struct NewBrandDto {
    /// 1–200 characters, unique in the tenant.
    pub name: String,
    /// 1–100 distinct keywords or phrases, each up to 200 characters.
    pub keywords: Vec<String>,
    #[serde(default)]
    pub excluded_keywords: Vec<String>,
    /// ISO 639-1 codes such as `ru`, `en`; empty means every language.
    #[serde(default)]
    pub languages: Vec<String>,
}

impl From<NewBrandDto> for BrandInput {
    fn from(d: NewBrandDto) -> Self {
        Self { name: d.name, keywords: d.keywords, excluded_keywords: d.excluded_keywords, languages: d.languages }
    }
}

/// Changes to a brand; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BrandPatch, example = json!({"excluded_keywords": ["daynet.io jobs"]}))]
pub struct BrandPatchDto {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub keywords: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub excluded_keywords: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub languages: Option<Vec<String>>,
}

impl From<BrandPatchDto> for BrandPatch {
    fn from(d: BrandPatchDto) -> Self {
        Self { name: d.name, keywords: d.keywords, excluded_keywords: d.excluded_keywords, languages: d.languages }
    }
}

/// A brand and its competitors.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CompetitorSet, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d40", "name": "Telecom, Moscow", "brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "competitor_ids": ["0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d21"], "created_at": "2026-11-26T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z"}))]
pub struct CompetitorSetDto {
    pub id: Uuid,
    pub name: String,
    pub brand_id: Uuid,
    pub competitor_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CompetitorSet> for CompetitorSetDto {
    fn from(s: CompetitorSet) -> Self {
        Self {
            id: s.id.0,
            name: s.name,
            brand_id: s.brand_id.0,
            competitor_ids: uuids(&s.competitor_ids),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewCompetitorSet, example = json!({"name": "Telecom, Moscow", "brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "competitor_ids": ["0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d21"]}))]
pub struct NewCompetitorSetDto {
    pub name: String,
    pub brand_id: Uuid,
    /// Up to 50 other brands of the tenant.
    #[serde(default)]
    pub competitor_ids: Vec<Uuid>,
}

impl From<NewCompetitorSetDto> for CompetitorSetInput {
    fn from(d: NewCompetitorSetDto) -> Self {
        Self { name: d.name, brand_id: BrandId(d.brand_id), competitor_ids: ids(d.competitor_ids) }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CompetitorSetPatch, example = json!({"competitor_ids": ["0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d21", "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d22"]}))]
pub struct CompetitorSetPatchDto {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub brand_id: Option<Uuid>,
    #[serde(default, deserialize_with = "present")]
    pub competitor_ids: Option<Vec<Uuid>>,
}

impl From<CompetitorSetPatchDto> for CompetitorSetPatch {
    fn from(d: CompetitorSetPatchDto) -> Self {
        Self { name: d.name, brand_id: d.brand_id.map(BrandId), competitor_ids: d.competitor_ids.map(ids) }
    }
}

/// `/healthz` and `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Health, example = json!({"status": "ok", "database": "postgres", "cache": "redis"}))]
pub struct HealthDto {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<&'static str>,
}

/// A query to try on texts before saving it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"keywords": ["Дейнет", "Daynet"], "excluded_keywords": ["daynet jobs"], "languages": [], "texts": ["Доволен Дейнетом!", "Daynetwork is down", "Daynet jobs: we are hiring"]}))]
pub struct BrandPreviewRequest {
    pub keywords: Vec<String>,
    #[serde(default)]
    pub excluded_keywords: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    /// Up to 1,000 texts to try. Omitted: the tenant's stored posts of the
    /// last 30 days (the newest 10,000).
    pub texts: Option<Vec<String>>,
}

impl From<BrandPreviewRequest> for smrm_domain::services::brands::PreviewInput {
    fn from(d: BrandPreviewRequest) -> Self {
        Self { keywords: d.keywords, excluded_keywords: d.excluded_keywords, languages: d.languages, texts: d.texts }
    }
}

/// One text the query matches.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewMatch {
    /// Position of the text in `texts` (`null` for a stored post).
    pub index: Option<usize>,
    /// The stored post (`null` for a given text).
    pub post: Option<PreviewPost>,
    pub text: String,
    /// The words of the text that matched, lower-cased (`дейнетом`).
    pub matched_words: Vec<String>,
}

/// A stored post a preview matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewPost {
    pub id: Uuid,
    pub platform: String,
    pub external_id: String,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"checked": 3, "matched": 1, "matches": [{"index": 0, "post": null, "text": "Доволен Дейнетом!", "matched_words": ["дейнетом"]}]}))]
pub struct BrandPreviewResponse {
    /// How many texts or stored posts were tried.
    pub checked: usize,
    /// How many matched (`matches` lists the first 200).
    pub matched: usize,
    /// The texts the query matches, in their order.
    pub matches: Vec<PreviewMatch>,
}

impl From<smrm_domain::services::brands::Preview> for BrandPreviewResponse {
    fn from(p: smrm_domain::services::brands::Preview) -> Self {
        Self {
            checked: p.checked,
            matched: p.matched,
            matches: p
                .hits
                .into_iter()
                .map(|h| PreviewMatch {
                    index: h.index,
                    post: h.post.map(|p| PreviewPost {
                        id: p.id.0,
                        platform: p.input.platform,
                        external_id: p.input.external_id,
                        published_at: p.input.published_at,
                    }),
                    text: h.text,
                    matched_words: h.matched,
                })
                .collect(),
        }
    }
}
