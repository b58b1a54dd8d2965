//! Answer templates, official answers and placements.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use smrm_domain::ids::{ApiKeyId, BrandId, MentionId, PlacementId, ResponseId, SourceId, TemplateId, TenantId, UserId};
use smrm_domain::model::communication::{
    Author, OfficialResponse, Placement, PlacementFilter, PlacementKind, ResponseTemplate,
};
use smrm_domain::model::mention::{MentionStatus, SentimentLabel};
use smrm_domain::page::{Page, PageRequest};
use smrm_domain::ports::{AnsweredMention, AnsweredQuery, CommunicationRepository};
use smrm_domain::{DomainError, DomainResult};
use uuid::Uuid;

use super::entities::{mention, mention_response, placement, response_template as template, source};
use super::{SqlStore, Walk, db_err, page_by_id};

fn corrupt(what: &str, value: &str) -> DomainError {
    DomainError::Internal(format!("stored {what} `{value}` is not valid"))
}

fn label(s: &str) -> DomainResult<SentimentLabel> {
    SentimentLabel::parse(s).ok_or_else(|| corrupt("sentiment", s))
}

pub(crate) fn author_columns(a: Author) -> (&'static str, Uuid) {
    match a {
        Author::User(id) => ("user", id.0),
        Author::ApiKey(id) => ("api_key", id.0),
    }
}

pub(crate) fn author_of(kind: &str, id: Uuid) -> DomainResult<Author> {
    match kind {
        "user" => Ok(Author::User(UserId(id))),
        "api_key" => Ok(Author::ApiKey(ApiKeyId(id))),
        other => Err(corrupt("author kind", other)),
    }
}

fn template_row(tenant: TenantId, t: &ResponseTemplate) -> template::ActiveModel {
    template::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(t.id.0),
        name: Set(t.name.clone()),
        sentiment: Set(t.sentiment.as_str().into()),
        platform: Set(t.platform.clone()),
        language: Set(t.language.clone()),
        body: Set(t.body.clone()),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
    }
}

fn to_template(m: template::Model) -> DomainResult<ResponseTemplate> {
    Ok(ResponseTemplate {
        id: TemplateId(m.id),
        tenant_id: TenantId(m.tenant_id),
        name: m.name,
        sentiment: label(&m.sentiment)?,
        platform: m.platform,
        language: m.language,
        body: m.body,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn to_response(m: mention_response::Model) -> DomainResult<OfficialResponse> {
    Ok(OfficialResponse {
        id: ResponseId(m.id),
        tenant_id: TenantId(m.tenant_id),
        mention_id: MentionId(m.mention_id),
        brand_id: BrandId(m.brand_id),
        body: m.body,
        template_id: m.template_id.map(TemplateId),
        author: author_of(&m.author_kind, m.author_id)?,
        responded_at: m.responded_at,
        created_at: m.created_at,
    })
}

fn placement_row(tenant: TenantId, p: &Placement) -> placement::ActiveModel {
    let (author_kind, author_id) = author_columns(p.author);
    placement::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(p.id.0),
        brand_id: Set(p.brand_id.0),
        platform: Set(p.platform.clone()),
        url: Set(p.url.clone()),
        kind: Set(p.kind.as_str().into()),
        mention_id: Set(p.mention_id.map(|m| m.0)),
        source_id: Set(p.source_id.map(|s| s.0)),
        posted_at: Set(p.posted_at),
        note: Set(p.note.clone()),
        author_kind: Set(author_kind.into()),
        author_id: Set(author_id),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
    }
}

fn to_placement(m: placement::Model) -> DomainResult<Placement> {
    Ok(Placement {
        id: PlacementId(m.id),
        tenant_id: TenantId(m.tenant_id),
        brand_id: BrandId(m.brand_id),
        platform: m.platform,
        url: m.url,
        kind: PlacementKind::parse(&m.kind).ok_or_else(|| corrupt("placement kind", &m.kind))?,
        mention_id: m.mention_id.map(MentionId),
        source_id: m.source_id.map(SourceId),
        posted_at: m.posted_at,
        note: m.note,
        author: author_of(&m.author_kind, m.author_id)?,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn name_conflict(e: sea_orm::DbErr) -> DomainError {
    match db_err(e) {
        DomainError::Conflict(_) => DomainError::Conflict("a template with this name already exists".into()),
        other => other,
    }
}

#[async_trait]
impl CommunicationRepository for SqlStore {
    async fn insert_template(&self, tenant: TenantId, t: &ResponseTemplate) -> DomainResult<()> {
        template::Entity::insert(template_row(tenant, t))
            .exec_without_returning(&self.db)
            .await
            .map_err(name_conflict)?;
        Ok(())
    }

    async fn get_template(&self, tenant: TenantId, id: TemplateId) -> DomainResult<ResponseTemplate> {
        let row = template::Entity::find_by_id((tenant.0, id.0)).one(&self.db).await.map_err(db_err)?;
        to_template(row.ok_or(DomainError::NotFound("template"))?)
    }

    async fn list_templates(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<ResponseTemplate>> {
        let q = template::Entity::find().filter(template::Column::TenantId.eq(tenant.0));
        page_by_id(&self.db, q, template::Column::Id, page, Walk::OldestFirst, to_template).await
    }

    async fn templates_for(&self, tenant: TenantId, sentiment: SentimentLabel) -> DomainResult<Vec<ResponseTemplate>> {
        template::Entity::find()
            .filter(template::Column::TenantId.eq(tenant.0))
            .filter(template::Column::Sentiment.eq(sentiment.as_str()))
            .order_by_asc(template::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_template)
            .collect()
    }

    async fn update_template(&self, tenant: TenantId, t: &ResponseTemplate) -> DomainResult<()> {
        template::Entity::update(template_row(tenant, t)).exec(&self.db).await.map_err(|e| match e {
            sea_orm::DbErr::RecordNotUpdated => DomainError::NotFound("template"),
            e => name_conflict(e),
        })?;
        Ok(())
    }

    async fn delete_template(&self, tenant: TenantId, id: TemplateId) -> DomainResult<()> {
        let res = template::Entity::delete_by_id((tenant.0, id.0)).exec(&self.db).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("template"));
        }
        Ok(())
    }

    async fn insert_response(&self, tenant: TenantId, r: &OfficialResponse, now: DateTime<Utc>) -> DomainResult<()> {
        let txn = super::begin_write(&self.db).await?;
        // The mention row first: the lock order of every writer (mention
        // rows, rollups, the tenant counter).
        let current = Expr::col(mention::Column::FirstResponseAt);
        let first = Expr::case(current.clone().is_null().or(current.clone().gt(r.responded_at)), r.responded_at)
            .finally(current);
        let updated = mention::Entity::update_many()
            .col_expr(mention::Column::Status, Expr::value(MentionStatus::Answered.as_str()))
            .col_expr(mention::Column::FirstResponseAt, first.into())
            .col_expr(mention::Column::UpdatedAt, Expr::value(now))
            .filter(mention::Column::TenantId.eq(tenant.0))
            .filter(mention::Column::Id.eq(r.mention_id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if updated.rows_affected == 0 {
            return Err(DomainError::NotFound("mention"));
        }
        let (author_kind, author_id) = author_columns(r.author);
        mention_response::Entity::insert(mention_response::ActiveModel {
            tenant_id: Set(tenant.0),
            id: Set(r.id.0),
            mention_id: Set(r.mention_id.0),
            brand_id: Set(r.brand_id.0),
            body: Set(r.body.clone()),
            template_id: Set(r.template_id.map(|t| t.0)),
            author_kind: Set(author_kind.into()),
            author_id: Set(author_id),
            responded_at: Set(r.responded_at),
            created_at: Set(r.created_at),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn list_responses(
        &self,
        tenant: TenantId,
        mention: MentionId,
        page: PageRequest,
    ) -> DomainResult<Page<OfficialResponse>> {
        let q = mention_response::Entity::find()
            .filter(mention_response::Column::TenantId.eq(tenant.0))
            .filter(mention_response::Column::MentionId.eq(mention.0));
        page_by_id(&self.db, q, mention_response::Column::Id, page, Walk::OldestFirst, to_response).await
    }

    async fn answered_mentions(
        &self,
        tenant: TenantId,
        brand: BrandId,
        q: &AnsweredQuery,
    ) -> DomainResult<Vec<AnsweredMention>> {
        let mut find = mention::Entity::find()
            .select_only()
            .columns([mention::Column::SentimentLabel, mention::Column::PublishedAt, mention::Column::FirstResponseAt])
            .filter(mention::Column::TenantId.eq(tenant.0))
            .filter(mention::Column::BrandId.eq(brand.0))
            .filter(mention::Column::PublishedAt.gte(q.from))
            .filter(mention::Column::PublishedAt.lt(q.to))
            .filter(mention::Column::FirstResponseAt.is_not_null());
        if let Some(p) = &q.platform {
            find = find.filter(mention::Column::Platform.eq(p.clone()));
        }
        if let Some(s) = q.source_type {
            find = find.filter(mention::Column::SourceType.eq(s.as_str()));
        }
        let rows: Vec<(String, DateTime<Utc>, Option<DateTime<Utc>>)> =
            find.into_tuple().all(&self.db).await.map_err(db_err)?;
        rows.into_iter()
            .filter_map(|(l, published_at, first)| {
                let first_response_at = first?;
                Some(label(&l).map(|sentiment| AnsweredMention { sentiment, published_at, first_response_at }))
            })
            .collect()
    }

    async fn insert_placement(&self, tenant: TenantId, p: &Placement) -> DomainResult<()> {
        placement::Entity::insert(placement_row(tenant, p)).exec_without_returning(&self.db).await.map_err(db_err)?;
        Ok(())
    }

    async fn get_placement(&self, tenant: TenantId, id: PlacementId) -> DomainResult<Placement> {
        let row = placement::Entity::find_by_id((tenant.0, id.0)).one(&self.db).await.map_err(db_err)?;
        to_placement(row.ok_or(DomainError::NotFound("placement"))?)
    }

    async fn list_placements(
        &self,
        tenant: TenantId,
        f: &PlacementFilter,
        page: PageRequest,
    ) -> DomainResult<Page<Placement>> {
        let mut q = placement::Entity::find().filter(placement::Column::TenantId.eq(tenant.0));
        if let Some(b) = f.brand_id {
            q = q.filter(placement::Column::BrandId.eq(b.0));
        }
        if let Some(only) = &f.only_brands {
            q = q.filter(placement::Column::BrandId.is_in(only.iter().map(|b| b.0)));
        }
        if let Some(k) = f.kind {
            q = q.filter(placement::Column::Kind.eq(k.as_str()));
        }
        if let Some(p) = &f.platform {
            q = q.filter(placement::Column::Platform.eq(p.clone()));
        }
        if let Some(m) = f.mention_id {
            q = q.filter(placement::Column::MentionId.eq(m.0));
        }
        if let Some(from) = f.from {
            q = q.filter(placement::Column::PostedAt.gte(from));
        }
        if let Some(to) = f.to {
            q = q.filter(placement::Column::PostedAt.lt(to));
        }
        page_by_id(&self.db, q, placement::Column::Id, page, Walk::OldestFirst, to_placement).await
    }

    async fn update_placement(&self, tenant: TenantId, p: &Placement) -> DomainResult<()> {
        placement::Entity::update(placement_row(tenant, p)).exec(&self.db).await.map_err(|e| match e {
            sea_orm::DbErr::RecordNotUpdated => DomainError::NotFound("placement"),
            e => db_err(e),
        })?;
        Ok(())
    }

    async fn delete_placement(&self, tenant: TenantId, id: PlacementId) -> DomainResult<()> {
        let res = placement::Entity::delete_by_id((tenant.0, id.0)).exec(&self.db).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("placement"));
        }
        Ok(())
    }

    async fn source_exists(&self, tenant: TenantId, id: SourceId) -> DomainResult<bool> {
        Ok(source::Entity::find_by_id((tenant.0, id.0)).one(&self.db).await.map_err(db_err)?.is_some())
    }
}
