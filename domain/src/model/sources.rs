//! Pull sources: feeds SMRM polls itself (RSS and Atom, for online media),
//! whose entries go through the same ingest as pushed posts.

use chrono::{DateTime, Utc};

use crate::error::{DomainResult, Violations};
use crate::ids::{SourceId, TenantId};
use crate::model::integrations::check_outbound_url;
use crate::model::mention::{PostInput, SourceType, check_batch, check_platform};

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

/// Where a connector left off, opaque to all but the connector that wrote
/// it (an RSS feed's validators, a platform's newest timestamp or paging
/// token), kept on the source between polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub String);

/// What one fetch from a platform gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fetched {
    /// The posts, newest or oldest first as the platform gives them; the
    /// pipeline deduplicates, so a post seen again changes nothing.
    pub posts: Vec<PostInput>,
    /// Items the connector could not make a post of (no text, no id, …).
    pub skipped: u64,
    /// Where the next fetch starts; `None` keeps the current cursor.
    pub next: Option<Cursor>,
    /// Nothing changed since the cursor (an HTTP `304 Not Modified`).
    pub unchanged: bool,
}

/// What a platform can answer instead of posts, in the words every
/// connector maps its errors into: the poller treats each kind alike,
/// whatever the platform.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectorError {
    /// The credentials were refused or lack a permission.
    #[error("the platform refused the credentials: {0}")]
    Auth(String),
    /// Too many calls: the platform asks to wait this long.
    #[error("rate limited by the platform; retrying in {} s", retry_after.as_secs())]
    RateLimited { retry_after: std::time::Duration },
    /// A daily or monthly quota is used up until then.
    #[error("the platform's quota is used up until {until}")]
    QuotaExhausted { until: DateTime<Utc> },
    /// What the source names does not exist (any more).
    #[error("not found on the platform: {0}")]
    NotFound(String),
    /// Anything else worth retrying at the next poll: timeouts, 5xx,
    /// unreadable answers.
    #[error("{0}")]
    Transient(String),
}

impl ConnectorError {
    /// When to poll again, if the platform said (sooner is pointless).
    pub fn retry_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            ConnectorError::RateLimited { retry_after } => {
                Some(now + chrono::Duration::from_std(*retry_after).unwrap_or(chrono::Duration::zero()))
            }
            ConnectorError::QuotaExhausted { until } => Some(*until),
            _ => None,
        }
    }

    /// The poll outcome it is counted as.
    pub fn outcome(&self) -> &'static str {
        match self {
            ConnectorError::RateLimited { .. } | ConnectorError::QuotaExhausted { .. } => "rate_limited",
            ConnectorError::Auth(_) => "auth_failed",
            ConnectorError::NotFound(_) => "not_found",
            ConnectorError::Transient(_) => "failed",
        }
    }
}

/// Whether one post is valid as a post of any batch: connectors build
/// posts from what platforms give, and an invalid one is skipped, not
/// allowed to fail the whole poll.
pub fn is_valid_post(post: &PostInput, now: DateTime<Utc>) -> bool {
    check_batch(std::slice::from_ref(post), &Default::default(), now).is_empty()
}
