//! Health, readiness, request ids, the OpenAPI document and the docs page.

use smrm_tests::spawn_app;

#[actix_web::test]
async fn healthz_and_readyz_answer() {
    let app = spawn_app().await;
    let r = app.get("/healthz").send().await.expect(200);
    assert_eq!(r.body["status"], "ok");
    let r = app.get("/readyz").send().await.expect(200);
    let expected_db =
        if std::env::var("TEST_DATABASE_URL").is_ok_and(|s| !s.is_empty()) { "postgres" } else { "sqlite" };
    assert_eq!(r.body["database"], expected_db);
    let expected_cache = if std::env::var("TEST_REDIS_URL").is_ok_and(|s| !s.is_empty()) { "redis" } else { "memory" };
    assert_eq!(r.body["cache"], expected_cache);
}

#[actix_web::test]
async fn request_id_is_echoed_or_generated() {
    let app = spawn_app().await;
    let r = app.get("/healthz").header("x-request-id", "abc-123").send().await;
    assert_eq!(r.header("x-request-id"), Some("abc-123"));
    let r = app.get("/healthz").send().await;
    let generated = r.header("x-request-id").expect("a generated id");
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    // An error carries the same id in its body.
    let r = app.get("/v1/me").header("x-request-id", "trace-me").send().await.problem(401);
    assert_eq!(r.header("x-request-id"), Some("trace-me"));
    assert_eq!(r.body["request_id"], "trace-me");
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
}

#[actix_web::test]
async fn unknown_routes_are_problem_404s() {
    let app = spawn_app().await;
    let r = app.get("/v1/nothing-here").send().await.problem(404);
    assert_eq!(r.body["code"], "not_found");
    assert!(r.body["detail"].as_str().unwrap().contains("/v1/nothing-here"));
}

#[actix_web::test]
async fn served_openapi_equals_the_committed_document() {
    let app = spawn_app().await;
    let served = app.get("/openapi.json").send().await.expect(200).body;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("openapi/openapi.json exists")).unwrap();
    assert!(
        served == committed,
        "openapi/openapi.json is stale: regenerate it with `cargo run -q -- openapi > openapi/openapi.json`"
    );
    assert_eq!(served["openapi"], "3.1.0");
    assert!(served["components"]["securitySchemes"]["bearer"].is_object());
    // Every operation documents its answers, errors included, and has a summary.
    for (path, item) in served["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path} has no responses");
            if path.starts_with("/v1/") {
                assert!(responses.keys().any(|s| s.starts_with('4')), "{method} {path} documents no error");
            }
            assert!(op["summary"].is_string(), "{method} {path} has no summary");
        }
    }
}

#[actix_web::test]
async fn docs_page_is_served_without_internet() {
    let app = spawn_app().await;
    let r = app.get("/docs").send().await;
    assert!(
        r.status.as_u16() == 200 || r.header("location").is_some_and(|l| l.ends_with("/docs/")),
        "/docs answers or redirects to /docs/: {}",
        r.status
    );
    let r = app.get("/docs/").send().await.expect(200);
    assert!(r.text.contains("swagger-ui"), "{}", &r.text[..r.text.len().min(200)]);
    let r = app.get("/docs/swagger-ui-bundle.js").send().await.expect(200);
    assert!(r.text.len() > 100_000, "the bundle is vendored, not fetched from a CDN");
}

/// The value of one Prometheus sample line (`name{labels} value`).
fn sample(text: &str, starts: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(starts))
        .unwrap_or_else(|| panic!("no `{starts}` in\n{text}"))
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[actix_web::test]
async fn metrics_count_requests_by_route_ingest_and_the_report_cache() {
    let app = spawn_app().await;
    let t = app.signup("Metrics").await;
    let brand = app.brand(&t.token, "Дейнет").await;
    for _ in 0..3 {
        app.get(&format!("/v1/brands/{brand}")).token(&t.token).send().await.expect(200);
    }
    app.get("/v1/brands/0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20").token(&t.token).send().await.problem(404);
    let items = serde_json::json!({"items": [
        {"external_id": "1", "platform": "vk", "source_type": "social", "text": "Дейнет", "published_at": "2026-11-20T10:00:00Z", "author": {"handle": "@a"}},
        {"external_id": "2", "platform": "vk", "source_type": "social", "text": "другое", "published_at": "2026-11-20T10:00:00Z", "author": {"handle": "@a"}}
    ]});
    app.post("/v1/mentions/batch").token(&t.token).json(items.clone()).send().await.expect(200);
    app.post("/v1/mentions/batch").token(&t.token).json(items).send().await.expect(200);
    let report = format!("/v1/brands/{brand}/sentiment?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z");
    app.get(&report).token(&t.token).send().await.expect(200);
    app.get(&report).token(&t.token).send().await.expect(200);

    let r = app.get("/metrics").send().await.expect(200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let m = &r.text;
    let route = r#"smrm_http_requests_total{method="GET",route="/v1/brands/{id}","#;
    assert_eq!(sample(m, &format!(r#"{route}status="200"}}"#)), 3.0, "by route pattern, not path");
    assert_eq!(sample(m, &format!(r#"{route}status="404"}}"#)), 1.0);
    assert!(sample(m, r#"smrm_http_request_duration_seconds_count{method="GET",route="/v1/brands/{id}"}"#) >= 4.0);
    assert_eq!(sample(m, r#"smrm_ingest_posts_total{result="matched"}"#), 1.0);
    assert_eq!(sample(m, r#"smrm_ingest_posts_total{result="unmatched"}"#), 1.0);
    assert_eq!(sample(m, r#"smrm_ingest_posts_total{result="duplicate"}"#), 2.0);
    assert_eq!(sample(m, "smrm_ingest_mentions_total"), 1.0);
    assert_eq!(sample(m, r#"smrm_report_cache_total{result="miss"}"#), 1.0);
    assert_eq!(sample(m, r#"smrm_report_cache_total{result="hit"}"#), 1.0);
    assert!(sample(m, r#"smrm_db_pool_connections{state="idle"}"#) >= 0.0);
}

#[actix_web::test]
async fn the_demo_fills_a_tenant_that_the_server_then_serves() {
    let app = smrm_tests::spawn_durable_app(|_| {}).await;
    let demo = smrm_api::demo::run(app.config.clone()).await.expect("the demo runs");
    assert!(demo.mentions > 4_000, "{} mentions", demo.mentions);
    app.login(&demo.email, &demo.password).await;
    let period = {
        let now = chrono::Utc::now();
        format!(
            "from={}&to={}",
            (now - chrono::Duration::days(91)).format("%Y-%m-%dT00:00:00Z"),
            (now + chrono::Duration::days(1)).format("%Y-%m-%dT00:00:00Z")
        )
    };
    let sov = app
        .get(&format!("/v1/competitor-sets/{}/share-of-voice?{period}&granularity=week", demo.set_id))
        .token(&demo.api_key)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(sov["total"].as_f64().unwrap() as u64, demo.mentions, "every mention is one of the set's brands");
    assert_eq!(sov["brands"].as_array().unwrap().len(), 4);
    let stats = app
        .get(&format!("/v1/brands/{}/responses/stats?{period}", demo.brand_id))
        .token(&demo.api_key)
        .send()
        .await
        .expect(200)
        .body;
    assert!(stats["negative_answered"].as_u64().unwrap() > 0);
    assert!(stats["median_response_seconds"].as_f64().unwrap() > 0.0);
}

#[actix_web::test]
async fn every_schema_reference_of_the_document_resolves() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json").send().await.expect(200);
    let schemas = doc.body["components"]["schemas"].as_object().expect("components.schemas");
    let mut missing: Vec<&str> = doc
        .text
        .split("\"#/components/schemas/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|name| !schemas.contains_key(*name))
        .collect();
    missing.dedup();
    assert!(missing.is_empty(), "unresolvable $refs: {missing:?}");
}

#[actix_web::test]
async fn a_database_outage_answers_503_and_heals_without_a_restart() {
    let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        // On SQLite the database is a file of the process: it cannot go away.
        let app = spawn_app().await;
        app.get("/readyz").send().await.expect(200);
        return;
    };
    // The server reaches PostgreSQL through a proxy this test can cut.
    let (head, tail) = url.split_once('@').expect("postgres://user@host:port/db");
    let (host_port, db) = tail.split_once('/').expect("a database name");
    let target: std::net::SocketAddr = host_port.parse().expect("host:port as an address");
    let proxy = smrm_tests::Proxy::start(target).await;
    let proxied = format!("{head}@127.0.0.1:{}/{db}", proxy.port);
    let app = smrm_tests::spawn_app_with(|c| c.database_url = proxied).await;
    let t = app.signup("Outage").await;
    app.get("/v1/brands").token(&t.token).send().await.expect(200);

    proxy.cut();
    let ready = app.get("/readyz").send().await;
    assert_eq!(ready.status.as_u16(), 503, "{}", ready.text);
    let down = app.get("/v1/brands").token(&t.token).send().await.problem(503);
    assert!(down.header("retry-after").is_some());

    proxy.restore();
    let mut healed = false;
    for _ in 0..50 {
        if app.get("/readyz").send().await.status.as_u16() == 200 {
            healed = true;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(healed, "/readyz recovers without a restart");
    app.get("/v1/brands").token(&t.token).send().await.expect(200);
    app.brand(&t.token, "После сбоя").await;
}
