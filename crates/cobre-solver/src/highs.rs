//! [`LpSolver`] implemented with HiGHS (dual simplex, warm starts).

use std::cell::RefCell;
use std::ffi::CStr;
use std::sync::OnceLock;
use std::time::Instant;

use crate::basis::{Basis, BasisStatus};
use crate::error::SolverError;
use crate::ffi::{to_hint, HInt, HighsHandle};
use crate::model::{check_indices, check_len, check_no_nan, LpModel, RowBatch};
use crate::options::{Scaling, SimplexAlgorithm, SolverOptions};
use crate::solver::LpSolver;
use crate::status::{CumulativeStats, SolveStats, SolveStatus};

/// The option that `scripts/highs.patch` adds to HiGHS.
const PATCH_OPTION: &CStr = c"kkt_check_on_return";
/// The patch's option behind [`SolverOptions::reuse_start_factor`].
const REUSE_OPTION: &CStr = c"reuse_start_factor";

/// The HiGHS version of the pinned `highs-sys` (and of `scripts/highs.patch`).
pub const EXPECTED_HIGHS: &str = "1.15.0";

const MODEL_STATUS_OPTIMAL: HInt = 7;
const MODEL_STATUS_INFEASIBLE: HInt = 8;
const MODEL_STATUS_INFEASIBLE_OR_UNBOUNDED: HInt = 9;
const MODEL_STATUS_UNBOUNDED: HInt = 10;
const MODEL_STATUS_TIME_LIMIT: HInt = 13;
const MODEL_STATUS_ITERATION_LIMIT: HInt = 14;
const RUN_STATUS_ERROR: HInt = -1;
const STATUS_BASIC: HInt = 1;
const STATUS_NONBASIC: HInt = 4;

/// Buffers used by `&self` reads (basis and short output buffers).
#[derive(Default)]
struct ReadScratch {
    col_status: Vec<HInt>,
    row_status: Vec<HInt>,
    values: Vec<f64>,
}

/// Which part of the solution a read wants.
#[derive(Clone, Copy)]
enum Part {
    ColValue,
    ColDual,
    RowValue,
    RowDual,
}

/// Outcome of one `Highs_run`.
struct Attempt {
    run_status: HInt,
    model_status: HInt,
    iterations: u64,
}

/// An LP solver backed by one HiGHS instance.
///
/// `Send` but not `Sync`: keep one per worker thread. Dropping it frees the
/// HiGHS object. See the crate documentation for the determinism contract
/// and [`LpSolver`] for sign conventions.
pub struct HighsSolver {
    handle: HighsHandle,
    options: SolverOptions,
    loaded: bool,
    num_cols: usize,
    num_rows: usize,
    /// Pivots of the stall guard for the loaded model (`u64::MAX`: none),
    /// fixed when the model is loaded.
    stall_limit: u64,
    /// A basis is available for the next solve (warm start).
    warm: bool,
    /// The last solve was optimal and nothing changed since.
    solution_valid: bool,
    objective: f64,
    last_stats: SolveStats,
    last_status: SolveStatus,
    cumulative: CumulativeStats,
    index_buf: Vec<HInt>,
    start_buf: Vec<HInt>,
    col_status_buf: Vec<HInt>,
    row_status_buf: Vec<HInt>,
    read: RefCell<ReadScratch>,
}

impl std::fmt::Debug for HighsSolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HighsSolver")
            .field("num_cols", &self.num_cols)
            .field("num_rows", &self.num_rows)
            .field("warm", &self.warm)
            .field("last_status", &self.last_status)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The strategies tried, in order, when a solve fails even from a cold start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fallback {
    /// HiGHS' own choices: cost perturbation on, steepest-edge pricing.
    HighsDefaults,
    /// The other simplex variant (primal after dual).
    OtherSimplex,
    /// Dual simplex without scaling.
    Unscaled,
    /// Interior point with crossover.
    InteriorPoint,
}

impl Fallback {
    const ALL: [Fallback; 4] = [
        Self::HighsDefaults,
        Self::OtherSimplex,
        Self::Unscaled,
        Self::InteriorPoint,
    ];
}

impl HighsSolver {
    /// A solver with [`SolverOptions::default`].
    ///
    /// # Errors
    /// [`SolverError::CreateFailed`] or an option call failure.
    pub fn new() -> Result<Self, SolverError> {
        Self::with_options(SolverOptions::default())
    }

    /// A solver with the given options.
    ///
    /// # Errors
    /// [`SolverError::InvalidOptions`], [`SolverError::CreateFailed`] or an
    /// option call failure.
    pub fn with_options(options: SolverOptions) -> Result<Self, SolverError> {
        options.validate()?;
        Self::check_version();
        let mut solver = Self {
            handle: HighsHandle::new()?,
            options,
            loaded: false,
            num_cols: 0,
            num_rows: 0,
            stall_limit: u64::MAX,
            warm: false,
            solution_valid: false,
            objective: f64::NAN,
            last_stats: SolveStats::default(),
            last_status: SolveStatus::NotSolved,
            cumulative: CumulativeStats::default(),
            index_buf: Vec::new(),
            start_buf: Vec::new(),
            col_status_buf: Vec::new(),
            row_status_buf: Vec::new(),
            read: RefCell::new(ReadScratch::default()),
        };
        solver.apply_fixed_options()?;
        solver.apply_options()?;
        Ok(solver)
    }

    /// The version of the linked HiGHS library.
    #[must_use]
    pub fn highs_version() -> &'static str {
        HighsHandle::version()
    }

    /// Whether the linked HiGHS was built with the project's patch
    /// (`scripts/highs.patch`, which `scripts/env.sh` applies): it skips
    /// checks HiGHS makes on every solve only for its log. The results are
    /// the same either way.
    #[must_use]
    pub fn highs_patched() -> bool {
        static PATCHED: OnceLock<bool> = OnceLock::new();
        *PATCHED.get_or_init(|| {
            HighsHandle::new().is_ok_and(|mut h| {
                h.set_bool_option(c"output_flag", false).is_ok() && h.has_option(PATCH_OPTION)
            })
        })
    }

    /// Warns once when the linked HiGHS is not the version this crate is
    /// built and tested for ([`EXPECTED_HIGHS`]): `highs-sys` links a HiGHS
    /// that pkg-config finds before building its own, so a system HiGHS of
    /// another version can end up linked; pivots and degenerate optima may
    /// then differ from the documented figures.
    fn check_version() {
        static CHECKED: OnceLock<()> = OnceLock::new();
        CHECKED.get_or_init(|| {
            let linked = HighsHandle::version();
            if linked != EXPECTED_HIGHS {
                tracing::warn!(
                    linked,
                    expected = EXPECTED_HIGHS,
                    "the linked HiGHS is not the version Cobre is tested with"
                );
            }
        });
    }

    /// The options in force.
    #[must_use]
    pub fn options(&self) -> &SolverOptions {
        &self.options
    }

    /// Replaces the options. A change of [`SolverOptions::scaling`] or
    /// [`SolverOptions::stall_guard`] takes full effect at the
    /// next `load_model` (bit-identical results across
    /// instances need the same options from `load_model` on).
    ///
    /// # Errors
    /// [`SolverError::InvalidOptions`] or an option call failure.
    pub fn set_options(&mut self, options: SolverOptions) -> Result<(), SolverError> {
        options.validate()?;
        self.options = options;
        self.apply_options()
    }

    /// Counters of the last `solve` call.
    #[must_use]
    pub fn last_stats(&self) -> SolveStats {
        self.last_stats
    }

    /// How the last `solve` call ended.
    #[must_use]
    pub fn last_status(&self) -> SolveStatus {
        self.last_status
    }

    /// Pre-sizes the solver's own buffers for models of up to `max_rows`
    /// rows and `add_rows` batches of up to `max_batch_nonzeros` nonzeros,
    /// so that growing the cut set later allocates nothing on the Rust side
    /// (HiGHS still grows its own storage).
    pub fn reserve(&mut self, max_rows: usize, max_batch_nonzeros: usize) {
        fn at_least<T>(v: &mut Vec<T>, n: usize) {
            v.reserve(n.saturating_sub(v.len()));
        }
        let n = self.num_cols.max(1);
        at_least(&mut self.index_buf, max_rows.max(max_batch_nonzeros).max(n));
        at_least(&mut self.start_buf, max_rows.max(n + 1));
        at_least(&mut self.col_status_buf, n);
        at_least(&mut self.row_status_buf, max_rows);
        if let Ok(mut s) = self.read.try_borrow_mut() {
            at_least(&mut s.col_status, n);
            at_least(&mut s.row_status, max_rows);
            at_least(&mut s.values, max_rows.max(n));
        }
    }

    fn apply_fixed_options(&mut self) -> Result<(), SolverError> {
        let h = &mut self.handle;
        h.set_bool_option(c"output_flag", false)?;
        h.set_bool_option(c"log_to_console", false)?;
        h.set_string_option(c"presolve", c"off")?;
        h.set_string_option(c"solver", c"simplex")?;
        h.set_string_option(c"parallel", c"off")?;
        h.set_int_option(c"threads", 1)?;
        // Only a HiGHS built with scripts/highs.patch has this option: it
        // skips the recomputation of the KKT errors of an optimal basic
        // solution that HiGHS makes on every return (the simplex has checked
        // the unscaled solution already). An unpatched HiGHS always runs it.
        if h.has_option(PATCH_OPTION) {
            h.set_bool_option(PATCH_OPTION, false)?;
        }
        Ok(())
    }

    fn apply_fallback(&mut self, fallback: Fallback) -> Result<(), SolverError> {
        let h = &mut self.handle;
        match fallback {
            Fallback::HighsDefaults => {
                h.set_double_option(c"dual_simplex_cost_perturbation_multiplier", 1.0)?;
                h.set_int_option(c"simplex_dual_edge_weight_strategy", -1)
            }
            Fallback::OtherSimplex => {
                let other = match self.options.algorithm {
                    SimplexAlgorithm::Primal => 1,
                    SimplexAlgorithm::Dual => 4,
                };
                h.set_int_option(c"simplex_strategy", other)
            }
            Fallback::Unscaled => {
                h.set_int_option(c"simplex_strategy", 1)?;
                h.set_int_option(c"simplex_scale_strategy", 0)
            }
            Fallback::InteriorPoint => {
                h.set_int_option(c"simplex_scale_strategy", self.options.scaling.highs_code())?;
                h.set_string_option(c"solver", c"ipm")?;
                h.set_string_option(c"run_crossover", c"on")
            }
        }
    }

    fn apply_options(&mut self) -> Result<(), SolverError> {
        let o = &self.options;
        let h = &mut self.handle;
        let seed = HInt::try_from(o.random_seed).unwrap_or(0);
        h.set_int_option(c"random_seed", seed)?;
        let strategy = match o.algorithm {
            SimplexAlgorithm::Primal => 4,
            SimplexAlgorithm::Dual => 1,
        };
        h.set_int_option(c"simplex_strategy", strategy)?;
        h.set_int_option(c"simplex_scale_strategy", o.scaling.highs_code())?;
        h.set_double_option(c"time_limit", o.time_limit_s)?;
        let limit = o.iteration_limit.unwrap_or(u64::MAX).min(self.stall_limit);
        h.set_int_option(
            c"simplex_iteration_limit",
            HInt::try_from(limit).unwrap_or(HInt::MAX),
        )?;
        h.set_double_option(
            c"primal_feasibility_tolerance",
            o.primal_feasibility_tolerance,
        )?;
        h.set_double_option(c"dual_feasibility_tolerance", o.dual_feasibility_tolerance)?;
        // HiGHS' default tolerance turns the test on; 0 turns it off.
        let factor_tolerance = if o.factor_error_check { 1e-8 } else { 0.0 };
        h.set_double_option(
            c"rebuild_refactor_solution_error_tolerance",
            factor_tolerance,
        )?;
        let perturbation = if o.cost_perturbation { 1.0 } else { 0.0 };
        h.set_double_option(c"dual_simplex_cost_perturbation_multiplier", perturbation)?;
        h.set_int_option(
            c"simplex_dual_edge_weight_strategy",
            o.dual_edge_weights.highs_code(),
        )?;
        if h.has_option(REUSE_OPTION) {
            h.set_bool_option(REUSE_OPTION, o.reuse_start_factor)?;
        }
        Ok(())
    }

    fn invalidate_solution(&mut self) {
        self.solution_valid = false;
        self.last_status = SolveStatus::NotSolved;
    }

    fn require_model(&self) -> Result<(), SolverError> {
        if self.loaded {
            Ok(())
        } else {
            Err(SolverError::InvalidModel {
                reason: "no model loaded".into(),
            })
        }
    }

    /// Computes HiGHS' scaling factors from the model as loaded, so that
    /// they never depend on when the first solve happens (before or after
    /// cut rows are appended). Setting a basis makes HiGHS consider scaling
    /// (it factorizes the basis in the scaled space); clearing the solver
    /// afterwards keeps the factors and drops everything else.
    fn prime_scaling(&mut self) -> Result<(), SolverError> {
        if self.num_rows == 0 || self.options.scaling == Scaling::Off {
            return Ok(());
        }
        self.col_status_buf.clear();
        self.col_status_buf.resize(self.num_cols, STATUS_NONBASIC);
        self.row_status_buf.clear();
        self.row_status_buf.resize(self.num_rows, STATUS_BASIC);
        self.handle
            .set_basis(&self.col_status_buf, &self.row_status_buf)?;
        self.handle.clear_solver()
    }

    fn convert_indices(
        buf: &mut Vec<HInt>,
        what: &'static str,
        indices: &[usize],
        bound: usize,
    ) -> Result<(), SolverError> {
        buf.clear();
        for &i in indices {
            if i >= bound {
                return Err(SolverError::IndexOutOfRange {
                    what,
                    index: i,
                    bound,
                });
            }
            buf.push(to_hint(what, i)?);
        }
        Ok(())
    }

    fn run_attempt(&mut self) -> Attempt {
        let run_status = self.handle.run();
        let model_status = self.handle.model_status();
        let iterations = self
            .handle
            .int_info(c"simplex_iteration_count")
            .map_or(0, |v| u64::try_from(v).unwrap_or(0));
        Attempt {
            run_status,
            model_status,
            iterations,
        }
    }

    fn failure(
        &self,
        a: &Attempt,
        retried_cold: bool,
        iterations: u64,
        time_s: f64,
    ) -> SolverError {
        let model_status = a.model_status;
        match model_status {
            MODEL_STATUS_INFEASIBLE => SolverError::Infeasible {
                model_status,
                retried_cold,
            },
            MODEL_STATUS_UNBOUNDED => SolverError::Unbounded {
                model_status,
                retried_cold,
            },
            MODEL_STATUS_INFEASIBLE_OR_UNBOUNDED => SolverError::InfeasibleOrUnbounded {
                model_status,
                retried_cold,
            },
            MODEL_STATUS_ITERATION_LIMIT => SolverError::IterationLimit {
                model_status,
                iterations,
                retried_cold,
            },
            MODEL_STATUS_TIME_LIMIT => SolverError::TimeLimit {
                model_status,
                time_s,
            },
            _ => SolverError::NumericalTrouble {
                run_status: a.run_status,
                model_status,
                retried_cold,
            },
        }
    }

    fn read_part(&self, part: Part, out: &mut [f64]) {
        let need = match part {
            Part::ColValue | Part::ColDual => self.num_cols,
            Part::RowValue | Part::RowDual => self.num_rows,
        };
        if !self.solution_valid {
            out.fill(f64::NAN);
            return;
        }
        let fetch = |buf: &mut [f64]| {
            let (mut cv, mut cd, mut rv, mut rd) = (None, None, None, None);
            match part {
                Part::ColValue => cv = Some(buf),
                Part::ColDual => cd = Some(buf),
                Part::RowValue => rv = Some(buf),
                Part::RowDual => rd = Some(buf),
            }
            self.handle.get_solution(cv, cd, rv, rd)
        };
        if out.len() >= need {
            if let Err(e) = fetch(out) {
                tracing::warn!(error = %e, "could not read the HiGHS solution");
                out.fill(f64::NAN);
            }
            return;
        }
        tracing::warn!(
            given = out.len(),
            needed = need,
            "solution buffer shorter than the model: filling a prefix"
        );
        let Ok(mut scratch) = self.read.try_borrow_mut() else {
            out.fill(f64::NAN);
            return;
        };
        scratch.values.clear();
        scratch.values.resize(need, f64::NAN);
        match fetch(&mut scratch.values) {
            Ok(()) => out.copy_from_slice(&scratch.values[..out.len()]),
            Err(_) => out.fill(f64::NAN),
        }
    }
}

impl LpSolver for HighsSolver {
    fn load_model(&mut self, model: &LpModel) -> Result<(), SolverError> {
        model.validate()?;
        self.start_buf.clear();
        for &s in &model.a_start {
            self.start_buf.push(to_hint("column start", s)?);
        }
        // Canonical storage: row indices ascending inside each column, the
        // order HiGHS itself produces whenever it transposes the matrix, so
        // the stored order never depends on when that happened.
        let mut values = Vec::with_capacity(model.a_value.len());
        self.index_buf.clear();
        let mut column: Vec<(usize, f64)> = Vec::new();
        for w in model.a_start.windows(2) {
            let (rows, vals) = (&model.a_index[w[0]..w[1]], &model.a_value[w[0]..w[1]]);
            column.clear();
            column.extend(rows.iter().copied().zip(vals.iter().copied()));
            column.sort_by_key(|&(r, _)| r);
            for &(r, v) in &column {
                self.index_buf.push(to_hint("row index", r)?);
                values.push(v);
            }
        }
        self.invalidate_solution();
        self.warm = false;
        let passed = self.handle.pass_lp(
            model.objective_offset,
            &model.col_cost,
            &model.col_lower,
            &model.col_upper,
            &model.row_lower,
            &model.row_upper,
            &self.start_buf,
            &self.index_buf,
            &values,
        );
        self.num_cols = self.handle.num_col();
        self.num_rows = self.handle.num_row();
        self.loaded = passed.is_ok();
        passed?;
        let dims = self.num_cols + self.num_rows;
        let limit = self.options.stall_guard.map_or(u64::MAX, |g| g.limit(dims));
        if limit != self.stall_limit {
            self.stall_limit = limit;
            self.apply_options()?;
        }
        self.prime_scaling()
    }

    fn num_rows(&self) -> usize {
        self.num_rows
    }

    fn num_cols(&self) -> usize {
        self.num_cols
    }

    fn set_row_bounds(
        &mut self,
        rows: &[usize],
        lower: &[f64],
        upper: &[f64],
    ) -> Result<(), SolverError> {
        self.require_model()?;
        check_len("row lower bounds", rows.len(), lower.len())?;
        check_len("row upper bounds", rows.len(), upper.len())?;
        check_no_nan("row lower bounds", lower)?;
        check_no_nan("row upper bounds", upper)?;
        Self::convert_indices(&mut self.index_buf, "row index", rows, self.num_rows)?;
        self.invalidate_solution();
        self.handle
            .change_rows_bounds_by_set(&self.index_buf, lower, upper)
    }

    fn set_col_bounds(
        &mut self,
        cols: &[usize],
        lower: &[f64],
        upper: &[f64],
    ) -> Result<(), SolverError> {
        self.require_model()?;
        check_len("column lower bounds", cols.len(), lower.len())?;
        check_len("column upper bounds", cols.len(), upper.len())?;
        check_no_nan("column lower bounds", lower)?;
        check_no_nan("column upper bounds", upper)?;
        Self::convert_indices(&mut self.index_buf, "column index", cols, self.num_cols)?;
        self.invalidate_solution();
        self.handle
            .change_cols_bounds_by_set(&self.index_buf, lower, upper)
    }

    fn set_col_costs(&mut self, cols: &[usize], cost: &[f64]) -> Result<(), SolverError> {
        self.require_model()?;
        check_len("column costs", cols.len(), cost.len())?;
        if let Some(position) = cost.iter().position(|c| !c.is_finite()) {
            return Err(SolverError::NotANumber {
                what: "column costs (must be finite)",
                position,
            });
        }
        Self::convert_indices(&mut self.index_buf, "column index", cols, self.num_cols)?;
        self.invalidate_solution();
        self.handle.change_cols_cost_by_set(&self.index_buf, cost)
    }

    fn add_rows(&mut self, rows: &RowBatch) -> Result<(), SolverError> {
        self.require_model()?;
        rows.validate(self.num_cols)?;
        let n = rows.num_rows();
        if n == 0 {
            return Ok(());
        }
        self.start_buf.clear();
        for &s in &rows.start[..n] {
            self.start_buf.push(to_hint("row start", s)?);
        }
        Self::convert_indices(
            &mut self.index_buf,
            "column index",
            &rows.index,
            self.num_cols,
        )?;
        self.invalidate_solution();
        let added = self.handle.add_rows(
            &rows.lower,
            &rows.upper,
            &self.start_buf,
            &self.index_buf,
            &rows.value,
        );
        self.num_rows = self.handle.num_row();
        added
    }

    fn delete_rows(&mut self, rows: &[usize]) -> Result<(), SolverError> {
        self.require_model()?;
        check_indices(
            "deleted rows (strictly increasing)",
            rows,
            self.num_rows,
            true,
        )?;
        if rows.is_empty() {
            return Ok(());
        }
        Self::convert_indices(&mut self.index_buf, "row index", rows, self.num_rows)?;
        self.invalidate_solution();
        let deleted = self.handle.delete_rows_by_set(&self.index_buf);
        self.num_rows = self.handle.num_row();
        deleted
    }

    fn solve(&mut self) -> Result<SolveStats, SolverError> {
        self.require_model()?;
        self.invalidate_solution();
        let started = Instant::now();
        let warm_start = self.warm;
        let mut attempt = self.run_attempt();
        let mut iterations = attempt.iterations;
        let mut retried_cold = false;
        let optimal = |a: &Attempt| {
            a.model_status == MODEL_STATUS_OPTIMAL && a.run_status != RUN_STATUS_ERROR
        };
        // The stall guard stopped the attempt (not the caller's own limit):
        // straight to the fallback ladder, without the guard.
        let stalled = attempt.model_status == MODEL_STATUS_ITERATION_LIMIT
            && self.stall_limit < self.options.iteration_limit.unwrap_or(u64::MAX);
        if stalled {
            tracing::warn!(
                pivots = attempt.iterations,
                "LP solve stalled (stall guard); solving again from a cold start with \
                 HiGHS' anti-degeneracy settings"
            );
            let limit = self.options.iteration_limit.unwrap_or(u64::MAX);
            if let Err(e) = self.handle.set_int_option(
                c"simplex_iteration_limit",
                HInt::try_from(limit).unwrap_or(HInt::MAX),
            ) {
                tracing::warn!(error = %e, "could not lift the stall guard");
            }
        }
        if !optimal(&attempt)
            && !stalled
            && warm_start
            && self.options.retry_cold
            && attempt.model_status != MODEL_STATUS_TIME_LIMIT
        {
            tracing::debug!(
                model_status = attempt.model_status,
                "warm solve failed; retrying from a cold start"
            );
            if let Err(e) = self.handle.clear_solver() {
                tracing::warn!(error = %e, "could not clear the HiGHS solver before a cold retry");
            }
            attempt = self.run_attempt();
            iterations += attempt.iterations;
            retried_cold = true;
        }
        if !optimal(&attempt)
            && (self.options.retry_cold || stalled)
            && attempt.model_status != MODEL_STATUS_TIME_LIMIT
            && (stalled || attempt.model_status != MODEL_STATUS_ITERATION_LIMIT)
        {
            // Numerical trouble that a cold start does not cure: try the
            // other simplex, then without scaling, then interior point with
            // crossover (a basic solution, so duals and bases stay usable),
            // each from a cold start; the configured options come back after.
            for fallback in Fallback::ALL {
                if self.apply_fallback(fallback).is_err() {
                    continue;
                }
                if let Err(e) = self.handle.clear_solver() {
                    tracing::warn!(error = %e, "could not clear the HiGHS solver before a fallback");
                }
                attempt = self.run_attempt();
                iterations += attempt.iterations;
                retried_cold = true;
                tracing::warn!(
                    ?fallback,
                    model_status = attempt.model_status,
                    solved = optimal(&attempt),
                    "LP fallback strategy after a failed solve"
                );
                if optimal(&attempt) {
                    break;
                }
            }
            if let Err(e) = self
                .apply_fixed_options()
                .and_then(|()| self.apply_options())
            {
                tracing::warn!(error = %e, "could not restore the HiGHS options after a fallback");
            }
        }
        // HiGHS keeps the basis it ended with, even after a failure.
        self.warm = true;
        let solve_time_s = started.elapsed().as_secs_f64();
        let stats = SolveStats {
            simplex_iterations: iterations,
            solve_time_s,
            warm_start,
            retried_cold,
        };
        let ok = optimal(&attempt);
        self.cumulative.record(&stats, ok);
        self.last_stats = stats;
        self.last_status = SolveStatus::from_highs_model_status(attempt.model_status);
        if ok {
            self.solution_valid = true;
            self.objective = self.handle.objective_value();
            Ok(stats)
        } else {
            if self.last_status == SolveStatus::Optimal {
                self.last_status = SolveStatus::SolveError;
            }
            Err(self.failure(&attempt, retried_cold, iterations, solve_time_s))
        }
    }

    fn objective_value(&self) -> f64 {
        if self.solution_valid {
            self.objective
        } else {
            f64::NAN
        }
    }

    fn primal_into(&self, out: &mut [f64]) {
        self.read_part(Part::ColValue, out);
    }

    fn row_duals_into(&self, out: &mut [f64]) {
        self.read_part(Part::RowDual, out);
    }

    fn reduced_costs_into(&self, out: &mut [f64]) {
        self.read_part(Part::ColDual, out);
    }

    fn row_activity_into(&self, out: &mut [f64]) {
        self.read_part(Part::RowValue, out);
    }

    fn basis_into(&self, out: &mut Basis) {
        out.col_status.clear();
        out.row_status.clear();
        if self.warm {
            if let Ok(mut s) = self.read.try_borrow_mut() {
                let s = &mut *s;
                s.col_status.clear();
                s.col_status.resize(self.num_cols, STATUS_NONBASIC);
                s.row_status.clear();
                s.row_status.resize(self.num_rows, STATUS_BASIC);
                if self
                    .handle
                    .get_basis(&mut s.col_status, &mut s.row_status)
                    .is_ok()
                {
                    let code = |c: &HInt| BasisStatus::from_code(i64::from(*c));
                    out.col_status.extend(s.col_status.iter().map(code));
                    out.row_status.extend(s.row_status.iter().map(code));
                    return;
                }
            }
        }
        out.col_status.resize(self.num_cols, BasisStatus::Nonbasic);
        out.row_status.resize(self.num_rows, BasisStatus::Basic);
    }

    fn set_basis(&mut self, basis: &Basis) -> Result<(), SolverError> {
        self.require_model()?;
        check_len(
            "basis column statuses",
            self.num_cols,
            basis.col_status.len(),
        )?;
        if basis.row_status.len() > self.num_rows {
            return Err(SolverError::DimensionMismatch {
                what: "basis row statuses (at most num_rows)",
                expected: self.num_rows,
                actual: basis.row_status.len(),
            });
        }
        self.col_status_buf.clear();
        self.col_status_buf
            .extend(basis.col_status.iter().map(|s| HInt::from(s.to_code())));
        self.row_status_buf.clear();
        self.row_status_buf
            .extend(basis.row_status.iter().map(|s| HInt::from(s.to_code())));
        self.row_status_buf.resize(self.num_rows, STATUS_BASIC);
        self.invalidate_solution();
        if self.options.reset_on_set_basis {
            if let Err(e) = self.handle.clear_solver() {
                self.warm = false;
                return Err(e);
            }
        }
        let set = self
            .handle
            .set_basis(&self.col_status_buf, &self.row_status_buf);
        self.warm = set.is_ok();
        set
    }

    fn clear_basis(&mut self) {
        self.invalidate_solution();
        self.warm = false;
        if self.loaded {
            if let Err(e) = self.handle.clear_solver() {
                tracing::warn!(error = %e, "could not clear the HiGHS basis");
            }
        }
    }

    fn cumulative_stats(&self) -> CumulativeStats {
        self.cumulative
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transport-like LP: `n` supplies, `n` demands, a dense cost matrix
    /// with many ties (degenerate optima), so the simplex takes pivots.
    fn transport(n: usize) -> LpModel {
        let cols = n * n;
        let mut model = LpModel {
            num_cols: cols,
            num_rows: 2 * n,
            col_cost: (0..cols).map(|j| ((j * 7919) % 13) as f64 + 1.0).collect(),
            col_lower: vec![0.0; cols],
            col_upper: vec![f64::INFINITY; cols],
            row_lower: Vec::new(),
            row_upper: Vec::new(),
            a_start: Vec::with_capacity(cols + 1),
            a_index: Vec::with_capacity(2 * cols),
            a_value: Vec::with_capacity(2 * cols),
            objective_offset: 0.0,
        };
        for i in 0..n {
            let supply = 10.0 + (i % 3) as f64;
            model.row_lower.push(f64::NEG_INFINITY);
            model.row_upper.push(supply);
        }
        for k in 0..n {
            let demand = 9.0 + (k % 2) as f64;
            model.row_lower.push(demand);
            model.row_upper.push(f64::INFINITY);
        }
        for i in 0..n {
            for k in 0..n {
                model.a_start.push(model.a_index.len());
                model.a_index.extend([i, n + k]);
                model.a_value.extend([1.0, 1.0]);
            }
        }
        model.a_start.push(model.a_index.len());
        model
    }

    /// What a solve leaves: objective, primal values, row duals, pivots.
    fn solve_and_read(lp: &mut HighsSolver) -> (f64, Vec<f64>, Vec<f64>, u64) {
        let stats = lp.solve().unwrap();
        let mut x = vec![0.0; lp.num_cols()];
        let mut y = vec![0.0; lp.num_rows()];
        lp.primal_into(&mut x);
        lp.row_duals_into(&mut y);
        (lp.objective_value(), x, y, stats.simplex_iterations)
    }

    /// The patch's option only skips HiGHS' recomputation of the KKT errors
    /// on return: with it on (HiGHS' behaviour) or off (ours) the same LP
    /// gives the same objective, solution, duals and pivots, to the bit. On
    /// an unpatched HiGHS there is no option and nothing to compare.
    #[test]
    fn skipping_the_kkt_check_on_return_changes_no_result() {
        if !HighsSolver::highs_patched() {
            return;
        }
        let model = transport(12);
        let mut lp = HighsSolver::new().unwrap();
        lp.load_model(&model).unwrap();
        let off = solve_and_read(&mut lp);
        lp.handle.set_bool_option(PATCH_OPTION, true).unwrap();
        lp.clear_basis();
        let on = solve_and_read(&mut lp);
        assert!(off.3 > 0, "the LP should take pivots");
        assert_eq!(off.0.to_bits(), on.0.to_bits());
        assert_eq!(off.1, on.1);
        assert_eq!(off.2, on.2);
        assert_eq!(off.3, on.3);
    }

    /// One solve of `lp` from `basis` with supplies scaled by `factor`:
    /// objective, primal values, row duals, pivots and the final basis.
    fn solve_from(
        lp: &mut HighsSolver,
        basis: &Basis,
        n: usize,
        factor: f64,
    ) -> (u64, Vec<f64>, Vec<f64>, u64, Basis) {
        let rows: Vec<usize> = (0..n).collect();
        let lower = vec![f64::NEG_INFINITY; n];
        let upper: Vec<f64> = (0..n).map(|i| (10.0 + (i % 3) as f64) * factor).collect();
        lp.set_row_bounds(&rows, &lower, &upper).unwrap();
        lp.set_basis(basis).unwrap();
        let (obj, x, y, pivots) = solve_and_read(lp);
        let mut end = Basis::new();
        lp.basis_into(&mut end);
        (obj.to_bits(), x, y, pivots, end)
    }

    /// Setting the same basis again with `reuse_start_factor` on takes
    /// HiGHS' check and first factorization from the last time: every
    /// solve must be the one a solver without the option makes (objective,
    /// solution, duals, pivots and final basis to the bit), also after a
    /// new row, a new basis and an option change (which all end the
    /// reuse). On an unpatched HiGHS the option is ignored.
    #[test]
    fn reusing_the_start_factorization_changes_no_result() {
        let n = 12;
        let model = transport(n);
        let solver = |reuse: bool| {
            let options = SolverOptions {
                reuse_start_factor: reuse,
                ..SolverOptions::default()
            };
            let mut lp = HighsSolver::with_options(options).unwrap();
            lp.load_model(&model).unwrap();
            lp
        };
        let (mut plain, mut reusing) = (solver(false), solver(true));
        plain.solve().unwrap();
        let mut start = Basis::new();
        plain.basis_into(&mut start);
        let mut cut = RowBatch::new();
        let coefficients: Vec<(usize, f64)> = (0..n).map(|j| (j * (n + 1), 1.0)).collect();
        cut.push_row(f64::NEG_INFINITY, 4.0, &coefficients);
        let mut steps = 0;
        for lp_step in 0..4 {
            if lp_step == 1 {
                // A new row: what was kept belongs to the old matrix.
                plain.add_rows(&cut).unwrap();
                reusing.add_rows(&cut).unwrap();
            }
            if lp_step == 2 {
                // An option set again: kept data are dropped too.
                let o = reusing.options().clone();
                reusing.set_options(o).unwrap();
            }
            let mut other = Basis::new();
            for factor in [1.0, 1.3, 0.9, 1.3, 1.1] {
                let a = solve_from(&mut plain, &start, n, factor);
                let b = solve_from(&mut reusing, &start, n, factor);
                assert_eq!(a, b, "step {lp_step}, supplies x{factor}");
                steps += usize::from(a.3 > 0);
                other = a.4;
            }
            // Another basis in between, then the first one again.
            let a = solve_from(&mut plain, &other, n, 0.95);
            let b = solve_from(&mut reusing, &other, n, 0.95);
            assert_eq!(a, b, "step {lp_step}, the other basis");
        }
        assert!(steps > 4, "the re-solves should take pivots");
    }

    /// What a solve leaves, as [`solve_from`] reads it.
    type SolveRecord = (u64, Vec<f64>, Vec<f64>, u64, Basis);

    /// Solves a fresh copy of `model` from each of `bases` (no bound
    /// change).
    fn solves_from_alien_bases(
        model: &LpModel,
        bases: &[Basis],
    ) -> Result<Vec<SolveRecord>, SolverError> {
        bases
            .iter()
            .map(|b| {
                let mut lp = HighsSolver::new()?;
                lp.load_model(model)?;
                lp.set_basis(b)?;
                let (obj, x, y, pivots) = solve_and_read(&mut lp);
                let mut end = Basis::new();
                lp.basis_into(&mut end);
                Ok((obj.to_bits(), x, y, pivots, end))
            })
            .collect()
    }

    /// HiGHS checks (and repairs) every basis set through the C API with a
    /// factorization; the patched HiGHS keeps that factor per thread from
    /// one check to the next. A check must not depend on the ones before
    /// it: solves from an optimal basis, a basis with too few basic
    /// variables and one with too many give, to the bit, the same results
    /// on a thread whose factor has just checked bases of a larger LP as on
    /// a new thread.
    #[test]
    fn an_alien_basis_check_does_not_depend_on_earlier_checks(
    ) -> Result<(), Box<dyn std::error::Error>> {
        use BasisStatus::{Basic, Nonbasic};
        let (small, large) = (transport(6), transport(20));
        // The optimal basis: where a solve from the slack basis ends.
        let slack = Basis {
            col_status: vec![Nonbasic; small.num_cols],
            row_status: vec![Basic; small.num_rows],
        };
        let optimal = solves_from_alien_bases(&small, &[slack])?
            .pop()
            .ok_or("one solve")?
            .4;
        let (cols, rows) = (small.num_cols, small.num_rows);
        let too_few = Basis {
            col_status: vec![Nonbasic; cols],
            row_status: (0..rows)
                .map(|r| if r % 3 == 0 { Basic } else { Nonbasic })
                .collect(),
        };
        let too_many = Basis {
            col_status: (0..cols)
                .map(|j| if j % 4 == 0 { Basic } else { Nonbasic })
                .collect(),
            row_status: vec![Basic; rows],
        };
        let bases = vec![optimal, too_few, too_many];
        let fresh = {
            let (small, bases) = (small.clone(), bases.clone());
            std::thread::spawn(move || solves_from_alien_bases(&small, &bases))
                .join()
                .map_err(|_| "the thread panicked")??
        };
        let after_large = std::thread::spawn(move || {
            let large_bases = [
                Basis {
                    col_status: vec![Nonbasic; large.num_cols],
                    row_status: vec![Basic; large.num_rows],
                },
                Basis {
                    col_status: (0..large.num_cols)
                        .map(|j| if j % 3 == 0 { Basic } else { Nonbasic })
                        .collect(),
                    row_status: (0..large.num_rows)
                        .map(|r| if r % 2 == 0 { Basic } else { Nonbasic })
                        .collect(),
                },
            ];
            solves_from_alien_bases(&large, &large_bases)?;
            solves_from_alien_bases(&small, &bases)
        })
        .join()
        .map_err(|_| "the thread panicked")??;
        assert_eq!(fresh.len(), 3);
        for (k, (a, b)) in fresh.iter().zip(&after_large).enumerate() {
            assert_eq!(a, b, "start basis {k}");
        }
        // The defective bases were repaired into bases HiGHS could start
        // from: every solve ends at the same optimum.
        assert!(fresh.iter().all(|r| r.0 == fresh[0].0));
        Ok(())
    }
}
