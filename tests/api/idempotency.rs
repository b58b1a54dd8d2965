//! `Idempotency-Key` on POST: replay, conflict, scoping, and what is not stored.

use serde_json::json;
use smrm_tests::{PASSWORD, spawn_app};

#[actix_web::test]
async fn the_same_key_and_body_replays_the_first_answer() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let body = json!({"name": "Daynet", "keywords": ["Daynet"]});
    let first = app
        .post("/v1/brands")
        .token(&t.token)
        .header("idempotency-key", "k-1")
        .json(body.clone())
        .send()
        .await
        .expect(201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again =
        app.post("/v1/brands").token(&t.token).header("idempotency-key", "k-1").json(body).send().await.expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    let list = app.get("/v1/brands").token(&t.token).send().await.expect(200);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1, "one brand, not two");
}

#[actix_web::test]
async fn the_same_key_with_another_body_is_a_conflict() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    app.post("/v1/brands")
        .token(&t.token)
        .header("idempotency-key", "k-1")
        .json(json!({"name": "Daynet", "keywords": ["Daynet"]}))
        .send()
        .await
        .expect(201);
    let r = app
        .post("/v1/brands")
        .token(&t.token)
        .header("idempotency-key", "k-1")
        .json(json!({"name": "Other", "keywords": ["Other"]}))
        .send()
        .await
        .problem(409);
    assert_eq!(r.body["code"], "idempotency_key_reused");
    // Reusing the key on another endpoint is another request too.
    app.post("/v1/competitor-sets")
        .token(&t.token)
        .header("idempotency-key", "k-1")
        .json(json!({"name": "Daynet", "keywords": ["Daynet"]}))
        .send()
        .await
        .problem(409);
}

#[actix_web::test]
async fn keys_are_scoped_per_tenant() {
    let app = spawn_app().await;
    let a = app.signup("A").await;
    let b = app.signup("B").await;
    let body = json!({"name": "Daynet", "keywords": ["Daynet"]});
    let ra = app
        .post("/v1/brands")
        .token(&a.token)
        .header("idempotency-key", "shared")
        .json(body.clone())
        .send()
        .await
        .expect(201);
    let rb =
        app.post("/v1/brands").token(&b.token).header("idempotency-key", "shared").json(body).send().await.expect(201);
    assert_eq!(rb.header("idempotent-replayed"), None);
    assert_ne!(ra.id(), rb.id());
}

#[actix_web::test]
async fn validation_failures_replay_and_store_nothing() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let bad = json!({"name": "Daynet", "keywords": []});
    app.post("/v1/brands").token(&t.token).header("idempotency-key", "v").json(bad.clone()).send().await.problem(422);
    let again =
        app.post("/v1/brands").token(&t.token).header("idempotency-key", "v").json(bad).send().await.problem(422);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.get("/v1/brands").token(&t.token).send().await.body["data"], json!([]));
}

#[actix_web::test]
async fn invalid_keys_and_unauthenticated_requests() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let body = json!({"name": "Daynet", "keywords": ["Daynet"]});
    let long = "k".repeat(256);
    let r = app
        .post("/v1/brands")
        .token(&t.token)
        .header("idempotency-key", &long)
        .json(body.clone())
        .send()
        .await
        .problem(400);
    assert_eq!(r.body["code"], "invalid_idempotency_key");
    // Bad credentials are answered 401 and not remembered.
    app.post("/v1/brands").token("bad").header("idempotency-key", "x").json(body.clone()).send().await.problem(401);
    app.post("/v1/brands").token(&t.token).header("idempotency-key", "x").json(body).send().await.expect(201);
}

#[actix_web::test]
async fn answers_carrying_credentials_are_never_stored() {
    let app = spawn_app().await;
    let body = json!({"tenant_name": "Acme", "email": "retry@acme.example", "password": PASSWORD});
    let first =
        app.post("/v1/signup").header("idempotency-key", "signup-1").json(body.clone()).send().await.expect(201);
    let token = first.body["access_token"].as_str().unwrap().to_owned();
    // A retried signup is not replayed: the address is taken, and the caller logs in.
    app.post("/v1/signup").header("idempotency-key", "signup-1").json(body).send().await.problem(409);
    let login = json!({"email": "retry@acme.example", "password": PASSWORD});
    let one =
        app.post("/v1/auth/token").header("idempotency-key", "login").json(login.clone()).send().await.expect(200);
    let two = app.post("/v1/auth/token").header("idempotency-key", "login").json(login).send().await.expect(200);
    assert_eq!(two.header("idempotent-replayed"), None);
    assert_ne!(one.body["refresh_token"], two.body["refresh_token"]);
    let key = json!({"name": "k", "role": "viewer"});
    let a = app
        .post("/v1/api-keys")
        .token(&token)
        .header("idempotency-key", "key-1")
        .json(key.clone())
        .send()
        .await
        .expect(201);
    let b =
        app.post("/v1/api-keys").token(&token).header("idempotency-key", "key-1").json(key).send().await.expect(201);
    assert_ne!(a.body["key"], b.body["key"], "a key's secret is never replayed");
}

#[actix_web::test]
async fn keys_belong_to_their_caller() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let other = app.user_token(&t.token, "analyst", &[]).await;
    let body = json!({"name": "Daynet", "keywords": ["Daynet"]});
    app.post("/v1/brands")
        .token(&t.token)
        .header("idempotency-key", "same")
        .json(body.clone())
        .send()
        .await
        .expect(201);
    // Another user of the same tenant with the same key and body runs their own request.
    let r = app.post("/v1/brands").token(&other).header("idempotency-key", "same").json(body).send().await.problem(409);
    assert_eq!(r.body["code"], "conflict", "the brand name is taken: the request ran, it was not replayed");
}
