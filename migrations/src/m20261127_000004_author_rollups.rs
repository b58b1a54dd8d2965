//! Daily per-author aggregates of each brand's mentions: the top-authors
//! report reads these, not the raw mentions.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("author_rollups")
                .col(uuid("tenant_id"))
                .col(uuid("brand_id"))
                // The UTC day.
                .col(time("day"))
                .col(text("platform"))
                .col(text("source_type"))
                .col(text("author_key"))
                .col(text("handle"))
                .col(text_null("name"))
                .col(sum("followers"))
                .col(sum("mentions"))
                .col(sum("negative"))
                .col(sum("engagement"))
                .col(sum("reach"))
                .primary_key(&mut pk(&["tenant_id", "brand_id", "day", "platform", "source_type", "author_key"]))
                .foreign_key(&mut fk(
                    "author_rollups",
                    &["tenant_id", "brand_id"],
                    "brands",
                    &["tenant_id", "id"],
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("author_rollups").to_owned()).await
    }
}
