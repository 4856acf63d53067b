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

use crate::active_set::LpCuts;
use crate::active_set::ViolationRule;
use crate::backward::{chunk_bounds, run_items, split_lengths, Aggregator, Ctx, OpeningsItem};
use crate::bounds::{relative_gap, UpperBound};
use crate::communicator::{share, Collectives, Communicator, LocalCommunicator};
use crate::config::TrainingSettings;
use crate::cut_selection::{self, enforce_cap, DynamicRule};
use crate::cuts::CutPool;
use crate::error::Phase;
use crate::exchange::{
    iteration_totals, share_bases, share_decision, sum_stats, Activations, StopDecision,
};
use crate::forward::{run_forward, Trajectory};
use crate::policy::Policy;
use crate::progress::{Control, IterationRecord, StopFlag, TerminationReason, TrainingObserver};
use crate::scenario::SamplerPhase;
use crate::stopping::{History, StoppingRules};
use crate::study::StudyModel;
use crate::warm_start::{CheckpointSink, TrainingStart};
use crate::workspace::{WorkerPool, WorkerStats};
use crate::SddpError;
use cobre_core::config::{CutSelectionConfig, StoppingRuleConfig};
use cobre_solver::Basis;
use std::time::Instant;

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

/// Trains a policy.
///
/// # Errors
/// [`SddpError`] for bad settings, an LP that cannot be solved (with its
/// stage, iteration and scenario), or a communicator failure.
#[allow(clippy::too_many_lines)]
pub fn train(
    study: &StudyModel,
    settings: &TrainingSettings,
    mut hooks: TrainingHooks<'_>,
) -> Result<TrainingResult, SddpError> {
    settings.validate()?;
    let started = Instant::now();
    let local_comm = LocalCommunicator;
    let comm: &dyn Communicator = hooks.communicator.unwrap_or(&local_comm);
    let rules = StoppingRules::from_config(&settings.stopping_rules, settings.stopping_mode)?;
    let thread_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        .build()
        .map_err(|e| SddpError::ThreadPool {
            threads: settings.threads,
            message: e.to_string(),
        })?;
    let mut workers = WorkerPool::new(
        settings.threads,
        &study.templates,
        &study.scenario,
        &settings.solver,
    )?;
    workers.set_cold_solves(!settings.warm_start);

    let n_stages = study.num_stages();
    let ns = study.n_state();
    let m_total = settings.forward_passes;
    let sampler =
        study
            .scenario
            .sampler(&settings.scenario_source, m_total, SamplerPhase::Training)?;
    let single_path = study.scenario.single_path(&sampler);
    if m_total < 2
        && !single_path
        && settings
            .stopping_rules
            .iter()
            .any(|r| matches!(r, StoppingRuleConfig::Gap { .. }))
    {
        tracing::warn!(
            "the gap rule cannot be met with one forward pass per iteration: its cost is an \
             estimate, not an upper bound (use 2 or more forward passes)"
        );
    }
    let local = share(m_total, comm.rank(), comm.size());
    let m_local = local.len();
    let cost_scale = study.templates.first().map_or(1.0, |t| t.cost_scale);
    let discount = study.cumulative_discount();
    let mut trajectories: Vec<Trajectory> = (0..m_local)
        .map(|_| Trajectory::new(n_stages, ns, study.scenario.lag_accumulator()))
        .collect();
    let mut cuts: Vec<LpCuts> = (0..n_stages)
        .map(|_| LpCuts::new(CutPool::new(ns), 0))
        .collect();
    let dynamic = DynamicRule::from_config(settings.cut_selection);
    let chunks_per_state = settings.min_work_items.div_ceil(m_total).max(1);

    // Lower-bound chunks of the first stage (fixed), split across ranks.
    let n0 = study.scenario.num_openings(0);
    let lb_chunks = chunk_bounds(n0, settings.min_work_items);
    let lb_local = share(lb_chunks.len(), comm.rank(), comm.size());
    let mut lb_bases: Vec<Basis> = vec![Basis::new(); lb_local.len()];
    let mut lb_starts: Vec<Option<Basis>> = vec![None; lb_local.len()];

    let ctx = Ctx {
        thread_pool: &thread_pool,
        study,
        workers: &workers,
        comm,
    };

    // Reusable buffers.
    let mut local_buf: Vec<f64> = Vec::new();
    let mut global_costs: Vec<f64> = Vec::new();
    let mut global_states: Vec<f64> = Vec::new();
    let mut activations = Activations::default();
    let mut counts: Vec<usize> = Vec::new();
    let mut obj_local: Vec<f64> = Vec::new();
    let mut duals_local: Vec<f64> = Vec::new();
    let mut obj_global: Vec<f64> = Vec::new();
    let mut item_bases: Vec<Basis> = Vec::new();
    let mut intercepts: Vec<f64> = Vec::with_capacity(m_total);
    let mut coefs: Vec<f64> = Vec::with_capacity(m_total * ns);
    let mut cuts_local: Vec<f64> = Vec::with_capacity(m_local * (ns + 1));
    let mut cuts_global: Vec<f64> = Vec::with_capacity(m_total * (ns + 1));
    let mut coef: Vec<f64> = vec![0.0; ns];
    let mut agg = Aggregator::default();
    let selection = cut_selection::from_config(settings.cut_selection);
    // Outgoing states visited by the forward passes at each stage, where
    // that stage's cuts are evaluated (only kept when a rule uses them).
    let mut visited: Vec<Vec<f64>> = vec![Vec::new(); n_stages];
    let mut keep: Vec<bool> = Vec::new();
    let mut records: Vec<IterationRecord> = Vec::new();
    let termination;

    let mut phases = PhaseStats::default();
    let mut iteration: u64 = 0;
    let mut wall_offset_ms = 0.0;
    if let Some(start) = hooks.start {
        start.policy.check_fits(n_stages, ns)?;
        cuts = start
            .policy
            .scaled_pools(cost_scale)
            .into_iter()
            .map(|p| LpCuts::new(p, start.iterations))
            .collect();
    }
    for c in &mut cuts {
        c.set_rules(settings.row_activity_tolerance, ViolationRule::default());
    }
    if let Some(start) = hooks.start {
        iteration = start.iterations;
        records.clone_from(&start.records);
        wall_offset_ms = records.last().map_or(0.0, |r| r.wall_time_ms);
    }
    loop {
        iteration += 1;
        let iter_started = Instant::now();
        let before = workers.stats();

        // 1. Forward pass.
        run_forward(
            &thread_pool,
            study,
            &workers,
            &mut cuts,
            &sampler,
            iteration,
            local.start,
            &mut trajectories,
            comm,
            &mut activations,
        )?;
        if settings.cut_selection != CutSelectionConfig::None {
            // Dominance rules look at every visited state, of every rank.
            local_buf.clear();
            for tr in &trajectories {
                local_buf.extend_from_slice(&tr.states);
            }
            comm.all_gather_f64(&local_buf, &mut global_states, &mut counts)?;
            for (t, v) in visited.iter_mut().enumerate() {
                for m in 0..m_total {
                    let at = (m * n_stages + t) * ns;
                    if let Some(x) = global_states.get(at..at + ns) {
                        v.extend_from_slice(x);
                    }
                }
            }
        }
        local_buf.clear();
        for tr in &trajectories {
            let c: f64 = tr
                .stage_costs
                .iter()
                .zip(&discount)
                .map(|(c, d)| c * d)
                .sum();
            local_buf.push(c * cost_scale);
        }
        comm.all_gather_f64(&local_buf, &mut global_costs, &mut counts)?;
        let ub = UpperBound::from_costs(&global_costs, single_path);

        let after_forward = workers.stats();
        phases.forward.add(&after_forward.since(&before));

        // 2. Backward pass.
        for t in (1..n_stages).rev() {
            let n_open = study.scenario.num_openings(t);
            let per_state = settings
                .openings_per_item
                .map_or(chunks_per_state, |o| o.chunks(n_open));
            let chunks = chunk_bounds(n_open, per_state);
            let n_items = m_local * chunks.len();
            obj_local.clear();
            obj_local.resize(m_local * n_open, 0.0);
            duals_local.clear();
            duals_local.resize(m_local * n_open * ns, 0.0);
            if item_bases.len() < n_items {
                item_bases.resize(n_items, Basis::new());
            }
            let obj_lens: Vec<usize> = (0..m_local)
                .flat_map(|_| chunks.iter().map(|&(lo, hi)| hi - lo))
                .collect();
            let dual_lens: Vec<usize> = obj_lens.iter().map(|l| l * ns).collect();
            {
                let obj_parts = split_lengths(&mut obj_local, &obj_lens);
                let dual_parts = split_lengths(&mut duals_local, &dual_lens);
                let mut items: Vec<OpeningsItem<'_>> = Vec::with_capacity(n_items);
                let mut parts = obj_parts
                    .into_iter()
                    .zip(dual_parts)
                    .zip(item_bases.iter_mut());
                for (i, tr) in trajectories.iter().enumerate() {
                    let m = local.start + i;
                    let x_in = &tr.states[(t - 1) * ns..t * ns];
                    for &(lo, hi) in &chunks {
                        let Some(((obj, duals), end_basis)) = parts.next() else {
                            break;
                        };
                        items.push(OpeningsItem::new(
                            t,
                            m,
                            x_in,
                            (lo, hi),
                            tr.forward_basis.get(t),
                            obj,
                            duals,
                            end_basis,
                        ));
                    }
                }
                run_items(
                    &ctx,
                    &mut cuts,
                    &mut activations,
                    t,
                    iteration,
                    Phase::Backward,
                    &mut items,
                )?;
            }
            for (i, tr) in trajectories.iter_mut().enumerate() {
                if let (Some(slot), Some(b)) =
                    (tr.start.get_mut(t), item_bases.get(i * chunks.len()))
                {
                    match slot {
                        Some(s) => s.copy_from(b),
                        None => *slot = Some(b.clone()),
                    }
                }
            }
            // One cut per local trial state, then every rank's, in
            // trial-state order: `[α, π…]` each.
            let risk = study
                .risk
                .get(t)
                .ok_or_else(|| SddpError::invalid(format!("stage {t}"), "no risk measure"))?;
            cuts_local.clear();
            for (i, tr) in trajectories.iter().enumerate() {
                let x_hat = &tr.states[(t - 1) * ns..t * ns];
                let obj = &obj_local[i * n_open..(i + 1) * n_open];
                let duals = &duals_local[i * n_open * ns..(i + 1) * n_open * ns];
                let alpha = agg.cut(risk.as_ref(), obj, duals, x_hat, &mut coef);
                cuts_local.push(alpha);
                cuts_local.extend_from_slice(&coef);
            }
            comm.all_gather_f64(&cuts_local, &mut cuts_global, &mut counts)?;
            if cuts_global.len() != m_total * (ns + 1) {
                return Err(SddpError::Communicator {
                    message: format!(
                        "stage {t}: {} cut values gathered, {} expected",
                        cuts_global.len(),
                        m_total * (ns + 1)
                    ),
                });
            }
            intercepts.clear();
            coefs.clear();
            for cut in cuts_global.chunks_exact(ns + 1) {
                intercepts.push(cut[0]);
                coefs.extend_from_slice(&cut[1..]);
            }
            if let Some(c) = cuts.get_mut(t - 1) {
                c.push_batch(&intercepts, &coefs, iteration);
            }
        }

        let after_backward = workers.stats();
        phases.backward.add(&after_backward.since(&after_forward));

        // 3. Lower bound: every first-stage opening at the initial state.
        obj_local.clear();
        let lb_lens: Vec<usize> = lb_chunks[lb_local.clone()]
            .iter()
            .map(|&(lo, hi)| hi - lo)
            .collect();
        obj_local.resize(lb_lens.iter().sum(), 0.0);
        {
            let obj_parts = split_lengths(&mut obj_local, &lb_lens);
            let mut items: Vec<OpeningsItem<'_>> = obj_parts
                .into_iter()
                .zip(lb_bases.iter_mut())
                .zip(&lb_starts)
                .zip(&lb_chunks[lb_local.clone()])
                .map(|(((obj, end_basis), start), &(lo, hi))| {
                    OpeningsItem::new(
                        0,
                        0,
                        &study.initial_state,
                        (lo, hi),
                        start.as_ref(),
                        obj,
                        &mut [],
                        end_basis,
                    )
                })
                .collect();
            run_items(
                &ctx,
                &mut cuts,
                &mut activations,
                0,
                iteration,
                Phase::LowerBound,
                &mut items,
            )?;
        }
        // Each chunk starts the next iteration from where it ended.
        for (start, end) in lb_starts.iter_mut().zip(&lb_bases) {
            match start {
                Some(s) => s.copy_from(end),
                None => *start = Some(end.clone()),
            }
        }
        comm.all_gather_f64(&obj_local, &mut obj_global, &mut counts)?;
        let risk0 = study
            .risk
            .first()
            .ok_or_else(|| SddpError::invalid("stage 0", "no risk measure"))?;
        let lb = agg.value(risk0.as_ref(), &obj_global) * cost_scale;

        let after = workers.stats();
        phases.lower_bound.add(&after.since(&after_backward));
        // LP counters of every rank; binding marks of every rank merged
        // before stale cuts leave the LPs.
        let work = iteration_totals(
            comm,
            &workers,
            &mut cuts,
            &after.since(&before),
            (settings.active_cut_window.is_some() || settings.max_active_per_stage.is_some())
                .then_some(iteration),
        )?;
        let record = IterationRecord {
            iteration,
            lower_bound: lb,
            upper_bound: ub.value,
            upper_bound_std: ub.std,
            ci_95: ub.ci_95,
            upper_bound_kind: ub.kind,
            gap: relative_gap(ub.kind, lb, ub.value, ub.ci_95),
            wall_time_ms: wall_offset_ms + started.elapsed().as_secs_f64() * 1e3,
            iteration_time_ms: iter_started.elapsed().as_secs_f64() * 1e3,
            lp_solves: work.solves,
            cuts_added: (m_total * n_stages.saturating_sub(1)) as u64,
            solver_time_ms: work.solve_time_s * 1e3,
            simplex_iterations: work.simplex_iterations,
        };
        tracing::debug!(
            iteration,
            lower_bound = lb,
            upper_bound = ub.value,
            "training iteration finished"
        );
        records.push(record);
        if let Some(window) = settings.active_cut_window {
            for (t, c) in cuts.iter_mut().enumerate() {
                let removed = c.deactivate_stale(iteration, window);
                follow_removal(study, t, &removed, &mut trajectories, &mut lb_starts);
            }
        }
        let cap_due = settings.max_active_per_stage.is_some()
            && settings.cut_selection == CutSelectionConfig::None;
        if selection.due(iteration) || cap_due {
            for (t, c) in cuts.iter_mut().enumerate() {
                keep.clear();
                keep.resize(c.pool.len(), true);
                selection.select(&c.pool, &visited[t], iteration, &mut keep);
                if let Some(cap) = settings.max_active_per_stage {
                    enforce_cap(&c.pool, iteration, cap, c.last_used(), c.uses(), &mut keep);
                }
                let excluded: Vec<bool> = keep.iter().map(|k| !k).collect();
                let removed = c.apply_keep(&keep, &excluded);
                follow_removal(study, t, &removed, &mut trajectories, &mut lb_starts);
            }
            tracing::debug!(
                iteration,
                active = cuts.iter().map(LpCuts::num_rows).sum::<usize>(),
                total = cuts.iter().map(|c| c.pool.len()).sum::<usize>(),
                "cut selection"
            );
        }
        if let Some(d) = dynamic.filter(|d| d.active(iteration + 1)) {
            // The next iteration's solves start from the recent cuts and may
            // add back the candidates they violate.
            let next = iteration + 1;
            for (t, c) in cuts.iter_mut().enumerate() {
                let made: Vec<u64> = (0..c.pool.len()).map(|i| c.pool.iteration_of(i)).collect();
                keep.clear();
                keep.extend(made.iter().map(|&m| d.seeds(m, next)));
                if let Some(cap) = settings.max_active_per_stage {
                    enforce_cap(
                        &c.pool,
                        iteration + 1,
                        cap,
                        c.last_used(),
                        c.uses(),
                        &mut keep,
                    );
                }
                let excluded: Vec<bool> = made.iter().map(|&m| !d.candidate(m, next)).collect();
                c.set_rules(
                    settings.row_activity_tolerance,
                    ViolationRule {
                        absolute: Some(d.violation_tolerance),
                        max_added: Some(d.max_added_per_round),
                    },
                );
                let removed = c.apply_keep(&keep, &excluded);
                follow_removal(study, t, &removed, &mut trajectories, &mut lb_starts);
            }
        }
        if let Some(cp) = hooks.checkpoint.as_deref_mut() {
            if comm.rank() == 0 && cp.due(iteration) {
                let n_hydros = study.templates.first().map_or(0, |t| t.layout.n_hydros);
                let policy = Policy::from_scaled(
                    cuts.iter().map(|c| &c.pool),
                    cost_scale,
                    n_hydros,
                    study.scenario.max_order(),
                );
                cp.save(&policy, &records)?;
            }
        }

        // Stop decision on rank 0 alone (its clock, its observer), shared
        // with every rank as it is: no rank re-derives it.
        let mut decision = StopDecision::Continue;
        if comm.rank() == 0 {
            let control = hooks
                .observer
                .as_mut()
                .map_or(Control::Continue, |o| o.on_iteration(&record));
            decision = if let Some(i) = rules.check_at(&History { records: &records }) {
                StopDecision::Rule(u8::try_from(i).unwrap_or(u8::MAX))
            } else if control == Control::Stop {
                StopDecision::Observer
            } else if hooks.stop.as_ref().is_some_and(StopFlag::is_raised) {
                StopDecision::StopFlag
            } else {
                StopDecision::Continue
            };
        }
        if let Some(reason) = share_decision(comm, decision)?.reason(&rules)? {
            termination = reason;
            break;
        }
    }

    let n_hydros = study.templates.first().map_or(0, |t| t.layout.n_hydros);
    let mut policy = Policy::from_scaled(
        cuts.iter().map(|c| &c.pool),
        cost_scale,
        n_hydros,
        study.scenario.max_order(),
    );
    // Warm-start bases for an LP holding every cut in pool order: those of
    // forward scenario 0, which rank 0 owns and gives to the others.
    if comm.rank() == 0 {
        if let Some(tr) = trajectories.first() {
            for (t, b) in tr.start.iter().enumerate() {
                if let (Some(b), Some(c), Some(tpl)) = (b, cuts.get(t), study.templates.get(t)) {
                    policy.set_basis(t, c.to_pool_order(b, tpl.layout.num_template_rows));
                }
            }
        }
    }
    share_bases(comm, &mut policy)?;
    let totals = sum_stats(
        comm,
        &[
            workers.stats(),
            phases.forward,
            phases.backward,
            phases.lower_bound,
        ],
    )?;
    let total = |i: usize| totals.get(i).copied().unwrap_or_default();
    let phases = PhaseStats {
        forward: total(1),
        backward: total(2),
        lower_bound: total(3),
    };
    Ok(TrainingResult {
        policy,
        records,
        termination,
        solver: total(0),
        phases,
        active_cuts: cuts.iter().map(LpCuts::num_rows).collect(),
        wall_time_s: started.elapsed().as_secs_f64(),
    })
}

/// Makes the stored bases of stage `t` follow the removal of its cut rows
/// at positions `removed` (or drops a basis a removed nonbasic row breaks).
fn follow_removal(
    study: &StudyModel,
    t: usize,
    removed: &[usize],
    trajectories: &mut [Trajectory],
    lb_starts: &mut [Option<Basis>],
) {
    if removed.is_empty() {
        return;
    }
    let base = study
        .templates
        .get(t)
        .map_or(0, |tpl| tpl.layout.num_template_rows);
    let remap = |slot: &mut Option<Basis>| {
        if let Some(b) = slot {
            if !LpCuts::remap_basis(b, base, removed) {
                *slot = None;
            }
        }
    };
    for tr in trajectories.iter_mut() {
        if let Some(slot) = tr.start.get_mut(t) {
            remap(slot);
        }
    }
    if t == 0 {
        for slot in lb_starts.iter_mut() {
            remap(slot);
        }
    }
}
