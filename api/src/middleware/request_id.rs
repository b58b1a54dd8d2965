//! `X-Request-Id` on every response (taken from the request when it is sane,
//! generated otherwise), in every problem body and in the access log.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use smrm_domain::model::access::Principal;

use crate::state::AppState;
use tracing::Instrument;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served (empty outside a request).
pub fn current() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

#[derive(Clone)]
pub struct RequestId(pub String);

fn accept(value: &HeaderValue) -> Option<String> {
    let s = value.to_str().ok()?;
    (!s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic())).then(|| s.to_owned())
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req.headers().get(HEADER).and_then(accept).unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    // Handlers turn their errors into responses inside this scope, so every
    // problem body carries the request id. (Holding a clone of the request
    // here is not possible: routing needs it unshared.)
    let scoped = REQUEST_ID.scope(id.clone(), next.call(req));
    let mut res = scoped.instrument(span.clone()).await?;
    let status = res.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    // The route pattern (`/v1/brands/{id}`), never the raw path, labels metrics.
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let tenant = res.request().extensions().get::<Principal>().map(|p| p.tenant_id.0.to_string());
    if let Some(state) = res.request().app_data::<web::Data<AppState>>() {
        state.metrics.observe_request(&route, method.as_str(), status, seconds);
    }
    let _enter = span.enter();
    tracing::info!(status, %route, tenant = tenant.as_deref().unwrap_or("-"), latency_ms = seconds * 1000.0, "served");
    res.headers_mut().insert(HEADER, HeaderValue::from_str(&id).expect("checked ASCII"));
    Ok(res)
}
