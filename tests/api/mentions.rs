//! Mention monitoring over HTTP: batch ingest, matching, backfill, the inbox,
//! polling by `seq`, the CSV export and client scoping.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};
use smrm_tests::{TestApp, spawn_app, spawn_app_with};

fn post(external_id: &str, text: &str) -> Value {
    json!({
        "external_id": external_id,
        "platform": "vk",
        "source_type": "social",
        "text": text,
        "published_at": "2026-11-20T12:00:00Z",
        "author": {"handle": "@ivan", "name": "Иван", "followers": 100},
        "likes": 1, "comments": 2, "reposts": 3
    })
}

async fn ingest(app: &TestApp, token: &str, items: Vec<Value>) -> Value {
    app.post("/v1/mentions/batch").token(token).json(json!({ "items": items })).send().await.expect(200).body
}

async fn brand_with(app: &TestApp, token: &str, name: &str, keywords: Value, excluded: Value) -> String {
    let id = app
        .post("/v1/brands")
        .token(token)
        .json(json!({"name": name, "keywords": keywords, "excluded_keywords": excluded}))
        .send()
        .await
        .expect(201)
        .id();
    app.wait_backfill(token, &id).await;
    id
}

/// External ids of the mentions listed at `query`.
async fn listed(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let r = app.get(&format!("/v1/mentions?limit=200&{query}")).token(token).send().await.expect(200);
    r.body["data"].as_array().unwrap().iter().map(|m| m["external_id"].as_str().unwrap().to_owned()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[actix_web::test]
async fn matching_handles_inflections_hashtags_boundaries_and_exclusions() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let daynet = brand_with(&app, &t.token, "Daynet", json!(["Дейнет", "Daynet"]), json!(["daynet jobs"])).await;
    let r = ingest(
        &app,
        &t.token,
        vec![
            post("ru-gen", "Нет Дейнета в нашем районе"),
            post("ru-ins", "Доволен Дейнетом!"),
            post("ru-dat", "Спасибо Дейнету"),
            post("en-pl", "Two daynets and Daynet's app"),
            post("tag", "#daynet лучший"),
            post("boundary", "Daynetwork is down"),
            post("excluded", "Daynet jobs: we are hiring"),
            post("none", "Ничего про бренды"),
        ],
    )
    .await;
    assert_eq!(r["received"], 8);
    assert_eq!(r["created"], 5);
    assert_eq!(r["unmatched"], 3);
    assert_eq!(r["duplicates"], 0);
    assert_eq!(r["mention_ids"].as_array().unwrap().len(), 5);
    let got = sorted(listed(&app, &t.token, &format!("brand_id={daynet}")).await);
    assert_eq!(got, ["en-pl", "ru-dat", "ru-gen", "ru-ins", "tag"]);
    let r = app.get("/v1/mentions?limit=200").token(&t.token).send().await.expect(200);
    let m = r.body["data"].as_array().unwrap().iter().find(|m| m["external_id"] == "ru-ins").unwrap().clone();
    assert_eq!(m["matched_words"], json!(["дейнетом"]));
    assert_eq!(m["language"], "ru", "detected");
    assert_eq!(m["sentiment"]["origin"], "auto");
}

#[actix_web::test]
async fn a_post_about_two_brands_makes_two_mentions_of_one_post() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let a = brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let b = brand_with(&app, &t.token, "Megasvyaz", json!(["Мегасвязь"]), json!([])).await;
    let r = ingest(&app, &t.token, vec![post("both", "Daynet лучше Мегасвязи")]).await;
    assert_eq!(r["created"], 2);
    let r = app.get("/v1/mentions").token(&t.token).send().await.expect(200);
    let brands: HashSet<&str> =
        r.body["data"].as_array().unwrap().iter().map(|m| m["brand_id"].as_str().unwrap()).collect();
    assert_eq!(brands, HashSet::from([a.as_str(), b.as_str()]));
}

#[actix_web::test]
async fn re_sent_batches_create_nothing() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let items = vec![post("1", "Daynet one"), post("2", "Daynet two"), post("3", "nothing")];
    let first = ingest(&app, &t.token, items.clone()).await;
    assert_eq!((first["created"].as_u64(), first["unmatched"].as_u64()), (Some(2), Some(1)));
    let again = ingest(&app, &t.token, items).await;
    assert_eq!(again["created"], 0);
    assert_eq!(again["duplicates"], 3);
    assert_eq!(again["unmatched"], 0);
    assert_eq!(again["mention_ids"], json!([]));
    // The same post twice in one batch, and the same id on another platform.
    let mut other = post("1", "Daynet on telegram");
    other["platform"] = json!("telegram");
    let r = ingest(&app, &t.token, vec![post("4", "Daynet four"), post("4", "Daynet four"), other]).await;
    assert_eq!((r["created"].as_u64(), r["duplicates"].as_u64()), (Some(2), Some(1)));
    assert_eq!(listed(&app, &t.token, "").await.len(), 4);
}

/// New posts go in with a plain INSERT first on PostgreSQL; a batch that
/// repeats a stored post is written again skipping it, and the tenant's next
/// batches skip at once for a while. Whatever the way, every new post is
/// stored once and every repeat counted.
#[actix_web::test]
async fn partly_repeated_batches_store_each_new_post_once() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let batch = |ids: std::ops::Range<u32>| ids.map(|i| post(&format!("p{i}"), "Daynet")).collect::<Vec<_>>();
    let r = ingest(&app, &t.token, batch(0..2)).await;
    assert_eq!((r["created"].as_u64(), r["duplicates"].as_u64()), (Some(2), Some(0)));
    // The stored post last, so a plain INSERT has written the others when it fails.
    let r = ingest(&app, &t.token, [batch(2..4), batch(1..2)].concat()).await;
    assert_eq!((r["created"].as_u64(), r["duplicates"].as_u64()), (Some(2), Some(1)));
    // Enough new batches for the tenant to be tried with plain INSERTs again.
    for k in 0..20 {
        let r = ingest(&app, &t.token, batch(10 + 2 * k..12 + 2 * k)).await;
        assert_eq!((r["created"].as_u64(), r["duplicates"].as_u64()), (Some(2), Some(0)), "batch {k}");
    }
    let r = ingest(&app, &t.token, [batch(100..101), batch(0..4)].concat()).await;
    assert_eq!((r["created"].as_u64(), r["duplicates"].as_u64()), (Some(1), Some(4)));
    let stored = listed(&app, &t.token, "").await;
    assert_eq!(stored.len(), 2 + 2 + 40 + 1);
    assert_eq!(stored.iter().collect::<HashSet<_>>().len(), stored.len(), "no post stored twice");
}

#[actix_web::test]
async fn an_invalid_item_rejects_the_whole_batch() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let mut bad_date = post("2", "Daynet");
    bad_date["published_at"] = json!("yesterday");
    let r = app
        .post("/v1/mentions/batch")
        .token(&t.token)
        .json(json!({"items": [post("1", "Daynet"), bad_date]}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["items[1].published_at"]);
    let mut no_text = post("3", "x");
    no_text.as_object_mut().unwrap().remove("text");
    let mut bad_platform = post("4", "Daynet");
    bad_platform["platform"] = json!("VK Russia");
    let mut bad_lang = post("5", "Daynet");
    bad_lang["language"] = json!("russian");
    let r = app
        .post("/v1/mentions/batch")
        .token(&t.token)
        .json(json!({"items": [post("1", "Daynet"), no_text, bad_platform, bad_lang]}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["items[1].text", "items[2].platform", "items[3].language"]);
    let r = app.post("/v1/mentions/batch").token(&t.token).json(json!({"items": []})).send().await.problem(422);
    assert_eq!(r.fields(), ["items"]);
    let many: Vec<Value> = (0..1001).map(|i| post(&i.to_string(), "x")).collect();
    app.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": many })).send().await.problem(422);
    assert!(listed(&app, &t.token, "").await.is_empty(), "nothing was stored");
    let r = ingest(&app, &t.token, vec![post("1", "Daynet")]).await;
    assert_eq!(r["created"], 1, "post 1 was not stored by the rejected batches");
}

#[actix_web::test]
async fn restricted_posts_need_a_brand_and_are_flagged() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let brand = brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let mut restricted = post("r", "");
    restricted.as_object_mut().unwrap().remove("text");
    restricted["brand_id"] = json!(brand);
    // A collector-assigned brand is taken as is, whatever the text says.
    let mut assigned = post("a", "no keyword here");
    assigned["brand_id"] = json!(brand);
    let r = ingest(&app, &t.token, vec![restricted, assigned]).await;
    assert_eq!(r["created"], 2);
    let all = app.get("/v1/mentions").token(&t.token).send().await.expect(200).body;
    let r = all["data"].as_array().unwrap().iter().find(|m| m["external_id"] == "r").unwrap();
    assert_eq!(r["restricted"], true);
    assert!(r["text"].is_null());
    let a = all["data"].as_array().unwrap().iter().find(|m| m["external_id"] == "a").unwrap();
    assert_eq!(a["restricted"], false);
    assert_eq!(a["matched_words"], json!([]));
    let mut foreign = post("f", "x");
    foreign["brand_id"] = json!(uuid::Uuid::now_v7());
    let r = app.post("/v1/mentions/batch").token(&t.token).json(json!({"items": [foreign]})).send().await.problem(422);
    assert_eq!(r.fields(), ["items[0].brand_id"]);
}

#[actix_web::test]
async fn a_manual_label_wins_and_survives_re_ingest() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let mut p = post("1", "Daynet is great");
    p["sentiment"] = json!("positive");
    let r = ingest(&app, &t.token, vec![p.clone()]).await;
    let id = r["mention_ids"][0].as_str().unwrap().to_owned();
    let m = app.get(&format!("/v1/mentions/{id}")).token(&t.token).send().await.expect(200).body;
    assert_eq!(m["sentiment"], json!({"label": "positive", "score": 1.0, "origin": "provided"}));
    let m = app
        .patch(&format!("/v1/mentions/{id}"))
        .token(&t.token)
        .json(json!({"sentiment": "negative", "status": "in_progress", "tags": ["billing", " billing "], "assignee_id": t.owner_id}))
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(m["sentiment"]["origin"], "manual");
    assert_eq!(m["tags"], json!(["billing"]));
    assert_eq!(m["assignee_id"], t.owner_id.as_str());
    ingest(&app, &t.token, vec![p]).await;
    let m = app.get(&format!("/v1/mentions/{id}")).token(&t.token).send().await.expect(200).body;
    assert_eq!(m["sentiment"], json!({"label": "negative", "score": -1.0, "origin": "manual"}));
    assert_eq!(m["status"], "in_progress");
    // Unassign with null; an unknown assignee is named.
    let m = app
        .patch(&format!("/v1/mentions/{id}"))
        .token(&t.token)
        .json(json!({"assignee_id": null}))
        .send()
        .await
        .expect(200);
    assert!(m.body["assignee_id"].is_null());
    let r = app
        .patch(&format!("/v1/mentions/{id}"))
        .token(&t.token)
        .json(json!({"assignee_id": uuid::Uuid::now_v7(), "status": "done"}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["status"]);
    let r = app
        .patch(&format!("/v1/mentions/{id}"))
        .token(&t.token)
        .json(json!({"assignee_id": uuid::Uuid::now_v7()}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["assignee_id"]);
}

#[actix_web::test]
async fn backfill_brings_a_new_brand_its_history_and_follows_query_changes() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let r = ingest(
        &app,
        &t.token,
        vec![
            post("1", "Мегасвязь снова упала"),
            post("2", "Про Мегасвязь и тарифы"),
            post("3", "Погода"),
            post("4", "#megasvyaz"),
        ],
    )
    .await;
    assert_eq!(r["unmatched"], 4);
    let brand = app
        .post("/v1/brands")
        .token(&t.token)
        .json(json!({"name": "Megasvyaz", "keywords": ["Мегасвязь", "megasvyaz"]}))
        .send()
        .await
        .expect(201);
    assert_eq!(brand.body["backfill"]["status"], "pending");
    let id = brand.id();
    let b = app.wait_backfill(&t.token, &id).await;
    assert_eq!(b["backfill"]["matched"], 3);
    assert_eq!(sorted(listed(&app, &t.token, &format!("brand_id={id}")).await), ["1", "2", "4"]);

    // Someone works on post 2's mention; then the query narrows to the hashtag only.
    let r = app
        .get(&format!("/v1/mentions?brand_id={id}&q=%D1%82%D0%B0%D1%80%D0%B8%D1%84%D1%8B"))
        .token(&t.token)
        .send()
        .await
        .expect(200);
    let worked = r.body["data"][0]["id"].as_str().unwrap().to_owned();
    app.patch(&format!("/v1/mentions/{worked}"))
        .token(&t.token)
        .json(json!({"tags": ["keep"]}))
        .send()
        .await
        .expect(200);
    let r = app
        .patch(&format!("/v1/brands/{id}"))
        .token(&t.token)
        .json(json!({"keywords": ["megasvyaz"]}))
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["backfill"]["status"], "pending");
    let b = app.wait_backfill(&t.token, &id).await;
    assert_eq!(b["backfill"]["removed"], 1, "post 1 no longer matches; post 2 was worked on and stays");
    assert_eq!(sorted(listed(&app, &t.token, &format!("brand_id={id}")).await), ["2", "4"]);
    // A rename changes no query: no backfill.
    let r = app
        .patch(&format!("/v1/brands/{id}"))
        .token(&t.token)
        .json(json!({"name": "MegaSvyaz"}))
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["backfill"]["status"], "done");
}

#[actix_web::test]
async fn every_filter_narrows_the_inbox() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let a = brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let b = brand_with(&app, &t.token, "Rival", json!(["Rival"]), json!([])).await;
    let mut p1 = post("p1", "Daynet отличный, спасибо");
    p1["platform"] = json!("telegram");
    p1["sentiment"] = json!("positive");
    p1["published_at"] = json!("2026-11-01T10:00:00Z");
    let mut p2 = post("p2", "Daynet ужасный");
    p2["source_type"] = json!("review");
    p2["sentiment"] = json!("negative");
    p2["author"] = json!({"handle": "@Petr"});
    p2["published_at"] = json!("2026-11-10T10:00:00Z");
    let mut p3 = post("p3", "Rival: обычный день, 100% uptime");
    p3["sentiment"] = json!("neutral");
    p3["published_at"] = json!("2026-11-20T10:00:00Z");
    ingest(&app, &t.token, vec![p1, p2, p3]).await;
    let p2_id = app.get("/v1/mentions?author=petr").token(&t.token).send().await.expect(200).body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.patch(&format!("/v1/mentions/{p2_id}"))
        .token(&t.token)
        .json(json!({"status": "answered"}))
        .send()
        .await
        .expect(200);

    for (query, expected) in [
        (format!("brand_id={a}"), vec!["p2", "p1"]),
        (format!("brand_id={b}"), vec!["p3"]),
        ("platform=telegram".into(), vec!["p1"]),
        ("source_type=review".into(), vec!["p2"]),
        ("sentiment=negative".into(), vec!["p2"]),
        ("status=answered".into(), vec!["p2"]),
        ("status=new".into(), vec!["p3", "p1"]),
        ("author=%40PETR".into(), vec!["p2"]),
        ("q=%D0%A3%D0%96%D0%90%D0%A1".into(), vec!["p2"]),
        ("q=100%25".into(), vec!["p3"]),
        ("q=___".into(), vec![]), // taken literally, not as wildcards
        ("from=2026-11-05T00:00:00Z".into(), vec!["p3", "p2"]),
        ("to=2026-11-10T10:00:00Z".into(), vec!["p1"]),
        ("from=2026-11-01T10:00:00Z&to=2026-11-20T10:00:00Z".into(), vec!["p2", "p1"]),
        (format!("brand_id={a}&sentiment=positive&platform=telegram"), vec!["p1"]),
    ] {
        assert_eq!(listed(&app, &t.token, &query).await, expected, "{query}");
    }
    for (query, field) in [
        ("sentiment=angry", "sentiment"),
        ("from=2026-11-05T00:00:00Z&to=2026-11-01T00:00:00Z", "from"),
        ("from=yesterday", "from"),
        ("since_seq=-1", "since_seq"),
        ("cursor=zzz", "cursor"),
        ("colour=red", "colour"),
    ] {
        let r = app.get(&format!("/v1/mentions?{query}")).token(&t.token).send().await.problem(422);
        assert_eq!(r.fields(), [field], "{query}");
    }
}

#[actix_web::test]
async fn newest_first_paging_and_since_seq_polling_never_skip() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    // 30 posts at 10 distinct times: ties broken by seq.
    let items: Vec<Value> = (0..30)
        .map(|i| {
            let mut p = post(&format!("p{i:02}"), "Daynet");
            p["published_at"] = json!(format!("2026-11-{:02}T10:00:00Z", 1 + i % 10));
            p
        })
        .collect();
    ingest(&app, &t.token, items).await;

    let mut newest = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = app.get(&format!("/v1/mentions?limit=7{cursor}")).token(&t.token).send().await.expect(200);
        newest.extend(
            r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| (m["published_at"].as_str().unwrap().to_owned(), m["seq"].as_i64().unwrap())),
        );
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(newest.len(), 30);
    let mut expected = newest.clone();
    expected.sort_by(|x, y| y.cmp(x));
    assert_eq!(newest, expected, "newest first, ties by seq");

    // A poller that remembers the last seq sees every mention once, in storing
    // order, including ones stored between its polls and backfilled ones.
    let mut seen = Vec::new();
    let mut last = 0;
    let poll = |last: i64| app.get(&format!("/v1/mentions?since_seq={last}&limit=4")).token(&t.token).send();
    loop {
        let r = poll(last).await.expect(200);
        let page: Vec<i64> = r.body["data"].as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()).collect();
        if page.is_empty() {
            break;
        }
        last = *page.last().unwrap();
        seen.extend(page);
        if seen.len() == 12 {
            ingest(&app, &t.token, vec![post("late", "Daynet late")]).await;
        }
    }
    app.post("/v1/brands")
        .token(&t.token)
        .json(json!({"name": "Late brand", "keywords": ["late"]}))
        .send()
        .await
        .expect(201);
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    let r = poll(last).await.expect(200);
    seen.extend(r.body["data"].as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()));
    assert_eq!(seen, (1..=32).collect::<Vec<i64>>(), "every seq once, in order, the backfilled one last");
}

#[actix_web::test]
async fn the_csv_export_streams_every_row_with_the_same_filters() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let mut items: Vec<Value> = (0..620).map(|i| post(&format!("p{i}"), "Daynet, \"quoted\"\nnew line")).collect();
    items.push(post("formula", "=HYPERLINK(\"x\") Daynet"));
    for chunk in items.chunks(400) {
        ingest(&app, &t.token, chunk.to_vec()).await;
    }
    let r = app.get("/v1/mentions/export.csv").token(&t.token).send().await.expect(200);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    let rows = parse_csv(&r.text);
    assert_eq!(rows[0][0], "id");
    assert_eq!(rows.len(), 1 + 621, "a header and one row per mention, across export pages");
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    let (text, external) = (col("text"), col("external_id"));
    let ids: HashSet<&str> = rows[1..].iter().map(|r| r[external].as_str()).collect();
    assert_eq!(ids.len(), 621, "no row twice");
    let formula = rows.iter().find(|r| r[external] == "formula").unwrap();
    assert_eq!(formula[text], "'=HYPERLINK(\"x\") Daynet", "formulas are made inert");
    let plain = rows.iter().find(|r| r[external] == "p7").unwrap();
    assert_eq!(plain[text], "Daynet, \"quoted\"\nnew line", "quotes and new lines survive");
    let r = app.get("/v1/mentions/export.csv?q=hyperlink").token(&t.token).send().await.expect(200);
    assert_eq!(parse_csv(&r.text).len(), 2);
    let r = app.get("/v1/mentions/export.csv?platform=none").token(&t.token).send().await.expect(200);
    assert_eq!(parse_csv(&r.text).len(), 1, "just the header");
}

/// A small RFC 4180 reader for the test.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cell.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    rows
}

#[actix_web::test]
async fn clients_and_other_tenants_see_only_what_is_theirs() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let mine = brand_with(&app, &t.token, "Mine", json!(["Mine"]), json!([])).await;
    brand_with(&app, &t.token, "Other", json!(["Other"]), json!([])).await;
    let r = ingest(&app, &t.token, vec![post("m", "Mine is good"), post("o", "Other is good")]).await;
    let ids: Vec<String> =
        r["mention_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    let client = app.user_token(&t.token, "client", &[&mine]).await;
    assert_eq!(listed(&app, &client, "").await, ["m"]);
    assert_eq!(listed(&app, &client, "since_seq=0").await, ["m"]);
    app.get(&format!("/v1/mentions/{}", ids[0])).token(&client).send().await.expect(200);
    app.get(&format!("/v1/mentions/{}", ids[1])).token(&client).send().await.problem(404);
    let csv = app.get("/v1/mentions/export.csv").token(&client).send().await.expect(200);
    assert_eq!(parse_csv(&csv.text).len(), 2);
    app.post("/v1/mentions/batch").token(&client).json(json!({"items": [post("x", "Mine")]})).send().await.problem(403);
    app.patch(&format!("/v1/mentions/{}", ids[0]))
        .token(&client)
        .json(json!({"status": "ignored"}))
        .send()
        .await
        .problem(403);

    let other = app.signup("Other tenant").await;
    assert!(listed(&app, &other.token, "").await.is_empty());
    for id in &ids {
        app.get(&format!("/v1/mentions/{id}")).token(&other.token).send().await.problem(404);
        app.patch(&format!("/v1/mentions/{id}"))
            .token(&other.token)
            .json(json!({"status": "ignored"}))
            .send()
            .await
            .problem(404);
    }
    // The same external ids are another tenant's own posts.
    let r = ingest(&app, &other.token, vec![post("m", "Mine is good")]).await;
    assert_eq!((r["duplicates"].as_u64(), r["unmatched"].as_u64()), (Some(0), Some(1)));
}

#[actix_web::test]
async fn a_batch_retried_with_its_idempotency_key_is_replayed() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let body = json!({"items": [post("1", "Daynet")]});
    let first = app
        .post("/v1/mentions/batch")
        .token(&t.token)
        .header("idempotency-key", "b-1")
        .json(body.clone())
        .send()
        .await
        .expect(200);
    let again = app
        .post("/v1/mentions/batch")
        .token(&t.token)
        .header("idempotency-key", "b-1")
        .json(body)
        .send()
        .await
        .expect(200);
    assert_eq!(again.body, first.body, "the first answer, with its mention_ids");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
}

#[actix_web::test]
async fn preview_without_texts_tries_the_stored_posts_of_the_last_30_days() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let recent = days_ago(2);
    let old = days_ago(40);
    let mut a = post("recent", "Мегасвязью доволен");
    a["published_at"] = json!(recent);
    let mut b = post("old", "Мегасвязь давно");
    b["published_at"] = json!(old);
    ingest(&app, &t.token, vec![a, b, post("other", "ничего")]).await;
    let r = app
        .post("/v1/brands/preview")
        .token(&t.token)
        .json(json!({"keywords": ["Мегасвязь"]}))
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["matched"], 1);
    assert_eq!(r.body["matches"][0]["post"]["external_id"], "recent");
    assert!(r.body["matches"][0]["index"].is_null());
    assert_eq!(r.body["matches"][0]["matched_words"], json!(["мегасвязью"]));
}

/// An RFC 3339 time `days` before now.
fn days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc3339()
}

#[actix_web::test]
async fn hostile_values_are_422_never_500() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let mut nul = post("1", "Daynet \u{0} zero");
    nul["author"]["handle"] = json!("@a\u{0}b");
    let mut ancient = post("2", "Daynet");
    ancient["published_at"] = json!("1900-01-01T00:00:00Z");
    let mut huge = post("3", "Daynet");
    huge["likes"] = json!(18_446_744_073_709_551_615u64);
    let r = app
        .post("/v1/mentions/batch")
        .token(&t.token)
        .json(json!({"items": [nul, ancient, huge]}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["items[0].text", "items[0].author.handle", "items[1].published_at", "items[2].likes"]);
    let r = app.get("/v1/mentions?q=%00&from=0001-01-01T00:00:00Z").token(&t.token).send().await.problem(422);
    assert_eq!(r.fields(), ["q", "from"]);
    let id = ingest(&app, &t.token, vec![post("4", "Daynet")]).await["mention_ids"][0].as_str().unwrap().to_owned();
    let r = app
        .patch(&format!("/v1/mentions/{id}"))
        .token(&t.token)
        .json(json!({"tags": ["a\u{0}"]}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["tags[0]"]);
}

#[actix_web::test]
async fn sub_microsecond_times_page_without_skipping() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let items = (0..3)
        .map(|i| {
            let mut p = post(&format!("n{i}"), "Daynet");
            p["published_at"] = json!("2026-01-01T00:00:00.123456789Z");
            p
        })
        .collect();
    ingest(&app, &t.token, items).await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = app.get(&format!("/v1/mentions?limit=1{cursor}")).token(&t.token).send().await.expect(200);
        seen.extend(r.body["data"].as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()));
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, [3, 2, 1]);
}

#[actix_web::test]
async fn concurrent_overlapping_batches_lose_and_duplicate_nothing() {
    overlapping_batches(spawn_app().await).await;
}

/// The same with batch INSERTs written as `VALUES` lists
/// (`SMRM_BATCH_INSERTS=values`, which Citus routes to the tenant's shard):
/// on SQLite it changes nothing.
#[actix_web::test]
async fn concurrent_overlapping_batches_as_values_lists_lose_and_duplicate_nothing() {
    overlapping_batches(spawn_app_with(|c| c.batch_inserts = smrm_infra::BatchInserts::Values).await).await;
}

async fn overlapping_batches(app: TestApp) {
    let t = app.signup("Concurrent").await;
    let brand = brand_with(&app, &t.token, "Дейнет", json!(["Дейнет"]), json!([])).await;
    // Eight batches of 60 posts, each sharing 30 with the next: 270 posts in
    // all, every one sent once or twice, all at the same time.
    let batches: Vec<Vec<Value>> = (0..8)
        .map(|b| (b * 30..b * 30 + 60).map(|i| post(&format!("p{i}"), &format!("пост {i} про Дейнет"))).collect())
        .collect();
    let answers = futures_util::future::join_all(
        batches
            .iter()
            .map(|items| app.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": items })).send()),
    )
    .await;
    let created: u64 = answers.into_iter().map(|r| r.expect(200).body["created"].as_u64().unwrap()).sum();
    assert_eq!(created, 270, "every distinct post makes exactly one mention");
    let again = app.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": batches[3] })).send().await;
    let again = again.expect(200).body;
    assert_eq!((again["created"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(60)), "{again}");

    app.assert_polled_once_each(&t.token, 270).await;
    let report = app
        .get(&format!("/v1/brands/{brand}/sentiment?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z"))
        .token(&t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(report.body["all"]["total"], 270, "the rollups count each mention once");
}

#[actix_web::test]
async fn deleting_a_brand_removes_its_mentions_and_rollups_only() {
    let app = spawn_app().await;
    let t = app.signup("Deletion").await;
    let gone = brand_with(&app, &t.token, "Дейнет", json!(["Дейнет"]), json!([])).await;
    let kept = brand_with(&app, &t.token, "Мегасвязь", json!(["Мегасвязь"]), json!([])).await;
    ingest(
        &app,
        &t.token,
        vec![post("a", "Дейнет и Мегасвязь"), post("b", "только Дейнет"), post("c", "только Мегасвязь")],
    )
    .await;
    app.delete(&format!("/v1/brands/{gone}")).token(&t.token).send().await.expect(204);

    assert_eq!(sorted(listed(&app, &t.token, "").await), ["a", "c"]);
    assert!(listed(&app, &t.token, &format!("brand_id={gone}")).await.is_empty());
    let period = "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";
    let url = |b: &str| format!("/v1/brands/{b}/sentiment?{period}");
    app.get(&url(&gone)).token(&t.token).send().await.problem(404);
    assert_eq!(app.get(&url(&kept)).token(&t.token).send().await.expect(200).body["all"]["total"], 2);

    // The posts stay: a new brand with the same query finds them again,
    // and its rollups start from zero, not from the deleted brand's.
    let again = brand_with(&app, &t.token, "Дейнет", json!(["Дейнет"]), json!([])).await;
    assert_eq!(sorted(listed(&app, &t.token, &format!("brand_id={again}")).await), ["a", "b"]);
    assert_eq!(app.get(&url(&again)).token(&t.token).send().await.expect(200).body["all"]["total"], 2);
}

#[actix_web::test]
async fn ingest_backfill_relabels_and_deletion_running_together_all_succeed() {
    let app = spawn_app().await;
    let t = app.signup("Together").await;
    let kept = brand_with(&app, &t.token, "Дейнет", json!(["Дейнет"]), json!([])).await;
    let doomed = brand_with(&app, &t.token, "Мегасвязь", json!(["Мегасвязь"]), json!([])).await;
    let first = ingest(&app, &t.token, (0..40).map(|i| post(&format!("old{i}"), "Дейнет и Мегасвязь")).collect()).await;
    let relabel: Vec<String> =
        first["mention_ids"].as_array().unwrap().iter().take(10).map(|v| v.as_str().unwrap().to_owned()).collect();

    // Everything that takes the tenant's locks, at once: batches, a new
    // brand (its backfill), a deletion and manual labels.
    let batches = (0..4).map(|b| {
        let items: Vec<Value> = (0..50).map(|i| post(&format!("new{b}-{i}"), "Дейнет, Мегасвязь и Телелайн")).collect();
        app.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": items })).send()
    });
    let labels = relabel.iter().map(|id| {
        app.patch(&format!("/v1/mentions/{id}")).token(&t.token).json(json!({"sentiment": "negative"})).send()
    });
    let brand = app.post("/v1/brands").token(&t.token).json(json!({"name": "Телелайн", "keywords": ["Телелайн"]}));
    let deletion = app.delete(&format!("/v1/brands/{doomed}")).token(&t.token);
    let (batches, labels, brand, deletion) = futures_util::join!(
        futures_util::future::join_all(batches),
        futures_util::future::join_all(labels),
        brand.send(),
        deletion.send()
    );
    for r in batches {
        r.expect(200);
    }
    for r in labels {
        assert!(r.status == 200 || r.status == 404, "a relabel answered {}", r.status);
    }
    let added = brand.expect(201).id();
    deletion.expect(204);
    app.wait_backfill(&t.token, &added).await;

    let count = |brand: String| {
        let app = &app;
        let token = t.token.clone();
        async move {
            let url = format!("/v1/brands/{brand}/sentiment?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z");
            app.get(&url).token(&token).send().await.expect(200).body["all"]["total"].as_u64().unwrap()
        }
    };
    assert_eq!(count(kept.clone()).await, 240, "40 old and 200 new posts name the kept brand");
    assert_eq!(count(added.clone()).await, 200, "the new brand has every new post, by ingest or backfill");
    assert!(listed(&app, &t.token, &format!("brand_id={doomed}")).await.is_empty());
    assert_eq!(listed(&app, &t.token, &format!("brand_id={kept}")).await.len(), 200, "a page holds 200");
}

#[actix_web::test]
async fn people_changing_different_fields_at_once_both_win() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let items: Vec<Value> = (0..12).map(|i| post(&format!("p{i}"), "Daynet again")).collect();
    let r = ingest(&app, &t.token, items).await;
    let ids: Vec<String> =
        r["mention_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    // For every mention, at the same time: one person sets the status,
    // another the tags, a third the label.
    let patches = ids.iter().flat_map(|id| {
        let path = format!("/v1/mentions/{id}");
        [json!({"status": "in_progress"}), json!({"tags": ["billing"]}), json!({"sentiment": "negative"})].map(|body| {
            let path = path.clone();
            let token = t.token.clone();
            let app = &app;
            async move { app.patch(&path).token(&token).json(body).send().await.expect(200) }
        })
    });
    futures_util::future::join_all(patches).await;
    for id in &ids {
        let m = app.get(&format!("/v1/mentions/{id}")).token(&t.token).send().await.expect(200).body;
        assert_eq!(m["status"], "in_progress", "{m}");
        assert_eq!(m["tags"], json!(["billing"]), "{m}");
        assert_eq!(m["sentiment"]["label"], "negative", "{m}");
        assert_eq!(m["sentiment"]["origin"], "manual", "{m}");
    }
    // The rollups moved each mention exactly once.
    let brand = app.get("/v1/brands").token(&t.token).send().await.expect(200).body["data"][0]["id"].clone();
    let url =
        format!("/v1/brands/{}/sentiment?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z", brand.as_str().unwrap());
    let report = app.get(&url).token(&t.token).send().await.expect(200).body;
    assert_eq!(report["all"]["negative"], 12, "{report}");
    assert_eq!(report["all"]["total"], 12, "{report}");
}

#[actix_web::test]
async fn a_backfill_over_several_pages_keeps_its_claim_to_the_end() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    // 2,500 stored posts: the backfill reads them in pages of 1,000 and
    // renews its claim between pages.
    for b in 0..5 {
        let items: Vec<Value> = (0..500).map(|i| post(&format!("b{b}-{i}"), "Zorbix on sale")).collect();
        ingest(&app, &t.token, items).await;
    }
    let brand = brand_with(&app, &t.token, "Zorbix", json!(["Zorbix"]), json!([])).await;
    let b = app.wait_backfill(&t.token, &brand).await;
    assert_eq!(b["backfill"]["matched"], 2500, "{b}");
    assert_eq!(listed(&app, &t.token, &format!("brand_id={brand}")).await.len(), 200, "a full first page");
}

/// Every optional field of a post is stored as given, or as absent (on
/// PostgreSQL posts are written as one array per column, NULLs as a mask).
#[actix_web::test]
async fn optional_post_fields_are_stored_as_given_or_absent() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let full = json!({
        "external_id": "full", "platform": "vk", "source_type": "news",
        "url": "https://example.com/a", "title": "Daynet news", "text": "Daynet is fine",
        "language": "en", "published_at": "2026-11-20T12:00:00Z",
        "author": {"external_id": "42", "handle": "@ivan", "name": "Иван", "followers": 0},
        "likes": 0, "comments": 5, "reposts": 6, "views": 7, "reach": 900_000_000_000u64,
        "sentiment": "positive"
    });
    let bare = json!({
        "external_id": "bare", "platform": "vk", "source_type": "social", "text": "Daynet",
        "published_at": "2026-11-20T12:00:00Z", "author": {"handle": "@anon"}
    });
    let r = ingest(&app, &t.token, vec![full.clone(), bare]).await;
    assert_eq!(r["created"], 2);
    let listed = app.get("/v1/mentions").token(&t.token).send().await.expect(200).body;
    let find = |id: &str| listed["data"].as_array().unwrap().iter().find(|m| m["external_id"] == id).unwrap().clone();
    let f = find("full");
    for field in ["url", "title", "text", "language", "likes", "comments", "reposts", "views", "reach"] {
        assert_eq!(f[field], full[field], "{field}");
    }
    assert_eq!(f["author"], full["author"]);
    assert_eq!(f["source_type"], "news");
    assert_eq!(f["sentiment"]["label"], "positive");
    assert_eq!(f["sentiment"]["origin"], "provided");
    let b = find("bare");
    for field in ["url", "title", "likes", "comments", "reposts", "views", "reach"] {
        assert!(b[field].is_null(), "{field} is absent: {}", b[field]);
    }
    assert!(
        b["author"]["external_id"].is_null() && b["author"]["name"].is_null() && b["author"]["followers"].is_null()
    );
    assert_eq!(b["author"]["handle"], "@anon");
    assert_eq!(b["sentiment"]["origin"], "auto");
    assert_eq!(b["text"], "Daynet");
}

#[actix_web::test]
async fn a_post_sent_again_with_other_counts_updates_it_and_every_report() {
    let app = spawn_app().await;
    let t = app.signup("Counts").await;
    let brand = app.brand(&t.token, "Дейнет").await;
    let at = "2026-11-20T10:00:00Z";
    let post = |id: &str, likes: Option<u64>, views: Option<u64>, handle: &str| {
        let mut p = json!({"external_id": id, "platform": "vk", "source_type": "social", "text": "Дейнет работает",
            "published_at": at, "author": {"handle": handle}, "comments": 1});
        if let Some(l) = likes {
            p["likes"] = l.into();
        }
        if let Some(v) = views {
            p["views"] = v.into();
        }
        p
    };
    let first = app
        .post("/v1/mentions/batch")
        .token(&t.token)
        .json(json!({"items": [post("p1", Some(10), Some(100), "@a"), post("p2", Some(5), None, "@b")]}))
        .send()
        .await
        .expect(200);
    assert_eq!((first.body["created"].as_u64(), first.body["updated"].as_u64()), (Some(2), Some(0)));
    let q = format!("/v1/brands/{brand}/engagement?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z");
    let before = app.get(&q).token(&t.token).send().await.expect(200).body;
    assert_eq!((before["likes"].as_u64(), before["views"].as_u64()), (Some(15), Some(100)));

    // p1 again with more likes and no views (the stored views stay); p2 as it was.
    let again = app
        .post("/v1/mentions/batch")
        .token(&t.token)
        .json(json!({"items": [post("p1", Some(25), None, "@a"), post("p2", Some(5), None, "@b")]}))
        .send()
        .await
        .expect(200);
    assert_eq!(again.body["created"], 0);
    assert_eq!(again.body["duplicates"], 2);
    assert_eq!(again.body["updated"], 1);
    assert_eq!(again.body["mention_ids"], json!([]));

    let mentions = app.all_mentions(&t.token).await;
    assert_eq!(mentions.len(), 2, "never a second mention");
    let p1 = mentions.iter().find(|m| m["external_id"] == "p1").unwrap();
    assert_eq!((p1["likes"].as_u64(), p1["views"].as_u64(), p1["comments"].as_u64()), (Some(25), Some(100), Some(1)));
    let after = app.get(&q).token(&t.token).send().await.expect(200).body;
    assert_eq!((after["likes"].as_u64(), after["views"].as_u64()), (Some(30), Some(100)), "the report moved: {after}");
    assert_eq!(after["mentions"], 2);
    assert_eq!(after["engagement"].as_u64(), Some(32));
    let authors = app
        .get(&format!("/v1/brands/{brand}/authors?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z&sort=engagement"))
        .token(&t.token)
        .send()
        .await
        .expect(200)
        .body;
    let top = &authors["data"][0];
    assert_eq!(
        (top["handle"].as_str(), top["engagement"].as_u64(), top["mentions"].as_u64()),
        (Some("@a"), Some(26), Some(1)),
        "{authors}"
    );
}

/// `q` finds substrings of the folded text (any case, `ё` as `е`, `%`, `_`
/// and quotes taken literally) within the tenant; shorter than three
/// characters it is refused.
#[actix_web::test]
async fn text_search_finds_substrings() {
    let app = spawn_app().await;
    let t = app.signup("Searchers").await;
    let other = app.signup("Others").await;
    for tenant in [&t, &other] {
        brand_with(&app, &tenant.token, "Daynet", json!(["Daynet"]), json!([])).await;
    }
    ingest(
        &app,
        &t.token,
        vec![
            post("1", "Тарифы Daynet выросли"),
            post("2", "Daynet: скидка 50%_off \"now\""),
            post("3", "Daynet и ёлка"),
            post("4", "Daynet 50xyoff now"),
        ],
    )
    .await;
    ingest(&app, &other.token, vec![post("5", "Daynet тарифы")]).await;
    let search = |q: &str| format!("q={}", urlencode(q));
    assert_eq!(listed(&app, &t.token, &search("РИФ")).await, ["1"]);
    assert_eq!(listed(&app, &t.token, &search("50%_off \"")).await, ["2"]);
    assert_eq!(listed(&app, &t.token, &search("елк")).await, ["3"]);
    assert_eq!(listed(&app, &t.token, &search("  ЁЛКА ")).await, ["3"]);
    assert!(listed(&app, &t.token, &search("nothing like it")).await.is_empty());
    assert_eq!(listed(&app, &other.token, &search("тарифы")).await, ["5"]);
    let csv = app.get(&format!("/v1/mentions/export.csv?{}", search("тариф"))).token(&t.token).send().await.expect(200);
    assert_eq!(parse_csv(&csv.text).len(), 2, "the header and post 1");
    for short in ["ab", "  ри  ", "ё"] {
        let r = app.get(&format!("/v1/mentions?{}", search(short))).token(&t.token).send().await.problem(422);
        assert_eq!(r.fields(), ["q"]);
    }
}

/// A search page reads at most 10,000 mentions from its cursor: past them it
/// answers what it found with a cursor to go on, so no request reads more
/// however many mentions the tenant keeps, and paging (or the export) finds
/// everything, reading each mention once.
#[actix_web::test]
async fn a_search_reads_a_bounded_window_per_page_and_pages_on() {
    let app = spawn_app().await;
    let t = app.signup("Haystack").await;
    brand_with(&app, &t.token, "Daynet", json!(["Daynet"]), json!([])).await;
    let mut needle = post("needle", "Daynet: иголка в стоге");
    needle["published_at"] = json!("2026-11-01T00:00:00Z");
    ingest(&app, &t.token, vec![needle]).await;
    for batch in 0..10 {
        let items = (0..1000).map(|i| post(&format!("hay{batch}-{i}"), &format!("Daynet, сено {i}"))).collect();
        ingest(&app, &t.token, items).await;
    }
    let first =
        app.get(&format!("/v1/mentions?limit=50&{}", "q=%D0%B8%D0%B3%D0%BE%D0%BB")).token(&t.token).send().await;
    let first = first.expect(200);
    assert_eq!(first.body["data"], json!([]), "the newest 10,000 hold no needle");
    let cursor = first.body["next_cursor"].as_str().expect("the search goes on").to_owned();
    let second = app
        .get(&format!("/v1/mentions?limit=50&q=%D0%B8%D0%B3%D0%BE%D0%BB&cursor={cursor}"))
        .token(&t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(second.body["data"][0]["external_id"], "needle");
    assert_eq!(second.body["next_cursor"], Value::Null);
    let csv = app.get("/v1/mentions/export.csv?q=%D0%B8%D0%B3%D0%BE%D0%BB").token(&t.token).send().await.expect(200);
    let rows = parse_csv(&csv.text);
    assert_eq!(rows.len(), 2, "the header and the needle, across empty windows");
    // Without a search, the same listing pages by `limit` as always.
    let r = app.get("/v1/mentions?limit=200").token(&t.token).send().await.expect(200);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 200);
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
