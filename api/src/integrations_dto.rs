//! Bodies of the integration endpoints: webhooks and their deliveries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smrm_domain::ids::BrandId;
use smrm_domain::model::integrations::{
    Alert, AlertKind, AlertRule, AlertRuleInput, AlertRulePatch, Attempt, Event, Webhook, WebhookInput, WebhookPatch,
};
use smrm_domain::model::sources::{Source, SourceInput, SourceKind, SourcePatch};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::list_type;
use crate::mention_dto::{SourceTypeDto, dto_enum, nullable, present};

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

fn yes() -> bool {
    true
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
            message_id: smrm_infra::outbound::webhook_id(a.message_id),
            event: a.event.into(),
            attempt: a.attempt,
            status_code: a.status_code,
            error: a.error,
            created_at: a.created_at,
            next_attempt_at: a.next_attempt_at,
        }
    }
}

dto_enum!(
    /// `negative_spike`: negative mentions of the brand; `volume_spike`: all of them.
    AlertKindDto as AlertKind <=> AlertKind { NegativeSpike, VolumeSpike }
);

list_type! {
    /// A page of alert rules.
    AlertRuleList => AlertRuleDto;
    /// A page of fired alerts, newest first.
    AlertList => AlertDto;
}

/// A rule that watches a brand for spikes. It fires when the last
/// `window_minutes` (by `published_at`) hold at least `threshold` mentions
/// and at least twice the baseline (the mean per window over the 24 windows
/// before), checked as mentions arrive; then not again until a whole window
/// has passed. Each firing is an `alert.triggered` webhook event.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AlertRule, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7db0", "brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "kind": "negative_spike", "window_minutes": 60, "threshold": 20, "enabled": true, "last_fired_at": null, "created_at": "2026-11-26T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z"}))]
pub struct AlertRuleDto {
    pub id: Uuid,
    pub brand_id: Uuid,
    pub kind: AlertKindDto,
    pub window_minutes: u32,
    pub threshold: u64,
    pub enabled: bool,
    pub last_fired_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<AlertRule> for AlertRuleDto {
    fn from(r: AlertRule) -> Self {
        Self {
            id: r.id.0,
            brand_id: r.brand_id.0,
            kind: r.kind.into(),
            window_minutes: r.window_minutes,
            threshold: r.threshold,
            enabled: r.enabled,
            last_fired_at: r.last_fired_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewAlertRule, example = json!({"brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "kind": "negative_spike", "window_minutes": 60, "threshold": 20}))]
pub struct NewAlertRuleDto {
    pub brand_id: Uuid,
    pub kind: AlertKindDto,
    /// 5 to 1,440 minutes.
    pub window_minutes: u32,
    /// 1 to 1,000,000 mentions.
    pub threshold: u64,
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl From<NewAlertRuleDto> for AlertRuleInput {
    fn from(d: NewAlertRuleDto) -> Self {
        Self {
            brand_id: BrandId(d.brand_id),
            kind: d.kind.into(),
            window_minutes: d.window_minutes,
            threshold: d.threshold,
            enabled: d.enabled,
        }
    }
}

/// Changes to a rule; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AlertRulePatch, example = json!({"threshold": 50}))]
pub struct AlertRulePatchDto {
    #[serde(default, deserialize_with = "present")]
    pub brand_id: Option<Uuid>,
    #[serde(default, deserialize_with = "present")]
    pub kind: Option<AlertKindDto>,
    #[serde(default, deserialize_with = "present")]
    pub window_minutes: Option<u32>,
    #[serde(default, deserialize_with = "present")]
    pub threshold: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    pub enabled: Option<bool>,
}

impl From<AlertRulePatchDto> for AlertRulePatch {
    fn from(d: AlertRulePatchDto) -> Self {
        Self {
            brand_id: d.brand_id.map(BrandId),
            kind: d.kind.map(Into::into),
            window_minutes: d.window_minutes,
            threshold: d.threshold,
            enabled: d.enabled,
        }
    }
}

/// A rule that fired, and what it saw: the `data` of `alert.triggered`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Alert, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7dc0", "rule_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7db0", "brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "kind": "negative_spike", "window_start": "2026-11-26T09:00:00Z", "window_end": "2026-11-26T10:00:00Z", "count": 48, "baseline": 3.5, "threshold": 20, "fired_at": "2026-11-26T10:00:00Z"}))]
pub struct AlertDto {
    pub id: Uuid,
    pub rule_id: Uuid,
    pub brand_id: Uuid,
    pub kind: AlertKindDto,
    /// The window `[window_start, window_end)`, by `published_at`.
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// Mentions in the window.
    pub count: u64,
    /// The mean count per window over the 24 windows before.
    pub baseline: f64,
    pub threshold: u64,
    pub fired_at: DateTime<Utc>,
}

impl From<Alert> for AlertDto {
    fn from(a: Alert) -> Self {
        Self {
            id: a.id.0,
            rule_id: a.rule_id.0,
            brand_id: a.brand_id.0,
            kind: a.kind.into(),
            window_start: a.window_start,
            window_end: a.window_end,
            count: a.count,
            baseline: a.baseline,
            threshold: a.threshold,
            fired_at: a.fired_at,
        }
    }
}

/// The kind of pull connector: `rss` reads RSS and Atom feeds alike.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[schema(as = SourceKind)]
pub enum SourceKindDto {
    Rss,
}

list_type! {
    /// A page of sources.
    SourceList => SourceDto;
}

/// A feed SMRM polls itself. Its entries become posts of `platform` and
/// `source_type` (the entry id is the post's `external_id`, so an entry is
/// stored once), matched against the tenant's brands like pushed posts.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Source, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7dd0", "kind": "rss", "url": "https://www.vedomosti.ru/rss/news", "source_type": "news", "platform": "vedomosti", "poll_seconds": 300, "enabled": true, "next_poll_at": "2026-11-26T10:05:00Z", "last_polled_at": "2026-11-26T10:00:00Z", "last_success_at": "2026-11-26T10:00:00Z", "last_error": null, "last_error_at": null, "posts_created": 42, "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"}))]
pub struct SourceDto {
    pub id: Uuid,
    pub kind: SourceKindDto,
    pub url: String,
    pub source_type: SourceTypeDto,
    pub platform: String,
    /// Polled no more often than this.
    pub poll_seconds: u64,
    pub enabled: bool,
    pub next_poll_at: DateTime<Utc>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last poll's failure; `null` once a poll succeeds.
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Mentions its entries created, in all.
    pub posts_created: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Source> for SourceDto {
    fn from(s: Source) -> Self {
        Self {
            id: s.id.0,
            kind: SourceKindDto::Rss,
            url: s.url,
            source_type: s.source_type.into(),
            platform: s.platform,
            poll_seconds: s.poll_seconds,
            enabled: s.enabled,
            next_poll_at: s.next_poll_at,
            last_polled_at: s.last_polled_at,
            last_success_at: s.last_success_at,
            last_error: s.last_error,
            last_error_at: s.last_error_at,
            posts_created: s.posts_created,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewSource, example = json!({"kind": "rss", "url": "https://www.vedomosti.ru/rss/news", "source_type": "news", "platform": "vedomosti", "poll_seconds": 300}))]
pub struct NewSourceDto {
    pub kind: SourceKindDto,
    /// The feed's http(s) URL, on a public host (unless the operator allows private networks).
    pub url: String,
    pub source_type: SourceTypeDto,
    /// A platform slug for its posts.
    pub platform: String,
    /// At least `SMRM_SOURCE_MIN_POLL_SECONDS` (60 by default), at most 86,400.
    pub poll_seconds: u64,
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl From<NewSourceDto> for SourceInput {
    fn from(d: NewSourceDto) -> Self {
        Self {
            kind: SourceKind::Rss,
            url: d.url,
            source_type: d.source_type.into(),
            platform: d.platform,
            poll_seconds: d.poll_seconds,
            enabled: d.enabled,
        }
    }
}

/// Changes to a source; absent fields stay. A new URL is polled at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SourcePatch, example = json!({"poll_seconds": 600}))]
pub struct SourcePatchDto {
    #[serde(default, deserialize_with = "present")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub source_type: Option<SourceTypeDto>,
    #[serde(default, deserialize_with = "present")]
    pub platform: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub poll_seconds: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    pub enabled: Option<bool>,
}

impl From<SourcePatchDto> for SourcePatch {
    fn from(d: SourcePatchDto) -> Self {
        Self {
            url: d.url,
            source_type: d.source_type.map(Into::into),
            platform: d.platform,
            poll_seconds: d.poll_seconds,
            enabled: d.enabled,
        }
    }
}
