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
