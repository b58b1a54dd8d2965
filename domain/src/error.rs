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

/// The broken rules of one input: the first [`FieldErrors::MAX`] listed, and
/// how many more there were. A request of 200,000 bad items costs an answer
/// of a hundred, and validation may stop once the list is full.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    listed: Vec<FieldError>,
    more: usize,
}

impl FieldErrors {
    /// Errors listed in one answer at most.
    pub const MAX: usize = 100;

    pub fn push(&mut self, e: FieldError) {
        if self.listed.len() < Self::MAX {
            self.listed.push(e);
        } else {
            self.more = self.more.saturating_add(1);
        }
    }

    /// No more errors will be listed: a validator looping over items may stop.
    pub fn is_full(&self) -> bool {
        self.listed.len() >= Self::MAX
    }

    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// The errors found beyond those listed (a lower bound once a validator
    /// stopped early).
    pub fn more(&self) -> usize {
        self.more
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.listed
    }
}

impl std::ops::Deref for FieldErrors {
    type Target = [FieldError];

    fn deref(&self) -> &[FieldError] {
        &self.listed
    }
}

impl From<Vec<FieldError>> for FieldErrors {
    fn from(all: Vec<FieldError>) -> Self {
        let mut errors = Self::default();
        for e in all {
            errors.push(e);
        }
        errors
    }
}

impl IntoIterator for FieldErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;

    fn into_iter(self) -> Self::IntoIter {
        self.listed.into_iter()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The input is well-formed but breaks rules; the broken rules are listed
    /// (the first hundred).
    #[error("validation failed")]
    Invalid(FieldErrors),
    /// Nothing of that kind exists for this tenant (also: it belongs to another tenant).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state (a duplicate, a resource in use).
    #[error("{0}")]
    Conflict(String),
    /// The tenant already has as many of these as its quota allows.
    #[error("the quota of {limit} {} is reached", .quota.noun())]
    QuotaExceeded { quota: crate::model::quota::Quota, limit: u32 },
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
        Self::Invalid(vec![FieldError::new(field, message)].into())
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

/// Collects field errors so that one answer names every broken rule at once
/// (up to [`FieldErrors::MAX`]).
#[derive(Debug, Default)]
pub struct Violations(FieldErrors);

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

    /// The list is full: checking further items changes nothing listed.
    pub fn is_full(&self) -> bool {
        self.0.is_full()
    }

    pub fn into_errors(self) -> FieldErrors {
        self.0
    }

    /// `Ok(value)` when nothing was added, the collected errors otherwise.
    pub fn finish<T>(self, value: T) -> DomainResult<T> {
        if self.0.is_empty() { Ok(value) } else { Err(DomainError::Invalid(self.0)) }
    }
}
