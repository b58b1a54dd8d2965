//! A replica's short memory of what nearly every request asks the database
//! again (the `Lookups` port, in process with moka): who a bearer token is,
//! whether a brand exists, a tenant's time zone. A cached report then costs
//! no database read at all.
//!
//! Each answer is kept `SMRM_LOOKUP_CACHE_SECONDS` (5 by default; 0 turns the
//! memory off). A change made through this replica (a key revoked, a user
//! changed or removed, a login ended, a brand deleted, the tenant's zone
//! changed) is forgotten at once by the service that made it; other
//! replicas see the change within that time. Only successes are kept: a
//! refused token is checked again each time.

use std::time::Duration;

use moka::sync::Cache;
use smrm_domain::ids::{BrandId, TenantId};
use smrm_domain::model::access::Principal;
use smrm_domain::ports::Lookups;

/// Entries per kind: far more than one replica's active callers.
const CAPACITY: u64 = 100_000;

pub struct MemoryLookups {
    callers: Option<Cache<[u8; 32], Principal>>,
    brands: Option<Cache<(TenantId, BrandId), ()>>,
    zones: Option<Cache<TenantId, String>>,
}

fn cache<K, V>(ttl: Duration) -> Option<Cache<K, V>>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    (!ttl.is_zero()).then(|| Cache::builder().max_capacity(CAPACITY).time_to_live(ttl).build())
}

impl MemoryLookups {
    pub fn new(ttl: Duration) -> Self {
        Self { callers: cache(ttl), brands: cache(ttl), zones: cache(ttl) }
    }
}

impl Lookups for MemoryLookups {
    /// The caller whose token has this SHA-256.
    fn caller(&self, token_digest: &[u8; 32]) -> Option<Principal> {
        self.callers.as_ref()?.get(token_digest)
    }

    fn remember_caller(&self, token_digest: [u8; 32], who: &Principal) {
        if let Some(c) = &self.callers {
            c.insert(token_digest, who.clone());
        }
    }

    /// Keys, users or logins changed: every caller is checked again.
    fn forget_callers(&self) {
        if let Some(c) = &self.callers {
            c.invalidate_all();
        }
    }

    fn brand_exists(&self, tenant: TenantId, brand: BrandId) -> bool {
        self.brands.as_ref().is_some_and(|c| c.contains_key(&(tenant, brand)))
    }

    fn remember_brand(&self, tenant: TenantId, brand: BrandId) {
        if let Some(c) = &self.brands {
            c.insert((tenant, brand), ());
        }
    }

    fn forget_brand(&self, tenant: TenantId, brand: BrandId) {
        if let Some(c) = &self.brands {
            c.invalidate(&(tenant, brand));
        }
    }

    fn zone(&self, tenant: TenantId) -> Option<String> {
        self.zones.as_ref()?.get(&tenant)
    }

    fn remember_zone(&self, tenant: TenantId, zone: &str) {
        if let Some(c) = &self.zones {
            c.insert(tenant, zone.to_owned());
        }
    }

    fn forget_zone(&self, tenant: TenantId) {
        if let Some(c) = &self.zones {
            c.invalidate(&tenant);
        }
    }
}

#[cfg(test)]
mod tests {
    use smrm_domain::model::access::{Actor, BrandScope, Role};

    use super::*;

    fn principal() -> Principal {
        Principal {
            tenant_id: TenantId(uuid::Uuid::now_v7()),
            actor: Actor::ApiKey(smrm_domain::ids::ApiKeyId(uuid::Uuid::now_v7())),
            role: Role::Viewer,
            scope: BrandScope::All,
        }
    }

    #[test]
    fn callers_are_kept_until_forgotten_and_never_when_off() {
        let l = MemoryLookups::new(Duration::from_secs(60));
        let who = principal();
        let (a, b) = ([1; 32], [2; 32]);
        assert!(l.caller(&a).is_none());
        l.remember_caller(a, &who);
        assert_eq!(l.caller(&a), Some(who.clone()));
        assert!(l.caller(&b).is_none());
        l.forget_callers();
        assert!(l.caller(&a).is_none());

        let off = MemoryLookups::new(Duration::ZERO);
        off.remember_caller(a, &who);
        off.remember_zone(who.tenant_id, "Europe/Moscow");
        assert!(off.caller(&a).is_none());
        assert!(off.zone(who.tenant_id).is_none());
    }

    #[test]
    fn brands_and_zones_are_forgotten_one_by_one() {
        let l = MemoryLookups::new(Duration::from_secs(60));
        let (t, b) = (TenantId(uuid::Uuid::now_v7()), BrandId(uuid::Uuid::now_v7()));
        l.remember_brand(t, b);
        l.remember_zone(t, "Europe/Moscow");
        assert!(l.brand_exists(t, b));
        assert_eq!(l.zone(t).as_deref(), Some("Europe/Moscow"));
        l.forget_brand(t, b);
        l.forget_zone(t);
        assert!(!l.brand_exists(t, b));
        assert!(l.zone(t).is_none());
    }
}
