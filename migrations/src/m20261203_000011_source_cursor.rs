//! A source keeps a connector's cursor instead of an RSS feed's validators:
//! every connector says where its next fetch starts in a string of its own
//! (RSS writes its validators there, as JSON). The stored validators move
//! into it, so no feed is fetched whole again.

use sea_orm_migration::prelude::*;

use crate::columns::{fill_from, text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("sources").add_column(text_null("cursor")).to_owned()).await?;
        // {"etag": …, "last_modified": …} without the absent ones (what the
        // RSS connector reads), built here: see `columns::fill_from`.
        let stored = Expr::col("etag").is_not_null().or(Expr::col("last_modified").is_not_null());
        fill_from(m, "sources", "cursor", &["etag", "last_modified"], Some(stored), |seen| {
            let cursor: serde_json::Map<String, serde_json::Value> = ["etag", "last_modified"]
                .into_iter()
                .zip(seen)
                .filter_map(|(key, v)| Some((key.to_owned(), v.clone()?.into())))
                .collect();
            serde_json::Value::Object(cursor).to_string()
        })
        .await?;
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
