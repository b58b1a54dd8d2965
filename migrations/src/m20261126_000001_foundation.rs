//! Tenants, access (users, sessions, refresh tokens, API keys), brands,
//! competitor sets and idempotency keys.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const CASCADE: ForeignKeyAction = ForeignKeyAction::Cascade;
const RESTRICT: ForeignKeyAction = ForeignKeyAction::Restrict;

fn tenant_fk(table: &'static str) -> ForeignKeyCreateStatement {
    fk(table, &["tenant_id"], "tenants", &["id"], CASCADE)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("tenants")
                .col(ColumnDef::new("id").uuid().not_null().primary_key())
                .col(text("name"))
                .col(text("timezone"))
                .col(time("created_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("users")
                .col(uuid("tenant_id"))
                .col(uuid("id"))
                .col(text("email"))
                .col(text("role"))
                .col(json("brand_ids"))
                .col(text("password_hash"))
                .col(time("created_at"))
                .col(time("updated_at"))
                .primary_key(&mut pk(&["tenant_id", "id"]))
                .foreign_key(&mut tenant_fk("users"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("users", "ux_users_tenant_email", &["tenant_id", "email"], true)).await?;

        // Logins name no tenant, so e-mail addresses are unique across SMRM.
        // This directory is the one table keyed by something else than the
        // tenant: it maps an address to its tenant and user.
        m.create_table(
            Table::create()
                .table("user_emails")
                .col(ColumnDef::new("email").string().not_null().primary_key())
                .col(uuid("tenant_id"))
                .col(uuid("user_id"))
                .foreign_key(&mut fk("user_emails", &["tenant_id", "user_id"], "users", &["tenant_id", "id"], CASCADE))
                .to_owned(),
        )
        .await?;
        m.create_index(index("user_emails", "ix_user_emails_user", &["tenant_id", "user_id"], false)).await?;

        m.create_table(
            Table::create()
                .table("sessions")
                .col(uuid("tenant_id"))
                .col(uuid("id"))
                .col(uuid("user_id"))
                .col(time("created_at"))
                .col(time_null("revoked_at"))
                .primary_key(&mut pk(&["tenant_id", "id"]))
                .foreign_key(&mut fk("sessions", &["tenant_id", "user_id"], "users", &["tenant_id", "id"], CASCADE))
                .to_owned(),
        )
        .await?;
        m.create_index(index("sessions", "ix_sessions_user", &["tenant_id", "user_id"], false)).await?;

        m.create_table(
            Table::create()
                .table("refresh_tokens")
                .col(uuid("tenant_id"))
                .col(uuid("id"))
                .col(uuid("session_id"))
                .col(uuid("user_id"))
                .col(text("token_hash"))
                .col(time("expires_at"))
                .col(time_null("used_at"))
                .primary_key(&mut pk(&["tenant_id", "id"]))
                .foreign_key(&mut fk(
                    "refresh_tokens",
                    &["tenant_id", "session_id"],
                    "sessions",
                    &["tenant_id", "id"],
                    CASCADE,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("refresh_tokens", "ux_refresh_tokens_hash", &["tenant_id", "token_hash"], true)).await?;
        m.create_index(index("refresh_tokens", "ix_refresh_tokens_session", &["tenant_id", "session_id"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("api_keys")
                .col(uuid("tenant_id"))
                .col(uuid("id"))
                .col(text("name"))
                .col(text("role"))
                .col(json("brand_ids"))
                .col(text("prefix"))
                .col(text("key_hash"))
                .col(uuid_null("created_by"))
                .col(time("created_at"))
                .col(time_null("last_used_at"))
                .primary_key(&mut pk(&["tenant_id", "id"]))
                .foreign_key(&mut tenant_fk("api_keys"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("api_keys", "ux_api_keys_hash", &["tenant_id", "key_hash"], true)).await?;

        m.create_table(
            Table::create()
                .table("brands")
                .col(uuid("tenant_id"))
                .col(uuid("id"))
                .col(text("name"))
                .col(json("keywords"))
                .col(json("excluded_keywords"))
                .col(json("languages"))
                .col(time("created_at"))
                .col(time("updated_at"))
                .primary_key(&mut pk(&["tenant_id", "id"]))
                .foreign_key(&mut tenant_fk("brands"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("brands", "ux_brands_name", &["tenant_id", "name"], true)).await?;

        m.create_table(
            Table::create()
                .table("competitor_sets")
                .col(uuid("tenant_id"))
                .col(uuid("id"))
                .col(text("name"))
                .col(uuid("brand_id"))
                .col(time("created_at"))
                .col(time("updated_at"))
                .primary_key(&mut pk(&["tenant_id", "id"]))
                .foreign_key(&mut tenant_fk("competitor_sets"))
                .foreign_key(&mut fk(
                    "competitor_sets",
                    &["tenant_id", "brand_id"],
                    "brands",
                    &["tenant_id", "id"],
                    RESTRICT,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("competitor_sets", "ix_competitor_sets_brand", &["tenant_id", "brand_id"], false)).await?;

        m.create_table(
            Table::create()
                .table("competitor_set_members")
                .col(uuid("tenant_id"))
                .col(uuid("set_id"))
                .col(uuid("brand_id"))
                .col(ColumnDef::new("position").integer().not_null())
                .primary_key(&mut pk(&["tenant_id", "set_id", "brand_id"]))
                .foreign_key(&mut fk(
                    "competitor_set_members",
                    &["tenant_id", "set_id"],
                    "competitor_sets",
                    &["tenant_id", "id"],
                    CASCADE,
                ))
                .foreign_key(&mut fk(
                    "competitor_set_members",
                    &["tenant_id", "brand_id"],
                    "brands",
                    &["tenant_id", "id"],
                    RESTRICT,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "competitor_set_members",
            "ix_competitor_set_members_brand",
            &["tenant_id", "brand_id"],
            false,
        ))
        .await?;

        // Scoped by tenant; anonymous requests (signup) use the nil UUID, so
        // this table has no foreign key to `tenants`.
        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .col(uuid("tenant_id"))
                .col(text("key"))
                .col(text("request_hash"))
                .col(int_null("status"))
                .col(text_null("content_type"))
                .col(text_null("location"))
                .col(blob_null("body"))
                .col(time("created_at"))
                .primary_key(&mut pk(&["tenant_id", "key"]))
                .to_owned(),
        )
        .await?;
        m.create_index(index("idempotency_keys", "ix_idempotency_keys_created", &["created_at"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "idempotency_keys",
            "competitor_set_members",
            "competitor_sets",
            "brands",
            "api_keys",
            "refresh_tokens",
            "sessions",
            "user_emails",
            "users",
            "tenants",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
