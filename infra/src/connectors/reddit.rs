//! Reddit search with a tenant's app (`client_id:client_secret`, a "script"
//! or "web" app): an app-only OAuth token (client credentials, kept until a
//! minute before it expires), then `GET /search` (or `/r/<sub>/search` with
//! `restrict_sr`) for the brands' keywords, several per query (`"a" OR
//! "b"`, up to 512 characters), newest first, 100 a page, back to the
//! window.
//!
//! Limits: 100 requests a minute per app. Calls are paced at that, and the
//! `X-Ratelimit-Remaining` / `X-Ratelimit-Reset` headers of each answer are
//! honoured: with nothing remaining the app's next call waits for the
//! reset (a run that would wait long is paused until then instead). A 429
//! (with `Retry-After`) pauses the source; a refused app (401 at the token
//! endpoint, or an OAuth `error` in its 200 answer) makes the credential
//! invalid; a 401 on a search re-mints the token once.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use smrm_domain::model::credentials::Secret;
use smrm_domain::model::mention::{Author, PostInput, TEXT_MAX_CHARS};
use smrm_domain::model::sources::{ConnectorError, Cursor, Fetched, Source, SourceConfig, SourceKind};
use smrm_domain::ports::{Connector, FetchRequest};

use super::windows::{FIRST_WINDOW_SECONDS, OVERLAP_SECONDS};
use super::{Answer, Upstream, status_error};

pub const DEFAULT_API_URL: &str = "https://oauth.reddit.com";
pub const DEFAULT_AUTH_URL: &str = "https://www.reddit.com/api/v1/access_token";
/// Reddit wants a descriptive User-Agent and throttles generic ones.
const USER_AGENT: &str = concat!("server:smrm:v", env!("CARGO_PKG_VERSION"), " (social media monitoring)");
const QUERY_MAX_CHARS: usize = 512;
const PAGE: usize = 100;
const PAGES_MAX: usize = 10;
/// The longest a call waits for the app's window to reset; longer pauses the source.
const RESET_WAIT_MAX: Duration = Duration::from_secs(5);

pub struct RedditApi {
    api: Upstream,
    auth: Upstream,
    /// Per app: its token and when it stops being used.
    tokens: Mutex<HashMap<String, (String, Instant)>>,
    /// Per app: no call before then (`X-Ratelimit-Remaining` reached 0).
    blocked: Mutex<HashMap<String, Instant>>,
}

fn app_id(secret: &Secret) -> String {
    crate::crypto::hex(&Sha256::digest(secret.expose().as_bytes())[..8])
}

impl RedditApi {
    pub fn new(api: Upstream, auth: Upstream) -> Self {
        Self { api, auth, tokens: Mutex::new(HashMap::new()), blocked: Mutex::new(HashMap::new()) }
    }

    async fn token(&self, secret: &Secret, fresh: bool) -> Result<String, ConnectorError> {
        let app = app_id(secret);
        if !fresh
            && let Some((token, until)) = self.tokens.lock().expect("token lock").get(&app)
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let basic = base64::engine::general_purpose::STANDARD.encode(secret.expose());
        let answer = self
            .auth
            .call(SourceKind::RedditSearch, reqwest::Method::POST, "", &app, |r| {
                r.header("authorization", format!("Basic {basic}"))
                    .header("user-agent", USER_AGENT)
                    .form(&[("grant_type", "client_credentials")])
            })
            .await?;
        if answer.status.as_u16() == 401 || answer.status.as_u16() == 403 {
            return Err(ConnectorError::Auth(format!(
                "Reddit refused the app ({}); check its client id and secret, and that it is a script or web app",
                answer.status.as_u16()
            )));
        }
        if !answer.status.is_success() {
            return Err(status_error(answer.status, &answer.headers, "Reddit's token endpoint"));
        }
        let body: Value = answer.json("Reddit's token endpoint")?;
        if let Some(e) = body["error"].as_str() {
            return Err(ConnectorError::Auth(format!("Reddit refused the app: {e}")));
        }
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| ConnectorError::Transient("Reddit's token endpoint gave no access_token".into()))?
            .to_owned();
        let lifetime = body["expires_in"].as_u64().unwrap_or(3600).saturating_sub(60).max(1);
        let until = Instant::now() + Duration::from_secs(lifetime);
        self.tokens.lock().expect("token lock").insert(app, (token.clone(), until));
        Ok(token)
    }

    /// Remembers the window the app is in from an answer's headers.
    fn learn_limits(&self, app: &str, answer: &Answer) {
        let header = |name: &str| {
            answer.headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<f64>().ok())
        };
        if let (Some(remaining), Some(reset)) = (header("x-ratelimit-remaining"), header("x-ratelimit-reset"))
            && remaining < 1.0
        {
            let until = Instant::now() + Duration::from_secs_f64(reset.clamp(0.0, 3600.0));
            self.blocked.lock().expect("limit lock").insert(app.to_owned(), until);
        }
    }

    async fn search(&self, secret: &Secret, path: &str, params: &[(&str, String)]) -> Result<Value, ConnectorError> {
        let app = app_id(secret);
        let blocked = self.blocked.lock().expect("limit lock").get(&app).copied();
        if let Some(until) = blocked.filter(|u| *u > Instant::now()) {
            let wait = until - Instant::now();
            if wait > RESET_WAIT_MAX {
                return Err(ConnectorError::RateLimited { retry_after: wait.max(Duration::from_secs(1)) });
            }
            tokio::time::sleep(wait).await;
        }
        let mut fresh = false;
        loop {
            let token = self.token(secret, fresh).await?;
            let answer = self
                .api
                .call(SourceKind::RedditSearch, reqwest::Method::GET, path, &app, |r| {
                    r.bearer_auth(&token).header("user-agent", USER_AGENT).query(params)
                })
                .await?;
            self.learn_limits(&app, &answer);
            match answer.status.as_u16() {
                401 if !fresh => fresh = true,
                200..=299 => return answer.json("Reddit search"),
                _ => return Err(status_error(answer.status, &answer.headers, "Reddit search")),
            }
        }
    }
}

/// The keywords as few queries as fit: `"a" OR "b"`.
fn queries(terms: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for term in terms {
        let phrase = format!("\"{}\"", term.replace('"', " "));
        match out.last_mut() {
            Some(q) if q.chars().count() + 4 + phrase.chars().count() <= QUERY_MAX_CHARS => {
                q.push_str(" OR ");
                q.push_str(&phrase);
            }
            _ => out.push(phrase),
        }
    }
    out
}

pub struct RedditSearchConnector {
    pub api: std::sync::Arc<RedditApi>,
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct SearchCursor {
    done_until: Option<i64>,
}

#[async_trait]
impl Connector for RedditSearchConnector {
    fn kind(&self) -> SourceKind {
        SourceKind::RedditSearch
    }

    async fn fetch(&self, req: FetchRequest<'_>) -> Result<Fetched, ConnectorError> {
        let secret = req.secret.ok_or_else(|| ConnectorError::Auth("the source has no Reddit credential".into()))?;
        let SourceConfig::RedditSearch { subreddit } = &req.source.config else {
            return Err(ConnectorError::Transient("not a Reddit search source".into()));
        };
        let path = match subreddit {
            Some(sub) => format!("/r/{sub}/search"),
            None => "/search".into(),
        };
        let cursor: SearchCursor = req.cursor.and_then(|c| serde_json::from_str(&c.0).ok()).unwrap_or_default();
        let now = req.now.timestamp();
        let from = match cursor.done_until {
            Some(until) => until - OVERLAP_SECONDS,
            None => now - FIRST_WINDOW_SECONDS,
        };
        let (mut posts, mut skipped, mut seen) = (Vec::new(), 0, HashSet::new());
        for q in queries(req.terms) {
            let mut after: Option<String> = None;
            for _ in 0..PAGES_MAX {
                let mut params = vec![
                    ("q", q.clone()),
                    ("sort", "new".to_owned()),
                    ("limit", PAGE.to_string()),
                    ("type", "link".into()),
                    ("raw_json", "1".into()),
                ];
                if subreddit.is_some() {
                    params.push(("restrict_sr", "1".into()));
                }
                if let Some(a) = &after {
                    params.push(("after", a.clone()));
                }
                let listing = self.api.search(secret, &path, &params).await?;
                let mut reached_start = false;
                for child in listing["data"]["children"].as_array().into_iter().flatten() {
                    if child["kind"] != "t3" {
                        continue;
                    }
                    match link_post(req.source, &child["data"]) {
                        Some(p) if p.published_at.timestamp() <= from => reached_start = true,
                        Some(p) => {
                            if seen.insert(p.external_id.clone()) {
                                posts.push(p);
                            }
                        }
                        None => skipped += 1,
                    }
                }
                after = listing["data"]["after"].as_str().map(str::to_owned);
                if reached_start || after.is_none() {
                    break;
                }
            }
        }
        let next = serde_json::to_string(&SearchCursor { done_until: Some(now) }).expect("cursor serialises");
        Ok(Fetched { posts, skipped, next: Some(Cursor(next)), unchanged: false })
    }
}

fn link_post(source: &Source, d: &Value) -> Option<PostInput> {
    let name = d["name"].as_str()?;
    let created = d["created_utc"].as_f64()?;
    let title = d["title"].as_str().map(str::trim).filter(|t| !t.is_empty());
    let body =
        d["selftext"].as_str().map(str::trim).filter(|t| !t.is_empty() && !matches!(*t, "[removed]" | "[deleted]"));
    // What is matched: the title and the post's own text.
    let text = match (title, body) {
        (Some(t), Some(b)) => format!("{t}\n\n{b}"),
        (t, b) => b.or(t)?.to_owned(),
    };
    let clip = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    Some(PostInput {
        external_id: name.to_owned(),
        platform: source.platform.clone(),
        source_type: source.source_type,
        url: d["permalink"].as_str().map(|p| format!("https://www.reddit.com{p}")),
        title: title.map(|t| clip(t, 1000)),
        text: Some(clip(&text, TEXT_MAX_CHARS)),
        parent_external_id: None,
        repost_of_external_id: d["crosspost_parent"].as_str().map(str::to_owned),
        language: None,
        published_at: DateTime::<Utc>::from_timestamp(created as i64, 0)?,
        author: Author {
            external_id: d["author_fullname"].as_str().map(str::to_owned),
            handle: clip(d["author"].as_str().unwrap_or("[deleted]"), 200),
            name: None,
            followers: None,
        },
        likes: d["score"].as_i64().and_then(|s| u64::try_from(s).ok()),
        comments: d["num_comments"].as_u64(),
        reposts: d["num_crossposts"].as_u64(),
        views: None,
        reach: None,
        sentiment: None,
        brand_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_share_queries_with_or() {
        assert_eq!(queries(&["Дейнет Телеком".into(), "Deynet".into()]), ["\"Дейнет Телеком\" OR \"Deynet\""]);
    }
}
