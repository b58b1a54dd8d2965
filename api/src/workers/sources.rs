//! Runs the sources that are due, each through its kind's connector.
//!
//! Each run is claimed in the database by moving the source's next run
//! time, so with several replicas each run happens once, and never sooner
//! than the source's `poll_seconds`; the claim takes every tenant's most
//! overdue source before anyone's second. Runs go on concurrently, bounded
//! per replica and per kind of source, and a slow platform holds only its
//! own runs: new ones are claimed as soon as any slot frees up.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::web;
use smrm_domain::model::sources::SourceKind;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{InRuntime, WORKER_PERIOD, Workers, reap, report};
use crate::state::AppState;

/// Runs in flight per replica at most.
const IN_FLIGHT: usize = 32;
/// Runs in flight per kind of source at most (one platform's slowness
/// cannot take every slot).
const PER_KIND: usize = 8;
/// Sources claimed per query at most.
const BATCH: usize = 32;

pub(super) fn spawn(workers: &mut Workers, state: web::Data<AppState>) {
    workers.spawn_task("source-poller", move |mut stopping| async move {
        let mut per_kind: HashMap<SourceKind, Arc<Semaphore>> = HashMap::new();
        // Each run is a task of its own: it goes on while this loop awaits
        // the next claim (which may wait for the database connection a run
        // holds).
        let mut running = JoinSet::new();
        let mut tick = actix_web::rt::time::interval(WORKER_PERIOD);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    // Claims again at once while the claims come back full
                    // and slots are free: a backlog is worked off at the
                    // speed of the runs, not one batch per tick.
                    loop {
                        let want = IN_FLIGHT.saturating_sub(reap(&mut running, "a source run")).min(BATCH);
                        if want == 0 {
                            break;
                        }
                        let due = match state.sources.claim(want as u64).await {
                            Ok(due) => due,
                            Err(e) => {
                                tracing::warn!(error = %e, "claiming due sources failed");
                                break;
                            }
                        };
                        let full = due.len() == want;
                        for (source, cursor) in due {
                            let slots = per_kind.entry(source.kind()).or_insert_with(|| Arc::new(Semaphore::new(PER_KIND))).clone();
                            let state = state.clone();
                            running.spawn_local(InRuntime::new(async move {
                                let _slot = slots.acquire_owned().await;
                                if let Err(e) = state.sources.poll(&source, cursor.as_ref()).await {
                                    tracing::warn!(error = %e, source = %source.id, "running a source failed");
                                }
                            }));
                        }
                        if !full {
                            break;
                        }
                    }
                }
                Some(done) = running.join_next(), if !running.is_empty() => report(done, "a source run"),
                () = stopping.wait() => break,
            }
        }
        // Runs in flight finish: each records its outcome whole.
        while running.join_next().await.is_some() {}
    });
}
