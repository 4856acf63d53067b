//! The one error type of the facade.

use cobre_io::{LoadError, ValidationReport};
use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong in Cobre, as seen from the public API.
///
/// Every variant has a stable [`Error::kind`] string (the Python binding maps
/// each kind to one exception class). New failure modes are added as new
/// variants; the enum is `#[non_exhaustive]` so that adding one is not a
/// breaking change.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The case failed validation; the report holds every finding.
    #[error("invalid case: {0}")]
    Validation(Box<ValidationReport>),
    /// A file or directory could not be read or written.
    #[error("I/O error on `{}`: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An LP could not be solved, or a call to the LP solver failed.
    #[error("solver error: {message}")]
    Solver {
        /// The whole message (site and solver status included).
        message: String,
        /// Where the failed solve happened (phase, iteration, stage,
        /// scenario, opening); `None` for a failed solver call outside a
        /// solve (loading a model, appending cut rows).
        site: Option<crate::SolveSite>,
        /// What the solver reported (for example `infeasible`), with
        /// HiGHS' own status.
        status: String,
    },
    /// Building or sampling the stochastic model failed (a correlation
    /// matrix that cannot be factored, a PAR model that cannot be fitted…).
    #[error("stochastic model error: {0}")]
    Stochastic(String),
    /// Training or simulation failed for another reason: invalid settings,
    /// a policy that does not fit the case, a failed sink, communicator or
    /// thread pool.
    #[error("SDDP error: {0}")]
    Sddp(String),
    /// The run was interrupted (Ctrl-C, time limit imposed by the caller).
    #[error("interrupted")]
    Interrupted,
    /// An output or policy could not be written or read: kind
    /// `OutputCorrupted` for a truncated, modified or unknown-version file,
    /// `PolicyIncompatible` for a policy of another case, `Io` otherwise.
    #[error(transparent)]
    Output(#[from] cobre_io::output::OutputError),
}

impl Error {
    /// Stable identifier of the variant.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Validation(_) => "Validation",
            Error::Io { .. } => "Io",
            Error::Solver { .. } => "Solver",
            Error::Stochastic(_) => "Stochastic",
            Error::Sddp(_) => "Sddp",
            Error::Interrupted => "Interrupted",
            Error::Output(e) => output_kind(e),
        }
    }

    /// The validation report, for [`Error::Validation`].
    #[must_use]
    pub fn report(&self) -> Option<&ValidationReport> {
        match self {
            Error::Validation(r) => Some(r),
            _ => None,
        }
    }

    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// The kind of an output error.
fn output_kind(e: &cobre_io::output::OutputError) -> &'static str {
    use cobre_io::output::OutputError as O;
    match e {
        O::Corrupted { .. } | O::UnsupportedVersion { .. } => "OutputCorrupted",
        O::Incompatible { .. } => "PolicyIncompatible",
        _ => "Io",
    }
}

impl From<LoadError> for Error {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Invalid(report) => Error::Validation(report),
            other => Error::Sddp(other.to_string()),
        }
    }
}
