//! Stopping rules of the training loop, each a small type behind
//! [`StoppingRule`], combined by [`StoppingRules`] in `any` or `all` mode.

use crate::progress::IterationRecord;
use crate::SddpError;
use cobre_core::config::{StoppingMode, StoppingRuleConfig};
use std::fmt::Debug;

/// What a rule sees: the records of every iteration so far (the last one
/// is the iteration just finished).
#[derive(Debug, Clone, Copy)]
pub struct History<'a> {
    /// One record per finished iteration, in order.
    pub records: &'a [IterationRecord],
}

impl History<'_> {
    fn last(&self) -> Option<&IterationRecord> {
        self.records.last()
    }
}

/// Which criterion a stopping rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuleKind {
    /// [`IterationLimit`].
    IterationLimit,
    /// [`TimeLimit`].
    TimeLimit,
    /// [`BoundStalling`].
    BoundStalling,
    /// [`GapLimit`].
    Gap,
    /// A rule defined outside this crate, by its short stable name.
    Other(&'static str),
}

impl RuleKind {
    /// The rule's short stable name (`"iteration_limit"`, `"time_limit"`,
    /// `"bound_stalling"`, `"gap"`, or a custom rule's own).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IterationLimit => "iteration_limit",
            Self::TimeLimit => "time_limit",
            Self::BoundStalling => "bound_stalling",
            Self::Gap => "gap",
            Self::Other(name) => name,
        }
    }

    /// Whether the rule can end a run on its own whatever the bounds do.
    #[must_use]
    pub fn bounds_the_run(self) -> bool {
        matches!(self, Self::IterationLimit | Self::TimeLimit)
    }
}

impl std::fmt::Display for RuleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A criterion to end training.
pub trait StoppingRule: Send + Sync + Debug {
    /// Which criterion this is.
    fn kind(&self) -> RuleKind;
    /// Whether the criterion is met after the last recorded iteration.
    fn is_met(&self, history: &History<'_>) -> bool;
}

/// Stop once `limit` iterations have run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IterationLimit {
    /// Maximum number of iterations.
    pub limit: u64,
}

impl StoppingRule for IterationLimit {
    fn kind(&self) -> RuleKind {
        RuleKind::IterationLimit
    }
    fn is_met(&self, h: &History<'_>) -> bool {
        h.last().is_some_and(|r| r.iteration >= self.limit)
    }
}

/// Stop once the wall time since training started reaches `seconds`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeLimit {
    /// Seconds.
    pub seconds: f64,
}

impl StoppingRule for TimeLimit {
    fn kind(&self) -> RuleKind {
        RuleKind::TimeLimit
    }
    fn is_met(&self, h: &History<'_>) -> bool {
        h.last()
            .is_some_and(|r| r.wall_time_ms / 1000.0 >= self.seconds)
    }
}

/// Stop when the lower bound moved by less than `tolerance` (relative to
/// `max(1, |LB|)`) over the last `iterations` iterations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundStalling {
    /// Window τ.
    pub iterations: u64,
    /// Relative tolerance.
    pub tolerance: f64,
}

impl StoppingRule for BoundStalling {
    fn kind(&self) -> RuleKind {
        RuleKind::BoundStalling
    }
    fn is_met(&self, h: &History<'_>) -> bool {
        let n = h.records.len();
        let w = usize::try_from(self.iterations).unwrap_or(usize::MAX);
        if w == 0 || n <= w {
            return false;
        }
        let (Some(now), Some(then)) = (h.records.get(n - 1), h.records.get(n - 1 - w)) else {
            return false;
        };
        let delta = (now.lower_bound - then.lower_bound) / now.lower_bound.abs().max(1.0);
        delta.abs() < self.tolerance
    }
}

/// Stop when the gap between the bounds is small enough: absolute
/// `UB − LB ≤ tolerance` and/or relative gap (percent) below the given value.
/// The gap is the record's ([`crate::bounds::relative_gap`]): measured to
/// the top of the 95 % interval of a statistical bound (its absolute
/// counterpart too), and never met with one forward pass per iteration,
/// whose upper bound is no bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GapLimit {
    /// Absolute tolerance.
    pub tolerance: Option<f64>,
    /// Relative tolerance in percent.
    pub relative_percent: Option<f64>,
}

impl StoppingRule for GapLimit {
    fn kind(&self) -> RuleKind {
        RuleKind::Gap
    }
    fn is_met(&self, h: &History<'_>) -> bool {
        let Some(r) = h.last() else {
            return false;
        };
        let Some(gap) = r.gap else {
            return false;
        };
        let abs_ok = self
            .tolerance
            .is_none_or(|tol| r.upper_bound + r.ci_95 - r.lower_bound <= tol);
        let rel_ok = self.relative_percent.is_none_or(|tol| gap * 100.0 <= tol);
        abs_ok && rel_ok
    }
}

/// Several rules combined in `any` or `all` mode.
#[derive(Debug)]
pub struct StoppingRules {
    rules: Vec<Box<dyn StoppingRule>>,
    mode: StoppingMode,
}

impl StoppingRules {
    /// Combines `rules` under `mode`.
    #[must_use]
    pub fn new(rules: Vec<Box<dyn StoppingRule>>, mode: StoppingMode) -> Self {
        Self { rules, mode }
    }

    /// The runtime rules of the case's configuration.
    ///
    /// # Errors
    /// [`SddpError::InvalidSetting`] for a rule with a bad parameter, or when
    /// no rule bounds the run (no iteration or time limit).
    pub fn from_config(
        rules: &[StoppingRuleConfig],
        mode: StoppingMode,
    ) -> Result<Self, SddpError> {
        let mut out: Vec<Box<dyn StoppingRule>> = Vec::with_capacity(rules.len());
        for r in rules {
            out.push(match *r {
                StoppingRuleConfig::IterationLimit { limit } => Box::new(IterationLimit {
                    limit: u64::from(limit),
                }),
                StoppingRuleConfig::TimeLimit { seconds } => {
                    if seconds.is_nan() || seconds < 0.0 {
                        return Err(SddpError::InvalidSetting {
                            setting: "time_limit.seconds",
                            message: format!("must be non-negative, got {seconds}"),
                        });
                    }
                    Box::new(TimeLimit { seconds })
                }
                StoppingRuleConfig::BoundStalling {
                    iterations,
                    tolerance,
                } => Box::new(BoundStalling {
                    iterations: u64::from(iterations),
                    tolerance,
                }),
                StoppingRuleConfig::Gap {
                    tolerance,
                    relative_tolerance,
                } => Box::new(GapLimit {
                    tolerance,
                    relative_percent: relative_tolerance,
                }),
            });
        }
        Ok(Self::new(out, mode))
    }

    /// Whether the run is sure to end: in `any` mode an iteration or time
    /// limit, in `all` mode an iteration limit (which caps the run there).
    #[must_use]
    pub fn is_bounded(&self) -> bool {
        match self.mode {
            StoppingMode::Any => self.rules.iter().any(|r| r.kind().bounds_the_run()),
            StoppingMode::All => self
                .rules
                .iter()
                .any(|r| r.kind() == RuleKind::IterationLimit),
        }
    }

    /// The rule that ends the run now, or `None` to continue. In `all` mode
    /// that is the last of the rules other than `iteration_limit` once they
    /// are all met at the same iteration, else an `iteration_limit` once the
    /// largest one is reached (the iteration limits cap the run).
    #[must_use]
    pub fn check(&self, history: &History<'_>) -> Option<RuleKind> {
        self.check_at(history).and_then(|i| self.kind_at(i))
    }

    /// The position (in the configured order) of the rule that ends the
    /// run now (see [`Self::check`]), or `None` to continue.
    #[must_use]
    pub fn check_at(&self, history: &History<'_>) -> Option<usize> {
        match self.mode {
            StoppingMode::Any => self.rules.iter().position(|r| r.is_met(history)),
            StoppingMode::All => {
                let is_limit = |r: &dyn StoppingRule| r.kind() == RuleKind::IterationLimit;
                let rules = || self.rules.iter().map(AsRef::as_ref);
                let last_other = rules().rposition(|r| !is_limit(r));
                if last_other.is_some()
                    && rules().filter(|r| !is_limit(*r)).all(|r| r.is_met(history))
                {
                    return last_other;
                }
                // An iteration limit is met from its iteration on, so the
                // largest one is reached when all of them are.
                let last_limit = rules().rposition(is_limit)?;
                rules()
                    .filter(|r| is_limit(*r))
                    .all(|r| r.is_met(history))
                    .then_some(last_limit)
            }
        }
    }

    /// The kind of the rule at `position`.
    #[must_use]
    pub fn kind_at(&self, position: usize) -> Option<RuleKind> {
        self.rules.get(position).map(|r| r.kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(iteration: u64, lb: f64, ms: f64) -> IterationRecord {
        IterationRecord {
            iteration,
            lower_bound: lb,
            upper_bound: lb + 10.0,
            wall_time_ms: ms,
            ..IterationRecord::default()
        }
    }

    #[test]
    fn iteration_limit_stops_at_the_limit() {
        let r = IterationLimit { limit: 3 };
        let recs = [rec(1, 0.0, 0.0), rec(2, 0.0, 0.0)];
        assert!(!r.is_met(&History { records: &recs }));
        let recs = [rec(1, 0.0, 0.0), rec(2, 0.0, 0.0), rec(3, 0.0, 0.0)];
        assert!(r.is_met(&History { records: &recs }));
    }

    #[test]
    fn bound_stalling_needs_a_full_window_of_small_moves() {
        let r = BoundStalling {
            iterations: 2,
            tolerance: 1e-3,
        };
        let moving = [rec(1, 100.0, 0.0), rec(2, 200.0, 0.0), rec(3, 300.0, 0.0)];
        assert!(!r.is_met(&History { records: &moving }));
        let flat = [
            rec(1, 100.0, 0.0),
            rec(2, 1000.0, 0.0),
            rec(3, 1000.0, 0.0),
            rec(4, 1000.1, 0.0),
        ];
        assert!(r.is_met(&History { records: &flat }));
        assert!(!r.is_met(&History {
            records: &flat[..2]
        }));
    }

    #[test]
    fn modes_combine_rules_with_or_and_and() {
        let rules = || -> Vec<Box<dyn StoppingRule>> {
            vec![
                Box::new(IterationLimit { limit: 2 }),
                Box::new(TimeLimit { seconds: 100.0 }),
            ]
        };
        let recs = [rec(1, 0.0, 0.0), rec(2, 0.0, 10.0)];
        let any = StoppingRules::new(rules(), StoppingMode::Any);
        assert_eq!(
            any.check(&History { records: &recs }),
            Some(RuleKind::IterationLimit)
        );
        let all = StoppingRules::new(rules(), StoppingMode::All);
        let early = [rec(1, 0.0, 200_000.0)];
        assert_eq!(
            all.check(&History { records: &early }),
            Some(RuleKind::TimeLimit)
        );
        assert_eq!(
            all.check(&History {
                records: &recs[..1]
            }),
            None
        );
    }

    #[test]
    fn in_all_mode_the_other_rules_must_all_fire_and_the_largest_iteration_limit_caps_the_run() {
        let rules = || -> Vec<Box<dyn StoppingRule>> {
            vec![
                Box::new(IterationLimit { limit: 4 }),
                Box::new(TimeLimit { seconds: 100.0 }),
                Box::new(IterationLimit { limit: 2 }),
                Box::new(BoundStalling {
                    iterations: 1,
                    tolerance: 1e-6,
                }),
            ]
        };
        let all = StoppingRules::new(rules(), StoppingMode::All);
        assert!(all.is_bounded());
        let h = |recs: &[IterationRecord]| all.check_at(&History { records: recs });
        // Time is up but the bound still moves: both must fire together.
        let moving = [
            rec(1, 1.0, 0.0),
            rec(2, 2.0, 200_000.0),
            rec(3, 3.0, 300_000.0),
        ];
        assert_eq!(h(&moving), None);
        // Both at iteration 3, before the cap: the last of them ends the run.
        let flat = [
            rec(1, 1.0, 0.0),
            rec(2, 2.0, 200_000.0),
            rec(3, 2.0, 300_000.0),
        ];
        assert_eq!(h(&flat), Some(3));
        // Never both: the larger iteration limit (4) caps the run, not the 2.
        let four = [
            rec(1, 1.0, 0.0),
            rec(2, 2.0, 0.0),
            rec(3, 3.0, 0.0),
            rec(4, 4.0, 0.0),
        ];
        assert_eq!(h(&four[..2]), None);
        assert_eq!(h(&four[..3]), None);
        assert_eq!(
            all.check(&History { records: &four }),
            Some(RuleKind::IterationLimit)
        );
        // Without an iteration limit, `all` mode is not sure to end.
        let unbounded = StoppingRules::new(
            vec![Box::new(TimeLimit { seconds: 1.0 })],
            StoppingMode::All,
        );
        assert!(!unbounded.is_bounded());
        assert!(!StoppingRules::new(Vec::new(), StoppingMode::Any).is_bounded());
    }
}
