//! Outbound HTTP: one client per process for webhook deliveries, connector
//! fetches and model services, with timeouts, no redirects, a cap on every
//! body read, and the SSRF guard: unless `SMRM_OUTBOUND_ALLOW_PRIVATE`, a
//! target that is, or resolves to, a loopback, private or otherwise
//! non-public address is refused. Names are checked when resolved, and the
//! connection goes to exactly the addresses checked, so a DNS answer cannot
//! change between the check and the connect.
//!
//! The client is `reqwest` (rustls with the ring provider, no OpenSSL): it
//! is `Send`, so every port that uses it is too, and it pools connections
//! across the server's threads.

mod webhooks;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use smrm_domain::model::integrations::{is_public, url_host};

pub use webhooks::{HttpWebhookSender, sign};

/// Connecting (DNS included) and the TLS handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The whole exchange, body included, unless a call sets its own.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Resolves names with the system resolver and refuses any that resolve to
/// a non-public address (unless private targets are allowed).
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().trim_start_matches('[').trim_end_matches(']').to_owned();
            // The resolver's own message (its servers, search domains) is
            // the operator's business, not the tenant's: it is logged here,
            // and the tenant reads that the name does not resolve.
            let addrs: Vec<SocketAddr> = match tokio::net::lookup_host((host.as_str(), 0)).await {
                Ok(found) => found.collect(),
                Err(e) => {
                    tracing::info!(%host, error = %e, "an outbound name did not resolve");
                    Vec::new()
                }
            };
            if addrs.is_empty() {
                return Err(format!("`{host}` does not resolve").into());
            }
            if !allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
                return Err(format!("`{host}` resolves to a non-public address").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Whether the URL's host may be contacted (literal addresses skip the
/// resolver, so they are checked here).
pub fn check_target(url: &str, allow_private: bool) -> Result<(), String> {
    let host = url_host(url).ok_or_else(|| format!("`{url}` has no host"))?;
    if allow_private {
        return Ok(());
    }
    let local = host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost");
    if local || host.parse::<IpAddr>().is_ok_and(|ip| !is_public(ip)) {
        return Err(format!("`{host}` is not a public address"));
    }
    Ok(())
}

/// The process's outbound HTTP client and its guard. Cheap to clone (the
/// connection pool is shared).
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    allow_private: bool,
}

impl Http {
    /// Builds the client; `allow_private` is `SMRM_OUTBOUND_ALLOW_PRIVATE`.
    pub fn new(allow_private: bool) -> Result<Self, String> {
        // rustls needs a process-wide crypto provider; a second install is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .dns_resolver(GuardedResolver { allow_private })
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("SMRM/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the outbound HTTP client: {e}"))?;
        Ok(Self { client, allow_private })
    }

    /// A request to `url`, once the guard let it through.
    pub fn request(&self, method: reqwest::Method, url: &str) -> Result<reqwest::RequestBuilder, String> {
        check_target(url, self.allow_private)?;
        Ok(self.client.request(method, url))
    }
}

/// Reads a body whole, refusing one larger than `max` bytes (by its
/// `Content-Length`, and again as it streams in).
pub async fn read_limited(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, String> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(format!("the answer is larger than {max} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
        if body.len() + chunk.len() > max {
            return Err(format!("the answer is larger than {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A failed exchange in a few words (for a source's `last_error`, an
/// attempt's `error`): never the URL's credentials.
pub fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    if e.is_timeout() {
        return "no answer in time".into();
    }
    let mut cause = e.source();
    let mut innermost = None;
    while let Some(c) = cause {
        innermost = Some(c.to_string());
        cause = c.source();
    }
    let what = if e.is_connect() { "cannot connect" } else { "the request failed" };
    match innermost {
        Some(c) => format!("{what}: {c}"),
        None => what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_private_targets_are_refused_unless_allowed() {
        assert!(check_target("http://127.0.0.1:9/h", false).is_err());
        assert!(check_target("http://[::1]:9/h", false).is_err());
        assert!(check_target("http://localhost:9/h", false).is_err());
        assert!(check_target("https://hooks.example.com/h", false).is_ok());
        assert!(check_target("http://127.0.0.1:9/h", true).is_ok());
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_private_addresses() {
        use std::str::FromStr;
        // What a name resolves to is checked, not only how it is written.
        let name = || Name::from_str("localhost").unwrap();
        let refused = GuardedResolver { allow_private: false }.resolve(name()).await.err().expect("refused");
        assert!(refused.to_string().contains("non-public"), "{refused}");
        let allowed = GuardedResolver { allow_private: true }.resolve(name()).await.expect("allowed");
        assert!(allowed.into_iter().all(|a| a.ip().is_loopback()));
    }
}
