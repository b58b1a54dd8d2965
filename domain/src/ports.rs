//! What the domain needs from the outside world. `infra` implements these;
//! every repository method takes the tenant first, so no row can be reached
//! without naming whose it is.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::DomainResult;
use crate::ids::{
    AlertId, AlertRuleId, ApiKeyId, BrandId, CompetitorSetId, MentionId, MessageId, PlacementId, PostId,
    RefreshTokenId, SessionId, SourceId, TemplateId, TenantId, UserId, WebhookId,
};
use crate::model::access::{ApiKey, RefreshToken, Session, User};
use crate::model::brand::Brand;
use crate::model::communication::{OfficialResponse, Placement, PlacementFilter, ResponseTemplate};
use crate::model::competitor_set::CompetitorSet;
use crate::model::integrations::{Alert, AlertRule, Attempt, Event, Message, SendOutcome, Webhook, WebhookSecrets};
use crate::model::mention::{
    Mention, MentionFilter, MentionOrder, NewMention, NewPost, Post, Sentiment, SentimentLabel, SourceType,
};
use crate::model::sentiment::{AdaptationClaim, Correction, ModelChoice, ModelEndpoint, ModelState};
use crate::model::sources::{FetchOutcome, Source, Validators};
use crate::model::tenant::Tenant;
use crate::page::{Page, PageRequest};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock, to the microsecond (what PostgreSQL keeps, so a value
/// answered at creation equals the one read back later).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        use chrono::SubsecRound;
        Utc::now().trunc_subsecs(6)
    }
}

/// Password hashing (argon2id in production). Slow by design: implementations
/// run it off the async executor.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &str) -> DomainResult<String>;
    /// `hash: None` still spends the time of a verification, so that a login
    /// for an unknown address takes as long as one with a wrong password.
    async fn verify(&self, password: &str, hash: Option<&str>) -> bool;
}

/// Randomness and digests for bearer secrets (API keys, refresh tokens).
pub trait SecretSource: Send + Sync {
    /// `len` random alphanumeric characters from a CSPRNG.
    fn random_alphanumeric(&self, len: usize) -> String;
    /// A fast one-way digest of a high-entropy secret (hex SHA-256).
    fn digest(&self, secret: &str) -> String;
    /// A webhook signing secret as the Standard Webhooks spec writes it:
    /// `whsec_` and the base64 of 32 random bytes.
    fn webhook_secret(&self) -> String;
}

#[async_trait]
pub trait TenantRepository: Send + Sync {
    async fn get_tenant(&self, tenant: TenantId) -> DomainResult<Tenant>;
    async fn update_tenant(&self, tenant: &Tenant) -> DomainResult<()>;
    /// Creates the tenant, its owner (with the password hash), the owner's
    /// login session and first refresh token, all or nothing. Conflict when the
    /// e-mail address is taken.
    async fn create_tenant_with_owner(
        &self,
        tenant: &Tenant,
        owner: &User,
        password_hash: &str,
        session: &Session,
        refresh: &RefreshToken,
    ) -> DomainResult<()>;
}

/// A stored user together with its password hash, for logins only.
pub struct LoginRecord {
    pub user: User,
    pub password_hash: String,
}

#[async_trait]
pub trait UserRepository: Send + Sync {
    /// E-mail addresses are unique across SMRM (a login names no tenant), so this
    /// is the one lookup that finds the tenant from the data.
    async fn find_login(&self, email: &str) -> DomainResult<Option<LoginRecord>>;
    async fn get_user(&self, tenant: TenantId, id: UserId) -> DomainResult<User>;
    async fn list_users(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<User>>;
    /// Conflict when the e-mail address is taken.
    async fn insert_user(&self, tenant: TenantId, user: &User, password_hash: &str) -> DomainResult<()>;
    async fn update_user(&self, tenant: TenantId, user: &User, password_hash: Option<&str>) -> DomainResult<()>;
    /// Deletes the user and every session of theirs.
    async fn delete_user(&self, tenant: TenantId, id: UserId) -> DomainResult<()>;
    async fn count_owners(&self, tenant: TenantId) -> DomainResult<u64>;
}

#[async_trait]
pub trait SessionRepository: Send + Sync {
    async fn create_session(&self, tenant: TenantId, session: &Session, refresh: &RefreshToken) -> DomainResult<()>;
    /// The user of a live (not revoked) session.
    async fn session_user(&self, tenant: TenantId, session: SessionId, user: UserId) -> DomainResult<Option<User>>;
    async fn find_refresh(&self, tenant: TenantId, token_hash: &str) -> DomainResult<Option<(RefreshToken, Session)>>;
    /// Marks `used` as used and stores `next`, atomically; `false` when
    /// `used` had been used already (a concurrent replay).
    async fn rotate_refresh(
        &self,
        tenant: TenantId,
        used: RefreshTokenId,
        next: &RefreshToken,
        now: DateTime<Utc>,
    ) -> DomainResult<bool>;
    async fn revoke_session(&self, tenant: TenantId, session: SessionId, now: DateTime<Utc>) -> DomainResult<()>;
}

#[async_trait]
pub trait ApiKeyRepository: Send + Sync {
    async fn insert_api_key(&self, tenant: TenantId, key: &ApiKey, key_hash: &str) -> DomainResult<()>;
    async fn find_api_key(&self, tenant: TenantId, key_hash: &str) -> DomainResult<Option<ApiKey>>;
    async fn get_api_key(&self, tenant: TenantId, id: ApiKeyId) -> DomainResult<ApiKey>;
    async fn list_api_keys(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<ApiKey>>;
    async fn delete_api_key(&self, tenant: TenantId, id: ApiKeyId) -> DomainResult<()>;
    /// Records use, at most once per `granularity` (it is a write on a hot path).
    async fn touch_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        now: DateTime<Utc>,
        granularity: Duration,
    ) -> DomainResult<()>;
}

#[async_trait]
pub trait BrandRepository: Send + Sync {
    async fn insert_brand(&self, tenant: TenantId, brand: &Brand) -> DomainResult<()>;
    async fn get_brand(&self, tenant: TenantId, id: BrandId) -> DomainResult<Brand>;
    /// `only`: restrict to these brands (a client's scope).
    async fn list_brands(
        &self,
        tenant: TenantId,
        only: Option<&[BrandId]>,
        page: PageRequest,
    ) -> DomainResult<Page<Brand>>;
    /// `query_changed`: the keywords, exclusions or languages changed, so the
    /// stored posts must be matched again (a backfill is queued).
    async fn update_brand(&self, tenant: TenantId, brand: &Brand, query_changed: bool) -> DomainResult<()>;
    /// Deletes the brand at once (conflict, naming the sets, when a
    /// competitor set still uses it) and then purges its mentions and
    /// rollups; a purge cut short is finished by `purge_deleted_brands`.
    async fn delete_brand(&self, tenant: TenantId, id: BrandId, now: DateTime<Utc>) -> DomainResult<()>;
    /// Finishes up to `limit` purges of deleted brands cut short (a crash
    /// between the two steps); returns how many it finished.
    async fn purge_deleted_brands(&self, limit: u64) -> DomainResult<u64>;
    /// Which of `ids` are not brands of this tenant.
    async fn missing_brands(&self, tenant: TenantId, ids: &[BrandId]) -> DomainResult<Vec<BrandId>>;
}

#[async_trait]
pub trait CompetitorSetRepository: Send + Sync {
    async fn insert_set(&self, tenant: TenantId, set: &CompetitorSet) -> DomainResult<()>;
    async fn get_set(&self, tenant: TenantId, id: CompetitorSetId) -> DomainResult<CompetitorSet>;
    /// `only`: restrict to sets whose own brand is one of these.
    async fn list_sets(
        &self,
        tenant: TenantId,
        only: Option<&[BrandId]>,
        page: PageRequest,
    ) -> DomainResult<Page<CompetitorSet>>;
    async fn update_set(&self, tenant: TenantId, set: &CompetitorSet) -> DomainResult<()>;
    async fn delete_set(&self, tenant: TenantId, id: CompetitorSetId) -> DomainResult<()>;
}

/// A response kept for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// This request owns the key now; complete or release it.
    Claimed,
    /// The key was used with the same request: answer this again.
    Replay(StoredResponse),
    /// The key was used with a different request.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

/// Idempotency keys per tenant (anonymous requests use the nil tenant).
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request whose fingerprint is `request_hash`; a record
    /// older than `ttl` counts as absent.
    async fn claim(
        &self,
        scope: TenantId,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> DomainResult<IdempotencyClaim>;
    async fn complete(&self, scope: TenantId, key: &str, response: &StoredResponse) -> DomainResult<()>;
    /// Forgets a claim whose request failed unexpectedly, so that a retry can run.
    async fn release(&self, scope: TenantId, key: &str) -> DomainResult<()>;
    /// Deletes records older than `before`; returns how many.
    async fn purge(&self, before: DateTime<Utc>) -> DomainResult<u64>;
}

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

/// What `/readyz` asks: can the database be reached?
#[async_trait]
pub trait Readiness: Send + Sync {
    async fn ready(&self) -> DomainResult<()>;
    /// The database pool's size and idle connections, for metrics.
    fn pool(&self) -> Option<(u32, u32)> {
        None
    }
}

/// One brand's query, as the matcher needs it.
#[derive(Debug, Clone)]
pub struct BrandQuery {
    pub brand_id: BrandId,
    pub keywords: Vec<String>,
    pub excluded_keywords: Vec<String>,
    /// ISO 639-1 codes; empty: every language.
    pub languages: Vec<String>,
}

/// A brand a text is about, with the words of the text that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandMatch {
    pub brand_id: BrandId,
    pub matched: Vec<String>,
}

/// A compiled set of brand queries (one tenant's, or a preview's).
pub trait BrandMatcher: Send + Sync {
    /// The brands a text is about, given the text already folded with
    /// [`crate::text::fold`] (the pipeline folds each post once). `language`
    /// (ISO 639-1), when known, must be one of a brand's languages if the
    /// brand lists any.
    fn find_folded(&self, folded: &str, language: Option<&str>) -> Vec<BrandMatch>;

    /// The same for raw text.
    fn find(&self, text: &str, language: Option<&str>) -> Vec<BrandMatch> {
        self.find_folded(&crate::text::fold(text), language)
    }
}

/// Compiles brand queries into a matcher (Snowball stems + Aho-Corasick in infra).
pub trait MatcherFactory: Send + Sync {
    fn compile(&self, queries: Vec<BrandQuery>) -> Box<dyn BrandMatcher>;
}

/// Which of a mention's fields a change sets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MentionFields {
    pub sentiment: bool,
    pub status: bool,
    pub assignee: bool,
    pub tags: bool,
}

/// A text to score, in `language` (ISO 639-1) when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextToScore<'a> {
    pub text: &'a str,
    pub language: Option<&'a str>,
    /// The text folded by [`crate::text::fold`], when the caller has it
    /// (ingest folds every post once, for matching and scoring).
    pub folded: Option<&'a str>,
}

/// Scores texts' sentiment for a tenant. The built-in model (with the
/// tenant's adaptation) sits behind this port, and a tenant's own model
/// service replaces it without touching the pipeline. Its futures need not
/// be `Send`: they run on the server's workers (an HTTP client lives there).
#[async_trait(?Send)]
pub trait SentimentAnalyzer: Send + Sync {
    /// An `auto` sentiment per text, in order. Never fails: a model service
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

/// What a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    /// The mentions created, in storing order.
    pub created: Vec<MentionId>,
    /// Posts already stored (same platform and external id), also within the batch.
    pub duplicates: usize,
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

#[async_trait]
pub trait MentionRepository: Send + Sync {
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
    /// One page of mentions (with their posts) in `order`, at most `limit`.
    async fn list_mentions(
        &self,
        tenant: TenantId,
        filter: &MentionFilter,
        order: MentionOrder,
        limit: u32,
    ) -> DomainResult<Vec<Mention>>;
    async fn get_mention(&self, tenant: TenantId, id: MentionId) -> DomainResult<Mention>;
    /// Writes those of the mention's sentiment, status, assignee and tags
    /// that `fields` names, leaving the others as stored.
    async fn update_mention(&self, tenant: TenantId, mention: &Mention, fields: MentionFields) -> DomainResult<()>;
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
    /// The newest stored posts with text published at or after `since`, at most `limit`.
    async fn recent_posts(&self, tenant: TenantId, since: DateTime<Utc>, limit: u32) -> DomainResult<Vec<Post>>;
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
    /// The slot's start (an hour, or a mention's time at the period's edges).
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

#[async_trait]
pub trait CommunicationRepository: Send + Sync {
    /// Conflict when the tenant has a template of that name.
    async fn insert_template(&self, tenant: TenantId, t: &ResponseTemplate) -> DomainResult<()>;
    async fn get_template(&self, tenant: TenantId, id: TemplateId) -> DomainResult<ResponseTemplate>;
    async fn list_templates(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<ResponseTemplate>>;
    /// Every template for mentions of this sentiment (suggestions).
    async fn templates_for(&self, tenant: TenantId, sentiment: SentimentLabel) -> DomainResult<Vec<ResponseTemplate>>;
    async fn update_template(&self, tenant: TenantId, t: &ResponseTemplate) -> DomainResult<()>;
    async fn delete_template(&self, tenant: TenantId, id: TemplateId) -> DomainResult<()>;

    /// Logs the answer, and in the same transaction makes its mention
    /// `answered` and keeps the earliest answer time on it.
    async fn insert_response(&self, tenant: TenantId, r: &OfficialResponse, now: DateTime<Utc>) -> DomainResult<()>;
    /// A mention's answers, oldest first.
    async fn list_responses(
        &self,
        tenant: TenantId,
        mention: MentionId,
        page: PageRequest,
    ) -> DomainResult<Page<OfficialResponse>>;
    async fn answered_mentions(
        &self,
        tenant: TenantId,
        brand: BrandId,
        q: &AnsweredQuery,
    ) -> DomainResult<Vec<AnsweredMention>>;

    async fn insert_placement(&self, tenant: TenantId, p: &Placement) -> DomainResult<()>;
    async fn get_placement(&self, tenant: TenantId, id: PlacementId) -> DomainResult<Placement>;
    async fn list_placements(
        &self,
        tenant: TenantId,
        filter: &PlacementFilter,
        page: PageRequest,
    ) -> DomainResult<Page<Placement>>;
    async fn update_placement(&self, tenant: TenantId, p: &Placement) -> DomainResult<()>;
    async fn delete_placement(&self, tenant: TenantId, id: PlacementId) -> DomainResult<()>;
    /// Whether the tenant has this feed source.
    async fn source_exists(&self, tenant: TenantId, id: SourceId) -> DomainResult<bool>;
}

#[async_trait]
pub trait WebhookRepository: Send + Sync {
    async fn insert_webhook(&self, tenant: TenantId, w: &Webhook, secret: &str) -> DomainResult<()>;
    async fn get_webhook(&self, tenant: TenantId, id: WebhookId) -> DomainResult<Webhook>;
    async fn list_webhooks(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<Webhook>>;
    async fn update_webhook(&self, tenant: TenantId, w: &Webhook) -> DomainResult<()>;
    /// Deletes the endpoint with its messages and attempts.
    async fn delete_webhook(&self, tenant: TenantId, id: WebhookId) -> DomainResult<()>;
    /// Makes `secret` current; the old one keeps signing until `previous_until`.
    async fn rotate_secret(
        &self,
        tenant: TenantId,
        id: WebhookId,
        secret: &str,
        previous_until: DateTime<Utc>,
    ) -> DomainResult<()>;
    async fn secrets(&self, tenant: TenantId, id: WebhookId) -> DomainResult<WebhookSecrets>;
    /// An endpoint's attempts, newest first.
    async fn list_attempts(
        &self,
        tenant: TenantId,
        webhook: WebhookId,
        page: PageRequest,
    ) -> DomainResult<Page<Attempt>>;
    /// Claims up to `limit` messages due at `now` (across tenants) until
    /// `lease_until`: no other worker, in this process or another replica,
    /// gets them meanwhile. A worker that dies mid-delivery loses its lease,
    /// and the message is attempted again.
    async fn claim_due(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: u64)
    -> DomainResult<Vec<Message>>;
    async fn set_payload(&self, tenant: TenantId, message: MessageId, payload: &str) -> DomainResult<()>;
    /// Records an attempt. `delivered`: the message is done; otherwise it is
    /// due again at `attempt.next_attempt_at`, or failed for good without one.
    async fn record_attempt(&self, tenant: TenantId, attempt: &Attempt, delivered: bool) -> DomainResult<()>;
    /// A message that will not be sent (its subject is gone, its endpoint disabled).
    async fn abandon(&self, tenant: TenantId, message: MessageId, now: DateTime<Utc>) -> DomainResult<()>;
    /// Stops deliveries to an endpoint: disabled with `reason`, its pending
    /// messages abandoned.
    async fn disable_webhook(
        &self,
        tenant: TenantId,
        id: WebhookId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> DomainResult<()>;
}

/// The `data` of webhook events, as the API shows the subject.
#[async_trait]
pub trait EventPayloads: Send + Sync {
    /// `None` when the subject is gone (a mention of a deleted brand).
    async fn data(
        &self,
        tenant: TenantId,
        event: Event,
        subject: uuid::Uuid,
    ) -> DomainResult<Option<serde_json::Value>>;
}

/// One signed webhook request.
pub struct Outgoing<'a> {
    pub url: &'a str,
    pub message_id: MessageId,
    /// Unix seconds, the `webhook-timestamp` header.
    pub timestamp: i64,
    pub body: &'a str,
    /// Sign with each (the `webhook-signature` header lists every signature).
    pub secrets: &'a [String],
}

/// Sends webhooks over HTTP. Not `Send`: an HTTP client belongs to the
/// worker task that made it.
#[async_trait(?Send)]
pub trait WebhookSender {
    async fn send(&self, out: &Outgoing<'_>) -> SendOutcome;
}

#[async_trait]
pub trait AlertRepository: Send + Sync {
    async fn insert_rule(&self, tenant: TenantId, r: &AlertRule) -> DomainResult<()>;
    async fn get_rule(&self, tenant: TenantId, id: AlertRuleId) -> DomainResult<AlertRule>;
    /// `only`: restrict to these brands (a client's scope).
    async fn list_rules(
        &self,
        tenant: TenantId,
        only: Option<&[BrandId]>,
        page: PageRequest,
    ) -> DomainResult<Page<AlertRule>>;
    async fn update_rule(&self, tenant: TenantId, r: &AlertRule) -> DomainResult<()>;
    async fn delete_rule(&self, tenant: TenantId, id: AlertRuleId) -> DomainResult<()>;
    /// The enabled rules of these brands.
    async fn rules_for(&self, tenant: TenantId, brands: &[BrandId]) -> DomainResult<Vec<AlertRule>>;
    /// Mentions of the brand published in `[from, to)` (negative ones only, if asked).
    async fn count_mentions(
        &self,
        tenant: TenantId,
        brand: BrandId,
        negative_only: bool,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> DomainResult<u64>;
    /// Records the alert, marks the rule fired and writes the
    /// `alert.triggered` outbox messages, in one transaction, unless the
    /// rule fired after `not_since` meanwhile (another replica, another
    /// batch): then nothing is written and the answer is `false`.
    async fn fire(&self, tenant: TenantId, alert: &Alert, not_since: DateTime<Utc>) -> DomainResult<bool>;
    async fn get_alert(&self, tenant: TenantId, id: AlertId) -> DomainResult<Alert>;
    /// A rule's alerts, newest first.
    async fn list_alerts(&self, tenant: TenantId, rule: AlertRuleId, page: PageRequest) -> DomainResult<Page<Alert>>;
}

/// What one poll of a source gave, for its record.
#[derive(Debug, Clone)]
pub struct PollRecord {
    pub polled_at: DateTime<Utc>,
    /// `None`: a success.
    pub error: Option<String>,
    /// New validators after a `200`; `None` keeps the stored ones.
    pub validators: Option<Validators>,
    pub posts_created: u64,
}

#[async_trait]
pub trait SourceRepository: Send + Sync {
    async fn insert_source(&self, tenant: TenantId, s: &Source) -> DomainResult<()>;
    async fn get_source(&self, tenant: TenantId, id: SourceId) -> DomainResult<Source>;
    async fn list_sources(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<Source>>;
    /// The settings (URL, types, interval, enabled, next poll); not the poll record.
    async fn update_source(&self, tenant: TenantId, s: &Source) -> DomainResult<()>;
    async fn delete_source(&self, tenant: TenantId, id: SourceId) -> DomainResult<()>;
    /// Claims up to `limit` enabled sources due at `now`, across tenants.
    /// Each claim moves the source's next poll to `now + poll_seconds` with
    /// a compare-and-set, so no worker of any replica polls it sooner.
    async fn claim_due(&self, now: DateTime<Utc>, limit: u64) -> DomainResult<Vec<(Source, Validators)>>;
    async fn record_poll(&self, tenant: TenantId, id: SourceId, record: &PollRecord) -> DomainResult<()>;
}

/// Fetches and reads feeds. Not `Send`, like `WebhookSender`.
#[async_trait(?Send)]
pub trait FeedFetcher {
    /// A conditional GET with the validators of the last fetch.
    async fn fetch(&self, url: &str, validators: &Validators) -> FetchOutcome;
}

/// Counts requests per caller (shared by every replica when it can be).
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request of `key` against `per_minute`.
    async fn hit(&self, key: &str, per_minute: u32) -> crate::ratelimit::RateDecision;
}

/// Limits an operator set for one tenant (its plan), over the defaults.
#[async_trait]
pub trait TenantLimits: Send + Sync {
    async fn rate_limit(&self, tenant: TenantId) -> DomainResult<Option<u32>>;
    /// `None`: back to the default.
    async fn set_rate_limit(&self, tenant: TenantId, per_minute: Option<u32>) -> DomainResult<()>;
}
