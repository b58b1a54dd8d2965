//! SMRM's driven adapters: the SQL store (SQLite and PostgreSQL through
//! sea-orm), the report caches (Redis and in-process), the crypto ports and
//! outbound HTTP (webhooks, feeds).

pub mod cache;
pub mod connectors;
pub mod crypto;
pub mod limiter;
pub mod lookups;
pub mod matcher;
pub mod outbound;
pub mod secrets;
pub mod sentiment;
pub mod sql;

pub use sql::{BatchInserts, DbSettings, SqlStore};
