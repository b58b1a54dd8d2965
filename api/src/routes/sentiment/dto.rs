//! Bodies of the sentiment endpoints: the tenant's model and on-demand scoring.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smrm_domain::model::mention::Sentiment;
use smrm_domain::model::sentiment::{ModelEndpoint, ModelState};
use utoipa::ToSchema;

use crate::routes::mentions::dto::LabelDto;

/// The datasets the built-in weights were trained on.
const DATASETS: &[&str] =
    &["GoEmotions (Demszky et al., 2020), English, Apache-2.0", "CEDR (Sboev et al., 2021), Russian, Apache-2.0"];

/// An HTTP model service that scores the tenant's posts instead of the
/// built-in model. SMRM sends `POST {url}` with `{"tenant_id", "texts":
/// [{"text", "language"}]}` and expects `{"results": [{"label", "score"?}]}`,
/// one per text, in order; on an error, another answer or no answer within
/// `timeout_ms`, the built-in model scores the batch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SentimentEndpoint, example = json!({"url": "https://models.example.com/sentiment", "timeout_ms": 2000}))]
pub struct EndpointDto {
    /// An http(s) URL on a public host (unless the operator allows private networks).
    pub url: String,
    /// From 50 to 10,000 ms; 2,000 when not given.
    #[serde(default)]
    #[schema(minimum = 50, maximum = 10000)]
    pub timeout_ms: Option<u32>,
}

/// Answers show the URL with its credentials masked (see `redacted_url`):
/// to change them, send the whole URL again.
impl From<ModelEndpoint> for EndpointDto {
    fn from(e: ModelEndpoint) -> Self {
        Self { url: smrm_domain::model::integrations::redacted_url(&e.url), timeout_ms: Some(e.timeout_ms) }
    }
}

/// Where the tenant's adaptation stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[schema(as = AdaptationStatus)]
pub enum AdaptationStatusDto {
    /// No correction yet: the shared model scores alone.
    None,
    /// Corrections arrived since the last run; the background worker is on it.
    Pending,
    /// The adaptation has learnt every correction.
    Current,
}

/// The tenant's adaptation to its corrections.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SentimentAdaptation, example = json!({"status": "pending", "trained_on": 118, "last_run_at": "2026-11-27T10:00:00Z"}))]
pub struct AdaptationDto {
    pub status: AdaptationStatusDto,
    /// Corrections the current adaptation learnt from (its latest 20,000 at most).
    pub trained_on: u64,
    /// When it last ran.
    pub last_run_at: Option<DateTime<Utc>>,
}

/// The built-in model.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = BuiltinSentimentModel, example = json!({"version": "3f9c2a1b0d4e5f60", "datasets": DATASETS}))]
pub struct BuiltinDto {
    /// The first 16 hex digits of the weights' SHA-256.
    pub version: String,
    /// What it was trained on.
    pub datasets: Vec<&'static str>,
}

/// What scores the tenant's posts: the built-in model with its adaptation
/// to the tenant's corrections (every manual label set with `PATCH
/// /v1/mentions/{id}`), or the tenant's own model service.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SentimentModel, example = json!({
    "model": "builtin", "endpoint": null,
    "builtin": {"version": "3f9c2a1b0d4e5f60", "datasets": DATASETS},
    "corrections": 120, "adaptation": {"status": "current", "trained_on": 120, "last_run_at": "2026-11-27T10:00:00Z"}
}))]
pub struct SentimentModelDto {
    /// `builtin`, or `endpoint` when the tenant's model service scores its posts.
    pub model: &'static str,
    pub endpoint: Option<EndpointDto>,
    pub builtin: BuiltinDto,
    /// Posts with a manual label (the latest label per post counts).
    pub corrections: u64,
    pub adaptation: AdaptationDto,
}

impl SentimentModelDto {
    pub fn new(s: ModelState, version: String) -> Self {
        let status = if s.pending {
            AdaptationStatusDto::Pending
        } else if s.trained_at.is_some() {
            AdaptationStatusDto::Current
        } else {
            AdaptationStatusDto::None
        };
        Self {
            model: if s.endpoint.is_some() { "endpoint" } else { "builtin" },
            endpoint: s.endpoint.map(EndpointDto::from),
            builtin: BuiltinDto { version, datasets: DATASETS.to_vec() },
            corrections: s.corrections,
            adaptation: AdaptationDto { status, trained_on: s.trained_on, last_run_at: s.trained_at },
        }
    }
}

/// The tenant's choice of model.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SentimentModelInput, example = json!({"endpoint": {"url": "https://models.example.com/sentiment", "timeout_ms": 1500}}))]
pub struct SentimentModelInputDto {
    /// The tenant's model service; `null` (or absent) returns to the built-in model.
    #[serde(default)]
    pub endpoint: Option<EndpointDto>,
}

/// Texts to score.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AnalyzeRequest, example = json!({
    "texts": ["Мегасвязь подвела, перешёл на Дейнет — доволен", "Best support ever 😍"],
    "targets": ["Дейнет", null]
}))]
pub struct AnalyzeDto {
    /// 1 to 100 texts of at most 20,000 characters.
    #[schema(min_items = 1, max_items = 100)]
    pub texts: Vec<String>,
    /// What each text's sentiment is toward: `targets[i]` is a string as it
    /// occurs in `texts[i]` (whole words; case and `ё`/`е` do not matter; at
    /// most 200 characters), as a brand's matched words would be, or `null`
    /// for the whole text. When given, one entry per text. A target that
    /// does not occur in its text is a 422 naming `targets[i]`.
    #[serde(default)]
    pub targets: Option<Vec<Option<String>>>,
    /// ISO 639-1, when known.
    #[serde(default)]
    pub language: Option<String>,
}

/// A text's sentiment.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SentimentScore, example = json!({"label": "negative", "score": -0.62}))]
pub struct ScoreDto {
    pub label: LabelDto,
    /// In [-1, 1]: P(positive) − P(negative) for the built-in model.
    pub score: f64,
}

/// Each text's sentiment, in order.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AnalyzeResult, example = json!({"results": [{"label": "positive", "score": 0.41}, {"label": "positive", "score": 0.87}]}))]
pub struct AnalyzeResultDto {
    pub results: Vec<ScoreDto>,
}

impl From<Vec<Sentiment>> for AnalyzeResultDto {
    fn from(v: Vec<Sentiment>) -> Self {
        Self { results: v.into_iter().map(|s| ScoreDto { label: s.label.into(), score: s.score }).collect() }
    }
}
