//! SMRM's schema, for SQLite and PostgreSQL alike: the only place tables are
//! defined. Every tenant-owned table's primary key, unique indexes and foreign
//! keys lead with `tenant_id` (tenancy by construction; the Citus shard key).

pub use sea_orm_migration::prelude::*;

pub mod citus;
mod columns;
mod m20261126_000001_foundation;
mod m20261127_000002_mentions;
mod m20261127_000003_rollups;
mod m20261127_000004_author_rollups;
mod m20261127_000005_brand_hour_rollups;
mod m20261127_000006_hot_path_keys;
mod m20261127_000007_communication;
mod m20261127_000008_tenant_limits;
mod m20261127_000009_sentiment;
mod m20261127_000010_rollup_fillfactor;
mod m20261203_000011_source_cursor;
mod m20261203_000012_connectors;
mod m20261203_000013_quotas;
mod m20261204_000014_login_directory;
mod m20261204_000015_targeted_corrections;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_foundation::Migration),
            Box::new(m20261127_000002_mentions::Migration),
            Box::new(m20261127_000003_rollups::Migration),
            Box::new(m20261127_000004_author_rollups::Migration),
            Box::new(m20261127_000005_brand_hour_rollups::Migration),
            Box::new(m20261127_000006_hot_path_keys::Migration),
            Box::new(m20261127_000007_communication::Migration),
            Box::new(m20261127_000008_tenant_limits::Migration),
            Box::new(m20261127_000009_sentiment::Migration),
            Box::new(m20261127_000010_rollup_fillfactor::Migration),
            Box::new(m20261203_000011_source_cursor::Migration),
            Box::new(m20261203_000012_connectors::Migration),
            Box::new(m20261203_000013_quotas::Migration),
            Box::new(m20261204_000014_login_directory::Migration),
            Box::new(m20261204_000015_targeted_corrections::Migration),
        ]
    }
}
