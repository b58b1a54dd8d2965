//! Posts and mentions: ingest in one transaction per batch, the inbox query,
//! and backfill steps.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{ArrayType, Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Select,
};
use smrm_domain::ids::{BrandId, MentionId, PostId, TenantId, UserId};
use smrm_domain::model::mention::{
    Author, Mention, MentionFilter, MentionLink, MentionOrder, MentionPage, MentionStatus, NewMention, Post, PostInput,
    SEARCH_WINDOW, Sentiment, SentimentLabel, SentimentOrigin, SourceType, author_key,
};
use smrm_domain::model::sentiment::Correction;
use smrm_domain::ports::{InboxRepository, MentionFields};
use smrm_domain::text::fold;
use smrm_domain::{DomainError, DomainResult};
use uuid::Uuid;

use super::entities::{mention, post, tenant_counter as counter};
use super::rollups::Deltas;
use super::unnest::{BatchForm, Unnest};
use super::{SqlStore, db_err, from_json, to_json};

/// `posts.auto_label` of a post not scored yet (it matched no brand when it
/// came; see `Post::auto`). The column predates unscored posts and stays
/// NOT NULL: SQLite cannot relax a column without rebuilding its table.
pub(super) const UNSCORED: &str = "";

/// Rows per INSERT (and per id lookup), well under the bind-parameter limits.
pub(super) const CHUNK: usize = 500;

pub(super) fn corrupt(what: &str, value: &str) -> DomainError {
    DomainError::Internal(format!("unknown {what} `{value}` in the database"))
}

pub(super) fn to_i64(v: Option<u64>) -> Option<i64> {
    v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

pub(super) fn to_u64(v: Option<i64>) -> Option<u64> {
    v.map(|n| u64::try_from(n).unwrap_or(0))
}

pub(super) fn post_row(tenant: TenantId, p: &Post, folded: Option<String>) -> post::Model {
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
        parent_external_id: i.parent_external_id.clone(),
        repost_of_external_id: i.repost_of_external_id.clone(),
    }
}

pub(super) fn to_post(m: post::Model) -> DomainResult<Post> {
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
            parent_external_id: m.parent_external_id,
            repost_of_external_id: m.repost_of_external_id,
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

pub(super) fn mention_row(tenant: TenantId, p: &Post, m: &NewMention, seq: i64) -> mention::Model {
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

pub(super) fn to_mention(m: mention::Model, post: Post) -> DomainResult<Mention> {
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
pub(super) async fn lock_counter(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    reserve: i64,
) -> DomainResult<(i64, i64)> {
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
pub(super) async fn relabelled(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    m: &Mention,
    old: &mention::Model,
    form: BatchForm,
) -> DomainResult<()> {
    if old.sentiment_label != m.sentiment.label.as_str() {
        let was = SentimentLabel::parse(&old.sentiment_label).ok_or_else(|| corrupt("label", &old.sentiment_label))?;
        let mut deltas = Deltas::default();
        deltas.add(m.brand_id, &m.post, was, -1);
        deltas.add(m.brand_id, &m.post, m.sentiment.label, 1);
        deltas.apply(txn, tenant, form).await?;
    }
    let changed =
        old.sentiment_origin != m.sentiment.origin.as_str() || old.sentiment_label != m.sentiment.label.as_str();
    if m.sentiment.origin == SentimentOrigin::Manual
        && changed
        && let Some(text) = &m.post.input.text
    {
        let correction = Correction {
            label: m.sentiment.label,
            text: text.clone(),
            language: m.post.input.language.clone(),
            targets: m.matched_words.clone(),
        };
        super::sentiment::record_correction(txn, tenant, (m.post.id, m.brand_id), &correction, m.updated_at).await?;
    }
    Ok(())
}

pub(super) async fn insert_mentions(
    txn: &DatabaseTransaction,
    rows: Vec<mention::Model>,
    form: BatchForm,
) -> DomainResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        // New mentions have no assignee and no response yet (NULL). The
        // rows' strings move into the arrays.
        let mut rows = rows;
        Unnest::into("mentions")
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
            .execute(txn, "", form)
            .await
            .map_err(db_err)?;
        return Ok(());
    }
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk = rows.by_ref().take(CHUNK).map(IntoActiveModel::into_active_model);
        mention::Entity::insert_many(chunk).exec_without_returning(txn).await.map_err(db_err)?;
    }
    Ok(())
}

pub(super) async fn posts_by_id(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ids: Vec<Uuid>,
) -> DomainResult<HashMap<Uuid, Post>> {
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

/// The filters of `f` but its text search (see `list_mentions`).
pub(super) fn filter_condition(tenant: TenantId, f: &MentionFilter) -> Condition {
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
    c
}

/// A listing's position: the `(published_at, seq)` of a mention.
type Key = (DateTime<Utc>, i64);

/// The mentions after `order`'s position, and `order`'s sort.
fn ordered(q: Select<mention::Entity>, order: MentionOrder) -> Select<mention::Entity> {
    use mention::Column as M;
    match order {
        MentionOrder::Newest { after } => {
            let q = match after {
                // The plain bound on `published_at` lets both databases
                // start the index range there; the OR then only decides ties.
                Some((at, seq)) => q.filter(M::PublishedAt.lte(at)).filter(
                    Condition::any()
                        .add(M::PublishedAt.lt(at))
                        .add(Condition::all().add(M::PublishedAt.eq(at)).add(M::Seq.lt(seq))),
                ),
                None => q,
            };
            q.order_by_desc(M::PublishedAt).order_by_desc(M::Seq)
        }
        MentionOrder::SinceSeq(after) => q.filter(M::Seq.gt(after)).order_by_asc(M::Seq),
    }
}

/// The position right after `key` in `order`'s sort.
fn after(order: MentionOrder, (at, seq): Key) -> MentionOrder {
    match order {
        MentionOrder::Newest { .. } => MentionOrder::Newest { after: Some((at, seq)) },
        MentionOrder::SinceSeq(_) => MentionOrder::SinceSeq(seq),
    }
}

impl SqlStore {
    /// A text search's page: the next `SEARCH_WINDOW` mentions of `listing`
    /// (keys only, through the listing's index), the posts among theirs whose
    /// folded text contains `folded` (looked up by key, in chunks), then the
    /// first `limit` matches. Its cost is bounded by the window whatever the
    /// tenant stores, and no plan can turn it into a scan of every post.
    async fn search_window(
        &self,
        tenant: TenantId,
        listing: Select<mention::Entity>,
        order: MentionOrder,
        folded: &str,
        limit: u32,
    ) -> DomainResult<(Vec<mention::Model>, Option<MentionOrder>)> {
        use mention::Column as M;
        let window: Vec<(Uuid, Uuid, DateTime<Utc>, i64)> = listing
            .select_only()
            .columns([M::Id, M::PostId, M::PublishedAt, M::Seq])
            .limit(u64::from(SEARCH_WINDOW))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let escaped = folded.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let post_ids: Vec<Uuid> = window.iter().map(|w| w.1).collect::<HashSet<_>>().into_iter().collect();
        let mut matching = HashSet::new();
        for chunk in post_ids.chunks(CHUNK) {
            let ids: Vec<Uuid> = post::Entity::find()
                .select_only()
                .column(post::Column::Id)
                .filter(post::Column::TenantId.eq(tenant.0))
                .filter(post::Column::Id.is_in(chunk.iter().copied()))
                .filter(Expr::col(post::Column::TextFolded).like(LikeExpr::new(format!("%{escaped}%")).escape('\\')))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(db_err)?;
            matching.extend(ids);
        }
        let mut hits: Vec<&(Uuid, Uuid, DateTime<Utc>, i64)> =
            window.iter().filter(|w| matching.contains(&w.1)).take(limit as usize + 1).collect();
        let next = if hits.len() > limit as usize {
            hits.truncate(limit as usize);
            hits.last().map(|h| after(order, (h.2, h.3)))
        } else if window.len() == SEARCH_WINDOW as usize {
            window.last().map(|w| after(order, (w.2, w.3)))
        } else {
            None
        };
        let rank: HashMap<Uuid, usize> = hits.iter().enumerate().map(|(i, h)| (h.0, i)).collect();
        let mut rows = mention::Entity::find()
            .filter(M::TenantId.eq(tenant.0))
            .filter(M::Id.is_in(rank.keys().copied()))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        rows.sort_by_key(|m| rank.get(&m.id).copied());
        Ok((rows, next))
    }
}

#[async_trait]
impl InboxRepository for SqlStore {
    async fn list_mentions(
        &self,
        tenant: TenantId,
        filter: &MentionFilter,
        order: MentionOrder,
        limit: u32,
    ) -> DomainResult<MentionPage> {
        let listing = ordered(mention::Entity::find().filter(filter_condition(tenant, filter)), order);
        let (rows, next) = match &filter.q {
            None => {
                let mut rows = listing.limit(u64::from(limit) + 1).all(&self.db).await.map_err(db_err)?;
                let next = if rows.len() > limit as usize {
                    rows.truncate(limit as usize);
                    rows.last().map(|m| after(order, (m.published_at, m.seq)))
                } else {
                    None
                };
                (rows, next)
            }
            Some(q) => self.search_window(tenant, listing, order, &fold(q), limit).await?,
        };
        let posts = posts_by_id(&self.db, tenant, rows.iter().map(|m| m.post_id).collect()).await?;
        let items = rows
            .into_iter()
            .map(|m| {
                let post = posts.get(&m.post_id).cloned().ok_or_else(|| corrupt("post", &m.post_id.to_string()))?;
                to_mention(m, post)
            })
            .collect::<DomainResult<_>>()?;
        Ok(MentionPage { items, next })
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
            let txn = super::begin_write(&self.db).await?;
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
                relabelled(&txn, tenant, m, &old, self.batch_form()).await?;
            }
            return txn.commit().await.map_err(db_err);
        }
        Err(DomainError::Unavailable("the mention kept changing; try again".into()))
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
}
