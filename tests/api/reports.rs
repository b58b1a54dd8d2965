//! Reports on a small dataset whose answers are computed by hand below.

use serde_json::{Value, json};
use smrm_tests::{Tenant, TestApp, spawn_app};

struct Data {
    t: Tenant,
    a: String,
    b: String,
    c: String,
    set: String,
}

#[allow(clippy::too_many_arguments)]
fn post(
    id: &str,
    text: &str,
    at: &str,
    source: &str,
    platform: &str,
    sentiment: &str,
    likes: u64,
    reach: u64,
) -> Value {
    json!({
        "external_id": id, "platform": platform, "source_type": source, "text": text, "published_at": at,
        "author": {"handle": format!("@{id}")}, "sentiment": sentiment, "likes": likes, "reach": reach
    })
}

/// Brands A (Daynet), B (Rival), C (Third) in one set around A; five posts:
///
/// | post | brands | UTC              | Moscow day | source | platform | label    | likes+comments+reposts | reach |
/// |------|--------|------------------|------------|--------|----------|----------|------------------------|-------|
/// | p1   | A      | 11-01 10:00      | Nov 1      | social | vk       | positive | 10+2+1 = 13            | 1000  |
/// | p2   | A      | 11-01 21:30      | Nov 2      | news   | lenta    | negative | 0                      | 500   |
/// | p3   | A, B   | 11-02 09:00      | Nov 2      | review | otzovik  | neutral  | 4                      | 200   |
/// | p4   | B      | 11-02 23:59      | Nov 3      | social | vk       | positive | 1                      | 0     |
/// | p5   | A      | 11-03 12:00      | Nov 3      | social | vk       | negative | 6                      | 0     |
async fn dataset(app: &TestApp) -> Data {
    let t = app.signup("Acme").await;
    let mk = |name: &str, kw: &str| json!({"name": name, "keywords": [kw]});
    let a = app.post("/v1/brands").token(&t.token).json(mk("Daynet", "Daynet")).send().await.expect(201).id();
    let b = app.post("/v1/brands").token(&t.token).json(mk("Rival", "Rival")).send().await.expect(201).id();
    let c = app.post("/v1/brands").token(&t.token).json(mk("Third", "Thirdco")).send().await.expect(201).id();
    let set = app.competitor_set(&t.token, "Telecom", &a, &[&b, &c]).await;
    let mut p1 = post("p1", "Daynet", "2026-11-01T10:00:00Z", "social", "vk", "positive", 10, 1000);
    p1["comments"] = json!(2);
    p1["reposts"] = json!(1);
    p1["views"] = json!(100);
    let items = vec![
        p1,
        post("p2", "Daynet", "2026-11-01T21:30:00Z", "news", "lenta", "negative", 0, 500),
        post("p3", "Daynet vs Rival", "2026-11-02T09:00:00Z", "review", "otzovik", "neutral", 4, 200),
        post("p4", "Rival", "2026-11-02T23:59:00Z", "social", "vk", "positive", 1, 0),
        post("p5", "Daynet", "2026-11-03T12:00:00Z", "social", "vk", "negative", 6, 0),
    ];
    let r = app.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": items })).send().await.expect(200);
    assert_eq!(r.body["created"], 6);
    Data { t, a, b, c, set }
}

const MOSCOW: &str = "from=2026-10-31T21:00:00Z&to=2026-11-03T21:00:00Z&tz=Europe/Moscow";

fn brand<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array().unwrap().iter().find(|e| e["brand_id"] == id).unwrap()
}

#[actix_web::test]
async fn share_of_voice_by_hand_in_moscow_days() {
    let app = spawn_app().await;
    let d = dataset(&app).await;
    let r = app
        .get(&format!("/v1/competitor-sets/{}/share-of-voice?{MOSCOW}", d.set))
        .token(&d.t.token)
        .send()
        .await
        .expect(200);
    let b = &r.body;
    assert_eq!(
        b["period"],
        json!({"from": "2026-10-31T21:00:00Z", "to": "2026-11-03T21:00:00Z", "tz": "Europe/Moscow", "granularity": "day"})
    );
    assert_eq!(b["total"], 6.0);
    assert_eq!(brand(&b["brands"], &d.a)["value"], 4.0);
    assert_eq!(brand(&b["brands"], &d.a)["share"], 66.67);
    assert_eq!(brand(&b["brands"], &d.a)["name"], "Daynet");
    assert_eq!(brand(&b["brands"], &d.b)["share"], 33.33);
    assert_eq!(brand(&b["brands"], &d.c)["share"], 0.0);
    let series = b["series"].as_array().unwrap();
    let starts: Vec<&str> = series.iter().map(|p| p["start"].as_str().unwrap()).collect();
    assert_eq!(starts, ["2026-11-01T00:00:00+03:00", "2026-11-02T00:00:00+03:00", "2026-11-03T00:00:00+03:00"]);
    let a_values: Vec<f64> = series.iter().map(|p| brand(&p["brands"], &d.a)["value"].as_f64().unwrap()).collect();
    let b_values: Vec<f64> = series.iter().map(|p| brand(&p["brands"], &d.b)["value"].as_f64().unwrap()).collect();
    // p2 at 21:30 UTC and p4 at 23:59 UTC fall on the next Moscow day.
    assert_eq!(a_values, [1.0, 2.0, 1.0]);
    assert_eq!(b_values, [0.0, 1.0, 1.0]);
    assert_eq!(brand(&series[1]["brands"], &d.a)["share"], 66.67);
    assert_eq!(brand(&series[2]["brands"], &d.b)["share"], 50.0);

    // The same period in UTC days: p2 stays on Nov 1, p4 on Nov 2.
    let q = "from=2026-10-31T21:00:00Z&to=2026-11-03T21:00:00Z&tz=UTC";
    let r = app
        .get(&format!("/v1/competitor-sets/{}/share-of-voice?{q}", d.set))
        .token(&d.t.token)
        .send()
        .await
        .expect(200);
    let series = r.body["series"].as_array().unwrap();
    let a_values: Vec<f64> = series.iter().map(|p| brand(&p["brands"], &d.a)["value"].as_f64().unwrap()).collect();
    assert_eq!(series[0]["start"], "2026-10-31T00:00:00+00:00");
    assert_eq!(a_values, [0.0, 2.0, 1.0, 1.0]);

    // Weighted by engagement: A 13 + 0 + 4 + 6 = 23, B 4 + 1 = 5.
    let r = app
        .get(&format!("/v1/competitor-sets/{}/share-of-voice?{MOSCOW}&weight=engagement", d.set))
        .token(&d.t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(brand(&r.body["brands"], &d.a)["value"], 23.0);
    assert_eq!(brand(&r.body["brands"], &d.a)["share"], 82.14);
    assert_eq!(brand(&r.body["brands"], &d.b)["share"], 17.86);
    // By reach: A 1000 + 500 + 200 = 1700, B 200.
    let r = app
        .get(&format!("/v1/competitor-sets/{}/share-of-voice?{MOSCOW}&weight=reach", d.set))
        .token(&d.t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["total"], 1900.0);
    assert_eq!(brand(&r.body["brands"], &d.a)["share"], 89.47);
    // Share of negative voice: only A is negative (p2, p5).
    let r = app
        .get(&format!("/v1/competitor-sets/{}/share-of-voice?{MOSCOW}&sentiment=negative", d.set))
        .token(&d.t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(brand(&r.body["brands"], &d.a)["share"], 100.0);
    assert_eq!(r.body["total"], 2.0);
    // A period that starts one second after p1 (inside an hour) excludes it exactly.
    let r = app
        .get(&format!(
            "/v1/competitor-sets/{}/share-of-voice?from=2026-11-01T10:00:01Z&to=2026-11-03T21:00:00Z&tz=UTC",
            d.set
        ))
        .token(&d.t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(brand(&r.body["brands"], &d.a)["value"], 3.0);
    // Filters.
    let r = app
        .get(&format!("/v1/competitor-sets/{}/share-of-voice?{MOSCOW}&platform=vk", d.set))
        .token(&d.t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(
        (brand(&r.body["brands"], &d.a)["value"].as_f64(), brand(&r.body["brands"], &d.b)["value"].as_f64()),
        (Some(2.0), Some(1.0))
    );
    let r = app
        .get(&format!("/v1/competitor-sets/{}/share-of-voice?{MOSCOW}&source_type=review", d.set))
        .token(&d.t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["total"], 2.0);
}

#[actix_web::test]
async fn sentiment_by_hand_for_all_user_generated_and_media() {
    let app = spawn_app().await;
    let d = dataset(&app).await;
    let r = app.get(&format!("/v1/brands/{}/sentiment?{MOSCOW}", d.a)).token(&d.t.token).send().await.expect(200);
    let b = &r.body;
    // All: p1 positive, p3 neutral, p2 and p5 negative.
    assert_eq!(
        b["all"],
        json!({"positive": 1, "neutral": 1, "negative": 2, "total": 4, "positive_share": 25.0, "neutral_share": 25.0,
               "negative_share": 50.0, "net_sentiment": -25.0, "net_sentiment_polar": -33.33})
    );
    // User-generated: p1, p3, p5. Media: p2.
    assert_eq!(b["user_generated"]["total"], 3);
    assert_eq!(b["user_generated"]["positive_share"], 33.33);
    assert_eq!(b["user_generated"]["net_sentiment"], 0.0);
    assert_eq!(b["media"]["negative"], 1);
    assert_eq!(b["media"]["net_sentiment"], -100.0);
    assert_eq!(b["media"]["net_sentiment_polar"], -100.0);
    let series = b["series"].as_array().unwrap();
    assert_eq!(series.len(), 3);
    assert_eq!(series[1]["start"], "2026-11-02T00:00:00+03:00");
    assert_eq!(series[1]["all"]["total"], 2); // p2 and p3
    assert_eq!(series[1]["media"]["negative"], 1);
    assert_eq!(series[2]["all"]["negative"], 1); // p5
}

#[actix_web::test]
async fn engagement_by_hand_with_platforms() {
    let app = spawn_app().await;
    let d = dataset(&app).await;
    let r = app.get(&format!("/v1/brands/{}/engagement?{MOSCOW}", d.a)).token(&d.t.token).send().await.expect(200);
    let b = &r.body;
    assert_eq!((b["likes"].as_u64(), b["comments"].as_u64(), b["reposts"].as_u64()), (Some(20), Some(2), Some(1)));
    assert_eq!((b["engagement"].as_u64(), b["views"].as_u64(), b["reach"].as_u64()), (Some(23), Some(100), Some(1700)));
    assert_eq!((b["mentions"].as_u64(), b["per_mention"].as_f64()), (Some(4), Some(5.75)));
    let vk = b["by_platform"].as_array().unwrap().iter().find(|p| p["platform"] == "vk").unwrap();
    assert_eq!(
        (vk["mentions"].as_u64(), vk["engagement"].as_u64(), vk["per_mention"].as_f64()),
        (Some(2), Some(19), Some(9.5))
    );
    let platforms: Vec<&str> =
        b["by_platform"].as_array().unwrap().iter().map(|p| p["platform"].as_str().unwrap()).collect();
    assert_eq!(platforms, ["lenta", "otzovik", "vk"]);
    let per_day: Vec<u64> = b["series"].as_array().unwrap().iter().map(|p| p["engagement"].as_u64().unwrap()).collect();
    assert_eq!(per_day, [13, 4, 6]);
}

/// A period that starts and ends inside hours, reported in a zone whose days
/// begin on the half hour (Kolkata, +05:30): the partial hours at both edges
/// are summed per minute, so a mention a second before a day's start and one
/// at its start land in their own days, and the edges cut to the second.
#[actix_web::test]
async fn unaligned_periods_are_exact_to_the_second_in_any_zone() {
    let app = spawn_app().await;
    let t = app.signup("Edges").await;
    let a = app
        .post("/v1/brands")
        .token(&t.token)
        .json(json!({"name": "Daynet", "keywords": ["Daynet"]}))
        .send()
        .await
        .expect(201)
        .id();
    let items = vec![
        post("before", "Daynet", "2026-11-01T18:06:59Z", "social", "vk", "negative", 100, 0),
        post("e1", "Daynet", "2026-11-01T18:29:59Z", "social", "vk", "positive", 3, 10),
        post("e2", "Daynet", "2026-11-01T18:30:00Z", "news", "lenta", "negative", 5, 20),
        post("mid", "Daynet", "2026-11-02T12:00:00Z", "social", "vk", "neutral", 1, 0),
        post("e3", "Daynet", "2026-11-02T13:44:29Z", "review", "otzovik", "positive", 7, 0),
        post("after", "Daynet", "2026-11-02T13:44:30Z", "review", "otzovik", "negative", 100, 0),
    ];
    let r = app.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": items })).send().await.expect(200);
    assert_eq!(r.body["created"], 6);
    let q = "from=2026-11-01T18:07:00Z&to=2026-11-02T13:44:30Z&tz=Asia/Kolkata&granularity=day";
    let r = app.get(&format!("/v1/brands/{a}/engagement?{q}")).token(&t.token).send().await.expect(200);
    let b = &r.body;
    assert_eq!((b["mentions"].as_u64(), b["engagement"].as_u64(), b["reach"].as_u64()), (Some(4), Some(16), Some(30)));
    let per_day: Vec<(String, u64)> = b["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["start"].as_str().unwrap().to_owned(), p["engagement"].as_u64().unwrap()))
        .collect();
    assert_eq!(per_day, [("2026-11-01T00:00:00+05:30".to_owned(), 3), ("2026-11-02T00:00:00+05:30".to_owned(), 13)]);
    let platforms: Vec<(&str, u64)> = b["by_platform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["platform"].as_str().unwrap(), p["mentions"].as_u64().unwrap()))
        .collect();
    assert_eq!(platforms, [("lenta", 1), ("otzovik", 1), ("vk", 2)]);
    let r = app.get(&format!("/v1/brands/{a}/sentiment?{q}")).token(&t.token).send().await.expect(200);
    let b = &r.body;
    assert_eq!((b["all"]["positive"].as_u64(), b["all"]["negative"].as_u64()), (Some(2), Some(1)));
    assert_eq!(b["media"]["negative"], 1);
    let series = b["series"].as_array().unwrap();
    assert_eq!(series.len(), 2);
    assert_eq!((series[0]["all"]["total"].as_u64(), series[0]["all"]["positive"].as_u64()), (Some(1), Some(1)));
    assert_eq!((series[1]["all"]["total"].as_u64(), series[1]["all"]["negative"].as_u64()), (Some(3), Some(1)));
    // A period inside one hour, filtered by platform.
    let r = app
        .get(&format!("/v1/brands/{a}/engagement?from=2026-11-01T18:29:59Z&to=2026-11-01T18:30:01Z&platform=lenta"))
        .token(&t.token)
        .send()
        .await
        .expect(200);
    assert_eq!((r.body["mentions"].as_u64(), r.body["likes"].as_u64()), (Some(1), Some(5)));
}

#[actix_web::test]
async fn empty_periods_and_a_dst_change() {
    let app = spawn_app().await;
    let d = dataset(&app).await;
    // Nothing for C, and nothing at all in March: zeros, never a division error.
    let r = app.get(&format!("/v1/brands/{}/sentiment?{MOSCOW}", d.c)).token(&d.t.token).send().await.expect(200);
    assert_eq!(r.body["all"]["net_sentiment_polar"], 0.0);
    assert_eq!(r.body["all"]["positive_share"], 0.0);
    let q = "from=2026-03-28T00:00:00Z&to=2026-03-31T00:00:00Z&tz=Europe/Berlin";
    let r = app
        .get(&format!("/v1/competitor-sets/{}/share-of-voice?{q}", d.set))
        .token(&d.t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["total"], 0.0);
    assert!(r.body["brands"].as_array().unwrap().iter().all(|e| e["share"] == 0.0));
    // Berlin moves to summer time on 29 March 2026: that day has 23 hours.
    let items = vec![
        post("d1", "Daynet", "2026-03-28T23:30:00Z", "social", "vk", "positive", 1, 0), // 29 Mar 00:30 CET
        post("d2", "Daynet", "2026-03-29T21:30:00Z", "social", "vk", "positive", 1, 0), // 29 Mar 23:30 CEST
        post("d3", "Daynet", "2026-03-29T22:30:00Z", "social", "vk", "positive", 1, 0), // 30 Mar 00:30 CEST
    ];
    app.post("/v1/mentions/batch").token(&d.t.token).json(json!({ "items": items })).send().await.expect(200);
    let r = app.get(&format!("/v1/brands/{}/engagement?{q}", d.a)).token(&d.t.token).send().await.expect(200);
    let series: Vec<(String, u64)> = r.body["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["start"].as_str().unwrap().to_owned(), p["mentions"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        series,
        [
            ("2026-03-28T00:00:00+01:00".to_owned(), 0),
            ("2026-03-29T00:00:00+01:00".to_owned(), 2),
            ("2026-03-30T00:00:00+02:00".to_owned(), 1),
            // `to` is 31 March 02:00 local: that day's bucket overlaps the period.
            ("2026-03-31T00:00:00+02:00".to_owned(), 0),
        ]
    );
}

#[actix_web::test]
async fn parameters_are_validated() {
    let app = spawn_app().await;
    let d = dataset(&app).await;
    for (query, field) in [
        ("from=2026-11-03T00:00:00Z&to=2026-11-01T00:00:00Z", "from"),
        ("from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&tz=Mars/Base", "tz"),
        ("from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&granularity=hour", "granularity"),
        ("from=2026-11-01T00:00:00Z", "to"),
        ("from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&bucket=day", "bucket"),
    ] {
        let r = app.get(&format!("/v1/brands/{}/sentiment?{query}", d.a)).token(&d.t.token).send().await.problem(422);
        assert!(r.text.contains(field), "{query}: {}", r.text);
    }
    app.get(&format!("/v1/competitor-sets/{}/share-of-voice?{MOSCOW}&sentiment=neutral", d.set))
        .token(&d.t.token)
        .send()
        .await
        .problem(422);
    // Six years at month granularity are fine.
    app.get(&format!(
        "/v1/brands/{}/sentiment?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&granularity=month",
        d.a
    ))
    .token(&d.t.token)
    .send()
    .await
    .expect(200);
}

#[actix_web::test]
async fn clients_see_their_brands_reports_only() {
    let app = spawn_app().await;
    let d = dataset(&app).await;
    let client = app.user_token(&d.t.token, "client", &[&d.a]).await;
    app.get(&format!("/v1/brands/{}/sentiment?{MOSCOW}", d.a)).token(&client).send().await.expect(200);
    app.get(&format!("/v1/brands/{}/sentiment?{MOSCOW}", d.b)).token(&client).send().await.problem(404);
    app.get(&format!("/v1/brands/{}/engagement?{MOSCOW}", d.b)).token(&client).send().await.problem(404);
    // The set around A shows A's competitors: that is what Share of Voice is.
    app.get(&format!("/v1/competitor-sets/{}/share-of-voice?{MOSCOW}", d.set)).token(&client).send().await.expect(200);
    let other_set = app.competitor_set(&d.t.token, "Around B", &d.b, &[&d.a]).await;
    app.get(&format!("/v1/competitor-sets/{other_set}/share-of-voice?{MOSCOW}"))
        .token(&client)
        .send()
        .await
        .problem(404);
    let stranger = app.signup("Other").await;
    app.get(&format!("/v1/brands/{}/sentiment?{MOSCOW}", d.a)).token(&stranger.token).send().await.problem(404);
}

#[actix_web::test]
async fn cached_reports_follow_ingest_and_manual_labels_with_etags() {
    let app = spawn_app().await;
    let d = dataset(&app).await;
    let path = format!("/v1/brands/{}/sentiment?{MOSCOW}", d.a);
    let first = app.get(&path).token(&d.t.token).send().await.expect(200);
    let etag = first.header("etag").unwrap().to_owned();
    let again = app.get(&path).token(&d.t.token).send().await.expect(200);
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    assert_eq!(again.body, first.body);
    let r = app.get(&path).token(&d.t.token).header("if-none-match", &etag).send().await.expect(304);
    assert!(r.text.is_empty());
    // An ingest changes the inputs: never served stale.
    let items = vec![post("p6", "Daynet", "2026-11-03T13:00:00Z", "social", "vk", "positive", 0, 0)];
    app.post("/v1/mentions/batch").token(&d.t.token).json(json!({ "items": items })).send().await.expect(200);
    let after_ingest = app.get(&path).token(&d.t.token).header("if-none-match", &etag).send().await.expect(200);
    assert_eq!(after_ingest.body["all"]["positive"], 2);
    assert_ne!(after_ingest.header("etag"), Some(etag.as_str()));
    // So does a manual label (p5: negative → positive).
    let list = app.get(&format!("/v1/mentions?brand_id={}&author=p5", d.a)).token(&d.t.token).send().await.expect(200);
    let p5 = list.body["data"][0]["id"].as_str().unwrap().to_owned();
    app.patch(&format!("/v1/mentions/{p5}"))
        .token(&d.t.token)
        .json(json!({"sentiment": "positive"}))
        .send()
        .await
        .expect(200);
    let after_label = app.get(&path).token(&d.t.token).send().await.expect(200);
    assert_eq!(
        (after_label.body["all"]["positive"].as_u64(), after_label.body["all"]["negative"].as_u64()),
        (Some(3), Some(1))
    );
}

#[actix_web::test]
async fn response_stats_count_negatives_until_answers_exist() {
    let app = spawn_app().await;
    let d = dataset(&app).await;
    let r = app.get(&format!("/v1/brands/{}/responses/stats?{MOSCOW}", d.a)).token(&d.t.token).send().await.expect(200);
    assert_eq!(r.body["negative_total"], 2);
    assert_eq!(r.body["negative_answered"], 0);
    assert_eq!(r.body["response_rate"], 0.0);
    assert!(r.body["median_response_seconds"].is_null());
}

#[actix_web::test]
async fn top_authors_rank_by_mentions_engagement_and_complaints() {
    let app = spawn_app().await;
    let d = dataset(&app).await;
    // Two more posts by @p5: a repeat complainer with 3 negative mentions.
    let mut extra = Vec::new();
    for (i, at) in ["2026-11-03T13:00:00Z", "2026-11-03T14:00:00Z"].iter().enumerate() {
        let mut p = post(&format!("x{i}"), "Daynet", at, "social", "vk", "negative", 1, 0);
        p["author"] = json!({"handle": "@P5", "name": "Complainer", "followers": 50});
        extra.push(p);
    }
    app.post("/v1/mentions/batch").token(&d.t.token).json(json!({ "items": extra })).send().await.expect(200);
    let q = "from=2026-11-01T00:00:00Z&to=2026-11-04T00:00:00Z";
    let r = app
        .get(&format!("/v1/brands/{}/authors?{q}&sort=negative&limit=2", d.a))
        .token(&d.t.token)
        .send()
        .await
        .expect(200);
    let top = &r.body["data"][0];
    assert_eq!(
        (top["handle"].as_str(), top["negative"].as_u64(), top["mentions"].as_u64()),
        (Some("@P5"), Some(3), Some(3))
    );
    assert_eq!((top["engagement"].as_u64(), top["followers"].as_u64()), (Some(8), Some(50)));
    assert_eq!(r.body["data"].as_array().unwrap().len(), 2);
    let r =
        app.get(&format!("/v1/brands/{}/authors?{q}&sort=engagement", d.a)).token(&d.t.token).send().await.expect(200);
    assert_eq!(r.body["data"][0]["handle"], "@p1", "13 engagement");
    let r = app.get(&format!("/v1/brands/{}/authors?{q}&sort=reach", d.a)).token(&d.t.token).send().await.expect(200);
    assert_eq!((r.body["data"][0]["handle"].as_str(), r.body["data"][0]["reach"].as_u64()), (Some("@p1"), Some(1000)));
    // A manual relabel moves the complaint count.
    let list = app.get(&format!("/v1/mentions?brand_id={}&author=p2", d.a)).token(&d.t.token).send().await.expect(200);
    let p2 = list.body["data"][0]["id"].as_str().unwrap().to_owned();
    app.patch(&format!("/v1/mentions/{p2}"))
        .token(&d.t.token)
        .json(json!({"sentiment": "positive"}))
        .send()
        .await
        .expect(200);
    let r =
        app.get(&format!("/v1/brands/{}/authors?{q}&sort=negative", d.a)).token(&d.t.token).send().await.expect(200);
    let p2_row = r.body["data"].as_array().unwrap().iter().find(|a| a["handle"] == "@p2").unwrap();
    assert_eq!(p2_row["negative"], 0);
    app.get(&format!("/v1/brands/{}/authors?{q}&limit=0", d.a)).token(&d.t.token).send().await.problem(422);
    // The common report parameters are accepted (and checked) here too.
    let zoned = app
        .get(&format!("/v1/brands/{}/authors?{q}&sort=negative&tz=Europe/Moscow&granularity=day", d.a))
        .token(&d.t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(zoned.body["data"], r.body["data"]);
    let r = app.get(&format!("/v1/brands/{}/authors?{q}&tz=Mars/Olympus", d.a)).token(&d.t.token).send().await;
    assert_eq!(r.problem(422).fields(), ["tz"]);
}

#[actix_web::test]
async fn the_audit_gathers_everything_with_findings_as_json_and_html() {
    let app = spawn_app().await;
    let d = dataset(&app).await;
    // A hostile brand name must come out escaped in the page.
    app.patch(&format!("/v1/brands/{}", d.b))
        .token(&d.t.token)
        .json(json!({"name": "<script>alert(1)</script>"}))
        .send()
        .await
        .expect(200);
    let path = format!("/v1/brands/{}/audit?competitor_set_id={}&{MOSCOW}", d.a, d.set);
    let r = app.get(&path).token(&d.t.token).send().await.expect(200);
    let b = &r.body;
    assert_eq!(b["brand_name"], "Daynet");
    assert_eq!(b["competitor_set_name"], "Telecom");
    assert_eq!(brand(&b["share_of_voice"]["mentions"]["brands"], &d.a)["share"], 66.67);
    assert_eq!(brand(&b["share_of_voice"]["engagement"]["brands"], &d.a)["share"], 82.14);
    assert_eq!(brand(&b["share_of_voice"]["reach"]["brands"], &d.a)["share"], 89.47);
    assert_eq!(b["sentiment"]["media"]["negative"], 1);
    assert_eq!(b["engagement"]["engagement"], 23);
    assert_eq!(b["response_stats"]["negative_total"], 2);
    // Most-engaged negative first: p5 (6 likes) before p2 (0).
    let negative: Vec<&str> =
        b["top_negative_mentions"].as_array().unwrap().iter().map(|m| m["external_id"].as_str().unwrap()).collect();
    assert_eq!(negative, ["p5", "p2"]);
    assert_eq!(b["top_authors"].as_array().unwrap().len(), 4);
    let findings: Vec<&str> = b["findings"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert!(
        findings.iter().any(|f| f.starts_with("Share of Voice is 66.7 %, above the set average of 33.3 %")),
        "{findings:?}"
    );
    assert!(findings.iter().any(|f| f.starts_with("Net sentiment is -25.0")), "{findings:?}");
    assert!(findings.iter().any(|f| f.contains("None of the 2 negative mentions")), "{findings:?}");

    let page = app.get(&path).token(&d.t.token).header("accept", "text/html").send().await.expect(200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(page.header("etag").is_some());
    let html = &page.text;
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.matches("<svg").count() >= 3, "SoV bars, sentiment and engagement charts");
    assert!(html.contains("Reputation audit: Daynet"));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script"),
        "names are escaped, no scripts"
    );
    assert!(!html.contains("http://") && !html.contains("https://"), "nothing is loaded from elsewhere");
    // JSON and HTML are cached apart.
    let again = app.get(&path).token(&d.t.token).send().await.expect(200);
    assert_eq!(again.body, r.body);
    // The set must contain the brand.
    let r = app
        .get(&format!(
            "/v1/brands/{}/audit?competitor_set_id={}&{MOSCOW}",
            d.c,
            app.competitor_set(&d.t.token, "B only", &d.b, &[]).await
        ))
        .token(&d.t.token)
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["competitor_set_id"]);
}

#[actix_web::test]
async fn a_write_on_one_replica_retires_the_cached_report_on_the_other() {
    let app = smrm_tests::spawn_durable_app(|_| {}).await;
    let other = app.replica().await;
    let t = app.signup("Replicas").await;
    let brand = app.brand(&t.token, "Дейнет").await;
    let url = format!("/v1/brands/{brand}/sentiment?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z");
    async fn total(server: &smrm_tests::TestApp, url: &str, token: &str) -> u64 {
        server.get(url).token(token).send().await.expect(200).body["all"]["total"].as_u64().unwrap()
    }
    assert_eq!(total(&app, &url, &t.token).await, 0); // now cached on `app`
    let post = serde_json::json!({"items": [{"external_id": "1", "platform": "vk", "source_type": "social",
        "text": "Дейнет", "published_at": "2026-11-20T10:00:00Z", "author": {"handle": "@a"}}]});
    other.post("/v1/mentions/batch").token(&t.token).json(post).send().await.expect(200);
    if app.config.redis_url.is_some() {
        // Told by a published message: well within the half second allowed
        // here, and sooner than a replica's own expiry of what it learned (1 s).
        let seen = smrm_tests::eventually(std::time::Duration::from_millis(500), || async {
            total(&app, &url, &t.token).await == 1
        })
        .await;
        assert!(seen, "the other replica's write retired this replica's cache");
    } else {
        // Without Redis each replica caches alone (one replica is the embedded
        // default; several need Redis, see the README): the writer sees it.
        assert_eq!(total(&other, &url, &t.token).await, 1);
    }
}

/// A client that takes gzip gets the cached report gzipped (compressed once,
/// when it was cached), with its own ETag; either ETag revalidates.
#[actix_web::test]
async fn reports_are_gzipped_for_clients_that_take_it() {
    use std::io::Read;
    let app = spawn_app().await;
    let d = dataset(&app).await;
    let path = format!(
        "/v1/brands/{}/sentiment?from=2026-10-01T00:00:00Z&to=2026-12-01T00:00:00Z&granularity=day&tz=UTC",
        d.a
    );
    let plain = app.get(&path).token(&d.t.token).send().await.expect(200);
    assert!(plain.bytes.len() > 1024, "a body worth compressing: {} bytes", plain.bytes.len());
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.header("vary"), Some("Accept-Encoding"));
    for accept in ["gzip", "br;q=1.0, gzip;q=0.8", "*"] {
        let gz = app.get(&path).token(&d.t.token).header("accept-encoding", accept).send().await.expect(200);
        assert_eq!(gz.header("content-encoding"), Some("gzip"), "{accept}");
        assert!(gz.bytes.len() * 3 < plain.bytes.len(), "{} gzipped from {}", gz.bytes.len(), plain.bytes.len());
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(&gz.bytes[..]).read_to_end(&mut json).unwrap();
        assert_eq!(json, plain.bytes, "the same report");
        assert_ne!(gz.header("etag"), plain.header("etag"), "one ETag per representation");
        let tag = gz.header("etag").unwrap().to_owned();
        app.get(&path)
            .token(&d.t.token)
            .header("accept-encoding", accept)
            .header("if-none-match", &tag)
            .send()
            .await
            .expect(304);
    }
    let refused =
        app.get(&path).token(&d.t.token).header("accept-encoding", "gzip;q=0, identity").send().await.expect(200);
    assert_eq!(refused.header("content-encoding"), None);
    assert_eq!(refused.bytes, plain.bytes);
}
