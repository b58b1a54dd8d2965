//! Hourly rollups of mentions: written in the same transaction as every
//! change of their inputs (ingest, backfill, a manual label), read by reports.

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sea_orm::sea_query::{ArrayType, Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter};
use smrm_domain::DomainResult;
use smrm_domain::ids::{BrandId, TenantId};
use smrm_domain::metrics::EngagementSums;
use smrm_domain::model::mention::{Post, SentimentLabel, SourceType, author_key};
use smrm_domain::ports::{AuthorQuery, AuthorRow, AuthorSort, RollupGroup, RollupQuery, RollupRow};
use uuid::Uuid;

use super::entities::{brand_hour, rollup};
use super::unnest::{BatchForm, Unnest};
use super::{SqlStore, db_err};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
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

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
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

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.mentions += o.mentions;
        self.likes = self.likes.saturating_add(o.likes);
        self.comments = self.comments.saturating_add(o.comments);
        self.reposts = self.reposts.saturating_add(o.reposts);
        self.views = self.views.saturating_add(o.views);
        self.reach = self.reach.saturating_add(o.reach);
    }

    fn is_zero(&self) -> bool {
        self.mentions == 0
            && self.likes == 0
            && self.comments == 0
            && self.reposts == 0
            && self.views == 0
            && self.reach == 0
    }
}

/// Makes `on_conflict` add the new row's `cols` to the stored row's
/// (`table.col + excluded.col`: the same SQL on PostgreSQL and SQLite).
fn accumulate<C: sea_orm::sea_query::IntoIden + Copy>(on_conflict: &mut OnConflict, table: &str, cols: &[(C, &str)]) {
    for (col, name) in cols {
        on_conflict.value(*col, Expr::cust(format!("\"{table}\".\"{name}\" + \"excluded\".\"{name}\"")));
    }
}

/// Inserts `rows` in chunks (well under PostgreSQL's bind-parameter limit),
/// resolving conflicts as `on_conflict` says.
async fn upsert<A: sea_orm::ActiveModelTrait + Send>(
    db: &impl ConnectionTrait,
    rows: Vec<A>,
    on_conflict: OnConflict,
) -> DomainResult<()> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(500).collect();
        A::Entity::insert_many(chunk)
            .on_conflict(on_conflict.clone())
            .exec_without_returning(db)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// The six sums of a rollup row, as columns of an unnested INSERT.
fn sums_columns<'a>(u: Unnest, sums: impl Iterator<Item = &'a Sums> + Clone) -> Unnest {
    let column =
        |u: Unnest, name, get: fn(&Sums) -> i64| u.column(name, "int8", ArrayType::BigInt, sums.clone().map(get));
    let u = column(u, "mentions", |s| s.mentions);
    let u = column(u, "likes", |s| s.likes);
    let u = column(u, "comments", |s| s.comments);
    let u = column(u, "reposts", |s| s.reposts);
    let u = column(u, "views", |s| s.views);
    column(u, "reach", |s| s.reach)
}

/// `ON CONFLICT (key) DO UPDATE` adding the new sums to the stored ones.
fn accumulating(table: &str, key: &str) -> String {
    let set: Vec<String> = ["mentions", "likes", "comments", "reposts", "views", "reach"]
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect();
    format!("ON CONFLICT ({key}) DO UPDATE SET {}", set.join(", "))
}

/// Changes to the rollups (hourly and per author), collected in memory and
/// written at once. Ordered maps: every writer (ingest, backfill, a manual
/// label, a brand's deletion) touches rollup rows in the same key order, so
/// two transactions wait for each other instead of deadlocking.
#[derive(Debug, Default)]
pub(crate) struct Deltas(BTreeMap<Key, Sums>, BTreeMap<AuthorKey, AuthorSums>);

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
    pub(crate) async fn apply(self, db: &impl ConnectionTrait, tenant: TenantId, form: BatchForm) -> DomainResult<()> {
        let Deltas(hourly, authors) = self;
        apply_authors(db, tenant, authors, form).await?;
        apply_brand_hours(db, tenant, &hourly, form).await?;
        if db.get_database_backend() == DbBackend::Postgres {
            let rows: Vec<(&Key, &Sums)> = hourly.iter().filter(|(_, s)| !s.is_zero()).collect();
            if rows.is_empty() {
                return Ok(());
            }
            let insert = Unnest::into("mention_rollups")
                .column("tenant_id", "uuid", ArrayType::Uuid, rows.iter().map(|_| tenant.0))
                .column("brand_id", "uuid", ArrayType::Uuid, rows.iter().map(|(k, _)| k.brand))
                .column("hour", "timestamptz", ArrayType::ChronoDateTimeUtc, rows.iter().map(|(k, _)| k.hour))
                .column("platform", "text", ArrayType::String, rows.iter().map(|(k, _)| k.platform.clone()))
                .column("source_type", "text", ArrayType::String, rows.iter().map(|(k, _)| k.source_type.to_owned()))
                .column("sentiment", "text", ArrayType::String, rows.iter().map(|(k, _)| k.sentiment.to_owned()));
            let tail = accumulating("mention_rollups", "tenant_id, brand_id, hour, platform, source_type, sentiment");
            sums_columns(insert, rows.iter().map(|(_, s)| *s)).execute(db, &tail, form).await.map_err(db_err)?;
            return Ok(());
        }
        let rows: Vec<rollup::ActiveModel> = hourly
            .into_iter()
            .filter(|(_, s)| !s.is_zero())
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
        use rollup::Column as R;
        accumulate(
            &mut on_conflict,
            "mention_rollups",
            &[
                (R::Mentions, "mentions"),
                (R::Likes, "likes"),
                (R::Comments, "comments"),
                (R::Reposts, "reposts"),
                (R::Views, "views"),
                (R::Reach, "reach"),
            ],
        );
        upsert(db, rows, on_conflict).await
    }
}

/// Removes every rollup row of `brand`, in the tables' usual write order.
pub(crate) async fn delete_brand(db: &impl ConnectionTrait, tenant: TenantId, brand: BrandId) -> DomainResult<()> {
    use super::entities::author_rollup as ar;
    ar::Entity::delete_many()
        .filter(ar::Column::TenantId.eq(tenant.0))
        .filter(ar::Column::BrandId.eq(brand.0))
        .exec(db)
        .await
        .map_err(db_err)?;
    brand_hour::Entity::delete_many()
        .filter(brand_hour::Column::TenantId.eq(tenant.0))
        .filter(brand_hour::Column::BrandId.eq(brand.0))
        .exec(db)
        .await
        .map_err(db_err)?;
    rollup::Entity::delete_many()
        .filter(rollup::Column::TenantId.eq(tenant.0))
        .filter(rollup::Column::BrandId.eq(brand.0))
        .exec(db)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// The same changes summed per brand and hour, into the coarsest rollup.
async fn apply_brand_hours(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    hourly: &BTreeMap<Key, Sums>,
    form: BatchForm,
) -> DomainResult<()> {
    let mut coarse: BTreeMap<(Uuid, DateTime<Utc>), Sums> = BTreeMap::new();
    for (k, s) in hourly {
        coarse.entry((k.brand, k.hour)).or_default().add(s);
    }
    coarse.retain(|_, s| !s.is_zero());
    if db.get_database_backend() == DbBackend::Postgres {
        if coarse.is_empty() {
            return Ok(());
        }
        let insert = Unnest::into("brand_hour_rollups")
            .column("tenant_id", "uuid", ArrayType::Uuid, coarse.keys().map(|_| tenant.0))
            .column("brand_id", "uuid", ArrayType::Uuid, coarse.keys().map(|(b, _)| *b))
            .column("hour", "timestamptz", ArrayType::ChronoDateTimeUtc, coarse.keys().map(|(_, h)| *h));
        let tail = accumulating("brand_hour_rollups", "tenant_id, brand_id, hour");
        sums_columns(insert, coarse.values()).execute(db, &tail, form).await.map_err(db_err)?;
        return Ok(());
    }
    let rows: Vec<brand_hour::ActiveModel> = coarse
        .into_iter()
        .map(|((brand, hour), s)| brand_hour::ActiveModel {
            tenant_id: Set(tenant.0),
            brand_id: Set(brand),
            hour: Set(hour),
            mentions: Set(s.mentions),
            likes: Set(s.likes),
            comments: Set(s.comments),
            reposts: Set(s.reposts),
            views: Set(s.views),
            reach: Set(s.reach),
        })
        .collect();
    use brand_hour::Column as B;
    let mut on_conflict = OnConflict::columns([B::TenantId, B::BrandId, B::Hour]);
    accumulate(
        &mut on_conflict,
        "brand_hour_rollups",
        &[
            (B::Mentions, "mentions"),
            (B::Likes, "likes"),
            (B::Comments, "comments"),
            (B::Reposts, "reposts"),
            (B::Views, "views"),
            (B::Reach, "reach"),
        ],
    );
    upsert(db, rows, on_conflict).await
}

async fn apply_authors(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    authors: BTreeMap<AuthorKey, AuthorSums>,
    form: BatchForm,
) -> DomainResult<()> {
    use super::entities::author_rollup as ar;
    if db.get_database_backend() == DbBackend::Postgres {
        if authors.is_empty() {
            return Ok(());
        }
        let (keys, sums): (Vec<AuthorKey>, Vec<AuthorSums>) = authors.into_iter().unzip();
        let count = |get: fn(&AuthorSums) -> i64| sums.iter().map(get);
        Unnest::into("author_rollups")
            .column("tenant_id", "uuid", ArrayType::Uuid, keys.iter().map(|_| tenant.0))
            .column("brand_id", "uuid", ArrayType::Uuid, keys.iter().map(|k| k.brand))
            .column("day", "timestamptz", ArrayType::ChronoDateTimeUtc, keys.iter().map(|k| k.day))
            .column("platform", "text", ArrayType::String, keys.iter().map(|k| k.platform.clone()))
            .column("source_type", "text", ArrayType::String, keys.iter().map(|k| k.source_type.to_owned()))
            .column("author_key", "text", ArrayType::String, keys.iter().map(|k| k.author.clone()))
            .column("handle", "text", ArrayType::String, sums.iter().map(|s| s.handle.clone()))
            .nullable("name", "text", ArrayType::String, String::new(), sums.iter().map(|s| s.name.clone()))
            .column("followers", "int8", ArrayType::BigInt, count(|s| s.followers))
            .column("mentions", "int8", ArrayType::BigInt, count(|s| s.mentions))
            .column("negative", "int8", ArrayType::BigInt, count(|s| s.negative))
            .column("engagement", "int8", ArrayType::BigInt, count(|s| s.engagement))
            .column("reach", "int8", ArrayType::BigInt, count(|s| s.reach))
            .execute(
                db,
                "ON CONFLICT (tenant_id, brand_id, day, platform, source_type, author_key) DO UPDATE SET \
                 mentions = author_rollups.mentions + excluded.mentions, \
                 negative = author_rollups.negative + excluded.negative, \
                 engagement = author_rollups.engagement + excluded.engagement, \
                 reach = author_rollups.reach + excluded.reach, \
                 handle = excluded.handle, name = excluded.name, \
                 followers = GREATEST(author_rollups.followers, excluded.followers)",
                form,
            )
            .await
            .map_err(db_err)?;
        return Ok(());
    }
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
    accumulate(
        &mut on_conflict,
        "author_rollups",
        &[
            (ar::Column::Mentions, "mentions"),
            (ar::Column::Negative, "negative"),
            (ar::Column::Engagement, "engagement"),
            (ar::Column::Reach, "reach"),
        ],
    );
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
    upsert(db, rows, on_conflict).await
}

/// The rollup rows of `q.brands` for the whole hours in `[from, to)`, summed
/// in the database over the dimensions `q.group` does not keep apart.
pub(crate) async fn read(
    store: &SqlStore,
    tenant: TenantId,
    q: &RollupQuery<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DomainResult<Vec<RollupRow>> {
    use sea_orm::sea_query::Query;
    if q.brands.is_empty() || from >= to {
        return Ok(Vec::new());
    }
    let unfiltered = q.platform.is_none() && q.source_type.is_none() && q.sentiment.is_none();
    if q.group == RollupGroup::Brand && unfiltered {
        return read_brand_hours(store, tenant, q.brands, from, to).await;
    }
    let mut select = Query::select();
    select.from(rollup::Entity).column(rollup::Column::BrandId).column(rollup::Column::Hour);
    let mut group = vec![rollup::Column::BrandId, rollup::Column::Hour];
    match q.group {
        RollupGroup::Brand => {}
        RollupGroup::SentimentAndSource => group.extend([rollup::Column::Sentiment, rollup::Column::SourceType]),
        RollupGroup::Platform => group.push(rollup::Column::Platform),
    }
    for c in &group[2..] {
        select.column(*c);
    }
    // PostgreSQL sums BIGINT into NUMERIC: cast back, on both databases.
    for name in ["mentions", "likes", "comments", "reposts", "views", "reach"] {
        select.expr_as(Expr::cust(format!("CAST(SUM(\"{name}\") AS BIGINT)")), sea_orm::sea_query::Alias::new(name));
    }
    select
        .and_where(rollup::Column::TenantId.eq(tenant.0))
        .and_where(rollup::Column::BrandId.is_in(q.brands.iter().map(|b| b.0)))
        .and_where(rollup::Column::Hour.gte(from))
        .and_where(rollup::Column::Hour.lt(to));
    if let Some(p) = q.platform {
        select.and_where(rollup::Column::Platform.eq(p));
    }
    if let Some(s) = q.source_type {
        select.and_where(rollup::Column::SourceType.eq(s.as_str()));
    }
    if let Some(s) = q.sentiment {
        select.and_where(rollup::Column::Sentiment.eq(s.as_str()));
    }
    for c in &group {
        select.group_by_col(*c);
    }
    let db = store.connection();
    let rows = db.query_all_raw(db.get_database_backend().build(&select)).await.map_err(db_err)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let hour = row.try_get::<DateTime<Utc>>("", "hour").map_err(db_err)?;
        let r = summed_row(&row, q.group, hour)?;
        if r.sums.mentions > 0 {
            out.push(r);
        }
    }
    Ok(out)
}

/// A row of sums read back from SQL: `brand_id`, the six sums by their names
/// (negative ones read as 0) and the dimensions `group` keeps apart
/// (`platform`, or `sentiment` and `source_type`), in the slot at `at`.
pub(crate) fn summed_row(row: &sea_orm::QueryResult, group: RollupGroup, at: DateTime<Utc>) -> DomainResult<RollupRow> {
    let sum = |name: &str| row.try_get::<i64>("", name).map(|v| u64::try_from(v).unwrap_or(0)).map_err(db_err);
    let text = |name: &str| row.try_get::<String>("", name).map_err(db_err);
    let (platform, source_type, sentiment) = match group {
        RollupGroup::Brand => (None, None, None),
        RollupGroup::SentimentAndSource => {
            (None, SourceType::parse(&text("source_type")?), SentimentLabel::parse(&text("sentiment")?))
        }
        RollupGroup::Platform => (Some(text("platform")?), None, None),
    };
    Ok(RollupRow {
        brand_id: BrandId(row.try_get::<Uuid>("", "brand_id").map_err(db_err)?),
        at,
        platform,
        source_type,
        sentiment,
        sums: EngagementSums {
            mentions: sum("mentions")?,
            likes: sum("likes")?,
            comments: sum("comments")?,
            reposts: sum("reposts")?,
            views: sum("views")?,
            reach: sum("reach")?,
        },
    })
}

/// brand, hour, mentions, likes, comments, reposts, views, reach.
type BrandHourTuple = (Uuid, DateTime<Utc>, i64, i64, i64, i64, i64, i64);

/// Brand-and-hour rows from the coarsest rollup (no grouping needed).
async fn read_brand_hours(
    store: &SqlStore,
    tenant: TenantId,
    brands: &[BrandId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DomainResult<Vec<RollupRow>> {
    use sea_orm::QuerySelect;
    let rows: Vec<BrandHourTuple> = brand_hour::Entity::find()
        .select_only()
        .columns([
            brand_hour::Column::BrandId,
            brand_hour::Column::Hour,
            brand_hour::Column::Mentions,
            brand_hour::Column::Likes,
            brand_hour::Column::Comments,
            brand_hour::Column::Reposts,
            brand_hour::Column::Views,
            brand_hour::Column::Reach,
        ])
        .filter(brand_hour::Column::TenantId.eq(tenant.0))
        .filter(brand_hour::Column::BrandId.is_in(brands.iter().map(|b| b.0)))
        .filter(brand_hour::Column::Hour.gte(from))
        .filter(brand_hour::Column::Hour.lt(to))
        .into_tuple()
        .all(store.connection())
        .await
        .map_err(db_err)?;
    let u = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(rows
        .into_iter()
        .filter(|r| r.2 > 0)
        .map(|(brand, hour, mentions, likes, comments, reposts, views, reach)| RollupRow {
            brand_id: BrandId(brand),
            at: hour,
            platform: None,
            source_type: None,
            sentiment: None,
            sums: EngagementSums {
                mentions: u(mentions),
                likes: u(likes),
                comments: u(comments),
                reposts: u(reposts),
                views: u(views),
                reach: u(reach),
            },
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
