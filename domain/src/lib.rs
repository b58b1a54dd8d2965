//! SMRM's core: entities, value objects, rules, the ports they need, and the
//! use-case services. It knows nothing of HTTP, SQL or caches.

pub mod error;
pub mod ids;
pub mod metrics;
pub mod model;
pub mod page;
pub mod ports;
pub mod ratelimit;
pub mod services;
pub mod text;

pub use error::{DomainError, DomainResult, FieldError, FieldErrors};
