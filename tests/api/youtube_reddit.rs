//! YouTube and Reddit sources against local stand-ins of their APIs:
//! search with statistics, channel comments, quotas, invalid keys, OAuth,
//! rate-limit headers.

use serde_json::{Value, json};
use smrm_tests::standins::reddit::{Link, Reddit};
use smrm_tests::standins::youtube::{Thread, Video, Youtube};
use smrm_tests::{Tenant, TestApp, spawn_connected, unix_now};

const KEY: &str = "AIzaSyStandInKey";
const CHANNEL: &str = "UCdeynetTVchannel0000001";

async fn credential(app: &TestApp, t: &Tenant, kind: &str, secret: &str) -> String {
    app.post("/v1/credentials")
        .token(&t.token)
        .json(json!({"kind": kind, "name": kind, "secret": secret}))
        .send()
        .await
        .expect(201)
        .id()
}

async fn source(app: &TestApp, t: &Tenant, body: Value) -> Value {
    let id = app.post("/v1/sources").token(&t.token).json(body).send().await.expect(201).id();
    app.wait_source(&t.token, &id, |s| s["status"]["state"] != "never_run").await
}

async fn youtube_app() -> (Youtube, TestApp, Tenant) {
    let yt = Youtube::start(KEY, CHANNEL).await;
    let url = yt.server.url.clone();
    let app = spawn_connected(move |u| u.youtube = url).await;
    let t = app.signup("YouTube").await;
    app.post("/v1/brands")
        .token(&t.token)
        .json(json!({"name": "Дейнет", "keywords": ["Дейнет", "Deynet"]}))
        .send()
        .await
        .expect(201);
    (yt, app, t)
}

#[actix_web::test]
async fn youtube_search_finds_videos_with_their_statistics() {
    let (yt, app, t) = youtube_app().await;
    let now = unix_now();
    yt.with(|s| {
        s.videos = (0..60)
            .map(|i| Video {
                id: format!("vid{i:08}"),
                published: now - 100 - i * 600,
                title: if i % 2 == 0 { format!("Обзор Дейнет #{i}") } else { format!("Deynet review #{i}") },
                description: if i == 3 { String::new() } else { "Тарифы &amp; скорость".into() },
                views: 1000 + i as u64,
                likes: (i != 5).then_some(10),
            })
            .collect();
        s.videos.push(Video {
            id: "old".into(),
            published: now - 3 * 86_400,
            title: "Дейнет".into(),
            description: String::new(),
            views: 1,
            likes: None,
        });
    });
    let cred = credential(&app, &t, "youtube", KEY).await;
    let s = source(&app, &t, json!({"kind": "youtube_search", "credential_id": cred, "poll_seconds": 3600})).await;
    assert_eq!(s["status"]["state"], "ok", "{s}");
    assert_eq!((s["platform"].as_str(), s["source_type"].as_str()), (Some("youtube"), Some("video")));
    assert_eq!(s["status"]["mentions_created"], 60, "{s}");
    let searches = yt.server.asked_on("/search");
    assert_eq!(searches.len(), 2, "two pages of 50");
    assert_eq!(searches[0].param("q"), Some("\"Deynet\"|\"Дейнет\""), "both keywords in one query");
    assert_eq!(searches[0].param("order"), Some("date"));
    assert_eq!(yt.server.asked_on("/videos").len(), 2, "statistics 50 videos a call");

    let mentions = app.all_mentions(&t.token).await;
    let m = mentions.iter().find(|m| m["external_id"] == "vid00000004").unwrap();
    assert_eq!(m["url"], "https://www.youtube.com/watch?v=vid00000004");
    assert_eq!(m["title"], "Обзор Дейнет #4");
    assert_eq!(m["text"], "Обзор Дейнет #4\n\nТарифы & скорость", "the title and the description are matched");
    assert_eq!((m["views"].as_u64(), m["likes"].as_u64(), m["comments"].as_u64()), (Some(1004), Some(10), Some(4)));
    assert_eq!(m["author"]["handle"], "Дейнет TV");
    let hidden = mentions.iter().find(|m| m["external_id"] == "vid00000005").unwrap();
    assert_eq!(hidden["likes"], Value::Null, "hidden likes stay unknown");
    let untitled = mentions.iter().find(|m| m["external_id"] == "vid00000003").unwrap();
    assert_eq!(untitled["text"], "Deynet review #3", "no description: the title is the text");
}

#[actix_web::test]
async fn a_spent_youtube_quota_pauses_until_midnight_pacific_and_a_bad_key_is_invalid() {
    let (yt, app, t) = youtube_app().await;
    yt.with(|s| s.quota_exceeded = true);
    let cred = credential(&app, &t, "youtube", KEY).await;
    let s = source(&app, &t, json!({"kind": "youtube_search", "credential_id": cred})).await;
    assert_eq!(s["status"]["state"], "paused", "{s}");
    let next: chrono::DateTime<chrono::Utc> = s["status"]["next_run_at"].as_str().unwrap().parse().unwrap();
    let pacific = next.with_timezone(&chrono_tz::America::Los_Angeles);
    assert_eq!(pacific.format("%H:%M").to_string(), "00:00", "midnight Pacific: {next}");
    let c = app.get(&format!("/v1/credentials/{cred}")).token(&t.token).send().await.expect(200).body;
    assert_eq!(c["status"], "ok", "a spent quota is not a bad key");

    yt.with(|s| s.quota_exceeded = false);
    let bad = credential(&app, &t, "youtube", "AIzaWrong").await;
    let s = source(&app, &t, json!({"kind": "youtube_search", "credential_id": bad})).await;
    assert_eq!(s["status"]["state"], "failing");
    assert!(s["status"]["last_error"].as_str().unwrap().contains("API key is not valid"), "{s}");
    let c = app.get(&format!("/v1/credentials/{bad}")).token(&t.token).send().await.expect(200).body;
    assert_eq!(c["status"], "invalid");
}

#[actix_web::test]
async fn youtube_channel_reads_the_comments_on_its_videos() {
    let (yt, app, t) = youtube_app().await;
    let now = unix_now();
    yt.with(|s| {
        s.threads = (0..130)
            .map(|i| Thread {
                id: format!("Ugz{i:05}"),
                video_id: format!("vid{:08}", i % 3),
                published: now - 60 - i * 300,
                author: format!("@viewer{i}"),
                text: format!("Комментарий {i}"),
                likes: i as u64 % 4,
                replies: 1,
            })
            .collect();
    });
    let cred = credential(&app, &t, "youtube", KEY).await;
    let brand = app.get("/v1/brands").token(&t.token).send().await.expect(200).body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let s = source(
        &app,
        &t,
        json!({"kind": "youtube_channel", "config": {"channel_id": CHANNEL}, "credential_id": cred, "brand_id": brand}),
    )
    .await;
    assert_eq!(s["status"]["state"], "ok", "{s}");
    assert_eq!(s["status"]["mentions_created"], 130);
    assert_eq!(yt.server.asked_on("/commentThreads").len(), 2);
    let mentions = app.all_mentions(&t.token).await;
    let c = mentions.iter().find(|m| m["external_id"] == "Ugz00004").unwrap();
    assert_eq!(c["parent_external_id"], "vid00000001");
    assert_eq!(c["url"], "https://www.youtube.com/watch?v=vid00000001&lc=Ugz00004");
    assert_eq!(c["author"]["handle"], "@viewer4");
    assert_eq!((c["likes"].as_u64(), c["comments"].as_u64()), (Some(0), Some(1)));

    let bad = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "youtube_channel", "config": {"channel_id": "deynet"}, "credential_id": cred}))
        .send()
        .await
        .problem(422);
    assert_eq!(bad.fields(), ["config.channel_id"]);
    let s = source(
        &app,
        &t,
        json!({"kind": "youtube_channel", "config": {"channel_id": "UCnobodyHere000000000000"}, "credential_id": cred}),
    )
    .await;
    assert_eq!(s["status"]["state"], "failing");
    assert!(s["status"]["last_error"].as_str().unwrap().contains("channelNotFound"), "{s}");
}

async fn reddit_app() -> (Reddit, TestApp, Tenant) {
    let reddit = Reddit::start("app-id:app-secret").await;
    let (api, auth) = (reddit.server.url.clone(), format!("{}/api/v1/access_token", reddit.server.url));
    let app = spawn_connected(move |u| {
        u.reddit = api;
        u.reddit_auth = auth;
    })
    .await;
    let t = app.signup("Reddit").await;
    app.post("/v1/brands")
        .token(&t.token)
        .json(json!({"name": "Дейнет", "keywords": ["Дейнет", "Deynet"]}))
        .send()
        .await
        .expect(201);
    (reddit, app, t)
}

#[actix_web::test]
async fn reddit_search_in_a_subreddit_with_an_app_token() {
    let (reddit, app, t) = reddit_app().await;
    let now = unix_now();
    reddit.with(|s| {
        s.links = (0..150)
            .map(|i| Link {
                id: format!("x{i:04}"),
                subreddit: if i % 10 == 9 { "other".into() } else { "russia".into() },
                created: now - 30 - i * 400,
                title: format!("Deynet thread {i}"),
                selftext: if i % 2 == 0 { "Что думаете о Дейнет?".into() } else { String::new() },
                author: format!("user{i}"),
                score: 5,
                crosspost_parent: (i == 1).then(|| "t3_orig1".into()),
            })
            .collect();
    });
    let cred = credential(&app, &t, "reddit", "app-id:app-secret").await;
    let s =
        source(&app, &t, json!({"kind": "reddit_search", "config": {"subreddit": "r/russia"}, "credential_id": cred}))
            .await;
    assert_eq!(s["status"]["state"], "ok", "{s}");
    assert_eq!(s["config"], json!({"subreddit": "russia"}));
    // 150 links over 16.7 hours, 15 of them elsewhere.
    assert_eq!(s["status"]["mentions_created"], 135, "{s}");
    let searches = reddit.server.asked_on("/r/russia/search");
    assert_eq!(searches.len(), 2, "100 a page");
    let a = &searches[0];
    assert_eq!(a.param("q"), Some("\"Deynet\" OR \"Дейнет\""));
    assert_eq!((a.param("sort"), a.param("restrict_sr")), (Some("new"), Some("1")));
    assert!(a.header("user-agent").unwrap().contains("smrm"), "a descriptive User-Agent");
    assert_eq!(searches[1].param("after"), Some("t3_x0110"));
    assert_eq!(reddit.state.lock().unwrap().tokens_minted, 1, "one token for the run");

    let mentions = app.all_mentions(&t.token).await;
    let m = mentions.iter().find(|m| m["external_id"] == "t3_x0002").unwrap();
    assert_eq!(m["url"], "https://www.reddit.com/r/russia/comments/x0002/x/");
    assert_eq!(m["title"], "Deynet thread 2");
    assert_eq!(m["text"], "Deynet thread 2\n\nЧто думаете о Дейнет?");
    assert_eq!((m["likes"].as_u64(), m["comments"].as_u64()), (Some(5), Some(3)));
    let cross = mentions.iter().find(|m| m["external_id"] == "t3_x0001").unwrap();
    assert_eq!(cross["repost_of_external_id"], "t3_orig1");
    assert_eq!(cross["text"], "Deynet thread 1", "a link post's title is its text");
}

#[actix_web::test]
async fn reddit_refusals_and_its_rate_limit_headers() {
    let (reddit, app, t) = reddit_app().await;
    reddit.with(|s| {
        s.links = vec![Link {
            id: "a1".into(),
            subreddit: "russia".into(),
            created: unix_now() - 10,
            title: "Deynet".into(),
            selftext: String::new(),
            author: "u".into(),
            score: 1,
            crosspost_parent: None,
        }]
    });
    let wrong = credential(&app, &t, "reddit", "app-id:wrong").await;
    let s = source(&app, &t, json!({"kind": "reddit_search", "credential_id": wrong})).await;
    assert_eq!(s["status"]["state"], "failing");
    assert!(s["status"]["last_error"].as_str().unwrap().contains("Reddit refused the app (401)"), "{s}");
    let c = app.get(&format!("/v1/credentials/{wrong}")).token(&t.token).send().await.expect(200).body;
    assert_eq!(c["status"], "invalid");

    // The app's window is spent (Remaining 0, Reset in 120 s): its next run waits for it.
    reddit.with(|s| {
        s.remaining = 0.0;
        s.reset = 120;
    });
    let good = credential(&app, &t, "reddit", "app-id:app-secret").await;
    let s = source(&app, &t, json!({"kind": "reddit_search", "credential_id": good, "poll_seconds": 60})).await;
    assert_eq!(s["status"]["state"], "ok", "this run was answered: {s}");
    let id = s["id"].as_str().unwrap();
    let asked = reddit.server.asked_on("/search").len();
    app.post(&format!("/v1/sources/{id}/run")).token(&t.token).send().await.expect(202);
    let s = app.wait_source(&t.token, id, |s| s["status"]["state"] != "ok").await;
    assert_eq!(s["status"]["state"], "paused", "{s}");
    let next: chrono::DateTime<chrono::Utc> = s["status"]["next_run_at"].as_str().unwrap().parse().unwrap();
    assert!(next > chrono::Utc::now() + chrono::Duration::seconds(100), "{s}");
    assert_eq!(reddit.server.asked_on("/search").len(), asked, "not called while the window is spent");

    // Another app gets 429 with Retry-After: paused for as long.
    reddit.with(|s| {
        s.client = "app-2:secret-2".into();
        s.remaining = 500.0;
        s.failure = Some(smrm_tests::standins::Failure {
            status: 429,
            body: "{\"message\": \"Too Many Requests\", \"error\": 429}".into(),
            retry_after: Some(30),
        });
    });
    let second = credential(&app, &t, "reddit", "app-2:secret-2").await;
    let s = source(&app, &t, json!({"kind": "reddit_search", "credential_id": second})).await;
    assert_eq!(s["status"]["state"], "paused", "{s}");
    assert!(s["status"]["last_error"].as_str().unwrap().contains("retrying in 30 s"), "{s}");
}
