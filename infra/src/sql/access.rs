//! Tenants, users, sessions, refresh tokens and API keys.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use smrm_domain::ids::{ApiKeyId, RefreshTokenId, SessionId, TenantId, UserId};
use smrm_domain::model::access::{ApiKey, RefreshToken, Role, Session, User};
use smrm_domain::model::tenant::Tenant;
use smrm_domain::page::{Page, PageRequest};
use smrm_domain::ports::{ApiKeyRepository, LoginRecord, SessionRepository, TenantRepository, UserRepository};
use smrm_domain::{DomainError, DomainResult};

use super::entities::{api_key, refresh_token, session, tenant, user, user_email};
use super::{SqlStore, db_err, from_json, to_json};

const EMAIL_TAKEN: &str = "this e-mail address is already registered";

fn role(s: &str) -> DomainResult<Role> {
    Role::parse(s).ok_or_else(|| DomainError::Internal(format!("unknown role `{s}` in the database")))
}

fn to_user(m: user::Model) -> DomainResult<User> {
    Ok(User {
        id: UserId(m.id),
        tenant_id: TenantId(m.tenant_id),
        email: m.email,
        role: role(&m.role)?,
        brand_ids: from_json(m.brand_ids)?,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn to_api_key(m: api_key::Model) -> DomainResult<ApiKey> {
    Ok(ApiKey {
        id: ApiKeyId(m.id),
        tenant_id: TenantId(m.tenant_id),
        name: m.name,
        role: role(&m.role)?,
        brand_ids: from_json(m.brand_ids)?,
        prefix: m.prefix,
        created_by: m.created_by.map(UserId),
        created_at: m.created_at,
        last_used_at: m.last_used_at,
    })
}

fn user_row(tenant: TenantId, u: &User, password_hash: &str) -> user::ActiveModel {
    user::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(u.id.0),
        email: Set(u.email.clone()),
        role: Set(u.role.as_str().into()),
        brand_ids: Set(to_json(&u.brand_ids)),
        password_hash: Set(password_hash.into()),
        created_at: Set(u.created_at),
        updated_at: Set(u.updated_at),
    }
}

fn email_row(tenant: TenantId, u: &User) -> user_email::ActiveModel {
    user_email::ActiveModel { email: Set(u.email.clone()), tenant_id: Set(tenant.0), user_id: Set(u.id.0) }
}

fn session_row(s: &Session) -> session::ActiveModel {
    session::ActiveModel {
        tenant_id: Set(s.tenant_id.0),
        id: Set(s.id.0),
        user_id: Set(s.user_id.0),
        created_at: Set(s.created_at),
        revoked_at: Set(s.revoked_at),
    }
}

fn refresh_row(t: &RefreshToken) -> refresh_token::ActiveModel {
    refresh_token::ActiveModel {
        tenant_id: Set(t.tenant_id.0),
        id: Set(t.id.0),
        session_id: Set(t.session_id.0),
        user_id: Set(t.user_id.0),
        token_hash: Set(t.token_hash.clone()),
        expires_at: Set(t.expires_at),
        used_at: Set(t.used_at),
    }
}

/// A unique violation on insert means the e-mail address is taken.
fn email_conflict(e: sea_orm::DbErr) -> DomainError {
    match db_err(e) {
        DomainError::Conflict(_) => DomainError::Conflict(EMAIL_TAKEN.into()),
        other => other,
    }
}

#[async_trait]
impl TenantRepository for SqlStore {
    async fn get_tenant(&self, tenant: TenantId) -> DomainResult<Tenant> {
        let m = tenant::Entity::find_by_id(tenant.0)
            .one(&self.db)
            .await
            .map_err(db_err)?
            .ok_or(DomainError::NotFound("tenant"))?;
        Ok(Tenant { id: TenantId(m.id), name: m.name, timezone: m.timezone, created_at: m.created_at })
    }

    async fn update_tenant(&self, t: &Tenant) -> DomainResult<()> {
        tenant::Entity::update_many()
            .col_expr(tenant::Column::Name, Expr::value(t.name.clone()))
            .col_expr(tenant::Column::Timezone, Expr::value(t.timezone.clone()))
            .filter(tenant::Column::Id.eq(t.id.0))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn create_tenant_with_owner(
        &self,
        t: &Tenant,
        owner: &User,
        password_hash: &str,
        session: &Session,
        refresh: &RefreshToken,
    ) -> DomainResult<()> {
        let txn = super::begin_write(&self.db).await?;
        tenant::Entity::insert(tenant::ActiveModel {
            id: Set(t.id.0),
            name: Set(t.name.clone()),
            timezone: Set(t.timezone.clone()),
            created_at: Set(t.created_at),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(db_err)?;
        user::Entity::insert(user_row(t.id, owner, password_hash))
            .exec_without_returning(&txn)
            .await
            .map_err(db_err)?;
        user_email::Entity::insert(email_row(t.id, owner))
            .exec_without_returning(&txn)
            .await
            .map_err(email_conflict)?;
        session::Entity::insert(session_row(session)).exec_without_returning(&txn).await.map_err(db_err)?;
        refresh_token::Entity::insert(refresh_row(refresh)).exec_without_returning(&txn).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }
}

#[async_trait]
impl UserRepository for SqlStore {
    async fn find_login(&self, email: &str) -> DomainResult<Option<LoginRecord>> {
        let Some(entry) = user_email::Entity::find_by_id(email.to_owned()).one(&self.db).await.map_err(db_err)? else {
            return Ok(None);
        };
        let m = user::Entity::find_by_id((entry.tenant_id, entry.user_id)).one(&self.db).await.map_err(db_err)?;
        m.map(|m| {
            let password_hash = m.password_hash.clone();
            Ok(LoginRecord { user: to_user(m)?, password_hash })
        })
        .transpose()
    }

    async fn get_user(&self, tenant: TenantId, id: UserId) -> DomainResult<User> {
        let m = user::Entity::find_by_id((tenant.0, id.0)).one(&self.db).await.map_err(db_err)?;
        to_user(m.ok_or(DomainError::NotFound("user"))?)
    }

    async fn list_users(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<User>> {
        let mut q = user::Entity::find().filter(user::Column::TenantId.eq(tenant.0));
        if let Some(after) = page.after {
            q = q.filter(user::Column::Id.gt(after));
        }
        let rows = q.order_by_asc(user::Column::Id).limit(page.limit as u64 + 1).all(&self.db).await.map_err(db_err)?;
        let users = rows.into_iter().map(to_user).collect::<DomainResult<Vec<_>>>()?;
        Ok(Page::from_overfetch(users, page.limit, |u| u.id.0))
    }

    async fn insert_user(&self, tenant: TenantId, u: &User, password_hash: &str) -> DomainResult<()> {
        let txn = super::begin_write(&self.db).await?;
        user::Entity::insert(user_row(tenant, u, password_hash))
            .exec_without_returning(&txn)
            .await
            .map_err(email_conflict)?;
        user_email::Entity::insert(email_row(tenant, u)).exec_without_returning(&txn).await.map_err(email_conflict)?;
        txn.commit().await.map_err(db_err)
    }

    async fn update_user(&self, tenant: TenantId, u: &User, password_hash: Option<&str>) -> DomainResult<()> {
        let txn = super::begin_write(&self.db).await?;
        let old = user::Entity::find_by_id((tenant.0, u.id.0))
            .one(&txn)
            .await
            .map_err(db_err)?
            .ok_or(DomainError::NotFound("user"))?;
        if old.email != u.email {
            user_email::Entity::delete_by_id(old.email.clone()).exec(&txn).await.map_err(db_err)?;
            user_email::Entity::insert(email_row(tenant, u))
                .exec_without_returning(&txn)
                .await
                .map_err(email_conflict)?;
        }
        let hash = password_hash.map(str::to_owned).unwrap_or(old.password_hash);
        user::Entity::update(user_row(tenant, u, &hash)).exec(&txn).await.map_err(email_conflict)?;
        if password_hash.is_some() || old.role != u.role.as_str() {
            // A new password or role ends every login of the user.
            session::Entity::update_many()
                .col_expr(session::Column::RevokedAt, Expr::value(u.updated_at))
                .filter(session::Column::TenantId.eq(tenant.0))
                .filter(session::Column::UserId.eq(u.id.0))
                .filter(session::Column::RevokedAt.is_null())
                .exec(&txn)
                .await
                .map_err(db_err)?;
        }
        txn.commit().await.map_err(db_err)
    }

    /// The user and its address in the login directory, in one transaction:
    /// the directory has no foreign key to cascade (it is a Citus reference
    /// table; migration 14), and an address left behind would stay taken.
    async fn delete_user(&self, tenant: TenantId, id: UserId) -> DomainResult<()> {
        let txn = super::begin_write(&self.db).await?;
        let res = user::Entity::delete_by_id((tenant.0, id.0)).exec(&txn).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("user"));
        }
        user_email::Entity::delete_many()
            .filter(user_email::Column::TenantId.eq(tenant.0))
            .filter(user_email::Column::UserId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn count_owners(&self, tenant: TenantId) -> DomainResult<u64> {
        user::Entity::find()
            .filter(user::Column::TenantId.eq(tenant.0))
            .filter(user::Column::Role.eq(Role::Owner.as_str()))
            .count(&self.db)
            .await
            .map_err(db_err)
    }
}

#[async_trait]
impl SessionRepository for SqlStore {
    async fn create_session(&self, _tenant: TenantId, s: &Session, refresh: &RefreshToken) -> DomainResult<()> {
        let txn = super::begin_write(&self.db).await?;
        session::Entity::insert(session_row(s)).exec_without_returning(&txn).await.map_err(db_err)?;
        refresh_token::Entity::insert(refresh_row(refresh)).exec_without_returning(&txn).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn session_user(&self, tenant: TenantId, s: SessionId, u: UserId) -> DomainResult<Option<User>> {
        let live = session::Entity::find_by_id((tenant.0, s.0))
            .one(&self.db)
            .await
            .map_err(db_err)?
            .is_some_and(|s| s.revoked_at.is_none() && s.user_id == u.0);
        if !live {
            return Ok(None);
        }
        let m = user::Entity::find_by_id((tenant.0, u.0)).one(&self.db).await.map_err(db_err)?;
        m.map(to_user).transpose()
    }

    async fn find_refresh(&self, tenant: TenantId, token_hash: &str) -> DomainResult<Option<(RefreshToken, Session)>> {
        let Some(t) = refresh_token::Entity::find()
            .filter(refresh_token::Column::TenantId.eq(tenant.0))
            .filter(refresh_token::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let Some(s) = session::Entity::find_by_id((tenant.0, t.session_id)).one(&self.db).await.map_err(db_err)? else {
            return Ok(None);
        };
        let token = RefreshToken {
            id: RefreshTokenId(t.id),
            tenant_id: tenant,
            session_id: SessionId(t.session_id),
            user_id: UserId(t.user_id),
            token_hash: t.token_hash,
            expires_at: t.expires_at,
            used_at: t.used_at,
        };
        let session = Session {
            id: SessionId(s.id),
            tenant_id: tenant,
            user_id: UserId(s.user_id),
            created_at: s.created_at,
            revoked_at: s.revoked_at,
        };
        Ok(Some((token, session)))
    }

    async fn rotate_refresh(
        &self,
        tenant: TenantId,
        used: RefreshTokenId,
        next: &RefreshToken,
        now: DateTime<Utc>,
    ) -> DomainResult<bool> {
        let txn = super::begin_write(&self.db).await?;
        let res = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
            .filter(refresh_token::Column::TenantId.eq(tenant.0))
            .filter(refresh_token::Column::Id.eq(used.0))
            .filter(refresh_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected != 1 {
            return Ok(false);
        }
        refresh_token::Entity::insert(refresh_row(next)).exec_without_returning(&txn).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn revoke_session(&self, tenant: TenantId, s: SessionId, now: DateTime<Utc>) -> DomainResult<()> {
        session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now))
            .filter(session::Column::TenantId.eq(tenant.0))
            .filter(session::Column::Id.eq(s.0))
            .filter(session::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

#[async_trait]
impl ApiKeyRepository for SqlStore {
    async fn insert_api_key(&self, tenant: TenantId, k: &ApiKey, key_hash: &str) -> DomainResult<()> {
        api_key::Entity::insert(api_key::ActiveModel {
            tenant_id: Set(tenant.0),
            id: Set(k.id.0),
            name: Set(k.name.clone()),
            role: Set(k.role.as_str().into()),
            brand_ids: Set(to_json(&k.brand_ids)),
            prefix: Set(k.prefix.clone()),
            key_hash: Set(key_hash.into()),
            created_by: Set(k.created_by.map(|u| u.0)),
            created_at: Set(k.created_at),
            last_used_at: Set(k.last_used_at),
        })
        .exec_without_returning(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn find_api_key(&self, tenant: TenantId, key_hash: &str) -> DomainResult<Option<ApiKey>> {
        api_key::Entity::find()
            .filter(api_key::Column::TenantId.eq(tenant.0))
            .filter(api_key::Column::KeyHash.eq(key_hash))
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(to_api_key)
            .transpose()
    }

    async fn get_api_key(&self, tenant: TenantId, id: ApiKeyId) -> DomainResult<ApiKey> {
        let m = api_key::Entity::find_by_id((tenant.0, id.0)).one(&self.db).await.map_err(db_err)?;
        to_api_key(m.ok_or(DomainError::NotFound("API key"))?)
    }

    async fn api_keys_created_by(&self, tenant: TenantId, user: UserId) -> DomainResult<Vec<ApiKey>> {
        let rows = api_key::Entity::find()
            .filter(api_key::Column::TenantId.eq(tenant.0))
            .filter(api_key::Column::CreatedBy.eq(user.0))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        rows.into_iter().map(to_api_key).collect()
    }

    async fn list_api_keys(&self, tenant: TenantId, page: PageRequest) -> DomainResult<Page<ApiKey>> {
        let mut q = api_key::Entity::find().filter(api_key::Column::TenantId.eq(tenant.0));
        if let Some(after) = page.after {
            q = q.filter(api_key::Column::Id.gt(after));
        }
        let rows =
            q.order_by_asc(api_key::Column::Id).limit(page.limit as u64 + 1).all(&self.db).await.map_err(db_err)?;
        let keys = rows.into_iter().map(to_api_key).collect::<DomainResult<Vec<_>>>()?;
        Ok(Page::from_overfetch(keys, page.limit, |k| k.id.0))
    }

    async fn delete_api_key(&self, tenant: TenantId, id: ApiKeyId) -> DomainResult<()> {
        let res = api_key::Entity::delete_by_id((tenant.0, id.0)).exec(&self.db).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::NotFound("API key"));
        }
        Ok(())
    }

    async fn touch_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        now: DateTime<Utc>,
        granularity: Duration,
    ) -> DomainResult<()> {
        let stale_before = now - chrono::Duration::from_std(granularity).unwrap_or_default();
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .filter(api_key::Column::TenantId.eq(tenant.0))
            .filter(api_key::Column::Id.eq(id.0))
            .filter(
                Condition::any()
                    .add(api_key::Column::LastUsedAt.is_null())
                    .add(api_key::Column::LastUsedAt.lt(stale_before)),
            )
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

#[async_trait]
impl smrm_domain::ports::TenantLimits for SqlStore {
    async fn rate_limit(&self, tenant: TenantId) -> DomainResult<Option<u32>> {
        use super::entities::tenant_limit;
        let row = tenant_limit::Entity::find_by_id(tenant.0).one(&self.db).await.map_err(db_err)?;
        Ok(row.and_then(|r| r.rate_limit_per_minute).and_then(|n| u32::try_from(n).ok()))
    }

    async fn set_rate_limit(&self, tenant: TenantId, per_minute: Option<u32>) -> DomainResult<()> {
        use super::entities::tenant_limit;
        self.get_tenant(tenant).await?;
        let value = per_minute.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        tenant_limit::Entity::insert(tenant_limit::ActiveModel {
            tenant_id: Set(tenant.0),
            rate_limit_per_minute: Set(value),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(tenant_limit::Column::TenantId)
                .update_column(tenant_limit::Column::RateLimitPerMinute)
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
