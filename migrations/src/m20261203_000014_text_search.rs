//! An index for `q=`, the inbox's and the export's substring search over the
//! posts' folded text, so a search costs about what its matches do instead
//! of a scan of every post of the tenant.
//!
//! - PostgreSQL: a trigram GIN index (`pg_trgm`, a trusted extension: the
//!   database's owner may create it) on `posts.text_folded`, which answers
//!   `LIKE '%…%'` for patterns of three characters or more. The extension is
//!   created in `public` unless it is already installed elsewhere; an advisory
//!   lock keeps concurrent migrations (one schema per test) from racing.
//! - SQLite: an FTS5 table with the trigram tokenizer, `post_search`, filled
//!   by a trigger on every new post (posts are never edited nor deleted one
//!   by one); a phrase query on it is a substring match.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Any constant shared by every SMRM migration that creates `pg_trgm`.
const EXTENSION_LOCK: i64 = 0x736d_726d_7472_676d;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({EXTENSION_LOCK})")).await?;
                db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public").await?;
                let schema = db
                    .query_one_raw(Statement::from_string(
                        DatabaseBackend::Postgres,
                        "SELECT n.nspname AS schema FROM pg_extension e \
                         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'",
                    ))
                    .await?
                    .ok_or_else(|| DbErr::Migration("pg_trgm is not installed".into()))?
                    .try_get::<String>("", "schema")?;
                db.execute_unprepared(&format!(
                    "CREATE INDEX ix_posts_text_trgm ON posts USING gin (text_folded \"{}\".gin_trgm_ops)",
                    schema.replace('"', "\"\"")
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE post_search USING fts5(\
                     text_folded, tenant_id UNINDEXED, post_id UNINDEXED, tokenize = 'trigram')",
                )
                .await?;
                db.execute_unprepared(
                    "INSERT INTO post_search (text_folded, tenant_id, post_id) \
                     SELECT text_folded, tenant_id, id FROM posts WHERE text_folded IS NOT NULL",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER posts_searchable AFTER INSERT ON posts WHEN NEW.text_folded IS NOT NULL BEGIN \
                     INSERT INTO post_search (text_folded, tenant_id, post_id) \
                     VALUES (NEW.text_folded, NEW.tenant_id, NEW.id); END",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared("DROP INDEX IF EXISTS ix_posts_text_trgm").await?;
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS posts_searchable").await?;
                db.execute_unprepared("DROP TABLE IF EXISTS post_search").await?;
            }
        }
        Ok(())
    }
}
