//! The training loop: forward pass, backward pass, lower bound, stopping.
//!
//! Every step is a set of work items run in parallel on the run's thread
//! pool, followed by a reduction in a fixed order on the calling thread:
//!
//! 1. forward: one item per local forward scenario (ranks own contiguous
//!    blocks of the scenarios, [`share`]); the scenario costs are
//!    all-gathered in scenario order for the upper-bound statistics;
//! 2. backward, for `t = T−1 … 1`: one item per (local trial state, chunk
//!    of openings); the objectives and state duals of a trial state are
//!    aggregated into its cut through the stage's risk measure on the rank
//!    that owns it, the cuts of every rank are all-gathered in trial-state
//!    order and appended to stage `t−1`'s pool as one batch, so every rank
//!    holds the same future-cost function;
//! 3. lower bound: the first stage's openings at the initial state, in
//!    fixed chunks shared out between ranks, all-gathered and aggregated by
//!    the first stage's risk measure.
//!
//! Work items depend only on `(seed, iteration, scenario, stage)`, on their
//! own stored basis and on the cut pools, never on the thread or rank that
//! runs them (see [`crate::workspace`]); the cut sets of the LPs change only
//! between steps, identically on every rank ([`crate::exchange`]). Bounds
//! and cuts are therefore bit-identical for any number of threads and
//! ranks.

use crate::active_set::{LpCuts, ViolationRule};
use crate::backward::{chunk_bounds, run_items, split_lengths, Ctx, OpeningsItem};
use crate::backward_sampled::{sampled_stage, scenario_nodes, BackwardBuffers, TrialStates};
use crate::bounds::{relative_gap, UpperBound, UpperBoundKind};
use crate::communicator::{share, Collectives, Communicator, LocalCommunicator};
use crate::config::TrainingSettings;
use crate::cut_selection::{end_of_iteration_rules, enforce_cap, CutSelection, DynamicRule};
use crate::cuts::CutPool;
use crate::enumerated::TreeRun;
use crate::error::Phase;
use crate::exchange::{
    iteration_totals, share_bases, share_decision, sum_stats, Activations, StopDecision,
};
use crate::forward::{run_forward, Trajectory};
use crate::policy::Policy;
use crate::progress::{Control, IterationRecord, StopFlag, TerminationReason, TrainingObserver};
use crate::scenario::{Sampler, SamplerPhase};
use crate::stopping::{History, StoppingRules};
use crate::study::StudyModel;
use crate::warm_start::{CheckpointSink, TrainingStart};
use crate::workspace::{start_workers, WorkerPool, WorkerStats};
use crate::SddpError;
use cobre_core::config::{CutSelectionConfig, SelectionMethod, StoppingRuleConfig};
use cobre_solver::Basis;
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

/// The communicator of a run without other processes.
static SINGLE_PROCESS: LocalCommunicator = LocalCommunicator;

/// Outside hooks of a training run.
#[derive(Default)]
pub struct TrainingHooks<'a> {
    /// Called after every iteration; may ask to stop.
    pub observer: Option<&'a mut dyn TrainingObserver>,
    /// Raised by another thread to stop at the next iteration boundary.
    pub stop: Option<StopFlag>,
    /// Other processes of the run (single process when `None`).
    pub communicator: Option<&'a dyn Communicator>,
    /// Start from a saved policy (warm start or resume) instead of no cuts.
    pub start: Option<&'a TrainingStart>,
    /// Saves the policy at the iteration boundaries it asks for.
    pub checkpoint: Option<&'a mut dyn CheckpointSink>,
}

/// LP work of every process of the run per phase of training.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PhaseStats {
    /// Forward passes.
    pub forward: WorkerStats,
    /// Backward passes.
    pub backward: WorkerStats,
    /// Lower-bound evaluations.
    pub lower_bound: WorkerStats,
    /// Wall time of this process in the forward passes, summed over
    /// iterations (s).
    pub forward_wall_s: f64,
    /// Wall time of this process in the backward passes (from the end of
    /// the forward pass to the start of the lower bound), summed (s).
    pub backward_wall_s: f64,
    /// Wall time of this process in the lower-bound steps, summed (s).
    pub lower_bound_wall_s: f64,
}

/// What training produces.
#[derive(Debug, Clone)]
pub struct TrainingResult {
    /// The cuts (in $) and warm-start bases.
    pub policy: Policy,
    /// One record per iteration.
    pub records: Vec<IterationRecord>,
    /// Why training stopped.
    pub termination: TerminationReason,
    /// Totals of the LP work of every process of the run.
    pub solver: WorkerStats,
    /// The same totals split by phase.
    pub phases: PhaseStats,
    /// Cuts that are rows of each stage's LPs at the end (all of them
    /// without cut selection).
    pub active_cuts: Vec<usize>,
    /// Wall time of the whole training (s).
    pub wall_time_s: f64,
    /// The outgoing states the forward passes visited, per pool, when
    /// [`TrainingSettings::keep_visited_states`] is set (else empty).
    pub visited: Vec<VisitedStates>,
}

/// The trial states of one pool: the outgoing states of its stage that
/// the forward passes visited (the points its cuts were built at), in
/// visit order (iteration, then forward scenario).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VisitedStates {
    /// Iteration of each state.
    pub iteration: Vec<u64>,
    /// The states, `n_state` values each, flat.
    pub states: Vec<f64>,
}

impl TrainingResult {
    /// Last lower bound ($), NaN without iterations.
    #[must_use]
    pub fn lower_bound(&self) -> f64 {
        self.records.last().map_or(f64::NAN, |r| r.lower_bound)
    }

    /// Number of iterations run.
    #[must_use]
    pub fn iterations(&self) -> u64 {
        self.records.last().map_or(0, |r| r.iteration)
    }
}

/// Trains a policy: [`Trainer::new`], then [`Trainer::run_iteration`],
/// checkpoints and [`Trainer::decide_stop`] until a stop, then
/// [`Trainer::finish`].
///
/// # Errors
/// [`SddpError`] for bad settings, an LP that cannot be solved (with its
/// stage, iteration and scenario), or a communicator failure.
pub fn train(
    study: &StudyModel,
    settings: &TrainingSettings,
    mut hooks: TrainingHooks<'_>,
) -> Result<TrainingResult, SddpError> {
    let mut trainer = Trainer::new(study, settings, hooks.communicator, hooks.start)?;
    // A resumed run whose saved history already meets a stopping rule
    // (its iteration limit, say) ends where the uninterrupted run did.
    let termination = if let Some(reason) = trainer.stop_before_start()? {
        reason
    } else {
        loop {
            trainer.run_iteration()?;
            if let Some(cp) = hooks.checkpoint.as_deref_mut() {
                trainer.checkpoint(cp)?;
            }
            if let Some(reason) =
                trainer.decide_stop(hooks.observer.as_deref_mut(), hooks.stop.as_ref())?
            {
                break reason;
            }
        }
    };
    trainer.finish(termination)
}

/// The forward scenarios of a run and what their passes leave behind.
struct ForwardScenarios {
    /// Forward scenarios per iteration (all ranks; 0 for a tree walk).
    total: usize,
    /// This rank's scenarios.
    local: Range<usize>,
    /// Whether every scenario is the same single path (no statistics).
    single_path: bool,
    /// The local scenarios' trajectories (states, costs, bases).
    trajectories: Vec<Trajectory>,
    /// Node of every (scenario, stage) of the iteration, all ranks.
    nodes: Vec<usize>,
}

/// The lower-bound step: the root's realisations at the initial state, in
/// fixed chunks shared out between ranks.
struct RootChunks {
    /// `(first, end)` realisation of every chunk, all ranks.
    chunks: Vec<(usize, usize)>,
    /// This rank's chunks.
    local: Range<usize>,
    /// Each local chunk's basis at its end.
    end_bases: Vec<Basis>,
    /// Each local chunk's starting basis (its end in the last iteration).
    starts: Vec<Option<Basis>>,
}

/// When the cuts of the stage LPs change at the end of an iteration.
#[derive(Debug, Default)]
struct CutRules {
    /// Rules applied to every pool, in order ([`end_of_iteration_rules`]).
    rules: Vec<Box<dyn CutSelection>>,
    /// The dynamic method, when configured.
    dynamic: Option<DynamicRule>,
    /// Outgoing states visited at each pool's nodes, where its cuts are
    /// evaluated (only kept when a periodic method uses them).
    visited: Vec<Vec<f64>>,
    /// Whether states are recorded into `visited`.
    records_states: bool,
    /// Iteration of each state of `visited`, per pool (kept only for
    /// `keep_visited_states`).
    visited_iteration: Option<Vec<Vec<u64>>>,
    /// Buffer of the rules' choices.
    keep: Vec<bool>,
}

/// Buffers of the exchanges between ranks, reused every iteration.
#[derive(Default)]
struct ExchangeBuffers {
    local: Vec<f64>,
    global_costs: Vec<f64>,
    global_states: Vec<f64>,
    counts: Vec<usize>,
    objectives_local: Vec<f64>,
    objectives_global: Vec<f64>,
}

/// LP counters at the phase boundaries of the current iteration.
#[derive(Clone, Copy)]
struct IterationMarks {
    started: Instant,
    forward_done: Instant,
    before: WorkerStats,
    after_forward: WorkerStats,
    after_backward: WorkerStats,
    after_lower_bound: WorkerStats,
}

/// Where a run's phases execute: the study, the other ranks, the thread
/// pool and one worker per thread.
struct Runner<'a> {
    study: &'a StudyModel,
    comm: &'a dyn Communicator,
    thread_pool: Arc<rayon::ThreadPool>,
    workers: WorkerPool,
}

impl Runner<'_> {
    /// The context of a parallel step.
    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            thread_pool: &self.thread_pool,
            study: self.study,
            workers: &self.workers,
            comm: self.comm,
        }
    }
}

/// A training run between its phases: it owns the LPs' workers, the cut
/// pools, the trajectories and every buffer, and runs one phase at a time.
///
/// An iteration is [`Self::forward`], [`Self::backward_stage`] for every
/// stage from the last to the second, [`Self::lower_bound`] and
/// [`Self::end_iteration`] ([`Self::run_iteration`] does exactly that);
/// [`Self::decide_stop`] then says whether to go on. Every rank of a
/// multi-process run calls the same phases in the same order.
pub struct Trainer<'a> {
    run: Runner<'a>,
    settings: &'a TrainingSettings,
    stopping: StoppingRules,
    sampler: Sampler,
    /// Enumerated training walks the tree instead of forward scenarios.
    tree: Option<TreeRun>,
    forward: ForwardScenarios,
    root: RootChunks,
    cuts: Vec<LpCuts>,
    cut_rules: CutRules,
    cost_scale: f64,
    discount: Vec<f64>,
    chunks_per_state: usize,
    cuts_per_iteration: usize,
    activations: Activations,
    backward: BackwardBuffers,
    exchange: ExchangeBuffers,
    records: Vec<IterationRecord>,
    phases: PhaseStats,
    iteration: u64,
    marks: IterationMarks,
    upper_bound: UpperBound,
    lower_bound: f64,
    started: Instant,
    wall_offset_ms: f64,
}

impl<'a> Trainer<'a> {
    /// Sets a run up: the thread pool, one solver per stage or per worker,
    /// the sampler, the cut pools (empty, or those of `start`).
    ///
    /// # Errors
    /// [`SddpError::InvalidSetting`] for settings the study cannot run
    /// with, a thread pool or solver that cannot start, or a `start`
    /// policy that does not fit.
    pub fn new(
        study: &'a StudyModel,
        settings: &'a TrainingSettings,
        communicator: Option<&'a dyn Communicator>,
        start: Option<&TrainingStart>,
    ) -> Result<Self, SddpError> {
        settings.validate()?;
        let started = Instant::now();
        let comm: &dyn Communicator = communicator.unwrap_or(&SINGLE_PROCESS);
        let stopping =
            StoppingRules::from_config(&settings.stopping_rules, settings.stopping_mode)?;
        let enumerated = settings.selection == SelectionMethod::Enumerated;
        check_tree_walk(study, enumerated)?;
        let total = if enumerated {
            0
        } else {
            settings.forward_passes
        };
        let chunks_per_state = settings.min_work_items.div_ceil(total.max(1)).max(1);
        // With several backward items per trial state, each starts from that
        // state's forward basis: a worker that sets it again takes HiGHS'
        // check and first factorization from the last time (the same solves).
        // Only the default split: its chunks of one state are of one size,
        // adjacent in the order workers take them. A `by_node` scheduler's
        // uneven chunks are taken largest first, so a worker seldom meets
        // the same state twice in a row on two threads (the deck's 24-stage
        // cut: 9 reuses of 563 starts) and the kept copies only cost memory.
        let split_states = settings.openings_per_item.is_none() && chunks_per_state > 1;
        let solver_options = cobre_solver::SolverOptions {
            reuse_start_factor: settings.solver.reuse_start_factor || split_states,
            ..settings.solver.clone()
        };
        let (thread_pool, mut workers) =
            start_workers(study, settings.threads, &solver_options, settings.instances)?;
        workers.set_cold_solves(!settings.warm_start);
        let tree = enumerated.then(|| TreeRun::new(study));
        let sampler = study.scenario.sampler(
            &settings.scenario_source,
            total.max(1),
            SamplerPhase::Training,
        )?;
        let single_path = !enumerated && study.scenario.single_path(&sampler);
        if !enumerated && total < 2 && !single_path && has_gap_rule(settings) {
            tracing::warn!(
                "the gap rule cannot be met with one forward pass per iteration: its cost is an \
                 estimate, not an upper bound (use 2 or more forward passes)"
            );
        }
        let forward = ForwardScenarios::new(study, total, single_path, comm);
        let cost_scale = study.templates.first().map_or(1.0, |t| t.cost_scale);
        let cuts_per_iteration = tree
            .as_ref()
            .map_or(total * study.num_stages().saturating_sub(1), |t| {
                t.cuts_per_iteration(study)
            });
        let (cuts, iteration, records) = starting_cuts(study, settings, start, cost_scale)?;
        let wall_offset_ms = records.last().map_or(0.0, |r| r.wall_time_ms);
        let marks = IterationMarks {
            started,
            forward_done: started,
            before: WorkerStats::default(),
            after_forward: WorkerStats::default(),
            after_backward: WorkerStats::default(),
            after_lower_bound: WorkerStats::default(),
        };
        Ok(Self {
            run: Runner {
                study,
                comm,
                thread_pool: Arc::new(thread_pool),
                workers,
            },
            settings,
            stopping,
            sampler,
            tree,
            root: RootChunks::new(study, settings.min_work_items, comm),
            forward,
            cuts,
            cut_rules: CutRules::new(settings, study.num_pools()),
            cost_scale,
            discount: study.cumulative_discount(),
            chunks_per_state,
            cuts_per_iteration,
            activations: Activations::default(),
            backward: BackwardBuffers::default(),
            exchange: ExchangeBuffers::default(),
            records,
            phases: PhaseStats::default(),
            iteration,
            marks,
            upper_bound: UpperBound {
                value: f64::NAN,
                std: 0.0,
                ci_95: 0.0,
                kind: UpperBoundKind::Exact,
            },
            lower_bound: f64::NAN,
            started,
            wall_offset_ms,
        })
    }

    /// The last iteration started (or finished), counting those of a
    /// resumed run.
    #[must_use]
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// One record per finished iteration.
    #[must_use]
    pub fn records(&self) -> &[IterationRecord] {
        &self.records
    }

    /// Runs one whole iteration: forward pass, backward pass, lower bound
    /// and the end-of-iteration bookkeeping.
    ///
    /// # Errors
    /// As the phases.
    pub fn run_iteration(&mut self) -> Result<&IterationRecord, SddpError> {
        // With several threads the phases run on a thread of the pool, which
        // takes part in every parallel step and waits there by stealing
        // work: a step neither hands its items to the pool from outside nor
        // wakes the caller at its end (4ree, 2 threads: 1-8 % less training
        // time in alternated runs, the more the busier the machine). The
        // other threads poll for the next step between steps instead of
        // falling asleep (`with_spinning_team`; 4ree, 2 threads: about 2 %
        // less training time, alternated runs). One thread runs them on the
        // caller's thread.
        if self.run.thread_pool.current_num_threads() > 1 {
            let pool = Arc::clone(&self.run.thread_pool);
            crate::workspace::with_spinning_team(&pool, || self.iteration_phases())?;
        } else {
            self.iteration_phases()?;
        }
        self.end_iteration()
    }

    /// The parallel phases of an iteration: forward pass, backward pass and
    /// lower bound.
    fn iteration_phases(&mut self) -> Result<(), SddpError> {
        self.forward()?;
        for t in (1..self.run.study.num_stages()).rev() {
            self.backward_stage(t)?;
        }
        self.lower_bound().map(|_| ())
    }

    /// Starts the next iteration with its forward pass (or the tree walk
    /// of enumerated training) and returns its upper-bound estimate ($).
    ///
    /// # Errors
    /// An LP that cannot be solved, or a communicator failure.
    pub fn forward(&mut self) -> Result<UpperBound, SddpError> {
        self.iteration += 1;
        self.marks.started = Instant::now();
        self.marks.before = self.run.workers.stats();
        let ub = if self.tree.is_some() {
            self.walk_tree()?
        } else {
            self.sample_forward()?
        };
        self.marks.after_forward = self.run.workers.stats();
        self.phases
            .forward
            .add(&self.marks.after_forward.since(&self.marks.before));
        self.marks.forward_done = Instant::now();
        self.phases.forward_wall_s += (self.marks.forward_done - self.marks.started).as_secs_f64();
        self.upper_bound = ub;
        Ok(ub)
    }

    /// The forward step of enumerated training: every node of the tree.
    fn walk_tree(&mut self) -> Result<UpperBound, SddpError> {
        let ctx = self.run.ctx();
        let Some(tree) = self.tree.as_mut() else {
            return Err(SddpError::invalid("selection", "no tree to walk"));
        };
        let value = tree.forward(&ctx, &mut self.cuts, &mut self.activations, self.iteration)?
            * self.cost_scale;
        if self.cut_rules.records_states {
            let ns = self.run.study.n_state();
            for (i, node) in self.run.study.graph.nodes().iter().enumerate() {
                if let Some(v) = self.cut_rules.visited.get_mut(node.pool) {
                    v.extend_from_slice(tree.state(i, ns));
                    self.cut_rules.note_iteration(node.pool, self.iteration);
                }
            }
        }
        Ok(UpperBound {
            value,
            std: 0.0,
            ci_95: 0.0,
            kind: UpperBoundKind::Exact,
        })
    }

    /// The forward step of sampled training: every local scenario, then
    /// the visited states and the scenario costs of every rank.
    fn sample_forward(&mut self) -> Result<UpperBound, SddpError> {
        let ctx = self.run.ctx();
        let fw = &mut self.forward;
        run_forward(
            &ctx,
            &mut self.cuts,
            &mut self.activations,
            &self.sampler,
            self.iteration,
            fw.local.start,
            &mut fw.trajectories,
        )?;
        scenario_nodes(self.run.study, fw.total, self.iteration, &mut fw.nodes);
        let buf = &mut self.exchange;
        if self.cut_rules.records_states {
            // Dominance rules look at every visited state, of every rank.
            buf.local.clear();
            for tr in &fw.trajectories {
                buf.local.extend_from_slice(&tr.states);
            }
            self.run
                .comm
                .all_gather_f64(&buf.local, &mut buf.global_states, &mut buf.counts)?;
            self.cut_rules
                .record_states(self.run.study, fw, &buf.global_states, self.iteration);
        }
        buf.local.clear();
        for tr in &fw.trajectories {
            let c: f64 = tr
                .stage_costs
                .iter()
                .zip(&self.discount)
                .map(|(c, d)| c * d)
                .sum();
            buf.local.push(c * self.cost_scale);
        }
        self.run
            .comm
            .all_gather_f64(&buf.local, &mut buf.global_costs, &mut buf.counts)?;
        Ok(UpperBound::from_costs(&buf.global_costs, fw.single_path))
    }

    /// The backward step at stage `t` (from the last stage down to 1, after
    /// [`Self::forward`]): new cuts for the pools of stage `t − 1`, the
    /// same on every rank.
    ///
    /// # Errors
    /// An LP that cannot be solved, or a communicator failure.
    pub fn backward_stage(&mut self, t: usize) -> Result<(), SddpError> {
        let ctx = self.run.ctx();
        if let Some(tree) = self.tree.as_mut() {
            return tree.backward_stage(
                &ctx,
                &mut self.cuts,
                &mut self.activations,
                &mut self.backward.agg,
                t,
                self.iteration,
            );
        }
        let fw = &mut self.forward;
        let states = TrialStates {
            trajectories: &mut fw.trajectories,
            nodes_global: &fw.nodes,
            first_scenario: fw.local.start,
            m_total: fw.total,
            chunks_per_state: self.chunks_per_state,
            openings_per_item: self.settings.openings_per_item,
        };
        sampled_stage(
            &ctx,
            &mut self.cuts,
            &mut self.activations,
            states,
            t,
            self.iteration,
            &mut self.backward,
        )
    }

    /// The lower bound ($) after the backward pass: every realisation of
    /// the root at the initial state, aggregated by the first stage's risk
    /// measure.
    ///
    /// # Errors
    /// An LP that cannot be solved, a communicator failure, or a study
    /// without a risk measure for its first stage.
    pub fn lower_bound(&mut self) -> Result<f64, SddpError> {
        let lb_started = Instant::now();
        self.phases.backward_wall_s += (lb_started - self.marks.forward_done).as_secs_f64();
        self.marks.after_backward = self.run.workers.stats();
        self.phases
            .backward
            .add(&self.marks.after_backward.since(&self.marks.after_forward));
        let ctx = self.run.ctx();
        let buf = &mut self.exchange;
        self.root.solve(
            &ctx,
            &mut self.cuts,
            &mut self.activations,
            self.iteration,
            &mut buf.objectives_local,
        )?;
        self.run.comm.all_gather_f64(
            &buf.objectives_local,
            &mut buf.objectives_global,
            &mut buf.counts,
        )?;
        let risk0 = self
            .run
            .study
            .risk
            .first()
            .ok_or_else(|| SddpError::invalid("stage 0", "no risk measure"))?;
        let lb = self
            .backward
            .agg
            .value(risk0.as_ref(), &buf.objectives_global)
            * self.cost_scale;
        self.marks.after_lower_bound = self.run.workers.stats();
        self.phases.lower_bound.add(
            &self
                .marks
                .after_lower_bound
                .since(&self.marks.after_backward),
        );
        self.phases.lower_bound_wall_s += lb_started.elapsed().as_secs_f64();
        self.lower_bound = lb;
        Ok(lb)
    }

    /// Ends the iteration: LP counters and binding marks of every rank,
    /// the iteration's record, then the cut rules (active window,
    /// selection, dynamic seeds) applied to every pool.
    ///
    /// # Errors
    /// A communicator failure.
    pub fn end_iteration(&mut self) -> Result<&IterationRecord, SddpError> {
        let settings = self.settings;
        let iteration = self.iteration;
        // LP counters of every rank; binding marks of every rank merged
        // before stale cuts leave the LPs.
        let work = iteration_totals(
            self.run.comm,
            &self.run.workers,
            &mut self.cuts,
            &self.marks.after_lower_bound.since(&self.marks.before),
            (settings.active_cut_window.is_some() || settings.max_active_per_stage.is_some())
                .then_some(iteration),
        )?;
        let (lb, ub) = (self.lower_bound, self.upper_bound);
        let record = IterationRecord {
            iteration,
            lower_bound: lb,
            upper_bound: ub.value,
            upper_bound_std: ub.std,
            ci_95: ub.ci_95,
            upper_bound_kind: ub.kind,
            gap: relative_gap(ub.kind, lb, ub.value, ub.ci_95),
            wall_time_ms: self.wall_offset_ms + self.started.elapsed().as_secs_f64() * 1e3,
            iteration_time_ms: self.marks.started.elapsed().as_secs_f64() * 1e3,
            lp_solves: work.solves,
            cuts_added: self.cuts_per_iteration as u64,
            solver_time_ms: work.solve_time_s * 1e3,
            simplex_iterations: work.simplex_iterations,
        };
        tracing::debug!(
            iteration,
            lower_bound = lb,
            upper_bound = ub.value,
            "training iteration finished"
        );
        self.records.push(record);
        self.apply_cut_rules();
        self.records
            .last()
            .ok_or_else(|| SddpError::invalid("iteration", "no record"))
    }

    /// The end-of-iteration rules on every pool, then the dynamic method's
    /// seeds for the next iteration; the stored bases follow every removal.
    fn apply_cut_rules(&mut self) {
        let iteration = self.iteration;
        let settings = self.settings;
        let mut rules = std::mem::take(&mut self.cut_rules);
        let mut selected = false;
        for rule in rules.rules.iter().filter(|r| r.due(iteration)) {
            selected |= !rule.rechecks_dropped();
            self.change_pools(|p, c| {
                let states = rules.visited.get(p).map_or(&[][..], Vec::as_slice);
                c.select(rule.as_ref(), states, iteration, &mut rules.keep)
            });
        }
        if selected {
            tracing::debug!(
                iteration,
                active = self.cuts.iter().map(LpCuts::num_rows).sum::<usize>(),
                total = self.cuts.iter().map(|c| c.pool.len()).sum::<usize>(),
                "cut selection"
            );
        }
        if let Some(d) = rules.dynamic.filter(|d| d.active(iteration + 1)) {
            self.change_pools(|_, c| {
                seed_next_iteration(c, &d, settings, iteration, &mut rules.keep)
            });
        }
        self.cut_rules = rules;
    }

    /// Applies `change` to the cuts of every pool in order; the stored
    /// bases (trajectories, lower-bound chunks, tree) follow the cut rows
    /// each change removes.
    fn change_pools(&mut self, mut change: impl FnMut(usize, &mut LpCuts) -> Vec<usize>) {
        let study = self.run.study;
        for (p, c) in self.cuts.iter_mut().enumerate() {
            let removed = change(p, c);
            follow_removal(
                study,
                p,
                &removed,
                &mut self.forward.trajectories,
                &mut self.root.starts,
            );
            if let Some(tree) = self.tree.as_mut() {
                tree.follow_removal(study, p, &removed);
            }
        }
    }

    /// Saves the policy when `sink` asks for this iteration (on rank 0).
    ///
    /// # Errors
    /// What the sink reports.
    pub fn checkpoint(&self, sink: &mut dyn CheckpointSink) -> Result<(), SddpError> {
        if self.run.comm.rank() == 0 && sink.due(self.iteration) {
            sink.save(&self.policy(), &self.records)?;
        }
        Ok(())
    }

    /// The cut pools as a policy in $ (without warm-start bases).
    fn policy(&self) -> Policy {
        let n_hydros = self
            .run
            .study
            .templates
            .first()
            .map_or(0, |t| t.layout.n_hydros);
        Policy::from_scaled(
            self.cuts.iter().map(|c| &c.pool),
            self.cost_scale,
            n_hydros,
            self.run.study.scenario.max_order(),
        )
    }

    /// Before the first new iteration: the stopping rule the history
    /// already meets, when the run resumes from one (else `None`; a fresh
    /// run always trains at least one iteration).
    ///
    /// # Errors
    /// A communicator failure.
    pub fn stop_before_start(&self) -> Result<Option<TerminationReason>, SddpError> {
        if self.records.is_empty() {
            return Ok(None);
        }
        let mut decision = StopDecision::Continue;
        if self.run.comm.rank() == 0 {
            if let Some(rule) = self.rule_met() {
                decision = rule;
            }
        }
        share_decision(self.run.comm, decision)?.reason(&self.stopping)
    }

    /// The first stopping rule the history meets, on this rank's records.
    fn rule_met(&self) -> Option<StopDecision> {
        self.stopping
            .check_at(&History {
                records: &self.records,
            })
            .map(|i| StopDecision::Rule(u8::try_from(i).unwrap_or(u8::MAX)))
    }

    /// Whether training stops after the iteration just ended, and why. The
    /// decision is rank 0's (its stopping rules on its records and clock,
    /// its observer, its stop flag), broadcast as it is: no rank re-derives
    /// it. `observer` and `stop` are only consulted on rank 0.
    ///
    /// # Errors
    /// A communicator failure.
    pub fn decide_stop(
        &self,
        observer: Option<&mut (dyn TrainingObserver + '_)>,
        stop: Option<&StopFlag>,
    ) -> Result<Option<TerminationReason>, SddpError> {
        let mut decision = StopDecision::Continue;
        if self.run.comm.rank() == 0 {
            let control = match (observer, self.records.last()) {
                (Some(o), Some(record)) => o.on_iteration(record),
                _ => Control::Continue,
            };
            decision = if let Some(rule) = self.rule_met() {
                rule
            } else if control == Control::Stop {
                StopDecision::Observer
            } else if stop.is_some_and(StopFlag::is_raised) {
                StopDecision::StopFlag
            } else {
                StopDecision::Continue
            };
        }
        share_decision(self.run.comm, decision)?.reason(&self.stopping)
    }

    /// Ends the run: the policy with the warm-start bases of forward
    /// scenario 0 (rank 0's, given to every rank) and the LP totals of
    /// every rank.
    ///
    /// # Errors
    /// A communicator failure.
    pub fn finish(mut self, termination: TerminationReason) -> Result<TrainingResult, SddpError> {
        let mut policy = self.policy();
        // Warm-start bases for an LP holding every cut in pool order: those
        // of forward scenario 0, which rank 0 owns and gives to the others
        // (for a graph, those of the pools scenario 0 visited).
        if self.run.comm.rank() == 0 {
            if let Some(tr) = self.forward.trajectories.first() {
                for (t, b) in tr.start.iter().enumerate() {
                    let p = tr.start_pool.get(t).copied().unwrap_or(t);
                    if let (Some(b), Some(c), Some(tpl)) =
                        (b, self.cuts.get(p), self.run.study.pool_template(p))
                    {
                        policy.set_basis(p, c.to_pool_order(b, tpl.layout.num_template_rows));
                    }
                }
            }
        }
        share_bases(self.run.comm, &mut policy)?;
        let totals = sum_stats(
            self.run.comm,
            &[
                self.run.workers.stats(),
                self.phases.forward,
                self.phases.backward,
                self.phases.lower_bound,
            ],
        )?;
        let total = |i: usize| totals.get(i).copied().unwrap_or_default();
        Ok(TrainingResult {
            policy,
            records: self.records,
            termination,
            solver: total(0),
            phases: PhaseStats {
                forward: total(1),
                backward: total(2),
                lower_bound: total(3),
                forward_wall_s: self.phases.forward_wall_s,
                backward_wall_s: self.phases.backward_wall_s,
                lower_bound_wall_s: self.phases.lower_bound_wall_s,
            },
            active_cuts: self.cuts.iter().map(LpCuts::num_rows).collect(),
            wall_time_s: self.started.elapsed().as_secs_f64(),
            visited: self.cut_rules.take_visited(),
        })
    }
}

/// Refuses enumerated training on a study that is not a tree with one
/// realisation per node.
fn check_tree_walk(study: &StudyModel, enumerated: bool) -> Result<(), SddpError> {
    if !enumerated {
        return Ok(());
    }
    let graph = &study.graph;
    if !graph.is_tree() {
        return Err(SddpError::InvalidSetting {
            setting: "selection",
            message: "enumerated training needs a tree (every node one parent)".into(),
        });
    }
    if (0..graph.nodes().len()).any(|i| graph.num_realisations(i, &study.scenario) != 1) {
        return Err(SddpError::InvalidSetting {
            setting: "selection",
            message: "enumerated training needs one realisation per node".into(),
        });
    }
    Ok(())
}

/// Whether a gap rule is among the stopping rules.
fn has_gap_rule(settings: &TrainingSettings) -> bool {
    settings
        .stopping_rules
        .iter()
        .any(|r| matches!(r, StoppingRuleConfig::Gap { .. }))
}

/// The cut pools a run starts from (empty, or those of `start` with its
/// iterations and records), with the settings' activity rules.
fn starting_cuts(
    study: &StudyModel,
    settings: &TrainingSettings,
    start: Option<&TrainingStart>,
    cost_scale: f64,
) -> Result<(Vec<LpCuts>, u64, Vec<IterationRecord>), SddpError> {
    let ns = study.n_state();
    let (mut cuts, iteration, records) = match start {
        Some(start) => {
            start.policy.check_fits(study.num_pools(), ns)?;
            let cuts: Vec<LpCuts> = start
                .policy
                .scaled_pools(cost_scale)
                .into_iter()
                .map(|p| LpCuts::new(p, start.iterations))
                .collect();
            (cuts, start.iterations, start.records.clone())
        }
        None => (
            (0..study.num_pools())
                .map(|_| LpCuts::new(CutPool::new(ns), 0))
                .collect(),
            0,
            Vec::new(),
        ),
    };
    for c in &mut cuts {
        c.set_rules(settings.row_activity_tolerance, ViolationRule::default());
    }
    Ok((cuts, iteration, records))
}

/// Sets the dynamic method's seeds and candidates of `iteration + 1` in
/// `cuts` (capped at `max_active_per_stage`); returns the removed rows.
fn seed_next_iteration(
    cuts: &mut LpCuts,
    d: &DynamicRule,
    settings: &TrainingSettings,
    iteration: u64,
    keep: &mut Vec<bool>,
) -> Vec<usize> {
    // The next iteration's solves start from the recent cuts and may add
    // back the candidates they violate.
    let next = iteration + 1;
    let made: Vec<u64> = (0..cuts.pool.len())
        .map(|i| cuts.pool.iteration_of(i))
        .collect();
    keep.clear();
    keep.extend(made.iter().map(|&m| d.seeds(m, next)));
    if let Some(cap) = settings.max_active_per_stage {
        enforce_cap(&cuts.pool, next, cap, cuts.last_used(), cuts.uses(), keep);
    }
    let excluded: Vec<bool> = made.iter().map(|&m| !d.candidate(m, next)).collect();
    cuts.set_rules(
        settings.row_activity_tolerance,
        ViolationRule {
            absolute: Some(d.violation_tolerance),
            max_added: Some(d.max_added_per_round),
        },
    );
    cuts.apply_keep(keep, Some(&excluded))
}

impl ForwardScenarios {
    /// `total` scenarios per iteration, this rank's share of them.
    fn new(study: &StudyModel, total: usize, single_path: bool, comm: &dyn Communicator) -> Self {
        let local = share(total, comm.rank(), comm.size());
        let trajectories = (0..local.len())
            .map(|_| {
                Trajectory::new(
                    study.num_stages(),
                    study.n_state(),
                    study.scenario.lag_accumulator(),
                )
            })
            .collect();
        Self {
            total,
            local,
            single_path,
            trajectories,
            nodes: Vec::new(),
        }
    }
}

impl RootChunks {
    /// The root's realisations in chunks of at most `min_work_items`
    /// items' worth, shared out between ranks.
    fn new(study: &StudyModel, min_work_items: usize, comm: &dyn Communicator) -> Self {
        let graph = &study.graph;
        let n0 = graph.num_realisations(graph.root(), &study.scenario);
        let chunks = chunk_bounds(n0, min_work_items);
        let local = share(chunks.len(), comm.rank(), comm.size());
        Self {
            end_bases: vec![Basis::new(); local.len()],
            starts: vec![None; local.len()],
            chunks,
            local,
        }
    }

    /// Solves this rank's chunks into `objectives` (one value per
    /// realisation, in order); each chunk starts the next iteration from
    /// where it ended.
    fn solve(
        &mut self,
        ctx: &Ctx<'_>,
        cuts: &mut [LpCuts],
        activations: &mut Activations,
        iteration: u64,
        objectives: &mut Vec<f64>,
    ) -> Result<(), SddpError> {
        let graph = &ctx.study.graph;
        let mine = &self.chunks[self.local.clone()];
        let lens: Vec<usize> = mine.iter().map(|&(lo, hi)| hi - lo).collect();
        objectives.clear();
        objectives.resize(lens.iter().sum(), 0.0);
        {
            let parts = split_lengths(objectives, &lens);
            let mut items: Vec<OpeningsItem<'_>> = parts
                .into_iter()
                .zip(self.end_bases.iter_mut())
                .zip(&self.starts)
                .zip(mine)
                .map(|(((obj, end_basis), start), &(lo, hi))| {
                    OpeningsItem::new(
                        graph,
                        graph.root(),
                        0,
                        &ctx.study.initial_state,
                        (lo, hi),
                        start.as_ref(),
                        obj,
                        &mut [],
                        end_basis,
                    )
                })
                .collect();
            run_items(
                ctx,
                cuts,
                activations,
                iteration,
                Phase::LowerBound,
                &mut items,
            )?;
        }
        for (start, end) in self.starts.iter_mut().zip(&self.end_bases) {
            match start {
                Some(s) => s.copy_from(end),
                None => *start = Some(end.clone()),
            }
        }
        Ok(())
    }
}

impl CutRules {
    /// The rules of `settings` for `n_pools` pools.
    fn new(settings: &TrainingSettings, n_pools: usize) -> Self {
        Self {
            rules: end_of_iteration_rules(
                settings.cut_selection,
                settings.active_cut_window,
                settings.max_active_per_stage,
            ),
            dynamic: DynamicRule::from_config(settings.cut_selection),
            visited: vec![Vec::new(); n_pools],
            records_states: settings.cut_selection != CutSelectionConfig::None
                || settings.keep_visited_states,
            visited_iteration: settings
                .keep_visited_states
                .then(|| vec![Vec::new(); n_pools]),
            keep: Vec::new(),
        }
    }

    /// Appends the outgoing states of every rank's forward scenarios
    /// (`global_states`, scenario-major) to the pools of their nodes.
    fn record_states(
        &mut self,
        study: &StudyModel,
        fw: &ForwardScenarios,
        global_states: &[f64],
        iteration: u64,
    ) {
        let n_stages = study.num_stages();
        let ns = study.n_state();
        for t in 0..n_stages {
            for m in 0..fw.total {
                let pool = fw
                    .nodes
                    .get(m * n_stages + t)
                    .map_or(t, |&n| study.graph.pool(n));
                let at = (m * n_stages + t) * ns;
                if let (Some(v), Some(x)) =
                    (self.visited.get_mut(pool), global_states.get(at..at + ns))
                {
                    v.extend_from_slice(x);
                    self.note_iteration(pool, iteration);
                }
            }
        }
    }
}

impl CutRules {
    /// Records that pool `pool`'s last visited state is of `iteration`.
    fn note_iteration(&mut self, pool: usize, iteration: u64) {
        if let Some(v) = self
            .visited_iteration
            .as_mut()
            .and_then(|all| all.get_mut(pool))
        {
            v.push(iteration);
        }
    }

    /// The visited states with their iterations, when they are kept.
    fn take_visited(&mut self) -> Vec<VisitedStates> {
        let Some(iterations) = self.visited_iteration.take() else {
            return Vec::new();
        };
        iterations
            .into_iter()
            .zip(std::mem::take(&mut self.visited))
            .map(|(iteration, states)| VisitedStates { iteration, states })
            .collect()
    }
}

/// Makes the stored bases of pool `p` follow the removal of its cut rows
/// at positions `removed` (or drops a basis a removed nonbasic row breaks).
fn follow_removal(
    study: &StudyModel,
    p: usize,
    removed: &[usize],
    trajectories: &mut [Trajectory],
    lb_starts: &mut [Option<Basis>],
) {
    if removed.is_empty() {
        return;
    }
    let base = study
        .pool_template(p)
        .map_or(0, |tpl| tpl.layout.num_template_rows);
    let remap = |slot: &mut Option<Basis>| {
        if let Some(b) = slot {
            if !LpCuts::remap_basis(b, base, removed) {
                *slot = None;
            }
        }
    };
    for tr in trajectories.iter_mut() {
        for (slot, &q) in tr.start.iter_mut().zip(&tr.start_pool) {
            if q == p {
                remap(slot);
            }
        }
    }
    if p == study.graph.pool(study.graph.root()) {
        for slot in lb_starts.iter_mut() {
            remap(slot);
        }
    }
}
