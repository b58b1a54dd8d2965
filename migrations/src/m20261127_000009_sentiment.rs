//! What the built-in sentiment model learns per tenant: the corrections its
//! people made (a manual label with the post's text), and the adaptation
//! trained on them, with the tenant's choice of model (its own HTTP model
//! service, or the built-in one).

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One correction per post: the latest manual label wins.
        m.create_table(
            Table::create()
                .table("sentiment_corrections")
                .col(uuid("tenant_id"))
                .col(uuid("post_id"))
                .col(text("label"))
                .col(ColumnDef::new("text").text().not_null())
                .col(text_null("language"))
                .col(time("created_at"))
                .primary_key(&mut pk(&["tenant_id", "post_id"]))
                .foreign_key(&mut fk(
                    "sentiment_corrections",
                    &["tenant_id"],
                    "tenants",
                    &["id"],
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        // `corrections_version` moves with every correction; the adaptation
        // is current when `trained_version` caught up with it. The worker
        // that trains claims the row with `claimed_at` (compare-and-set).
        m.create_table(
            Table::create()
                .table("sentiment_models")
                .col(ColumnDef::new("tenant_id").uuid().not_null().primary_key())
                .col(sum("corrections_version"))
                .col(sum("trained_version"))
                .col(sum("trained_on"))
                .col(time_null("trained_at"))
                .col(time_null("claimed_at"))
                .col(blob_null("adaptation"))
                .col(text_null("endpoint_url"))
                .col(int_null("endpoint_timeout_ms"))
                .foreign_key(&mut fk("sentiment_models", &["tenant_id"], "tenants", &["id"], ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("sentiment_models").to_owned()).await?;
        m.drop_table(Table::drop().table("sentiment_corrections").to_owned()).await
    }
}
