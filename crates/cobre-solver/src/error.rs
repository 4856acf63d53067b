//! The one error type of this crate.

use crate::status::SolveStatus;

/// Everything that can go wrong in the LP layer.
///
/// Solve failures ([`Infeasible`](Self::Infeasible) …
/// [`NumericalTrouble`](Self::NumericalTrouble)) carry HiGHS' own
/// `model_status` (a `kHighsModelStatus*` code) and whether the failure was
/// confirmed by a cold retry. Input errors are raised *before* anything is
/// sent to HiGHS, so the solver instance is unchanged when they are returned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SolverError {
    /// The LP has no feasible point.
    #[error("LP is infeasible (HiGHS model status {model_status}, cold retry: {retried_cold})")]
    Infeasible {
        /// HiGHS `kHighsModelStatus*` code of the last attempt.
        model_status: i32,
        /// Whether a warm attempt failed and a cold retry confirmed it.
        retried_cold: bool,
    },
    /// The LP is feasible but its objective is unbounded below.
    #[error("LP is unbounded (HiGHS model status {model_status}, cold retry: {retried_cold})")]
    Unbounded {
        /// HiGHS `kHighsModelStatus*` code of the last attempt.
        model_status: i32,
        /// Whether a warm attempt failed and a cold retry confirmed it.
        retried_cold: bool,
    },
    /// HiGHS proved that the LP is infeasible or unbounded without deciding
    /// which (dual infeasible, primal status unknown).
    #[error(
        "LP is infeasible or unbounded (HiGHS model status {model_status}, cold retry: {retried_cold})"
    )]
    InfeasibleOrUnbounded {
        /// HiGHS `kHighsModelStatus*` code of the last attempt.
        model_status: i32,
        /// Whether a warm attempt failed and a cold retry confirmed it.
        retried_cold: bool,
    },
    /// The simplex iteration limit of [`SolverOptions`](crate::SolverOptions)
    /// was reached before optimality.
    #[error("simplex iteration limit reached after {iterations} iterations (HiGHS model status {model_status})")]
    IterationLimit {
        /// HiGHS `kHighsModelStatus*` code of the last attempt.
        model_status: i32,
        /// Simplex iterations spent in this call of `solve` (all attempts).
        iterations: u64,
        /// Whether a warm attempt failed and a cold retry confirmed it.
        retried_cold: bool,
    },
    /// The per-solve time limit of [`SolverOptions`](crate::SolverOptions)
    /// was reached before optimality. Never retried.
    #[error("time limit reached after {time_s:.3} s (HiGHS model status {model_status})")]
    TimeLimit {
        /// HiGHS `kHighsModelStatus*` code.
        model_status: i32,
        /// Wall time spent in this call of `solve`, in seconds.
        time_s: f64,
    },
    /// HiGHS ended without a usable answer: solve error, unknown status, or
    /// any other non-optimal outcome (numerical difficulties, singular
    /// bases, interrupted runs).
    #[error(
        "HiGHS failed to solve the LP (run status {run_status}, model status {model_status}, cold retry: {retried_cold})"
    )]
    NumericalTrouble {
        /// HiGHS `kHighsStatus*` code returned by `Highs_run` (-1 error, 1 warning, 0 ok).
        run_status: i32,
        /// HiGHS `kHighsModelStatus*` code of the last attempt.
        model_status: i32,
        /// Whether a warm attempt failed and a cold retry confirmed it.
        retried_cold: bool,
    },
    /// The model passed to `load_model` is malformed (lengths, CSC
    /// structure, NaN or infinite coefficients). Nothing was loaded.
    #[error("invalid LP model: {reason}")]
    InvalidModel {
        /// What is wrong, in words.
        reason: String,
    },
    /// Two arrays that must have matching lengths do not.
    #[error("{what}: expected length {expected}, got {actual}")]
    DimensionMismatch {
        /// Which argument.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length passed.
        actual: usize,
    },
    /// A row or column index is out of range (or a set of indices is not
    /// strictly increasing where that is required).
    #[error("{what}: index {index} out of range (bound {bound})")]
    IndexOutOfRange {
        /// Which argument.
        what: &'static str,
        /// The offending index.
        index: usize,
        /// The exclusive upper bound the index had to respect.
        bound: usize,
    },
    /// A value that must be a number is NaN (bounds, costs, coefficients).
    #[error("{what}: NaN at position {position}")]
    NotANumber {
        /// Which argument.
        what: &'static str,
        /// Position of the NaN inside that argument.
        position: usize,
    },
    /// A size exceeds what HiGHS' integer type (`HighsInt`) can index.
    #[error("{what}: {value} does not fit HiGHS' integer type")]
    TooLarge {
        /// Which quantity.
        what: &'static str,
        /// Its value.
        value: usize,
    },
    /// Invalid [`SolverOptions`](crate::SolverOptions).
    #[error("invalid solver options: {reason}")]
    InvalidOptions {
        /// What is wrong, in words.
        reason: String,
    },
    /// A HiGHS library call returned `kHighsStatusError`.
    #[error("HiGHS call {call} failed with status {status}")]
    HighsCall {
        /// Name of the C function.
        call: &'static str,
        /// The `kHighsStatus*` code it returned.
        status: i32,
    },
    /// `Highs_create` returned a null pointer (out of memory).
    #[error("could not create a HiGHS instance")]
    CreateFailed,
}

impl SolverError {
    /// How the solve ended, for the solve-failure variants; `None` for
    /// input and library errors.
    #[must_use]
    pub fn solve_status(&self) -> Option<SolveStatus> {
        match self {
            Self::Infeasible { .. } => Some(SolveStatus::Infeasible),
            Self::Unbounded { .. } => Some(SolveStatus::Unbounded),
            Self::InfeasibleOrUnbounded { .. } => Some(SolveStatus::InfeasibleOrUnbounded),
            Self::IterationLimit { .. } => Some(SolveStatus::IterationLimit),
            Self::TimeLimit { .. } => Some(SolveStatus::TimeLimit),
            Self::NumericalTrouble { model_status, .. } => {
                Some(SolveStatus::from_highs_model_status(*model_status))
            }
            _ => None,
        }
    }

    /// HiGHS' `kHighsModelStatus*` code, for the solve-failure variants.
    #[must_use]
    pub fn highs_model_status(&self) -> Option<i32> {
        match self {
            Self::Infeasible { model_status, .. }
            | Self::Unbounded { model_status, .. }
            | Self::InfeasibleOrUnbounded { model_status, .. }
            | Self::IterationLimit { model_status, .. }
            | Self::TimeLimit { model_status, .. }
            | Self::NumericalTrouble { model_status, .. } => Some(*model_status),
            _ => None,
        }
    }
}
