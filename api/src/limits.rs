//! The rate limits a replica enforces: the limiter (Redis or in process),
//! the default limits, and each tenant's own limit, remembered a minute.

use std::sync::Arc;
use std::time::Duration;

use smrm_domain::ids::TenantId;
use smrm_domain::ports::{RateLimiter, TenantLimits};

/// The limiter, the limits, and a short cache of each tenant's limit.
pub struct RateLimits {
    pub limiter: Arc<dyn RateLimiter>,
    pub tenants: Arc<dyn TenantLimits>,
    pub per_minute: u32,
    pub auth_per_minute: u32,
    cache: moka::future::Cache<TenantId, u32>,
}

impl RateLimits {
    pub fn new(
        limiter: Arc<dyn RateLimiter>,
        tenants: Arc<dyn TenantLimits>,
        per_minute: u32,
        auth_per_minute: u32,
    ) -> Self {
        // A changed setting is seen within a minute.
        let cache = moka::future::Cache::builder().max_capacity(100_000).time_to_live(Duration::from_secs(60)).build();
        Self { limiter, tenants, per_minute, auth_per_minute, cache }
    }

    pub(crate) async fn tenant_limit(&self, tenant: TenantId) -> u32 {
        if let Some(n) = self.cache.get(&tenant).await {
            return n;
        }
        let n = match self.tenants.rate_limit(tenant).await {
            Ok(set) => set.unwrap_or(self.per_minute),
            // The database is down: the default, without caching it.
            Err(_) => return self.per_minute,
        };
        self.cache.insert(tenant, n).await;
        n
    }
}
