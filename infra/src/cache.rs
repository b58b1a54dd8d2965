//! Report caches: in-process (moka) for the embedded default, Redis in
//! production. Invalidation is a per-tenant generation counter that is part of
//! every key, so one increment retires all of a tenant's reports at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::StreamExt;
use moka::future::Cache;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use smrm_domain::ids::TenantId;
use smrm_domain::ports::ReportCache;
use tokio::sync::Mutex;

/// In-process cache, bounded by total bytes.
pub struct MemoryCache {
    entries: Cache<(TenantId, u64, String), Arc<[u8]>>,
    generations: Cache<TenantId, u64>,
}

impl MemoryCache {
    pub fn new(max_bytes: u64) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|(_, _, k): &(TenantId, u64, String), v: &Arc<[u8]>| {
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

impl moka::Expiry<(TenantId, u64, String), Arc<[u8]>> for PerEntryTtl {
    fn expire_after_create(&self, _: &(TenantId, u64, String), _: &Arc<[u8]>, _: Instant) -> Option<Duration> {
        Some(NEXT_TTL.with(|t| t.get()))
    }
}

#[async_trait]
impl ReportCache for MemoryCache {
    async fn get(&self, tenant: TenantId, key: &str) -> Option<Arc<[u8]>> {
        let generation = self.generation(tenant).await;
        self.entries.get(&(tenant, generation, key.to_owned())).await
    }

    async fn put(&self, tenant: TenantId, key: &str, value: &[u8], ttl: Duration) {
        let generation = self.generation(tenant).await;
        NEXT_TTL.with(|t| t.set(ttl));
        self.entries.insert((tenant, generation, key.to_owned()), Arc::from(value)).await;
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
    pub(crate) client: redis::Client,
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
/// A report's key holds its tenant's generation, and a write anywhere
/// increments the generation in Redis and publishes the new value. Each
/// replica listens, so it knows the current generations without asking
/// Redis; it also keeps the entries it read or wrote in memory. A cached
/// report then costs no round trip at all, and a write on any replica still
/// retires every replica's copies as soon as its message arrives (well under
/// a millisecond here).
///
/// What a replica knows is only trusted while it is subscribed: it learns a
/// generation from Redis only after its subscription is confirmed, forgets
/// everything when the subscription drops (Redis stopped or restarted, its
/// generations possibly reset), and keeps a learned generation at most
/// `generation_ttl` (1 s by default), which bounds how stale a replica can be
/// if its subscription silently stops delivering. A write that cannot reach
/// Redis makes its own replica forget too, so it never serves its own stale
/// copy.
pub struct RedisCache {
    link: Arc<RedisLink>,
    namespace: String,
    channel: String,
    shared: Arc<Known>,
    invalidate: redis::Script,
}

/// What a replica knows, shared with its listener task.
struct Known {
    /// Tenant generations learned from Redis or from its messages.
    generations: moka::sync::Cache<TenantId, u64>,
    /// Copies of the entries this replica read or wrote, by full key.
    entries: moka::sync::Cache<String, Arc<[u8]>>,
    /// Odd while subscribed; moves on every subscription and every loss, so
    /// a generation read across a change is not kept.
    epoch: AtomicU64,
    /// A listener task is running (or starting).
    listening: AtomicBool,
}

impl Known {
    fn forget(&self) {
        self.generations.invalidate_all();
        self.entries.invalidate_all();
    }

    /// Keeps the highest generation seen: generations only grow, and a read
    /// that raced a newer message must not take it back.
    fn learn(&self, tenant: TenantId, generation: u64) {
        self.generations
            .entry(tenant)
            .and_upsert_with(|old| old.map_or(generation, |o| o.into_value().max(generation)));
    }
}

/// The per-replica copies: bounded in bytes, and kept no longer than this,
/// well within a report's own time to live.
const LOCAL_BYTES: u64 = 64 << 20;
const LOCAL_TTL: Duration = Duration::from_secs(30);
const GENERATION_TTL: Duration = Duration::from_secs(1);

/// Increments a tenant's generation and tells every replica, atomically.
const INVALIDATE: &str = r"
local g = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], ARGV[2] .. ':' .. g)
return g
";

impl RedisCache {
    /// `namespace` prefixes every key and the channel (tests share one Redis).
    pub fn new(link: Arc<RedisLink>, namespace: &str) -> Self {
        Self::with_generation_ttl(link, namespace, GENERATION_TTL)
    }

    /// As `new`, keeping a learned generation at most `generation_ttl`.
    pub fn with_generation_ttl(link: Arc<RedisLink>, namespace: &str, generation_ttl: Duration) -> Self {
        let entries = moka::sync::Cache::builder()
            .max_capacity(LOCAL_BYTES)
            .weigher(|k: &String, v: &Arc<[u8]>| (k.len() + v.len()).try_into().unwrap_or(u32::MAX))
            .time_to_live(LOCAL_TTL)
            .build();
        let generations = moka::sync::Cache::builder().max_capacity(1_000_000).time_to_live(generation_ttl).build();
        Self {
            link,
            namespace: namespace.to_owned(),
            channel: format!("{namespace}:generations"),
            shared: Arc::new(Known {
                generations,
                entries,
                epoch: AtomicU64::new(0),
                listening: AtomicBool::new(false),
            }),
            invalidate: redis::Script::new(INVALIDATE),
        }
    }

    fn generation_key(&self, tenant: TenantId) -> String {
        format!("{}:gen:{}", self.namespace, tenant.0.simple())
    }

    /// Starts the listener on the current runtime unless one runs. It ends
    /// with its runtime or when this cache is dropped, and is started again
    /// by the next call.
    fn listen(&self) {
        // A load first: every lookup asks, and a swap would write the shared
        // flag (and bounce its cache line between the workers) each time.
        if self.shared.listening.load(Ordering::Acquire) || self.shared.listening.swap(true, Ordering::AcqRel) {
            return;
        }
        let known = Arc::downgrade(&self.shared);
        let client = self.link.client.clone();
        let channel = self.channel.clone();
        tokio::spawn(async move {
            let _stopped = Stopped(known.clone());
            while known.strong_count() > 0 {
                subscribe(&client, &channel, &known).await;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }

    /// The tenant's generation: known, or read from Redis (and learned if
    /// this replica was subscribed before the read).
    async fn generation(&self, tenant: TenantId) -> Option<u64> {
        self.listen();
        if let Some(g) = self.shared.generations.get(&tenant) {
            return Some(g);
        }
        let epoch = self.shared.epoch.load(Ordering::Acquire);
        let mut conn = self.link.connection().await?;
        let g: u64 = self.link.run(conn.get::<_, Option<u64>>(self.generation_key(tenant))).await?.unwrap_or(0);
        if epoch % 2 == 1 && self.shared.epoch.load(Ordering::Acquire) == epoch {
            self.shared.learn(tenant, g);
        }
        Some(g)
    }

    fn entry_key(&self, tenant: TenantId, generation: u64, key: &str) -> String {
        format!("{}:report:{}:{generation}:{key}", self.namespace, tenant.0.simple())
    }
}

/// Marks the listener gone, whatever ended it.
struct Stopped(std::sync::Weak<Known>);

impl Drop for Stopped {
    fn drop(&mut self) {
        if let Some(known) = self.0.upgrade() {
            known.epoch.fetch_add(if known.epoch.load(Ordering::Acquire) % 2 == 1 { 1 } else { 2 }, Ordering::AcqRel);
            known.forget();
            known.listening.store(false, Ordering::Release);
        }
    }
}

/// One subscription: learns every published generation until the
/// connection drops.
async fn subscribe(client: &redis::Client, channel: &str, known: &std::sync::Weak<Known>) {
    let Ok(Ok(mut pubsub)) = tokio::time::timeout(REDIS_TIMEOUT, client.get_async_pubsub()).await else { return };
    if !matches!(tokio::time::timeout(REDIS_TIMEOUT, pubsub.subscribe(channel)).await, Ok(Ok(()))) {
        return;
    }
    {
        let Some(k) = known.upgrade() else { return };
        k.forget();
        k.epoch.fetch_add(1, Ordering::AcqRel); // odd: subscribed
    }
    tracing::debug!(channel, "listening for report cache invalidations");
    let mut messages = pubsub.on_message();
    while let Some(msg) = messages.next().await {
        let Some(k) = known.upgrade() else { return };
        match parse_generation(msg.get_payload_bytes()) {
            Some((tenant, g)) => k.learn(tenant, g),
            None => tracing::warn!("unreadable report cache invalidation message"),
        }
    }
    if let Some(k) = known.upgrade() {
        k.epoch.fetch_add(1, Ordering::AcqRel); // even: not subscribed
        k.forget();
    }
    tracing::info!("report cache invalidations lost; reading generations from Redis until subscribed again");
}

/// `<tenant uuid, simple>:<generation>`.
fn parse_generation(payload: &[u8]) -> Option<(TenantId, u64)> {
    let text = std::str::from_utf8(payload).ok()?;
    let (tenant, generation) = text.split_once(':')?;
    Some((TenantId(uuid::Uuid::try_parse(tenant).ok()?), generation.parse().ok()?))
}

#[async_trait]
impl ReportCache for RedisCache {
    async fn get(&self, tenant: TenantId, key: &str) -> Option<Arc<[u8]>> {
        let entry = self.entry_key(tenant, self.generation(tenant).await?, key);
        if let Some(v) = self.shared.entries.get(&entry) {
            return Some(v);
        }
        let mut conn = self.link.connection().await?;
        let v: Arc<[u8]> = self.link.run(conn.get::<_, Option<Vec<u8>>>(&entry)).await.flatten()?.into();
        self.shared.entries.insert(entry, v.clone());
        Some(v)
    }

    async fn put(&self, tenant: TenantId, key: &str, value: &[u8], ttl: Duration) {
        let Some(generation) = self.generation(tenant).await else { return };
        let entry = self.entry_key(tenant, generation, key);
        let Some(mut conn) = self.link.connection().await else { return };
        let _: Option<()> = self.link.run(conn.set_ex(&entry, value, ttl.as_secs().max(1))).await;
        if ttl >= LOCAL_TTL {
            self.shared.entries.insert(entry, Arc::from(value));
        }
    }

    async fn invalidate(&self, tenant: TenantId) {
        let written = match self.link.connection().await {
            Some(mut conn) => {
                let mut call = self.invalidate.key(self.generation_key(tenant));
                call.arg(&self.channel).arg(tenant.0.simple().to_string());
                self.link.run(call.invoke_async::<u64>(&mut conn)).await
            }
            None => None,
        };
        match written {
            Some(g) => self.shared.learn(tenant, g),
            // Redis is unreachable: the other replicas cannot be told, and
            // this one must not answer from what it kept.
            None => self.shared.forget(),
        }
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

/// The layout of a cached report: `hash (16 bytes) | body length (4) |
/// body | gzip`. The hash (xxh3-128) is the report's `ETag`; the gzip copy
/// is made once, when the report is stored, and only when it pays.
pub struct ReportEntries;

/// Bodies smaller than this are kept (and answered) as they are.
const GZIP_FROM: usize = 1024;

impl smrm_domain::ports::ReportCodec for ReportEntries {
    fn encode(&self, body: Vec<u8>) -> Vec<u8> {
        let hash = xxhash_rust::xxh3::xxh3_128(&body);
        let gzip = if body.len() >= GZIP_FROM { gzipped(&body) } else { Vec::new() };
        let gzip = if gzip.len() < body.len() { gzip } else { Vec::new() };
        let length = u32::try_from(body.len()).unwrap_or(u32::MAX);
        let mut bytes = Vec::with_capacity(20 + body.len() + gzip.len());
        bytes.extend_from_slice(&hash.to_be_bytes());
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(&gzip);
        bytes
    }

    fn decode(&self, stored: Arc<[u8]>) -> Option<smrm_domain::ports::CachedReport> {
        use smrm_domain::ports::{CachedReport, SharedBytes};
        let etag = u128::from_be_bytes(stored.get(..16)?.try_into().ok()?);
        let length = usize::try_from(u32::from_be_bytes(stored.get(16..20)?.try_into().ok()?)).ok()?;
        let end = 20usize.checked_add(length).filter(|&end| end <= stored.len())?;
        let total = stored.len();
        Some(CachedReport {
            etag,
            body: SharedBytes::new(stored.clone(), 20..end)?,
            gzip: SharedBytes::new(stored, end..total)?,
        })
    }
}

fn gzipped(body: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), flate2::Compression::default());
    // Writing to a Vec cannot fail; an empty result means "keep it plain".
    if encoder.write_all(body).is_err() {
        return Vec::new();
    }
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod report_entry_tests {
    use smrm_domain::ports::ReportCodec;

    use super::*;

    #[test]
    fn an_entry_reads_back_with_its_etag_and_a_gzip_copy_only_when_it_pays() {
        let big: Vec<u8> = br#"{"totals":{"positive":1}}"#.repeat(100);
        let entry = ReportEntries.decode(ReportEntries.encode(big.clone()).into()).unwrap();
        assert_eq!(entry.body.as_ref(), &big[..]);
        assert_eq!(entry.etag, xxhash_rust::xxh3::xxh3_128(&big));
        assert!(!entry.gzip.is_empty() && entry.gzip.as_ref().len() < big.len());
        let small = ReportEntries.decode(ReportEntries.encode(b"{}".to_vec()).into()).unwrap();
        assert_eq!(small.body.as_ref(), b"{}");
        assert!(small.gzip.is_empty());
        assert!(ReportEntries.decode(Arc::from(&b"short"[..])).is_none());
    }
}
