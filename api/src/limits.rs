//! The rate limits a replica enforces: the limiter (Redis or in process),
//! the default limits, each tenant's own limit (remembered a minute), the API
//! keys known to be real, and who the client is behind trusted proxies.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

use smrm_domain::ids::TenantId;
use smrm_domain::ports::{RateLimiter, TenantLimits};

/// The limiter, the limits, and a short cache of each tenant's limit.
pub struct RateLimits {
    pub limiter: Arc<dyn RateLimiter>,
    pub tenants: Arc<dyn TenantLimits>,
    pub per_minute: u32,
    pub auth_per_minute: u32,
    cache: moka::future::Cache<TenantId, u32>,
    /// API keys (by SHA-256) that were verified against the database: only
    /// they are counted in a bucket of their own. Anything else shaped like a
    /// key is counted against its client's IP, so inventing keys buys nothing.
    verified_keys: moka::sync::Cache<[u8; 32], TenantId>,
    /// `SMRM_TRUSTED_PROXIES`: the only peers whose `X-Forwarded-For` or
    /// `Forwarded` header names the client.
    trusted_proxies: Vec<IpNet>,
}

impl RateLimits {
    pub fn new(
        limiter: Arc<dyn RateLimiter>,
        tenants: Arc<dyn TenantLimits>,
        per_minute: u32,
        auth_per_minute: u32,
        trusted_proxies: Vec<IpNet>,
    ) -> Self {
        // A changed setting is seen within a minute.
        let cache = moka::future::Cache::builder().max_capacity(100_000).time_to_live(Duration::from_secs(60)).build();
        let verified_keys =
            moka::sync::Cache::builder().max_capacity(100_000).time_to_idle(Duration::from_secs(3600)).build();
        Self { limiter, tenants, per_minute, auth_per_minute, cache, verified_keys, trusted_proxies }
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

    /// The tenant of an API key this replica has verified, by its SHA-256.
    pub(crate) fn verified_key(&self, digest: &[u8; 32]) -> Option<TenantId> {
        self.verified_keys.get(digest)
    }

    /// An API key was verified against the database: from now on its calls
    /// are counted in its own bucket, at its tenant's limit.
    pub(crate) fn remember_verified_key(&self, digest: [u8; 32], tenant: TenantId) {
        self.verified_keys.insert(digest, tenant);
    }

    /// The client's address (see [`client_ip`]).
    pub(crate) fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        client_ip(&self.trusted_proxies, peer?, headers)
    }
}

/// The client's address. The peer, unless the peer is a trusted proxy: then
/// the forwarding header is read from the right (the hop the trusted proxy
/// appended) past every trusted hop, and the first address that is not a
/// trusted proxy is the client. `X-Forwarded-For` is read when present, else
/// `Forwarded`; what an untrusted peer sends in either is ignored, so nobody
/// picks their own bucket.
fn client_ip(trusted: &[IpNet], peer: IpAddr, headers: &HeaderMap) -> Option<IpAddr> {
    let is_trusted = |ip: IpAddr| {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        trusted.iter().any(|net| net.contains(&ip))
    };
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut client = peer;
    for hop in forwarded_hops(headers).iter().rev() {
        let Some(ip) = hop else { break };
        client = *ip;
        if !is_trusted(client) {
            break;
        }
    }
    Some(client)
}

/// The addresses of a forwarding header, left (the first client) to right (the
/// last proxy's peer); `None` for a hop that is not an address (`unknown`, an
/// obfuscated name), which ends the walk.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<&str> = headers.get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).collect();
    if !xff.is_empty() {
        return xff.iter().flat_map(|v| v.split(',')).map(|hop| node_ip(hop.trim())).collect();
    }
    headers
        .get_all(actix_web::http::header::FORWARDED)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.trim().eq_ignore_ascii_case("for").then(|| node_ip(value.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1`, `[2001:db8::1]:4711`.
fn node_ip(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = node.rsplit_once(':')?;
    port.bytes().all(|b| b.is_ascii_digit()).then(|| host.parse().ok()).flatten()
}

/// Parses `SMRM_TRUSTED_PROXIES`: addresses or CIDR ranges, comma-separated.
pub fn parse_trusted_proxies(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{s}` is neither an IP address nor a CIDR range"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    struct Proxies(Vec<IpNet>);

    impl Proxies {
        fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
            client_ip(&self.0, peer?, headers)
        }
    }

    fn limits(trusted: &str) -> Proxies {
        Proxies(parse_trusted_proxies(trusted).unwrap())
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let l = limits("10.0.0.0/8");
        let h = headers(&[("x-forwarded-for", "1.1.1.1"), ("forwarded", "for=2.2.2.2")]);
        assert_eq!(l.client_ip(ip("203.0.113.9"), &h), ip("203.0.113.9"));
        assert_eq!(limits("").client_ip(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let l = limits("10.0.0.0/8, 192.168.1.1");
        // The client forged the leftmost hop; the balancer appended the real one.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 192.168.1.1")]);
        assert_eq!(l.client_ip(ip("10.1.2.3"), &h), ip("198.51.100.7"));
        // Split over two header lines.
        let h = headers(&[("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "198.51.100.8")]);
        assert_eq!(l.client_ip(ip("::ffff:10.1.2.3"), &h), ip("198.51.100.8"));
        // Without a header the proxy itself is the client.
        assert_eq!(l.client_ip(ip("10.1.2.3"), &HeaderMap::new()), ip("10.1.2.3"));
        // Every hop trusted: the leftmost one.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 192.168.1.1")]);
        assert_eq!(l.client_ip(ip("10.1.2.3"), &h), ip("10.9.9.9"));
        // A hop that is not an address ends the walk at the last trusted one.
        let h = headers(&[("x-forwarded-for", "198.51.100.7, unknown")]);
        assert_eq!(l.client_ip(ip("10.1.2.3"), &h), ip("10.1.2.3"));
    }

    #[test]
    fn forwarded_is_read_when_there_is_no_x_forwarded_for() {
        let l = limits("10.0.0.0/8");
        let h = headers(&[("forwarded", r#"for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https, For=10.0.0.2"#)]);
        assert_eq!(l.client_ip(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
        let h = headers(&[("forwarded", "for=198.51.100.7:8080;by=10.0.0.1")]);
        assert_eq!(l.client_ip(ip("10.0.0.1"), &h), ip("198.51.100.7"));
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        assert_eq!(parse_trusted_proxies(" 10.0.0.0/8 ,::1,").unwrap().len(), 2);
        assert!(parse_trusted_proxies("10.0.0.0/8,load-balancer").unwrap_err().contains("load-balancer"));
    }
}
