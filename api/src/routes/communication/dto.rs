//! Bodies of the communication endpoints: answer templates, official
//! answers, placements.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smrm_domain::ids::{BrandId, MentionId, SourceId, TemplateId};
use smrm_domain::model::communication::{
    Author, OfficialResponse, Placement, PlacementFilter, PlacementInput, PlacementKind, PlacementPatch, ResponseInput,
    ResponseTemplate, TemplateInput, TemplatePatch,
};
use smrm_domain::services::communication::SuggestedReply;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::routes::common::*;
use crate::routes::mentions::dto::LabelDto;

list_type! {
    /// A page of answer templates.
    TemplateList => TemplateDto;
    /// A page of a mention's official answers, oldest first.
    ResponseList => ResponseDto;
    /// A page of placements, oldest first.
    PlacementList => PlacementDto;
}

/// Who logged it: a user or an API key.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Actor, example = json!({"kind": "user", "id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d01"}))]
pub struct ActorDto {
    /// `user` or `api_key`.
    pub kind: &'static str,
    pub id: Uuid,
}

impl From<Author> for ActorDto {
    fn from(a: Author) -> Self {
        match a {
            Author::User(id) => Self { kind: "user", id: id.0 },
            Author::ApiKey(id) => Self { kind: "api_key", id: id.0 },
        }
    }
}

/// An official-answer template.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ResponseTemplate, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d60", "name": "Извинение, VK", "sentiment": "negative", "platform": "vk", "language": "ru", "body": "{author}, простите за неудобства! Команда {brand} уже разбирается: {url}", "created_at": "2026-11-26T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z"}))]
pub struct TemplateDto {
    pub id: Uuid,
    pub name: String,
    /// The mentions it answers.
    pub sentiment: LabelDto,
    /// Only for mentions on this platform; `null`: any platform.
    pub platform: Option<String>,
    /// Only for mentions in this language (ISO 639-1); `null`: any.
    pub language: Option<String>,
    /// The text, with the placeholders `{author}`, `{brand}`, `{url}`; `{{` and `}}` are literal braces.
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ResponseTemplate> for TemplateDto {
    fn from(t: ResponseTemplate) -> Self {
        Self {
            id: t.id.0,
            name: t.name,
            sentiment: t.sentiment.into(),
            platform: t.platform,
            language: t.language,
            body: t.body,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewResponseTemplate, example = json!({"name": "Извинение, VK", "sentiment": "negative", "platform": "vk", "language": "ru", "body": "{author}, простите за неудобства! Команда {brand} уже разбирается."}))]
pub struct NewTemplateDto {
    /// 1–200 characters, unique in the tenant.
    pub name: String,
    pub sentiment: LabelDto,
    /// A platform slug (`vk`, `telegram`, …); absent or `null`: any platform.
    #[serde(default)]
    pub platform: Option<String>,
    /// ISO 639-1; absent or `null`: any language.
    #[serde(default)]
    pub language: Option<String>,
    /// Up to 5,000 characters. Placeholders: `{author}`, `{brand}`, `{url}`;
    /// any other is refused (422).
    pub body: String,
}

impl From<NewTemplateDto> for TemplateInput {
    fn from(d: NewTemplateDto) -> Self {
        Self { name: d.name, sentiment: d.sentiment.into(), platform: d.platform, language: d.language, body: d.body }
    }
}

/// Changes to a template; absent fields stay, `null` clears `platform` or `language`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResponseTemplatePatch, example = json!({"platform": null, "body": "{author}, спасибо, что написали!"}))]
pub struct TemplatePatchDto {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub sentiment: Option<LabelDto>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(nullable)]
    pub platform: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(nullable)]
    pub language: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub body: Option<String>,
}

impl From<TemplatePatchDto> for TemplatePatch {
    fn from(d: TemplatePatchDto) -> Self {
        Self {
            name: d.name,
            sentiment: d.sentiment.map(Into::into),
            platform: d.platform,
            language: d.language,
            body: d.body,
        }
    }
}

/// A template that fits the mention, rendered for it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SuggestedReply, example = json!({"template_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d60", "name": "Извинение, VK", "platform": "vk", "language": "ru", "text": "Иван, простите за неудобства! Команда Дейнет уже разбирается."}))]
pub struct SuggestedReplyDto {
    pub template_id: Uuid,
    pub name: String,
    pub platform: Option<String>,
    pub language: Option<String>,
    /// The body with `{author}`, `{brand}` and `{url}` filled in.
    pub text: String,
}

/// The templates that fit a mention, most specific first (platform and
/// language both matching, then platform, then language, then neither).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SuggestedReplies)]
pub struct SuggestedRepliesDto {
    pub data: Vec<SuggestedReplyDto>,
}

impl From<Vec<SuggestedReply>> for SuggestedRepliesDto {
    fn from(v: Vec<SuggestedReply>) -> Self {
        Self {
            data: v
                .into_iter()
                .map(|s| SuggestedReplyDto {
                    template_id: s.template.id.0,
                    name: s.template.name,
                    platform: s.template.platform,
                    language: s.template.language,
                    text: s.text,
                })
                .collect(),
        }
    }
}

/// An official answer given to a mention.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OfficialResponse, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d70", "mention_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d50", "brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "body": "Иван, простите за неудобства!", "template_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d60", "author": {"kind": "user", "id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d01"}, "responded_at": "2026-11-26T10:30:00Z", "created_at": "2026-11-26T10:31:00Z"}))]
pub struct ResponseDto {
    pub id: Uuid,
    pub mention_id: Uuid,
    pub brand_id: Uuid,
    pub body: String,
    pub template_id: Option<Uuid>,
    pub author: ActorDto,
    /// When the answer was given (the response report's clock).
    pub responded_at: DateTime<Utc>,
    /// When it was logged.
    pub created_at: DateTime<Utc>,
}

impl From<OfficialResponse> for ResponseDto {
    fn from(r: OfficialResponse) -> Self {
        Self {
            id: r.id.0,
            mention_id: r.mention_id.0,
            brand_id: r.brand_id.0,
            body: r.body,
            template_id: r.template_id.map(|t| t.0),
            author: r.author.into(),
            responded_at: r.responded_at,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewOfficialResponse, example = json!({"body": "Иван, простите за неудобства!", "template_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d60"}))]
pub struct NewResponseDto {
    /// The answer as given, up to 10,000 characters.
    pub body: String,
    /// The template it was written from, if any.
    #[serde(default)]
    pub template_id: Option<Uuid>,
    /// When it was given, if not now (an answer logged afterwards); not
    /// before the mention was published, not in the future.
    #[serde(default)]
    pub responded_at: Option<DateTime<Utc>>,
}

impl From<NewResponseDto> for ResponseInput {
    fn from(d: NewResponseDto) -> Self {
        Self { body: d.body, template_id: d.template_id.map(TemplateId), responded_at: d.responded_at }
    }
}

dto_enum!(
    /// What the representative did: answered officially, posted on a forum, answered a review, posted in a group.
    PlacementKindDto as PlacementKind <=> PlacementKind { OfficialReply, ForumPost, ReviewReply, GroupPost }
);

/// Outreach by the brand's official representatives.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Placement, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d80", "brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "platform": "otzovik", "url": "https://otzovik.com/review_123.html#reply", "kind": "review_reply", "mention_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d50", "source_id": null, "posted_at": "2026-11-26T11:00:00Z", "note": "Официальный ответ службы поддержки", "author": {"kind": "user", "id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d01"}, "created_at": "2026-11-26T11:05:00Z", "updated_at": "2026-11-26T11:05:00Z"}))]
pub struct PlacementDto {
    pub id: Uuid,
    pub brand_id: Uuid,
    pub platform: String,
    pub url: String,
    pub kind: PlacementKindDto,
    /// The mention it answers, if any.
    pub mention_id: Option<Uuid>,
    /// The feed source it was placed in, if any.
    pub source_id: Option<Uuid>,
    pub posted_at: DateTime<Utc>,
    pub note: Option<String>,
    pub author: ActorDto,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Placement> for PlacementDto {
    fn from(p: Placement) -> Self {
        Self {
            id: p.id.0,
            brand_id: p.brand_id.0,
            platform: p.platform,
            url: p.url,
            kind: p.kind.into(),
            mention_id: p.mention_id.map(|m| m.0),
            source_id: p.source_id.map(|s| s.0),
            posted_at: p.posted_at,
            note: p.note,
            author: p.author.into(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewPlacement, example = json!({"brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "platform": "otzovik", "url": "https://otzovik.com/review_123.html#reply", "kind": "review_reply", "mention_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d50", "posted_at": "2026-11-26T11:00:00Z", "note": "Официальный ответ службы поддержки"}))]
pub struct NewPlacementDto {
    pub brand_id: Uuid,
    /// A platform slug.
    pub platform: String,
    /// Where it was placed: an http(s) URL.
    pub url: String,
    pub kind: PlacementKindDto,
    /// A mention of the same brand that it answers.
    #[serde(default)]
    pub mention_id: Option<Uuid>,
    /// A feed source of the tenant it was placed in.
    #[serde(default)]
    pub source_id: Option<Uuid>,
    /// Not in the future.
    pub posted_at: DateTime<Utc>,
    /// Up to 2,000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

impl From<NewPlacementDto> for PlacementInput {
    fn from(d: NewPlacementDto) -> Self {
        Self {
            brand_id: BrandId(d.brand_id),
            platform: d.platform,
            url: d.url,
            kind: d.kind.into(),
            mention_id: d.mention_id.map(MentionId),
            source_id: d.source_id.map(SourceId),
            posted_at: d.posted_at,
            note: d.note,
        }
    }
}

/// Changes to a placement; absent fields stay, `null` clears an optional one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlacementPatch, example = json!({"note": null, "url": "https://otzovik.com/review_123.html#reply-2"}))]
pub struct PlacementPatchDto {
    #[serde(default, deserialize_with = "present")]
    pub brand_id: Option<Uuid>,
    #[serde(default, deserialize_with = "present")]
    pub platform: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub kind: Option<PlacementKindDto>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(nullable)]
    pub mention_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(nullable)]
    pub source_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    pub posted_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(nullable)]
    pub note: Option<Option<String>>,
}

impl From<PlacementPatchDto> for PlacementPatch {
    fn from(d: PlacementPatchDto) -> Self {
        Self {
            brand_id: d.brand_id.map(BrandId),
            platform: d.platform,
            url: d.url,
            kind: d.kind.map(Into::into),
            mention_id: d.mention_id.map(|m| m.map(MentionId)),
            source_id: d.source_id.map(|s| s.map(SourceId)),
            posted_at: d.posted_at,
            note: d.note,
        }
    }
}

/// Filters of the placement list, besides `limit` and `cursor`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlacementQuery {
    pub brand_id: Option<Uuid>,
    pub kind: Option<PlacementKindDto>,
    pub platform: Option<String>,
    pub mention_id: Option<Uuid>,
    /// `posted_at` at or after.
    pub from: Option<DateTime<Utc>>,
    /// `posted_at` before.
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl PlacementQuery {
    pub fn filter(&self) -> PlacementFilter {
        PlacementFilter {
            brand_id: self.brand_id.map(BrandId),
            only_brands: None,
            kind: self.kind.map(Into::into),
            platform: self.platform.clone(),
            mention_id: self.mention_id.map(MentionId),
            from: self.from,
            to: self.to,
        }
    }
}
