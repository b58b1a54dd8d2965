//! Sources of every kind, over HTTP, against local stand-ins of their
//! platforms: the source contract (kinds, configs, defaults, status, run
//! now), and Hacker News search end to end.

use std::time::Duration;

use serde_json::{Value, json};
use smrm_tests::standins::Failure;
use smrm_tests::standins::hn::{Hn, Item};
use smrm_tests::{TestApp, spawn_connected, unix_now};

async fn app_with_hn(hn: &Hn) -> TestApp {
    let url = hn.server.url.clone();
    spawn_connected(move |u| u.hn = url).await
}

#[actix_web::test]
async fn sources_take_kinds_configs_and_defaults() {
    let hn = Hn::start(vec![]).await;
    let app = app_with_hn(&hn).await;
    let t = app.signup("Kinds").await;
    let brand = app.brand(&t.token, "Дейнет").await;

    let s = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "hn_search", "brand_ids": [brand], "enabled": false}))
        .send()
        .await
        .expect(201)
        .body;
    assert_eq!(s["kind"], "hn_search");
    assert_eq!(s["name"], "Hacker News search");
    assert_eq!(s["config"], json!({}));
    assert_eq!((s["platform"].as_str(), s["source_type"].as_str()), (Some("hackernews"), Some("forum")));
    assert_eq!(s["poll_seconds"], 300);
    assert_eq!(s["brand_ids"], json!([brand]));
    assert_eq!(s["brand_id"], Value::Null, "a search source has no channel brand");
    assert_eq!(s["status"]["state"], "never_run");
    assert_eq!(s["status"]["posts_fetched"], 0);

    // An rss source still takes its URL at the top level, and answers it there.
    let feed = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "rss", "url": "https://news.example.com/rss", "platform": "news_example", "source_type": "news", "enabled": false}))
        .send()
        .await
        .expect(201)
        .body;
    assert_eq!(feed["url"], "https://news.example.com/rss");
    assert_eq!(feed["config"], json!({"url": "https://news.example.com/rss"}));
    let id = feed["id"].as_str().unwrap();
    let patched = app
        .patch(&format!("/v1/sources/{id}"))
        .token(&t.token)
        .json(json!({"url": "https://news.example.com/rss2"}))
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(patched["config"]["url"], "https://news.example.com/rss2");

    // Every problem of a source at once, in the contract's field names.
    let bad = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "telegram_channel", "config": {"channel": "x!"}, "brand_ids": [brand, brand], "poll_seconds": 0}))
        .send()
        .await
        .problem(422);
    assert_eq!(bad.fields(), ["config.channel", "poll_seconds", "brand_ids"]);
    let bad = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "hn_search", "config": {"query": "x"}}))
        .send()
        .await
        .problem(422);
    assert_eq!(bad.fields(), ["config"]);
    let unknown_brand = uuid::Uuid::now_v7();
    let bad = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "hn_search", "brand_ids": [unknown_brand]}))
        .send()
        .await
        .problem(422);
    assert_eq!(bad.fields(), ["brand_ids"]);

    // Another tenant's source does not exist for it.
    let sid = s["id"].as_str().unwrap();
    let other = app.signup("Another agency").await;
    app.get(&format!("/v1/sources/{sid}")).token(&other.token).send().await.problem(404);
    app.patch(&format!("/v1/sources/{sid}"))
        .token(&other.token)
        .json(json!({"enabled": true}))
        .send()
        .await
        .problem(404);
    app.post(&format!("/v1/sources/{sid}/run")).token(&other.token).send().await.problem(404);
    app.delete(&format!("/v1/sources/{sid}")).token(&other.token).send().await.problem(404);
    assert_eq!(app.get("/v1/sources").token(&other.token).send().await.expect(200).body["data"], json!([]));

    // A disabled source cannot be run; an enabled one can.
    app.post(&format!("/v1/sources/{sid}/run")).token(&t.token).send().await.problem(409);
    let viewer = app.user_token(&t.token, "viewer", &[]).await;
    app.post(&format!("/v1/sources/{sid}/run")).token(&viewer).send().await.problem(403);
}

/// 450 posts about the brand in the last day (more than one page of the
/// API's answers), 10 older than a day, 20 about something else.
fn busy_day(now: i64) -> Vec<Item> {
    let mut items: Vec<Item> =
        (0..450).map(|i| Item::story(1000 + i, now - 60 - (i as i64) * 150, &format!("Дейнет news #{i}"))).collect();
    items.push(Item::comment(5000, now - 30, 1000, "<p>I think <i>Дейнет</i> &amp; co are fine</p>"));
    items.extend((0..10).map(|i| Item::story(6000 + i, now - 90_000 - i as i64, "Дейнет of old")));
    items.extend((0..20).map(|i| Item::story(7000 + i, now - 100 - i as i64, "Weather")));
    items
}

#[actix_web::test]
async fn hn_search_reads_every_post_of_a_busy_window_once() {
    let now = unix_now();
    let hn = Hn::start(busy_day(now)).await;
    let app = app_with_hn(&hn).await;
    let t = app.signup("HN").await;
    app.brand(&t.token, "Дейнет").await;
    let id = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "hn_search", "poll_seconds": 3600}))
        .send()
        .await
        .expect(201)
        .id();
    let s = app.wait_source(&t.token, &id, |s| s["status"]["state"] != "never_run").await;
    assert_eq!(s["status"]["state"], "ok", "{s}");
    assert_eq!(s["status"]["posts_fetched"], 451);
    assert_eq!(s["status"]["mentions_created"], 451);
    assert_eq!(s["status"]["last_error"], Value::Null);

    let asked = hn.server.asked_on("/search_by_date");
    assert!(asked.len() >= 3, "the window was walked in pages: {}", asked.len());
    for a in &asked {
        assert_eq!(a.param("query"), Some("\"Дейнет\""), "a quoted phrase per keyword");
        assert_eq!(a.param("tags"), Some("(story,comment)"));
    }
    let first = asked[0].param("numericFilters").unwrap();
    let from: i64 = first.split(',').next().unwrap().trim_start_matches("created_at_i>").parse().unwrap();
    assert!((now - 86_400 - from).abs() < 60, "the first run reads the last day: {first}");

    let mentions = app.all_mentions(&t.token).await;
    assert_eq!(mentions.len(), 451);
    let comment = mentions.iter().find(|m| m["external_id"] == "5000").unwrap();
    assert_eq!(comment["text"], "I think Дейнет & co are fine");
    assert_eq!(comment["parent_external_id"], "1000");
    assert_eq!(comment["url"], "https://news.ycombinator.com/item?id=5000");
    assert_eq!(comment["platform"], "hackernews");
    let story = mentions.iter().find(|m| m["external_id"] == "1007").unwrap();
    assert_eq!(story["title"], "Дейнет news #7");
    assert_eq!(story["likes"], 7);
    assert_eq!(story["author"]["handle"], "user6");

    // Run now: the next run re-reads a few hours back from where the last
    // one ended, and stores nothing twice.
    hn.add([Item::story(9000, chrono::Utc::now().timestamp() - 1, "Дейнет again")]);
    // A story gained points: the stored mention follows.
    hn.state.lock().unwrap().items.iter_mut().find(|i| i.id == 1007).unwrap().points = Some(99);
    let before = asked.len();
    app.post(&format!("/v1/sources/{id}/run")).token(&t.token).send().await.expect(202);
    let s = app.wait_source(&t.token, &id, |s| s["status"]["mentions_created"] == 452).await;
    let again = &hn.server.asked_on("/search_by_date")[before];
    let filters = again.param("numericFilters").unwrap();
    let from: i64 = filters.split(',').next().unwrap().trim_start_matches("created_at_i>").parse().unwrap();
    assert!((now - 3 * 3600 - from).abs() < 60, "an overlap of three hours: {filters}");
    assert!(s["status"]["posts_fetched"].as_u64().unwrap() > 452, "the overlap was fetched again: {s}");
    let mentions = app.all_mentions(&t.token).await;
    assert_eq!(mentions.len(), 452, "no post twice");
    let story = mentions.iter().find(|m| m["external_id"] == "1007").unwrap();
    assert_eq!(story["likes"], 99, "re-collected counts are kept");

    let metrics = app.get("/metrics").send().await.expect(200).text;
    assert!(metrics.contains(r#"smrm_source_polls_total{kind="hn_search",outcome="fetched"} 2"#), "{metrics}");
    assert!(metrics.contains(r#"smrm_source_mentions_created_total{kind="hn_search"} 452"#), "{metrics}");
    assert!(metrics.contains(r#"smrm_upstream_requests_total{kind="hn_search",outcome="ok"}"#), "{metrics}");
}

#[actix_web::test]
async fn a_rate_limited_platform_pauses_the_source_until_it_said() {
    let hn = Hn::start(vec![Item::story(1, unix_now() - 10, "Дейнет")]).await;
    hn.fail(Some(Failure { status: 429, body: "{\"message\":\"Too many requests\"}".into(), retry_after: Some(120) }));
    let app = app_with_hn(&hn).await;
    let t = app.signup("Paused").await;
    app.brand(&t.token, "Дейнет").await;
    let id = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "hn_search", "poll_seconds": 1}))
        .send()
        .await
        .expect(201)
        .id();
    let s = app.wait_source(&t.token, &id, |s| s["status"]["state"] != "never_run").await;
    assert_eq!(s["status"]["state"], "paused", "{s}");
    assert!(s["status"]["last_error"].as_str().unwrap().contains("rate limited"), "{s}");
    let next: chrono::DateTime<chrono::Utc> = s["status"]["next_run_at"].as_str().unwrap().parse().unwrap();
    assert!(next > chrono::Utc::now() + chrono::Duration::seconds(100), "{s}");
    let asked = hn.server.asked().len();
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(hn.server.asked().len(), asked, "not asked again before it said (poll_seconds is 1)");

    // A search source whose brands have no keywords to search says so.
    let metrics = app.get("/metrics").send().await.expect(200).text;
    assert!(
        metrics.contains(r#"smrm_upstream_requests_total{kind="hn_search",outcome="rate_limited"} 1"#),
        "{metrics}"
    );
}

#[actix_web::test]
async fn a_search_source_without_brands_to_search_says_what_to_do() {
    let hn = Hn::start(vec![]).await;
    let app = app_with_hn(&hn).await;
    let t = app.signup("Nothing to search").await;
    let id = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "hn_search", "poll_seconds": 60}))
        .send()
        .await
        .expect(201)
        .id();
    let s = app.wait_source(&t.token, &id, |s| s["status"]["state"] != "never_run").await;
    assert_eq!(s["status"]["state"], "failing");
    assert!(s["status"]["last_error"].as_str().unwrap().contains("no keywords"), "{s}");
    assert!(hn.server.asked().is_empty(), "nothing asked of the platform");
}

#[actix_web::test]
async fn two_replicas_run_each_search_once_per_interval() {
    let hn = Hn::start(vec![Item::story(1, unix_now() - 60, "Дейнет")]).await;
    let url = hn.server.url.clone();
    let app = smrm_tests::spawn_durable_app(move |c| {
        c.outbound_allow_private = true;
        c.source_min_poll_seconds = 2;
        c.upstreams.hn = url;
    })
    .await;
    let other = app.replica().await;
    let t = app.signup("Replicas").await;
    app.brand(&t.token, "Дейнет").await;
    let id = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "hn_search", "poll_seconds": 2}))
        .send()
        .await
        .expect(201)
        .id();
    actix_web::rt::time::sleep(Duration::from_millis(5000)).await;
    // Due at 0 s, 2 s and 4 s: one call each (one keyword, one page), whichever replica ran it.
    let calls = hn.server.asked_on("/search_by_date").len();
    assert!((2..=3).contains(&calls), "{calls} calls in 5 s with poll_seconds = 2");
    let s = other.get(&format!("/v1/sources/{id}")).token(&t.token).send().await.expect(200).body;
    assert_eq!(s["status"]["mentions_created"], 1, "{s}");
    assert_eq!(s["status"]["posts_fetched"].as_u64(), Some(calls as u64), "every run fetched once: {s}");
}
