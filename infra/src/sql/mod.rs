//! The SQL adapter: one implementation of every repository port for SQLite
//! and PostgreSQL, through sea-orm.

mod access;
mod alerts;
mod backfill;
mod brands;
mod communication;
mod engagement;
mod entities;
mod idempotency;
mod ingest;
mod mentions;
mod quotas;
mod reports;
mod rollups;
mod sentiment;
mod sources;
mod unnest;
mod webhooks;

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqlErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use serde::de::DeserializeOwned;
use smrm_domain::DomainError;
pub use smrm_migrations::citus;
use smrm_migrations::{Migrator, MigratorTrait};

/// Every repository port, over one connection pool.
#[derive(Clone)]
pub struct SqlStore {
    db: DatabaseConnection,
    /// For an in-memory SQLite database: a second connection that is never
    /// used, so the database outlives the pool's connection being recycled
    /// (sqlx closes a connection whose query was cancelled mid-way).
    _keeper: Option<DatabaseConnection>,
    /// Tenants whose recent batches repeated stored posts (PostgreSQL):
    /// their posts go in with `ON CONFLICT DO NOTHING` at once, everyone
    /// else's with a plain INSERT first (see `ingest::PostInsert`).
    overlapping: std::sync::Arc<ingest::Overlapping>,
    /// PostgreSQL with the `citus` extension: posts always go in with
    /// `ON CONFLICT DO NOTHING` (see `ingest::PostInsert`).
    citus: bool,
    /// How batch INSERTs are written (see `unnest::BatchForm`).
    batch_form: unnest::BatchForm,
}

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct DbSettings {
    pub url: String,
    /// PostgreSQL only: the schema to use (tests run one schema per test).
    pub schema: Option<String>,
    pub max_connections: u32,
    /// SQLite only: how long a writer waits for another connection's write
    /// lock (another process on the same file) before giving up with
    /// `DomainError::Unavailable`.
    pub busy_timeout: Duration,
    /// PostgreSQL: how batch INSERTs are written (`SMRM_BATCH_INSERTS`).
    pub batch_inserts: BatchInserts,
}

/// How batch INSERTs (posts, mentions, rollup deltas) are written on
/// PostgreSQL, plain or Citus: one array per column (the default, the
/// cheaper on both, as measured by `tests/bench/citus.sh`) or `VALUES`
/// lists (which Citus routes to the tenant's shard; kept to measure that
/// again on a cluster of several machines). See `unnest::BatchForm`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BatchInserts {
    #[default]
    Arrays,
    Values,
}

impl SqlStore {
    pub async fn connect(settings: &DbSettings) -> Result<Self, DomainError> {
        let mut url = settings.url.clone();
        let mut keeper = None;
        if url == "sqlite::memory:" || url.contains("mode=memory") {
            url = format!("sqlite:file:smrm-{}?mode=memory&cache=shared", uuid::Uuid::now_v7().simple());
            keeper = Some(Database::connect(url.as_str()).await.map_err(db_err)?);
        }
        let mut opts = ConnectOptions::new(url.clone());
        opts.sqlx_logging(false).acquire_timeout(Duration::from_secs(5)).connect_timeout(Duration::from_secs(5));
        if url.starts_with("sqlite:") {
            // An in-memory database lives as long as its one connection, and a
            // file database serialises writers anyway: one connection, kept.
            opts.max_connections(1).min_connections(1).idle_timeout(None::<Duration>).max_lifetime(None::<Duration>);
            let busy_timeout = settings.busy_timeout;
            opts.map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(busy_timeout)
            });
        } else {
            opts.max_connections(settings.max_connections).min_connections(1);
            if let Some(schema) = &settings.schema {
                opts.set_schema_search_path(schema.clone());
            }
        }
        let db = Database::connect(opts).await.map_err(db_err)?;
        let citus = citus::installed(&db).await.map_err(db_err)?;
        let batch_form = match settings.batch_inserts {
            BatchInserts::Arrays => unnest::BatchForm::Unnest,
            BatchInserts::Values => unnest::BatchForm::Values,
        };
        Ok(Self { db, _keeper: keeper, overlapping: Default::default(), citus, batch_form })
    }

    /// Applies every pending migration; on Citus, then places every table
    /// the migrations made (`smrm_migrations::citus::setup`) and returns what
    /// it did.
    pub async fn migrate(&self) -> Result<Option<citus::Setup>, DomainError> {
        Migrator::up(&self.db, None).await.map_err(db_err)?;
        if !self.citus {
            return Ok(None);
        }
        let setup = citus::setup(&self.db).await.map_err(db_err)?;
        if !setup.distributed.is_empty() || !setup.reference.is_empty() {
            tracing::info!(distributed = ?setup.distributed, reference = ?setup.reference, "tables placed on Citus");
        }
        Ok(Some(setup))
    }

    /// Whether the database is a Citus coordinator.
    pub fn on_citus(&self) -> bool {
        self.citus
    }

    /// How batch INSERTs are written on PostgreSQL here.
    fn batch_form(&self) -> unnest::BatchForm {
        self.batch_form
    }

    /// `Ok` when the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DomainError> {
        self.db.execute_unprepared("SELECT 1").await.map(|_| ()).map_err(db_err)
    }

    pub fn backend(&self) -> &'static str {
        match self.db.get_database_backend() {
            DbBackend::Postgres => "postgres",
            DbBackend::Sqlite => "sqlite",
            _ => "other",
        }
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}

/// Starts a transaction that will write.
///
/// On SQLite it takes the write lock when it begins (`BEGIN IMMEDIATE`),
/// waiting up to the busy timeout for another writer — another process on
/// the same file (`smrm demo` beside `smrm serve`, a second replica). A
/// deferred `BEGIN` would read first and fail at its first write with
/// `SQLITE_BUSY_SNAPSHOT` as soon as another connection had committed in
/// between, without waiting. On PostgreSQL it is a plain `BEGIN`.
pub(crate) async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DomainError> {
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    db.begin_with_options(options).await.map_err(db_err)
}

/// SQLite's primary result codes for "another connection holds the lock"
/// (`SQLITE_BUSY`, `SQLITE_LOCKED`); sqlx reports the extended code, whose
/// low byte is the primary one.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;

/// Whether `e` is SQLite saying the database stayed locked past the busy
/// timeout: the caller may try again shortly (503 with `Retry-After`).
fn sqlite_busy(e: &DbErr) -> bool {
    let (DbErr::Exec(sea_orm::RuntimeErr::SqlxError(s))
    | DbErr::Query(sea_orm::RuntimeErr::SqlxError(s))
    | DbErr::Conn(sea_orm::RuntimeErr::SqlxError(s))) = e
    else {
        return false;
    };
    let sea_orm::sqlx::Error::Database(d) = &**s else { return false };
    d.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>().is_some()
        && d.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| matches!(c & 0xff, SQLITE_BUSY | SQLITE_LOCKED))
}

/// Maps a database error into the domain's words: constraint violations
/// become conflicts, lost connections `Unavailable`, the rest opaque.
pub(crate) fn db_err(e: DbErr) -> DomainError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            return DomainError::Conflict("a resource with the same unique value already exists".into());
        }
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
            return DomainError::Conflict("the resource is referenced by another resource".into());
        }
        _ => {}
    }
    if sqlite_busy(&e) {
        return DomainError::Unavailable(format!("the database is busy with another writer: {e}"));
    }
    let unavailable = match &e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(s)) | DbErr::Query(sea_orm::RuntimeErr::SqlxError(s)) => {
            use sea_orm::sqlx::Error as X;
            matches!(**s, X::Io(_) | X::PoolTimedOut | X::PoolClosed | X::Tls(_) | X::Protocol(_) | X::WorkerCrashed)
        }
        _ => false,
    };
    if unavailable { DomainError::Unavailable(e.to_string()) } else { DomainError::Internal(e.to_string()) }
}

/// Reads a JSON column written by this adapter.
pub(crate) fn from_json<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, DomainError> {
    serde_json::from_value(value).map_err(|e| DomainError::Internal(format!("corrupt JSON column: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("domain values serialise to JSON")
}

#[async_trait::async_trait]
impl smrm_domain::ports::Readiness for SqlStore {
    async fn ready(&self) -> Result<(), DomainError> {
        self.ping().await
    }

    fn pool(&self) -> Option<(u32, u32)> {
        match self.db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                Some((pool.size(), u32::try_from(pool.num_idle()).unwrap_or(u32::MAX)))
            }
            _ => {
                let pool = self.db.get_sqlite_connection_pool();
                Some((pool.size(), u32::try_from(pool.num_idle()).unwrap_or(u32::MAX)))
            }
        }
    }
}

/// Which way a keyset page walks the ids (UUIDv7: creation order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walk {
    OldestFirst,
    NewestFirst,
}

/// One page of `select` (already filtered to the tenant) by `id`, after the
/// cursor, converted by `to_domain`: the keyset paging every list shares.
pub(crate) async fn page_by_id<E, T>(
    db: &impl ConnectionTrait,
    select: sea_orm::Select<E>,
    id: E::Column,
    page: smrm_domain::page::PageRequest,
    walk: Walk,
    to_domain: impl Fn(E::Model) -> Result<T, DomainError>,
) -> Result<smrm_domain::page::Page<T>, DomainError>
where
    E: sea_orm::EntityTrait,
    E::Model: sea_orm::ModelTrait<Entity = E>,
{
    use sea_orm::{ColumnTrait, ModelTrait, QueryFilter, QueryOrder, QuerySelect, Value};
    let mut select = select;
    if let Some(after) = page.after {
        select = match walk {
            Walk::OldestFirst => select.filter(id.gt(after)),
            Walk::NewestFirst => select.filter(id.lt(after)),
        };
    }
    select = match walk {
        Walk::OldestFirst => select.order_by_asc(id),
        Walk::NewestFirst => select.order_by_desc(id),
    };
    let rows = select.limit(page.limit as u64 + 1).all(db).await.map_err(db_err)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let key = match row.get(id) {
            Value::Uuid(Some(u)) => u,
            other => return Err(DomainError::Internal(format!("a page's id column held {other:?}"))),
        };
        out.push((key, to_domain(row)?));
    }
    Ok(smrm_domain::page::Page::from_overfetch(out, page.limit, |(key, _)| *key).map(|(_, item)| item))
}
