//! Alert rules: negative and volume spikes per brand, checked when mentions
//! arrive, fired at most once per window, delivered as `alert.triggered`.

use std::sync::Arc;

use crate::error::{DomainError, DomainResult};
use crate::ids::{AlertId, AlertRuleId, BrandId, TenantId};
use crate::model::access::{BrandScope, Principal};
use crate::model::integrations::{Alert, AlertKind, AlertRule, AlertRuleInput, AlertRulePatch, BASELINE_WINDOWS};
use crate::page::{Page, PageRequest};
use crate::ports::{AlertRepository, BrandRepository, Clock};

pub struct AlertService {
    pub quotas: crate::services::quotas::Quotas,
    pub repo: Arc<dyn AlertRepository>,
    pub brands: Arc<dyn BrandRepository>,
    pub clock: Arc<dyn Clock>,
}

impl AlertService {
    pub async fn create(&self, who: &Principal, input: AlertRuleInput) -> DomainResult<AlertRule> {
        let input = self.check(who, input).await?;
        self.quotas.check_room(who.tenant_id, crate::model::quota::Quota::AlertRules).await?;
        let now = self.clock.now();
        let r = AlertRule {
            id: AlertRuleId::new(),
            tenant_id: who.tenant_id,
            brand_id: input.brand_id,
            kind: input.kind,
            window_minutes: input.window_minutes,
            threshold: input.threshold,
            enabled: input.enabled,
            last_fired_at: None,
            created_at: now,
            updated_at: now,
        };
        self.repo.insert_rule(who.tenant_id, &r).await?;
        Ok(r)
    }

    pub async fn get(&self, who: &Principal, id: AlertRuleId) -> DomainResult<AlertRule> {
        let r = self.repo.get_rule(who.tenant_id, id).await?;
        if !who.scope.allows(r.brand_id) {
            return Err(DomainError::NotFound("alert rule"));
        }
        Ok(r)
    }

    pub async fn list(&self, who: &Principal, page: PageRequest) -> DomainResult<Page<AlertRule>> {
        let only = match &who.scope {
            BrandScope::All => None,
            BrandScope::Only(ids) => Some(ids.as_slice()),
        };
        self.repo.list_rules(who.tenant_id, only, page).await
    }

    pub async fn update(&self, who: &Principal, id: AlertRuleId, patch: AlertRulePatch) -> DomainResult<AlertRule> {
        let current = self.get(who, id).await?;
        let input = self.check(who, patch.merged(&current)).await?;
        let r = AlertRule {
            brand_id: input.brand_id,
            kind: input.kind,
            window_minutes: input.window_minutes,
            threshold: input.threshold,
            enabled: input.enabled,
            updated_at: self.clock.now(),
            ..current
        };
        self.repo.update_rule(who.tenant_id, &r).await?;
        Ok(r)
    }

    pub async fn delete(&self, who: &Principal, id: AlertRuleId) -> DomainResult<()> {
        self.get(who, id).await?;
        self.repo.delete_rule(who.tenant_id, id).await
    }

    pub async fn alerts(&self, who: &Principal, id: AlertRuleId, page: PageRequest) -> DomainResult<Page<Alert>> {
        self.get(who, id).await?;
        self.repo.list_alerts(who.tenant_id, id, page).await
    }

    pub async fn alert(&self, tenant: TenantId, id: AlertId) -> DomainResult<Alert> {
        self.repo.get_alert(tenant, id).await
    }

    /// Checks the enabled rules of `brands` after new mentions of them
    /// arrived. A rule fires when its window (the last `window_minutes`, by
    /// `published_at`) holds at least `threshold` mentions and at least
    /// twice the baseline, the mean per window over the 24 windows before;
    /// then not again until a whole window has passed. Returns the alerts fired.
    pub async fn evaluate(&self, tenant: TenantId, brands: &[BrandId]) -> DomainResult<Vec<Alert>> {
        if brands.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        let mut fired = Vec::new();
        for rule in self.repo.rules_for(tenant, brands).await? {
            let window = rule.window();
            if rule.last_fired_at.is_some_and(|t| t > now - window) {
                continue;
            }
            let negative_only = rule.kind == AlertKind::NegativeSpike;
            let count = self.repo.count_mentions(tenant, rule.brand_id, negative_only, now - window, now).await?;
            if count < rule.threshold {
                continue;
            }
            let before = now - window * (BASELINE_WINDOWS + 1);
            let history = self.repo.count_mentions(tenant, rule.brand_id, negative_only, before, now - window).await?;
            let baseline = history as f64 / f64::from(BASELINE_WINDOWS);
            if !rule.is_spike(count, baseline) {
                continue;
            }
            let alert = Alert {
                id: AlertId::new(),
                tenant_id: tenant,
                rule_id: rule.id,
                brand_id: rule.brand_id,
                kind: rule.kind,
                window_start: now - window,
                window_end: now,
                count,
                baseline,
                threshold: rule.threshold,
                fired_at: now,
            };
            if self.repo.fire(tenant, &alert, now - window).await? {
                fired.push(alert);
            }
        }
        Ok(fired)
    }

    async fn check(&self, who: &Principal, input: AlertRuleInput) -> DomainResult<AlertRuleInput> {
        let known = self.brands.missing_brands(who.tenant_id, &[input.brand_id]).await?.is_empty()
            && who.scope.allows(input.brand_id);
        input.validate(known)
    }
}
