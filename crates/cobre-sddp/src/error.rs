//! The error type of the SDDP engine.

use cobre_solver::SolverError;
use thiserror::Error;

/// Where in the algorithm an LP solve failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SolveSite {
    /// Phase of the run.
    pub phase: Phase,
    /// Training iteration (1-based; 0 outside training).
    pub iteration: u64,
    /// Stage index (0-based).
    pub stage: usize,
    /// Forward scenario or trial state index.
    pub scenario: usize,
    /// Opening index for backward solves.
    pub opening: Option<usize>,
}

impl std::fmt::Display for SolveSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} pass, iteration {}, stage {}, scenario {}",
            self.phase, self.iteration, self.stage, self.scenario
        )?;
        if let Some(o) = self.opening {
            write!(f, ", opening {o}")?;
        }
        Ok(())
    }
}

/// Phase of a run in which a solve happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// Forward pass of training.
    #[default]
    Forward,
    /// Backward pass of training.
    Backward,
    /// Lower-bound evaluation (first stage, every opening).
    LowerBound,
    /// Policy simulation.
    Simulation,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Forward => "forward",
            Self::Backward => "backward",
            Self::LowerBound => "lower-bound",
            Self::Simulation => "simulation",
        })
    }
}

/// Everything that can go wrong in the SDDP engine.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SddpError {
    /// An LP could not be solved to optimality (or a solver call failed).
    #[error("LP solve failed ({site}): {source}")]
    Solver {
        /// Where it happened.
        site: SolveSite,
        /// The solver's error.
        #[source]
        source: SolverError,
    },
    /// A solver call outside of a solve failed (model load, row append...).
    #[error("LP solver call failed while {context}: {source}")]
    SolverCall {
        /// What the engine was doing.
        context: String,
        /// The solver's error.
        #[source]
        source: SolverError,
    },
    /// The case content cannot be turned into a stage LP.
    #[error("invalid input for {what}: {message}")]
    InvalidInput {
        /// Entity and field concerned.
        what: String,
        /// Why.
        message: String,
    },
    /// A setting is out of its admissible domain.
    #[error("invalid setting `{setting}`: {message}")]
    InvalidSetting {
        /// Setting name.
        setting: &'static str,
        /// Why.
        message: String,
    },
    /// The case uses a feature this engine does not model yet.
    #[error("unsupported feature: {feature}")]
    Unsupported {
        /// Description of the feature.
        feature: String,
    },
    /// A policy does not fit the case it is applied to.
    #[error("policy does not match the case: {message}")]
    PolicyMismatch {
        /// What differs.
        message: String,
    },
    /// The stochastic model could not be built.
    #[error("stochastic model: {source}")]
    Stochastic {
        /// The stochastic layer's error.
        #[source]
        source: cobre_stochastic::StochasticError,
    },
    /// A simulation sink refused a result.
    #[error("simulation sink failed: {message}")]
    Sink {
        /// Why.
        message: String,
    },
    /// The communicator between processes failed.
    #[error("communicator: {message}")]
    Communicator {
        /// Why.
        message: String,
    },
    /// The worker thread pool could not be created.
    #[error("could not start {threads} worker threads: {message}")]
    ThreadPool {
        /// Requested thread count.
        threads: usize,
        /// Why.
        message: String,
    },
}

impl SddpError {
    /// A stable machine-readable name of the error kind.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Solver { .. } | Self::SolverCall { .. } => "solver",
            Self::InvalidInput { .. } => "invalid_input",
            Self::InvalidSetting { .. } => "invalid_setting",
            Self::Unsupported { .. } => "unsupported",
            Self::PolicyMismatch { .. } => "policy_mismatch",
            Self::Stochastic { .. } => "stochastic",
            Self::Sink { .. } => "sink",
            Self::Communicator { .. } => "communicator",
            Self::ThreadPool { .. } => "thread_pool",
        }
    }

    pub(crate) fn invalid(what: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            what: what.into(),
            message: message.into(),
        }
    }
}

/// Adds context to solver call results.
pub(crate) trait SolverContext<T> {
    /// Wraps the error as [`SddpError::SolverCall`].
    fn call_context(self, context: impl FnOnce() -> String) -> Result<T, SddpError>;
    /// Wraps the error as [`SddpError::Solver`] at a site.
    fn at(self, site: SolveSite) -> Result<T, SddpError>;
}

impl<T> SolverContext<T> for Result<T, SolverError> {
    fn call_context(self, context: impl FnOnce() -> String) -> Result<T, SddpError> {
        self.map_err(|source| SddpError::SolverCall {
            context: context(),
            source,
        })
    }
    fn at(self, site: SolveSite) -> Result<T, SddpError> {
        self.map_err(|source| SddpError::Solver { site, source })
    }
}
