//! Native connectors: a source names its kind's settings (`config`), a
//! credential, the brands it collects for, and a status; credentials hold
//! platform secrets sealed with the operator's key (`SMRM_SECRETS_KEY`).
//! Existing feed sources get their URL as their config and their name.
//! Posts gain the external ids of the post they answer or repost.

use sea_orm_migration::prelude::*;

use crate::columns::{blob_null, fill_from, fk, pk, sum, text, text_null, time, time_null, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn with_default(name: &'static str, default: &'static str) -> ColumnDef {
    ColumnDef::new(name).string().not_null().default(default).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("credentials")
                .col(uuid("tenant_id"))
                .col(uuid("id"))
                .col(text("kind"))
                .col(text("name"))
                .col(text("status"))
                .col(text("key_version"))
                .col(ColumnDef::new("nonce").blob().not_null())
                .col(ColumnDef::new("secret").blob().not_null())
                .col(time_null("last_used_at"))
                .col(time("created_at"))
                .primary_key(&mut pk(&["tenant_id", "id"]))
                .foreign_key(&mut fk("credentials", &["tenant_id"], "tenants", &["id"], ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        let columns = [
            with_default("name", ""),
            with_default("config", "{}"),
            uuid_null("credential_id"),
            with_default("brand_ids", "[]"),
            text_null("state"),
            sum("posts_fetched"),
            // A pushed source's own secret (VK Callback API), sealed.
            text_null("secret_key_version"),
            blob_null("secret_nonce"),
            blob_null("secret"),
        ];
        for c in columns {
            m.alter_table(Table::alter().table("sources").add_column(c).to_owned()).await?;
        }
        // A post may answer another (a comment) or repeat one (a repost).
        for c in ["parent_external_id", "repost_of_external_id"] {
            m.alter_table(Table::alter().table("posts").add_column(text_null(c)).to_owned()).await?;
        }
        m.get_connection()
            .execute_unprepared(
                "UPDATE sources SET name = url, \
                 state = CASE WHEN last_polled_at IS NULL THEN NULL WHEN last_error IS NULL THEN 'ok' ELSE 'failing' END",
            )
            .await?;
        fill_from(m, "sources", "config", &["kind", "url"], None, |seen| {
            serde_json::json!({ "kind": seen[0], "url": seen[1] }).to_string()
        })
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in ["parent_external_id", "repost_of_external_id"] {
            m.alter_table(Table::alter().table("posts").drop_column(c).to_owned()).await?;
        }
        for c in [
            "name",
            "config",
            "credential_id",
            "brand_ids",
            "state",
            "posts_fetched",
            "secret_key_version",
            "secret_nonce",
            "secret",
        ] {
            m.alter_table(Table::alter().table("sources").drop_column(c).to_owned()).await?;
        }
        m.drop_table(Table::drop().table("credentials").to_owned()).await
    }
}
