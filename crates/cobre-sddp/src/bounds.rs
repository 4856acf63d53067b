//! What an iteration's upper bound is, and what may honestly be said of it.
//!
//! The forward passes of an iteration price the current policy on sampled
//! scenarios. Their mean is an upper bound only in expectation: with a few
//! passes it can fall below the lower bound, and with one pass it is a
//! single sample with no interval at all. The kind of the bound decides
//! what is reported:
//!
//! | kind | upper bound | gap |
//! |---|---|---|
//! | [`UpperBoundKind::Statistical`] | mean of n ≥ 2 passes ± 95 % interval | to the top of the interval, never negative |
//! | [`UpperBoundKind::SingleSample`] | one pass: an estimate, not a bound | none |
//! | [`UpperBoundKind::Exact`] | expected cost over every scenario | `UB − LB`, never negative |
//!
//! Every front end (command line, JSON, Parquet, Python) takes its words
//! from [`UpperBoundKind::as_str`], [`LowerBoundPosition::as_str`] and
//! [`bound_note`], so they say the same thing.

pub use cobre_core::records::{bound_note, relative_gap, LowerBoundPosition, UpperBoundKind};

/// The upper bound of one iteration: its value, spread and kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpperBound {
    /// Mean forward-pass cost ($).
    pub value: f64,
    /// Sample standard deviation of the pass costs ($; 0 with one pass).
    pub std: f64,
    /// Half-width of the 95 % confidence interval of the mean ($; 0 unless
    /// statistical).
    pub ci_95: f64,
    /// What the value is.
    pub kind: UpperBoundKind,
}

impl UpperBound {
    /// The bound of the pass costs `costs`; `single_path` when every pass
    /// follows the one scenario the case has (its cost is then exact).
    #[must_use]
    pub fn from_costs(costs: &[f64], single_path: bool) -> Self {
        let kind = UpperBoundKind::of_sample(costs.len(), single_path);
        #[allow(clippy::cast_precision_loss)]
        let n = costs.len() as f64;
        if costs.is_empty() {
            return Self {
                value: f64::NAN,
                std: 0.0,
                ci_95: 0.0,
                kind,
            };
        }
        let mean = costs.iter().sum::<f64>() / n;
        if costs.len() < 2 {
            return Self {
                value: mean,
                std: 0.0,
                ci_95: 0.0,
                kind,
            };
        }
        let var = costs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let std = var.sqrt();
        Self {
            value: mean,
            std,
            ci_95: if kind == UpperBoundKind::Statistical {
                1.96 * std / n.sqrt()
            } else {
                0.0
            },
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_is_a_single_sample_with_no_interval_and_no_gap() {
        let ub = UpperBound::from_costs(&[120.0], false);
        assert_eq!(ub.kind, UpperBoundKind::SingleSample);
        assert_eq!((ub.value, ub.std, ub.ci_95), (120.0, 0.0, 0.0));
        assert_eq!(relative_gap(ub.kind, 150.0, ub.value, ub.ci_95), None);
    }

    #[test]
    fn one_pass_of_a_deterministic_case_is_exact() {
        let ub = UpperBound::from_costs(&[120.0], true);
        assert_eq!(ub.kind, UpperBoundKind::Exact);
        assert_eq!(relative_gap(ub.kind, 100.0, 120.0, 0.0), Some(20.0 / 100.0));
        // Rounding above the exact bound is no negative gap.
        assert_eq!(relative_gap(ub.kind, 120.000_001, 120.0, 0.0), Some(0.0));
    }

    #[test]
    fn statistical_gap_is_measured_to_the_top_of_the_interval_and_never_negative() {
        let ub = UpperBound::from_costs(&[90.0, 110.0], false);
        assert_eq!(ub.kind, UpperBoundKind::Statistical);
        assert_eq!(ub.value, 100.0);
        let std = 200.0_f64.sqrt();
        assert!((ub.std - std).abs() < 1e-12);
        assert!((ub.ci_95 - 1.96 * std / 2.0_f64.sqrt()).abs() < 1e-12);
        let g = relative_gap(ub.kind, 95.0, ub.value, ub.ci_95).unwrap();
        assert!((g - (100.0 + ub.ci_95 - 95.0) / 95.0).abs() < 1e-12);
        // A lower bound above the whole interval: gap 0, position above.
        assert_eq!(relative_gap(ub.kind, 200.0, ub.value, ub.ci_95), Some(0.0));
        assert_eq!(
            LowerBoundPosition::of(200.0, ub.value, ub.ci_95),
            Some(LowerBoundPosition::Above)
        );
    }

    #[test]
    fn lower_bound_position_against_the_interval() {
        use LowerBoundPosition::{Above, Below, Inside};
        assert_eq!(LowerBoundPosition::of(80.0, 100.0, 10.0), Some(Below));
        assert_eq!(LowerBoundPosition::of(95.0, 100.0, 10.0), Some(Inside));
        assert_eq!(LowerBoundPosition::of(110.0, 100.0, 10.0), Some(Inside));
        assert_eq!(LowerBoundPosition::of(111.0, 100.0, 10.0), Some(Above));
        assert_eq!(LowerBoundPosition::of(f64::NAN, 100.0, 10.0), None);
    }

    #[test]
    fn names_round_trip_and_notes_say_what_the_bound_is() {
        for k in [
            UpperBoundKind::Statistical,
            UpperBoundKind::SingleSample,
            UpperBoundKind::Exact,
        ] {
            assert_eq!(UpperBoundKind::parse(k.as_str()), Some(k));
        }
        for p in [
            LowerBoundPosition::Below,
            LowerBoundPosition::Inside,
            LowerBoundPosition::Above,
        ] {
            assert_eq!(LowerBoundPosition::parse(p.as_str()), Some(p));
        }
        assert!(bound_note(UpperBoundKind::SingleSample, None).contains("not a bound"));
        assert!(bound_note(UpperBoundKind::Exact, None).contains("exact"));
        assert!(bound_note(
            UpperBoundKind::Statistical,
            Some(LowerBoundPosition::Inside)
        )
        .contains("inside"));
    }
}
