//! Report parameters and answers.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use smrm_domain::metrics::{EngagementSums, Granularity, SentimentSummary, SovWeight};
use smrm_domain::services::reports::{EngagementReport, SentimentBreakdown, SentimentReport, ShareOfVoice};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::routes::mentions::dto::{LabelDto, SourceTypeDto};

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[schema(as = Granularity)]
pub enum GranularityDto {
    Day,
    Week,
    Month,
}

impl From<GranularityDto> for Granularity {
    fn from(g: GranularityDto) -> Self {
        match g {
            GranularityDto::Day => Granularity::Day,
            GranularityDto::Week => Granularity::Week,
            GranularityDto::Month => Granularity::Month,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SovWeight)]
pub enum WeightDto {
    Mentions,
    Reach,
    Engagement,
}

impl From<WeightDto> for SovWeight {
    fn from(w: WeightDto) -> Self {
        match w {
            WeightDto::Mentions => SovWeight::Mentions,
            WeightDto::Reach => SovWeight::Reach,
            WeightDto::Engagement => SovWeight::Engagement,
        }
    }
}

/// The parameters every report takes.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Start of the period (RFC 3339), included.
    pub from: DateTime<Utc>,
    /// End of the period (RFC 3339), excluded.
    pub to: DateTime<Utc>,
    /// Bucket size of `series` (default `day`); at most 731 days at `day`.
    pub granularity: Option<GranularityDto>,
    /// IANA zone the buckets start in, at local midnight (default: the tenant's).
    pub tz: Option<String>,
    pub platform: Option<String>,
    pub source_type: Option<SourceTypeDto>,
}

/// The parameters of Share of Voice.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SovQuery {
    /// Start of the period (RFC 3339), included.
    pub from: DateTime<Utc>,
    /// End of the period (RFC 3339), excluded.
    pub to: DateTime<Utc>,
    /// Bucket size of `series` (default `day`); at most 731 days at `day`.
    pub granularity: Option<GranularityDto>,
    /// IANA zone the buckets start in, at local midnight (default: the tenant's).
    pub tz: Option<String>,
    pub platform: Option<String>,
    pub source_type: Option<SourceTypeDto>,
    /// What a brand's voice is: its mentions (default), their reach, or their engagement.
    pub weight: Option<WeightDto>,
    /// `positive` or `negative`: share of positive (negative) voice.
    pub sentiment: Option<LabelDto>,
}

/// The period a report covers, as asked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodDto {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub tz: String,
    pub granularity: GranularityDto,
}

fn local(start: DateTime<Utc>, tz: Tz) -> String {
    start.with_timezone(&tz).to_rfc3339()
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SovBrand)]
pub struct SovEntryDto {
    pub brand_id: Uuid,
    pub name: String,
    /// Mentions, reach or engagement, as `weight` says.
    pub value: f64,
    /// Percent of the set's total; the shares of a set sum to 100 (0 when the set is silent).
    pub share: f64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SovPointBrand)]
pub struct SovPointEntryDto {
    pub brand_id: Uuid,
    pub value: f64,
    pub share: f64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SovPoint)]
pub struct SovPointDto {
    /// The bucket's local start, RFC 3339 with offset.
    pub start: String,
    pub brands: Vec<SovPointEntryDto>,
}

/// Share of Voice of a competitor set.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ShareOfVoice, example = json!({
    "period": {"from": "2026-11-01T00:00:00Z", "to": "2026-11-03T00:00:00Z", "tz": "Europe/Moscow", "granularity": "day"},
    "competitor_set_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d40", "weight": "mentions", "sentiment": null, "total": 4.0,
    "brands": [{"brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "name": "Daynet", "value": 3.0, "share": 75.0},
               {"brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d21", "name": "Rival", "value": 1.0, "share": 25.0}],
    "series": [{"start": "2026-11-01T00:00:00+03:00", "brands": [
        {"brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "value": 3.0, "share": 75.0},
        {"brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d21", "value": 1.0, "share": 25.0}]}]
}))]
pub struct SovReportDto {
    pub period: PeriodDto,
    pub competitor_set_id: Uuid,
    pub weight: WeightDto,
    pub sentiment: Option<LabelDto>,
    pub total: f64,
    /// The set's brand first, then its competitors.
    pub brands: Vec<SovEntryDto>,
    pub series: Vec<SovPointDto>,
}

impl SovReportDto {
    pub fn new(r: ShareOfVoice, period: PeriodDto, tz: Tz, weight: WeightDto, sentiment: Option<LabelDto>) -> Self {
        Self {
            period,
            competitor_set_id: r.set.id.0,
            weight,
            sentiment,
            total: r.total,
            brands: r
                .brands
                .into_iter()
                .map(|e| SovEntryDto { brand_id: e.brand_id.0, name: e.name, value: e.value, share: e.share })
                .collect(),
            series: r
                .series
                .into_iter()
                .map(|p| SovPointDto {
                    start: local(p.start, tz),
                    brands: p
                        .brands
                        .into_iter()
                        .map(|e| SovPointEntryDto { brand_id: e.brand_id.0, value: e.value, share: e.share })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Counts, shares and net sentiment of a set of mentions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SentimentSummary)]
pub struct SentimentSummaryDto {
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
    pub total: u64,
    /// Percent of `total`.
    pub positive_share: f64,
    pub neutral_share: f64,
    pub negative_share: f64,
    /// `(positive − negative) / total × 100`.
    pub net_sentiment: f64,
    /// `(positive − negative) / (positive + negative) × 100`.
    pub net_sentiment_polar: f64,
}

impl From<SentimentSummary> for SentimentSummaryDto {
    fn from(s: SentimentSummary) -> Self {
        Self {
            positive: s.positive,
            neutral: s.neutral,
            negative: s.negative,
            total: s.total,
            positive_share: s.positive_share,
            neutral_share: s.neutral_share,
            negative_share: s.negative_share,
            net_sentiment: s.net_sentiment,
            net_sentiment_polar: s.net_sentiment_polar,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SentimentPoint)]
pub struct SentimentPointDto {
    /// The bucket's local start, RFC 3339 with offset.
    pub start: String,
    pub all: SentimentSummaryDto,
    pub user_generated: SentimentSummaryDto,
    pub media: SentimentSummaryDto,
}

/// Sentiment of a brand's mentions: all, user-generated (social, forum,
/// review, blog, messenger, video) and media (news, print, radio, tv).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SentimentReport)]
pub struct SentimentReportDto {
    pub period: PeriodDto,
    pub brand_id: Uuid,
    pub all: SentimentSummaryDto,
    pub user_generated: SentimentSummaryDto,
    pub media: SentimentSummaryDto,
    pub series: Vec<SentimentPointDto>,
}

fn split(b: SentimentBreakdown) -> (SentimentSummaryDto, SentimentSummaryDto, SentimentSummaryDto) {
    (b.all.into(), b.user_generated.into(), b.media.into())
}

impl SentimentReportDto {
    pub fn new(r: SentimentReport, period: PeriodDto, tz: Tz, brand_id: Uuid) -> Self {
        let (all, user_generated, media) = split(r.totals);
        Self {
            period,
            brand_id,
            all,
            user_generated,
            media,
            series: r
                .series
                .into_iter()
                .map(|(start, b)| {
                    let (all, user_generated, media) = split(b);
                    SentimentPointDto { start: local(start, tz), all, user_generated, media }
                })
                .collect(),
        }
    }
}

/// Engagement sums (engagement = likes + comments + reposts; views and reach beside it).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EngagementSums)]
pub struct EngagementDto {
    pub likes: u64,
    pub comments: u64,
    pub reposts: u64,
    pub engagement: u64,
    pub views: u64,
    pub reach: u64,
    pub mentions: u64,
    /// `engagement / mentions` (0 without mentions).
    pub per_mention: f64,
}

impl From<EngagementSums> for EngagementDto {
    fn from(s: EngagementSums) -> Self {
        Self {
            likes: s.likes,
            comments: s.comments,
            reposts: s.reposts,
            engagement: s.engagement(),
            views: s.views,
            reach: s.reach,
            mentions: s.mentions,
            per_mention: s.per_mention(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EngagementByPlatform)]
pub struct EngagementRowDto {
    pub platform: String,
    #[serde(flatten)]
    pub sums: EngagementDto,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EngagementPoint)]
pub struct EngagementPointDto {
    /// The bucket's local start, RFC 3339 with offset.
    pub start: String,
    #[serde(flatten)]
    pub sums: EngagementDto,
}

/// A brand's engagement in total, per platform and per bucket.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EngagementReport)]
pub struct EngagementReportDto {
    pub period: PeriodDto,
    pub brand_id: Uuid,
    #[serde(flatten)]
    pub totals: EngagementDto,
    pub by_platform: Vec<EngagementRowDto>,
    pub series: Vec<EngagementPointDto>,
}

impl EngagementReportDto {
    pub fn new(r: EngagementReport, period: PeriodDto, tz: Tz, brand_id: Uuid) -> Self {
        Self {
            period,
            brand_id,
            totals: r.totals.into(),
            by_platform: r
                .by_platform
                .into_iter()
                .map(|(platform, s)| EngagementRowDto { platform, sums: s.into() })
                .collect(),
            series: r
                .series
                .into_iter()
                .map(|(start, s)| EngagementPointDto { start: local(start, tz), sums: s.into() })
                .collect(),
        }
    }
}

/// Response to negative mentions in the period.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ResponseStats, example = json!({"period": {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z", "tz": "UTC", "granularity": "day"}, "brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "negative_total": 12, "negative_answered": 0, "response_rate": 0.0, "median_response_seconds": null}))]
pub struct ResponseStatsDto {
    pub period: PeriodDto,
    pub brand_id: Uuid,
    pub negative_total: u64,
    pub negative_answered: u64,
    /// `negative_answered / negative_total × 100` (0 without negatives).
    pub response_rate: f64,
    /// Median seconds from `published_at` to the first official answer; `null` when none.
    pub median_response_seconds: Option<f64>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AuthorSort)]
pub enum AuthorSortDto {
    Mentions,
    Reach,
    Engagement,
    Negative,
}

/// The parameters of the top-authors report.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuthorsQuery {
    /// Start of the period (RFC 3339); authors are counted over the UTC days it overlaps.
    pub from: DateTime<Utc>,
    /// End of the period (RFC 3339), excluded.
    pub to: DateTime<Utc>,
    /// Accepted and checked as by every report; a ranking has no series.
    pub granularity: Option<GranularityDto>,
    /// Accepted and checked as by every report (an IANA zone); authors are
    /// kept per UTC day, so the days counted are the UTC days the period overlaps.
    pub tz: Option<String>,
    pub platform: Option<String>,
    pub source_type: Option<SourceTypeDto>,
    /// `mentions` (default), `reach` (influencers), `engagement`, `negative` (repeat complainers).
    #[param(inline)]
    pub sort: Option<AuthorSortDto>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Author)]
pub struct AuthorDto {
    pub handle: String,
    pub platform: String,
    pub name: Option<String>,
    /// The most followers seen for the author in the period.
    pub followers: u64,
    pub mentions: u64,
    pub engagement: u64,
    pub negative: u64,
    pub reach: u64,
}

/// The top authors of a brand's mentions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuthorList, example = json!({"data": [{"handle": "@ivan_petrov", "platform": "vk", "name": "Иван Петров", "followers": 1200, "mentions": 7, "engagement": 140, "negative": 5, "reach": 8400}]}))]
pub struct AuthorListDto {
    pub data: Vec<AuthorDto>,
}

/// The parameters of the audit.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The competitor set to measure the brand in (it must contain the brand).
    pub competitor_set_id: Uuid,
    /// Start of the period (RFC 3339), included.
    pub from: DateTime<Utc>,
    /// End of the period (RFC 3339), excluded.
    pub to: DateTime<Utc>,
    /// Bucket size of the series (default `day`).
    pub granularity: Option<GranularityDto>,
    /// IANA zone (default: the tenant's).
    pub tz: Option<String>,
    pub platform: Option<String>,
    pub source_type: Option<SourceTypeDto>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditShareOfVoice)]
pub struct AuditSovDto {
    pub mentions: SovReportDto,
    pub reach: SovReportDto,
    pub engagement: SovReportDto,
}

/// The reputation audit of a brand against its competitor set.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Audit)]
pub struct AuditDto {
    pub period: PeriodDto,
    pub brand_id: Uuid,
    pub brand_name: String,
    pub competitor_set_id: Uuid,
    pub competitor_set_name: String,
    /// Plain-language findings, most important first.
    pub findings: Vec<String>,
    pub share_of_voice: AuditSovDto,
    pub sentiment: SentimentReportDto,
    pub engagement: EngagementReportDto,
    pub top_authors: Vec<AuthorDto>,
    /// The most-engaged negative mentions of the period.
    pub top_negative_mentions: Vec<crate::routes::mentions::dto::MentionDto>,
    pub response_stats: ResponseStatsDto,
}

impl AuditDto {
    pub fn new(a: smrm_domain::services::reports::Audit, period: impl Fn() -> PeriodDto, tz: Tz) -> Self {
        let set_id = a.sov_mentions.set.id.0;
        let set_name = a.sov_mentions.set.name.clone();
        Self {
            period: period(),
            brand_id: a.brand_id.0,
            brand_name: a.brand_name,
            competitor_set_id: set_id,
            competitor_set_name: set_name,
            findings: a.findings,
            share_of_voice: AuditSovDto {
                mentions: SovReportDto::new(a.sov_mentions, period(), tz, WeightDto::Mentions, None),
                reach: SovReportDto::new(a.sov_reach, period(), tz, WeightDto::Reach, None),
                engagement: SovReportDto::new(a.sov_engagement, period(), tz, WeightDto::Engagement, None),
            },
            sentiment: SentimentReportDto::new(a.sentiment, period(), tz, a.brand_id.0),
            engagement: EngagementReportDto::new(a.engagement, period(), tz, a.brand_id.0),
            top_authors: a
                .authors
                .into_iter()
                .map(|x| AuthorDto {
                    handle: x.handle,
                    platform: x.platform,
                    name: x.name,
                    followers: x.followers,
                    mentions: x.mentions,
                    engagement: x.engagement,
                    negative: x.negative,
                    reach: x.reach,
                })
                .collect(),
            top_negative_mentions: a.negative.into_iter().map(Into::into).collect(),
            response_stats: ResponseStatsDto {
                period: period(),
                brand_id: a.brand_id.0,
                negative_total: a.responses.negative_total,
                negative_answered: a.responses.negative_answered,
                response_rate: a.responses.response_rate,
                median_response_seconds: a.responses.median_response_seconds,
            },
        }
    }
}
