//! The per-solve patch of a stage LP: the right-hand sides of the state
//! fixing rows (incoming state), of the inflow rows (`base + σ·η`) and of
//! the load balance rows (load), all in one contiguous row prefix.

use super::StageLayout;
use crate::scenario::ScenarioModel;
use cobre_core::config::InflowNonNegativity;
use cobre_solver::{LpSolver, SolverError};

/// How negative inflows are handled when patching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InflowTreatment {
    /// Clamp the realised inflow at zero.
    pub truncate: bool,
    /// A priced slack in the water balance can add water (LP side only).
    pub penalty: bool,
}

impl From<InflowNonNegativity> for InflowTreatment {
    fn from(m: InflowNonNegativity) -> Self {
        match m {
            InflowNonNegativity::None => Self {
                truncate: false,
                penalty: false,
            },
            InflowNonNegativity::Truncation => Self {
                truncate: true,
                penalty: false,
            },
            InflowNonNegativity::Penalty => Self {
                truncate: false,
                penalty: true,
            },
            InflowNonNegativity::TruncationWithPenalty => Self {
                truncate: true,
                penalty: true,
            },
        }
    }
}

/// Buffers of one stage's patch, owned by a worker (no allocation per solve).
#[derive(Debug, Clone, Default)]
pub struct StagePatch {
    rows: Vec<usize>,
    values: Vec<f64>,
    /// Realised inflow per hydro of the last fill (before the LP's slack).
    pub inflow: Vec<f64>,
    treatment: Option<InflowTreatment>,
}

impl StagePatch {
    /// Buffers for a stage layout.
    #[must_use]
    pub fn new(layout: &StageLayout, treatment: InflowTreatment) -> Self {
        let n = layout.patch_len();
        Self {
            rows: (0..n).collect(),
            values: vec![0.0; n],
            inflow: vec![0.0; layout.n_hydros],
            treatment: Some(treatment),
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
        let (n, l_max) = (layout.n_hydros, layout.n_lags);
        let treatment = self.treatment.unwrap_or(InflowTreatment {
            truncate: false,
            penalty: false,
        });
        let ns = layout.n_state();
        for (v, x) in self.values[..ns].iter_mut().zip(x_in) {
            *v = *x;
        }
        let inflow_rows = layout.row_inflow.range();
        scenario.inflow_rhs_into(t, noise, &mut self.values[inflow_rows.clone()]);
        let psi = scenario.stage(t).map(|s| s.psi.as_slice()).unwrap_or(&[]);
        for h in 0..n {
            let rhs = self.values[inflow_rows.start + h];
            let mut raw = rhs;
            for l in 0..l_max {
                let lag = x_in.get(n + h * l_max + l).copied().unwrap_or(0.0);
                raw += psi.get(h * l_max + l).copied().unwrap_or(0.0) * lag;
            }
            let mut realised = raw;
            let sigma = scenario
                .stage(t)
                .and_then(|s| s.sigma.get(h))
                .copied()
                .unwrap_or(0.0);
            if treatment.truncate && raw < 0.0 && sigma > 0.0 {
                self.values[inflow_rows.start + h] = rhs - raw;
                realised = 0.0;
            }
            self.inflow[h] = realised;
        }
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
