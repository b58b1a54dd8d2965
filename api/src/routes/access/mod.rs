//! Signup, tokens, the caller, the tenant, users and API keys.

pub mod dto;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use smrm_domain::ids::{ApiKeyId, UserId};
use smrm_domain::services::access::{Login, SignupInput};
use utoipa_actix_web::service_config::ServiceConfig;

use self::dto::*;
use crate::auth::{Admin, AnyRole, Auth, Viewer};
use crate::extract::{ListParams, PathId, ValidJson, ValidQuery};
use crate::problem::*;
use crate::routes::created;
use crate::state::AppState;

/// Under `/v1`: signup, tokens, the caller and the tenant.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(signup)
        .service(token)
        .service(refresh)
        .service(me)
        .service(get_tenant)
        .service(patch_tenant)
        .service(quotas);
}

/// Under `/v1/users`.
pub fn configure_users(cfg: &mut ServiceConfig) {
    cfg.service(list_users).service(create_user).service(get_user).service(patch_user).service(delete_user);
}

/// Under `/v1/api-keys`.
pub fn configure_api_keys(cfg: &mut ServiceConfig) {
    cfg.service(list_api_keys).service(create_api_key).service(delete_api_key);
}

fn token_pair(state: &AppState, login: Login) -> TokenResponse {
    TokenResponse {
        access_token: state.tokens.issue(login.user.tenant_id, login.user.id, login.session),
        refresh_token: login.refresh_token,
        token_type: "Bearer",
        expires_in: state.tokens.ttl_seconds,
    }
}

/// Creates a tenant and its owner, and logs the owner in.
///
/// Can be switched off with `SMRM_SIGNUP=false` (then 404).
#[utoipa::path(tag = "access", request_body = SignupDto,
    responses((status = 201, body = SignupResponse), BodyProblems, ConflictProblem, NotFoundProblem))]
#[post("/signup")]
async fn signup(state: web::Data<AppState>, body: ValidJson<SignupDto>) -> Result<HttpResponse, ApiError> {
    if !state.config.signup_enabled {
        return Err(ApiError::not_found("signup is disabled on this installation; ask an admin for an account"));
    }
    let b = body.0;
    let (tenant, login) =
        state.access.signup(SignupInput { tenant_name: b.tenant_name, email: b.email, password: b.password }).await?;
    let user = login.user.clone();
    let pair = token_pair(&state, login);
    let body = SignupResponse {
        tenant: tenant.into(),
        user: user.into(),
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        expires_in: pair.expires_in,
    };
    Ok(created("/v1/tenant".into(), &body))
}

/// Logs in with an e-mail address and a password.
#[utoipa::path(tag = "access", request_body = LoginDto,
    responses((status = 200, body = TokenResponse),
        (status = 401, description = "Wrong e-mail address or password.", body = Problem, content_type = "application/problem+json"),
        BodyProblems))]
#[post("/auth/token")]
async fn token(state: web::Data<AppState>, body: ValidJson<LoginDto>) -> Result<HttpResponse, ApiError> {
    let login = state.access.login(&body.0.email, &body.0.password).await?;
    Ok(HttpResponse::Ok().json(token_pair(&state, login)))
}

/// Trades a refresh token for a new pair. A refresh token works once; using
/// one twice revokes its whole login (every token issued from it).
#[utoipa::path(tag = "access", request_body = RefreshDto,
    responses((status = 200, body = TokenResponse),
        (status = 401, description = "Invalid, expired or reused refresh token.", body = Problem, content_type = "application/problem+json"),
        BodyProblems))]
#[post("/auth/refresh")]
async fn refresh(state: web::Data<AppState>, body: ValidJson<RefreshDto>) -> Result<HttpResponse, ApiError> {
    let login = state.access.refresh(&body.0.refresh_token).await?;
    Ok(HttpResponse::Ok().json(token_pair(&state, login)))
}

/// The caller: user or API key, tenant, role and brand scope.
#[utoipa::path(tag = "access", security(("bearer" = [])), responses((status = 200, body = MeResponse), AuthProblems))]
#[get("/me")]
async fn me(state: web::Data<AppState>, who: Auth<AnyRole>) -> Result<HttpResponse, ApiError> {
    let (tenant, user, key) = state.access.me(&who).await?;
    Ok(HttpResponse::Ok().json(MeResponse {
        user: user.map(Into::into),
        api_key: key.map(Into::into),
        tenant: tenant.into(),
        role: who.role.into(),
        brand_ids: who.brand_ids().into_iter().map(|b| b.0).collect(),
    }))
}

/// The caller's tenant.
#[utoipa::path(tag = "access", security(("bearer" = [])), responses((status = 200, body = TenantDto), AuthProblems))]
#[get("/tenant")]
async fn get_tenant(state: web::Data<AppState>, who: Auth<AnyRole>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(TenantDto::from(state.access.tenant(&who).await?)))
}

/// The tenant's quotas: each limit, whether the operator set it for this
/// tenant, and how much of it is used. Creating past a limit answers 409
/// `quota_exceeded`.
#[utoipa::path(tag = "access", security(("bearer" = [])), responses((status = 200, body = QuotaList), AuthProblems))]
#[get("/tenant/quotas")]
async fn quotas(state: web::Data<AppState>, who: Auth<Viewer>) -> Result<HttpResponse, ApiError> {
    let data = state.access.quotas.statuses(who.tenant_id).await?.into_iter().map(QuotaDto::from).collect();
    Ok(HttpResponse::Ok().json(QuotaList { data }))
}

/// Renames the tenant or changes its time zone (admin).
#[utoipa::path(tag = "access", security(("bearer" = [])), request_body = TenantPatchDto,
    responses((status = 200, body = TenantDto), AuthProblems, BodyProblems))]
#[patch("/tenant")]
async fn patch_tenant(
    state: web::Data<AppState>,
    who: Auth<Admin>,
    body: ValidJson<TenantPatchDto>,
) -> Result<HttpResponse, ApiError> {
    let patch = smrm_domain::model::tenant::TenantPatch { name: body.0.name, timezone: body.0.timezone };
    let tenant = state.access.update_tenant(&who, patch).await?;
    Ok(HttpResponse::Ok().json(TenantDto::from(tenant)))
}

/// Lists the tenant's users (admin), oldest first.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = UserList), AuthProblems, QueryProblems))]
#[get("")]
async fn list_users(
    state: web::Data<AppState>,
    who: Auth<Admin>,
    q: ValidQuery<ListParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(UserList::from(state.access.list_users(&who, q.0.page()?).await?)))
}

/// Adds a user (admin). Nobody grants a role stronger than their own.
#[utoipa::path(tag = "users", security(("bearer" = [])), request_body = NewUserDto,
    responses((status = 201, body = UserDto), AuthProblems, BodyProblems, ConflictProblem))]
#[post("")]
async fn create_user(
    state: web::Data<AppState>,
    who: Auth<Admin>,
    body: ValidJson<NewUserDto>,
) -> Result<HttpResponse, ApiError> {
    let user = state.access.create_user(&who, body.0.into()).await?;
    Ok(created(format!("/v1/users/{}", user.id), &UserDto::from(user)))
}

/// One user (admin).
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = UserDto), AuthProblems, NotFoundProblem))]
#[get("/{id}")]
async fn get_user(state: web::Data<AppState>, who: Auth<Admin>, id: PathId) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(UserDto::from(state.access.get_user(&who, UserId(id.0)).await?)))
}

/// Changes a user (admin; an owner only by an owner). The last owner cannot be demoted.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = UserPatchDto,
    responses((status = 200, body = UserDto), AuthProblems, NotFoundProblem, BodyProblems, ConflictProblem))]
#[patch("/{id}")]
async fn patch_user(
    state: web::Data<AppState>,
    who: Auth<Admin>,
    id: PathId,
    body: ValidJson<UserPatchDto>,
) -> Result<HttpResponse, ApiError> {
    let user = state.access.update_user(&who, UserId(id.0), body.0.into()).await?;
    Ok(HttpResponse::Ok().json(UserDto::from(user)))
}

/// Removes a user and ends their logins (admin). The last owner cannot be removed.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), AuthProblems, NotFoundProblem, ConflictProblem))]
#[delete("/{id}")]
async fn delete_user(state: web::Data<AppState>, who: Auth<Admin>, id: PathId) -> Result<HttpResponse, ApiError> {
    state.access.delete_user(&who, UserId(id.0)).await?;
    Ok(HttpResponse::new(StatusCode::NO_CONTENT))
}

/// Lists the tenant's API keys (admin), oldest first. Secrets are never shown again.
#[utoipa::path(tag = "api-keys", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = ApiKeyList), AuthProblems, QueryProblems))]
#[get("")]
async fn list_api_keys(
    state: web::Data<AppState>,
    who: Auth<Admin>,
    q: ValidQuery<ListParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ApiKeyList::from(state.access.list_api_keys(&who, q.0.page()?).await?)))
}

/// Creates an API key (admin). The answer carries `key`, shown this once.
#[utoipa::path(tag = "api-keys", security(("bearer" = [])), request_body = NewApiKeyDto,
    responses((status = 201, body = ApiKeyCreatedDto), AuthProblems, BodyProblems, ConflictProblem))]
#[post("")]
async fn create_api_key(
    state: web::Data<AppState>,
    who: Auth<Admin>,
    body: ValidJson<NewApiKeyDto>,
) -> Result<HttpResponse, ApiError> {
    let (key, secret) = state.access.create_api_key(&who, body.0.into()).await?;
    Ok(HttpResponse::Created().json(ApiKeyCreatedDto { api_key: key.into(), key: secret }))
}

/// Revokes an API key (admin): at once on the replica that answers, within
/// `SMRM_LOOKUP_CACHE_SECONDS` (5 s by default) on the others.
#[utoipa::path(tag = "api-keys", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), AuthProblems, NotFoundProblem))]
#[delete("/{id}")]
async fn delete_api_key(state: web::Data<AppState>, who: Auth<Admin>, id: PathId) -> Result<HttpResponse, ApiError> {
    state.access.delete_api_key(&who, ApiKeyId(id.0)).await?;
    Ok(HttpResponse::new(StatusCode::NO_CONTENT))
}
