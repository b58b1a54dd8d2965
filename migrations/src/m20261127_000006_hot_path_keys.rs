//! Drops the foreign keys of the ingest hot path on PostgreSQL: `posts →
//! tenants`, `mentions → posts`, `mentions → brands` and the three rollups
//! `→ brands`.
//!
//! Each of them ran one lookup query per inserted row (the RI triggers were a
//! third of PostgreSQL's CPU during batch ingest), and none of them guarded
//! anything the writers do not already guarantee under the tenant's counter
//! lock: ingest re-checks the tenant's brand version under that lock, so it
//! never writes a mention or rollup of a brand deleted meanwhile; a brand's
//! deletion takes the same lock and removes its mentions and rollups itself;
//! posts and tenants are never deleted. SQLite keeps the keys (it cannot drop
//! one without rebuilding the table, and it writes one transaction at a time
//! anyway), so both databases delete the same rows.
//!
//! A brand is deleted in two steps: its row goes at once, under the counter
//! lock, leaving a `brand_tombstones` row; its mentions and rollups are purged
//! right after, in a transaction of their own that takes row locks in the
//! order ingest takes them. A purge cut short (a crash) is finished by the
//! background worker from the tombstones.

use sea_orm_migration::prelude::*;

use crate::columns::{fk, pk, time, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(table, columns, parent, parent columns)`, named as `columns::fk` names them.
type Key = (&'static str, &'static [&'static str], &'static str, &'static [&'static str]);

const KEYS: [Key; 6] = [
    ("posts", &["tenant_id"], "tenants", &["id"]),
    ("mentions", &["tenant_id", "post_id"], "posts", &["tenant_id", "id"]),
    ("mentions", &["tenant_id", "brand_id"], "brands", &["tenant_id", "id"]),
    ("mention_rollups", &["tenant_id", "brand_id"], "brands", &["tenant_id", "id"]),
    ("author_rollups", &["tenant_id", "brand_id"], "brands", &["tenant_id", "id"]),
    ("brand_hour_rollups", &["tenant_id", "brand_id"], "brands", &["tenant_id", "id"]),
];

fn postgres(m: &SchemaManager) -> bool {
    m.get_database_backend() == sea_orm::DatabaseBackend::Postgres
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("brand_tombstones")
                .col(uuid("tenant_id"))
                .col(uuid("brand_id"))
                .col(time("deleted_at"))
                .primary_key(&mut pk(&["tenant_id", "brand_id"]))
                .to_owned(),
        )
        .await?;
        if !postgres(m) {
            return Ok(());
        }
        for (table, cols, _, _) in KEYS {
            let name = format!("fk_{table}_{}", cols.join("_"));
            m.drop_foreign_key(ForeignKey::drop().table(table).name(name).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("brand_tombstones").to_owned()).await?;
        if !postgres(m) {
            return Ok(());
        }
        for (table, cols, parent, parent_cols) in KEYS {
            m.create_foreign_key(fk(table, cols, parent, parent_cols, ForeignKeyAction::Cascade)).await?;
        }
        Ok(())
    }
}
