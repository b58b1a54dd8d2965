//! Liveness and readiness.

pub mod dto;

use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use self::dto::HealthDto;
use crate::problem::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

/// The process is up.
#[utoipa::path(tag = "service", responses((status = 200, body = HealthDto)))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthDto { status: "ok", database: None, cache: None })
}

/// The database answers (200), or not (503): take the replica out of rotation.
#[utoipa::path(tag = "service", responses((status = 200, body = HealthDto), crate::problem::UnavailableProblem))]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.readiness.ready().await?;
    Ok(HttpResponse::Ok().json(HealthDto {
        status: "ok",
        database: Some(state.database),
        cache: Some(state.cache.backend()),
    }))
}

/// Prometheus metrics of this replica (not under `/v1`, no credentials:
/// expose it to the monitoring network only).
#[utoipa::path(tag = "service", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let body = state.metrics.render(state.readiness.pool());
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(body)
}
