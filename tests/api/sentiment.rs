//! Sentiment over HTTP: every ingested post scored by the built-in model,
//! each mention toward its own brand (ingest, backfill, `analyze`);
//! corrections adapting their own tenant and nobody else's; a tenant's own
//! model service, with the built-in model answering when it fails.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::Method;
use serde_json::{Value, json};
use smrm_tests::{TestApp, spawn_app, spawn_app_with};

fn post(external_id: &str, text: &str) -> Value {
    json!({
        "external_id": external_id,
        "platform": "vk",
        "source_type": "social",
        "text": text,
        "published_at": "2026-11-20T12:00:00Z",
        "author": {"handle": "@ivan"},
    })
}

/// Ingests posts and returns their mentions, in order.
async fn ingest(app: &TestApp, token: &str, items: Vec<Value>) -> Vec<Value> {
    let r = app.post("/v1/mentions/batch").token(token).json(json!({ "items": items })).send().await.expect(200);
    let mut out = Vec::new();
    for id in r.body["mention_ids"].as_array().unwrap() {
        out.push(app.get(&format!("/v1/mentions/{}", id.as_str().unwrap())).token(token).send().await.expect(200).body);
    }
    out
}

async fn analyze(app: &TestApp, token: &str, texts: &[&str]) -> Vec<Value> {
    let r = app.post("/v1/sentiment/analyze").token(token).json(json!({ "texts": texts })).send().await.expect(200);
    r.body["results"].as_array().unwrap().clone()
}

/// `analyze` with each text's sentiment toward `target`.
async fn analyze_toward(app: &TestApp, token: &str, texts: &[&str], target: &str) -> Vec<Value> {
    let targets = vec![target; texts.len()];
    let body = json!({ "texts": texts, "targets": targets });
    let r = app.post("/v1/sentiment/analyze").token(token).json(body).send().await.expect(200);
    r.body["results"].as_array().unwrap().clone()
}

async fn model(app: &TestApp, token: &str) -> Value {
    app.get("/v1/sentiment/model").token(token).send().await.expect(200).body
}

#[actix_web::test]
async fn ingested_posts_are_scored_by_the_built_in_model_in_both_languages() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    app.brand(&t.token, "Daynet").await;
    let mut provided = post("provided", "Daynet is the best, love it");
    provided["sentiment"] = json!("negative");
    let m = ingest(
        &app,
        &t.token,
        vec![
            post("ru-pos", "Daynet отличный провайдер, очень доволен, спасибо!"),
            post("ru-neg", "Daynet ужасный, интернет не работает уже неделю, кошмар"),
            post("en-pos", "Daynet support is amazing, thank you so much! 😍"),
            post("en-neg", "Daynet is terrible, slow and the worst service ever 😡"),
            provided,
        ],
    )
    .await;
    let labels: Vec<(&str, &str)> = m
        .iter()
        .map(|m| (m["sentiment"]["label"].as_str().unwrap(), m["sentiment"]["origin"].as_str().unwrap()))
        .collect();
    assert_eq!(
        labels,
        vec![
            ("positive", "auto"),
            ("negative", "auto"),
            ("positive", "auto"),
            ("negative", "auto"),
            ("negative", "provided")
        ]
    );
    for m in &m[..4] {
        let score = m["sentiment"]["score"].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&score));
        assert_eq!(score > 0.0, m["sentiment"]["label"] == "positive", "{m}");
    }
    // The same texts on demand, as the tenant's next posts would be scored.
    let r = analyze(&app, &t.token, &["Не плохо, очень даже хорошо", "not good at all"]).await;
    assert_eq!(r[0]["label"], "positive");
    assert_eq!(r[1]["label"], "negative");
}

/// A post that matched no brand is stored unscored; the backfill of a brand
/// that matches it later scores it, as ingest would have.
#[actix_web::test]
async fn posts_that_matched_nothing_are_scored_when_a_backfill_matches_them() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let texts = [
        "Daynet отличный провайдер, очень доволен, спасибо!",
        "Daynet ужасный, интернет не работает уже неделю, кошмар",
        "Daynet support is amazing, thank you so much! 😍",
        "Daynet is terrible, slow and the worst service ever 😡",
    ];
    let items: Vec<Value> = texts.iter().enumerate().map(|(i, text)| post(&format!("p{i}"), text)).collect();
    let r = app.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": items })).send().await.expect(200);
    assert_eq!(r.body["unmatched"], 4);
    let brand = app.brand(&t.token, "Daynet").await;
    let mut done = false;
    for _ in 0..100 {
        let b = app.get(&format!("/v1/brands/{brand}")).token(&t.token).send().await.expect(200).body;
        if b["backfill"]["status"] == "done" {
            assert_eq!(b["backfill"]["matched"], 4);
            done = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done, "the backfill did not finish");
    let listed = app.get("/v1/mentions?limit=10").token(&t.token).send().await.expect(200).body;
    // Scored toward the brand, as `analyze` with the brand as target does.
    let expected = analyze_toward(&app, &t.token, &texts, "Daynet").await;
    for (i, want) in expected.iter().enumerate() {
        let m = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["external_id"] == format!("p{i}"))
            .unwrap_or_else(|| panic!("no mention of p{i}: {listed}"));
        assert_eq!(m["sentiment"]["origin"], "auto", "{m}");
        assert_eq!(m["sentiment"]["label"], want["label"], "{m}");
        let (got, want) = (m["sentiment"]["score"].as_f64().unwrap(), want["score"].as_f64().unwrap());
        assert!((got - want).abs() < 1e-6, "p{i}: {got} vs {want}");
    }
    let labels: Vec<&Value> = expected.iter().map(|e| &e["label"]).collect();
    assert_eq!(labels, [&json!("positive"), &json!("negative"), &json!("positive"), &json!("negative")]);
}

/// The probe words: slang the shared model has no settled view on.
const FIRST_WORD: &str = "вжух";
const SECOND_WORD: &str = "бдыщ";

#[actix_web::test]
async fn corrections_adapt_their_tenant_and_nobody_elses() {
    let app = spawn_app().await;
    let a = app.signup("Agency A").await;
    let b = app.signup("Agency B").await;
    app.brand(&a.token, "Zorb").await;
    app.brand(&b.token, "Zorb").await;
    let probes = [format!("Zorb {FIRST_WORD} сегодня"), format!("Zorb {SECOND_WORD} сегодня")];
    let probes: Vec<&str> = probes.iter().map(String::as_str).collect();
    let before = analyze_toward(&app, &a.token, &probes, "Zorb").await;
    assert_eq!(before, analyze_toward(&app, &b.token, &probes, "Zorb").await, "one shared model before any correction");
    // A's analysts disagree with the shared model on the first word, and
    // label the second the other way.
    let first = if before[0]["label"] == "negative" { "positive" } else { "negative" };
    let second = if first == "negative" { "positive" } else { "negative" };
    let wanted = [first, second];

    // Tenant A's analysts label 24 posts by hand.
    let items: Vec<Value> = (0..24)
        .map(|i| {
            let word = if i % 2 == 0 { FIRST_WORD } else { SECOND_WORD };
            post(&format!("c{i}"), &format!("Zorb {word}, пост номер {i}"))
        })
        .collect();
    let mentions = ingest(&app, &a.token, items).await;
    for (i, m) in mentions.iter().enumerate() {
        let path = format!("/v1/mentions/{}", m["id"].as_str().unwrap());
        app.patch(&path).token(&a.token).json(json!({"sentiment": wanted[i % 2]})).send().await.expect(200);
    }
    // The worker adapts A's model in the background.
    let mut state = model(&app, &a.token).await;
    for _ in 0..100 {
        if state["adaptation"]["status"] == "current" {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        state = model(&app, &a.token).await;
    }
    assert_eq!(state["corrections"], 24);
    assert_eq!(state["adaptation"]["status"], "current", "{state}");
    assert_eq!(state["adaptation"]["trained_on"], 24);
    assert!(state["adaptation"]["last_run_at"].is_string());

    // A's next posts are scored by its adapted model…
    let fresh = ingest(&app, &a.token, vec![post("a-new-1", probes[0]), post("a-new-2", probes[1])]).await;
    assert_eq!(fresh[0]["sentiment"]["label"], wanted[0]);
    assert_eq!(fresh[1]["sentiment"]["label"], wanted[1]);
    assert_ne!(fresh[0]["sentiment"]["label"], before[0]["label"], "A's model changed its mind");
    assert_eq!(fresh[0]["sentiment"]["origin"], "auto");
    // …and B's by the shared model, as before.
    let theirs = ingest(&app, &b.token, vec![post("b-new-1", probes[0]), post("b-new-2", probes[1])]).await;
    assert_eq!(theirs[0]["sentiment"]["label"], before[0]["label"]);
    assert_eq!(theirs[1]["sentiment"]["label"], before[1]["label"]);
    assert_eq!(analyze_toward(&app, &b.token, &probes, "Zorb").await, before);
    let b_state = model(&app, &b.token).await;
    assert_eq!(b_state["corrections"], 0);
    assert_eq!(b_state["adaptation"]["status"], "none");

    // A correction made again with the same label is not counted twice;
    // relabelling a post replaces its correction.
    let path = format!("/v1/mentions/{}", mentions[0]["id"].as_str().unwrap());
    app.patch(&path).token(&a.token).json(json!({"sentiment": wanted[0]})).send().await.expect(200);
    app.patch(&path).token(&a.token).json(json!({"sentiment": "neutral"})).send().await.expect(200);
    assert_eq!(model(&app, &a.token).await["corrections"], 24);
}

/// A model service on loopback: answers every text with `label`, or fails
/// as told, and records what it was sent.
struct ModelService {
    url: String,
    mode: Arc<Mutex<&'static str>>,
    seen: Arc<Mutex<Vec<Value>>>,
    handle: actix_web::dev::ServerHandle,
}

impl ModelService {
    async fn start() -> Self {
        let mode: Arc<Mutex<&'static str>> = Arc::new(Mutex::new("negative"));
        let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
        let (m, s) = (mode.clone(), seen.clone());
        let server = actix_web::HttpServer::new(move || {
            let (m, s) = (m.clone(), s.clone());
            actix_web::App::new().default_service(actix_web::web::to(move |body: actix_web::web::Json<Value>| {
                let (m, s) = (m.clone(), s.clone());
                async move {
                    let n = body["texts"].as_array().map_or(0, Vec::len);
                    s.lock().unwrap().push(body.into_inner());
                    let mode = *m.lock().unwrap();
                    match mode {
                        "fail" => actix_web::HttpResponse::InternalServerError().finish(),
                        "short" => actix_web::HttpResponse::Ok().json(json!({"results": []})),
                        "slow" => {
                            actix_web::rt::time::sleep(Duration::from_secs(2)).await;
                            actix_web::HttpResponse::Ok()
                                .json(json!({"results": vec![json!({"label": "negative"}); n]}))
                        }
                        label => actix_web::HttpResponse::Ok()
                            .json(json!({"results": vec![json!({"label": label, "score": -0.25}); n]})),
                    }
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind a loopback port");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self { url: format!("http://127.0.0.1:{port}/score"), mode, seen, handle }
    }

    fn set(&self, mode: &'static str) {
        *self.mode.lock().unwrap() = mode;
    }
}

impl Drop for ModelService {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

#[actix_web::test]
async fn a_model_service_scores_instead_and_the_built_in_model_answers_when_it_fails() {
    let app = spawn_app_with(|c| c.outbound_allow_private = true).await;
    let t = app.signup("Acme").await;
    app.brand(&t.token, "Daynet").await;
    let service = ModelService::start().await;
    let r = app
        .request(Method::PUT, "/v1/sentiment/model")
        .token(&t.token)
        .json(json!({"endpoint": {"url": service.url, "timeout_ms": 300}}))
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["model"], "endpoint");
    assert_eq!(r.body["endpoint"]["timeout_ms"], 300);

    let happy = "Daynet is wonderful, I love it!";
    let m = ingest(&app, &t.token, vec![post("svc-1", happy)]).await;
    assert_eq!(m[0]["sentiment"]["label"], "negative", "the service's answer wins");
    assert_eq!(m[0]["sentiment"]["score"], -0.25);
    let sent = service.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(sent["tenant_id"], t.id);
    // The post as a whole, then its mention toward the brand's matched words.
    assert_eq!(sent["texts"][0]["text"], happy);
    assert_eq!(sent["texts"][0]["language"], "en");
    assert!(sent["texts"][0].get("targets").is_none(), "{sent}");
    assert_eq!(sent["texts"][1]["text"], happy);
    assert_eq!(sent["texts"][1]["targets"], json!(["daynet"]));
    assert_eq!(sent["texts"].as_array().unwrap().len(), 2);

    // A failing, short or slow service: the built-in model scores instead.
    for (i, mode) in ["fail", "short", "slow"].into_iter().enumerate() {
        service.set(mode);
        let m = ingest(&app, &t.token, vec![post(&format!("fallback-{i}"), happy)]).await;
        assert_eq!(m[0]["sentiment"]["label"], "positive", "{mode}");
    }

    // Back to the built-in model.
    service.set("negative");
    let r =
        app.request(Method::PUT, "/v1/sentiment/model").token(&t.token).json(json!({"endpoint": null})).send().await;
    assert_eq!(r.expect(200).body["model"], "builtin");
    let calls = service.seen.lock().unwrap().len();
    assert_eq!(ingest(&app, &t.token, vec![post("builtin", happy)]).await[0]["sentiment"]["label"], "positive");
    assert_eq!(service.seen.lock().unwrap().len(), calls, "the service is no longer asked");
}

#[actix_web::test]
async fn model_choices_and_texts_are_validated() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let put = |body: Value| app.request(Method::PUT, "/v1/sentiment/model").token(&t.token).json(body).send();
    // Loopback is refused unless the operator allows private networks.
    let r = put(json!({"endpoint": {"url": "http://127.0.0.1:9/score"}})).await.problem(422);
    assert_eq!(r.fields(), vec!["endpoint.url"]);
    let r = put(json!({"endpoint": {"url": "https://models.example.com/score", "timeout_ms": 5}})).await.problem(422);
    assert_eq!(r.fields(), vec!["endpoint.timeout_ms"]);
    put(json!({"endpoint": {"uri": "https://models.example.com"}})).await.problem(422);
    // Saved, the URL is answered with its credentials masked.
    let url = "https://smrm:hunter2@models.example.com/score?token=abc&v=2";
    let r = put(json!({"endpoint": {"url": url}})).await.expect(200);
    assert_eq!(r.body["endpoint"]["url"], "https://smrm:***@models.example.com/score?token=***&v=2");
    assert!(!model(&app, &t.token).await.to_string().contains("hunter2"));
    put(json!({"endpoint": null})).await.expect(200);
    assert_eq!(model(&app, &t.token).await["model"], "builtin", "nothing was saved");

    // Only an admin chooses the model; any role reads it.
    let analyst = app.user_token(&t.token, "analyst", &[]).await;
    let r =
        app.request(Method::PUT, "/v1/sentiment/model").token(&analyst).json(json!({"endpoint": null})).send().await;
    r.problem(403);
    assert_eq!(model(&app, &analyst).await["adaptation"]["status"], "none");

    let analyze = |body: Value| app.post("/v1/sentiment/analyze").token(&t.token).json(body).send();
    assert_eq!(analyze(json!({"texts": []})).await.problem(422).fields(), vec!["texts"]);
    assert_eq!(analyze(json!({"texts": ["ok", "  "]})).await.problem(422).fields(), vec!["texts[1]"]);
    assert_eq!(analyze(json!({"texts": ["ok"], "language": "xx"})).await.problem(422).fields(), vec!["language"]);
    let many: Vec<String> = (0..101).map(|i| format!("text {i}")).collect();
    assert_eq!(analyze(json!({ "texts": many })).await.problem(422).fields(), vec!["texts"]);
    // Targets: one per text, each in its text as whole words, or null.
    let r = analyze(json!({"texts": ["Daynet ok", "fine"], "targets": ["Daynet"]})).await.problem(422);
    assert_eq!(r.fields(), vec!["targets"]);
    let r = analyze(json!({"texts": ["Daynet ok", "Daynetwork ok"], "targets": ["Megalink", "Daynet"]})).await;
    assert_eq!(r.problem(422).fields(), vec!["targets[0]", "targets[1]"]);
    let r = analyze(json!({"texts": ["Daynet ok"], "targets": [" "]})).await.problem(422);
    assert_eq!(r.fields(), vec!["targets[0]"]);
    let r = analyze(json!({"texts": ["Daynet ok"], "targets": ["x".repeat(201)]})).await.problem(422);
    assert_eq!(r.fields(), vec!["targets[0]"]);
    analyze(json!({"texts": ["ДЕЙНЁТ ok", "fine"], "targets": ["дейнет", null]})).await.expect(200);
}

/// Two-brand posts, each brand with its own feeling: (text, brand, label,
/// brand, label). These test the pipeline (every path scores a mention
/// toward its brand), so they are the cases of the model's own test set
/// (`infra/src/sentiment/mod.rs`, which asserts its accuracy over all of
/// them, the hard ones included) that it gets right: both languages, both
/// orders, switching, comparison, contrast and negation.
const TWO_BRANDS: &[(&str, &str, &str, &str, &str)] = &[
    ("Мегасвязь подвела, перешёл на Дейнет — доволен", "Мегасвязь", "negative", "Дейнет", "positive"),
    ("Дейнет радует скоростью, а Мегасвязь опять без связи весь день", "Дейнет", "positive", "Мегасвязь", "negative"),
    ("Мегасвязь гораздо лучше, чем Дейнет", "Мегасвязь", "positive", "Дейнет", "negative"),
    ("Дейнет хуже Мегасвязи во всём", "Дейнет", "negative", "Мегасвязи", "positive"),
    ("Ушёл из Дейнета в Мегасвязь и ни о чём не жалею", "Дейнета", "negative", "Мегасвязь", "positive"),
    ("Megalink let me down again, switched to Daynet and I love it", "Megalink", "negative", "Daynet", "positive"),
    ("Megalink is so much better than Daynet", "Megalink", "positive", "Daynet", "negative"),
    ("Unlike Daynet, Megalink has never failed me", "Daynet", "negative", "Megalink", "positive"),
];

/// Two competitors' brands; returns (Мегасвязь's id, Дейнет's id).
async fn two_competitors(app: &TestApp, token: &str) -> (String, String) {
    let mut ids = Vec::new();
    for (name, keywords) in [("Мегасвязь", json!(["Мегасвязь", "Megalink"])), ("Дейнет", json!(["Дейнет", "Daynet"]))]
    {
        let r = app.post("/v1/brands").token(token).json(json!({"name": name, "keywords": keywords})).send().await;
        ids.push(r.expect(201).body["id"].as_str().unwrap().to_owned());
    }
    (ids[0].clone(), ids[1].clone())
}

/// Each brand's mention of each post: its sentiment label, by external id.
async fn labels_of(app: &TestApp, token: &str, brand: &str) -> std::collections::HashMap<String, String> {
    let listed = app.get(&format!("/v1/mentions?brand_id={brand}&limit=100")).token(token).send().await.expect(200);
    listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["sentiment"]["origin"], "auto", "{m}");
            (m["external_id"].as_str().unwrap().to_owned(), m["sentiment"]["label"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// Labels `brand`'s mention of the post `external_id` by hand.
async fn relabel(app: &TestApp, token: &str, brand: &str, external_id: &str, label: &str) {
    let listed = app.get(&format!("/v1/mentions?brand_id={brand}&limit=100")).token(token).send().await.expect(200);
    let m = listed.body["data"].as_array().unwrap().iter().find(|m| m["external_id"] == external_id).unwrap().clone();
    let path = format!("/v1/mentions/{}", m["id"].as_str().unwrap());
    app.patch(&path).token(token).json(json!({ "sentiment": label })).send().await.expect(200);
}

/// Every case's two mentions (posts `two-{i}`) carry their brand's label.
async fn assert_each_brand_labelled(app: &TestApp, token: &str, mega: &str, day: &str) {
    let by_brand = [(mega, labels_of(app, token, mega).await), (day, labels_of(app, token, day).await)];
    for (i, (text, a, la, b, lb)) in TWO_BRANDS.iter().enumerate() {
        for (form, want) in [(a, la), (b, lb)] {
            let brand = brand_of(form, (mega, day));
            let labels = &by_brand.iter().find(|(id, _)| *id == brand).unwrap().1;
            assert_eq!(labels[&format!("two-{i}")], *want, "{text:?} toward {form}");
        }
    }
}

/// Which brand id a case's form belongs to.
fn brand_of<'a>(form: &str, (mega, day): (&'a str, &'a str)) -> &'a str {
    if form.starts_with("Мегасвяз") || form.starts_with("Megalink") { mega } else { day }
}

#[actix_web::test]
async fn a_post_about_two_brands_is_a_mention_of_each_with_its_own_sentiment() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let (mega, day) = two_competitors(&app, &t.token).await;
    let items: Vec<Value> = TWO_BRANDS.iter().enumerate().map(|(i, c)| post(&format!("two-{i}"), c.0)).collect();
    let r = app.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": items })).send().await.expect(200);
    assert_eq!(r.body["mention_ids"].as_array().unwrap().len(), 2 * TWO_BRANDS.len());
    assert_each_brand_labelled(&app, &t.token, &mega, &day).await;
    // `analyze` with the brands as targets says the same, and without a
    // target scores the post as one text.
    let texts: Vec<&str> = TWO_BRANDS.iter().map(|c| c.0).collect();
    let body = json!({"texts": texts, "targets": TWO_BRANDS.iter().map(|c| c.1).collect::<Vec<_>>()});
    let first = app.post("/v1/sentiment/analyze").token(&t.token).json(body).send().await.expect(200).body;
    let body = json!({"texts": texts, "targets": TWO_BRANDS.iter().map(|c| c.3).collect::<Vec<_>>()});
    let second = app.post("/v1/sentiment/analyze").token(&t.token).json(body).send().await.expect(200).body;
    for (i, (text, _, la, _, lb)) in TWO_BRANDS.iter().enumerate() {
        assert_eq!(first["results"][i]["label"], *la, "{text:?}");
        assert_eq!(second["results"][i]["label"], *lb, "{text:?}");
    }
    // A manual label is per mention: the other brand's keeps its own.
    relabel(&app, &t.token, &mega, "two-0", "neutral").await;
    assert_eq!(labels_of(&app, &t.token, &day).await["two-0"], "positive");
    // …and a correction per (post, brand): labelling the other brand's
    // mention of the same post is a second correction, not a replacement.
    relabel(&app, &t.token, &day, "two-0", "negative").await;
    assert_eq!(model(&app, &t.token).await["corrections"], 2);
}

#[actix_web::test]
async fn a_backfill_scores_each_new_mention_toward_its_brand() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let items: Vec<Value> = TWO_BRANDS.iter().enumerate().map(|(i, c)| post(&format!("two-{i}"), c.0)).collect();
    let r = app.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": items })).send().await.expect(200);
    assert_eq!(r.body["unmatched"], TWO_BRANDS.len());
    let (mega, day) = two_competitors(&app, &t.token).await;
    for brand in [&mega, &day] {
        let mut done = false;
        for _ in 0..100 {
            let b = app.get(&format!("/v1/brands/{brand}")).token(&t.token).send().await.expect(200).body;
            if b["backfill"]["status"] == "done" {
                done = true;
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(done, "the backfill of {brand} did not finish");
    }
    assert_each_brand_labelled(&app, &t.token, &mega, &day).await;
}
