//! Posts and mentions: ingest in one transaction per batch, the inbox query,
//! and backfill steps.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{ArrayType, Expr, ExprTrait, LikeExpr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, SqlErr, Statement, TransactionTrait,
};
use smrm_domain::ids::{BrandId, MentionId, PostId, TenantId, UserId};
use smrm_domain::metrics::EngagementSums;
use smrm_domain::model::brand::BackfillStatus;
use smrm_domain::model::integrations::{Event, mention_events};
use smrm_domain::model::mention::{
    Author, Mention, MentionFilter, MentionLink, MentionOrder, MentionStatus, NewMention, NewPost, Post, PostInput,
    Sentiment, SentimentLabel, SentimentOrigin, SourceType, author_key,
};
use smrm_domain::model::sentiment::Correction;
use smrm_domain::ports::{
    AuthorQuery, AuthorRow, BackfillClaim, BrandQuery, IngestOutcome, MentionFields, MentionRepository, PostText,
    RollupGroup, RollupQuery, RollupRow,
};
use smrm_domain::text::fold;
use smrm_domain::{DomainError, DomainResult};
use uuid::Uuid;

use super::entities::{brand, mention, post, tenant_counter as counter};
use super::rollups::{self, Deltas, hour_of};
use super::unnest::Unnest;
use super::{SqlStore, db_err, from_json, to_json};

/// `posts.auto_label` of a post not scored yet (it matched no brand when it
/// came; see `Post::auto`). The column predates unscored posts and stays
/// NOT NULL: SQLite cannot relax a column without rebuilding its table.
const UNSCORED: &str = "";

/// Rows per INSERT (and per id lookup), well under the bind-parameter limits.
const CHUNK: usize = 500;

fn corrupt(what: &str, value: &str) -> DomainError {
    DomainError::Internal(format!("unknown {what} `{value}` in the database"))
}

fn to_i64(v: Option<u64>) -> Option<i64> {
    v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

fn to_u64(v: Option<i64>) -> Option<u64> {
    v.map(|n| u64::try_from(n).unwrap_or(0))
}

fn post_row(tenant: TenantId, p: &Post, folded: Option<String>) -> post::Model {
    let i = &p.input;
    post::Model {
        tenant_id: tenant.0,
        id: p.id.0,
        platform: i.platform.clone(),
        external_id: i.external_id.clone(),
        source_type: i.source_type.as_str().into(),
        url: i.url.clone(),
        title: i.title.clone(),
        text: i.text.clone(),
        text_folded: folded,
        language: i.language.clone(),
        published_at: i.published_at,
        author_external_id: i.author.external_id.clone(),
        author_handle: i.author.handle.clone(),
        author_name: i.author.name.clone(),
        author_followers: to_i64(i.author.followers),
        likes: to_i64(i.likes),
        comments: to_i64(i.comments),
        reposts: to_i64(i.reposts),
        views: to_i64(i.views),
        reach: to_i64(i.reach),
        provided_sentiment: i.sentiment.map(|s| s.as_str().into()),
        auto_label: p.auto.map_or(UNSCORED, |a| a.label.as_str()).into(),
        auto_score: p.auto.map_or(0.0, |a| a.score),
        created_at: p.created_at,
    }
}

fn to_post(m: post::Model) -> DomainResult<Post> {
    let source_type = SourceType::parse(&m.source_type).ok_or_else(|| corrupt("source type", &m.source_type))?;
    let auto = match m.auto_label.as_str() {
        UNSCORED => None,
        label => Some(Sentiment {
            label: SentimentLabel::parse(label).ok_or_else(|| corrupt("label", label))?,
            score: m.auto_score,
            origin: SentimentOrigin::Auto,
        }),
    };
    let provided = match &m.provided_sentiment {
        Some(s) => Some(SentimentLabel::parse(s).ok_or_else(|| corrupt("label", s))?),
        None => None,
    };
    Ok(Post {
        id: PostId(m.id),
        tenant_id: TenantId(m.tenant_id),
        input: PostInput {
            external_id: m.external_id,
            platform: m.platform,
            source_type,
            url: m.url,
            title: m.title,
            text: m.text,
            language: m.language,
            published_at: m.published_at,
            author: Author {
                external_id: m.author_external_id,
                handle: m.author_handle,
                name: m.author_name,
                followers: to_u64(m.author_followers),
            },
            likes: to_u64(m.likes),
            comments: to_u64(m.comments),
            reposts: to_u64(m.reposts),
            views: to_u64(m.views),
            reach: to_u64(m.reach),
            sentiment: provided,
            brand_id: None,
        },
        auto,
        created_at: m.created_at,
    })
}

fn mention_row(tenant: TenantId, p: &Post, m: &NewMention, seq: i64) -> mention::Model {
    mention::Model {
        tenant_id: tenant.0,
        id: m.id.0,
        post_id: p.id.0,
        brand_id: m.brand_id.0,
        seq,
        link: m.link.as_str().into(),
        platform: p.input.platform.clone(),
        source_type: p.input.source_type.as_str().into(),
        published_at: p.input.published_at,
        author_key: author_key(&p.input.author.handle),
        sentiment_label: m.sentiment.label.as_str().into(),
        sentiment_score: m.sentiment.score,
        sentiment_origin: m.sentiment.origin.as_str().into(),
        status: MentionStatus::New.as_str().into(),
        assignee_id: None,
        tags: to_json(&Vec::<String>::new()),
        restricted: p.restricted(),
        matched_words: to_json(&m.matched_words),
        created_at: p.created_at,
        updated_at: p.created_at,
        first_response_at: None,
    }
}

fn to_mention(m: mention::Model, post: Post) -> DomainResult<Mention> {
    Ok(Mention {
        id: MentionId(m.id),
        tenant_id: TenantId(m.tenant_id),
        brand_id: BrandId(m.brand_id),
        seq: m.seq,
        link: MentionLink::parse(&m.link).ok_or_else(|| corrupt("link", &m.link))?,
        sentiment: Sentiment {
            label: SentimentLabel::parse(&m.sentiment_label).ok_or_else(|| corrupt("label", &m.sentiment_label))?,
            score: m.sentiment_score,
            origin: SentimentOrigin::parse(&m.sentiment_origin)
                .ok_or_else(|| corrupt("origin", &m.sentiment_origin))?,
        },
        status: MentionStatus::parse(&m.status).ok_or_else(|| corrupt("status", &m.status))?,
        assignee_id: m.assignee_id.map(UserId),
        tags: from_json(m.tags)?,
        matched_words: from_json(m.matched_words)?,
        created_at: m.created_at,
        updated_at: m.updated_at,
        first_response_at: m.first_response_at,
        post: Post { input: PostInput { brand_id: None, ..post.input }, ..post },
    })
}

/// Locks the tenant's counter row for the rest of the transaction and
/// reserves the next `reserve` sequence numbers, in one statement: a tenant's
/// ingests and backfills hold it one at a time, so `seq` order is commit
/// order and a poller never skips a late mention. Returns the last number
/// used before the reservation and the tenant's brand version.
async fn lock_counter(txn: &DatabaseTransaction, tenant: TenantId, reserve: i64) -> DomainResult<(i64, i64)> {
    for _ in 0..2 {
        let rows = counter::Entity::update_many()
            .col_expr(counter::Column::MentionSeq, Expr::col(counter::Column::MentionSeq).add(reserve))
            .filter(counter::Column::TenantId.eq(tenant.0))
            .exec_with_returning(txn)
            .await
            .map_err(db_err)?;
        if let Some(row) = rows.into_iter().next() {
            return Ok((row.mention_seq - reserve, row.brand_version));
        }
        // The tenant's first mention: create the row, then lock it.
        counter::Entity::insert(counter::ActiveModel {
            tenant_id: Set(tenant.0),
            mention_seq: Set(0),
            brand_version: Set(0),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(txn)
        .await
        .map_err(db_err)?;
    }
    Err(DomainError::Internal("the tenant's counter row cannot be created".into()))
}

/// After a new label: the rollups move by the difference, and a person's
/// label is kept as a lesson for the tenant's model.
async fn relabelled(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    m: &Mention,
    old: &mention::Model,
) -> DomainResult<()> {
    if old.sentiment_label != m.sentiment.label.as_str() {
        let was = SentimentLabel::parse(&old.sentiment_label).ok_or_else(|| corrupt("label", &old.sentiment_label))?;
        let mut deltas = Deltas::default();
        deltas.add(m.brand_id, &m.post, was, -1);
        deltas.add(m.brand_id, &m.post, m.sentiment.label, 1);
        deltas.apply(txn, tenant).await?;
    }
    let changed =
        old.sentiment_origin != m.sentiment.origin.as_str() || old.sentiment_label != m.sentiment.label.as_str();
    if m.sentiment.origin == SentimentOrigin::Manual
        && changed
        && let Some(text) = &m.post.input.text
    {
        let correction =
            Correction { label: m.sentiment.label, text: text.clone(), language: m.post.input.language.clone() };
        super::sentiment::record_correction(txn, tenant, m.post.id, &correction, m.updated_at).await?;
    }
    Ok(())
}

async fn insert_mentions(txn: &DatabaseTransaction, rows: Vec<mention::Model>) -> DomainResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        // New mentions have no assignee and no response yet (NULL). The
        // rows' strings move into the arrays.
        let mut rows = rows;
        let statement = Unnest::into("mentions")
            .column("tenant_id", "uuid", ArrayType::Uuid, rows.iter().map(|r| r.tenant_id))
            .column("id", "uuid", ArrayType::Uuid, rows.iter().map(|r| r.id))
            .column("post_id", "uuid", ArrayType::Uuid, rows.iter().map(|r| r.post_id))
            .column("brand_id", "uuid", ArrayType::Uuid, rows.iter().map(|r| r.brand_id))
            .column("seq", "int8", ArrayType::BigInt, rows.iter().map(|r| r.seq))
            .column("link", "text", ArrayType::String, rows.iter_mut().map(|r| std::mem::take(&mut r.link)))
            .column("platform", "text", ArrayType::String, rows.iter_mut().map(|r| std::mem::take(&mut r.platform)))
            .column(
                "source_type",
                "text",
                ArrayType::String,
                rows.iter_mut().map(|r| std::mem::take(&mut r.source_type)),
            )
            .column("published_at", "timestamptz", ArrayType::ChronoDateTimeUtc, rows.iter().map(|r| r.published_at))
            .column("author_key", "text", ArrayType::String, rows.iter_mut().map(|r| std::mem::take(&mut r.author_key)))
            .column(
                "sentiment_label",
                "text",
                ArrayType::String,
                rows.iter_mut().map(|r| std::mem::take(&mut r.sentiment_label)),
            )
            .column("sentiment_score", "float8", ArrayType::Double, rows.iter().map(|r| r.sentiment_score))
            .column(
                "sentiment_origin",
                "text",
                ArrayType::String,
                rows.iter_mut().map(|r| std::mem::take(&mut r.sentiment_origin)),
            )
            .column("status", "text", ArrayType::String, rows.iter_mut().map(|r| std::mem::take(&mut r.status)))
            .json("tags", rows.iter().map(|r| r.tags.to_string()))
            .column("restricted", "bool", ArrayType::Bool, rows.iter().map(|r| r.restricted))
            .json("matched_words", rows.iter().map(|r| r.matched_words.to_string()))
            .column("created_at", "timestamptz", ArrayType::ChronoDateTimeUtc, rows.iter().map(|r| r.created_at))
            .column("updated_at", "timestamptz", ArrayType::ChronoDateTimeUtc, rows.iter().map(|r| r.updated_at))
            .statement("");
        txn.execute_raw(statement).await.map_err(db_err)?;
        return Ok(());
    }
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk = rows.by_ref().take(CHUNK).map(IntoActiveModel::into_active_model);
        mention::Entity::insert_many(chunk).exec_without_returning(txn).await.map_err(db_err)?;
    }
    Ok(())
}

/// How a batch's posts are written on PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PostInsert {
    /// A plain INSERT: every post is expected to be new. A stored one makes
    /// it fail (unique violation), and the batch is written again `Skipping`.
    /// It spares PostgreSQL the speculative insertion of `ON CONFLICT`, about
    /// a third of a post's insert.
    Plain,
    /// `ON CONFLICT DO NOTHING RETURNING id`: the stored posts are skipped.
    Skipping,
}

/// Batches written `Skipping` after one that repeated stored posts, before
/// the tenant's posts are tried `Plain` again.
const OVERLAP_MEMORY: u8 = 16;

/// The tenants whose recent batches repeated stored posts, and for how many
/// more batches their posts go in `Skipping` at once (a collector that
/// re-sends what it saw would otherwise pay for a failed plain INSERT on
/// every batch).
#[derive(Debug, Default)]
pub(crate) struct Overlapping(Mutex<HashMap<TenantId, u8>>);

impl Overlapping {
    fn how(&self, tenant: TenantId) -> PostInsert {
        if self.0.lock().expect("overlap memory").contains_key(&tenant) {
            PostInsert::Skipping
        } else {
            PostInsert::Plain
        }
    }

    /// After a batch written `Skipping`, or a `Plain` one that failed.
    fn saw(&self, tenant: TenantId, repeated: bool) {
        let mut map = self.0.lock().expect("overlap memory");
        if repeated {
            map.insert(tenant, OVERLAP_MEMORY);
        } else if let Some(left) = map.get_mut(&tenant) {
            *left = left.saturating_sub(1);
            if *left == 0 {
                map.remove(&tenant);
            }
        }
    }
}

/// The posts' INSERT on PostgreSQL, `tail` after it. The rows are not
/// needed afterwards: their strings move into the arrays.
fn posts_statement(mut rows: Vec<post::Model>, tail: &str) -> Statement {
    Unnest::into("posts")
        .column("tenant_id", "uuid", ArrayType::Uuid, rows.iter().map(|r| r.tenant_id))
        .column("id", "uuid", ArrayType::Uuid, rows.iter().map(|r| r.id))
        .column("platform", "text", ArrayType::String, rows.iter_mut().map(|r| std::mem::take(&mut r.platform)))
        .column("external_id", "text", ArrayType::String, rows.iter_mut().map(|r| std::mem::take(&mut r.external_id)))
        .column("source_type", "text", ArrayType::String, rows.iter_mut().map(|r| std::mem::take(&mut r.source_type)))
        .nullable("url", "text", ArrayType::String, String::new(), rows.iter_mut().map(|r| r.url.take()))
        .nullable("title", "text", ArrayType::String, String::new(), rows.iter_mut().map(|r| r.title.take()))
        .nullable("text", "text", ArrayType::String, String::new(), rows.iter_mut().map(|r| r.text.take()))
        .nullable(
            "text_folded",
            "text",
            ArrayType::String,
            String::new(),
            rows.iter_mut().map(|r| r.text_folded.take()),
        )
        .nullable("language", "text", ArrayType::String, String::new(), rows.iter_mut().map(|r| r.language.take()))
        .column("published_at", "timestamptz", ArrayType::ChronoDateTimeUtc, rows.iter().map(|r| r.published_at))
        .nullable(
            "author_external_id",
            "text",
            ArrayType::String,
            String::new(),
            rows.iter_mut().map(|r| r.author_external_id.take()),
        )
        .column(
            "author_handle",
            "text",
            ArrayType::String,
            rows.iter_mut().map(|r| std::mem::take(&mut r.author_handle)),
        )
        .nullable(
            "author_name",
            "text",
            ArrayType::String,
            String::new(),
            rows.iter_mut().map(|r| r.author_name.take()),
        )
        .nullable("author_followers", "int8", ArrayType::BigInt, 0, rows.iter().map(|r| r.author_followers))
        .nullable("likes", "int8", ArrayType::BigInt, 0, rows.iter().map(|r| r.likes))
        .nullable("comments", "int8", ArrayType::BigInt, 0, rows.iter().map(|r| r.comments))
        .nullable("reposts", "int8", ArrayType::BigInt, 0, rows.iter().map(|r| r.reposts))
        .nullable("views", "int8", ArrayType::BigInt, 0, rows.iter().map(|r| r.views))
        .nullable("reach", "int8", ArrayType::BigInt, 0, rows.iter().map(|r| r.reach))
        .nullable(
            "provided_sentiment",
            "text",
            ArrayType::String,
            String::new(),
            rows.iter_mut().map(|r| r.provided_sentiment.take()),
        )
        .column("auto_label", "text", ArrayType::String, rows.iter_mut().map(|r| std::mem::take(&mut r.auto_label)))
        .column("auto_score", "float8", ArrayType::Double, rows.iter().map(|r| r.auto_score))
        .column("created_at", "timestamptz", ArrayType::ChronoDateTimeUtc, rows.iter().map(|r| r.created_at))
        .statement(tail)
}

/// Inserts the posts not stored yet (the unique index on platform and
/// external id decides) and returns the ids of those it stored. `Plain`
/// (PostgreSQL only) fails with a unique violation if any post is stored.
async fn insert_new_posts(
    txn: &DatabaseTransaction,
    rows: Vec<post::Model>,
    how: PostInsert,
) -> Result<HashSet<Uuid>, DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres && !rows.is_empty() {
        if how == PostInsert::Plain {
            let ids = rows.iter().map(|r| r.id).collect();
            txn.execute_raw(posts_statement(rows, "")).await?;
            return Ok(ids);
        }
        let statement = posts_statement(rows, "ON CONFLICT (tenant_id, platform, external_id) DO NOTHING RETURNING id");
        let mut inserted = HashSet::new();
        for row in txn.query_all_raw(statement).await? {
            inserted.insert(row.try_get::<Uuid>("", "id")?);
        }
        return Ok(inserted);
    }
    let mut inserted = HashSet::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk = rows.by_ref().take(CHUNK).map(IntoActiveModel::into_active_model);
        let keys = post::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::columns([post::Column::TenantId, post::Column::Platform, post::Column::ExternalId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_with_returning_keys(txn)
            .await?;
        inserted.extend(keys.into_iter().map(|(_, id)| id));
    }
    Ok(inserted)
}

async fn posts_by_id(db: &impl ConnectionTrait, tenant: TenantId, ids: Vec<Uuid>) -> DomainResult<HashMap<Uuid, Post>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        for m in post::Entity::find()
            .filter(post::Column::TenantId.eq(tenant.0))
            .filter(post::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await
            .map_err(db_err)?
        {
            out.insert(m.id, to_post(m)?);
        }
    }
    Ok(out)
}

fn filter_condition(tenant: TenantId, f: &MentionFilter) -> Condition {
    let mut c = Condition::all().add(mention::Column::TenantId.eq(tenant.0));
    if let Some(b) = f.brand_id {
        c = c.add(mention::Column::BrandId.eq(b.0));
    }
    if let Some(only) = &f.only_brands {
        c = c.add(mention::Column::BrandId.is_in(only.iter().map(|b| b.0)));
    }
    if let Some(p) = &f.platform {
        c = c.add(mention::Column::Platform.eq(p.clone()));
    }
    if let Some(s) = f.source_type {
        c = c.add(mention::Column::SourceType.eq(s.as_str()));
    }
    if let Some(s) = f.sentiment {
        c = c.add(mention::Column::SentimentLabel.eq(s.as_str()));
    }
    if let Some(s) = f.status {
        c = c.add(mention::Column::Status.eq(s.as_str()));
    }
    if let Some(a) = &f.author {
        c = c.add(mention::Column::AuthorKey.eq(author_key(a)));
    }
    if let Some(from) = f.from {
        c = c.add(mention::Column::PublishedAt.gte(from));
    }
    if let Some(to) = f.to {
        c = c.add(mention::Column::PublishedAt.lt(to));
    }
    if let Some(q) = &f.q {
        let escaped = fold(q).replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let posts = Query::select()
            .column(post::Column::Id)
            .from(post::Entity)
            .and_where(post::Column::TenantId.eq(tenant.0))
            .and_where(Expr::col(post::Column::TextFolded).like(LikeExpr::new(format!("%{escaped}%")).escape('\\')))
            .to_owned();
        c = c.add(Expr::col(mention::Column::PostId).in_subquery(posts));
    }
    c
}

#[async_trait]
impl MentionRepository for SqlStore {
    async fn brand_version(&self, tenant: TenantId) -> DomainResult<i64> {
        let row = counter::Entity::find_by_id(tenant.0).one(&self.db).await.map_err(db_err)?;
        Ok(row.map(|r| r.brand_version).unwrap_or(0))
    }

    async fn brand_queries(&self, tenant: TenantId) -> DomainResult<Vec<BrandQuery>> {
        brand::Entity::find()
            .filter(brand::Column::TenantId.eq(tenant.0))
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|b| {
                Ok(BrandQuery {
                    brand_id: BrandId(b.id),
                    keywords: from_json(b.keywords)?,
                    excluded_keywords: from_json(b.excluded_keywords)?,
                    languages: from_json(b.languages)?,
                })
            })
            .collect()
    }

    async fn ingest(
        &self,
        tenant: TenantId,
        posts: Vec<NewPost>,
        brand_version: i64,
    ) -> DomainResult<Option<IngestOutcome>> {
        // Insert the posts, skipping those already stored: the unique index
        // decides, and RETURNING says which rows are new (no lookup whose
        // cost would grow with the stored posts). This runs before the
        // tenant's counter lock, so concurrent batches write their posts in
        // parallel; they go in key order, so two overlapping batches wait on
        // each other's rows instead of deadlocking.
        let mut how = self.overlapping.how(tenant);
        let (txn, inserted) = loop {
            let txn = self.db.begin().await.map_err(db_err)?;
            // SQLite runs one transaction at a time, so a brand query that
            // changed after matching is seen here, before any write (its
            // foreign keys would refuse a deleted brand's rollups). PostgreSQL
            // checks under the counter lock, below.
            if txn.get_database_backend() == DbBackend::Sqlite {
                let row = counter::Entity::find_by_id(tenant.0).one(&txn).await.map_err(db_err)?;
                if row.map_or(0, |r| r.brand_version) != brand_version {
                    return Ok(None);
                }
            }
            let mut rows: Vec<post::Model> =
                posts.iter().map(|p| post_row(tenant, &p.post, p.folded_text.clone())).collect();
            rows.sort_unstable_by(|a, b| (&a.platform, &a.external_id).cmp(&(&b.platform, &b.external_id)));
            match insert_new_posts(&txn, rows, how).await {
                Ok(inserted) => {
                    if how == PostInsert::Skipping {
                        self.overlapping.saw(tenant, inserted.len() < posts.len());
                    }
                    break (txn, inserted);
                }
                Err(e)
                    if how == PostInsert::Plain
                        && matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) =>
                {
                    // A post is stored already: the batch again, skipping those.
                    txn.rollback().await.map_err(db_err)?;
                    self.overlapping.saw(tenant, true);
                    how = PostInsert::Skipping;
                }
                Err(e) => return Err(db_err(e)),
            }
        };
        let (fresh, dup): (Vec<NewPost>, Vec<NewPost>) =
            posts.into_iter().partition(|p| inserted.contains(&p.post.id.0));
        let mut outcome = IngestOutcome {
            duplicates: dup.len(),
            unmatched: fresh.iter().filter(|p| p.mentions.is_empty()).count(),
            created: Vec::new(),
            brands: fresh
                .iter()
                .flat_map(|p| p.mentions.iter().map(|m| m.brand_id))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
        };
        // Rollups before the counter lock too, so only the mention rows wait
        // for it (the lock order of every writer: mention rows it changes,
        // rollup rows in key order, the counter; see `rollups::Deltas`).
        let mut deltas = Deltas::default();
        for p in &fresh {
            for m in &p.mentions {
                deltas.add(m.brand_id, &p.post, m.sentiment.label, 1);
            }
        }
        deltas.apply(&txn, tenant).await?;
        // The webhook outbox, in the same transaction: no event is lost, and
        // none is sent for a batch that did not commit.
        let subjects: Vec<(Uuid, &[Event])> =
            fresh.iter().flat_map(|p| p.mentions.iter().map(|m| (m.id.0, mention_events(m.sentiment.label)))).collect();
        if let Some(first) = fresh.first() {
            super::webhooks::enqueue(&txn, tenant, &subjects, first.post.created_at).await?;
        }
        let count = fresh.iter().map(|p| p.mentions.len() as i64).sum();
        let (mut seq, current) = lock_counter(&txn, tenant, count).await?;
        if current != brand_version {
            // A brand query changed after the batch was matched: match again
            // (rolling back, the rollups included).
            return Ok(None);
        }
        let mut mention_rows = Vec::new();
        for p in &fresh {
            for m in &p.mentions {
                seq += 1;
                mention_rows.push(mention_row(tenant, &p.post, m, seq));
                outcome.created.push(m.id);
            }
        }
        insert_mentions(&txn, mention_rows).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(Some(outcome))
    }

    async fn list_mentions(
        &self,
        tenant: TenantId,
        filter: &MentionFilter,
        order: MentionOrder,
        limit: u32,
    ) -> DomainResult<Vec<Mention>> {
        let mut q = mention::Entity::find().filter(filter_condition(tenant, filter));
        q = match order {
            MentionOrder::Newest { after } => {
                if let Some((at, seq)) = after {
                    q = q.filter(Condition::any().add(mention::Column::PublishedAt.lt(at)).add(
                        Condition::all().add(mention::Column::PublishedAt.eq(at)).add(mention::Column::Seq.lt(seq)),
                    ));
                }
                q.order_by_desc(mention::Column::PublishedAt).order_by_desc(mention::Column::Seq)
            }
            MentionOrder::SinceSeq(after) => {
                q.filter(mention::Column::Seq.gt(after)).order_by_asc(mention::Column::Seq)
            }
        };
        let rows = q.limit(limit as u64).all(&self.db).await.map_err(db_err)?;
        let posts = posts_by_id(&self.db, tenant, rows.iter().map(|m| m.post_id).collect()).await?;
        rows.into_iter()
            .map(|m| {
                let post = posts.get(&m.post_id).cloned().ok_or_else(|| corrupt("post", &m.post_id.to_string()))?;
                to_mention(m, post)
            })
            .collect()
    }

    async fn get_mention(&self, tenant: TenantId, id: MentionId) -> DomainResult<Mention> {
        let m = mention::Entity::find_by_id((tenant.0, id.0))
            .one(&self.db)
            .await
            .map_err(db_err)?
            .ok_or(DomainError::NotFound("mention"))?;
        let p = post::Entity::find_by_id((tenant.0, m.post_id))
            .one(&self.db)
            .await
            .map_err(db_err)?
            .ok_or_else(|| corrupt("post", &m.post_id.to_string()))?;
        to_mention(m, to_post(p)?)
    }

    async fn update_mention(&self, tenant: TenantId, m: &Mention, fields: MentionFields) -> DomainResult<()> {
        // Only the fields the change sets are written, so two people changing
        // different fields at once both win. A new label is a compare-and-set
        // on the label it replaces (the rollups move by the difference): a
        // concurrent relabel makes this one read again and retry.
        for _ in 0..5 {
            let txn = self.db.begin().await.map_err(db_err)?;
            let old = mention::Entity::find_by_id((tenant.0, m.id.0))
                .one(&txn)
                .await
                .map_err(db_err)?
                .ok_or(DomainError::NotFound("mention"))?;
            let mut update = mention::Entity::update_many()
                .col_expr(mention::Column::UpdatedAt, Expr::value(m.updated_at))
                .filter(mention::Column::TenantId.eq(tenant.0))
                .filter(mention::Column::Id.eq(m.id.0));
            if fields.sentiment {
                update = update
                    .col_expr(mention::Column::SentimentLabel, Expr::value(m.sentiment.label.as_str()))
                    .col_expr(mention::Column::SentimentScore, Expr::value(m.sentiment.score))
                    .col_expr(mention::Column::SentimentOrigin, Expr::value(m.sentiment.origin.as_str()))
                    .filter(mention::Column::SentimentLabel.eq(old.sentiment_label.clone()))
                    .filter(mention::Column::SentimentOrigin.eq(old.sentiment_origin.clone()));
            }
            if fields.status {
                update = update.col_expr(mention::Column::Status, Expr::value(m.status.as_str()));
            }
            if fields.assignee {
                update = update.col_expr(mention::Column::AssigneeId, Expr::value(m.assignee_id.map(|u| u.0)));
            }
            if fields.tags {
                update = update.col_expr(mention::Column::Tags, Expr::value(to_json(&m.tags)));
            }
            if update.exec(&txn).await.map_err(db_err)?.rows_affected == 0 {
                // Relabelled meanwhile (or deleted: the next read says so).
                txn.rollback().await.map_err(db_err)?;
                continue;
            }
            if fields.sentiment {
                relabelled(&txn, tenant, m, &old).await?;
            }
            return txn.commit().await.map_err(db_err);
        }
        Err(DomainError::Unavailable("the mention kept changing; try again".into()))
    }

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

    async fn claim_backfill(
        &self,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> DomainResult<Option<BackfillClaim>> {
        let claimable = || {
            Condition::any().add(brand::Column::BackfillStatus.eq(BackfillStatus::Pending.as_str())).add(
                Condition::all()
                    .add(brand::Column::BackfillStatus.eq(BackfillStatus::Running.as_str()))
                    .add(brand::Column::BackfillClaimedAt.lt(stale_before)),
            )
        };
        // Microseconds, what PostgreSQL keeps: the renewal compares it exactly.
        let now = now.trunc_subsecs(6);
        let Some(candidate) = brand::Entity::find()
            .filter(claimable())
            .order_by_asc(brand::Column::UpdatedAt)
            .one(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let res = brand::Entity::update_many()
            .col_expr(brand::Column::BackfillStatus, Expr::value(BackfillStatus::Running.as_str()))
            .col_expr(brand::Column::BackfillClaimedAt, Expr::value(now))
            .filter(brand::Column::TenantId.eq(candidate.tenant_id))
            .filter(brand::Column::Id.eq(candidate.id))
            .filter(brand::Column::QueryVersion.eq(candidate.query_version))
            .filter(claimable())
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        // Another worker won the race (or the query changed): try again later.
        Ok((res.rows_affected == 1).then_some(BackfillClaim {
            tenant_id: TenantId(candidate.tenant_id),
            brand_id: BrandId(candidate.id),
            version: candidate.query_version,
            claimed_at: now,
        }))
    }

    async fn renew_backfill(&self, claim: &mut BackfillClaim, now: DateTime<Utc>) -> DomainResult<bool> {
        let now = now.trunc_subsecs(6);
        let res = brand::Entity::update_many()
            .col_expr(brand::Column::BackfillClaimedAt, Expr::value(now))
            .filter(brand::Column::TenantId.eq(claim.tenant_id.0))
            .filter(brand::Column::Id.eq(claim.brand_id.0))
            .filter(brand::Column::QueryVersion.eq(claim.version))
            .filter(brand::Column::BackfillStatus.eq(BackfillStatus::Running.as_str()))
            .filter(brand::Column::BackfillClaimedAt.eq(claim.claimed_at))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 1 {
            claim.claimed_at = now;
        }
        Ok(res.rows_affected == 1)
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

    async fn recent_posts(&self, tenant: TenantId, since: DateTime<Utc>, limit: u32) -> DomainResult<Vec<Post>> {
        post::Entity::find()
            .filter(post::Column::TenantId.eq(tenant.0))
            .filter(post::Column::Text.is_not_null())
            .filter(post::Column::PublishedAt.gte(since))
            .order_by_desc(post::Column::PublishedAt)
            .limit(limit as u64)
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_post)
            .collect()
    }

    async fn post_texts(&self, tenant: TenantId, after: Option<PostId>, limit: u32) -> DomainResult<Vec<PostText>> {
        let mut q =
            post::Entity::find().filter(post::Column::TenantId.eq(tenant.0)).filter(post::Column::Text.is_not_null());
        if let Some(after) = after {
            q = q.filter(post::Column::Id.gt(after.0));
        }
        q.order_by_asc(post::Column::Id)
            .limit(limit as u64)
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|m| {
                let p = to_post(m)?;
                Ok(PostText {
                    id: p.id,
                    text: p.input.text.unwrap_or_default(),
                    language: p.input.language,
                    auto: p.auto,
                    provided: p.input.sentiment,
                })
            })
            .collect()
    }

    async fn apply_backfill(
        &self,
        tenant: TenantId,
        brand: BrandId,
        checked: &[PostId],
        matched: Vec<(PostId, NewMention)>,
    ) -> DomainResult<(u64, u64)> {
        let txn = self.db.begin().await.map_err(db_err)?;
        let existing = mention::Entity::find()
            .filter(mention::Column::TenantId.eq(tenant.0))
            .filter(mention::Column::BrandId.eq(brand.0))
            .filter(mention::Column::PostId.is_in(checked.iter().map(|p| p.0)))
            .all(&txn)
            .await
            .map_err(db_err)?;
        let have: HashSet<Uuid> = existing.iter().map(|m| m.post_id).collect();
        let still: HashSet<Uuid> = matched.iter().map(|(p, _)| p.0).collect();
        // Candidates: matched-link mentions whose post no longer matches. The
        // DELETE re-checks `model::mention::worked_on` on the row as it is then, so a
        // PATCH that lands meanwhile keeps its mention.
        let candidates: Vec<Uuid> = existing
            .iter()
            .filter(|m| !still.contains(&m.post_id) && m.link == MentionLink::Matched.as_str())
            .map(|m| m.id)
            .collect();
        let removed: Vec<mention::Model> = if candidates.is_empty() {
            Vec::new()
        } else {
            mention::Entity::delete_many()
                .filter(mention::Column::TenantId.eq(tenant.0))
                .filter(mention::Column::Id.is_in(candidates))
                .filter(mention::Column::Status.eq(MentionStatus::New.as_str()))
                .filter(mention::Column::SentimentOrigin.ne(SentimentOrigin::Manual.as_str()))
                .filter(mention::Column::AssigneeId.is_null())
                .filter(mention::Column::Tags.eq(to_json(&Vec::<String>::new())))
                .exec_with_returning(&txn)
                .await
                .map_err(db_err)?
        };
        let mut removed_posts = Vec::with_capacity(removed.len());
        for m in &removed {
            let label =
                SentimentLabel::parse(&m.sentiment_label).ok_or_else(|| corrupt("label", &m.sentiment_label))?;
            removed_posts.push((m.post_id, label));
        }
        let add: Vec<(PostId, NewMention)> = matched.into_iter().filter(|(p, _)| !have.contains(&p.0)).collect();
        let ids = add.iter().map(|(p, _)| p.0).chain(removed_posts.iter().map(|(p, _)| *p)).collect();
        let posts = posts_by_id(&txn, tenant, ids).await?;
        let add: Vec<(&Post, &NewMention)> = add.iter().filter_map(|(p, m)| Some((posts.get(&p.0)?, m))).collect();
        let mut deltas = Deltas::default();
        for (post, m) in &add {
            deltas.add(brand, post, m.sentiment.label, 1);
        }
        for (p, label) in &removed_posts {
            if let Some(post) = posts.get(p) {
                deltas.add(brand, post, *label, -1);
            }
        }
        // The lock order of every writer: mention rows, rollups, the counter.
        deltas.apply(&txn, tenant).await?;
        let (mut seq, _) = lock_counter(&txn, tenant, add.len() as i64).await?;
        if brand::Entity::find_by_id((tenant.0, brand.0)).one(&txn).await.map_err(db_err)?.is_none() {
            // Deleted since the claim: nothing may be written for it (no
            // foreign key would stop it on PostgreSQL).
            return Ok((0, 0));
        }
        let rows: Vec<mention::Model> = add
            .iter()
            .map(|(post, m)| {
                seq += 1;
                mention_row(tenant, post, m, seq)
            })
            .collect();
        let added = rows.len() as u64;
        insert_mentions(&txn, rows).await?;
        txn.commit().await.map_err(db_err)?;
        Ok((added, removed.len() as u64))
    }

    async fn finish_backfill(
        &self,
        claim: BackfillClaim,
        added: u64,
        removed: u64,
        now: DateTime<Utc>,
    ) -> DomainResult<()> {
        let done = brand::Entity::update_many()
            .col_expr(brand::Column::BackfillStatus, Expr::value(BackfillStatus::Done.as_str()))
            .col_expr(brand::Column::BackfilledVersion, Expr::value(claim.version))
            .col_expr(brand::Column::BackfillMatched, Expr::value(added as i64))
            .col_expr(brand::Column::BackfillRemoved, Expr::value(removed as i64))
            .col_expr(brand::Column::BackfillFinishedAt, Expr::value(now))
            .filter(brand::Column::TenantId.eq(claim.tenant_id.0))
            .filter(brand::Column::Id.eq(claim.brand_id.0))
            .filter(brand::Column::QueryVersion.eq(claim.version))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if done.rows_affected == 0 {
            // The query changed during the run: run again for the new version.
            brand::Entity::update_many()
                .col_expr(brand::Column::BackfillStatus, Expr::value(BackfillStatus::Pending.as_str()))
                .filter(brand::Column::TenantId.eq(claim.tenant_id.0))
                .filter(brand::Column::Id.eq(claim.brand_id.0))
                .exec(&self.db)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_that_repeats_posts_skips_the_plain_insert_for_a_while() {
        let memory = Overlapping::default();
        let (a, b) = (TenantId(Uuid::now_v7()), TenantId(Uuid::now_v7()));
        assert_eq!(memory.how(a), PostInsert::Plain);
        memory.saw(a, true);
        assert_eq!(memory.how(a), PostInsert::Skipping);
        assert_eq!(memory.how(b), PostInsert::Plain, "another tenant is not affected");
        for _ in 1..OVERLAP_MEMORY {
            memory.saw(a, false);
            assert_eq!(memory.how(a), PostInsert::Skipping);
        }
        memory.saw(a, false);
        assert_eq!(memory.how(a), PostInsert::Plain, "plain again after batches without repeats");
        memory.saw(a, true);
        memory.saw(a, false);
        memory.saw(a, true);
        for _ in 1..OVERLAP_MEMORY {
            memory.saw(a, false);
        }
        assert_eq!(memory.how(a), PostInsert::Skipping, "a new repeat starts the count again");
    }
}
