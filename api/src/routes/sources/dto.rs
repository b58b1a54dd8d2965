//! Bodies of the source endpoints: the pull sources SMRM polls.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smrm_domain::model::sources::{Source, SourceInput, SourceKind, SourcePatch};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::routes::common::*;
use crate::routes::mentions::dto::SourceTypeDto;

/// The kind of pull connector: `rss` reads RSS and Atom feeds alike.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[schema(as = SourceKind)]
pub enum SourceKindDto {
    Rss,
}

list_type! {
    /// A page of sources.
    SourceList => SourceDto;
}

/// A feed SMRM polls itself. Its entries become posts of `platform` and
/// `source_type` (the entry id is the post's `external_id`, so an entry is
/// stored once), matched against the tenant's brands like pushed posts.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Source, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7dd0", "kind": "rss", "url": "https://www.vedomosti.ru/rss/news", "source_type": "news", "platform": "vedomosti", "poll_seconds": 300, "enabled": true, "next_poll_at": "2026-11-26T10:05:00Z", "last_polled_at": "2026-11-26T10:00:00Z", "last_success_at": "2026-11-26T10:00:00Z", "last_error": null, "last_error_at": null, "posts_created": 42, "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"}))]
pub struct SourceDto {
    pub id: Uuid,
    pub kind: SourceKindDto,
    pub url: String,
    pub source_type: SourceTypeDto,
    pub platform: String,
    /// Polled no more often than this.
    pub poll_seconds: u64,
    pub enabled: bool,
    pub next_poll_at: DateTime<Utc>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last poll's failure; `null` once a poll succeeds.
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Mentions its entries created, in all.
    pub posts_created: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Source> for SourceDto {
    fn from(s: Source) -> Self {
        Self {
            id: s.id.0,
            kind: SourceKindDto::Rss,
            url: s.url,
            source_type: s.source_type.into(),
            platform: s.platform,
            poll_seconds: s.poll_seconds,
            enabled: s.enabled,
            next_poll_at: s.next_poll_at,
            last_polled_at: s.last_polled_at,
            last_success_at: s.last_success_at,
            last_error: s.last_error,
            last_error_at: s.last_error_at,
            posts_created: s.posts_created,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewSource, example = json!({"kind": "rss", "url": "https://www.vedomosti.ru/rss/news", "source_type": "news", "platform": "vedomosti", "poll_seconds": 300}))]
pub struct NewSourceDto {
    pub kind: SourceKindDto,
    /// The feed's http(s) URL, on a public host (unless the operator allows private networks).
    pub url: String,
    pub source_type: SourceTypeDto,
    /// A platform slug for its posts.
    pub platform: String,
    /// At least `SMRM_SOURCE_MIN_POLL_SECONDS` (60 by default), at most 86,400.
    pub poll_seconds: u64,
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl From<NewSourceDto> for SourceInput {
    fn from(d: NewSourceDto) -> Self {
        Self {
            kind: SourceKind::Rss,
            url: d.url,
            source_type: d.source_type.into(),
            platform: d.platform,
            poll_seconds: d.poll_seconds,
            enabled: d.enabled,
        }
    }
}

/// Changes to a source; absent fields stay. A new URL is polled at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SourcePatch, example = json!({"poll_seconds": 600}))]
pub struct SourcePatchDto {
    #[serde(default, deserialize_with = "present")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub source_type: Option<SourceTypeDto>,
    #[serde(default, deserialize_with = "present")]
    pub platform: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub poll_seconds: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    pub enabled: Option<bool>,
}

impl From<SourcePatchDto> for SourcePatch {
    fn from(d: SourcePatchDto) -> Self {
        Self {
            url: d.url,
            source_type: d.source_type.map(Into::into),
            platform: d.platform,
            poll_seconds: d.poll_seconds,
            enabled: d.enabled,
        }
    }
}
