//! A sentiment correction is a person's label of one mention: the sentiment
//! toward one brand in a post, so one post can hold a correction per brand.
//! `sentiment_corrections` gains `brand_id` (in its primary key) and
//! `targets`, the words the brand matched (what the label is toward; `[]`:
//! the whole text). A stored correction (one per post, the latest label a
//! person gave any of its mentions) becomes one per manual mention of its
//! post that carries its label: a post whose two brands were labelled apart
//! keeps the later label on its brand only, not on both. One without such a
//! mention (its label was undone since) is dropped, as no longer in force.
//!
//! PostgreSQL (and Citus, where the table is distributed already) alters
//! the table in place; SQLite, which cannot change a primary key, makes it
//! again in one transaction.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() == DbBackend::Sqlite {
            return rebuild(m, true).await;
        }
        for sql in [
            "ALTER TABLE sentiment_corrections ADD COLUMN brand_id uuid",
            "ALTER TABLE sentiment_corrections ADD COLUMN targets jsonb NOT NULL DEFAULT '[]'::jsonb",
            "ALTER TABLE sentiment_corrections DROP CONSTRAINT sentiment_corrections_pkey",
            "INSERT INTO sentiment_corrections (tenant_id, post_id, label, text, language, created_at, brand_id, targets) \
             SELECT c.tenant_id, c.post_id, c.label, c.text, c.language, c.created_at, m.brand_id, m.matched_words \
             FROM sentiment_corrections c JOIN mentions m ON m.tenant_id = c.tenant_id AND m.post_id = c.post_id \
             AND m.sentiment_origin = 'manual' AND m.sentiment_label = c.label WHERE c.brand_id IS NULL",
            "DELETE FROM sentiment_corrections WHERE brand_id IS NULL",
            "ALTER TABLE sentiment_corrections ALTER COLUMN brand_id SET NOT NULL",
            "ALTER TABLE sentiment_corrections ADD PRIMARY KEY (tenant_id, post_id, brand_id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() == DbBackend::Sqlite {
            return rebuild(m, false).await;
        }
        for sql in [
            // One correction per post again: the latest.
            "DELETE FROM sentiment_corrections a USING sentiment_corrections b \
             WHERE a.tenant_id = b.tenant_id AND a.post_id = b.post_id \
             AND (a.created_at, a.brand_id) < (b.created_at, b.brand_id)",
            "ALTER TABLE sentiment_corrections DROP CONSTRAINT sentiment_corrections_pkey",
            "ALTER TABLE sentiment_corrections ADD PRIMARY KEY (tenant_id, post_id)",
            "ALTER TABLE sentiment_corrections DROP COLUMN targets",
            "ALTER TABLE sentiment_corrections DROP COLUMN brand_id",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}

/// SQLite: the table made again with (`targeted`) or without the new
/// columns, its rows copied.
async fn rebuild(m: &SchemaManager<'_>, targeted: bool) -> Result<(), DbErr> {
    let db = m.get_connection();
    db.execute_unprepared("DROP TABLE IF EXISTS sentiment_corrections_next").await?;
    let mut table = Table::create();
    table
        .table("sentiment_corrections_next")
        .col(uuid("tenant_id"))
        .col(uuid("post_id"))
        .col(text("label"))
        .col(ColumnDef::new("text").text().not_null())
        .col(text_null("language"))
        .col(time("created_at"))
        .foreign_key(&mut fk(
            "sentiment_corrections_next",
            &["tenant_id"],
            "tenants",
            &["id"],
            ForeignKeyAction::Cascade,
        ));
    if targeted {
        table.col(uuid("brand_id")).col(json("targets")).primary_key(&mut pk(&["tenant_id", "post_id", "brand_id"]));
    } else {
        table.primary_key(&mut pk(&["tenant_id", "post_id"]));
    }
    m.create_table(table.to_owned()).await?;
    let copy = if targeted {
        "INSERT INTO sentiment_corrections_next (tenant_id, post_id, label, text, language, created_at, brand_id, targets) \
         SELECT c.tenant_id, c.post_id, c.label, c.text, c.language, c.created_at, m.brand_id, m.matched_words \
         FROM sentiment_corrections c JOIN mentions m ON m.tenant_id = c.tenant_id AND m.post_id = c.post_id \
         AND m.sentiment_origin = 'manual' AND m.sentiment_label = c.label WHERE true ON CONFLICT DO NOTHING"
    } else {
        "INSERT INTO sentiment_corrections_next (tenant_id, post_id, label, text, language, created_at) \
         SELECT tenant_id, post_id, label, text, language, created_at FROM sentiment_corrections c \
         WHERE NOT EXISTS (SELECT 1 FROM sentiment_corrections d WHERE d.tenant_id = c.tenant_id \
         AND d.post_id = c.post_id AND (d.created_at > c.created_at OR (d.created_at = c.created_at AND d.brand_id > c.brand_id)))"
    };
    db.execute_unprepared(copy).await?;
    m.drop_table(Table::drop().table("sentiment_corrections").to_owned()).await?;
    m.rename_table(Table::rename().table("sentiment_corrections_next", "sentiment_corrections").to_owned()).await
}
