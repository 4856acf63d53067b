//! The error type of the stochastic layer.

use crate::noise::NoiseClass;
use thiserror::Error;

/// Something in the case's scenario data that prevents building the
/// stochastic model or a sampler. Every variant says which entity/stage and why.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum StochasticError {
    /// A value is missing or outside its domain (negative std, NaN, ratio ∉ (0, 1]...).
    #[error("{what}: {message}")]
    InvalidInput {
        /// What is wrong (entity, stage, field).
        what: String,
        /// Why it is refused.
        message: String,
    },
    /// AR coefficients of a (hydro, stage) group are inconsistent (lags not 1..p,
    /// differing residual ratios) or reference statistics that do not exist.
    #[error("AR model of hydro {hydro} at stage {stage}: {message}")]
    InvalidArModel {
        /// Raw hydro id.
        hydro: i32,
        /// Raw stage id.
        stage: i32,
        /// Why.
        message: String,
    },
    /// Fitting a PAR model from history failed (too few observations, no season
    /// definitions, ...).
    #[error("fitting PAR model of hydro {hydro}: {message}")]
    Fitting {
        /// Raw hydro id.
        hydro: i32,
        /// Why.
        message: String,
    },
    /// A correlation matrix is structurally invalid (not square, not symmetric,
    /// diagonal not 1, entries outside [-1, 1], unknown entity). Numerically
    /// indefinite matrices are repaired instead (see `correlation`).
    #[error("correlation profile `{profile}`: {message}")]
    InvalidCorrelation {
        /// Profile name.
        profile: String,
        /// Why.
        message: String,
    },
    /// A sampling scheme cannot be built from the case's data (e.g. `external`
    /// without external scenarios, `historical` without history covering the study).
    #[error("{scheme} sampling of {class}: {message}")]
    Sampler {
        /// Scheme name (`in_sample`, `external`...).
        scheme: &'static str,
        /// Noise class (displayed as `inflow`, `load`, `ncs`).
        class: NoiseClass,
        /// Why.
        message: String,
    },
}

impl StochasticError {
    /// Shorthand for [`StochasticError::InvalidInput`].
    pub(crate) fn invalid(what: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            what: what.into(),
            message: message.into(),
        }
    }
}
