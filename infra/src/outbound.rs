//! Outbound HTTP: webhook deliveries (and feed polls), with timeouts, no
//! redirects, and the SSRF guard: unless `SMRM_OUTBOUND_ALLOW_PRIVATE`, a
//! target that is, or resolves to, a loopback, private or otherwise
//! non-public address is refused. Names are checked when resolved, and the
//! connection goes to exactly the addresses checked, so a DNS answer cannot
//! change between the check and the connect.

use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use actix_tls::connect::{Connector as TcpConnector, Resolve, Resolver};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::future::LocalBoxFuture;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use smrm_domain::model::integrations::{SendOutcome, is_public, url_host};
use smrm_domain::ports::{Outgoing, WebhookSender};

/// Connecting (DNS included) and the TLS handshake, each.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The whole request, until the answer's head.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> LocalBoxFuture<'a, Result<Vec<SocketAddr>, Box<dyn StdError>>> {
        Box::pin(async move {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
            if addrs.is_empty() {
                return Err(format!("`{host}` does not resolve").into());
            }
            if !self.allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
                return Err(format!("`{host}` resolves to a non-public address").into());
            }
            Ok(addrs)
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

/// An HTTP client with the guard, timeouts, and no redirects. Not `Send`:
/// build one per worker task.
pub fn guarded_client(allow_private: bool) -> awc::Client {
    // awc's rustls needs a process-wide crypto provider; a second install is a no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tcp = TcpConnector::new(Resolver::custom(GuardedResolver { allow_private })).service();
    let connector = awc::Connector::new().connector(tcp).timeout(CONNECT_TIMEOUT).handshake_timeout(CONNECT_TIMEOUT);
    awc::Client::builder()
        .connector(connector)
        .disable_redirects()
        .timeout(REQUEST_TIMEOUT)
        .add_default_header(("user-agent", concat!("SMRM/", env!("CARGO_PKG_VERSION"))))
        .finish()
}

/// The Standard Webhooks signature of one message with one secret:
/// `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed
/// with the secret's bytes (the base64 after `whsec_`).
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &str) -> String {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = B64.decode(encoded).unwrap_or_else(|_| encoded.as_bytes().to_vec());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(format!("{message_id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

/// Delivers webhooks over HTTP(S).
pub struct HttpWebhookSender {
    client: awc::Client,
    allow_private: bool,
}

impl HttpWebhookSender {
    pub fn new(allow_private: bool) -> Self {
        Self { client: guarded_client(allow_private), allow_private }
    }
}

/// `msg_` and the message's UUID: the `webhook-id` header.
pub fn webhook_id(message: smrm_domain::ids::MessageId) -> String {
    format!("msg_{}", message.0.simple())
}

#[async_trait(?Send)]
impl WebhookSender for HttpWebhookSender {
    async fn send(&self, out: &Outgoing<'_>) -> SendOutcome {
        if let Err(e) = check_target(out.url, self.allow_private) {
            return SendOutcome::Failed(e);
        }
        let id = webhook_id(out.message_id);
        let signatures: Vec<String> = out.secrets.iter().map(|s| sign(s, &id, out.timestamp, out.body)).collect();
        let sent = self
            .client
            .post(out.url)
            .insert_header(("content-type", "application/json"))
            .insert_header(("webhook-id", id.as_str()))
            .insert_header(("webhook-timestamp", out.timestamp.to_string()))
            .insert_header(("webhook-signature", signatures.join(" ")))
            .send_body(out.body.to_owned())
            .await;
        match sent {
            Ok(resp) if resp.status().is_success() => SendOutcome::Delivered(resp.status().as_u16()),
            Ok(resp) => SendOutcome::Rejected(resp.status().as_u16()),
            Err(e) => SendOutcome::Failed(describe(&e)),
        }
    }
}

fn describe(e: &awc::error::SendRequestError) -> String {
    use awc::error::SendRequestError as E;
    match e {
        E::Timeout => format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
        E::Connect(c) => format!("cannot connect: {c}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_standard_webhooks_reference_does() {
        // The test vector of the Standard Webhooks specification's libraries.
        let sig = sign(
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            r#"{"email":"test@example.com","username":"test_user"}"#,
        );
        assert_eq!(sig, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
    }

    #[test]
    fn literal_private_targets_are_refused_unless_allowed() {
        assert!(check_target("http://127.0.0.1:9/h", false).is_err());
        assert!(check_target("http://[::1]:9/h", false).is_err());
        assert!(check_target("http://localhost:9/h", false).is_err());
        assert!(check_target("https://hooks.example.com/h", false).is_ok());
        assert!(check_target("http://127.0.0.1:9/h", true).is_ok());
    }
}
