//! What every area's DTOs share: serde helpers for PATCH bodies, and the
//! macros that make list pages and mirrored enums.

use serde::{Deserialize, Deserializer};
use smrm_domain::ids::BrandId;
use uuid::Uuid;

/// For PATCH bodies: an absent field is left as it is; `null` is refused
/// (422), since none of these fields can be empty.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

pub(crate) fn ids(v: Vec<Uuid>) -> Vec<BrandId> {
    v.into_iter().map(BrandId).collect()
}

pub(crate) fn uuids(v: &[BrandId]) -> Vec<Uuid> {
    v.iter().map(|b| b.0).collect()
}

/// `absent` → `None`; `null` → `Some(None)`; a value → `Some(Some(v))`.
pub(crate) fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

macro_rules! list_type {
    ($($(#[$doc:meta])* $name:ident => $item:ty;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Serialize, ToSchema)]
        #[schema(example = json!({"data": [], "next_cursor": "AZPx0lxOehCfOyocngt9EQ"}))]
        pub struct $name {
            pub data: Vec<$item>,
            /// Pass as `cursor` to get the next page; `null` on the last page.
            pub next_cursor: Option<String>,
        }

        impl<T: Into<$item>> From<smrm_domain::page::Page<T>> for $name {
            fn from(page: smrm_domain::page::Page<T>) -> Self {
                Self { data: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_after.map($crate::extract::encode_cursor) }
            }
        }
    )*};
}
pub(crate) use list_type;

/// Mirrors a domain enum as a snake_case string enum with an OpenAPI schema.
macro_rules! dto_enum {
    ($(#[$doc:meta])* $dto:ident as $schema:ident <=> $domain:ident { $($v:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
        #[serde(rename_all = "snake_case")]
        #[schema(as = $schema)]
        pub enum $dto { $($v),* }

        impl From<$dto> for $domain {
            fn from(d: $dto) -> $domain {
                match d { $($dto::$v => $domain::$v),* }
            }
        }

        impl From<$domain> for $dto {
            fn from(d: $domain) -> $dto {
                match d { $($domain::$v => $dto::$v),* }
            }
        }
    };
}
pub(crate) use dto_enum;

/// `#[serde(default = "yes")]`: a flag that is on unless sent as `false`.
pub(crate) fn yes() -> bool {
    true
}
