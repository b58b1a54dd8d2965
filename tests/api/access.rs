//! Signup, login, refresh tokens, the caller, the tenant and users.

use serde_json::json;
use smrm_tests::{PASSWORD, spawn_app, spawn_app_with};

#[actix_web::test]
async fn signup_creates_a_tenant_an_owner_and_a_login() {
    let app = spawn_app().await;
    let r = app
        .post("/v1/signup")
        .json(json!({"tenant_name": "  Acme   Agency ", "email": "Owner@Acme.example", "password": PASSWORD}))
        .send()
        .await
        .expect(201);
    assert_eq!(r.body["tenant"]["name"], "Acme Agency");
    assert_eq!(r.body["tenant"]["timezone"], "UTC");
    assert_eq!(r.body["user"]["email"], "owner@acme.example");
    assert_eq!(r.body["user"]["role"], "owner");
    assert_eq!(r.body["expires_in"], 900);
    assert!(r.body["refresh_token"].as_str().unwrap().starts_with("smrt_"));
    let token = r.body["access_token"].as_str().unwrap();
    let me = app.get("/v1/me").token(token).send().await.expect(200);
    assert_eq!(me.body["role"], "owner");
    assert_eq!(me.body["tenant"]["id"], r.body["tenant"]["id"]);
    assert_eq!(me.body["user"]["email"], "owner@acme.example");
    assert!(me.body["api_key"].is_null());
}

#[actix_web::test]
async fn signup_validates_and_refuses_a_taken_address() {
    let app = spawn_app().await;
    let r = app
        .post("/v1/signup")
        .json(json!({"tenant_name": "", "email": "not-an-email", "password": "short"}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["tenant_name", "email", "password"]);
    let t = app.signup("Acme").await;
    let r = app
        .post("/v1/signup")
        .json(json!({"tenant_name": "Other", "email": t.email.to_uppercase(), "password": PASSWORD}))
        .send()
        .await
        .problem(409);
    assert!(r.body["detail"].as_str().unwrap().contains("already registered"));
}

#[actix_web::test]
async fn signup_can_be_switched_off() {
    let app = spawn_app_with(|c| c.signup_enabled = false).await;
    app.post("/v1/signup")
        .json(json!({"tenant_name": "Acme", "email": "a@acme.example", "password": PASSWORD}))
        .send()
        .await
        .problem(404);
}

#[actix_web::test]
async fn login_checks_the_password_and_says_nothing_about_addresses() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let r = app.post("/v1/auth/token").json(json!({"email": t.email, "password": PASSWORD})).send().await.expect(200);
    assert_eq!(r.body["token_type"], "Bearer");
    app.get("/v1/me").token(r.body["access_token"].as_str().unwrap()).send().await.expect(200);
    let wrong = app.post("/v1/auth/token").json(json!({"email": t.email, "password": "wrong password!"})).send().await;
    let unknown =
        app.post("/v1/auth/token").json(json!({"email": "nobody@x.example", "password": PASSWORD})).send().await;
    let wrong = wrong.problem(401);
    let unknown = unknown.problem(401);
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
}

#[actix_web::test]
async fn bad_tokens_are_401() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    app.get("/v1/me").send().await.problem(401);
    app.get("/v1/me").token("garbage").send().await.problem(401);
    app.get("/v1/me").header("authorization", &format!("Basic {}", t.token)).send().await.problem(401);
    // A token signed with another secret.
    let other = spawn_app_with(|c| c.jwt_secret = b"another-secret-of-at-least-32-bytes!!".to_vec()).await;
    let foreign = other.signup("Foreign").await;
    app.get("/v1/me").token(&foreign.token).send().await.problem(401);
    // A tampered payload.
    let mut parts: Vec<String> = t.token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    app.get("/v1/me").token(&parts.join(".")).send().await.problem(401);
}

#[actix_web::test]
async fn refresh_tokens_rotate_and_work_once() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let first = app.post("/v1/auth/refresh").json(json!({"refresh_token": t.refresh_token})).send().await.expect(200);
    let next_refresh = first.body["refresh_token"].as_str().unwrap().to_owned();
    let next_access = first.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(next_refresh, t.refresh_token);
    app.get("/v1/me").token(&next_access).send().await.expect(200);
    let second = app.post("/v1/auth/refresh").json(json!({"refresh_token": next_refresh})).send().await.expect(200);
    let latest_refresh = second.body["refresh_token"].as_str().unwrap().to_owned();
    let latest_access = second.body["access_token"].as_str().unwrap().to_owned();

    // Replaying a used token (a thief, or a confused client) revokes the login:
    app.post("/v1/auth/refresh").json(json!({"refresh_token": t.refresh_token})).send().await.problem(401);
    // …the newest refresh token and every access token of the login stop working,
    app.post("/v1/auth/refresh").json(json!({"refresh_token": latest_refresh})).send().await.problem(401);
    app.get("/v1/me").token(&latest_access).send().await.problem(401);
    app.get("/v1/me").token(&t.token).send().await.problem(401);
    // …while another login of the same user is untouched.
    let fresh = app.login(&t.email, PASSWORD).await;
    app.get("/v1/me").token(&fresh).send().await.expect(200);
    app.post("/v1/auth/refresh").json(json!({"refresh_token": "smrt_nonsense"})).send().await.problem(401);
}

#[actix_web::test]
async fn the_tenant_can_be_read_and_changed() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let r = app.get("/v1/tenant").token(&t.token).send().await.expect(200);
    assert_eq!(r.body["id"], t.id.as_str());
    let r = app
        .patch("/v1/tenant")
        .token(&t.token)
        .json(json!({"name": "Acme Group", "timezone": "Europe/Moscow"}))
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["name"], "Acme Group");
    assert_eq!(r.body["timezone"], "Europe/Moscow");
    let r = app.patch("/v1/tenant").token(&t.token).json(json!({"timezone": "Mars/Olympus"})).send().await.problem(422);
    assert_eq!(r.fields(), ["timezone"]);
    let r = app.get("/v1/tenant").token(&t.token).send().await.expect(200);
    assert_eq!(r.body["timezone"], "Europe/Moscow");
}

#[actix_web::test]
async fn users_have_a_full_life_cycle() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let brand = app.brand(&t.token, "Daynet").await;
    let r = app
        .post("/v1/users")
        .token(&t.token)
        .json(json!({"email": "Client@Brand.example", "password": PASSWORD, "role": "client", "brand_ids": [brand]}))
        .send()
        .await
        .expect(201);
    let id = r.id();
    assert_eq!(r.header("location").unwrap(), format!("/v1/users/{id}"));
    assert_eq!(r.body["email"], "client@brand.example");
    assert_eq!(r.body["brand_ids"], json!([brand]));
    assert!(r.body.get("password").is_none() && !r.text.contains("argon2"));

    let list = app.get("/v1/users").token(&t.token).send().await.expect(200);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);
    app.get(&format!("/v1/users/{id}")).token(&t.token).send().await.expect(200);

    let client_token = app.login("client@brand.example", PASSWORD).await;
    let r =
        app.patch(&format!("/v1/users/{id}")).token(&t.token).json(json!({"role": "viewer"})).send().await.expect(200);
    assert_eq!(r.body["role"], "viewer");
    assert_eq!(r.body["brand_ids"], json!([]), "a viewer is not limited to brands");
    // A role change ends the user's logins.
    app.get("/v1/me").token(&client_token).send().await.problem(401);

    app.delete(&format!("/v1/users/{id}")).token(&t.token).send().await.expect(204);
    app.get(&format!("/v1/users/{id}")).token(&t.token).send().await.problem(404);
    app.post("/v1/auth/token")
        .json(json!({"email": "client@brand.example", "password": PASSWORD}))
        .send()
        .await
        .problem(401);
    // The deletion freed the address in the login directory (which has no
    // foreign key to cascade): another tenant can give it to its user.
    let other = app.signup("Other agency").await;
    app.post("/v1/users")
        .token(&other.token)
        .json(json!({"email": "client@brand.example", "password": PASSWORD, "role": "viewer"}))
        .send()
        .await
        .expect(201);
    app.login("client@brand.example", PASSWORD).await;
}

#[actix_web::test]
async fn user_input_is_validated() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let ghost = uuid::Uuid::now_v7().to_string();
    let r = app
        .post("/v1/users")
        .token(&t.token)
        .json(json!({"email": "x", "password": "short", "role": "client", "brand_ids": [ghost]}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["email", "password", "brand_ids[0]"]);
    let brand = app.brand(&t.token, "Daynet").await;
    let r = app
        .post("/v1/users")
        .token(&t.token)
        .json(json!({"email": "a@b.example", "password": PASSWORD, "role": "analyst", "brand_ids": [brand]}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["brand_ids"]);
    let r = app
        .post("/v1/users")
        .token(&t.token)
        .json(json!({"email": "a@b.example", "password": PASSWORD, "role": "superuser"}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["role"]);
    app.post("/v1/users")
        .token(&t.token)
        .json(json!({"email": t.email, "password": PASSWORD, "role": "viewer"}))
        .send()
        .await
        .problem(409);
}

#[actix_web::test]
async fn the_last_owner_stays() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let r = app.delete(&format!("/v1/users/{}", t.owner_id)).token(&t.token).send().await.problem(409);
    assert!(r.body["detail"].as_str().unwrap().contains("last owner"));
    app.patch(&format!("/v1/users/{}", t.owner_id))
        .token(&t.token)
        .json(json!({"role": "admin"}))
        .send()
        .await
        .problem(409);
    // With a second owner, the first may step down.
    let r = app
        .post("/v1/users")
        .token(&t.token)
        .json(json!({"email": "second@acme.example", "password": PASSWORD, "role": "owner"}))
        .send()
        .await
        .expect(201);
    assert_eq!(r.body["role"], "owner");
    app.patch(&format!("/v1/users/{}", t.owner_id))
        .token(&t.token)
        .json(json!({"role": "admin"}))
        .send()
        .await
        .expect(200);
}

#[actix_web::test]
async fn nobody_grants_or_touches_a_stronger_role() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let admin = app.user_token(&t.token, "admin", &[]).await;
    let r = app
        .post("/v1/users")
        .token(&admin)
        .json(json!({"email": "boss@acme.example", "password": PASSWORD, "role": "owner"}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["role"]);
    app.patch(&format!("/v1/users/{}", t.owner_id))
        .token(&admin)
        .json(json!({"password": "hijacked password"}))
        .send()
        .await
        .problem(403);
    app.delete(&format!("/v1/users/{}", t.owner_id)).token(&admin).send().await.problem(403);
}
