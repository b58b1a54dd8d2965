//! Each role against each write: who may do what.

use serde_json::{Value, json};
use smrm_tests::{PASSWORD, TestApp, spawn_app};
use uuid::Uuid;

/// A write and the weakest role allowed to make it.
struct Write {
    method: &'static str,
    path: String,
    body: Option<Value>,
    min: usize,
}

const ROLES: [&str; 5] = ["client", "viewer", "analyst", "admin", "owner"];
const ANALYST: usize = 2;
const ADMIN: usize = 3;

async fn send(app: &TestApp, token: &str, w: &Write) -> u16 {
    let req = match w.method {
        "POST" => app.post(&w.path),
        "PATCH" => app.patch(&w.path),
        _ => app.delete(&w.path),
    }
    .token(token);
    let req = match &w.body {
        Some(b) => req.json(b.clone()),
        None => req,
    };
    req.send().await.status.as_u16()
}

#[actix_web::test]
async fn every_write_checks_the_role() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let brand = app.brand(&t.token, "Daynet").await;
    let rival = app.brand(&t.token, "Rival").await;
    let set = app.competitor_set(&t.token, "S", &brand, &[&rival]).await;
    let mut tokens = Vec::new();
    let client_brands = [brand.as_str()];
    for role in ROLES {
        let token = if role == "owner" {
            t.token.clone()
        } else {
            app.user_token(&t.token, role, if role == "client" { &client_brands } else { &[] }).await
        };
        tokens.push(token);
    }
    for (i, role) in ROLES.iter().enumerate() {
        // Fresh targets per role, so that a permitted delete does not hide the next check.
        let victim = app.brand(&t.token, &format!("Victim {role}")).await;
        let victim_set = app.competitor_set(&t.token, &format!("Set {role}"), &victim, &[]).await;
        let user = app.user(&t.token, "viewer").await;
        let key = app.api_key(&t.token, "viewer").await.id();
        let writes = [
            Write {
                method: "POST",
                path: "/v1/brands".into(),
                body: Some(json!({"name": format!("New {role}"), "keywords": ["k"]})),
                min: ANALYST,
            },
            Write {
                method: "PATCH",
                path: format!("/v1/brands/{brand}"),
                body: Some(json!({"keywords": ["Daynet", role]})),
                min: ANALYST,
            },
            Write {
                method: "POST",
                path: "/v1/competitor-sets".into(),
                body: Some(json!({"name": format!("S {role}"), "brand_id": brand})),
                min: ANALYST,
            },
            Write {
                method: "PATCH",
                path: format!("/v1/competitor-sets/{set}"),
                body: Some(json!({"name": format!("S by {role}")})),
                min: ANALYST,
            },
            Write { method: "DELETE", path: format!("/v1/competitor-sets/{victim_set}"), body: None, min: ANALYST },
            Write { method: "DELETE", path: format!("/v1/brands/{victim}"), body: None, min: ANALYST },
            Write { method: "PATCH", path: "/v1/tenant".into(), body: Some(json!({"name": "Acme"})), min: ADMIN },
            Write {
                method: "POST",
                path: "/v1/users".into(),
                body: Some(
                    json!({"email": format!("n-{}@acme.example", Uuid::now_v7().simple()), "password": PASSWORD, "role": "viewer"}),
                ),
                min: ADMIN,
            },
            Write {
                method: "PATCH",
                path: format!("/v1/users/{user}"),
                body: Some(json!({"role": "analyst"})),
                min: ADMIN,
            },
            Write { method: "DELETE", path: format!("/v1/users/{user}"), body: None, min: ADMIN },
            Write {
                method: "POST",
                path: "/v1/api-keys".into(),
                body: Some(json!({"name": "k", "role": "viewer"})),
                min: ADMIN,
            },
            Write { method: "DELETE", path: format!("/v1/api-keys/{key}"), body: None, min: ADMIN },
        ];
        for w in &writes {
            let status = send(&app, &tokens[i], w).await;
            let allowed = i >= w.min;
            if allowed {
                assert!((200..300).contains(&status), "{role} {} {} → {status}", w.method, w.path);
            } else {
                assert_eq!(status, 403, "{role} {} {}", w.method, w.path);
            }
        }
    }
}

#[actix_web::test]
async fn readers_read_and_admin_lists_need_admin() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let brand = app.brand(&t.token, "Daynet").await;
    let viewer = app.user_token(&t.token, "viewer", &[]).await;
    let analyst = app.user_token(&t.token, "analyst", &[]).await;
    for token in [&viewer, &analyst] {
        app.get("/v1/brands").token(token).send().await.expect(200);
        app.get(&format!("/v1/brands/{brand}")).token(token).send().await.expect(200);
        app.get("/v1/competitor-sets").token(token).send().await.expect(200);
        app.get("/v1/tenant").token(token).send().await.expect(200);
        app.get("/v1/users").token(token).send().await.problem(403);
        app.get("/v1/api-keys").token(token).send().await.problem(403);
    }
}
