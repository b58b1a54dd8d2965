//! A brand and its competitors: the "industry" Share of Voice is measured in.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::error::{DomainResult, Violations};
use crate::ids::{BrandId, CompetitorSetId, TenantId};
use crate::model::tenant::check_name;

pub const COMPETITORS_MAX: usize = 50;

#[derive(Debug, Clone, PartialEq)]
pub struct CompetitorSet {
    pub id: CompetitorSetId,
    pub tenant_id: TenantId,
    pub name: String,
    pub brand_id: BrandId,
    pub competitor_ids: Vec<BrandId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CompetitorSet {
    /// The brand followed by its competitors: every brand the set measures.
    pub fn members(&self) -> impl Iterator<Item = BrandId> + '_ {
        std::iter::once(self.brand_id).chain(self.competitor_ids.iter().copied())
    }
}

#[derive(Debug, Clone)]
pub struct CompetitorSetInput {
    pub name: String,
    pub brand_id: BrandId,
    pub competitor_ids: Vec<BrandId>,
}

#[derive(Debug, Clone, Default)]
pub struct CompetitorSetPatch {
    pub name: Option<String>,
    pub brand_id: Option<BrandId>,
    pub competitor_ids: Option<Vec<BrandId>>,
}

impl CompetitorSetPatch {
    pub fn merged(self, set: &CompetitorSet) -> CompetitorSetInput {
        CompetitorSetInput {
            name: self.name.unwrap_or_else(|| set.name.clone()),
            brand_id: self.brand_id.unwrap_or(set.brand_id),
            competitor_ids: self.competitor_ids.unwrap_or_else(|| set.competitor_ids.clone()),
        }
    }
}

impl CompetitorSetInput {
    /// Checks the shape of the set; whether each id is a brand of the tenant
    /// is checked by the service against the repository (see `unknown`).
    pub fn validate(self, unknown: &HashSet<BrandId>) -> DomainResult<CompetitorSetInput> {
        let mut v = Violations::new();
        let name = check_name(&mut v, "name", &self.name);
        if unknown.contains(&self.brand_id) {
            v.add("brand_id", format!("no brand `{}` in this tenant", self.brand_id));
        }
        if self.competitor_ids.len() > COMPETITORS_MAX {
            v.add("competitor_ids", format!("must contain at most {COMPETITORS_MAX} brands"));
            return v.finish(self);
        }
        let mut seen = HashSet::new();
        for (i, id) in self.competitor_ids.iter().enumerate() {
            let at = format!("competitor_ids[{i}]");
            if *id == self.brand_id {
                v.add(at, "is the set's own brand (`brand_id`)");
            } else if !seen.insert(*id) {
                v.add(at, format!("duplicates `{id}`"));
            } else if unknown.contains(id) {
                v.add(at, format!("no brand `{id}` in this tenant"));
            }
        }
        v.finish(CompetitorSetInput { name, ..self })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DomainError;

    #[test]
    fn own_brand_duplicates_and_unknown_ids_are_named() {
        let own = BrandId::new();
        let a = BrandId::new();
        let ghost = BrandId::new();
        let input =
            CompetitorSetInput { name: "Telecom".into(), brand_id: own, competitor_ids: vec![a, own, a, ghost] };
        let unknown: HashSet<_> = [ghost].into();
        let DomainError::Invalid(errors) = input.validate(&unknown).unwrap_err() else { panic!() };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["competitor_ids[1]", "competitor_ids[2]", "competitor_ids[3]"]);
    }
}
