//! Brands: CRUD, validation and keyset pagination.

use std::collections::HashSet;

use serde_json::json;
use smrm_tests::spawn_app;

#[actix_web::test]
async fn a_brand_has_a_full_life_cycle() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let r = app
        .post("/v1/brands")
        .token(&t.token)
        .json(json!({"name": "Daynet", "keywords": ["Daynet", " Дейнет ", "\"Daynet Pro\""], "excluded_keywords": ["daynet.io jobs"], "languages": ["ru", "en"]}))
        .send()
        .await
        .expect(201);
    let id = r.id();
    assert_eq!(r.header("location").unwrap(), format!("/v1/brands/{id}"));
    assert_eq!(r.body["keywords"], json!(["Daynet", "Дейнет", "\"Daynet Pro\""]));
    let got = app.get(&format!("/v1/brands/{id}")).token(&t.token).send().await.expect(200);
    assert_eq!(got.body, r.body);

    let r = app
        .patch(&format!("/v1/brands/{id}"))
        .token(&t.token)
        .json(json!({"keywords": ["Daynet", "Дейнет"], "languages": []}))
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["keywords"], json!(["Daynet", "Дейнет"]));
    assert_eq!(r.body["excluded_keywords"], json!(["daynet.io jobs"]), "absent fields stay");
    assert_eq!(r.body["languages"], json!([]));
    assert_ne!(r.body["updated_at"], r.body["created_at"]);

    app.delete(&format!("/v1/brands/{id}")).token(&t.token).send().await.expect(204);
    app.get(&format!("/v1/brands/{id}")).token(&t.token).send().await.problem(404);
    app.delete(&format!("/v1/brands/{id}")).token(&t.token).send().await.problem(404);
}

#[actix_web::test]
async fn brand_validation_names_every_field() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let r = app
        .post("/v1/brands")
        .token(&t.token)
        .json(json!({
            "name": "x".repeat(201),
            "keywords": ["Daynet", "DAYNET", "", "y".repeat(201)],
            "excluded_keywords": ["daynet"],
            "languages": ["ru", "RU", "russian", "ru"]
        }))
        .send()
        .await
        .problem(422);
    assert_eq!(
        r.fields(),
        [
            "name",
            "keywords[1]",
            "keywords[2]",
            "keywords[3]",
            "excluded_keywords[0]",
            "languages[1]",
            "languages[2]",
            "languages[3]"
        ]
    );
    let r = app.post("/v1/brands").token(&t.token).json(json!({"name": "D", "keywords": []})).send().await.problem(422);
    assert_eq!(r.fields(), ["keywords"]);
    let r = app
        .post("/v1/brands")
        .token(&t.token)
        .json(json!({"name": "D", "keywords": (0..1001).map(|i| format!("k{i}")).collect::<Vec<_>>()}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["keywords"]);
    // Nothing was stored by the failed attempts.
    let list = app.get("/v1/brands").token(&t.token).send().await.expect(200);
    assert_eq!(list.body["data"], json!([]));
}

#[actix_web::test]
async fn brand_names_are_unique_in_a_tenant_only() {
    let app = spawn_app().await;
    let a = app.signup("A").await;
    let b = app.signup("B").await;
    app.brand(&a.token, "Daynet").await;
    let r = app
        .post("/v1/brands")
        .token(&a.token)
        .json(json!({"name": "Daynet", "keywords": ["x"]}))
        .send()
        .await
        .problem(409);
    assert!(r.body["detail"].as_str().unwrap().contains("name"));
    app.brand(&b.token, "Daynet").await;
    let other = app.brand(&a.token, "Other").await;
    app.patch(&format!("/v1/brands/{other}")).token(&a.token).json(json!({"name": "Daynet"})).send().await.problem(409);
}

#[actix_web::test]
async fn pagination_walks_120_brands_without_duplicates_or_gaps() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let mut created = Vec::new();
    for i in 0..120 {
        created.push(app.brand(&t.token, &format!("Brand {i:03}")).await);
    }
    for limit in [1usize, 7, 50, 200] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/v1/brands?limit={limit}&cursor={c}"),
                None => format!("/v1/brands?limit={limit}"),
            };
            let r = app.get(&path).token(&t.token).send().await.expect(200);
            let page = r.body["data"].as_array().unwrap();
            assert!(page.len() <= limit);
            seen.extend(page.iter().map(|b| b["id"].as_str().unwrap().to_owned()));
            pages += 1;
            match r.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, created, "limit {limit}: every brand once, in creation order");
        assert_eq!(pages, 120usize.div_ceil(limit), "limit {limit}: no empty trailing page");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 120);
    }
    // Default page size.
    let r = app.get("/v1/brands").token(&t.token).send().await.expect(200);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 50);
}

#[actix_web::test]
async fn a_page_survives_deletion_of_its_cursor_row() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let ids: Vec<String> = create_brands(&app, &t.token, 5).await;
    let r = app.get("/v1/brands?limit=2").token(&t.token).send().await.expect(200);
    let cursor = r.body["next_cursor"].as_str().unwrap().to_owned();
    app.delete(&format!("/v1/brands/{}", ids[1])).token(&t.token).send().await.expect(204);
    let r = app.get(&format!("/v1/brands?limit=2&cursor={cursor}")).token(&t.token).send().await.expect(200);
    let next: Vec<&str> = r.body["data"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(next, [ids[2].as_str(), ids[3].as_str()]);
}

async fn create_brands(app: &smrm_tests::TestApp, token: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(app.brand(token, &format!("B{i}")).await);
    }
    ids
}

#[actix_web::test]
async fn preview_shows_what_a_query_matches_and_why() {
    let app = spawn_app().await;
    let t = app.signup("Acme").await;
    let r = app
        .post("/v1/brands/preview")
        .token(&t.token)
        .json(json!({
            "keywords": ["Дейнет", "Daynet", "\"Day Net\""],
            "excluded_keywords": ["daynet jobs"],
            "texts": [
                "Доволен Дейнетом!",
                "Daynetwork is down",
                "Daynet jobs: we are hiring",
                "#daynet rocks",
                "Day Nets are fine",
                "У Дейнета и DAYNET'S support",
            ]
        }))
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["checked"], 6);
    let hits: Vec<(u64, Vec<String>)> = r.body["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let words = m["matched_words"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_owned()).collect();
            (m["index"].as_u64().unwrap(), words)
        })
        .collect();
    assert_eq!(
        hits,
        [
            (0, vec!["дейнетом".to_owned()]),
            (3, vec!["daynet".to_owned()]),
            (5, vec!["дейнета".to_owned(), "daynet".to_owned()]),
        ]
    );
    let r = app
        .post("/v1/brands/preview")
        .token(&t.token)
        .json(json!({"keywords": [], "texts": ["x"]}))
        .send()
        .await
        .problem(422);
    assert_eq!(r.fields(), ["keywords"]);
    let viewer = app.user_token(&t.token, "viewer", &[]).await;
    app.post("/v1/brands/preview")
        .token(&viewer)
        .json(json!({"keywords": ["x"], "texts": []}))
        .send()
        .await
        .problem(403);
}
