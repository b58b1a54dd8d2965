//! Posts and mentions: a post is kept once per tenant, matched or not; a
//! mention links a post to one brand it is about.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::error::{FieldErrors, Violations};
use crate::ids::{BrandId, MentionId, PostId, TenantId, UserId};
use crate::model::brand::ISO_639_1;

macro_rules! str_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $s:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)* _ => None }
            }
        }
    };
}
pub(crate) use str_enum;

str_enum!(
    /// Where a post was published. The first six are user-generated, the rest media.
    SourceType {
        Social => "social", Forum => "forum", Review => "review", Blog => "blog", Messenger => "messenger",
        Video => "video", News => "news", Print => "print", Radio => "radio", Tv => "tv",
    }
);

impl SourceType {
    pub fn is_media(self) -> bool {
        matches!(self, SourceType::News | SourceType::Print | SourceType::Radio | SourceType::Tv)
    }
}

str_enum!(SentimentLabel { Positive => "positive", Neutral => "neutral", Negative => "negative" });
str_enum!(
    /// Who set a mention's label: the classifier, the collector, or a person (always wins).
    SentimentOrigin { Auto => "auto", Provided => "provided", Manual => "manual" }
);
str_enum!(MentionStatus { New => "new", InProgress => "in_progress", Answered => "answered", Ignored => "ignored" });
str_enum!(
    /// How a mention came about: the brand's query matched the text, or the
    /// collector named the brand (`brand_id` on the post). Backfill only ever
    /// removes `matched` mentions.
    MentionLink { Matched => "matched", Assigned => "assigned" }
);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sentiment {
    pub label: SentimentLabel,
    /// In [-1, 1]: negative below zero.
    pub score: f64,
    pub origin: SentimentOrigin,
}

impl Sentiment {
    /// A label set by a collector or a person: the score is the label's pole.
    pub fn labelled(label: SentimentLabel, origin: SentimentOrigin) -> Self {
        let score = match label {
            SentimentLabel::Positive => 1.0,
            SentimentLabel::Neutral => 0.0,
            SentimentLabel::Negative => -1.0,
        };
        Self { label, score, origin }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Author {
    pub external_id: Option<String>,
    pub handle: String,
    pub name: Option<String>,
    pub followers: Option<u64>,
}

/// A post as a collector sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct PostInput {
    pub external_id: String,
    pub platform: String,
    pub source_type: SourceType,
    pub url: Option<String>,
    pub title: Option<String>,
    pub text: Option<String>,
    /// The post this one answers (a comment's post), on the same platform.
    pub parent_external_id: Option<String>,
    /// The original this one reposts or forwards, on the same platform.
    pub repost_of_external_id: Option<String>,
    pub language: Option<String>,
    pub published_at: DateTime<Utc>,
    pub author: Author,
    pub likes: Option<u64>,
    pub comments: Option<u64>,
    pub reposts: Option<u64>,
    pub views: Option<u64>,
    pub reach: Option<u64>,
    pub sentiment: Option<SentimentLabel>,
    pub brand_id: Option<BrandId>,
}

impl PostInput {
    /// Counts a platform reports beyond [`COUNT_MAX`] are kept at it: what a
    /// connector reads is stored, never refused for its numbers.
    pub fn clamp_counts(&mut self) {
        for n in [
            &mut self.likes,
            &mut self.comments,
            &mut self.reposts,
            &mut self.views,
            &mut self.reach,
            &mut self.author.followers,
        ]
        .into_iter()
        .flatten()
        {
            *n = (*n).min(COUNT_MAX);
        }
    }
}

/// A stored post.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub id: PostId,
    pub tenant_id: TenantId,
    pub input: PostInput,
    /// What the analyzer said (kept even when a label was provided). `None`
    /// for a post that matched no brand when it came: it is scored when a
    /// backfill first matches it.
    pub auto: Option<Sentiment>,
    pub created_at: DateTime<Utc>,
}

impl Post {
    /// No text: a platform that forbids exporting it.
    pub fn restricted(&self) -> bool {
        self.input.text.is_none()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    pub id: MentionId,
    pub tenant_id: TenantId,
    pub post: Post,
    pub brand_id: BrandId,
    pub seq: i64,
    pub link: MentionLink,
    pub sentiment: Sentiment,
    pub status: MentionStatus,
    pub assignee_id: Option<UserId>,
    pub tags: Vec<String>,
    pub matched_words: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When its first official answer was given (`None`: not answered).
    pub first_response_at: Option<DateTime<Utc>>,
}

impl Mention {
    /// A person has touched it: backfill never removes such a mention.
    pub fn worked_on(&self) -> bool {
        worked_on(self.status, self.sentiment.origin, self.assignee_id.is_some(), !self.tags.is_empty())
    }
}

/// A person has touched a mention when it left `new`, got a manual label, an
/// assignee or tags.
pub fn worked_on(status: MentionStatus, origin: SentimentOrigin, assigned: bool, tagged: bool) -> bool {
    status != MentionStatus::New || origin == SentimentOrigin::Manual || assigned || tagged
}

/// A mention to create, as the ingest pipeline decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMention {
    pub id: MentionId,
    pub brand_id: BrandId,
    pub link: MentionLink,
    pub sentiment: Sentiment,
    pub matched_words: Vec<String>,
}

/// A post to store with the mentions it makes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPost {
    pub post: Post,
    /// The text folded for search ([`crate::text::fold`]), computed once.
    pub folded_text: Option<String>,
    pub mentions: Vec<NewMention>,
}

/// The fewest characters a text search (`q`) may have.
pub const SEARCH_MIN_CHARS: usize = 3;

/// How many mentions (in the listing's order, from its cursor) one page of a
/// text search (`q`) examines at most. A search reads the posts' texts, which
/// no index holds (a trigram or word index on every post cost 22-37 % of
/// ingest, measured): bounding the mentions each page reads bounds what one
/// request costs, whatever the tenant stores, and an export that pages through
/// reads each mention once.
pub const SEARCH_WINDOW: u32 = 10_000;

/// The inbox filters of `GET /v1/mentions` (and the CSV export).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MentionFilter {
    pub brand_id: Option<BrandId>,
    pub platform: Option<String>,
    pub source_type: Option<SourceType>,
    pub sentiment: Option<SentimentLabel>,
    pub status: Option<MentionStatus>,
    /// A handle, compared without `@` and case.
    pub author: Option<String>,
    /// Case-insensitive text search (folded like the matcher folds).
    pub q: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// A client's brands; `None`: all.
    pub only_brands: Option<Vec<BrandId>>,
}

/// The order of a listing, with where the page starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MentionOrder {
    /// Newest first by `published_at`, ties by `seq`; after `(published_at, seq)`.
    Newest { after: Option<(DateTime<Utc>, i64)> },
    /// Storing order: `seq` greater than this.
    SinceSeq(i64),
}

/// One page of a listing, and where the next one starts (`None`: the
/// listing ended). A text search's page can hold fewer than its limit, even
/// none, and still go on: it stopped after [`SEARCH_WINDOW`] mentions.
#[derive(Debug, Clone, Default)]
pub struct MentionPage {
    pub items: Vec<Mention>,
    pub next: Option<MentionOrder>,
}

#[derive(Debug, Clone, Default)]
pub struct MentionPatch {
    pub sentiment: Option<SentimentLabel>,
    pub status: Option<MentionStatus>,
    /// `Some(None)` unassigns.
    pub assignee_id: Option<Option<UserId>>,
    pub tags: Option<Vec<String>>,
}

/// The key a handle is compared by.
pub fn author_key(handle: &str) -> String {
    handle.trim().trim_start_matches('@').to_lowercase()
}

pub const BATCH_MAX: usize = 1000;
pub const TEXT_MAX_CHARS: usize = 100_000;
pub const TAGS_MAX: usize = 20;
pub const TAG_MAX_CHARS: usize = 50;

/// The largest count accepted: 10^12, a thousand times the views of the
/// most watched video. Far below 2^53 (exact in every JSON client) and far
/// enough below 2^63 that millions of such posts in one rollup bucket still
/// add up without overflowing the database's 64-bit sums.
pub const COUNT_MAX: u64 = 1_000_000_000_000;

fn check_len(v: &mut Violations, field: String, value: &str, max: usize, required: bool) {
    if required && value.trim().is_empty() {
        v.add(field, "must not be empty");
    } else if value.chars().count() > max {
        v.add(field, format!("must be at most {max} characters"));
    } else if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        v.add(field, "must not contain control characters");
    }
}

/// Whether a time is one SMRM stores: from 1970 to 9999.
pub fn plausible_time(t: DateTime<Utc>) -> bool {
    use chrono::Datelike;
    (1970..=9999).contains(&t.year())
}

/// A platform slug: `vk`, `telegram`, `x`, `youtube`, `otzovik`, …
pub fn check_platform(v: &mut Violations, field: impl Into<String>, platform: &str) {
    if platform.is_empty()
        || platform.len() > 32
        || !platform.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        v.add(field, "must be a slug of 1–32 characters a–z, 0–9, `_`, `-` (e.g. `vk`, `telegram`)");
    }
}

/// An `http://` or `https://` URL of at most 2048 characters.
pub fn check_http_url(v: &mut Violations, field: impl Into<String>, url: &str) {
    if url.len() > 2048
        || !(url.starts_with("https://") || url.starts_with("http://"))
        || url.chars().any(char::is_whitespace)
    {
        v.add(field, "must be an http(s) URL of at most 2048 characters");
    }
}

/// Validates a batch; every error names its item (`items[17].platform`).
/// `unknown_brands`: the `brand_id`s that are not brands of the tenant.
pub fn check_batch(items: &[PostInput], unknown_brands: &HashSet<BrandId>, now: DateTime<Utc>) -> FieldErrors {
    let mut v = Violations::new();
    if items.is_empty() || items.len() > BATCH_MAX {
        // Too many items: checking each of them would only cost more.
        v.add("items", format!("must contain 1 to {BATCH_MAX} posts"));
        return v.into_errors();
    }
    for (i, p) in items.iter().enumerate() {
        if v.is_full() {
            break;
        }
        let at = |f: &str| format!("items[{i}].{f}");
        check_len(&mut v, at("external_id"), &p.external_id, 200, true);
        for (field, id) in
            [("parent_external_id", &p.parent_external_id), ("repost_of_external_id", &p.repost_of_external_id)]
        {
            if let Some(id) = id {
                check_len(&mut v, at(field), id, 200, true);
            }
        }
        check_platform(&mut v, at("platform"), &p.platform);
        if let Some(url) = &p.url {
            check_http_url(&mut v, at("url"), url);
        }
        if let Some(title) = &p.title {
            check_len(&mut v, at("title"), title, 1000, false);
        }
        match (&p.text, p.brand_id) {
            (None, None) => v.add(at("text"), "is required unless `brand_id` is given (a restricted post)"),
            (Some(t), _) => check_len(&mut v, at("text"), t, TEXT_MAX_CHARS, false),
            (None, Some(_)) => {}
        }
        if let Some(lang) = &p.language
            && !ISO_639_1.contains(&lang.as_str())
        {
            v.add(at("language"), format!("`{lang}` is not an ISO 639-1 code such as `ru` or `en`"));
        }
        if p.published_at > now + chrono::Duration::days(1) {
            v.add(at("published_at"), "is more than a day in the future");
        } else if !plausible_time(p.published_at) {
            v.add(at("published_at"), "must be after 1970-01-01");
        }
        for (name, value) in [
            ("likes", p.likes),
            ("comments", p.comments),
            ("reposts", p.reposts),
            ("views", p.views),
            ("reach", p.reach),
            ("author.followers", p.author.followers),
        ] {
            if value.is_some_and(|n| n > COUNT_MAX) {
                v.add(at(name), format!("must be at most {COUNT_MAX}"));
            }
        }
        if let Some(id) = &p.author.external_id {
            check_len(&mut v, at("author.external_id"), id, 200, false);
        }
        check_len(&mut v, at("author.handle"), &p.author.handle, 200, true);
        if let Some(name) = &p.author.name {
            check_len(&mut v, at("author.name"), name, 200, false);
        }
        if let Some(b) = p.brand_id
            && unknown_brands.contains(&b)
        {
            v.add(at("brand_id"), format!("no brand `{b}` in this tenant"));
        }
    }
    v.into_errors()
}

/// Tags: at most 20, each 1–50 characters, trimmed, without duplicates.
pub fn check_tags(v: &mut Violations, tags: &[String]) -> Vec<String> {
    if tags.len() > TAGS_MAX {
        v.add("tags", format!("must contain at most {TAGS_MAX} tags"));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, t) in tags.iter().enumerate() {
        let t = crate::text::tidy(t);
        if t.is_empty() || t.chars().count() > TAG_MAX_CHARS || t.chars().any(char::is_control) {
            v.add(format!("tags[{i}]"), format!("must be 1–{TAG_MAX_CHARS} characters, no control characters"));
        } else if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}
