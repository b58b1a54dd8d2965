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
use smrm_domain::ports::{Clock, Connectors, Lookups, RateLimiter, ReportCache, SecretBox, SystemClock, Telemetry};
use smrm_domain::services::access::AccessService;
use smrm_domain::services::alerts::AlertService;
use smrm_domain::services::brands::BrandService;
use smrm_domain::services::communication::CommunicationService;
use smrm_domain::services::competitor_sets::CompetitorSetService;
use smrm_domain::services::mentions::{MentionPorts, MentionService};
use smrm_domain::services::quotas::Quotas;
use smrm_domain::services::reports::ReportService;
use smrm_domain::services::sentiment::SentimentService;
use smrm_domain::services::sources::{CredentialService, SourceService};
use smrm_domain::services::webhooks::WebhookService;
use smrm_infra::cache::{MemoryCache, RedisCache, RedisLink, ReportEntries};
use smrm_infra::connectors::hn::HnConnector;
use smrm_infra::connectors::reddit::{RedditApi, RedditSearchConnector};
use smrm_infra::connectors::rss::RssConnector;
use smrm_infra::connectors::telegram::TelegramConnector;
use smrm_infra::connectors::vk::{self, VkApi, VkPushes, VkSearchConnector, VkWallConnector};
use smrm_infra::connectors::youtube::{YoutubeApi, YoutubeChannelConnector, YoutubeSearchConnector};
use smrm_infra::connectors::{Pacer, Upstream};
use smrm_infra::crypto::{Argon2Hasher, OsSecrets};
use smrm_infra::limiter::{MemoryRateLimiter, RedisRateLimiter};
use smrm_infra::lookups::MemoryLookups;
use smrm_infra::matcher::SnowballMatcherFactory;
use smrm_infra::outbound::{Http, HttpWebhookSender};
use smrm_infra::secrets::{SealingKeys, SecretsKey};
use smrm_infra::sentiment::BuiltinSentiment;
use smrm_infra::sentiment::tenant::TenantSentiment;
use smrm_infra::{DbSettings, SqlStore};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::TokenIssuer;
use crate::config::Config;
use crate::events::ApiPayloads;
use crate::limits::RateLimits;
use crate::middleware::{idempotency, rate_limit, request_id};
use crate::problem::ApiError;
use crate::state::AppState;
use crate::{openapi, routes, workers};

/// In-process report cache size.
const MEMORY_CACHE_BYTES: u64 = 64 * 1024 * 1024;

pub struct Application {
    port: u16,
    server: Server,
    /// The background workers, stopped once the server has stopped.
    workers: workers::Workers,
}

/// Connects to the database and applies migrations (`smrm migrate`, and every start).
pub async fn connect_and_migrate(config: &Config) -> Result<SqlStore, String> {
    let store = connect(config).await?;
    store.migrate().await.map_err(|e| format!("cannot migrate the database: {e}"))?;
    Ok(store)
}

/// The store `config` names, as it is (no migration).
pub async fn connect(config: &Config) -> Result<SqlStore, String> {
    SqlStore::connect(&DbSettings {
        url: config.database_url.clone(),
        schema: config.database_schema.clone(),
        max_connections: config.db_max_connections,
        busy_timeout: Duration::from_millis(config.sqlite_busy_timeout_ms),
        batch_inserts: config.batch_inserts,
    })
    .await
    .map_err(|e| format!("cannot connect to the database: {e}"))
}

const HOUR: Duration = Duration::from_secs(3600);

/// The key that seals stored secrets, and the older ones that still open.
fn sealing_keys(config: &Config) -> Result<SealingKeys, String> {
    let key = |hex: &str| SecretsKey::from_hex(hex).map_err(|e| format!("SMRM_SECRETS_KEY: {e}"));
    let previous = config.secrets_key_previous.iter().map(|k| key(k)).collect::<Result<Vec<_>, _>>()?;
    Ok(SealingKeys::new(&key(&config.secrets_key)?, &previous))
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
        // One outbound HTTP client for webhooks, connectors and model services.
        let http = Http::new(config.outbound_allow_private)?;
        let metrics = Arc::new(crate::telemetry::Metrics::new());
        let telemetry: Arc<dyn Telemetry> = metrics.clone();
        let sentiment_engine = Arc::new(TenantSentiment::new(
            BuiltinSentiment::shipped(),
            store.clone(),
            clock.clone(),
            config.sentiment_endpoint.clone(),
            http.clone(),
        ));
        let lookups: Arc<dyn Lookups> = Arc::new(MemoryLookups::new(Duration::from_secs(config.lookup_cache_seconds)));
        let quotas = Quotas { repo: store.clone() };
        let alerts = Arc::new(AlertService {
            repo: store.clone(),
            brands: store.clone(),
            clock: clock.clone(),
            quotas: quotas.clone(),
        });
        let mentions = Arc::new(MentionService::new(MentionPorts {
            ingests: store.clone(),
            inbox: store.clone(),
            backfills: store.clone(),
            brands: store.clone(),
            users: store.clone(),
            matchers: Arc::new(SnowballMatcherFactory),
            analyzer: sentiment_engine.clone(),
            cache: cache.clone(),
            clock: clock.clone(),
            alerts: alerts.clone(),
            telemetry: telemetry.clone(),
        }));
        // Each kind of source and the connector that reads it.
        let upstream = |base: &str, pacer| Upstream::new(http.clone(), base, telemetry.clone(), pacer);
        let hn = upstream(&config.upstreams.hn, Pacer::new(10_000, HOUR));
        let vk = Arc::new(VkApi::new(upstream(&config.upstreams.vk, Pacer::spaced(vk::CALL_SPACING))));
        // t.me publishes no limit and throttles heavy readers: five pages a second per replica.
        let telegram = upstream(&config.upstreams.telegram, Pacer::new(5, Duration::from_secs(1)));
        // YouTube publishes a daily quota, not a rate: ten calls a second per key.
        let youtube =
            Arc::new(YoutubeApi::new(upstream(&config.upstreams.youtube, Pacer::new(10, Duration::from_secs(1)))));
        // Reddit: 100 requests a minute per app, for the token endpoint and the API alike.
        let reddit = Arc::new(RedditApi::new(
            upstream(&config.upstreams.reddit, Pacer::new(100, Duration::from_secs(60))),
            upstream(&config.upstreams.reddit_auth, Pacer::new(100, Duration::from_secs(60))),
        ));
        let connectors = Connectors::default()
            .with(Arc::new(RssConnector::new(http.clone())))
            .with(Arc::new(HnConnector::new(hn)))
            .with(Arc::new(VkSearchConnector { api: vk.clone() }))
            .with(Arc::new(VkWallConnector { api: vk }))
            .with(Arc::new(TelegramConnector::new(telegram)))
            .with(Arc::new(YoutubeSearchConnector { api: youtube.clone() }))
            .with(Arc::new(YoutubeChannelConnector { api: youtube }))
            .with(Arc::new(RedditSearchConnector { api: reddit }));
        let secrets: Arc<dyn SecretBox> = Arc::new(sealing_keys(&config)?);
        let state = web::Data::new(AppState {
            access: AccessService {
                quotas: quotas.clone(),
                tenants: store.clone(),
                users: store.clone(),
                sessions: store.clone(),
                keys: store.clone(),
                brands: store.clone(),
                hasher: Arc::new(Argon2Hasher::new()),
                secrets: Arc::new(OsSecrets),
                clock: clock.clone(),
                lookups: lookups.clone(),
            },
            brands: BrandService {
                quotas: quotas.clone(),
                brands: store.clone(),
                posts: store.clone(),
                matchers: Arc::new(SnowballMatcherFactory),
                cache: cache.clone(),
                clock: clock.clone(),
                lookups: lookups.clone(),
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
            mentions: mentions.clone(),
            reports: ReportService {
                rollups: store.clone(),
                cache: cache.clone(),
                codec: Arc::new(ReportEntries),
                lookups: lookups.clone(),
                telemetry: telemetry.clone(),
                answers: store.clone(),
                brands: store.clone(),
                sets: store.clone(),
                tenants: store.clone(),
            },
            webhooks: WebhookService {
                quotas: quotas.clone(),
                repo: store.clone(),
                payloads: Arc::new(ApiPayloads { mentions: store.clone(), alerts: store.clone() }),
                secrets: Arc::new(OsSecrets),
                sealer: secrets.clone(),
                clock: clock.clone(),
                sender: Arc::new(HttpWebhookSender::new(http)),
                telemetry: telemetry.clone(),
                retry_seconds: config.webhook_retry_seconds.clone(),
                allow_private: config.outbound_allow_private,
            },
            alerts,
            sources: SourceService {
                quotas: quotas.clone(),
                repo: store.clone(),
                credentials: store.clone(),
                secrets: secrets.clone(),
                random: Arc::new(OsSecrets),
                pushes: Arc::new(VkPushes),
                brands: store.clone(),
                connectors,
                mentions,
                telemetry,
                clock: clock.clone(),
                min_poll_seconds: config.source_min_poll_seconds,
                allow_private: config.outbound_allow_private,
            },
            credentials: CredentialService { repo: store.clone(), secrets, clock: clock.clone() },
            sentiment: SentimentService {
                repo: store.clone(),
                analyzer: sentiment_engine.clone(),
                trainer: sentiment_engine,
                allow_private: config.outbound_allow_private,
            },
            idempotency: store.clone(),
            readiness: store.clone(),
            database: store.backend(),
            cache,
            tokens: TokenIssuer::new(&config.jwt_secret, config.access_token_seconds),
            metrics,
            rate_limits: RateLimits::new(
                limiter,
                store.clone(),
                config.rate_limit_per_minute,
                config.auth_rate_limit_per_minute,
                config.trusted_proxies.clone(),
            ),
            clock,
            lookups: lookups.clone(),
            config: config.clone(),
        });
        // Signing secrets stored in the clear before they were sealed are
        // sealed now: the key is the operator's, so no migration could.
        match state.webhooks.seal_stored_secrets().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(endpoints = n, "sealed the webhook signing secrets stored in the clear"),
            Err(e) => return Err(format!("cannot seal the stored webhook secrets: {e}")),
        }

        let workers = workers::start(&state);

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
                .wrap(from_fn(rate_limit::middleware))
                .wrap(Condition::new(cors_origins.is_some(), cors(cors_origins.as_deref().unwrap_or_default())))
                .wrap(from_fn(request_id::middleware))
        })
        .listen(listener)
        .map_err(|e| e.to_string())?
        .shutdown_timeout(30);
        if let Some(n) = config.workers {
            server = server.workers(n);
        }
        Ok(Self { port, server: server.run(), workers })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the process is told to stop (SIGINT/SIGTERM, or
    /// `handle().stop()`): in-flight requests finish first, then the
    /// background workers finish their current step and stop, and are
    /// awaited. An error when serving failed or a worker panicked.
    pub async fn run(self) -> std::io::Result<()> {
        let served = self.server.await;
        let stopped = self.workers.stop().await;
        served.and(stopped)
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
