//! The coarsest rollup: per tenant, brand and hour only. Share of Voice
//! without filters reads it: brands × hours rows whatever the platforms,
//! source types and sentiments.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("brand_hour_rollups")
                .col(uuid("tenant_id"))
                .col(uuid("brand_id"))
                .col(time("hour"))
                .col(sum("mentions"))
                .col(sum("likes"))
                .col(sum("comments"))
                .col(sum("reposts"))
                .col(sum("views"))
                .col(sum("reach"))
                .primary_key(&mut pk(&["tenant_id", "brand_id", "hour"]))
                .foreign_key(&mut fk(
                    "brand_hour_rollups",
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
        m.drop_table(Table::drop().table("brand_hour_rollups").to_owned()).await
    }
}
