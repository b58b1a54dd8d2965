//! Pull sources (RSS and Atom feeds for online media): SMRM polls them and
//! stores their entries as posts, through the same pipeline as pushed ones.

pub mod dto;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use smrm_domain::ids::SourceId;
use utoipa_actix_web::service_config::ServiceConfig;

use self::dto::{NewSourceDto, SourceDto, SourceList, SourcePatchDto};
use crate::auth::{Analyst, Auth, Viewer};
use crate::extract::{ListParams, PathId, ValidJson, ValidQuery};
use crate::problem::*;
use crate::routes::created;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(create).service(get_one).service(update).service(remove);
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

/// Adds a feed to poll (analyst). It is polled at once, then no more often
/// than `poll_seconds`, with `If-None-Match` / `If-Modified-Since`; each
/// poll's success or error is recorded on the source.
#[utoipa::path(tag = "sources", security(("bearer" = [])), request_body = NewSourceDto,
    responses((status = 201, body = SourceDto), AuthProblems, BodyProblems))]
#[post("")]
async fn create(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    body: ValidJson<NewSourceDto>,
) -> Result<HttpResponse, ApiError> {
    let s = state.sources.create(&who, body.0.into()).await?;
    Ok(created(format!("/v1/sources/{}", s.id), &SourceDto::from(s)))
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
    Ok(HttpResponse::Ok().json(SourceDto::from(state.sources.update(&who, SourceId(id.0), body.0.into()).await?)))
}

/// Stops polling and deletes a source (analyst); the posts it brought stay.
#[utoipa::path(tag = "sources", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), AuthProblems, NotFoundProblem))]
#[delete("/{id}")]
async fn remove(state: web::Data<AppState>, who: Auth<Analyst>, id: PathId) -> Result<HttpResponse, ApiError> {
    state.sources.delete(&who, SourceId(id.0)).await?;
    Ok(HttpResponse::new(StatusCode::NO_CONTENT))
}
