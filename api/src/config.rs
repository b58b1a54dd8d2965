//! Configuration from the environment: complete defaults, validated at start
//! (every problem listed at once), secrets redacted in `Debug`.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Every `SMRM_*` variable SMRM reads; any other is warned about (a typo).
const KNOWN: &[&str] = &[
    "SMRM_ADDR",
    "SMRM_JWT_SECRET",
    "SMRM_SIGNUP",
    "SMRM_OUTBOUND_ALLOW_PRIVATE",
    "SMRM_WEBHOOK_RETRY_SECONDS",
    "SMRM_SOURCE_MIN_POLL_SECONDS",
    "SMRM_MAX_BODY_BYTES",
    "SMRM_RATE_LIMIT_PER_MINUTE",
    "SMRM_AUTH_RATE_LIMIT_PER_MINUTE",
    "SMRM_TRUSTED_PROXIES",
    "SMRM_ACCESS_TOKEN_SECONDS",
    "SMRM_CORS_ORIGINS",
    "SMRM_DB_MAX_CONNECTIONS",
    "SMRM_SQLITE_BUSY_TIMEOUT_MS",
    "SMRM_BATCH_INSERTS",
    "SMRM_LOG_FORMAT",
    "SMRM_WORKERS",
    "SMRM_SENTIMENT_URL",
    "SMRM_SENTIMENT_TIMEOUT_MS",
    "SMRM_LOOKUP_CACHE_SECONDS",
    "SMRM_SECRETS_KEY",
    "SMRM_SECRETS_KEY_PREVIOUS",
    "SMRM_HN_API_URL",
    "SMRM_VK_API_URL",
    "SMRM_TELEGRAM_URL",
    "SMRM_YOUTUBE_API_URL",
    "SMRM_REDDIT_API_URL",
    "SMRM_REDDIT_AUTH_URL",
];

#[derive(Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub database_url: String,
    /// PostgreSQL schema (tests); `None` uses the server's default.
    pub database_schema: Option<String>,
    pub db_max_connections: u32,
    /// SQLite: how long a writer waits for another process's write lock
    /// before the request answers 503 with `Retry-After`.
    pub sqlite_busy_timeout_ms: u64,
    /// PostgreSQL: how batch INSERTs are written (`SMRM_BATCH_INSERTS`:
    /// `arrays` or `values`).
    pub batch_inserts: smrm_infra::BatchInserts,
    pub redis_url: Option<String>,
    /// Prefix of every Redis key.
    pub redis_namespace: String,
    pub jwt_secret: Vec<u8>,
    pub access_token_seconds: u64,
    pub signup_enabled: bool,
    pub outbound_allow_private: bool,
    pub webhook_retry_seconds: Vec<u64>,
    pub source_min_poll_seconds: u64,
    pub max_body_bytes: usize,
    pub rate_limit_per_minute: u32,
    pub auth_rate_limit_per_minute: u32,
    /// Peers whose `X-Forwarded-For`/`Forwarded` names the client (`SMRM_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `None`: no CORS headers; `Some([])`: any origin; otherwise these origins.
    pub cors_origins: Option<Vec<String>>,
    pub log_json: bool,
    /// HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// How long a replica remembers callers, brands and time zones (0: not at all).
    pub lookup_cache_seconds: u64,
    /// The operator's model service, for every tenant that names none
    /// (`SMRM_SENTIMENT_URL`, `SMRM_SENTIMENT_TIMEOUT_MS`).
    pub sentiment_endpoint: Option<smrm_domain::model::sentiment::ModelEndpoint>,
    /// Seals stored third-party secrets: 64 hex characters
    /// (`SMRM_SECRETS_KEY`); older keys that still open what they sealed
    /// (`SMRM_SECRETS_KEY_PREVIOUS`, comma-separated).
    pub secrets_key: String,
    pub secrets_key_previous: Vec<String>,
    /// The platforms' API addresses (`SMRM_*_URL`).
    pub upstreams: Upstreams,
}

/// Where connectors reach each platform: the public addresses unless
/// configured (a proxy, or a test's stand-in).
#[derive(Debug, Clone)]
pub struct Upstreams {
    pub hn: String,
    pub vk: String,
    pub telegram: String,
    pub youtube: String,
    pub reddit: String,
    pub reddit_auth: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database_url", &redact_url(&self.database_url))
            .field("database_schema", &self.database_schema)
            .field("db_max_connections", &self.db_max_connections)
            .field("sqlite_busy_timeout_ms", &self.sqlite_busy_timeout_ms)
            .field("batch_inserts", &self.batch_inserts)
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("jwt_secret", &"<redacted>")
            .field("access_token_seconds", &self.access_token_seconds)
            .field("signup_enabled", &self.signup_enabled)
            .field("outbound_allow_private", &self.outbound_allow_private)
            .field("webhook_retry_seconds", &self.webhook_retry_seconds)
            .field("source_min_poll_seconds", &self.source_min_poll_seconds)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("auth_rate_limit_per_minute", &self.auth_rate_limit_per_minute)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("cors_origins", &self.cors_origins)
            .field("log_json", &self.log_json)
            .field("workers", &self.workers)
            .field("lookup_cache_seconds", &self.lookup_cache_seconds)
            .field("sentiment_endpoint", &self.sentiment_endpoint.as_ref().map(|e| redact_url(&e.url)))
            .field("secrets_key", &"<redacted>")
            .field("upstreams", &self.upstreams)
            .finish()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db` (and
/// credential-like query parameters masked too).
pub fn redact_url(url: &str) -> String {
    smrm_domain::model::integrations::redacted_url(url)
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://smrm.db?mode=rwc";

impl Config {
    /// Reads and validates the environment.
    pub fn from_env() -> Result<Self, Vec<String>> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        let parse = |name: &str, default: &str| -> String { get(name).unwrap_or_else(|| default.to_owned()) };
        let addr_raw = parse("SMRM_ADDR", "127.0.0.1:8080");
        let database_url = parse("DATABASE_URL", DEFAULT_DATABASE_URL);
        let redis_url = get("REDIS_URL").filter(|s| !s.is_empty());

        let mut num = |name: &str, default: u64, min: u64, max: u64| -> u64 {
            let raw = get(name).unwrap_or_else(|| default.to_string());
            match raw.trim().parse::<u64>() {
                Ok(v) if (min..=max).contains(&v) => v,
                _ => {
                    errors.push(format!("{name}={raw}: expected a whole number from {min} to {max}"));
                    default
                }
            }
        };
        let max_body_bytes = num("SMRM_MAX_BODY_BYTES", 16 * 1024 * 1024, 1024, 1 << 30) as usize;
        let rate_limit_per_minute = num("SMRM_RATE_LIMIT_PER_MINUTE", 6000, 1, 10_000_000) as u32;
        let auth_rate_limit_per_minute = num("SMRM_AUTH_RATE_LIMIT_PER_MINUTE", 30, 1, 10_000_000) as u32;
        let source_min_poll_seconds = num("SMRM_SOURCE_MIN_POLL_SECONDS", 60, 1, 86_400);
        let access_token_seconds = num("SMRM_ACCESS_TOKEN_SECONDS", 900, 30, 86_400);
        let db_max_connections = num("SMRM_DB_MAX_CONNECTIONS", 16, 1, 1000) as u32;
        let sqlite_busy_timeout_ms = num("SMRM_SQLITE_BUSY_TIMEOUT_MS", 5_000, 10, 600_000);
        let workers = get("SMRM_WORKERS").map(|_| num("SMRM_WORKERS", 2, 1, 256) as usize);
        let lookup_cache_seconds = num("SMRM_LOOKUP_CACHE_SECONDS", 5, 0, 300);
        let sentiment_timeout_ms = get("SMRM_SENTIMENT_TIMEOUT_MS").map(|_| {
            use smrm_domain::model::sentiment::{DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS};
            num("SMRM_SENTIMENT_TIMEOUT_MS", DEFAULT_TIMEOUT_MS.into(), MIN_TIMEOUT_MS.into(), MAX_TIMEOUT_MS.into())
                as u32
        });

        let mut flag = |name: &str, default: bool| -> bool {
            match get(name).as_deref().map(str::trim) {
                None => default,
                Some("true" | "1" | "yes") => true,
                Some("false" | "0" | "no") => false,
                Some(other) => {
                    errors.push(format!("{name}={other}: expected true or false"));
                    default
                }
            }
        };
        let signup_enabled = flag("SMRM_SIGNUP", true);
        let outbound_allow_private = flag("SMRM_OUTBOUND_ALLOW_PRIVATE", false);
        let sentiment_endpoint = get("SMRM_SENTIMENT_URL").and_then(|url| {
            let checked = smrm_domain::model::sentiment::ModelEndpoint::validate(
                url.clone(),
                sentiment_timeout_ms,
                outbound_allow_private,
            );
            checked.map_err(|e| errors.push(format!("SMRM_SENTIMENT_URL={}: {e}", redact_url(&url)))).ok()
        });

        let retry_raw = get("SMRM_WEBHOOK_RETRY_SECONDS").unwrap_or_else(|| "5,300,1800,7200,18000,36000".into());
        let webhook_retry_seconds: Vec<u64> = retry_raw.split(',').filter_map(|s| s.trim().parse().ok()).collect();
        if webhook_retry_seconds.is_empty() || webhook_retry_seconds.len() != retry_raw.split(',').count() {
            errors.push(format!("SMRM_WEBHOOK_RETRY_SECONDS={retry_raw}: expected comma-separated seconds"));
        }

        let addr = addr_raw.parse().unwrap_or_else(|_| {
            errors.push(format!("SMRM_ADDR={addr_raw}: expected host:port such as 127.0.0.1:8080"));
            SocketAddr::from(([127, 0, 0, 1], 8080))
        });
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            errors.push(format!("DATABASE_URL={}: expected sqlite:… or postgres://…", redact_url(&database_url)));
        }
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            errors.push(format!("REDIS_URL={}: expected redis://…", redact_url(url)));
        }
        let trusted_proxies = crate::limits::parse_trusted_proxies(&get("SMRM_TRUSTED_PROXIES").unwrap_or_default())
            .unwrap_or_else(|e| {
                errors.push(format!("SMRM_TRUSTED_PROXIES: {e}; expected addresses or CIDR ranges, comma-separated"));
                Vec::new()
            });
        let cors_origins = get("SMRM_CORS_ORIGINS").map(|raw| {
            if raw.trim() == "*" {
                Vec::new()
            } else {
                raw.split(',').map(|s| s.trim().trim_end_matches('/').to_owned()).filter(|s| !s.is_empty()).collect()
            }
        });
        let batch_inserts = match get("SMRM_BATCH_INSERTS").as_deref().map(str::trim) {
            None | Some("arrays") => smrm_infra::BatchInserts::Arrays,
            Some("values") => smrm_infra::BatchInserts::Values,
            Some(other) => {
                errors.push(format!("SMRM_BATCH_INSERTS={other}: expected arrays or values"));
                smrm_infra::BatchInserts::Arrays
            }
        };
        let log_json = match get("SMRM_LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                errors.push(format!("SMRM_LOG_FORMAT={other}: expected text or json"));
                false
            }
        };
        let jwt_secret = match get("SMRM_JWT_SECRET") {
            Some(s) if s.len() >= 32 => s.into_bytes(),
            Some(_) => {
                errors.push("SMRM_JWT_SECRET: must be at least 32 characters".into());
                Vec::new()
            }
            None => match jwt_secret_beside_sqlite(&database_url) {
                Ok(secret) => secret,
                Err(e) => {
                    errors.push(e);
                    Vec::new()
                }
            },
        };

        let secrets_key = match get("SMRM_SECRETS_KEY") {
            Some(k) if is_key(&k) => k.trim().to_owned(),
            Some(_) => {
                errors.push("SMRM_SECRETS_KEY: must be 32 bytes as 64 hex characters (`openssl rand -hex 32`)".into());
                String::new()
            }
            None => match key_beside_sqlite(&database_url) {
                Ok(key) => key,
                Err(e) => {
                    errors.push(e);
                    String::new()
                }
            },
        };
        let secrets_key_previous: Vec<String> = get("SMRM_SECRETS_KEY_PREVIOUS")
            .map(|raw| raw.split(',').map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect())
            .unwrap_or_default();
        if !secrets_key_previous.iter().all(|k| is_key(k)) {
            errors.push("SMRM_SECRETS_KEY_PREVIOUS: expected comma-separated keys of 64 hex characters".into());
        }
        let mut upstream = |name: &str, default: &str| -> String {
            let url = get(name).unwrap_or_else(|| default.to_owned());
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                errors.push(format!("{name}={url}: expected an http(s) URL"));
            }
            url.trim_end_matches('/').to_owned()
        };
        let upstreams = Upstreams {
            hn: upstream("SMRM_HN_API_URL", "https://hn.algolia.com/api/v1"),
            vk: upstream("SMRM_VK_API_URL", "https://api.vk.com/method"),
            telegram: upstream("SMRM_TELEGRAM_URL", "https://t.me"),
            youtube: upstream("SMRM_YOUTUBE_API_URL", "https://www.googleapis.com/youtube/v3"),
            reddit: upstream("SMRM_REDDIT_API_URL", "https://oauth.reddit.com"),
            reddit_auth: upstream("SMRM_REDDIT_AUTH_URL", "https://www.reddit.com/api/v1/access_token"),
        };

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Config {
            addr,
            database_url,
            database_schema: None,
            db_max_connections,
            sqlite_busy_timeout_ms,
            batch_inserts,
            redis_url,
            redis_namespace: "smrm".into(),
            jwt_secret,
            access_token_seconds,
            signup_enabled,
            outbound_allow_private,
            webhook_retry_seconds,
            source_min_poll_seconds,
            max_body_bytes,
            rate_limit_per_minute,
            auth_rate_limit_per_minute,
            trusted_proxies,
            cors_origins,
            log_json,
            workers,
            lookup_cache_seconds,
            sentiment_endpoint,
            secrets_key,
            secrets_key_previous,
            upstreams,
        })
    }

    /// Unknown `SMRM_*` variables: most likely typos.
    pub fn unknown_variables() -> Vec<String> {
        std::env::vars().map(|(k, _)| k).filter(|k| k.starts_with("SMRM_") && !KNOWN.contains(&k.as_str())).collect()
    }
}

fn is_key(k: &str) -> bool {
    let k = k.trim();
    k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Without `SMRM_SECRETS_KEY`, the embedded default keeps a random key in a
/// file beside the SQLite database, as for the JWT secret. PostgreSQL
/// deployments must set it: every replica opens what any other sealed.
fn key_beside_sqlite(database_url: &str) -> Result<String, String> {
    let random = || {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let Some(rest) = database_url.strip_prefix("sqlite:") else {
        return Err(
            "SMRM_SECRETS_KEY is required with PostgreSQL (64 hex characters; every replica must share it)".into()
        );
    };
    let path = rest.trim_start_matches("//").split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
        return Ok(random());
    }
    let file = PathBuf::from(format!("{path}.secrets-key"));
    if let Ok(existing) = std::fs::read_to_string(&file)
        && is_key(&existing)
    {
        return Ok(existing.trim().to_owned());
    }
    let key = random();
    write_private(&file, key.as_bytes()).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    tracing::warn!(file = %file.display(), "SMRM_SECRETS_KEY is not set: generated one and kept it beside the SQLite database; back it up with the database");
    Ok(key)
}

/// Writes a file only its owner can read (on Unix).
fn write_private(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(data)
}

/// Without `SMRM_JWT_SECRET`, the embedded default keeps a random secret in a
/// file beside the SQLite database (so tokens survive restarts). PostgreSQL
/// deployments have several replicas and must set it.
fn jwt_secret_beside_sqlite(database_url: &str) -> Result<Vec<u8>, String> {
    let Some(rest) = database_url.strip_prefix("sqlite:") else {
        return Err("SMRM_JWT_SECRET is required with PostgreSQL (every replica must share it)".into());
    };
    let path = rest.trim_start_matches("//").split('?').next().unwrap_or_default();
    let random = || {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>().into_bytes()
    };
    if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
        return Ok(random());
    }
    let file = PathBuf::from(format!("{path}.jwt-secret"));
    if let Ok(existing) = std::fs::read(&file)
        && existing.len() >= 32
    {
        return Ok(existing);
    }
    let secret = random();
    write_private(&file, &secret).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    tracing::warn!(file = %file.display(), "SMRM_JWT_SECRET is not set: generated one and kept it beside the SQLite database");
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, Vec<String>> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_complete() {
        let c = config(&[("DATABASE_URL", "sqlite::memory:")]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.max_body_bytes, 16_777_216);
        assert_eq!(c.webhook_retry_seconds, vec![5, 300, 1800, 7200, 18000, 36000]);
        assert!(c.signup_enabled && !c.outbound_allow_private);
        assert_eq!(c.jwt_secret.len(), 64);
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let errors = config(&[
            ("SMRM_ADDR", "nowhere"),
            ("SMRM_SIGNUP", "maybe"),
            ("SMRM_MAX_BODY_BYTES", "-1"),
            ("DATABASE_URL", "postgres://u:pw@h/db"),
        ])
        .unwrap_err();
        // The four, and the JWT secret and secrets key PostgreSQL requires.
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors.iter().all(|e| !e.contains("pw@")));
    }

    #[test]
    fn debug_redacts_secrets() {
        let mut c = config(&[("DATABASE_URL", "sqlite::memory:")]).unwrap();
        c.database_url = "postgres://smrm:hunter2@db/smrm".into();
        c.redis_url = Some("redis://:s3cret@cache:6379".into());
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("s3cret"), "{shown}");
        assert!(!shown.contains(&String::from_utf8_lossy(&c.jwt_secret).to_string()));
    }
}
