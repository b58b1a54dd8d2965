//! Sources and the credentials they use: managed over the API, run by a
//! background worker no more often than each asks, through the connector
//! of their kind; what a connector fetches goes through the one mention
//! pipeline like pushed posts.

use std::sync::Arc;

use crate::error::{DomainError, DomainResult, Violations};
use crate::ids::{CredentialId, SourceId, TenantId};
use crate::model::access::Principal;
use crate::model::credentials::{Credential, CredentialInput, CredentialStatus, Secret, credential_aad};
use crate::model::sources::{
    ConnectorError, Cursor, PushAnswer, PushedEvent, Source, SourceConfig, SourceInput, SourcePatch, SourceSettings,
    SourceState, is_valid_post, search_terms, source_aad,
};
use crate::page::{MAX_LIMIT, Page, PageRequest};
use crate::ports::{
    BrandRepository, Clock, Connectors, CredentialRepository, FetchRequest, PollRecord, PushDecoder, SecretBox,
    SecretSource, SourceRepository, Telemetry,
};
use crate::services::mentions::MentionService;

/// Posts a run stores per transaction: small enough that on the embedded
/// default (one SQLite connection) the API's reads get their turn between
/// chunks while a large run is stored.
const RUN_CHUNK: usize = 200;

pub struct SourceService {
    pub quotas: crate::services::quotas::Quotas,
    pub repo: Arc<dyn SourceRepository>,
    pub credentials: Arc<dyn CredentialRepository>,
    pub secrets: Arc<dyn SecretBox>,
    /// Makes pushed sources' secrets.
    pub random: Arc<dyn SecretSource>,
    /// Reads what platforms push.
    pub pushes: Arc<dyn PushDecoder>,
    pub brands: Arc<dyn BrandRepository>,
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
    /// `rate_limited`, `quota_exhausted`, `auth_failed`, `not_found`, …).
    pub status: &'static str,
    /// Posts the platform gave.
    pub fetched: u64,
    /// Mentions created.
    pub created: u64,
    /// New posts stored, matched or not.
    pub created_posts: u64,
    /// Posts already stored.
    pub duplicates: u64,
    /// New posts that matched no brand.
    pub unmatched: u64,
    /// Items that made no valid post.
    pub skipped: u64,
}

impl SourceService {
    /// The input checked for every source, then against storage (the
    /// credential and the brands are the tenant's), then by its kind's
    /// connector.
    async fn check(&self, tenant: TenantId, input: SourceInput) -> DomainResult<SourceSettings> {
        let settings = input.validate(self.min_poll_seconds, self.allow_private)?;
        let connector = self.connectors.get(settings.config.kind());
        if connector.is_none() && !settings.config.kind().is_pushed() {
            return Err(DomainError::invalid("kind", "no connector for this kind of source is enabled on this server"));
        }
        let mut v = Violations::new();
        if let (Some(id), Some(kind)) = (settings.credential_id, settings.config.kind().credential()) {
            match self.credentials.get_credential(tenant, id).await {
                Ok(c) if c.kind == kind => {}
                Ok(c) => v.add(
                    "credential_id",
                    format!("is a `{}` credential; this source needs `{}`", c.kind.as_str(), kind.as_str()),
                ),
                Err(DomainError::NotFound(_)) => v.add("credential_id", "no such credential"),
                Err(e) => return Err(e),
            }
        }
        for id in self.brands.missing_brands(tenant, &settings.brand_ids).await? {
            v.add("brand_ids", format!("no brand {id}"));
        }
        if let Some(connector) = connector {
            connector.check(&settings, &mut v);
        }
        v.finish(settings)
    }

    /// A new source, due at once; a pushed kind's secret (shown once).
    pub async fn create(&self, who: &Principal, input: SourceInput) -> DomainResult<(Source, Option<Secret>)> {
        let settings = self.check(who.tenant_id, input).await?;
        self.quotas.check_room(who.tenant_id, crate::model::quota::Quota::Sources).await?;
        let s = Source::new(who.tenant_id, settings, self.clock.now());
        let secret = s.kind().is_pushed().then(|| Secret::new(self.random.random_alphanumeric(PUSH_SECRET_CHARS)));
        let sealed = secret.as_ref().map(|secret| self.secrets.seal(&source_aad(who.tenant_id, s.id), secret));
        self.repo.insert_source(who.tenant_id, &s, sealed.as_ref()).await?;
        Ok((s, secret))
    }

    pub async fn get(&self, who: &Principal, id: SourceId) -> DomainResult<Source> {
        self.repo.get_source(who.tenant_id, id).await
    }

    pub async fn list(&self, who: &Principal, page: PageRequest) -> DomainResult<Page<Source>> {
        self.repo.list_sources(who.tenant_id, page).await
    }

    /// Changes a source. New settings of what is read (`config`) start
    /// afresh at once; a shorter interval takes effect from the next run.
    pub async fn update(&self, who: &Principal, id: SourceId, patch: SourcePatch) -> DomainResult<Source> {
        let current = self.repo.get_source(who.tenant_id, id).await?;
        let settings = self.check(who.tenant_id, patch.merged(&current)?).await?;
        let now = self.clock.now();
        let reread = settings.config != current.config;
        let next_poll_at = if reread { now } else { current.next_poll_at };
        if settings == SourceSettings::of(&current) {
            return Ok(current);
        }
        let s = Source { next_poll_at, updated_at: now, ..current.with(settings) };
        self.repo.update_source(who.tenant_id, &s, reread).await?;
        Ok(s)
    }

    pub async fn delete(&self, who: &Principal, id: SourceId) -> DomainResult<()> {
        self.repo.delete_source(who.tenant_id, id).await
    }

    /// Runs the source as soon as a worker is free (a disabled or pushed
    /// source cannot be run: conflict).
    pub async fn run(&self, who: &Principal, id: SourceId) -> DomainResult<Source> {
        let s = self.repo.get_source(who.tenant_id, id).await?;
        if s.kind().is_pushed() {
            return Err(DomainError::Conflict(format!(
                "a `{}` source is pushed to by the platform; there is nothing to run",
                s.kind().as_str()
            )));
        }
        if !s.enabled {
            return Err(DomainError::Conflict("the source is disabled; enable it to run it".into()));
        }
        let now = self.clock.now();
        self.repo.run_now(who.tenant_id, id, now).await?;
        Ok(Source { next_poll_at: now, ..s })
    }

    /// Claims the sources due now (see `SourceRepository::claim_due`).
    pub async fn claim(&self, limit: u64) -> DomainResult<Vec<(Source, Option<Cursor>)>> {
        self.repo.claim_due(self.clock.now(), limit).await
    }

    /// The source's credential, opened; an error a person can act on when
    /// it cannot be used.
    async fn secret(&self, source: &Source) -> Result<Option<(Credential, Secret)>, ConnectorError> {
        let Some(id) = source.credential_id else { return Ok(None) };
        let (credential, sealed) = match self.credentials.sealed_secret(source.tenant_id, id).await {
            Ok(found) => found,
            Err(DomainError::NotFound(_)) => {
                return Err(ConnectorError::Auth("the source's credential was deleted; give it another".into()));
            }
            Err(e) => return Err(ConnectorError::Transient(format!("reading the credential failed: {e}"))),
        };
        if credential.status == CredentialStatus::Invalid {
            return Err(ConnectorError::Auth(format!(
                "the credential `{}` was refused earlier; add a new one and give it to the source",
                credential.name
            )));
        }
        let secret = self
            .secrets
            .open(&credential_aad(source.tenant_id, id), &sealed)
            .map_err(|e| ConnectorError::Transient(format!("the credential cannot be decrypted: {e}")))?;
        Ok(Some((credential, secret)))
    }

    /// What a search source looks for: the keywords of its brands (all
    /// the tenant's brands when it names none).
    async fn terms(&self, source: &Source) -> DomainResult<Vec<String>> {
        if !source.kind().is_search() {
            return Ok(Vec::new());
        }
        let only = (!source.brand_ids.is_empty()).then_some(&source.brand_ids[..]);
        let mut keywords = Vec::new();
        let mut page = PageRequest { limit: MAX_LIMIT, after: None };
        loop {
            let brands = self.brands.list_brands(source.tenant_id, only, page).await?;
            keywords.extend(brands.items.into_iter().flat_map(|b| b.keywords));
            match brands.next_after {
                Some(after) => page.after = Some(after),
                None => break,
            }
        }
        Ok(search_terms(keywords.iter().map(String::as_str)))
    }

    /// Runs one claimed source: its connector fetches from the cursor, the
    /// posts are ingested (already stored ones are duplicates, so a post
    /// makes its mentions once), and the outcome and the next cursor are
    /// recorded on the source. A platform that asks to wait (a rate limit,
    /// a spent quota) pauses the source until then; a refused credential
    /// is marked `invalid`.
    pub async fn poll(&self, source: &Source, cursor: Option<&Cursor>) -> DomainResult<PollResult> {
        let tenant = source.tenant_id;
        let kind = source.kind();
        let started = self.clock.now();
        let terms = self.terms(source).await?;
        let credential = self.secret(source).await;
        let brand_gone = match source.channel_brand() {
            Some(b) => self.brands.missing_brands(tenant, &[b]).await?.first().copied(),
            None => None,
        };
        let fetched = match (&credential, self.connectors.get(kind)) {
            // Nothing could be stored: the platform is not asked.
            _ if brand_gone.is_some() => Err(ConnectorError::NotFound(format!(
                "the source's brand {} was deleted; give the source another `brand_id`, or `null` to let SMRM's matcher decide",
                brand_gone.map(|b| b.to_string()).unwrap_or_default()
            ))),
            (Err(e), _) => Err(e.clone()),
            (_, None) => Err(ConnectorError::Transient(format!(
                "no connector for `{}` sources is enabled on this server",
                kind.as_str()
            ))),
            (Ok(_), Some(_)) if kind.is_search() && terms.is_empty() => {
                Err(ConnectorError::NotFound("the source's brands have no keywords to search for".into()))
            }
            (Ok(c), Some(connector)) => {
                let secret = c.as_ref().map(|(_, s)| s);
                connector.fetch(FetchRequest { source, cursor, secret, terms: &terms, now: started }).await
            }
        };
        if let (Ok(Some((credential, _))), Ok(_) | Err(ConnectorError::Auth(_))) = (&credential, &fetched) {
            let status = if fetched.is_ok() { CredentialStatus::Ok } else { CredentialStatus::Invalid };
            self.credentials.mark_credential(tenant, credential.id, status, started).await?;
        }
        let now = self.clock.now();
        let mut result = PollResult {
            status: "fetched",
            fetched: 0,
            created: 0,
            created_posts: 0,
            duplicates: 0,
            unmatched: 0,
            skipped: 0,
        };
        let record = match fetched {
            Err(e) => {
                result.status = e.outcome();
                PollRecord {
                    polled_at: now,
                    state: e.state(),
                    error: Some(e.to_string()),
                    cursor: None,
                    posts_fetched: 0,
                    mentions_created: 0,
                    retry_at: e.retry_at(now),
                }
            }
            Ok(f) if f.unchanged => {
                result.status = "not_modified";
                PollRecord {
                    polled_at: now,
                    state: SourceState::Ok,
                    error: None,
                    cursor: None,
                    posts_fetched: 0,
                    mentions_created: 0,
                    retry_at: None,
                }
            }
            Ok(f) => {
                let total = f.posts.len();
                result.fetched = total as u64;
                let brand = source.channel_brand();
                let posts: Vec<_> = f
                    .posts
                    .into_iter()
                    .filter_map(|mut p| {
                        p.brand_id = p.brand_id.or(brand);
                        is_valid_post(&mut p, now).then_some(p)
                    })
                    .collect();
                result.skipped = f.skipped + (total - posts.len()) as u64;
                let mut error = None;
                for chunk in posts.chunks(RUN_CHUNK) {
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
                let cursor = if error.is_some() { None } else { f.next };
                let state = if error.is_some() { SourceState::Failing } else { SourceState::Ok };
                PollRecord {
                    polled_at: now,
                    state,
                    error,
                    cursor,
                    posts_fetched: result.fetched,
                    mentions_created: result.created,
                    retry_at: None,
                }
            }
        };
        if let Some(e) = &record.error {
            tracing::info!(source = %source.id, kind = kind.as_str(), error = %e, "a source run failed");
        }
        self.telemetry.source_polled(kind.as_str(), result.status, result.fetched, result.created);
        self.repo.record_poll(tenant, source.id, &record).await?;
        Ok(result)
    }

    /// An event a platform pushed to a source (VK's Callback API): a
    /// confirmation is answered with the source's code; any other event
    /// must carry the source's secret and community (else `Forbidden`),
    /// and is stored (a post, through the one pipeline; a redelivered
    /// event is the same post, so it is stored once) before it is answered
    /// `ok`. Types that are no post, and pushes to a disabled source, are
    /// answered `ok` and dropped. A failure to store is an error, so the
    /// platform delivers the event again.
    pub async fn push(&self, id: SourceId, event: PushedEvent) -> DomainResult<PushAnswer> {
        let (source, sealed) = self.repo.pushed_source(id).await?;
        let SourceConfig::VkCallback { group_id, confirmation_code } = &source.config else {
            return Err(DomainError::NotFound("source"));
        };
        if event.group_id != Some(*group_id) {
            return Err(DomainError::Forbidden("the event is for another community than the source's".into()));
        }
        if event.kind == "confirmation" {
            return Ok(PushAnswer::Text(confirmation_code.clone()));
        }
        let expected = match sealed {
            Some(sealed) => Some(self.secrets.open(&source_aad(source.tenant_id, source.id), &sealed)?),
            None => None,
        };
        let matches = match (&expected, &event.secret) {
            (Some(expected), Some(got)) => same(expected.expose().as_bytes(), got.as_bytes()),
            _ => false,
        };
        if !matches {
            return Err(DomainError::Forbidden("the event's secret is not the source's".into()));
        }
        let ok = || Ok(PushAnswer::Text("ok".into()));
        if !source.enabled {
            return ok();
        }
        let Some(mut post) = self.pushes.decode(&source, &event.kind, &event.object) else { return ok() };
        let now = self.clock.now();
        // A deleted channel brand: the post is kept, and the matcher decides.
        let brand = match source.channel_brand() {
            Some(b) if self.brands.missing_brands(source.tenant_id, &[b]).await?.is_empty() => Some(b),
            _ => None,
        };
        post.brand_id = post.brand_id.or(brand);
        if !is_valid_post(&mut post, now) {
            tracing::info!(source = %source.id, event = ?event.event_id, "a pushed post was not valid; dropped");
            return ok();
        }
        let (_, outcome) = self.mentions.ingest_for(source.tenant_id, vec![post]).await?;
        let created = outcome.created.len() as u64;
        self.telemetry.source_polled(source.kind().as_str(), "pushed", 1, created);
        let record = PollRecord {
            polled_at: now,
            state: SourceState::Ok,
            error: None,
            cursor: None,
            posts_fetched: 1,
            mentions_created: created,
            retry_at: None,
        };
        self.repo.record_poll(source.tenant_id, source.id, &record).await?;
        ok()
    }
}

/// Characters of a pushed source's secret (VK accepts up to 50).
const PUSH_SECRET_CHARS: usize = 32;

/// Equal bytes, compared in a time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A tenant's platform credentials (admin).
pub struct CredentialService {
    pub repo: Arc<dyn CredentialRepository>,
    pub secrets: Arc<dyn SecretBox>,
    pub clock: Arc<dyn Clock>,
}

impl CredentialService {
    /// Stores a credential with its secret sealed; the secret is never
    /// answered again.
    pub async fn create(&self, who: &Principal, input: CredentialInput) -> DomainResult<Credential> {
        let input = input.validate()?;
        let c = Credential {
            id: CredentialId::new(),
            tenant_id: who.tenant_id,
            kind: input.kind,
            name: input.name,
            status: CredentialStatus::Ok,
            last_used_at: None,
            created_at: self.clock.now(),
        };
        let sealed = self.secrets.seal(&credential_aad(who.tenant_id, c.id), &input.secret);
        self.repo.insert_credential(who.tenant_id, &c, &sealed).await?;
        Ok(c)
    }

    pub async fn get(&self, who: &Principal, id: CredentialId) -> DomainResult<Credential> {
        self.repo.get_credential(who.tenant_id, id).await
    }

    pub async fn list(&self, who: &Principal, page: PageRequest) -> DomainResult<Page<Credential>> {
        self.repo.list_credentials(who.tenant_id, page).await
    }

    pub async fn delete(&self, who: &Principal, id: CredentialId) -> DomainResult<()> {
        self.repo.delete_credential(who.tenant_id, id).await
    }
}
