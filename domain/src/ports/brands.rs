//! Brands and competitor sets.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::DomainResult;
use crate::ids::{BrandId, CompetitorSetId, TenantId};
use crate::model::brand::Brand;
use crate::model::competitor_set::CompetitorSet;
use crate::page::{Page, PageRequest};

#[async_trait]
pub trait BrandRepository: Send + Sync {
    async fn insert_brand(&self, tenant: TenantId, brand: &Brand) -> DomainResult<()>;
    async fn get_brand(&self, tenant: TenantId, id: BrandId) -> DomainResult<Brand>;
    /// `only`: restrict to these brands (a client's scope).
    async fn list_brands(
        &self,
        tenant: TenantId,
        only: Option<&[BrandId]>,
        page: PageRequest,
    ) -> DomainResult<Page<Brand>>;
    /// `query_changed`: the keywords, exclusions or languages changed, so the
    /// stored posts must be matched again (a backfill is queued).
    async fn update_brand(&self, tenant: TenantId, brand: &Brand, query_changed: bool) -> DomainResult<()>;
    /// Deletes the brand at once (conflict, naming the sets, when a
    /// competitor set still uses it) and then purges its mentions and
    /// rollups; a purge cut short is finished by `purge_deleted_brands`.
    async fn delete_brand(&self, tenant: TenantId, id: BrandId, now: DateTime<Utc>) -> DomainResult<()>;
    /// Finishes up to `limit` purges of deleted brands cut short (a crash
    /// between the two steps); returns how many it finished.
    async fn purge_deleted_brands(&self, limit: u64) -> DomainResult<u64>;
    /// Which of `ids` are not brands of this tenant.
    async fn missing_brands(&self, tenant: TenantId, ids: &[BrandId]) -> DomainResult<Vec<BrandId>>;
}

#[async_trait]
pub trait CompetitorSetRepository: Send + Sync {
    async fn insert_set(&self, tenant: TenantId, set: &CompetitorSet) -> DomainResult<()>;
    async fn get_set(&self, tenant: TenantId, id: CompetitorSetId) -> DomainResult<CompetitorSet>;
    /// `only`: restrict to sets whose own brand is one of these.
    async fn list_sets(
        &self,
        tenant: TenantId,
        only: Option<&[BrandId]>,
        page: PageRequest,
    ) -> DomainResult<Page<CompetitorSet>>;
    async fn update_set(&self, tenant: TenantId, set: &CompetitorSet) -> DomainResult<()>;
    async fn delete_set(&self, tenant: TenantId, id: CompetitorSetId) -> DomainResult<()>;
}
