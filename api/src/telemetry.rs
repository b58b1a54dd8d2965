//! Telemetry as Prometheus metrics, served at `GET /metrics` (text format 0.0.4): HTTP
//! requests by route and status with latency histograms, ingest, the report
//! cache, webhook deliveries, sources and
//! their platforms' APIs, and the database pool.
//!
//! Routes are labelled by their pattern (`/v1/brands/{id}`), never by the
//! raw path, so the number of series stays bounded whatever clients send.

use prometheus::{
    CounterVec, Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
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
    pub source_posts: IntCounterVec,
    pub source_mentions: IntCounterVec,
    pub upstream_requests: IntCounterVec,
    pub upstream_seconds: HistogramVec,
    pub rate_limit_waits: CounterVec,
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
        let source_polls = IntCounterVec::new(
            Opts::new("source_polls_total", "Source runs, by kind of source and outcome."),
            &["kind", "outcome"],
        )
        .expect("valid metric");
        let source_posts = IntCounterVec::new(
            Opts::new("source_posts_fetched_total", "Posts sources fetched (new or not), by kind of source."),
            &["kind"],
        )
        .expect("valid metric");
        let source_mentions = IntCounterVec::new(
            Opts::new("source_mentions_created_total", "Mentions made by what sources fetched, by kind of source."),
            &["kind"],
        )
        .expect("valid metric");
        let upstream_requests = IntCounterVec::new(
            Opts::new("upstream_requests_total", "Calls to platform APIs by connectors, by kind and outcome."),
            &["kind", "outcome"],
        )
        .expect("valid metric");
        let upstream_seconds = HistogramVec::new(
            HistogramOpts::new("upstream_request_duration_seconds", "Time a platform took to answer a connector.")
                .buckets(vec![0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
            &["kind"],
        )
        .expect("valid metric");
        let rate_limit_waits = CounterVec::new(
            Opts::new("upstream_rate_limit_wait_seconds_total", "Time connectors waited for platforms' rate limits."),
            &["kind"],
        )
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
            Box::new(source_posts.clone()),
            Box::new(source_mentions.clone()),
            Box::new(upstream_requests.clone()),
            Box::new(upstream_seconds.clone()),
            Box::new(rate_limit_waits.clone()),
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
            source_posts,
            source_mentions,
            upstream_requests,
            upstream_seconds,
            rate_limit_waits,
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

    fn source_polled(&self, kind: &'static str, outcome: &'static str, fetched: u64, mentions: u64) {
        self.source_polls.with_label_values(&[kind, outcome]).inc();
        self.source_posts.with_label_values(&[kind]).inc_by(fetched);
        self.source_mentions.with_label_values(&[kind]).inc_by(mentions);
    }

    fn upstream_called(&self, kind: &'static str, outcome: &'static str, latency: std::time::Duration) {
        self.upstream_requests.with_label_values(&[kind, outcome]).inc();
        self.upstream_seconds.with_label_values(&[kind]).observe(latency.as_secs_f64());
    }

    fn rate_limit_waited(&self, kind: &'static str, waited: std::time::Duration) {
        self.rate_limit_waits.with_label_values(&[kind]).inc_by(waited.as_secs_f64());
    }

    fn webhook_attempted(&self, outcome: &'static str) {
        self.webhook_attempts.with_label_values(&[outcome]).inc();
    }

    fn report_cache(&self, hit: bool) {
        self.report_cache.with_label_values(&[if hit { "hit" } else { "miss" }]).inc();
    }
}
