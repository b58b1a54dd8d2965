//! Rate limits over HTTP: headers on every answer, 429 with Retry-After past
//! the limit (never 401), buckets per caller, the stricter login limit, a
//! tenant's own limit, Redis down, and buckets shared by replicas.

use serde_json::json;
use smrm_domain::ids::TenantId;
use smrm_domain::ports::TenantLimits;
use smrm_tests::{Resp, spawn_app_with, spawn_durable_app};

fn limited(per_minute: u32, auth: u32) -> impl FnOnce(&mut smrm_api::config::Config) {
    move |c| {
        c.rate_limit_per_minute = per_minute;
        c.auth_rate_limit_per_minute = auth;
    }
}

fn headers(r: &Resp) -> (u32, u32, u64) {
    let h = |n| r.header(n).unwrap_or_else(|| panic!("no {n} on {}: {}", r.status, r.text)).parse::<u64>().unwrap();
    (h("ratelimit-limit") as u32, h("ratelimit-remaining") as u32, h("ratelimit-reset"))
}

#[actix_web::test]
async fn every_answer_carries_the_headers_and_the_limit_answers_429_not_401() {
    let app = spawn_app_with(limited(5, 100)).await;
    let t = app.signup("Limits").await;
    let key = app.api_key(&t.token, "viewer").await; // the owner's first request
    assert_eq!(headers(&key).1, 4);
    let key = key.body["key"].as_str().unwrap().to_owned();
    for expected_remaining in (0..4).rev() {
        let r = app.get("/v1/me").token(&t.token).send().await.expect(200);
        assert_eq!(headers(&r).0, 5);
        assert_eq!(headers(&r).1, expected_remaining);
    }
    let refused = app.get("/v1/me").token(&t.token).send().await.problem(429);
    assert_eq!(refused.body["code"], "rate_limited");
    assert!(refused.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(headers(&refused).1, 0);

    // Another caller of the same tenant has a bucket of its own, once
    // verified: a key's first call counts against its client's IP.
    let r = app.get("/v1/brands").token(&key).send().await.expect(200);
    assert_eq!(headers(&r).1, 3);
    let r = app.get("/v1/brands").token(&key).send().await.expect(200);
    assert_eq!(headers(&r).1, 4);

    // Without valid credentials the client IP is the caller: 401s count,
    // and past the limit the answer is 429, not 401 (the signup, made
    // without credentials, and the key's first call were the first requests
    // of this IP's bucket).
    for _ in 0..3 {
        let r = app.get("/v1/brands").token("not-a-token").send().await.problem(401);
        headers(&r);
    }
    app.get("/v1/brands").token("not-a-token").send().await.problem(429);
    let missing = app.get("/v1/nowhere").token(&key).send().await.problem(404);
    headers(&missing);
}

#[actix_web::test]
async fn logins_are_limited_per_client_ip() {
    let app = spawn_app_with(limited(1000, 3)).await;
    let t = app.signup("Logins").await; // 1 of 3
    app.login(&t.email, &t.password).await; // 2
    app.post("/v1/auth/token").json(json!({"email": t.email, "password": "wrong password"})).send().await.problem(401); // 3
    let r = app.post("/v1/auth/token").json(json!({"email": t.email, "password": t.password})).send().await;
    let r = r.problem(429);
    assert_eq!(headers(&r).0, 3, "the stricter login limit is the one shown");
    // Other calls are not affected by the login limit.
    app.get("/v1/me").token(&t.token).send().await.expect(200);
}

#[actix_web::test]
async fn a_tenant_can_be_given_its_own_limit() {
    let app = spawn_durable_app(limited(3, 100)).await;
    let t = app.signup("Plan").await;
    let store = app.store().await;
    store.set_rate_limit(TenantId(t.id.parse().unwrap()), Some(50)).await.unwrap();
    // A fresh login: its user's limit is read now (limits are cached a minute).
    let token = app.login(&t.email, &t.password).await;
    let r = app.get("/v1/me").token(&token).send().await.expect(200);
    assert_eq!(headers(&r).0, 50);
    let other = app.signup("Default").await;
    assert_eq!(headers(&app.get("/v1/me").token(&other.token).send().await.expect(200)).0, 3);
}

#[actix_web::test]
async fn with_redis_down_limits_still_apply_in_process_and_requests_succeed() {
    let app = spawn_app_with(|c| {
        c.redis_url = Some("redis://127.0.0.1:1".into());
        c.rate_limit_per_minute = 4;
    })
    .await;
    let t = app.signup("NoRedis").await;
    for _ in 0..4 {
        app.get("/v1/me").token(&t.token).send().await.expect(200);
    }
    app.get("/v1/me").token(&t.token).send().await.problem(429);
}

#[actix_web::test]
async fn replicas_share_the_buckets_through_redis() {
    let app = spawn_durable_app(limited(6, 100)).await;
    let other = app.replica().await;
    let t = app.signup("Shared").await;
    let mut served = 0;
    for i in 0..12 {
        let server = if i % 2 == 0 { &app } else { &other };
        if server.get("/v1/me").token(&t.token).send().await.status == 200 {
            served += 1;
        }
    }
    if app.config.redis_url.is_some() {
        assert_eq!(served, 6, "one bucket for both replicas");
    } else {
        assert_eq!(served, 12, "in process, each replica has its own bucket of 6");
    }
}

/// A busy caller's tokens are taken from the shared bucket in blocks, one
/// round trip per block: across two replicas the bucket still admits no
/// more than its limit, and refuses at most a few blocks early. (Without
/// Redis the test runs the in-process limiter, shared, which is exact.)
#[actix_web::test]
async fn busy_callers_take_tokens_in_blocks_without_passing_the_shared_limit() {
    use smrm_domain::ports::RateLimiter;
    use smrm_infra::cache::RedisLink;
    use smrm_infra::limiter::{MemoryRateLimiter, RedisRateLimiter};
    use std::sync::Arc;

    let limit = 6_400; // blocks of at most 100 tokens
    let (one, two): (Arc<dyn RateLimiter>, Arc<dyn RateLimiter>) =
        match std::env::var("TEST_REDIS_URL").ok().filter(|s| !s.is_empty()) {
            Some(url) => {
                let namespace = format!("smrm-test-{}", uuid::Uuid::now_v7().simple());
                let replica = || Arc::new(RedisRateLimiter::new(Arc::new(RedisLink::new(&url).unwrap()), &namespace));
                (replica(), replica())
            }
            None => {
                let shared: Arc<dyn RateLimiter> = Arc::new(MemoryRateLimiter::default());
                (shared.clone(), shared)
            }
        };
    let started = std::time::Instant::now();
    let mut admitted = 0u32;
    let mut first_refusal = None;
    for i in 0..8_000u32 {
        let replica = if (i / 7) % 2 == 0 { &one } else { &two };
        let d = replica.hit("key:busy", limit).await;
        assert_eq!(d.limit, limit);
        if d.allowed {
            admitted += 1;
        } else if first_refusal.is_none() {
            first_refusal = Some(i);
            assert!(d.retry_after_seconds >= 1);
        }
    }
    // The bucket refills at limit/60 tokens a second while the test runs.
    let refilled = (started.elapsed().as_secs_f64() * f64::from(limit) / 60.0).ceil() as u32;
    assert!(admitted <= limit + refilled, "admitted {admitted} of a limit of {limit} (+{refilled} refilled)");
    let first_refusal = first_refusal.expect("8,000 requests pass a limit of 6,400");
    assert!(first_refusal >= limit - 2 * (limit / 64), "refused first at request {first_refusal}");
}
