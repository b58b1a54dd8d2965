//! Alert rules and the alerts they fired.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use smrm_domain::ids::{AlertId, AlertRuleId, BrandId, TenantId};
use smrm_domain::model::integrations::{Alert, AlertKind, AlertRule, Event};
use smrm_domain::model::mention::SentimentLabel;
use smrm_domain::page::{Page, PageRequest};
use smrm_domain::ports::AlertRepository;
use smrm_domain::{DomainError, DomainResult};

use super::entities::{alert, alert_rule as rule, mention};
use super::{SqlStore, Walk, db_err, page_by_id};

fn kind(s: &str) -> DomainResult<AlertKind> {
    AlertKind::parse(s).ok_or_else(|| DomainError::Internal(format!("stored alert kind `{s}` is not valid")))
}

fn to_rule(m: rule::Model) -> DomainResult<AlertRule> {
    Ok(AlertRule {
        id: AlertRuleId(m.id),
        tenant_id: TenantId(m.tenant_id),
        brand_id: BrandId(m.brand_id),
        kind: kind(&m.kind)?,
        window_minutes: u32::try_from(m.window_minutes).unwrap_or(0),
        threshold: u64::try_from(m.threshold).unwrap_or(0),
        enabled: m.enabled,
        last_fired_at: m.last_fired_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn rule_row(tenant: TenantId, r: &AlertRule) -> rule::ActiveModel {
    rule::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(r.id.0),
        brand_id: Set(r.brand_id.0),
        kind: Set(r.kind.as_str().into()),
        window_minutes: Set(i32::try_from(r.window_minutes).unwrap_or(i32::MAX)),
        threshold: Set(i64::try_from(r.threshold).unwrap_or(i64::MAX)),
        enabled: Set(r.enabled),
        last_fired_at: Set(r.last_fired_at),
        created_at: Set(r.created_at),
        updated_at: Set(r.updated_at),
    }
}

fn to_alert(m: alert::Model) -> DomainResult<Alert> {
    Ok(Alert {
        id: AlertId(m.id),
        tenant_id: TenantId(m.tenant_id),
        rule_id: AlertRuleId(m.rule_id),
        brand_id: BrandId(m.brand_id),
        kind: kind(&m.kind)?,
        window_start: m.window_start,
        window_end: m.window_end,
        count: u64::try_from(m.count).unwrap_or(0),
        baseline: m.baseline,
        threshold: u64::try_from(m.threshold).unwrap_or(0),
        fired_at: m.fired_at,
    })
}

#[async_trait]
impl AlertRepository for SqlStore {
    async fn insert_rule(&self, tenant: TenantId, r: &AlertRule) -> DomainResult<()> {
        rule::Entity::insert(rule_row(tenant, r)).exec_without_returning(&self.db).await.map_err(db_err)?;
        Ok(())
    }

    async fn get_rule(&self, tenant: TenantId, id: AlertRuleId) -> DomainResult<AlertRule> {
        let row = rule::Entity::find_by_id((tenant.0, id.0)).one(&self.db).await.map_err(db_err)?;
        to_rule(row.ok_or(DomainError::NotFound("alert rule"))?)
    }

    async fn list_rules(
        &self,
        tenant: TenantId,
        only: Option<&[BrandId]>,
        page: PageRequest,
    ) -> DomainResult<Page<AlertRule>> {
        let mut q = rule::Entity::find().filter(rule::Column::TenantId.eq(tenant.0));
        if let Some(only) = only {
            q = q.filter(rule::Column::BrandId.is_in(only.iter().map(|b| b.0)));
        }
        page_by_id(&self.db, q, rule::Column::Id, page, Walk::OldestFirst, to_rule).await
    }

    async fn update_rule(&self, tenant: TenantId, r: &AlertRule) -> DomainResult<()> {
        // Every column but `last_fired_at`, which only `fire` writes.
        let mut row = rule_row(tenant, r);
        row.last_fired_at = sea_orm::ActiveValue::NotSet;
        rule::Entity::update(row).exec(&self.db).await.map_err(|e| match e {
            sea_orm::DbErr::RecordNotUpdated => DomainError::NotFound("alert rule"),
            e => db_err(e),
        })?;
        Ok(())
    }

    async fn delete_rule(&self, tenant: TenantId, id: AlertRuleId) -> DomainResult<()> {
        let res = rule::Entity::delete_by_id((tenant.0, id.0)).exec(&self.db).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("alert rule"));
        }
        Ok(())
    }

    async fn rules_for(&self, tenant: TenantId, brands: &[BrandId]) -> DomainResult<Vec<AlertRule>> {
        rule::Entity::find()
            .filter(rule::Column::TenantId.eq(tenant.0))
            .filter(rule::Column::BrandId.is_in(brands.iter().map(|b| b.0)))
            .filter(rule::Column::Enabled.eq(true))
            .order_by_asc(rule::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_rule)
            .collect()
    }

    async fn count_mentions(
        &self,
        tenant: TenantId,
        brand: BrandId,
        negative_only: bool,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> DomainResult<u64> {
        let mut q = mention::Entity::find()
            .filter(mention::Column::TenantId.eq(tenant.0))
            .filter(mention::Column::BrandId.eq(brand.0))
            .filter(mention::Column::PublishedAt.gte(from))
            .filter(mention::Column::PublishedAt.lt(to));
        if negative_only {
            q = q.filter(mention::Column::SentimentLabel.eq(SentimentLabel::Negative.as_str()));
        }
        q.count(&self.db).await.map_err(db_err)
    }

    async fn fire(&self, tenant: TenantId, a: &Alert, not_since: DateTime<Utc>) -> DomainResult<bool> {
        let txn = super::begin_write(&self.db).await?;
        // Compare-and-set: of two batches (or replicas) that both saw the
        // spike, one marks the rule fired; the other changes nothing.
        let won = rule::Entity::update_many()
            .col_expr(rule::Column::LastFiredAt, Expr::value(a.fired_at))
            .filter(rule::Column::TenantId.eq(tenant.0))
            .filter(rule::Column::Id.eq(a.rule_id.0))
            .filter(
                Condition::any().add(rule::Column::LastFiredAt.is_null()).add(rule::Column::LastFiredAt.lte(not_since)),
            )
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if won.rows_affected == 0 {
            return Ok(false);
        }
        alert::Entity::insert(alert::ActiveModel {
            tenant_id: Set(tenant.0),
            id: Set(a.id.0),
            rule_id: Set(a.rule_id.0),
            brand_id: Set(a.brand_id.0),
            kind: Set(a.kind.as_str().into()),
            window_start: Set(a.window_start),
            window_end: Set(a.window_end),
            count: Set(i64::try_from(a.count).unwrap_or(i64::MAX)),
            baseline: Set(a.baseline),
            threshold: Set(i64::try_from(a.threshold).unwrap_or(i64::MAX)),
            fired_at: Set(a.fired_at),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(db_err)?;
        super::webhooks::enqueue(&txn, tenant, &[(a.id.0, &[Event::AlertTriggered])], a.fired_at).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn get_alert(&self, tenant: TenantId, id: AlertId) -> DomainResult<Alert> {
        let row = alert::Entity::find_by_id((tenant.0, id.0)).one(&self.db).await.map_err(db_err)?;
        to_alert(row.ok_or(DomainError::NotFound("alert"))?)
    }

    async fn list_alerts(&self, tenant: TenantId, r: AlertRuleId, page: PageRequest) -> DomainResult<Page<Alert>> {
        let q =
            alert::Entity::find().filter(alert::Column::TenantId.eq(tenant.0)).filter(alert::Column::RuleId.eq(r.0));
        page_by_id(&self.db, q, alert::Column::Id, page, Walk::NewestFirst, to_alert).await
    }
}
