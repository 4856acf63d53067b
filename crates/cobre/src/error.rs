//! The one error type of the facade and its stable kinds.

use cobre_io::output::OutputError;
use cobre_io::{FindingKind, LoadError, ValidationReport};
use cobre_sddp::{SddpError, SolveSite};
use cobre_stochastic::StochasticError;
use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong in Cobre, as seen from the public API.
///
/// Each crate's typed error is kept as it is (reach it with
/// [`std::error::Error::source`] or by matching); [`Error::kind`] gives its
/// stable [`ErrorKind`]. The enum is `#[non_exhaustive]` so that adding a
/// failure mode is not a breaking change.
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
    /// The SDDP engine failed: an LP that could not be solved (with its
    /// site), settings it refuses, a policy that does not fit, a failed
    /// sink, communicator or thread pool.
    #[error(transparent)]
    Engine(#[from] SddpError),
    /// Building or sampling the stochastic model failed (a correlation
    /// matrix that is not one, a PAR model that cannot be fitted…).
    #[error(transparent)]
    Stochastic(#[from] StochasticError),
    /// An output or policy could not be written or read.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A worker process of a multi-process run failed.
    #[error("worker {rank} failed{}: {message}", exit_code.map(|c| format!(" (exit code {c})")).unwrap_or_default())]
    Worker {
        /// Rank of the worker.
        rank: usize,
        /// Its exit code, when it exited (negative: killed by that signal).
        exit_code: Option<i32>,
        /// What it reported, or how it ended.
        message: String,
    },
    /// The run was interrupted (Ctrl-C, time limit imposed by the caller).
    #[error("interrupted")]
    Interrupted,
}

/// The stable kinds of [`Error`]: the error kind registry of the
/// structured-output specification (validation kinds, then runtime kinds),
/// plus the few this implementation adds (`Unsupported`,
/// `PolicyIncompatible`, `IoError`, `Interrupted`, `Internal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A validation kind of the registry (`MissingFile` … `Unsupported`):
    /// the case's data or settings break a rule. Validation findings carry
    /// these, and so do engine errors caused by the case.
    Validation(FindingKind),
    /// An LP could not be solved (or a solver call failed).
    SolverFailure,
    /// An MPI collective failed.
    MpiError,
    /// A checkpoint could not be written or read.
    CheckpointFailed,
    /// An output file exists but is unreadable or of an unknown version.
    OutputCorrupted,
    /// A required output file or folder is missing.
    OutputNotFound,
    /// Two runs cannot be compared.
    IncompatibleRuns,
    /// A policy does not fit the case it is applied to.
    PolicyIncompatible,
    /// A worker process (or its communication) failed.
    WorkerFailed,
    /// Reading or writing a file failed.
    IoError,
    /// The run was interrupted.
    Interrupted,
    /// A failure inside Cobre (a thread pool that cannot start…).
    Internal,
}

impl ErrorKind {
    /// The kind's stable name (`"MissingFile"`, `"SolverFailure"`…).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Validation(kind) => kind.as_str(),
            Self::SolverFailure => "SolverFailure",
            Self::MpiError => "MpiError",
            Self::CheckpointFailed => "CheckpointFailed",
            Self::OutputCorrupted => "OutputCorrupted",
            Self::OutputNotFound => "OutputNotFound",
            Self::IncompatibleRuns => "IncompatibleRuns",
            Self::PolicyIncompatible => "PolicyIncompatible",
            Self::WorkerFailed => "WorkerFailed",
            Self::IoError => "IoError",
            Self::Interrupted => "Interrupted",
            Self::Internal => "Internal",
        }
    }

    /// The kind of a validation finding.
    #[must_use]
    pub const fn of_finding(kind: FindingKind) -> Self {
        Self::Validation(kind)
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of an engine error.
fn engine_kind(e: &SddpError) -> ErrorKind {
    match e {
        SddpError::Solver { .. } | SddpError::SolverCall { .. } => ErrorKind::SolverFailure,
        SddpError::InvalidInput { .. } => ErrorKind::Validation(FindingKind::PhysicalConstraint),
        SddpError::InvalidSetting { .. } => {
            ErrorKind::Validation(FindingKind::IncompatibleSettings)
        }
        SddpError::Unsupported { .. } => ErrorKind::Validation(FindingKind::Unsupported),
        SddpError::PolicyMismatch { .. } => ErrorKind::PolicyIncompatible,
        SddpError::Stochastic { source } => stochastic_kind(source),
        SddpError::Sink { .. } => ErrorKind::IoError,
        SddpError::Communicator { .. } => ErrorKind::WorkerFailed,
        _ => ErrorKind::Internal,
    }
}

/// The kind of a stochastic-model error: the case's data breaks a rule of
/// the model, or a sampling scheme the settings ask for cannot be built
/// from it.
fn stochastic_kind(e: &StochasticError) -> ErrorKind {
    match e {
        StochasticError::Sampler { .. } => ErrorKind::Validation(FindingKind::IncompatibleSettings),
        _ => ErrorKind::Validation(FindingKind::PhysicalConstraint),
    }
}

/// The kind of an output error.
fn output_kind(e: &OutputError) -> ErrorKind {
    match e {
        OutputError::Corrupted { .. } | OutputError::UnsupportedVersion { .. } => {
            ErrorKind::OutputCorrupted
        }
        OutputError::Incompatible { .. } => ErrorKind::PolicyIncompatible,
        OutputError::NotFound { .. } => ErrorKind::OutputNotFound,
        _ => ErrorKind::IoError,
    }
}

impl Error {
    /// The error's stable kind. A validation error takes the kind of its
    /// first error finding.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation(r) => r
                .errors()
                .next()
                .map_or(ErrorKind::Validation(FindingKind::SchemaViolation), |f| {
                    ErrorKind::of_finding(f.kind)
                }),
            Error::Io { .. } => ErrorKind::IoError,
            Error::Engine(e) => engine_kind(e),
            Error::Stochastic(e) => stochastic_kind(e),
            Error::Output(e) => output_kind(e),
            Error::Worker { .. } => ErrorKind::WorkerFailed,
            Error::Interrupted => ErrorKind::Interrupted,
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

    /// Where a failed LP solve happened, for a solver failure at a solve.
    #[must_use]
    pub fn solve_site(&self) -> Option<SolveSite> {
        match self {
            Error::Engine(SddpError::Solver { site, .. }) => Some(*site),
            _ => None,
        }
    }

    /// What the LP solver reported, for a solver failure.
    #[must_use]
    pub fn solver_status(&self) -> Option<String> {
        match self {
            Error::Engine(
                SddpError::Solver { source, .. } | SddpError::SolverCall { source, .. },
            ) => Some(source.to_string()),
            _ => None,
        }
    }

    /// The file or folder involved, when one is.
    #[must_use]
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Error::Io { path, .. } => Some(path),
            Error::Output(
                OutputError::Io { path, .. }
                | OutputError::NotFound { path }
                | OutputError::Encode { path, .. }
                | OutputError::Corrupted { path, .. }
                | OutputError::UnsupportedVersion { path, .. }
                | OutputError::Incompatible { path, .. }
                | OutputError::InvalidPath { path, .. },
            ) => Some(path),
            _ => None,
        }
    }

    /// The OS error number, for an I/O failure that has one.
    #[must_use]
    pub fn os_error(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } | Error::Output(OutputError::Io { source, .. }) => {
                source.raw_os_error()
            }
            Error::Output(OutputError::NotFound { .. }) => Some(2),
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

impl From<LoadError> for Error {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Invalid(report) => Error::Validation(report),
            // Later variants carry no report: keep them typed as engine
            // input errors.
            #[allow(unreachable_patterns)]
            other => Error::Engine(SddpError::InvalidInput {
                what: "case".into(),
                message: other.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cobre_solver::SolverError;

    #[test]
    fn a_failed_solve_keeps_its_site_status_and_source_chain() {
        let site = SolveSite {
            phase: cobre_sddp::Phase::Backward,
            iteration: 7,
            stage: 3,
            scenario: 2,
            opening: Some(5),
        };
        let e = Error::from(SddpError::Solver {
            site,
            source: SolverError::Infeasible {
                model_status: 8,
                retried_cold: true,
            },
        });
        assert_eq!(e.kind(), ErrorKind::SolverFailure);
        assert_eq!(e.solve_site(), Some(site));
        let status = e.solver_status().unwrap();
        assert!(status.starts_with("LP is infeasible"), "{status}");
        assert!(e.to_string().contains("iteration 7, stage 3"), "{e}");
        // The chain reaches the solver's own error.
        let source = std::error::Error::source(&e).unwrap();
        assert!(source.is::<SolverError>());
    }

    #[test]
    fn engine_and_stochastic_errors_get_registry_kinds() {
        let thread_pool = Error::from(SddpError::ThreadPool {
            threads: 0,
            message: "none".into(),
        });
        assert_eq!(thread_pool.kind(), ErrorKind::Internal);
        let setting = Error::from(SddpError::InvalidSetting {
            setting: "threads",
            message: "must be at least 1".into(),
        });
        assert_eq!(
            setting.kind(),
            ErrorKind::Validation(FindingKind::IncompatibleSettings)
        );
        let comm = Error::from(SddpError::Communicator {
            message: "peer gone".into(),
        });
        assert_eq!(comm.kind(), ErrorKind::WorkerFailed);
        let corr = Error::from(SddpError::Stochastic {
            source: StochasticError::InvalidCorrelation {
                profile: "p".into(),
                message: "not symmetric".into(),
            },
        });
        assert_eq!(
            corr.kind(),
            ErrorKind::Validation(FindingKind::PhysicalConstraint)
        );
        assert!(std::error::Error::source(&corr).is_some());
        let policy = Error::from(SddpError::PolicyMismatch {
            message: "3 stages, case has 4".into(),
        });
        assert_eq!(policy.kind().as_str(), "PolicyIncompatible");
    }
}
