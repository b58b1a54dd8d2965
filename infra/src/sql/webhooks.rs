//! Webhook endpoints, their outbox of messages and the attempt log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QuerySelect, Statement,
};
use smrm_domain::ids::{AttemptId, MessageId, TenantId, WebhookId};
use smrm_domain::model::integrations::{Attempt, Event, Message, Webhook, WebhookSecrets};
use smrm_domain::page::{Page, PageRequest};
use smrm_domain::ports::WebhookRepository;
use smrm_domain::{DomainError, DomainResult};
use uuid::Uuid;

use super::entities::{webhook, webhook_attempt as attempt, webhook_message as message};
use super::{SqlStore, Walk, db_err, from_json, page_by_id, to_json};

const PENDING: &str = "pending";
const SUCCEEDED: &str = "succeeded";
const FAILED: &str = "failed";

fn event(s: &str) -> DomainResult<Event> {
    Event::parse(s).ok_or_else(|| DomainError::Internal(format!("stored event `{s}` is not valid")))
}

fn to_webhook(m: webhook::Model) -> DomainResult<Webhook> {
    let events: Vec<String> = from_json(m.events)?;
    Ok(Webhook {
        id: WebhookId(m.id),
        tenant_id: TenantId(m.tenant_id),
        url: m.url,
        description: m.description,
        events: events.iter().map(|e| event(e)).collect::<DomainResult<_>>()?,
        enabled: m.enabled,
        disabled_reason: m.disabled_reason,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn to_message(m: message::Model) -> DomainResult<Message> {
    Ok(Message {
        id: MessageId(m.id),
        tenant_id: TenantId(m.tenant_id),
        webhook_id: WebhookId(m.webhook_id),
        event: event(&m.event)?,
        subject_id: m.subject_id,
        payload: m.payload,
        attempts: u32::try_from(m.attempts).unwrap_or(0),
        created_at: m.created_at,
    })
}

fn to_attempt(m: attempt::Model) -> DomainResult<Attempt> {
    Ok(Attempt {
        id: AttemptId(m.id),
        message_id: MessageId(m.message_id),
        webhook_id: WebhookId(m.webhook_id),
        event: event(&m.event)?,
        attempt: u32::try_from(m.attempt).unwrap_or(0),
        status_code: m.status_code.and_then(|s| u16::try_from(s).ok()),
        error: m.error,
        created_at: m.created_at,
        next_attempt_at: m.next_attempt_at,
    })
}

fn event_names(events: &[Event]) -> serde_json::Value {
    to_json(&events.iter().map(|e| e.as_str()).collect::<Vec<_>>())
}

/// Writes the outbox messages of `subjects` (each with the events it
/// raises) for every enabled endpoint of the tenant that wants them, in the
/// caller's transaction: the event and its messages commit together.
pub(crate) async fn enqueue(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    subjects: &[(Uuid, &[Event])],
    now: DateTime<Utc>,
) -> DomainResult<()> {
    if subjects.is_empty() {
        return Ok(());
    }
    let hooks: Vec<Webhook> = webhook::Entity::find()
        .filter(webhook::Column::TenantId.eq(tenant.0))
        .filter(webhook::Column::Enabled.eq(true))
        .all(txn)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(to_webhook)
        .collect::<DomainResult<_>>()?;
    if hooks.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::new();
    for (subject, events) in subjects {
        for e in *events {
            for h in hooks.iter().filter(|h| h.wants(*e)) {
                rows.push(message::ActiveModel {
                    tenant_id: Set(tenant.0),
                    id: Set(MessageId::new().0),
                    webhook_id: Set(h.id.0),
                    event: Set(e.as_str().into()),
                    subject_id: Set(*subject),
                    payload: Set(None),
                    status: Set(PENDING.into()),
                    attempts: Set(0),
                    next_attempt_at: Set(now),
                    lease_until: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
            }
        }
    }
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<message::ActiveModel> = rows.by_ref().take(1000).collect();
        message::Entity::insert_many(chunk).exec_without_returning(txn).await.map_err(db_err)?;
    }
    Ok(())
}

/// Marks the tenant's messages matching `filter` failed for good, leases released.
async fn fail_messages(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    filter: Condition,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value(FAILED))
        .col_expr(message::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(message::Column::UpdatedAt, Expr::value(now))
        .filter(message::Column::TenantId.eq(tenant.0))
        .filter(filter)
        .exec(db)
        .await
        .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl WebhookRepository for SqlStore {
    async fn insert_webhook(&self, tenant: TenantId, w: &Webhook, secret: &str) -> DomainResult<()> {
        webhook::Entity::insert(webhook::ActiveModel {
            tenant_id: Set(tenant.0),
            id: Set(w.id.0),
            url: Set(w.url.clone()),
            description: Set(w.description.clone()),
            events: Set(event_names(&w.events)),
            secret: Set(secret.to_owned()),
            previous_secret: Set(None),
            previous_secret_until: Set(None),
            enabled: Set(w.enabled),
            disabled_reason: Set(None),
            created_at: Set(w.created_at),
            updated_at: Set(w.updated_at),
        })
        .exec_without_returning(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn get_webhook(&self, tenant: TenantId, id: WebhookId) -> DomainResult<Webhook> {
        let row = webhook::Entity::find_by_id((tenant.0, id.0)).one(&self.db).await.map_err(db_err)?;
        to_webhook(row.ok_or(DomainError::NotFound("webhook"))?)
    }

    async fn list_webhooks(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<Webhook>> {
        let q = webhook::Entity::find().filter(webhook::Column::TenantId.eq(tenant.0));
        page_by_id(&self.db, q, webhook::Column::Id, page, Walk::OldestFirst, to_webhook).await
    }

    async fn update_webhook(&self, tenant: TenantId, w: &Webhook) -> DomainResult<()> {
        let res = webhook::Entity::update_many()
            .col_expr(webhook::Column::Url, Expr::value(w.url.clone()))
            .col_expr(webhook::Column::Description, Expr::value(w.description.clone()))
            .col_expr(webhook::Column::Events, Expr::value(event_names(&w.events)))
            .col_expr(webhook::Column::Enabled, Expr::value(w.enabled))
            .col_expr(webhook::Column::DisabledReason, Expr::value(w.disabled_reason.clone()))
            .col_expr(webhook::Column::UpdatedAt, Expr::value(w.updated_at))
            .filter(webhook::Column::TenantId.eq(tenant.0))
            .filter(webhook::Column::Id.eq(w.id.0))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("webhook"));
        }
        Ok(())
    }

    async fn delete_webhook(&self, tenant: TenantId, id: WebhookId) -> DomainResult<()> {
        let txn = super::begin_write(&self.db).await?;
        let res = webhook::Entity::delete_by_id((tenant.0, id.0)).exec(&txn).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("webhook"));
        }
        message::Entity::delete_many()
            .filter(message::Column::TenantId.eq(tenant.0))
            .filter(message::Column::WebhookId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        attempt::Entity::delete_many()
            .filter(attempt::Column::TenantId.eq(tenant.0))
            .filter(attempt::Column::WebhookId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn rotate_secret(
        &self,
        tenant: TenantId,
        id: WebhookId,
        secret: &str,
        previous_until: DateTime<Utc>,
    ) -> DomainResult<()> {
        let res = webhook::Entity::update_many()
            .col_expr(webhook::Column::PreviousSecret, Expr::col(webhook::Column::Secret))
            .col_expr(webhook::Column::PreviousSecretUntil, Expr::value(previous_until))
            .col_expr(webhook::Column::Secret, Expr::value(secret))
            .filter(webhook::Column::TenantId.eq(tenant.0))
            .filter(webhook::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("webhook"));
        }
        Ok(())
    }

    async fn secrets(&self, tenant: TenantId, id: WebhookId) -> DomainResult<WebhookSecrets> {
        let w = webhook::Entity::find_by_id((tenant.0, id.0))
            .one(&self.db)
            .await
            .map_err(db_err)?
            .ok_or(DomainError::NotFound("webhook"))?;
        Ok(WebhookSecrets { current: w.secret, previous: w.previous_secret.zip(w.previous_secret_until) })
    }

    async fn unsealed_secrets(&self, limit: u64) -> DomainResult<Vec<(TenantId, WebhookId, WebhookSecrets)>> {
        let clear = |c: webhook::Column| c.not_like("sealed:v1:%");
        let rows = webhook::Entity::find()
            .filter(
                sea_orm::Condition::any().add(clear(webhook::Column::Secret)).add(
                    sea_orm::Condition::all()
                        .add(webhook::Column::PreviousSecret.is_not_null())
                        .add(clear(webhook::Column::PreviousSecret)),
                ),
            )
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|w| {
                let secrets =
                    WebhookSecrets { current: w.secret, previous: w.previous_secret.zip(w.previous_secret_until) };
                (TenantId(w.tenant_id), WebhookId(w.id), secrets)
            })
            .collect())
    }

    async fn replace_secrets(
        &self,
        tenant: TenantId,
        id: WebhookId,
        was: &WebhookSecrets,
        now: &WebhookSecrets,
    ) -> DomainResult<bool> {
        let mut update = webhook::Entity::update_many()
            .col_expr(webhook::Column::Secret, Expr::value(now.current.clone()))
            .col_expr(webhook::Column::PreviousSecret, Expr::value(now.previous.as_ref().map(|p| p.0.clone())))
            .filter(webhook::Column::TenantId.eq(tenant.0))
            .filter(webhook::Column::Id.eq(id.0))
            .filter(webhook::Column::Secret.eq(was.current.clone()));
        update = match &was.previous {
            Some((p, _)) => update.filter(webhook::Column::PreviousSecret.eq(p.clone())),
            None => update.filter(webhook::Column::PreviousSecret.is_null()),
        };
        Ok(update.exec(&self.db).await.map_err(db_err)?.rows_affected == 1)
    }

    async fn list_attempts(&self, tenant: TenantId, hook: WebhookId, page: PageRequest) -> DomainResult<Page<Attempt>> {
        let q = attempt::Entity::find()
            .filter(attempt::Column::TenantId.eq(tenant.0))
            .filter(attempt::Column::WebhookId.eq(hook.0));
        page_by_id(&self.db, q, attempt::Column::Id, page, Walk::NewestFirst, to_attempt).await
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u64,
        per_tenant: u64,
        busy: &[TenantId],
    ) -> DomainResult<Vec<Message>> {
        // Each tenant's due messages are numbered from its most overdue; the
        // claim takes every tenant's first before anyone's second, at most
        // `per_tenant` of each, and none of a tenant whose deliveries already
        // fill their slots: one tenant's backlog of dead endpoints delays
        // nobody else's.
        let backend = self.db.get_database_backend();
        let mut values: Vec<sea_orm::Value> = vec![PENDING.into(), now.into(), now.into()];
        let param = |v: sea_orm::Value, values: &mut Vec<sea_orm::Value>| {
            values.push(v);
            if backend == DbBackend::Postgres { format!("${}", values.len()) } else { "?".to_owned() }
        };
        let (p1, p2, p3) = if backend == DbBackend::Postgres { ("$1", "$2", "$3") } else { ("?", "?", "?") };
        let not_busy = if busy.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = busy.iter().map(|t| param(t.0.into(), &mut values)).collect();
            format!(" AND tenant_id NOT IN ({})", list.join(", "))
        };
        let turns = param(i64::try_from(per_tenant).unwrap_or(i64::MAX).into(), &mut values);
        let limit = param(i64::try_from(limit).unwrap_or(i64::MAX).into(), &mut values);
        let sql = format!(
            "SELECT m.* FROM webhook_messages m JOIN ( \
               SELECT tenant_id, id, ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY next_attempt_at, id) AS turn \
               FROM webhook_messages \
               WHERE status = {p1} AND next_attempt_at <= {p2} AND (lease_until IS NULL OR lease_until < {p3}){not_busy} \
             ) due ON m.tenant_id = due.tenant_id AND m.id = due.id \
             WHERE due.turn <= {turns} \
             ORDER BY due.turn, m.next_attempt_at LIMIT {limit}"
        );
        let due = message::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(backend, sql, values))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut claimed = Vec::with_capacity(due.len());
        for m in due {
            // Compare-and-set on the lease: of several workers (or
            // replicas) that saw the message due, exactly one wins it.
            let won = message::Entity::update_many()
                .col_expr(message::Column::LeaseUntil, Expr::value(lease_until))
                .filter(message::Column::TenantId.eq(m.tenant_id))
                .filter(message::Column::Id.eq(m.id))
                .filter(message::Column::Status.eq(PENDING))
                .filter(
                    Condition::any()
                        .add(message::Column::LeaseUntil.is_null())
                        .add(message::Column::LeaseUntil.lt(now)),
                )
                .exec(&self.db)
                .await
                .map_err(db_err)?;
            if won.rows_affected == 1 {
                claimed.push(to_message(m)?);
            }
        }
        Ok(claimed)
    }

    async fn set_payload(&self, tenant: TenantId, id: MessageId, payload: &str) -> DomainResult<()> {
        message::Entity::update_many()
            .col_expr(message::Column::Payload, Expr::value(payload))
            .filter(message::Column::TenantId.eq(tenant.0))
            .filter(message::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn record_attempt(&self, tenant: TenantId, a: &Attempt, delivered: bool) -> DomainResult<()> {
        let txn = super::begin_write(&self.db).await?;
        attempt::Entity::insert(attempt::ActiveModel {
            tenant_id: Set(tenant.0),
            id: Set(a.id.0),
            message_id: Set(a.message_id.0),
            webhook_id: Set(a.webhook_id.0),
            event: Set(a.event.as_str().into()),
            attempt: Set(i32::try_from(a.attempt).unwrap_or(i32::MAX)),
            status_code: Set(a.status_code.map(i32::from)),
            error: Set(a.error.clone()),
            created_at: Set(a.created_at),
            next_attempt_at: Set(a.next_attempt_at),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(db_err)?;
        let status = match (delivered, a.next_attempt_at) {
            (true, _) => SUCCEEDED,
            (false, Some(_)) => PENDING,
            (false, None) => FAILED,
        };
        let mut update = message::Entity::update_many()
            .col_expr(message::Column::Status, Expr::value(status))
            .col_expr(message::Column::Attempts, Expr::value(i32::try_from(a.attempt).unwrap_or(i32::MAX)))
            .col_expr(message::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(message::Column::UpdatedAt, Expr::value(a.created_at));
        if let Some(next) = a.next_attempt_at {
            update = update.col_expr(message::Column::NextAttemptAt, Expr::value(next));
        }
        update
            .filter(message::Column::TenantId.eq(tenant.0))
            .filter(message::Column::Id.eq(a.message_id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn abandon(&self, tenant: TenantId, id: MessageId, now: DateTime<Utc>) -> DomainResult<()> {
        fail_messages(&self.db, tenant, Condition::all().add(message::Column::Id.eq(id.0)), now).await
    }

    async fn disable_webhook(
        &self,
        tenant: TenantId,
        id: WebhookId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> DomainResult<()> {
        let txn = super::begin_write(&self.db).await?;
        webhook::Entity::update_many()
            .col_expr(webhook::Column::Enabled, Expr::value(false))
            .col_expr(webhook::Column::DisabledReason, Expr::value(reason))
            .col_expr(webhook::Column::UpdatedAt, Expr::value(now))
            .filter(webhook::Column::TenantId.eq(tenant.0))
            .filter(webhook::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let pending =
            Condition::all().add(message::Column::WebhookId.eq(id.0)).add(message::Column::Status.eq(PENDING));
        fail_messages(&txn, tenant, pending, now).await?;
        txn.commit().await.map_err(db_err)
    }
}
