//! The tenant's sentiment model: what it learnt from corrections, its own
//! model service, and scoring texts on demand.

pub mod dto;

use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Admin, Auth, Viewer};
use crate::extract::ValidJson;
use crate::problem::*;
use crate::routes::sentiment::dto::{AnalyzeDto, AnalyzeResultDto, SentimentModelDto, SentimentModelInputDto};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(model).service(set_model).service(analyze);
}

/// The tenant's sentiment model (viewer): the built-in model and its
/// adaptation to the tenant's corrections, or the tenant's model service.
#[utoipa::path(tag = "sentiment", security(("bearer" = [])),
    responses((status = 200, body = SentimentModelDto), AuthProblems))]
#[get("/model")]
async fn model(state: web::Data<AppState>, who: Auth<Viewer>) -> Result<HttpResponse, ApiError> {
    let s = state.sentiment.state(&who).await?;
    Ok(HttpResponse::Ok().json(SentimentModelDto::new(s, state.sentiment.builtin_version())))
}

/// Chooses the tenant's model (admin): its own HTTP model service, or the
/// built-in model (`endpoint: null`). Corrections keep adapting the built-in
/// model either way, which also answers whenever the service fails.
#[utoipa::path(tag = "sentiment", security(("bearer" = [])), request_body = SentimentModelInputDto,
    responses((status = 200, body = SentimentModelDto), AuthProblems, BodyProblems))]
#[put("/model")]
async fn set_model(
    state: web::Data<AppState>,
    who: Auth<Admin>,
    body: ValidJson<SentimentModelInputDto>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = body.0.endpoint.map(|e| (e.url, e.timeout_ms));
    let s = state.sentiment.set_endpoint(&who, endpoint).await?;
    Ok(HttpResponse::Ok().json(SentimentModelDto::new(s, state.sentiment.builtin_version())))
}

/// Scores texts as the tenant's next posts would be scored (viewer): with its
/// adaptation, or by its model service; each toward its target when
/// `targets` names one (as a mention is scored toward its brand), else the
/// whole text. Nothing is stored.
#[utoipa::path(tag = "sentiment", security(("bearer" = [])), request_body = AnalyzeDto,
    responses((status = 200, body = AnalyzeResultDto), AuthProblems, BodyProblems))]
#[post("/analyze")]
async fn analyze(
    state: web::Data<AppState>,
    who: Auth<Viewer>,
    body: ValidJson<AnalyzeDto>,
) -> Result<HttpResponse, ApiError> {
    let AnalyzeDto { texts, targets, language } = body.0;
    let scores = state.sentiment.analyze(&who, &texts, targets.as_deref(), language.as_deref()).await?;
    Ok(HttpResponse::Ok().json(AnalyzeResultDto::from(scores)))
}
