//! Mentions: batch ingest, the inbox, one mention, and the CSV export.

pub mod dto;

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, patch, post, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use smrm_domain::ids::{BrandId, MentionId};
use smrm_domain::model::access::Principal;
use smrm_domain::model::mention::{Mention, MentionFilter, MentionOrder, SEARCH_MIN_CHARS, plausible_time};
use smrm_domain::page::{DEFAULT_LIMIT, MAX_LIMIT};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Analyst, AnyRole, Auth};
use crate::extract::{PathId, ValidJson, ValidQuery};
use crate::problem::*;
use crate::routes::mentions::dto::*;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(batch).service(export).service(list).service(get_one).service(update);
}

/// Where a page starts: after `(published_at, seq)` newest-first, or after a `seq`.
pub fn encode_cursor(order: &MentionOrder) -> Option<String> {
    let mut bytes = Vec::with_capacity(16);
    match *order {
        MentionOrder::Newest { after: Some((at, seq)) } => {
            bytes.extend_from_slice(&at.timestamp_micros().to_be_bytes());
            bytes.extend_from_slice(&seq.to_be_bytes());
        }
        MentionOrder::Newest { after: None } => return None,
        MentionOrder::SinceSeq(seq) => bytes.extend_from_slice(&seq.to_be_bytes()),
    }
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// The order a mentions cursor names; `None` for anything else.
pub fn decode_cursor(cursor: &str, since: bool) -> Option<MentionOrder> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let word = |i: usize| Some(i64::from_be_bytes(bytes.get(i..i + 8)?.try_into().ok()?));
    if since {
        (bytes.len() == 8).then(|| word(0)).flatten().map(MentionOrder::SinceSeq)
    } else {
        let at = DateTime::<Utc>::from_timestamp_micros(word(0)?).filter(|t| plausible_time(*t))?;
        (bytes.len() == 16).then_some(MentionOrder::Newest { after: Some((at, word(8)?)) })
    }
}

/// Validates the query: the filter, the order and the page size.
fn parse(q: MentionQuery) -> Result<(MentionFilter, MentionOrder, u32), ApiError> {
    let mut errors = Vec::new();
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from >= to
    {
        errors.push(smrm_domain::FieldError::new("from", "must be before `to` (the period is [from, to))"));
    }
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.push(smrm_domain::FieldError::new("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    for (field, value) in [("platform", &q.platform), ("author", &q.author), ("q", &q.q)] {
        if value.as_deref().is_some_and(|v| v.chars().any(char::is_control) || v.chars().count() > 1000) {
            errors.push(smrm_domain::FieldError::new(field, "must be at most 1000 characters, no control characters"));
        }
    }
    let blank = |v: &str| v.trim().is_empty();
    if q.q.as_deref().is_some_and(|v| !blank(v) && v.trim().chars().count() < SEARCH_MIN_CHARS)
        && !errors.iter().any(|e| e.field == "q")
    {
        errors.push(smrm_domain::FieldError::new("q", format!("must be at least {SEARCH_MIN_CHARS} characters")));
    }
    for (field, value) in [("from", q.from), ("to", q.to)] {
        if value.is_some_and(|t| !plausible_time(t)) {
            errors.push(smrm_domain::FieldError::new(field, "must be between 1970 and 9999"));
        }
    }
    if q.since_seq.is_some_and(|s| s < 0) {
        errors.push(smrm_domain::FieldError::new("since_seq", "must be 0 or more"));
    }
    let since = q.since_seq.is_some();
    let order = match (&q.cursor, q.since_seq) {
        (Some(c), _) => decode_cursor(c, since),
        (None, Some(seq)) => Some(MentionOrder::SinceSeq(seq)),
        (None, None) => Some(MentionOrder::Newest { after: None }),
    };
    let Some(order) = order else {
        errors.push(smrm_domain::FieldError::new(
            "cursor",
            "is not a cursor of this listing; pass `next_cursor` back with the same parameters",
        ));
        return Err(ApiError::validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let filter = MentionFilter {
        brand_id: q.brand_id.map(BrandId),
        platform: q.platform,
        source_type: q.source_type.map(Into::into),
        sentiment: q.sentiment.map(Into::into),
        status: q.status.map(Into::into),
        author: q.author,
        q: q.q.filter(|s| !blank(s)).map(|s| s.trim().to_owned()),
        from: q.from,
        to: q.to,
        only_brands: None,
    };
    Ok((filter, order, limit))
}

/// Ingests 1–1,000 posts, all or nothing (analyst).
///
/// Each post is validated (errors name the item: `items[17].published_at`);
/// posts are stored once per tenant by `(platform, external_id)`, matched or
/// not; each brand a post matches (or its `brand_id`) becomes a mention with
/// the next `seq`. A re-sent post is a duplicate and changes nothing.
#[utoipa::path(tag = "mentions", security(("bearer" = [])), request_body = BatchRequest,
    responses((status = 200, body = BatchResponse), AuthProblems, BodyProblems, ConflictProblem))]
#[post("/batch")]
async fn batch(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    body: ValidJson<BatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let items = body.0.items.into_iter().map(Into::into).collect();
    let (received, outcome) = state.mentions.ingest(&who, items).await?;
    Ok(HttpResponse::Ok().json(BatchResponse {
        received,
        created: outcome.created.len(),
        duplicates: outcome.duplicates,
        updated: outcome.updated,
        unmatched: outcome.unmatched,
        mention_ids: outcome.created.into_iter().map(|m| m.0).collect(),
    }))
}

/// The inbox: newest first by `published_at` (ties by `seq`), or with
/// `since_seq` the mentions stored after that `seq` in storing order, so a
/// poller never misses a late or backfilled mention. A `client` sees only its
/// brands' mentions.
#[utoipa::path(tag = "mentions", security(("bearer" = [])), params(MentionQuery),
    responses((status = 200, body = MentionList), AuthProblems, QueryProblems))]
#[get("")]
async fn list(
    state: web::Data<AppState>,
    who: Auth<AnyRole>,
    q: ValidQuery<MentionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (filter, order, limit) = parse(q.0)?;
    let page = state.mentions.list(&who, filter, order, limit).await?;
    let next_cursor = page.next.as_ref().and_then(encode_cursor);
    Ok(HttpResponse::Ok().json(MentionList { data: page.items.into_iter().map(Into::into).collect(), next_cursor }))
}

const CSV_HEADER: &str = "id,seq,brand_id,external_id,platform,source_type,published_at,author_handle,author_name,author_followers,\
url,title,text,language,likes,comments,reposts,views,reach,sentiment,sentiment_score,sentiment_origin,status,\
assignee_id,tags,restricted,matched_words,created_at\n";

/// One CSV cell: quoted when needed, and a text starting with `=`, `+`, `-`,
/// `@` made inert so a spreadsheet never runs it as a formula (numbers such
/// as a negative score stay numbers).
fn cell(out: &mut String, value: &str) {
    let guarded = value.starts_with(['=', '+', '-', '@', '\t', '\r']) && value.parse::<f64>().is_err();
    let quote = guarded || value.contains([',', '"', '\n', '\r']);
    if quote {
        out.push('"');
        if guarded {
            out.push('\'');
        }
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn csv_row(out: &mut String, m: Mention) {
    let p = &m.post.input;
    let num = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    let cells = [
        m.id.to_string(),
        m.seq.to_string(),
        m.brand_id.to_string(),
        p.external_id.clone(),
        p.platform.clone(),
        p.source_type.as_str().to_owned(),
        p.published_at.to_rfc3339(),
        p.author.handle.clone(),
        p.author.name.clone().unwrap_or_default(),
        num(p.author.followers),
        p.url.clone().unwrap_or_default(),
        p.title.clone().unwrap_or_default(),
        p.text.clone().unwrap_or_default(),
        p.language.clone().unwrap_or_default(),
        num(p.likes),
        num(p.comments),
        num(p.reposts),
        num(p.views),
        num(p.reach),
        m.sentiment.label.as_str().to_owned(),
        m.sentiment.score.to_string(),
        m.sentiment.origin.as_str().to_owned(),
        m.status.as_str().to_owned(),
        m.assignee_id.map(|u| u.to_string()).unwrap_or_default(),
        m.tags.join(";"),
        m.post.restricted().to_string(),
        m.matched_words.join(";"),
        m.created_at.to_rfc3339(),
    ];
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        cell(out, c);
    }
    out.push('\n');
}

/// Rows per database round trip of the export.
const EXPORT_PAGE: u32 = 500;

/// The mentions matching the same filters as `GET /v1/mentions`, as CSV
/// (RFC 4180, UTF-8, a header row), streamed page by page in constant memory.
#[utoipa::path(tag = "mentions", security(("bearer" = [])), params(MentionQuery),
    responses((status = 200, description = "CSV, one mention per row.", content_type = "text/csv", body = String),
        AuthProblems, QueryProblems))]
#[get("/export.csv")]
async fn export(
    state: web::Data<AppState>,
    who: Auth<AnyRole>,
    q: ValidQuery<MentionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (filter, order, _) = parse(MentionQuery { limit: None, ..q.0 })?;
    let principal: Principal = who.principal;
    // State of the stream: the next page's order, or `None` when done.
    let start = (state, principal, filter, Some(order), true);
    let stream = futures_util::stream::unfold(start, move |(state, who, filter, order, first)| async move {
        let order = order?;
        let page = match state.mentions.list(&who, filter.clone(), order, EXPORT_PAGE).await {
            Ok(page) => page,
            Err(e) => {
                tracing::error!(error = %e, "CSV export stopped");
                return Some((
                    Err(actix_web::error::ErrorServiceUnavailable("export interrupted")),
                    (state, who, filter, None, false),
                ));
            }
        };
        // A page may be empty and still go on (a text search's window).
        let mut out = String::with_capacity(page.items.len() * 400 + CSV_HEADER.len());
        if first {
            out.push_str(CSV_HEADER);
        }
        for m in page.items {
            csv_row(&mut out, m);
        }
        Some((Ok::<_, actix_web::Error>(Bytes::from(out)), (state, who, filter, page.next, false)))
    });
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, "attachment; filename=\"mentions.csv\""))
        .streaming(stream))
}

/// One mention.
#[utoipa::path(tag = "mentions", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = MentionDto), AuthProblems, NotFoundProblem))]
#[get("/{id}")]
async fn get_one(state: web::Data<AppState>, who: Auth<AnyRole>, id: PathId) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(MentionDto::from(state.mentions.get(&who, MentionId(id.0)).await?)))
}

/// Labels, assigns, tags or moves a mention along (analyst). A sentiment set
/// here is `manual` and always wins.
#[utoipa::path(tag = "mentions", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = MentionPatchDto,
    responses((status = 200, body = MentionDto), AuthProblems, NotFoundProblem, BodyProblems))]
#[patch("/{id}")]
async fn update(
    state: web::Data<AppState>,
    who: Auth<Analyst>,
    id: PathId,
    body: ValidJson<MentionPatchDto>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(MentionDto::from(state.mentions.update(&who, MentionId(id.0), body.0.into()).await?)))
}
