//! Brands and competitor sets.

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use smrm_domain::ids::{BrandId, CompetitorSetId, TenantId};
use smrm_domain::model::brand::{Backfill, BackfillStatus, Brand};
use smrm_domain::model::competitor_set::CompetitorSet;
use smrm_domain::page::{Page, PageRequest};
use smrm_domain::ports::{BrandRepository, CompetitorSetRepository};
use smrm_domain::{DomainError, DomainResult};
use uuid::Uuid;

use super::entities::{brand, brand_tombstone as tombstone, competitor_set, competitor_set_member as member, mention};
use super::{SqlStore, db_err, from_json, to_json};

/// The second step of a brand's deletion: its mentions, then its rollups
/// (the order in which ingest, backfill and a manual label lock them: no
/// foreign key cascades them on PostgreSQL, see migration 6), its answers,
/// placements and alert rules, then its tombstone. Idempotent.
async fn purge_brand(db: &DatabaseConnection, tenant: TenantId, id: BrandId) -> DomainResult<()> {
    let txn = super::begin_write(db).await?;
    mention::Entity::delete_many()
        .filter(mention::Column::TenantId.eq(tenant.0))
        .filter(mention::Column::BrandId.eq(id.0))
        .exec(&txn)
        .await
        .map_err(db_err)?;
    super::rollups::delete_brand(&txn, tenant, id).await?;
    use super::entities::{alert_rule, mention_response, placement};
    mention_response::Entity::delete_many()
        .filter(mention_response::Column::TenantId.eq(tenant.0))
        .filter(mention_response::Column::BrandId.eq(id.0))
        .exec(&txn)
        .await
        .map_err(db_err)?;
    placement::Entity::delete_many()
        .filter(placement::Column::TenantId.eq(tenant.0))
        .filter(placement::Column::BrandId.eq(id.0))
        .exec(&txn)
        .await
        .map_err(db_err)?;
    alert_rule::Entity::delete_many()
        .filter(alert_rule::Column::TenantId.eq(tenant.0))
        .filter(alert_rule::Column::BrandId.eq(id.0))
        .exec(&txn)
        .await
        .map_err(db_err)?;
    tombstone::Entity::delete_by_id((tenant.0, id.0)).exec(&txn).await.map_err(db_err)?;
    txn.commit().await.map_err(db_err)
}

fn to_brand(m: brand::Model) -> DomainResult<Brand> {
    Ok(Brand {
        id: BrandId(m.id),
        tenant_id: TenantId(m.tenant_id),
        name: m.name,
        keywords: from_json(m.keywords)?,
        excluded_keywords: from_json(m.excluded_keywords)?,
        languages: from_json(m.languages)?,
        created_at: m.created_at,
        updated_at: m.updated_at,
        backfill: Backfill {
            status: BackfillStatus::parse(&m.backfill_status)
                .ok_or_else(|| DomainError::Internal(format!("unknown backfill status `{}`", m.backfill_status)))?,
            matched: m.backfill_matched as u64,
            removed: m.backfill_removed as u64,
            finished_at: m.backfill_finished_at,
        },
    })
}

/// A new brand: its first query version, waiting for its backfill.
fn brand_row(tenant: TenantId, b: &Brand) -> brand::ActiveModel {
    brand::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(b.id.0),
        name: Set(b.name.clone()),
        keywords: Set(to_json(&b.keywords)),
        excluded_keywords: Set(to_json(&b.excluded_keywords)),
        languages: Set(to_json(&b.languages)),
        created_at: Set(b.created_at),
        updated_at: Set(b.updated_at),
        backfill_status: Set(BackfillStatus::Pending.as_str().into()),
        backfill_claimed_at: Set(None),
        backfill_finished_at: Set(None),
        backfill_matched: Set(0),
        backfill_removed: Set(0),
        query_version: Set(1),
        backfilled_version: Set(0),
    }
}

/// Every change of a tenant's brand queries bumps its version: the key under
/// which every replica caches the tenant's compiled matcher.
pub(crate) async fn bump_brand_version(db: &impl ConnectionTrait, tenant: TenantId) -> DomainResult<()> {
    use super::entities::tenant_counter as counter;
    counter::Entity::insert(counter::ActiveModel {
        tenant_id: Set(tenant.0),
        mention_seq: Set(0),
        brand_version: Set(1),
    })
    .on_conflict(
        OnConflict::column(counter::Column::TenantId)
            .value(counter::Column::BrandVersion, Expr::col((counter::Entity, counter::Column::BrandVersion)).add(1))
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Brand names are unique per tenant.
fn name_conflict(e: sea_orm::DbErr) -> DomainError {
    match db_err(e) {
        DomainError::Conflict(_) => DomainError::Conflict("a brand with this name already exists".into()),
        other => other,
    }
}

fn set_row(tenant: TenantId, s: &CompetitorSet) -> competitor_set::ActiveModel {
    competitor_set::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(s.id.0),
        name: Set(s.name.clone()),
        brand_id: Set(s.brand_id.0),
        created_at: Set(s.created_at),
        updated_at: Set(s.updated_at),
    }
}

async fn insert_members(db: &impl ConnectionTrait, tenant: TenantId, s: &CompetitorSet) -> DomainResult<()> {
    if s.competitor_ids.is_empty() {
        return Ok(());
    }
    let rows = s.competitor_ids.iter().enumerate().map(|(i, b)| member::ActiveModel {
        tenant_id: Set(tenant.0),
        set_id: Set(s.id.0),
        brand_id: Set(b.0),
        position: Set(i as i32),
    });
    member::Entity::insert_many(rows).exec_without_returning(db).await.map_err(db_err)?;
    Ok(())
}

/// Fills in the competitors of each set, in their stored order.
async fn with_members(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    sets: Vec<competitor_set::Model>,
) -> DomainResult<Vec<CompetitorSet>> {
    let ids: Vec<Uuid> = sets.iter().map(|s| s.id).collect();
    let mut members: BTreeMap<Uuid, Vec<(i32, BrandId)>> = BTreeMap::new();
    if !ids.is_empty() {
        for m in member::Entity::find()
            .filter(member::Column::TenantId.eq(tenant.0))
            .filter(member::Column::SetId.is_in(ids))
            .all(db)
            .await
            .map_err(db_err)?
        {
            members.entry(m.set_id).or_default().push((m.position, BrandId(m.brand_id)));
        }
    }
    Ok(sets
        .into_iter()
        .map(|s| {
            let mut competitors = members.remove(&s.id).unwrap_or_default();
            competitors.sort_by_key(|(pos, _)| *pos);
            CompetitorSet {
                id: CompetitorSetId(s.id),
                tenant_id: tenant,
                name: s.name,
                brand_id: BrandId(s.brand_id),
                competitor_ids: competitors.into_iter().map(|(_, b)| b).collect(),
                created_at: s.created_at,
                updated_at: s.updated_at,
            }
        })
        .collect())
}

#[async_trait]
impl BrandRepository for SqlStore {
    async fn insert_brand(&self, tenant: TenantId, b: &Brand) -> DomainResult<()> {
        // The counter row first, as ingest takes it first: one lock order, no deadlock.
        let txn = super::begin_write(&self.db).await?;
        bump_brand_version(&txn, tenant).await?;
        brand::Entity::insert(brand_row(tenant, b)).exec_without_returning(&txn).await.map_err(name_conflict)?;
        txn.commit().await.map_err(db_err)
    }

    async fn get_brand(&self, tenant: TenantId, id: BrandId) -> DomainResult<Brand> {
        let m = brand::Entity::find_by_id((tenant.0, id.0)).one(&self.db).await.map_err(db_err)?;
        to_brand(m.ok_or(DomainError::NotFound("brand"))?)
    }

    async fn list_brands(
        &self,
        tenant: TenantId,
        only: Option<&[BrandId]>,
        page: PageRequest,
    ) -> DomainResult<Page<Brand>> {
        let mut q = brand::Entity::find().filter(brand::Column::TenantId.eq(tenant.0));
        if let Some(only) = only {
            q = q.filter(brand::Column::Id.is_in(only.iter().map(|b| b.0)));
        }
        if let Some(after) = page.after {
            q = q.filter(brand::Column::Id.gt(after));
        }
        let rows =
            q.order_by_asc(brand::Column::Id).limit(page.limit as u64 + 1).all(&self.db).await.map_err(db_err)?;
        let brands = rows.into_iter().map(to_brand).collect::<DomainResult<Vec<_>>>()?;
        Ok(Page::from_overfetch(brands, page.limit, |b| b.id.0))
    }

    async fn update_brand(&self, tenant: TenantId, b: &Brand, query_changed: bool) -> DomainResult<()> {
        let txn = super::begin_write(&self.db).await?;
        if query_changed {
            bump_brand_version(&txn, tenant).await?;
        }
        let mut update = brand::Entity::update_many()
            .col_expr(brand::Column::Name, Expr::value(b.name.clone()))
            .col_expr(brand::Column::Keywords, Expr::value(to_json(&b.keywords)))
            .col_expr(brand::Column::ExcludedKeywords, Expr::value(to_json(&b.excluded_keywords)))
            .col_expr(brand::Column::Languages, Expr::value(to_json(&b.languages)))
            .col_expr(brand::Column::UpdatedAt, Expr::value(b.updated_at));
        if query_changed {
            update = update
                .col_expr(brand::Column::BackfillStatus, Expr::value(BackfillStatus::Pending.as_str()))
                .col_expr(brand::Column::QueryVersion, Expr::col(brand::Column::QueryVersion).add(1));
        }
        update
            .filter(brand::Column::TenantId.eq(tenant.0))
            .filter(brand::Column::Id.eq(b.id.0))
            .exec(&txn)
            .await
            .map_err(name_conflict)?;
        txn.commit().await.map_err(db_err)
    }

    async fn delete_brand(&self, tenant: TenantId, id: BrandId, now: DateTime<Utc>) -> DomainResult<()> {
        let txn = super::begin_write(&self.db).await?;
        bump_brand_version(&txn, tenant).await?;
        let as_member: Vec<Uuid> = member::Entity::find()
            .select_only()
            .column(member::Column::SetId)
            .filter(member::Column::TenantId.eq(tenant.0))
            .filter(member::Column::BrandId.eq(id.0))
            .into_tuple()
            .all(&txn)
            .await
            .map_err(db_err)?;
        let users: Vec<competitor_set::Model> = competitor_set::Entity::find()
            .filter(competitor_set::Column::TenantId.eq(tenant.0))
            .filter(
                Condition::any()
                    .add(competitor_set::Column::BrandId.eq(id.0))
                    .add(competitor_set::Column::Id.is_in(as_member)),
            )
            .order_by_asc(competitor_set::Column::Id)
            .all(&txn)
            .await
            .map_err(db_err)?;
        if !users.is_empty() {
            let names: Vec<String> = users.iter().map(|s| format!("`{}` ({})", s.name, s.id)).collect();
            return Err(DomainError::Conflict(format!(
                "the brand is used by the competitor set(s) {}: remove it from them or delete them first",
                names.join(", ")
            )));
        }
        let res = brand::Entity::delete_by_id((tenant.0, id.0)).exec(&txn).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("brand"));
        }
        tombstone::Entity::insert(tombstone::ActiveModel {
            tenant_id: Set(tenant.0),
            brand_id: Set(id.0),
            deleted_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        // Committed: the brand is gone, and with the version bumped no ingest
        // or backfill adds anything for it any more.
        if let Err(e) = purge_brand(&self.db, tenant, id).await {
            tracing::warn!(error = %e, brand = %id.0, "brand purge cut short; the background worker finishes it");
        }
        Ok(())
    }

    async fn purge_deleted_brands(&self, limit: u64) -> DomainResult<u64> {
        let pending = tombstone::Entity::find()
            .order_by_asc(tombstone::Column::DeletedAt)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        for t in &pending {
            purge_brand(&self.db, TenantId(t.tenant_id), BrandId(t.brand_id)).await?;
        }
        Ok(pending.len() as u64)
    }

    async fn missing_brands(&self, tenant: TenantId, ids: &[BrandId]) -> DomainResult<Vec<BrandId>> {
        // However many ids a caller sends, each query binds at most
        // `IN_CHUNK` of them (both databases cap a statement's parameters).
        const IN_CHUNK: usize = 1000;
        let distinct: Vec<Uuid> = ids.iter().map(|b| b.0).collect::<HashSet<_>>().into_iter().collect();
        let mut found: HashSet<Uuid> = HashSet::with_capacity(distinct.len());
        for chunk in distinct.chunks(IN_CHUNK) {
            let rows: Vec<Uuid> = brand::Entity::find()
                .select_only()
                .column(brand::Column::Id)
                .filter(brand::Column::TenantId.eq(tenant.0))
                .filter(brand::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(db_err)?;
            found.extend(rows);
        }
        Ok(ids.iter().copied().filter(|b| !found.contains(&b.0)).collect())
    }
}

#[async_trait]
impl CompetitorSetRepository for SqlStore {
    async fn insert_set(&self, tenant: TenantId, s: &CompetitorSet) -> DomainResult<()> {
        let txn = super::begin_write(&self.db).await?;
        competitor_set::Entity::insert(set_row(tenant, s)).exec_without_returning(&txn).await.map_err(db_err)?;
        insert_members(&txn, tenant, s).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn get_set(&self, tenant: TenantId, id: CompetitorSetId) -> DomainResult<CompetitorSet> {
        let m = competitor_set::Entity::find_by_id((tenant.0, id.0))
            .one(&self.db)
            .await
            .map_err(db_err)?
            .ok_or(DomainError::NotFound("competitor set"))?;
        Ok(with_members(&self.db, tenant, vec![m]).await?.remove(0))
    }

    async fn list_sets(
        &self,
        tenant: TenantId,
        only: Option<&[BrandId]>,
        page: PageRequest,
    ) -> DomainResult<Page<CompetitorSet>> {
        let mut q = competitor_set::Entity::find().filter(competitor_set::Column::TenantId.eq(tenant.0));
        if let Some(only) = only {
            q = q.filter(competitor_set::Column::BrandId.is_in(only.iter().map(|b| b.0)));
        }
        if let Some(after) = page.after {
            q = q.filter(competitor_set::Column::Id.gt(after));
        }
        let rows = q
            .order_by_asc(competitor_set::Column::Id)
            .limit(page.limit as u64 + 1)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let sets = with_members(&self.db, tenant, rows).await?;
        Ok(Page::from_overfetch(sets, page.limit, |s| s.id.0))
    }

    async fn update_set(&self, tenant: TenantId, s: &CompetitorSet) -> DomainResult<()> {
        let txn = super::begin_write(&self.db).await?;
        competitor_set::Entity::update(set_row(tenant, s)).exec(&txn).await.map_err(db_err)?;
        member::Entity::delete_many()
            .filter(member::Column::TenantId.eq(tenant.0))
            .filter(member::Column::SetId.eq(s.id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        insert_members(&txn, tenant, s).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn delete_set(&self, tenant: TenantId, id: CompetitorSetId) -> DomainResult<()> {
        let res = competitor_set::Entity::delete_by_id((tenant.0, id.0)).exec(&self.db).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("competitor set"));
        }
        Ok(())
    }
}
