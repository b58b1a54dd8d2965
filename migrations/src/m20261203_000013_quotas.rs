//! Per-tenant quotas an operator set over the defaults (`smrm quota`): one
//! row per tenant and quota name; a quota without a row has its default.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("tenant_quotas")
                .col(ColumnDef::new("tenant_id").uuid().not_null())
                .col(ColumnDef::new("name").string_len(32).not_null())
                .col(ColumnDef::new("value").integer().not_null())
                .primary_key(Index::create().col("tenant_id").col("name"))
                .foreign_key(&mut fk("tenant_quotas", &["tenant_id"], "tenants", &["id"], ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("tenant_quotas").to_owned()).await
    }
}
