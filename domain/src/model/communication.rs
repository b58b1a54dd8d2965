//! Communication: official-answer templates, the answers given, and the
//! outreach placements of the brand's official representatives.
//!
//! SMRM records and measures this work; it never writes or posts content.

use chrono::{DateTime, Utc};

use crate::error::{DomainResult, Violations};
use crate::ids::{BrandId, MentionId, PlacementId, ResponseId, SourceId, TemplateId, TenantId, UserId};
use crate::model::brand::ISO_639_1;
use crate::model::mention::{Mention, SentimentLabel, check_http_url, check_platform, plausible_time};
use crate::model::tenant::check_name;

pub const TEMPLATE_BODY_MAX_CHARS: usize = 5_000;
pub const RESPONSE_BODY_MAX_CHARS: usize = 10_000;
pub const NOTE_MAX_CHARS: usize = 2_000;

/// The placeholders a template body may use.
pub const PLACEHOLDERS: [&str; 3] = ["author", "brand", "url"];

#[derive(Debug, Clone, PartialEq)]
pub struct ResponseTemplate {
    pub id: TemplateId,
    pub tenant_id: TenantId,
    pub name: String,
    /// The mentions it answers.
    pub sentiment: SentimentLabel,
    /// Only for this platform; `None`: any.
    pub platform: Option<String>,
    /// Only for this language; `None`: any.
    pub language: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct TemplateInput {
    pub name: String,
    pub sentiment: SentimentLabel,
    pub platform: Option<String>,
    pub language: Option<String>,
    pub body: String,
}

/// Absent fields stay; `Some(None)` clears `platform` or `language`.
#[derive(Debug, Clone, Default)]
pub struct TemplatePatch {
    pub name: Option<String>,
    pub sentiment: Option<SentimentLabel>,
    pub platform: Option<Option<String>>,
    pub language: Option<Option<String>>,
    pub body: Option<String>,
}

impl TemplatePatch {
    pub fn merged(self, t: &ResponseTemplate) -> TemplateInput {
        TemplateInput {
            name: self.name.unwrap_or_else(|| t.name.clone()),
            sentiment: self.sentiment.unwrap_or(t.sentiment),
            platform: self.platform.unwrap_or_else(|| t.platform.clone()),
            language: self.language.unwrap_or_else(|| t.language.clone()),
            body: self.body.unwrap_or_else(|| t.body.clone()),
        }
    }
}

/// One piece of a template body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    /// `{{` or `}}`: a literal brace.
    Brace(char),
    Placeholder(&'a str),
}

/// Splits a body into text and placeholders. `{{` and `}}` are literal
/// braces; any other brace must open or close a placeholder.
fn pieces(body: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find(['{', '}']) {
        if at > 0 {
            out.push(Piece::Text(&rest[..at]));
        }
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push(Piece::Brace(tail.as_bytes()[0] as char));
            rest = &tail[2..];
        } else if let Some(inner) = tail.strip_prefix('{') {
            let end = inner.find(['}', '{']).filter(|&e| inner.as_bytes()[e] == b'}');
            let Some(end) = end else {
                return Err("has a `{` that opens no placeholder (write `{{` for a literal brace)".into());
            };
            out.push(Piece::Placeholder(&inner[..end]));
            rest = &inner[end + 1..];
        } else {
            return Err("has a `}` that closes no placeholder (write `}}` for a literal brace)".into());
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Checks a template body: length, and only the known placeholders.
fn check_body(v: &mut Violations, body: &str) {
    let chars = body.chars().count();
    if body.trim().is_empty() {
        v.add("body", "must not be empty");
    } else if chars > TEMPLATE_BODY_MAX_CHARS {
        v.add("body", format!("must be at most {TEMPLATE_BODY_MAX_CHARS} characters"));
    }
    match pieces(body) {
        Err(e) => v.add("body", e),
        Ok(pieces) => {
            for p in pieces {
                if let Piece::Placeholder(name) = p
                    && !PLACEHOLDERS.contains(&name)
                {
                    v.add(
                        "body",
                        format!("unknown placeholder `{{{name}}}`: use `{{author}}`, `{{brand}}` or `{{url}}`"),
                    );
                }
            }
        }
    }
}

fn check_language(v: &mut Violations, field: &str, lang: &str) {
    if !ISO_639_1.contains(&lang) {
        v.add(field, format!("`{lang}` is not an ISO 639-1 code such as `ru` or `en`"));
    }
}

impl TemplateInput {
    pub fn validate(self) -> DomainResult<TemplateInput> {
        let mut v = Violations::new();
        let name = check_name(&mut v, "name", &self.name);
        if let Some(p) = &self.platform {
            check_platform(&mut v, "platform", p);
        }
        if let Some(l) = &self.language {
            check_language(&mut v, "language", l);
        }
        check_body(&mut v, &self.body);
        v.finish(TemplateInput { name, ..self })
    }
}

/// What a template's placeholders stand for, for one mention.
pub struct Placeholders<'a> {
    /// The author's name, or their handle when the name is unknown.
    pub author: &'a str,
    pub brand: &'a str,
    /// The post's address (empty when unknown).
    pub url: &'a str,
}

impl ResponseTemplate {
    /// Whether it fits a mention: same sentiment, and its platform and
    /// language (when set) are the mention's.
    pub fn fits(&self, m: &Mention) -> bool {
        self.sentiment == m.sentiment.label
            && self.platform.as_ref().is_none_or(|p| *p == m.post.input.platform)
            && self.language.as_ref().is_none_or(|l| Some(l) == m.post.input.language.as_ref())
    }

    /// How specific it is: platform and language both set first.
    pub fn specificity(&self) -> u8 {
        u8::from(self.platform.is_some()) * 2 + u8::from(self.language.is_some())
    }

    /// The body with its placeholders filled in.
    pub fn render(&self, values: &Placeholders<'_>) -> String {
        // Bodies are checked when saved, so they always split.
        let Ok(pieces) = pieces(&self.body) else { return self.body.clone() };
        let mut out = String::with_capacity(self.body.len() + 64);
        for p in pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Brace(c) => out.push(c),
                Piece::Placeholder("author") => out.push_str(values.author),
                Piece::Placeholder("brand") => out.push_str(values.brand),
                Piece::Placeholder("url") => out.push_str(values.url),
                Piece::Placeholder(other) => {
                    out.push('{');
                    out.push_str(other);
                    out.push('}');
                }
            }
        }
        out
    }
}

/// Who logged an answer or a placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    User(UserId),
    ApiKey(crate::ids::ApiKeyId),
}

/// An official answer given to a mention, as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficialResponse {
    pub id: ResponseId,
    pub tenant_id: TenantId,
    pub mention_id: MentionId,
    pub brand_id: BrandId,
    pub body: String,
    pub template_id: Option<TemplateId>,
    pub author: Author,
    /// When it was given (the time it was logged, unless told otherwise).
    pub responded_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ResponseInput {
    pub body: String,
    pub template_id: Option<TemplateId>,
    pub responded_at: Option<DateTime<Utc>>,
}

impl ResponseInput {
    /// `published_at`: the mention's; an answer cannot come before it.
    pub fn validate(self, published_at: DateTime<Utc>, now: DateTime<Utc>) -> DomainResult<ResponseInput> {
        let mut v = Violations::new();
        if self.body.trim().is_empty() {
            v.add("body", "must not be empty");
        } else if self.body.chars().count() > RESPONSE_BODY_MAX_CHARS {
            v.add("body", format!("must be at most {RESPONSE_BODY_MAX_CHARS} characters"));
        }
        if let Some(at) = self.responded_at {
            if at > now + chrono::Duration::minutes(5) {
                v.add("responded_at", "is in the future");
            } else if at < published_at {
                v.add("responded_at", "is before the mention was published");
            }
        }
        v.finish(self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacementKind {
    OfficialReply,
    ForumPost,
    ReviewReply,
    GroupPost,
}

impl PlacementKind {
    pub const ALL: [PlacementKind; 4] =
        [PlacementKind::OfficialReply, PlacementKind::ForumPost, PlacementKind::ReviewReply, PlacementKind::GroupPost];

    pub fn as_str(self) -> &'static str {
        match self {
            PlacementKind::OfficialReply => "official_reply",
            PlacementKind::ForumPost => "forum_post",
            PlacementKind::ReviewReply => "review_reply",
            PlacementKind::GroupPost => "group_post",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Outreach by the brand's official representatives, linked to the mention
/// or the source it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub id: PlacementId,
    pub tenant_id: TenantId,
    pub brand_id: BrandId,
    pub platform: String,
    pub url: String,
    pub kind: PlacementKind,
    pub mention_id: Option<MentionId>,
    pub source_id: Option<SourceId>,
    pub posted_at: DateTime<Utc>,
    pub note: Option<String>,
    pub author: Author,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Placement {
    /// A placement as `input` says, created (or last changed) `now`.
    pub fn from_input(
        id: PlacementId,
        tenant_id: TenantId,
        author: Author,
        input: PlacementInput,
        now: DateTime<Utc>,
    ) -> Self {
        Placement {
            id,
            tenant_id,
            brand_id: input.brand_id,
            platform: input.platform,
            url: input.url,
            kind: input.kind,
            mention_id: input.mention_id,
            source_id: input.source_id,
            posted_at: input.posted_at,
            note: input.note,
            author,
            created_at: now,
            updated_at: now,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlacementInput {
    pub brand_id: BrandId,
    pub platform: String,
    pub url: String,
    pub kind: PlacementKind,
    pub mention_id: Option<MentionId>,
    pub source_id: Option<SourceId>,
    pub posted_at: DateTime<Utc>,
    pub note: Option<String>,
}

/// Absent fields stay; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct PlacementPatch {
    pub brand_id: Option<BrandId>,
    pub platform: Option<String>,
    pub url: Option<String>,
    pub kind: Option<PlacementKind>,
    pub mention_id: Option<Option<MentionId>>,
    pub source_id: Option<Option<SourceId>>,
    pub posted_at: Option<DateTime<Utc>>,
    pub note: Option<Option<String>>,
}

impl PlacementPatch {
    pub fn merged(self, p: &Placement) -> PlacementInput {
        PlacementInput {
            brand_id: self.brand_id.unwrap_or(p.brand_id),
            platform: self.platform.unwrap_or_else(|| p.platform.clone()),
            url: self.url.unwrap_or_else(|| p.url.clone()),
            kind: self.kind.unwrap_or(p.kind),
            mention_id: self.mention_id.unwrap_or(p.mention_id),
            source_id: self.source_id.unwrap_or(p.source_id),
            posted_at: self.posted_at.unwrap_or(p.posted_at),
            note: self.note.unwrap_or_else(|| p.note.clone()),
        }
    }
}

/// What the service found out about a placement's references.
pub struct PlacementRefs {
    pub brand_known: bool,
    /// The linked mention's brand, when it exists.
    pub mention_brand: Option<Option<BrandId>>,
    pub source_known: bool,
}

impl PlacementInput {
    pub fn validate(self, refs: &PlacementRefs, now: DateTime<Utc>) -> DomainResult<PlacementInput> {
        let mut v = Violations::new();
        if !refs.brand_known {
            v.add("brand_id", format!("no brand `{}` in this tenant", self.brand_id));
        }
        check_platform(&mut v, "platform", &self.platform);
        check_http_url(&mut v, "url", &self.url);
        match (self.mention_id, refs.mention_brand) {
            (Some(id), Some(None)) => v.add("mention_id", format!("no mention `{id}` in this tenant")),
            (Some(_), Some(Some(b))) if b != self.brand_id => {
                v.add("mention_id", "is a mention of another brand than `brand_id`")
            }
            _ => {}
        }
        if let Some(id) = self.source_id
            && !refs.source_known
        {
            v.add("source_id", format!("no source `{id}` in this tenant"));
        }
        if self.posted_at > now + chrono::Duration::minutes(5) {
            v.add("posted_at", "is in the future");
        } else if !plausible_time(self.posted_at) {
            v.add("posted_at", "must be after 1970-01-01");
        }
        let note = self.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > NOTE_MAX_CHARS) {
            v.add("note", format!("must be at most {NOTE_MAX_CHARS} characters"));
        }
        v.finish(PlacementInput { note, ..self })
    }
}

/// Filters of the placement list.
#[derive(Debug, Clone, Default)]
pub struct PlacementFilter {
    pub brand_id: Option<BrandId>,
    /// A client's brands.
    pub only_brands: Option<Vec<BrandId>>,
    pub kind: Option<PlacementKind>,
    pub platform: Option<String>,
    pub mention_id: Option<MentionId>,
    /// `posted_at` in `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(body: &str) -> ResponseTemplate {
        ResponseTemplate {
            id: TemplateId::new(),
            tenant_id: TenantId::new(),
            name: "t".into(),
            sentiment: SentimentLabel::Negative,
            platform: None,
            language: None,
            body: body.into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn input(body: &str) -> TemplateInput {
        TemplateInput {
            name: "Apology".into(),
            sentiment: SentimentLabel::Negative,
            platform: None,
            language: None,
            body: body.into(),
        }
    }

    #[test]
    fn renders_placeholders_and_literal_braces() {
        let values = Placeholders { author: "Иван", brand: "Дейнет", url: "https://vk.com/1" };
        let t = template("{author}, {brand} {{ответит}} тут: {url}");
        assert_eq!(t.render(&values), "Иван, Дейнет {ответит} тут: https://vk.com/1");
    }

    #[test]
    fn unknown_and_unbalanced_placeholders_are_rejected() {
        for bad in ["Hi {name}", "Hi {author", "Hi author}", "{a{uthor}", "   "] {
            assert!(input(bad).validate().is_err(), "{bad:?} must be rejected");
        }
        assert!(input("Hi {author}, {{literally}} {brand}").validate().is_ok());
    }
}
