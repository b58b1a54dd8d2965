//! The report-cache port, against the backend the suite runs with (Redis with
//! `TEST_REDIS_URL`, in-process otherwise): values per tenant, invalidation.

use std::sync::Arc;
use std::time::Duration;

use smrm_domain::ids::TenantId;
use smrm_domain::ports::ReportCache;
use smrm_infra::cache::{MemoryCache, RedisCache, RedisLink};

fn cache() -> Arc<dyn ReportCache> {
    match std::env::var("TEST_REDIS_URL").ok().filter(|s| !s.is_empty()) {
        Some(url) => Arc::new(RedisCache::new(
            Arc::new(RedisLink::new(&url).unwrap()),
            &format!("smrm-test-{}", uuid::Uuid::now_v7().simple()),
        )),
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

/// Two replicas' caches on one Redis (or one in-process cache, which both
/// then share): the copy a replica keeps in memory, and the generation it
/// learned, are retired by the other's invalidation. The replicas keep what
/// they learn for a minute here, so only the published invalidation can
/// retire it within the test's two seconds.
#[actix_web::test]
async fn a_replicas_memory_copy_is_retired_by_another_replicas_write() {
    let (one, two): (Arc<dyn ReportCache>, Arc<dyn ReportCache>) =
        match std::env::var("TEST_REDIS_URL").ok().filter(|s| !s.is_empty()) {
            Some(url) => {
                let namespace = format!("smrm-test-{}", uuid::Uuid::now_v7().simple());
                let replica = || {
                    Arc::new(RedisCache::with_generation_ttl(
                        Arc::new(RedisLink::new(&url).unwrap()),
                        &namespace,
                        Duration::from_secs(60),
                    ))
                };
                (replica(), replica())
            }
            None => {
                let shared: Arc<dyn ReportCache> = Arc::new(MemoryCache::new(1 << 20));
                (shared.clone(), shared)
            }
        };
    let tenant = TenantId::new();
    let ttl = Duration::from_secs(300);
    // Both replicas are subscribed before the first write.
    one.get(tenant, "warm").await;
    two.get(tenant, "warm").await;
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    one.put(tenant, "sentiment?x=1", b"old", ttl).await;
    // `two` reads it, and keeps a copy in memory.
    assert_eq!(two.get(tenant, "sentiment?x=1").await.as_deref(), Some(&b"old"[..]));
    assert_eq!(two.get(tenant, "sentiment?x=1").await.as_deref(), Some(&b"old"[..]));
    one.invalidate(tenant).await;
    assert_eq!(one.get(tenant, "sentiment?x=1").await, None, "the writer sees its own write at once");
    assert!(
        smrm_tests::eventually(Duration::from_secs(2), || async { two.get(tenant, "sentiment?x=1").await.is_none() })
            .await,
        "the other replica's copy went with the published generation"
    );
    one.put(tenant, "sentiment?x=1", b"new", ttl).await;
    assert_eq!(two.get(tenant, "sentiment?x=1").await.as_deref(), Some(&b"new"[..]));
}

#[actix_web::test]
async fn an_unreachable_redis_is_a_miss_not_an_error() {
    let cache = RedisCache::new(Arc::new(RedisLink::new("redis://127.0.0.1:1").unwrap()), "smrm-test-down");
    let t = TenantId::new();
    cache.put(t, "k", b"v", Duration::from_secs(5)).await;
    assert_eq!(cache.get(t, "k").await, None);
    cache.invalidate(t).await;
}

/// A Redis of this test's own, on a free port, so it can be stopped mid-run.
struct OwnRedis {
    child: Option<std::process::Child>,
}

impl OwnRedis {
    fn start(port: u16) -> Self {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (the PostgreSQL + Redis suite needs it too)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child: Some(child) }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[actix_web::test]
async fn reports_keep_answering_while_redis_is_down_and_use_it_again_after() {
    use serde_json::json;
    let port = free_port();
    let mut redis = OwnRedis::start(port);
    let app = smrm_tests::spawn_app_with(|c| c.redis_url = Some(format!("redis://127.0.0.1:{port}"))).await;
    let t = app.signup("Acme").await;
    let brand = app.brand(&t.token, "Daynet").await;
    let post = |id: &str| {
        json!({"external_id": id, "platform": "vk", "source_type": "social", "text": "Daynet",
               "published_at": "2026-11-02T10:00:00Z", "author": {"handle": "@a"}, "sentiment": "positive"})
    };
    app.post("/v1/mentions/batch").token(&t.token).json(json!({"items": [post("1")]})).send().await.expect(200);
    let path = format!("/v1/brands/{brand}/sentiment?from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z");
    let r = app.get(&path).token(&t.token).send().await.expect(200);
    assert_eq!(r.body["all"]["positive"], 1);

    redis.stop();
    // Down: reports come from the database, writes still succeed.
    app.post("/v1/mentions/batch").token(&t.token).json(json!({"items": [post("2")]})).send().await.expect(200);
    let r = app.get(&path).token(&t.token).send().await.expect(200);
    assert_eq!(r.body["all"]["positive"], 2, "computed from the database, not a stale cache");
    app.get("/readyz").send().await.expect(200);

    // Back: used again (the reconnect is retried at most once a second).
    let _redis = OwnRedis::start(port);
    std::thread::sleep(Duration::from_millis(1100));
    let r = app.get(&path).token(&t.token).send().await.expect(200);
    assert_eq!(r.body["all"]["positive"], 2);
    let probe = RedisCache::new(Arc::new(RedisLink::new(&format!("redis://127.0.0.1:{port}")).unwrap()), "probe");
    probe.put(TenantId::new(), "k", b"v", Duration::from_secs(5)).await;
    let mut found = false;
    for _ in 0..20 {
        app.get(&path).token(&t.token).send().await.expect(200);
        if redis_keys(port).await > 1 {
            found = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(found, "the server writes its reports to Redis again");
}

/// How many keys the Redis on `port` holds (a raw RESP `DBSIZE`).
async fn redis_keys(port: u16) -> i64 {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"*1\r\n$6\r\nDBSIZE\r\n").unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).trim().trim_start_matches(':').parse().unwrap_or(0)
}
