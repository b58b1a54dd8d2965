//! Hostile input: requests crafted to sidestep a limit or to cost more than
//! their size. Each case asserts a 4xx (or a bounded answer) and that nothing
//! was stored or lost.

use serde_json::json;
use smrm_tests::spawn_app_with;
use uuid::Uuid;

fn limited(per_minute: u32, auth: u32) -> impl FnOnce(&mut smrm_api::config::Config) {
    move |c| {
        c.rate_limit_per_minute = per_minute;
        c.auth_rate_limit_per_minute = auth;
    }
}

#[actix_web::test]
async fn a_percent_encoded_path_is_limited_like_the_plain_one() {
    let app = spawn_app_with(limited(1000, 3)).await;
    let t = app.signup("Spelling").await; // 1 of the IP's 3 auth calls
    let wrong = json!({"email": t.email, "password": "wrong password"});
    app.post("/v%31/auth/token").json(wrong.clone()).send().await.problem(401); // 2
    app.post("/v1/auth/t%6Fken").json(wrong.clone()).send().await.problem(401); // 3
    for path in ["/v%31/auth/token", "/v1/auth/token", "/%76%31/%61uth/token", "/v%31/signup"] {
        let r = app.post(path).json(wrong.clone()).send().await.problem(429);
        assert_eq!(r.header("ratelimit-limit"), Some("3"), "{path}");
    }
}

#[actix_web::test]
async fn credential_answers_are_never_stored_whatever_the_spelling() {
    let app = spawn_app_with(|_| {}).await;
    let t = app.signup("Keys").await;
    for path in ["/v1/api%2Dkeys", "/v1/api-keys", "/v%31/api-keys"] {
        let key = Uuid::now_v7().to_string();
        let body = json!({"name": "ci", "role": "viewer"});
        let send = || app.post(path).token(&t.token).header("idempotency-key", &key).json(body.clone()).send();
        let first = send().await.expect(201);
        let second = send().await.expect(201);
        assert_eq!(second.header("idempotent-replayed"), None, "{path}");
        assert_ne!(first.body["key"], second.body["key"], "{path}: a retry makes another key, never replays one");
    }
    let hook = json!({"url": "https://hooks.example.com/smrm", "events": ["mention.created"]});
    let key = Uuid::now_v7().to_string();
    let send = || app.post("/v1/web%68ooks").token(&t.token).header("idempotency-key", &key).json(hook.clone()).send();
    let first = send().await.expect(201);
    let second = send().await.expect(201);
    assert_eq!(second.header("idempotent-replayed"), None);
    assert_ne!(first.body["secret"], second.body["secret"]);
    let rotate = format!("/v1/webhooks/{}/rotate%2Dsecret", first.id());
    let send = || app.post(&rotate).token(&t.token).header("idempotency-key", &key).send();
    let (a, b) = (send().await.expect(200), send().await.expect(200));
    assert_eq!(b.header("idempotent-replayed"), None);
    assert_ne!(a.body["secret"], b.body["secret"]);
}

#[actix_web::test]
async fn invented_api_keys_share_their_client_ips_bucket() {
    let app = spawn_app_with(limited(5, 100)).await;
    let t = app.signup("Inventor").await; // 1 of the IP's 5
    let refused =
        (0..6).map(|_| format!("smrm_{}{}", Uuid::new_v4().simple(), t.id.replace('-', ""))).collect::<Vec<_>>();
    let mut statuses = Vec::new();
    for key in &refused {
        statuses.push(app.get("/v1/brands").token(key).send().await.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429, 429]);

    // A real key gets a bucket of its own once it is verified, at its tenant's limit.
    let app = spawn_app_with(limited(5, 100)).await;
    let t = app.signup("Real").await;
    let key = app.api_key(&t.token, "viewer").await.body["key"].as_str().unwrap().to_owned();
    app.get("/v1/brands").token(&key).send().await.expect(200); // verified now; counted against the IP
    let r = app.get("/v1/brands").token(&key).send().await.expect(200);
    assert_eq!(r.header("ratelimit-remaining"), Some("4"), "{:?}", r.headers);
}

#[actix_web::test]
async fn a_trusted_proxy_names_the_client_and_nobody_else_does() {
    let app = spawn_app_with(|c| {
        c.rate_limit_per_minute = 2;
        c.trusted_proxies = smrm_api::limits::parse_trusted_proxies("127.0.0.1/32").unwrap();
    })
    .await;
    let from = |ip: &'static str| app.get("/v1/brands").header("x-forwarded-for", ip).send();
    from("198.51.100.1").await.problem(401);
    from("198.51.100.1").await.problem(401);
    from("198.51.100.1").await.problem(429);
    from("198.51.100.2").await.problem(401);
    // A client forging the leftmost hop is still itself (the proxy appends the real one).
    app.get("/v1/brands").header("x-forwarded-for", "198.51.100.2, 198.51.100.1").send().await.problem(429);

    let app = spawn_app_with(limited(2, 100)).await; // no trusted proxy
    let from = |ip: &'static str| app.get("/v1/brands").header("x-forwarded-for", ip).send();
    from("198.51.100.1").await.problem(401);
    from("198.51.100.2").await.problem(401);
    from("198.51.100.3").await.problem(429);
}

#[actix_web::test]
async fn a_request_without_credentials_stores_no_idempotent_answer() {
    let app = spawn_app_with(|_| {}).await;
    let key = Uuid::now_v7().to_string();
    let brand = |name: &str| app.post("/v1/brands").header("idempotency-key", &key).json(json!({"name": name})).send();
    brand("One").await.problem(401);
    let again = brand("One").await.problem(401);
    assert_eq!(again.header("idempotent-replayed"), None);
    // Another body under the same key is not a "reused key" either: nothing was kept.
    brand("Two").await.problem(401);
}

#[actix_web::test]
async fn a_huge_invalid_request_gets_a_short_list_of_errors() {
    let app = spawn_app_with(|_| {}).await;
    let t = app.signup("Errors").await;
    // 200,000 empty texts: one error about their number, not 200,000.
    let texts = vec![""; 200_000];
    let r = app.post("/v1/sentiment/analyze").token(&t.token).json(json!({"texts": texts})).send().await.problem(422);
    assert_eq!(r.fields(), ["texts"]);
    assert!(r.bytes.len() < 2_000, "{} bytes", r.bytes.len());

    // A full batch with every item wrong three ways: the first hundred errors,
    // and how many more were found.
    let items: Vec<_> =
        (0..1000).map(|_| json!({"external_id": "", "platform": "", "source_type": "social", "text": "", "published_at": "2026-01-01T00:00:00Z", "author": {"handle": ""}})).collect();
    let r = app.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": items })).send().await.problem(422);
    assert_eq!(r.fields().len(), 100, "{}", r.text);
    assert!(r.body["errors_omitted"].as_u64().is_some_and(|n| n > 0), "{}", r.body["detail"]);
    assert!(r.body["detail"].as_str().unwrap().contains("the first 100 are listed"));
    assert!(r.bytes.len() < 20_000, "{} bytes", r.bytes.len());
    let listed = app.get("/v1/mentions").token(&t.token).send().await.expect(200);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 0, "nothing stored");

    // 100 bad texts of sentiment analysis: each listed, nothing omitted.
    let r = app.post("/v1/sentiment/analyze").token(&t.token).json(json!({"texts": vec![" "; 100]})).send().await;
    let r = r.problem(422);
    assert_eq!(r.fields().len(), 100);
    assert_eq!(r.body.get("errors_omitted"), None);
}

#[actix_web::test]
async fn a_preview_answer_grows_with_its_input_not_with_its_square() {
    let app = spawn_app_with(|_| {}).await;
    let t = app.signup("Preview").await;
    let vocabulary: Vec<String> = (0..60).map(|i| format!("w{i}")).collect();
    let keywords: Vec<String> = (0..50).map(|i| format!("{} {}", vocabulary[i], vocabulary[i + 1])).collect();
    let text: Vec<&str> = (0..2000).map(|i| vocabulary[i % 60].as_str()).collect();
    let request = json!({"keywords": keywords, "texts": [text.join(" ")]});
    let r = app.post("/v1/brands/preview").token(&t.token).json(request.clone()).send().await.expect(200);
    let words = r.body["matches"][0]["matched_words"].as_array().unwrap();
    assert_eq!(words.len(), smrm_domain::ports::MAX_MATCHED_FORMS);
    assert!(
        r.bytes.len() < request.to_string().len(),
        "{} bytes answered to {}",
        r.bytes.len(),
        request.to_string().len()
    );
}

#[actix_web::test]
async fn id_lists_of_any_length_answer_4xx_and_store_nothing() {
    let app = spawn_app_with(|_| {}).await;
    let t = app.signup("Lists").await;
    let own = app.brand(&t.token, "Own").await;
    let many: Vec<String> = (0..300_000).map(|_| Uuid::now_v7().to_string()).collect();
    let set = json!({"name": "Everyone", "brand_id": own, "competitor_ids": many});
    let r = app.post("/v1/competitor-sets").token(&t.token).json(set).send().await.problem(422);
    assert_eq!(r.fields(), ["competitor_ids"]);
    let user =
        json!({"email": "client@lists.example", "password": smrm_tests::PASSWORD, "role": "client", "brand_ids": many});
    let r = app.post("/v1/users").token(&t.token).json(user).send().await.problem(422);
    assert_eq!(r.fields(), ["brand_ids"]);
    let sets = app.get("/v1/competitor-sets").token(&t.token).send().await.expect(200);
    assert_eq!(sets.body["data"].as_array().unwrap().len(), 0);
    let users = app.get("/v1/users").token(&t.token).send().await.expect(200);
    assert_eq!(users.body["data"].as_array().unwrap().len(), 1, "the owner only");
}

#[actix_web::test]
async fn counts_are_bounded_so_their_sums_never_overflow() {
    let app = spawn_app_with(|_| {}).await;
    let t = app.signup("Counts").await;
    let brand = app.brand(&t.token, "Big").await;
    let post = |i: usize, likes: u64| {
        json!({"external_id": format!("p{i}"), "platform": "vk", "source_type": "social", "text": "big news",
               "published_at": "2026-11-01T10:00:00Z", "author": {"handle": "@a"},
               "likes": likes, "comments": likes, "reposts": likes, "views": likes, "reach": likes})
    };
    let r =
        app.post("/v1/mentions/batch").token(&t.token).json(json!({"items": [post(0, (1 << 53) - 1)]})).send().await;
    assert_eq!(r.problem(422).fields().len(), 5);
    // A thousand posts at the largest count, all in one hour: the sums hold.
    let max = smrm_domain::model::mention::COUNT_MAX;
    let items: Vec<_> = (1..=1000).map(|i| post(i, max)).collect();
    app.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": items })).send().await.expect(200);
    let q = "from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z";
    let r = app.get(&format!("/v1/brands/{brand}/engagement?{q}")).token(&t.token).send().await.expect(200);
    assert_eq!(r.body["engagement"].as_u64(), Some(3000 * max), "{}", r.text);
    assert_eq!(r.body["series"][0]["engagement"].as_u64(), Some(3000 * max), "{}", r.text);
}
