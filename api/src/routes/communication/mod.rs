//! Communication: official-answer templates, the answers given to mentions,
//! and outreach placements by the brand's official representatives.

pub mod dto;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use smrm_domain::ids::{MentionId, PlacementId, TemplateId};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Analyst, AnyRole, Auth, Viewer};
use crate::extract::{ListParams, PathId, ValidJson, ValidQuery};
use crate::problem::*;
use crate::routes::communication::dto::{
    NewPlacementDto, NewResponseDto, NewTemplateDto, PlacementDto, PlacementList, PlacementPatchDto, PlacementQuery,
    ResponseDto, ResponseList, SuggestedRepliesDto, TemplateDto, TemplateList, TemplatePatchDto,
};
use crate::routes::created;
use crate::state::AppState;

/// Under `/v1/response-templates`.
pub fn configure_templates(cfg: &mut ServiceConfig) {
    cfg.service(list_templates)
        .service(create_template)
        .service(get_template)
        .service(update_template)
        .service(delete_template);
}

/// Under `/v1/mentions`: the answers to a mention.
pub fn configure_responses(cfg: &mut ServiceConfig) {
    cfg.service(suggested_replies).service(list_responses).service(create_response);
}

/// Under `/v1/placements`.
pub fn configure_placements(cfg: &mut ServiceConfig) {
    cfg.service(list_placements)
        .service(create_placement)
        .service(get_placement)
        .service(update_placement)
        .service(delete_placement);
}

/// Lists the answer templates, oldest first (viewer).
#[utoipa::path(tag = "communication", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = TemplateList), AuthProblems, QueryProblems))]
#[get("")]
async fn list_templates(
    state: web::Data<AppState>,
    who: Auth<Viewer>,
    q: ValidQuery<ListParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(TemplateList::from(state.communication.templates(&who, q.0.page()?).await?)))
}

/// Creates an answer template (analyst). The body may use `{author}`,
/// `{brand}` and `{url}`; any other placeholder answers 422.
#[utoipa::path(tag = "communication", security(("bearer" = [])), request_body = NewTemplateDto,
    responses((status = 201, body = TemplateDto), AuthProblems, BodyProblems, ConflictProblem))]
#[post("")]
async fn create_template(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    body: ValidJson<NewTemplateDto>,
) -> Result<HttpResponse, ApiError> {
    let t = state.communication.create_template(&who, body.0.into()).await?;
    Ok(created(format!("/v1/response-templates/{}", t.id), &TemplateDto::from(t)))
}

/// One answer template (viewer).
#[utoipa::path(tag = "communication", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = TemplateDto), AuthProblems, NotFoundProblem))]
#[get("/{id}")]
async fn get_template(state: web::Data<AppState>, who: Auth<Viewer>, id: PathId) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(TemplateDto::from(state.communication.template(&who, TemplateId(id.0)).await?)))
}

/// Changes an answer template (analyst).
#[utoipa::path(tag = "communication", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = TemplatePatchDto,
    responses((status = 200, body = TemplateDto), AuthProblems, NotFoundProblem, BodyProblems, ConflictProblem))]
#[patch("/{id}")]
async fn update_template(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    id: PathId,
    body: ValidJson<TemplatePatchDto>,
) -> Result<HttpResponse, ApiError> {
    let t = state.communication.update_template(&who, TemplateId(id.0), body.0.into()).await?;
    Ok(HttpResponse::Ok().json(TemplateDto::from(t)))
}

/// Deletes an answer template (analyst). Answers logged with it keep its id.
#[utoipa::path(tag = "communication", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), AuthProblems, NotFoundProblem))]
#[delete("/{id}")]
async fn delete_template(state: web::Data<AppState>, who: Auth<Analyst>, id: PathId) -> Result<HttpResponse, ApiError> {
    state.communication.delete_template(&who, TemplateId(id.0)).await?;
    Ok(HttpResponse::new(StatusCode::NO_CONTENT))
}

/// The templates that fit a mention, rendered for it: the mention's
/// sentiment, and its platform and language where a template names one;
/// most specific first (viewer).
#[utoipa::path(tag = "communication", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = SuggestedRepliesDto), AuthProblems, NotFoundProblem))]
#[get("/{id}/suggested-replies")]
async fn suggested_replies(
    state: web::Data<AppState>,
    who: Auth<Viewer>,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    let replies = state.communication.suggested_replies(&who, MentionId(id.0)).await?;
    Ok(HttpResponse::Ok().json(SuggestedRepliesDto::from(replies)))
}

/// A mention's official answers, oldest first.
#[utoipa::path(tag = "communication", security(("bearer" = [])), params(("id" = Uuid, Path), ListParams),
    responses((status = 200, body = ResponseList), AuthProblems, NotFoundProblem, QueryProblems))]
#[get("/{id}/responses")]
async fn list_responses(
    state: web::Data<AppState>,
    who: Auth<AnyRole>,
    id: PathId,
    q: ValidQuery<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let page = state.communication.responses(&who, MentionId(id.0), q.0.page()?).await?;
    Ok(HttpResponse::Ok().json(ResponseList::from(page)))
}

/// Logs an official answer given to the mention (analyst); the mention
/// becomes `answered`, and the response report counts it.
#[utoipa::path(tag = "communication", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = NewResponseDto,
    responses((status = 201, body = ResponseDto), AuthProblems, NotFoundProblem, BodyProblems))]
#[post("/{id}/responses")]
async fn create_response(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    id: PathId,
    body: ValidJson<NewResponseDto>,
) -> Result<HttpResponse, ApiError> {
    let r = state.communication.respond(&who, MentionId(id.0), body.0.into()).await?;
    Ok(created(format!("/v1/mentions/{}/responses", r.mention_id), &ResponseDto::from(r)))
}

/// Lists placements, oldest first, by brand, kind, platform, mention and
/// `posted_at` period (a `client` sees its brands' only).
#[utoipa::path(tag = "communication", security(("bearer" = [])), params(PlacementQuery),
    responses((status = 200, body = PlacementList), AuthProblems, QueryProblems))]
#[get("")]
async fn list_placements(
    state: web::Data<AppState>,
    who: Auth<AnyRole>,
    q: ValidQuery<PlacementQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = ListParams { limit: q.0.limit, cursor: q.0.cursor.clone() }.page()?;
    if let (Some(from), Some(to)) = (q.0.from, q.0.to)
        && from >= to
    {
        return Err(ApiError::field("to", "must be after `from`"));
    }
    Ok(HttpResponse::Ok().json(PlacementList::from(state.communication.placements(&who, q.0.filter(), page).await?)))
}

/// Logs a placement by the brand's official representatives (analyst).
/// SMRM records and measures this work; it never posts anything.
#[utoipa::path(tag = "communication", security(("bearer" = [])), request_body = NewPlacementDto,
    responses((status = 201, body = PlacementDto), AuthProblems, BodyProblems))]
#[post("")]
async fn create_placement(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    body: ValidJson<NewPlacementDto>,
) -> Result<HttpResponse, ApiError> {
    let p = state.communication.create_placement(&who, body.0.into()).await?;
    Ok(created(format!("/v1/placements/{}", p.id), &PlacementDto::from(p)))
}

/// One placement.
#[utoipa::path(tag = "communication", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = PlacementDto), AuthProblems, NotFoundProblem))]
#[get("/{id}")]
async fn get_placement(state: web::Data<AppState>, who: Auth<AnyRole>, id: PathId) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(PlacementDto::from(state.communication.placement(&who, PlacementId(id.0)).await?)))
}

/// Changes a placement (analyst).
#[utoipa::path(tag = "communication", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = PlacementPatchDto,
    responses((status = 200, body = PlacementDto), AuthProblems, NotFoundProblem, BodyProblems))]
#[patch("/{id}")]
async fn update_placement(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    id: PathId,
    body: ValidJson<PlacementPatchDto>,
) -> Result<HttpResponse, ApiError> {
    let p = state.communication.update_placement(&who, PlacementId(id.0), body.0.into()).await?;
    Ok(HttpResponse::Ok().json(PlacementDto::from(p)))
}

/// Deletes a placement (analyst).
#[utoipa::path(tag = "communication", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), AuthProblems, NotFoundProblem))]
#[delete("/{id}")]
async fn delete_placement(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    state.communication.delete_placement(&who, PlacementId(id.0)).await?;
    Ok(HttpResponse::new(StatusCode::NO_CONTENT))
}
