//! Operator commands on one tenant's plan: `smrm quota`.

use smrm_domain::ids::TenantId;
use smrm_domain::model::quota::{QUOTA_CEILING, Quota};
use smrm_domain::ports::QuotaRepository;
use smrm_domain::services::quotas::Quotas;

use crate::config::Config;
use crate::startup::connect_and_migrate;

pub const QUOTA_USAGE: &str = "usage: smrm quota <tenant-id> [<name> <limit|default>]";

/// What `smrm quota` was asked.
#[derive(Debug, PartialEq, Eq)]
pub enum QuotaCommand {
    /// Print every quota of the tenant.
    Show(TenantId),
    /// Set one (`None`: back to its default).
    Set(TenantId, Quota, Option<u32>),
}

pub fn parse_quota_args(args: &[String]) -> Result<QuotaCommand, String> {
    let tenant = |raw: &str| {
        uuid::Uuid::parse_str(raw).map(TenantId).map_err(|_| format!("`{raw}` is not a tenant id\n{QUOTA_USAGE}"))
    };
    match args {
        [t] => Ok(QuotaCommand::Show(tenant(t)?)),
        [t, name, limit] => {
            let quota = Quota::parse(name).ok_or_else(|| {
                let names: Vec<&str> = Quota::ALL.iter().map(|q| q.as_str()).collect();
                format!("`{name}` is not a quota; one of: {}", names.join(", "))
            })?;
            let limit = match limit.as_str() {
                "default" => None,
                n => Some(
                    n.parse::<u32>()
                        .ok()
                        .filter(|n| (1..=QUOTA_CEILING).contains(n))
                        .ok_or_else(|| format!("`{n}` is not a number from 1 to {QUOTA_CEILING}, or `default`"))?,
                ),
            };
            Ok(QuotaCommand::Set(tenant(t)?, quota, limit))
        }
        _ => Err(QUOTA_USAGE.into()),
    }
}

/// Runs `smrm quota`: sets a quota, then prints the tenant's quotas.
pub async fn quota(config: &Config, args: &[String]) -> Result<String, String> {
    let command = parse_quota_args(args)?;
    let store = std::sync::Arc::new(connect_and_migrate(config).await?);
    let tenant = match command {
        QuotaCommand::Show(t) => t,
        QuotaCommand::Set(t, quota, limit) => {
            store.set_quota(t, quota, limit).await.map_err(|e| e.to_string())?;
            t
        }
    };
    let quotas = Quotas { repo: store };
    let mut out = String::new();
    for q in quotas.statuses(tenant).await.map_err(|e| e.to_string())? {
        let used = q.used.map_or_else(|| "per brand".to_owned(), |n| format!("{n} used"));
        let whose = if q.custom { "set for this tenant" } else { "default" };
        out.push_str(&format!("{:<20} {:>9}  ({whose}; {used})\n", q.quota.as_str(), q.limit));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn quota_arguments() {
        let t = "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d11";
        let id = TenantId(t.parse().unwrap());
        assert_eq!(parse_quota_args(&args(t)), Ok(QuotaCommand::Show(id)));
        assert_eq!(
            parse_quota_args(&args(&format!("{t} brands 5000"))),
            Ok(QuotaCommand::Set(id, Quota::Brands, Some(5000)))
        );
        assert_eq!(
            parse_quota_args(&args(&format!("{t} api_keys default"))),
            Ok(QuotaCommand::Set(id, Quota::ApiKeys, None))
        );
        assert!(parse_quota_args(&args(&format!("{t} brand 5"))).unwrap_err().contains("keywords_per_brand"));
        assert!(parse_quota_args(&args(&format!("{t} brands 0"))).is_err());
        assert!(parse_quota_args(&args(&format!("{t} brands 2000000"))).is_err());
        assert!(parse_quota_args(&args("acme brands 5")).unwrap_err().contains("tenant id"));
        assert_eq!(parse_quota_args(&args("")), Err(QUOTA_USAGE.into()));
    }
}
