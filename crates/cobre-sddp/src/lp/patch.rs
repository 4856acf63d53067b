//! The per-solve patch of a stage LP: the right-hand sides of the state
//! fixing rows (incoming state), of the inflow rows (`base + σ·η`) and of
//! the load balance rows (load), all in one contiguous row prefix.
//! Truncation of negative inflows is applied by the stochastic model.

use super::StageLayout;
use crate::scenario::ScenarioModel;
use cobre_solver::{LpSolver, SolverError};

/// Buffers of one stage's patch, owned by a worker (no allocation per solve).
#[derive(Debug, Clone, Default)]
pub struct StagePatch {
    rows: Vec<usize>,
    values: Vec<f64>,
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
        self.values[..ns].copy_from_slice(&x_in[..ns]);
        let lags = x_in.get(n..ns).unwrap_or(&[]);
        let rows = layout.row_inflow.range();
        scenario.inflow_into(t, lags, noise, &mut self.values[rows], &mut self.inflow);
        scenario.load_into(
            t,
            noise,
            layout.n_blocks,
            &mut self.values[layout.row_load.range()],
        );
    }

    /// The right-hand sides of the last fill, indexed by row (the patched
    /// prefix of the rows).
    #[must_use]
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Writes the patch into a solver.
    ///
    /// # Errors
    /// A solver call error.
    pub fn apply<S: LpSolver + ?Sized>(&self, solver: &mut S) -> Result<(), SolverError> {
        solver.set_row_bounds(&self.rows, &self.values, &self.values)
    }
}
