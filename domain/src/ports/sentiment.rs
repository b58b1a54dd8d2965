//! Sentiment scoring and each tenant's corrections and adaptations.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::DomainResult;
use crate::ids::TenantId;
use crate::model::mention::Sentiment;
use crate::model::sentiment::{AdaptationClaim, Correction, ModelChoice, ModelEndpoint, ModelState};

/// A text to score, in `language` (ISO 639-1) when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextToScore<'a> {
    pub text: &'a str,
    pub language: Option<&'a str>,
    /// The text folded by [`crate::text::fold`], when the caller has it
    /// (ingest folds every post once, for matching and scoring).
    pub folded: Option<&'a str>,
    /// What the sentiment is toward: a target's forms as they occur in the
    /// text (a brand's matched words; see [`crate::text::places`]). Empty,
    /// or not found in the text: the whole text's sentiment. Entries for one
    /// text should follow each other (sharing `text`), so it is read once.
    pub targets: &'a [String],
}

/// Scores texts' sentiment for a tenant. The built-in model (with the
/// tenant's adaptation) sits behind this port, and a tenant's own model
/// service replaces it without touching the pipeline.
#[async_trait]
pub trait SentimentAnalyzer: Send + Sync {
    /// An `auto` sentiment per entry (toward its targets), in order. Never fails: a model service
    /// that does is replaced by the built-in model for that call.
    async fn analyze(&self, tenant: TenantId, texts: &[TextToScore<'_>]) -> Vec<Sentiment>;
}

/// Corrections, adaptations and model choices per tenant.
#[async_trait]
pub trait SentimentRepository: Send + Sync {
    /// What scores the tenant's posts (one primary-key read: the hot path).
    async fn model_choice(&self, tenant: TenantId) -> DomainResult<ModelChoice>;
    async fn model_state(&self, tenant: TenantId) -> DomainResult<ModelState>;
    async fn set_endpoint(&self, tenant: TenantId, endpoint: Option<&ModelEndpoint>) -> DomainResult<()>;
    /// Claims one tenant whose corrections moved past its adaptation (or
    /// whose training went stale before `stale_before`), for one worker
    /// among all replicas.
    async fn claim_adaptation(
        &self,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> DomainResult<Option<AdaptationClaim>>;
    /// The tenant's latest corrections, at most `limit`, oldest first.
    async fn corrections(&self, tenant: TenantId, limit: u64) -> DomainResult<Vec<Correction>>;
    /// Stores a trained adaptation and releases the claim. A claim that
    /// was taken over meanwhile stores nothing.
    async fn save_adaptation(
        &self,
        claim: &AdaptationClaim,
        weights: &[u8],
        trained_on: u64,
        at: DateTime<Utc>,
    ) -> DomainResult<()>;
    /// The tenant's adaptation and its version, if one was trained.
    async fn adaptation(&self, tenant: TenantId) -> DomainResult<Option<(i64, Vec<u8>)>>;
}

/// The built-in model's upkeep: its version, and training each tenant's
/// adaptation to its corrections, off the request path.
#[async_trait]
pub trait SentimentTrainer: Send + Sync {
    /// The built-in weights' version (the start of their SHA-256).
    fn builtin_version(&self) -> String;
    /// Trains the adaptation of one tenant whose corrections moved on, if
    /// any (claimed across replicas); `true` when one ran.
    async fn adapt_once(&self) -> DomainResult<bool>;
}
