//! Pull sources: managed over the API, polled by a background worker no
//! more often than each asks, through the connector of their kind; what a
//! connector fetches goes through the one mention pipeline like pushed posts.

use std::sync::Arc;

use crate::error::{DomainError, DomainResult, Violations};
use crate::ids::SourceId;
use crate::model::access::Principal;
use crate::model::mention::BATCH_MAX;
use crate::model::sources::{Cursor, Source, SourceInput, SourcePatch, is_valid_post};
use crate::page::{Page, PageRequest};
use crate::ports::{Clock, Connectors, PollRecord, SourceRepository, Telemetry};
use crate::services::mentions::MentionService;

pub struct SourceService {
    pub repo: Arc<dyn SourceRepository>,
    /// One per kind of source; a kind without one cannot be created.
    pub connectors: Connectors,
    /// Where fetched posts go: the same ingest as a pushed batch.
    pub mentions: Arc<MentionService>,
    pub telemetry: Arc<dyn Telemetry>,
    pub clock: Arc<dyn Clock>,
    /// `SMRM_SOURCE_MIN_POLL_SECONDS`.
    pub min_poll_seconds: u64,
    /// `SMRM_OUTBOUND_ALLOW_PRIVATE`.
    pub allow_private: bool,
}

/// What a poll did.
#[derive(Debug, Clone, PartialEq)]
pub struct PollResult {
    /// `fetched`, `not_modified`, or what went wrong (`failed`,
    /// `rate_limited`, `auth_failed`, `not_found`).
    pub status: &'static str,
    /// Mentions created.
    pub created: u64,
    /// New posts stored, matched or not.
    pub created_posts: u64,
    /// Entries already stored.
    pub duplicates: u64,
    /// New posts that matched no brand.
    pub unmatched: u64,
    /// Items that made no valid post.
    pub skipped: u64,
}

impl SourceService {
    /// The input checked for every source, then by its kind's connector.
    fn check(&self, input: SourceInput) -> DomainResult<SourceInput> {
        let input = input.validate(self.min_poll_seconds, self.allow_private)?;
        let Some(connector) = self.connectors.get(input.kind) else {
            return Err(DomainError::invalid("kind", "no connector for this kind of source is enabled on this server"));
        };
        let mut v = Violations::new();
        connector.check(&input, &mut v);
        v.finish(input)
    }

    pub async fn create(&self, who: &Principal, input: SourceInput) -> DomainResult<Source> {
        let input = self.check(input)?;
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
        let input = self.check(patch.merged(&current))?;
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
    pub async fn claim(&self, limit: u64) -> DomainResult<Vec<(Source, Option<Cursor>)>> {
        self.repo.claim_due(self.clock.now(), limit).await
    }

    /// Polls one claimed source: its connector fetches from the cursor, the
    /// posts are ingested (already stored ones are duplicates, so a post
    /// makes its mentions once), and the outcome and the next cursor are
    /// recorded on the source. A platform that asks to wait (a rate limit,
    /// a spent quota) is not polled again before then.
    pub async fn poll(&self, source: &Source, cursor: Option<&Cursor>) -> DomainResult<PollResult> {
        let tenant = source.tenant_id;
        let fetched = match self.connectors.get(source.kind) {
            Some(connector) => connector.fetch(source, cursor).await,
            None => Err(crate::model::sources::ConnectorError::Transient(format!(
                "no connector for `{}` sources is enabled on this server",
                source.kind.as_str()
            ))),
        };
        let now = self.clock.now();
        let mut result =
            PollResult { status: "fetched", created: 0, created_posts: 0, duplicates: 0, unmatched: 0, skipped: 0 };
        let record = match fetched {
            Err(e) => {
                result.status = e.outcome();
                PollRecord {
                    polled_at: now,
                    error: Some(e.to_string()),
                    cursor: None,
                    posts_created: 0,
                    retry_at: e.retry_at(now),
                }
            }
            Ok(f) if f.unchanged => {
                result.status = "not_modified";
                PollRecord { polled_at: now, error: None, cursor: None, posts_created: 0, retry_at: None }
            }
            Ok(f) => {
                let total = f.posts.len();
                let posts: Vec<_> = f.posts.into_iter().filter(|p| is_valid_post(p, now)).collect();
                result.skipped = f.skipped + (total - posts.len()) as u64;
                let mut error = None;
                for chunk in posts.chunks(BATCH_MAX) {
                    match self.mentions.ingest_for(tenant, chunk.to_vec()).await {
                        Ok((received, o)) => {
                            result.created += o.created.len() as u64;
                            result.duplicates += o.duplicates as u64;
                            result.unmatched += o.unmatched as u64;
                            result.created_posts += (received - o.duplicates) as u64;
                        }
                        Err(e) => {
                            error = Some(format!("storing the posts failed: {e}"));
                            break;
                        }
                    }
                }
                // Keep the old cursor after a failure, so the posts are fetched again.
                let cursor = if error.is_some() && result.created == 0 { None } else { f.next };
                PollRecord { polled_at: now, error, cursor, posts_created: result.created, retry_at: None }
            }
        };
        self.telemetry.source_polled(result.status);
        self.repo.record_poll(tenant, source.id, &record).await?;
        Ok(result)
    }
}
