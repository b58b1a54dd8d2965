//! Posts and mentions: ingest, the inbox and backfill.

use super::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::DomainResult;
use crate::ids::{BrandId, MentionId, PostId, TenantId};
use crate::model::mention::{Mention, MentionFilter, MentionOrder, MentionPage, NewMention, NewPost, Post, Sentiment};

/// Which of a mention's fields a change sets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MentionFields {
    pub sentiment: bool,
    pub status: bool,
    pub assignee: bool,
    pub tags: bool,
}

/// What a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    /// The mentions created, in storing order.
    pub created: Vec<MentionId>,
    /// Posts already stored (same platform and external id), also within the batch.
    pub duplicates: usize,
    /// Of the duplicates, those stored before whose engagement counts were
    /// updated (a re-collected post with other likes, views, …).
    pub updated: usize,
    /// New posts that matched no brand.
    pub unmatched: usize,
    /// The brands that got new mentions (alert rules look at them).
    pub brands: Vec<BrandId>,
}

/// A stored post's text, for backfill.
#[derive(Debug, Clone, PartialEq)]
pub struct PostText {
    pub id: PostId,
    pub text: String,
    pub language: Option<String>,
    /// `None`: not scored yet (see `Post::auto`).
    pub auto: Option<Sentiment>,
    pub provided: Option<crate::model::mention::SentimentLabel>,
}

/// A brand whose backfill this worker claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackfillClaim {
    pub tenant_id: TenantId,
    pub brand_id: BrandId,
    /// The query version the run is for.
    pub version: i64,
    /// When the claim was taken or last renewed (to the microsecond).
    pub claimed_at: DateTime<Utc>,
}

/// Storing posts and their mentions: what a batch, a connector or a
/// callback writes.
#[async_trait]
pub trait IngestRepository: Send + Sync {
    /// Grows with every change of the tenant's brand queries (the matcher cache key).
    async fn brand_version(&self, tenant: TenantId) -> DomainResult<i64>;
    /// Every brand query of the tenant.
    async fn brand_queries(&self, tenant: TenantId) -> DomainResult<Vec<BrandQuery>>;
    /// Stores new posts and their mentions in one transaction, each mention
    /// with the next `seq`; posts already stored count as duplicates and change
    /// nothing. `None` (nothing stored) when the tenant's brand version is no
    /// longer `brand_version`, the one the posts were matched with.
    async fn ingest(
        &self,
        tenant: TenantId,
        posts: Vec<NewPost>,
        brand_version: i64,
    ) -> DomainResult<Option<IngestOutcome>>;
}

/// Reading and working on stored mentions: the inbox, one mention, and
/// the newest posts (a brand's preview).
#[async_trait]
pub trait InboxRepository: Send + Sync {
    /// One page of mentions (with their posts) in `order`, at most `limit`,
    /// and where the next page starts. With a text search (`filter.q`), the
    /// page examines at most [`SEARCH_WINDOW`](crate::model::mention::SEARCH_WINDOW)
    /// mentions.
    async fn list_mentions(
        &self,
        tenant: TenantId,
        filter: &MentionFilter,
        order: MentionOrder,
        limit: u32,
    ) -> DomainResult<MentionPage>;
    async fn get_mention(&self, tenant: TenantId, id: MentionId) -> DomainResult<Mention>;
    /// Writes those of the mention's sentiment, status, assignee and tags
    /// that `fields` names, leaving the others as stored.
    async fn update_mention(&self, tenant: TenantId, mention: &Mention, fields: MentionFields) -> DomainResult<()>;
    /// The newest stored posts with text published at or after `since`, at most `limit`.
    async fn recent_posts(&self, tenant: TenantId, since: DateTime<Utc>, limit: u32) -> DomainResult<Vec<Post>>;
}

/// Re-matching stored posts after a brand's query changed, claimed by one
/// worker among all replicas.
#[async_trait]
pub trait BackfillRepository: Send + Sync {
    /// Claims one brand whose backfill is pending (or whose run went stale
    /// before `stale_before`), for one worker among all replicas.
    async fn claim_backfill(
        &self,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> DomainResult<Option<BackfillClaim>>;
    /// Renews a running claim, so a long run is not taken for a stale one;
    /// `false` when the claim was lost (taken over, or the query changed):
    /// the run then stops.
    async fn renew_backfill(&self, claim: &mut BackfillClaim, now: DateTime<Utc>) -> DomainResult<bool>;
    /// Hands a run cut short (the process is stopping) back as pending, so
    /// the next worker claims it at once instead of when it goes stale. A
    /// claim lost meanwhile is left to its new owner.
    async fn release_backfill(&self, claim: BackfillClaim) -> DomainResult<()>;
    /// Up to `limit` stored posts with text, by id, after `after`.
    async fn post_texts(&self, tenant: TenantId, after: Option<PostId>, limit: u32) -> DomainResult<Vec<PostText>>;
    /// For one page of checked posts: creates the brand's missing mentions
    /// for `matched`, and removes its `matched`-link mentions of the other
    /// checked posts that nobody worked on. Returns (added, removed).
    async fn apply_backfill(
        &self,
        tenant: TenantId,
        brand: BrandId,
        checked: &[PostId],
        matched: Vec<(PostId, NewMention)>,
    ) -> DomainResult<(u64, u64)>;
    /// Marks the run done, unless the query changed meanwhile (then it stays pending).
    async fn finish_backfill(
        &self,
        claim: BackfillClaim,
        added: u64,
        removed: u64,
        now: DateTime<Utc>,
    ) -> DomainResult<()>;
}
