//! Pull sources: managed over the API, polled by a background worker no
//! more often than each asks, with conditional GETs; their entries go
//! through the mention pipeline like pushed posts.

use std::sync::Arc;

use crate::error::DomainResult;
use crate::ids::{BrandId, SourceId};
use crate::model::access::Principal;
use crate::model::mention::BATCH_MAX;
use crate::model::sources::{FetchOutcome, Source, SourceInput, SourcePatch, Validators, entries_to_posts};
use crate::page::{Page, PageRequest};
use crate::ports::{Clock, FeedFetcher, PollRecord, SourceRepository};
use crate::services::mentions::MentionService;

pub struct SourceService {
    pub repo: Arc<dyn SourceRepository>,
    pub clock: Arc<dyn Clock>,
    /// `SMRM_SOURCE_MIN_POLL_SECONDS`.
    pub min_poll_seconds: u64,
    /// `SMRM_OUTBOUND_ALLOW_PRIVATE`.
    pub allow_private: bool,
}

/// What a poll did.
#[derive(Debug, Clone, PartialEq)]
pub struct PollResult {
    /// `fetched`, `not_modified` or `failed`.
    pub status: &'static str,
    /// Mentions created.
    pub created: u64,
    /// New posts stored, matched or not.
    pub created_posts: u64,
    /// Entries already stored.
    pub duplicates: u64,
    /// New posts that matched no brand.
    pub unmatched: u64,
    /// Entries that made no valid post (neither text nor title).
    pub skipped: u64,
    /// Brands that got new mentions (for the alert rules).
    pub brands: Vec<BrandId>,
}

impl SourceService {
    pub async fn create(&self, who: &Principal, input: SourceInput) -> DomainResult<Source> {
        let input = input.validate(self.min_poll_seconds, self.allow_private)?;
        let now = self.clock.now();
        let s = Source {
            id: SourceId::new(),
            tenant_id: who.tenant_id,
            kind: input.kind,
            url: input.url,
            source_type: input.source_type,
            platform: input.platform,
            poll_seconds: input.poll_seconds,
            enabled: input.enabled,
            // The first poll is due at once.
            next_poll_at: now,
            last_polled_at: None,
            last_success_at: None,
            last_error: None,
            last_error_at: None,
            posts_created: 0,
            created_at: now,
            updated_at: now,
        };
        self.repo.insert_source(who.tenant_id, &s).await?;
        Ok(s)
    }

    pub async fn get(&self, who: &Principal, id: SourceId) -> DomainResult<Source> {
        self.repo.get_source(who.tenant_id, id).await
    }

    pub async fn list(&self, who: &Principal, page: PageRequest) -> DomainResult<Page<Source>> {
        self.repo.list_sources(who.tenant_id, page).await
    }

    /// Changes a source. A new URL is polled at once; a shorter interval
    /// takes effect from the next poll.
    pub async fn update(&self, who: &Principal, id: SourceId, patch: SourcePatch) -> DomainResult<Source> {
        let current = self.repo.get_source(who.tenant_id, id).await?;
        let input = patch.merged(&current).validate(self.min_poll_seconds, self.allow_private)?;
        let now = self.clock.now();
        let next_poll_at = if input.url != current.url { now } else { current.next_poll_at };
        let s = Source {
            url: input.url,
            source_type: input.source_type,
            platform: input.platform,
            poll_seconds: input.poll_seconds,
            enabled: input.enabled,
            next_poll_at,
            updated_at: now,
            ..current
        };
        self.repo.update_source(who.tenant_id, &s).await?;
        Ok(s)
    }

    pub async fn delete(&self, who: &Principal, id: SourceId) -> DomainResult<()> {
        self.repo.delete_source(who.tenant_id, id).await
    }

    /// Claims the sources due now (see `SourceRepository::claim_due`).
    pub async fn claim(&self, limit: u64) -> DomainResult<Vec<(Source, Validators)>> {
        self.repo.claim_due(self.clock.now(), limit).await
    }

    /// Polls one claimed source: fetches it conditionally, ingests its
    /// entries (already stored ones are duplicates, so an entry makes its
    /// mentions once), and records the outcome on the source.
    pub async fn poll(
        &self,
        fetcher: &dyn FeedFetcher,
        mentions: &MentionService,
        source: &Source,
        validators: &Validators,
    ) -> DomainResult<PollResult> {
        let tenant = source.tenant_id;
        let outcome = fetcher.fetch(&source.url, validators).await;
        let now = self.clock.now();
        let mut result = PollResult {
            status: "fetched",
            created: 0,
            created_posts: 0,
            duplicates: 0,
            unmatched: 0,
            skipped: 0,
            brands: Vec::new(),
        };
        let record = match outcome {
            FetchOutcome::NotModified => {
                result.status = "not_modified";
                PollRecord { polled_at: now, error: None, validators: None, posts_created: 0 }
            }
            FetchOutcome::Failed(e) => {
                result.status = "failed";
                PollRecord { polled_at: now, error: Some(e), validators: None, posts_created: 0 }
            }
            FetchOutcome::Entries { entries, etag, last_modified } => {
                let (posts, skipped) = entries_to_posts(source, entries, now);
                let mut error = None;
                let mut brands = std::collections::BTreeSet::new();
                for chunk in posts.chunks(BATCH_MAX) {
                    match mentions.ingest_for(tenant, chunk.to_vec()).await {
                        Ok((received, o)) => {
                            result.created += o.created.len() as u64;
                            result.duplicates += o.duplicates as u64;
                            result.unmatched += o.unmatched as u64;
                            result.created_posts += (received - o.duplicates) as u64;
                            brands.extend(o.brands);
                        }
                        Err(e) => {
                            error = Some(format!("storing the entries failed: {e}"));
                            break;
                        }
                    }
                }
                result.brands = brands.into_iter().collect();
                result.skipped = skipped as u64;
                // Keep the old validators after a failure, so the entries are fetched again.
                let validators = if error.is_some() && result.created == 0 {
                    None
                } else {
                    Some(Validators { etag, last_modified })
                };
                PollRecord { polled_at: now, error, validators, posts_created: result.created }
            }
        };
        self.repo.record_poll(tenant, source.id, &record).await?;
        Ok(result)
    }
}
