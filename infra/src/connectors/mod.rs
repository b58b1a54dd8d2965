//! Pull connectors: one module per platform, each implementing the
//! domain's `Connector` port over the shared outbound client. A connector
//! knows its platform's API and maps its answers into posts and its errors
//! into `ConnectorError`; the poller does the rest (claims, cursors,
//! ingest, retries), the same for every platform.
//!
//! Adding a platform: a module here, and one `.with(…)` in the composition
//! root (`api/src/startup.rs`).

pub mod rss;

use std::time::Duration;

use smrm_domain::model::sources::ConnectorError;

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
