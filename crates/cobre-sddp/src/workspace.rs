//! What one worker thread owns: a solver instance per stage (template
//! loaded once, cuts appended as they appear), the patch buffers and the
//! primal/dual buffers, so the hot loop allocates nothing after warm-up.
//!
//! Workers are kept in a [`WorkerPool`], one per thread of the run's rayon
//! pool; a work item locks the worker of the thread it runs on. Every
//! instance of a stage holds the same rows in the same order (cut batches
//! are appended in pool order, see [`Worker::sync_cuts`]), so a work item
//! gives the same result on any worker once it starts from its own basis.

use crate::cuts::CutPool;
use crate::error::{SolveSite, SolverContext};
use crate::lp::{StagePatch, StageTemplate};
use crate::scenario::ScenarioModel;
use crate::SddpError;
use cobre_solver::{Basis, HighsSolver, LpSolver, RowBatch, SolverOptions};
use std::sync::{Mutex, MutexGuard};

/// The solver of one stage inside a worker.
pub(crate) struct StageInstance {
    pub(crate) solver: HighsSolver,
    pub(crate) patch: StagePatch,
    /// Number of batches of the stage's cut pool already appended.
    pub(crate) batches_added: usize,
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
}

impl Worker {
    /// Loads every stage template into its own solver instance.
    pub(crate) fn new(
        templates: &[StageTemplate],
        scenario: &ScenarioModel,
        options: &SolverOptions,
    ) -> Result<Self, SddpError> {
        let mut stages = Vec::with_capacity(templates.len());
        let mut max_cols = 0;
        let mut max_rows = 0;
        for tpl in templates {
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
                batches_added: 0,
            });
        }
        Ok(Self {
            stages,
            primal: vec![0.0; max_cols],
            duals: vec![0.0; max_rows],
            noise: vec![0.0; scenario.noise_dim()],
            batch: RowBatch::new(),
            stats: WorkerStats::default(),
        })
    }

    /// Appends to stage `t`'s instance every batch of `pool` it lacks, one
    /// `add_rows` call per batch, in pool order.
    pub(crate) fn sync_cuts(
        &mut self,
        t: usize,
        pool: &CutPool,
        template: &StageTemplate,
    ) -> Result<(), SddpError> {
        let Some(inst) = self.stages.get_mut(t) else {
            return Ok(());
        };
        while inst.batches_added < pool.num_batches() {
            let range = pool.batch(inst.batches_added);
            pool.rows_into(range, &template.layout, &mut self.batch);
            inst.solver
                .add_rows(&self.batch)
                .call_context(|| format!("appending cuts to stage {t}"))?;
            inst.batches_added += 1;
        }
        let rows = inst.solver.num_rows();
        if self.duals.len() < rows {
            self.duals.resize(rows + rows / 2, 0.0);
        }
        Ok(())
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

/// One worker per thread of the run.
pub(crate) struct WorkerPool {
    workers: Vec<Mutex<Worker>>,
}

impl WorkerPool {
    /// Creates `n` workers.
    pub(crate) fn new(
        n: usize,
        templates: &[StageTemplate],
        scenario: &ScenarioModel,
        options: &SolverOptions,
    ) -> Result<Self, SddpError> {
        let workers = (0..n.max(1))
            .map(|_| Worker::new(templates, scenario, options).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { workers })
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
