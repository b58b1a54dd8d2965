//! Runs pending backfills (claimed in the database, so with several
//! replicas each runs once) and finishes brand deletions cut short.

use actix_web::web;

use super::{WORKER_PERIOD, Workers};
use crate::state::AppState;

pub(super) fn spawn(workers: &mut Workers, state: web::Data<AppState>) {
    workers.spawn("backfill", WORKER_PERIOD, move |stopping| {
        let state = state.clone();
        async move {
            if let Err(e) = state.brands.purge_deleted().await {
                tracing::warn!(error = %e, "purging a deleted brand's mentions failed; it is tried again");
            }
            let stop = || stopping.is_set();
            while !stopping.is_set() {
                match state.mentions.backfill_once(&stop).await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "backfill failed; it is retried once its claim goes stale");
                        break;
                    }
                }
            }
        }
    });
}
