//! The HTTP endpoints. Each handler extracts, calls one domain service and
//! maps the result; authorization is in its signature (`Auth<Role>`).

pub mod access;
pub mod alert_rules;
pub mod brands;
pub(crate) mod common;
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
use utoipa_actix_web::scope::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented endpoint.
///
/// actix matches a request against the registered patterns one by one, and a
/// pattern with a `{param}` runs a regex. Grouping the endpoints in scopes
/// by their static prefix keeps that to the few patterns of one collection
/// (it had been a sixth of a cached report's CPU), and inside a collection
/// the most requested endpoints come first.
pub fn configure(cfg: &mut ServiceConfig) {
    service::configure(cfg);
    cfg.service(crate::routes::service::metrics);
    cfg.service(
        scope("/v1")
            .configure(access::configure)
            .service(scope("/brands").configure(reports::configure_brand).configure(brands::configure))
            .service(scope("/mentions").configure(mentions::configure).configure(communication::configure_responses))
            .service(
                scope("/competitor-sets")
                    .configure(reports::configure_competitor_set)
                    .configure(competitor_sets::configure),
            )
            .service(scope("/users").configure(access::configure_users))
            .service(scope("/api-keys").configure(access::configure_api_keys))
            .service(scope("/response-templates").configure(communication::configure_templates))
            .service(scope("/placements").configure(communication::configure_placements))
            .service(scope("/webhooks").configure(webhooks::configure))
            .service(scope("/alert-rules").configure(alert_rules::configure))
            .service(scope("/sources").configure(sources::configure))
            .service(scope("/credentials").configure(sources::configure_credentials))
            .service(scope("/callbacks").configure(sources::configure_callbacks))
            .service(scope("/sentiment").configure(sentiment::configure)),
    );
}

/// `201 Created` with a `Location` header and the resource.
pub fn created(location: String, body: &impl Serialize) -> HttpResponse {
    HttpResponse::Created().insert_header((LOCATION, location)).json(body)
}
