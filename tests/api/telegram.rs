//! Telegram channels from their web preview, against a local stand-in of
//! t.me: pages back to the window, text, views, forwards and replies, and a
//! channel without a preview.

use serde_json::json;
use smrm_tests::standins::telegram::{Message, Telegram};
use smrm_tests::{spawn_connected, unix_now};

#[actix_web::test]
async fn a_channel_is_read_back_a_day_with_views_forwards_and_replies() {
    let now = unix_now();
    // 45 posts over the last 45 hours: three pages, of which the last day's are read.
    let mut messages: Vec<Message> =
        (1..=45).map(|i| Message::new(i, now - (46 - i as i64) * 3600, &format!("Пост {i} о <b>Дейнет</b>"))).collect();
    messages[44].forwarded_from = Some("Orig_Channel/7");
    messages[44].views = "12.3K";
    messages[43].reply_to = Some("DeynetNews/40");
    messages[42].html =
        "Ссылка: <a href=\"https://example.com\">сайт</a><br/>вторая строка &amp; <i class=\"emoji\"><b>🔥</b></i>"
            .into();
    let tg = Telegram::start(vec![("DeynetNews".into(), messages)]).await;
    let url = tg.server.url.clone();
    let app = spawn_connected(move |u| u.telegram = url).await;
    let t = app.signup("Telegram").await;
    let brand = app.brand(&t.token, "Дейнет").await;
    let id = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "telegram_channel", "config": {"channel": "@DeynetNews"}, "brand_id": brand, "poll_seconds": 3600}))
        .send()
        .await
        .expect(201)
        .id();
    let s = app.wait_source(&t.token, &id, |s| s["status"]["state"] != "never_run").await;
    assert_eq!(s["status"]["state"], "ok", "{s}");
    assert_eq!(s["config"], json!({"channel": "DeynetNews"}));
    assert_eq!((s["platform"].as_str(), s["source_type"].as_str()), (Some("telegram"), Some("messenger")));
    let mentions = app.all_mentions(&t.token).await;
    let mut ids: Vec<u64> = mentions
        .iter()
        .map(|m| m["external_id"].as_str().unwrap().rsplit('/').next().unwrap().parse().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, (23..=45).collect::<Vec<u64>>(), "the posts of the last day (22 is a day old), over two pages");
    let pages = tg.server.asked_on("/s/deynetnews");
    assert_eq!(pages.len(), 2, "the third page is older than the window");
    assert_eq!(pages[1].param("before"), Some("26"));

    let last = mentions.iter().find(|m| m["external_id"] == "deynetnews/45").unwrap();
    assert_eq!(last["url"], "https://t.me/deynetnews/45");
    assert_eq!(last["views"], 12_300);
    assert_eq!(last["repost_of_external_id"], "orig_channel/7");
    assert_eq!(last["text"], "Пост 45 о Дейнет");
    assert_eq!(last["author"]["handle"], "@deynetnews");
    assert_eq!(last["author"]["name"], "Дейнет News");
    assert_eq!(last["author"]["followers"], 60_500);
    assert_eq!(last["brand_id"], brand.as_str());
    let reply = mentions.iter().find(|m| m["external_id"] == "deynetnews/44").unwrap();
    assert_eq!(reply["parent_external_id"], "deynetnews/40");
    assert_eq!(reply["text"], "Пост 44 о Дейнет", "not the quoted reply");
    let linked = mentions.iter().find(|m| m["external_id"] == "deynetnews/43").unwrap();
    assert_eq!(linked["text"], "Ссылка: сайт вторая строка & 🔥");
}

#[actix_web::test]
async fn a_channel_without_a_public_preview_fails_clearly() {
    let tg = Telegram::start(vec![]).await;
    let url = tg.server.url.clone();
    let app = spawn_connected(move |u| u.telegram = url).await;
    let t = app.signup("No preview").await;
    let id = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "telegram_channel", "config": {"channel": "durov_private"}}))
        .send()
        .await
        .expect(201)
        .id();
    let s = app.wait_source(&t.token, &id, |s| s["status"]["state"] != "never_run").await;
    assert_eq!(s["status"]["state"], "failing");
    let error = s["status"]["last_error"].as_str().unwrap();
    assert!(error.contains("@durov_private has no public web preview"), "{error}");
}

#[actix_web::test]
async fn a_channel_whose_brand_was_deleted_says_what_to_do() {
    let tg =
        Telegram::start(vec![("DeynetNews".into(), vec![Message::new(1, unix_now() - 60, "Пост о Дейнет")])]).await;
    let url = tg.server.url.clone();
    let app = spawn_connected(move |u| u.telegram = url).await;
    let t = app.signup("Deleted brand").await;
    let brand = app.brand(&t.token, "Дейнет").await;
    let id = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "telegram_channel", "config": {"channel": "DeynetNews"}, "brand_id": brand, "poll_seconds": 3600}))
        .send()
        .await
        .expect(201)
        .id();
    let s = app.wait_source(&t.token, &id, |s| s["status"]["state"] != "never_run").await;
    assert_eq!(s["status"]["state"], "ok", "{s}");
    app.delete(&format!("/v1/brands/{brand}")).token(&t.token).send().await.expect(204);

    let asked = tg.server.asked().len();
    let last = s["status"]["last_run_at"].clone();
    app.post(&format!("/v1/sources/{id}/run")).token(&t.token).send().await.expect(202);
    let s = app.wait_source(&t.token, &id, |s| s["status"]["last_run_at"] != last).await;
    assert_eq!(s["status"]["state"], "failing");
    assert!(s["status"]["last_error"].as_str().unwrap().contains("was deleted"), "{s}");
    assert_eq!(tg.server.asked().len(), asked, "the platform is not asked for what cannot be stored");

    // Without a brand, the channel's posts are matched like any others.
    let patched = app
        .patch(&format!("/v1/sources/{id}"))
        .token(&t.token)
        .json(json!({"brand_id": null}))
        .send()
        .await
        .expect(200);
    assert_eq!(patched.body["brand_ids"], json!([]));
    let last = s["status"]["last_run_at"].clone();
    app.post(&format!("/v1/sources/{id}/run")).token(&t.token).send().await.expect(202);
    let s = app.wait_source(&t.token, &id, |s| s["status"]["last_run_at"] != last).await;
    assert_eq!(s["status"]["state"], "ok", "{s}");
}

#[actix_web::test]
async fn a_hung_platform_holds_only_its_own_runs() {
    let tg =
        Telegram::start(vec![("DeynetNews".into(), vec![Message::new(1, unix_now() - 60, "Пост о Дейнет")])]).await;
    let (url, hung) = (tg.server.url.clone(), smrm_tests::standins::black_hole().await);
    let app = spawn_connected(move |u| {
        u.telegram = url;
        u.hn = hung;
    })
    .await;
    let t = app.signup("Hung platform").await;
    app.brand(&t.token, "Дейнет").await;
    // Ten Hacker News searches hang on the platform (more than a kind's slots) …
    let mut hanging = Vec::new();
    for _ in 0..10 {
        let s = app.post("/v1/sources").token(&t.token).json(json!({"kind": "hn_search"})).send().await.expect(201);
        hanging.push(s.id());
    }
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1200)).await;
    // … and a channel added after them is read at once all the same.
    let started = std::time::Instant::now();
    let id = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "telegram_channel", "config": {"channel": "DeynetNews"}}))
        .send()
        .await
        .expect(201)
        .id();
    let s = app.wait_source(&t.token, &id, |s| s["status"]["state"] != "never_run").await;
    assert_eq!(s["status"]["state"], "ok", "{s}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "not held by the hung platform: {:?}",
        started.elapsed()
    );
    for h in &hanging {
        let s = app.get(&format!("/v1/sources/{h}")).token(&t.token).send().await.expect(200).body;
        assert_eq!(s["status"]["state"], "never_run", "still waiting on the hung platform: {s}");
    }
}
