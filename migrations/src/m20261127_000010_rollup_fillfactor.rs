//! Leaves room in the rollup tables' pages for the rows' next versions.
//!
//! A rollup row is rewritten by every batch that has a mention of its key
//! (the current hour's rows by nearly every batch). PostgreSQL writes the new
//! version in the same page when it fits, and then touches no index (a HOT
//! update); in full pages it goes elsewhere and every index of the table gets
//! a new entry. With the default fill factor (100) about a quarter of the
//! hourly rollups' updates and two thirds of the author rollups' were not
//! HOT during the ingest benchmark. SQLite rewrites rows in place: nothing to
//! do there.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["mention_rollups", "brand_hour_rollups", "author_rollups"];

/// The share of each new page filled by inserts, in percent.
const FILL_FACTOR: u8 = 70;

fn postgres(m: &SchemaManager) -> bool {
    m.get_database_backend() == sea_orm::DatabaseBackend::Postgres
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if !postgres(m) {
            return Ok(());
        }
        for table in TABLES {
            m.get_connection()
                .execute_unprepared(&format!("ALTER TABLE {table} SET (fillfactor = {FILL_FACTOR})"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if !postgres(m) {
            return Ok(());
        }
        for table in TABLES {
            m.get_connection().execute_unprepared(&format!("ALTER TABLE {table} RESET (fillfactor)")).await?;
        }
        Ok(())
    }
}
