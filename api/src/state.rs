//! What every handler can reach: the domain services and a few API-level parts.

use std::sync::Arc;

use actix_web::HttpRequest;
use actix_web::web::Data;
use smrm_domain::ports::{Clock, IdempotencyStore, Lookups, Readiness, ReportCache};
use smrm_domain::services::access::AccessService;
use smrm_domain::services::alerts::AlertService;
use smrm_domain::services::brands::BrandService;
use smrm_domain::services::communication::CommunicationService;
use smrm_domain::services::competitor_sets::CompetitorSetService;
use smrm_domain::services::mentions::MentionService;
use smrm_domain::services::reports::ReportService;
use smrm_domain::services::sentiment::SentimentService;
use smrm_domain::services::sources::{CredentialService, SourceService};
use smrm_domain::services::webhooks::WebhookService;

use crate::auth::tokens::TokenIssuer;
use crate::config::Config;

pub struct AppState {
    pub config: Config,
    pub access: AccessService,
    pub brands: BrandService,
    pub communication: CommunicationService,
    pub sets: CompetitorSetService,
    pub mentions: Arc<MentionService>,
    pub reports: ReportService,
    pub webhooks: WebhookService,
    pub alerts: Arc<AlertService>,
    pub sources: SourceService,
    pub credentials: CredentialService,
    pub sentiment: SentimentService,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub readiness: Arc<dyn Readiness>,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    pub cache: Arc<dyn ReportCache>,
    pub tokens: TokenIssuer,
    pub rate_limits: crate::limits::RateLimits,
    pub metrics: Arc<crate::telemetry::Metrics>,
    pub clock: Arc<dyn Clock>,
    /// Callers, brands and time zones remembered for a few seconds.
    pub lookups: Arc<dyn Lookups>,
}

impl AppState {
    /// The state of the app serving `req` (always registered by `startup`).
    pub fn of(req: &HttpRequest) -> &AppState {
        req.app_data::<Data<AppState>>().expect("AppState is registered").get_ref()
    }
}
