//! Brands and their monitoring queries.

pub mod dto;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use smrm_domain::ids::BrandId;
use utoipa_actix_web::service_config::ServiceConfig;

use self::dto::{BrandDto, BrandList, BrandPatchDto, BrandPreviewRequest, BrandPreviewResponse, NewBrandDto};
use crate::auth::{Analyst, AnyRole, Auth};
use crate::extract::{ListParams, PathId, ValidJson, ValidQuery};
use crate::problem::*;
use crate::routes::created;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(preview).service(list).service(create).service(get_one).service(update).service(remove);
}

/// Shows which texts a query would match, with the matched words: write
/// queries without guesswork. Same matching as ingest: Russian and English
/// stems, word boundaries, hashtags, phrases, exact forms in double quotes,
/// exclusions (analyst).
#[utoipa::path(tag = "brands", security(("bearer" = [])), request_body = BrandPreviewRequest,
    responses((status = 200, body = BrandPreviewResponse), AuthProblems, BodyProblems))]
#[post("/preview")]
async fn preview(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    body: ValidJson<BrandPreviewRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(BrandPreviewResponse::from(state.brands.preview(&who, body.0.into()).await?)))
}

/// Lists brands, oldest first (a `client` sees only its own).
#[utoipa::path(tag = "brands", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = BrandList), AuthProblems, QueryProblems))]
#[get("")]
async fn list(
    state: web::Data<AppState>,
    who: Auth<AnyRole>,
    q: ValidQuery<ListParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(BrandList::from(state.brands.list(&who, q.0.page()?).await?)))
}

/// Creates a brand (analyst).
#[utoipa::path(tag = "brands", security(("bearer" = [])), request_body = NewBrandDto,
    responses((status = 201, body = BrandDto), AuthProblems, BodyProblems, ConflictProblem))]
#[post("")]
async fn create(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    body: ValidJson<NewBrandDto>,
) -> Result<HttpResponse, ApiError> {
    let brand = state.brands.create(&who, body.0.into()).await?;
    Ok(created(format!("/v1/brands/{}", brand.id), &BrandDto::from(brand)))
}

/// One brand.
#[utoipa::path(tag = "brands", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = BrandDto), AuthProblems, NotFoundProblem))]
#[get("/{id}")]
async fn get_one(state: web::Data<AppState>, who: Auth<AnyRole>, id: PathId) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(BrandDto::from(state.brands.get(&who, BrandId(id.0)).await?)))
}

/// Changes a brand's name or query (analyst).
#[utoipa::path(tag = "brands", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = BrandPatchDto,
    responses((status = 200, body = BrandDto), AuthProblems, NotFoundProblem, BodyProblems, ConflictProblem))]
#[patch("/{id}")]
async fn update(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    id: PathId,
    body: ValidJson<BrandPatchDto>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(BrandDto::from(state.brands.update(&who, BrandId(id.0), body.0.into()).await?)))
}

/// Deletes a brand (analyst). A brand that a competitor set uses answers 409
/// naming the sets.
#[utoipa::path(tag = "brands", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), AuthProblems, NotFoundProblem, ConflictProblem))]
#[delete("/{id}")]
async fn remove(state: web::Data<AppState>, who: Auth<Analyst>, id: PathId) -> Result<HttpResponse, ApiError> {
    state.brands.delete(&who, BrandId(id.0)).await?;
    Ok(HttpResponse::new(StatusCode::NO_CONTENT))
}
