//! The error type of `cobre-io`.

use crate::report::ValidationReport;
use thiserror::Error;

/// Why a case could not be loaded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Validation found at least one error; the report holds every finding.
    #[error("the case is invalid: {report}", report = .0)]
    Invalid(Box<ValidationReport>),
}

impl LoadError {
    /// The validation report, when the error carries one.
    #[must_use]
    pub fn report(&self) -> Option<&ValidationReport> {
        match self {
            LoadError::Invalid(r) => Some(r),
        }
    }
}
