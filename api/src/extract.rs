//! Request extractors that answer problem+json: JSON bodies with field paths
//! in their errors, query strings, ids in paths, and list paging.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use smrm_domain::page::{DEFAULT_LIMIT, MAX_LIMIT, PageRequest};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::problem::ApiError;
use crate::state::AppState;

/// Reads a whole body, refusing more than `limit` bytes (413) before reading it
/// when `Content-Length` says so, and while reading otherwise.
pub async fn read_body(req: &HttpRequest, payload: &mut Payload, limit: usize) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::payload_too_large(limit));
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request("unreadable_body", format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Parses JSON, turning a type or shape error into a 422 that names the field
/// (`items[3].published_at`) and malformed JSON into a 400.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // A valid body parses once, without tracking where the parser is (the
    // tracking and the syntax pass below cost as much as the parse); only a
    // body that fails is parsed again, to say why and where.
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
        && let Ok(value) = serde_json::from_slice(body)
    {
        return Ok(value);
    }
    explain_json(body)
}

/// The problem with a body that does not parse as a `T`.
fn explain_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // Syntax first (a cheap pass that allocates nothing), so that malformed
    // JSON is always a 400, whatever field a typed parse would trip on first.
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        return Err(if body.iter().all(u8::is_ascii_whitespace) {
            ApiError::bad_request("malformed_json", "the request body is empty; a JSON object is expected")
        } else {
            ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
        });
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::field("body", "must be a JSON object"));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if path == "." { "body".to_owned() } else { path };
                ApiError::field(field, strip_position(&inner.to_string()))
            }
            _ => ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {inner}")),
        }
    })
}

/// serde_json appends " at line 1 column 42"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A JSON request body: `Content-Type: application/json`, at most
/// `SMRM_MAX_BODY_BYTES`, unknown fields rejected by the DTO's serde attributes.
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let is_json = req
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(|v| v.trim().to_ascii_lowercase())
                .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
            if !is_json {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Unsupported media type",
                    "send the body as `Content-Type: application/json`",
                ));
            }
            let limit = AppState::of(&req).config.max_body_bytes;
            let body = read_body(&req, &mut payload, limit).await?;
            parse_json(&body).map(ValidJson)
        })
    }
}

/// A query string parsed strictly: unknown parameters and bad values are 422s
/// naming the parameter.
pub struct ValidQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // As with bodies: the path to a bad field is tracked only once the
        // plain parse failed.
        if let Ok(value) =
            T::deserialize(serde_urlencoded::Deserializer::new(form_urlencoded_pairs(req.query_string())))
        {
            return std::future::ready(Ok(ValidQuery(value)));
        }
        let pairs = form_urlencoded_pairs(req.query_string());
        let de = serde_urlencoded::Deserializer::new(pairs);
        std::future::ready(serde_path_to_error::deserialize(de).map(ValidQuery).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            let field = if path == "." { "query".to_owned() } else { path };
            ApiError::field(field, message)
        }))
    }
}

fn form_urlencoded_pairs(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// An id in the path: anything that is not a UUID names no resource (404).
pub struct PathId(pub Uuid);

impl FromRequest for PathId {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = req.match_info().get("id").unwrap_or_default();
        std::future::ready(
            Uuid::try_parse(raw).map(PathId).map_err(|_| ApiError::not_found(format!("no resource with id `{raw}`"))),
        )
    }
}

/// `?limit=&cursor=` of every list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Items per page, 1–200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page; omit for the first page.
    pub cursor: Option<String>,
}

impl ListParams {
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::field("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        let after = match &self.cursor {
            None => None,
            Some(c) => Some(decode_cursor(c).ok_or_else(|| {
                ApiError::field("cursor", "is not a cursor this API issued; pass `next_cursor` back unchanged")
            })?),
        };
        Ok(PageRequest { limit, after })
    }
}

/// Cursors are opaque to callers: the last id of the page, base64url-encoded.
pub fn encode_cursor(after: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(after.as_bytes())
}

/// The id a cursor names; `None` for anything [`encode_cursor`] did not make.
pub fn decode_cursor(cursor: &str) -> Option<Uuid> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    Uuid::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id)), Some(id));
        assert_eq!(decode_cursor("not a cursor"), None);
        assert_eq!(decode_cursor("AAAA"), None);
    }

    #[test]
    fn json_type_errors_name_the_field() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Body {
            items: Vec<Item>,
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Item {
            n: u32,
        }
        let err = parse_json::<Body>(br#"{"items":[{"n":1},{"n":"x"}]}"#).unwrap_err();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.errors.unwrap()[0].field, "items[1].n");
        let err = parse_json::<Body>(b"{\"items\":").unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }
}
