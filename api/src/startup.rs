//! The composition root: wires the infra adapters into the domain services,
//! and the services into the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header;
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use futures_util::StreamExt;
use smrm_domain::model::integrations::SendOutcome;
use smrm_domain::ports::{Clock, RateLimiter, ReportCache, SystemClock};
use smrm_domain::services::access::AccessService;
use smrm_domain::services::alerts::AlertService;
use smrm_domain::services::brands::BrandService;
use smrm_domain::services::communication::CommunicationService;
use smrm_domain::services::competitor_sets::CompetitorSetService;
use smrm_domain::services::mentions::MentionService;
use smrm_domain::services::reports::ReportService;
use smrm_domain::services::sentiment::SentimentService;
use smrm_domain::services::sources::SourceService;
use smrm_domain::services::webhooks::WebhookService;
use smrm_infra::cache::{MemoryCache, RedisCache, RedisLink};
use smrm_infra::crypto::{Argon2Hasher, OsSecrets};
use smrm_infra::matcher::SnowballMatcherFactory;
use smrm_infra::outbound::{HttpFeedFetcher, HttpWebhookSender};
use smrm_infra::ratelimit::{MemoryRateLimiter, RedisRateLimiter};
use smrm_infra::sentiment::BuiltinSentiment;
use smrm_infra::sentiment::tenant::TenantSentiment;
use smrm_infra::{DbSettings, SqlStore};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::TokenIssuer;
use crate::config::Config;
use crate::events::ApiPayloads;
use crate::problem::ApiError;
use crate::ratelimit::RateLimits;
use crate::state::AppState;
use crate::{idempotency, openapi, ratelimit, request_id, routes};

/// In-process report cache size.
const MEMORY_CACHE_BYTES: u64 = 64 * 1024 * 1024;

pub struct Application {
    port: u16,
    server: Server,
    /// Tells the background workers to finish what they are doing and stop.
    stop: tokio::sync::watch::Sender<bool>,
}

/// Connects to the database and applies migrations (`smrm migrate`, and every start).
pub async fn connect_and_migrate(config: &Config) -> Result<SqlStore, String> {
    let store = SqlStore::connect(&DbSettings {
        url: config.database_url.clone(),
        schema: config.database_schema.clone(),
        max_connections: config.db_max_connections,
    })
    .await
    .map_err(|e| format!("cannot connect to the database: {e}"))?;
    store.migrate().await.map_err(|e| format!("cannot migrate the database: {e}"))?;
    Ok(store)
}

impl Application {
    /// Migrates, wires everything and binds `config.addr` (port 0: any free port).
    pub async fn build(config: Config) -> Result<Self, String> {
        let store = Arc::new(connect_and_migrate(&config).await?);
        // With Redis: the report cache and the rate limits, shared by every
        // replica; without: both in process.
        let (cache, limiter): (Arc<dyn ReportCache>, Arc<dyn RateLimiter>) = match &config.redis_url {
            Some(url) => {
                let link = Arc::new(RedisLink::new(url)?);
                (
                    Arc::new(RedisCache::new(link.clone(), &config.redis_namespace)),
                    Arc::new(RedisRateLimiter::new(link, &config.redis_namespace)),
                )
            }
            None => (Arc::new(MemoryCache::new(MEMORY_CACHE_BYTES)), Arc::new(MemoryRateLimiter::default())),
        };
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let sentiment_engine = Arc::new(TenantSentiment::new(
            BuiltinSentiment::shipped(),
            store.clone(),
            clock.clone(),
            config.sentiment_endpoint.clone(),
            config.outbound_allow_private,
        ));
        let state = web::Data::new(AppState {
            access: AccessService {
                tenants: store.clone(),
                users: store.clone(),
                sessions: store.clone(),
                keys: store.clone(),
                brands: store.clone(),
                hasher: Arc::new(Argon2Hasher::new()),
                secrets: Arc::new(OsSecrets),
                clock: clock.clone(),
            },
            brands: BrandService {
                brands: store.clone(),
                posts: store.clone(),
                matchers: Arc::new(SnowballMatcherFactory),
                cache: cache.clone(),
                clock: clock.clone(),
            },
            communication: CommunicationService {
                repo: store.clone(),
                mentions: store.clone(),
                brands: store.clone(),
                cache: cache.clone(),
                clock: clock.clone(),
            },
            sets: CompetitorSetService {
                sets: store.clone(),
                brands: store.clone(),
                cache: cache.clone(),
                clock: clock.clone(),
            },
            mentions: MentionService::new(
                store.clone(),
                store.clone(),
                store.clone(),
                Arc::new(SnowballMatcherFactory),
                sentiment_engine.clone(),
                cache.clone(),
                clock.clone(),
            ),
            reports: ReportService {
                mentions: store.clone(),
                answers: store.clone(),
                brands: store.clone(),
                sets: store.clone(),
                tenants: store.clone(),
            },
            webhooks: WebhookService {
                repo: store.clone(),
                payloads: Arc::new(ApiPayloads { mentions: store.clone(), alerts: store.clone() }),
                secrets: Arc::new(OsSecrets),
                clock: clock.clone(),
                retry_seconds: config.webhook_retry_seconds.clone(),
                allow_private: config.outbound_allow_private,
            },
            alerts: AlertService { repo: store.clone(), brands: store.clone(), clock: clock.clone() },
            sources: SourceService {
                repo: store.clone(),
                clock: clock.clone(),
                min_poll_seconds: config.source_min_poll_seconds,
                allow_private: config.outbound_allow_private,
            },
            sentiment: SentimentService {
                repo: store.clone(),
                analyzer: sentiment_engine.clone(),
                allow_private: config.outbound_allow_private,
            },
            sentiment_engine,
            idempotency: store.clone(),
            readiness: store.clone(),
            database: store.backend(),
            cache,
            tokens: TokenIssuer::new(&config.jwt_secret, config.access_token_seconds),
            metrics: Arc::new(crate::metrics::Metrics::new()),
            rate_limits: RateLimits::new(
                limiter,
                store.clone(),
                config.rate_limit_per_minute,
                config.auth_rate_limit_per_minute,
            ),
            clock,
            lookups: crate::lookups::Lookups::new(Duration::from_secs(config.lookup_cache_seconds)),
            config: config.clone(),
        });

        let (stop, stopped) = tokio::sync::watch::channel(false);
        spawn_idempotency_purge(state.clone(), stopped.clone());
        spawn_backfill_worker(state.clone(), stopped.clone());
        spawn_webhook_worker(state.clone(), stopped.clone());
        spawn_source_poller(state.clone(), stopped.clone());
        spawn_adaptation_worker(state.clone(), stopped);

        let listener = TcpListener::bind(config.addr).map_err(|e| format!("cannot bind {}: {e}", config.addr))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let document = openapi::document();
        let cors_origins = config.cors_origins.clone();
        let mut server = HttpServer::new(move || {
            let (app, _) = App::new().into_utoipa_app().configure(routes::configure).split_for_parts();
            app.app_data(state.clone())
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", document.clone()))
                .route(
                    "/docs",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/docs/")).finish()
                    }),
                )
                .default_service(web::to(no_route))
                .wrap(from_fn(idempotency::middleware))
                .wrap(from_fn(ratelimit::middleware))
                .wrap(Condition::new(cors_origins.is_some(), cors(cors_origins.as_deref().unwrap_or_default())))
                .wrap(from_fn(request_id::middleware))
        })
        .listen(listener)
        .map_err(|e| e.to_string())?
        .shutdown_timeout(30);
        if let Some(n) = config.workers {
            server = server.workers(n);
        }
        Ok(Self { port, server: server.run(), stop })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the process is told to stop (SIGINT/SIGTERM, or
    /// `handle().stop()`): in-flight requests finish first, then the
    /// background workers finish their current step and stop.
    pub async fn run(self) -> std::io::Result<()> {
        let served = self.server.await;
        let _ = self.stop.send(true);
        served
    }
}

/// `SMRM_CORS_ORIGINS`: `*` for any origin, or a comma-separated list.
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allow_any_method()
        .allow_any_header()
        .expose_headers([
            "x-request-id",
            "location",
            "etag",
            "retry-after",
            "idempotent-replayed",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
        ])
        .max_age(3600);
    if origins.is_empty() {
        cors = cors.allow_any_origin();
    }
    for o in origins {
        cors = cors.allowed_origin(o);
    }
    cors
}

async fn no_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found(format!("no endpoint {} {}; see /docs", req.method(), req.path())))
}

/// Runs `step` every `period` until the server stops; a step in progress
/// when it stops is finished first.
fn spawn_worker<F, Fut>(mut stopped: tokio::sync::watch::Receiver<bool>, period: Duration, mut step: F)
where
    F: FnMut() -> Fut + 'static,
    Fut: std::future::Future<Output = ()>,
{
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(period);
        loop {
            tokio::select! {
                _ = tick.tick() => step().await,
                _ = stopped.changed() => break,
            }
        }
    });
}

/// Trains the adaptations of tenants whose corrections moved on, one at a
/// time across replicas (a claim per tenant), until none is due.
fn spawn_adaptation_worker(state: web::Data<AppState>, stopped: tokio::sync::watch::Receiver<bool>) {
    spawn_worker(stopped, WORKER_PERIOD, move || {
        let state = state.clone();
        async move {
            loop {
                match state.sentiment_engine.adapt_once().await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "sentiment adaptation failed; retrying later");
                        break;
                    }
                }
            }
        }
    });
}

/// How often the database-driven workers look for work.
const WORKER_PERIOD: Duration = Duration::from_millis(500);

/// Forgets idempotency keys older than 24 hours, hourly.
fn spawn_idempotency_purge(state: web::Data<AppState>, stopped: tokio::sync::watch::Receiver<bool>) {
    spawn_worker(stopped, Duration::from_secs(3600), move || {
        let state = state.clone();
        async move {
            let before = state.clock.now() - chrono::Duration::from_std(idempotency::TTL).unwrap_or_default();
            match state.idempotency.purge(before).await {
                Ok(n) if n > 0 => tracing::info!(purged = n, "expired idempotency keys removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "idempotency purge failed"),
            }
        }
    });
}

/// Runs pending backfills (claimed in the database, so with several replicas
/// each runs once) and finishes brand deletions cut short.
fn spawn_backfill_worker(state: web::Data<AppState>, stopped: tokio::sync::watch::Receiver<bool>) {
    spawn_worker(stopped, WORKER_PERIOD, move || {
        let state = state.clone();
        async move {
            if let Err(e) = state.brands.purge_deleted().await {
                tracing::warn!(error = %e, "purging a deleted brand's mentions failed; it is tried again");
            }
            loop {
                match state.mentions.backfill_once().await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "backfill failed; it is retried once its claim goes stale");
                        break;
                    }
                }
            }
        }
    });
}

/// Messages claimed per round, and attempts in flight at once.
const WEBHOOK_BATCH: u64 = 32;
const WEBHOOK_CONCURRENCY: usize = 8;

/// Delivers due webhook messages from the outbox. Each message is claimed
/// with a lease in the database, so with several replicas each is sent by
/// one of them.
fn spawn_webhook_worker(state: web::Data<AppState>, stopped: tokio::sync::watch::Receiver<bool>) {
    let sender = std::rc::Rc::new(HttpWebhookSender::new(state.config.outbound_allow_private));
    spawn_worker(stopped, WORKER_PERIOD, move || {
        let (state, sender) = (state.clone(), sender.clone());
        async move {
            loop {
                let batch = match state.webhooks.claim(WEBHOOK_BATCH).await {
                    Ok(batch) => batch,
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming webhook messages failed");
                        return;
                    }
                };
                let full = batch.len() as u64 == WEBHOOK_BATCH;
                futures_util::stream::iter(batch)
                    .for_each_concurrent(WEBHOOK_CONCURRENCY, |m| {
                        let (state, sender) = (state.clone(), sender.clone());
                        async move {
                            let id = m.id;
                            let outcome = match state.webhooks.deliver(sender.as_ref(), m).await {
                                Ok(Some(SendOutcome::Delivered(_))) => "delivered",
                                Ok(Some(SendOutcome::Rejected(_))) => "rejected",
                                Ok(Some(SendOutcome::Failed(_))) => "failed",
                                Ok(None) => "dropped",
                                Err(e) => {
                                    tracing::warn!(error = %e, message = %id, "webhook delivery failed; retried when its lease ends");
                                    "error"
                                }
                            };
                            state.metrics.webhook_attempts.with_label_values(&[outcome]).inc();
                        }
                    })
                    .await;
                if !full {
                    return;
                }
            }
        }
    });
}

/// Sources polled at once per round.
const SOURCE_CONCURRENCY: usize = 4;

/// Polls the sources that are due. Each poll is claimed in the database by
/// moving the source's next poll time, so with several replicas each poll
/// happens once, and never sooner than the source's `poll_seconds`.
fn spawn_source_poller(state: web::Data<AppState>, stopped: tokio::sync::watch::Receiver<bool>) {
    let fetcher = std::rc::Rc::new(HttpFeedFetcher::new(state.config.outbound_allow_private));
    spawn_worker(stopped, WORKER_PERIOD, move || {
        let (state, fetcher) = (state.clone(), fetcher.clone());
        async move {
            let due = match state.sources.claim(16).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming due sources failed");
                    return;
                }
            };
            futures_util::stream::iter(due)
                .for_each_concurrent(SOURCE_CONCURRENCY, |(source, validators)| {
                    let (state, fetcher) = (state.clone(), fetcher.clone());
                    async move {
                        match state.sources.poll(fetcher.as_ref(), &state.mentions, &source, &validators).await {
                            Ok(result) => {
                                state.metrics.source_polls.with_label_values(&[result.status]).inc();
                                state.metrics.observe_ingest(
                                    (result.created_posts + result.duplicates) as usize,
                                    result.duplicates as usize,
                                    result.unmatched as usize,
                                    result.created as usize,
                                );
                                if let Err(e) = state.alerts.evaluate(source.tenant_id, &result.brands).await {
                                    tracing::warn!(error = %e, "checking alert rules after a poll failed");
                                }
                            }
                            Err(e) => tracing::warn!(error = %e, source = %source.id, "polling a source failed"),
                        }
                    }
                })
                .await;
        }
    });
}
