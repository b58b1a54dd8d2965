//! Per-tenant quotas: how many of each thing a tenant may keep. A SaaS anyone
//! can sign up to bounds what one tenant stores, so that no tenant's size is
//! everyone's cost. Each quota has a default an operator can change per
//! tenant (`smrm quota <tenant> <name> <n|default>`), like rate limits.

use serde::Serialize;

/// What a tenant's quotas count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quota {
    Brands,
    /// Keywords of one brand (its excluded keywords are counted apart, by
    /// the same limit).
    KeywordsPerBrand,
    Users,
    ApiKeys,
    Webhooks,
    Sources,
    AlertRules,
}

/// No quota can be set above this: a bound on the cost of one tenant even
/// where an operator raised its plan.
pub const QUOTA_CEILING: u32 = 1_000_000;

impl Quota {
    pub const ALL: [Quota; 7] = [
        Quota::Brands,
        Quota::KeywordsPerBrand,
        Quota::Users,
        Quota::ApiKeys,
        Quota::Webhooks,
        Quota::Sources,
        Quota::AlertRules,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Quota::Brands => "brands",
            Quota::KeywordsPerBrand => "keywords_per_brand",
            Quota::Users => "users",
            Quota::ApiKeys => "api_keys",
            Quota::Webhooks => "webhooks",
            Quota::Sources => "sources",
            Quota::AlertRules => "alert_rules",
        }
    }

    pub fn parse(s: &str) -> Option<Quota> {
        Quota::ALL.into_iter().find(|q| q.as_str() == s)
    }

    /// The limit of a tenant whose operator set none.
    pub fn default_limit(self) -> u32 {
        match self {
            Quota::Brands => 1_000,
            Quota::KeywordsPerBrand => 100,
            Quota::Users => 200,
            Quota::ApiKeys => 100,
            Quota::Webhooks => 100,
            Quota::Sources => 1_000,
            Quota::AlertRules => 200,
        }
    }

    /// What is counted, in a sentence: "brands", "keywords in one brand".
    pub fn noun(self) -> &'static str {
        match self {
            Quota::Brands => "brands",
            Quota::KeywordsPerBrand => "keywords in one brand",
            Quota::Users => "users",
            Quota::ApiKeys => "API keys",
            Quota::Webhooks => "webhook endpoints",
            Quota::Sources => "sources",
            Quota::AlertRules => "alert rules",
        }
    }
}

/// One quota of a tenant: its limit and how much of it is used (`None` for a
/// quota counted per item, such as keywords per brand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaStatus {
    pub quota: Quota,
    pub limit: u32,
    /// Whether the operator set this tenant's limit (else it is the default).
    pub custom: bool,
    pub used: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_defaults_are_the_documented_ones() {
        for q in Quota::ALL {
            assert_eq!(Quota::parse(q.as_str()), Some(q));
            assert_eq!(serde_json::to_value(q).unwrap(), q.as_str());
            assert!(q.default_limit() <= QUOTA_CEILING);
        }
        assert_eq!(Quota::parse("brand"), None);
        let defaults: Vec<u32> = Quota::ALL.iter().map(|q| q.default_limit()).collect();
        assert_eq!(defaults, [1_000, 100, 200, 100, 100, 1_000, 200]);
    }
}
