//! Webhooks over HTTP, delivered to a real receiver on loopback: managed
//! endpoints, Standard Webhooks signatures, retries, disabling, exactly one
//! delivery per message, and an outbox that survives a restart.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use smrm_tests::{Received, Receiver, TestApp, spawn_app, spawn_app_with, spawn_durable_app};

fn allow_loopback(retry: &'static str) -> impl FnOnce(&mut smrm_api::config::Config) {
    move |c| {
        c.outbound_allow_private = true;
        c.webhook_retry_seconds = retry.split(',').map(|s| s.parse().unwrap()).collect();
    }
}

fn post(external_id: &str, text: &str, sentiment: &str) -> Value {
    json!({
        "external_id": external_id, "platform": "vk", "source_type": "social", "text": text,
        "published_at": "2026-11-20T10:00:00Z", "sentiment": sentiment, "author": {"handle": "@ivan"}
    })
}

async fn ingest(app: &TestApp, token: &str, items: Vec<Value>) -> Vec<String> {
    let r = app.post("/v1/mentions/batch").token(token).json(json!({ "items": items })).send().await.expect(200);
    r.body["mention_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

async fn hook(app: &TestApp, token: &str, url: &str, events: Value) -> (String, String) {
    let r = app.post("/v1/webhooks").token(token).json(json!({"url": url, "events": events})).send().await.expect(201);
    (r.id(), r.body["secret"].as_str().unwrap().to_owned())
}

/// Verifies a request as a receiver following the Standard Webhooks spec
/// would: HMAC-SHA256 over `id.timestamp.body`, keyed with the base64-decoded
/// secret, compared with one of the `v1,` signatures.
fn verify(secret: &str, r: &Received) -> bool {
    let key = B64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let signed = format!("{}.{}.{}", r.headers["webhook-id"], r.headers["webhook-timestamp"], r.body);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(signed.as_bytes());
    let expected = B64.encode(mac.finalize().into_bytes());
    r.headers["webhook-signature"].split(' ').any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}

#[actix_web::test]
async fn endpoints_are_managed_by_admins_and_refuse_private_targets() {
    let app = spawn_app().await;
    let t = app.signup("Hooks").await;
    let analyst = app.user_token(&t.token, "analyst", &[]).await;
    app.get("/v1/webhooks").token(&analyst).send().await.problem(403);

    let private = app
        .post("/v1/webhooks")
        .token(&t.token)
        .json(json!({"url": "http://127.0.0.1:9/hooks", "events": ["mention.created"]}))
        .send()
        .await
        .problem(422);
    assert_eq!(private.fields(), ["url"], "loopback is refused unless SMRM_OUTBOUND_ALLOW_PRIVATE");
    let bad = app
        .post("/v1/webhooks")
        .token(&t.token)
        .json(json!({"url": "https://crm.example.com/h", "events": []}))
        .send()
        .await
        .problem(422);
    assert_eq!(bad.fields(), ["events"]);
    app.post("/v1/webhooks")
        .token(&t.token)
        .json(json!({"url": "https://crm.example.com/h", "events": ["mention.deleted"]}))
        .send()
        .await
        .problem(422);

    let (id, secret) = hook(&app, &t.token, "https://crm.example.com/h", json!(["mention.negative"])).await;
    assert!(secret.starts_with("whsec_") && B64.decode(&secret[6..]).unwrap().len() == 32);
    let got = app.get(&format!("/v1/webhooks/{id}")).token(&t.token).send().await.expect(200);
    assert!(got.body.get("secret").is_none(), "the secret is shown once");
    assert_eq!(got.body["events"], json!(["mention.negative"]));
    let patched = app
        .patch(&format!("/v1/webhooks/{id}"))
        .token(&t.token)
        .json(json!({"events": ["mention.created", "alert.triggered"], "description": "CRM"}))
        .send()
        .await
        .expect(200);
    assert_eq!(patched.body["description"], "CRM");
    let rotated = app.post(&format!("/v1/webhooks/{id}/rotate-secret")).token(&t.token).send().await.expect(200);
    assert_ne!(rotated.body["secret"], secret.as_str());
    assert_eq!(
        app.get("/v1/webhooks").token(&t.token).send().await.expect(200).body["data"].as_array().unwrap().len(),
        1
    );
    app.delete(&format!("/v1/webhooks/{id}")).token(&t.token).send().await.expect(204);
    app.get(&format!("/v1/webhooks/{id}")).token(&t.token).send().await.problem(404);
}

#[actix_web::test]
async fn events_arrive_signed_once_each_with_the_mention_as_data() {
    let receiver = Receiver::start(&[], 200).await;
    let app = spawn_app_with(allow_loopback("1")).await;
    let t = app.signup("Signed").await;
    app.brand(&t.token, "Дейнет").await;
    let (_, secret) = hook(&app, &t.token, &receiver.url, json!(["mention.created", "mention.negative"])).await;
    let mut posts: Vec<Value> = (0..20).map(|i| post(&format!("p{i}"), "Дейнет норм", "neutral")).collect();
    posts.push(post("bad", "Дейнет ужас", "negative"));
    let ids = ingest(&app, &t.token, posts).await;

    // 21 mention.created and one mention.negative.
    let got = receiver.wait_for(22, 20).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
    let got_later = receiver.received();
    assert_eq!(got_later.len(), 22, "no duplicate deliveries: {got:?}");
    let mut seen = HashSet::new();
    let mut created = HashSet::new();
    for r in &got_later {
        assert!(verify(&secret, r), "the signature verifies: {r:?}");
        let ts: i64 = r.headers["webhook-timestamp"].parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
        assert_eq!(r.headers["content-type"], "application/json");
        assert!(seen.insert(r.headers["webhook-id"].clone()), "each message is delivered once");
        let body: Value = serde_json::from_str(&r.body).unwrap();
        match body["type"].as_str().unwrap() {
            "mention.created" => {
                created.insert(body["data"]["id"].as_str().unwrap().to_owned());
            }
            "mention.negative" => assert_eq!(body["data"]["external_id"], "bad"),
            other => panic!("unexpected event {other}"),
        }
    }
    assert_eq!(created, ids.into_iter().collect::<HashSet<_>>());
    // Tampering breaks the signature.
    let mut forged = got_later[0].clone();
    forged.body = forged.body.replace("Дейнет", "Мегасвязь");
    assert!(!verify(&secret, &forged));
}

#[actix_web::test]
async fn failures_are_retried_on_schedule_then_the_endpoint_is_disabled() {
    let flaky = Receiver::start(&[500, 503], 200).await;
    let dead = Receiver::start(&[], 500).await;
    let app = spawn_app_with(allow_loopback("1,1")).await;
    let t = app.signup("Retries").await;
    app.brand(&t.token, "Дейнет").await;
    let (flaky_id, _) = hook(&app, &t.token, &flaky.url, json!(["mention.negative"])).await;
    let (dead_id, _) = hook(&app, &t.token, &dead.url, json!(["mention.negative"])).await;
    ingest(&app, &t.token, vec![post("1", "Дейнет ужас", "negative")]).await;

    let got = flaky.wait_for(3, 20).await;
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.headers["webhook-id"] == got[0].headers["webhook-id"]), "one message, three attempts");
    dead.wait_for(3, 20).await;
    let mut disabled = Value::Null;
    for _ in 0..100 {
        disabled = app.get(&format!("/v1/webhooks/{dead_id}")).token(&t.token).send().await.expect(200).body;
        if disabled["enabled"] == false {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(disabled["enabled"], false, "disabled after the last attempt");
    assert!(disabled["disabled_reason"].as_str().unwrap().contains("3 failed attempts"));
    assert_eq!(dead.received().len(), 3, "1 attempt + 2 retries");

    let log = app.get(&format!("/v1/webhooks/{flaky_id}/deliveries")).token(&t.token).send().await.expect(200).body;
    let attempts: Vec<(u64, u64, bool)> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["attempt"].as_u64().unwrap(), d["status_code"].as_u64().unwrap(), d["next_attempt_at"].is_string()))
        .collect();
    assert_eq!(attempts, [(3, 200, false), (2, 503, true), (1, 500, true)], "newest first");
    assert!(log["data"][0]["message_id"].as_str().unwrap().starts_with("msg_"));

    // Enabled again, it receives the next events.
    app.patch(&format!("/v1/webhooks/{dead_id}"))
        .token(&t.token)
        .json(json!({"enabled": true}))
        .send()
        .await
        .expect(200);
    dead.answer(200);
    ingest(&app, &t.token, vec![post("2", "Дейнет снова ужас", "negative")]).await;
    assert_eq!(dead.wait_for(4, 20).await.len(), 4);
}

#[actix_web::test]
async fn no_message_is_lost_when_the_server_restarts() {
    let receiver = Receiver::start(&[], 500).await;
    let app = spawn_durable_app(allow_loopback("2")).await;
    let t = app.signup("Restart").await;
    app.brand(&t.token, "Дейнет").await;
    hook(&app, &t.token, &receiver.url, json!(["mention.created"])).await;
    ingest(&app, &t.token, vec![post("1", "Дейнет", "neutral"), post("2", "Дейнет", "neutral")]).await;
    // The first attempts fail; the server goes down before the retries.
    receiver.wait_for(2, 20).await;
    let app = app.restart().await;
    receiver.answer(200);
    let got = receiver.wait_for(4, 20).await;
    let delivered: HashSet<&str> = got[2..].iter().map(|r| r.headers["webhook-id"].as_str()).collect();
    let first: HashSet<&str> = got[..2].iter().map(|r| r.headers["webhook-id"].as_str()).collect();
    assert_eq!(delivered, first, "both messages delivered by the restarted server");
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(receiver.received().len(), 4, "and only once");
    let _ = app;
}

#[actix_web::test]
async fn two_replicas_deliver_each_message_once() {
    let receiver = Receiver::start(&[], 200).await;
    let app = spawn_durable_app(allow_loopback("1")).await;
    let other = app.replica().await;
    let t = app.signup("Replicas").await;
    app.brand(&t.token, "Дейнет").await;
    hook(&app, &t.token, &receiver.url, json!(["mention.created"])).await;
    let posts: Vec<Value> = (0..60).map(|i| post(&format!("p{i}"), "Дейнет", "neutral")).collect();
    ingest(&other, &t.token, posts).await;
    receiver.wait_for(60, 20).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
    let got = receiver.received();
    let ids: HashSet<&str> = got.iter().map(|r| r.headers["webhook-id"].as_str()).collect();
    assert_eq!((got.len(), ids.len()), (60, 60), "every message once, by one replica or the other");
}

async fn stored_secret(app: &TestApp) -> String {
    use sea_orm::ConnectionTrait;
    let store = app.store().await;
    let db = store.connection();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT secret FROM webhooks"))
        .await
        .unwrap()
        .expect("one endpoint");
    let secret: String = row.try_get("", "secret").unwrap();
    db.clone().close().await.unwrap();
    secret
}

#[actix_web::test]
async fn signing_secrets_are_sealed_at_rest_and_old_clear_ones_are_sealed_at_start() {
    use sea_orm::ConnectionTrait;
    let receiver = Receiver::start(&[], 200).await;
    let app = spawn_durable_app(allow_loopback("1")).await;
    let t = app.signup("Sealed hooks").await;
    app.brand(&t.token, "Дейнет").await;
    let (_, secret) = hook(&app, &t.token, &receiver.url, json!(["mention.created"])).await;
    let stored = stored_secret(&app).await;
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    assert!(!stored.contains(secret.trim_start_matches("whsec_")), "not in the clear");

    // A database from before sealing holds the secret in the clear.
    let legacy = format!("whsec_{}", B64.encode([7u8; 32]));
    let store = app.store().await;
    let db = store.connection();
    db.execute_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        format!("UPDATE webhooks SET secret = '{legacy}'"),
    ))
    .await
    .unwrap();
    db.clone().close().await.unwrap();
    let app = app.restart().await;
    let stored = stored_secret(&app).await;
    assert!(stored.starts_with("sealed:v1:") && !stored.contains("BwcH"), "sealed at start: {stored}");
    ingest(&app, &t.token, vec![post("s1", "Дейнет", "neutral")]).await;
    let got = receiver.wait_for(1, 20).await;
    assert!(verify(&legacy, &got[0]), "still signed with the endpoint's secret");
}

/// One tenant's backlog to endpoints that never answer (each attempt waits
/// out its timeout) holds that tenant's delivery slots only: another
/// tenant's event is delivered at once, not after the backlog.
#[actix_web::test]
async fn one_tenants_dead_endpoints_do_not_delay_another_tenants_deliveries() {
    let hung = smrm_tests::standins::black_hole().await;
    let receiver = Receiver::start(&[], 200).await;
    let app = spawn_app_with(allow_loopback("60")).await;
    let noisy = app.signup("Noisy").await;
    app.brand(&noisy.token, "Дейнет").await;
    for _ in 0..10 {
        hook(&app, &noisy.token, &hung, json!(["mention.created"])).await;
    }
    // 10 endpoints × 20 mentions: 200 messages, older than the quiet one.
    ingest(&app, &noisy.token, (0..20).map(|i| post(&format!("n{i}"), "Дейнет", "neutral")).collect()).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;

    let quiet = app.signup("Quiet").await;
    app.brand(&quiet.token, "Дейнет").await;
    hook(&app, &quiet.token, &receiver.url, json!(["mention.created"])).await;
    ingest(&app, &quiet.token, vec![post("q1", "Дейнет", "neutral")]).await;
    // First-in-first-out, it would wait for about 25 rounds of 15 s timeouts.
    let got = receiver.wait_for(1, 10).await;
    assert_eq!(got.len(), 1, "the quiet tenant's event arrived while the noisy backlog waits");
}
