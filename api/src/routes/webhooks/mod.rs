//! Webhooks: endpoints of the tenant's systems (admin), signed as the
//! Standard Webhooks specification says, and the log of every attempt.

pub mod dto;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use smrm_domain::ids::WebhookId;
use utoipa_actix_web::service_config::ServiceConfig;

use self::dto::{DeliveryList, NewWebhookDto, SecretDto, WebhookCreatedDto, WebhookDto, WebhookList, WebhookPatchDto};
use crate::auth::{Admin, Auth};
use crate::extract::{ListParams, PathId, ValidJson, ValidQuery};
use crate::problem::*;
use crate::routes::created;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_one)
        .service(update)
        .service(remove)
        .service(rotate)
        .service(deliveries);
}

/// Lists the webhook endpoints, oldest first (admin).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = WebhookList), AuthProblems, QueryProblems))]
#[get("")]
async fn list(
    state: web::Data<AppState>,
    who: Auth<Admin>,
    q: ValidQuery<ListParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(WebhookList::from(state.webhooks.list(&who, q.0.page()?).await?)))
}

/// Creates a webhook endpoint (admin). The answer carries its signing
/// secret, shown this once. Each event is POSTed as
/// `{"type", "timestamp", "data"}` with the headers `webhook-id`,
/// `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
/// id.timestamp.body>` keyed with the secret's bytes). Failed attempts are
/// retried on `SMRM_WEBHOOK_RETRY_SECONDS`; after the last one (or a 410)
/// the endpoint is disabled.
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), request_body = NewWebhookDto,
    responses((status = 201, body = WebhookCreatedDto), AuthProblems, BodyProblems, ConflictProblem))]
#[post("")]
async fn create(
    state: web::Data<AppState>,
    who: Auth<Admin>,
    body: ValidJson<NewWebhookDto>,
) -> Result<HttpResponse, ApiError> {
    let (w, secret) = state.webhooks.create(&who, body.0.into()).await?;
    Ok(created(format!("/v1/webhooks/{}", w.id), &WebhookCreatedDto { webhook: w.into(), secret }))
}

/// One webhook endpoint (admin).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookDto), AuthProblems, NotFoundProblem))]
#[get("/{id}")]
async fn get_one(state: web::Data<AppState>, who: Auth<Admin>, id: PathId) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(WebhookDto::from(state.webhooks.get(&who, WebhookId(id.0)).await?)))
}

/// Changes a webhook endpoint (admin); `enabled: true` resumes deliveries
/// after SMRM disabled it.
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = WebhookPatchDto,
    responses((status = 200, body = WebhookDto), AuthProblems, NotFoundProblem, BodyProblems))]
#[patch("/{id}")]
async fn update(
    state: web::Data<AppState>,
    who: Auth<Admin>,
    id: PathId,
    body: ValidJson<WebhookPatchDto>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(WebhookDto::from(state.webhooks.update(&who, WebhookId(id.0), body.0.into()).await?)))
}

/// Deletes a webhook endpoint with its pending messages and its log (admin).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), AuthProblems, NotFoundProblem))]
#[delete("/{id}")]
async fn remove(state: web::Data<AppState>, who: Auth<Admin>, id: PathId) -> Result<HttpResponse, ApiError> {
    state.webhooks.delete(&who, WebhookId(id.0)).await?;
    Ok(HttpResponse::new(StatusCode::NO_CONTENT))
}

/// A new signing secret, shown this once (admin). For 24 hours every request
/// is signed with both secrets (two entries in `webhook-signature`), so the
/// receiver can switch over without losing a message.
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = SecretDto), AuthProblems, NotFoundProblem))]
#[post("/{id}/rotate-secret")]
async fn rotate(state: web::Data<AppState>, who: Auth<Admin>, id: PathId) -> Result<HttpResponse, ApiError> {
    let (secret, previous_valid_until) = state.webhooks.rotate_secret(&who, WebhookId(id.0)).await?;
    Ok(HttpResponse::Ok().json(SecretDto { secret, previous_valid_until }))
}

/// Every delivery attempt to the endpoint, newest first (admin).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = Uuid, Path), ListParams),
    responses((status = 200, body = DeliveryList), AuthProblems, NotFoundProblem, QueryProblems))]
#[get("/{id}/deliveries")]
async fn deliveries(
    state: web::Data<AppState>,
    who: Auth<Admin>,
    id: PathId,
    q: ValidQuery<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let page = state.webhooks.deliveries(&who, WebhookId(id.0), q.0.page()?).await?;
    Ok(HttpResponse::Ok().json(DeliveryList::from(page)))
}
