//! Pull sources and the connectors that read them.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::{DomainResult, Violations};
use crate::ids::{SourceId, TenantId};
use crate::model::sources::{ConnectorError, Cursor, Fetched, Source, SourceInput, SourceKind};
use crate::page::{Page, PageRequest};

/// What one poll of a source gave, for its record.
#[derive(Debug, Clone)]
pub struct PollRecord {
    pub polled_at: DateTime<Utc>,
    /// `None`: a success.
    pub error: Option<String>,
    /// Where the next poll starts; `None` keeps the stored cursor.
    pub cursor: Option<Cursor>,
    pub posts_created: u64,
    /// The platform asked to wait until then: the next poll is no sooner.
    pub retry_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait SourceRepository: Send + Sync {
    async fn insert_source(&self, tenant: TenantId, s: &Source) -> DomainResult<()>;
    async fn get_source(&self, tenant: TenantId, id: SourceId) -> DomainResult<Source>;
    async fn list_sources(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<Source>>;
    /// The settings (URL, types, interval, enabled, next poll); not the
    /// poll record. A new URL forgets the cursor.
    async fn update_source(&self, tenant: TenantId, s: &Source) -> DomainResult<()>;
    async fn delete_source(&self, tenant: TenantId, id: SourceId) -> DomainResult<()>;
    /// Claims up to `limit` enabled sources due at `now`, across tenants,
    /// with their cursors. Each claim moves the source's next poll to
    /// `now + poll_seconds` with a compare-and-set, so no worker of any
    /// replica polls it sooner.
    async fn claim_due(&self, now: DateTime<Utc>, limit: u64) -> DomainResult<Vec<(Source, Option<Cursor>)>>;
    async fn record_poll(&self, tenant: TenantId, id: SourceId, record: &PollRecord) -> DomainResult<()>;
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
    /// source is checked for (the URL's shape, the platform's own limits).
    fn check(&self, input: &SourceInput, violations: &mut Violations) {
        let _ = (input, violations);
    }

    /// The posts after `cursor` (`None`: the first fetch), and where the
    /// next fetch starts.
    async fn fetch(&self, source: &Source, cursor: Option<&Cursor>) -> Result<Fetched, ConnectorError>;
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
