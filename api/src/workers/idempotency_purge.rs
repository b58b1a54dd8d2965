//! Forgets idempotency keys older than their lifetime (24 hours), hourly.

use std::time::Duration;

use actix_web::web;

use super::Workers;
use crate::middleware::idempotency;
use crate::state::AppState;

const PERIOD: Duration = Duration::from_secs(3600);

pub(super) fn spawn(workers: &mut Workers, state: web::Data<AppState>) {
    workers.spawn("idempotency-purge", PERIOD, move |_| {
        let state = state.clone();
        async move {
            let before = state.clock.now() - chrono::Duration::from_std(idempotency::TTL).unwrap_or_default();
            match state.idempotency.purge(before).await {
                Ok(n) if n > 0 => tracing::info!(purged = n, "expired idempotency keys removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "idempotency purge failed"),
            }
        }
    });
}
