//! What reports read on SQL: the rollups (see `rollups`), the most engaged
//! negative mentions and the top authors.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{Condition, ConnectionTrait, DbBackend};
use smrm_domain::ids::{BrandId, MentionId, TenantId};
use smrm_domain::model::mention::{Mention, SentimentLabel};
use smrm_domain::ports::{AuthorQuery, AuthorRow, InboxRepository, RollupGroup, RollupQuery, RollupReader, RollupRow};
use smrm_domain::{DomainError, DomainResult};
use uuid::Uuid;

use super::entities::{mention, post};
use super::rollups::{self, hour_of};
use super::{SqlStore, db_err};

impl SqlStore {
    /// The mentions of `q` published in `[from, to)` (a period's partial hour
    /// at either edge), summed in the database per brand, minute and the
    /// dimensions `q.group` keeps apart: its cost is that of an index range
    /// and as many rows as there are minutes, whatever the mentions hold.
    async fn edge_minutes(
        &self,
        tenant: TenantId,
        q: &RollupQuery<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> DomainResult<Vec<RollupRow>> {
        use mention::Column as M;
        if q.brands.is_empty() {
            return Ok(Vec::new());
        }
        let backend = self.db.get_database_backend();
        // Whole minutes since the epoch (`published_at` is never before 1970).
        let minute = match backend {
            DbBackend::Postgres => "CAST(FLOOR(EXTRACT(EPOCH FROM \"mentions\".\"published_at\") / 60) AS BIGINT)",
            _ => "CAST(strftime('%s', \"mentions\".\"published_at\") AS INTEGER) / 60",
        };
        let col = |c: M| Expr::col((mention::Entity, c));
        let mut select = Query::select();
        select
            .expr_as(col(M::BrandId), Alias::new("brand_id"))
            .expr_as(Expr::cust(minute), Alias::new("minute"))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("mentions"));
        // PostgreSQL sums BIGINT into NUMERIC: cast back, on both databases.
        for name in ["likes", "comments", "reposts", "views", "reach"] {
            select.expr_as(
                Expr::cust(format!("CAST(SUM(COALESCE(\"posts\".\"{name}\", 0)) AS BIGINT)")),
                Alias::new(name),
            );
        }
        let dims: &[(M, &str)] = match q.group {
            RollupGroup::Brand => &[],
            RollupGroup::Platform => &[(M::Platform, "platform")],
            RollupGroup::SentimentAndSource => &[(M::SentimentLabel, "sentiment"), (M::SourceType, "source_type")],
        };
        for (c, name) in dims {
            select.expr_as(col(*c), Alias::new(*name));
        }
        select
            .from(mention::Entity)
            .inner_join(
                post::Entity,
                Condition::all()
                    .add(Expr::col((post::Entity, post::Column::TenantId)).equals((mention::Entity, M::TenantId)))
                    .add(Expr::col((post::Entity, post::Column::Id)).equals((mention::Entity, M::PostId))),
            )
            .and_where(col(M::TenantId).eq(tenant.0))
            .and_where(col(M::BrandId).is_in(q.brands.iter().map(|b| b.0)))
            .and_where(col(M::PublishedAt).gte(from))
            .and_where(col(M::PublishedAt).lt(to));
        if let Some(p) = q.platform {
            select.and_where(col(M::Platform).eq(p));
        }
        if let Some(s) = q.source_type {
            select.and_where(col(M::SourceType).eq(s.as_str()));
        }
        if let Some(s) = q.sentiment {
            select.and_where(col(M::SentimentLabel).eq(s.as_str()));
        }
        select.add_group_by([col(M::BrandId), Expr::cust(minute)]);
        select.add_group_by(dims.iter().map(|(c, _)| col(*c)));
        let rows = self.db.query_all_raw(backend.build(&select)).await.map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let minute = row.try_get::<i64>("", "minute").map_err(db_err)?;
            let at = DateTime::from_timestamp(minute.saturating_mul(60), 0)
                .ok_or_else(|| DomainError::Internal("a minute out of range".into()))?;
            out.push(rollups::summed_row(&row, q.group, at)?);
        }
        Ok(out)
    }
}

#[async_trait]
impl RollupReader for SqlStore {
    async fn rollups(&self, tenant: TenantId, q: &RollupQuery<'_>) -> DomainResult<Vec<RollupRow>> {
        // Whole hours come from the rollups; a period that starts or ends
        // inside an hour sums those edge minutes from the mentions in one
        // aggregate query each, so the answer is exact for any [from, to)
        // and costs about what an aligned period does.
        let first_hour = {
            let h = hour_of(q.from);
            if h == q.from { h } else { h + chrono::TimeDelta::hours(1) }
        };
        let last_hour = hour_of(q.to);
        let mut rows = Vec::new();
        let mut edges = Vec::new();
        if first_hour < last_hour {
            rows = rollups::read(self, tenant, q, first_hour, last_hour).await?;
            edges.push((q.from, first_hour));
            edges.push((last_hour, q.to));
        } else {
            edges.push((q.from, q.to));
        }
        for (a, b) in edges.into_iter().filter(|(a, b)| a < b) {
            rows.extend(self.edge_minutes(tenant, q, a, b).await?);
        }
        Ok(rows)
    }

    async fn most_engaged_negative(
        &self,
        tenant: TenantId,
        brand: BrandId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> DomainResult<Vec<Mention>> {
        let engagement = "COALESCE(\"posts\".\"likes\", 0) + COALESCE(\"posts\".\"comments\", 0) + COALESCE(\"posts\".\"reposts\", 0)";
        let query = Query::select()
            .column((mention::Entity, mention::Column::Id))
            .from(mention::Entity)
            .inner_join(
                post::Entity,
                Condition::all()
                    .add(
                        Expr::col((post::Entity, post::Column::TenantId))
                            .equals((mention::Entity, mention::Column::TenantId)),
                    )
                    .add(
                        Expr::col((post::Entity, post::Column::Id)).equals((mention::Entity, mention::Column::PostId)),
                    ),
            )
            .and_where(Expr::col((mention::Entity, mention::Column::TenantId)).eq(tenant.0))
            .and_where(Expr::col((mention::Entity, mention::Column::BrandId)).eq(brand.0))
            .and_where(
                Expr::col((mention::Entity, mention::Column::SentimentLabel)).eq(SentimentLabel::Negative.as_str()),
            )
            .and_where(Expr::col((mention::Entity, mention::Column::PublishedAt)).gte(from))
            .and_where(Expr::col((mention::Entity, mention::Column::PublishedAt)).lt(to))
            .order_by_expr(Expr::cust(engagement), sea_orm::sea_query::Order::Desc)
            .order_by((mention::Entity, mention::Column::Seq), sea_orm::sea_query::Order::Desc)
            .limit(limit as u64)
            .to_owned();
        let backend = self.db.get_database_backend();
        let rows = self.db.query_all_raw(backend.build(&query)).await.map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: Uuid = row.try_get("", "id").map_err(db_err)?;
            out.push(self.get_mention(tenant, MentionId(id)).await?);
        }
        Ok(out)
    }

    async fn top_authors(&self, tenant: TenantId, brand: BrandId, q: &AuthorQuery) -> DomainResult<Vec<AuthorRow>> {
        rollups::top_authors(self, tenant, brand, q).await
    }
}
