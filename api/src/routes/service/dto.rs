//! Bodies of the service endpoints (health and readiness).

use serde::Serialize;
use utoipa::ToSchema;

/// `/healthz` and `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Health, example = json!({"status": "ok", "database": "postgres", "cache": "redis"}))]
pub struct HealthDto {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<&'static str>,
}
