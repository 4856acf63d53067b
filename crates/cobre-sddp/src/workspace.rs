//! What one worker thread owns: a solver instance per cut pool (the stage
//! template of the pool loaded once, the pool's cuts appended as they
//! appear; for the chain of stages a pool is a stage), the patch buffers
//! and the primal/dual buffers, so the hot loop allocates nothing after
//! warm-up. Every method taking `t` takes the pool index.
//!
//! With [`SolverInstances::PerWorker`] a worker keeps one solver instead,
//! and loads a stage's LP into it (the template, then the stage's current
//! cut rows, in row order) when it turns to that stage: the same LP as a
//! resident instance holds, so the same results, with the memory of one LP
//! per thread instead of one per stage and thread.
//!
//! Workers are kept in a [`WorkerPool`], one per thread of the run's rayon
//! pool; a work item locks the worker of the thread it runs on. Every
//! instance of a stage holds the same rows in the same order (cut batches
//! changes are replayed in log order, see [`Worker::sync_cuts`]), so a work item
//! gives the same result on any worker once it starts from its own basis.

use crate::active_set::{LpCuts, RowOp};
use crate::error::{SolveSite, SolverContext};
use crate::lp::{StageLayout, StagePatch, StageTemplate};
use crate::scenario::ScenarioModel;
use crate::study::StudyModel;
use crate::SddpError;
use cobre_solver::{Basis, HighsSolver, LpSolver, RowBatch, SolverOptions};
use cobre_stochastic::LagAccumulator;
use std::sync::{Mutex, MutexGuard};

/// How many LP solver instances a worker keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SolverInstances {
    /// [`Self::PerStage`] while one worker's stage LPs together have at
    /// most [`PER_STAGE_LIMIT`] rows and columns, else
    /// [`Self::PerWorker`]. The choice depends on the study only (not on
    /// the thread count).
    #[default]
    Auto,
    /// One instance per stage (per cut pool), loaded once: each solve only
    /// patches bounds and appends or removes cut rows. Fastest when LPs are
    /// small and per-call set-up matters; memory grows with stages ×
    /// threads.
    PerStage,
    /// One instance per worker: a stage's LP is loaded when the worker
    /// turns to it. For studies with large LPs over many stages, where a
    /// resident instance per stage would cost gigabytes.
    PerWorker,
}

/// Rows plus columns of all stage LPs of one worker up to which
/// [`SolverInstances::Auto`] keeps an instance per stage. A HiGHS instance
/// costs about 1.4 kB per row and column once it has solved (measured on
/// newave_mini before its fixed columns were folded out: 113 stages of
/// 12,329 rows and columns took 1.95 GB), so
/// this is about 280 MB per worker.
pub const PER_STAGE_LIMIT: usize = 200_000;

impl SolverInstances {
    /// Whether a worker keeps one instance per pool for these templates.
    pub(crate) fn per_stage(self, templates: &[StageTemplate], pool_stage: &[usize]) -> bool {
        match self {
            Self::PerStage => true,
            Self::PerWorker => false,
            Self::Auto => {
                let size: usize = pool_stage
                    .iter()
                    .filter_map(|&t| templates.get(t))
                    .map(|tpl| tpl.layout.num_cols + tpl.layout.num_template_rows)
                    .sum();
                size <= PER_STAGE_LIMIT
            }
        }
    }
}

/// The solver of one stage inside a worker.
pub(crate) struct StageInstance {
    /// `None` while the stage's LP is not loaded (a worker with one
    /// instance holds it in the stage it last turned to).
    pub(crate) solver: Option<HighsSolver>,
    pub(crate) patch: StagePatch,
    /// Number of row changes of the stage's [`LpCuts`] already applied.
    pub(crate) ops_applied: usize,
}

/// Counters of one worker.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WorkerStats {
    /// LP solves.
    pub solves: u64,
    /// Simplex iterations.
    pub simplex_iterations: u64,
    /// Time inside the solver (s).
    pub solve_time_s: f64,
    /// Solves that started from a basis.
    pub warm_solves: u64,
    /// Warm solves that had to be retried cold.
    pub cold_retries: u64,
}

impl WorkerStats {
    /// The counters accumulated since `earlier`.
    #[must_use]
    pub fn since(&self, earlier: &Self) -> Self {
        Self {
            solves: self.solves - earlier.solves,
            simplex_iterations: self.simplex_iterations - earlier.simplex_iterations,
            solve_time_s: self.solve_time_s - earlier.solve_time_s,
            warm_solves: self.warm_solves - earlier.warm_solves,
            cold_retries: self.cold_retries - earlier.cold_retries,
        }
    }

    /// Adds another worker's counters.
    pub fn add(&mut self, o: &Self) {
        self.solves += o.solves;
        self.simplex_iterations += o.simplex_iterations;
        self.solve_time_s += o.solve_time_s;
        self.warm_solves += o.warm_solves;
        self.cold_retries += o.cold_retries;
    }
}

/// One worker's solvers and buffers.
pub(crate) struct Worker {
    pub(crate) stages: Vec<StageInstance>,
    pub(crate) primal: Vec<f64>,
    pub(crate) duals: Vec<f64>,
    /// Derivative of the last solve's objective in each incoming state
    /// component (the cut coefficients; [`Self::read_state_duals`]).
    pub(crate) state_duals: Vec<f64>,
    /// Cut-row bounds of the per-solve patch ([`Self::patch_cut_rows`]).
    cut_rows: Vec<usize>,
    cut_lower: Vec<f64>,
    cut_upper: Vec<f64>,
    pub(crate) noise: Vec<f64>,
    pub(crate) batch: RowBatch,
    pub(crate) stats: WorkerStats,
    /// Per stage, per pool cut: binding in some solve since the last merge.
    pub(crate) used: Vec<Vec<bool>>,
    /// Inactive cuts violated by the last checked solution.
    pub(crate) violated: Vec<usize>,
    x_out: Vec<f64>,
    index_buf: Vec<usize>,
    /// Lag accumulator lent to the simulation of one scenario.
    pub(crate) lags: LagAccumulator,
    /// Lag accumulator of the trajectory being walked.
    /// Realised inflows of the last solve (LP primal).
    z_buf: Vec<f64>,
    /// Cuts added as rows of the current work item's LP by this worker only
    /// (see [`Self::add_violated_as_local_rows`]), in row order.
    pub(crate) local_rows: Vec<usize>,
    /// Buffer of [`Self::start_carried`].
    carry: Basis,
    /// The basis of the previous stage of the scenario being simulated
    /// ([`Self::keep_as_previous`]).
    pub(crate) previous: Basis,
    /// The basis the simulation's mean path ended the current stage with.
    pub(crate) peer: Basis,
    /// Start every solve from a cold basis ([`crate::TrainingSettings::warm_start`] off).
    cold_solves: bool,
    /// The pool whose instance holds the worker's only solver
    /// ([`SolverInstances::PerWorker`]); `None` with an instance per pool.
    holder: Option<usize>,
    /// Options of a solver created on demand.
    options: SolverOptions,
}

impl Worker {
    /// A worker for every pool of `study` (with one solver instance each
    /// when `instances` says so).
    pub(crate) fn new(
        study: &StudyModel,
        options: &SolverOptions,
        instances: SolverInstances,
    ) -> Result<Self, SddpError> {
        let (templates, scenario) = (&study.templates, &study.scenario);
        let pool_stage = study.graph.pool_stage();
        let per_stage = instances.per_stage(templates, pool_stage);
        let mut stages = Vec::with_capacity(pool_stage.len());
        let mut max_cols = 0;
        let mut max_rows = 0;
        for &t in pool_stage {
            let tpl = templates
                .get(t)
                .ok_or_else(|| SddpError::invalid(format!("stage {t}"), "no stage template"))?;
            let solver = if per_stage {
                Some(Self::loaded_solver(options, tpl)?)
            } else {
                None
            };
            max_cols = max_cols.max(tpl.layout.num_cols);
            max_rows = max_rows.max(tpl.layout.num_template_rows);
            stages.push(StageInstance {
                solver,
                patch: StagePatch::new(tpl),
                ops_applied: 0,
            });
        }
        Ok(Self {
            stages,
            primal: vec![0.0; max_cols],
            duals: vec![0.0; max_rows],
            state_duals: vec![0.0; study.n_state()],
            cut_rows: Vec::new(),
            cut_lower: Vec::new(),
            cut_upper: Vec::new(),
            noise: vec![0.0; scenario.noise_dim()],
            batch: RowBatch::new(),
            stats: WorkerStats::default(),
            used: vec![Vec::new(); pool_stage.len()],
            violated: Vec::new(),
            x_out: Vec::new(),
            index_buf: Vec::new(),
            lags: scenario.lag_accumulator(),
            z_buf: vec![0.0; scenario.num_hydros()],
            cold_solves: false,
            local_rows: Vec::new(),
            carry: Basis::new(),
            previous: Basis::new(),
            peer: Basis::new(),
            holder: None,
            options: options.clone(),
        })
    }

    /// A new solver holding `tpl`'s LP.
    fn loaded_solver(
        options: &SolverOptions,
        tpl: &StageTemplate,
    ) -> Result<HighsSolver, SddpError> {
        let mut solver = HighsSolver::with_options(options.clone())
            .call_context(|| "creating a solver".into())?;
        solver
            .load_model(&tpl.model)
            .call_context(|| format!("loading the LP of stage {}", tpl.layout.stage))?;
        Ok(solver)
    }

    /// Loads pool `t`'s LP (its template, then the current rows of `cuts`
    /// in row order) into the worker's only solver, taking it from the
    /// pool that held it.
    fn load_pool(
        &mut self,
        t: usize,
        cuts: &LpCuts,
        template: &StageTemplate,
    ) -> Result<(), SddpError> {
        let taken = self
            .holder
            .and_then(|h| self.stages.get_mut(h))
            .and_then(|inst| inst.solver.take());
        let solver = match taken {
            Some(mut s) => {
                s.load_model(&template.model).call_context(|| {
                    format!("loading the LP of stage {}", template.layout.stage)
                })?;
                s
            }
            None => Self::loaded_solver(&self.options, template)?,
        };
        self.holder = Some(t);
        let Some(inst) = self.stages.get_mut(t) else {
            return Ok(());
        };
        let solver = inst.solver.insert(solver);
        inst.ops_applied = cuts.ops().len();
        if cuts.num_rows() > 0 {
            self.index_buf.clear();
            self.index_buf
                .extend((0..cuts.num_rows()).filter_map(|pos| cuts.row_id(pos)));
            cuts.rows_into(&self.index_buf, &template.layout, &mut self.batch);
            solver
                .add_rows(&self.batch)
                .call_context(|| format!("appending cuts to stage {t}"))?;
        }
        let rows = solver.num_rows();
        self.fit_duals(rows);
        Ok(())
    }

    /// The outgoing state of the last solve of stage `t` (read with
    /// [`Self::read_primal`]) from incoming state `x_in`: storage from the
    /// LP, lags advanced by the study's lag chain from the LP's inflows.
    pub(crate) fn next_state(
        &mut self,
        template: &StageTemplate,
        scenario: &ScenarioModel,
        x_in: &[f64],
        out: &mut [f64],
        lags: &mut LagAccumulator,
    ) {
        let layout = &template.layout;
        for (o, &col) in out.iter_mut().zip(&layout.state_out_cols) {
            *o = self.primal.get(col).copied().unwrap_or(0.0);
        }
        let n = layout.n_hydros;
        let ns = layout.n_state();
        if layout.n_lags == 0 || out.len() < ns || x_in.len() < ns {
            return;
        }
        for (h, z) in self.z_buf.iter_mut().enumerate().take(n) {
            *z = self.primal.get(layout.inflow.at(h)).copied().unwrap_or(0.0);
        }
        scenario.lag_chain().advance(
            layout.stage,
            &x_in[n..ns],
            &self.z_buf,
            lags,
            &mut out[n..ns],
        );
    }

    /// Brings stage `t`'s instance up to date with `cuts`: replays the row
    /// changes it has not applied yet, in log order.
    pub(crate) fn sync_cuts(
        &mut self,
        t: usize,
        cuts: &LpCuts,
        template: &StageTemplate,
    ) -> Result<(), SddpError> {
        let Some(inst) = self.stages.get_mut(t) else {
            return Ok(());
        };
        let Some(solver) = inst.solver.as_mut() else {
            return self.load_pool(t, cuts, template);
        };
        let base = template.layout.num_template_rows;
        while let Some(op) = cuts.ops().get(inst.ops_applied) {
            match op {
                RowOp::Append(ids) => {
                    cuts.rows_into(ids, &template.layout, &mut self.batch);
                    solver
                        .add_rows(&self.batch)
                        .call_context(|| format!("appending cuts to stage {t}"))?;
                }
                RowOp::Remove(positions) => {
                    self.index_buf.clear();
                    self.index_buf.extend(positions.iter().map(|p| base + p));
                    solver
                        .delete_rows(&self.index_buf)
                        .call_context(|| format!("removing cuts from stage {t}"))?;
                }
            }
            inst.ops_applied += 1;
        }
        let rows = solver.num_rows();
        self.fit_duals(rows);
        Ok(())
    }

    /// Grows the dual buffer to hold `rows` row duals.
    fn fit_duals(&mut self, rows: usize) {
        if self.duals.len() < rows {
            self.duals.resize(rows + rows / 2, 0.0);
        }
    }

    /// After a solve of stage `t`: reads the primal and dual solution,
    /// marks the binding cut rows as used and writes into `self.violated`
    /// the inactive cuts the solution violates (empty: the solution is
    /// optimal for the LP with every cut).
    pub(crate) fn check_cuts(&mut self, t: usize, cuts: &LpCuts, template: &StageTemplate) {
        self.read_primal(t);
        let layout = &template.layout;
        self.read_state_duals(t, Some(cuts), template);
        let base = layout.num_template_rows;
        let marks = &mut self.used[t];
        // Binding: a dual of at least the activity tolerance (and not zero).
        let tol = cuts.activity_tolerance();
        let binding = |d: &f64| d.abs() > 1e-12 && d.abs() >= tol;
        for pos in 0..cuts.num_rows() {
            if self.duals.get(base + pos).is_some_and(binding) {
                if let Some(id) = cuts.row_id(pos) {
                    if marks.len() <= id {
                        marks.resize(id + 1, false);
                    }
                    marks[id] = true;
                }
            }
        }
        // Rows this worker added for the item being solved follow the
        // shared cut rows.
        let own = base + cuts.num_rows();
        for (j, &id) in self.local_rows.iter().enumerate() {
            if self.duals.get(own + j).is_some_and(binding) {
                if marks.len() <= id {
                    marks.resize(id + 1, false);
                }
                marks[id] = true;
            }
        }
        self.violated.clear();
        if cuts.has_inactive() {
            self.x_out.clear();
            self.x_out
                .extend(layout.state_out_cols.iter().map(|&c| self.primal[c]));
            let theta = self.primal[layout.theta];
            cuts.violated(&self.x_out, theta, VIOLATION_TOLERANCE, &mut self.violated);
            let local = &self.local_rows;
            if !local.is_empty() {
                self.violated.retain(|id| !local.contains(id));
            }
        }
    }

    /// Adds the cuts in `self.violated` to stage `t`'s LP of this worker
    /// only, after the shared cut rows, for the rest of the current work
    /// item ([`Self::drop_local_rows`] takes them out again).
    pub(crate) fn add_violated_as_local_rows(
        &mut self,
        t: usize,
        cuts: &LpCuts,
        template: &StageTemplate,
    ) -> Result<(), SddpError> {
        let Some(solver) = self.stages.get_mut(t).and_then(|i| i.solver.as_mut()) else {
            return Err(not_loaded(t));
        };
        cuts.rows_into(&self.violated, &template.layout, &mut self.batch);
        solver
            .add_rows(&self.batch)
            .call_context(|| format!("adding violated cuts to stage {t}"))?;
        self.local_rows.extend_from_slice(&self.violated);
        let rows = solver.num_rows();
        self.fit_duals(rows);
        Ok(())
    }

    /// Removes the rows added by [`Self::add_violated_as_local_rows`], so
    /// that stage `t`'s LP holds the shared cut rows only again.
    pub(crate) fn drop_local_rows(
        &mut self,
        t: usize,
        cuts: &LpCuts,
        template: &StageTemplate,
    ) -> Result<(), SddpError> {
        if self.local_rows.is_empty() {
            return Ok(());
        }
        let Some(solver) = self.stages.get_mut(t).and_then(|i| i.solver.as_mut()) else {
            return Err(not_loaded(t));
        };
        let own = template.layout.num_template_rows + cuts.num_rows();
        self.index_buf.clear();
        self.index_buf.extend(own..own + self.local_rows.len());
        self.local_rows.clear();
        solver
            .delete_rows(&self.index_buf)
            .call_context(|| format!("removing violated cuts from stage {t}"))
    }

    /// Starts stage `t`'s next solve from `basis`, or cold (with every
    /// piece of solver state cleared) when there is none.
    pub(crate) fn start_from(&mut self, t: usize, basis: Option<&Basis>) -> Result<(), SddpError> {
        let Some(solver) = self.stages.get_mut(t).and_then(|i| i.solver.as_mut()) else {
            return Err(not_loaded(t));
        };
        match basis {
            Some(b) if b.num_cols() == solver.num_cols() => solver
                .set_basis(b)
                .call_context(|| format!("setting the basis of stage {t}")),
            _ => {
                solver.clear_basis();
                Ok(())
            }
        }
    }

    /// Starts stage `t`'s next solve from `prev`, a neighbouring stage's
    /// basis fitted to this stage's cut rows ([`LpCuts::carry_basis`], with
    /// `hint` choosing the nonbasic cut rows), when it fits; else from
    /// `fallback` (cold when `None`).
    pub(crate) fn start_carried(
        &mut self,
        t: usize,
        cuts: &LpCuts,
        layout: &StageLayout,
        prev: Option<&Basis>,
        hint: Option<&Basis>,
        fallback: Option<&Basis>,
    ) -> Result<(), SddpError> {
        let mut carry = std::mem::take(&mut self.carry);
        let fitted = prev.is_some_and(|p| {
            cuts.carry_basis(
                p,
                layout.num_cols,
                layout.num_template_rows,
                hint,
                &mut carry,
            )
        });
        let started = self.start_from(t, if fitted { Some(&carry) } else { fallback });
        self.carry = carry;
        started
    }

    /// Keeps stage `t`'s current basis as [`Self::previous`].
    pub(crate) fn keep_as_previous(&mut self, t: usize) {
        if let Some(solver) = self.stages.get(t).and_then(|i| i.solver.as_ref()) {
            solver.basis_into(&mut self.previous);
        }
    }

    /// Patches stage `t` (holding the rows of `cuts`) for incoming state
    /// `x_in` and the noise in `self.noise`, solves, and returns the
    /// objective (scaled).
    pub(crate) fn solve(
        &mut self,
        t: usize,
        template: &StageTemplate,
        cuts: Option<&LpCuts>,
        scenario: &ScenarioModel,
        x_in: &[f64],
        site: SolveSite,
    ) -> Result<f64, SddpError> {
        if let Some(cuts) = cuts {
            self.patch_cut_rows(t, cuts, &template.layout, x_in)?;
        }
        let Some(inst) = self.stages.get_mut(t) else {
            return Err(SddpError::invalid(format!("stage {t}"), "no such stage"));
        };
        let Some(solver) = inst.solver.as_mut() else {
            return Err(not_loaded(t));
        };
        inst.patch.fill(template, scenario, x_in, &self.noise);
        inst.patch
            .apply(solver)
            .call_context(|| format!("patching stage {t}"))?;
        if self.cold_solves {
            solver.clear_basis();
        }
        let result = solver.solve();
        let last = solver.last_stats();
        self.stats.solves += 1;
        self.stats.simplex_iterations += last.simplex_iterations;
        self.stats.solve_time_s += last.solve_time_s;
        self.stats.warm_solves += u64::from(last.warm_start);
        self.stats.cold_retries += u64::from(last.retried_cold);
        result.at(site)?;
        Ok(solver.objective_value())
    }

    /// Sets the lower bounds of stage `t`'s cut rows (the shared rows of
    /// `cuts`, then this worker's local rows) for incoming state `x_in`:
    /// the rows leave out the state components the stage does not decide
    /// ([`StageLayout::carried_state`]), whose terms are constants of the
    /// solve. Nothing to do when every component is decided.
    fn patch_cut_rows(
        &mut self,
        t: usize,
        cuts: &LpCuts,
        layout: &StageLayout,
        x_in: &[f64],
    ) -> Result<(), SddpError> {
        let carried = &layout.carried_state;
        let n_rows = cuts.num_rows() + self.local_rows.len();
        if carried.is_empty() || n_rows == 0 {
            return Ok(());
        }
        let Some(solver) = self.stages.get_mut(t).and_then(|i| i.solver.as_mut()) else {
            return Err(not_loaded(t));
        };
        let base = layout.num_template_rows;
        self.cut_rows.clear();
        self.cut_lower.clear();
        let ids = lp_cut_ids(cuts, &self.local_rows);
        for (k, id) in ids.enumerate() {
            self.cut_rows.push(base + k);
            self.cut_lower.push(cuts.pool.row_lower(id, carried, x_in));
        }
        self.cut_upper.clear();
        self.cut_upper.resize(self.cut_rows.len(), f64::INFINITY);
        solver
            .set_row_bounds(&self.cut_rows, &self.cut_lower, &self.cut_upper)
            .call_context(|| format!("patching the cut rows of stage {t}"))
    }

    /// Reads into [`Self::state_duals`] the derivative of the last
    /// objective of stage `t` (holding the rows of `cuts`) in each
    /// incoming state component: the reduced cost its fixed column has in
    /// the LP as formulated (`c − Σ a·y` over the entries folded out of the
    /// solver's matrix, [`crate::lp::StateFold`]) plus, for a component
    /// that some carried component leaves the stage as, the cut rows' share
    /// (row dual × the carried coefficient, which the rows hold in their
    /// bounds). Reads the row duals first ([`Self::read_duals`]).
    pub(crate) fn read_state_duals(
        &mut self,
        t: usize,
        cuts: Option<&LpCuts>,
        template: &StageTemplate,
    ) {
        self.read_duals(t);
        let layout = &template.layout;
        let ns = layout.state_in_cols.len();
        self.state_duals.resize(ns, 0.0);
        template
            .fold
            .slopes_into(&template.model.col_cost, &self.duals, &mut self.state_duals);
        let Some(cuts) = cuts else {
            return;
        };
        if layout.carried_state.is_empty() {
            return;
        }
        let base = layout.num_template_rows;
        let ids = lp_cut_ids(cuts, &self.local_rows);
        for (k, id) in ids.enumerate() {
            let y = self.duals.get(base + k).copied().unwrap_or(0.0);
            if y == 0.0 {
                continue;
            }
            let coefficients = cuts.pool.coefficients(id);
            for &(j, src) in &layout.carried_state {
                if let (Some(d), Some(pi)) = (self.state_duals.get_mut(src), coefficients.get(j)) {
                    *d += y * pi;
                }
            }
        }
    }

    /// The solver holding stage `t`'s LP, if loaded.
    fn solver(&self, t: usize) -> Option<&HighsSolver> {
        self.stages.get(t).and_then(|i| i.solver.as_ref())
    }

    /// Reads the primal solution of stage `t` into `self.primal`.
    pub(crate) fn read_primal(&mut self, t: usize) {
        if let Some(solver) = self.stages.get(t).and_then(|i| i.solver.as_ref()) {
            solver.primal_into(&mut self.primal);
        }
    }

    /// Reads the row duals of stage `t` into `self.duals`.
    pub(crate) fn read_duals(&mut self, t: usize) {
        if let Some(solver) = self.stages.get(t).and_then(|i| i.solver.as_ref()) {
            let rows = solver.num_rows();
            if self.duals.len() < rows {
                self.duals.resize(rows, 0.0);
            }
            solver.row_duals_into(&mut self.duals);
        }
    }

    /// Writes stage `t`'s current basis into `out`.
    pub(crate) fn basis_into(&self, t: usize, out: &mut Basis) {
        if let Some(solver) = self.solver(t) {
            solver.basis_into(out);
        }
    }

    /// Realised inflow per hydro of the last patch of stage `t`.
    pub(crate) fn realised_inflow(&self, t: usize) -> &[f64] {
        self.stages
            .get(t)
            .map_or(&[], |s| s.patch.inflow.as_slice())
    }
}

/// Pool ids of the cut rows of a stage LP, in row order: the shared rows
/// of `cuts`, then a worker's `local` rows.
fn lp_cut_ids<'a>(cuts: &'a LpCuts, local: &'a [usize]) -> impl Iterator<Item = usize> + 'a {
    (0..cuts.num_rows())
        .filter_map(|pos| cuts.row_id(pos))
        .chain(local.iter().copied())
}

/// The error of a solver call on a stage whose LP is not loaded (a worker
/// loads a stage in [`Worker::sync_cuts`], which every solve path calls
/// first).
fn not_loaded(t: usize) -> SddpError {
    SddpError::invalid(
        format!("stage {t}"),
        "the stage LP is not loaded in this worker",
    )
}

/// Relative tolerance of the check of inactive cuts (`α + π·x` may exceed
/// `θ` by this fraction of `max(1, |θ|)`, in scaled cost units).
pub(crate) const VIOLATION_TOLERANCE: f64 = 1e-9;

/// Runs `f` on every element of `items` (with its index): in parallel in
/// `pool`, or one after the other on the caller's thread when the pool has
/// one thread (worker 0), which spares handing each step to the pool's
/// thread and waking it. Which thread runs an item does not change its
/// result.
///
/// Items of one size are cut into one contiguous block per thread
/// ([`Blocks`]): a thread runs its own block in order and then takes the
/// last items of the others, so neighbouring items (the chunks of one
/// trial state) mostly run one after the other on one solver. Items of
/// different sizes are taken one at a time, largest `size` first (then in
/// index order): the long items start first and the short ones fill in at
/// the end, so the threads finish together. Threads stop taking items
/// after an error; when several of the items that ran failed, the error of
/// the first in index order is returned.
pub(crate) fn for_each_item_largest_first<T, F, S>(
    pool: &rayon::ThreadPool,
    items: &mut [T],
    size: S,
    f: F,
) -> Result<(), SddpError>
where
    T: Send,
    F: Fn(usize, &mut T) -> Result<(), SddpError> + Sync + Send,
    S: Fn(&T) -> usize,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    if pool.current_num_threads() <= 1 {
        return items.iter_mut().enumerate().try_for_each(|(i, x)| f(i, x));
    }
    let order = largest_first(items.iter().map(&size));
    let uniform = items.windows(2).all(|w| size(&w[0]) == size(&w[1]));
    let blocks = Blocks::new(order.len(), pool.current_num_threads());
    let cells: Vec<Mutex<&mut T>> = items.iter_mut().map(Mutex::new).collect();
    let next = AtomicUsize::new(0);
    let errors = StepErrors::default();
    let end = StepEnd::new(pool.current_num_threads());
    pool.broadcast(|ctx| {
        while !errors.failed() {
            let k = if uniform {
                blocks.take(ctx.index())
            } else {
                Some(next.fetch_add(1, Ordering::Relaxed))
            };
            let Some(&i) = k.and_then(|k| order.get(k)) else {
                break;
            };
            let Some(cell) = cells.get(i) else { break };
            // Each item is taken once: its lock is never contended.
            let mut item = cell
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Err(e) = f(i, &mut item) {
                errors.record(i, e);
            }
        }
        end.finish();
    });
    errors.into_result()
}

/// Runs `steps` successive steps of every chain of `chains`: `f(i, chain,
/// step)` for `step` in `0..steps`, in order for each chain, the chains in
/// parallel in `pool` (on the caller's thread when the pool has one
/// thread: step 0 of every chain, then step 1, …). A chain is never stepped
/// by two threads at once, but it may change threads between steps: a free
/// thread takes the chain that has made the fewest steps (the first in
/// index order among equals), so every chain advances at about the same
/// pace and the threads finish within about one step of each other, where
/// whole chains per thread would leave one thread waiting for the longest
/// chain. A step's result must not depend on the thread that runs it.
/// Stops at the first error; on one thread that is the first step that
/// fails, on several the error of the first failed chain in index order.
pub(crate) fn for_each_chain<T, F>(
    pool: &rayon::ThreadPool,
    chains: &mut [T],
    steps: usize,
    f: F,
) -> Result<(), SddpError>
where
    T: Send,
    F: Fn(usize, &mut T, usize) -> Result<(), SddpError> + Sync + Send,
{
    if pool.current_num_threads() <= 1 || chains.len() <= 1 {
        // Step by step across the chains, as the threads would: a worker
        // with one solver instance then loads each stage's LP once.
        for step in 0..steps {
            for (i, c) in chains.iter_mut().enumerate() {
                f(i, c, step)?;
            }
        }
        return Ok(());
    }
    let n = chains.len();
    let cells: Vec<Mutex<&mut T>> = chains.iter_mut().map(Mutex::new).collect();
    // Per chain: steps done and whether a thread holds it.
    let progress: Mutex<Vec<(usize, bool)>> = Mutex::new(vec![(0, false); n]);
    let errors = StepErrors::default();
    let lock = || {
        progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    let chain_steps = || loop {
        if errors.failed() {
            break;
        }
        let (i, step) = match pick_chain(&mut lock(), steps) {
            Pick::Step(i, step) => (i, step),
            Pick::Wait => {
                std::hint::spin_loop();
                continue;
            }
            Pick::Done => break,
        };
        let r = match cells.get(i) {
            Some(cell) => {
                // A step that panics stops the others (they would wait
                // for the chain it holds).
                let _stop = StopOnUnwind(&errors);
                // A held chain is stepped by one thread: never contended.
                let mut chain = cell
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                f(i, &mut chain, step)
            }
            None => Err(SddpError::invalid(format!("chain {i}"), "no such chain")),
        };
        if let Err(e) = r {
            errors.record(i, e);
        }
        if let Some(c) = lock().get_mut(i) {
            *c = (step + 1, false);
        }
    };
    // More threads than chains: the extra ones would only wait.
    let end = StepEnd::new(pool.current_num_threads().min(n));
    pool.broadcast(|ctx| {
        if ctx.index() >= n {
            return;
        }
        chain_steps();
        end.finish();
    });
    errors.into_result()
}

/// The errors of a parallel step, by item (or chain) index; once one is
/// recorded the threads take no more work.
#[derive(Default)]
struct StepErrors {
    failed: std::sync::atomic::AtomicBool,
    errors: Mutex<Vec<(usize, SddpError)>>,
}

impl StepErrors {
    fn failed(&self) -> bool {
        self.failed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Makes the threads take no more work.
    fn stop(&self) {
        self.failed
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn record(&self, i: usize, e: SddpError) {
        self.stop();
        self.errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((i, e));
    }

    /// The error of the first failed item in index order.
    fn into_result(self) -> Result<(), SddpError> {
        let mut errors = self
            .errors
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        errors.sort_by_key(|(i, _)| *i);
        match errors.into_iter().next() {
            Some((_, e)) => Err(e),
            None => Ok(()),
        }
    }
}

/// Stops the step's other threads when dropped during a panic.
struct StopOnUnwind<'a>(&'a StepErrors);

impl Drop for StopOnUnwind<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

/// What a thread of [`for_each_chain`] does next.
#[derive(Debug, PartialEq, Eq)]
enum Pick {
    /// Step `.1` of chain `.0` (now held by the thread).
    Step(usize, usize),
    /// Every unfinished chain is held by another thread.
    Wait,
    /// Every chain has made all its steps.
    Done,
}

/// Takes the free chain with the fewest steps done (the first in index
/// order among equals) from `progress` (per chain: steps done, held):
/// the chain furthest behind, the one that would otherwise end last, goes
/// first whenever it is free.
fn pick_chain(progress: &mut [(usize, bool)], steps: usize) -> Pick {
    let mut best: Option<(usize, usize)> = None;
    let mut unfinished = false;
    for (i, &(done, held)) in progress.iter().enumerate() {
        if done < steps {
            unfinished = true;
            if !held && best.is_none_or(|(_, d)| done < d) {
                best = Some((i, done));
            }
        }
    }
    match best {
        Some((i, done)) => {
            if let Some(c) = progress.get_mut(i) {
                c.1 = true;
            }
            Pick::Step(i, done)
        }
        None if unfinished => Pick::Wait,
        None => Pick::Done,
    }
}

/// The end of a parallel step: a thread that has run out of items polls
/// until every thread has (for at most [`SPIN_LIMIT`]) before it leaves
/// the step. The thread that called the step then finds the step done as
/// soon as it is, instead of going to sleep in the pool while the last
/// item runs and being woken after it.
struct StepEnd {
    active: std::sync::atomic::AtomicUsize,
}

impl StepEnd {
    fn new(threads: usize) -> Self {
        Self {
            active: std::sync::atomic::AtomicUsize::new(threads),
        }
    }

    /// Called once by each of the step's threads after its last item.
    fn finish(&self) {
        use std::sync::atomic::Ordering;
        if self.active.fetch_sub(1, Ordering::AcqRel) <= 1 {
            return;
        }
        let started = std::time::Instant::now();
        while self.active.load(Ordering::Acquire) > 0 && started.elapsed() < SPIN_LIMIT {
            std::hint::spin_loop();
        }
    }
}

/// How long a thread of a [`with_spinning_team`] keeps looking for work
/// after its last item before it goes back to the pool's own idle loop
/// (which sleeps after a few rounds).
const SPIN_LIMIT: std::time::Duration = std::time::Duration::from_millis(1);

/// Runs `phases` on a thread of `pool` (the leader) while every other
/// thread of the pool waits for the leader's parallel steps by polling its
/// own queue instead of sleeping between them.
///
/// A parallel step ([`for_each_item_largest_first`]) hands one job to each
/// thread of the pool. Between steps the leader alone stores cuts and plans
/// the next step, usually for tens of microseconds; an idle rayon thread
/// falls asleep within about as long, and waking it again delays each
/// step's start on that thread (4ree on two threads, measured 2026-12-06:
/// 54–72 µs of thread time a step). Here the other threads poll for the
/// next step's job (the `pause` instruction between polls) and take it at
/// once; a thread that has found no work for [`SPIN_LIMIT`] returns to the
/// pool's idle loop, so a long
/// serial stretch (or a pool with more threads than cores) does not keep
/// it busy, and later steps wake it the usual way. Which thread runs which
/// item never changes a result.
pub(crate) fn with_spinning_team<R: Send>(
    pool: &rayon::ThreadPool,
    phases: impl FnOnce() -> R + Send,
) -> R {
    use std::sync::atomic::{AtomicBool, Ordering};
    /// Ends the polling when the phases return or unwind.
    struct Release<'a>(&'a AtomicBool);
    impl Drop for Release<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }
    let done = AtomicBool::new(false);
    let done = &done;
    pool.scope(move |s| {
        let leader = rayon::current_thread_index();
        s.spawn_broadcast(move |_, ctx| {
            if Some(ctx.index()) == leader {
                return;
            }
            let mut last_work = std::time::Instant::now();
            while !done.load(Ordering::Acquire) {
                // Only this thread's own queue (a step's job arrives there):
                // polling never touches the leader's queue.
                if rayon::yield_local() == Some(rayon::Yield::Executed) {
                    last_work = std::time::Instant::now();
                } else if last_work.elapsed() > SPIN_LIMIT {
                    return;
                } else {
                    std::hint::spin_loop();
                }
            }
        });
        let _release = Release(done);
        phases()
    })
}

/// A step's positions `0..n` cut into one contiguous block per thread.
/// Each thread takes its own block from the front, in order; a thread
/// whose block is empty takes from the back of the fullest other block.
/// Neighbouring items (the chunks of one trial state) thus usually run
/// one after the other on one thread, which keeps its solver's start of
/// that state, and a steal costs one start more.
struct Blocks {
    /// Per block, `front << 32 | back` (positions `front..back` left).
    bounds: Vec<std::sync::atomic::AtomicU64>,
}

impl Blocks {
    fn new(n: usize, threads: usize) -> Self {
        let threads = threads.max(1);
        let bounds = (0..threads)
            .map(|k| {
                let (lo, hi) = (n * k / threads, n * (k + 1) / threads);
                std::sync::atomic::AtomicU64::new(((lo as u64) << 32) | hi as u64)
            })
            .collect();
        Self { bounds }
    }

    /// The next position for thread `k`: the front of its own block, else
    /// the back of the other block with the most positions left.
    fn take(&self, k: usize) -> Option<usize> {
        use std::sync::atomic::Ordering;
        if let Some(own) = self.bounds.get(k) {
            if let Some(p) = Self::update(own, true) {
                return Some(p);
            }
        }
        loop {
            let fullest = self
                .bounds
                .iter()
                .map(|b| {
                    let v = b.load(Ordering::Acquire);
                    ((v & 0xffff_ffff).saturating_sub(v >> 32), b)
                })
                .filter(|(left, _)| *left > 0)
                .max_by_key(|(left, _)| *left)?;
            if let Some(p) = Self::update(fullest.1, false) {
                return Some(p);
            }
        }
    }

    /// Takes the front (or the back) position of one block; `None` when
    /// it is empty.
    fn update(block: &std::sync::atomic::AtomicU64, front: bool) -> Option<usize> {
        use std::sync::atomic::Ordering;
        let mut v = block.load(Ordering::Acquire);
        loop {
            let (lo, hi) = (v >> 32, v & 0xffff_ffff);
            if lo >= hi {
                return None;
            }
            let (next, p) = if front {
                (((lo + 1) << 32) | hi, lo)
            } else {
                ((lo << 32) | (hi - 1), hi - 1)
            };
            match block.compare_exchange_weak(v, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return usize::try_from(p).ok(),
                Err(now) => v = now,
            }
        }
    }
}

/// Item indices by decreasing size, equal sizes in index order.
fn largest_first(sizes: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut order: Vec<(usize, usize)> = sizes.enumerate().collect();
    order.sort_by_key(|&(i, s)| (std::cmp::Reverse(s), i));
    order.into_iter().map(|(i, _)| i).collect()
}

/// The thread pool of a run (`threads` threads) and one worker per thread.
///
/// # Errors
/// [`SddpError::ThreadPool`] when the pool cannot start; a solver that
/// cannot be created or loaded.
pub(crate) fn start_workers(
    study: &StudyModel,
    threads: usize,
    options: &SolverOptions,
    instances: SolverInstances,
) -> Result<(rayon::ThreadPool, WorkerPool), SddpError> {
    let thread_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| SddpError::ThreadPool {
            threads,
            message: e.to_string(),
        })?;
    let workers = WorkerPool::new(threads, study, options, instances)?;
    Ok((thread_pool, workers))
}

/// One worker per thread of the run.
pub(crate) struct WorkerPool {
    workers: Vec<Mutex<Worker>>,
}

impl WorkerPool {
    /// Creates `n` workers for the pools of `study` ([`Worker::new`]).
    pub(crate) fn new(
        n: usize,
        study: &StudyModel,
        options: &SolverOptions,
        instances: SolverInstances,
    ) -> Result<Self, SddpError> {
        let pool_stage = study.graph.pool_stage();
        tracing::debug!(
            per_stage = instances.per_stage(&study.templates, pool_stage),
            pools = pool_stage.len(),
            workers = n.max(1),
            "solver instances"
        );
        let workers = (0..n.max(1))
            .map(|_| Worker::new(study, options, instances).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { workers })
    }

    /// Makes every solve start cold (for measuring what warm starts save).
    pub(crate) fn set_cold_solves(&mut self, on: bool) {
        for w in &mut self.workers {
            if let Ok(w) = w.get_mut() {
                w.cold_solves = on;
            }
        }
    }

    /// The worker of the current rayon thread (worker 0 outside the pool).
    pub(crate) fn current(&self) -> Result<MutexGuard<'_, Worker>, SddpError> {
        let i = rayon::current_thread_index().unwrap_or(0);
        let m = self
            .workers
            .get(i)
            .or_else(|| self.workers.first())
            .ok_or_else(|| SddpError::invalid("worker pool", "no worker"))?;
        m.lock()
            .map_err(|_| SddpError::invalid("worker pool", "a worker panicked earlier"))
    }

    /// Hands every binding mark of every worker to `f` as `(stage, pool
    /// id)` and clears them. Their union does not depend on which worker
    /// saw what.
    pub(crate) fn take_used(&self, mut f: impl FnMut(usize, usize)) {
        for w in &self.workers {
            if let Ok(mut w) = w.lock() {
                for (t, marks) in w.used.iter_mut().enumerate() {
                    for (id, m) in marks.iter_mut().enumerate() {
                        if *m {
                            f(t, id);
                            *m = false;
                        }
                    }
                }
            }
        }
    }

    /// Sum of every worker's counters.
    pub(crate) fn stats(&self) -> WorkerStats {
        let mut s = WorkerStats::default();
        for w in &self.workers {
            if let Ok(w) = w.lock() {
                s.add(&w.stats);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Phase;
    use crate::{train, TrainingHooks, TrainingSettings};

    /// One parallel step over `(size, runs)` items: counts each item's runs.
    fn count_runs(pool: &rayon::ThreadPool, items: &mut [(usize, usize)]) -> Result<(), SddpError> {
        for_each_item_largest_first(
            pool,
            items,
            |it| it.0,
            |_, it| {
                it.1 += 1;
                Ok(())
            },
        )
    }

    /// Every item runs exactly once on a two-thread pool.
    #[test]
    fn every_item_runs_exactly_once() -> Result<(), Box<dyn std::error::Error>> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
        let mut items: Vec<(usize, usize)> = [1, 5, 2, 9, 3, 3, 7].map(|s| (s, 0)).to_vec();
        count_runs(&pool, &mut items)?;
        assert!(items.iter().all(|it| it.1 == 1), "{items:?}");
        Ok(())
    }

    /// Items are handed out by decreasing size; equal sizes keep their
    /// index order.
    #[test]
    fn items_are_handed_out_largest_first() {
        let order = largest_first([1_usize, 5, 2, 9, 3, 3, 7].into_iter());
        assert_eq!(order, [3, 6, 1, 4, 5, 2, 0]);
    }

    /// Steps run inside a spinning team: every item of every step runs
    /// exactly once and the phases' value comes back, including after a
    /// pause longer than the polling limit (the polling thread has gone
    /// back to the pool's idle loop and is woken the usual way).
    #[test]
    fn a_spinning_team_runs_every_item_of_successive_steps(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
        let mut items: Vec<(usize, usize)> = (0..6).map(|i| (i % 3, 0)).collect();
        let steps = with_spinning_team(&pool, || -> Result<usize, SddpError> {
            for step in 0..200 {
                if step == 100 {
                    std::thread::sleep(SPIN_LIMIT * 5);
                }
                count_runs(&pool, &mut items)?;
            }
            Ok(200)
        })?;
        assert_eq!(steps, 200);
        assert!(items.iter().all(|it| it.1 == 200), "{items:?}");
        Ok(())
    }

    /// An error or a panic in the phases ends the team: the call returns
    /// (or unwinds) instead of waiting for the polling threads forever.
    #[test]
    fn a_spinning_team_ends_when_the_phases_fail() -> Result<(), Box<dyn std::error::Error>> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
        let r: Result<(), SddpError> =
            with_spinning_team(&pool, || Err(SddpError::invalid("phase", "fails")));
        assert!(r.is_err());
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            with_spinning_team(&pool, || panic!("phases panic"))
        }));
        assert!(unwound.is_err());
        // The pool still runs steps afterwards.
        let mut items = vec![(1_usize, 0_usize); 4];
        with_spinning_team(&pool, || count_runs(&pool, &mut items))?;
        assert_eq!(items, [(1, 1); 4]);
        Ok(())
    }

    /// Every chain makes every step once and in order, on one thread and
    /// on pools with fewer, as many and more threads than chains.
    #[test]
    fn every_chain_makes_its_steps_once_and_in_order() -> Result<(), Box<dyn std::error::Error>> {
        for threads in [1, 2, 3, 8] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()?;
            let mut chains: Vec<Vec<usize>> = vec![Vec::new(); 5];
            for_each_chain(&pool, &mut chains, 7, |_, c, step| {
                c.push(step);
                Ok(())
            })?;
            let steps: Vec<usize> = (0..7).collect();
            assert!(chains.iter().all(|c| *c == steps), "{threads}: {chains:?}");
        }
        Ok(())
    }

    /// A free thread takes the free chain furthest behind (the first of
    /// equals); it waits while every unfinished chain is held, and stops
    /// when all are done.
    #[test]
    fn the_chain_furthest_behind_goes_first() {
        let mut p = [(2, false), (1, true), (1, false), (3, false)];
        assert_eq!(pick_chain(&mut p, 4), Pick::Step(2, 1));
        assert!(p[2].1, "the chain is held now");
        assert_eq!(pick_chain(&mut p, 4), Pick::Step(0, 2));
        assert_eq!(pick_chain(&mut p, 4), Pick::Step(3, 3));
        assert_eq!(pick_chain(&mut p, 4), Pick::Wait);
        let mut finished = [(4, false), (4, false)];
        assert_eq!(pick_chain(&mut finished, 4), Pick::Done);
        // A finished chain is never taken, even when it is free.
        let mut p = [(4, false), (3, true)];
        assert_eq!(pick_chain(&mut p, 4), Pick::Wait);
    }

    /// The first failing chain's error comes back, and the other chains
    /// stop.
    #[test]
    fn a_failing_chain_step_stops_the_chains_with_its_error(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
        let mut chains = vec![0_usize; 3];
        let r = for_each_chain(&pool, &mut chains, 50, |i, c, step| {
            *c += 1;
            if i == 1 && step == 2 {
                Err(SddpError::invalid(format!("chain {i}"), "fails"))
            } else {
                Ok(())
            }
        });
        let text = r.err().ok_or("an error")?.to_string();
        assert!(text.contains("chain 1"), "{text}");
        assert!(chains.iter().all(|&c| c < 50), "{chains:?}");
        Ok(())
    }

    /// A step that panics ends the pass (the panic comes back to the
    /// caller) instead of leaving the other threads waiting for its chain.
    #[test]
    fn a_panicking_chain_step_does_not_hang_the_others() -> Result<(), Box<dyn std::error::Error>> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
        let mut chains = vec![0_usize; 2];
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for_each_chain(&pool, &mut chains, 1000, |i, c, step| {
                *c += 1;
                assert!(!(i == 0 && step == 3), "step panics");
                Ok(())
            })
        }));
        assert!(unwound.is_err());
        Ok(())
    }

    /// Each position is handed out once; a thread takes its own block from
    /// the front, then the back of the fullest other block.
    #[test]
    fn blocks_hand_out_own_positions_first_then_steal_from_the_back() {
        let b = Blocks::new(10, 2);
        // Thread 0 owns 0..5, thread 1 owns 5..10.
        assert_eq!(b.take(0), Some(0));
        assert_eq!(b.take(1), Some(5));
        let mut zero: Vec<usize> = std::iter::from_fn(|| b.take(0)).collect();
        // 1..5 of its own, then 9, 8, 7, 6 from the other block's back.
        assert_eq!(zero, [1, 2, 3, 4, 9, 8, 7, 6]);
        assert_eq!(b.take(1), None);
        zero.extend([0, 5]);
        zero.sort_unstable();
        assert_eq!(zero, (0..10).collect::<Vec<_>>());
        // More threads than positions: empty blocks steal.
        let b = Blocks::new(2, 4);
        let got: Vec<Option<usize>> = (0..4).map(|k| b.take(k)).collect();
        assert_eq!(got.iter().flatten().count(), 2);
        assert_eq!(b.take(0), None);
    }

    /// A failing item's error comes back from the parallel section.
    #[test]
    fn a_failing_item_stops_the_section_with_its_error() -> Result<(), Box<dyn std::error::Error>> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
        let mut items: Vec<usize> = (0..8).collect();
        let r = for_each_item_largest_first(
            &pool,
            &mut items,
            |&i| i,
            |i, _| {
                if i == 3 {
                    Err(SddpError::invalid(format!("item {i}"), "fails"))
                } else {
                    Ok(())
                }
            },
        );
        let text = r.err().ok_or("an error")?.to_string();
        assert!(text.contains("item 3"), "{text}");
        Ok(())
    }

    /// The derivative the worker reads for each incoming state component
    /// (a cut coefficient) equals the slope of the stage objective in it,
    /// measured by re-solving at moved states: for storage (reduced costs)
    /// and for the lags whose outgoing values the cut rows hold in their
    /// bounds (reduced cost plus the cut rows' share).
    #[test]
    fn state_duals_are_the_slope_of_the_objective_in_the_incoming_state() {
        let (case, study) = crate::test_support::shared_study("d26-estimated-par2").unwrap();
        let settings = TrainingSettings::from_config(&case.config);
        let trained = train(&study, &settings, TrainingHooks::default()).unwrap();
        let t = 1;
        let tpl = &study.templates()[t];
        let carried = tpl.layout.carried_state.clone();
        assert!(!carried.is_empty(), "the case has lags of order 2");
        let pools = trained.policy.scaled_pools(tpl.cost_scale);
        let cuts = LpCuts::new(pools[t].clone(), 0);
        assert!(cuts.num_rows() > 0);
        let mut w = Worker::new(&study, &settings.solver, SolverInstances::PerStage).unwrap();
        w.sync_cuts(t, &cuts, tpl).unwrap();
        let opening = study.scenario.opening(t, 0).to_vec();
        w.noise[..opening.len()].copy_from_slice(&opening);
        let site = SolveSite {
            phase: Phase::Backward,
            iteration: 0,
            stage: t,
            scenario: 0,
            opening: Some(0),
        };
        let solve = |w: &mut Worker, x: &[f64]| {
            w.start_from(t, None).unwrap();
            let obj = w
                .solve(t, tpl, Some(&cuts), &study.scenario, x, site)
                .unwrap();
            w.check_cuts(t, &cuts, tpl);
            obj
        };
        let x0 = study.initial_state().to_vec();
        let obj0 = solve(&mut w, &x0);
        let slopes = w.state_duals.clone();
        // The template's share alone (what the fixed columns' reduced
        // costs would be).
        let mut reduced = vec![0.0; x0.len()];
        tpl.fold
            .slopes_into(&tpl.model.col_cost, &w.duals, &mut reduced);
        let (mut storage, mut lags_in_bounds) = (0, 0);
        for j in 0..x0.len() {
            let step = 1e-3 * x0[j].abs().max(1.0);
            let mut x = x0.clone();
            x[j] = x0[j] + step;
            let right = (solve(&mut w, &x) - obj0) / step;
            x[j] = x0[j] - step;
            let left = (obj0 - solve(&mut w, &x)) / step;
            let scale = right.abs().max(left.abs()).max(1e-9);
            if (right - left).abs() > 1e-6 * scale {
                continue; // a kink of the objective: no single slope
            }
            assert!(
                (slopes[j] - right).abs() <= 1e-6 * scale,
                "component {j}: dual {} vs slope {right}",
                slopes[j]
            );
            if j < tpl.layout.n_hydros {
                storage += 1;
            } else if (slopes[j] - reduced[j]).abs() > 1e-6 * scale {
                // The cut rows' share (their bounds hold this lag) counts.
                lags_in_bounds += 1;
            }
        }
        assert!(
            storage > 0 && lags_in_bounds > 0,
            "{storage} storage and {lags_in_bounds} carried lags compared"
        );
    }
}
