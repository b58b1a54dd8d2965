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
use sha2::{Digest, Sha256};
use smrm_domain::model::integrations::{SendOutcome, is_public, url_host};
use smrm_domain::model::sources::{FeedEntry, FetchOutcome, Validators};
use smrm_domain::ports::{FeedFetcher, Outgoing, WebhookSender};

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

/// Feeds larger than this are refused.
pub const FEED_MAX_BYTES: usize = 10 * 1024 * 1024;

/// Fetches RSS and Atom feeds with conditional GETs, and reads their
/// entries (feed-rs recognises RSS 0.9–2.0, Atom and JSON Feed).
pub struct HttpFeedFetcher {
    client: awc::Client,
    allow_private: bool,
}

impl HttpFeedFetcher {
    pub fn new(allow_private: bool) -> Self {
        Self { client: guarded_client(allow_private), allow_private }
    }
}

#[async_trait(?Send)]
impl FeedFetcher for HttpFeedFetcher {
    async fn fetch(&self, url: &str, validators: &Validators) -> FetchOutcome {
        if let Err(e) = check_target(url, self.allow_private) {
            return FetchOutcome::Failed(e);
        }
        let mut req = self.client.get(url).insert_header((
            "accept",
            "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
        ));
        if let Some(etag) = &validators.etag {
            req = req.insert_header(("if-none-match", etag.as_str()));
        }
        if let Some(lm) = &validators.last_modified {
            req = req.insert_header(("if-modified-since", lm.as_str()));
        }
        let mut resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return FetchOutcome::Failed(describe(&e)),
        };
        let status = resp.status();
        if status == awc::http::StatusCode::NOT_MODIFIED {
            return FetchOutcome::NotModified;
        }
        if !status.is_success() {
            return FetchOutcome::Failed(format!("the feed answered {}", status.as_u16()));
        }
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (etag, last_modified) = (header("etag"), header("last-modified"));
        let body = match resp.body().limit(FEED_MAX_BYTES).await {
            Ok(b) => b,
            Err(e) => return FetchOutcome::Failed(format!("reading the feed: {e}")),
        };
        match feed_rs::parser::Builder::new().base_uri(Some(url)).build().parse(&body[..]) {
            Ok(feed) => {
                FetchOutcome::Entries { entries: feed.entries.into_iter().map(entry).collect(), etag, last_modified }
            }
            Err(e) => FetchOutcome::Failed(format!("not an RSS or Atom feed: {e}")),
        }
    }
}

/// A feed entry in the domain's terms.
fn entry(e: feed_rs::model::Entry) -> FeedEntry {
    let id = if e.id.chars().count() <= 200 {
        e.id
    } else {
        format!("sha256:{}", crate::crypto::hex(&Sha256::digest(e.id.as_bytes())))
    };
    let url = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| e.links.first())
        .map(|l| l.href.clone());
    let text = e
        .content
        .and_then(|c| c.body)
        .or_else(|| e.summary.map(|s| s.content))
        .map(|html| html_to_text(&html))
        .filter(|t| !t.is_empty());
    FeedEntry {
        id,
        url,
        title: e.title.map(|t| html_to_text(&t.content)).filter(|t| !t.is_empty()),
        text,
        published_at: e.published.or(e.updated),
        author: e.authors.into_iter().map(|p| p.name).find(|n| !n.trim().is_empty()),
    }
}

/// Plain text from an HTML fragment: tags dropped (with the contents of
/// `script` and `style`), block ends as spaces, entities decoded,
/// whitespace collapsed.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tag = &rest[open..];
        let Some(close) = tag.find('>') else {
            // A lone `<` is text.
            out.push_str(tag);
            rest = "";
            break;
        };
        let name: String =
            tag[1..close].trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let name = name.to_ascii_lowercase();
        rest = &tag[close + 1..];
        if (name == "script" || name == "style") && !tag[1..].starts_with('/') {
            let end = format!("</{name}");
            rest = match rest.to_ascii_lowercase().find(&end) {
                Some(at) => rest[at..].find('>').map_or("", |gt| &rest[at + gt + 1..]),
                None => "",
            };
        }
        out.push(' ');
    }
    out.push_str(rest);
    smrm_domain::text::tidy(&html_escape::decode_html_entities(&out))
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
    fn html_becomes_plain_text() {
        let html = "<p>Дейнет&nbsp;&mdash; <b>лучший</b><br/>оператор</p><script>alert('x<y')</script><style>p{}</style> &lt;3";
        assert_eq!(html_to_text(html), "Дейнет — лучший оператор <3");
        assert_eq!(html_to_text("a < b"), "a < b");
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
