//! Per-tenant quotas: the operator's limits and the tenant's counts.

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use smrm_domain::DomainResult;
use smrm_domain::ids::TenantId;
use smrm_domain::model::quota::{QUOTA_CEILING, Quota};
use smrm_domain::ports::{QuotaRepository, TenantRepository};

use super::entities::{alert_rule, api_key, brand, source, tenant_quota, user, webhook};
use super::{SqlStore, db_err};

/// Rows of `entity` whose `tenant_id` is `tenant` (each table's primary key
/// starts with it, so this is an index range count).
macro_rules! count_of {
    ($db:expr, $entity:ident, $tenant:expr) => {
        $entity::Entity::find().filter($entity::Column::TenantId.eq($tenant.0)).count($db).await.map_err(db_err)?
    };
}

#[async_trait]
impl QuotaRepository for SqlStore {
    async fn quota_limits(&self, tenant: TenantId) -> DomainResult<Vec<(Quota, u32)>> {
        let rows = tenant_quota::Entity::find()
            .filter(tenant_quota::Column::TenantId.eq(tenant.0))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .filter_map(|r| Some((Quota::parse(&r.name)?, u32::try_from(r.value).ok()?.min(QUOTA_CEILING))))
            .collect())
    }

    async fn set_quota(&self, tenant: TenantId, quota: Quota, limit: Option<u32>) -> DomainResult<()> {
        self.get_tenant(tenant).await?;
        let Some(limit) = limit else {
            tenant_quota::Entity::delete_by_id((tenant.0, quota.as_str().to_owned()))
                .exec(&self.db)
                .await
                .map_err(db_err)?;
            return Ok(());
        };
        let value = i32::try_from(limit.min(QUOTA_CEILING)).unwrap_or(i32::MAX);
        tenant_quota::Entity::insert(tenant_quota::ActiveModel {
            tenant_id: sea_orm::Set(tenant.0),
            name: sea_orm::Set(quota.as_str().to_owned()),
            value: sea_orm::Set(value),
        })
        .on_conflict(
            OnConflict::columns([tenant_quota::Column::TenantId, tenant_quota::Column::Name])
                .update_column(tenant_quota::Column::Value)
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn quota_usage(&self, tenant: TenantId, quota: Quota) -> DomainResult<Option<u64>> {
        let db = &self.db;
        Ok(Some(match quota {
            Quota::Brands => count_of!(db, brand, tenant),
            Quota::Users => count_of!(db, user, tenant),
            Quota::ApiKeys => count_of!(db, api_key, tenant),
            Quota::Webhooks => count_of!(db, webhook, tenant),
            Quota::Sources => count_of!(db, source, tenant),
            Quota::AlertRules => count_of!(db, alert_rule, tenant),
            Quota::KeywordsPerBrand => return Ok(None),
        }))
    }
}
