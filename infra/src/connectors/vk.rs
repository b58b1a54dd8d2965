//! VK through its API (v5.199): `newsfeed.search` for the brands'
//! keywords (`vk_search`), `wall.get` with `wall.getComments` for one
//! community's or person's wall (`vk_wall`), and the objects VK's Callback
//! API pushes (`vk_callback`), all mapped to posts the same way.
//!
//! Calls are POSTed forms (the token never sits in a URL or a log), paced
//! at VK's 3 requests per second per token. VK answers errors with HTTP 200
//! and an `error` object; its codes map to the poller's words: 5 (and 28)
//! a refused token; 6 and 9 wait and retry; 29 a spent quota (the source
//! pauses for an hour, as VK does not say when it resets); 14 a captcha,
//! which is a failure for a person to see, never a retry loop; 15, 18, 30,
//! 100, 113, 203, 212 something that does not exist or is not public.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use smrm_domain::model::credentials::Secret;
use smrm_domain::model::mention::{Author, PostInput, TEXT_MAX_CHARS};
use smrm_domain::model::sources::{ConnectorError, Cursor, Fetched, Source, SourceConfig, SourceKind};
use smrm_domain::ports::{Connector, FetchRequest};

use super::windows::Windows;
use super::{Upstream, status_error};

/// The public API.
pub const DEFAULT_URL: &str = "https://api.vk.com/method";
pub const API_VERSION: &str = "5.199";
/// VK's limit is 3 calls a second per user or service token; SMRM spaces
/// its calls 400 ms apart, so that network jitter never bunches three
/// calls into less than a second at VK's end.
pub const CALL_SPACING: Duration = Duration::from_millis(400);
/// Error 6 (too many calls a second) is retried this many times, a second apart.
const TOO_FAST_RETRIES: usize = 2;
/// `newsfeed.search` gives at most this many per call…
const SEARCH_PAGE: usize = 200;
/// …and at most this many for one query, however it is paged.
const SEARCH_CAP: usize = 1000;
/// Calls per keyword and run at most (a walk goes on at the next run).
const SEARCH_CALLS_MAX: usize = 25;
/// `wall.get` gives at most this many per call.
const WALL_PAGE: usize = 100;
/// Calls to `wall.get` per run at most.
const WALL_CALLS_MAX: usize = 10;
/// Comments read per post and run (the newest; VK's page).
const COMMENTS_PAGE: usize = 100;
/// Posts whose comments one run reads at most.
const COMMENTED_POSTS_MAX: usize = 50;
/// Inline replies asked per comment.
const THREAD_ITEMS: usize = 10;
const USER_FIELDS: &str = "screen_name,followers_count,members_count";

/// VK's API as the VK connectors call it.
pub struct VkApi {
    api: Upstream,
}

impl VkApi {
    pub fn new(api: Upstream) -> Self {
        Self { api }
    }

    /// Calls `method` with `params`; VK's `response`, or its error in the
    /// poller's words.
    async fn call(
        &self,
        kind: SourceKind,
        method: &str,
        token: &Secret,
        params: &[(&str, String)],
    ) -> Result<Value, ConnectorError> {
        // The pacing key stands for the token without being it.
        let key = crate::crypto::hex(&Sha256::digest(token.expose().as_bytes())[..8]);
        let mut form: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        form.push(("v", API_VERSION));
        form.push(("access_token", token.expose()));
        let mut retries = TOO_FAST_RETRIES;
        loop {
            let answer =
                self.api.call(kind, reqwest::Method::POST, &format!("/{method}"), &key, |r| r.form(&form)).await?;
            if !answer.status.is_success() {
                return Err(status_error(answer.status, &answer.headers, &format!("VK {method}")));
            }
            let mut body: Value = answer.json(&format!("VK {method}"))?;
            let Some(error) = body.get("error") else {
                return match body.get_mut("response") {
                    Some(r) => Ok(r.take()),
                    None => Err(ConnectorError::Transient(format!("VK {method}: an answer without `response`"))),
                };
            };
            match vk_error(method, error, Utc::now()) {
                ConnectorError::RateLimited { retry_after } if retries > 0 && retry_after <= Duration::from_secs(1) => {
                    retries -= 1;
                    tokio::time::sleep(retry_after).await;
                }
                e => return Err(e),
            }
        }
    }
}

/// A VK error object in the poller's words.
fn vk_error(method: &str, error: &Value, now: DateTime<Utc>) -> ConnectorError {
    let code = error.get("error_code").and_then(Value::as_i64).unwrap_or(0);
    let msg = error.get("error_msg").and_then(Value::as_str).unwrap_or("no message");
    let what = format!("VK {method}: error {code}, {msg}");
    match code {
        5 | 28 => ConnectorError::Auth(format!("{what}; add a valid token as a new credential")),
        6 => ConnectorError::RateLimited { retry_after: Duration::from_secs(1) },
        9 => ConnectorError::RateLimited { retry_after: Duration::from_secs(60) },
        29 => ConnectorError::QuotaExhausted { until: now + chrono::Duration::hours(1) },
        14 => ConnectorError::Blocked(format!(
            "{what}: VK wants a captcha solved for this token; use a service token, or call less often"
        )),
        7 | 15 | 18 | 19 | 30 | 100 | 113 | 203 | 212 => ConnectorError::NotFound(what),
        _ => ConnectorError::Transient(what),
    }
}

/// Who wrote what, from an extended answer's `profiles` and `groups`.
#[derive(Default)]
struct People(HashMap<i64, Author>);

#[derive(Deserialize)]
struct Profile {
    id: i64,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    screen_name: Option<String>,
    followers_count: Option<u64>,
}

#[derive(Deserialize)]
struct Group {
    id: i64,
    #[serde(default)]
    name: String,
    screen_name: Option<String>,
    members_count: Option<u64>,
}

impl People {
    fn learn(&mut self, answer: &Value) {
        let list = |key: &str| answer.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
        for p in list("profiles").into_iter().filter_map(|v| serde_json::from_value::<Profile>(v).ok()) {
            let name = format!("{} {}", p.first_name, p.last_name).trim().to_owned();
            self.0.insert(
                p.id,
                Author {
                    external_id: Some(p.id.to_string()),
                    handle: p.screen_name.unwrap_or_else(|| format!("id{}", p.id)),
                    name: (!name.is_empty()).then_some(name),
                    followers: p.followers_count,
                },
            );
        }
        for g in list("groups").into_iter().filter_map(|v| serde_json::from_value::<Group>(v).ok()) {
            self.0.insert(
                -g.id,
                Author {
                    external_id: Some((-g.id).to_string()),
                    handle: g.screen_name.unwrap_or_else(|| format!("club{}", g.id)),
                    name: (!g.name.is_empty()).then_some(g.name),
                    followers: g.members_count,
                },
            );
        }
    }

    fn author(&self, from_id: i64) -> Author {
        self.0.get(&from_id).cloned().unwrap_or_else(|| Author {
            external_id: Some(from_id.to_string()),
            handle: if from_id < 0 { format!("club{}", -from_id) } else { format!("id{from_id}") },
            name: None,
            followers: None,
        })
    }
}

fn count(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(|c| c.get("count")).and_then(Value::as_u64)
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// `wall<owner>_<id>`: a post's external id (and the tail of its URL).
pub fn post_id(owner: i64, id: i64) -> String {
    format!("wall{owner}_{id}")
}

/// A post's text: its own, or (a repost without words) the original's.
fn post_text(post: &Value) -> Option<String> {
    let own = post.get("text").and_then(Value::as_str).unwrap_or_default().trim();
    let text = if own.is_empty() {
        post.pointer("/copy_history/0/text").and_then(Value::as_str).unwrap_or_default().trim()
    } else {
        own
    };
    (!text.is_empty()).then(|| clip(text, TEXT_MAX_CHARS))
}

/// A wall post (from a search, a wall, or a push) as a post of `source`.
fn wall_post(source: &Source, people: &People, post: &Value) -> Option<PostInput> {
    let id = post.get("id")?.as_i64()?;
    let owner = post.get("owner_id").and_then(Value::as_i64)?;
    let from = post.get("from_id").and_then(Value::as_i64).unwrap_or(owner);
    let published_at = DateTime::<Utc>::from_timestamp(post.get("date")?.as_i64()?, 0)?;
    let external_id = post_id(owner, id);
    let repost_of = post
        .pointer("/copy_history/0")
        .and_then(|o| Some(post_id(o.get("owner_id")?.as_i64()?, o.get("id")?.as_i64()?)));
    Some(PostInput {
        url: Some(format!("https://vk.com/{external_id}")),
        external_id,
        platform: source.platform.clone(),
        source_type: source.source_type,
        title: None,
        text: Some(post_text(post)?),
        parent_external_id: None,
        repost_of_external_id: repost_of,
        language: None,
        published_at,
        author: people.author(from),
        likes: count(post, "likes"),
        comments: count(post, "comments"),
        reposts: count(post, "reposts"),
        views: count(post, "views"),
        reach: None,
        sentiment: None,
        brand_id: None,
    })
}

/// A comment on the wall post `wall<owner>_<post>` as a post of `source`.
fn wall_comment(source: &Source, people: &People, owner: i64, post: i64, c: &Value) -> Option<PostInput> {
    if c.get("deleted").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let parent = post_id(owner, post);
    let id = c.get("id")?.as_i64()?;
    let url = format!("https://vk.com/{parent}?reply={id}");
    let mut post = comment(source, people, parent, url, c)?;
    post.comments = c.pointer("/thread/count").and_then(Value::as_u64);
    Some(post)
}

/// A comment (on a wall post, a photo, a video, or a board topic: the
/// `parent`) as a post of `source`.
fn comment(source: &Source, people: &People, parent: String, url: String, c: &Value) -> Option<PostInput> {
    let id = c.get("id")?.as_i64()?;
    let text = c.get("text").and_then(Value::as_str).unwrap_or_default().trim();
    if text.is_empty() {
        return None;
    }
    Some(PostInput {
        external_id: format!("{parent}_r{id}"),
        url: Some(url),
        platform: source.platform.clone(),
        source_type: source.source_type,
        title: None,
        text: Some(clip(text, TEXT_MAX_CHARS)),
        parent_external_id: Some(parent),
        repost_of_external_id: None,
        language: None,
        published_at: DateTime::<Utc>::from_timestamp(c.get("date")?.as_i64()?, 0)?,
        author: people.author(c.get("from_id").and_then(Value::as_i64).unwrap_or(0)),
        likes: count(c, "likes"),
        comments: None,
        reposts: None,
        views: None,
        reach: None,
        sentiment: None,
        brand_id: None,
    })
}

fn items(answer: &Value) -> Vec<Value> {
    answer.get("items").and_then(Value::as_array).cloned().unwrap_or_default()
}

fn token<'a>(req: &FetchRequest<'a>) -> Result<&'a Secret, ConnectorError> {
    req.secret.ok_or_else(|| ConnectorError::Auth("the source has no VK credential".into()))
}

/// `vk_search`: VK's news search for each keyword (a quoted phrase),
/// newest first, walking each keyword's window past VK's 1,000 results.
pub struct VkSearchConnector {
    pub api: std::sync::Arc<VkApi>,
}

#[async_trait]
impl Connector for VkSearchConnector {
    fn kind(&self) -> SourceKind {
        SourceKind::VkSearch
    }

    async fn fetch(&self, req: FetchRequest<'_>) -> Result<Fetched, ConnectorError> {
        let token = token(&req)?;
        let mut windows = Windows::read(req.cursor.map(|c| c.0.as_str()));
        let mut seen = HashSet::new();
        let (mut posts, mut skipped) = (Vec::new(), 0);
        for term in req.terms {
            let q = format!("\"{}\"", term.replace('"', " "));
            let mut window = Some(windows.window(term, req.now.timestamp()));
            let (mut calls, mut start_from, mut in_query) = (0, None::<String>, 0);
            while let Some(w) = window {
                if calls == SEARCH_CALLS_MAX {
                    break;
                }
                calls += 1;
                let mut params = vec![
                    ("q", q.clone()),
                    ("count", SEARCH_PAGE.to_string()),
                    ("start_time", (w.from + 1).to_string()),
                    ("end_time", w.upper.to_string()),
                    ("extended", "1".into()),
                    ("fields", USER_FIELDS.into()),
                ];
                if let Some(from) = &start_from {
                    params.push(("start_from", from.clone()));
                }
                let answer = self.api.call(SourceKind::VkSearch, "newsfeed.search", token, &params).await?;
                let mut people = People::default();
                people.learn(&answer);
                let page = items(&answer);
                in_query += page.len();
                let oldest = page.iter().filter_map(|p| p.get("date").and_then(Value::as_i64)).min();
                for p in &page {
                    let Some(post) = wall_post(req.source, &people, p) else {
                        skipped += 1;
                        continue;
                    };
                    if seen.insert(post.external_id.clone()) {
                        posts.push(post);
                    }
                }
                let next = answer.get("next_from").and_then(Value::as_str).filter(|s| !s.is_empty());
                // At the query's cap VK gives no more, whatever is left: a
                // new query goes on below the oldest post seen.
                let capped = in_query >= SEARCH_CAP || (next.is_some() && in_query + SEARCH_PAGE > SEARCH_CAP);
                window = match (next, oldest) {
                    (_, Some(oldest)) if capped => {
                        start_from = None;
                        in_query = 0;
                        w.after_page(oldest)
                    }
                    (Some(next), Some(_)) => {
                        start_from = Some(next.to_owned());
                        Some(w)
                    }
                    _ => None,
                };
                if window.is_none() {
                    windows.finished(term, w);
                }
            }
            if let Some(w) = window {
                windows.unfinished(term, w);
            }
        }
        let next = Cursor(windows.write(req.terms));
        Ok(Fetched { posts, skipped, next: Some(next), unchanged: false })
    }
}

/// `vk_wall`: a wall, newest first, back to the window's start (the last
/// day on the first run, then from a few hours before the last run), with
/// each of those posts' newest comments when the source asks for them.
pub struct VkWallConnector {
    pub api: std::sync::Arc<VkApi>,
}

/// A wall's cursor: where its last run ended.
#[derive(Debug, Default, serde::Serialize, Deserialize)]
struct WallCursor {
    done_until: Option<i64>,
}

#[async_trait]
impl Connector for VkWallConnector {
    fn kind(&self) -> SourceKind {
        SourceKind::VkWall
    }

    async fn fetch(&self, req: FetchRequest<'_>) -> Result<Fetched, ConnectorError> {
        let token = token(&req)?;
        let SourceConfig::VkWall { owner, comments } = &req.source.config else {
            return Err(ConnectorError::Transient("not a VK wall source".into()));
        };
        let cursor: WallCursor = req.cursor.and_then(|c| serde_json::from_str(&c.0).ok()).unwrap_or_default();
        let now = req.now.timestamp();
        let from = match cursor.done_until {
            Some(until) => until - super::windows::OVERLAP_SECONDS,
            None => now - super::windows::FIRST_WINDOW_SECONDS,
        };
        let whose = if owner.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()) {
            ("owner_id", owner.clone())
        } else {
            ("domain", owner.clone())
        };
        let mut people = People::default();
        let (mut posts, mut skipped, mut commented) = (Vec::new(), 0, Vec::new());
        'pages: for page in 0..WALL_CALLS_MAX {
            let params = [
                whose.clone(),
                ("count", WALL_PAGE.to_string()),
                ("offset", (page * WALL_PAGE).to_string()),
                ("extended", "1".into()),
                ("fields", USER_FIELDS.into()),
            ];
            let answer = self.api.call(SourceKind::VkWall, "wall.get", token, &params).await?;
            people.learn(&answer);
            let page_items = items(&answer);
            for p in &page_items {
                let date = p.get("date").and_then(Value::as_i64).unwrap_or(0);
                let pinned = p.get("is_pinned").and_then(Value::as_i64) == Some(1);
                if date <= from {
                    // A pinned post comes first whatever its age.
                    if pinned {
                        continue;
                    }
                    break 'pages;
                }
                let (Some(owner_id), Some(id)) =
                    (p.get("owner_id").and_then(Value::as_i64), p.get("id").and_then(Value::as_i64))
                else {
                    skipped += 1;
                    continue;
                };
                if *comments && count(p, "comments").unwrap_or(0) > 0 && commented.len() < COMMENTED_POSTS_MAX {
                    commented.push((owner_id, id));
                }
                match wall_post(req.source, &people, p) {
                    Some(post) => posts.push(post),
                    None => skipped += 1,
                }
            }
            if page_items.len() < WALL_PAGE {
                break;
            }
        }
        for (owner_id, id) in commented {
            let params = [
                ("owner_id", owner_id.to_string()),
                ("post_id", id.to_string()),
                ("count", COMMENTS_PAGE.to_string()),
                ("sort", "desc".into()),
                ("need_likes", "1".into()),
                ("thread_items_count", THREAD_ITEMS.to_string()),
                ("extended", "1".into()),
                ("fields", USER_FIELDS.into()),
            ];
            let answer = match self.api.call(SourceKind::VkWall, "wall.getComments", token, &params).await {
                Ok(a) => a,
                // Comments closed on one post: the others are still read.
                Err(ConnectorError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            people.learn(&answer);
            for c in items(&answer) {
                let replies = c.pointer("/thread/items").and_then(Value::as_array).cloned().unwrap_or_default();
                for c in std::iter::once(&c).chain(&replies) {
                    match wall_comment(req.source, &people, owner_id, id, c) {
                        Some(post) => posts.push(post),
                        None => skipped += 1,
                    }
                }
            }
        }
        let next = serde_json::to_string(&WallCursor { done_until: Some(now) }).expect("cursor serialises");
        Ok(Fetched { posts, skipped, next: Some(Cursor(next)), unchanged: false })
    }
}

/// What VK's Callback API pushes, read as posts.
pub struct VkPushes;

impl smrm_domain::ports::PushDecoder for VkPushes {
    fn decode(&self, source: &Source, kind: &str, object: &Value) -> Option<PostInput> {
        callback_post(source, kind, object)
    }
}

/// One event VK's Callback API pushed, as a post of `source` (`None`:
/// a type that is not a post, or an object without text).
pub fn callback_post(source: &Source, kind: &str, object: &Value) -> Option<PostInput> {
    let people = People::default();
    match kind {
        "wall_post_new" | "wall_repost" => wall_post(source, &people, object),
        "wall_reply_new" => {
            let owner = object.get("post_owner_id").or_else(|| object.get("owner_id"))?.as_i64()?;
            let post = object.get("post_id")?.as_i64()?;
            wall_comment(source, &people, owner, post, object)
        }
        "photo_comment_new" | "video_comment_new" | "board_post_new" => {
            let (what, id_key, owner_key) = match kind {
                "photo_comment_new" => ("photo", "photo_id", "photo_owner_id"),
                "video_comment_new" => ("video", "video_id", "video_owner_id"),
                _ => ("topic", "topic_id", "topic_owner_id"),
            };
            let owner = object.get(owner_key)?.as_i64()?;
            let on = object.get(id_key)?.as_i64()?;
            let parent = format!("{what}{owner}_{on}");
            comment(source, &people, parent.clone(), format!("https://vk.com/{parent}"), object)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vk_errors_map_to_what_the_poller_does() {
        let now = Utc::now();
        let e = |code: i64| vk_error("wall.get", &json!({"error_code": code, "error_msg": "m"}), now);
        assert!(matches!(e(5), ConnectorError::Auth(_)));
        assert_eq!(e(6), ConnectorError::RateLimited { retry_after: Duration::from_secs(1) });
        assert!(matches!(e(9), ConnectorError::RateLimited { .. }));
        assert!(matches!(e(29), ConnectorError::QuotaExhausted { until } if until > now));
        assert!(matches!(e(14), ConnectorError::Blocked(m) if m.contains("captcha")));
        assert!(matches!(e(30), ConnectorError::NotFound(_)));
        assert!(matches!(e(10), ConnectorError::Transient(_)));
    }
}
