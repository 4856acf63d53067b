//! Cut selection: which cuts of a stage stay rows of its LPs (Cobre 0.18's
//! `training.cut_selection`).
//!
//! A periodic rule looks at a stage's cut pool and the trial states visited
//! at that stage in every iteration so far (the outgoing states of its
//! forward solves, where its cuts are evaluated) and says which cuts to
//! keep. A cut of the current iteration is always kept; every other cut
//! ("eligible") is kept or dropped by the rule, and a dropped cut that the
//! rule selects again comes back. Dropped cuts stay in the pool and in the
//! policy, but they are out of the LPs until a later run selects them: a
//! rule prunes the future-cost function the solves see, as in 0.18.
//!
//! * [`KeepAll`] — no selection (the default).
//! * [`Level1`] — keep every cut within `tie_tolerance` of the highest cut
//!   (over the whole pool) at some visited state.
//! * [`Lml1`] — limited-memory level 1: at each visited state keep only the
//!   oldest eligible cut within `tie_tolerance` of the highest.
//! * [`Domination`] — drop the cuts more than `tolerance` below the highest
//!   at every visited state (level 1 with its own tolerance).
//! * [`Dynamic`] is not a periodic rule: it sets which cuts seed each
//!   iteration's solves and which ones a solve may add back when violated
//!   ([`DynamicRule`]).
//!
//! A `max_active_per_stage` cap ([`enforce_cap`]) then evicts the cuts
//! least recently binding (ties: least often binding), never a cut of the
//! current iteration. The periodic rules recompute from scratch every
//! `check_frequency` iterations: `O(states × cuts × n_state)` per stage.

use crate::cuts::CutPool;
use cobre_core::config::CutSelectionConfig;
use std::fmt::Debug;

/// A periodic rule deciding which cuts of a pool remain rows of the LPs.
pub trait CutSelection: Send + Sync + Debug {
    /// Whether the rule runs at the end of `iteration` (1-based).
    fn due(&self, iteration: u64) -> bool;
    /// Writes `true` into `keep` for every cut of `pool` to keep, given the
    /// visited states (`n_state` values each, flat) and the current
    /// iteration (its cuts are always kept).
    fn select(&self, pool: &CutPool, states: &[f64], iteration: u64, keep: &mut [bool]);
}

/// Keep every cut.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeepAll;

impl CutSelection for KeepAll {
    fn due(&self, _iteration: u64) -> bool {
        false
    }
    fn select(&self, _pool: &CutPool, _states: &[f64], _iteration: u64, keep: &mut [bool]) {
        keep.fill(true);
    }
}

/// Level-1 dominance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level1 {
    /// Iterations between two selections.
    pub check_frequency: u64,
    /// Absolute tolerance under which a cut counts as highest.
    pub tie_tolerance: f64,
}

/// Limited-memory level-1 dominance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lml1 {
    /// Iterations between two selections.
    pub check_frequency: u64,
    /// Absolute tolerance under which a cut counts as highest.
    pub tie_tolerance: f64,
}

/// Domination: level 1 with the domination tolerance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Domination {
    /// Iterations between two selections.
    pub check_frequency: u64,
    /// A cut survives if within this of the highest at some visited state.
    pub tolerance: f64,
}

fn due_every(every: u64, iteration: u64) -> bool {
    every > 0 && iteration > 0 && iteration % every == 0
}

/// Marks the cuts to keep: at every state, the eligible cuts within `tol`
/// of the highest cut of the whole pool (all of them, or only the oldest);
/// cuts of the current iteration are always kept.
fn mark_dominant(
    pool: &CutPool,
    states: &[f64],
    iteration: u64,
    tol: f64,
    oldest_only: bool,
    keep: &mut [bool],
) {
    let m = pool.len().min(keep.len());
    let eligible: Vec<bool> = (0..m).map(|i| pool.iteration_of(i) < iteration).collect();
    for (k, e) in keep.iter_mut().zip(&eligible) {
        *k = !e;
    }
    let n = pool.n_state();
    if m == 0 || eligible.iter().filter(|e| **e).count() < 2 || n == 0 {
        // Nothing to compare: keep everything.
        keep.fill(true);
        return;
    }
    let mut values = vec![0.0; m];
    for x in states.chunks_exact(n) {
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
        let floor = best - tol;
        for (i, &v) in values.iter().enumerate() {
            if eligible[i] && v >= floor {
                keep[i] = true;
                if oldest_only {
                    break;
                }
            }
        }
    }
}

impl CutSelection for Level1 {
    fn due(&self, iteration: u64) -> bool {
        due_every(self.check_frequency, iteration)
    }
    fn select(&self, pool: &CutPool, states: &[f64], iteration: u64, keep: &mut [bool]) {
        mark_dominant(pool, states, iteration, self.tie_tolerance, false, keep);
    }
}

impl CutSelection for Lml1 {
    fn due(&self, iteration: u64) -> bool {
        due_every(self.check_frequency, iteration)
    }
    fn select(&self, pool: &CutPool, states: &[f64], iteration: u64, keep: &mut [bool]) {
        mark_dominant(pool, states, iteration, self.tie_tolerance, true, keep);
    }
}

impl CutSelection for Domination {
    fn due(&self, iteration: u64) -> bool {
        due_every(self.check_frequency, iteration)
    }
    fn select(&self, pool: &CutPool, states: &[f64], iteration: u64, keep: &mut [bool]) {
        mark_dominant(pool, states, iteration, self.tolerance, false, keep);
    }
}

/// The dynamic (lazy) selection: from `start_iteration` on, each
/// iteration's solves start from the cuts of the last `seed_window`
/// iterations, and a solve adds the candidates it violates by more than
/// `violation_tolerance` (at most `max_added_per_round`, the most violated
/// first) and solves again until none is violated. Candidates are every
/// cut, or only those of the last `candidate_recency` iterations (then the
/// result is deliberately inexact).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DynamicRule {
    /// First iteration (1-based) of the lazy loop.
    pub start_iteration: u64,
    /// Iterations whose cuts seed the solves.
    pub seed_window: u64,
    /// Candidate window in iterations (`None`: every cut).
    pub candidate_recency: Option<u64>,
    /// Cuts added per solve round at most.
    pub max_added_per_round: usize,
    /// Absolute violation above which a candidate is added.
    pub violation_tolerance: f64,
}

impl DynamicRule {
    /// The rule of a configuration, if it is the dynamic one.
    #[must_use]
    pub fn from_config(config: CutSelectionConfig) -> Option<Self> {
        match config {
            CutSelectionConfig::Dynamic {
                start_iteration,
                seed_window,
                candidate_recency,
                max_added_per_round,
                violation_tolerance,
            } => Some(Self {
                start_iteration: u64::from(start_iteration),
                seed_window: u64::from(seed_window),
                candidate_recency: candidate_recency.map(u64::from),
                max_added_per_round: usize::try_from(max_added_per_round)
                    .unwrap_or(usize::MAX)
                    .max(1),
                violation_tolerance,
            }),
            _ => None,
        }
    }

    /// Whether the lazy loop runs in `iteration`.
    #[must_use]
    pub fn active(&self, iteration: u64) -> bool {
        iteration >= self.start_iteration
    }

    /// Whether cut `i` (made in `made`) seeds the solves of `iteration`.
    #[must_use]
    pub fn seeds(&self, made: u64, iteration: u64) -> bool {
        made + self.seed_window >= iteration
    }

    /// Whether cut `i` (made in `made`) is a candidate in `iteration`.
    #[must_use]
    pub fn candidate(&self, made: u64, iteration: u64) -> bool {
        self.candidate_recency.is_none_or(|n| made + n >= iteration)
    }
}

/// Drops kept eligible cuts beyond `cap`: least recently binding first
/// (`last_used`), then least often binding (`uses`); a cut of the current
/// iteration is never dropped. Returns how many were dropped.
pub fn enforce_cap(
    pool: &CutPool,
    iteration: u64,
    cap: usize,
    last_used: &[u64],
    uses: &[u64],
    keep: &mut [bool],
) -> usize {
    let kept = keep.iter().filter(|k| **k).count();
    if kept <= cap {
        return 0;
    }
    let mut candidates: Vec<usize> = (0..keep.len())
        .filter(|&i| keep[i] && pool.iteration_of(i) < iteration)
        .collect();
    candidates.sort_by_key(|&i| {
        (
            last_used.get(i).copied().unwrap_or(0),
            uses.get(i).copied().unwrap_or(0),
            i,
        )
    });
    let excess = kept - cap;
    let mut dropped = 0;
    for i in candidates.into_iter().take(excess) {
        keep[i] = false;
        dropped += 1;
    }
    dropped
}

/// The periodic rule of the case's `training.cut_selection` (the dynamic
/// method has none: see [`DynamicRule`]).
#[must_use]
pub fn from_config(config: CutSelectionConfig) -> Box<dyn CutSelection> {
    match config {
        CutSelectionConfig::None | CutSelectionConfig::Dynamic { .. } => Box::new(KeepAll),
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
        CutSelectionConfig::Domination {
            check_frequency,
            tolerance,
        } => Box::new(Domination {
            check_frequency: u64::from(check_frequency),
            tolerance,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cuts on a 1-D state, all of iteration 1: 0: θ ≥ 10 − x, 1: θ ≥ x,
    /// 2: θ ≥ 4 (dominated wherever |x − 5| > 1), 3: θ ≥ 10 − x again (a
    /// duplicate of 0).
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
        rule.select(&pool(), &[0.0, 9.0], 2, &mut keep);
        assert_eq!(keep, [true, true, false, true]);
    }

    #[test]
    fn lml1_keeps_only_the_oldest_highest_cut_per_state() {
        let mut keep = [false; 4];
        let rule = Lml1 {
            check_frequency: 1,
            tie_tolerance: 1e-12,
        };
        rule.select(&pool(), &[0.0, 9.0, 5.0], 2, &mut keep);
        // At x = 0 cuts 0 and 3 tie: the oldest, 0, is kept; at x = 5
        // cuts 0, 1 and 3 tie at 5: 0 again.
        assert_eq!(keep, [true, true, false, false]);
    }

    #[test]
    fn cuts_of_the_current_iteration_are_always_kept() {
        let mut p = pool();
        p.push_batch(&[-100.0], &[0.0], 2);
        let mut keep = [false; 5];
        let rule = Domination {
            check_frequency: 1,
            tolerance: 0.0,
        };
        rule.select(&p, &[0.0], 2, &mut keep);
        assert_eq!(keep, [true, false, false, true, true]);
    }

    #[test]
    fn the_cap_evicts_the_least_recently_then_least_often_binding() {
        let p = pool();
        let mut keep = [true; 4];
        let last = [3, 5, 3, 5];
        let uses = [2, 1, 1, 4];
        assert_eq!(enforce_cap(&p, 9, 2, &last, &uses, &mut keep), 2);
        assert_eq!(keep, [false, true, false, true]);
        assert_eq!(enforce_cap(&p, 9, 2, &last, &uses, &mut keep), 0);
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

    #[test]
    fn the_dynamic_rule_seeds_recent_cuts_and_limits_candidates() {
        let d = DynamicRule {
            start_iteration: 2,
            seed_window: 1,
            candidate_recency: Some(3),
            max_added_per_round: 10,
            violation_tolerance: 1e-10,
        };
        assert!(!d.active(1) && d.active(2));
        assert!(d.seeds(4, 5) && !d.seeds(3, 5));
        assert!(d.candidate(2, 5) && !d.candidate(1, 5));
    }
}
