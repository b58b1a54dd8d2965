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

/// A key records the user who made it, and can do no more than that user
/// can: demoting the user revokes their stronger keys, removing the user
/// revokes all of theirs. Keys of other users stay.
#[actix_web::test]
async fn a_users_keys_follow_the_user() {
    let app = spawn_app().await;
    let t = app.signup("Makers").await;
    let email = "maker@makers.example";
    let user = json!({"email": email, "password": smrm_tests::PASSWORD, "role": "admin"});
    let maker_id = app.post("/v1/users").token(&t.token).json(user).send().await.expect(201).id();
    let maker = app.login(email, smrm_tests::PASSWORD).await;
    let key = |token: String, role: &'static str| {
        let app = &app;
        async move {
            let r = app.post("/v1/api-keys").token(&token).json(json!({"name": role, "role": role})).send().await;
            let r = r.expect(201);
            (r.body["key"].as_str().unwrap().to_owned(), r.body["created_by"].clone())
        }
    };
    let (analyst, made_by) = key(maker.clone(), "analyst").await;
    assert_eq!(made_by, maker_id.as_str());
    let (viewer, _) = key(maker.clone(), "viewer").await;
    let (owners, _) = key(t.token.clone(), "analyst").await;
    let listed = app.get("/v1/api-keys").token(&t.token).send().await.expect(200).body;
    let makers: Vec<&str> =
        listed["data"].as_array().unwrap().iter().map(|k| k["created_by"].as_str().unwrap()).collect();
    assert_eq!(makers.iter().filter(|m| **m == maker_id).count(), 2);

    // Demoted to viewer: the analyst key goes, the viewer key stays.
    app.patch(&format!("/v1/users/{maker_id}"))
        .token(&t.token)
        .json(json!({"role": "viewer"}))
        .send()
        .await
        .expect(200);
    app.get("/v1/me").token(&analyst).send().await.problem(401);
    app.get("/v1/me").token(&viewer).send().await.expect(200);

    // Removed: every key they made goes; the owner's stays.
    app.delete(&format!("/v1/users/{maker_id}")).token(&t.token).send().await.expect(204);
    app.get("/v1/me").token(&viewer).send().await.problem(401);
    app.get("/v1/me").token(&owners).send().await.expect(200);
    let listed = app.get("/v1/api-keys").token(&t.token).send().await.expect(200).body;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}
