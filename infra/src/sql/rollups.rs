//! Hourly rollups of mentions: written in the same transaction as every
//! change of their inputs (ingest, backfill, a manual label), read by reports.

use std::collections::HashMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use smrm_domain::DomainResult;
use smrm_domain::ids::{BrandId, TenantId};
use smrm_domain::metrics::EngagementSums;
use smrm_domain::model::mention::{Post, SentimentLabel, SourceType, author_key};
use smrm_domain::ports::{AuthorQuery, AuthorRow, AuthorSort, RollupRow};
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

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct AuthorKey {
    brand: Uuid,
    day: DateTime<Utc>,
    platform: String,
    source_type: &'static str,
    author: String,
}

#[derive(Debug, Clone, Default)]
struct AuthorSums {
    handle: String,
    name: Option<String>,
    followers: i64,
    mentions: i64,
    negative: i64,
    engagement: i64,
    reach: i64,
}

/// Changes to the rollups (hourly and per author), collected in memory and
/// written at once.
#[derive(Debug, Default)]
pub(crate) struct Deltas(HashMap<Key, Sums>, HashMap<AuthorKey, AuthorSums>);

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
        let a = self
            .1
            .entry(AuthorKey {
                brand: brand.0,
                day: p.published_at.duration_trunc(TimeDelta::days(1)).unwrap_or(p.published_at),
                platform: p.platform.clone(),
                source_type: p.source_type.as_str(),
                author: author_key(&p.author.handle),
            })
            .or_default();
        a.handle.clone_from(&p.author.handle);
        a.name.clone_from(&p.author.name);
        a.followers = a.followers.max(n(p.author.followers));
        a.mentions += sign;
        a.negative += if sentiment == SentimentLabel::Negative { sign } else { 0 };
        let engagement = n(p.likes).saturating_add(n(p.comments)).saturating_add(n(p.reposts));
        a.engagement = a.engagement.saturating_add(sign.saturating_mul(engagement));
        a.reach = a.reach.saturating_add(sign.saturating_mul(n(p.reach)));
    }

    /// Upserts every change: new rows are inserted, existing ones incremented.
    pub(crate) async fn apply(self, db: &impl ConnectionTrait, tenant: TenantId) -> DomainResult<()> {
        let Deltas(hourly, authors) = self;
        apply_authors(db, tenant, authors).await?;
        let rows: Vec<rollup::ActiveModel> = hourly
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

async fn apply_authors(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    authors: HashMap<AuthorKey, AuthorSums>,
) -> DomainResult<()> {
    use super::entities::author_rollup as ar;
    let rows: Vec<ar::ActiveModel> = authors
        .into_iter()
        .map(|(k, s)| ar::ActiveModel {
            tenant_id: Set(tenant.0),
            brand_id: Set(k.brand),
            day: Set(k.day),
            platform: Set(k.platform),
            source_type: Set(k.source_type.to_owned()),
            author_key: Set(k.author),
            handle: Set(s.handle),
            name: Set(s.name),
            followers: Set(s.followers),
            mentions: Set(s.mentions),
            negative: Set(s.negative),
            engagement: Set(s.engagement),
            reach: Set(s.reach),
        })
        .collect();
    let mut on_conflict = OnConflict::columns([
        ar::Column::TenantId,
        ar::Column::BrandId,
        ar::Column::Day,
        ar::Column::Platform,
        ar::Column::SourceType,
        ar::Column::AuthorKey,
    ]);
    for (col, name) in [
        (ar::Column::Mentions, "mentions"),
        (ar::Column::Negative, "negative"),
        (ar::Column::Engagement, "engagement"),
        (ar::Column::Reach, "reach"),
    ] {
        on_conflict.value(col, Expr::cust(format!("\"author_rollups\".\"{name}\" + \"excluded\".\"{name}\"")));
    }
    // The latest name and handle; the largest follower count seen (portable: no GREATEST).
    on_conflict.value(ar::Column::Handle, Expr::cust("\"excluded\".\"handle\""));
    on_conflict.value(ar::Column::Name, Expr::cust("\"excluded\".\"name\""));
    on_conflict.value(
        ar::Column::Followers,
        Expr::cust(
            "CASE WHEN \"excluded\".\"followers\" > \"author_rollups\".\"followers\" \
             THEN \"excluded\".\"followers\" ELSE \"author_rollups\".\"followers\" END",
        ),
    );
    for chunk in rows.chunks(500) {
        ar::Entity::insert_many(chunk.to_vec())
            .on_conflict(on_conflict.clone())
            .exec_without_returning(db)
            .await
            .map_err(db_err)?;
    }
    Ok(())
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

/// platform, key, handle, name, followers, mentions, negative, engagement, reach.
type AuthorTuple = (String, String, String, Option<String>, i64, i64, i64, i64, i64);

/// Top authors from the daily author rollups, aggregated in the database.
pub(crate) async fn top_authors(
    store: &SqlStore,
    tenant: TenantId,
    brand: BrandId,
    q: &AuthorQuery,
) -> DomainResult<Vec<AuthorRow>> {
    use super::entities::author_rollup as ar;
    use sea_orm::sea_query::{Func, Order};
    use sea_orm::{QueryOrder, QuerySelect};
    let first_day = q.from.duration_trunc(TimeDelta::days(1)).unwrap_or(q.from);
    let mut select = ar::Entity::find()
        .select_only()
        .column(ar::Column::Platform)
        .column(ar::Column::AuthorKey)
        .expr(Func::max(Expr::col(ar::Column::Handle)))
        .expr(Func::max(Expr::col(ar::Column::Name)))
        .expr(Func::max(Expr::col(ar::Column::Followers)))
        // PostgreSQL sums BIGINT into NUMERIC: cast back, on both databases.
        .expr(Expr::cust("CAST(SUM(\"mentions\") AS BIGINT)"))
        .expr(Expr::cust("CAST(SUM(\"negative\") AS BIGINT)"))
        .expr(Expr::cust("CAST(SUM(\"engagement\") AS BIGINT)"))
        .expr(Expr::cust("CAST(SUM(\"reach\") AS BIGINT)"))
        .filter(ar::Column::TenantId.eq(tenant.0))
        .filter(ar::Column::BrandId.eq(brand.0))
        .filter(ar::Column::Day.gte(first_day))
        .filter(ar::Column::Day.lt(q.to));
    if let Some(p) = &q.platform {
        select = select.filter(ar::Column::Platform.eq(p.clone()));
    }
    if let Some(s) = q.source_type {
        select = select.filter(ar::Column::SourceType.eq(s.as_str()));
    }
    let by = match q.sort {
        AuthorSort::Mentions => "mentions",
        AuthorSort::Reach => "reach",
        AuthorSort::Engagement => "engagement",
        AuthorSort::Negative => "negative",
    };
    let rows: Vec<AuthorTuple> = select
        .group_by(ar::Column::Platform)
        .group_by(ar::Column::AuthorKey)
        .having(Expr::cust("SUM(\"mentions\") > 0"))
        .order_by(Expr::cust(format!("SUM(\"{by}\")")), Order::Desc)
        .order_by(Expr::cust("SUM(\"mentions\")"), Order::Desc)
        .order_by(ar::Column::AuthorKey, Order::Asc)
        .limit(q.limit as u64)
        .into_tuple()
        .all(store.connection())
        .await
        .map_err(db_err)?;
    let u = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(rows
        .into_iter()
        .map(|(platform, _, handle, name, followers, mentions, negative, engagement, reach)| AuthorRow {
            platform,
            handle,
            name,
            followers: u(followers),
            mentions: u(mentions),
            negative: u(negative),
            engagement: u(engagement),
            reach: u(reach),
        })
        .collect())
}
