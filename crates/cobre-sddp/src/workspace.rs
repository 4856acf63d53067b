//! What one worker thread owns: a solver instance per cut pool (the stage
//! template of the pool loaded once, the pool's cuts appended as they
//! appear; for the chain of stages a pool is a stage), the patch buffers
//! and the primal/dual buffers, so the hot loop allocates nothing after
//! warm-up. Every method taking `t` takes the pool index.
//!
//! Workers are kept in a [`WorkerPool`], one per thread of the run's rayon
//! pool; a work item locks the worker of the thread it runs on. Every
//! instance of a stage holds the same rows in the same order (cut batches
//! changes are replayed in log order, see [`Worker::sync_cuts`]), so a work item
//! gives the same result on any worker once it starts from its own basis.

use crate::active_set::{LpCuts, RowOp};
use crate::error::{SolveSite, SolverContext};
use crate::lp::{StagePatch, StageTemplate};
use crate::scenario::ScenarioModel;
use crate::SddpError;
use cobre_solver::{Basis, HighsSolver, LpSolver, RowBatch, SolverOptions};
use cobre_stochastic::LagAccumulator;
use std::sync::{Mutex, MutexGuard};

/// The solver of one stage inside a worker.
pub(crate) struct StageInstance {
    pub(crate) solver: HighsSolver,
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
    /// Start every solve from a cold basis ([`crate::TrainingSettings::warm_start`] off).
    cold_solves: bool,
}

impl Worker {
    /// Loads the template of every pool (`pool_stage[p]` is pool `p`'s
    /// stage) into its own solver instance.
    pub(crate) fn new(
        templates: &[StageTemplate],
        pool_stage: &[usize],
        scenario: &ScenarioModel,
        options: &SolverOptions,
    ) -> Result<Self, SddpError> {
        let mut stages = Vec::with_capacity(pool_stage.len());
        let mut max_cols = 0;
        let mut max_rows = 0;
        for &t in pool_stage {
            let tpl = templates
                .get(t)
                .ok_or_else(|| SddpError::invalid(format!("stage {t}"), "no stage template"))?;
            let mut solver = HighsSolver::with_options(options.clone())
                .call_context(|| "creating a solver".into())?;
            solver
                .load_model(&tpl.model)
                .call_context(|| format!("loading the LP of stage {}", tpl.layout.stage))?;
            max_cols = max_cols.max(tpl.layout.num_cols);
            max_rows = max_rows.max(tpl.layout.num_template_rows);
            stages.push(StageInstance {
                solver,
                patch: StagePatch::new(&tpl.layout),
                ops_applied: 0,
            });
        }
        Ok(Self {
            stages,
            primal: vec![0.0; max_cols],
            duals: vec![0.0; max_rows],
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
        })
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
        scenario.advance_lags(
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
        let base = template.layout.num_template_rows;
        while let Some(op) = cuts.ops().get(inst.ops_applied) {
            match op {
                RowOp::Append(ids) => {
                    cuts.rows_into(ids, &template.layout, &mut self.batch);
                    inst.solver
                        .add_rows(&self.batch)
                        .call_context(|| format!("appending cuts to stage {t}"))?;
                }
                RowOp::Remove(positions) => {
                    self.index_buf.clear();
                    self.index_buf.extend(positions.iter().map(|p| base + p));
                    inst.solver
                        .delete_rows(&self.index_buf)
                        .call_context(|| format!("removing cuts from stage {t}"))?;
                }
            }
            inst.ops_applied += 1;
        }
        let rows = inst.solver.num_rows();
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
        self.read_duals(t);
        let layout = &template.layout;
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
        let Some(inst) = self.stages.get_mut(t) else {
            return Ok(());
        };
        cuts.rows_into(&self.violated, &template.layout, &mut self.batch);
        inst.solver
            .add_rows(&self.batch)
            .call_context(|| format!("adding violated cuts to stage {t}"))?;
        self.local_rows.extend_from_slice(&self.violated);
        let rows = inst.solver.num_rows();
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
        let Some(inst) = self.stages.get_mut(t) else {
            return Ok(());
        };
        let own = template.layout.num_template_rows + cuts.num_rows();
        self.index_buf.clear();
        self.index_buf.extend(own..own + self.local_rows.len());
        self.local_rows.clear();
        inst.solver
            .delete_rows(&self.index_buf)
            .call_context(|| format!("removing violated cuts from stage {t}"))
    }

    /// Starts stage `t`'s next solve from `basis`, or cold (with every
    /// piece of solver state cleared) when there is none.
    pub(crate) fn start_from(&mut self, t: usize, basis: Option<&Basis>) -> Result<(), SddpError> {
        let Some(inst) = self.stages.get_mut(t) else {
            return Ok(());
        };
        match basis {
            Some(b) if b.num_cols() == inst.solver.num_cols() => inst
                .solver
                .set_basis(b)
                .call_context(|| format!("setting the basis of stage {t}")),
            _ => {
                inst.solver.clear_basis();
                Ok(())
            }
        }
    }

    /// Patches stage `t` for incoming state `x_in` and the noise in
    /// `self.noise`, solves, and returns the objective (scaled).
    pub(crate) fn solve(
        &mut self,
        t: usize,
        template: &StageTemplate,
        scenario: &ScenarioModel,
        x_in: &[f64],
        site: SolveSite,
    ) -> Result<f64, SddpError> {
        let Some(inst) = self.stages.get_mut(t) else {
            return Err(SddpError::invalid(format!("stage {t}"), "no such stage"));
        };
        inst.patch
            .fill(&template.layout, scenario, x_in, &self.noise);
        inst.patch
            .apply(&mut inst.solver)
            .call_context(|| format!("patching stage {t}"))?;
        if self.cold_solves {
            inst.solver.clear_basis();
        }
        let result = inst.solver.solve();
        let last = inst.solver.last_stats();
        self.stats.solves += 1;
        self.stats.simplex_iterations += last.simplex_iterations;
        self.stats.solve_time_s += last.solve_time_s;
        self.stats.warm_solves += u64::from(last.warm_start);
        self.stats.cold_retries += u64::from(last.retried_cold);
        result.at(site)?;
        Ok(inst.solver.objective_value())
    }

    /// Reads the primal solution of stage `t` into `self.primal`.
    pub(crate) fn read_primal(&mut self, t: usize) {
        if let Some(inst) = self.stages.get(t) {
            inst.solver.primal_into(&mut self.primal);
        }
    }

    /// Reads the row duals of stage `t` into `self.duals`.
    pub(crate) fn read_duals(&mut self, t: usize) {
        if let Some(inst) = self.stages.get(t) {
            let rows = inst.solver.num_rows();
            if self.duals.len() < rows {
                self.duals.resize(rows, 0.0);
            }
            inst.solver.row_duals_into(&mut self.duals);
        }
    }

    /// Writes stage `t`'s current basis into `out`.
    pub(crate) fn basis_into(&self, t: usize, out: &mut Basis) {
        if let Some(inst) = self.stages.get(t) {
            inst.solver.basis_into(out);
        }
    }

    /// Realised inflow per hydro of the last patch of stage `t`.
    pub(crate) fn realised_inflow(&self, t: usize) -> &[f64] {
        self.stages
            .get(t)
            .map_or(&[], |s| s.patch.inflow.as_slice())
    }
}

/// Relative tolerance of the check of inactive cuts (`α + π·x` may exceed
/// `θ` by this fraction of `max(1, |θ|)`, in scaled cost units).
pub(crate) const VIOLATION_TOLERANCE: f64 = 1e-9;

/// Runs `f` on every element of `items` (with its index): in parallel in
/// `pool`, or one after the other on the caller's thread when the pool has
/// one thread (worker 0), which spares handing each section to the pool's
/// thread and waking it. Stops at the first error.
pub(crate) fn for_each_item<T, F>(
    pool: &rayon::ThreadPool,
    items: &mut [T],
    f: F,
) -> Result<(), SddpError>
where
    T: Send,
    F: Fn(usize, &mut T) -> Result<(), SddpError> + Sync + Send,
{
    use rayon::prelude::*;
    if pool.current_num_threads() <= 1 {
        items.iter_mut().enumerate().try_for_each(|(i, x)| f(i, x))
    } else {
        pool.install(|| {
            items
                .par_iter_mut()
                .enumerate()
                .try_for_each(|(i, x)| f(i, x))
        })
    }
}

/// One worker per thread of the run.
pub(crate) struct WorkerPool {
    workers: Vec<Mutex<Worker>>,
}

impl WorkerPool {
    /// Creates `n` workers with an instance per pool (`pool_stage[p]` is
    /// pool `p`'s stage).
    pub(crate) fn new(
        n: usize,
        templates: &[StageTemplate],
        pool_stage: &[usize],
        scenario: &ScenarioModel,
        options: &SolverOptions,
    ) -> Result<Self, SddpError> {
        let workers = (0..n.max(1))
            .map(|_| Worker::new(templates, pool_stage, scenario, options).map(Mutex::new))
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
