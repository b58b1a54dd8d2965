//! What reports read on SQL: the rollups (see `rollups`), the most engaged
//! negative mentions and the top authors.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{Condition, ConnectionTrait};
use smrm_domain::DomainResult;
use smrm_domain::ids::{BrandId, MentionId, TenantId};
use smrm_domain::metrics::EngagementSums;
use smrm_domain::model::mention::{Mention, MentionFilter, MentionOrder, SentimentLabel};
use smrm_domain::ports::{AuthorQuery, AuthorRow, InboxRepository, RollupGroup, RollupQuery, RollupReader, RollupRow};
use uuid::Uuid;

use super::entities::{mention, post};
use super::rollups::{self, hour_of};
use super::{SqlStore, db_err};

#[async_trait]
impl RollupReader for SqlStore {
    async fn rollups(&self, tenant: TenantId, q: &RollupQuery<'_>) -> DomainResult<Vec<RollupRow>> {
        // Whole hours come from the rollups; a period that starts or ends
        // inside an hour reads those edge minutes from the mentions, so the
        // answer is exact for any [from, to).
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
            let filter = MentionFilter {
                only_brands: Some(q.brands.to_vec()),
                platform: q.platform.map(str::to_owned),
                source_type: q.source_type,
                sentiment: q.sentiment,
                from: Some(a),
                to: Some(b),
                ..Default::default()
            };
            for m in self.list_mentions(tenant, &filter, MentionOrder::SinceSeq(0), u32::MAX).await? {
                let p = &m.post.input;
                let n = |v: Option<u64>| v.unwrap_or(0);
                let by_sentiment = q.group == RollupGroup::SentimentAndSource;
                rows.push(RollupRow {
                    brand_id: m.brand_id,
                    at: p.published_at,
                    platform: (q.group == RollupGroup::Platform).then(|| p.platform.clone()),
                    source_type: by_sentiment.then_some(p.source_type),
                    sentiment: by_sentiment.then_some(m.sentiment.label),
                    sums: EngagementSums {
                        mentions: 1,
                        likes: n(p.likes),
                        comments: n(p.comments),
                        reposts: n(p.reposts),
                        views: n(p.views),
                        reach: n(p.reach),
                    },
                });
            }
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
