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
//! * [`Dominance`], in three flavours of 0.18:
//!   - level 1 ([`Dominance::level1`]) — keep every cut within
//!     `tie_tolerance` of the highest cut (over the whole pool) at some
//!     visited state;
//!   - limited-memory level 1 ([`Dominance::lml1`]) — at each visited state
//!     keep only the oldest eligible cut within `tie_tolerance` of the
//!     highest;
//!   - domination ([`Dominance::domination`]) — drop the cuts more than
//!     `tolerance` below the highest at every visited state (level 1 with
//!     its own tolerance).
//! * [`Dynamic`] is not a periodic rule: it sets which cuts seed each
//!   iteration's solves and which ones a solve may add back when violated
//!   ([`DynamicRule`]).
//!
//! A `max_active_per_stage` cap ([`Capped`], [`enforce_cap`]) then evicts
//! the cuts least recently binding (ties: least often binding), never a cut
//! of the current iteration. The periodic rules recompute from scratch every
//! `check_frequency` iterations: `O(states × cuts × n_state)` per stage.
//!
//! The active-cut window of the exact active set ([`ActiveWindow`]) is a
//! rule of the same kind that runs first, every iteration: it takes out of
//! the LPs the cuts neither created nor binding in the last `window`
//! iterations, which stay candidates that a violated solve brings back.
//! [`end_of_iteration_rules`] lists the rules of a run in the order they run.

use crate::cuts::CutPool;
use cobre_core::config::CutSelectionConfig;
use std::fmt::Debug;

/// What a selection rule sees of one stage's cuts at the end of an
/// iteration. Slices are indexed by pool id.
#[derive(Debug, Clone, Copy)]
pub struct CutView<'a> {
    /// The stage's cuts.
    pub pool: &'a CutPool,
    /// The states visited at the stage so far (`n_state` values each, flat).
    pub states: &'a [f64],
    /// The iteration just finished (its cuts are always kept).
    pub iteration: u64,
    /// Last iteration each cut was created or binding.
    pub last_used: &'a [u64],
    /// Number of iterations in which each cut was binding.
    pub uses: &'a [u64],
    /// Whether each cut is a row of the LPs now.
    pub active: &'a [bool],
}

/// A rule deciding, at the end of an iteration, which cuts of a pool remain
/// (or become again) rows of the LPs.
pub trait CutSelection: Send + Sync + Debug {
    /// Whether the rule runs at the end of `iteration` (1-based).
    fn due(&self, iteration: u64) -> bool;
    /// Writes `false` into `keep` (all `true` on entry, one entry per pool
    /// cut) for every cut that is not to be a row: a kept cut that is not a
    /// row comes back.
    fn select(&self, cuts: &CutView<'_>, keep: &mut [bool]);
    /// Whether the cuts the rule drops are still checked against every
    /// solution (and come back when violated). When `false` (the periodic
    /// rules) they are out until a later selection keeps them.
    fn rechecks_dropped(&self) -> bool {
        false
    }
}

/// Keep every cut.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeepAll;

impl CutSelection for KeepAll {
    fn due(&self, _iteration: u64) -> bool {
        false
    }
    fn select(&self, _cuts: &CutView<'_>, keep: &mut [bool]) {
        keep.fill(true);
    }
}

/// Dominance selection: at every visited state, the eligible cuts within
/// `tolerance` of the highest cut of the pool survive (all of them, or
/// only the oldest one); the others leave the LPs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dominance {
    /// Iterations between two selections.
    pub check_frequency: u64,
    /// A cut survives if within this of the highest at some visited state.
    pub tolerance: f64,
    /// Keep only the oldest surviving cut at each state (limited memory).
    pub oldest_only: bool,
}

impl Dominance {
    /// Level 1: every cut within `tie_tolerance` of the highest somewhere.
    #[must_use]
    pub fn level1(check_frequency: u64, tie_tolerance: f64) -> Self {
        Self {
            check_frequency,
            tolerance: tie_tolerance,
            oldest_only: false,
        }
    }

    /// Limited-memory level 1: the oldest such cut at each state.
    #[must_use]
    pub fn lml1(check_frequency: u64, tie_tolerance: f64) -> Self {
        Self {
            oldest_only: true,
            ..Self::level1(check_frequency, tie_tolerance)
        }
    }

    /// Domination: level 1 with the domination tolerance.
    #[must_use]
    pub fn domination(check_frequency: u64, tolerance: f64) -> Self {
        Self::level1(check_frequency, tolerance)
    }
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

impl CutSelection for Dominance {
    fn due(&self, iteration: u64) -> bool {
        due_every(self.check_frequency, iteration)
    }
    fn select(&self, cuts: &CutView<'_>, keep: &mut [bool]) {
        mark_dominant(
            cuts.pool,
            cuts.states,
            cuts.iteration,
            self.tolerance,
            self.oldest_only,
            keep,
        );
    }
}

/// The active-cut window: every iteration, the active cuts neither created
/// nor binding in the last `window` iterations leave the LPs. They stay
/// candidates: a solve that violates one brings it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveWindow {
    /// Iterations a cut may go unused before it leaves.
    pub window: u64,
}

impl CutSelection for ActiveWindow {
    fn due(&self, _iteration: u64) -> bool {
        true
    }
    fn select(&self, cuts: &CutView<'_>, keep: &mut [bool]) {
        for (id, k) in keep.iter_mut().enumerate() {
            let last = cuts.last_used.get(id).copied().unwrap_or(0);
            let active = cuts.active.get(id).copied().unwrap_or(false);
            *k = active && cuts.iteration.saturating_sub(last) < self.window;
        }
    }
    fn rechecks_dropped(&self) -> bool {
        true
    }
}

/// A rule followed by the `max_active_per_stage` cap ([`enforce_cap`]).
#[derive(Debug)]
pub struct Capped {
    /// The rule that selects first.
    pub rule: Box<dyn CutSelection>,
    /// Cuts kept at most (those of the current iteration always are).
    pub cap: usize,
    /// Whether the cap runs every iteration (a run without a periodic
    /// rule) rather than when the rule does.
    pub every_iteration: bool,
}

impl CutSelection for Capped {
    fn due(&self, iteration: u64) -> bool {
        self.every_iteration || self.rule.due(iteration)
    }
    fn select(&self, cuts: &CutView<'_>, keep: &mut [bool]) {
        self.rule.select(cuts, keep);
        enforce_cap(
            cuts.pool,
            cuts.iteration,
            self.cap,
            cuts.last_used,
            cuts.uses,
            keep,
        );
    }
}

/// The rules a run applies to every stage at the end of each iteration, in
/// order: the active-cut window (when set), then the configured periodic
/// method, capped at `max_active_per_stage` when set. The dynamic method
/// has no periodic rule (see [`DynamicRule`]); its cap runs with it.
#[must_use]
pub fn end_of_iteration_rules(
    config: CutSelectionConfig,
    active_cut_window: Option<u64>,
    max_active_per_stage: Option<usize>,
) -> Vec<Box<dyn CutSelection>> {
    let mut rules: Vec<Box<dyn CutSelection>> = Vec::new();
    if let Some(window) = active_cut_window {
        rules.push(Box::new(ActiveWindow { window }));
    }
    let method = from_config(config);
    rules.push(match max_active_per_stage {
        Some(cap) => Box::new(Capped {
            rule: method,
            cap,
            every_iteration: config == CutSelectionConfig::None,
        }),
        None => method,
    });
    rules
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
        } => Box::new(Dominance::level1(u64::from(check_frequency), tie_tolerance)),
        CutSelectionConfig::Lml1 {
            check_frequency,
            tie_tolerance,
        } => Box::new(Dominance::lml1(u64::from(check_frequency), tie_tolerance)),
        CutSelectionConfig::Domination {
            check_frequency,
            tolerance,
        } => Box::new(Dominance::domination(u64::from(check_frequency), tolerance)),
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

    /// A view of `pool` at `states` after `iteration`, without usage marks.
    fn view<'a>(pool: &'a CutPool, states: &'a [f64], iteration: u64) -> CutView<'a> {
        CutView {
            pool,
            states,
            iteration,
            last_used: &[],
            uses: &[],
            active: &[],
        }
    }

    #[test]
    fn level1_keeps_every_cut_highest_somewhere_including_ties() {
        let mut keep = [false; 4];
        let rule = Dominance::level1(1, 1e-12);
        rule.select(&view(&pool(), &[0.0, 9.0], 2), &mut keep);
        assert_eq!(keep, [true, true, false, true]);
    }

    #[test]
    fn lml1_keeps_only_the_oldest_highest_cut_per_state() {
        let mut keep = [false; 4];
        let rule = Dominance::lml1(1, 1e-12);
        rule.select(&view(&pool(), &[0.0, 9.0, 5.0], 2), &mut keep);
        // At x = 0 cuts 0 and 3 tie: the oldest, 0, is kept; at x = 5
        // cuts 0, 1 and 3 tie at 5: 0 again.
        assert_eq!(keep, [true, true, false, false]);
    }

    #[test]
    fn cuts_of_the_current_iteration_are_always_kept() {
        let mut p = pool();
        p.push_batch(&[-100.0], &[0.0], 2);
        let mut keep = [false; 5];
        let rule = Dominance::domination(1, 0.0);
        rule.select(&view(&p, &[0.0], 2), &mut keep);
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
    fn the_window_keeps_the_active_cuts_used_within_it_and_rechecks_the_others() {
        let p = pool();
        let last = [2, 5, 3, 4];
        let active = [true, true, true, false];
        let mut keep = [true; 4];
        let rule = ActiveWindow { window: 3 };
        let cuts = CutView {
            last_used: &last,
            active: &active,
            ..view(&p, &[], 5)
        };
        rule.select(&cuts, &mut keep);
        // Cut 0 was last used 3 iterations ago; cut 3 is not a row.
        assert_eq!(keep, [false, true, true, false]);
        assert!(rule.due(1) && rule.rechecks_dropped());
    }

    #[test]
    fn the_window_runs_first_and_the_cap_wraps_the_configured_method() {
        let level1 = CutSelectionConfig::Level1 {
            check_frequency: 2,
            tie_tolerance: 0.0,
        };
        let rules = end_of_iteration_rules(level1, Some(4), Some(10));
        assert_eq!(rules.len(), 2);
        assert!(rules[0].rechecks_dropped() && rules[0].due(1));
        // The capped periodic rule runs when the method does.
        assert!(!rules[1].due(1) && rules[1].due(2) && !rules[1].rechecks_dropped());
        // Without a method the cap runs every iteration; without a cap or a
        // method nothing runs.
        let capped = end_of_iteration_rules(CutSelectionConfig::None, None, Some(10));
        assert!(capped.len() == 1 && capped[0].due(1));
        let none = end_of_iteration_rules(CutSelectionConfig::None, None, None);
        assert!(none.len() == 1 && !none[0].due(1));
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
