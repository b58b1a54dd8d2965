//! Alert rules: negative and volume spikes per brand, delivered as
//! `alert.triggered` webhook events.

pub mod dto;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use smrm_domain::ids::AlertRuleId;
use utoipa_actix_web::service_config::ServiceConfig;

use self::dto::{AlertList, AlertRuleDto, AlertRuleList, AlertRulePatchDto, NewAlertRuleDto};
use crate::auth::{Analyst, AnyRole, Auth};
use crate::extract::{ListParams, PathId, ValidJson, ValidQuery};
use crate::problem::*;
use crate::routes::created;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(create).service(get_one).service(update).service(remove).service(alerts);
}

/// Lists alert rules, oldest first (a `client` sees its brands' only).
#[utoipa::path(tag = "alerts", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = AlertRuleList), AuthProblems, QueryProblems))]
#[get("")]
async fn list(
    state: web::Data<AppState>,
    who: Auth<AnyRole>,
    q: ValidQuery<ListParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(AlertRuleList::from(state.alerts.list(&who, q.0.page()?).await?)))
}

/// Creates an alert rule (analyst). It fires when the last `window_minutes`
/// (by `published_at`) hold at least `threshold` mentions of the brand
/// (negative ones for `negative_spike`) and at least twice the baseline, the
/// mean per window over the 24 windows before; at most once per window.
#[utoipa::path(tag = "alerts", security(("bearer" = [])), request_body = NewAlertRuleDto,
    responses((status = 201, body = AlertRuleDto), AuthProblems, BodyProblems, ConflictProblem))]
#[post("")]
async fn create(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    body: ValidJson<NewAlertRuleDto>,
) -> Result<HttpResponse, ApiError> {
    let r = state.alerts.create(&who, body.0.into()).await?;
    Ok(created(format!("/v1/alert-rules/{}", r.id), &AlertRuleDto::from(r)))
}

/// One alert rule.
#[utoipa::path(tag = "alerts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = AlertRuleDto), AuthProblems, NotFoundProblem))]
#[get("/{id}")]
async fn get_one(state: web::Data<AppState>, who: Auth<AnyRole>, id: PathId) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(AlertRuleDto::from(state.alerts.get(&who, AlertRuleId(id.0)).await?)))
}

/// Changes an alert rule (analyst).
#[utoipa::path(tag = "alerts", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = AlertRulePatchDto,
    responses((status = 200, body = AlertRuleDto), AuthProblems, NotFoundProblem, BodyProblems))]
#[patch("/{id}")]
async fn update(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    id: PathId,
    body: ValidJson<AlertRulePatchDto>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(AlertRuleDto::from(state.alerts.update(&who, AlertRuleId(id.0), body.0.into()).await?)))
}

/// Deletes an alert rule (analyst).
#[utoipa::path(tag = "alerts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), AuthProblems, NotFoundProblem))]
#[delete("/{id}")]
async fn remove(state: web::Data<AppState>, who: Auth<Analyst>, id: PathId) -> Result<HttpResponse, ApiError> {
    state.alerts.delete(&who, AlertRuleId(id.0)).await?;
    Ok(HttpResponse::new(StatusCode::NO_CONTENT))
}

/// The alerts a rule fired, newest first.
#[utoipa::path(tag = "alerts", security(("bearer" = [])), params(("id" = Uuid, Path), ListParams),
    responses((status = 200, body = AlertList), AuthProblems, NotFoundProblem, QueryProblems))]
#[get("/{id}/alerts")]
async fn alerts(
    state: web::Data<AppState>,
    who: Auth<AnyRole>,
    id: PathId,
    q: ValidQuery<ListParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(AlertList::from(state.alerts.alerts(&who, AlertRuleId(id.0), q.0.page()?).await?)))
}
