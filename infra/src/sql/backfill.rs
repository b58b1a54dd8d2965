//! Backfill on SQL: claims on the brand row, and one page of stored posts
//! re-matched at a time.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement};
use smrm_domain::DomainResult;
use smrm_domain::ids::{BrandId, PostId, TenantId};
use smrm_domain::model::brand::BackfillStatus;
use smrm_domain::model::mention::{MentionLink, MentionStatus, NewMention, Post, SentimentLabel, SentimentOrigin};
use smrm_domain::ports::{BackfillClaim, BackfillRepository, PostText};
use uuid::Uuid;

use super::entities::{brand, mention, post};
use super::mentions::*;
use super::rollups::Deltas;
use super::{SqlStore, db_err, to_json};

#[async_trait]
impl BackfillRepository for SqlStore {
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
        // Fair between tenants: each tenant's backfills are numbered, those
        // running first, then its pending ones oldest first; the claim takes
        // the lowest number across tenants, and between equals the tenant
        // served least recently. A tenant that queued a thousand brands
        // takes turns with one that queued one, instead of going first.
        let backend = self.db.get_database_backend();
        let p = |n: usize| if backend == DbBackend::Postgres { format!("${n}") } else { "?".to_owned() };
        let sql = format!(
            "SELECT b.* FROM brands b JOIN ( \
               SELECT tenant_id, id, ROW_NUMBER() OVER (PARTITION BY tenant_id \
                 ORDER BY CASE WHEN backfill_status = {p1} THEN 0 ELSE 1 END, updated_at, id) AS turn \
               FROM brands WHERE backfill_status IN ({p2}, {p3}) \
             ) q ON b.tenant_id = q.tenant_id AND b.id = q.id \
             JOIN (SELECT tenant_id, MAX(backfill_claimed_at) AS served FROM brands GROUP BY tenant_id) t \
               ON t.tenant_id = b.tenant_id \
             WHERE b.backfill_status = {p4} OR (b.backfill_status = {p5} AND b.backfill_claimed_at < {p6}) \
             ORDER BY q.turn, CASE WHEN t.served IS NULL THEN 0 ELSE 1 END, t.served, b.updated_at LIMIT 1",
            p1 = p(1),
            p2 = p(2),
            p3 = p(3),
            p4 = p(4),
            p5 = p(5),
            p6 = p(6),
        );
        let (running, pending) = (BackfillStatus::Running.as_str(), BackfillStatus::Pending.as_str());
        let values: [sea_orm::Value; 6] =
            [running.into(), running.into(), pending.into(), pending.into(), running.into(), stale_before.into()];
        let Some(candidate) = brand::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(backend, sql, values))
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

    async fn release_backfill(&self, claim: BackfillClaim) -> DomainResult<()> {
        brand::Entity::update_many()
            .col_expr(brand::Column::BackfillStatus, Expr::value(BackfillStatus::Pending.as_str()))
            .filter(brand::Column::TenantId.eq(claim.tenant_id.0))
            .filter(brand::Column::Id.eq(claim.brand_id.0))
            .filter(brand::Column::BackfillStatus.eq(BackfillStatus::Running.as_str()))
            .filter(brand::Column::BackfillClaimedAt.eq(claim.claimed_at))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
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
        let txn = super::begin_write(&self.db).await?;
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
        deltas.apply(&txn, tenant, self.batch_form()).await?;
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
        insert_mentions(&txn, rows, self.batch_form()).await?;
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
