//! RSS/Atom sources over HTTP, polled from a real feed served on loopback:
//! entries become mentions once, conditional GETs, errors recorded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use smrm_tests::{TestApp, spawn_app, spawn_app_with};

/// A feed on loopback: its body and ETag can change; it answers 304 to a
/// matching `If-None-Match` and records what each request sent.
struct Feed {
    url: String,
    state: Arc<Mutex<FeedState>>,
}

struct FeedState {
    body: String,
    etag: String,
    status: u16,
    /// Sent with an answer that is not 200.
    retry_after: Option<String>,
    /// `If-None-Match` of each request.
    requests: Vec<Option<String>>,
}

impl Feed {
    async fn start(body: String) -> Feed {
        let state = Arc::new(Mutex::new(FeedState {
            body,
            etag: "\"v1\"".into(),
            status: 200,
            retry_after: None,
            requests: vec![],
        }));
        let s = state.clone();
        let server = actix_web::HttpServer::new(move || {
            let s = s.clone();
            actix_web::App::new().default_service(actix_web::web::to(move |req: actix_web::HttpRequest| {
                let s = s.clone();
                async move {
                    let mut st = s.lock().unwrap();
                    let inm = req.headers().get("if-none-match").and_then(|v| v.to_str().ok()).map(str::to_owned);
                    st.requests.push(inm.clone());
                    if st.status != 200 {
                        let mut res =
                            actix_web::HttpResponse::build(actix_web::http::StatusCode::from_u16(st.status).unwrap());
                        if let Some(wait) = &st.retry_after {
                            res.insert_header(("retry-after", wait.clone()));
                        }
                        return res.finish();
                    }
                    if inm.as_deref() == Some(st.etag.as_str()) {
                        return actix_web::HttpResponse::NotModified().finish();
                    }
                    actix_web::HttpResponse::Ok()
                        .insert_header(("etag", st.etag.clone()))
                        .content_type("application/rss+xml")
                        .body(st.body.clone())
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        Feed { url: format!("http://127.0.0.1:{port}/rss"), state }
    }

    fn requests(&self) -> Vec<Option<String>> {
        self.state.lock().unwrap().requests.clone()
    }
}

fn rss(items: &[(&str, &str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(guid, title, text)| {
            format!(
                "<item><guid>{guid}</guid><title>{title}</title><link>https://news.example.com/{guid}</link>\
                 <description><![CDATA[<p>{text}</p>]]></description><author>desk@news.example.com (Редакция)</author>\
                 <pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>News</title><link>https://news.example.com</link><description>d</description>{items}</channel></rss>"
    )
}

async fn mentions(app: &TestApp, token: &str) -> Vec<Value> {
    app.get("/v1/mentions?limit=200").token(token).send().await.expect(200).body["data"].as_array().unwrap().clone()
}

async fn wait_until<F: Fn(&Value) -> bool>(app: &TestApp, token: &str, id: &str, ok: F) -> Value {
    for _ in 0..100 {
        let s = app.get(&format!("/v1/sources/{id}")).token(token).send().await.expect(200).body;
        if ok(&s) {
            return s;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the source never got there");
}

/// An RSS source of `feed` polled every second; its id.
async fn feed_source(app: &TestApp, token: &str, feed: &Feed) -> String {
    app.post("/v1/sources")
        .token(token)
        .json(json!({"kind": "rss", "url": feed.url, "source_type": "news", "platform": "news_example", "poll_seconds": 1}))
        .send()
        .await
        .expect(201)
        .id()
}

#[actix_web::test]
async fn a_feed_is_polled_into_mentions_once_with_conditional_gets() {
    let feed = Feed::start(rss(&[
        ("n1", "Дейнет снизил тарифы", "Оператор &laquo;Дейнет&raquo; снизил цены"),
        ("n2", "Погода", "Без упоминаний"),
    ]))
    .await;
    let app = spawn_app_with(|c| {
        c.outbound_allow_private = true;
        c.source_min_poll_seconds = 1;
    })
    .await;
    let t = app.signup("Feeds").await;
    app.brand(&t.token, "Дейнет").await;
    let source = feed_source(&app, &t.token, &feed).await;

    let s = wait_until(&app, &t.token, &source, |s| s["last_success_at"].is_string()).await;
    assert_eq!(s["posts_created"], 1);
    assert_eq!(s["last_error"], Value::Null);
    let got = mentions(&app, &t.token).await;
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m["external_id"], "n1");
    assert_eq!(m["platform"], "news_example");
    assert_eq!(m["source_type"], "news");
    assert_eq!(m["url"], "https://news.example.com/n1");
    assert_eq!(m["title"], "Дейнет снизил тарифы");
    assert_eq!(m["text"], "Оператор «Дейнет» снизил цены");
    assert_eq!(m["published_at"], "2026-11-20T10:00:00Z");

    // The next polls send the ETag and get 304: nothing new, nothing twice.
    actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
    let reqs = feed.requests();
    assert!(reqs.len() >= 2, "polled again: {reqs:?}");
    assert!(reqs.len() <= 5, "no more often than poll_seconds: {reqs:?}");
    assert_eq!(reqs[0], None);
    assert!(reqs[1..].iter().all(|r| r.as_deref() == Some("\"v1\"")), "conditional GETs: {reqs:?}");
    assert_eq!(mentions(&app, &t.token).await.len(), 1);

    // A new version of the feed: only the new entry is new.
    {
        let mut st = feed.state.lock().unwrap();
        st.body = rss(&[
            ("n3", "Дейнет запустил 5G", "Новости о Дейнет"),
            ("n1", "Дейнет снизил тарифы", "Оператор Дейнет снизил цены"),
        ]);
        st.etag = "\"v2\"".into();
    }
    wait_until(&app, &t.token, &source, |s| s["posts_created"] == 2).await;
    let ids: Vec<String> =
        mentions(&app, &t.token).await.iter().map(|m| m["external_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&"n3".to_owned()));

    // A failing feed is recorded on the source.
    feed.state.lock().unwrap().status = 503;
    let s = wait_until(&app, &t.token, &source, |s| s["last_error"].is_string()).await;
    assert!(s["last_error"].as_str().unwrap().contains("503"), "{s}");
}

#[actix_web::test]
async fn a_feed_that_asks_to_wait_is_not_polled_before_it_said() {
    let feed = Feed::start(rss(&[("w1", "Дейнет", "Дейнет")])).await;
    let app = spawn_app_with(|c| {
        c.outbound_allow_private = true;
        c.source_min_poll_seconds = 1;
    })
    .await;
    let t = app.signup("Waiting").await;
    let source = feed_source(&app, &t.token, &feed).await;
    wait_until(&app, &t.token, &source, |s| s["last_success_at"].is_string()).await;

    // The feed answers 429 and asks for an hour.
    {
        let mut st = feed.state.lock().unwrap();
        st.status = 429;
        st.retry_after = Some("3600".into());
    }
    let s = wait_until(&app, &t.token, &source, |s| s["last_error"].is_string()).await;
    assert!(s["last_error"].as_str().unwrap().contains("rate limited"), "{s}");
    let next: chrono::DateTime<chrono::Utc> = s["next_poll_at"].as_str().unwrap().parse().unwrap();
    assert!(next > chrono::Utc::now() + chrono::Duration::minutes(59), "the next poll waits an hour: {s}");
    let asked = feed.requests().len();
    actix_web::rt::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(feed.requests().len(), asked, "not polled again in the meantime (poll_seconds is 1)");

    let metrics = app.get("/metrics").send().await.expect(200).text;
    assert!(metrics.contains(r#"smrm_source_polls_total{kind="rss",outcome="rate_limited"} 1"#), "{metrics}");
    assert!(metrics.contains(r#"smrm_source_polls_total{kind="rss",outcome="fetched"}"#), "{metrics}");
}

#[actix_web::test]
async fn sources_are_validated() {
    let app = spawn_app().await;
    let t = app.signup("Sources").await;
    let bad = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "rss", "url": "http://127.0.0.1/rss", "source_type": "news", "platform": "News!", "poll_seconds": 5}))
        .send()
        .await
        .problem(422);
    assert_eq!(bad.fields(), ["url", "platform", "poll_seconds"]);
    app.post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "atom", "url": "https://x.example/rss", "source_type": "news", "platform": "x", "poll_seconds": 60}))
        .send()
        .await
        .problem(422);
    let id = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "rss", "url": "https://x.example/rss", "source_type": "news", "platform": "x", "poll_seconds": 60, "enabled": false}))
        .send()
        .await
        .expect(201)
        .id();
    let viewer = app.user_token(&t.token, "viewer", &[]).await;
    app.get(&format!("/v1/sources/{id}")).token(&viewer).send().await.expect(200);
    app.patch(&format!("/v1/sources/{id}")).token(&viewer).json(json!({"poll_seconds": 120})).send().await.problem(403);
    let patched = app
        .patch(&format!("/v1/sources/{id}"))
        .token(&t.token)
        .json(json!({"poll_seconds": 120}))
        .send()
        .await
        .expect(200);
    assert_eq!(patched.body["poll_seconds"], 120);
    app.delete(&format!("/v1/sources/{id}")).token(&t.token).send().await.expect(204);
    app.get(&format!("/v1/sources/{id}")).token(&t.token).send().await.problem(404);
}

#[actix_web::test]
async fn two_replicas_poll_each_source_once_per_interval() {
    let feed = Feed::start(rss(&[("n1", "Дейнет", "Дейнет")])).await;
    let app = smrm_tests::spawn_durable_app(|c| {
        c.outbound_allow_private = true;
        c.source_min_poll_seconds = 2;
    })
    .await;
    let other = app.replica().await;
    let t = app.signup("Replicas").await;
    app.brand(&t.token, "Дейнет").await;
    app.post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "rss", "url": feed.url, "source_type": "news", "platform": "news_example", "poll_seconds": 2}))
        .send()
        .await
        .expect(201);
    actix_web::rt::time::sleep(Duration::from_millis(5000)).await;
    let polls = feed.requests().len();
    // Due at 0 s, 2 s and 4 s: three polls in five seconds, whichever replica made them.
    assert!((2..=3).contains(&polls), "polled {polls} times in 5 s with poll_seconds = 2");
    assert_eq!(mentions(&other, &t.token).await.len(), 1);
}
