//! VK sources against a local stand-in of VK's API: search past VK's
//! 1,000-result cap, walls with comments, authors, reposts, VK's pacing,
//! and each VK error's effect on the source and its credential.

use serde_json::{Value, json};
use smrm_tests::standins::vk::{Comment, Post, Vk};
use smrm_tests::{Tenant, TestApp, spawn_connected, unix_now};

const TOKEN: &str = "vk1.a.stand-in-service-token";

async fn app_with_vk(vk: &Vk) -> TestApp {
    let url = vk.server.url.clone();
    spawn_connected(move |u| u.vk = url).await
}

async fn credential(app: &TestApp, t: &Tenant) -> String {
    app.post("/v1/credentials")
        .token(&t.token)
        .json(json!({"kind": "vk", "name": "service token", "secret": TOKEN}))
        .send()
        .await
        .expect(201)
        .id()
}

fn people(vk: &Vk) {
    vk.with(|s| {
        s.profiles = vec![json!({"id": 1, "first_name": "Иван", "last_name": "Петров", "screen_name": "ivan", "followers_count": 1200})];
        s.groups = vec![json!({"id": 77, "name": "Дейнет официально", "screen_name": "deynet", "is_closed": 0, "type": "page", "members_count": 15000})];
    });
}

#[actix_web::test]
async fn vk_search_reads_past_the_cap_with_authors_and_reposts_at_vks_pace() {
    let now = unix_now();
    let vk = Vk::start(TOKEN).await;
    people(&vk);
    vk.with(|s| {
        // 1,250 posts in the last day: more than one query can give.
        s.posts = (0..1250)
            .map(|i| {
                Post::new(
                    -77,
                    i + 1,
                    if i % 2 == 0 { -77 } else { 1 },
                    now - 30 - i * 60,
                    &format!("Дейнет: новость {i}"),
                )
            })
            .collect();
        let mut repost = Post::new(5, 42, 5, now - 10, "");
        repost.copy_of = Some((-999, 7, "Дейнет снизил цены".into()));
        s.posts.push(repost);
        s.posts.push(Post::new(-77, 5000, -77, now - 20, "Погода"));
    });
    let app = app_with_vk(&vk).await;
    let t = app.signup("VK search").await;
    app.brand(&t.token, "Дейнет").await;
    let cred = credential(&app, &t).await;
    let id = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "vk_search", "credential_id": cred, "poll_seconds": 3600}))
        .send()
        .await
        .expect(201)
        .id();
    let s = app.wait_source(&t.token, &id, |s| s["status"]["state"] != "never_run").await;
    assert_eq!(s["status"]["state"], "ok", "{s}");
    assert_eq!(s["platform"], "vk");
    assert_eq!(s["status"]["mentions_created"], 1251, "{s}");
    let asked = vk.server.asked_on("/newsfeed.search");
    assert!(asked.len() >= 7, "{} calls", asked.len());
    let seconds = asked.last().unwrap().at.duration_since(asked[0].at).as_secs_f64();
    let rate = (asked.len() - 1) as f64 / seconds;
    assert!(rate <= 3.0, "VK's three calls a second: {rate:.2}/s ({} too fast)", vk.too_fast());
    let form = asked[0].form();
    let param = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(param("q"), Some("\"Дейнет\""));
    assert_eq!(param("access_token"), Some(TOKEN), "the token in the form, not the URL");
    assert!(asked.iter().all(|a| a.query.is_empty()), "nothing in the query string");
    assert_eq!(param("extended"), Some("1"));

    let mentions = app.all_mentions(&t.token).await;
    assert_eq!(mentions.len(), 1251);
    let m = mentions.iter().find(|m| m["external_id"] == "wall-77_5").unwrap();
    assert_eq!(m["url"], "https://vk.com/wall-77_5");
    assert_eq!(m["author"]["handle"], "deynet");
    assert_eq!(m["author"]["name"], "Дейнет официально");
    assert_eq!(m["author"]["followers"], 15000);
    assert_eq!((m["likes"].as_u64(), m["reposts"].as_u64(), m["views"].as_u64()), (Some(5), Some(1), Some(105)));
    let by_person = mentions.iter().find(|m| m["external_id"] == "wall-77_2").unwrap();
    assert_eq!(by_person["author"]["handle"], "ivan");
    assert_eq!(by_person["author"]["name"], "Иван Петров");
    let repost = mentions.iter().find(|m| m["external_id"] == "wall5_42").unwrap();
    assert_eq!(repost["repost_of_external_id"], "wall-999_7");
    assert_eq!(repost["text"], "Дейнет снизил цены", "a repost without words carries the original's");

    let c = app.get(&format!("/v1/credentials/{cred}")).token(&t.token).send().await.expect(200).body;
    assert_eq!(c["status"], "ok");
    assert!(c["last_used_at"].is_string(), "{c}");
}

#[actix_web::test]
async fn vk_wall_reads_recent_posts_and_comments_as_the_channels_brand() {
    let now = unix_now();
    let vk = Vk::start(TOKEN).await;
    people(&vk);
    vk.with(|s| {
        let mut pinned = Post::new(-77, 1, -77, now - 3 * 86_400, "Закреплённый пост");
        pinned.pinned = true;
        let mut commented = Post::new(-77, 3, -77, now - 3600, "Новый тариф");
        commented.comments = vec![
            Comment {
                id: 10,
                from_id: 1,
                date: now - 3000,
                text: "Дорого".into(),
                replies: vec![Comment {
                    id: 12,
                    from_id: -77,
                    date: now - 2900,
                    text: "Есть скидки".into(),
                    replies: vec![],
                }],
            },
            Comment { id: 11, from_id: 1, date: now - 2000, text: "Класс".into(), replies: vec![] },
        ];
        let mut closed = Post::new(-77, 4, -77, now - 1800, "Комментарии закрыты");
        closed.comments = vec![Comment { id: 20, from_id: 1, date: now - 1700, text: "…".into(), replies: vec![] }];
        closed.comments_closed = true;
        s.posts = vec![
            pinned,
            Post::new(-77, 2, -77, now - 2 * 86_400, "Старый пост"),
            commented,
            closed,
            Post::new(-77, 5, -77, now - 600, "Акция"),
        ];
    });
    let app = app_with_vk(&vk).await;
    let t = app.signup("VK wall").await;
    let brand = app.brand(&t.token, "Дейнет").await;
    let cred = credential(&app, &t).await;
    let id = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "vk_wall", "config": {"owner": "deynet", "comments": true}, "credential_id": cred, "brand_id": brand, "poll_seconds": 3600}))
        .send()
        .await
        .expect(201)
        .id();
    let s = app.wait_source(&t.token, &id, |s| s["status"]["state"] != "never_run").await;
    assert_eq!(s["status"]["state"], "ok", "{s}");
    assert_eq!(s["brand_id"], brand.as_str());
    assert_eq!(s["name"], "VK wall deynet");
    let mentions = app.all_mentions(&t.token).await;
    let mut ids: Vec<&str> = mentions.iter().map(|m| m["external_id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(
        ids,
        ["wall-77_3", "wall-77_3_r10", "wall-77_3_r11", "wall-77_3_r12", "wall-77_4", "wall-77_5"],
        "the last day's posts (not the old pinned one), and the comments that can be read"
    );
    assert!(mentions.iter().all(|m| m["brand_id"] == brand.as_str()), "every post is the channel brand's");
    let reply = mentions.iter().find(|m| m["external_id"] == "wall-77_3_r12").unwrap();
    assert_eq!(reply["parent_external_id"], "wall-77_3");
    assert_eq!(reply["author"]["handle"], "deynet");
    assert_eq!(reply["url"], "https://vk.com/wall-77_3?reply=12");
    let asked = vk.server.asked_on("/wall.get");
    assert_eq!(asked[0].form().iter().find(|(k, _)| k == "domain").map(|(_, v)| v.as_str()), Some("deynet"));
    assert_eq!(vk.server.asked_on("/wall.getComments").len(), 2);
}

async fn failing_source(app: &TestApp, t: &Tenant, cred: &str) -> Value {
    let id = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "vk_wall", "config": {"owner": -77}, "credential_id": cred, "poll_seconds": 3600}))
        .send()
        .await
        .expect(201)
        .id();
    app.wait_source(&t.token, &id, |s| s["status"]["state"] != "never_run").await
}

#[actix_web::test]
async fn vk_errors_fail_pause_or_invalidate_as_they_mean() {
    let vk = Vk::start(TOKEN).await;
    vk.with(|s| s.posts = vec![Post::new(-77, 1, -77, unix_now() - 60, "Дейнет")]);
    let app = app_with_vk(&vk).await;
    let t = app.signup("VK errors").await;
    let cred = credential(&app, &t).await;

    vk.with(|s| {
        s.errors.insert("wall.get".into(), 14);
    });
    let s = failing_source(&app, &t, &cred).await;
    assert_eq!(s["status"]["state"], "failing");
    assert!(s["status"]["last_error"].as_str().unwrap().contains("captcha"), "{s}");

    vk.with(|s| {
        s.errors.insert("wall.get".into(), 29);
    });
    let s = failing_source(&app, &t, &cred).await;
    assert_eq!(s["status"]["state"], "paused", "a spent quota pauses: {s}");
    let next: chrono::DateTime<chrono::Utc> = s["status"]["next_run_at"].as_str().unwrap().parse().unwrap();
    assert!(next > chrono::Utc::now() + chrono::Duration::minutes(59));

    vk.with(|s| {
        s.errors.insert("wall.get".into(), 30);
    });
    let s = failing_source(&app, &t, &cred).await;
    assert_eq!(s["status"]["state"], "failing");
    assert!(s["status"]["last_error"].as_str().unwrap().contains("private"), "{s}");
    let c = app.get(&format!("/v1/credentials/{cred}")).token(&t.token).send().await.expect(200).body;
    assert_eq!(c["status"], "ok", "a private wall is not the token's fault");

    // A revoked token: the credential is marked, and no source calls VK with it again.
    vk.with(|s| {
        s.errors.clear();
        s.token = "another".into();
    });
    let s = failing_source(&app, &t, &cred).await;
    assert_eq!(s["status"]["state"], "failing");
    assert!(s["status"]["last_error"].as_str().unwrap().contains("error 5"), "{s}");
    let c = app.get(&format!("/v1/credentials/{cred}")).token(&t.token).send().await.expect(200).body;
    assert_eq!(c["status"], "invalid");
    let asked = vk.server.asked().len();
    let id = s["id"].as_str().unwrap();
    app.post(&format!("/v1/sources/{id}/run")).token(&t.token).send().await.expect(202);
    let last_run = s["status"]["last_run_at"].clone();
    let s = app.wait_source(&t.token, id, |s| s["status"]["last_run_at"] != last_run).await;
    assert_eq!(vk.server.asked().len(), asked, "an invalid credential is not used again: {s}");
    assert!(s["status"]["last_error"].as_str().unwrap().contains("add a new one"), "{s}");

    let metrics = app.get("/metrics").send().await.expect(200).text;
    assert!(metrics.contains(r#"smrm_source_polls_total{kind="vk_wall",outcome="auth_failed"}"#), "{metrics}");
    assert!(metrics.contains(r#"smrm_source_polls_total{kind="vk_wall",outcome="quota_exhausted"} 1"#), "{metrics}");
}

async fn callback_source(app: &TestApp, t: &Tenant, brand: &str) -> Value {
    let created = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "vk_callback", "config": {"group_id": 1234, "confirmation_code": "c0nf1rm"}, "brand_id": brand}))
        .send()
        .await
        .expect(201);
    created.body
}

#[actix_web::test]
async fn vk_callback_confirms_checks_and_stores_each_event_once() {
    let app = smrm_tests::spawn_app().await;
    let t = app.signup("VK callback").await;
    let other = app.signup("Another agency").await;
    let brand = app.brand(&t.token, "Дейнет").await;
    let other_brand = app.brand(&other.token, "Дейнет").await;
    let s = callback_source(&app, &t, &brand).await;
    let theirs = callback_source(&app, &other, &other_brand).await;
    let id = s["id"].as_str().unwrap();
    let url = s["callback_url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with(&format!("/v1/callbacks/vk/{id}")), "{url}");
    let secret = s["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 32);
    let shown = app.get(&format!("/v1/sources/{id}")).token(&t.token).send().await.expect(200);
    assert!(!shown.text.contains(&secret) && shown.body.get("callback_url").is_none(), "shown once");
    assert_eq!(s["platform"], "vk");
    app.post(&format!("/v1/sources/{id}/run")).token(&t.token).send().await.problem(409);

    let path = format!("/v1/callbacks/vk/{id}");
    let push = |body: Value| app.post(&path).json(body).send();
    let confirmed = push(json!({"type": "confirmation", "group_id": 1234})).await.expect(200);
    assert_eq!(confirmed.text, "c0nf1rm");
    assert!(confirmed.header("content-type").unwrap().starts_with("text/plain"));
    push(json!({"type": "confirmation", "group_id": 999})).await.problem(403);

    let post = json!({"id": 5678, "owner_id": -1234, "from_id": 42, "date": unix_now() - 5, "text": "Дейнет, верните деньги",
        "post_type": "post", "likes": {"count": 3}, "inner_type": "wall_wallpost"});
    let event = |secret: &str, event_id: &str, kind: &str, object: &Value| json!({"type": kind, "group_id": 1234, "event_id": event_id, "v": "5.199", "secret": secret, "object": object});
    push(event("wrong", "e1", "wall_post_new", &post)).await.problem(403);
    let theirs_secret = theirs["secret"].as_str().unwrap();
    push(event(theirs_secret, "e1", "wall_post_new", &post)).await.problem(403);
    let mut no_secret = event(&secret, "e1", "wall_post_new", &post);
    no_secret.as_object_mut().unwrap().remove("secret");
    push(no_secret).await.problem(403);
    assert!(app.all_mentions(&t.token).await.is_empty(), "nothing stored from a refused push");

    assert_eq!(push(event(&secret, "e1", "wall_post_new", &post)).await.expect(200).text, "ok");
    assert_eq!(push(event(&secret, "e1", "wall_post_new", &post)).await.expect(200).text, "ok", "redelivered");
    let reply = json!({"id": 9, "from_id": 42, "date": unix_now() - 3, "text": "Ответьте!", "post_id": 5678, "post_owner_id": -1234, "owner_id": -1234});
    assert_eq!(push(event(&secret, "e2", "wall_reply_new", &reply)).await.expect(200).text, "ok");
    let photo = json!({"id": 3, "from_id": 43, "date": unix_now() - 2, "text": "Фото супер", "photo_id": 77, "photo_owner_id": -1234});
    assert_eq!(push(event(&secret, "e3", "photo_comment_new", &photo)).await.expect(200).text, "ok");
    assert_eq!(push(event(&secret, "e4", "group_join", &json!({"user_id": 1}))).await.expect(200).text, "ok");

    let mentions = app.all_mentions(&t.token).await;
    let mut ids: Vec<&str> = mentions.iter().map(|m| m["external_id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["photo-1234_77_r3", "wall-1234_5678", "wall-1234_5678_r9"]);
    assert!(mentions.iter().all(|m| m["brand_id"] == brand.as_str()));
    let comment = mentions.iter().find(|m| m["external_id"] == "wall-1234_5678_r9").unwrap();
    assert_eq!(comment["parent_external_id"], "wall-1234_5678");
    assert!(app.all_mentions(&other.token).await.is_empty(), "the other tenant got nothing");
    let s = app.get(&format!("/v1/sources/{id}")).token(&t.token).send().await.expect(200).body;
    assert_eq!(s["status"]["state"], "ok");
    assert_eq!(s["status"]["mentions_created"], 3);

    app.post(&format!("/v1/callbacks/vk/{}", uuid::Uuid::now_v7()))
        .json(json!({"type": "confirmation", "group_id": 1234}))
        .send()
        .await
        .problem(404);
    let feed = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "rss", "url": "https://news.example.com/rss", "platform": "news", "source_type": "news", "enabled": false}))
        .send()
        .await
        .expect(201);
    assert!(feed.body.get("secret").is_none());
    app.post(&format!("/v1/callbacks/vk/{}", feed.id()))
        .json(json!({"type": "confirmation", "group_id": 1234}))
        .send()
        .await
        .problem(404);
}
