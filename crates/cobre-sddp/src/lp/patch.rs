//! The per-solve patch of a stage LP: the bounds of the incoming-state
//! columns (fixed to the incoming state), the right-hand sides of the
//! inflow rows (`base + σ·η`) and of the load balance rows (load), in one
//! contiguous row prefix, and the availability of non-controllable
//! generation. Truncation of negative inflows is applied by the
//! stochastic model. (The lower bounds of the cut rows, which depend on
//! the incoming lags, are patched by the worker that holds the cuts.)

use super::StageLayout;
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
    rows: Vec<usize>,
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
    /// Buffers for a stage layout.
    #[must_use]
    pub fn new(layout: &StageLayout) -> Self {
        let n = layout.patch_len();
        Self {
            rows: (0..n).collect(),
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
        layout: &StageLayout,
        scenario: &ScenarioModel,
        x_in: &[f64],
        noise: &[f64],
    ) {
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
    /// prefix of the rows).
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
        solver.set_row_bounds(&self.rows, &self.values, &self.values)?;
        if !self.ncs_cols.is_empty() {
            solver.set_col_bounds(&self.ncs_cols, &self.ncs_lower, &self.ncs_upper)?;
        }
        Ok(())
    }
}
