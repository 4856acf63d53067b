//! The record of a training iteration: its bounds, what kind of upper
//! bound it is, and what may honestly be said of it.
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

/// The convergence record of one training iteration.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IterationRecord {
    /// Iteration number (1-based).
    pub iteration: u64,
    /// Lower bound ($, present value at the first stage).
    pub lower_bound: f64,
    /// Mean forward-pass cost ($): an upper bound of the kind
    /// [`Self::upper_bound_kind`].
    pub upper_bound: f64,
    /// Sample standard deviation of the forward-pass costs ($; 0 with one pass).
    pub upper_bound_std: f64,
    /// Half-width of the 95 % confidence interval of the upper bound ($; 0
    /// unless the bound is statistical).
    pub ci_95: f64,
    /// What the upper bound is: statistical, one sample (not a bound) or
    /// exact.
    pub upper_bound_kind: UpperBoundKind,
    /// Relative gap, never negative ([`relative_gap`]): to
    /// the top of the 95 % interval for a statistical bound, to the bound
    /// for an exact one; `None` for one forward pass (no bound).
    pub gap: Option<f64>,
    /// Wall time since training started (ms).
    pub wall_time_ms: f64,
    /// Wall time of this iteration (ms).
    pub iteration_time_ms: f64,
    /// LP solves of this iteration (every process of the run).
    pub lp_solves: u64,
    /// Cuts added by this iteration.
    pub cuts_added: u64,
    /// Time inside the LP solver this iteration (ms, summed over threads
    /// and processes).
    pub solver_time_ms: f64,
    /// Simplex iterations this iteration (every process).
    pub simplex_iterations: u64,
}

impl IterationRecord {
    /// Where the lower bound lies against the upper bound's 95 % interval
    /// (statistical bounds only).
    #[must_use]
    pub fn lower_bound_position(&self) -> Option<LowerBoundPosition> {
        if self.upper_bound_kind == UpperBoundKind::Statistical {
            LowerBoundPosition::of(self.lower_bound, self.upper_bound, self.ci_95)
        } else {
            None
        }
    }

    /// Whether `other` records the same results: every bound bit for bit,
    /// the bound's kind, and the same LP work (solves, simplex iterations,
    /// cuts), its clock readings aside. Runs of one study with the same seed
    /// give the same results whatever their thread or process count.
    #[must_use]
    pub fn same_results(&self, other: &Self) -> bool {
        let bits = |r: &Self| {
            [
                r.lower_bound.to_bits(),
                r.upper_bound.to_bits(),
                r.upper_bound_std.to_bits(),
                r.ci_95.to_bits(),
                r.gap.map_or(u64::MAX, f64::to_bits),
            ]
        };
        let work = |r: &Self| (r.iteration, r.lp_solves, r.simplex_iterations, r.cuts_added);
        bits(self) == bits(other)
            && self.upper_bound_kind == other.upper_bound_kind
            && work(self) == work(other)
    }

    /// One sentence on what the bounds mean ([`bound_note`]).
    #[must_use]
    pub fn bound_note(&self) -> &'static str {
        bound_note(self.upper_bound_kind, self.lower_bound_position())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_results_ignores_the_clock_but_not_a_bit_of_a_bound() {
        let a = IterationRecord {
            iteration: 3,
            lower_bound: 10.0,
            upper_bound: 12.0,
            lp_solves: 40,
            wall_time_ms: 5.0,
            ..IterationRecord::default()
        };
        let slower = IterationRecord {
            wall_time_ms: 9.0,
            iteration_time_ms: 4.0,
            solver_time_ms: 3.0,
            ..a
        };
        assert!(a.same_results(&slower));
        let moved = IterationRecord {
            lower_bound: f64::from_bits(10.0_f64.to_bits() + 1),
            ..a
        };
        assert!(!a.same_results(&moved));
        let more_work = IterationRecord {
            simplex_iterations: 1,
            ..a
        };
        assert!(!a.same_results(&more_work));
    }
}
