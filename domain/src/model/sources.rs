//! Pull sources: feeds SMRM polls itself (RSS and Atom, for online media),
//! whose entries go through the same ingest as pushed posts.

use chrono::{DateTime, Utc};

use crate::error::{DomainResult, Violations};
use crate::ids::{SourceId, TenantId};
use crate::model::integrations::check_outbound_url;
use crate::model::mention::{Author, PostInput, SourceType, check_batch, check_platform};

pub const POLL_SECONDS_MAX: u64 = 86_400;

/// The kinds of pull connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// An RSS or Atom feed (either is recognised by its content).
    Rss,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Rss => "rss",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        (s == "rss").then_some(SourceKind::Rss)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: SourceId,
    pub tenant_id: TenantId,
    pub kind: SourceKind,
    pub url: String,
    /// Given to every post of the source.
    pub source_type: SourceType,
    pub platform: String,
    pub poll_seconds: u64,
    pub enabled: bool,
    pub next_poll_at: DateTime<Utc>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Mentions its entries created, in all.
    pub posts_created: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SourceInput {
    pub kind: SourceKind,
    pub url: String,
    pub source_type: SourceType,
    pub platform: String,
    pub poll_seconds: u64,
    pub enabled: bool,
}

#[derive(Debug, Clone, Default)]
pub struct SourcePatch {
    pub url: Option<String>,
    pub source_type: Option<SourceType>,
    pub platform: Option<String>,
    pub poll_seconds: Option<u64>,
    pub enabled: Option<bool>,
}

impl SourcePatch {
    pub fn merged(self, s: &Source) -> SourceInput {
        SourceInput {
            kind: s.kind,
            url: self.url.unwrap_or_else(|| s.url.clone()),
            source_type: self.source_type.unwrap_or(s.source_type),
            platform: self.platform.unwrap_or_else(|| s.platform.clone()),
            poll_seconds: self.poll_seconds.unwrap_or(s.poll_seconds),
            enabled: self.enabled.unwrap_or(s.enabled),
        }
    }
}

impl SourceInput {
    /// `min_poll_seconds`: `SMRM_SOURCE_MIN_POLL_SECONDS`.
    pub fn validate(self, min_poll_seconds: u64, allow_private: bool) -> DomainResult<SourceInput> {
        let mut v = Violations::new();
        check_outbound_url(&mut v, "url", &self.url, allow_private);
        check_platform(&mut v, "platform", &self.platform);
        if !(min_poll_seconds..=POLL_SECONDS_MAX).contains(&self.poll_seconds) {
            v.add("poll_seconds", format!("must be {min_poll_seconds} to {POLL_SECONDS_MAX} seconds"));
        }
        v.finish(self)
    }
}

/// One entry of a feed, as the fetcher read it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEntry {
    /// The entry's id (its guid, or its link), at most 200 characters.
    pub id: String,
    pub url: Option<String>,
    pub title: Option<String>,
    /// Plain text: the content or summary without markup.
    pub text: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub author: Option<String>,
}

/// What fetching a feed gave.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchOutcome {
    /// `304 Not Modified`: nothing new since the validators we sent.
    NotModified,
    Entries {
        entries: Vec<FeedEntry>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    Failed(String),
}

/// The validators of the last successful fetch, for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The entries of a feed as posts of `source`: the entry id is the post's
/// `external_id` (so a re-polled entry is a duplicate), the source gives
/// `platform` and `source_type`, the author is the entry's or else the
/// feed's host. Entries that would not make a valid post (no text nor
/// title) are skipped and counted.
pub fn entries_to_posts(source: &Source, entries: Vec<FeedEntry>, now: DateTime<Utc>) -> (Vec<PostInput>, usize) {
    let host = crate::model::integrations::url_host(&source.url).unwrap_or("feed").to_owned();
    let mut posts = Vec::with_capacity(entries.len());
    let mut skipped = 0;
    for e in entries {
        let text = e.text.filter(|t| !t.trim().is_empty()).or_else(|| e.title.clone());
        let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
            skipped += 1;
            continue;
        };
        let published_at = e.published_at.filter(|t| *t <= now).unwrap_or(now);
        let post = PostInput {
            external_id: clip(&e.id, 200),
            platform: source.platform.clone(),
            source_type: source.source_type,
            url: e.url.filter(|u| u.len() <= 2048 && (u.starts_with("https://") || u.starts_with("http://"))),
            title: e.title.map(|t| clip(&t, 1000)),
            text: Some(clip(&text, crate::model::mention::TEXT_MAX_CHARS)),
            language: None,
            published_at,
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
        };
        if check_batch(std::slice::from_ref(&post), &Default::default(), now).is_empty() {
            posts.push(post);
        } else {
            skipped += 1;
        }
    }
    (posts, skipped)
}
