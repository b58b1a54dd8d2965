//! Several servers on one database, and stopping cleanly: two writers on
//! one SQLite file both succeed, a writer that cannot get the lock in time
//! answers 503 (never 500) and loses nothing, and a shutdown in the middle
//! of a backfill exits cleanly and hands the rest to the next start.

use sea_orm::{Database, SqliteTransactionMode, TransactionOptions, TransactionTrait};
use serde_json::{Value, json};
use smrm_domain::ids::{BrandId, TenantId};
use smrm_domain::model::brand::BackfillStatus;
use smrm_domain::ports::BrandRepository;
use smrm_tests::{TestApp, spawn_durable_app};

fn post(external_id: &str, text: &str) -> Value {
    json!({
        "external_id": external_id,
        "platform": "vk",
        "source_type": "social",
        "text": text,
        "published_at": "2026-11-20T12:00:00Z",
        "author": {"handle": "@ivan"}
    })
}

const PERIOD: &str = "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";

/// The brand's mention count in the rollups, as `app` reports it.
async fn total(app: &TestApp, token: &str, brand: &str) -> u64 {
    let r = app.get(&format!("/v1/brands/{brand}/sentiment?{PERIOD}")).token(token).send().await.expect(200);
    r.body["all"]["total"].as_u64().unwrap()
}

#[actix_web::test]
async fn two_servers_on_one_database_ingest_at_once_and_lose_nothing() {
    // On SQLite: one file, two connection pools, as `smrm demo` beside `smrm serve`.
    let a = spawn_durable_app(|_| {}).await;
    let b = a.replica().await;
    let t = a.signup("Two writers").await;
    let brand = a.brand(&t.token, "Дуэт").await;
    // Twelve batches of 200 posts, each sharing 100 with the next (1,300
    // distinct posts), sent at once, alternately to each server.
    let batches: Vec<Vec<Value>> = (0..12)
        .map(|n| (n * 100..n * 100 + 200).map(|i| post(&format!("p{i}"), &format!("пост {i} про Дуэт"))).collect())
        .collect();
    let answers = futures_util::future::join_all(batches.into_iter().enumerate().map(|(n, items)| {
        let server = if n % 2 == 0 { &a } else { &b };
        server.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": items })).send()
    }))
    .await;
    let created: u64 = answers.into_iter().map(|r| r.expect(200).body["created"].as_u64().unwrap()).sum();
    assert_eq!(created, 1_300, "every distinct post makes exactly one mention");

    // Polled by sequence number, each post appears once, numbered 1..=1300.
    b.assert_polled_once_each(&t.token, 1_300).await;
    assert_eq!(total(&a, &t.token, &brand).await, 1_300, "the rollups count each mention once");
    assert_eq!(total(&b, &t.token, &brand).await, 1_300);
}

#[actix_web::test]
async fn a_write_lock_held_past_the_busy_timeout_answers_503_and_loses_nothing() {
    let app = spawn_durable_app(|c| c.sqlite_busy_timeout_ms = 200).await;
    let t = app.signup("Busy").await;
    let brand = app.brand(&t.token, "Занято").await;
    app.wait_backfill(&t.token, &brand).await;
    let batch = json!({"items": [post("busy-1", "Занято навсегда?")]});
    if app.config.database_url.starts_with("sqlite:") {
        // Another process holds SQLite's one write lock past the timeout.
        let other = Database::connect(app.config.database_url.as_str()).await.unwrap();
        let immediate = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let lock = other.begin_with_options(immediate).await.unwrap();
        let r = app.post("/v1/mentions/batch").token(&t.token).json(batch.clone()).send().await.problem(503);
        assert_eq!(r.body["code"], "service_unavailable", "{}", r.text);
        assert!(r.header("retry-after").and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| s > 0), "{r:?}");
        lock.rollback().await.unwrap();
        other.close().await.unwrap();
    }
    // (PostgreSQL locks rows, not the database: there is no such wait.)
    // The same batch once the lock is gone: nothing was half-written.
    let r = app.post("/v1/mentions/batch").token(&t.token).json(batch).send().await.expect(200);
    assert_eq!(r.body["created"], 1, "{}", r.text);
    assert_eq!(total(&app, &t.token, &brand).await, 1);
}

#[actix_web::test]
async fn a_shutdown_during_a_backfill_exits_cleanly_and_the_next_start_resumes_it() {
    let mut app = spawn_durable_app(|_| {}).await;
    let t = app.signup("Stopping").await;
    // 10,000 posts that match no brand yet: the backfill of the brand made
    // next reads them in ten pages.
    for n in 0..10 {
        let items: Vec<Value> =
            (n * 1000..n * 1000 + 1000).map(|i| post(&format!("s{i}"), &format!("отзыв {i} о Стопкране"))).collect();
        let r = app.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": items })).send().await;
        assert_eq!(r.expect(200).body["unmatched"], 1000);
    }
    let brand = app.brand(&t.token, "Стопкран").await;
    let mut running = false;
    for _ in 0..2_000 {
        let b = app.get(&format!("/v1/brands/{brand}")).token(&t.token).send().await.expect(200).body;
        assert_ne!(b["backfill"]["status"], "done", "the backfill finished before the test could stop it");
        if b["backfill"]["status"] == "running" {
            running = true;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert!(running, "the backfill started");

    // SIGTERM's path: requests, then workers, finish inside the runtime.
    app.stop().await.expect("the server and its workers stop cleanly");
    // The run stopped after a whole page and handed its claim back.
    let store = app.store().await;
    let stored = store.get_brand(TenantId(t.id.parse().unwrap()), BrandId(brand.parse().unwrap())).await.unwrap();
    assert_eq!(stored.backfill.status, BackfillStatus::Pending, "cut short, and pending again");
    store.connection().clone().close().await.unwrap();

    // The next start takes the run up at once (its claim was handed back,
    // not left to go stale) and completes it: every post, once.
    let app = app.restart().await;
    app.wait_backfill(&t.token, &brand).await;
    assert_eq!(total(&app, &t.token, &brand).await, 10_000);
}

#[actix_web::test]
async fn upgrading_keeps_a_feeds_validators_as_its_cursor() {
    use sea_orm::{ConnectionTrait, Statement};
    use smrm_migrations::{Migrator, MigratorTrait};

    let app = spawn_durable_app(|_| {}).await;
    let t = app.signup("Upgrade").await;
    let source = app
        .post("/v1/sources")
        .token(&t.token)
        .json(json!({"kind": "rss", "url": "https://news.example.com/rss", "source_type": "news",
            "platform": "news_example", "poll_seconds": 300, "enabled": false}))
        .send()
        .await
        .expect(201)
        .id();
    let store = app.store().await;
    let db = store.connection();
    // Back to the schema before cursors (and connectors), with validators
    // stored as they were.
    // Every migration after the tenth (source_cursor is the eleventh).
    let after_tenth = u32::try_from(Migrator::migrations().len() - 10).unwrap();
    Migrator::down(db, Some(after_tenth)).await.unwrap();
    let backend = db.get_database_backend();
    let id = uuid::Uuid::parse_str(&source).unwrap();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        if backend == sea_orm::DbBackend::Postgres {
            r#"UPDATE sources SET etag = '"v7"', last_modified = NULL WHERE id = $1"#
        } else {
            r#"UPDATE sources SET etag = '"v7"', last_modified = NULL WHERE id = ?"#
        },
        [id.into()],
    ))
    .await
    .unwrap();

    Migrator::up(db, None).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            if backend == sea_orm::DbBackend::Postgres {
                "SELECT cursor, config, name FROM sources WHERE id = $1"
            } else {
                "SELECT cursor, config, name FROM sources WHERE id = ?"
            },
            [id.into()],
        ))
        .await
        .unwrap()
        .expect("the source is still there");
    let cursor: Option<String> = row.try_get("", "cursor").unwrap();
    let cursor: Value = serde_json::from_str(&cursor.expect("a cursor")).unwrap();
    assert_eq!(cursor["etag"], "\"v7\"", "{cursor}");
    assert!(cursor["last_modified"].is_null(), "{cursor}");
    // A feed from before connectors has its URL as its config, and as its name.
    let config: String = row.try_get("", "config").unwrap();
    let config: Value = serde_json::from_str(&config).unwrap();
    assert_eq!(config, json!({"kind": "rss", "url": "https://news.example.com/rss"}));
    let name: String = row.try_get("", "name").unwrap();
    assert_eq!(name, "https://news.example.com/rss");
}

/// Backfills take turns between tenants: a tenant that queued many brands
/// does not go first with all of them.
#[actix_web::test]
async fn backfills_take_turns_between_tenants() {
    let app = smrm_tests::spawn_app().await;
    let busy = app.signup("Busy").await;
    let quiet = app.signup("Quiet").await;
    for n in 0..3 {
        let items: Vec<Value> =
            (n * 1000..n * 1000 + 1000).map(|i| post(&format!("b{i}"), &format!("общий отзыв {i}"))).collect();
        app.post("/v1/mentions/batch").token(&busy.token).json(json!({ "items": items })).send().await.expect(200);
    }
    // Twenty brands that each re-match the 3,000 stored posts.
    let mut queued = Vec::new();
    for i in 0..20 {
        let body = json!({"name": format!("Общий {i}"), "keywords": ["общий", format!("слово{i}")]});
        queued.push(app.post("/v1/brands").token(&busy.token).json(body).send().await.expect(201).id());
    }
    let brand = app.brand(&quiet.token, "Тихий").await;
    app.wait_backfill(&quiet.token, &brand).await;
    let mut done = 0;
    for id in &queued {
        let b = app.get(&format!("/v1/brands/{id}")).token(&busy.token).send().await.expect(200).body;
        done += usize::from(b["backfill"]["status"] == "done");
    }
    assert!(done < 10, "the quiet tenant's backfill waited for {done} of the busy tenant's 20");
}

/// On a Citus coordinator (`.ci/citus`), every start places what the
/// migrations made: `tenants` by `id`, every other table but the login
/// directory by `tenant_id` in `tenants`' colocation group, the directory
/// as a reference table; running it again places nothing; and a tenant's
/// reads and batch INSERTs go to one shard. Elsewhere there is nothing to
/// place.
#[actix_web::test]
async fn on_citus_every_table_is_placed_by_tenant_once() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    let app = smrm_tests::spawn_app().await;
    let t = app.signup("Sharded").await;
    let store = app.store().await;
    let again = store.migrate().await.unwrap();
    if !store.on_citus() {
        assert_eq!(again, None);
        return;
    }
    let again = again.expect("a Citus coordinator reports its placement");
    assert!(again.distributed.is_empty() && again.reference.is_empty(), "{again:?}");
    let db = store.connection();
    let pg = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_owned());
    let rows = db
        .query_all_raw(pg("SELECT c.relname AS name, p.partmethod::text AS method, p.repmodel::text AS model, \
                  p.colocationid = (SELECT colocationid FROM pg_dist_partition \
                                    WHERE logicalrelid = format('%I.tenants', current_schema())::regclass) AS with_tenants, \
                  (SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum = \
                   (SELECT k.attnum FROM pg_dist_partition d, LATERAL (SELECT (regexp_match(d.partkey, ':varattno (\\d+)'))[1]::int2 AS attnum) k \
                    WHERE d.logicalrelid = c.oid)) AS key \
             FROM pg_class c LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid \
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relname <> 'seaql_migrations'"))
        .await
        .unwrap();
    assert!(rows.len() >= 30, "every table is there: {}", rows.len());
    for row in rows {
        let name: String = row.try_get("", "name").unwrap();
        let method: Option<String> = row.try_get("", "method").unwrap();
        let model: Option<String> = row.try_get("", "model").unwrap();
        let key: Option<String> = row.try_get("", "key").unwrap();
        let with_tenants: Option<bool> = row.try_get("", "with_tenants").unwrap();
        match name.as_str() {
            "user_emails" => assert_eq!(model.as_deref(), Some("t"), "{name} is a reference table"),
            _ => {
                assert_eq!(method.as_deref(), Some("h"), "{name} is distributed");
                let expected = if name == "tenants" { "id" } else { "tenant_id" };
                assert_eq!(key.as_deref(), Some(expected), "{name} is distributed by tenant");
                assert_eq!(with_tenants, Some(true), "{name} is colocated with tenants");
            }
        }
    }
    let tenant = app.get("/v1/me").token(&t.token).send().await.expect(200).body["tenant"]["id"].clone();
    let tenant = tenant.as_str().expect("the tenant's id").to_owned();
    let plan = db
        .query_all_raw(pg(&format!("EXPLAIN SELECT count(*) FROM mentions WHERE tenant_id = '{tenant}'")))
        .await
        .unwrap();
    let plan: Vec<String> = plan.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect();
    assert!(plan.iter().any(|l| l.contains("Task Count: 1")), "one shard answers a tenant's read: {plan:#?}");
}

/// Migration 15 gives each stored correction (one per post, the latest
/// label given to any of its mentions) the brand of the manual mention
/// that carries its label, and no other brand of the post.
#[actix_web::test]
async fn upgrading_ties_each_correction_to_the_mention_that_carries_its_label() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    use smrm_migrations::{Migrator, MigratorTrait};

    let app = spawn_durable_app(|_| {}).await;
    let t = app.signup("Upgrade").await;
    let mega = app.brand(&t.token, "Мегасвязь").await;
    let day = app.brand(&t.token, "Дейнет").await;
    let items = vec![post("two", "Мегасвязь подвела, перешёл на Дейнет — доволен"), post("one", "Дейнет радует")];
    app.post("/v1/mentions/batch").token(&t.token).json(json!({ "items": items })).send().await.expect(200);
    for (brand, external_id, label) in
        [(&mega, "two", "negative"), (&day, "two", "positive"), (&day, "one", "negative")]
    {
        let listed = app.get(&format!("/v1/mentions?brand_id={brand}")).token(&t.token).send().await.expect(200);
        let m = &listed.body["data"].as_array().unwrap().iter().find(|m| m["external_id"] == external_id).unwrap();
        let path = format!("/v1/mentions/{}", m["id"].as_str().unwrap());
        app.patch(&path).token(&t.token).json(json!({ "sentiment": label })).send().await.expect(200);
    }

    let store = app.store().await;
    let db = store.connection();
    let backend = db.get_database_backend();
    let sql = |pg: &str| if backend == DbBackend::Postgres { pg.to_owned() } else { pg.replace("$1", "?") };
    let count = |brand: Option<&str>| {
        let (query, values): (String, Vec<sea_orm::Value>) = match brand {
            Some(b) => (
                sql("SELECT COUNT(*) AS n FROM sentiment_corrections WHERE brand_id = $1"),
                vec![uuid::Uuid::parse_str(b).unwrap().into()],
            ),
            None => ("SELECT COUNT(*) AS n FROM sentiment_corrections".to_owned(), vec![]),
        };
        async move {
            let row = db.query_one_raw(Statement::from_sql_and_values(backend, query, values)).await.unwrap().unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    assert_eq!(count(None).await, 3, "a correction per labelled mention");

    // Back to one correction per post, as before migration 15, where the
    // two-brand post's holds the label given last: Дейнет's.
    Migrator::down(db, Some(1)).await.unwrap();
    assert_eq!(count(None).await, 2, "one correction per post");
    db.execute_raw(Statement::from_string(
        backend,
        "UPDATE sentiment_corrections SET label = 'positive' \
         WHERE post_id IN (SELECT id FROM posts WHERE external_id = 'two')",
    ))
    .await
    .unwrap();

    Migrator::up(db, None).await.unwrap();
    assert_eq!(count(Some(&mega)).await, 0, "Мегасвязь's label was not the correction's");
    assert_eq!(count(Some(&day)).await, 2, "Дейнет's mentions of both posts");
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql("SELECT label, targets FROM sentiment_corrections WHERE brand_id = $1 ORDER BY label"),
            [uuid::Uuid::parse_str(&day).unwrap().into()],
        ))
        .await
        .unwrap();
    let labels: Vec<String> = rows.iter().map(|r| r.try_get("", "label").unwrap()).collect();
    assert_eq!(labels, ["negative", "positive"]);
    for r in &rows {
        let targets: Value = r.try_get("", "targets").unwrap();
        assert!(targets.to_string().to_lowercase().contains("дейнет"), "{targets}");
    }
    // The upgraded corrections are the tenant's, as the API counts them.
    let r = app.get("/v1/sentiment/model").token(&t.token).send().await.expect(200);
    assert_eq!(r.body["corrections"], 2, "{}", r.body);
}
