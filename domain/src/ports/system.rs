//! The process's surroundings: time, randomness, password hashing, and readiness.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::DomainResult;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock, to the microsecond (what PostgreSQL keeps, so a value
/// answered at creation equals the one read back later).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        use chrono::SubsecRound;
        Utc::now().trunc_subsecs(6)
    }
}

/// Password hashing (argon2id in production). Slow by design: implementations
/// run it off the async executor.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &str) -> DomainResult<String>;
    /// `hash: None` still spends the time of a verification, so that a login
    /// for an unknown address takes as long as one with a wrong password.
    async fn verify(&self, password: &str, hash: Option<&str>) -> bool;
}

/// Randomness and digests for bearer secrets (API keys, refresh tokens).
pub trait SecretSource: Send + Sync {
    /// `len` random alphanumeric characters from a CSPRNG.
    fn random_alphanumeric(&self, len: usize) -> String;
    /// A fast one-way digest of a high-entropy secret (hex SHA-256).
    fn digest(&self, secret: &str) -> String;
    /// A webhook signing secret as the Standard Webhooks spec writes it:
    /// `whsec_` and the base64 of 32 random bytes.
    fn webhook_secret(&self) -> String;
}

/// What `/readyz` asks: can the database be reached?
#[async_trait]
pub trait Readiness: Send + Sync {
    async fn ready(&self) -> DomainResult<()>;
    /// The database pool's size and idle connections, for metrics.
    fn pool(&self) -> Option<(u32, u32)> {
        None
    }
}

/// What the core counts for the operators (Prometheus, in the API). Fed by
/// the services themselves, so a count is the same whoever called them: a
/// handler, a worker or a CLI command. Cheap and infallible.
pub trait Telemetry: Send + Sync {
    /// A stored batch: what became of the posts received, and the mentions made.
    fn ingested(&self, received: usize, duplicates: usize, unmatched: usize, mentions: usize);
    /// A source's poll, by kind and outcome (`fetched`, `not_modified`,
    /// `failed`, …), with the posts it fetched and the mentions they made.
    fn source_polled(&self, kind: &'static str, outcome: &'static str, fetched: u64, mentions: u64);
    /// One call to a platform's API by a connector of `kind`, by outcome
    /// (`ok`, or the error's kind), and how long it took.
    fn upstream_called(&self, kind: &'static str, outcome: &'static str, latency: std::time::Duration);
    /// A connector of `kind` waited this long for its platform's rate limit.
    fn rate_limit_waited(&self, kind: &'static str, waited: std::time::Duration);
    /// A webhook delivery attempt, by outcome (`delivered`, `rejected`, …).
    fn webhook_attempted(&self, outcome: &'static str);
    /// A report asked of the cache: found, or computed.
    fn report_cache(&self, hit: bool);
}

/// Counts nothing: for tools and tests that have no one to tell.
pub struct NoTelemetry;

impl Telemetry for NoTelemetry {
    fn ingested(&self, _: usize, _: usize, _: usize, _: usize) {}
    fn source_polled(&self, _: &'static str, _: &'static str, _: u64, _: u64) {}
    fn upstream_called(&self, _: &'static str, _: &'static str, _: std::time::Duration) {}
    fn rate_limit_waited(&self, _: &'static str, _: std::time::Duration) {}
    fn webhook_attempted(&self, _: &'static str) {}
    fn report_cache(&self, _: bool) {}
}
