//! The test harness: a real SMRM server per test, on a free port, over HTTP.
//!
//! By default each test gets an in-memory SQLite database and the in-process
//! cache. With `TEST_DATABASE_URL=postgres://…` each test gets a fresh
//! PostgreSQL schema (dropped afterwards); with `TEST_REDIS_URL=redis://…` the
//! Redis cache under a key namespace of its own. Tests run in parallel.

#[path = "standins/mod.rs"]
pub mod standins;

use std::time::Duration;

use awc::http::{Method, StatusCode, header::HeaderMap};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use smrm_api::config::Config;
use smrm_api::startup::Application;
use uuid::Uuid;

pub struct TestApp {
    pub base: String,
    client: awc::Client,
    /// The configuration it runs with (to restart it on the same database).
    pub config: Config,
    handle: actix_web::dev::ServerHandle,
    /// The server's run (HTTP, then its background workers), awaited by `stop`.
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _schema: Option<SchemaGuard>,
    _file: Option<FileGuard>,
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
    /// The body as received (not decoded).
    pub bytes: actix_web::web::Bytes,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        self
    }

    /// Asserts a problem+json answer with this status and returns it.
    #[track_caller]
    pub fn problem(self, status: u16) -> Self {
        let r = self.expect(status);
        assert_eq!(r.header("content-type"), Some("application/problem+json"), "{}", r.text);
        assert_eq!(r.body["status"], status, "{}", r.text);
        assert!(r.body["request_id"].as_str().is_some_and(|s| !s.is_empty()), "{}", r.text);
        r
    }

    /// The `field`s of a 422's `errors`.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| a.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect())
            .unwrap_or_default()
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_else(|| panic!("no id in {}", self.text)).to_owned()
    }
}

/// A request under construction.
pub struct Req<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    token: Option<String>,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    content_type: Option<String>,
}

impl Req<'_> {
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(serde_json::to_vec(&body).unwrap());
        self.content_type = Some("application/json".into());
        self
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self.content_type = Some(content_type.to_owned());
        self
    }

    pub async fn send(self) -> Resp {
        let mut req = self.app.client.request(self.method, format!("{}{}", self.app.base, self.path));
        if let Some(t) = &self.token {
            req = req.insert_header(("authorization", format!("Bearer {t}")));
        }
        for (k, v) in &self.headers {
            req = req.insert_header((k.as_str(), v.as_str()));
        }
        let mut res = match (self.body, self.content_type) {
            (Some(body), Some(ct)) => req.insert_header(("content-type", ct)).send_body(body).await,
            _ => req.send().await,
        }
        .expect("the server answers");
        let bytes = res.body().limit(64 * 1024 * 1024).await.expect("a readable body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status: res.status(), headers: res.headers().clone(), text, body, bytes }
    }
}

/// A signed-up tenant: its owner's tokens and ids.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub owner_id: String,
    pub email: String,
    pub password: String,
    pub token: String,
    pub refresh_token: String,
}

pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    pub fn request(&self, method: Method, path: &str) -> Req<'_> {
        Req { app: self, method, path: path.to_owned(), token: None, headers: vec![], body: None, content_type: None }
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Req<'_> {
        self.request(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> Req<'_> {
        self.request(Method::PATCH, path)
    }

    pub fn delete(&self, path: &str) -> Req<'_> {
        self.request(Method::DELETE, path)
    }

    /// Signs up a new tenant with a unique owner address.
    pub async fn signup(&self, name: &str) -> Tenant {
        let email = format!("owner-{}@{}.example", Uuid::now_v7().simple(), name.to_lowercase().replace(' ', "-"));
        let r = self
            .post("/v1/signup")
            .json(json!({"tenant_name": name, "email": email, "password": PASSWORD}))
            .send()
            .await
            .expect(201);
        Tenant {
            id: r.body["tenant"]["id"].as_str().unwrap().into(),
            owner_id: r.body["user"]["id"].as_str().unwrap().into(),
            email,
            password: PASSWORD.into(),
            token: r.body["access_token"].as_str().unwrap().into(),
            refresh_token: r.body["refresh_token"].as_str().unwrap().into(),
        }
    }

    /// Creates a user with `role` in the tenant of `admin_token` and logs them in.
    pub async fn user_token(&self, admin_token: &str, role: &str, brand_ids: &[&str]) -> String {
        let email = format!("{role}-{}@example.com", Uuid::now_v7().simple());
        self.post("/v1/users")
            .token(admin_token)
            .json(json!({"email": email, "password": PASSWORD, "role": role, "brand_ids": brand_ids}))
            .send()
            .await
            .expect(201);
        self.login(&email, PASSWORD).await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let r =
            self.post("/v1/auth/token").json(json!({"email": email, "password": password})).send().await.expect(200);
        r.body["access_token"].as_str().unwrap().to_owned()
    }

    /// Creates a competitor set and returns its id.
    pub async fn competitor_set(&self, token: &str, name: &str, brand: &str, competitors: &[&str]) -> String {
        self.post("/v1/competitor-sets")
            .token(token)
            .json(json!({"name": name, "brand_id": brand, "competitor_ids": competitors}))
            .send()
            .await
            .expect(201)
            .id()
    }

    /// Creates an API key; the answer carries `id` and the secret `key`.
    pub async fn api_key(&self, token: &str, role: &str) -> Resp {
        self.post("/v1/api-keys").token(token).json(json!({"name": "key", "role": role})).send().await.expect(201)
    }

    /// Creates a user with `role` (no login) and returns its id.
    pub async fn user(&self, token: &str, role: &str) -> String {
        let email = format!("{role}-{}@example.com", Uuid::now_v7().simple());
        self.post("/v1/users")
            .token(token)
            .json(json!({"email": email, "password": PASSWORD, "role": role}))
            .send()
            .await
            .expect(201)
            .id()
    }

    /// Polls every mention by `since_seq` and asserts that each post comes
    /// exactly once, numbered 1..=`n` in storing order.
    pub async fn assert_polled_once_each(&self, token: &str, n: u64) {
        let (mut seqs, mut ids, mut since) = (Vec::new(), std::collections::HashSet::new(), 0);
        loop {
            let page = self.get(&format!("/v1/mentions?since_seq={since}&limit=200")).token(token).send().await;
            let data = page.expect(200).body["data"].as_array().unwrap().clone();
            let Some(last) = data.last() else { break };
            since = last["seq"].as_u64().unwrap();
            for m in &data {
                seqs.push(m["seq"].as_u64().unwrap());
                assert!(ids.insert(m["external_id"].as_str().unwrap().to_owned()), "a post listed twice");
            }
        }
        assert_eq!(seqs, (1..=n).collect::<Vec<u64>>(), "sequence numbers are gapless and in storing order");
    }

    /// The server's database, reached directly (what a CLI command or
    /// another process sees).
    pub async fn store(&self) -> smrm_infra::SqlStore {
        smrm_infra::SqlStore::connect(&smrm_infra::DbSettings {
            url: self.config.database_url.clone(),
            schema: self.config.database_schema.clone(),
            max_connections: 2,
            busy_timeout: Duration::from_secs(5),
            batch_inserts: self.config.batch_inserts,
        })
        .await
        .expect("the test database answers")
    }

    /// Waits (up to 20 s) until the source satisfies `ok`, returning it.
    pub async fn wait_source(&self, token: &str, id: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        for _ in 0..200 {
            last = self.get(&format!("/v1/sources/{id}")).token(token).send().await.expect(200).body;
            if ok(&last) {
                return last;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the source never got there: {last}");
    }

    /// Every mention of the tenant, newest first.
    pub async fn all_mentions(&self, token: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = self.get(&format!("/v1/mentions?limit=200{cursor}")).token(token).send().await.expect(200).body;
            all.extend(page["data"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => return all,
            }
        }
    }

    /// Waits (up to 10 s) until the brand's backfill is done, returning the brand.
    pub async fn wait_backfill(&self, token: &str, brand: &str) -> Value {
        for _ in 0..100 {
            let b = self.get(&format!("/v1/brands/{brand}")).token(token).send().await.expect(200).body;
            if b["backfill"]["status"] == "done" {
                return b;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the backfill of {brand} did not finish");
    }

    pub async fn brand(&self, token: &str, name: &str) -> String {
        self.post("/v1/brands")
            .token(token)
            .json(json!({"name": name, "keywords": [name]}))
            .send()
            .await
            .expect(201)
            .id()
    }
}

/// The configuration of a test server: defaults, port 0, and the backends
/// chosen by `TEST_DATABASE_URL` / `TEST_REDIS_URL`.
fn test_config() -> Config {
    let mut config = Config::from_lookup(|k| match k {
        "DATABASE_URL" => Some("sqlite::memory:".into()),
        "SMRM_ADDR" => Some("127.0.0.1:0".into()),
        "SMRM_WORKERS" => Some("1".into()),
        "SMRM_DB_MAX_CONNECTIONS" => Some("4".into()),
        _ => None,
    })
    .expect("the test configuration is valid");
    config.redis_url = std::env::var("TEST_REDIS_URL").ok().filter(|s| !s.is_empty());
    config.redis_namespace = format!("smrm-test-{}", Uuid::now_v7().simple());
    // No test reaches a real platform: every platform is a closed local
    // port until a test points it at its stand-in.
    let nowhere = "http://127.0.0.1:9".to_owned();
    config.upstreams = smrm_api::config::Upstreams {
        hn: nowhere.clone(),
        vk: nowhere.clone(),
        telegram: nowhere.clone(),
        youtube: nowhere.clone(),
        reddit: nowhere.clone(),
        reddit_auth: nowhere,
    };
    config
}

/// Whether `check` holds within `deadline`, asked every 10 ms: for what
/// another replica learns by a published message.
pub async fn eventually<F, Fut>(deadline: Duration, check: F) -> bool
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = std::time::Instant::now() + deadline;
    loop {
        if check().await {
            return true;
        }
        if std::time::Instant::now() >= until {
            return false;
        }
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server with the test configuration adjusted by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                std::env::var("TEST_LOG").ok().filter(|l| l.contains("=")).unwrap_or_else(|| "info".into()),
            )
            .with_test_writer()
            .try_init();
    }
    let mut config = test_config();
    let schema = match std::env::var("TEST_DATABASE_URL").ok().filter(|s| !s.is_empty()) {
        Some(url) => {
            let guard = SchemaGuard::create(&url).await;
            // Every connection of the test's servers carries its schema's
            // name, so the guard ends exactly those (see its `Drop`).
            let separator = if url.contains('?') { '&' } else { '?' };
            config.database_url = format!("{url}{separator}application_name={}", guard.schema);
            config.database_schema = Some(guard.schema.clone());
            Some(guard)
        }
        None => None,
    };
    adjust(&mut config);
    start(config, schema, None).await
}

async fn start(config: Config, schema: Option<SchemaGuard>, file: Option<FileGuard>) -> TestApp {
    let app = Application::build(config.clone()).await.expect("the server starts");
    let port = app.port();
    let handle = app.handle();
    let served = Some(actix_web::rt::spawn(app.run()));
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    TestApp { base: format!("http://127.0.0.1:{port}"), client, config, handle, served, _schema: schema, _file: file }
}

/// A server whose sources may poll every second and reach the local
/// stand-ins of their platforms, pointed at by `upstreams`.
pub async fn spawn_connected(upstreams: impl FnOnce(&mut smrm_api::config::Upstreams)) -> TestApp {
    spawn_app_with(|c| {
        c.outbound_allow_private = true;
        c.source_min_poll_seconds = 1;
        upstreams(&mut c.upstreams);
    })
    .await
}

/// Now, in Unix seconds (what platforms' APIs speak).
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A server whose database outlives it, so that `restart` finds the same
/// data: a PostgreSQL schema as usual, or else an SQLite file (removed
/// when the test ends) instead of an in-memory database.
pub async fn spawn_durable_app(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let mut file = None;
    let mut app = spawn_app_with(|c| {
        if c.database_url.starts_with("sqlite:") {
            let path = std::env::temp_dir().join(format!("smrm-test-{}.db", Uuid::now_v7().simple()));
            c.database_url = format!("sqlite://{}?mode=rwc", path.display());
            file = Some(FileGuard(path));
        }
        adjust(c);
    })
    .await;
    app._file = file;
    app
}

impl TestApp {
    /// Stops the server as a shutdown signal would: in-flight requests and
    /// the background workers' current steps finish first. Returns how its
    /// run ended: an error when a worker panicked or serving failed.
    pub async fn stop(&mut self) -> std::io::Result<()> {
        self.handle.stop(true).await;
        match self.served.take() {
            Some(run) => run.await.unwrap_or_else(|e| Err(std::io::Error::other(format!("the server panicked: {e}")))),
            None => Ok(()),
        }
    }

    /// Another server on the same database and Redis, as a second replica
    /// behind a load balancer would be (see `spawn_durable_app`).
    pub async fn replica(&self) -> TestApp {
        start(self.config.clone(), None, None).await
    }

    /// Stops this server and starts another on the same database (see
    /// `spawn_durable_app`), as after a crash or a deploy.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await.expect("the server stops cleanly");
        let (schema, file) = (self._schema.take(), self._file.take());
        start(self.config.clone(), schema, file).await
    }
}

/// Removes an SQLite test database file (and its journal files) at the end.
struct FileGuard(std::path::PathBuf);

impl Drop for FileGuard {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// A request a `Receiver` got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: std::collections::HashMap<String, String>,
    pub body: String,
}

/// A real HTTP endpoint on loopback that records every POST and answers
/// the statuses it is given in order, then `then` (a webhook receiver, a CRM).
pub struct Receiver {
    pub url: String,
    log: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    script: std::sync::Arc<std::sync::Mutex<(std::collections::VecDeque<u16>, u16)>>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    pub async fn start(statuses: &[u16], then: u16) -> Receiver {
        use std::sync::{Arc, Mutex};
        let log: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script =
            Arc::new(Mutex::new((statuses.iter().copied().collect::<std::collections::VecDeque<u16>>(), then)));
        let (l, sc) = (log.clone(), script.clone());
        let server = actix_web::HttpServer::new(move || {
            let (l, sc) = (l.clone(), sc.clone());
            actix_web::App::new().default_service(actix_web::web::to(
                move |req: actix_web::HttpRequest, body: actix_web::web::Bytes| {
                    let (l, sc) = (l.clone(), sc.clone());
                    async move {
                        let headers = req
                            .headers()
                            .iter()
                            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                            .collect();
                        let status = {
                            let mut sc = sc.lock().unwrap();
                            let default = sc.1;
                            sc.0.pop_front().unwrap_or(default)
                        };
                        l.lock().unwrap().push(Received { headers, body: String::from_utf8_lossy(&body).into() });
                        actix_web::HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
                    }
                },
            ))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind a loopback port");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver { url: format!("http://127.0.0.1:{port}/hooks"), log, script, handle }
    }

    /// From now on answer `status` (after any scripted ones left).
    pub fn answer(&self, status: u16) {
        self.script.lock().unwrap().1 = status;
    }

    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived (at most `secs` seconds).
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        for _ in 0..secs * 20 {
            if self.log.lock().unwrap().len() >= n {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        self.received()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

/// A PostgreSQL schema of one test, dropped when the test ends.
struct SchemaGuard {
    url: String,
    schema: String,
}

impl SchemaGuard {
    async fn create(url: &str) -> Self {
        let schema = format!("t_{}", Uuid::now_v7().simple());
        let db = Database::connect(url).await.expect("TEST_DATABASE_URL answers");
        db.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.expect("create the test schema");
        db.close().await.ok();
        Self { url: url.to_owned(), schema }
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let (url, schema) = (self.url.clone(), self.schema.clone());
        // Drop runs inside the test's runtime: do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(db) = Database::connect(&url).await {
                    // The test's server is being dropped with its runtime,
                    // which this thread now blocks: a worker of it caught
                    // in a transaction would hold its locks for ever, and
                    // the DROP would wait on them. Its connections go first:
                    // those named after the schema, not every session that
                    // holds a lock in it (on Citus another test's placement
                    // of its tables locks this test's colocated ones).
                    let _ = db
                        .execute_unprepared(&format!(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                             WHERE application_name = '{schema}' AND pid <> pg_backend_pid()"
                        ))
                        .await;
                    let _ = db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")).await;
                    let _ = db.close().await;
                }
            });
        })
        .join();
    }
}

/// A TCP proxy on loopback that can cut every connection and refuse new
/// ones, then let them through again: a database or Redis "going down" for
/// one test's server only, while every other test keeps using the real one.
pub struct Proxy {
    pub port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    pub async fn start(target: std::net::SocketAddr) -> Proxy {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let port = listener.local_addr().unwrap().port();
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Default::default();
        let (u, l) = (up.clone(), links.clone());
        actix_web::rt::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !u.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let link = actix_web::rt::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                l.lock().unwrap().push(link);
            }
        });
        Proxy { port, up, links }
    }

    /// Closes every connection and refuses new ones.
    pub fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}
