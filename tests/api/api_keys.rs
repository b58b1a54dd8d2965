//! API keys: shown once, stored hashed, used as bearer tokens, revocable.

use serde_json::json;
use smrm_tests::spawn_app;

#[actix_web::test]
async fn an_api_key_lives_from_creation_to_revocation() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let r = app
        .post("/v1/api-keys")
        .token(&t.token)
        .json(json!({"name": "CRM sync", "role": "analyst"}))
        .send()
        .await
        .expect(201);
    let key = r.body["key"].as_str().unwrap().to_owned();
    let id = r.id();
    assert!(key.starts_with("smrm_"));
    assert!(key.starts_with(r.body["prefix"].as_str().unwrap()));
    assert!(r.body["last_used_at"].is_null());

    // Listed without the secret.
    let list = app.get("/v1/api-keys").token(&t.token).send().await.expect(200);
    assert_eq!(list.body["data"][0]["id"], id.as_str());
    assert!(list.body["data"][0].get("key").is_none());
    assert!(!list.text.contains(&key));

    // Works as a bearer token, with its own role.
    let me = app.get("/v1/me").token(&key).send().await.expect(200);
    assert_eq!(me.body["role"], "analyst");
    assert_eq!(me.body["api_key"]["id"], id.as_str());
    assert!(me.body["user"].is_null());
    assert!(me.body["api_key"]["last_used_at"].is_string(), "use is recorded: {}", me.text);
    app.post("/v1/brands").token(&key).json(json!({"name": "Daynet", "keywords": ["Daynet"]})).send().await.expect(201);
    app.post("/v1/api-keys").token(&key).json(json!({"name": "x", "role": "viewer"})).send().await.problem(403);

    // Revoked: answers 401 at once.
    app.delete(&format!("/v1/api-keys/{id}")).token(&t.token).send().await.expect(204);
    app.get("/v1/me").token(&key).send().await.problem(401);
    app.delete(&format!("/v1/api-keys/{id}")).token(&t.token).send().await.problem(404);
}

#[actix_web::test]
async fn forged_and_foreign_keys_are_refused() {
    let app = spawn_app().await;
    let a = app.signup("A").await;
    let b = app.signup("B").await;
    let r =
        app.post("/v1/api-keys").token(&a.token).json(json!({"name": "k", "role": "viewer"})).send().await.expect(201);
    let key = r.body["key"].as_str().unwrap();
    // The same secret claiming tenant B: the lookup is tenant-scoped, so nothing matches.
    let forged = format!("{}{}", &key[..37], b.id.replace('-', ""));
    app.get("/v1/me").token(&forged).send().await.problem(401);
    app.get("/v1/me").token("smrm_short").send().await.problem(401);
    let mut flipped = key.to_owned();
    flipped.replace_range(10..11, if &key[10..11] == "A" { "B" } else { "A" });
    app.get("/v1/me").token(&flipped).send().await.problem(401);
}

#[actix_web::test]
async fn a_client_key_is_limited_to_its_brands() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let mine = app.brand(&t.token, "Mine").await;
    let other = app.brand(&t.token, "Other").await;
    let r = app
        .post("/v1/api-keys")
        .token(&t.token)
        .json(json!({"name": "portal", "role": "client", "brand_ids": [mine]}))
        .send()
        .await
        .expect(201);
    let key = r.body["key"].as_str().unwrap();
    let list = app.get("/v1/brands").token(key).send().await.expect(200);
    let ids: Vec<&str> = list.body["data"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [mine.as_str()]);
    app.get(&format!("/v1/brands/{other}")).token(key).send().await.problem(404);
    let me = app.get("/v1/me").token(key).send().await.expect(200);
    assert_eq!(me.body["brand_ids"], json!([mine]));
}

#[actix_web::test]
async fn an_admin_cannot_revoke_an_owner_key() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let owner_key = app.api_key(&t.token, "owner").await.id();
    let admin = app.user_token(&t.token, "admin", &[]).await;
    app.delete(&format!("/v1/api-keys/{owner_key}")).token(&admin).send().await.problem(403);
    let admin_key = app.api_key(&t.token, "admin").await.id();
    app.delete(&format!("/v1/api-keys/{admin_key}")).token(&admin).send().await.expect(204);
}
