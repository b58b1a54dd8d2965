//! Pull sources and their poll record.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use smrm_domain::ids::{SourceId, TenantId};
use smrm_domain::model::mention::SourceType;
use smrm_domain::model::sources::{Cursor, Source, SourceKind};
use smrm_domain::page::{Page, PageRequest};
use smrm_domain::ports::{PollRecord, SourceRepository};
use smrm_domain::{DomainError, DomainResult};

use super::entities::source;
use super::{SqlStore, Walk, db_err, page_by_id};

fn corrupt(what: &str, value: &str) -> DomainError {
    DomainError::Internal(format!("stored {what} `{value}` is not valid"))
}

fn to_source(m: source::Model) -> DomainResult<Source> {
    Ok(Source {
        id: SourceId(m.id),
        tenant_id: TenantId(m.tenant_id),
        kind: SourceKind::parse(&m.kind).ok_or_else(|| corrupt("source kind", &m.kind))?,
        url: m.url,
        source_type: SourceType::parse(&m.source_type).ok_or_else(|| corrupt("source type", &m.source_type))?,
        platform: m.platform,
        poll_seconds: u64::try_from(m.poll_seconds).unwrap_or(0),
        enabled: m.enabled,
        next_poll_at: m.next_poll_at,
        last_polled_at: m.last_polled_at,
        last_success_at: m.last_success_at,
        last_error: m.last_error,
        last_error_at: m.last_error_at,
        posts_created: u64::try_from(m.posts_created).unwrap_or(0),
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn seconds(s: &Source) -> i32 {
    i32::try_from(s.poll_seconds).unwrap_or(i32::MAX)
}

#[async_trait]
impl SourceRepository for SqlStore {
    async fn insert_source(&self, tenant: TenantId, s: &Source) -> DomainResult<()> {
        source::Entity::insert(source::ActiveModel {
            tenant_id: Set(tenant.0),
            id: Set(s.id.0),
            kind: Set(s.kind.as_str().into()),
            url: Set(s.url.clone()),
            source_type: Set(s.source_type.as_str().into()),
            platform: Set(s.platform.clone()),
            poll_seconds: Set(seconds(s)),
            enabled: Set(s.enabled),
            cursor: Set(None),
            next_poll_at: Set(s.next_poll_at),
            lease_until: Set(None),
            last_polled_at: Set(None),
            last_success_at: Set(None),
            last_error: Set(None),
            last_error_at: Set(None),
            posts_created: Set(0),
            created_at: Set(s.created_at),
            updated_at: Set(s.updated_at),
        })
        .exec_without_returning(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn get_source(&self, tenant: TenantId, id: SourceId) -> DomainResult<Source> {
        let row = source::Entity::find_by_id((tenant.0, id.0)).one(&self.db).await.map_err(db_err)?;
        to_source(row.ok_or(DomainError::NotFound("source"))?)
    }

    async fn list_sources(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<Source>> {
        let q = source::Entity::find().filter(source::Column::TenantId.eq(tenant.0));
        page_by_id(&self.db, q, source::Column::Id, page, Walk::OldestFirst, to_source).await
    }

    async fn update_source(&self, tenant: TenantId, s: &Source) -> DomainResult<()> {
        let mut update = source::Entity::update_many()
            .col_expr(source::Column::Url, Expr::value(s.url.clone()))
            .col_expr(source::Column::SourceType, Expr::value(s.source_type.as_str()))
            .col_expr(source::Column::Platform, Expr::value(s.platform.clone()))
            .col_expr(source::Column::PollSeconds, Expr::value(seconds(s)))
            .col_expr(source::Column::Enabled, Expr::value(s.enabled))
            .col_expr(source::Column::NextPollAt, Expr::value(s.next_poll_at))
            .col_expr(source::Column::UpdatedAt, Expr::value(s.updated_at));
        if s.next_poll_at <= s.updated_at {
            // Polled at once (a new URL): read it from the start.
            update = update.col_expr(source::Column::Cursor, Expr::value(Option::<String>::None));
        }
        let res = update
            .filter(source::Column::TenantId.eq(tenant.0))
            .filter(source::Column::Id.eq(s.id.0))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("source"));
        }
        Ok(())
    }

    async fn delete_source(&self, tenant: TenantId, id: SourceId) -> DomainResult<()> {
        let res = source::Entity::delete_by_id((tenant.0, id.0)).exec(&self.db).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("source"));
        }
        Ok(())
    }

    async fn claim_due(&self, now: DateTime<Utc>, limit: u64) -> DomainResult<Vec<(Source, Option<Cursor>)>> {
        let due = source::Entity::find()
            .filter(source::Column::Enabled.eq(true))
            .filter(source::Column::NextPollAt.lte(now))
            .order_by_asc(source::Column::NextPollAt)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut claimed = Vec::with_capacity(due.len());
        for row in due {
            let next = now + chrono::Duration::seconds(i64::from(row.poll_seconds));
            // Compare-and-set on the due time: one claimer per poll.
            let won = source::Entity::update_many()
                .col_expr(source::Column::NextPollAt, Expr::value(next))
                .filter(source::Column::TenantId.eq(row.tenant_id))
                .filter(source::Column::Id.eq(row.id))
                .filter(source::Column::NextPollAt.eq(row.next_poll_at))
                .exec(&self.db)
                .await
                .map_err(db_err)?;
            if won.rows_affected == 1 {
                let cursor = row.cursor.clone().map(Cursor);
                claimed.push((to_source(source::Model { next_poll_at: next, ..row })?, cursor));
            }
        }
        Ok(claimed)
    }

    async fn record_poll(&self, tenant: TenantId, id: SourceId, r: &PollRecord) -> DomainResult<()> {
        let mut update =
            source::Entity::update_many().col_expr(source::Column::LastPolledAt, Expr::value(r.polled_at)).col_expr(
                source::Column::PostsCreated,
                Expr::col(source::Column::PostsCreated).add(i64::try_from(r.posts_created).unwrap_or(i64::MAX)),
            );
        update = match &r.error {
            None => update
                .col_expr(source::Column::LastSuccessAt, Expr::value(r.polled_at))
                .col_expr(source::Column::LastError, Expr::value(Option::<String>::None)),
            Some(e) => update
                .col_expr(source::Column::LastError, Expr::value(e.clone()))
                .col_expr(source::Column::LastErrorAt, Expr::value(r.polled_at)),
        };
        if let Some(c) = &r.cursor {
            update = update.col_expr(source::Column::Cursor, Expr::value(c.0.clone()));
        }
        update
            .filter(source::Column::TenantId.eq(tenant.0))
            .filter(source::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if let Some(at) = r.retry_at {
            // The platform asked to wait: no sooner than then.
            source::Entity::update_many()
                .col_expr(source::Column::NextPollAt, Expr::value(at))
                .filter(source::Column::TenantId.eq(tenant.0))
                .filter(source::Column::Id.eq(id.0))
                .filter(source::Column::NextPollAt.lt(at))
                .exec(&self.db)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }
}
