//! Telemetry as Prometheus metrics, served at `GET /metrics` (text format 0.0.4): HTTP
//! requests by route and status with latency histograms, ingest, the report
//! cache, webhook deliveries, feed polls and the database pool.
//!
//! Routes are labelled by their pattern (`/v1/brands/{id}`), never by the
//! raw path, so the number of series stays bounded whatever clients send.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_seconds: HistogramVec,
    pub ingest_posts: IntCounterVec,
    pub ingest_mentions: IntCounter,
    pub report_cache: IntCounterVec,
    pub webhook_attempts: IntCounterVec,
    pub source_polls: IntCounterVec,
    db_pool: IntGaugeVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("smrm".into()), None).expect("a valid prefix");
        let http_requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests served, by route pattern, method and status."),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let http_seconds = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time to serve an HTTP request, by route pattern.")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["route", "method"],
        )
        .expect("valid metric");
        let ingest_posts = IntCounterVec::new(
            Opts::new("ingest_posts_total", "Posts received by ingest (batches and feeds), by result."),
            &["result"],
        )
        .expect("valid metric");
        let ingest_mentions =
            IntCounter::new("ingest_mentions_total", "Mentions created by ingest.").expect("valid metric");
        let report_cache =
            IntCounterVec::new(Opts::new("report_cache_total", "Report cache lookups, by result."), &["result"])
                .expect("valid metric");
        let webhook_attempts = IntCounterVec::new(
            Opts::new("webhook_attempts_total", "Webhook delivery attempts, by outcome."),
            &["outcome"],
        )
        .expect("valid metric");
        let source_polls = IntCounterVec::new(Opts::new("source_polls_total", "Feed polls, by outcome."), &["outcome"])
            .expect("valid metric");
        let db_pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections, by state (at scrape time)."),
            &["state"],
        )
        .expect("valid metric");
        for m in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(http_seconds.clone()),
            Box::new(ingest_posts.clone()),
            Box::new(ingest_mentions.clone()),
            Box::new(report_cache.clone()),
            Box::new(webhook_attempts.clone()),
            Box::new(source_polls.clone()),
            Box::new(db_pool.clone()),
        ] {
            registry.register(m).expect("each metric registered once");
        }
        Self {
            registry,
            http_requests,
            http_seconds,
            ingest_posts,
            ingest_mentions,
            report_cache,
            webhook_attempts,
            source_polls,
            db_pool,
        }
    }

    /// Records one served request.
    pub fn observe_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.http_requests.with_label_values(&[route, method, &status.to_string()]).inc();
        self.http_seconds.with_label_values(&[route, method]).observe(seconds);
    }

    /// Records an ingest: what became of the posts received
    /// (`matched`, `unmatched` or `duplicate`) and the mentions created.
    pub fn observe_ingest(&self, received: usize, duplicates: usize, unmatched: usize, mentions: usize) {
        let matched = received.saturating_sub(duplicates + unmatched);
        self.ingest_posts.with_label_values(&["matched"]).inc_by(matched as u64);
        self.ingest_posts.with_label_values(&["unmatched"]).inc_by(unmatched as u64);
        self.ingest_posts.with_label_values(&["duplicate"]).inc_by(duplicates as u64);
        self.ingest_mentions.inc_by(mentions as u64);
    }

    /// The text exposition of every series, with the pool gauges read now.
    pub fn render(&self, pool: Option<(u32, u32)>) -> Vec<u8> {
        if let Some((size, idle)) = pool {
            self.db_pool.with_label_values(&["idle"]).set(i64::from(idle));
            self.db_pool.with_label_values(&["in_use"]).set(i64::from(size.saturating_sub(idle)));
        }
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("text encoding cannot fail");
        out
    }
}

/// The domain's counts, as Prometheus series.
impl smrm_domain::ports::Telemetry for Metrics {
    fn ingested(&self, received: usize, duplicates: usize, unmatched: usize, mentions: usize) {
        self.observe_ingest(received, duplicates, unmatched, mentions);
    }

    fn source_polled(&self, outcome: &'static str) {
        self.source_polls.with_label_values(&[outcome]).inc();
    }

    fn webhook_attempted(&self, outcome: &'static str) {
        self.webhook_attempts.with_label_values(&[outcome]).inc();
    }

    fn report_cache(&self, hit: bool) {
        self.report_cache.with_label_values(&[if hit { "hit" } else { "miss" }]).inc();
    }
}
