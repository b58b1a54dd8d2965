//! Sources: connectors SMRM runs itself (an RSS feed, a platform search, a
//! community wall, a Telegram channel) whose posts go through the same
//! ingest as pushed ones. A source names its kind, the kind's settings
//! (`config`), the credential it calls the platform with, and the brands it
//! collects for.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, DomainResult, Violations};
use crate::ids::{BrandId, CredentialId, SourceId, TenantId};
use crate::model::credentials::CredentialKind;
use crate::model::integrations::{check_outbound_url, url_host};
use crate::model::mention::{PostInput, SourceType, check_batch, check_platform, str_enum};

pub const POLL_SECONDS_MAX: u64 = 86_400;
/// `poll_seconds` when a source names none (or the server's minimum, if higher).
pub const POLL_SECONDS_DEFAULT: u64 = 300;
pub const NAME_MAX_CHARS: usize = 200;
/// Brands a search source may search for.
pub const BRANDS_MAX: usize = 100;

str_enum!(
    /// The kinds of source.
    SourceKind {
        Rss => "rss",
        VkSearch => "vk_search",
        VkWall => "vk_wall",
        VkCallback => "vk_callback",
        TelegramChannel => "telegram_channel",
        YoutubeSearch => "youtube_search",
        YoutubeChannel => "youtube_channel",
        RedditSearch => "reddit_search",
        HnSearch => "hn_search",
    }
);

impl SourceKind {
    /// Searches a platform for the brands' keywords (else: reads one
    /// channel, community or feed whole).
    pub fn is_search(self) -> bool {
        matches!(
            self,
            SourceKind::VkSearch | SourceKind::YoutubeSearch | SourceKind::RedditSearch | SourceKind::HnSearch
        )
    }

    /// The platform pushes to SMRM; nothing is polled.
    pub fn is_pushed(self) -> bool {
        self == SourceKind::VkCallback
    }

    /// The credential the kind calls its platform with.
    pub fn credential(self) -> Option<CredentialKind> {
        match self {
            SourceKind::VkSearch | SourceKind::VkWall => Some(CredentialKind::Vk),
            SourceKind::YoutubeSearch | SourceKind::YoutubeChannel => Some(CredentialKind::Youtube),
            SourceKind::RedditSearch => Some(CredentialKind::Reddit),
            _ => None,
        }
    }

    /// The `platform` and `source_type` of its posts when the source names
    /// none (`rss` has none: a feed's publisher is named by the source).
    pub fn defaults(self) -> Option<(&'static str, SourceType)> {
        match self {
            SourceKind::Rss => None,
            SourceKind::VkSearch | SourceKind::VkWall | SourceKind::VkCallback => Some(("vk", SourceType::Social)),
            SourceKind::TelegramChannel => Some(("telegram", SourceType::Messenger)),
            SourceKind::YoutubeSearch | SourceKind::YoutubeChannel => Some(("youtube", SourceType::Video)),
            SourceKind::RedditSearch => Some(("reddit", SourceType::Forum)),
            SourceKind::HnSearch => Some(("hackernews", SourceType::Forum)),
        }
    }
}

/// A kind's settings (the source's `config`), as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceConfig {
    Rss {
        url: String,
    },
    VkSearch {},
    VkWall {
        /// `-<group id>`, a user id, or a screen name.
        owner: String,
        /// Also read each post's comments.
        #[serde(default)]
        comments: bool,
    },
    VkCallback {
        group_id: u64,
        /// What VK's `confirmation` event is answered with.
        confirmation_code: String,
    },
    TelegramChannel {
        /// The channel's public username, without `@`.
        channel: String,
    },
    YoutubeSearch {},
    YoutubeChannel {
        /// `UC…`: the channel whose videos' comments are read.
        channel_id: String,
    },
    RedditSearch {
        /// Search this subreddit only (without `r/`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subreddit: Option<String>,
    },
    HnSearch {},
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RssConfig {
    url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoConfig {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VkWallConfig {
    owner: serde_json::Value,
    #[serde(default)]
    comments: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VkCallbackConfig {
    group_id: u64,
    confirmation_code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TelegramConfig {
    channel: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YoutubeChannelConfig {
    channel_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedditConfig {
    subreddit: Option<String>,
}

impl SourceConfig {
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceConfig::Rss { .. } => SourceKind::Rss,
            SourceConfig::VkSearch {} => SourceKind::VkSearch,
            SourceConfig::VkWall { .. } => SourceKind::VkWall,
            SourceConfig::VkCallback { .. } => SourceKind::VkCallback,
            SourceConfig::TelegramChannel { .. } => SourceKind::TelegramChannel,
            SourceConfig::YoutubeSearch {} => SourceKind::YoutubeSearch,
            SourceConfig::YoutubeChannel { .. } => SourceKind::YoutubeChannel,
            SourceConfig::RedditSearch { .. } => SourceKind::RedditSearch,
            SourceConfig::HnSearch {} => SourceKind::HnSearch,
        }
    }

    /// A kind's settings from a request's `config` object: unknown fields
    /// are refused, values are checked and normalised (`@channel` and
    /// `https://t.me/channel` are both `channel`).
    pub fn parse(kind: SourceKind, raw: serde_json::Value, allow_private: bool) -> DomainResult<SourceConfig> {
        fn read<T: serde::de::DeserializeOwned>(raw: serde_json::Value) -> DomainResult<T> {
            serde_json::from_value(raw).map_err(|e| DomainError::invalid("config", e.to_string()))
        }
        let mut v = Violations::new();
        let config = match kind {
            SourceKind::Rss => {
                let c: RssConfig = read(raw)?;
                // Reported as `url`: a feed's URL is also taken at the top level.
                check_outbound_url(&mut v, "url", &c.url, allow_private);
                SourceConfig::Rss { url: c.url }
            }
            SourceKind::VkSearch => {
                read::<NoConfig>(raw)?;
                SourceConfig::VkSearch {}
            }
            SourceKind::HnSearch => {
                read::<NoConfig>(raw)?;
                SourceConfig::HnSearch {}
            }
            SourceKind::YoutubeSearch => {
                read::<NoConfig>(raw)?;
                SourceConfig::YoutubeSearch {}
            }
            SourceKind::YoutubeChannel => {
                let c: YoutubeChannelConfig = read(raw)?;
                let id = c.channel_id.trim().to_owned();
                if id.len() != 24
                    || !id.starts_with("UC")
                    || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                {
                    v.add("config.channel_id", "must be a channel id: `UC` and 22 more letters, digits, `_` or `-`");
                }
                SourceConfig::YoutubeChannel { channel_id: id }
            }
            SourceKind::RedditSearch => {
                let c: RedditConfig = read(raw)?;
                let sub = c.subreddit.map(|s| s.trim().trim_start_matches("/r/").trim_start_matches("r/").to_owned());
                if let Some(sub) = &sub
                    && (!(2..=21).contains(&sub.len()) || !sub.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                {
                    v.add("config.subreddit", "must be a subreddit's name: 2 to 21 letters, digits and `_`");
                }
                SourceConfig::RedditSearch { subreddit: sub }
            }
            SourceKind::VkWall => {
                let c: VkWallConfig = read(raw)?;
                let owner = match c.owner {
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::String(s) => s.trim().trim_start_matches("https://vk.com/").to_owned(),
                    _ => String::new(),
                };
                if !is_vk_owner(&owner) {
                    v.add(
                        "config.owner",
                        "must be `-<group id>`, a user id, or a screen name (letters, digits, `_`, `.`)",
                    );
                }
                SourceConfig::VkWall { owner, comments: c.comments }
            }
            SourceKind::VkCallback => {
                let c: VkCallbackConfig = read(raw)?;
                if c.group_id == 0 {
                    v.add("config.group_id", "must be the community's id, a positive number");
                }
                let code = c.confirmation_code.trim().to_owned();
                if code.is_empty() || code.len() > 64 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    v.add("config.confirmation_code", "must be the 1 to 64 letters and digits VK shows");
                }
                SourceConfig::VkCallback { group_id: c.group_id, confirmation_code: code }
            }
            SourceKind::TelegramChannel => {
                let c: TelegramConfig = read(raw)?;
                let channel = c
                    .channel
                    .trim()
                    .trim_start_matches("https://t.me/s/")
                    .trim_start_matches("https://t.me/")
                    .trim_start_matches('@')
                    .trim_end_matches('/')
                    .to_owned();
                if !(5..=32).contains(&channel.len())
                    || !channel.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    || channel.starts_with(|c: char| c.is_ascii_digit() || c == '_')
                {
                    v.add("config.channel", "must be a public channel's username: 5 to 32 letters, digits and `_`");
                }
                SourceConfig::TelegramChannel { channel }
            }
        };
        v.finish(config)
    }

    /// The settings as a client sees them (`config` without `kind`).
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).expect("a config serialises");
        if let Some(map) = value.as_object_mut() {
            map.remove("kind");
        }
        value
    }

    /// A name for a source that was given none.
    fn default_name(&self) -> String {
        match self {
            SourceConfig::Rss { url } => url_host(url).unwrap_or(url).to_owned(),
            SourceConfig::VkSearch {} => "VK search".into(),
            SourceConfig::VkWall { owner, .. } => format!("VK wall {owner}"),
            SourceConfig::VkCallback { group_id, .. } => format!("VK community {group_id} (Callback API)"),
            SourceConfig::TelegramChannel { channel } => format!("Telegram @{channel}"),
            SourceConfig::YoutubeSearch {} => "YouTube search".into(),
            SourceConfig::YoutubeChannel { channel_id } => format!("YouTube channel {channel_id}"),
            SourceConfig::RedditSearch { subreddit: Some(sub) } => format!("Reddit search in r/{sub}"),
            SourceConfig::RedditSearch { subreddit: None } => "Reddit search".into(),
            SourceConfig::HnSearch {} => "Hacker News search".into(),
        }
    }
}

/// `-123` (a community), `123` (a person) or a screen name.
fn is_vk_owner(owner: &str) -> bool {
    let digits = owner.strip_prefix('-').unwrap_or(owner);
    if !digits.is_empty() && digits.len() <= 19 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits.bytes().any(|b| b != b'0');
    }
    !owner.is_empty()
        && owner.len() <= 64
        && owner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        && owner.bytes().any(|b| b.is_ascii_alphabetic())
}

str_enum!(
    /// `paused`: the platform's quota is spent (or it asked to wait): the
    /// source resumes at `next_run_at` by itself.
    SourceState { NeverRun => "never_run", Ok => "ok", Failing => "failing", Paused => "paused" }
);

/// How the source's runs went.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceStatus {
    pub state: SourceState,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Posts the platform gave, new or not.
    pub posts_fetched: u64,
    /// Mentions its posts created, in all.
    pub mentions_created: u64,
}

impl SourceStatus {
    pub fn new() -> Self {
        Self {
            state: SourceState::NeverRun,
            last_run_at: None,
            last_success_at: None,
            last_error: None,
            last_error_at: None,
            posts_fetched: 0,
            mentions_created: 0,
        }
    }
}

impl Default for SourceStatus {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: SourceId,
    pub tenant_id: TenantId,
    pub name: String,
    pub config: SourceConfig,
    pub credential_id: Option<CredentialId>,
    /// Search kinds: the brands whose keywords are searched (empty: all).
    /// Channel kinds: at most one, which every post is a mention of.
    pub brand_ids: Vec<BrandId>,
    /// Given to every post of the source.
    pub source_type: SourceType,
    pub platform: String,
    pub poll_seconds: u64,
    pub enabled: bool,
    pub next_poll_at: DateTime<Utc>,
    pub status: SourceStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Source {
    /// A new source with these settings, due at once.
    pub fn new(tenant: TenantId, settings: SourceSettings, now: DateTime<Utc>) -> Source {
        let base = Source {
            id: SourceId::new(),
            tenant_id: tenant,
            name: String::new(),
            config: SourceConfig::HnSearch {},
            credential_id: None,
            brand_ids: Vec::new(),
            source_type: SourceType::News,
            platform: String::new(),
            poll_seconds: 0,
            enabled: false,
            next_poll_at: now,
            status: SourceStatus::new(),
            created_at: now,
            updated_at: now,
        };
        base.with(settings)
    }

    /// The source with these settings (its status and times stay).
    pub fn with(self, settings: SourceSettings) -> Source {
        Source {
            name: settings.name,
            config: settings.config,
            credential_id: settings.credential_id,
            brand_ids: settings.brand_ids,
            source_type: settings.source_type,
            platform: settings.platform,
            poll_seconds: settings.poll_seconds,
            enabled: settings.enabled,
            ..self
        }
    }

    pub fn kind(&self) -> SourceKind {
        self.config.kind()
    }

    /// A channel kind's brand: every post it reads is that brand's mention.
    pub fn channel_brand(&self) -> Option<BrandId> {
        if self.kind().is_search() { None } else { self.brand_ids.first().copied() }
    }
}

/// A new source, or a changed one after its patch: everything a client sets.
#[derive(Debug, Clone)]
pub struct SourceInput {
    pub kind: SourceKind,
    pub name: Option<String>,
    /// The kind's settings as sent (see `SourceConfig::parse`).
    pub config: serde_json::Value,
    pub credential_id: Option<CredentialId>,
    pub brand_ids: Vec<BrandId>,
    pub source_type: Option<SourceType>,
    pub platform: Option<String>,
    pub poll_seconds: Option<u64>,
    pub enabled: bool,
}

/// A source's settings, checked and with every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSettings {
    pub name: String,
    pub config: SourceConfig,
    pub credential_id: Option<CredentialId>,
    pub brand_ids: Vec<BrandId>,
    pub source_type: SourceType,
    pub platform: String,
    pub poll_seconds: u64,
    pub enabled: bool,
}

impl SourceSettings {
    pub fn of(s: &Source) -> Self {
        Self {
            name: s.name.clone(),
            config: s.config.clone(),
            credential_id: s.credential_id,
            brand_ids: s.brand_ids.clone(),
            source_type: s.source_type,
            platform: s.platform.clone(),
            poll_seconds: s.poll_seconds,
            enabled: s.enabled,
        }
    }
}

/// Changes to a source; `None` keeps a field. A `config` is of the
/// source's kind (the kind never changes).
#[derive(Debug, Clone, Default)]
pub struct SourcePatch {
    pub name: Option<String>,
    pub config: Option<serde_json::Value>,
    /// An `rss` source's feed URL (`config.url`).
    pub url: Option<String>,
    /// `Some(None)` removes the credential.
    pub credential_id: Option<Option<CredentialId>>,
    pub brand_ids: Option<Vec<BrandId>>,
    pub source_type: Option<SourceType>,
    pub platform: Option<String>,
    pub poll_seconds: Option<u64>,
    pub enabled: Option<bool>,
}

impl SourcePatch {
    pub fn merged(self, s: &Source) -> DomainResult<SourceInput> {
        let given = self.config.is_some();
        let mut config = self.config.unwrap_or_else(|| s.config.to_json());
        if let Some(url) = self.url {
            if s.kind() != SourceKind::Rss {
                return Err(DomainError::invalid("url", "only an `rss` source has a top-level `url`"));
            }
            let Some(map) = config.as_object_mut() else {
                return Err(DomainError::invalid("config", "must be an object"));
            };
            if given && map.get("url").is_some_and(|u| *u != url.as_str()) {
                return Err(DomainError::invalid("url", "differs from `config.url`; give one of them"));
            }
            map.insert("url".into(), url.into());
        }
        Ok(SourceInput {
            kind: s.kind(),
            name: Some(self.name.unwrap_or_else(|| s.name.clone())),
            config,
            credential_id: self.credential_id.unwrap_or(s.credential_id),
            brand_ids: self.brand_ids.unwrap_or_else(|| s.brand_ids.clone()),
            source_type: Some(self.source_type.unwrap_or(s.source_type)),
            platform: Some(self.platform.unwrap_or_else(|| s.platform.clone())),
            poll_seconds: Some(self.poll_seconds.unwrap_or(s.poll_seconds)),
            enabled: self.enabled.unwrap_or(s.enabled),
        })
    }
}

impl SourceInput {
    /// Checks what can be checked without storage (the credential's and
    /// the brands' existence are the service's), and fills in defaults.
    /// `min_poll_seconds`: `SMRM_SOURCE_MIN_POLL_SECONDS`.
    pub fn validate(self, min_poll_seconds: u64, allow_private: bool) -> DomainResult<SourceSettings> {
        let mut v = Violations::new();
        let kind = self.kind;
        let config = match SourceConfig::parse(kind, self.config, allow_private) {
            Ok(c) => Some(c),
            Err(DomainError::Invalid(errors)) => {
                for e in errors {
                    v.add(e.field, e.message);
                }
                None
            }
            Err(e) => return Err(e),
        };
        let name = match (self.name, &config) {
            (Some(n), _) => n.trim().to_owned(),
            (None, Some(c)) => c.default_name(),
            (None, None) => kind.as_str().to_owned(),
        };
        if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
            v.add("name", format!("must be 1 to {NAME_MAX_CHARS} characters"));
        }
        let defaults = kind.defaults();
        let platform = self.platform.or_else(|| defaults.map(|d| d.0.to_owned())).unwrap_or_default();
        if defaults.is_none() && platform.is_empty() {
            v.add("platform", "is required for this kind of source (the slug its posts are filed under)");
        } else {
            check_platform(&mut v, "platform", &platform);
        }
        let source_type = match self.source_type.or(defaults.map(|d| d.1)) {
            Some(t) => t,
            None => {
                v.add("source_type", "is required for this kind of source");
                SourceType::News
            }
        };
        let poll_seconds = self.poll_seconds.unwrap_or(POLL_SECONDS_DEFAULT.max(min_poll_seconds));
        if !(min_poll_seconds..=POLL_SECONDS_MAX).contains(&poll_seconds) {
            v.add("poll_seconds", format!("must be {min_poll_seconds} to {POLL_SECONDS_MAX} seconds"));
        }
        match (kind.credential(), self.credential_id) {
            (Some(c), None) => v.add("credential_id", format!("a `{}` credential is required", c.as_str())),
            (None, Some(_)) => v.add("credential_id", "this kind of source takes no credential"),
            _ => {}
        }
        let mut brand_ids = self.brand_ids;
        let before = brand_ids.len();
        brand_ids.sort();
        brand_ids.dedup();
        if brand_ids.len() != before {
            v.add("brand_ids", "names a brand twice");
        }
        if kind.is_search() && brand_ids.len() > BRANDS_MAX {
            v.add("brand_ids", format!("at most {BRANDS_MAX} brands"));
        }
        if !kind.is_search() && brand_ids.len() > 1 {
            v.add("brand_ids", "a channel's posts are mentions of at most one brand");
        }
        v.finish(())?;
        Ok(SourceSettings {
            name,
            config: config.expect("a config that did not parse added a violation"),
            credential_id: self.credential_id,
            brand_ids,
            source_type,
            platform,
            poll_seconds,
            enabled: self.enabled,
        })
    }
}

/// Where a connector left off, opaque to all but the connector that wrote
/// it (an RSS feed's validators, a platform's newest timestamp per query),
/// kept on the source between polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub String);

/// What one fetch from a platform gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fetched {
    /// The posts, in any order; the pipeline deduplicates, so a post seen
    /// again changes nothing.
    pub posts: Vec<PostInput>,
    /// Items the connector could not make a post of (no text, no id, …).
    pub skipped: u64,
    /// Where the next fetch starts; `None` keeps the current cursor.
    pub next: Option<Cursor>,
    /// Nothing changed since the cursor (an HTTP `304 Not Modified`).
    pub unchanged: bool,
}

/// What a platform can answer instead of posts, in the words every
/// connector maps its errors into: the poller treats each kind alike,
/// whatever the platform.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectorError {
    /// The credentials were refused or lack a permission: the credential
    /// is marked `invalid`.
    #[error("the platform refused the credential: {0}")]
    Auth(String),
    /// Too many calls: the platform asks to wait this long.
    #[error("rate limited by the platform; retrying in {} s", retry_after.as_secs())]
    RateLimited { retry_after: std::time::Duration },
    /// A daily or monthly quota is used up until then: the source pauses.
    #[error("the platform's quota is used up until {until}")]
    QuotaExhausted { until: DateTime<Utc> },
    /// What the source names does not exist (any more), or is not public.
    #[error("not found on the platform: {0}")]
    NotFound(String),
    /// The platform wants a person (a captcha): retried at the next poll,
    /// never in a loop.
    #[error("{0}")]
    Blocked(String),
    /// Anything else worth retrying at the next poll: timeouts, 5xx,
    /// unreadable answers.
    #[error("{0}")]
    Transient(String),
}

impl ConnectorError {
    /// When to poll again, if the platform said (sooner is pointless).
    pub fn retry_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            ConnectorError::RateLimited { retry_after } => {
                Some(now + chrono::Duration::from_std(*retry_after).unwrap_or(chrono::Duration::zero()))
            }
            ConnectorError::QuotaExhausted { until } => Some(*until),
            _ => None,
        }
    }

    /// The poll outcome it is counted as.
    pub fn outcome(&self) -> &'static str {
        match self {
            ConnectorError::RateLimited { .. } => "rate_limited",
            ConnectorError::QuotaExhausted { .. } => "quota_exhausted",
            ConnectorError::Auth(_) => "auth_failed",
            ConnectorError::NotFound(_) => "not_found",
            ConnectorError::Blocked(_) => "blocked",
            ConnectorError::Transient(_) => "failed",
        }
    }

    /// The state the source is left in.
    pub fn state(&self) -> SourceState {
        match self {
            ConnectorError::RateLimited { .. } | ConnectorError::QuotaExhausted { .. } => SourceState::Paused,
            _ => SourceState::Failing,
        }
    }
}

/// What binds a pushed source's sealed secret to its row.
pub fn source_aad(tenant: TenantId, id: SourceId) -> Vec<u8> {
    format!("smrm:source:{}:{}", tenant.0, id.0).into_bytes()
}

/// An event a platform pushed to a source (VK's Callback API), as sent.
#[derive(Debug, Clone)]
pub struct PushedEvent {
    pub kind: String,
    pub group_id: Option<u64>,
    pub event_id: Option<String>,
    pub secret: Option<String>,
    pub object: serde_json::Value,
}

/// What a push is answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushAnswer {
    /// `text/plain`: VK's confirmation code, or `ok`.
    Text(String),
}

/// Whether one post is valid as a post of any batch: connectors build
/// posts from what platforms give, and an invalid one is skipped, not
/// allowed to fail the whole poll.
/// Counts are clamped first (see [`PostInput::clamp_counts`]).
pub fn is_valid_post(post: &mut PostInput, now: DateTime<Utc>) -> bool {
    post.clamp_counts();
    check_batch(std::slice::from_ref(post), &Default::default(), now).is_empty()
}

/// The phrases a search source looks for: the keywords of its brands, each
/// once (folded case), longest first so a platform that caps the query
/// length keeps the most specific ones.
pub fn search_terms<'a>(keywords: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut terms: Vec<String> = keywords
        .into_iter()
        .map(crate::text::tidy)
        .filter(|k| !k.is_empty() && seen.insert(k.to_lowercase()))
        .collect();
    terms.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then_with(|| a.cmp(b)));
    terms
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn configs_are_checked_and_normalised_per_kind() {
        let t =
            SourceConfig::parse(SourceKind::TelegramChannel, json!({"channel": "https://t.me/s/deynet_news/"}), false)
                .unwrap();
        assert_eq!(t, SourceConfig::TelegramChannel { channel: "deynet_news".into() });
        assert!(SourceConfig::parse(SourceKind::TelegramChannel, json!({"channel": "@ab"}), false).is_err());
        let w = SourceConfig::parse(SourceKind::VkWall, json!({"owner": -1234, "comments": true}), false).unwrap();
        assert_eq!(w, SourceConfig::VkWall { owner: "-1234".into(), comments: true });
        assert!(SourceConfig::parse(SourceKind::VkWall, json!({"owner": "-0"}), false).is_err());
        assert!(SourceConfig::parse(SourceKind::VkWall, json!({"owner": "durov"}), false).is_ok());
        let unknown = SourceConfig::parse(SourceKind::HnSearch, json!({"q": "x"}), false).unwrap_err();
        assert!(
            matches!(unknown, DomainError::Invalid(e) if e[0].field == "config" && e[0].message.contains("unknown field"))
        );
        assert!(SourceConfig::parse(SourceKind::Rss, json!({"url": "http://127.0.0.1/x"}), false).is_err());
        assert_eq!(w.to_json(), json!({"owner": "-1234", "comments": true}));
    }

    #[test]
    fn defaults_fill_in_per_kind() {
        let input = SourceInput {
            kind: SourceKind::HnSearch,
            name: None,
            config: json!({}),
            credential_id: None,
            brand_ids: vec![],
            source_type: None,
            platform: None,
            poll_seconds: None,
            enabled: true,
        };
        let s = input.clone().validate(60, false).unwrap();
        assert_eq!((s.platform.as_str(), s.source_type, s.poll_seconds), ("hackernews", SourceType::Forum, 300));
        assert_eq!(s.name, "Hacker News search");
        let rss =
            SourceInput { kind: SourceKind::Rss, config: json!({"url": "https://x.example/rss"}), ..input.clone() };
        let DomainError::Invalid(e) = rss.validate(60, false).unwrap_err() else { panic!() };
        assert_eq!(e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["platform", "source_type"]);
        let vk = SourceInput { kind: SourceKind::VkSearch, ..input.clone() };
        let DomainError::Invalid(e) = vk.validate(60, false).unwrap_err() else { panic!() };
        assert_eq!(e[0].field, "credential_id");
        let wall = SourceInput { kind: SourceKind::VkWall, config: json!({}), poll_seconds: Some(1), ..input };
        let DomainError::Invalid(e) = wall.validate(60, false).unwrap_err() else { panic!() };
        let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["config", "poll_seconds", "credential_id"], "every problem at once");
    }

    #[test]
    fn search_terms_are_unique_and_longest_first() {
        assert_eq!(search_terms(["Дейнет", "дейнет", "Дейнет Телеком", " "]), ["Дейнет Телеком", "Дейнет"]);
    }
}
