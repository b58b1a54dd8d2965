//! Bodies of the mention endpoints: posts in, mentions out.

use crate::routes::common::*;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smrm_domain::ids::{BrandId, UserId};
use smrm_domain::model::mention::{
    Author, Mention, MentionPatch, MentionStatus, PostInput, SentimentLabel, SentimentOrigin, SourceType,
};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

dto_enum!(
    /// `social`, `forum`, `review`, `blog`, `messenger`, `video` are user-generated; `news`, `print`, `radio`, `tv` are media.
    SourceTypeDto as SourceType <=> SourceType { Social, Forum, Review, Blog, Messenger, Video, News, Print, Radio, Tv }
);
dto_enum!(
    /// A sentiment label.
    LabelDto as SentimentLabel <=> SentimentLabel { Positive, Neutral, Negative }
);
dto_enum!(
    /// Who set the label: `auto` (the classifier), `provided` (the collector), `manual` (a person; always wins).
    OriginDto as SentimentOrigin <=> SentimentOrigin { Auto, Provided, Manual }
);
dto_enum!(
    /// Where a mention is in the team's work.
    StatusDto as MentionStatus <=> MentionStatus { New, InProgress, Answered, Ignored }
);

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PostAuthor)]
pub struct AuthorDto {
    pub external_id: Option<String>,
    /// The author's handle on the platform, e.g. `@ivan_petrov`.
    pub handle: String,
    pub name: Option<String>,
    pub followers: Option<u64>,
}

/// A post found by a collector.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Post, example = json!({
    "external_id": "wall-1_4512", "platform": "vk", "source_type": "social",
    "url": "https://vk.com/wall-1_4512", "text": "Доволен Дейнетом, интернет летает!", "language": "ru",
    "published_at": "2026-11-25T18:30:00Z",
    "author": {"handle": "@ivan_petrov", "name": "Иван Петров", "followers": 1200},
    "likes": 14, "comments": 3, "reposts": 1, "views": 900
}))]
pub struct PostDto {
    /// The post's id on its platform; with `platform`, unique per tenant.
    pub external_id: String,
    /// A slug such as `vk`, `telegram`, `x`, `youtube`, `otzovik`.
    pub platform: String,
    pub source_type: SourceTypeDto,
    pub url: Option<String>,
    pub title: Option<String>,
    /// May be absent only with `brand_id` (platforms that forbid exporting text): a restricted post.
    pub text: Option<String>,
    /// The `external_id` of the post this one answers (a comment's post), on the same platform.
    pub parent_external_id: Option<String>,
    /// The `external_id` of the original this one reposts or forwards, on the same platform.
    pub repost_of_external_id: Option<String>,
    /// ISO 639-1; detected from the text when absent.
    pub language: Option<String>,
    pub published_at: DateTime<Utc>,
    pub author: AuthorDto,
    pub likes: Option<u64>,
    pub comments: Option<u64>,
    pub reposts: Option<u64>,
    pub views: Option<u64>,
    pub reach: Option<u64>,
    /// A label from the collector (`origin: provided`); otherwise the built-in classifier scores it.
    pub sentiment: Option<LabelDto>,
    /// The brand this post is about, decided by the collector: no matching then.
    pub brand_id: Option<Uuid>,
}

impl From<PostDto> for PostInput {
    fn from(d: PostDto) -> Self {
        PostInput {
            external_id: d.external_id,
            platform: d.platform,
            source_type: d.source_type.into(),
            url: d.url,
            title: d.title,
            text: d.text,
            parent_external_id: d.parent_external_id,
            repost_of_external_id: d.repost_of_external_id,
            language: d.language,
            published_at: d.published_at,
            author: Author {
                external_id: d.author.external_id,
                handle: d.author.handle,
                name: d.author.name,
                followers: d.author.followers,
            },
            likes: d.likes,
            comments: d.comments,
            reposts: d.reposts,
            views: d.views,
            reach: d.reach,
            sentiment: d.sentiment.map(Into::into),
            brand_id: d.brand_id.map(BrandId),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// 1–1,000 posts. Any invalid post rejects the whole batch.
    pub items: Vec<PostDto>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"received": 3, "created": 2, "duplicates": 1, "updated": 1, "unmatched": 0, "mention_ids": ["0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d50", "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d51"]}))]
pub struct BatchResponse {
    /// Posts in the request.
    pub received: usize,
    /// New mentions.
    pub created: usize,
    /// Posts already stored (same `platform` and `external_id`), including repeats within the batch.
    pub duplicates: usize,
    /// Of the duplicates, the stored posts whose `likes`, `comments`,
    /// `reposts`, `views` or `reach` this batch changed: their counts, and
    /// every report, now show the new ones (a count a post does not carry
    /// stays as stored). Never a second mention.
    pub updated: usize,
    /// New posts that matched no brand (kept for later backfills).
    pub unmatched: usize,
    /// The mentions this request created, in storing order.
    pub mention_ids: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MentionSentiment)]
pub struct SentimentDto {
    pub label: LabelDto,
    /// In [-1, 1].
    pub score: f64,
    pub origin: OriginDto,
}

/// A post about one brand.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Mention, example = json!({
    "id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d50", "brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "seq": 1042,
    "external_id": "wall-1_4512", "platform": "vk", "source_type": "social", "url": "https://vk.com/wall-1_4512",
    "title": null, "text": "Доволен Дейнетом, интернет летает!", "language": "ru", "published_at": "2026-11-25T18:30:00Z",
    "author": {"external_id": null, "handle": "@ivan_petrov", "name": "Иван Петров", "followers": 1200},
    "likes": 14, "comments": 3, "reposts": 1, "views": 900, "reach": null,
    "sentiment": {"label": "positive", "score": 0.5, "origin": "auto"}, "status": "new", "assignee_id": null,
    "tags": [], "restricted": false, "matched_words": ["дейнетом"],
    "created_at": "2026-11-25T18:31:02Z", "updated_at": "2026-11-25T18:31:02Z", "first_response_at": null
}))]
pub struct MentionDto {
    pub id: Uuid,
    pub brand_id: Uuid,
    /// Per-tenant storing order: starts at 1 and only grows.
    pub seq: i64,
    pub external_id: String,
    pub platform: String,
    pub source_type: SourceTypeDto,
    pub url: Option<String>,
    pub title: Option<String>,
    /// `null` for a restricted post.
    pub text: Option<String>,
    /// The `external_id` of the post this one answers (a comment's post), on the same platform.
    pub parent_external_id: Option<String>,
    /// The `external_id` of the original this one reposts or forwards, on the same platform.
    pub repost_of_external_id: Option<String>,
    pub language: Option<String>,
    pub published_at: DateTime<Utc>,
    pub author: AuthorDto,
    pub likes: Option<u64>,
    pub comments: Option<u64>,
    pub reposts: Option<u64>,
    pub views: Option<u64>,
    pub reach: Option<u64>,
    pub sentiment: SentimentDto,
    pub status: StatusDto,
    pub assignee_id: Option<Uuid>,
    pub tags: Vec<String>,
    /// The platform forbids exporting the text.
    pub restricted: bool,
    /// The words of the text that matched the brand's query (empty when the collector named the brand).
    pub matched_words: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When its first official answer was given; `null` until one is logged.
    pub first_response_at: Option<DateTime<Utc>>,
}

impl From<Mention> for MentionDto {
    fn from(m: Mention) -> Self {
        let restricted = m.post.restricted();
        let p = m.post.input;
        Self {
            id: m.id.0,
            brand_id: m.brand_id.0,
            seq: m.seq,
            external_id: p.external_id,
            platform: p.platform,
            source_type: p.source_type.into(),
            url: p.url,
            title: p.title,
            text: p.text,
            parent_external_id: p.parent_external_id,
            repost_of_external_id: p.repost_of_external_id,
            language: p.language,
            published_at: p.published_at,
            author: AuthorDto {
                external_id: p.author.external_id,
                handle: p.author.handle,
                name: p.author.name,
                followers: p.author.followers,
            },
            likes: p.likes,
            comments: p.comments,
            reposts: p.reposts,
            views: p.views,
            reach: p.reach,
            sentiment: SentimentDto {
                label: m.sentiment.label.into(),
                score: m.sentiment.score,
                origin: m.sentiment.origin.into(),
            },
            status: m.status.into(),
            assignee_id: m.assignee_id.map(|u| u.0),
            tags: m.tags,
            restricted,
            matched_words: m.matched_words,
            created_at: m.created_at,
            updated_at: m.updated_at,
            first_response_at: m.first_response_at,
        }
    }
}

/// A page of mentions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": [], "next_cursor": null}))]
pub struct MentionList {
    pub data: Vec<MentionDto>,
    /// Pass as `cursor` for the next page; `null` on the last page. With `q`,
    /// a page may be short (or empty) and still have one.
    pub next_cursor: Option<String>,
}

/// A person's changes; absent fields stay. A `sentiment` set here is
/// `manual`: it always wins, also over later re-ingests.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MentionPatch, example = json!({"sentiment": "negative", "status": "in_progress", "assignee_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d12", "tags": ["billing"]}))]
pub struct MentionPatchDto {
    #[serde(default, deserialize_with = "present")]
    pub sentiment: Option<LabelDto>,
    #[serde(default, deserialize_with = "present")]
    pub status: Option<StatusDto>,
    /// A user of the tenant, or `null` to unassign.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(nullable)]
    pub assignee_id: Option<Option<Uuid>>,
    /// Up to 20 tags of 1–50 characters; replaces the list.
    #[serde(default, deserialize_with = "present")]
    pub tags: Option<Vec<String>>,
}

impl From<MentionPatchDto> for MentionPatch {
    fn from(d: MentionPatchDto) -> Self {
        MentionPatch {
            sentiment: d.sentiment.map(Into::into),
            status: d.status.map(Into::into),
            assignee_id: d.assignee_id.map(|a| a.map(UserId)),
            tags: d.tags,
        }
    }
}

/// Filters of the inbox and the CSV export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MentionQuery {
    pub brand_id: Option<Uuid>,
    pub platform: Option<String>,
    pub source_type: Option<SourceTypeDto>,
    pub sentiment: Option<LabelDto>,
    pub status: Option<StatusDto>,
    /// The author's handle (with or without `@`, any case).
    pub author: Option<String>,
    /// Case-insensitive text search: mentions whose post's text contains this
    /// string (3–1000 characters; `ё` matches `е`). A search page examines at
    /// most 10,000 mentions from its cursor, so it may hold fewer than `limit`
    /// items, even none, with a `next_cursor`: keep paging until it is `null`.
    pub q: Option<String>,
    /// `published_at` ≥ from (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// `published_at` < to (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Polling: mentions stored after this `seq`, in storing order (`0`: everything).
    #[param(minimum = 0)]
    pub since_seq: Option<i64>,
    /// Items per page, 1–200 (not for the export).
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (not for the export).
    pub cursor: Option<String>,
}
