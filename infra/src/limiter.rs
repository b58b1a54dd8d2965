//! Rate limiters: token buckets in Redis, shared by every replica, or in
//! process. The Redis limiter falls back to its in-process buckets while
//! Redis is unreachable, so requests are still limited (per replica) and
//! never fail because of it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::sync::Cache;
use smrm_domain::ports::RateLimiter;
use smrm_domain::ratelimit::{Bucket, LEASE_MS, Lease, RateDecision};

use crate::cache::RedisLink;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Buckets in this process; idle ones are forgotten after a while (a full
/// bucket and a forgotten one are the same).
pub struct MemoryRateLimiter {
    buckets: Cache<String, Arc<Mutex<Bucket>>>,
}

impl Default for MemoryRateLimiter {
    fn default() -> Self {
        Self { buckets: Cache::builder().max_capacity(1_000_000).time_to_idle(Duration::from_secs(180)).build() }
    }
}

impl MemoryRateLimiter {
    fn take(&self, key: &str, per_minute: u32) -> RateDecision {
        let now = now_ms();
        let bucket = self.buckets.get_with(key.to_owned(), || Arc::new(Mutex::new(Bucket::full(per_minute, now))));
        let mut b = bucket.lock().unwrap_or_else(|e| e.into_inner());
        b.take(per_minute, now)
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn hit(&self, key: &str, per_minute: u32) -> RateDecision {
        self.take(key, per_minute)
    }
}

/// The same bucket as `smrm_domain::ratelimit::Bucket`, atomically in
/// Redis, on Redis's clock (so replicas agree whatever their clocks say).
/// Takes up to `ARGV[2]` tokens at once (a replica's block, see `Lease`) and
/// answers how many it took and how many are left.
const SCRIPT: &str = r"
local capacity = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local per_ms = capacity / 60000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or capacity
local at = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms)
local granted = math.max(0, math.min(want, math.floor(tokens)))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], 120000)
return {granted, tostring(tokens)}
";

/// Buckets in Redis, shared by every replica. Each replica takes tokens in
/// blocks sized to the caller's rate (`smrm_domain::ratelimit::Lease`): a
/// caller that is not busy costs a round trip per request and is limited
/// exactly; a busy one costs a round trip per block.
pub struct RedisRateLimiter {
    link: Arc<RedisLink>,
    namespace: String,
    script: redis::Script,
    leases: Cache<String, Arc<Mutex<Lease>>>,
    fallback: MemoryRateLimiter,
}

impl RedisRateLimiter {
    pub fn new(link: Arc<RedisLink>, namespace: &str) -> Self {
        Self {
            link,
            namespace: namespace.to_owned(),
            script: redis::Script::new(SCRIPT),
            leases: Cache::builder().max_capacity(1_000_000).time_to_idle(Duration::from_millis(LEASE_MS)).build(),
            fallback: MemoryRateLimiter::default(),
        }
    }

    fn lease(&self, key: &str) -> Arc<Mutex<Lease>> {
        match self.leases.get(key) {
            Some(l) => l,
            None => self.leases.get_with(key.to_owned(), Arc::default),
        }
    }
}

/// Milliseconds on a monotonic clock, for the leases.
fn monotonic_ms() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    u64::try_from(START.get_or_init(Instant::now).elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn hit(&self, key: &str, per_minute: u32) -> RateDecision {
        let lease = self.lease(key);
        let want = {
            let now = monotonic_ms();
            let mut l = lease.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(d) = l.spend(per_minute, now) {
                return d;
            }
            l.next_block(per_minute, now)
        };
        if let Some(mut conn) = self.link.connection().await {
            let mut call = self.script.key(format!("{}:rl:{key}", self.namespace));
            call.arg(per_minute.max(1)).arg(want);
            if let Some((granted, left)) = self.link.run(call.invoke_async::<(u32, String)>(&mut conn)).await {
                let mut l = lease.lock().unwrap_or_else(|e| e.into_inner());
                return l.take_block(per_minute, granted, left.parse().unwrap_or(0.0), monotonic_ms());
            }
        }
        self.fallback.take(key, per_minute)
    }
}
