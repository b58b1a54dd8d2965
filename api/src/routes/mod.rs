//! The HTTP endpoints. Each handler extracts, calls one domain service and
//! maps the result; authorization is in its signature (`Auth<Role>`).

pub mod access;
pub mod alert_rules;
pub mod brands;
pub mod communication;
pub mod competitor_sets;
pub mod mentions;
pub mod reports;
pub mod sentiment;
pub mod service;
pub mod sources;
pub mod webhooks;

use actix_web::HttpResponse;
use actix_web::http::header::LOCATION;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented endpoint.
pub fn configure(cfg: &mut ServiceConfig) {
    service::configure(cfg);
    cfg.service(crate::metrics::metrics);
    access::configure(cfg);
    brands::configure(cfg);
    communication::configure(cfg);
    competitor_sets::configure(cfg);
    mentions::configure(cfg);
    reports::configure(cfg);
    webhooks::configure(cfg);
    alert_rules::configure(cfg);
    sources::configure(cfg);
    sentiment::configure(cfg);
}

/// `201 Created` with a `Location` header and the resource.
pub fn created(location: String, body: &impl Serialize) -> HttpResponse {
    HttpResponse::Created().insert_header((LOCATION, location)).json(body)
}
