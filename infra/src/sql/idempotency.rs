//! Idempotency keys: claimed with an insert (the primary key makes exactly one
//! concurrent request the winner), completed with the response to replay.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use smrm_domain::DomainResult;
use smrm_domain::ids::TenantId;
use smrm_domain::ports::{IdempotencyClaim, IdempotencyStore, StoredResponse};

use super::entities::idempotency_key as row;
use super::{SqlStore, db_err};

#[async_trait]
impl IdempotencyStore for SqlStore {
    async fn claim(
        &self,
        scope: TenantId,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> DomainResult<IdempotencyClaim> {
        let expired_before = now - chrono::Duration::from_std(ttl).unwrap_or_default();
        // A claim still unanswered after 5 minutes belongs to a request that
        // died (crash, restart): the key is free again.
        let abandoned_before = now - chrono::Duration::minutes(5);
        row::Entity::delete_many()
            .filter(row::Column::TenantId.eq(scope.0))
            .filter(row::Column::Key.eq(key))
            .filter(
                sea_orm::Condition::any().add(row::Column::CreatedAt.lt(expired_before)).add(
                    sea_orm::Condition::all()
                        .add(row::Column::Status.is_null())
                        .add(row::Column::CreatedAt.lt(abandoned_before)),
                ),
            )
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        let insert = row::Entity::insert(row::ActiveModel {
            tenant_id: Set(scope.0),
            key: Set(key.to_owned()),
            request_hash: Set(request_hash.to_owned()),
            status: Set(None),
            content_type: Set(None),
            location: Set(None),
            body: Set(None),
            created_at: Set(now),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&self.db)
        .await
        .map_err(db_err)?;
        if matches!(insert, sea_orm::TryInsertResult::Inserted(1)) {
            return Ok(IdempotencyClaim::Claimed);
        }
        let Some(existing) = row::Entity::find_by_id((scope.0, key.to_owned())).one(&self.db).await.map_err(db_err)?
        else {
            // Released between our insert and read: the caller may simply retry.
            return Ok(IdempotencyClaim::InFlight);
        };
        if existing.request_hash != request_hash {
            return Ok(IdempotencyClaim::Mismatch);
        }
        Ok(match existing.status {
            None => IdempotencyClaim::InFlight,
            Some(status) => IdempotencyClaim::Replay(StoredResponse {
                status: status as u16,
                content_type: existing.content_type,
                location: existing.location,
                body: existing.body.unwrap_or_default(),
            }),
        })
    }

    async fn complete(&self, scope: TenantId, key: &str, r: &StoredResponse) -> DomainResult<()> {
        row::Entity::update_many()
            .col_expr(row::Column::Status, Expr::value(r.status as i32))
            .col_expr(row::Column::ContentType, Expr::value(r.content_type.clone()))
            .col_expr(row::Column::Location, Expr::value(r.location.clone()))
            .col_expr(row::Column::Body, Expr::value(r.body.clone()))
            .filter(row::Column::TenantId.eq(scope.0))
            .filter(row::Column::Key.eq(key))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn release(&self, scope: TenantId, key: &str) -> DomainResult<()> {
        row::Entity::delete_by_id((scope.0, key.to_owned())).exec(&self.db).await.map_err(db_err)?;
        Ok(())
    }

    async fn purge(&self, before: DateTime<Utc>) -> DomainResult<u64> {
        let res = row::Entity::delete_many()
            .filter(row::Column::CreatedAt.lt(before))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(res.rows_affected)
    }
}
