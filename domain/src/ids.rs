//! Typed identifiers. All ids are UUIDv7 (time-ordered), so ordering by id is
//! ordering by creation, which is what keyset pagination walks.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    )*};
}

id_type!(
    /// The tenant: an agency or a company. Leads every tenant table's keys.
    TenantId,
    UserId,
    ApiKeyId,
    SessionId,
    RefreshTokenId,
    BrandId,
    CompetitorSetId,
    PostId,
    MentionId,
    TemplateId,
    ResponseId,
    PlacementId,
    WebhookId,
    /// One event for one webhook endpoint: its `webhook-id`, the same on every attempt.
    MessageId,
    AttemptId,
    AlertRuleId,
    AlertId,
    SourceId,
    /// A tenant's key for a platform's API.
    CredentialId,
);
