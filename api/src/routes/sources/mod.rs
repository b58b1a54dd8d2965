//! Sources (feeds, platform searches, walls, channels) SMRM runs itself,
//! storing what they find through the same pipeline as pushed posts; and
//! the credentials they call platforms with.

pub mod dto;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use smrm_domain::ids::{CredentialId, SourceId};
use utoipa_actix_web::service_config::ServiceConfig;

use self::dto::{
    CredentialDto, CredentialList, NewCredentialDto, NewSourceDto, SourceDto, SourceList, SourcePatchDto, VkCallbackDto,
};
use crate::auth::{Admin, Analyst, Auth, Viewer};
use crate::extract::{ListParams, PathId, ValidJson, ValidQuery};
use crate::problem::*;
use crate::routes::created;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(create).service(get_one).service(update).service(remove).service(run);
}

pub fn configure_callbacks(cfg: &mut ServiceConfig) {
    cfg.service(vk_callback);
}

pub fn configure_credentials(cfg: &mut ServiceConfig) {
    cfg.service(list_credentials).service(create_credential).service(get_credential).service(delete_credential);
}

/// Lists the sources, oldest first (viewer).
#[utoipa::path(tag = "sources", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = SourceList), AuthProblems, QueryProblems))]
#[get("")]
async fn list(
    state: web::Data<AppState>,
    who: Auth<Viewer>,
    q: ValidQuery<ListParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(SourceList::from(state.sources.list(&who, q.0.page()?).await?)))
}

/// Adds a source (analyst). It runs at once, then no more often than
/// `poll_seconds`; each run's outcome is in its `status`. Search kinds
/// search for the keywords of `brand_ids` (all brands when empty) and let
/// SMRM's matcher decide what is a mention; channel kinds read their
/// channel whole, and with a `brand_id` every post is that brand's mention.
#[utoipa::path(tag = "sources", security(("bearer" = [])), request_body = NewSourceDto,
    responses((status = 201, body = SourceDto), AuthProblems, BodyProblems, ConflictProblem))]
#[post("")]
async fn create(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    body: ValidJson<NewSourceDto>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (s, secret) = state.sources.create(&who, body.0.into_input()?).await?;
    let info = req.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    Ok(created(format!("/v1/sources/{}", s.id), &SourceDto::created(s, secret, &base)))
}

/// One source, with its last poll (viewer).
#[utoipa::path(tag = "sources", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = SourceDto), AuthProblems, NotFoundProblem))]
#[get("/{id}")]
async fn get_one(state: web::Data<AppState>, who: Auth<Viewer>, id: PathId) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(SourceDto::from(state.sources.get(&who, SourceId(id.0)).await?)))
}

/// Changes a source (analyst).
#[utoipa::path(tag = "sources", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = SourcePatchDto,
    responses((status = 200, body = SourceDto), AuthProblems, NotFoundProblem, BodyProblems))]
#[patch("/{id}")]
async fn update(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    id: PathId,
    body: ValidJson<SourcePatchDto>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(SourceDto::from(state.sources.update(&who, SourceId(id.0), body.0.into_patch()?).await?)))
}

/// Stops polling and deletes a source (analyst); the posts it brought stay.
#[utoipa::path(tag = "sources", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), AuthProblems, NotFoundProblem))]
#[delete("/{id}")]
async fn remove(state: web::Data<AppState>, who: Auth<Analyst>, id: PathId) -> Result<HttpResponse, ApiError> {
    state.sources.delete(&who, SourceId(id.0)).await?;
    Ok(HttpResponse::new(StatusCode::NO_CONTENT))
}

/// Runs the source now (analyst): answers 202 at once, and a worker runs
/// it within a second; its `status` tells how it went. A disabled source,
/// or one the platform pushes to, cannot be run (409).
#[utoipa::path(tag = "sources", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 202, body = SourceDto), AuthProblems, NotFoundProblem, ConflictProblem))]
#[post("/{id}/run")]
async fn run(state: web::Data<AppState>, who: Auth<Analyst>, id: PathId) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Accepted().json(SourceDto::from(state.sources.run(&who, SourceId(id.0)).await?)))
}

/// Lists the credentials, oldest first (admin); secrets are never shown.
#[utoipa::path(tag = "credentials", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = CredentialList), AuthProblems, QueryProblems))]
#[get("")]
async fn list_credentials(
    state: web::Data<AppState>,
    who: Auth<Admin>,
    q: ValidQuery<ListParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(CredentialList::from(state.credentials.list(&who, q.0.page()?).await?)))
}

/// Stores a platform key (admin). The secret is encrypted at rest with the
/// server's key and never answered again; a source names the credential
/// by its id.
#[utoipa::path(tag = "credentials", security(("bearer" = [])), request_body = NewCredentialDto,
    responses((status = 201, body = CredentialDto), AuthProblems, BodyProblems))]
#[post("")]
async fn create_credential(
    state: web::Data<AppState>,
    who: Auth<Admin>,
    body: ValidJson<NewCredentialDto>,
) -> Result<HttpResponse, ApiError> {
    let c = state.credentials.create(&who, body.0.into()).await?;
    Ok(created(format!("/v1/credentials/{}", c.id), &CredentialDto::from(c)))
}

/// One credential (admin).
#[utoipa::path(tag = "credentials", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = CredentialDto), AuthProblems, NotFoundProblem))]
#[get("/{id}")]
async fn get_credential(state: web::Data<AppState>, who: Auth<Admin>, id: PathId) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(CredentialDto::from(state.credentials.get(&who, CredentialId(id.0)).await?)))
}

/// Deletes a credential (admin); 409 while a source uses it.
#[utoipa::path(tag = "credentials", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), AuthProblems, NotFoundProblem, ConflictProblem))]
#[delete("/{id}")]
async fn delete_credential(state: web::Data<AppState>, who: Auth<Admin>, id: PathId) -> Result<HttpResponse, ApiError> {
    state.credentials.delete(&who, CredentialId(id.0)).await?;
    Ok(HttpResponse::new(StatusCode::NO_CONTENT))
}

/// VK's Callback API pushes a community's events here (no bearer token:
/// an event proves itself with the source's `secret` and `group_id`).
/// `confirmation` is answered with the source's `confirmation_code`; a
/// post event (`wall_post_new`, `wall_repost`, `wall_reply_new`,
/// `board_post_new`, `photo_comment_new`, `video_comment_new`) is stored,
/// then answered `ok`; other types are answered `ok` and ignored. A
/// redelivered event is stored once. 403 when the secret or community
/// does not match; 503 when it could not be stored (VK delivers it again).
#[utoipa::path(tag = "sources", params(("source_id" = Uuid, Path)), request_body = VkCallbackDto,
    responses((status = 200, description = "`ok`, or the confirmation code", body = String, content_type = "text/plain"),
        (status = 403, description = "The secret or the community is not the source's.", body = crate::problem::Problem, content_type = "application/problem+json"),
        NotFoundProblem, BodyProblems))]
#[post("/vk/{source_id}")]
async fn vk_callback(
    state: web::Data<AppState>,
    source_id: web::Path<String>,
    body: ValidJson<VkCallbackDto>,
) -> Result<HttpResponse, ApiError> {
    let id = uuid::Uuid::try_parse(&source_id)
        .map_err(|_| ApiError::not_found(format!("no resource with id `{source_id}`")))?;
    let smrm_domain::model::sources::PushAnswer::Text(text) = state.sources.push(SourceId(id), body.0.into()).await?;
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(text))
}
