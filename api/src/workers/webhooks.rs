//! Delivers due webhook messages from the outbox. Each message is claimed
//! with a lease in the database, so with several replicas each is sent by
//! one of them.

use actix_web::web;
use futures_util::StreamExt;

use super::{WORKER_PERIOD, Workers};
use crate::state::AppState;

/// Messages claimed per round, and attempts in flight at once.
const BATCH: u64 = 32;
const CONCURRENCY: usize = 8;

pub(super) fn spawn(workers: &mut Workers, state: web::Data<AppState>) {
    workers.spawn("webhook-delivery", WORKER_PERIOD, move |stopping| {
        let state = state.clone();
        async move {
            while !stopping.is_set() {
                let batch = match state.webhooks.claim(BATCH).await {
                    Ok(batch) => batch,
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming webhook messages failed");
                        return;
                    }
                };
                let full = batch.len() as u64 == BATCH;
                futures_util::stream::iter(batch)
                    .for_each_concurrent(CONCURRENCY, |m| {
                        let state = state.clone();
                        async move {
                            let id = m.id;
                            if let Err(e) = state.webhooks.deliver(m).await {
                                tracing::warn!(error = %e, message = %id, "webhook delivery failed; retried when its lease ends");
                            }
                        }
                    })
                    .await;
                if !full {
                    return;
                }
            }
        }
    });
}
