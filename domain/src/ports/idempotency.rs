//! Responses kept per `Idempotency-Key`.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::DomainResult;
use crate::ids::TenantId;

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
