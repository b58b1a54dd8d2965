//! Delivers due webhook messages from the outbox. Each message is claimed
//! with a lease in the database, so with several replicas each is sent by
//! one of them.
//!
//! Fair between tenants: a claim takes every tenant's most overdue message
//! before anyone's second, deliveries go on concurrently with at most
//! `PER_TENANT` of one tenant in flight on a replica, and a tenant whose
//! slots are full is left out of the next claim. A tenant's hundred dead
//! endpoints (each attempt waiting out its timeout) hold that tenant's slots,
//! never everyone's; new messages are claimed as soon as any slot frees up.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::web;
use smrm_domain::ids::TenantId;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{InRuntime, WORKER_PERIOD, Workers, reap, report};
use crate::state::AppState;

/// Attempts in flight per replica at most.
const IN_FLIGHT: usize = 32;
/// Attempts of one tenant in flight per replica at most.
const PER_TENANT: usize = 4;

pub(super) fn spawn(workers: &mut Workers, state: web::Data<AppState>) {
    workers.spawn_task("webhook-delivery", move |mut stopping| async move {
        let mut per_tenant: HashMap<TenantId, Arc<Semaphore>> = HashMap::new();
        let mut running = JoinSet::new();
        let mut tick = actix_web::rt::time::interval(WORKER_PERIOD);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    loop {
                        // A tenant is busy while its claimed messages fill its
                        // slots; a tenant with nothing in flight is forgotten.
                        per_tenant.retain(|_, slots| Arc::strong_count(slots) > 1);
                        let busy: Vec<TenantId> = per_tenant
                            .iter()
                            .filter(|(_, slots)| Arc::strong_count(slots) > PER_TENANT)
                            .map(|(t, _)| *t)
                            .collect();
                        let want = IN_FLIGHT.saturating_sub(reap(&mut running, "a webhook delivery"));
                        if want == 0 {
                            break;
                        }
                        let due = match state.webhooks.claim(want as u64, PER_TENANT as u64, &busy).await {
                            Ok(due) => due,
                            Err(e) => {
                                tracing::warn!(error = %e, "claiming webhook messages failed");
                                break;
                            }
                        };
                        let full = due.len() == want;
                        for m in due {
                            let slots = per_tenant
                                .entry(m.tenant_id)
                                .or_insert_with(|| Arc::new(Semaphore::new(PER_TENANT)))
                                .clone();
                            let state = state.clone();
                            running.spawn_local(InRuntime::new(async move {
                                let _slot = slots.acquire().await;
                                let id = m.id;
                                if let Err(e) = state.webhooks.deliver(m).await {
                                    tracing::warn!(error = %e, message = %id, "webhook delivery failed; retried when its lease ends");
                                }
                            }));
                        }
                        if !full {
                            break;
                        }
                    }
                }
                Some(done) = running.join_next(), if !running.is_empty() => report(done, "a webhook delivery"),
                () = stopping.wait() => break,
            }
        }
        // Attempts in flight finish and are recorded.
        while running.join_next().await.is_some() {}
    });
}
