//! Brands: their monitoring queries, scoped to what the caller may see.

use std::sync::Arc;

use crate::error::{DomainError, DomainResult, FieldError, FieldErrors};
use crate::ids::BrandId;
use crate::model::access::{BrandScope, Principal};
use crate::model::brand::{Backfill, Brand, BrandInput, BrandPatch};
use crate::model::mention::Post;
use crate::model::quota::Quota;
use crate::page::{Page, PageRequest};
use crate::ports::{BrandQuery, BrandRepository, Clock, InboxRepository, Lookups, MatcherFactory, ReportCache};

pub struct BrandService {
    pub quotas: crate::services::quotas::Quotas,
    pub brands: Arc<dyn BrandRepository>,
    /// Stored posts, for previews without texts.
    pub posts: Arc<dyn InboxRepository>,
    pub matchers: Arc<dyn MatcherFactory>,
    pub cache: Arc<dyn ReportCache>,
    pub clock: Arc<dyn Clock>,
    /// A deleted brand is forgotten here at once.
    pub lookups: Arc<dyn Lookups>,
}

/// A query to try before saving it, on given texts.
pub struct PreviewInput {
    pub keywords: Vec<String>,
    pub excluded_keywords: Vec<String>,
    pub languages: Vec<String>,
    /// `None`: the tenant's stored posts of the last 30 days.
    pub texts: Option<Vec<String>>,
}

pub const PREVIEW_TEXTS_MAX: usize = 1000;
pub const PREVIEW_TEXT_MAX_CHARS: usize = 100_000;
/// Stored posts tried when no texts are given: the newest of the last 30 days.
pub const PREVIEW_POSTS_MAX: u32 = 10_000;
pub const PREVIEW_DAYS: i64 = 30;
/// Matches listed at most (all are counted).
pub const PREVIEW_HITS_MAX: usize = 200;

/// One text the query matches, with the words that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewHit {
    /// Position in the given texts.
    pub index: Option<usize>,
    /// The stored post, when trying stored posts.
    pub post: Option<Post>,
    pub text: String,
    pub matched: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub checked: usize,
    /// How many matched (`hits` lists the first 200).
    pub matched: usize,
    pub hits: Vec<PreviewHit>,
}

impl BrandService {
    /// What a query would match, with the same matcher as ingest.
    pub async fn preview(&self, who: &Principal, input: PreviewInput) -> DomainResult<Preview> {
        let query = BrandInput {
            name: "preview".into(),
            keywords: input.keywords,
            excluded_keywords: input.excluded_keywords,
            languages: input.languages,
        }
        .validate();
        let mut errors = match &query {
            Err(DomainError::Invalid(e)) => e.clone(),
            _ => FieldErrors::default(),
        };
        let given = input.texts.is_some();
        let texts = input.texts.unwrap_or_default();
        if texts.len() > PREVIEW_TEXTS_MAX {
            errors.push(FieldError::new("texts", format!("must contain at most {PREVIEW_TEXTS_MAX} texts")));
            return Err(DomainError::Invalid(errors));
        }
        for (i, t) in texts.iter().enumerate() {
            if errors.is_full() {
                break;
            }
            if t.chars().count() > PREVIEW_TEXT_MAX_CHARS {
                errors.push(FieldError::new(
                    format!("texts[{i}]"),
                    format!("must be at most {PREVIEW_TEXT_MAX_CHARS} characters"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(DomainError::Invalid(errors));
        }
        let query = query?;
        let matcher = self.matchers.compile(vec![BrandQuery {
            brand_id: BrandId(uuid::Uuid::nil()),
            keywords: query.keywords,
            excluded_keywords: query.excluded_keywords,
            languages: query.languages,
        }]);
        let mut matched = 0;
        let mut hits = Vec::new();
        let mut keep = |hit: PreviewHit| {
            matched += 1;
            if hits.len() < PREVIEW_HITS_MAX {
                hits.push(hit);
            }
        };
        let checked = if given {
            for (index, text) in texts.iter().enumerate() {
                if let Some(m) = matcher.find(text, None).pop() {
                    keep(PreviewHit { index: Some(index), post: None, text: text.clone(), matched: m.matched });
                }
            }
            texts.len()
        } else {
            let since = self.clock.now() - chrono::Duration::days(PREVIEW_DAYS);
            let posts = self.posts.recent_posts(who.tenant_id, since, PREVIEW_POSTS_MAX).await?;
            for post in &posts {
                let text = post.input.text.as_deref().unwrap_or_default();
                if let Some(m) = matcher.find(text, post.input.language.as_deref()).pop() {
                    keep(PreviewHit {
                        index: None,
                        post: Some(post.clone()),
                        text: text.to_owned(),
                        matched: m.matched,
                    });
                }
            }
            posts.len()
        };
        Ok(Preview { checked, matched, hits })
    }

    pub async fn create(&self, who: &Principal, input: BrandInput) -> DomainResult<Brand> {
        let input = input.validate()?;
        self.check_keyword_quota(who, &input).await?;
        self.quotas.check_room(who.tenant_id, Quota::Brands).await?;
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
            backfill: Backfill::pending(),
        };
        self.brands.insert_brand(who.tenant_id, &brand).await?;
        self.cache.invalidate(who.tenant_id).await;
        Ok(brand)
    }

    /// A brand's keywords, and apart its excluded keywords, are each at most
    /// the tenant's `keywords_per_brand`.
    async fn check_keyword_quota(&self, who: &Principal, input: &BrandInput) -> DomainResult<()> {
        let n = input.keywords.len().max(input.excluded_keywords.len());
        self.quotas.check_count(who.tenant_id, Quota::KeywordsPerBrand, n).await
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
        self.check_keyword_quota(who, &input).await?;
        let mut brand = Brand {
            name: input.name,
            keywords: input.keywords,
            excluded_keywords: input.excluded_keywords,
            languages: input.languages,
            updated_at: self.clock.now(),
            ..current.clone()
        };
        let query_changed = brand.query_differs(&current);
        if query_changed {
            brand.backfill = Backfill::pending();
        }
        self.brands.update_brand(who.tenant_id, &brand, query_changed).await?;
        self.cache.invalidate(who.tenant_id).await;
        Ok(brand)
    }

    pub async fn delete(&self, who: &Principal, id: BrandId) -> DomainResult<()> {
        self.get(who, id).await?;
        self.brands.delete_brand(who.tenant_id, id, self.clock.now()).await?;
        self.lookups.forget_brand(who.tenant_id, id);
        self.cache.invalidate(who.tenant_id).await;
        Ok(())
    }

    /// Finishes deletions whose purge of mentions and rollups was cut short.
    pub async fn purge_deleted(&self) -> DomainResult<u64> {
        self.brands.purge_deleted_brands(10).await
    }
}
