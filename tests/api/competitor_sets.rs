//! Competitor sets: CRUD, every id a brand of the tenant, brands in use.

use serde_json::json;
use smrm_tests::spawn_app;

#[actix_web::test]
async fn a_set_has_a_full_life_cycle() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let own = app.brand(&t.token, "Daynet").await;
    let c1 = app.brand(&t.token, "Rival One").await;
    let c2 = app.brand(&t.token, "Rival Two").await;
    let r = app
        .post("/v1/competitor-sets")
        .token(&t.token)
        .json(json!({"name": "Telecom", "brand_id": own, "competitor_ids": [c2, c1]}))
        .send()
        .await
        .expect(201);
    let id = r.id();
    assert_eq!(r.body["competitor_ids"], json!([c2, c1]), "order is kept");
    let got = app.get(&format!("/v1/competitor-sets/{id}")).token(&t.token).send().await.expect(200);
    assert_eq!(got.body, r.body);
    let r = app
        .patch(&format!("/v1/competitor-sets/{id}"))
        .token(&t.token)
        .json(json!({"competitor_ids": [c1]}))
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["competitor_ids"], json!([c1]));
    assert_eq!(r.body["name"], "Telecom");
    let list = app.get("/v1/competitor-sets").token(&t.token).send().await.expect(200);
    assert_eq!(list.body["data"][0]["competitor_ids"], json!([c1]));
    // c2 left the set, so it can go; c1 and the set's own brand cannot.
    app.delete(&format!("/v1/brands/{c2}")).token(&t.token).send().await.expect(204);
    for used in [&c1, &own] {
        let r = app.delete(&format!("/v1/brands/{used}")).token(&t.token).send().await.problem(409);
        assert!(r.body["detail"].as_str().unwrap().contains("Telecom"), "{}", r.text);
    }
    app.delete(&format!("/v1/competitor-sets/{id}")).token(&t.token).send().await.expect(204);
    app.get(&format!("/v1/competitor-sets/{id}")).token(&t.token).send().await.problem(404);
    app.delete(&format!("/v1/brands/{c1}")).token(&t.token).send().await.expect(204);
}

#[actix_web::test]
async fn every_id_must_be_a_brand_of_the_tenant() {
    let app = spawn_app().await;
    let a = app.signup("A").await;
    let b = app.signup("B").await;
    let own = app.brand(&a.token, "Daynet").await;
    let rival = app.brand(&a.token, "Rival").await;
    let foreign = app.brand(&b.token, "Foreign").await;
    let ghost = uuid::Uuid::now_v7().to_string();
    let r = app
        .post("/v1/competitor-sets")
        .token(&a.token)
        .json(json!({"name": "", "brand_id": ghost, "competitor_ids": [rival, foreign, own, rival]}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["name", "brand_id", "competitor_ids[1]", "competitor_ids[3]"]);
    let r = app
        .post("/v1/competitor-sets")
        .token(&a.token)
        .json(json!({"name": "S", "brand_id": own, "competitor_ids": [own]}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["competitor_ids[0]"]);
    let r = app
        .post("/v1/competitor-sets")
        .token(&a.token)
        .json(json!({"name": "S", "brand_id": own, "competitor_ids": ["not-a-uuid"]}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["competitor_ids[0]"]);
    let set = app.competitor_set(&a.token, "S", &own, &[&rival]).await;
    let r = app
        .patch(&format!("/v1/competitor-sets/{set}"))
        .token(&a.token)
        .json(json!({"competitor_ids": [foreign]}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["competitor_ids[0]"]);
}

#[actix_web::test]
async fn a_client_sees_the_sets_of_its_brands() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let mine = app.brand(&t.token, "Mine").await;
    let other = app.brand(&t.token, "Other").await;
    let my_set = app.competitor_set(&t.token, "Mine vs Other", &mine, &[&other]).await;
    let their_set = app.competitor_set(&t.token, "Other vs Mine", &other, &[&mine]).await;
    let client = app.user_token(&t.token, "client", &[&mine]).await;
    let list = app.get("/v1/competitor-sets").token(&client).send().await.expect(200);
    let ids: Vec<&str> = list.body["data"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [my_set.as_str()]);
    app.get(&format!("/v1/competitor-sets/{my_set}")).token(&client).send().await.expect(200);
    app.get(&format!("/v1/competitor-sets/{their_set}")).token(&client).send().await.problem(404);
}
