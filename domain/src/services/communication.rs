//! Communication: answer templates, official answers and placements, each
//! scoped to what the caller may see (a `client` reads its brands' only).

use std::sync::Arc;

use crate::error::{DomainError, DomainResult};
use crate::ids::{MentionId, PlacementId, ResponseId, TemplateId};
use crate::model::access::{Actor, BrandScope, Principal};
use crate::model::communication::{
    Author, OfficialResponse, Placeholders, Placement, PlacementFilter, PlacementInput, PlacementPatch, PlacementRefs,
    ResponseInput, ResponseTemplate, TemplateInput, TemplatePatch,
};
use crate::page::{Page, PageRequest};
use crate::ports::{BrandRepository, Clock, CommunicationRepository, InboxRepository, ReportCache};

pub struct CommunicationService {
    pub repo: Arc<dyn CommunicationRepository>,
    pub mentions: Arc<dyn InboxRepository>,
    pub brands: Arc<dyn BrandRepository>,
    pub cache: Arc<dyn ReportCache>,
    pub clock: Arc<dyn Clock>,
}

/// A template that fits a mention, with its placeholders filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestedReply {
    pub template: ResponseTemplate,
    pub text: String,
}

fn author_of(who: &Principal) -> Author {
    match who.actor {
        Actor::User { id, .. } => Author::User(id),
        Actor::ApiKey(id) => Author::ApiKey(id),
    }
}

impl CommunicationService {
    pub async fn create_template(&self, who: &Principal, input: TemplateInput) -> DomainResult<ResponseTemplate> {
        let input = input.validate()?;
        let now = self.clock.now();
        let t = ResponseTemplate {
            id: TemplateId::new(),
            tenant_id: who.tenant_id,
            name: input.name,
            sentiment: input.sentiment,
            platform: input.platform,
            language: input.language,
            body: input.body,
            created_at: now,
            updated_at: now,
        };
        self.repo.insert_template(who.tenant_id, &t).await?;
        Ok(t)
    }

    pub async fn template(&self, who: &Principal, id: TemplateId) -> DomainResult<ResponseTemplate> {
        self.repo.get_template(who.tenant_id, id).await
    }

    pub async fn templates(&self, who: &Principal, page: PageRequest) -> DomainResult<Page<ResponseTemplate>> {
        self.repo.list_templates(who.tenant_id, page).await
    }

    pub async fn update_template(
        &self,
        who: &Principal,
        id: TemplateId,
        patch: TemplatePatch,
    ) -> DomainResult<ResponseTemplate> {
        let current = self.repo.get_template(who.tenant_id, id).await?;
        let input = patch.merged(&current).validate()?;
        let t = ResponseTemplate {
            name: input.name,
            sentiment: input.sentiment,
            platform: input.platform,
            language: input.language,
            body: input.body,
            updated_at: self.clock.now(),
            ..current
        };
        self.repo.update_template(who.tenant_id, &t).await?;
        Ok(t)
    }

    /// Answers already logged keep the id of the template they used.
    pub async fn delete_template(&self, who: &Principal, id: TemplateId) -> DomainResult<()> {
        self.repo.delete_template(who.tenant_id, id).await
    }

    /// The templates that fit the mention (its sentiment; its platform and
    /// language where the template names one), most specific first, rendered.
    pub async fn suggested_replies(&self, who: &Principal, id: MentionId) -> DomainResult<Vec<SuggestedReply>> {
        let m = self.mention(who, id).await?;
        let brand = self.brands.get_brand(who.tenant_id, m.brand_id).await?;
        let mut fitting: Vec<ResponseTemplate> = self
            .repo
            .templates_for(who.tenant_id, m.sentiment.label)
            .await?
            .into_iter()
            .filter(|t| t.fits(&m))
            .collect();
        fitting.sort_by(|a, b| b.specificity().cmp(&a.specificity()).then_with(|| a.name.cmp(&b.name)));
        let author = m.post.input.author.name.as_deref().unwrap_or(&m.post.input.author.handle);
        let values = Placeholders { author, brand: &brand.name, url: m.post.input.url.as_deref().unwrap_or("") };
        Ok(fitting.into_iter().map(|t| SuggestedReply { text: t.render(&values), template: t }).collect())
    }

    /// Logs an official answer; the mention becomes `answered`.
    pub async fn respond(
        &self,
        who: &Principal,
        id: MentionId,
        input: ResponseInput,
    ) -> DomainResult<OfficialResponse> {
        let m = self.mention(who, id).await?;
        let now = self.clock.now();
        let input = input.validate(m.post.input.published_at, now)?;
        if let Some(t) = input.template_id {
            match self.repo.get_template(who.tenant_id, t).await {
                Err(DomainError::NotFound(_)) => {
                    return Err(DomainError::invalid("template_id", format!("no template `{t}` in this tenant")));
                }
                other => {
                    other?;
                }
            }
        }
        let r = OfficialResponse {
            id: ResponseId::new(),
            tenant_id: who.tenant_id,
            mention_id: m.id,
            brand_id: m.brand_id,
            body: input.body,
            template_id: input.template_id,
            author: author_of(who),
            responded_at: input.responded_at.unwrap_or(now),
            created_at: now,
        };
        self.repo.insert_response(who.tenant_id, &r, now).await?;
        self.cache.invalidate(who.tenant_id).await;
        Ok(r)
    }

    pub async fn responses(
        &self,
        who: &Principal,
        id: MentionId,
        page: PageRequest,
    ) -> DomainResult<Page<OfficialResponse>> {
        self.mention(who, id).await?;
        self.repo.list_responses(who.tenant_id, id, page).await
    }

    pub async fn create_placement(&self, who: &Principal, input: PlacementInput) -> DomainResult<Placement> {
        let input = self.check_placement(who, input).await?;
        let now = self.clock.now();
        let p = Placement::from_input(PlacementId::new(), who.tenant_id, author_of(who), input, now);
        self.repo.insert_placement(who.tenant_id, &p).await?;
        Ok(p)
    }

    pub async fn placement(&self, who: &Principal, id: PlacementId) -> DomainResult<Placement> {
        let p = self.repo.get_placement(who.tenant_id, id).await?;
        if !who.scope.allows(p.brand_id) {
            return Err(DomainError::NotFound("placement"));
        }
        Ok(p)
    }

    pub async fn placements(
        &self,
        who: &Principal,
        mut filter: PlacementFilter,
        page: PageRequest,
    ) -> DomainResult<Page<Placement>> {
        if let BrandScope::Only(ids) = &who.scope {
            filter.only_brands = Some(ids.clone());
        }
        self.repo.list_placements(who.tenant_id, &filter, page).await
    }

    pub async fn update_placement(
        &self,
        who: &Principal,
        id: PlacementId,
        patch: PlacementPatch,
    ) -> DomainResult<Placement> {
        let current = self.placement(who, id).await?;
        let input = self.check_placement(who, patch.merged(&current)).await?;
        let p = Placement {
            created_at: current.created_at,
            ..Placement::from_input(current.id, current.tenant_id, current.author, input, self.clock.now())
        };
        self.repo.update_placement(who.tenant_id, &p).await?;
        Ok(p)
    }

    pub async fn delete_placement(&self, who: &Principal, id: PlacementId) -> DomainResult<()> {
        self.placement(who, id).await?;
        self.repo.delete_placement(who.tenant_id, id).await
    }

    async fn check_placement(&self, who: &Principal, input: PlacementInput) -> DomainResult<PlacementInput> {
        let brand_known = self.brands.missing_brands(who.tenant_id, &[input.brand_id]).await?.is_empty()
            && who.scope.allows(input.brand_id);
        let mention_brand = match input.mention_id {
            None => None,
            Some(id) => match self.mentions.get_mention(who.tenant_id, id).await {
                Ok(m) => Some(Some(m.brand_id)),
                Err(DomainError::NotFound(_)) => Some(None),
                Err(e) => return Err(e),
            },
        };
        let source_known = match input.source_id {
            None => true,
            Some(id) => self.repo.source_exists(who.tenant_id, id).await?,
        };
        input.validate(&PlacementRefs { brand_known, mention_brand, source_known }, self.clock.now())
    }

    async fn mention(&self, who: &Principal, id: MentionId) -> DomainResult<crate::model::mention::Mention> {
        let m = self.mentions.get_mention(who.tenant_id, id).await?;
        if !who.scope.allows(m.brand_id) {
            return Err(DomainError::NotFound("mention"));
        }
        Ok(m)
    }
}
