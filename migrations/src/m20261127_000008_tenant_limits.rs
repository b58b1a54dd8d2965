//! Limits an operator sets per tenant (its plan) over the defaults of the
//! configuration: for now the requests per minute of each of its callers.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("tenant_limits")
                .col(ColumnDef::new("tenant_id").uuid().not_null().primary_key())
                .col(ColumnDef::new("rate_limit_per_minute").integer().null())
                .foreign_key(&mut fk("tenant_limits", &["tenant_id"], "tenants", &["id"], ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("tenant_limits").to_owned()).await
    }
}
