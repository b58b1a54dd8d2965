//! Hacker News through its Algolia search API (`search_by_date`, no key):
//! stories and comments that contain the brands' keywords.
//!
//! One query per keyword (Algolia ANDs the words of a query, and its OR is
//! ranked, not exhaustive), each a quoted phrase. A query returns at most
//! 1,000 hits however it is paged, so each keyword's window is walked
//! newest first by moving its upper time bound to the oldest hit seen:
//! every post of a busy window is read, not only its first thousand.
//! Calls are paced at the API's published 10,000 per hour per address.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use smrm_domain::model::mention::{Author, PostInput, TEXT_MAX_CHARS};
use smrm_domain::model::sources::{ConnectorError, Cursor, Fetched, Source, SourceKind};
use smrm_domain::ports::{Connector, FetchRequest};

use super::rss::html_to_text;
use super::windows::Windows;
use super::{Upstream, status_error};

/// The public API.
pub const DEFAULT_URL: &str = "https://hn.algolia.com/api/v1";
/// Hits asked per call.
const PAGE: usize = 200;
/// Calls per keyword and run at most; a keyword with more posts in its
/// window continues from where it stopped at the next run.
const PAGES_MAX: usize = 25;

pub struct HnConnector {
    api: Upstream,
}

impl HnConnector {
    pub fn new(api: Upstream) -> Self {
        Self { api }
    }
}

#[derive(Debug, Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    hits: Vec<Hit>,
}

#[derive(Debug, Deserialize)]
struct Hit {
    #[serde(rename = "objectID")]
    object_id: String,
    created_at_i: i64,
    title: Option<String>,
    author: Option<String>,
    points: Option<i64>,
    num_comments: Option<i64>,
    story_text: Option<String>,
    comment_text: Option<String>,
    story_title: Option<String>,
    parent_id: Option<i64>,
    #[serde(default, rename = "_tags")]
    tags: Vec<String>,
}

impl HnConnector {
    /// Hits of `term` with `from < created_at_i <= upper`, newest first.
    async fn page(&self, term: &str, from: i64, upper: i64) -> Result<Vec<Hit>, ConnectorError> {
        let query = format!("\"{}\"", term.replace('"', " "));
        let filters = format!("created_at_i>{from},created_at_i<={upper}");
        let answer = self
            .api
            .call(SourceKind::HnSearch, reqwest::Method::GET, "/search_by_date", "", |r| {
                r.query(&[
                    ("query", query.as_str()),
                    ("tags", "(story,comment)"),
                    ("numericFilters", filters.as_str()),
                    ("hitsPerPage", &PAGE.to_string()),
                    ("typoTolerance", "false"),
                ])
            })
            .await?;
        if !answer.status.is_success() {
            return Err(status_error(answer.status, &answer.headers, "Hacker News search"));
        }
        Ok(answer.json::<SearchAnswer>("Hacker News search")?.hits)
    }
}

#[async_trait]
impl Connector for HnConnector {
    fn kind(&self) -> SourceKind {
        SourceKind::HnSearch
    }

    async fn fetch(&self, req: FetchRequest<'_>) -> Result<Fetched, ConnectorError> {
        let mut windows = Windows::read(req.cursor.map(|c| c.0.as_str()));
        let mut seen = HashSet::new();
        let (mut posts, mut skipped) = (Vec::new(), 0);
        for term in req.terms {
            let mut window = Some(windows.window(term, req.now.timestamp()));
            for _ in 0..PAGES_MAX {
                let Some(w) = window else { break };
                let hits = self.page(term, w.from, w.upper).await?;
                let full = hits.len() >= PAGE;
                let oldest = hits.iter().map(|h| h.created_at_i).min();
                for hit in hits.into_iter().filter(|h| seen.insert(h.object_id.clone())) {
                    match to_post(req.source, hit) {
                        Some(p) => posts.push(p),
                        None => skipped += 1,
                    }
                }
                window = match oldest {
                    Some(oldest) if full => w.after_page(oldest),
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

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn to_post(source: &Source, hit: Hit) -> Option<PostInput> {
    let published_at = DateTime::<Utc>::from_timestamp(hit.created_at_i, 0)?;
    let is_comment = hit.tags.iter().any(|t| t == "comment");
    let body = hit.comment_text.or(hit.story_text).map(|h| html_to_text(&h)).filter(|t| !t.is_empty());
    let title = hit.title.filter(|t| !t.trim().is_empty());
    let text = body.or_else(|| title.clone())?;
    let count = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok());
    Some(PostInput {
        url: Some(format!("https://news.ycombinator.com/item?id={}", hit.object_id)),
        title: if is_comment { hit.story_title.map(|t| clip(&t, 1000)) } else { title.map(|t| clip(&t, 1000)) },
        text: Some(clip(&text, TEXT_MAX_CHARS)),
        parent_external_id: if is_comment { hit.parent_id.map(|p| p.to_string()) } else { None },
        repost_of_external_id: None,
        external_id: hit.object_id,
        platform: source.platform.clone(),
        source_type: source.source_type,
        language: None,
        published_at,
        author: Author {
            external_id: None,
            handle: clip(hit.author.as_deref().unwrap_or("[deleted]"), 200),
            name: None,
            followers: None,
        },
        likes: count(hit.points),
        comments: count(hit.num_comments),
        reposts: None,
        views: None,
        reach: None,
        sentiment: None,
        brand_id: None,
    })
}
