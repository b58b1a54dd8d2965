//! Bodies of the webhook endpoints: endpoints, secrets and deliveries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smrm_domain::model::integrations::{Attempt, Event, Webhook, WebhookInput, WebhookPatch};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::routes::common::*;

list_type! {
    /// A page of webhook endpoints.
    WebhookList => WebhookDto;
    /// A page of delivery attempts, newest first.
    DeliveryList => DeliveryDto;
}

/// An event a webhook can receive.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[schema(as = WebhookEvent)]
pub enum EventDto {
    /// A mention was stored by ingest; `data` is the mention.
    #[serde(rename = "mention.created")]
    MentionCreated,
    /// A negative mention was stored by ingest; `data` is the mention.
    #[serde(rename = "mention.negative")]
    MentionNegative,
    /// An alert rule fired; `data` is the alert.
    #[serde(rename = "alert.triggered")]
    AlertTriggered,
}

impl From<EventDto> for Event {
    fn from(e: EventDto) -> Self {
        match e {
            EventDto::MentionCreated => Event::MentionCreated,
            EventDto::MentionNegative => Event::MentionNegative,
            EventDto::AlertTriggered => Event::AlertTriggered,
        }
    }
}

impl From<Event> for EventDto {
    fn from(e: Event) -> Self {
        match e {
            Event::MentionCreated => EventDto::MentionCreated,
            Event::MentionNegative => EventDto::MentionNegative,
            Event::AlertTriggered => EventDto::AlertTriggered,
        }
    }
}

/// A webhook endpoint. Its signing secret is shown only when it is created
/// and when it is rotated.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Webhook, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d90", "url": "https://crm.example.com/hooks/smrm", "description": "Agency CRM", "events": ["mention.negative", "alert.triggered"], "enabled": true, "disabled_reason": null, "created_at": "2026-11-26T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z"}))]
pub struct WebhookDto {
    pub id: Uuid,
    pub url: String,
    pub description: Option<String>,
    pub events: Vec<EventDto>,
    /// `false` once disabled, by you or by SMRM after the last failed attempt.
    pub enabled: bool,
    /// Why SMRM disabled it; cleared when you enable it again.
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookDto {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id.0,
            url: w.url,
            description: w.description,
            events: w.events.into_iter().map(Into::into).collect(),
            enabled: w.enabled,
            disabled_reason: w.disabled_reason,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// A new endpoint, with its signing secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = NewWebhookCreated, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d90", "url": "https://crm.example.com/hooks/smrm", "description": "Agency CRM", "events": ["mention.negative"], "enabled": true, "disabled_reason": null, "created_at": "2026-11-26T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}))]
pub struct WebhookCreatedDto {
    #[serde(flatten)]
    pub webhook: WebhookDto,
    /// `whsec_…`: verify each request's `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

/// A new signing secret (the previous one keeps signing for 24 hours).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookSecret, example = json!({"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "previous_valid_until": "2026-11-27T10:00:00Z"}))]
pub struct SecretDto {
    pub secret: String,
    /// Until then each request carries a second signature, with the previous secret.
    pub previous_valid_until: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewWebhook, example = json!({"url": "https://crm.example.com/hooks/smrm", "description": "Agency CRM", "events": ["mention.negative", "alert.triggered"]}))]
pub struct NewWebhookDto {
    /// An http(s) URL of a public host (unless the operator allows private networks).
    pub url: String,
    #[serde(default)]
    pub description: Option<String>,
    /// One or more events, without repeats.
    pub events: Vec<EventDto>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl From<NewWebhookDto> for WebhookInput {
    fn from(d: NewWebhookDto) -> Self {
        Self {
            url: d.url,
            description: d.description,
            events: d.events.into_iter().map(Into::into).collect(),
            enabled: d.enabled,
        }
    }
}

/// Changes to an endpoint; absent fields stay, `null` clears the description.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WebhookPatch, example = json!({"enabled": true}))]
pub struct WebhookPatchDto {
    #[serde(default, deserialize_with = "present")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(nullable)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub events: Option<Vec<EventDto>>,
    /// `true` resumes deliveries (with the next event) after SMRM disabled it.
    #[serde(default, deserialize_with = "present")]
    pub enabled: Option<bool>,
}

impl From<WebhookPatchDto> for WebhookPatch {
    fn from(d: WebhookPatchDto) -> Self {
        Self {
            url: d.url,
            description: d.description,
            events: d.events.map(|e| e.into_iter().map(Into::into).collect()),
            enabled: d.enabled,
        }
    }
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookDelivery, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7da0", "message_id": "msg_0193f1d25c4e7a109f3b2a1c9e0b7d95", "event": "mention.negative", "attempt": 2, "status_code": 503, "error": "the endpoint answered 503", "created_at": "2026-11-26T10:00:05Z", "next_attempt_at": "2026-11-26T10:05:05Z"}))]
pub struct DeliveryDto {
    pub id: Uuid,
    /// The `webhook-id` header: the same on every attempt of one message.
    pub message_id: String,
    pub event: EventDto,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The endpoint's answer; `null` when there was none (connection error, timeout).
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due; `null` after success or the last attempt.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<Attempt> for DeliveryDto {
    fn from(a: Attempt) -> Self {
        Self {
            id: a.id.0,
            message_id: smrm_domain::model::integrations::webhook_id(a.message_id),
            event: a.event.into(),
            attempt: a.attempt,
            status_code: a.status_code,
            error: a.error,
            created_at: a.created_at,
            next_attempt_at: a.next_attempt_at,
        }
    }
}
