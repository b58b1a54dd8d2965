//! Webhook endpoints, their outbox and delivery.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::DomainResult;
use crate::ids::{MessageId, TenantId, WebhookId};
use crate::model::integrations::{Attempt, Event, Message, SendOutcome, Webhook, WebhookSecrets};
use crate::page::{Page, PageRequest};

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
    /// The signing secrets as stored (sealed, or in the clear from before).
    async fn secrets(&self, tenant: TenantId, id: WebhookId) -> DomainResult<WebhookSecrets>;
    /// Up to `limit` endpoints, across tenants, whose secrets are stored
    /// in the clear (from before secrets were sealed).
    async fn unsealed_secrets(&self, limit: u64) -> DomainResult<Vec<(TenantId, WebhookId, WebhookSecrets)>>;
    /// Replaces the stored secrets `was` with `now` (compare-and-set: a
    /// rotation in between wins).
    async fn replace_secrets(
        &self,
        tenant: TenantId,
        id: WebhookId,
        was: &WebhookSecrets,
        now: &WebhookSecrets,
    ) -> DomainResult<bool>;
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
    /// Fair between tenants: every tenant's most overdue message before
    /// anyone's next, at most `per_tenant` of one tenant, none of `busy`.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u64,
        per_tenant: u64,
        busy: &[TenantId],
    ) -> DomainResult<Vec<Message>>;
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

/// Sends webhooks over HTTP.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    async fn send(&self, out: &Outgoing<'_>) -> SendOutcome;
}
