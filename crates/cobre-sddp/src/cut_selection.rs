//! Cut selection: which cuts of a stage stay rows of its LPs.
//!
//! A rule looks at a stage's cut pool and the trial states visited at that
//! stage (the outgoing states of its forward solves, where its cuts are
//! evaluated) and says which cuts to keep. Cuts not kept leave the LPs but
//! stay in the pool and in the policy: the engine checks every solution
//! against them and brings back any cut the solution violates
//! ([`crate::active_set`]), so selection changes the work per solve, never
//! the lower bound beyond the solver's tolerance.
//!
//! * [`KeepAll`] — no selection (the default, as Cobre 0.18).
//! * [`Level1`] — keep every cut that is the highest (within the tie
//!   tolerance) at one visited state at least.
//! * [`Lml1`] — limited-memory level 1: at each visited state keep only the
//!   newest of the cuts that are highest there.
//!
//! Both dominance rules recompute from scratch every `check_frequency`
//! iterations: `O(states × cuts × n_state)` per stage and check.

use crate::cuts::CutPool;
use cobre_core::config::CutSelectionConfig;
use std::fmt::Debug;

/// A rule deciding which cuts of a pool remain rows of the LPs.
pub trait CutSelection: Send + Sync + Debug {
    /// Whether the rule runs at the end of `iteration` (1-based).
    fn due(&self, iteration: u64) -> bool;
    /// Writes `true` into `keep` for every cut of `pool` to keep, given the
    /// visited states (`n_state` values each, flat).
    fn select(&self, pool: &CutPool, states: &[f64], keep: &mut [bool]);
}

/// Keep every cut.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeepAll;

impl CutSelection for KeepAll {
    fn due(&self, _iteration: u64) -> bool {
        false
    }
    fn select(&self, _pool: &CutPool, _states: &[f64], keep: &mut [bool]) {
        keep.fill(true);
    }
}

/// Level-1 dominance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level1 {
    /// Iterations between two selections.
    pub check_frequency: u64,
    /// Relative tolerance under which a cut counts as highest.
    pub tie_tolerance: f64,
}

/// Limited-memory level-1 dominance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lml1 {
    /// Iterations between two selections.
    pub check_frequency: u64,
    /// Relative tolerance under which a cut counts as highest.
    pub tie_tolerance: f64,
}

fn due_every(every: u64, iteration: u64) -> bool {
    every > 0 && iteration > 0 && iteration % every == 0
}

/// Marks the dominant cuts at every state: all cuts within the tolerance
/// of the highest value, or only the newest of them.
fn mark_dominant(pool: &CutPool, states: &[f64], tie: f64, newest_only: bool, keep: &mut [bool]) {
    keep.fill(false);
    let n = pool.n_state();
    let m = pool.len().min(keep.len());
    if m == 0 {
        return;
    }
    let mut values = vec![0.0; m];
    for x in states.chunks_exact(n.max(1)) {
        let mut best = f64::NEG_INFINITY;
        for (i, v) in values.iter_mut().enumerate() {
            *v = pool.intercept(i)
                + pool
                    .coefficients(i)
                    .iter()
                    .zip(x)
                    .map(|(p, s)| p * s)
                    .sum::<f64>();
            best = best.max(*v);
        }
        let floor = best - tie * best.abs().max(1.0);
        if newest_only {
            if let Some(i) = values.iter().rposition(|&v| v >= floor) {
                keep[i] = true;
            }
        } else {
            for (k, &v) in keep.iter_mut().zip(&values) {
                if v >= floor {
                    *k = true;
                }
            }
        }
    }
}

impl CutSelection for Level1 {
    fn due(&self, iteration: u64) -> bool {
        due_every(self.check_frequency, iteration)
    }
    fn select(&self, pool: &CutPool, states: &[f64], keep: &mut [bool]) {
        mark_dominant(pool, states, self.tie_tolerance, false, keep);
    }
}

impl CutSelection for Lml1 {
    fn due(&self, iteration: u64) -> bool {
        due_every(self.check_frequency, iteration)
    }
    fn select(&self, pool: &CutPool, states: &[f64], keep: &mut [bool]) {
        mark_dominant(pool, states, self.tie_tolerance, true, keep);
    }
}

/// The runtime rule of the case's `training.cut_selection`.
#[must_use]
pub fn from_config(config: CutSelectionConfig) -> Box<dyn CutSelection> {
    match config {
        CutSelectionConfig::None => Box::new(KeepAll),
        CutSelectionConfig::Level1 {
            check_frequency,
            tie_tolerance,
        } => Box::new(Level1 {
            check_frequency: u64::from(check_frequency),
            tie_tolerance,
        }),
        CutSelectionConfig::Lml1 {
            check_frequency,
            tie_tolerance,
        } => Box::new(Lml1 {
            check_frequency: u64::from(check_frequency),
            tie_tolerance,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cuts on a 1-D state: 0: θ ≥ 10 − x, 1: θ ≥ x, 2: θ ≥ 4 (dominated
    /// wherever |x − 5| > 1), 3: θ ≥ 10 − x again (a duplicate of 0).
    fn pool() -> CutPool {
        let mut p = CutPool::new(1);
        p.push_batch(&[10.0, 0.0, 4.0, 10.0], &[-1.0, 1.0, 0.0, -1.0], 1);
        p
    }

    #[test]
    fn level1_keeps_every_cut_highest_somewhere_including_ties() {
        let mut keep = [false; 4];
        let rule = Level1 {
            check_frequency: 1,
            tie_tolerance: 1e-12,
        };
        rule.select(&pool(), &[0.0, 9.0], &mut keep);
        assert_eq!(keep, [true, true, false, true]);
    }

    #[test]
    fn lml1_keeps_only_the_newest_highest_cut_per_state() {
        let mut keep = [false; 4];
        let rule = Lml1 {
            check_frequency: 1,
            tie_tolerance: 1e-12,
        };
        rule.select(&pool(), &[0.0, 9.0, 5.0], &mut keep);
        // At x = 5 cuts 0, 1 and 3 tie at 5: the newest, 3, is kept.
        assert_eq!(keep, [false, true, false, true]);
    }

    #[test]
    fn rules_run_every_check_frequency_iterations() {
        let rule = from_config(CutSelectionConfig::Level1 {
            check_frequency: 3,
            tie_tolerance: 0.0,
        });
        let due: Vec<u64> = (1..=9).filter(|&i| rule.due(i)).collect();
        assert_eq!(due, vec![3, 6, 9]);
        assert!(!from_config(CutSelectionConfig::None).due(3));
    }
}
