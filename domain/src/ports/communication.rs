//! Answer templates, official answers and placements.

use super::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::DomainResult;
use crate::ids::{BrandId, MentionId, PlacementId, SourceId, TemplateId, TenantId};
use crate::model::communication::{OfficialResponse, Placement, PlacementFilter, ResponseTemplate};
use crate::model::mention::SentimentLabel;
use crate::page::{Page, PageRequest};

#[async_trait]
pub trait CommunicationRepository: Send + Sync {
    /// Conflict when the tenant has a template of that name.
    async fn insert_template(&self, tenant: TenantId, t: &ResponseTemplate) -> DomainResult<()>;
    async fn get_template(&self, tenant: TenantId, id: TemplateId) -> DomainResult<ResponseTemplate>;
    async fn list_templates(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<ResponseTemplate>>;
    /// Every template for mentions of this sentiment (suggestions).
    async fn templates_for(&self, tenant: TenantId, sentiment: SentimentLabel) -> DomainResult<Vec<ResponseTemplate>>;
    async fn update_template(&self, tenant: TenantId, t: &ResponseTemplate) -> DomainResult<()>;
    async fn delete_template(&self, tenant: TenantId, id: TemplateId) -> DomainResult<()>;

    /// Logs the answer, and in the same transaction makes its mention
    /// `answered` and keeps the earliest answer time on it.
    async fn insert_response(&self, tenant: TenantId, r: &OfficialResponse, now: DateTime<Utc>) -> DomainResult<()>;
    /// A mention's answers, oldest first.
    async fn list_responses(
        &self,
        tenant: TenantId,
        mention: MentionId,
        page: PageRequest,
    ) -> DomainResult<Page<OfficialResponse>>;
    async fn answered_mentions(
        &self,
        tenant: TenantId,
        brand: BrandId,
        q: &AnsweredQuery,
    ) -> DomainResult<Vec<AnsweredMention>>;

    async fn insert_placement(&self, tenant: TenantId, p: &Placement) -> DomainResult<()>;
    async fn get_placement(&self, tenant: TenantId, id: PlacementId) -> DomainResult<Placement>;
    async fn list_placements(
        &self,
        tenant: TenantId,
        filter: &PlacementFilter,
        page: PageRequest,
    ) -> DomainResult<Page<Placement>>;
    async fn update_placement(&self, tenant: TenantId, p: &Placement) -> DomainResult<()>;
    async fn delete_placement(&self, tenant: TenantId, id: PlacementId) -> DomainResult<()>;
    /// Whether the tenant has this feed source.
    async fn source_exists(&self, tenant: TenantId, id: SourceId) -> DomainResult<bool>;
}
