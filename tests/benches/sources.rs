//! On demand, not in CI: 1,000 `vk_wall` sources (10 tenants of 100, each
//! source with its own token) run by one replica against the local VK
//! stand-in, for `DURATION` seconds with `poll_seconds` = `POLL`. Reports
//! runs per second, the schedule lag (p50/p95 of when a run's request
//! arrived minus when it was due) and the process's memory.
//!
//! ```sh
//! cargo bench -p smrm-tests --bench sources                 # SQLite
//! TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!   TEST_REDIS_URL=redis://127.0.0.1:6379 cargo bench -p smrm-tests --bench sources
//! ```
//! `SOURCES`, `POLL` and `DURATION` (seconds) override the defaults.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;
use smrm_tests::standins::vk::{Post, Vk};
use smrm_tests::{spawn_connected, unix_now};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let (sources, poll, duration) = (env("SOURCES", 1000), env("POLL", 30), env("DURATION", 120));
    actix_web::rt::System::new().block_on(async move {
        let vk = Vk::start("unused").await;
        let now = unix_now();
        vk.with(|s| {
            s.any_token = true;
            s.posts = (1..=sources as i64)
                .flat_map(|owner| (1..=3).map(move |id| Post::new(-owner, id, -owner, now - id * 600, "Дейнет: новости")))
                .collect();
        });
        let url = vk.server.url.clone();
        let app = spawn_connected(move |u| u.vk = url).await;
        let rss_before = rss_kib();
        let tenants = (sources as usize).div_ceil(100);
        let mut created_at: HashMap<i64, Instant> = HashMap::new();
        for t in 0..tenants {
            let tenant = app.signup(&format!("Agency {t}")).await;
            app.brand(&tenant.token, "Дейнет").await;
            for i in 0..100 {
                let owner = (t * 100 + i + 1) as i64;
                if owner > sources as i64 {
                    break;
                }
                let cred = app
                    .post("/v1/credentials")
                    .token(&tenant.token)
                    .json(json!({"kind": "vk", "name": "token", "secret": format!("token-{owner}")}))
                    .send()
                    .await
                    .expect(201)
                    .id();
                app.post("/v1/sources")
                    .token(&tenant.token)
                    .json(json!({"kind": "vk_wall", "config": {"owner": -owner}, "credential_id": cred, "poll_seconds": poll}))
                    .send()
                    .await
                    .expect(201);
                created_at.insert(owner, Instant::now());
            }
        }
        let started = Instant::now();
        println!("{sources} sources created in {:.1} s; measuring for {duration} s …", started.duration_since(*created_at.values().min().unwrap()).as_secs_f64());
        actix_web::rt::time::sleep(Duration::from_secs(duration / 2)).await;
        let rss_half = rss_kib();
        actix_web::rt::time::sleep(Duration::from_secs(duration - duration / 2)).await;
        let rss_after = rss_kib();
        let asked = vk.server.asked_on("/wall.get");
        let end = Instant::now();
        // Per wall, its requests in order: the first was due at its
        // creation, each next one `poll` seconds after the one before.
        let mut by_owner: HashMap<i64, Vec<Instant>> = HashMap::new();
        for a in &asked {
            let owner: i64 = a.form().iter().find(|(k, _)| k == "owner_id").map(|(_, v)| v.parse().unwrap()).unwrap();
            by_owner.entry(-owner).or_default().push(a.at);
        }
        // The first runs (all due at once, as after a deploy that adds a
        // thousand sources) apart from the steady state.
        let (mut first, mut lags) = (Vec::new(), Vec::new());
        for (owner, times) in &by_owner {
            let mut due = created_at[owner];
            for (i, at) in times.iter().enumerate() {
                let lag = at.saturating_duration_since(due).as_secs_f64();
                if i == 0 { first.push(lag) } else { lags.push(lag) }
                due = *at + Duration::from_secs(poll);
            }
        }
        first.sort_by(|a, b| a.partial_cmp(b).unwrap());
        lags.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let in_window = asked.iter().filter(|a| a.at >= started).count();
        let seconds = end.duration_since(started).as_secs_f64();
        let stats = app.get("/metrics").send().await.text;
        let failed: Vec<&str> = stats.lines().filter(|l| l.starts_with("smrm_source_polls_total") && !l.contains("outcome=\"fetched\"")).collect();
        println!("backend: {}", if std::env::var("TEST_DATABASE_URL").is_ok() { "PostgreSQL + Redis" } else { "SQLite" });
        println!("runs: {} in all, {in_window} in the {seconds:.0} s window = {:.1} runs/s (ideal {:.1}/s)", asked.len(), in_window as f64 / seconds, sources as f64 / poll as f64);
        println!("sources run at least once: {} of {sources}", by_owner.len());
        println!("schedule lag, steady state ({} runs): p50 {:.2} s, p95 {:.2} s, max {:.2} s", lags.len(), percentile(&lags, 0.5), percentile(&lags, 0.95), lags.last().copied().unwrap_or(0.0));
        println!("schedule lag, first runs (all due at once): p50 {:.2} s, p95 {:.2} s, max {:.2} s", percentile(&first, 0.5), percentile(&first, 0.95), first.last().copied().unwrap_or(0.0));
        println!(
            "memory (VmRSS, server and stand-in in one process): {} MiB before the sources, {} MiB half way, {} MiB at the end",
            rss_before / 1024,
            rss_half / 1024,
            rss_after / 1024
        );
        println!("runs that did not fetch: {failed:?}");
    });
}
