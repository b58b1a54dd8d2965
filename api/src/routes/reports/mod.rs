//! Reports: Share of Voice, sentiment and engagement, from the rollups,
//! cached per tenant with an `ETag` (304 on `If-None-Match`).

pub mod dto;
pub mod html;

use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, ETAG, IF_NONE_MATCH, VARY};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use smrm_domain::ids::{BrandId, CompetitorSetId};
use smrm_domain::metrics::{Granularity, Period};
use smrm_domain::model::access::Principal;
use smrm_domain::model::mention::{SourceType, plausible_time};
use smrm_domain::ports::{AuthorQuery, AuthorSort};
use smrm_domain::services::reports::ReportParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{AnyRole, Auth};
use crate::extract::{PathId, ValidQuery};
use crate::problem::*;
use crate::routes::mentions::dto::LabelDto;
use crate::routes::reports::dto::*;
use crate::state::AppState;

/// Under `/v1/brands`.
pub fn configure_brand(cfg: &mut ServiceConfig) {
    cfg.service(sentiment).service(engagement).service(response_stats).service(authors).service(audit);
}

/// Under `/v1/competitor-sets`.
pub fn configure_competitor_set(cfg: &mut ServiceConfig) {
    cfg.service(share_of_voice);
}

/// Validates the common parameters into a period (tz defaults to the tenant's).
async fn params(state: &AppState, who: &Principal, q: ReportQuery) -> Result<(ReportParams, PeriodDto), ApiError> {
    let ReportQuery { from, to, granularity, tz, platform, source_type } = q;
    let mut errors = Vec::new();
    for (field, t) in [("from", from), ("to", to)] {
        if !plausible_time(t) {
            errors.push(smrm_domain::FieldError::new(field, "must be between 1970 and 9999"));
        }
    }
    if platform.as_deref().is_some_and(|p| p.chars().any(char::is_control) || p.len() > 64) {
        errors.push(smrm_domain::FieldError::new("platform", "must be a platform slug such as `vk`"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let tz = match tz {
        Some(tz) => tz,
        None => state.reports.default_tz(who).await?,
    };
    let granularity = granularity.unwrap_or(GranularityDto::Day);
    let period = Period::new(from, to, Granularity::from(granularity), &tz)?;
    let echo = PeriodDto { from, to, tz: period.tz.name().to_owned(), granularity };
    Ok((ReportParams { period, platform, source_type: source_type.map(SourceType::from) }, echo))
}

/// Answers a JSON report from the cache, or computes and caches it.
async fn cached<T: Serialize>(
    state: &AppState,
    req: &HttpRequest,
    who: &Principal,
    tz: &str,
    compute: impl Future<Output = Result<T, ApiError>>,
) -> Result<HttpResponse, ApiError> {
    cached_body(state, req, who, tz, "application/json", async {
        serde_json::to_vec(&compute.await?).map_err(|_| ApiError::internal())
    })
    .await
}

/// Answers a report body from the report service's cache (it computes and
/// keeps it on a miss), with its `ETag`, gzipped for clients that take it.
async fn cached_body(
    state: &AppState,
    req: &HttpRequest,
    who: &Principal,
    variant: &str,
    content_type: &str,
    compute: impl Future<Output = Result<Vec<u8>, ApiError>>,
) -> Result<HttpResponse, ApiError> {
    // The handler's own failure (a bad parameter found while computing)
    // is answered as it is; the cache never keeps it.
    let mut failed = None;
    let entry = state
        .reports
        .cached(who, (req.path(), req.query_string()), variant, async {
            compute.await.map_err(|e| {
                failed = Some(e);
                smrm_domain::DomainError::Internal("the report was not computed".into())
            })
        })
        .await;
    let entry = match (entry, failed) {
        (_, Some(e)) => return Err(e),
        (entry, None) => entry?,
    };
    let identity_tag = format!("\"{:032x}\"", entry.etag);
    let gzip_tag = format!("\"{:032x}-gzip\"", entry.etag);
    let fresh = req
        .headers()
        .get_all(IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| matches!(t.trim(), "*") || t.trim() == identity_tag || t.trim() == gzip_tag);
    let gzip = !entry.gzip.is_empty() && accepts_gzip(req);
    let mut res = HttpResponse::build(if fresh { StatusCode::NOT_MODIFIED } else { StatusCode::OK });
    res.insert_header((ETAG, if gzip { gzip_tag } else { identity_tag }))
        .insert_header((CACHE_CONTROL, "private, no-cache"))
        .insert_header((VARY, "Accept-Encoding"));
    if gzip {
        res.insert_header((CONTENT_ENCODING, "gzip"));
    }
    Ok(if fresh {
        res.finish()
    } else {
        // The cache's own copy, not copied.
        res.content_type(content_type).body(Bytes::from_owner(if gzip { entry.gzip } else { entry.body }))
    })
}

/// Whether `Accept-Encoding` takes gzip (`gzip`, `x-gzip` or `*`, not `q=0`).
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers().get_all(ACCEPT_ENCODING).filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let refused =
            parts.any(|p| p.trim().strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)));
        matches!(coding.as_str(), "gzip" | "x-gzip" | "*") && !refused
    })
}

/// The shared steps of a brand report: access, parameters, then the cached
/// answer of `compute(brand, params, period echo, zone)`.
async fn brand_report<T: Serialize>(
    state: &AppState,
    req: &HttpRequest,
    who: &Principal,
    brand: BrandId,
    q: ReportQuery,
    compute: impl AsyncFnOnce(&ReportParams, PeriodDto, chrono_tz::Tz) -> Result<T, ApiError>,
) -> Result<HttpResponse, ApiError> {
    state.reports.check_brand(who, brand).await?;
    let (p, period) = params(state, who, q).await?;
    let tz = p.period.tz;
    cached(state, req, who, tz.name(), compute(&p, period, tz)).await
}

/// Share of Voice of a competitor set: each brand's mentions (or reach, or
/// engagement) as a percent of the set's, in total and per bucket. With
/// `sentiment`, the share of positive (negative) voice. A post that names two
/// brands of the set counts for each.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(("id" = Uuid, Path), SovQuery),
    responses((status = 200, body = SovReportDto, headers(("ETag" = String))), (status = 304, description = "Not modified (`If-None-Match`)."),
        AuthProblems, NotFoundProblem, QueryProblems))]
#[get("/{id}/share-of-voice")]
async fn share_of_voice(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Auth<AnyRole>,
    id: PathId,
    q: ValidQuery<SovQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.0;
    if matches!(q.sentiment, Some(LabelDto::Neutral)) {
        return Err(ApiError::field(
            "sentiment",
            "must be `positive` or `negative` (share of positive or negative voice)",
        ));
    }
    let set = state.reports.check_set(&who, CompetitorSetId(id.0)).await?;
    let (weight, voice) = (q.weight.unwrap_or(WeightDto::Mentions), q.sentiment);
    let common = ReportQuery {
        from: q.from,
        to: q.to,
        granularity: q.granularity,
        tz: q.tz,
        platform: q.platform,
        source_type: q.source_type,
    };
    let (p, period) = params(&state, &who, common).await?;
    let tz = p.period.tz;
    cached(&state, &req, &who, tz.name(), async {
        let r = state.reports.share_of_voice(&who, set, &p, weight.into(), voice.map(Into::into)).await?;
        Ok(SovReportDto::new(r, period, tz, weight, voice))
    })
    .await
}

/// Sentiment of a brand's mentions, for all sources, user-generated ones and
/// media, in total and per bucket.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(("id" = Uuid, Path), ReportQuery),
    responses((status = 200, body = SentimentReportDto, headers(("ETag" = String))), (status = 304, description = "Not modified (`If-None-Match`)."),
        AuthProblems, NotFoundProblem, QueryProblems))]
#[get("/{id}/sentiment")]
async fn sentiment(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Auth<AnyRole>,
    id: PathId,
    q: ValidQuery<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let brand = BrandId(id.0);
    brand_report(&state, &req, &who, brand, q.0, async |p, period, tz| {
        Ok(SentimentReportDto::new(state.reports.sentiment(&who, brand, p).await?, period, tz, brand.0))
    })
    .await
}

/// A brand's engagement (likes + comments + reposts, with views and reach
/// beside it), in total, per platform and per bucket.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(("id" = Uuid, Path), ReportQuery),
    responses((status = 200, body = EngagementReportDto, headers(("ETag" = String))), (status = 304, description = "Not modified (`If-None-Match`)."),
        AuthProblems, NotFoundProblem, QueryProblems))]
#[get("/{id}/engagement")]
async fn engagement(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Auth<AnyRole>,
    id: PathId,
    q: ValidQuery<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let brand = BrandId(id.0);
    brand_report(&state, &req, &who, brand, q.0, async |p, period, tz| {
        Ok(EngagementReportDto::new(state.reports.engagement(&who, brand, p).await?, period, tz, brand.0))
    })
    .await
}

/// Response rate (negative mentions with an official answer, in %) and the
/// median time to the first answer. Official answers arrive with the
/// communication capability; until then the rate is 0 and the median `null`.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(("id" = Uuid, Path), ReportQuery),
    responses((status = 200, body = ResponseStatsDto, headers(("ETag" = String))), (status = 304, description = "Not modified (`If-None-Match`)."),
        AuthProblems, NotFoundProblem, QueryProblems))]
#[get("/{id}/responses/stats")]
async fn response_stats(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Auth<AnyRole>,
    id: PathId,
    q: ValidQuery<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let brand = BrandId(id.0);
    brand_report(&state, &req, &who, brand, q.0, async |p, period, _| {
        let s = state.reports.response_stats(&who, brand, p).await?;
        Ok(ResponseStatsDto {
            period,
            brand_id: brand.0,
            negative_total: s.negative_total,
            negative_answered: s.negative_answered,
            response_rate: s.response_rate,
            median_response_seconds: s.median_response_seconds,
        })
    })
    .await
}

/// Top authors of a brand's mentions: the target audience by mentions,
/// influencers by reach, the most engaging, or repeat complainers by negative
/// mentions. Counted over the UTC days that overlap `[from, to)`.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(("id" = Uuid, Path), AuthorsQuery),
    responses((status = 200, body = AuthorListDto, headers(("ETag" = String))), (status = 304, description = "Not modified (`If-None-Match`)."),
        AuthProblems, NotFoundProblem, QueryProblems))]
#[get("/{id}/authors")]
async fn authors(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Auth<AnyRole>,
    id: PathId,
    q: ValidQuery<AuthorsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.0;
    let brand = BrandId(id.0);
    state.reports.check_brand(&who, brand).await?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 200"));
    }
    // The same checks as every report (span, order, plausible times, the
    // zone and granularity a caller sends); counted over UTC days.
    let common = ReportQuery {
        from: q.from,
        to: q.to,
        granularity: q.granularity,
        tz: Some(q.tz.unwrap_or_else(|| "UTC".into())),
        platform: q.platform,
        source_type: q.source_type,
    };
    let (p, _) = params(&state, &who, common).await?;
    let query = AuthorQuery {
        from: p.period.from,
        to: p.period.to,
        platform: p.platform,
        source_type: p.source_type,
        sort: match q.sort.unwrap_or(AuthorSortDto::Mentions) {
            AuthorSortDto::Mentions => AuthorSort::Mentions,
            AuthorSortDto::Reach => AuthorSort::Reach,
            AuthorSortDto::Engagement => AuthorSort::Engagement,
            AuthorSortDto::Negative => AuthorSort::Negative,
        },
        limit,
    };
    cached(&state, &req, &who, "UTC", async {
        let rows = state.reports.authors(&who, brand, &query).await?;
        Ok(AuthorListDto {
            data: rows
                .into_iter()
                .map(|a| AuthorDto {
                    handle: a.handle,
                    platform: a.platform,
                    name: a.name,
                    followers: a.followers,
                    mentions: a.mentions,
                    engagement: a.engagement,
                    negative: a.negative,
                    reach: a.reach,
                })
                .collect(),
        })
    })
    .await
}

/// The reputation audit of a brand against a competitor set: Share of Voice
/// by mentions, reach and engagement, sentiment of reviews and of media,
/// engagement, top authors, the most-engaged negative mentions, response
/// stats, and findings in plain words. JSON by default; with
/// `Accept: text/html`, a self-contained page with charts (inline SVG, no
/// external scripts or fonts) to send to a client as is.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(("id" = Uuid, Path), AuditQuery),
    responses(
        (status = 200, description = "The audit.", content(
            (AuditDto = "application/json"),
            (String = "text/html")
        ), headers(("ETag" = String))),
        (status = 304, description = "Not modified (`If-None-Match`)."),
        AuthProblems, NotFoundProblem, QueryProblems))]
#[get("/{id}/audit")]
async fn audit(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Auth<AnyRole>,
    id: PathId,
    q: ValidQuery<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.0;
    let brand = BrandId(id.0);
    state.reports.check_brand(&who, brand).await?;
    let set = state.reports.check_set(&who, CompetitorSetId(q.competitor_set_id)).await.map_err(|e| match e {
        smrm_domain::DomainError::NotFound(_) => ApiError::field("competitor_set_id", "no such competitor set"),
        other => other.into(),
    })?;
    let common = ReportQuery {
        from: q.from,
        to: q.to,
        granularity: q.granularity,
        tz: q.tz,
        platform: q.platform,
        source_type: q.source_type,
    };
    let (p, period) = params(&state, &who, common).await?;
    let tz = p.period.tz;
    let html = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let format = if html { "html" } else { "json" };
    let key_tz = format!("{}|{format}", tz.name());
    let compute = async {
        let a = state.reports.audit(&who, brand, set, &p).await?;
        Ok(AuditDto::new(a, || period.clone(), tz))
    };
    if html {
        cached_body(&state, &req, &who, &key_tz, "text/html; charset=utf-8", async {
            Ok(crate::routes::reports::html::render(&compute.await?).into_bytes())
        })
        .await
    } else {
        cached(&state, &req, &who, &key_tz, compute).await
    }
}
