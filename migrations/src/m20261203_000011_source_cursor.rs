//! A source keeps a connector's cursor instead of an RSS feed's validators:
//! every connector says where its next fetch starts in a string of its own
//! (RSS writes its validators there, as JSON). The stored validators move
//! into it, so no feed is fetched whole again.

use sea_orm_migration::prelude::*;

use crate::columns::text_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("sources").add_column(text_null("cursor")).to_owned()).await?;
        let carry = match m.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                "UPDATE sources SET cursor = json_strip_nulls(json_build_object('etag', etag, 'last_modified', last_modified))::text \
                 WHERE etag IS NOT NULL OR last_modified IS NOT NULL"
            }
            _ => {
                "UPDATE sources SET cursor = json_object('etag', etag, 'last_modified', last_modified) \
                 WHERE etag IS NOT NULL OR last_modified IS NOT NULL"
            }
        };
        m.get_connection().execute_unprepared(carry).await?;
        for column in ["etag", "last_modified"] {
            m.alter_table(Table::alter().table("sources").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in ["etag", "last_modified"] {
            m.alter_table(Table::alter().table("sources").add_column(text_null(column)).to_owned()).await?;
        }
        m.alter_table(Table::alter().table("sources").drop_column("cursor").to_owned()).await
    }
}
