//! Solver settings: a documented struct with defaults and one validation step.

use crate::error::SolverError;

/// Which simplex variant HiGHS runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SimplexAlgorithm {
    /// Serial dual simplex (HiGHS `simplex_strategy = 1`). Best for
    /// re-solves after RHS changes and appended cuts, which keep the basis
    /// dual feasible.
    #[default]
    Dual,
    /// Primal simplex (HiGHS `simplex_strategy = 4`).
    Primal,
}

/// How HiGHS scales the LP before the simplex runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Scaling {
    /// HiGHS' default equilibration scaling (`simplex_scale_strategy = 2`).
    /// Factors are computed once per loaded model (at `load_model`), and
    /// each appended row gets its own row factor.
    Equilibration,
    /// Equilibration even when the matrix already looks well scaled
    /// (`simplex_scale_strategy = 3`).
    ForcedEquilibration,
    /// Scaling by maximum absolute values (`simplex_scale_strategy = 4`),
    /// the default: on large stage LPs (4,000 rows of hydro production
    /// planes) the dual simplex takes about a quarter fewer pivots than
    /// with equilibration, to the same optimum when the dual feasibility
    /// tolerance is tight (see [`SolverOptions::dual_feasibility_tolerance`]).
    /// Factors are computed once per loaded model, as for equilibration.
    #[default]
    MaxValue,
    /// No scaling (`simplex_scale_strategy = 0`).
    Off,
}

impl Scaling {
    pub(crate) fn highs_code(self) -> i32 {
        match self {
            Self::Off => 0,
            Self::Equilibration => 2,
            Self::ForcedEquilibration => 3,
            Self::MaxValue => 4,
        }
    }
}

/// How the dual simplex prices the leaving row (HiGHS
/// `simplex_dual_edge_weight_strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum DualEdgeWeights {
    /// Devex reference weights (`1`): cheap to update, and on the short
    /// warm re-solves of SDDP stage LPs (a few pivots after new bounds or
    /// cut rows) faster overall than exact steepest-edge weights.
    #[default]
    Devex,
    /// Exact dual steepest-edge weights (`2`), HiGHS' own choice; fewer
    /// pivots, more work per pivot and per basis change.
    SteepestEdge,
    /// Dantzig's rule, largest infeasibility (`0`).
    Dantzig,
}

impl DualEdgeWeights {
    pub(crate) fn highs_code(self) -> i32 {
        match self {
            Self::Dantzig => 0,
            Self::Devex => 1,
            Self::SteepestEdge => 2,
        }
    }
}

/// Settings of one [`HighsSolver`](crate::HighsSolver).
///
/// Options that are always set and not exposed: `output_flag = false`,
/// `log_to_console = false`, `presolve = "off"`, `solver = "simplex"`,
/// `threads = 1`, `parallel = "off"` (parallelism belongs to the caller: one
/// solver per worker thread).
#[derive(Debug, Clone, PartialEq)]
pub struct SolverOptions {
    /// Wall-time limit of one `solve` call, in seconds (HiGHS `time_limit`,
    /// whose clock this crate restarts before every solve).
    /// Default: `f64::INFINITY`.
    pub time_limit_s: f64,
    /// Simplex iteration limit of one solve attempt (HiGHS
    /// `simplex_iteration_limit`); `None` for no limit. Default: `None`.
    pub iteration_limit: Option<u64>,
    /// Seed of HiGHS' internal random numbers (cost perturbations, pricing
    /// permutations). Default: 0. Fixed per instance, so runs repeat.
    pub random_seed: u32,
    /// Primal feasibility tolerance. Default: `1e-7` (HiGHS' default).
    pub primal_feasibility_tolerance: f64,
    /// Dual feasibility tolerance. Default: `1e-9` (HiGHS' default is
    /// `1e-7`). With max-value scaling, HiGHS' default lets the simplex stop
    /// at bases whose objective is up to a few 10⁻⁶ (relative) above the
    /// optimum on large stage LPs, which weakens the cuts; at `1e-9` the
    /// objective and the cut slopes agree with equilibration's to 10⁻⁸.
    pub dual_feasibility_tolerance: f64,
    /// Simplex variant. Default: [`SimplexAlgorithm::Dual`].
    pub algorithm: SimplexAlgorithm,
    /// Scaling. Default: [`Scaling::MaxValue`].
    pub scaling: Scaling,
    /// When a warm solve ends without an optimum (anything but a time
    /// limit), discard the basis and solve once more from a cold start;
    /// when that fails too, try the other simplex variant, the dual simplex
    /// without scaling, and interior point with crossover, each from a cold
    /// start, before returning the error. Default: `true`.
    pub retry_cold: bool,
    /// Make `set_basis` discard every piece of solver state left by earlier
    /// solves (HiGHS' simplex instance: factorization, edge weights, random
    /// vectors, perturbation and pivot-threshold adjustments), so that what
    /// follows is a pure function of (model, options, basis). Needed for
    /// bit-identical results across thread counts; costs a few allocations
    /// inside HiGHS per `set_basis`. Default: `true`.
    pub reset_on_set_basis: bool,
    /// Let HiGHS test the accuracy of its factorization (a random ftran/btran
    /// test solve) at every rebuild after basis updates, refactorizing when
    /// the error exceeds 10⁻⁸. The re-solves of SDDP start from a fresh
    /// factorization every few solves (each work item sets its basis), and a
    /// solve that fails is retried cold and with fallback strategies, so the
    /// test costs more than it saves: about a tenth of HiGHS' instructions on
    /// the warm re-solves of a stage LP. Default: `false`.
    pub factor_error_check: bool,
    /// Let the dual simplex perturb the costs before it starts (HiGHS
    /// `dual_simplex_cost_perturbation_multiplier` 1 when on, 0 when off).
    /// Perturbation fights stalling on degenerate LPs, but every solve then
    /// ends with a clean-up phase that removes it, which on SDDP's warm
    /// re-solves costs more pivots than it saves (measured on the 4ree
    /// case: training 11% faster without it, and on a 12-hydro case 13%,
    /// with fewer failed warm solves). A solve that fails without
    /// perturbation is retried with it (the first step of the fallback
    /// ladder). Default: `false`.
    pub cost_perturbation: bool,
    /// Pricing of the dual simplex. Default: [`DualEdgeWeights::Devex`].
    pub dual_edge_weights: DualEdgeWeights,
    /// Stall guard: a solve attempt still running after a number of simplex
    /// pivots set by the size of the loaded model is stopped and solved
    /// again from a cold start with HiGHS' own anti-degeneracy choices
    /// (cost perturbation, steepest-edge pricing), then the rest of the
    /// fallback ladder. A cold solve takes well under one pivot per column
    /// and row; a degenerate stall can take hundreds of thousands
    /// (measured on newave_mini: one backward solve ran 4 minutes). The
    /// limit is a pure function of the model as loaded (cut rows appended
    /// later do not move it), so results stay bit-identical for any thread
    /// count. `None` turns the guard off. Default: [`StallGuard::default`].
    pub stall_guard: Option<StallGuard>,
    /// When `set_basis` is given the same basis as the last time, on an LP
    /// whose matrix and options have not changed since (bounds and costs
    /// may), take HiGHS' check of that basis and the solve's first
    /// factorization from the last time instead of computing them again.
    /// The solve is the same, pivot for pivot, as without it. It pays when
    /// several work items start from one basis (SDDP's backward pass with
    /// fewer forward passes than work items); otherwise keeping a copy of
    /// each first factorization costs a little (0.1–0.5 % of instructions
    /// on the 4ree and 12-stage bench cases). Only a HiGHS built with the
    /// project's patch (`scripts/highs.patch`) has it; elsewhere it is
    /// ignored. Default: `false`.
    pub reuse_start_factor: bool,
}

/// The pivot limit of [`SolverOptions::stall_guard`]:
/// `max(min_pivots, pivots_per_dim × (columns + rows))` of the model as
/// loaded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StallGuard {
    /// Pivots per column and row. Default: 4.
    pub pivots_per_dim: f64,
    /// Least limit, for small models. Default: 10,000.
    pub min_pivots: u64,
}

impl Default for StallGuard {
    fn default() -> Self {
        Self {
            pivots_per_dim: 4.0,
            min_pivots: 10_000,
        }
    }
}

impl StallGuard {
    /// The pivot limit for a model of `dims` columns and rows.
    #[must_use]
    pub fn limit(&self, dims: usize) -> u64 {
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let scaled = (self.pivots_per_dim * dims as f64).ceil() as u64;
        scaled.max(self.min_pivots).max(1)
    }
}

impl Default for SolverOptions {
    fn default() -> Self {
        Self {
            time_limit_s: f64::INFINITY,
            iteration_limit: None,
            random_seed: 0,
            primal_feasibility_tolerance: 1e-7,
            dual_feasibility_tolerance: 1e-9,
            algorithm: SimplexAlgorithm::Dual,
            scaling: Scaling::MaxValue,
            retry_cold: true,
            reset_on_set_basis: true,
            factor_error_check: false,
            cost_perturbation: false,
            dual_edge_weights: DualEdgeWeights::Devex,
            stall_guard: Some(StallGuard::default()),
            reuse_start_factor: false,
        }
    }
}

impl SolverOptions {
    /// Checks every field.
    ///
    /// # Errors
    /// [`SolverError::InvalidOptions`] naming the first bad field.
    pub fn validate(&self) -> Result<(), SolverError> {
        let bad = |reason: &str| {
            Err(SolverError::InvalidOptions {
                reason: reason.to_owned(),
            })
        };
        if self.time_limit_s.is_nan() || self.time_limit_s <= 0.0 {
            return bad("time_limit_s must be positive (use f64::INFINITY for none)");
        }
        if let Some(g) = self.stall_guard {
            if !(g.pivots_per_dim.is_finite() && g.pivots_per_dim >= 0.0) {
                return bad("stall_guard.pivots_per_dim must be finite and not negative");
            }
        }
        for (name, tol) in [
            (
                "primal_feasibility_tolerance",
                self.primal_feasibility_tolerance,
            ),
            (
                "dual_feasibility_tolerance",
                self.dual_feasibility_tolerance,
            ),
        ] {
            if !(1e-10..=1e-3).contains(&tol) {
                return Err(SolverError::InvalidOptions {
                    reason: format!("{name} must lie in [1e-10, 1e-3], got {tol}"),
                });
            }
        }
        if i32::try_from(self.random_seed).is_err() {
            return bad("random_seed must be at most i32::MAX");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_options_are_valid() {
        assert!(SolverOptions::default().validate().is_ok());
    }

    #[test]
    fn bad_options_are_rejected() {
        let o = SolverOptions {
            time_limit_s: 0.0,
            ..SolverOptions::default()
        };
        assert!(o.validate().is_err());
        let o = SolverOptions {
            time_limit_s: f64::NAN,
            ..SolverOptions::default()
        };
        assert!(o.validate().is_err());
        let o = SolverOptions {
            primal_feasibility_tolerance: 1.0,
            ..SolverOptions::default()
        };
        assert!(o.validate().is_err());
        let o = SolverOptions {
            random_seed: u32::MAX,
            ..SolverOptions::default()
        };
        assert!(o.validate().is_err());
    }
}
