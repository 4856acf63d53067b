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

/// How the upper bound of an iteration was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum UpperBoundKind {
    /// The mean cost of n ≥ 2 sampled forward passes: a statistical
    /// estimate of an upper bound, with a 95 % confidence interval.
    #[default]
    Statistical,
    /// The cost of one sampled forward pass: an estimate, not a bound (no
    /// interval, no gap).
    SingleSample,
    /// The expected cost of the policy over every scenario the forward pass
    /// can meet (a deterministic case, or an enumerated scenario tree): an
    /// exact upper bound.
    Exact,
}

impl UpperBoundKind {
    /// The stable name: `statistical`, `single_sample` or `exact` (the
    /// `upper_bound_kind` column and JSON field).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Statistical => "statistical",
            Self::SingleSample => "single_sample",
            Self::Exact => "exact",
        }
    }

    /// The kind named `name` ([`Self::as_str`]), if any.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "statistical" => Some(Self::Statistical),
            "single_sample" => Some(Self::SingleSample),
            "exact" => Some(Self::Exact),
            _ => None,
        }
    }

    /// The kind of the mean of `passes` sampled forward passes, or
    /// [`Self::Exact`] when every pass follows the only possible scenario.
    #[must_use]
    pub fn of_sample(passes: usize, single_path: bool) -> Self {
        if single_path {
            Self::Exact
        } else if passes >= 2 {
            Self::Statistical
        } else {
            Self::SingleSample
        }
    }

    /// One sentence on what the upper bounds of this kind are (the header
    /// of a convergence table; [`bound_note`] adds where the lower bound
    /// lies).
    #[must_use]
    pub fn note(self) -> &'static str {
        match self {
            Self::Statistical => {
                "the upper bound is a statistical estimate (the mean cost of the forward \
                 passes, with its 95 % interval); the gap is measured to the top of the interval"
            }
            _ => bound_note(self, None),
        }
    }

    /// What the number is, in a few words (`statistical estimate (95 %
    /// interval)`, `one forward pass: an estimate, not a bound`, `exact`).
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Statistical => "statistical estimate (95 % interval)",
            Self::SingleSample => "one forward pass: an estimate, not a bound",
            Self::Exact => "exact",
        }
    }
}

/// Where the lower bound lies with respect to the upper bound's 95 %
/// interval (statistical bounds only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LowerBoundPosition {
    /// Below the interval: the bounds have not met yet.
    Below,
    /// Inside the interval: the bounds cannot be told apart at 95 %.
    Inside,
    /// Above the interval: the forward passes sampled cheap scenarios
    /// (too few passes to trust the estimate).
    Above,
}

impl LowerBoundPosition {
    /// The stable name: `below`, `inside` or `above`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Below => "below",
            Self::Inside => "inside",
            Self::Above => "above",
        }
    }

    /// The position named `name` ([`Self::as_str`]), if any.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "below" => Some(Self::Below),
            "inside" => Some(Self::Inside),
            "above" => Some(Self::Above),
            _ => None,
        }
    }

    /// Where `lower` lies against `upper ± ci_95`.
    #[must_use]
    pub fn of(lower: f64, upper: f64, ci_95: f64) -> Option<Self> {
        if !(lower.is_finite() && upper.is_finite() && ci_95.is_finite()) {
            return None;
        }
        Some(if lower < upper - ci_95 {
            Self::Below
        } else if lower > upper + ci_95 {
            Self::Above
        } else {
            Self::Inside
        })
    }
}

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

/// The relative gap that may be claimed between `lower` and an upper bound
/// `upper` (± `ci_95`) of kind `kind`, never negative:
///
/// * statistical: `(upper + ci_95 − lower) / max(1, |lower|)`, the distance
///   from the lower bound to the top of the 95 % interval (0 when the lower
///   bound lies above the interval);
/// * exact: `(upper − lower) / max(1, |lower|)`, 0 when rounding puts the
///   lower bound above;
/// * one sample: `None`, there is no bound to measure a gap to.
///
/// Relative to the lower bound, as Cobre 0.18's gap rule and `gap_percent`.
#[must_use]
pub fn relative_gap(kind: UpperBoundKind, lower: f64, upper: f64, ci_95: f64) -> Option<f64> {
    let top = match kind {
        UpperBoundKind::Statistical => upper + ci_95,
        UpperBoundKind::Exact => upper,
        UpperBoundKind::SingleSample => return None,
    };
    let gap = (top - lower) / lower.abs().max(1.0);
    gap.is_finite().then_some(gap.max(0.0))
}

/// One sentence on what the bounds of a record mean, the same wording
/// everywhere (summary, JSON, Python).
#[must_use]
pub fn bound_note(kind: UpperBoundKind, position: Option<LowerBoundPosition>) -> &'static str {
    match (kind, position) {
        (UpperBoundKind::SingleSample, _) => {
            "the upper bound is the cost of one forward pass: an estimate, not a bound \
             (no interval, no gap); use 2 or more forward passes for a statistical bound"
        }
        (UpperBoundKind::Exact, _) => {
            "the upper bound is exact (the expected cost over every scenario of the case)"
        }
        (_, Some(LowerBoundPosition::Inside)) => {
            "the upper bound is a statistical estimate; the lower bound lies inside its \
             95 % interval (the bounds cannot be told apart)"
        }
        (_, Some(LowerBoundPosition::Above)) => {
            "the upper bound is a statistical estimate; the lower bound lies above its \
             95 % interval (too few forward passes to trust the estimate)"
        }
        _ => {
            "the upper bound is a statistical estimate; the lower bound lies below its \
             95 % interval (the bounds have not met)"
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
