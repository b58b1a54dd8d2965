//! Per-tenant quotas: defaults, an operator's own limits (`smrm quota`),
//! 409 `quota_exceeded` naming the quota, nothing stored past a limit, room
//! again after a delete, and `GET /v1/tenant/quotas`.

use serde_json::{Value, json};
use smrm_domain::ids::TenantId;
use smrm_domain::model::quota::Quota;
use smrm_domain::ports::QuotaRepository;
use smrm_tests::{Resp, TestApp, spawn_durable_app};

#[track_caller]
fn exceeded(r: Resp, name: &str, limit: u32) {
    let r = r.problem(409);
    assert_eq!(r.body["code"], "quota_exceeded", "{}", r.text);
    assert_eq!(r.body["quota"], json!({"name": name, "limit": limit}), "{}", r.text);
}

async fn set(app: &TestApp, tenant: &str, quota: Quota, limit: Option<u32>) {
    let id = TenantId(tenant.parse().unwrap());
    app.store().await.set_quota(id, quota, limit).await.unwrap();
}

fn used(list: &Value, name: &str) -> (u64, Option<u64>, bool) {
    let q = list["data"].as_array().unwrap().iter().find(|q| q["name"] == name).unwrap();
    (q["limit"].as_u64().unwrap(), q["used"].as_u64(), q["custom"].as_bool().unwrap())
}

#[actix_web::test]
async fn each_quota_refuses_one_past_its_limit_and_stores_nothing() {
    let app = spawn_durable_app(|_| {}).await;
    let t = app.signup("Quotas").await;
    for q in [Quota::Brands, Quota::Users, Quota::ApiKeys, Quota::Webhooks, Quota::Sources, Quota::AlertRules] {
        set(&app, &t.id, q, Some(if q == Quota::Users { 2 } else { 1 })).await;
    }
    let brand = app.brand(&t.token, "One").await;
    let r = app.post("/v1/brands").token(&t.token).json(json!({"name": "Two", "keywords": ["two"]})).send().await;
    exceeded(r, "brands", 1);

    // The owner is the first user.
    app.user_token(&t.token, "viewer", &[]).await;
    let user = json!({"email": "third@quotas.example", "password": smrm_tests::PASSWORD, "role": "viewer"});
    exceeded(app.post("/v1/users").token(&t.token).json(user).send().await, "users", 2);

    app.api_key(&t.token, "viewer").await;
    let key = json!({"name": "second", "role": "viewer"});
    exceeded(app.post("/v1/api-keys").token(&t.token).json(key).send().await, "api_keys", 1);

    let hook = json!({"url": "https://hooks.example.com/smrm", "events": ["mention.created"]});
    let first = app.post("/v1/webhooks").token(&t.token).json(hook.clone()).send().await.expect(201).id();
    exceeded(app.post("/v1/webhooks").token(&t.token).json(hook.clone()).send().await, "webhooks", 1);

    let source = json!({"kind": "hn_search", "config": {}, "enabled": false});
    app.post("/v1/sources").token(&t.token).json(source.clone()).send().await.expect(201);
    exceeded(app.post("/v1/sources").token(&t.token).json(source).send().await, "sources", 1);

    let rule = json!({"brand_id": brand, "kind": "volume_spike", "window_minutes": 60, "threshold": 10});
    app.post("/v1/alert-rules").token(&t.token).json(rule.clone()).send().await.expect(201);
    exceeded(app.post("/v1/alert-rules").token(&t.token).json(rule).send().await, "alert_rules", 1);

    let quotas = app.get("/v1/tenant/quotas").token(&t.token).send().await.expect(200).body;
    for name in ["brands", "api_keys", "webhooks", "sources", "alert_rules"] {
        assert_eq!(used(&quotas, name), (1, Some(1), true), "{name}: nothing past the limit was stored");
    }
    assert_eq!(used(&quotas, "users"), (2, Some(2), true));

    // A delete makes room; a quota set back to its default is the default.
    app.delete(&format!("/v1/webhooks/{first}")).token(&t.token).send().await.expect(204);
    app.post("/v1/webhooks").token(&t.token).json(hook).send().await.expect(201);
    set(&app, &t.id, Quota::Brands, None).await;
    app.post("/v1/brands").token(&t.token).json(json!({"name": "Two", "keywords": ["two"]})).send().await.expect(201);
    let quotas = app.get("/v1/tenant/quotas").token(&t.token).send().await.expect(200).body;
    assert_eq!(used(&quotas, "brands"), (1000, Some(2), false));

    // Another tenant keeps the defaults.
    let other = app.signup("Other").await;
    let quotas = app.get("/v1/tenant/quotas").token(&other.token).send().await.expect(200).body;
    let all: Vec<(String, u64)> = quotas["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["name"].as_str().unwrap().to_owned(), q["limit"].as_u64().unwrap()))
        .collect();
    let expected = [
        ("brands", 1000),
        ("keywords_per_brand", 100),
        ("users", 200),
        ("api_keys", 100),
        ("webhooks", 100),
        ("sources", 1000),
        ("alert_rules", 200),
    ];
    assert_eq!(all, expected.map(|(n, l)| (n.to_owned(), l)));
}

#[actix_web::test]
async fn keywords_per_brand_is_a_quota_under_a_fixed_ceiling() {
    let app = spawn_durable_app(|_| {}).await;
    let t = app.signup("Keywords").await;
    let words = |n: usize| (0..n).map(|i| format!("k{i}")).collect::<Vec<_>>();
    let brand = |name: &str, n: usize| json!({"name": name, "keywords": words(n)});
    exceeded(app.post("/v1/brands").token(&t.token).json(brand("A", 101)).send().await, "keywords_per_brand", 100);
    let id = app.post("/v1/brands").token(&t.token).json(brand("A", 100)).send().await.expect(201).id();
    let more = json!({"excluded_keywords": words(101).iter().map(|k| format!("x{k}")).collect::<Vec<_>>()});
    let r = app.patch(&format!("/v1/brands/{id}")).token(&t.token).json(more).send().await;
    exceeded(r, "keywords_per_brand", 100);

    set(&app, &t.id, Quota::KeywordsPerBrand, Some(300)).await;
    app.patch(&format!("/v1/brands/{id}"))
        .token(&t.token)
        .json(json!({"keywords": words(300)}))
        .send()
        .await
        .expect(200);
    // Past the fixed ceiling a list is invalid whatever the quota.
    set(&app, &t.id, Quota::KeywordsPerBrand, Some(5000)).await;
    let r = app.post("/v1/brands").token(&t.token).json(brand("B", 1001)).send().await.problem(422);
    assert_eq!(r.fields(), ["keywords"]);
    let brands = app.get("/v1/brands").token(&t.token).send().await.expect(200).body;
    assert_eq!(brands["data"].as_array().unwrap().len(), 1);
    assert_eq!(brands["data"][0]["keywords"].as_array().unwrap().len(), 300);
}

#[actix_web::test]
async fn the_quota_list_is_not_for_clients() {
    let app = spawn_durable_app(|_| {}).await;
    let t = app.signup("Clients").await;
    let brand = app.brand(&t.token, "Mine").await;
    let client = app.user_token(&t.token, "client", &[&brand]).await;
    app.get("/v1/tenant/quotas").token(&client).send().await.problem(403);
    let viewer = app.user_token(&t.token, "viewer", &[]).await;
    app.get("/v1/tenant/quotas").token(&viewer).send().await.expect(200);
}
