//! Webhooks: endpoints managed over the API, and the delivery of their
//! messages from the durable outbox, retried on a schedule.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::error::{DomainError, DomainResult};
use crate::ids::{AttemptId, TenantId, WebhookId};
use crate::model::access::Principal;
use crate::model::credentials::{Sealed, Secret, webhook_aad};
use crate::model::integrations::{
    Attempt, Message, PREVIOUS_SECRET_HOURS, SendOutcome, Webhook, WebhookInput, WebhookPatch, WebhookSecrets,
    next_attempt,
};
use crate::page::{Page, PageRequest};
use crate::ports::{
    Clock, EventPayloads, Outgoing, SecretBox, SecretSource, Telemetry, WebhookRepository, WebhookSender,
};

/// How long a worker owns the messages it claimed: longer than an attempt
/// can take (the sender's timeouts), so a live worker never loses one.
pub const LEASE_SECONDS: i64 = 120;

pub struct WebhookService {
    pub quotas: crate::services::quotas::Quotas,
    pub repo: Arc<dyn WebhookRepository>,
    pub payloads: Arc<dyn EventPayloads>,
    pub secrets: Arc<dyn SecretSource>,
    /// Seals the signing secrets at rest (`SMRM_SECRETS_KEY`).
    pub sealer: Arc<dyn SecretBox>,
    pub clock: Arc<dyn Clock>,
    /// The HTTP client that signs and sends (one per process).
    pub sender: Arc<dyn WebhookSender>,
    pub telemetry: Arc<dyn Telemetry>,
    /// Seconds after the 1st, 2nd, … failed attempt (`SMRM_WEBHOOK_RETRY_SECONDS`).
    pub retry_seconds: Vec<u64>,
    /// `SMRM_OUTBOUND_ALLOW_PRIVATE`.
    pub allow_private: bool,
}

impl WebhookService {
    fn seal(&self, tenant: crate::ids::TenantId, id: WebhookId, secret: &str) -> String {
        self.sealer.seal(&webhook_aad(tenant, id), &Secret::new(secret)).to_text()
    }

    /// The stored secrets in the clear (those from before sealing are).
    fn open(
        &self,
        tenant: crate::ids::TenantId,
        id: WebhookId,
        stored: WebhookSecrets,
    ) -> DomainResult<WebhookSecrets> {
        let aad = webhook_aad(tenant, id);
        let open = |text: String| match Sealed::from_text(&text) {
            Some(sealed) => self.sealer.open(&aad, &sealed).map(|s| s.expose().to_owned()),
            None => Ok(text),
        };
        Ok(WebhookSecrets {
            current: open(stored.current)?,
            previous: match stored.previous {
                Some((p, until)) => Some((open(p)?, until)),
                None => None,
            },
        })
    }

    /// Seals the signing secrets stored in the clear before secrets were
    /// sealed (run at start, after the migrations; the key is the
    /// operator's, so no migration can do it). Returns how many endpoints
    /// it sealed.
    pub async fn seal_stored_secrets(&self) -> DomainResult<u64> {
        let mut sealed = 0;
        loop {
            let batch = self.repo.unsealed_secrets(200).await?;
            let before = sealed;
            if batch.is_empty() {
                return Ok(sealed);
            }
            for (tenant, id, was) in batch {
                let seal = |s: &str| if Sealed::is_sealed_text(s) { s.to_owned() } else { self.seal(tenant, id, s) };
                let now = WebhookSecrets {
                    current: seal(&was.current),
                    previous: was.previous.as_ref().map(|(p, until)| (seal(p), *until)),
                };
                if self.repo.replace_secrets(tenant, id, &was, &now).await? {
                    sealed += 1;
                }
            }
            if sealed == before {
                // Every one changed under us (rotations): the next start goes on.
                return Ok(sealed);
            }
        }
    }

    /// Creates an endpoint; the answer carries its signing secret, shown this once.
    pub async fn create(&self, who: &Principal, input: WebhookInput) -> DomainResult<(Webhook, String)> {
        let input = input.validate(self.allow_private)?;
        self.quotas.check_room(who.tenant_id, crate::model::quota::Quota::Webhooks).await?;
        let now = self.clock.now();
        let w = Webhook {
            id: WebhookId::new(),
            tenant_id: who.tenant_id,
            url: input.url,
            description: input.description,
            events: input.events,
            enabled: input.enabled,
            disabled_reason: None,
            created_at: now,
            updated_at: now,
        };
        let secret = self.secrets.webhook_secret();
        self.repo.insert_webhook(who.tenant_id, &w, &self.seal(who.tenant_id, w.id, &secret)).await?;
        Ok((w, secret))
    }

    pub async fn get(&self, who: &Principal, id: WebhookId) -> DomainResult<Webhook> {
        self.repo.get_webhook(who.tenant_id, id).await
    }

    pub async fn list(&self, who: &Principal, page: PageRequest) -> DomainResult<Page<Webhook>> {
        self.repo.list_webhooks(who.tenant_id, page).await
    }

    /// Changes an endpoint. Enabling one SMRM disabled clears the reason;
    /// deliveries resume with the next event.
    pub async fn update(&self, who: &Principal, id: WebhookId, patch: WebhookPatch) -> DomainResult<Webhook> {
        let current = self.repo.get_webhook(who.tenant_id, id).await?;
        let input = patch.merged(&current).validate(self.allow_private)?;
        let w = Webhook {
            url: input.url,
            description: input.description,
            events: input.events,
            disabled_reason: if input.enabled { None } else { current.disabled_reason.clone() },
            enabled: input.enabled,
            updated_at: self.clock.now(),
            ..current
        };
        self.repo.update_webhook(who.tenant_id, &w).await?;
        Ok(w)
    }

    pub async fn delete(&self, who: &Principal, id: WebhookId) -> DomainResult<()> {
        self.repo.delete_webhook(who.tenant_id, id).await
    }

    /// A new signing secret, shown this once; the old one keeps signing
    /// (a second signature in `webhook-signature`) for 24 hours, so the
    /// receiver can switch without losing a message.
    /// Returns the new secret and until when the previous one still signs.
    pub async fn rotate_secret(&self, who: &Principal, id: WebhookId) -> DomainResult<(String, DateTime<Utc>)> {
        self.repo.get_webhook(who.tenant_id, id).await?;
        let secret = self.secrets.webhook_secret();
        let sealed = self.seal(who.tenant_id, id, &secret);
        let until = self.clock.now() + Duration::hours(PREVIOUS_SECRET_HOURS);
        self.repo.rotate_secret(who.tenant_id, id, &sealed, until).await?;
        Ok((secret, until))
    }

    pub async fn deliveries(&self, who: &Principal, id: WebhookId, page: PageRequest) -> DomainResult<Page<Attempt>> {
        self.repo.get_webhook(who.tenant_id, id).await?;
        self.repo.list_attempts(who.tenant_id, id, page).await
    }

    /// Claims messages due now, for this worker alone (see `LEASE_SECONDS`),
    /// fairly between tenants: at most `per_tenant` of one tenant, none of
    /// the `busy` tenants (whose deliveries fill their slots already).
    pub async fn claim(&self, limit: u64, per_tenant: u64, busy: &[TenantId]) -> DomainResult<Vec<Message>> {
        let now = self.clock.now();
        self.repo.claim_due(now, now + Duration::seconds(LEASE_SECONDS), limit, per_tenant, busy).await
    }

    /// Makes one attempt at a claimed message and records it: delivered,
    /// due again on the retry schedule, or failed for good, which disables
    /// the endpoint (as does a `410 Gone`). Returns the attempt's outcome
    /// (`None`: no attempt, the message was dropped), counted for the operators.
    pub async fn deliver(&self, m: Message) -> DomainResult<Option<SendOutcome>> {
        let result = self.attempt(m).await;
        self.telemetry.webhook_attempted(match &result {
            Ok(Some(SendOutcome::Delivered(_))) => "delivered",
            Ok(Some(SendOutcome::Rejected(_))) => "rejected",
            Ok(Some(SendOutcome::Failed(_))) => "failed",
            Ok(None) => "dropped",
            Err(_) => "error",
        });
        result
    }

    async fn attempt(&self, m: Message) -> DomainResult<Option<SendOutcome>> {
        let tenant = m.tenant_id;
        let w = match self.repo.get_webhook(tenant, m.webhook_id).await {
            Ok(w) => w,
            Err(DomainError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        if !w.enabled {
            return self.repo.abandon(tenant, m.id, self.clock.now()).await.map(|()| None);
        }
        let body = match m.payload.clone() {
            Some(body) => body,
            None => {
                let Some(data) = self.payloads.data(tenant, m.event, m.subject_id).await? else {
                    return self.repo.abandon(tenant, m.id, self.clock.now()).await.map(|()| None);
                };
                let body = serde_json::json!({
                    "type": m.event.as_str(),
                    "timestamp": m.created_at,
                    "data": data,
                })
                .to_string();
                self.repo.set_payload(tenant, m.id, &body).await?;
                body
            }
        };
        let now = self.clock.now();
        let secrets = self.open(tenant, w.id, self.repo.secrets(tenant, w.id).await?)?.signing(now);
        let outcome = self
            .sender
            .send(&Outgoing {
                url: &w.url,
                message_id: m.id,
                timestamp: now.timestamp(),
                body: &body,
                secrets: &secrets,
            })
            .await;
        let number = m.attempts + 1;
        let done = self.clock.now();
        let (status_code, error, delivered) = match &outcome {
            SendOutcome::Delivered(s) => (Some(*s), None, true),
            SendOutcome::Rejected(s) => (Some(*s), Some(format!("the endpoint answered {s}")), false),
            SendOutcome::Failed(e) => (None, Some(e.clone()), false),
        };
        let gone = outcome == SendOutcome::Rejected(410);
        let next_attempt_at = if delivered || gone { None } else { next_attempt(&self.retry_seconds, number, done) };
        let attempt = Attempt {
            id: AttemptId::new(),
            message_id: m.id,
            webhook_id: w.id,
            event: m.event,
            attempt: number,
            status_code,
            error: error.clone(),
            created_at: done,
            next_attempt_at,
        };
        self.repo.record_attempt(tenant, &attempt, delivered).await?;
        if !delivered && next_attempt_at.is_none() {
            let reason = if gone {
                "the endpoint answered 410 Gone".to_owned()
            } else {
                format!("disabled after {number} failed attempts; the last: {}", error.unwrap_or_default())
            };
            self.repo.disable_webhook(tenant, w.id, &reason, done).await?;
        }
        Ok(Some(outcome))
    }
}
