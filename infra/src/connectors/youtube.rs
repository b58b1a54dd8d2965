//! YouTube through the Data API v3 with a tenant's API key:
//! `youtube_search` runs `search.list` (videos, newest first) for the
//! brands' keywords, several per query (`"a"|"b"`, YouTube's OR), then
//! `videos.list` for the found videos' statistics; `youtube_channel` reads
//! the comments on every video of a channel (`commentThreads.list` with
//! `allThreadsRelatedToChannelId`), newest first, back to the window.
//!
//! Quota: a key has 10,000 units a day by default, reset at midnight
//! Pacific time; `search.list` costs 100, the others 1. SMRM counts what
//! each key spends per replica and stops before the quota is gone; YouTube's
//! own `403 quotaExceeded` pauses the source until the reset too. It is a
//! pause, never an invalid key. An invalid key (`400 API_KEY_INVALID`,
//! `keyInvalid`) or a `403` that is not about quota (`forbidden`,
//! `accessNotConfigured`) makes the credential invalid.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;
use serde_json::Value;
use sha2::{Digest, Sha256};
use smrm_domain::model::credentials::Secret;
use smrm_domain::model::mention::{Author, PostInput, TEXT_MAX_CHARS};
use smrm_domain::model::sources::{ConnectorError, Cursor, Fetched, Source, SourceConfig, SourceKind};
use smrm_domain::ports::{Connector, FetchRequest};

use super::rss::html_to_text;
use super::windows::{FIRST_WINDOW_SECONDS, OVERLAP_SECONDS, Windows};
use super::{Answer, Upstream};

pub const DEFAULT_URL: &str = "https://www.googleapis.com/youtube/v3";
/// A key's daily units.
pub const DAILY_UNITS: u32 = 10_000;
const SEARCH_COST: u32 = 100;
const LIST_COST: u32 = 1;
/// Results per `search.list` page (its maximum).
const SEARCH_PAGE: usize = 50;
/// `search.list` pages per query and run: each costs 100 units.
const SEARCH_PAGES_MAX: usize = 4;
/// The longest query (`"a"|"b"|…`) sent at once.
const QUERY_MAX_CHARS: usize = 400;
/// Comment threads per page (its maximum), and pages per run.
const THREADS_PAGE: usize = 100;
const THREAD_PAGES_MAX: usize = 10;

/// YouTube's API with the units each key spent today (per replica).
pub struct YoutubeApi {
    api: Upstream,
    spent: Mutex<HashMap<String, (chrono::NaiveDate, u32)>>,
    daily_units: u32,
}

/// The next midnight in Pacific time, when YouTube's quotas reset.
fn quota_reset(now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&Los_Angeles);
    let tomorrow = local.date_naive().succ_opt().unwrap_or(local.date_naive());
    Los_Angeles
        .from_local_datetime(&tomorrow.and_time(NaiveTime::MIN))
        .earliest()
        .map_or(now + chrono::Duration::hours(24), |t| t.with_timezone(&Utc))
}

fn key_id(key: &Secret) -> String {
    crate::crypto::hex(&Sha256::digest(key.expose().as_bytes())[..8])
}

/// A YouTube error answer in the poller's words.
fn youtube_error(answer: &Answer, what: &str, now: DateTime<Utc>) -> ConnectorError {
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    let error = &body["error"];
    let message = error["message"].as_str().unwrap_or("no message");
    let reasons: Vec<&str> = error["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(error["details"].as_array().into_iter().flatten())
        .filter_map(|e| e["reason"].as_str())
        .collect();
    let has = |r: &str| reasons.contains(&r);
    let code = answer.status.as_u16();
    let said = format!("YouTube {what}: {code} {}", reasons.first().copied().unwrap_or("error"));
    if has("quotaExceeded") || has("dailyLimitExceeded") {
        return ConnectorError::QuotaExhausted { until: quota_reset(now) };
    }
    if has("rateLimitExceeded") || has("userRateLimitExceeded") || code == 429 {
        return ConnectorError::RateLimited { retry_after: std::time::Duration::from_secs(60) };
    }
    if has("keyInvalid") || has("API_KEY_INVALID") || message.starts_with("API key not valid") {
        return ConnectorError::Auth(format!("{said}: the API key is not valid; add a valid one as a new credential"));
    }
    if has("commentsDisabled") || has("channelNotFound") || has("videoNotFound") || code == 404 {
        return ConnectorError::NotFound(format!("{said}: {message}"));
    }
    match code {
        401 | 403 => ConnectorError::Auth(format!("{said}: {message}")),
        _ => ConnectorError::Transient(format!("{said}: {message}")),
    }
}

impl YoutubeApi {
    pub fn new(api: Upstream) -> Self {
        Self::with_units(api, DAILY_UNITS)
    }

    /// With another daily allowance per key (a raised quota).
    pub fn with_units(api: Upstream, daily_units: u32) -> Self {
        Self { api, spent: Mutex::new(HashMap::new()), daily_units }
    }

    /// Takes `cost` units of the key's day, or says when the day ends.
    fn spend(&self, key: &Secret, cost: u32, now: DateTime<Utc>) -> Result<(), ConnectorError> {
        let today = now.with_timezone(&Los_Angeles).date_naive();
        let mut spent = self.spent.lock().expect("quota lock");
        let entry = spent.entry(key_id(key)).or_insert((today, 0));
        if entry.0 != today {
            *entry = (today, 0);
        }
        if entry.1 + cost > self.daily_units {
            return Err(ConnectorError::QuotaExhausted { until: quota_reset(now) });
        }
        entry.1 += cost;
        Ok(())
    }

    async fn get(
        &self,
        kind: SourceKind,
        path: &str,
        key: &Secret,
        cost: u32,
        params: &[(&str, String)],
        now: DateTime<Utc>,
    ) -> Result<Value, ConnectorError> {
        self.spend(key, cost, now)?;
        let id = key_id(key);
        let answer = self
            .api
            .call(kind, reqwest::Method::GET, path, &id, |r| r.query(params).query(&[("key", key.expose())]))
            .await?;
        if !answer.status.is_success() {
            return Err(youtube_error(&answer, path.trim_start_matches('/'), now));
        }
        answer.json(&format!("YouTube {path}"))
    }
}

fn key<'a>(req: &FetchRequest<'a>) -> Result<&'a Secret, ConnectorError> {
    req.secret.ok_or_else(|| ConnectorError::Auth("the source has no YouTube credential".into()))
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.as_str()?).ok().map(|t| t.with_timezone(&Utc))
}

fn rfc3339(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A count YouTube writes as a string (`"12345"`) or a number.
fn count(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The keywords as few queries as fit: `"a"|"b"|…`.
fn queries(terms: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for term in terms {
        let phrase = format!("\"{}\"", term.replace(['"', '|'], " "));
        match out.last_mut() {
            Some(q) if q.chars().count() + 1 + phrase.chars().count() <= QUERY_MAX_CHARS => {
                q.push('|');
                q.push_str(&phrase);
            }
            _ => out.push(phrase),
        }
    }
    out
}

/// `youtube_search`.
pub struct YoutubeSearchConnector {
    pub api: std::sync::Arc<YoutubeApi>,
}

#[async_trait]
impl Connector for YoutubeSearchConnector {
    fn kind(&self) -> SourceKind {
        SourceKind::YoutubeSearch
    }

    async fn fetch(&self, req: FetchRequest<'_>) -> Result<Fetched, ConnectorError> {
        let key = key(&req)?;
        let kind = SourceKind::YoutubeSearch;
        let queries = queries(req.terms);
        let mut windows = Windows::read(req.cursor.map(|c| c.0.as_str()));
        let mut seen = HashSet::new();
        let mut found: Vec<Value> = Vec::new();
        for q in &queries {
            // One window per query, paged with YouTube's tokens; a walk the
            // page limit cuts short goes on below its oldest video next run.
            let w = windows.window(q, req.now.timestamp());
            let (mut token, mut oldest, mut done) = (None::<String>, None::<i64>, false);
            for _ in 0..SEARCH_PAGES_MAX {
                let mut params = vec![
                    ("part", "snippet".to_owned()),
                    ("type", "video".into()),
                    ("order", "date".into()),
                    ("q", q.clone()),
                    ("maxResults", SEARCH_PAGE.to_string()),
                    ("publishedAfter", rfc3339(w.from)),
                    ("publishedBefore", rfc3339(w.upper)),
                ];
                if let Some(t) = &token {
                    params.push(("pageToken", t.clone()));
                }
                let page = self.api.get(kind, "/search", key, SEARCH_COST, &params, req.now).await?;
                for item in page["items"].as_array().cloned().unwrap_or_default() {
                    if let Some(t) = time(&item["snippet"]["publishedAt"]) {
                        oldest = Some(oldest.map_or(t.timestamp(), |o: i64| o.min(t.timestamp())));
                    }
                    if item["id"]["videoId"].as_str().is_some_and(|id| seen.insert(id.to_owned())) {
                        found.push(item);
                    }
                }
                token = page["nextPageToken"].as_str().map(str::to_owned);
                if token.is_none() {
                    done = true;
                    break;
                }
            }
            match oldest.and_then(|o| w.after_page(o)).filter(|_| !done) {
                Some(rest) => windows.unfinished(q, rest),
                None => windows.finished(q, w),
            }
        }
        // The statistics of what was found, 50 videos a call.
        let mut stats: HashMap<String, Value> = HashMap::new();
        let ids: Vec<String> = found.iter().filter_map(|i| i["id"]["videoId"].as_str().map(str::to_owned)).collect();
        for chunk in ids.chunks(50) {
            let params = [("part", "statistics".to_owned()), ("id", chunk.join(","))];
            let answer = self.api.get(kind, "/videos", key, LIST_COST, &params, req.now).await?;
            for v in answer["items"].as_array().into_iter().flatten() {
                if let Some(id) = v["id"].as_str() {
                    stats.insert(id.to_owned(), v["statistics"].clone());
                }
            }
        }
        let mut skipped = 0;
        let posts = found
            .iter()
            .filter_map(|item| {
                let post = video_post(req.source, item, stats.get(item["id"]["videoId"].as_str()?));
                skipped += u64::from(post.is_none());
                post
            })
            .collect();
        let next = Cursor(windows.write(&queries));
        Ok(Fetched { posts, skipped, next: Some(next), unchanged: false })
    }
}

fn video_post(source: &Source, item: &Value, stats: Option<&Value>) -> Option<PostInput> {
    let id = item["id"]["videoId"].as_str()?;
    let s = &item["snippet"];
    let title = s["title"].as_str().map(html_to_text).filter(|t| !t.is_empty());
    let description = s["description"].as_str().map(html_to_text).filter(|t| !t.is_empty());
    // What is matched: the title and the description.
    let text = match (&title, description) {
        (Some(t), Some(d)) => format!("{t}\n\n{d}"),
        (t, d) => d.or_else(|| t.clone())?,
    };
    let stat = |k: &str| stats.and_then(|s| count(&s[k]));
    Some(PostInput {
        external_id: id.to_owned(),
        platform: source.platform.clone(),
        source_type: source.source_type,
        url: Some(format!("https://www.youtube.com/watch?v={id}")),
        title: title.map(|t| clip(&t, 1000)),
        text: Some(clip(&text, TEXT_MAX_CHARS)),
        parent_external_id: None,
        repost_of_external_id: None,
        language: None,
        published_at: time(&s["publishedAt"])?,
        author: Author {
            external_id: s["channelId"].as_str().map(str::to_owned),
            handle: clip(s["channelTitle"].as_str().or(s["channelId"].as_str()).unwrap_or("youtube"), 200),
            name: s["channelTitle"].as_str().map(|n| clip(n, 200)),
            followers: None,
        },
        likes: stat("likeCount"),
        comments: stat("commentCount"),
        reposts: None,
        views: stat("viewCount"),
        reach: None,
        sentiment: None,
        brand_id: None,
    })
}

/// `youtube_channel`: the comments on a channel's videos.
pub struct YoutubeChannelConnector {
    pub api: std::sync::Arc<YoutubeApi>,
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct ChannelCursor {
    done_until: Option<i64>,
}

#[async_trait]
impl Connector for YoutubeChannelConnector {
    fn kind(&self) -> SourceKind {
        SourceKind::YoutubeChannel
    }

    async fn fetch(&self, req: FetchRequest<'_>) -> Result<Fetched, ConnectorError> {
        let key = key(&req)?;
        let SourceConfig::YoutubeChannel { channel_id } = &req.source.config else {
            return Err(ConnectorError::Transient("not a YouTube channel source".into()));
        };
        let cursor: ChannelCursor = req.cursor.and_then(|c| serde_json::from_str(&c.0).ok()).unwrap_or_default();
        let now = req.now.timestamp();
        let from = match cursor.done_until {
            Some(until) => until - OVERLAP_SECONDS,
            None => now - FIRST_WINDOW_SECONDS,
        };
        let (mut posts, mut skipped, mut token) = (Vec::new(), 0, None::<String>);
        for _ in 0..THREAD_PAGES_MAX {
            let mut params = vec![
                ("part", "snippet".to_owned()),
                ("allThreadsRelatedToChannelId", channel_id.clone()),
                ("order", "time".into()),
                ("maxResults", THREADS_PAGE.to_string()),
                ("textFormat", "plainText".into()),
            ];
            if let Some(t) = &token {
                params.push(("pageToken", t.clone()));
            }
            let page =
                self.api.get(SourceKind::YoutubeChannel, "/commentThreads", key, LIST_COST, &params, req.now).await?;
            let mut reached_start = false;
            for thread in page["items"].as_array().into_iter().flatten() {
                match comment_post(req.source, thread) {
                    Some(p) if p.published_at.timestamp() > from => posts.push(p),
                    Some(_) => reached_start = true,
                    None => skipped += 1,
                }
            }
            token = page["nextPageToken"].as_str().map(str::to_owned);
            if reached_start || token.is_none() {
                break;
            }
        }
        let next = serde_json::to_string(&ChannelCursor { done_until: Some(now) }).expect("cursor serialises");
        Ok(Fetched { posts, skipped, next: Some(Cursor(next)), unchanged: false })
    }
}

fn comment_post(source: &Source, thread: &Value) -> Option<PostInput> {
    let top = &thread["snippet"]["topLevelComment"];
    let id = top["id"].as_str().or(thread["id"].as_str())?;
    let s = &top["snippet"];
    let video = s["videoId"].as_str().or(thread["snippet"]["videoId"].as_str());
    let text = s["textOriginal"].as_str().map(str::to_owned).or_else(|| s["textDisplay"].as_str().map(html_to_text))?;
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(PostInput {
        external_id: id.to_owned(),
        platform: source.platform.clone(),
        source_type: source.source_type,
        url: Some(match video {
            Some(v) => format!("https://www.youtube.com/watch?v={v}&lc={id}"),
            None => {
                format!("https://www.youtube.com/channel/{}/community?lc={id}", s["channelId"].as_str().unwrap_or(""))
            }
        }),
        title: None,
        text: Some(clip(text, TEXT_MAX_CHARS)),
        parent_external_id: video.map(str::to_owned),
        repost_of_external_id: None,
        language: None,
        published_at: time(&s["publishedAt"])?,
        author: Author {
            external_id: s["authorChannelId"]["value"].as_str().map(str::to_owned),
            handle: clip(s["authorDisplayName"].as_str().unwrap_or("[deleted]"), 200),
            name: None,
            followers: None,
        },
        likes: count(&s["likeCount"]),
        comments: count(&thread["snippet"]["totalReplyCount"]),
        reposts: None,
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
    fn quotas_reset_at_midnight_pacific() {
        let summer = DateTime::parse_from_rfc3339("2026-07-01T12:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(quota_reset(summer).to_rfc3339(), "2026-07-02T07:00:00+00:00");
        let winter = DateTime::parse_from_rfc3339("2026-12-03T09:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(quota_reset(winter).to_rfc3339(), "2026-12-04T08:00:00+00:00");
    }

    #[test]
    fn keywords_share_queries_with_or() {
        assert_eq!(queries(&["Дейнет".into(), "Deynet".into()]), ["\"Дейнет\"|\"Deynet\""]);
        let long: Vec<String> = (0..100).map(|i| format!("keyword number {i}")).collect();
        let q = queries(&long);
        assert!(q.len() > 1 && q.iter().all(|q| q.chars().count() <= QUERY_MAX_CHARS));
    }
}
