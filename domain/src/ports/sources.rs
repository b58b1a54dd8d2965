//! Sources, the credentials they call platforms with, and the connectors
//! that read them.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::{DomainResult, Violations};
use crate::ids::{CredentialId, SourceId, TenantId};
use crate::model::credentials::{Credential, CredentialStatus, Sealed, Secret};
use crate::model::sources::{ConnectorError, Cursor, Fetched, Source, SourceKind, SourceSettings, SourceState};
use crate::page::{Page, PageRequest};

/// What one run of a source gave, for its status.
#[derive(Debug, Clone)]
pub struct PollRecord {
    pub polled_at: DateTime<Utc>,
    pub state: SourceState,
    /// `None`: a success.
    pub error: Option<String>,
    /// Where the next run starts; `None` keeps the stored cursor.
    pub cursor: Option<Cursor>,
    pub posts_fetched: u64,
    pub mentions_created: u64,
    /// The platform asked to wait until then: the next run is no sooner.
    pub retry_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait SourceRepository: Send + Sync {
    /// `secret`: a pushed source's own secret (what the platform proves
    /// its pushes with), sealed.
    async fn insert_source(&self, tenant: TenantId, s: &Source, secret: Option<&Sealed>) -> DomainResult<()>;
    async fn get_source(&self, tenant: TenantId, id: SourceId) -> DomainResult<Source>;
    async fn list_sources(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<Source>>;
    /// The settings and the next run; not the status. `reset_cursor`: the
    /// settings changed what is read, so the next run starts afresh.
    async fn update_source(&self, tenant: TenantId, s: &Source, reset_cursor: bool) -> DomainResult<()>;
    async fn delete_source(&self, tenant: TenantId, id: SourceId) -> DomainResult<()>;
    /// Claims up to `limit` enabled, polled sources due at `now`, across
    /// tenants and fairly between them (each tenant's most overdue first,
    /// one tenant at a time in turn), with their cursors. Each claim moves
    /// the source's next run to `now + poll_seconds` with a compare-and-set,
    /// so no worker of any replica runs it sooner.
    async fn claim_due(&self, now: DateTime<Utc>, limit: u64) -> DomainResult<Vec<(Source, Option<Cursor>)>>;
    async fn record_poll(&self, tenant: TenantId, id: SourceId, record: &PollRecord) -> DomainResult<()>;
    /// Makes the source due at `now` (a run asked for over the API).
    async fn run_now(&self, tenant: TenantId, id: SourceId, now: DateTime<Utc>) -> DomainResult<()>;
    /// A source a platform pushes to, found by its id alone (the push
    /// names no tenant: it proves itself with the source's secret), with
    /// that secret; `NotFound` for any other kind.
    async fn pushed_source(&self, id: SourceId) -> DomainResult<(Source, Option<Sealed>)>;
}

#[async_trait]
pub trait CredentialRepository: Send + Sync {
    async fn insert_credential(&self, tenant: TenantId, c: &Credential, secret: &Sealed) -> DomainResult<()>;
    async fn get_credential(&self, tenant: TenantId, id: CredentialId) -> DomainResult<Credential>;
    async fn list_credentials(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<Credential>>;
    /// Conflict when a source still uses it.
    async fn delete_credential(&self, tenant: TenantId, id: CredentialId) -> DomainResult<()>;
    async fn sealed_secret(&self, tenant: TenantId, id: CredentialId) -> DomainResult<(Credential, Sealed)>;
    /// What a call with the credential showed: `ok` (it was used) or `invalid`.
    async fn mark_credential(
        &self,
        tenant: TenantId,
        id: CredentialId,
        status: CredentialStatus,
        at: DateTime<Utc>,
    ) -> DomainResult<()>;
}

/// Encrypts secrets for storage with the operator's key
/// (`SMRM_SECRETS_KEY`). `aad` binds a sealed value to where it is stored,
/// so it opens nowhere else.
pub trait SecretBox: Send + Sync {
    fn seal(&self, aad: &[u8], secret: &Secret) -> Sealed;
    /// Fails when the key it names is not configured or the value was
    /// tampered with.
    fn open(&self, aad: &[u8], sealed: &Sealed) -> DomainResult<Secret>;
}

/// Reads what a platform pushes (VK's Callback API events) as posts.
pub trait PushDecoder: Send + Sync {
    /// The post an event of type `kind` carries for `source`; `None` for
    /// a type that is no post (it is answered and ignored).
    fn decode(
        &self,
        source: &Source,
        kind: &str,
        object: &serde_json::Value,
    ) -> Option<crate::model::mention::PostInput>;
}

/// Everything one fetch needs.
#[derive(Debug, Clone, Copy)]
pub struct FetchRequest<'a> {
    pub source: &'a Source,
    pub cursor: Option<&'a Cursor>,
    /// The source's credential, opened.
    pub secret: Option<&'a Secret>,
    /// Search kinds: the phrases to search for (the brands' keywords).
    pub terms: &'a [String],
    pub now: DateTime<Utc>,
}

/// A platform SMRM reads by itself: a pull connector. It knows the
/// platform's API and nothing of SMRM's storage; the poller (the sources
/// service) claims the source, calls `fetch` from the stored cursor, sends
/// the posts through the one ingest pipeline, and keeps the next cursor.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The kind of source it reads.
    fn kind(&self) -> SourceKind;

    /// Checks a source's settings for this platform, beyond what every
    /// source is checked for.
    fn check(&self, settings: &SourceSettings, violations: &mut Violations) {
        let _ = (settings, violations);
    }

    /// The posts after the cursor (`None`: the first fetch), and where the
    /// next fetch starts.
    async fn fetch(&self, request: FetchRequest<'_>) -> Result<Fetched, ConnectorError>;
}

/// The connectors a process was wired with, one per kind.
#[derive(Clone, Default)]
pub struct Connectors(Vec<Arc<dyn Connector>>);

impl Connectors {
    /// Adds a connector (the last one added for a kind wins).
    pub fn with(mut self, connector: Arc<dyn Connector>) -> Self {
        self.0.retain(|c| c.kind() != connector.kind());
        self.0.push(connector);
        self
    }

    pub fn get(&self, kind: SourceKind) -> Option<&dyn Connector> {
        self.0.iter().find(|c| c.kind() == kind).map(|c| c.as_ref())
    }
}
