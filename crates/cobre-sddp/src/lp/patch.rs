//! The per-solve patch of a stage LP: the bounds of the incoming-state
//! columns (fixed to the incoming state), the right-hand sides of the
//! inflow rows (`base + σ·η`) and of the load balance rows (load), in one
//! contiguous row prefix, the bounds of the rows that held the
//! incoming-state entries (shifted by `Σ a·x_in`, [`super::StateFold`]),
//! and the availability of non-controllable generation. Truncation of
//! negative inflows is applied by the stochastic model. (The lower bounds
//! of the cut rows, which depend on the incoming lags, are patched by the
//! worker that holds the cuts.)

use super::{StageLayout, StageTemplate};
use crate::scenario::ScenarioModel;
use cobre_solver::{LpSolver, SolverError};

/// A per-source flag repeated for every non-controllable column `k·R + r`
/// (`missing` where the layout has no flag for a source).
fn per_ncs_column(layout: &StageLayout, per_source: &[bool], missing: bool) -> Vec<bool> {
    (0..layout.ncs.len)
        .map(|i| {
            per_source
                .get(i % layout.n_ncs.max(1))
                .copied()
                .unwrap_or(missing)
        })
        .collect()
}

/// Buffers of one stage's patch, owned by a worker (no allocation per solve).
#[derive(Debug, Clone, Default)]
pub struct StagePatch {
    /// The patched rows: the prefix `0..values.len()`, then the rows
    /// outside it that hold folded incoming-state entries.
    rows: Vec<usize>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    /// Right-hand sides of the prefix as formulated (the incoming state's
    /// terms still on the left).
    values: Vec<f64>,
    state_cols: Vec<usize>,
    state_values: Vec<f64>,
    ncs_cols: Vec<usize>,
    ncs_lower: Vec<f64>,
    ncs_upper: Vec<f64>,
    ncs_must_run: Vec<bool>,
    ncs_active: Vec<bool>,
    /// Realised inflow per hydro of the last fill (before the LP's slack).
    pub inflow: Vec<f64>,
}

impl StagePatch {
    /// Buffers for a stage template.
    #[must_use]
    pub fn new(template: &StageTemplate) -> Self {
        let layout = &template.layout;
        let n = layout.patch_len();
        let fold_rows = template.fold.rows();
        let mut rows: Vec<usize> = (0..n).collect();
        rows.extend(fold_rows.iter().copied().filter(|&r| r >= n));
        Self {
            lower: vec![0.0; rows.len()],
            upper: vec![0.0; rows.len()],
            rows,
            values: vec![0.0; n],
            state_cols: layout.state_in_cols.clone(),
            state_values: vec![0.0; layout.state_in_cols.len()],
            ncs_cols: layout.ncs.range().collect(),
            ncs_lower: vec![0.0; layout.ncs.len],
            ncs_upper: vec![0.0; layout.ncs.len],
            ncs_must_run: per_ncs_column(layout, &layout.ncs_must_run, false),
            ncs_active: per_ncs_column(layout, &layout.ncs_active, true),
            inflow: vec![0.0; layout.n_hydros],
        }
    }

    /// Fills the patch for incoming state `x_in` (`n_state` long) and noise.
    pub fn fill(
        &mut self,
        template: &StageTemplate,
        scenario: &ScenarioModel,
        x_in: &[f64],
        noise: &[f64],
    ) {
        let layout: &StageLayout = &template.layout;
        let t = layout.stage;
        let n = layout.n_hydros;
        let ns = layout.n_state().min(x_in.len());
        self.state_values[..ns].copy_from_slice(&x_in[..ns]);
        let lags = x_in.get(n..ns).unwrap_or(&[]);
        let rows = layout.row_inflow.range();
        scenario.inflow_into(t, lags, noise, &mut self.values[rows], &mut self.inflow);
        scenario.load_into(
            t,
            noise,
            layout.n_blocks,
            &mut self.values[layout.row_load.range()],
        );
        let prefix = self.values.len();
        self.lower[..prefix].copy_from_slice(&self.values);
        // The incoming state's terms, moved to the right-hand side (the
        // rows outside the prefix follow it in the fold's row order).
        let model = &template.model;
        let mut outside = prefix;
        for (r, d) in template.fold.shifts(&self.state_values) {
            if r < prefix {
                if let Some(lo) = self.lower.get_mut(r) {
                    *lo -= d;
                }
            } else if let (Some(lo), Some(up)) =
                (self.lower.get_mut(outside), self.upper.get_mut(outside))
            {
                *lo = model.row_lower.get(r).copied().unwrap_or(0.0) - d;
                *up = model.row_upper.get(r).copied().unwrap_or(0.0) - d;
                outside += 1;
            }
        }
        let (lower, upper) = (&self.lower[..prefix], &mut self.upper[..prefix]);
        upper.copy_from_slice(lower);
        if !self.ncs_cols.is_empty() {
            scenario.ncs_available_into(t, noise, layout.n_blocks, &mut self.ncs_upper);
            for (up, &active) in self.ncs_upper.iter_mut().zip(&self.ncs_active) {
                if !active {
                    *up = 0.0;
                }
            }
            for ((lo, up), &must) in self
                .ncs_lower
                .iter_mut()
                .zip(&self.ncs_upper)
                .zip(&self.ncs_must_run)
            {
                *lo = if must { *up } else { 0.0 };
            }
        }
    }

    /// Available non-controllable generation of the last fill, `k·R + r` (MW).
    #[must_use]
    pub fn ncs_available(&self) -> &[f64] {
        &self.ncs_upper
    }

    /// The right-hand sides of the last fill, indexed by row (the patched
    /// prefix of the rows), as formulated: the solver holds them less the
    /// incoming state's terms of each row.
    #[must_use]
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The incoming state of the last fill, by component (the value each
    /// of [`StageLayout::state_in_cols`] is fixed to).
    #[must_use]
    pub fn state_values(&self) -> &[f64] {
        &self.state_values
    }

    /// Writes the patch into a solver.
    ///
    /// # Errors
    /// A solver call error.
    pub fn apply<S: LpSolver + ?Sized>(&self, solver: &mut S) -> Result<(), SolverError> {
        solver.set_col_bounds(&self.state_cols, &self.state_values, &self.state_values)?;
        solver.set_row_bounds(&self.rows, &self.lower, &self.upper)?;
        if !self.ncs_cols.is_empty() {
            solver.set_col_bounds(&self.ncs_cols, &self.ncs_lower, &self.ncs_upper)?;
        }
        Ok(())
    }
}
