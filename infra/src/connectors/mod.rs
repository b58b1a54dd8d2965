//! Pull connectors: one module per platform, each implementing the
//! domain's `Connector` port over the shared outbound client. A connector
//! knows its platform's API and maps its answers into posts and its errors
//! into `ConnectorError`; the poller does the rest (claims, cursors,
//! ingest, retries), the same for every platform.
//!
//! Adding a platform: a module here, and one `.with(…)` in the composition
//! root (`api/src/startup.rs`).

pub mod hn;
pub mod reddit;
pub mod rss;
pub mod telegram;
pub mod vk;
pub mod windows;
pub mod youtube;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use smrm_domain::model::sources::{ConnectorError, SourceKind};
use smrm_domain::ports::Telemetry;

use crate::outbound::{Http, describe, read_limited};

/// The largest answer a platform's API may give one call.
pub const ANSWER_MAX_BYTES: usize = 8 * 1024 * 1024;
/// The longest a call waits for its platform's rate limit before the run
/// gives up and is retried later: a source sharing a busy key must not
/// hold a worker (and the sources behind it) for long.
const PACE_WAIT_MAX: Duration = Duration::from_secs(5);

/// Spaces calls with one key (a credential, or the server's address for
/// keyless APIs) so that a platform's published rate is never exceeded
/// from this replica: each call takes the next free slot.
pub struct Pacer {
    interval: Duration,
    next: Mutex<HashMap<String, Instant>>,
}

impl Pacer {
    /// At most `calls` per `per`.
    pub fn new(calls: u32, per: Duration) -> Self {
        Self::spaced(per / calls.max(1))
    }

    /// Calls at least `interval` apart.
    pub fn spaced(interval: Duration) -> Self {
        Self { interval, next: Mutex::new(HashMap::new()) }
    }

    /// Waits for the key's next slot; rate-limited when it is too far off.
    async fn wait(&self, key: &str) -> Result<Duration, ConnectorError> {
        let now = Instant::now();
        let slot = {
            let mut next = self.next.lock().expect("pacer lock");
            let slot = next.get(key).copied().filter(|t| *t > now).unwrap_or(now);
            if slot - now > PACE_WAIT_MAX {
                return Err(ConnectorError::RateLimited { retry_after: (slot - now).max(Duration::from_secs(1)) });
            }
            next.insert(key.to_owned(), slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
        Ok(slot - now)
    }
}

/// One platform's API as connectors call it: its base URL (configurable,
/// for proxies and tests), its pacing, and a record of every call —
/// latency and outcome in telemetry and the log, never the credential.
pub struct Upstream {
    http: Http,
    base: String,
    telemetry: Arc<dyn Telemetry>,
    pacer: Pacer,
}

/// A platform's answer, read whole (up to `ANSWER_MAX_BYTES`).
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ConnectorError::Transient(format!("{what}: unreadable answer: {e}")))
    }
}

impl Upstream {
    pub fn new(http: Http, base: impl Into<String>, telemetry: Arc<dyn Telemetry>, pacer: Pacer) -> Self {
        Self { http, base: base.into().trim_end_matches('/').to_owned(), telemetry, pacer }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Calls `path` under the base URL once its slot for `key` comes.
    /// `kind` labels the call in telemetry; `prepare` adds the query,
    /// headers or body.
    pub async fn call(
        &self,
        kind: SourceKind,
        method: reqwest::Method,
        path: &str,
        key: &str,
        prepare: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<Answer, ConnectorError> {
        let waited = self.pacer.wait(key).await?;
        if !waited.is_zero() {
            self.telemetry.rate_limit_waited(kind.as_str(), waited);
        }
        let url = format!("{}{path}", self.base);
        let request = self.http.request(method, &url).map_err(ConnectorError::Transient)?;
        let started = Instant::now();
        let result = match prepare(request).send().await {
            Ok(resp) => {
                let status = resp.status();
                let headers = resp.headers().clone();
                read_limited(resp, ANSWER_MAX_BYTES)
                    .await
                    .map(|body| Answer { status, headers, body })
                    .map_err(|e| ConnectorError::Transient(format!("reading {path}: {e}")))
            }
            Err(e) => Err(ConnectorError::Transient(format!("calling {path}: {}", describe(&e)))),
        };
        let latency = started.elapsed();
        let outcome = match &result {
            Ok(a) if a.status.is_success() => "ok",
            Ok(a) if a.status.as_u16() == 429 => "rate_limited",
            Ok(_) => "http_error",
            Err(_) => "unreachable",
        };
        self.telemetry.upstream_called(kind.as_str(), outcome, latency);
        // The path only: query strings and forms can carry tokens.
        tracing::info!(
            target: "smrm::upstream",
            kind = kind.as_str(),
            path,
            outcome,
            status = result.as_ref().ok().map(|a| a.status.as_u16()),
            latency_ms = latency.as_millis() as u64,
            "upstream call"
        );
        result
    }
}

/// How long to wait after a `429` that names no `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The error kind of an HTTP status a platform answered with (not 2xx).
pub(crate) fn status_error(
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    what: &str,
) -> ConnectorError {
    let code = status.as_u16();
    match code {
        401 | 403 => ConnectorError::Auth(format!("{what} answered {code}")),
        404 | 410 => ConnectorError::NotFound(format!("{what} answered {code}")),
        429 => ConnectorError::RateLimited { retry_after: retry_after(headers).unwrap_or(DEFAULT_RETRY_AFTER) },
        _ => ConnectorError::Transient(format!("{what} answered {code}")),
    }
}

/// `Retry-After` in seconds (the HTTP-date form is rare from APIs; it
/// falls back to the default).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs: u64 = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs.clamp(1, 86_400)))
}
