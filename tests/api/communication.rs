//! Communication over HTTP: answer templates and their suggestions, official
//! answers and the response report, placements.

use serde_json::{Value, json};
use smrm_tests::{TestApp, spawn_app};

fn post(external_id: &str, text: &str, sentiment: &str, published_at: &str) -> Value {
    json!({
        "external_id": external_id, "platform": "vk", "source_type": "social", "text": text,
        "language": "ru", "url": format!("https://vk.com/wall-1_{external_id}"),
        "published_at": published_at, "sentiment": sentiment,
        "author": {"handle": "@ivan", "name": "Иван"}
    })
}

/// Ingests the posts and returns the ids of the mentions they made, in order.
async fn ingest(app: &TestApp, token: &str, items: Vec<Value>) -> Vec<String> {
    let r = app.post("/v1/mentions/batch").token(token).json(json!({ "items": items })).send().await.expect(200);
    r.body["mention_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

async fn template(app: &TestApp, token: &str, body: Value) -> String {
    app.post("/v1/response-templates").token(token).json(body).send().await.expect(201).id()
}

#[actix_web::test]
async fn templates_check_placeholders_and_suggest_the_most_specific_first() {
    let app = spawn_app().await;
    let t = app.signup("Templates").await;
    let brand = app.brand(&t.token, "Дейнет").await;

    let bad = app
        .post("/v1/response-templates")
        .token(&t.token)
        .json(json!({"name": "Bad", "sentiment": "negative", "body": "Здравствуйте, {name}!"}))
        .send()
        .await
        .problem(422);
    assert_eq!(bad.fields(), ["body"]);
    assert!(bad.body["errors"][0]["message"].as_str().unwrap().contains("{name}"));

    let any =
        template(&app, &t.token, json!({"name": "Any", "sentiment": "negative", "body": "{author}, мы разберёмся."}))
            .await;
    let vk = template(
        &app,
        &t.token,
        json!({"name": "VK", "sentiment": "negative", "platform": "vk", "body": "{author}, {brand} на связи: {url}"}),
    )
    .await;
    let vk_ru = template(
        &app,
        &t.token,
        json!({"name": "VK ru", "sentiment": "negative", "platform": "vk", "language": "ru", "body": "{{{brand}}} {author}"}),
    )
    .await;
    template(&app, &t.token, json!({"name": "Telegram", "sentiment": "negative", "platform": "telegram", "body": "x"}))
        .await;
    template(&app, &t.token, json!({"name": "English", "sentiment": "negative", "language": "en", "body": "x"})).await;
    template(&app, &t.token, json!({"name": "Thanks", "sentiment": "positive", "body": "Спасибо, {author}!"})).await;
    app.post("/v1/response-templates")
        .token(&t.token)
        .json(json!({"name": "Any", "sentiment": "neutral", "body": "x"}))
        .send()
        .await
        .problem(409);

    let ids =
        ingest(&app, &t.token, vec![post("1", "Дейнет опять сломался", "negative", "2026-11-20T10:00:00Z")]).await;
    let replies =
        app.get(&format!("/v1/mentions/{}/suggested-replies", ids[0])).token(&t.token).send().await.expect(200).body;
    let order: Vec<&str> =
        replies["data"].as_array().unwrap().iter().map(|r| r["template_id"].as_str().unwrap()).collect();
    assert_eq!(order, [vk_ru.as_str(), vk.as_str(), any.as_str()], "most specific first; others do not fit");
    assert_eq!(replies["data"][0]["text"], "{Дейнет} Иван");
    assert_eq!(replies["data"][1]["text"], "Иван, Дейнет на связи: https://vk.com/wall-1_1");
    assert_eq!(replies["data"][2]["text"], "Иван, мы разберёмся.");

    // Clearing the platform makes the VK template fit any platform.
    let patched = app
        .patch(&format!("/v1/response-templates/{vk}"))
        .token(&t.token)
        .json(json!({"platform": null}))
        .send()
        .await
        .expect(200);
    assert_eq!(patched.body["platform"], Value::Null);
    app.patch(&format!("/v1/response-templates/{vk}"))
        .token(&t.token)
        .json(json!({"body": "{author} {url"}))
        .send()
        .await
        .problem(422);
    app.delete(&format!("/v1/response-templates/{any}")).token(&t.token).send().await.expect(204);
    app.get(&format!("/v1/response-templates/{any}")).token(&t.token).send().await.problem(404);
    let list = app.get("/v1/response-templates?limit=2").token(&t.token).send().await.expect(200).body;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert!(list["next_cursor"].is_string());
    let _ = brand;
}

#[actix_web::test]
async fn answers_mark_mentions_answered_and_make_the_response_report_exact() {
    let app = spawn_app().await;
    let t = app.signup("Answers").await;
    let brand = app.brand(&t.token, "Дейнет").await;
    let ids = ingest(
        &app,
        &t.token,
        vec![
            post("n1", "Дейнет плохо", "negative", "2026-11-20T10:00:00Z"),
            post("n2", "Дейнет ужасно", "negative", "2026-11-20T11:00:00Z"),
            post("n3", "Дейнет снова", "negative", "2026-11-20T12:00:00Z"),
            post("n4", "Дейнет опять", "negative", "2026-11-20T13:00:00Z"),
            post("p1", "Дейнет хорошо", "positive", "2026-11-20T14:00:00Z"),
        ],
    )
    .await;
    let answer = |id: &str, at: &str| {
        app.post(&format!("/v1/mentions/{id}/responses"))
            .token(&t.token)
            .json(json!({"body": "Мы разбираемся", "responded_at": at}))
            .send()
    };
    answer(&ids[0], "2026-11-20T10:10:00Z").await.expect(201); // 600 s
    answer(&ids[1], "2026-11-20T11:30:00Z").await.expect(201); // 1,800 s
    answer(&ids[1], "2026-11-20T11:20:00Z").await.expect(201); // an earlier one logged later: 1,200 s
    answer(&ids[4], "2026-11-20T14:02:00Z").await.expect(201); // 120 s
    let bad = answer(&ids[2], "2026-11-20T11:59:00Z").await.problem(422);
    assert_eq!(bad.fields(), ["responded_at"], "an answer before the post is refused");
    let unknown = app
        .post(&format!("/v1/mentions/{}/responses", ids[2]))
        .token(&t.token)
        .json(json!({"body": "x", "template_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d60"}))
        .send()
        .await
        .problem(422);
    assert_eq!(unknown.fields(), ["template_id"]);

    let m = app.get(&format!("/v1/mentions/{}", ids[1])).token(&t.token).send().await.expect(200).body;
    assert_eq!(m["status"], "answered");
    assert_eq!(m["first_response_at"], "2026-11-20T11:20:00Z");
    let listed = app.get(&format!("/v1/mentions/{}/responses", ids[1])).token(&t.token).send().await.expect(200);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(listed.body["data"][0]["author"]["id"], t.owner_id.as_str());

    let stats = app
        .get(&format!("/v1/brands/{brand}/responses/stats?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z"))
        .token(&t.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(stats["negative_total"], 4);
    assert_eq!(stats["negative_answered"], 2);
    assert_eq!(stats["response_rate"], 50.0);
    // Every answered mention counts: 120, 600 and 1,200 seconds.
    assert_eq!(stats["median_response_seconds"], 600.0);

    let viewer = app.user_token(&t.token, "viewer", &[]).await;
    app.post(&format!("/v1/mentions/{}/responses", ids[3]))
        .token(&viewer)
        .json(json!({"body": "x"}))
        .send()
        .await
        .problem(403);
}

#[actix_web::test]
async fn placements_are_logged_filtered_and_scoped_to_a_clients_brands() {
    let app = spawn_app().await;
    let t = app.signup("Placements").await;
    let ours = app.brand(&t.token, "Дейнет").await;
    let other = app.brand(&t.token, "Мегасвязь").await;
    let ids = ingest(&app, &t.token, vec![post("1", "Дейнет плохо", "negative", "2026-11-20T10:00:00Z")]).await;
    let place = |brand: &str, kind: &str, at: &str, mention: Option<&str>| {
        app.post("/v1/placements")
            .token(&t.token)
            .json(json!({"brand_id": brand, "platform": "otzovik", "url": "https://otzovik.com/r/1#reply",
                "kind": kind, "posted_at": at, "mention_id": mention}))
            .send()
    };
    let first = place(&ours, "review_reply", "2026-11-20T12:00:00Z", Some(&ids[0])).await.expect(201);
    assert_eq!(first.body["mention_id"], ids[0].as_str());
    place(&ours, "forum_post", "2026-11-22T12:00:00Z", None).await.expect(201);
    place(&other, "group_post", "2026-11-21T12:00:00Z", None).await.expect(201);
    let wrong = place(&other, "forum_post", "2026-11-21T12:00:00Z", Some(&ids[0])).await.problem(422);
    assert_eq!(wrong.fields(), ["mention_id"], "a mention of another brand");
    let bad = app
        .post("/v1/placements")
        .token(&t.token)
        .json(json!({"brand_id": ours, "platform": "VK!", "url": "ftp://x", "kind": "spam", "posted_at": "2026-11-20T12:00:00Z"}))
        .send()
        .await
        .problem(422);
    assert!(bad.fields().contains(&"kind".to_owned()));

    let listed = |query: String| {
        let app = &app;
        let token = t.token.clone();
        async move {
            let r = app.get(&format!("/v1/placements?{query}")).token(&token).send().await.expect(200);
            r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["kind"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(format!("brand_id={ours}")).await, ["review_reply", "forum_post"]);
    assert_eq!(listed("from=2026-11-21T00:00:00Z&to=2026-11-22T00:00:00Z".into()).await, ["group_post"]);
    assert_eq!(listed("kind=forum_post".into()).await, ["forum_post"]);
    assert_eq!(listed(format!("mention_id={}", ids[0])).await, ["review_reply"]);

    let client = app.user_token(&t.token, "client", &[&other]).await;
    let seen = app.get("/v1/placements").token(&client).send().await.expect(200).body;
    assert_eq!(seen["data"].as_array().unwrap().len(), 1, "a client sees its brand's placements only");
    let id = first.id();
    app.get(&format!("/v1/placements/{id}")).token(&client).send().await.problem(404);

    let patched = app
        .patch(&format!("/v1/placements/{id}"))
        .token(&t.token)
        .json(json!({"note": "Ответ поддержки", "mention_id": null}))
        .send()
        .await
        .expect(200);
    assert_eq!(patched.body["note"], "Ответ поддержки");
    assert_eq!(patched.body["mention_id"], Value::Null);
    app.delete(&format!("/v1/placements/{id}")).token(&t.token).send().await.expect(204);
    app.get(&format!("/v1/placements/{id}")).token(&t.token).send().await.problem(404);
}
