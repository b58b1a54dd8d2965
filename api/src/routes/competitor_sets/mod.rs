//! Competitor sets.

pub mod dto;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use smrm_domain::ids::CompetitorSetId;
use utoipa_actix_web::service_config::ServiceConfig;

use self::dto::{CompetitorSetDto, CompetitorSetList, CompetitorSetPatchDto, NewCompetitorSetDto};
use crate::auth::{Analyst, AnyRole, Auth};
use crate::extract::{ListParams, PathId, ValidJson, ValidQuery};
use crate::problem::*;
use crate::routes::created;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(create).service(get_one).service(update).service(remove);
}

/// Lists competitor sets, oldest first (a `client` sees the sets of its brands).
#[utoipa::path(tag = "competitor-sets", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = CompetitorSetList), AuthProblems, QueryProblems))]
#[get("")]
async fn list(
    state: web::Data<AppState>,
    who: Auth<AnyRole>,
    q: ValidQuery<ListParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(CompetitorSetList::from(state.sets.list(&who, q.0.page()?).await?)))
}

/// Creates a competitor set (analyst); every id must be a brand of the tenant.
#[utoipa::path(tag = "competitor-sets", security(("bearer" = [])), request_body = NewCompetitorSetDto,
    responses((status = 201, body = CompetitorSetDto), AuthProblems, BodyProblems))]
#[post("")]
async fn create(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    body: ValidJson<NewCompetitorSetDto>,
) -> Result<HttpResponse, ApiError> {
    let set = state.sets.create(&who, body.0.into()).await?;
    Ok(created(format!("/v1/competitor-sets/{}", set.id), &CompetitorSetDto::from(set)))
}

/// One competitor set.
#[utoipa::path(tag = "competitor-sets", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = CompetitorSetDto), AuthProblems, NotFoundProblem))]
#[get("/{id}")]
async fn get_one(state: web::Data<AppState>, who: Auth<AnyRole>, id: PathId) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(CompetitorSetDto::from(state.sets.get(&who, CompetitorSetId(id.0)).await?)))
}

/// Changes a competitor set (analyst).
#[utoipa::path(tag = "competitor-sets", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = CompetitorSetPatchDto,
    responses((status = 200, body = CompetitorSetDto), AuthProblems, NotFoundProblem, BodyProblems))]
#[patch("/{id}")]
async fn update(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    id: PathId,
    body: ValidJson<CompetitorSetPatchDto>,
) -> Result<HttpResponse, ApiError> {
    let set = state.sets.update(&who, CompetitorSetId(id.0), body.0.into()).await?;
    Ok(HttpResponse::Ok().json(CompetitorSetDto::from(set)))
}

/// Deletes a competitor set (analyst); its brands stay.
#[utoipa::path(tag = "competitor-sets", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), AuthProblems, NotFoundProblem))]
#[delete("/{id}")]
async fn remove(state: web::Data<AppState>, who: Auth<Analyst>, id: PathId) -> Result<HttpResponse, ApiError> {
    state.sets.delete(&who, CompetitorSetId(id.0)).await?;
    Ok(HttpResponse::new(StatusCode::NO_CONTENT))
}
