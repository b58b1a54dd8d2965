//! Competitor sets: a brand and its competitors, every id a brand of the tenant.

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::{DomainError, DomainResult};
use crate::ids::CompetitorSetId;
use crate::model::access::{BrandScope, Principal};
use crate::model::competitor_set::{COMPETITORS_MAX, CompetitorSet, CompetitorSetInput, CompetitorSetPatch};
use crate::page::{Page, PageRequest};
use crate::ports::{BrandRepository, Clock, CompetitorSetRepository, ReportCache};

pub struct CompetitorSetService {
    pub sets: Arc<dyn CompetitorSetRepository>,
    pub brands: Arc<dyn BrandRepository>,
    pub cache: Arc<dyn ReportCache>,
    pub clock: Arc<dyn Clock>,
}

impl CompetitorSetService {
    pub async fn create(&self, who: &Principal, input: CompetitorSetInput) -> DomainResult<CompetitorSet> {
        let input = self.validate(who, input).await?;
        let now = self.clock.now();
        let set = CompetitorSet {
            id: CompetitorSetId::new(),
            tenant_id: who.tenant_id,
            name: input.name,
            brand_id: input.brand_id,
            competitor_ids: input.competitor_ids,
            created_at: now,
            updated_at: now,
        };
        self.sets.insert_set(who.tenant_id, &set).await?;
        Ok(set)
    }

    /// A client sees the sets built around one of its brands.
    pub async fn get(&self, who: &Principal, id: CompetitorSetId) -> DomainResult<CompetitorSet> {
        let set = self.sets.get_set(who.tenant_id, id).await?;
        if !who.scope.allows(set.brand_id) {
            return Err(DomainError::NotFound("competitor set"));
        }
        Ok(set)
    }

    pub async fn list(&self, who: &Principal, page: PageRequest) -> DomainResult<Page<CompetitorSet>> {
        let only = match &who.scope {
            BrandScope::All => None,
            BrandScope::Only(ids) => Some(ids.as_slice()),
        };
        self.sets.list_sets(who.tenant_id, only, page).await
    }

    pub async fn update(
        &self,
        who: &Principal,
        id: CompetitorSetId,
        patch: CompetitorSetPatch,
    ) -> DomainResult<CompetitorSet> {
        let current = self.get(who, id).await?;
        let input = self.validate(who, patch.merged(&current)).await?;
        let set = CompetitorSet {
            name: input.name,
            brand_id: input.brand_id,
            competitor_ids: input.competitor_ids,
            updated_at: self.clock.now(),
            ..current
        };
        self.sets.update_set(who.tenant_id, &set).await?;
        self.cache.invalidate(who.tenant_id).await;
        Ok(set)
    }

    pub async fn delete(&self, who: &Principal, id: CompetitorSetId) -> DomainResult<()> {
        self.get(who, id).await?;
        self.sets.delete_set(who.tenant_id, id).await?;
        self.cache.invalidate(who.tenant_id).await;
        Ok(())
    }

    async fn validate(&self, who: &Principal, input: CompetitorSetInput) -> DomainResult<CompetitorSetInput> {
        // Too many to be a set: refused before any id is looked up.
        if input.competitor_ids.len() > COMPETITORS_MAX {
            return input.validate(&HashSet::new());
        }
        let ids: Vec<_> = std::iter::once(input.brand_id).chain(input.competitor_ids.iter().copied()).collect();
        let unknown: HashSet<_> = self.brands.missing_brands(who.tenant_id, &ids).await?.into_iter().collect();
        input.validate(&unknown)
    }
}
