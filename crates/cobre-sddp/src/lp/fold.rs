//! The incoming state folded into the row bounds.
//!
//! The incoming-state columns (`storage_in`, `lags`) are fixed to the
//! incoming values at every solve. In the matrix the solver sees, their
//! entries would only be dead weight: every pivot's row price and dual
//! ratio test walks the nonbasic entries of the rows it touches, fixed
//! columns included (newave_mini: 4,453 of a stage's 23,130 nonzeros, in
//! the water balance, FPHA, inflow and evaporation rows). So the template
//! handed to the solver has these columns empty, and each solve moves
//! `Σ_j a_ij x_j` into the bounds of the rows that held them
//! ([`crate::lp::StagePatch`]). The derivative of the optimum in `x_j`,
//! the reduced cost the fixed column would have had, is then
//! `c_j − Σ_i a_ij y_i` over the folded entries and the row duals `y`
//! ([`StateFold::slopes_into`]).
//!
//! The columns stay in the LP (empty, still fixed to the incoming values
//! by their bounds), so indices, primal values and bases are unchanged.

use cobre_solver::LpModel;

/// The entries of the incoming-state columns, taken out of a stage LP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateFold {
    /// Column of each state component (`StageLayout::state_in_cols`).
    cols: Vec<usize>,
    /// Columns fixed at one value at every solve, with it: emptied too,
    /// their terms in the model's row bounds (kept for [`Self::restore`]).
    constant_cols: Vec<(usize, f64)>,
    /// Entries per state component, then per constant column,
    /// column-wise: `col_start` has `cols.len() + constant_cols.len() + 1`
    /// offsets into `col_row` / `col_coef`.
    col_start: Vec<usize>,
    col_row: Vec<usize>,
    col_coef: Vec<f64>,
    /// Rows holding some folded entry, ascending, with their entries
    /// row-wise (`row_start` into `row_state` / `row_coef`).
    rows: Vec<usize>,
    row_start: Vec<usize>,
    row_state: Vec<usize>,
    row_coef: Vec<f64>,
}

impl StateFold {
    /// Takes the entries of `state_cols` out of `model` (the columns stay,
    /// empty). `state_cols[j]` is the column of state component `j`. The
    /// entries of `constant_cols`, `(column, value)` of columns fixed at
    /// the same value at every solve, go too, their terms moved into the
    /// model's row bounds once.
    #[must_use]
    pub(crate) fn take(
        model: &mut LpModel,
        state_cols: &[usize],
        constant_cols: &[(usize, f64)],
    ) -> Self {
        let n = model.num_cols;
        let n_state = state_cols.len();
        let mut component = vec![usize::MAX; n];
        let constant = constant_cols.iter().map(|&(c, _)| c);
        for (j, c) in state_cols.iter().copied().chain(constant).enumerate() {
            if let Some(slot) = component.get_mut(c) {
                if *slot == usize::MAX {
                    *slot = j;
                }
            }
        }
        let mut by_state: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n_state + constant_cols.len()];
        let mut a_start = Vec::with_capacity(n + 1);
        let mut a_index = Vec::with_capacity(model.a_index.len());
        let mut a_value = Vec::with_capacity(model.a_value.len());
        for c in 0..n {
            a_start.push(a_index.len());
            let (lo, hi) = (model.a_start[c], model.a_start[c + 1]);
            let entries = model.a_index[lo..hi].iter().zip(&model.a_value[lo..hi]);
            match component.get(c).and_then(|&j| by_state.get_mut(j)) {
                Some(list) => list.extend(entries.map(|(&r, &v)| (r, v))),
                None => {
                    for (&r, &v) in entries {
                        a_index.push(r);
                        a_value.push(v);
                    }
                }
            }
        }
        a_start.push(a_index.len());
        model.a_start = a_start;
        model.a_index = a_index;
        model.a_value = a_value;

        for (list, &(_, v)) in by_state[n_state..].iter().zip(constant_cols) {
            shift_rows(model, list, v);
        }
        let mut fold = Self {
            cols: state_cols.to_vec(),
            constant_cols: constant_cols.to_vec(),
            ..Self::default()
        };
        let mut triplets = Vec::new();
        for (j, list) in by_state.iter().enumerate() {
            fold.col_start.push(fold.col_row.len());
            for &(r, v) in list {
                fold.col_row.push(r);
                fold.col_coef.push(v);
                if j < n_state {
                    triplets.push((r, j, v));
                }
            }
        }
        fold.col_start.push(fold.col_row.len());
        triplets.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        for (r, j, v) in triplets {
            if fold.rows.last() != Some(&r) {
                fold.rows.push(r);
                fold.row_start.push(fold.row_state.len());
            }
            fold.row_state.push(j);
            fold.row_coef.push(v);
        }
        fold.row_start.push(fold.row_state.len());
        fold
    }

    /// The model with the folded entries back in their columns (the LP as
    /// formulated, for extensive forms and inspection).
    #[must_use]
    pub fn restore(&self, model: &LpModel) -> LpModel {
        let mut extra: Vec<Option<usize>> = vec![None; model.num_cols];
        let constant = self.constant_cols.iter().map(|&(c, _)| c);
        for (j, c) in self.cols.iter().copied().chain(constant).enumerate() {
            if let Some(slot) = extra.get_mut(c) {
                *slot = Some(j);
            }
        }
        let mut out = model.clone();
        let n_state = self.cols.len();
        for (i, &(_, v)) in self.constant_cols.iter().enumerate() {
            let (a, b) = (self.col_start[n_state + i], self.col_start[n_state + i + 1]);
            let entries: Vec<(usize, f64)> = self.col_row[a..b]
                .iter()
                .copied()
                .zip(self.col_coef[a..b].iter().copied())
                .collect();
            shift_rows(&mut out, &entries, -v);
        }
        out.a_start.clear();
        out.a_index.clear();
        out.a_value.clear();
        for (c, folded) in extra.iter().enumerate() {
            out.a_start.push(out.a_index.len());
            let (lo, hi) = (model.a_start[c], model.a_start[c + 1]);
            let mut entries: Vec<(usize, f64)> = model.a_index[lo..hi]
                .iter()
                .copied()
                .zip(model.a_value[lo..hi].iter().copied())
                .collect();
            if let Some(j) = *folded {
                let (a, b) = (self.col_start[j], self.col_start[j + 1]);
                entries.extend(
                    self.col_row[a..b]
                        .iter()
                        .copied()
                        .zip(self.col_coef[a..b].iter().copied()),
                );
                entries.sort_by_key(|e| e.0);
            }
            for (r, v) in entries {
                out.a_index.push(r);
                out.a_value.push(v);
            }
        }
        out.a_start.push(out.a_index.len());
        out
    }

    /// Rows holding some folded entry, ascending.
    #[must_use]
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    /// Number of entries taken out (state and constant columns).
    #[must_use]
    pub fn num_entries(&self) -> usize {
        self.col_row.len()
    }

    /// `(row, Σ_j a_ij x_j)` for each of [`Self::rows`], in order.
    pub fn shifts<'a>(&'a self, x_in: &'a [f64]) -> impl Iterator<Item = (usize, f64)> + 'a {
        self.rows.iter().enumerate().map(move |(i, &r)| {
            let (a, b) = (self.row_start[i], self.row_start[i + 1]);
            let d = self.row_state[a..b]
                .iter()
                .zip(&self.row_coef[a..b])
                .map(|(&j, &v)| v * x_in.get(j).copied().unwrap_or(0.0))
                .sum();
            (r, d)
        })
    }

    /// The derivative of the optimum in each incoming state component,
    /// `c_j − Σ_i a_ij y_i` (the reduced cost of its column in the LP as
    /// formulated), from the column costs and the row duals `y`.
    pub fn slopes_into(&self, col_cost: &[f64], row_duals: &[f64], out: &mut [f64]) {
        for (j, (o, &c)) in out.iter_mut().zip(&self.cols).enumerate() {
            let (a, b) = (self.col_start[j], self.col_start[j + 1]);
            let priced: f64 = self.col_row[a..b]
                .iter()
                .zip(&self.col_coef[a..b])
                .map(|(&r, &v)| v * row_duals.get(r).copied().unwrap_or(0.0))
                .sum();
            *o = col_cost.get(c).copied().unwrap_or(0.0) - priced;
        }
    }
}

/// Moves `Σ a·v` of a column fixed at `v` into the bounds of its rows.
fn shift_rows(model: &mut LpModel, entries: &[(usize, f64)], v: f64) {
    if v == 0.0 {
        return;
    }
    for &(r, a) in entries {
        if let Some(lo) = model.row_lower.get_mut(r) {
            *lo -= a * v;
        }
        if let Some(up) = model.row_upper.get_mut(r) {
            *up -= a * v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// min x2 s.t. r0: x0 + x2 ≥ 1, r1: 2·x1 + x2 = 3, r2: x0 − x1 ≤ 4,
    /// with x0, x1 the "state" columns.
    fn model() -> LpModel {
        LpModel {
            num_cols: 3,
            num_rows: 3,
            col_cost: vec![0.5, 0.0, 1.0],
            col_lower: vec![0.0; 3],
            col_upper: vec![0.0, 0.0, 10.0],
            row_lower: vec![1.0, 3.0, f64::NEG_INFINITY],
            row_upper: vec![f64::INFINITY, 3.0, 4.0],
            a_start: vec![0, 2, 4, 6],
            a_index: vec![0, 2, 1, 2, 0, 1],
            a_value: vec![1.0, 1.0, 2.0, -1.0, 1.0, 1.0],
            objective_offset: 0.0,
        }
    }

    #[test]
    fn folding_empties_the_state_columns_and_restore_puts_them_back() {
        let original = model();
        let mut m = original.clone();
        let fold = StateFold::take(&mut m, &[0, 1], &[]);
        assert_eq!(m.a_start, vec![0, 0, 0, 2]);
        assert_eq!(m.a_index, vec![0, 1]);
        assert_eq!(fold.rows(), &[0, 1, 2]);
        assert_eq!(fold.num_entries(), 4);
        assert_eq!(fold.restore(&m), original);
    }

    #[test]
    fn shifts_are_the_state_terms_of_each_row() {
        let mut m = model();
        let fold = StateFold::take(&mut m, &[0, 1], &[]);
        let s: Vec<(usize, f64)> = fold.shifts(&[2.0, 5.0]).collect();
        // r0: 1·x0; r1: 2·x1; r2: x0 − x1.
        assert_eq!(s, vec![(0, 2.0), (1, 10.0), (2, -3.0)]);
    }

    #[test]
    fn constant_columns_are_emptied_into_the_row_bounds_once() {
        let mut m = model();
        let fold = StateFold::take(&mut m, &[0], &[(1, 0.5)]);
        assert_eq!(m.a_start, vec![0, 0, 0, 2]);
        // x1 = 0.5 once: r1 (2·x1 = 1) and r2 (−x1 = −0.5) move.
        assert_eq!(m.row_lower, vec![1.0, 2.0, f64::NEG_INFINITY]);
        assert_eq!(m.row_upper, vec![f64::INFINITY, 2.0, 4.5]);
        // Per solve only x0 moves bounds: the rows it holds, r0 and r2.
        assert_eq!(fold.rows(), &[0, 2]);
        let s: Vec<(usize, f64)> = fold.shifts(&[2.0]).collect();
        assert_eq!(s, vec![(0, 2.0), (2, 2.0)]);
        assert_eq!(fold.restore(&m), model());
    }

    #[test]
    fn slopes_are_reduced_costs_of_the_formulated_columns() {
        let mut m = model();
        let fold = StateFold::take(&mut m, &[0, 1], &[]);
        let y = [0.25, -1.5, 2.0];
        let mut d = vec![0.0; 2];
        fold.slopes_into(&m.col_cost, &y, &mut d);
        // d0 = 0.5 − (1·0.25 + 1·2) ; d1 = 0 − (2·(−1.5) − 1·2).
        assert_eq!(d, vec![0.5 - 2.25, 5.0]);
    }
}
