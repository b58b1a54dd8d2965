//! Bodies of the alert rule endpoints: rules and the alerts they fired.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smrm_domain::ids::BrandId;
use smrm_domain::model::integrations::{Alert, AlertKind, AlertRule, AlertRuleInput, AlertRulePatch};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::routes::common::*;

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
