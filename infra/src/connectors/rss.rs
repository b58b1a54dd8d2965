//! RSS and Atom feeds (online media): conditional GETs with the last
//! fetch's validators as the cursor; feed-rs reads RSS 0.9–2.0, Atom and
//! JSON Feed alike.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use smrm_domain::model::mention::{Author, PostInput, TEXT_MAX_CHARS};
use smrm_domain::model::sources::{ConnectorError, Cursor, Fetched, Source, SourceConfig, SourceKind};
use smrm_domain::ports::{Connector, FetchRequest};

use crate::outbound::{Http, describe, read_limited};

/// Feeds larger than this are refused.
pub const FEED_MAX_BYTES: usize = 10 * 1024 * 1024;

pub struct RssConnector {
    http: Http,
}

impl RssConnector {
    pub fn new(http: Http) -> Self {
        Self { http }
    }
}

/// The cursor of a feed: the validators of its last fetch.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Validators {
    #[serde(skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
}

#[async_trait]
impl Connector for RssConnector {
    fn kind(&self) -> SourceKind {
        SourceKind::Rss
    }

    async fn fetch(&self, request: FetchRequest<'_>) -> Result<Fetched, ConnectorError> {
        let source = request.source;
        let SourceConfig::Rss { url } = &source.config else {
            return Err(ConnectorError::Transient("not a feed source".into()));
        };
        let validators: Validators = request.cursor.and_then(|c| serde_json::from_str(&c.0).ok()).unwrap_or_default();
        let mut req = self.http.request(reqwest::Method::GET, url).map_err(ConnectorError::Transient)?.header(
            "accept",
            "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
        );
        if let Some(etag) = &validators.etag {
            req = req.header("if-none-match", etag.as_str());
        }
        if let Some(lm) = &validators.last_modified {
            req = req.header("if-modified-since", lm.as_str());
        }
        let resp = req.send().await.map_err(|e| ConnectorError::Transient(describe(&e)))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched { unchanged: true, ..Default::default() });
        }
        if !status.is_success() {
            return Err(super::status_error(status, resp.headers(), "the feed"));
        }
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let next = Validators { etag: header("etag"), last_modified: header("last-modified") };
        let body = read_limited(resp, FEED_MAX_BYTES)
            .await
            .map_err(|e| ConnectorError::Transient(format!("reading the feed: {e}")))?;
        let (posts, skipped) = read_feed(source, &body, Utc::now()).map_err(ConnectorError::Transient)?;
        let next = serde_json::to_string(&next).expect("validators serialise");
        Ok(Fetched { posts, skipped, next: Some(Cursor(next)), unchanged: false })
    }
}

/// The posts of a feed document for `source`, and how many entries were
/// skipped; an error for a document that is not RSS or Atom. Any bytes are a
/// clear answer, never a panic, at a cost linear in their size.
pub fn read_feed(source: &Source, body: &[u8], now: DateTime<Utc>) -> Result<(Vec<PostInput>, u64), String> {
    let url = match &source.config {
        SourceConfig::Rss { url } => Some(url.as_str()),
        _ => None,
    };
    let feed = feed_rs::parser::Builder::new()
        .base_uri(url)
        .build()
        .parse(body)
        .map_err(|e| format!("not an RSS or Atom feed: {e}"))?;
    let entries = feed.entries.into_iter().map(entry).collect();
    Ok(entries_to_posts(source, entries, now))
}

/// One entry of a feed, as read.
#[derive(Debug, Clone, PartialEq)]
struct FeedEntry {
    /// The entry's id (its guid, or its link), at most 200 characters.
    id: String,
    url: Option<String>,
    title: Option<String>,
    /// Plain text: the content or summary without markup.
    text: Option<String>,
    published_at: Option<DateTime<Utc>>,
    author: Option<String>,
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The entries of a feed as posts of `source`: the entry id is the post's
/// `external_id` (so a re-polled entry is a duplicate), the source gives
/// `platform` and `source_type`, the author is the entry's or else the
/// feed's host. Entries with neither text nor title are skipped and counted
/// (so are posts the pipeline finds invalid).
fn entries_to_posts(source: &Source, entries: Vec<FeedEntry>, now: DateTime<Utc>) -> (Vec<PostInput>, u64) {
    let url = match &source.config {
        SourceConfig::Rss { url } => url.as_str(),
        _ => "",
    };
    let host = smrm_domain::model::integrations::url_host(url).unwrap_or("feed").to_owned();
    let mut posts = Vec::with_capacity(entries.len());
    let mut skipped = 0;
    for e in entries {
        let text = e.text.filter(|t| !t.trim().is_empty()).or_else(|| e.title.clone());
        let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
            skipped += 1;
            continue;
        };
        posts.push(PostInput {
            external_id: clip(&e.id, 200),
            platform: source.platform.clone(),
            source_type: source.source_type,
            url: e.url.filter(|u| u.len() <= 2048 && (u.starts_with("https://") || u.starts_with("http://"))),
            title: e.title.map(|t| clip(&t, 1000)),
            text: Some(clip(&text, TEXT_MAX_CHARS)),
            parent_external_id: None,
            repost_of_external_id: None,
            language: None,
            published_at: e.published_at.filter(|t| *t <= now).unwrap_or(now),
            author: Author {
                external_id: None,
                handle: clip(e.author.as_deref().filter(|a| !a.trim().is_empty()).unwrap_or(&host), 200),
                name: None,
                followers: None,
            },
            likes: None,
            comments: None,
            reposts: None,
            views: None,
            reach: None,
            sentiment: None,
            brand_id: None,
        });
    }
    (posts, skipped)
}

/// A feed entry in SMRM's terms.
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
            rest = match closing_tag(rest, &name) {
                Some(at) => rest[at..].find('>').map_or("", |gt| &rest[at + gt + 1..]),
                None => "",
            };
        }
        out.push(' ');
    }
    out.push_str(rest);
    smrm_domain::text::tidy(&html_escape::decode_html_entities(&out))
}

/// Where `</name` starts in `html`, in any case, without copying `html`
/// (lower-casing the rest for each `<script>` made many of them quadratic).
fn closing_tag(html: &str, name: &str) -> Option<usize> {
    html.match_indices("</").map(|(at, _)| at).find(|&at| {
        html.as_bytes().get(at + 2..at + 2 + name.len()).is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_scripts_cost_what_their_size_does() {
        // 40,000 script elements (about 1.4 MB): each used to lower-case the
        // rest of the document, some 28 GB of copying.
        let html = "<p>x</p><SCRIPT>var a = 1;</ScRiPt>".repeat(40_000);
        let started = std::time::Instant::now();
        let text = html_to_text(&html);
        assert_eq!(text.split_whitespace().count(), 40_000);
        assert!(!text.contains("var"));
        // A bound on complexity, not a performance target: 50 times what a
        // debug build takes; the quadratic version took minutes.
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn html_becomes_plain_text() {
        let html = "<p>Дейнет&nbsp;&mdash; <b>лучший</b><br/>оператор</p><script>alert('x<y')</script><style>p{}</style> &lt;3";
        assert_eq!(html_to_text(html), "Дейнет — лучший оператор <3");
        assert_eq!(html_to_text("a < b"), "a < b");
    }
}
