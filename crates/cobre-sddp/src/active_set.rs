//! Which cuts of a stage are rows of its LP: an exact active set.
//!
//! Every cut stays in the stage's [`CutPool`], but only the *active* ones are
//! rows of the solver instances. Solve cost grows with the number of rows
//! while, after a few iterations, most cuts are nowhere binding, so keeping
//! them out makes every later solve cheaper without changing any result:
//!
//! * **exactness** — after every solve the inactive cuts are checked at the
//!   solution (`α + π·x ≤ θ`, [`LpCuts::violated`]). A solution that violates
//!   none is optimal for the LP with all cuts. A work item that meets a
//!   violated cut adds it as a row of its own LP and solves again; after
//!   the parallel step, the cuts the items added are activated for every
//!   LP.
//! * **deactivation** — at the end of an iteration, active cuts that were
//!   neither created nor binding (non-zero dual) in any solve of the last
//!   `window` iterations leave the LPs (the
//!   [`crate::cut_selection::ActiveWindow`] rule, run by [`LpCuts::select`]).
//! * **determinism** — the active set changes only between parallel steps,
//!   from data that do not depend on scheduling (violations and binding
//!   marks are sets, merged by union). Changes are logged as [`RowOp`]s that
//!   every solver instance replays in the same order, so all instances hold
//!   the same rows.

use crate::cut_selection::{CutSelection, CutView};
use crate::cuts::CutPool;
use crate::lp::StageLayout;
use cobre_solver::{Basis, BasisStatus, RowBatch};

/// One change of the rows of a stage LP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RowOp {
    /// Append these cuts (pool ids), in order.
    Append(Vec<usize>),
    /// Delete the cut rows at these positions (strictly increasing, counted
    /// from the first cut row).
    Remove(Vec<usize>),
}

/// A stage's cut pool and the subset of it that its LPs hold.
#[derive(Debug, Clone, Default)]
pub(crate) struct LpCuts {
    pub(crate) pool: CutPool,
    /// Pool id of each cut row, in LP order.
    rows: Vec<usize>,
    /// Whether each pool cut is a row.
    active: Vec<bool>,
    /// Last iteration each cut was created or binding.
    last_used: Vec<u64>,
    /// Iterations in which each cut was binding.
    uses: Vec<u64>,
    /// Cuts a selection rule took out: not rows and not checked against
    /// solutions (until a rule brings them back).
    excluded: Vec<bool>,
    /// Least dual magnitude of a binding cut row.
    activity_tolerance: f64,
    /// How violated cuts are looked for.
    violation: ViolationRule,
    ops: Vec<RowOp>,
    /// The cuts that are not rows, laid out for the check of every solution.
    inactive: InactiveCuts,
}

/// How [`LpCuts::violated`] looks for violated cuts.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct ViolationRule {
    /// An absolute violation tolerance instead of the caller's relative one.
    pub absolute: Option<f64>,
    /// At most this many cuts per check, the most violated first.
    pub max_added: Option<usize>,
}

/// The inactive cuts in component-major layout: `coefficients[j·m + i]` is
/// component `j` of inactive cut `i` (`m` cuts), so the values of all of
/// them at a state are a few vectorised passes.
#[derive(Debug, Clone, Default)]
struct InactiveCuts {
    ids: Vec<usize>,
    intercepts: Vec<f64>,
    coefficients: Vec<f64>,
}

/// Cuts evaluated together by [`LpCuts::violated`].
const CHECK_BLOCK: usize = 64;

impl LpCuts {
    pub(crate) fn new(pool: CutPool, iteration: u64) -> Self {
        let n = pool.len();
        let mut s = Self {
            pool,
            rows: Vec::new(),
            active: vec![false; n],
            last_used: vec![iteration; n],
            uses: vec![0; n],
            excluded: vec![false; n],
            activity_tolerance: 0.0,
            violation: ViolationRule::default(),
            ops: Vec::new(),
            inactive: InactiveCuts::default(),
        };
        let mut all: Vec<usize> = (0..n).collect();
        s.activate(&mut all);
        s
    }

    /// Appends a batch of new cuts to the pool and activates them.
    pub(crate) fn push_batch(&mut self, intercepts: &[f64], coefficients: &[f64], iteration: u64) {
        let first = self.pool.len();
        self.pool.push_batch(intercepts, coefficients, iteration);
        let n = self.pool.len();
        self.active.resize(n, false);
        self.last_used.resize(n, iteration);
        self.uses.resize(n, 0);
        self.excluded.resize(n, false);
        let mut ids: Vec<usize> = (first..n).collect();
        self.activate(&mut ids);
    }

    /// Activates the inactive cuts among `ids` (sorted and deduplicated
    /// here) as one append.
    pub(crate) fn activate(&mut self, ids: &mut Vec<usize>) {
        ids.sort_unstable();
        ids.dedup();
        ids.retain(|&i| self.active.get(i).is_some_and(|a| !a));
        if ids.is_empty() {
            return;
        }
        for &i in ids.iter() {
            self.active[i] = true;
        }
        // New cuts (appended after the last refresh) were never in the
        // checked set: it changes only when a listed cut becomes a row.
        let listed = &self.inactive.ids;
        let changed = ids.iter().any(|i| listed.binary_search(i).is_ok());
        self.rows.extend_from_slice(ids);
        self.ops.push(RowOp::Append(std::mem::take(ids)));
        if changed {
            self.refresh_inactive();
        }
    }

    /// Rebuilds the component-major copy of the inactive cuts.
    fn refresh_inactive(&mut self) {
        let n = self.pool.n_state();
        let set = &mut self.inactive;
        set.ids.clear();
        set.ids
            .extend((0..self.active.len()).filter(|&i| !self.active[i] && !self.excluded[i]));
        let m = set.ids.len();
        set.intercepts.clear();
        set.intercepts
            .extend(set.ids.iter().map(|&i| self.pool.intercept(i)));
        set.coefficients.clear();
        set.coefficients.resize(n * m, 0.0);
        for (k, &i) in set.ids.iter().enumerate() {
            for (j, &c) in self.pool.coefficients(i).iter().enumerate() {
                set.coefficients[j * m + k] = c;
            }
        }
    }

    /// Records that cut `id` was binding in `iteration`.
    pub(crate) fn mark_used(&mut self, id: usize, iteration: u64) {
        if let Some(u) = self.last_used.get_mut(id) {
            *u = (*u).max(iteration);
        }
        if let Some(n) = self.uses.get_mut(id) {
            *n += 1;
        }
    }

    /// Sets the activity tolerance (least dual magnitude of a binding row)
    /// and how violated cuts are looked for.
    pub(crate) fn set_rules(&mut self, activity_tolerance: f64, violation: ViolationRule) {
        self.activity_tolerance = activity_tolerance;
        self.violation = violation;
    }

    /// Least dual magnitude of a binding cut row.
    pub(crate) fn activity_tolerance(&self) -> f64 {
        self.activity_tolerance
    }

    /// Last iteration each cut was created or binding.
    pub(crate) fn last_used(&self) -> &[u64] {
        &self.last_used
    }

    /// Iterations in which each cut was binding.
    pub(crate) fn uses(&self) -> &[u64] {
        &self.uses
    }

    /// Runs `rule` on the cuts (with the states visited at the stage, after
    /// `iteration`) and makes its choice the LP rows ([`Self::apply_keep`]);
    /// `keep` is a buffer. Returns the removed row positions.
    pub(crate) fn select(
        &mut self,
        rule: &dyn CutSelection,
        states: &[f64],
        iteration: u64,
        keep: &mut Vec<bool>,
    ) -> Vec<usize> {
        keep.clear();
        keep.resize(self.pool.len(), true);
        let view = CutView {
            pool: &self.pool,
            states,
            iteration,
            last_used: &self.last_used,
            uses: &self.uses,
            active: &self.active,
        };
        rule.select(&view, keep);
        if rule.rechecks_dropped() {
            self.apply_keep(keep, None)
        } else {
            let excluded: Vec<bool> = keep.iter().map(|k| !k).collect();
            self.apply_keep(keep, Some(&excluded))
        }
    }

    /// Makes the LP rows the pool cuts marked in `keep`: active cuts not
    /// kept leave (one removal), inactive kept ones come back (one append,
    /// in pool order). With `excluded`, the cuts it marks (and not kept) are
    /// no longer checked against solutions and the others are; without, the
    /// checked set stays as it is. Returns the removed row positions.
    pub(crate) fn apply_keep(&mut self, keep: &[bool], excluded: Option<&[bool]>) -> Vec<usize> {
        if let Some(excluded) = excluded {
            for (i, x) in self.excluded.iter_mut().enumerate() {
                *x = excluded.get(i).copied().unwrap_or(false)
                    && !keep.get(i).copied().unwrap_or(true);
            }
        }
        let mut removed = Vec::new();
        let mut kept = Vec::with_capacity(self.rows.len());
        for (pos, &id) in self.rows.iter().enumerate() {
            if keep.get(id).copied().unwrap_or(true) {
                kept.push(id);
            } else {
                removed.push(pos);
                self.active[id] = false;
            }
        }
        if !removed.is_empty() {
            self.rows = kept;
            self.ops.push(RowOp::Remove(removed.clone()));
        }
        let mut back: Vec<usize> = (0..self.pool.len())
            .filter(|&id| !self.active[id] && keep.get(id).copied().unwrap_or(true))
            .collect();
        self.activate(&mut back);
        // The checked set changed with the exclusions or the removals (an
        // activation refreshes it itself); otherwise it stands.
        if excluded.is_some() || !removed.is_empty() {
            self.refresh_inactive();
        }
        removed
    }

    /// Number of cut rows.
    pub(crate) fn num_rows(&self) -> usize {
        self.rows.len()
    }

    /// Whether any pool cut is not a row.
    pub(crate) fn has_inactive(&self) -> bool {
        self.rows.len() < self.pool.len()
    }

    /// The change log.
    pub(crate) fn ops(&self) -> &[RowOp] {
        &self.ops
    }

    /// Pool id of cut row `pos`.
    pub(crate) fn row_id(&self, pos: usize) -> Option<usize> {
        self.rows.get(pos).copied()
    }

    /// Writes into `out` the inactive (not excluded) cuts violated at
    /// outgoing state `x` with future cost `theta`: `α + π·x > θ +
    /// tol·max(1, |θ|)` (or `> θ + tol'` with the rule's absolute
    /// tolerance), at most the rule's cap of them, the most violated first.
    pub(crate) fn violated(&self, x: &[f64], theta: f64, tol: f64, out: &mut Vec<usize>) {
        out.clear();
        let set = &self.inactive;
        let m = set.ids.len();
        if m == 0 {
            return;
        }
        let limit = match self.violation.absolute {
            Some(abs) => theta + abs,
            None => theta + tol * theta.abs().max(1.0),
        };
        let mut scored: Vec<(f64, usize)> = Vec::new();
        let mut values = [0.0_f64; CHECK_BLOCK];
        let mut start = 0;
        while start < m {
            let len = CHECK_BLOCK.min(m - start);
            let vals = &mut values[..len];
            vals.copy_from_slice(&set.intercepts[start..start + len]);
            for (j, &xj) in x.iter().enumerate() {
                let col = &set.coefficients[j * m + start..j * m + start + len];
                for (v, c) in vals.iter_mut().zip(col) {
                    *v += c * xj;
                }
            }
            for (k, &v) in vals.iter().enumerate() {
                if v > limit {
                    if self.violation.max_added.is_some() {
                        scored.push((v - limit, set.ids[start + k]));
                    } else {
                        out.push(set.ids[start + k]);
                    }
                }
            }
            start += len;
        }
        if let Some(cap) = self.violation.max_added {
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            out.extend(scored.into_iter().take(cap).map(|(_, id)| id));
            out.sort_unstable();
        }
    }

    /// Writes the rows of cuts `ids` into `batch`.
    pub(crate) fn rows_into(&self, ids: &[usize], layout: &StageLayout, batch: &mut RowBatch) {
        self.pool.rows_for(ids, layout, batch);
    }

    /// Writes into `out` a start for this LP (`template_rows` rows, then
    /// its `self.num_rows()` cut rows) made from `prev`, a basis of a
    /// neighbouring stage's LP with the same columns and template rows
    /// (and its own cut rows): columns and template rows keep `prev`'s
    /// statuses; cut rows are basic except as many as the basis needs to
    /// stay square, taken first among the rows `hint` (a basis of this LP)
    /// leaves nonbasic, then the newest. Returns `false`, leaving `out`
    /// unspecified, when `prev` does not fit (other shape, or more basic
    /// columns and template rows than this LP has rows).
    pub(crate) fn carry_basis(
        &self,
        prev: &Basis,
        num_cols: usize,
        template_rows: usize,
        hint: Option<&Basis>,
        out: &mut Basis,
    ) -> bool {
        if prev.col_status.len() != num_cols || prev.row_status.len() < template_rows {
            return false;
        }
        let n_cuts = self.num_rows();
        let basic = prev
            .col_status
            .iter()
            .chain(&prev.row_status[..template_rows])
            .filter(|s| **s == BasisStatus::Basic)
            .count();
        // Basic cut rows the square basis needs.
        let Some(basic_cuts) = (template_rows + n_cuts).checked_sub(basic) else {
            return false;
        };
        let Some(mut nonbasic) = n_cuts.checked_sub(basic_cuts) else {
            return false;
        };
        out.col_status.clear();
        out.col_status.extend_from_slice(&prev.col_status);
        out.row_status.clear();
        out.row_status
            .extend_from_slice(&prev.row_status[..template_rows]);
        out.row_status
            .resize(template_rows + n_cuts, BasisStatus::Basic);
        let hinted = hint
            .and_then(|h| h.row_status.get(template_rows..))
            .unwrap_or(&[]);
        for (slot, status) in out.row_status[template_rows..].iter_mut().zip(hinted) {
            if nonbasic == 0 {
                break;
            }
            if *status != BasisStatus::Basic {
                *slot = *status;
                nonbasic -= 1;
            }
        }
        for slot in out.row_status[template_rows..].iter_mut().rev() {
            if nonbasic == 0 {
                break;
            }
            if *slot == BasisStatus::Basic {
                *slot = BasisStatus::Lower;
                nonbasic -= 1;
            }
        }
        true
    }

    /// Maps a basis of the LP before the removal of cut rows `removed`
    /// (positions) to the LP after it. Returns `false` when a removed row
    /// was nonbasic (the basis would not be square): drop the basis then.
    pub(crate) fn remap_basis(basis: &mut Basis, template_rows: usize, removed: &[usize]) -> bool {
        let mut k = 0;
        let mut write = template_rows;
        let n = basis.row_status.len();
        for read in template_rows..n {
            let pos = read - template_rows;
            if removed.get(k) == Some(&pos) {
                k += 1;
                if basis.row_status[read] != BasisStatus::Basic {
                    return false;
                }
                continue;
            }
            basis.row_status[write] = basis.row_status[read];
            write += 1;
        }
        basis.row_status.truncate(write);
        true
    }

    /// Maps `basis`, of this LP as it was with `n_before` cut rows followed
    /// by the rows of cuts `local` (appended by one worker for one work
    /// item), to this LP after the activations that followed (which made
    /// every cut of `local` a row): each row appended since `n_before`
    /// takes the status the basis gave its cut, or basic. The basis stays
    /// square: the extra rows are basic.
    pub(crate) fn adopt_local_rows(
        &self,
        basis: &mut Basis,
        template_rows: usize,
        n_before: usize,
        local: &[usize],
    ) {
        let start = template_rows + n_before;
        let tail: Vec<BasisStatus> = basis
            .row_status
            .get(start..)
            .map(<[BasisStatus]>::to_vec)
            .unwrap_or_default();
        basis.row_status.truncate(start);
        for &id in self.rows.get(n_before..).unwrap_or(&[]) {
            let status = local
                .iter()
                .position(|&l| l == id)
                .and_then(|j| tail.get(j).copied())
                .unwrap_or(BasisStatus::Basic);
            basis.row_status.push(status);
        }
    }

    /// A basis of this LP (rows in LP order) expressed for an LP holding
    /// every pool cut in pool order (inactive cuts basic).
    pub(crate) fn to_pool_order(&self, basis: &Basis, template_rows: usize) -> Basis {
        let mut out = Basis {
            col_status: basis.col_status.clone(),
            row_status: basis
                .row_status
                .iter()
                .take(template_rows)
                .copied()
                .collect(),
        };
        out.row_status
            .resize(template_rows + self.pool.len(), BasisStatus::Basic);
        for (pos, &id) in self.rows.iter().enumerate() {
            if let Some(&s) = basis.row_status.get(template_rows + pos) {
                out.row_status[template_rows + id] = s;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cut_selection::ActiveWindow;

    fn pool(n: usize) -> CutPool {
        let mut p = CutPool::new(1);
        let ints: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let coefs: Vec<f64> = vec![-1.0; n];
        p.push_batch(&ints, &coefs, 1);
        p
    }

    fn statuses(s: &str) -> Vec<BasisStatus> {
        s.chars()
            .map(|c| match c {
                'B' => BasisStatus::Basic,
                'U' => BasisStatus::Upper,
                _ => BasisStatus::Lower,
            })
            .collect()
    }

    #[test]
    fn a_carried_basis_stays_square_and_prefers_the_hinted_nonbasic_cut_rows() {
        // Three cut rows here; the neighbouring stage's basis has 2 columns,
        // 2 template rows and one nonbasic cut row, so one column or
        // template row too many is basic: one cut row must be nonbasic.
        let c = LpCuts::new(pool(3), 1);
        let prev = Basis {
            col_status: statuses("BB"),
            row_status: statuses("BLBL"),
        };
        let mut out = Basis::new();
        // Without a hint the newest cut row leaves the basis.
        assert!(c.carry_basis(&prev, 2, 2, None, &mut out));
        assert_eq!(out.col_status, statuses("BB"));
        assert_eq!(out.row_status, statuses("BLBBL"));
        // With a hint, the cut row it left nonbasic (here the first, at
        // its upper status) is taken.
        let hint = Basis {
            col_status: statuses("LL"),
            row_status: statuses("BBUBB"),
        };
        assert!(c.carry_basis(&prev, 2, 2, Some(&hint), &mut out));
        assert_eq!(out.row_status, statuses("BLUBB"));
        let basic = |b: &Basis| {
            b.col_status
                .iter()
                .chain(&b.row_status)
                .filter(|s| **s == BasisStatus::Basic)
                .count()
        };
        assert_eq!(basic(&out), out.row_status.len());
    }

    #[test]
    fn a_basis_that_cannot_be_made_square_or_of_another_shape_is_not_carried() {
        let mut out = Basis::new();
        // No cut rows here, but the neighbour needs one nonbasic cut row.
        let c = LpCuts::new(CutPool::new(1), 1);
        let prev = Basis {
            col_status: statuses("BB"),
            row_status: statuses("BLL"),
        };
        assert!(!c.carry_basis(&prev, 2, 2, None, &mut out));
        // Other column count.
        let c = LpCuts::new(pool(1), 1);
        assert!(!c.carry_basis(&prev, 3, 2, None, &mut out));
        // The same shape fits.
        assert!(c.carry_basis(&prev, 2, 2, None, &mut out));
        assert_eq!(out.row_status, statuses("BLL"));
    }

    #[test]
    fn stale_cuts_leave_and_violated_ones_come_back() {
        let mut c = LpCuts::new(pool(4), 1);
        assert_eq!(c.num_rows(), 4);
        c.mark_used(2, 5);
        let removed = c.select(&ActiveWindow { window: 3 }, &[], 5, &mut Vec::new());
        assert_eq!(removed, vec![0, 1, 3]);
        assert_eq!(c.row_id(0), Some(2));
        let mut v = Vec::new();
        // At x = 0 with θ = 2.5 cut 3 (value 3) is violated, 0 and 1 are not.
        c.violated(&[0.0], 2.5, 1e-9, &mut v);
        assert_eq!(v, vec![3]);
        c.activate(&mut v);
        assert_eq!(c.row_id(1), Some(3));
        assert_eq!(c.ops().len(), 3);
    }

    #[test]
    fn selection_removes_the_cuts_not_kept_and_restores_the_kept_ones() {
        let mut c = LpCuts::new(pool(4), 1);
        let none = [false; 4];
        assert_eq!(
            c.apply_keep(&[true, false, true, false], Some(&none)),
            vec![1, 3]
        );
        assert_eq!(
            (c.row_id(0), c.row_id(1), c.num_rows()),
            (Some(0), Some(2), 2)
        );
        // Cut 3 is kept again, cut 0 leaves.
        assert_eq!(
            c.apply_keep(&[false, false, true, true], Some(&none)),
            vec![0]
        );
        assert_eq!(
            (c.row_id(0), c.row_id(1), c.num_rows()),
            (Some(2), Some(3), 2)
        );
        assert!(c
            .apply_keep(&[false, false, true, true], Some(&none))
            .is_empty());
    }

    #[test]
    fn bases_follow_removed_rows_or_are_dropped() {
        use BasisStatus::{Basic, Lower};
        let mut b = Basis {
            col_status: vec![Lower],
            row_status: vec![Lower, Basic, Lower, Basic],
        };
        assert!(LpCuts::remap_basis(&mut b, 1, &[0, 2]));
        assert_eq!(b.row_status, vec![Lower, Lower]);
        let mut b = Basis {
            col_status: vec![Lower],
            row_status: vec![Lower, Basic, Lower],
        };
        assert!(!LpCuts::remap_basis(&mut b, 1, &[1]));
    }

    #[test]
    fn a_basis_with_one_workers_own_rows_follows_the_shared_activation() {
        use BasisStatus::{Basic, Lower, Upper};
        // Cuts 0..5, of which 1 and 3 are rows; a worker's item added 4
        // then 2 as its own rows, another item 0: the shared activation
        // appends them in item order, sorted per item (4, 2 → 2, 4; then 0).
        let mut c = LpCuts::new(pool(5), 1);
        c.apply_keep(&[false, true, false, true, false], Some(&[false; 5]));
        assert_eq!(c.num_rows(), 2);
        let mut b = Basis {
            col_status: vec![Lower],
            // template row, shared rows (cuts 1, 3), own rows (cuts 4, 2)
            row_status: vec![Basic, Basic, Lower, Upper, Lower],
        };
        c.activate(&mut vec![4, 2]);
        c.activate(&mut vec![0]);
        assert_eq!(
            (2..5).map(|p| c.row_id(p).unwrap()).collect::<Vec<_>>(),
            [2, 4, 0]
        );
        c.adopt_local_rows(&mut b, 1, 2, &[4, 2]);
        // Cut 2 was at the basis' own row 1 (Lower), cut 4 at row 0
        // (Upper); cut 0, added by the other item, is basic.
        assert_eq!(b.row_status, vec![Basic, Basic, Lower, Lower, Upper, Basic]);
        assert_eq!(b.num_basic(), 3);
    }

    /// New cuts arrive as rows and leave the checked set as it was; a
    /// checked cut that becomes a row leaves it.
    #[test]
    fn new_batches_keep_the_checked_set_and_activations_shrink_it() {
        let mut c = LpCuts::new(pool(4), 1);
        c.mark_used(2, 5);
        c.select(&ActiveWindow { window: 3 }, &[], 5, &mut Vec::new());
        let mut v = Vec::new();
        // At x = 0, θ = −10: the inactive cuts 0, 1 and 3 are violated.
        c.violated(&[0.0], -10.0, 1e-9, &mut v);
        assert_eq!(v, vec![0, 1, 3]);
        // Two new cuts (values 7 and 8 at x = 0) are rows, not checked.
        c.push_batch(&[7.0, 8.0], &[-1.0, -1.0], 6);
        assert_eq!(c.num_rows(), 3);
        c.violated(&[0.0], -10.0, 1e-9, &mut v);
        assert_eq!(v, vec![0, 1, 3]);
        // Cut 1 becomes a row: it is no longer checked.
        c.activate(&mut vec![1]);
        c.violated(&[0.0], -10.0, 1e-9, &mut v);
        assert_eq!(v, vec![0, 3]);
        // Removing a new cut's row puts it among the checked ones.
        c.apply_keep(&[false, true, true, false, false, true], None);
        c.violated(&[0.0], -10.0, 1e-9, &mut v);
        assert_eq!(v, vec![0, 3, 4]);
    }

    #[test]
    fn excluded_cuts_are_not_checked_and_the_cap_takes_the_most_violated() {
        let mut c = LpCuts::new(pool(4), 1);
        // Keep cut 0 only; 1 is excluded, 2 and 3 stay candidates.
        c.apply_keep(
            &[true, false, false, false],
            Some(&[false, true, false, false]),
        );
        let mut v = Vec::new();
        // At x = 0, θ = −10: cuts 1, 2, 3 (values 1, 2, 3) are violated.
        c.violated(&[0.0], -10.0, 1e-9, &mut v);
        assert_eq!(v, vec![2, 3]);
        c.set_rules(
            0.0,
            ViolationRule {
                absolute: Some(1e-10),
                max_added: Some(1),
            },
        );
        c.violated(&[0.0], -10.0, 1e-9, &mut v);
        assert_eq!(v, vec![3]);
    }
}
