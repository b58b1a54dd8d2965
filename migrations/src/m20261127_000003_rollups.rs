//! Pre-aggregated mention counts and sums per tenant, brand, hour, platform,
//! source type and sentiment: reports read these, never the raw mentions, so
//! their cost grows with buckets and brands, not with mentions.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("mention_rollups")
                .col(uuid("tenant_id"))
                .col(uuid("brand_id"))
                .col(time("hour"))
                .col(text("platform"))
                .col(text("source_type"))
                .col(text("sentiment"))
                .col(sum("mentions"))
                .col(sum("likes"))
                .col(sum("comments"))
                .col(sum("reposts"))
                .col(sum("views"))
                .col(sum("reach"))
                .primary_key(&mut pk(&["tenant_id", "brand_id", "hour", "platform", "source_type", "sentiment"]))
                .foreign_key(&mut fk(
                    "mention_rollups",
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
        m.drop_table(Table::drop().table("mention_rollups").to_owned()).await
    }
}
