//! The one error type of the domain layer. It speaks in domain words; the API
//! maps each variant to an HTTP status exactly once (`api/src/problem.rs`).

use serde::Serialize;

/// A problem with one input field. `field` is a JSON path such as
/// `keywords[2]` or `items[17].published_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The input is well-formed but breaks a rule; every broken rule is listed.
    #[error("validation failed")]
    Invalid(Vec<FieldError>),
    /// Nothing of that kind exists for this tenant (also: it belongs to another tenant).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state (a duplicate, a resource in use).
    #[error("{0}")]
    Conflict(String),
    /// The caller is known, but its role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// A backing service (the database) cannot be reached right now.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Anything unexpected; the message is logged, never shown to the caller.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

/// Collects field errors so that one answer names every broken rule at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was added, the collected errors otherwise.
    pub fn finish<T>(self, value: T) -> DomainResult<T> {
        if self.0.is_empty() { Ok(value) } else { Err(DomainError::Invalid(self.0)) }
    }
}
