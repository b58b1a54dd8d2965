//! Hourly rollups of mentions: written in the same transaction as every
//! change of their inputs (ingest, backfill, a manual label), read by reports.

use std::collections::HashMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use smrm_domain::DomainResult;
use smrm_domain::ids::{BrandId, TenantId};
use smrm_domain::metrics::EngagementSums;
use smrm_domain::model::mention::{Post, SentimentLabel, SourceType};
use smrm_domain::ports::RollupRow;
use uuid::Uuid;

use super::entities::rollup;
use super::{SqlStore, db_err};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    brand: Uuid,
    hour: DateTime<Utc>,
    platform: String,
    source_type: &'static str,
    sentiment: &'static str,
}

#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    mentions: i64,
    likes: i64,
    comments: i64,
    reposts: i64,
    views: i64,
    reach: i64,
}

/// Changes to the rollups, collected in memory and written at once.
#[derive(Debug, Default)]
pub(crate) struct Deltas(HashMap<Key, Sums>);

fn n(v: Option<u64>) -> i64 {
    v.map(|x| i64::try_from(x).unwrap_or(i64::MAX)).unwrap_or(0)
}

pub(crate) fn hour_of(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::hours(1)).unwrap_or(t)
}

impl Deltas {
    /// Counts (`sign` = 1) or uncounts (`sign` = -1) one mention of `brand` in `post`.
    pub(crate) fn add(&mut self, brand: BrandId, post: &Post, sentiment: SentimentLabel, sign: i64) {
        let p = &post.input;
        let key = Key {
            brand: brand.0,
            hour: hour_of(p.published_at),
            platform: p.platform.clone(),
            source_type: p.source_type.as_str(),
            sentiment: sentiment.as_str(),
        };
        let s = self.0.entry(key).or_default();
        s.mentions += sign;
        s.likes = s.likes.saturating_add(sign.saturating_mul(n(p.likes)));
        s.comments = s.comments.saturating_add(sign.saturating_mul(n(p.comments)));
        s.reposts = s.reposts.saturating_add(sign.saturating_mul(n(p.reposts)));
        s.views = s.views.saturating_add(sign.saturating_mul(n(p.views)));
        s.reach = s.reach.saturating_add(sign.saturating_mul(n(p.reach)));
    }

    /// Upserts every change: new rows are inserted, existing ones incremented.
    pub(crate) async fn apply(self, db: &impl ConnectionTrait, tenant: TenantId) -> DomainResult<()> {
        let rows: Vec<rollup::ActiveModel> = self
            .0
            .into_iter()
            .filter(|(_, s)| s.mentions != 0 || s.likes != 0 || s.reach != 0 || s.views != 0)
            .map(|(k, s)| rollup::ActiveModel {
                tenant_id: Set(tenant.0),
                brand_id: Set(k.brand),
                hour: Set(k.hour),
                platform: Set(k.platform),
                source_type: Set(k.source_type.to_owned()),
                sentiment: Set(k.sentiment.to_owned()),
                mentions: Set(s.mentions),
                likes: Set(s.likes),
                comments: Set(s.comments),
                reposts: Set(s.reposts),
                views: Set(s.views),
                reach: Set(s.reach),
            })
            .collect();
        let mut on_conflict = OnConflict::columns([
            rollup::Column::TenantId,
            rollup::Column::BrandId,
            rollup::Column::Hour,
            rollup::Column::Platform,
            rollup::Column::SourceType,
            rollup::Column::Sentiment,
        ]);
        for col in ["mentions", "likes", "comments", "reposts", "views", "reach"] {
            on_conflict.value(
                rollup::Column::from_str_col(col),
                Expr::cust(format!("\"mention_rollups\".\"{col}\" + \"excluded\".\"{col}\"")),
            );
        }
        for chunk in rows.chunks(500) {
            rollup::Entity::insert_many(chunk.to_vec())
                .on_conflict(on_conflict.clone())
                .exec_without_returning(db)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }
}

impl rollup::Column {
    fn from_str_col(name: &str) -> Self {
        match name {
            "mentions" => Self::Mentions,
            "likes" => Self::Likes,
            "comments" => Self::Comments,
            "reposts" => Self::Reposts,
            "views" => Self::Views,
            _ => Self::Reach,
        }
    }
}

/// The rollup rows of `brands` for the whole hours in `[from, to)`.
pub(crate) async fn read(
    store: &SqlStore,
    tenant: TenantId,
    brands: &[BrandId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    platform: Option<&str>,
    source_type: Option<SourceType>,
) -> DomainResult<Vec<RollupRow>> {
    if brands.is_empty() || from >= to {
        return Ok(Vec::new());
    }
    let mut q = rollup::Entity::find()
        .filter(rollup::Column::TenantId.eq(tenant.0))
        .filter(rollup::Column::BrandId.is_in(brands.iter().map(|b| b.0)))
        .filter(rollup::Column::Hour.gte(from))
        .filter(rollup::Column::Hour.lt(to));
    if let Some(p) = platform {
        q = q.filter(rollup::Column::Platform.eq(p));
    }
    if let Some(s) = source_type {
        q = q.filter(rollup::Column::SourceType.eq(s.as_str()));
    }
    let rows = q.all(store.connection()).await.map_err(db_err)?;
    Ok(rows
        .into_iter()
        .filter(|r| r.mentions != 0)
        .filter_map(|r| {
            Some(RollupRow {
                brand_id: BrandId(r.brand_id),
                at: r.hour,
                platform: r.platform,
                source_type: SourceType::parse(&r.source_type)?,
                sentiment: SentimentLabel::parse(&r.sentiment)?,
                sums: EngagementSums {
                    mentions: r.mentions.max(0) as u64,
                    likes: r.likes.max(0) as u64,
                    comments: r.comments.max(0) as u64,
                    reposts: r.reposts.max(0) as u64,
                    views: r.views.max(0) as u64,
                    reach: r.reach.max(0) as u64,
                },
            })
        })
        .collect())
}
