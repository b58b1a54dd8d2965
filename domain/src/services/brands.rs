//! Brands: their monitoring queries, scoped to what the caller may see.

use std::sync::Arc;

use crate::error::{DomainError, DomainResult};
use crate::ids::BrandId;
use crate::model::access::{BrandScope, Principal};
use crate::model::brand::{Brand, BrandInput, BrandPatch};
use crate::page::{Page, PageRequest};
use crate::ports::{BrandRepository, Clock, ReportCache};

pub struct BrandService {
    pub brands: Arc<dyn BrandRepository>,
    pub cache: Arc<dyn ReportCache>,
    pub clock: Arc<dyn Clock>,
}

impl BrandService {
    pub async fn create(&self, who: &Principal, input: BrandInput) -> DomainResult<Brand> {
        let input = input.validate()?;
        let now = self.clock.now();
        let brand = Brand {
            id: BrandId::new(),
            tenant_id: who.tenant_id,
            name: input.name,
            keywords: input.keywords,
            excluded_keywords: input.excluded_keywords,
            languages: input.languages,
            created_at: now,
            updated_at: now,
        };
        self.brands.insert_brand(who.tenant_id, &brand).await?;
        self.cache.invalidate(who.tenant_id).await;
        Ok(brand)
    }

    pub async fn get(&self, who: &Principal, id: BrandId) -> DomainResult<Brand> {
        if !who.scope.allows(id) {
            return Err(DomainError::NotFound("brand"));
        }
        self.brands.get_brand(who.tenant_id, id).await
    }

    pub async fn list(&self, who: &Principal, page: PageRequest) -> DomainResult<Page<Brand>> {
        let only = match &who.scope {
            BrandScope::All => None,
            BrandScope::Only(ids) => Some(ids.as_slice()),
        };
        self.brands.list_brands(who.tenant_id, only, page).await
    }

    pub async fn update(&self, who: &Principal, id: BrandId, patch: BrandPatch) -> DomainResult<Brand> {
        let current = self.get(who, id).await?;
        let input = patch.merged(&current).validate()?;
        let brand = Brand {
            name: input.name,
            keywords: input.keywords,
            excluded_keywords: input.excluded_keywords,
            languages: input.languages,
            updated_at: self.clock.now(),
            ..current
        };
        self.brands.update_brand(who.tenant_id, &brand).await?;
        self.cache.invalidate(who.tenant_id).await;
        Ok(brand)
    }

    pub async fn delete(&self, who: &Principal, id: BrandId) -> DomainResult<()> {
        self.get(who, id).await?;
        self.brands.delete_brand(who.tenant_id, id).await?;
        self.cache.invalidate(who.tenant_id).await;
        Ok(())
    }
}
