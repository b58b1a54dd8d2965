//! Bodies of the competitor set endpoints.

use crate::routes::common::*;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smrm_domain::ids::BrandId;
use smrm_domain::model::competitor_set::{CompetitorSet, CompetitorSetInput, CompetitorSetPatch};
use utoipa::ToSchema;
use uuid::Uuid;

list_type! {
    /// A page of competitor sets.
    CompetitorSetList => CompetitorSetDto;
}

/// A brand and its competitors.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CompetitorSet, example = json!({"id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d40", "name": "Telecom, Moscow", "brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "competitor_ids": ["0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d21"], "created_at": "2026-11-26T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z"}))]
pub struct CompetitorSetDto {
    pub id: Uuid,
    pub name: String,
    pub brand_id: Uuid,
    pub competitor_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CompetitorSet> for CompetitorSetDto {
    fn from(s: CompetitorSet) -> Self {
        Self {
            id: s.id.0,
            name: s.name,
            brand_id: s.brand_id.0,
            competitor_ids: uuids(&s.competitor_ids),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewCompetitorSet, example = json!({"name": "Telecom, Moscow", "brand_id": "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d20", "competitor_ids": ["0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d21"]}))]
pub struct NewCompetitorSetDto {
    pub name: String,
    pub brand_id: Uuid,
    /// Up to 50 other brands of the tenant.
    #[serde(default)]
    pub competitor_ids: Vec<Uuid>,
}

impl From<NewCompetitorSetDto> for CompetitorSetInput {
    fn from(d: NewCompetitorSetDto) -> Self {
        Self { name: d.name, brand_id: BrandId(d.brand_id), competitor_ids: ids(d.competitor_ids) }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CompetitorSetPatch, example = json!({"competitor_ids": ["0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d21", "0193f1d2-5c4e-7a10-9f3b-2a1c9e0b7d22"]}))]
pub struct CompetitorSetPatchDto {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub brand_id: Option<Uuid>,
    #[serde(default, deserialize_with = "present")]
    pub competitor_ids: Option<Vec<Uuid>>,
}

impl From<CompetitorSetPatchDto> for CompetitorSetPatch {
    fn from(d: CompetitorSetPatchDto) -> Self {
        Self { name: d.name, brand_id: d.brand_id.map(BrandId), competitor_ids: d.competitor_ids.map(ids) }
    }
}
