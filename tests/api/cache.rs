//! The report-cache port, against the backend the suite runs with (Redis with
//! `TEST_REDIS_URL`, in-process otherwise): values per tenant, invalidation.

use std::sync::Arc;
use std::time::Duration;

use smrm_domain::ids::TenantId;
use smrm_domain::ports::ReportCache;
use smrm_infra::cache::{MemoryCache, RedisCache};

fn cache() -> Arc<dyn ReportCache> {
    match std::env::var("TEST_REDIS_URL").ok().filter(|s| !s.is_empty()) {
        Some(url) => Arc::new(RedisCache::new(&url, &format!("smrm-test-{}", uuid::Uuid::now_v7().simple())).unwrap()),
        None => Arc::new(MemoryCache::new(1 << 20)),
    }
}

#[actix_web::test]
async fn values_are_per_tenant_and_invalidation_retires_them() {
    let cache = cache();
    let (a, b) = (TenantId::new(), TenantId::new());
    let ttl = Duration::from_secs(60);
    assert_eq!(cache.get(a, "sov?x=1").await, None);
    cache.put(a, "sov?x=1", b"report a", ttl).await;
    cache.put(b, "sov?x=1", b"report b", ttl).await;
    assert_eq!(cache.get(a, "sov?x=1").await.as_deref(), Some(&b"report a"[..]));
    assert_eq!(cache.get(b, "sov?x=1").await.as_deref(), Some(&b"report b"[..]));
    cache.invalidate(a).await;
    assert_eq!(cache.get(a, "sov?x=1").await, None, "a's reports are gone");
    assert_eq!(cache.get(b, "sov?x=1").await.as_deref(), Some(&b"report b"[..]), "b's stay");
    cache.put(a, "sov?x=1", b"fresh", ttl).await;
    assert_eq!(cache.get(a, "sov?x=1").await.as_deref(), Some(&b"fresh"[..]));
}

#[actix_web::test]
async fn an_unreachable_redis_is_a_miss_not_an_error() {
    let cache = RedisCache::new("redis://127.0.0.1:1", "smrm-test-down").unwrap();
    let t = TenantId::new();
    cache.put(t, "k", b"v", Duration::from_secs(5)).await;
    assert_eq!(cache.get(t, "k").await, None);
    cache.invalidate(t).await;
}
