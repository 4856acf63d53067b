//! Risk measures: how the outcomes of a stage's openings are aggregated
//! into one cut (and the first-stage openings into the lower bound).
//!
//! A risk measure turns the outcome values and their nominal
//! probabilities into aggregation weights; the cut is the weighted sum of
//! the per-opening cuts. Expectation keeps the probabilities; a CVaR
//! mixture will shift weight to the costliest outcomes.

use std::fmt::Debug;

/// Aggregation rule for the outcomes of one stage.
pub trait RiskMeasure: Send + Sync + Debug {
    /// Writes the aggregation weight of each outcome into `weights`, given
    /// the outcome values (costs, scaled) and nominal probabilities (all
    /// three slices have the same length; the weights sum to one).
    fn weights(&self, values: &[f64], probabilities: &[f64], weights: &mut [f64]);
}

/// Risk neutral: the probability-weighted mean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expectation;

impl RiskMeasure for Expectation {
    fn weights(&self, _values: &[f64], probabilities: &[f64], weights: &mut [f64]) {
        weights.copy_from_slice(probabilities);
    }
}

/// The runtime risk measure of a stage from the case's choice.
///
/// # Errors
/// [`crate::SddpError::Unsupported`] for CVaR (not modelled yet).
pub fn from_config(
    choice: cobre_core::RiskMeasure,
) -> Result<Box<dyn RiskMeasure>, crate::SddpError> {
    match choice {
        cobre_core::RiskMeasure::Expectation => Ok(Box::new(Expectation)),
        cobre_core::RiskMeasure::Cvar { .. } => Err(crate::SddpError::Unsupported {
            feature: "CVaR risk measure".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectation_weights_are_the_probabilities() {
        let mut w = [0.0; 3];
        Expectation.weights(&[3.0, 1.0, 2.0], &[0.2, 0.3, 0.5], &mut w);
        assert_eq!(w, [0.2, 0.3, 0.5]);
    }
}
