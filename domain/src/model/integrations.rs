//! Webhooks: endpoints of the tenant's systems, the events they receive,
//! and the record of every delivery attempt.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::error::{DomainResult, Violations};
use crate::ids::{AttemptId, MessageId, TenantId, WebhookId};
use crate::model::mention::{SentimentLabel, check_http_url};

/// What happened, as webhooks name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    /// A mention was stored by ingest (not by a backfill of old posts).
    MentionCreated,
    /// A mention stored by ingest is negative.
    MentionNegative,
    /// An alert rule fired.
    AlertTriggered,
}

impl Event {
    pub const ALL: [Event; 3] = [Event::MentionCreated, Event::MentionNegative, Event::AlertTriggered];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::MentionCreated => "mention.created",
            Event::MentionNegative => "mention.negative",
            Event::AlertTriggered => "alert.triggered",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// The events a mention stored by ingest raises.
pub fn mention_events(label: SentimentLabel) -> &'static [Event] {
    match label {
        SentimentLabel::Negative => &[Event::MentionCreated, Event::MentionNegative],
        _ => &[Event::MentionCreated],
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: WebhookId,
    pub tenant_id: TenantId,
    pub url: String,
    pub description: Option<String>,
    pub events: Vec<Event>,
    pub enabled: bool,
    /// Why delivery stopped, when SMRM disabled it.
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Webhook {
    pub fn wants(&self, event: Event) -> bool {
        self.enabled && self.events.contains(&event)
    }
}

/// The signing secrets of an endpoint: the current one, and after a rotation
/// the previous one until it expires (messages are signed with both).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSecrets {
    pub current: String,
    pub previous: Option<(String, DateTime<Utc>)>,
}

impl WebhookSecrets {
    /// The secrets to sign with at `now`.
    pub fn signing(&self, now: DateTime<Utc>) -> Vec<String> {
        let mut out = vec![self.current.clone()];
        if let Some((previous, until)) = &self.previous
            && *until > now
        {
            out.push(previous.clone());
        }
        out
    }
}

/// How long a rotated-out secret still signs messages.
pub const PREVIOUS_SECRET_HOURS: i64 = 24;
pub const DESCRIPTION_MAX_CHARS: usize = 500;

#[derive(Debug, Clone)]
pub struct WebhookInput {
    pub url: String,
    pub description: Option<String>,
    pub events: Vec<Event>,
    pub enabled: bool,
}

/// Absent fields stay; `Some(None)` clears the description.
#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub events: Option<Vec<Event>>,
    pub enabled: Option<bool>,
}

impl WebhookPatch {
    pub fn merged(self, w: &Webhook) -> WebhookInput {
        WebhookInput {
            url: self.url.unwrap_or_else(|| w.url.clone()),
            description: self.description.unwrap_or_else(|| w.description.clone()),
            events: self.events.unwrap_or_else(|| w.events.clone()),
            enabled: self.enabled.unwrap_or(w.enabled),
        }
    }
}

/// Whether an address may be the target of an outbound request: not
/// loopback, private, link-local, shared (CGNAT), IETF protocol assignments
/// (`192.0.0.0/24`), documentation, benchmarking, multicast, broadcast,
/// unspecified, nor NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`: a translator
/// would carry the request to whatever IPv4 address is embedded) — the SSRF
/// guard.
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                || v6.segments()[0] == 0x2001 && v6.segments()[1] == 0x0db8
                || v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
                || v6.segments()[..3] == [0x64, 0xff9b, 1])
        }
    }
}

/// A URL as answers and logs show it: the password of its userinfo and the
/// values of query parameters that look like credentials (`key`, `token`,
/// `secret`, `pass…`, `sig…`, `auth…`) replaced by `***`.
pub fn redacted_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let authority_end = before_query.find('/').unwrap_or(before_query.len());
    let (authority, path) = before_query.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => format!("{user}@{host}"),
        },
        None => authority.to_owned(),
    };
    let mut out = scheme.map(|s| format!("{s}://")).unwrap_or_default();
    out.push_str(&authority);
    out.push_str(path);
    if let Some(q) = query {
        let (q, fragment) = q.split_once('#').map_or((q, None), |(q, f)| (q, Some(f)));
        let pairs: Vec<String> = q
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if is_secret_name(name) => format!("{name}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
        if let Some(f) = fragment {
            out.push('#');
            out.push_str(f);
        }
    }
    out
}

fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["key", "token", "secret", "pass", "sig", "auth", "credential"].iter().any(|w| name.contains(w))
}

/// The host of an `http(s)://` URL (brackets of an IPv6 literal removed).
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split_once(']')?.0
    } else {
        host_port.rsplit_once(':').map_or(host_port, |(h, _)| h)
    };
    (!host.is_empty()).then_some(host)
}

/// Checks an outbound target: an http(s) URL with a host; unless
/// `allow_private`, not `localhost` nor a non-public address (names are
/// checked again when resolved, on every request).
pub fn check_outbound_url(v: &mut Violations, field: &str, url: &str, allow_private: bool) {
    let before = v.is_empty();
    check_http_url(v, field, url);
    if !before || !v.is_empty() {
        return;
    }
    let Some(host) = url_host(url) else {
        v.add(field, "must name a host");
        return;
    };
    if allow_private {
        return;
    }
    let local = host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost");
    if local || host.parse::<IpAddr>().is_ok_and(|ip| !is_public(ip)) {
        v.add(field, "must be a public address (loopback and private networks are refused)");
    }
}

impl WebhookInput {
    pub fn validate(self, allow_private: bool) -> DomainResult<WebhookInput> {
        let mut v = Violations::new();
        check_outbound_url(&mut v, "url", &self.url, allow_private);
        let description = self.description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        if description.as_ref().is_some_and(|d| d.chars().count() > DESCRIPTION_MAX_CHARS) {
            v.add("description", format!("must be at most {DESCRIPTION_MAX_CHARS} characters"));
        }
        let mut events = self.events.clone();
        events.sort();
        events.dedup();
        if events.is_empty() {
            v.add("events", "must name at least one event");
        } else if events.len() != self.events.len() {
            v.add("events", "must not repeat an event");
        }
        v.finish(WebhookInput { description, events, ..self })
    }
}

/// One event for one endpoint: delivered until it succeeds or its attempts
/// run out. Its id is the `webhook-id` header, the same on every attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: MessageId,
    pub tenant_id: TenantId,
    pub webhook_id: WebhookId,
    pub event: Event,
    /// What the event is about: a mention or an alert.
    pub subject_id: uuid::Uuid,
    /// The body, fixed at the first attempt so that every attempt sends the same bytes.
    pub payload: Option<String>,
    /// Attempts made so far.
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
}

/// One delivery attempt, as listed at `/v1/webhooks/{id}/deliveries`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: AttemptId,
    pub message_id: MessageId,
    pub webhook_id: WebhookId,
    pub event: Event,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due; `None` after success or the last attempt.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// What became of an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// A 2xx answer.
    Delivered(u16),
    /// Any other answer; 410 Gone also disables the endpoint.
    Rejected(u16),
    /// No answer: refused address, connection error, timeout.
    Failed(String),
}

/// After attempt number `attempt` failed, when to try again (`None`: it was
/// the last). `schedule`: seconds after the 1st, 2nd, … failure.
pub fn next_attempt(schedule: &[u64], attempt: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let wait = schedule.get(attempt.checked_sub(1)? as usize)?;
    Some(now + chrono::Duration::seconds(i64::try_from(*wait).unwrap_or(i64::MAX / 2_000_000)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
            "192.0.0.170",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::a00:1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip} must be refused");
        }
        for ip in ["8.8.8.8", "93.184.216.34", "2a00:1450:4010::8a", "192.0.1.1", "192.1.0.1", "64:ff9c::1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip} is public");
        }
    }

    #[test]
    fn urls_are_shown_without_their_credentials() {
        assert_eq!(
            redacted_url("https://svc:s3cret@models.example.com/score?api_key=abc&x=1&Token=t#f"),
            "https://svc:***@models.example.com/score?api_key=***&x=1&Token=***#f"
        );
        assert_eq!(redacted_url("https://models.example.com/score"), "https://models.example.com/score");
        assert_eq!(redacted_url("postgres://u:p@db/smrm"), "postgres://u:***@db/smrm");
        assert_eq!(redacted_url("https://tok@x.example/?q=1"), "https://tok@x.example/?q=1");
    }

    #[test]
    fn outbound_urls_name_a_public_host() {
        let check = |url: &str, allow| {
            let mut v = Violations::new();
            check_outbound_url(&mut v, "url", url, allow);
            v.is_empty()
        };
        assert!(check("https://crm.example.com/hooks?x=1", false));
        assert!(check("https://user:pw@93.184.216.34:8443/h", false));
        for bad in
            ["http://127.0.0.1:8080/h", "http://localhost/h", "http://[::1]/h", "http://10.0.0.1", "ftp://x.example"]
        {
            assert!(!check(bad, false), "{bad} must be refused");
        }
        assert!(check("http://127.0.0.1:8080/h", true), "allowed for tests and on-premises");
        assert_eq!(url_host("http://[::1]:80/x"), Some("::1"));
    }

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        let now = Utc::now();
        let schedule = [5, 300];
        assert_eq!(next_attempt(&schedule, 1, now), Some(now + chrono::Duration::seconds(5)));
        assert_eq!(next_attempt(&schedule, 2, now), Some(now + chrono::Duration::seconds(300)));
        assert_eq!(next_attempt(&schedule, 3, now), None);
    }
}

/// What an alert rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// Negative mentions of the brand.
    NegativeSpike,
    /// All mentions of the brand.
    VolumeSpike,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::NegativeSpike => "negative_spike",
            AlertKind::VolumeSpike => "volume_spike",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [AlertKind::NegativeSpike, AlertKind::VolumeSpike].into_iter().find(|k| k.as_str() == s)
    }
}

pub const WINDOW_MINUTES: std::ops::RangeInclusive<u32> = 5..=1440;
pub const THRESHOLD_MAX: u64 = 1_000_000;
/// The baseline is the mean count per window over this many windows before the current one.
pub const BASELINE_WINDOWS: i32 = 24;
/// A window's count must reach this multiple of the baseline to be a spike.
pub const SPIKE_FACTOR: f64 = 2.0;

#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    pub id: crate::ids::AlertRuleId,
    pub tenant_id: TenantId,
    pub brand_id: crate::ids::BrandId,
    pub kind: AlertKind,
    pub window_minutes: u32,
    /// The least count in a window that can fire.
    pub threshold: u64,
    pub enabled: bool,
    pub last_fired_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AlertRule {
    pub fn window(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.window_minutes))
    }

    /// Whether `count` mentions in the window, against a `baseline` mean per
    /// window, is a spike: at least the threshold, and at least twice the
    /// baseline (a brand that always gets 100 an hour does not alert at 101).
    pub fn is_spike(&self, count: u64, baseline: f64) -> bool {
        count >= self.threshold && count as f64 >= SPIKE_FACTOR * baseline
    }
}

#[derive(Debug, Clone)]
pub struct AlertRuleInput {
    pub brand_id: crate::ids::BrandId,
    pub kind: AlertKind,
    pub window_minutes: u32,
    pub threshold: u64,
    pub enabled: bool,
}

#[derive(Debug, Clone, Default)]
pub struct AlertRulePatch {
    pub brand_id: Option<crate::ids::BrandId>,
    pub kind: Option<AlertKind>,
    pub window_minutes: Option<u32>,
    pub threshold: Option<u64>,
    pub enabled: Option<bool>,
}

impl AlertRulePatch {
    pub fn merged(self, r: &AlertRule) -> AlertRuleInput {
        AlertRuleInput {
            brand_id: self.brand_id.unwrap_or(r.brand_id),
            kind: self.kind.unwrap_or(r.kind),
            window_minutes: self.window_minutes.unwrap_or(r.window_minutes),
            threshold: self.threshold.unwrap_or(r.threshold),
            enabled: self.enabled.unwrap_or(r.enabled),
        }
    }
}

impl AlertRuleInput {
    pub fn validate(self, brand_known: bool) -> DomainResult<AlertRuleInput> {
        let mut v = Violations::new();
        if !brand_known {
            v.add("brand_id", format!("no brand `{}` in this tenant", self.brand_id));
        }
        if !WINDOW_MINUTES.contains(&self.window_minutes) {
            v.add("window_minutes", format!("must be {} to {}", WINDOW_MINUTES.start(), WINDOW_MINUTES.end()));
        }
        if !(1..=THRESHOLD_MAX).contains(&self.threshold) {
            v.add("threshold", format!("must be 1 to {THRESHOLD_MAX}"));
        }
        v.finish(self)
    }
}

/// A rule that fired: what it saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: crate::ids::AlertId,
    pub tenant_id: TenantId,
    pub rule_id: crate::ids::AlertRuleId,
    pub brand_id: crate::ids::BrandId,
    pub kind: AlertKind,
    /// The window `[window_start, window_end)` by `published_at`.
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub count: u64,
    /// The mean count per window over the 24 windows before.
    pub baseline: f64,
    pub threshold: u64,
    pub fired_at: DateTime<Utc>,
}

/// `msg_` and the message's UUID: the `webhook-id` header of a delivery,
/// and the `message_id` the API shows for an alert.
pub fn webhook_id(message: crate::ids::MessageId) -> String {
    format!("msg_{}", message.0.simple())
}
