//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use actix_web::App;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "SMRM API",
        version = "1.0.0",
        description = "Social Media Relationship Management: brand monitoring, sentiment, answers and reports for agencies and brands.\n\n\
Conventions: JSON bodies with `snake_case` fields; unknown fields are rejected (422); RFC 3339 UTC timestamps; UUIDv7 ids. \
Errors are `application/problem+json` (RFC 9457) with a stable `code`, the `request_id`, and for 422 an `errors` array of `{field, message}`. \
Lists take `limit` (1–200, default 50) and `cursor` and answer `{data, next_cursor}` (keyset paging: stable at any depth). \
Every POST accepts an `Idempotency-Key` header (kept 24 hours per tenant): the same key with the same request replays the first answer \
(with `Idempotent-Replayed: true`), with another request answers 409. Every response carries `X-Request-Id`. \
Rate limits: each API key or user has a token bucket of `SMRM_RATE_LIMIT_PER_MINUTE` requests (6,000 by default, or its tenant's own limit) \
that refills continuously, and signup and login are limited per client IP; every `/v1` answer carries `RateLimit-Limit`, \
`RateLimit-Remaining` and `RateLimit-Reset` (seconds until the bucket is full), and past the limit the answer is 429 with `Retry-After`. \
Authenticate with `Authorization: Bearer <token>`, where the token is an access token from `/v1/auth/token` or an API key (`smrm_…`).",
        license(name = "Apache-2.0")
    ),
    components(schemas(crate::problem::Problem, crate::problem::ProblemField)),
    modifiers(&BearerAuth),
    tags(
        (name = "service", description = "Health and readiness."),
        (name = "access", description = "Signup, tokens, the caller and the tenant."),
        (name = "users", description = "Users of the tenant and their roles (admin)."),
        (name = "api-keys", description = "API keys for programs (admin)."),
        (name = "brands", description = "Brands and their monitoring queries."),
        (name = "competitor-sets", description = "A brand and its competitors: where Share of Voice is measured."),
        (name = "reports", description = "Share of Voice, sentiment and engagement from pre-aggregated rollups; cached, with ETag, and gzipped for clients that send `Accept-Encoding: gzip`."),
        (name = "mentions", description = "Posts pushed by collectors and CRMs, matched to brands: ingest, the inbox, export."),
        (name = "webhooks", description = "Signed webhooks (Standard Webhooks) for new and negative mentions and alerts, with every attempt listed (admin)."),
        (name = "alerts", description = "Spike alert rules per brand, fired at most once per window, delivered as `alert.triggered`."),
        (name = "sources", description = "Connectors SMRM runs itself (RSS and Atom feeds, VK, Telegram channels, Hacker News), each run into the mention pipeline, with its status."),
        (name = "credentials", description = "A tenant's keys for platform APIs, encrypted at rest and never answered (admin)."),
        (name = "communication", description = "Official-answer templates, the answers given to mentions, and placements by the brand's official representatives."),
        (name = "sentiment", description = "The built-in Russian/English sentiment model, adapted per tenant to its people's corrections, or the tenant's own model service."),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some("An access token from `/v1/auth/token` (JWT) or an API key (`smrm_…`).".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The whole document, as served at `/openapi.json` and committed in `openapi/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(routes::configure).split_for_parts();
    polish(&mut api);
    api
}

/// What the annotations leave out and generated clients and linters need:
/// operation ids unique across the document (`<tag>_<handler>`, as
/// `webhooks_create`), and a description on every response.
fn polish(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    for item in api.paths.paths.values_mut() {
        let operations =
            [item.get.as_mut(), item.post.as_mut(), item.put.as_mut(), item.patch.as_mut(), item.delete.as_mut()];
        for op in operations.into_iter().flatten() {
            let tag = op.tags.as_ref().and_then(|t| t.first()).map(|t| t.replace('-', "_"));
            if let (Some(tag), Some(id)) = (tag, op.operation_id.as_mut())
                && !id.starts_with(&format!("{tag}_"))
            {
                *id = format!("{tag}_{id}");
            }
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(r) = response
                    && r.description.is_empty()
                {
                    r.description = match status.as_str() {
                        "200" => "OK",
                        "201" => "Created",
                        "204" => "No content",
                        "304" => "Not modified",
                        _ => "See the problem body",
                    }
                    .into();
                }
            }
        }
    }
}
