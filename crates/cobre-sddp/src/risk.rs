//! Risk measures: how the outcomes of a stage's openings are aggregated
//! into one cut (and the first-stage openings into the lower bound).
//!
//! A risk measure turns the outcome values and their nominal
//! probabilities into aggregation weights; the cut is the weighted sum of
//! the per-opening cuts (the risk-averse subgradient theorem: the weights
//! are the worst-case probabilities of the measure's dual representation).
//! The measure of stage `t` aggregates the openings of stage `t`, so it
//! shapes the cuts of stage `t − 1` (and, for stage 0, the lower bound).
//!
//! * [`Expectation`]: the nominal probabilities.
//! * [`Cvar`]: `(1 − λ)·E + λ·CVaR_α`, whose worst-case probabilities are
//!   `(1 − λ)·p + λ·ν`: every outcome keeps the floor `(1 − λ)·p`, and `ν`,
//!   the worst case of `CVaR_α`, gives up to `p/α` to the costliest outcomes
//!   first until it sums to one.
//!
//! With CVaR the training "lower bound" is the risk-adjusted value of the
//! first stage, a convergence indicator rather than a bound on a
//! risk-neutral cost.

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

/// The mixture `(1 − λ)·E + λ·CVaR_α` (`α` the tail fraction in (0, 1],
/// `λ` in [0, 1]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cvar {
    /// Tail fraction α.
    pub alpha: f64,
    /// Weight λ of the CVaR term.
    pub lambda: f64,
}

impl RiskMeasure for Cvar {
    fn weights(&self, values: &[f64], probabilities: &[f64], weights: &mut [f64]) {
        // μ = (1 − λ)·p + λ·ν, with ν the worst-case probabilities of
        // CVaR_α: each outcome may take up to p/α, the costliest first
        // (lowest index among equals, so the result is deterministic),
        // until ν sums to one. Unassigned ν are marked NaN while looping.
        let n = weights.len().min(values.len()).min(probabilities.len());
        weights.fill(f64::NAN);
        let mut remaining = 1.0_f64;
        for _ in 0..n {
            let mut best: Option<usize> = None;
            for i in 0..n {
                if weights[i].is_nan() && best.is_none_or(|b| values[i] > values[b]) {
                    best = Some(i);
                }
            }
            let Some(i) = best else {
                break;
            };
            let nu = (probabilities[i] / self.alpha).min(remaining).max(0.0);
            weights[i] = nu;
            remaining -= nu;
        }
        for (w, p) in weights.iter_mut().zip(probabilities) {
            let nu = if w.is_nan() { 0.0 } else { *w };
            *w = (1.0 - self.lambda) * p + self.lambda * nu;
        }
    }
}

/// The runtime risk measure of a stage from the case's choice. A CVaR
/// mixture with `λ = 0` or `α = 1` is the expectation, and is run as one
/// (so its cuts are bit-identical to the risk-neutral ones).
///
/// # Errors
/// [`crate::SddpError::InvalidSetting`] for `α` outside (0, 1] or `λ`
/// outside [0, 1].
pub fn from_config(
    choice: cobre_core::RiskMeasure,
) -> Result<Box<dyn RiskMeasure>, crate::SddpError> {
    match choice {
        cobre_core::RiskMeasure::Expectation => Ok(Box::new(Expectation)),
        cobre_core::RiskMeasure::Cvar { alpha, lambda } => {
            if !(alpha > 0.0 && alpha <= 1.0 && (0.0..=1.0).contains(&lambda)) {
                return Err(crate::SddpError::InvalidSetting {
                    setting: "risk_measure",
                    message: format!(
                        "CVaR needs 0 < alpha ≤ 1 and 0 ≤ lambda ≤ 1, got alpha {alpha}, lambda {lambda}"
                    ),
                });
            }
            if lambda == 0.0 || alpha == 1.0 {
                Ok(Box::new(Expectation))
            } else {
                Ok(Box::new(Cvar { alpha, lambda }))
            }
        }
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

    #[test]
    fn pure_cvar_puts_all_weight_on_the_worst_tail() {
        // Four equiprobable outcomes, α = 0.5: the two costliest share the mass.
        let mut w = [0.0; 4];
        let c = Cvar {
            alpha: 0.5,
            lambda: 1.0,
        };
        c.weights(&[1.0, 4.0, 2.0, 3.0], &[0.25; 4], &mut w);
        assert_eq!(w, [0.0, 0.5, 0.0, 0.5]);
    }

    #[test]
    fn mixture_keeps_a_floor_on_every_outcome_and_sums_to_one() {
        let mut w = [0.0; 4];
        let c = Cvar {
            alpha: 0.25,
            lambda: 0.5,
        };
        c.weights(&[1.0, 4.0, 2.0, 3.0], &[0.25; 4], &mut w);
        // Floor 0.5·0.25 for all; CVaR_0.25 puts its whole mass on the worst.
        assert_eq!(w, [0.125, 0.625, 0.125, 0.125]);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        // The mixture value is between the mean and the worst outcome.
        let v = [1.0, 4.0, 2.0, 3.0];
        let risk: f64 = w.iter().zip(&v).map(|(a, b)| a * b).sum();
        assert!((risk - 3.25).abs() < 1e-12);
    }

    #[test]
    fn ties_are_broken_by_position() {
        let mut w = [0.0; 3];
        let c = Cvar {
            alpha: 1.0 / 3.0,
            lambda: 1.0,
        };
        c.weights(&[5.0, 5.0, 1.0], &[1.0 / 3.0; 3], &mut w);
        assert_eq!(w[1], 0.0);
        assert!((w[0] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn lambda_zero_and_alpha_one_are_the_expectation_and_bad_parameters_are_refused() {
        for (alpha, lambda) in [(0.3, 0.0), (1.0, 0.7)] {
            let r = from_config(cobre_core::RiskMeasure::Cvar { alpha, lambda }).unwrap();
            assert_eq!(format!("{r:?}"), "Expectation");
        }
        for (alpha, lambda) in [
            (0.0, 0.5),
            (1.5, 0.5),
            (0.5, -0.1),
            (0.5, 1.1),
            (f64::NAN, 0.5),
        ] {
            assert!(from_config(cobre_core::RiskMeasure::Cvar { alpha, lambda }).is_err());
        }
    }
}
