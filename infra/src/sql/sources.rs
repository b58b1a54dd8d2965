//! Sources with their status, and the credentials they call platforms with.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, Statement};
use smrm_domain::ids::{BrandId, CredentialId, SourceId, TenantId};
use smrm_domain::model::credentials::{Credential, CredentialKind, CredentialStatus, Sealed};
use smrm_domain::model::mention::SourceType;
use smrm_domain::model::sources::{Cursor, Source, SourceConfig, SourceState, SourceStatus};
use smrm_domain::page::{Page, PageRequest};
use smrm_domain::ports::{CredentialRepository, PollRecord, SourceRepository};
use smrm_domain::{DomainError, DomainResult};

use super::entities::{credential, source};
use super::{SqlStore, Walk, begin_write, db_err, page_by_id};

fn corrupt(what: &str, value: &str) -> DomainError {
    DomainError::Internal(format!("stored {what} `{value}` is not valid"))
}

fn to_source(m: source::Model) -> DomainResult<Source> {
    let config: SourceConfig = serde_json::from_str(&m.config).map_err(|_| corrupt("source config", &m.config))?;
    let brand_ids: Vec<BrandId> =
        serde_json::from_str(&m.brand_ids).map_err(|_| corrupt("source brands", &m.brand_ids))?;
    let state = match m.state.as_deref() {
        None => SourceState::NeverRun,
        Some(s) => SourceState::parse(s).ok_or_else(|| corrupt("source state", s))?,
    };
    Ok(Source {
        id: SourceId(m.id),
        tenant_id: TenantId(m.tenant_id),
        name: m.name,
        config,
        credential_id: m.credential_id.map(CredentialId),
        brand_ids,
        source_type: SourceType::parse(&m.source_type).ok_or_else(|| corrupt("source type", &m.source_type))?,
        platform: m.platform,
        poll_seconds: u64::try_from(m.poll_seconds).unwrap_or(0),
        enabled: m.enabled,
        next_poll_at: m.next_poll_at,
        status: SourceStatus {
            state,
            last_run_at: m.last_polled_at,
            last_success_at: m.last_success_at,
            last_error: m.last_error,
            last_error_at: m.last_error_at,
            posts_fetched: u64::try_from(m.posts_fetched).unwrap_or(0),
            mentions_created: u64::try_from(m.posts_created).unwrap_or(0),
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn seconds(s: &Source) -> i32 {
    i32::try_from(s.poll_seconds).unwrap_or(i32::MAX)
}

/// What the `url` column keeps: a feed's URL, else the address of what is read.
fn url_of(config: &SourceConfig) -> String {
    match config {
        SourceConfig::Rss { url } => url.clone(),
        SourceConfig::VkWall { owner, .. } => format!("https://vk.com/{owner}"),
        SourceConfig::VkCallback { group_id, .. } => format!("https://vk.com/club{group_id}"),
        SourceConfig::TelegramChannel { channel } => format!("https://t.me/s/{channel}"),
        SourceConfig::YoutubeChannel { channel_id } => format!("https://www.youtube.com/channel/{channel_id}"),
        SourceConfig::RedditSearch { subreddit: Some(sub) } => format!("https://www.reddit.com/r/{sub}"),
        SourceConfig::VkSearch {}
        | SourceConfig::HnSearch {}
        | SourceConfig::YoutubeSearch {}
        | SourceConfig::RedditSearch { subreddit: None } => String::new(),
    }
}

fn config_json(c: &SourceConfig) -> String {
    serde_json::to_string(c).expect("a config serialises")
}

fn brands_json(ids: &[BrandId]) -> String {
    serde_json::to_string(ids).expect("ids serialise")
}

#[async_trait]
impl SourceRepository for SqlStore {
    async fn insert_source(&self, tenant: TenantId, s: &Source, secret: Option<&Sealed>) -> DomainResult<()> {
        source::Entity::insert(source::ActiveModel {
            tenant_id: Set(tenant.0),
            id: Set(s.id.0),
            kind: Set(s.kind().as_str().into()),
            url: Set(url_of(&s.config)),
            source_type: Set(s.source_type.as_str().into()),
            platform: Set(s.platform.clone()),
            poll_seconds: Set(seconds(s)),
            enabled: Set(s.enabled),
            cursor: Set(None),
            next_poll_at: Set(s.next_poll_at),
            lease_until: Set(None),
            last_polled_at: Set(None),
            last_success_at: Set(None),
            last_error: Set(None),
            last_error_at: Set(None),
            posts_created: Set(0),
            created_at: Set(s.created_at),
            updated_at: Set(s.updated_at),
            name: Set(s.name.clone()),
            config: Set(config_json(&s.config)),
            credential_id: Set(s.credential_id.map(|c| c.0)),
            brand_ids: Set(brands_json(&s.brand_ids)),
            state: Set(None),
            posts_fetched: Set(0),
            secret_key_version: Set(secret.map(|s| s.key_version.clone())),
            secret_nonce: Set(secret.map(|s| s.nonce.clone())),
            secret: Set(secret.map(|s| s.ciphertext.clone())),
        })
        .exec_without_returning(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn get_source(&self, tenant: TenantId, id: SourceId) -> DomainResult<Source> {
        let row = source::Entity::find_by_id((tenant.0, id.0)).one(&self.db).await.map_err(db_err)?;
        to_source(row.ok_or(DomainError::NotFound("source"))?)
    }

    async fn list_sources(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<Source>> {
        let q = source::Entity::find().filter(source::Column::TenantId.eq(tenant.0));
        page_by_id(&self.db, q, source::Column::Id, page, Walk::OldestFirst, to_source).await
    }

    async fn update_source(&self, tenant: TenantId, s: &Source, reset_cursor: bool) -> DomainResult<()> {
        let mut update = source::Entity::update_many()
            .col_expr(source::Column::Url, Expr::value(url_of(&s.config)))
            .col_expr(source::Column::Name, Expr::value(s.name.clone()))
            .col_expr(source::Column::Config, Expr::value(config_json(&s.config)))
            .col_expr(source::Column::CredentialId, Expr::value(s.credential_id.map(|c| c.0)))
            .col_expr(source::Column::BrandIds, Expr::value(brands_json(&s.brand_ids)))
            .col_expr(source::Column::SourceType, Expr::value(s.source_type.as_str()))
            .col_expr(source::Column::Platform, Expr::value(s.platform.clone()))
            .col_expr(source::Column::PollSeconds, Expr::value(seconds(s)))
            .col_expr(source::Column::Enabled, Expr::value(s.enabled))
            .col_expr(source::Column::NextPollAt, Expr::value(s.next_poll_at))
            .col_expr(source::Column::UpdatedAt, Expr::value(s.updated_at));
        if reset_cursor {
            update = update.col_expr(source::Column::Cursor, Expr::value(Option::<String>::None));
        }
        let res = update
            .filter(source::Column::TenantId.eq(tenant.0))
            .filter(source::Column::Id.eq(s.id.0))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("source"));
        }
        Ok(())
    }

    async fn delete_source(&self, tenant: TenantId, id: SourceId) -> DomainResult<()> {
        let res = source::Entity::delete_by_id((tenant.0, id.0)).exec(&self.db).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("source"));
        }
        Ok(())
    }

    async fn claim_due(&self, now: DateTime<Utc>, limit: u64) -> DomainResult<Vec<(Source, Option<Cursor>)>> {
        // Each tenant's due sources are numbered from its most overdue; the
        // claim takes every tenant's first before anyone's second, so a
        // tenant with a thousand due sources cannot starve another's one.
        let backend = self.db.get_database_backend();
        let (p1, p2) = if backend == DbBackend::Postgres { ("$1", "$2") } else { ("?", "?") };
        let sql = format!(
            "SELECT s.* FROM sources s JOIN ( \
               SELECT tenant_id, id, ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY next_poll_at, id) AS turn \
               FROM sources WHERE enabled = TRUE AND kind <> 'vk_callback' AND next_poll_at <= {p1} \
             ) due ON s.tenant_id = due.tenant_id AND s.id = due.id \
             ORDER BY due.turn, s.next_poll_at LIMIT {p2}"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let due = source::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(backend, sql, [now.into(), limit.into()]))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut claimed = Vec::with_capacity(due.len());
        for row in due {
            let next = now + chrono::Duration::seconds(i64::from(row.poll_seconds));
            // Compare-and-set on the due time: one claimer per run.
            let won = source::Entity::update_many()
                .col_expr(source::Column::NextPollAt, Expr::value(next))
                .filter(source::Column::TenantId.eq(row.tenant_id))
                .filter(source::Column::Id.eq(row.id))
                .filter(source::Column::NextPollAt.eq(row.next_poll_at))
                .exec(&self.db)
                .await
                .map_err(db_err)?;
            if won.rows_affected == 1 {
                let cursor = row.cursor.clone().map(Cursor);
                claimed.push((to_source(source::Model { next_poll_at: next, ..row })?, cursor));
            }
        }
        Ok(claimed)
    }

    async fn record_poll(&self, tenant: TenantId, id: SourceId, r: &PollRecord) -> DomainResult<()> {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let mut update = source::Entity::update_many()
            .col_expr(source::Column::LastPolledAt, Expr::value(r.polled_at))
            .col_expr(source::Column::State, Expr::value(r.state.as_str()))
            .col_expr(
                source::Column::PostsCreated,
                Expr::col(source::Column::PostsCreated).add(count(r.mentions_created)),
            )
            .col_expr(
                source::Column::PostsFetched,
                Expr::col(source::Column::PostsFetched).add(count(r.posts_fetched)),
            );
        update = match &r.error {
            None => update
                .col_expr(source::Column::LastSuccessAt, Expr::value(r.polled_at))
                .col_expr(source::Column::LastError, Expr::value(Option::<String>::None)),
            Some(e) => update
                .col_expr(source::Column::LastError, Expr::value(e.clone()))
                .col_expr(source::Column::LastErrorAt, Expr::value(r.polled_at)),
        };
        if let Some(c) = &r.cursor {
            update = update.col_expr(source::Column::Cursor, Expr::value(c.0.clone()));
        }
        // One transaction: a reader sees the outcome and the next run
        // together (a pause with its resume time), never one without the other.
        let txn = begin_write(&self.db).await?;
        update
            .filter(source::Column::TenantId.eq(tenant.0))
            .filter(source::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if let Some(at) = r.retry_at {
            // The platform asked to wait: no sooner than then.
            source::Entity::update_many()
                .col_expr(source::Column::NextPollAt, Expr::value(at))
                .filter(source::Column::TenantId.eq(tenant.0))
                .filter(source::Column::Id.eq(id.0))
                .filter(source::Column::NextPollAt.lt(at))
                .exec(&txn)
                .await
                .map_err(db_err)?;
        }
        txn.commit().await.map_err(db_err)
    }

    async fn run_now(&self, tenant: TenantId, id: SourceId, now: DateTime<Utc>) -> DomainResult<()> {
        let res = source::Entity::update_many()
            .col_expr(source::Column::NextPollAt, Expr::value(now))
            .filter(source::Column::TenantId.eq(tenant.0))
            .filter(source::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("source"));
        }
        Ok(())
    }

    async fn pushed_source(&self, id: SourceId) -> DomainResult<(Source, Option<Sealed>)> {
        // The one read by id alone: a push names no tenant, and proves
        // itself with the secret kept here.
        let row = source::Entity::find()
            .filter(source::Column::Id.eq(id.0))
            .filter(source::Column::Kind.eq("vk_callback"))
            .one(&self.db)
            .await
            .map_err(db_err)?
            .ok_or(DomainError::NotFound("source"))?;
        let sealed = sealed_of(&row);
        Ok((to_source(row)?, sealed))
    }
}

fn sealed_of(m: &source::Model) -> Option<Sealed> {
    Some(Sealed {
        key_version: m.secret_key_version.clone()?,
        nonce: m.secret_nonce.clone()?,
        ciphertext: m.secret.clone()?,
    })
}

fn to_credential(m: credential::Model) -> DomainResult<Credential> {
    Ok(Credential {
        id: CredentialId(m.id),
        tenant_id: TenantId(m.tenant_id),
        kind: CredentialKind::parse(&m.kind).ok_or_else(|| corrupt("credential kind", &m.kind))?,
        name: m.name,
        status: CredentialStatus::parse(&m.status).ok_or_else(|| corrupt("credential status", &m.status))?,
        last_used_at: m.last_used_at,
        created_at: m.created_at,
    })
}

#[async_trait]
impl CredentialRepository for SqlStore {
    async fn insert_credential(&self, tenant: TenantId, c: &Credential, secret: &Sealed) -> DomainResult<()> {
        credential::Entity::insert(credential::ActiveModel {
            tenant_id: Set(tenant.0),
            id: Set(c.id.0),
            kind: Set(c.kind.as_str().into()),
            name: Set(c.name.clone()),
            status: Set(c.status.as_str().into()),
            key_version: Set(secret.key_version.clone()),
            nonce: Set(secret.nonce.clone()),
            secret: Set(secret.ciphertext.clone()),
            last_used_at: Set(c.last_used_at),
            created_at: Set(c.created_at),
        })
        .exec_without_returning(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn get_credential(&self, tenant: TenantId, id: CredentialId) -> DomainResult<Credential> {
        let row = credential::Entity::find_by_id((tenant.0, id.0)).one(&self.db).await.map_err(db_err)?;
        to_credential(row.ok_or(DomainError::NotFound("credential"))?)
    }

    async fn list_credentials(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<Credential>> {
        let q = credential::Entity::find().filter(credential::Column::TenantId.eq(tenant.0));
        page_by_id(&self.db, q, credential::Column::Id, page, Walk::OldestFirst, to_credential).await
    }

    async fn delete_credential(&self, tenant: TenantId, id: CredentialId) -> DomainResult<()> {
        let tx = begin_write(&self.db).await?;
        let users = source::Entity::find()
            .filter(source::Column::TenantId.eq(tenant.0))
            .filter(source::Column::CredentialId.eq(id.0))
            .count(&tx)
            .await
            .map_err(db_err)?;
        if users > 0 {
            return Err(DomainError::Conflict(format!(
                "the credential is used by {users} source(s); give them another credential or delete them first"
            )));
        }
        let res = credential::Entity::delete_by_id((tenant.0, id.0)).exec(&tx).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("credential"));
        }
        tx.commit().await.map_err(db_err)
    }

    async fn sealed_secret(&self, tenant: TenantId, id: CredentialId) -> DomainResult<(Credential, Sealed)> {
        let row = credential::Entity::find_by_id((tenant.0, id.0)).one(&self.db).await.map_err(db_err)?;
        let row = row.ok_or(DomainError::NotFound("credential"))?;
        let sealed =
            Sealed { key_version: row.key_version.clone(), nonce: row.nonce.clone(), ciphertext: row.secret.clone() };
        Ok((to_credential(row)?, sealed))
    }

    async fn mark_credential(
        &self,
        tenant: TenantId,
        id: CredentialId,
        status: CredentialStatus,
        at: DateTime<Utc>,
    ) -> DomainResult<()> {
        let mut update =
            credential::Entity::update_many().col_expr(credential::Column::Status, Expr::value(status.as_str()));
        if status == CredentialStatus::Ok {
            update = update.col_expr(credential::Column::LastUsedAt, Expr::value(at));
        }
        update
            .filter(credential::Column::TenantId.eq(tenant.0))
            .filter(credential::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
