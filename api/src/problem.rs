//! Every error SMRM answers, as `application/problem+json` (RFC 9457), from
//! one table: the domain's errors map to HTTP here and nowhere else.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use smrm_domain::model::quota::Quota;
use smrm_domain::{DomainError, FieldError, FieldErrors};
use utoipa::ToSchema;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

use crate::middleware::request_id;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One problem field: `{field, message}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"field": "keywords[1]", "message": "duplicates an earlier keyword (`Daynet`)"}))]
pub struct ProblemField {
    /// JSON path of the offending input, e.g. `competitor_ids[2]`.
    pub field: String,
    pub message: String,
}

/// An error answer (RFC 9457 problem details).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:smrm:problem:validation_failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "2 fields are invalid",
    "code": "validation_failed",
    "request_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d11",
    "errors": [{"field": "keywords", "message": "must contain at least one keyword"}]
}))]
pub struct Problem {
    /// `urn:smrm:problem:<code>`: stable, machine-readable.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// The same stable code as in `type`, for convenience.
    pub code: &'static str,
    /// The `X-Request-Id` of the request, to quote in support requests.
    pub request_id: String,
    /// Present on 422: the invalid fields, the first 100 of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ProblemField>>,
    /// Present when `errors` is cut short: how many more invalid fields were
    /// found (at least; validation may stop once 100 are listed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors_omitted: Option<usize>,
    /// Present on `quota_exceeded`: which quota, and the tenant's limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<ProblemQuota>,
}

/// The quota a request would pass (see `GET /v1/tenant/quotas`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"name": "brands", "limit": 1000}))]
pub struct ProblemQuota {
    /// `brands`, `keywords_per_brand`, `users`, `api_keys`, `webhooks`, `sources` or `alert_rules`.
    pub name: &'static str,
    pub limit: u32,
}

/// The API's error type: a status, a stable code and a human detail.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Option<FieldErrors>,
    pub retry_after: Option<u64>,
    pub quota: Option<(Quota, u32)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Self { status, code, title, detail: detail.into(), errors: None, retry_after: None, quota: None }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request", detail)
    }

    pub fn validation(errors: impl Into<FieldErrors>) -> Self {
        let errors = errors.into();
        let detail = match (errors.len(), errors.more()) {
            (1, 0) => format!("`{}` {}", errors[0].field, errors[0].message),
            (n, 0) => format!("{n} fields are invalid"),
            (n, more) => format!("more than {n} fields are invalid; the first {n} are listed, {more} more were found"),
        };
        Self {
            errors: Some(errors),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "Validation failed", detail)
        }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found", detail)
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "Unauthenticated", detail)
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, "Conflict", detail)
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Payload too large",
            format!("the request body exceeds the limit of {limit} bytes"),
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal error",
            "something went wrong on our side; it has been logged with this request id",
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("urn:smrm:problem:{}", self.code),
            title: self.title,
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            request_id: request_id::current(),
            errors: self.errors.as_ref().map(|errors| {
                errors.iter().map(|e| ProblemField { field: e.field.clone(), message: e.message.clone() }).collect()
            }),
            errors_omitted: self.errors.as_ref().map(FieldErrors::more).filter(|&n| n > 0),
            quota: self.quota.map(|(q, limit)| ProblemQuota { name: q.as_str(), limit }),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.content_type(PROBLEM_JSON);
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs));
        }
        res.body(serde_json::to_vec(&self.problem()).expect("problems serialise"))
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(errors) => ApiError::validation(errors),
            DomainError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            DomainError::Conflict(detail) => ApiError::conflict("conflict", detail),
            DomainError::QuotaExceeded { quota, limit } => ApiError {
                quota: Some((quota, limit)),
                ..ApiError::new(
                    StatusCode::CONFLICT,
                    "quota_exceeded",
                    "Quota exceeded",
                    match quota {
                        Quota::KeywordsPerBrand => format!(
                            "this tenant's brands hold at most {limit} keywords (and {limit} excluded keywords) each; \
                             see `GET /v1/tenant/quotas`, and ask your operator for more"
                        ),
                        _ => format!(
                            "this tenant already has {limit} {}, its quota; delete some, or ask your operator for more \
                             (see `GET /v1/tenant/quotas`)",
                            quota.noun()
                        ),
                    },
                )
            },
            DomainError::Forbidden(detail) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail),
            DomainError::Unauthenticated(detail) => ApiError::unauthenticated(detail),
            DomainError::Unavailable(cause) => {
                tracing::error!(%cause, "backing service unavailable");
                ApiError {
                    retry_after: Some(5),
                    ..ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "service_unavailable",
                        "Service unavailable",
                        "the database cannot be reached right now; retry shortly",
                    )
                }
            }
            DomainError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ApiError::internal()
            }
        }
    }
}

/// Builds the OpenAPI description of one problem answer.
fn problem_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
        .build()
        .into()
}

macro_rules! problem_responses {
    ($($(#[$doc:meta])* $name:ident => [$(($status:literal, $desc:literal)),+ $(,)?];)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                BTreeMap::from([$(($status.to_string(), problem_response($desc))),+])
            }
        }
    )*};
}

problem_responses! {
    /// Errors of any authenticated request.
    AuthProblems => [
        ("401", "Missing, invalid or expired credentials."),
        ("403", "The caller's role does not allow this."),
        ("429", "Past the caller's rate limit: retry after `Retry-After` seconds."),
    ];
    /// The resource does not exist (or belongs to another tenant).
    NotFoundProblem => [("404", "No such resource in this tenant.")];
    /// Errors of a request with a JSON body.
    BodyProblems => [
        ("400", "Malformed JSON or a malformed header."),
        ("413", "The body exceeds `SMRM_MAX_BODY_BYTES`."),
        ("415", "The body is not `application/json`."),
        ("422", "A field is missing, unknown or invalid; `errors` names each."),
    ];
    /// Errors of a list query.
    QueryProblems => [("422", "An invalid query parameter (`limit`, `cursor`, …); `errors` names each.")];
    /// The request conflicts with the current state.
    ConflictProblem => [("409", "A conflict: a duplicate, a resource in use, an `Idempotency-Key` reused with another body, or a tenant quota reached (`quota_exceeded`, with `quota`).")];
    /// The database is unreachable.
    UnavailableProblem => [("503", "The database cannot be reached right now.")];
}
