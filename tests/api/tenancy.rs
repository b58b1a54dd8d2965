//! Tenant B's credentials against every tenant-A resource and route: always
//! 404 (never 403, never data), and lists never mix tenants.

use serde_json::json;
use smrm_tests::{PASSWORD, spawn_app};

#[actix_web::test]
async fn another_tenants_resources_are_404_on_every_route() {
    let app = spawn_app().await;
    let a = app.signup("A").await;
    let b = app.signup("B").await;
    let brand = app.brand(&a.token, "Daynet").await;
    let rival = app.brand(&a.token, "Rival").await;
    let set = app.competitor_set(&a.token, "S", &brand, &[&rival]).await;
    let user = app.user(&a.token, "analyst").await;
    let key = app.api_key(&a.token, "viewer").await.id();
    let b_key = app.api_key(&b.token, "admin").await.body["key"].as_str().unwrap().to_owned();

    for token in [&b.token, &b_key] {
        for path in [
            format!("/v1/brands/{brand}"),
            format!("/v1/competitor-sets/{set}"),
            format!("/v1/users/{user}"),
            format!("/v1/users/{}", a.owner_id),
        ] {
            app.get(&path).token(token).send().await.problem(404);
            app.patch(&path)
                .token(token)
                .json(json!({"name": "stolen"}))
                .send()
                .await
                .problem(if path.contains("users") { 422 } else { 404 });
            app.delete(&path).token(token).send().await.problem(404);
        }
        app.patch(&format!("/v1/users/{user}")).token(token).json(json!({"role": "viewer"})).send().await.problem(404);
        app.delete(&format!("/v1/api-keys/{key}")).token(token).send().await.problem(404);
        // Referencing A's brands from B is "no such brand".
        let r = app
            .post("/v1/competitor-sets")
            .token(token)
            .json(json!({"name": "S", "brand_id": brand}))
            .send()
            .await
            .problem(422);
        assert_eq!(r.fields(), ["brand_id"]);
        let r = app
            .post("/v1/users")
            .token(token)
            .json(json!({"email": format!("c-{}@b.example", uuid::Uuid::now_v7().simple()), "password": PASSWORD, "role": "client", "brand_ids": [brand]}))
            .send()
            .await
            .problem(422);
        assert_eq!(r.fields(), ["brand_ids[0]"]);
        // Lists show B's own things only.
        for list in ["/v1/brands", "/v1/competitor-sets", "/v1/users", "/v1/api-keys"] {
            let r = app.get(list).token(token).send().await.expect(200);
            for item in r.body["data"].as_array().unwrap() {
                let id = item["id"].as_str().unwrap();
                assert!(
                    ![&brand, &rival, &set, &user, &key, &a.owner_id].contains(&&id.to_owned()),
                    "{list} leaked {id}"
                );
            }
        }
        let me = app.get("/v1/tenant").token(token).send().await.expect(200);
        assert_eq!(me.body["id"], b.id.as_str());
    }
    // Nothing of A changed.
    let r = app.get(&format!("/v1/brands/{brand}")).token(&a.token).send().await.expect(200);
    assert_eq!(r.body["name"], "Daynet");
    app.get(&format!("/v1/competitor-sets/{set}")).token(&a.token).send().await.expect(200);
    app.get(&format!("/v1/users/{user}")).token(&a.token).send().await.expect(200);
    assert_eq!(app.get("/v1/api-keys").token(&a.token).send().await.body["data"].as_array().unwrap().len(), 1);
}
