//! Rate limiters: token buckets in Redis, shared by every replica, or in
//! process. The Redis limiter falls back to its in-process buckets while
//! Redis is unreachable, so requests are still limited (per replica) and
//! never fail because of it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use moka::sync::Cache;
use smrm_domain::ports::RateLimiter;
use smrm_domain::ratelimit::{Bucket, RateDecision, decision};

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
const SCRIPT: &str = r"
local capacity = tonumber(ARGV[1])
local per_ms = capacity / 60000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or capacity
local at = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], 120000)
return {allowed, tostring(tokens)}
";

pub struct RedisRateLimiter {
    link: Arc<RedisLink>,
    namespace: String,
    script: redis::Script,
    fallback: MemoryRateLimiter,
}

impl RedisRateLimiter {
    pub fn new(link: Arc<RedisLink>, namespace: &str) -> Self {
        Self {
            link,
            namespace: namespace.to_owned(),
            script: redis::Script::new(SCRIPT),
            fallback: MemoryRateLimiter::default(),
        }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn hit(&self, key: &str, per_minute: u32) -> RateDecision {
        if let Some(mut conn) = self.link.connection().await {
            let mut call = self.script.key(format!("{}:rl:{key}", self.namespace));
            call.arg(per_minute.max(1));
            if let Some((allowed, tokens)) = self.link.run(call.invoke_async::<(i64, String)>(&mut conn)).await {
                return decision(allowed == 1, per_minute, tokens.parse().unwrap_or(0.0));
            }
        }
        self.fallback.take(key, per_minute)
    }
}
