//! Report caches: in-process (moka) for the embedded default, Redis in
//! production. Invalidation is a per-tenant generation counter that is part of
//! every key, so one increment retires all of a tenant's reports at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::future::Cache;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use smrm_domain::ids::TenantId;
use smrm_domain::ports::ReportCache;
use tokio::sync::Mutex;

/// In-process cache, bounded by total bytes.
pub struct MemoryCache {
    entries: Cache<(TenantId, u64, String), Arc<Vec<u8>>>,
    generations: Cache<TenantId, u64>,
}

impl MemoryCache {
    pub fn new(max_bytes: u64) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|(_, _, k): &(TenantId, u64, String), v: &Arc<Vec<u8>>| {
                    (k.len() + v.len()).try_into().unwrap_or(u32::MAX)
                })
                .expire_after(PerEntryTtl)
                .build(),
            generations: Cache::builder().max_capacity(1_000_000).build(),
        }
    }

    async fn generation(&self, tenant: TenantId) -> u64 {
        self.generations.get(&tenant).await.unwrap_or(0)
    }
}

/// The TTL rides along with the value's key lookup: moka asks per entry.
struct PerEntryTtl;

thread_local! {
    static NEXT_TTL: std::cell::Cell<Duration> = const { std::cell::Cell::new(Duration::from_secs(300)) };
}

impl moka::Expiry<(TenantId, u64, String), Arc<Vec<u8>>> for PerEntryTtl {
    fn expire_after_create(&self, _: &(TenantId, u64, String), _: &Arc<Vec<u8>>, _: Instant) -> Option<Duration> {
        Some(NEXT_TTL.with(|t| t.get()))
    }
}

#[async_trait]
impl ReportCache for MemoryCache {
    async fn get(&self, tenant: TenantId, key: &str) -> Option<Vec<u8>> {
        let generation = self.generation(tenant).await;
        self.entries.get(&(tenant, generation, key.to_owned())).await.map(|v| v.as_ref().clone())
    }

    async fn put(&self, tenant: TenantId, key: &str, value: &[u8], ttl: Duration) {
        let generation = self.generation(tenant).await;
        NEXT_TTL.with(|t| t.set(ttl));
        self.entries.insert((tenant, generation, key.to_owned()), Arc::new(value.to_vec())).await;
    }

    async fn invalidate(&self, tenant: TenantId) {
        let next = self.generation(tenant).await + 1;
        self.generations.insert(tenant, next).await;
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

/// A lazily connected Redis link shared by the Redis adapters. Every
/// operation is bounded by a short timeout; when Redis is down an operation
/// answers `None`, and the connection is retried at most once a second, so
/// requests keep succeeding without it.
pub struct RedisLink {
    client: redis::Client,
    conn: Mutex<Option<ConnectionManager>>,
    last_attempt: Mutex<Option<Instant>>,
}

const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

impl RedisLink {
    /// Does not connect yet: a Redis that is down at start is not an error.
    pub fn new(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("invalid REDIS_URL: {e}"))?;
        Ok(Self { client, conn: Mutex::new(None), last_attempt: Mutex::new(None) })
    }

    pub(crate) async fn connection(&self) -> Option<ConnectionManager> {
        if let Some(c) = self.conn.lock().await.as_ref() {
            return Some(c.clone());
        }
        {
            let mut last = self.last_attempt.lock().await;
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                return None;
            }
            *last = Some(Instant::now());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        match self.client.get_connection_manager_with_config(config).await {
            Ok(c) => {
                tracing::info!("connected to Redis");
                *self.conn.lock().await = Some(c.clone());
                Some(c)
            }
            Err(e) => {
                tracing::warn!(error = %e, "Redis unreachable: caches and rate limits run in process");
                None
            }
        }
    }

    pub(crate) async fn run<T>(&self, op: impl Future<Output = redis::RedisResult<T>>) -> Option<T> {
        match tokio::time::timeout(REDIS_TIMEOUT, op).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "Redis command failed");
                None
            }
            Err(_) => {
                tracing::warn!("Redis command timed out");
                None
            }
        }
    }
}

/// Redis report cache (see `RedisLink` for its failure behaviour).
///
/// Each replica also keeps the entries it read or wrote in memory, by their
/// full key. The key holds the tenant's generation, which is still read from
/// Redis on every lookup, so a write on any replica retires every replica's
/// copies at once. Only the entry's round trip is saved.
pub struct RedisCache {
    link: Arc<RedisLink>,
    namespace: String,
    local: moka::sync::Cache<String, Arc<Vec<u8>>>,
}

/// The per-replica copies: bounded in bytes, and kept no longer than this,
/// well within a report's own time to live.
const LOCAL_BYTES: u64 = 64 << 20;
const LOCAL_TTL: Duration = Duration::from_secs(30);

impl RedisCache {
    /// `namespace` prefixes every key (tests share one Redis).
    pub fn new(link: Arc<RedisLink>, namespace: &str) -> Self {
        let local = moka::sync::Cache::builder()
            .max_capacity(LOCAL_BYTES)
            .weigher(|k: &String, v: &Arc<Vec<u8>>| (k.len() + v.len()).try_into().unwrap_or(u32::MAX))
            .time_to_live(LOCAL_TTL)
            .build();
        Self { link, namespace: namespace.to_owned(), local }
    }

    fn generation_key(&self, tenant: TenantId) -> String {
        format!("{}:gen:{}", self.namespace, tenant.0.simple())
    }

    async fn entry_key(&self, conn: &mut ConnectionManager, tenant: TenantId, key: &str) -> Option<String> {
        let generation: Option<u64> = self.link.run(conn.get(self.generation_key(tenant))).await?;
        Some(format!("{}:report:{}:{}:{key}", self.namespace, tenant.0.simple(), generation.unwrap_or(0)))
    }
}

#[async_trait]
impl ReportCache for RedisCache {
    async fn get(&self, tenant: TenantId, key: &str) -> Option<Vec<u8>> {
        let mut conn = self.link.connection().await?;
        let entry = self.entry_key(&mut conn, tenant, key).await?;
        if let Some(v) = self.local.get(&entry) {
            return Some(v.as_ref().clone());
        }
        let v = self.link.run(conn.get::<_, Option<Vec<u8>>>(&entry)).await.flatten()?;
        self.local.insert(entry, Arc::new(v.clone()));
        Some(v)
    }

    async fn put(&self, tenant: TenantId, key: &str, value: &[u8], ttl: Duration) {
        let Some(mut conn) = self.link.connection().await else { return };
        let Some(entry) = self.entry_key(&mut conn, tenant, key).await else { return };
        let _: Option<()> = self.link.run(conn.set_ex(&entry, value, ttl.as_secs().max(1))).await;
        if ttl >= LOCAL_TTL {
            self.local.insert(entry, Arc::new(value.to_vec()));
        }
    }

    async fn invalidate(&self, tenant: TenantId) {
        let Some(mut conn) = self.link.connection().await else { return };
        let _: Option<u64> = self.link.run(conn.incr(self.generation_key(tenant), 1u64)).await;
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}
