use chrono::{DateTime, Utc};

use crate::error::{DomainResult, Violations};
use crate::ids::TenantId;

#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    /// IANA zone; the default `tz` of every report.
    pub timezone: String,
    pub created_at: DateTime<Utc>,
}

pub const NAME_MAX: usize = 200;

/// Validates a display name (tenant, brand, set, key): 1..=200 characters after trimming.
pub fn check_name(v: &mut Violations, field: &str, name: &str) -> String {
    let name = crate::text::tidy(name);
    if name.is_empty() {
        v.add(field, "must not be empty");
    } else if name.chars().count() > NAME_MAX {
        v.add(field, format!("must be at most {NAME_MAX} characters"));
    } else if name.chars().any(char::is_control) {
        v.add(field, "must not contain control characters");
    }
    name
}

/// Checks an IANA time zone name such as `Europe/Moscow`.
pub fn check_timezone(v: &mut Violations, field: &str, tz: &str) {
    if tz.parse::<chrono_tz::Tz>().is_err() {
        v.add(field, format!("`{tz}` is not an IANA time zone (e.g. `Europe/Moscow`, `UTC`)"));
    }
}

#[derive(Debug, Clone, Default)]
pub struct TenantPatch {
    pub name: Option<String>,
    pub timezone: Option<String>,
}

impl TenantPatch {
    pub fn apply(self, mut tenant: Tenant) -> DomainResult<Tenant> {
        let mut v = Violations::new();
        if let Some(name) = self.name {
            tenant.name = check_name(&mut v, "name", &name);
        }
        if let Some(tz) = self.timezone {
            check_timezone(&mut v, "timezone", &tz);
            tenant.timezone = tz;
        }
        v.finish(tenant)
    }
}
