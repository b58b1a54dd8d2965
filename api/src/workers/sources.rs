//! Polls the sources that are due, each through its kind's connector.
//! Each poll is claimed in the database by moving the source's next poll
//! time, so with several replicas each poll happens once, and never sooner
//! than the source's `poll_seconds`.

use actix_web::web;
use futures_util::StreamExt;

use super::{WORKER_PERIOD, Workers};
use crate::state::AppState;

/// Sources claimed per round, and polled at once.
const BATCH: u64 = 16;
const CONCURRENCY: usize = 4;

pub(super) fn spawn(workers: &mut Workers, state: web::Data<AppState>) {
    workers.spawn("source-poller", WORKER_PERIOD, move |_| {
        let state = state.clone();
        async move {
            let due = match state.sources.claim(BATCH).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming due sources failed");
                    return;
                }
            };
            futures_util::stream::iter(due)
                .for_each_concurrent(CONCURRENCY, |(source, cursor)| {
                    let state = state.clone();
                    async move {
                        if let Err(e) = state.sources.poll(&source, cursor.as_ref()).await {
                            tracing::warn!(error = %e, source = %source.id, "polling a source failed");
                        }
                    }
                })
                .await;
        }
    });
}
