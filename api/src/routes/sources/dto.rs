//! Bodies of the source and credential endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smrm_domain::ids::{BrandId, CredentialId};
use smrm_domain::model::credentials::{Credential, CredentialInput, CredentialKind, CredentialStatus, Secret};
use smrm_domain::model::sources::{
    PushedEvent, Source, SourceConfig, SourceInput, SourceKind, SourcePatch, SourceState,
};
use smrm_domain::{DomainError, DomainResult};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::routes::common::*;
use crate::routes::mentions::dto::SourceTypeDto;

dto_enum!(
    /// What a source reads: `rss` an RSS or Atom feed; `vk_search` VK's
    /// news search for the brands' keywords; `vk_wall` a VK community's or
    /// person's wall; `vk_callback` what VK pushes for a community;
    /// `telegram_channel` a public channel's web preview;
    /// `youtube_search` YouTube search with the videos' statistics;
    /// `youtube_channel` the comments on a channel's videos;
    /// `reddit_search` Reddit search; `hn_search` Hacker News search.
    SourceKindDto as SourceKind <=> SourceKind {
        Rss, VkSearch, VkWall, VkCallback, TelegramChannel, YoutubeSearch, YoutubeChannel, RedditSearch, HnSearch
    }
);

dto_enum!(
    /// `never_run`; `ok`: the last run succeeded; `failing`: it failed
    /// (see `last_error`); `paused`: the platform's quota or rate limit
    /// stopped it until `next_run_at`.
    SourceStateDto as SourceState <=> SourceState { NeverRun, Ok, Failing, Paused }
);

list_type! {
    /// A page of sources.
    SourceList => SourceDto;
    /// A page of credentials.
    CredentialList => CredentialDto;
}

/// How a source's runs went.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SourceStatus)]
pub struct SourceStatusDto {
    pub state: SourceStateDto,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// When the next run is due (a paused source resumes then by itself).
    pub next_run_at: DateTime<Utc>,
    /// What the last run's failure was, in words a person can act on;
    /// `null` once a run succeeds.
    pub last_error: Option<String>,
    /// Posts the platform gave, new or not, in all.
    pub posts_fetched: u64,
    /// Mentions its posts made, in all.
    pub mentions_created: u64,
}

/// A connector SMRM runs itself. Its posts get `platform` and
/// `source_type`, keep their platform's id as `external_id` (so a post
/// found twice is stored once), and go through the same pipeline as
/// pushed ones.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Source, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7dd0", "kind": "hn_search", "name": "Hacker News search", "config": {}, "credential_id": null, "brand_ids": [], "brand_id": null, "platform": "hackernews", "source_type": "forum", "poll_seconds": 300, "enabled": true, "status": {"state": "ok", "last_run_at": "2026-11-26T10:00:00Z", "last_success_at": "2026-11-26T10:00:00Z", "next_run_at": "2026-11-26T10:05:00Z", "last_error": null, "posts_fetched": 120, "mentions_created": 42}, "url": null, "next_poll_at": "2026-11-26T10:05:00Z", "last_polled_at": "2026-11-26T10:00:00Z", "last_success_at": "2026-11-26T10:00:00Z", "last_error": null, "last_error_at": null, "posts_created": 42, "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"}))]
pub struct SourceDto {
    pub id: Uuid,
    pub kind: SourceKindDto,
    pub name: String,
    /// The kind's settings: `rss` `{url}`; `vk_wall` `{owner, comments}`;
    /// `vk_callback` `{group_id, confirmation_code}`; `telegram_channel`
    /// `{channel}`; `youtube_channel` `{channel_id}`; `reddit_search`
    /// `{subreddit?}`; `vk_search`, `youtube_search`, `hn_search` `{}`.
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
    /// The credential it calls its platform with.
    pub credential_id: Option<Uuid>,
    /// Search kinds: the brands whose keywords are searched (empty: all).
    /// Channel kinds: at most one, whose mention every post is.
    pub brand_ids: Vec<Uuid>,
    /// Channel kinds: the brand every post is a mention of (`brand_ids[0]`).
    pub brand_id: Option<Uuid>,
    pub platform: String,
    pub source_type: SourceTypeDto,
    /// Run no more often than this.
    pub poll_seconds: u64,
    pub enabled: bool,
    pub status: SourceStatusDto,
    /// `rss`: the feed's URL (also in `config`), as before connectors.
    pub url: Option<String>,
    #[schema(deprecated)]
    /// Deprecated: `status.next_run_at`.
    pub next_poll_at: DateTime<Utc>,
    #[schema(deprecated)]
    /// Deprecated: `status.last_run_at`.
    pub last_polled_at: Option<DateTime<Utc>>,
    #[schema(deprecated)]
    /// Deprecated: `status.last_success_at`.
    pub last_success_at: Option<DateTime<Utc>>,
    #[schema(deprecated)]
    /// Deprecated: `status.last_error`.
    pub last_error: Option<String>,
    #[schema(deprecated)]
    /// Deprecated: when the last run failed.
    pub last_error_at: Option<DateTime<Utc>>,
    #[schema(deprecated)]
    /// Deprecated: `status.mentions_created`.
    pub posts_created: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `vk_callback`, in the answer to its creation only: the address to
    /// give VK (Community → Manage → API usage → Callback API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// `vk_callback`, in the answer to its creation only: the secret key
    /// to give VK with the address; never shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl SourceDto {
    /// The answer to a creation: a pushed source's address and secret, once.
    pub fn created(s: Source, secret: Option<Secret>, base: &str) -> Self {
        let callback_url = secret.is_some().then(|| format!("{base}/v1/callbacks/vk/{}", s.id));
        Self { callback_url, secret: secret.map(|s| s.expose().to_owned()), ..Self::from(s) }
    }
}

/// An event of VK's Callback API, as VK sends it; fields SMRM does not use
/// are ignored (unlike in the rest of the API).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = VkCallbackEvent, example = json!({"type": "wall_post_new", "group_id": 1234, "event_id": "a1b2c3", "v": "5.199", "secret": "…", "object": {"id": 5678, "owner_id": -1234, "from_id": -1234, "date": 1764756000, "text": "Новый тариф"}}))]
pub struct VkCallbackDto {
    #[serde(rename = "type")]
    pub kind: String,
    pub group_id: Option<u64>,
    pub event_id: Option<String>,
    pub secret: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub object: serde_json::Value,
}

impl From<VkCallbackDto> for PushedEvent {
    fn from(d: VkCallbackDto) -> Self {
        Self { kind: d.kind, group_id: d.group_id, event_id: d.event_id, secret: d.secret, object: d.object }
    }
}

impl From<Source> for SourceDto {
    fn from(s: Source) -> Self {
        let brand_id = s.channel_brand().map(|b| b.0);
        let url = match &s.config {
            SourceConfig::Rss { url } => Some(url.clone()),
            _ => None,
        };
        let kind = s.kind().into();
        let st = s.status;
        Self {
            id: s.id.0,
            kind,
            name: s.name,
            config: s.config.to_json(),
            credential_id: s.credential_id.map(|c| c.0),
            brand_ids: uuids(&s.brand_ids),
            brand_id,
            platform: s.platform,
            source_type: s.source_type.into(),
            poll_seconds: s.poll_seconds,
            enabled: s.enabled,
            url,
            next_poll_at: s.next_poll_at,
            last_polled_at: st.last_run_at,
            last_success_at: st.last_success_at,
            last_error: st.last_error.clone(),
            last_error_at: st.last_error_at,
            posts_created: st.mentions_created,
            status: SourceStatusDto {
                state: st.state.into(),
                last_run_at: st.last_run_at,
                last_success_at: st.last_success_at,
                next_run_at: s.next_poll_at,
                last_error: st.last_error,
                posts_fetched: st.posts_fetched,
                mentions_created: st.mentions_created,
            },
            created_at: s.created_at,
            updated_at: s.updated_at,
            callback_url: None,
            secret: None,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewSource, example = json!({"kind": "vk_wall", "config": {"owner": "-12345", "comments": true}, "credential_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7dd1", "brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7dd2", "poll_seconds": 600}))]
pub struct NewSourceDto {
    pub kind: SourceKindDto,
    /// Defaults to a name made from the config.
    pub name: Option<String>,
    /// The kind's settings (see `Source.config`); `{}` when it has none.
    #[schema(value_type = Object)]
    pub config: Option<serde_json::Value>,
    /// `rss`: the feed's URL, as before connectors (or `config.url`).
    pub url: Option<String>,
    /// Required by `vk_search` and `vk_wall` (a `vk` credential), the
    /// YouTube kinds (`youtube`) and `reddit_search` (`reddit`).
    pub credential_id: Option<Uuid>,
    pub brand_ids: Option<Vec<Uuid>>,
    /// Channel kinds: every post is a mention of this brand (the same as `brand_ids: [id]`).
    pub brand_id: Option<Uuid>,
    /// Defaults per kind (`vk`, `telegram`, `youtube`, `reddit`, `hackernews`); required for `rss`.
    pub platform: Option<String>,
    /// Defaults per kind (`social`, `messenger`, `video`, `forum`); required for `rss`.
    pub source_type: Option<SourceTypeDto>,
    /// At least `SMRM_SOURCE_MIN_POLL_SECONDS` (60 by default), at most
    /// 86,400; 300 when absent.
    pub poll_seconds: Option<u64>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// `brand_ids` and `brand_id` as one list; both at once must agree.
fn brands(brand_ids: Option<Vec<Uuid>>, brand_id: Option<Uuid>) -> DomainResult<Option<Vec<BrandId>>> {
    match (brand_ids, brand_id) {
        (Some(list), Some(one)) if list != [one] => {
            Err(DomainError::invalid("brand_id", "give `brand_id` or `brand_ids`, not both"))
        }
        (Some(list), _) => Ok(Some(ids(list))),
        (None, Some(one)) => Ok(Some(vec![BrandId(one)])),
        (None, None) => Ok(None),
    }
}

/// The config with an `rss` source's top-level `url` folded in.
fn config_with_url(config: Option<serde_json::Value>, url: Option<String>) -> DomainResult<Option<serde_json::Value>> {
    let Some(url) = url else { return Ok(config) };
    let mut config = config.unwrap_or_else(|| serde_json::json!({}));
    let Some(map) = config.as_object_mut() else { return Err(DomainError::invalid("config", "must be an object")) };
    match map.get("url") {
        Some(serde_json::Value::String(u)) if *u != url => {
            Err(DomainError::invalid("url", "differs from `config.url`; give one of them"))
        }
        _ => {
            map.insert("url".into(), url.into());
            Ok(Some(config))
        }
    }
}

impl NewSourceDto {
    pub fn into_input(self) -> DomainResult<SourceInput> {
        let kind: SourceKind = self.kind.into();
        if self.url.is_some() && kind != SourceKind::Rss {
            return Err(DomainError::invalid("url", "only an `rss` source takes a top-level `url`"));
        }
        Ok(SourceInput {
            kind,
            name: self.name,
            config: config_with_url(self.config, self.url)?.unwrap_or_else(|| serde_json::json!({})),
            credential_id: self.credential_id.map(CredentialId),
            brand_ids: brands(self.brand_ids, self.brand_id)?.unwrap_or_default(),
            source_type: self.source_type.map(Into::into),
            platform: self.platform,
            poll_seconds: self.poll_seconds,
            enabled: self.enabled,
        })
    }
}

/// Changes to a source; absent fields stay. A new `config` (of the same
/// kind) is read afresh at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SourcePatch, example = json!({"poll_seconds": 600}))]
pub struct SourcePatchDto {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Object)]
    pub config: Option<serde_json::Value>,
    /// `rss`: the feed's URL.
    #[serde(default, deserialize_with = "present")]
    pub url: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    pub credential_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    pub brand_ids: Option<Vec<Uuid>>,
    /// `null` removes the channel's brand.
    #[serde(default, deserialize_with = "nullable")]
    pub brand_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    pub source_type: Option<SourceTypeDto>,
    #[serde(default, deserialize_with = "present")]
    pub platform: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub poll_seconds: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    pub enabled: Option<bool>,
}

impl SourcePatchDto {
    pub fn into_patch(self) -> DomainResult<SourcePatch> {
        let brand_ids = match (self.brand_ids, self.brand_id) {
            (Some(_), Some(_)) => {
                return Err(DomainError::invalid("brand_id", "give `brand_id` or `brand_ids`, not both"));
            }
            (Some(list), None) => Some(ids(list)),
            (None, Some(one)) => Some(one.map(|id| vec![BrandId(id)]).unwrap_or_default()),
            (None, None) => None,
        };
        Ok(SourcePatch {
            name: self.name,
            config: self.config,
            url: self.url,
            credential_id: self.credential_id.map(|c| c.map(CredentialId)),
            brand_ids,
            source_type: self.source_type.map(Into::into),
            platform: self.platform,
            poll_seconds: self.poll_seconds,
            enabled: self.enabled,
        })
    }
}

dto_enum!(
    /// The platform a credential is for.
    CredentialKindDto as CredentialKind <=> CredentialKind { Vk, Youtube, Reddit }
);
dto_enum!(
    /// `invalid`: the platform refused it; the sources using it fail until
    /// they are given another.
    CredentialStatusDto as CredentialStatus <=> CredentialStatus { Ok, Invalid }
);

/// A key for a platform's API. Its secret is never answered.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Credential, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7dd1", "kind": "vk", "name": "VK service token", "created_at": "2026-11-25T10:00:00Z", "last_used_at": "2026-11-26T10:00:00Z", "status": "ok"}))]
pub struct CredentialDto {
    pub id: Uuid,
    pub kind: CredentialKindDto,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// The last time a source's call with it succeeded.
    pub last_used_at: Option<DateTime<Utc>>,
    pub status: CredentialStatusDto,
}

impl From<Credential> for CredentialDto {
    fn from(c: Credential) -> Self {
        Self {
            id: c.id.0,
            kind: c.kind.into(),
            name: c.name,
            created_at: c.created_at,
            last_used_at: c.last_used_at,
            status: c.status.into(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewCredential, example = json!({"kind": "vk", "name": "VK service token", "secret": "vk1.a.…"}))]
pub struct NewCredentialDto {
    pub kind: CredentialKindDto,
    pub name: String,
    /// VK: a service or community access token; YouTube: an API key;
    /// Reddit: `client_id:client_secret`. Encrypted at rest, never answered.
    pub secret: String,
}

impl From<NewCredentialDto> for CredentialInput {
    fn from(d: NewCredentialDto) -> Self {
        Self { kind: d.kind.into(), name: d.name, secret: Secret::new(d.secret) }
    }
}
