//! Trains the sentiment adaptations of tenants whose corrections moved on,
//! one at a time across replicas (a claim per tenant), until none is due.

use actix_web::web;

use super::{WORKER_PERIOD, Workers};
use crate::state::AppState;

pub(super) fn spawn(workers: &mut Workers, state: web::Data<AppState>) {
    workers.spawn("sentiment-adaptation", WORKER_PERIOD, move |stopping| {
        let state = state.clone();
        async move {
            while !stopping.is_set() {
                match state.sentiment.adapt_once().await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "sentiment adaptation failed; retrying later");
                        break;
                    }
                }
            }
        }
    });
}
