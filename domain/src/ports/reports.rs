//! What reports read: the report cache, the rollups, authors and answered mentions.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::DomainResult;
use crate::ids::{BrandId, TenantId};
use crate::model::mention::{Mention, SentimentLabel, SourceType};

/// Computed reports, cached per tenant. Every method is infallible on purpose:
/// a cache that is down is a miss, never a failed request.
#[async_trait]
pub trait ReportCache: Send + Sync {
    /// Shared, not copied: a cached report is answered as it is kept.
    async fn get(&self, tenant: TenantId, key: &str) -> Option<Arc<[u8]>>;
    async fn put(&self, tenant: TenantId, key: &str, value: &[u8], ttl: Duration);
    /// Makes every cached report of the tenant unreachable (its inputs changed).
    async fn invalidate(&self, tenant: TenantId);
    /// `"redis"` or `"memory"`, for `/readyz` and logs.
    fn backend(&self) -> &'static str;
}

/// Which dimensions, beside brand and hour, rollup rows keep apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupGroup {
    /// Brand and hour only (Share of Voice).
    Brand,
    /// Also sentiment and source type (the sentiment report).
    SentimentAndSource,
    /// Also platform (the engagement report).
    Platform,
}

/// What to read from the rollups: mentions of `brands` published in `[from, to)`.
#[derive(Debug, Clone)]
pub struct RollupQuery<'a> {
    pub brands: &'a [BrandId],
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub platform: Option<&'a str>,
    pub source_type: Option<crate::model::mention::SourceType>,
    pub sentiment: Option<crate::model::mention::SentimentLabel>,
    pub group: RollupGroup,
}

/// Pre-aggregated mentions of one brand in one slot of time; the dimensions
/// not grouped by are `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct RollupRow {
    pub brand_id: BrandId,
    /// The slot's start: an hour, or a minute in a partial hour at the period's edges.
    pub at: DateTime<Utc>,
    pub platform: Option<String>,
    pub source_type: Option<crate::model::mention::SourceType>,
    pub sentiment: Option<crate::model::mention::SentimentLabel>,
    pub sums: crate::metrics::EngagementSums,
}

/// How to rank authors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorSort {
    Mentions,
    Reach,
    Engagement,
    Negative,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuthorQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub platform: Option<String>,
    pub source_type: Option<crate::model::mention::SourceType>,
    pub sort: AuthorSort,
    pub limit: u32,
}

/// One author of a brand's mentions, summed over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorRow {
    pub platform: String,
    pub handle: String,
    pub name: Option<String>,
    pub followers: u64,
    pub mentions: u64,
    pub negative: u64,
    pub engagement: u64,
    pub reach: u64,
}

/// When a mention got its first official answer, for the response report.
#[derive(Debug, Clone, PartialEq)]
pub struct AnsweredMention {
    pub sentiment: SentimentLabel,
    pub published_at: DateTime<Utc>,
    pub first_response_at: DateTime<Utc>,
}

/// Which answered mentions the response report reads: one brand's, published
/// in `[from, to)`.
#[derive(Debug, Clone)]
pub struct AnsweredQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub platform: Option<String>,
    pub source_type: Option<SourceType>,
}

/// What reports read: pre-aggregated rollups, the most engaged negative
/// mentions and the top authors.
#[async_trait]
pub trait RollupReader: Send + Sync {
    /// Aggregates of mentions per brand and hour (finer at the period's
    /// edges), and per the dimensions `q.group` asks for.
    async fn rollups(&self, tenant: TenantId, q: &RollupQuery<'_>) -> DomainResult<Vec<RollupRow>>;
    /// The brand's negative mentions published in `[from, to)` with the most
    /// engagement (likes + comments + reposts), at most `limit`.
    async fn most_engaged_negative(
        &self,
        tenant: TenantId,
        brand: BrandId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> DomainResult<Vec<Mention>>;
    /// The top authors of a brand's mentions on the UTC days overlapping `[from, to)`.
    async fn top_authors(&self, tenant: TenantId, brand: BrandId, q: &AuthorQuery) -> DomainResult<Vec<AuthorRow>>;
}

/// A computed report as the cache keeps it: the body, an `ETag` derived
/// from it, and a compressed copy when compression pays. Its parts share
/// the stored bytes: a hit copies nothing.
#[derive(Clone)]
pub struct CachedReport {
    /// Changes with the body (it need not resist forgery).
    pub etag: u128,
    pub body: SharedBytes,
    /// gzip of the body; empty when it would not be smaller.
    pub gzip: SharedBytes,
}

/// A range of bytes shared with the cache, never copied.
#[derive(Clone)]
pub struct SharedBytes {
    data: Arc<[u8]>,
    range: std::ops::Range<usize>,
}

impl SharedBytes {
    /// `None` when `range` is not within `data`.
    pub fn new(data: Arc<[u8]>, range: std::ops::Range<usize>) -> Option<Self> {
        (range.start <= range.end && range.end <= data.len()).then_some(Self { data, range })
    }

    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }
}

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.data[self.range.clone()]
    }
}

/// How a computed report is laid out in the cache (and read back): its
/// `ETag` and its compressed copy are made once, when it is stored, so a
/// hit neither hashes nor compresses.
pub trait ReportCodec: Send + Sync {
    fn encode(&self, body: Vec<u8>) -> Vec<u8>;
    /// `None` for bytes that are not an entry (the report is then computed).
    fn decode(&self, stored: Arc<[u8]>) -> Option<CachedReport>;
}
