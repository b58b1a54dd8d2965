//! Sentiment corrections, adaptations and model choices per tenant.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use smrm_domain::ids::{BrandId, PostId, TenantId};
use smrm_domain::model::mention::SentimentLabel;
use smrm_domain::model::sentiment::{AdaptationClaim, Correction, ModelChoice, ModelEndpoint, ModelState};
use smrm_domain::ports::SentimentRepository;
use smrm_domain::{DomainError, DomainResult};

use super::entities::{sentiment_correction, sentiment_model};
use super::{SqlStore, db_err};

fn endpoint_of(m: &sentiment_model::Model) -> Option<ModelEndpoint> {
    let url = m.endpoint_url.clone()?;
    let timeout_ms = u32::try_from(m.endpoint_timeout_ms.unwrap_or(0)).unwrap_or(0);
    Some(ModelEndpoint { url, timeout_ms })
}

/// Makes sure the tenant has its model row (all zeros).
async fn ensure_row(db: &impl ConnectionTrait, tenant: TenantId) -> DomainResult<()> {
    sentiment_model::Entity::insert(sentiment_model::ActiveModel {
        tenant_id: Set(tenant.0),
        corrections_version: Set(0),
        trained_version: Set(0),
        trained_on: Set(0),
        trained_at: Set(None),
        claimed_at: Set(None),
        adaptation: Set(None),
        endpoint_url: Set(None),
        endpoint_timeout_ms: Set(None),
    })
    .on_conflict(OnConflict::column(sentiment_model::Column::TenantId).do_nothing().to_owned())
    .exec_without_returning(db)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Keeps a manual label of a mention with its post's text and the words
/// its brand matched (the latest label per post and brand), and moves the
/// tenant's corrections version, so its adaptation retrains. Runs in the
/// transaction that writes the label.
pub(super) async fn record_correction(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    (post, brand): (PostId, BrandId),
    correction: &Correction,
    at: DateTime<Utc>,
) -> DomainResult<()> {
    sentiment_correction::Entity::insert(sentiment_correction::ActiveModel {
        tenant_id: Set(tenant.0),
        post_id: Set(post.0),
        brand_id: Set(brand.0),
        label: Set(correction.label.as_str().to_owned()),
        text: Set(correction.text.clone()),
        language: Set(correction.language.clone()),
        created_at: Set(at),
        targets: Set(super::to_json(&correction.targets)),
    })
    .on_conflict(
        OnConflict::columns([
            sentiment_correction::Column::TenantId,
            sentiment_correction::Column::PostId,
            sentiment_correction::Column::BrandId,
        ])
        .update_columns([
            sentiment_correction::Column::Label,
            sentiment_correction::Column::CreatedAt,
            sentiment_correction::Column::Targets,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map_err(db_err)?;
    ensure_row(db, tenant).await?;
    sentiment_model::Entity::update_many()
        .col_expr(
            sentiment_model::Column::CorrectionsVersion,
            Expr::col(sentiment_model::Column::CorrectionsVersion).add(1),
        )
        .filter(sentiment_model::Column::TenantId.eq(tenant.0))
        .exec(db)
        .await
        .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl SentimentRepository for SqlStore {
    async fn model_choice(&self, tenant: TenantId) -> DomainResult<ModelChoice> {
        let row = sentiment_model::Entity::find_by_id(tenant.0).one(&self.db).await.map_err(db_err)?;
        Ok(row.map_or_else(ModelChoice::default, |m| ModelChoice {
            adaptation_version: if m.adaptation.is_some() { m.trained_version } else { 0 },
            endpoint: endpoint_of(&m),
        }))
    }

    async fn model_state(&self, tenant: TenantId) -> DomainResult<ModelState> {
        let row = sentiment_model::Entity::find_by_id(tenant.0).one(&self.db).await.map_err(db_err)?;
        let corrections = sentiment_correction::Entity::find()
            .filter(sentiment_correction::Column::TenantId.eq(tenant.0))
            .count(&self.db)
            .await
            .map_err(db_err)?;
        Ok(match row {
            None => ModelState { corrections, ..Default::default() },
            Some(m) => ModelState {
                corrections,
                trained_on: u64::try_from(m.trained_on).unwrap_or(0),
                trained_at: m.trained_at,
                pending: m.corrections_version > m.trained_version,
                endpoint: endpoint_of(&m),
            },
        })
    }

    async fn set_endpoint(&self, tenant: TenantId, endpoint: Option<&ModelEndpoint>) -> DomainResult<()> {
        ensure_row(&self.db, tenant).await?;
        sentiment_model::Entity::update_many()
            .col_expr(sentiment_model::Column::EndpointUrl, Expr::value(endpoint.map(|e| e.url.clone())))
            .col_expr(
                sentiment_model::Column::EndpointTimeoutMs,
                Expr::value(endpoint.map(|e| i32::try_from(e.timeout_ms).unwrap_or(i32::MAX))),
            )
            .filter(sentiment_model::Column::TenantId.eq(tenant.0))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn claim_adaptation(
        &self,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> DomainResult<Option<AdaptationClaim>> {
        use sea_orm::Condition;
        let due = sentiment_model::Entity::find()
            .filter(
                Expr::col(sentiment_model::Column::CorrectionsVersion)
                    .gt(Expr::col(sentiment_model::Column::TrainedVersion)),
            )
            .filter(
                Condition::any()
                    .add(sentiment_model::Column::ClaimedAt.is_null())
                    .add(sentiment_model::Column::ClaimedAt.lt(stale_before)),
            )
            .order_by_asc(sentiment_model::Column::TenantId)
            .limit(8)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        for row in due {
            // Compare-and-set on the claim: one trainer per tenant.
            let mut cas = sentiment_model::Entity::update_many()
                .col_expr(sentiment_model::Column::ClaimedAt, Expr::value(Some(now)))
                .filter(sentiment_model::Column::TenantId.eq(row.tenant_id));
            cas = match row.claimed_at {
                None => cas.filter(sentiment_model::Column::ClaimedAt.is_null()),
                Some(at) => cas.filter(sentiment_model::Column::ClaimedAt.eq(at)),
            };
            if cas.exec(&self.db).await.map_err(db_err)?.rows_affected == 1 {
                return Ok(Some(AdaptationClaim {
                    tenant_id: TenantId(row.tenant_id),
                    version: row.corrections_version,
                    claimed_at: now,
                }));
            }
        }
        Ok(None)
    }

    async fn corrections(&self, tenant: TenantId, limit: u64) -> DomainResult<Vec<Correction>> {
        let mut rows = sentiment_correction::Entity::find()
            .filter(sentiment_correction::Column::TenantId.eq(tenant.0))
            .order_by_desc(sentiment_correction::Column::CreatedAt)
            .order_by_desc(sentiment_correction::Column::PostId)
            .order_by_desc(sentiment_correction::Column::BrandId)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        rows.reverse();
        rows.into_iter()
            .map(|r| {
                let label = SentimentLabel::parse(&r.label)
                    .ok_or_else(|| DomainError::Internal(format!("stored label `{}` is not valid", r.label)))?;
                Ok(Correction { label, text: r.text, language: r.language, targets: super::from_json(r.targets)? })
            })
            .collect()
    }

    async fn save_adaptation(
        &self,
        claim: &AdaptationClaim,
        weights: &[u8],
        trained_on: u64,
        at: DateTime<Utc>,
    ) -> DomainResult<()> {
        sentiment_model::Entity::update_many()
            .col_expr(sentiment_model::Column::Adaptation, Expr::value(Some(weights.to_vec())))
            .col_expr(sentiment_model::Column::TrainedVersion, Expr::value(claim.version))
            .col_expr(sentiment_model::Column::TrainedOn, Expr::value(i64::try_from(trained_on).unwrap_or(i64::MAX)))
            .col_expr(sentiment_model::Column::TrainedAt, Expr::value(Some(at)))
            .col_expr(sentiment_model::Column::ClaimedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(sentiment_model::Column::TenantId.eq(claim.tenant_id.0))
            .filter(sentiment_model::Column::ClaimedAt.eq(claim.claimed_at))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn adaptation(&self, tenant: TenantId) -> DomainResult<Option<(i64, Vec<u8>)>> {
        let row = sentiment_model::Entity::find_by_id(tenant.0)
            .select_only()
            .column(sentiment_model::Column::TrainedVersion)
            .column(sentiment_model::Column::Adaptation)
            .into_tuple::<(i64, Option<Vec<u8>>)>()
            .one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(row.and_then(|(v, w)| Some((v, w?))))
    }
}
