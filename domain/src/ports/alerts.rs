//! Alert rules and the alerts they fire.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::DomainResult;
use crate::ids::{AlertId, AlertRuleId, BrandId, TenantId};
use crate::model::integrations::{Alert, AlertRule};
use crate::page::{Page, PageRequest};

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
