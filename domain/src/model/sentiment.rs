//! A tenant's sentiment model: the built-in one, adapted to the corrections
//! its people made, or its own HTTP model service.

use chrono::{DateTime, Utc};

use crate::error::{DomainResult, Violations};
use crate::ids::TenantId;
use crate::model::integrations::check_outbound_url;
use crate::model::mention::SentimentLabel;

/// A model service's timeout when none is given, and the bounds of one.
pub const DEFAULT_TIMEOUT_MS: u32 = 2_000;
pub const MAX_TIMEOUT_MS: u32 = 10_000;
pub const MIN_TIMEOUT_MS: u32 = 50;

/// An HTTP model service that scores a tenant's texts instead of the
/// built-in model (which answers whenever the service fails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelEndpoint {
    pub url: String,
    pub timeout_ms: u32,
}

impl ModelEndpoint {
    pub fn validate(url: String, timeout_ms: Option<u32>, allow_private: bool) -> DomainResult<Self> {
        let mut v = Violations::new();
        check_outbound_url(&mut v, "endpoint.url", &url, allow_private);
        let timeout_ms = timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
        if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
            v.add("endpoint.timeout_ms", format!("must be between {MIN_TIMEOUT_MS} and {MAX_TIMEOUT_MS}"));
        }
        v.finish(Self { url, timeout_ms })
    }
}

/// What scores a tenant's new posts: the version of its adaptation (0: none
/// yet) and its model service, if any. Read once per ingested batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelChoice {
    pub adaptation_version: i64,
    pub endpoint: Option<ModelEndpoint>,
}

/// A tenant's model as `GET /v1/sentiment/model` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelState {
    /// Posts with a manual label (one per post: the latest label).
    pub corrections: u64,
    /// Corrections the current adaptation was trained on.
    pub trained_on: u64,
    /// When the adaptation last ran.
    pub trained_at: Option<DateTime<Utc>>,
    /// Corrections arrived since: the background worker is on it.
    pub pending: bool,
    pub endpoint: Option<ModelEndpoint>,
}

/// A manual label and the text it was given to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub label: SentimentLabel,
    pub text: String,
    pub language: Option<String>,
    /// The words of the text the mention's brand matched: the label is the
    /// sentiment toward them. Empty: toward the whole text.
    pub targets: Vec<String>,
}

/// A tenant whose corrections moved past its adaptation, claimed by one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdaptationClaim {
    pub tenant_id: TenantId,
    /// The corrections version the new adaptation is trained at.
    pub version: i64,
    pub claimed_at: DateTime<Utc>,
}

/// How many of a tenant's latest corrections an adaptation trains on.
pub const ADAPTATION_MAX_CORRECTIONS: u64 = 20_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_is_checked_like_a_webhook() {
        assert!(ModelEndpoint::validate("https://models.example.com/score".into(), None, false).is_ok());
        assert_eq!(
            ModelEndpoint::validate("https://models.example.com/score".into(), None, false).unwrap().timeout_ms,
            DEFAULT_TIMEOUT_MS
        );
        assert!(ModelEndpoint::validate("http://127.0.0.1:9/x".into(), None, false).is_err());
        assert!(ModelEndpoint::validate("http://127.0.0.1:9/x".into(), None, true).is_ok());
        assert!(ModelEndpoint::validate("https://models.example.com".into(), Some(10), false).is_err());
        assert!(ModelEndpoint::validate("ftp://models.example.com".into(), None, false).is_err());
    }
}
