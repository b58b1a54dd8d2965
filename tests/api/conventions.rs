//! The conventions of API.md that hold for every endpoint: JSON errors,
//! unknown fields, content types, body limits, list parameters, CORS.

use serde_json::json;
use smrm_tests::{spawn_app, spawn_app_with};

#[actix_web::test]
async fn malformed_json_is_a_400_problem_never_a_500() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    for body in ["{", "{\"name\": }", "[1,2", "", "nul"] {
        let r = app.post("/v1/brands").token(&t.token).raw("application/json", body).send().await.problem(400);
        assert_eq!(r.body["code"], "malformed_json", "{body:?}");
    }
}

#[actix_web::test]
async fn wrong_types_and_unknown_fields_are_422_naming_the_field() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let r = app
        .post("/v1/brands")
        .token(&t.token)
        .json(json!({"name": "Daynet", "keywords": ["Daynet"], "colour": "blue"}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["colour"]);
    let r = app
        .post("/v1/brands")
        .token(&t.token)
        .json(json!({"name": "Daynet", "keywords": ["Daynet", 7]}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["keywords[1]"]);
    let r = app.post("/v1/brands").token(&t.token).json(json!({"keywords": ["Daynet"]})).send().await.problem(422);
    assert!(r.body["errors"][0]["message"].as_str().unwrap().contains("name"), "{}", r.text);
    let r = app.post("/v1/brands").token(&t.token).json(json!(["not", "an", "object"])).send().await.problem(422);
    assert_eq!(r.fields(), ["body"]);
    // PATCH: null is not "unchanged".
    let id = app.brand(&t.token, "Daynet").await;
    let r =
        app.patch(&format!("/v1/brands/{id}")).token(&t.token).json(json!({"name": null})).send().await.problem(422);
    assert_eq!(r.fields(), ["name"]);
}

#[actix_web::test]
async fn non_json_bodies_are_415() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let r = app.post("/v1/brands").token(&t.token).raw("text/plain", "name=Daynet").send().await.problem(415);
    assert_eq!(r.body["code"], "unsupported_media_type");
    app.post("/v1/brands")
        .token(&t.token)
        .raw("application/json; charset=utf-8", r#"{"name":"Daynet","keywords":["Daynet"]}"#)
        .send()
        .await
        .expect(201);
}

#[actix_web::test]
async fn bodies_over_the_limit_are_413() {
    let app = spawn_app_with(|c| c.max_body_bytes = 2048).await;
    let t = app.signup("Acme").await;
    let big = json!({"name": "Daynet", "keywords": vec!["x".repeat(100); 40]});
    let r = app.post("/v1/brands").token(&t.token).json(big.clone()).send().await.problem(413);
    assert_eq!(r.body["code"], "payload_too_large");
    // The idempotency layer reads bodies too, and keeps the same limit.
    app.post("/v1/brands").token(&t.token).header("idempotency-key", "big").json(big).send().await.problem(413);
}

#[actix_web::test]
async fn list_parameters_are_validated() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("cursor=nope", "cursor"),
        ("page=2", "page"),
    ] {
        let r = app.get(&format!("/v1/brands?{query}")).token(&t.token).send().await.problem(422);
        assert!(r.fields()[0].contains(field) || r.text.contains(field), "{query}: {}", r.text);
    }
}

#[actix_web::test]
async fn ids_that_are_not_uuids_are_404() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    app.get("/v1/brands/not-a-uuid").token(&t.token).send().await.problem(404);
    app.delete("/v1/competitor-sets/42").token(&t.token).send().await.problem(404);
}

#[actix_web::test]
async fn cors_is_off_by_default_and_configurable() {
    let app = spawn_app().await;
    let r = app.get("/healthz").header("origin", "https://portal.example").send().await.expect(200);
    assert_eq!(r.header("access-control-allow-origin"), None);

    let app = spawn_app_with(|c| c.cors_origins = Some(vec!["https://portal.example".into()])).await;
    let r = app
        .request(awc::http::Method::OPTIONS, "/v1/brands")
        .header("origin", "https://portal.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type, idempotency-key")
        .send()
        .await
        .expect(200);
    assert_eq!(r.header("access-control-allow-origin"), Some("https://portal.example"));
    let r = app.get("/healthz").header("origin", "https://portal.example").send().await.expect(200);
    assert!(r.header("access-control-expose-headers").is_some_and(|h| h.contains("x-request-id")));
}
