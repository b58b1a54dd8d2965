//! Bodies of the brand endpoints: brands, their queries and query previews.

use crate::routes::common::*;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smrm_domain::model::brand::{Brand, BrandInput, BrandPatch};
use utoipa::ToSchema;
use uuid::Uuid;

list_type! {
    /// A page of brands.
    BrandList => BrandDto;
}

/// A brand and its monitoring query.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Brand, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "name": "Daynet", "keywords": ["Daynet", "Дейнет", "\"Daynet Pro\""], "excluded_keywords": ["daynet.io jobs"], "languages": ["ru", "en"], "created_at": "2026-11-26T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z", "backfill": {"status": "done", "matched": 1240, "removed": 0, "finished_at": "2026-11-26T10:00:05Z"}}))]
pub struct BrandDto {
    pub id: Uuid,
    pub name: String,
    /// A keyword in double quotes matches only that exact form.
    pub keywords: Vec<String>,
    pub excluded_keywords: Vec<String>,
    /// ISO 639-1 codes; empty means every language.
    pub languages: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Re-matching of the stored posts after the query was created or changed.
    pub backfill: BackfillDto,
}

/// The background re-match of stored posts for a brand's current query.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Backfill, example = json!({"status": "done", "matched": 1240, "removed": 3, "finished_at": "2026-11-26T10:00:05Z"}))]
pub struct BackfillDto {
    /// `pending` (queued), `running`, or `done` for the current query.
    pub status: &'static str,
    /// Mentions the last run added.
    pub matched: u64,
    /// Mentions the last run removed (no longer matching, and untouched by people).
    pub removed: u64,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Brand> for BrandDto {
    fn from(b: Brand) -> Self {
        Self {
            id: b.id.0,
            name: b.name,
            keywords: b.keywords,
            excluded_keywords: b.excluded_keywords,
            languages: b.languages,
            created_at: b.created_at,
            updated_at: b.updated_at,
            backfill: BackfillDto {
                status: b.backfill.status.as_str(),
                matched: b.backfill.matched,
                removed: b.backfill.removed,
                finished_at: b.backfill.finished_at,
            },
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewBrand, example = json!({"name": "Daynet", "keywords": ["Daynet", "Дейнет"], "excluded_keywords": [], "languages": ["ru", "en"]}))]
pub struct NewBrandDto {
    /// 1–200 characters, unique in the tenant.
    pub name: String,
    /// 1–100 distinct keywords or phrases, each up to 200 characters.
    pub keywords: Vec<String>,
    #[serde(default)]
    pub excluded_keywords: Vec<String>,
    /// ISO 639-1 codes such as `ru`, `en`; empty means every language.
    #[serde(default)]
    pub languages: Vec<String>,
}

impl From<NewBrandDto> for BrandInput {
    fn from(d: NewBrandDto) -> Self {
        Self { name: d.name, keywords: d.keywords, excluded_keywords: d.excluded_keywords, languages: d.languages }
    }
}

/// Changes to a brand; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BrandPatch, example = json!({"excluded_keywords": ["daynet.io jobs"]}))]
pub struct BrandPatchDto {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub keywords: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub excluded_keywords: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub languages: Option<Vec<String>>,
}

impl From<BrandPatchDto> for BrandPatch {
    fn from(d: BrandPatchDto) -> Self {
        Self { name: d.name, keywords: d.keywords, excluded_keywords: d.excluded_keywords, languages: d.languages }
    }
}

/// A query to try on texts before saving it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"keywords": ["Дейнет", "Daynet"], "excluded_keywords": ["daynet jobs"], "languages": [], "texts": ["Доволен Дейнетом!", "Daynetwork is down", "Daynet jobs: we are hiring"]}))]
pub struct BrandPreviewRequest {
    pub keywords: Vec<String>,
    #[serde(default)]
    pub excluded_keywords: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    /// Up to 1,000 texts to try. Omitted: the tenant's stored posts of the
    /// last 30 days (the newest 10,000).
    pub texts: Option<Vec<String>>,
}

impl From<BrandPreviewRequest> for smrm_domain::services::brands::PreviewInput {
    fn from(d: BrandPreviewRequest) -> Self {
        Self { keywords: d.keywords, excluded_keywords: d.excluded_keywords, languages: d.languages, texts: d.texts }
    }
}

/// One text the query matches.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewMatch {
    /// Position of the text in `texts` (`null` for a stored post).
    pub index: Option<usize>,
    /// The stored post (`null` for a given text).
    pub post: Option<PreviewPost>,
    pub text: String,
    /// The words of the text that matched, lower-cased (`дейнетом`).
    pub matched_words: Vec<String>,
}

/// A stored post a preview matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewPost {
    pub id: Uuid,
    pub platform: String,
    pub external_id: String,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"checked": 3, "matched": 1, "matches": [{"index": 0, "post": null, "text": "Доволен Дейнетом!", "matched_words": ["дейнетом"]}]}))]
pub struct BrandPreviewResponse {
    /// How many texts or stored posts were tried.
    pub checked: usize,
    /// How many matched (`matches` lists the first 200).
    pub matched: usize,
    /// The texts the query matches, in their order.
    pub matches: Vec<PreviewMatch>,
}

impl From<smrm_domain::services::brands::Preview> for BrandPreviewResponse {
    fn from(p: smrm_domain::services::brands::Preview) -> Self {
        Self {
            checked: p.checked,
            matched: p.matched,
            matches: p
                .hits
                .into_iter()
                .map(|h| PreviewMatch {
                    index: h.index,
                    post: h.post.map(|p| PreviewPost {
                        id: p.id.0,
                        platform: p.input.platform,
                        external_id: p.input.external_id,
                        published_at: p.input.published_at,
                    }),
                    text: h.text,
                    matched_words: h.matched,
                })
                .collect(),
        }
    }
}
