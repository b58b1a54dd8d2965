//! The background workers: one module per loop, each a small loop over a
//! domain service, started by the composition root and stopped gracefully.
//!
//! Every worker claims its work in the database (a lease or a claim
//! column), so with several replicas each piece of work is done once, and a
//! replica that dies leaves nothing half-done: its claims go stale and are
//! taken again. On shutdown the workers are told to stop, finish (or end
//! early, at a safe point) the step they are in, and are awaited inside the
//! runtime, so no database connection is dropped after the runtime is gone.

mod adaptation;
mod backfill;
mod idempotency_purge;
mod sources;
mod webhooks;

use std::time::Duration;

use actix_web::web;

use crate::state::AppState;

/// How often the database-driven workers look for work.
const WORKER_PERIOD: Duration = Duration::from_millis(500);

/// Starts every background worker of a replica.
pub(crate) fn start(state: &web::Data<AppState>) -> Workers {
    let mut workers = Workers::new();
    idempotency_purge::spawn(&mut workers, state.clone());
    backfill::spawn(&mut workers, state.clone());
    webhooks::spawn(&mut workers, state.clone());
    sources::spawn(&mut workers, state.clone());
    adaptation::spawn(&mut workers, state.clone());
    workers
}

/// Tells a worker's step that the process is stopping, so a long step can
/// end early at a point where nothing is half-written.
#[derive(Clone)]
pub struct Stopping(tokio::sync::watch::Receiver<bool>);

impl Stopping {
    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the process is stopping.
    pub async fn wait(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// How long a stopping worker may take to finish its current step before
/// it is cancelled (what it wrote is whole: each step's writes are
/// transactions, and a cancelled claim is taken again once it goes stale).
const WORKER_SHUTDOWN: Duration = Duration::from_secs(30);

/// The background workers: their stop signal and their tasks.
pub(crate) struct Workers {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<(&'static str, tokio::task::JoinHandle<()>)>,
}

impl Workers {
    fn new() -> Self {
        Self { stop: tokio::sync::watch::channel(false).0, tasks: Vec::new() }
    }

    /// Runs `step` every `period` until the workers are stopped; a step in
    /// progress then finishes first (it is told through `Stopping`).
    fn spawn<F, Fut>(&mut self, name: &'static str, period: Duration, mut step: F)
    where
        F: FnMut(Stopping) -> Fut + 'static,
        Fut: std::future::Future<Output = ()>,
    {
        let mut stopped = self.stop.subscribe();
        let stopping = Stopping(stopped.clone());
        let task = actix_web::rt::spawn(InRuntime::new(async move {
            let mut tick = actix_web::rt::time::interval(period);
            loop {
                tokio::select! {
                    _ = tick.tick() => step(stopping.clone()).await,
                    _ = stopped.changed() => break,
                }
                if stopping.is_set() {
                    break;
                }
            }
        }));
        self.tasks.push((name, task));
    }

    /// Runs a worker that keeps its own loop (and work in flight across
    /// rounds); it must return soon after `Stopping` is set.
    fn spawn_task<F, Fut>(&mut self, name: &'static str, run: F)
    where
        F: FnOnce(Stopping) -> Fut,
        Fut: std::future::Future<Output = ()> + 'static,
    {
        let stopping = Stopping(self.stop.subscribe());
        let task = actix_web::rt::spawn(InRuntime::new(run(stopping)));
        self.tasks.push((name, task));
    }

    /// Tells every worker to stop and waits for each, inside the runtime:
    /// their database connections go back to the pool before it closes. A
    /// worker still busy `WORKER_SHUTDOWN` after the signal is cancelled.
    pub(crate) async fn stop(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        let mut panicked = Vec::new();
        // One deadline for all of them, not one each.
        let deadline = tokio::time::Instant::now() + WORKER_SHUTDOWN;
        for (name, mut task) in self.tasks {
            let joined = match tokio::time::timeout_at(deadline, &mut task).await {
                Ok(joined) => joined,
                Err(_) => {
                    tracing::warn!(worker = name, "a worker did not stop in time; cancelled");
                    task.abort();
                    task.await
                }
            };
            if joined.is_err_and(|e| e.is_panic()) {
                panicked.push(name);
            }
        }
        if panicked.is_empty() {
            tracing::info!("background workers stopped");
            Ok(())
        } else {
            Err(std::io::Error::other(format!("background workers panicked: {}", panicked.join(", "))))
        }
    }
}

/// A spawned future that, if the runtime is torn down under it (a test
/// that ends without stopping its server), is dropped with the runtime's
/// context entered: the database pool returns a connection by spawning a
/// task, which outside a Tokio context is a panic.
/// Drains the finished tasks of a worker's `running` set now, logging any
/// that panicked, and returns how many are still running.
pub(super) fn reap(running: &mut tokio::task::JoinSet<()>, what: &str) -> usize {
    while let Some(done) = running.try_join_next() {
        report(done, what);
    }
    running.len()
}

/// Logs a task of a worker that panicked.
pub(super) fn report(done: Result<(), tokio::task::JoinError>, what: &str) {
    if let Err(e) = done
        && e.is_panic()
    {
        tracing::error!(error = %e, "{what} panicked");
    }
}

pub(super) struct InRuntime<F> {
    future: Option<std::pin::Pin<Box<F>>>,
    runtime: tokio::runtime::Handle,
}

impl<F: std::future::Future> InRuntime<F> {
    pub(super) fn new(future: F) -> Self {
        Self { future: Some(Box::pin(future)), runtime: tokio::runtime::Handle::current() }
    }
}

impl<F: std::future::Future> std::future::Future for InRuntime<F> {
    type Output = F::Output;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        match self.future.as_mut() {
            Some(f) => f.as_mut().poll(cx),
            None => std::task::Poll::Pending,
        }
    }
}

impl<F> Drop for InRuntime<F> {
    fn drop(&mut self) {
        let _entered = self.runtime.enter();
        self.future.take();
    }
}
