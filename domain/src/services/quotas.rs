//! Per-tenant quotas, checked by each service before it creates what a quota
//! counts. The check counts what the tenant has, then the service creates:
//! requests racing on the last free place can pass the quota by the number
//! in flight at that instant (each of them rate-limited), never more.

use std::sync::Arc;

use crate::error::{DomainError, DomainResult};
use crate::ids::TenantId;
use crate::model::quota::{Quota, QuotaStatus};
use crate::ports::QuotaRepository;

#[derive(Clone)]
pub struct Quotas {
    pub repo: Arc<dyn QuotaRepository>,
}

impl Quotas {
    /// The tenant's limit: the operator's, else the default.
    pub async fn limit(&self, tenant: TenantId, quota: Quota) -> DomainResult<u32> {
        let set = self.repo.quota_limits(tenant).await?;
        Ok(set.into_iter().find(|(q, _)| *q == quota).map_or_else(|| quota.default_limit(), |(_, n)| n))
    }

    /// Room for one more: an error when the tenant already keeps its limit.
    pub async fn check_room(&self, tenant: TenantId, quota: Quota) -> DomainResult<()> {
        let limit = self.limit(tenant, quota).await?;
        let used = self.repo.quota_usage(tenant, quota).await?.unwrap_or(0);
        if used >= u64::from(limit) {
            return Err(DomainError::QuotaExceeded { quota, limit });
        }
        Ok(())
    }

    /// An item counted per item (keywords of one brand) holds `n`.
    pub async fn check_count(&self, tenant: TenantId, quota: Quota, n: usize) -> DomainResult<()> {
        let limit = self.limit(tenant, quota).await?;
        if n > limit as usize {
            return Err(DomainError::QuotaExceeded { quota, limit });
        }
        Ok(())
    }

    /// Every quota of the tenant, with what it uses.
    pub async fn statuses(&self, tenant: TenantId) -> DomainResult<Vec<QuotaStatus>> {
        let set = self.repo.quota_limits(tenant).await?;
        let mut out = Vec::with_capacity(Quota::ALL.len());
        for quota in Quota::ALL {
            let custom = set.iter().find(|(q, _)| *q == quota).map(|(_, n)| *n);
            let used = self.repo.quota_usage(tenant, quota).await?;
            out.push(QuotaStatus {
                quota,
                limit: custom.unwrap_or_else(|| quota.default_limit()),
                custom: custom.is_some(),
                used,
            });
        }
        Ok(out)
    }
}
