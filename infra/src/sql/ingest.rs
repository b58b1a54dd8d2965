//! Ingest on SQL: new posts and their mentions in one transaction, with
//! the tenant's sequence numbers and rollups.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use sea_orm::sea_query::{ArrayType, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    SqlErr,
};
use smrm_domain::DomainResult;
use smrm_domain::ids::{BrandId, TenantId};
use smrm_domain::model::integrations::{Event, mention_events};
use smrm_domain::model::mention::NewPost;
use smrm_domain::ports::{BrandQuery, IngestOutcome, IngestRepository};
use uuid::Uuid;

use super::entities::{brand, post, tenant_counter as counter};
use super::mentions::*;
use super::rollups::Deltas;
use super::unnest::{BatchForm, Unnest};
use super::{SqlStore, db_err, from_json};

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

/// The posts' INSERT on PostgreSQL. The rows are not needed afterwards:
/// their strings move into the arrays.
fn posts_insert(mut rows: Vec<post::Model>) -> Unnest {
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
        .nullable(
            "parent_external_id",
            "text",
            ArrayType::String,
            String::new(),
            rows.iter_mut().map(|r| r.parent_external_id.take()),
        )
        .nullable(
            "repost_of_external_id",
            "text",
            ArrayType::String,
            String::new(),
            rows.iter_mut().map(|r| r.repost_of_external_id.take()),
        )
}

/// Inserts the posts not stored yet (the unique index on platform and
/// external id decides) and returns the ids of those it stored. `Plain`
/// (PostgreSQL only) fails with a unique violation if any post is stored.
async fn insert_new_posts(
    txn: &DatabaseTransaction,
    rows: Vec<post::Model>,
    how: PostInsert,
    form: BatchForm,
) -> Result<HashSet<Uuid>, DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres && !rows.is_empty() {
        if how == PostInsert::Plain {
            let ids = rows.iter().map(|r| r.id).collect();
            posts_insert(rows).execute(txn, "", form).await?;
            return Ok(ids);
        }
        let tail = "ON CONFLICT (tenant_id, platform, external_id) DO NOTHING RETURNING id";
        let mut inserted = HashSet::new();
        for row in posts_insert(rows).query(txn, tail, form).await? {
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

#[async_trait]
impl IngestRepository for SqlStore {
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
        // On Citus a distributed INSERT reports a duplicate key as an
        // internal error (XX000), not as a unique violation, so the plain
        // INSERT's fallback could not tell it from a real failure: posts
        // always go in skipping the stored ones.
        let form = self.batch_form();
        let mut how = if self.citus { PostInsert::Skipping } else { self.overlapping.how(tenant) };
        let (txn, inserted) = loop {
            let txn = super::begin_write(&self.db).await?;
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
            match insert_new_posts(&txn, rows, how, form).await {
                Ok(inserted) => {
                    if how == PostInsert::Skipping && !self.citus {
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
            updated: 0,
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
        // Posts sent again with other counts: stored counts and rollups follow.
        outcome.updated = super::engagement::refresh(&txn, tenant, &dup, &mut deltas).await?;
        deltas.apply(&txn, tenant, form).await?;
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
        insert_mentions(&txn, mention_rows, form).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(Some(outcome))
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
