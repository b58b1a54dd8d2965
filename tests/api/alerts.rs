//! Alert rules over HTTP: validation, scoping, and a spike that fires once,
//! delivered to a real receiver as `alert.triggered`.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use smrm_tests::{Receiver, TestApp, spawn_app, spawn_app_with};

fn post(id: String, text: &str, sentiment: &str, minutes_ago: i64) -> Value {
    json!({
        "external_id": id, "platform": "vk", "source_type": "social", "text": text, "sentiment": sentiment,
        "published_at": (Utc::now() - Duration::minutes(minutes_ago)).to_rfc3339(), "author": {"handle": "@a"}
    })
}

async fn ingest(app: &TestApp, token: &str, items: Vec<Value>) {
    app.post("/v1/mentions/batch").token(token).json(json!({ "items": items })).send().await.expect(200);
}

#[actix_web::test]
async fn rules_are_validated_and_scoped() {
    let app = spawn_app().await;
    let t = app.signup("Rules").await;
    let brand = app.brand(&t.token, "Дейнет").await;
    let other = app.brand(&t.token, "Мегасвязь").await;
    let bad = app
        .post("/v1/alert-rules")
        .token(&t.token)
        .json(json!({"brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "kind": "negative_spike", "window_minutes": 1, "threshold": 0}))
        .send()
        .await
        .problem(422);
    assert_eq!(bad.fields(), ["brand_id", "window_minutes", "threshold"]);
    let rule = |b: &str| {
        app.post("/v1/alert-rules")
            .token(&t.token)
            .json(json!({"brand_id": b, "kind": "volume_spike", "window_minutes": 60, "threshold": 10}))
            .send()
    };
    let id = rule(&brand).await.expect(201).id();
    rule(&other).await.expect(201);
    let client = app.user_token(&t.token, "client", &[&other]).await;
    let seen = app.get("/v1/alert-rules").token(&client).send().await.expect(200).body;
    assert_eq!(seen["data"].as_array().unwrap().len(), 1);
    app.get(&format!("/v1/alert-rules/{id}")).token(&client).send().await.problem(404);
    let patched = app
        .patch(&format!("/v1/alert-rules/{id}"))
        .token(&t.token)
        .json(json!({"threshold": 50}))
        .send()
        .await
        .expect(200);
    assert_eq!(patched.body["threshold"], 50);
    app.delete(&format!("/v1/alert-rules/{id}")).token(&t.token).send().await.expect(204);
    app.get(&format!("/v1/alert-rules/{id}")).token(&t.token).send().await.problem(404);
}

#[actix_web::test]
async fn a_spike_fires_once_per_window_and_a_steady_brand_never_does() {
    let receiver = Receiver::start(&[], 200).await;
    let app = spawn_app_with(|c| c.outbound_allow_private = true).await;
    let t = app.signup("Spikes").await;
    let spiky = app.brand(&t.token, "Дейнет").await;
    let steady = app.brand(&t.token, "Мегасвязь").await;
    app.post("/v1/webhooks")
        .token(&t.token)
        .json(json!({"url": receiver.url, "events": ["alert.triggered"]}))
        .send()
        .await
        .expect(201);
    let rule = |b: &str, kind: &str| {
        app.post("/v1/alert-rules")
            .token(&t.token)
            .json(json!({"brand_id": b, "kind": kind, "window_minutes": 60, "threshold": 5}))
            .send()
    };
    let negative = rule(&spiky, "negative_spike").await.expect(201).id();
    let volume = rule(&steady, "volume_spike").await.expect(201).id();

    // History: one negative an hour for the spiky brand (baseline 1), ten
    // mentions an hour for the steady one (baseline 10).
    let mut history = Vec::new();
    for h in 1..=24 {
        history.push(post(format!("s{h}"), "Дейнет плохо", "negative", h * 60 + 30));
        for k in 0..10 {
            history.push(post(format!("m{h}-{k}"), "Мегасвязь", "neutral", h * 60 + 30));
        }
    }
    ingest(&app, &t.token, history).await;

    let now = |prefix: &str, n: usize, text: &str, sentiment: &str| {
        (0..n).map(|i| post(format!("{prefix}{i}"), text, sentiment, 5)).collect::<Vec<_>>()
    };
    ingest(&app, &t.token, now("a", 4, "Дейнет ужас", "negative")).await; // 4 < threshold
    ingest(&app, &t.token, now("b", 12, "Мегасвязь", "neutral")).await; // 12 < 2 × baseline 10
    let alerts = |id: String| {
        let app = &app;
        let token = t.token.clone();
        async move { app.get(&format!("/v1/alert-rules/{id}/alerts")).token(&token).send().await.expect(200).body }
    };
    assert_eq!(alerts(negative.clone()).await["data"].as_array().unwrap().len(), 0);

    ingest(&app, &t.token, now("c", 3, "Дейнет снова ужас", "negative")).await; // 7: fires
    ingest(&app, &t.token, now("d", 5, "Дейнет кошмар", "negative")).await; // 12: same window, no second alert
    let fired = alerts(negative.clone()).await;
    assert_eq!(fired["data"].as_array().unwrap().len(), 1, "{fired}");
    assert_eq!(fired["data"][0]["count"], 7);
    assert_eq!(fired["data"][0]["baseline"], 1.0);
    assert_eq!(alerts(volume).await["data"].as_array().unwrap().len(), 0, "a steady brand does not alert");

    let got = receiver.wait_for(1, 20).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(receiver.received().len(), 1, "one alert.triggered: {got:?}");
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["type"], "alert.triggered");
    assert_eq!(body["data"]["rule_id"], negative.as_str());
    assert_eq!(body["data"]["kind"], "negative_spike");
    let rule_now = app.get(&format!("/v1/alert-rules/{negative}")).token(&t.token).send().await.expect(200).body;
    assert!(rule_now["last_fired_at"].is_string());
}
