//! One step of the backward pass of sampled training: the cuts of the trial
//! states that the forward scenarios left at stage `t − 1`.
//!
//! Trial state `m` sits at node `n` (its scenario's node at `t − 1`). Its
//! outcomes are the realisations of `n`'s children (for the chain: the
//! openings of stage `t`); each child's realisations are split into the
//! same fixed number of chunks, one work item each, started from the trial
//! state's forward basis at `t` when the child shares that LP (same pool).
//! The outcomes are aggregated with probabilities `P(n→c)·q` through stage
//! `t`'s risk measure into one cut of `n`'s pool; every rank's cuts are
//! all-gathered in trial-state order and appended to their pools in that
//! order, so every rank holds the same future-cost functions.

use crate::active_set::LpCuts;
use crate::backward::{chunk_bounds, run_items, split_lengths, Aggregator, Ctx, OpeningsItem};
use crate::communicator::Collectives;
use crate::config::OpeningsPerItem;
use crate::error::Phase;
use crate::exchange::Activations;
use crate::forward::Trajectory;
use crate::SddpError;
use cobre_solver::Basis;

/// Buffers of the backward pass, reused across stages and iterations.
#[derive(Debug, Default)]
pub(crate) struct BackwardBuffers {
    obj_local: Vec<f64>,
    duals_local: Vec<f64>,
    item_bases: Vec<Basis>,
    cuts_local: Vec<f64>,
    cuts_global: Vec<f64>,
    intercepts: Vec<f64>,
    coefs: Vec<f64>,
    coef: Vec<f64>,
    counts: Vec<usize>,
    probabilities: Vec<f64>,
    pub(crate) agg: Aggregator,
}

/// Where a trial state's outcomes and items start in the step's buffers.
struct TrialPlan {
    node: usize,
    outcomes: usize,
    first_outcome: usize,
    /// First item of the child the trajectory visited at `t` (its next
    /// forward start at `t`).
    visited_item: Option<usize>,
}

/// One work item: the trial state (local index), the child node and the
/// `(lo, hi)` range of the child's realisations.
type ItemSpec = (usize, usize, (usize, usize));

/// What the parts of one backward step share.
struct Step<'s, 'c> {
    ctx: &'s Ctx<'c>,
    /// Stage whose outcomes are solved (cuts go to `t − 1`).
    t: usize,
    iteration: u64,
    /// Global index of the first local trial state.
    first_scenario: usize,
    /// State dimension.
    ns: usize,
}

/// The trial states of a backward stage and how their openings are split
/// into work items.
pub(crate) struct TrialStates<'a> {
    /// This rank's forward trajectories (their states are the trial states).
    pub(crate) trajectories: &'a mut [Trajectory],
    /// Every forward scenario's node per stage (`m · T + t`); empty for the
    /// chain (the node is the stage).
    pub(crate) nodes_global: &'a [usize],
    /// Global index of the first local trajectory.
    pub(crate) first_scenario: usize,
    /// Forward scenarios of every rank.
    pub(crate) m_total: usize,
    /// Items per child's realisations, unless `openings_per_item` is set.
    pub(crate) chunks_per_state: usize,
    /// The case's backward scheduler, when it sets one.
    pub(crate) openings_per_item: Option<OpeningsPerItem>,
}

/// The cuts of the trial states at stage `t − 1` (see the module notes).
/// Each child's realisations are split into `chunks_per_state` items, or
/// as `openings_per_item` says when the case sets a backward scheduler.
pub(crate) fn sampled_stage(
    ctx: &Ctx<'_>,
    cuts: &mut [LpCuts],
    activations: &mut Activations,
    states: TrialStates<'_>,
    t: usize,
    iteration: u64,
    buf: &mut BackwardBuffers,
) -> Result<(), SddpError> {
    let TrialStates {
        trajectories,
        nodes_global,
        first_scenario,
        m_total,
        chunks_per_state,
        openings_per_item,
    } = states;
    let step = Step {
        ctx,
        t,
        iteration,
        first_scenario,
        ns: ctx.study.n_state(),
    };
    let per_state =
        |n_real: usize| openings_per_item.map_or(chunks_per_state, |o| o.chunks(n_real));
    let (plans, specs, outcomes_total) = plan_items(&step, trajectories, per_state);
    solve_items(
        &step,
        cuts,
        activations,
        trajectories,
        &specs,
        outcomes_total,
        buf,
    )?;
    keep_visited_bases(&step, trajectories, &plans, buf);
    local_cuts(&step, trajectories, &plans, buf)?;
    store_cuts(&step, cuts, nodes_global, m_total, buf)
}

/// Items: per trial state, per child, per chunk of its realisations
/// (`per_state(n)` chunks of a child with `n`); returns the trial states'
/// plans, the items and the number of outcomes.
fn plan_items(
    step: &Step<'_, '_>,
    trajectories: &[Trajectory],
    per_state: impl Fn(usize) -> usize,
) -> (Vec<TrialPlan>, Vec<ItemSpec>, usize) {
    let (study, t) = (step.ctx.study, step.t);
    let graph = &study.graph;
    let mut plans: Vec<TrialPlan> = Vec::with_capacity(trajectories.len());
    let mut specs: Vec<ItemSpec> = Vec::new();
    let mut outcomes_total = 0;
    for (i, tr) in trajectories.iter().enumerate() {
        let node = tr.nodes.get(t - 1).copied().unwrap_or(0);
        let visited = tr.nodes.get(t).copied();
        let first_outcome = outcomes_total;
        let mut visited_item = None;
        for c in graph.children(node) {
            let n_real = graph.num_realisations(c.node, &study.scenario);
            if Some(c.node) == visited && visited_item.is_none() {
                visited_item = Some(specs.len());
            }
            for bounds in chunk_bounds(n_real, per_state(n_real)) {
                specs.push((i, c.node, bounds));
            }
            outcomes_total += n_real;
        }
        plans.push(TrialPlan {
            node,
            outcomes: outcomes_total - first_outcome,
            first_outcome,
            visited_item,
        });
    }
    (plans, specs, outcomes_total)
}

/// Solves every item into the step's objective and dual buffers, each
/// started from its trial state's forward basis at `t` when the child
/// shares that LP (same pool).
fn solve_items(
    step: &Step<'_, '_>,
    cuts: &mut [LpCuts],
    activations: &mut Activations,
    trajectories: &[Trajectory],
    specs: &[ItemSpec],
    outcomes_total: usize,
    buf: &mut BackwardBuffers,
) -> Result<(), SddpError> {
    let (graph, t, ns) = (&step.ctx.study.graph, step.t, step.ns);
    let n_items = specs.len();
    buf.obj_local.clear();
    buf.obj_local.resize(outcomes_total, 0.0);
    buf.duals_local.clear();
    buf.duals_local.resize(outcomes_total * ns, 0.0);
    if buf.item_bases.len() < n_items {
        buf.item_bases.resize(n_items, Basis::new());
    }
    let obj_lens: Vec<usize> = specs.iter().map(|&(_, _, (lo, hi))| hi - lo).collect();
    let dual_lens: Vec<usize> = obj_lens.iter().map(|l| l * ns).collect();
    let obj_parts = split_lengths(&mut buf.obj_local, &obj_lens);
    let dual_parts = split_lengths(&mut buf.duals_local, &dual_lens);
    let mut items: Vec<OpeningsItem<'_>> = Vec::with_capacity(n_items);
    let parts = obj_parts
        .into_iter()
        .zip(dual_parts)
        .zip(buf.item_bases.iter_mut());
    for (((obj, duals), end_basis), &(i, child, bounds)) in parts.zip(specs) {
        let Some(tr) = trajectories.get(i) else { break };
        let x_in = &tr.states[(t - 1) * ns..t * ns];
        let visited_pool = tr.nodes.get(t).map(|&v| graph.pool(v));
        let start = if visited_pool == Some(graph.pool(child)) {
            tr.forward_basis.get(t)
        } else {
            None
        };
        // The realisation the forward pass solved at this trial state, when
        // the child is the node it visited: its basis is `start`.
        let visited = tr
            .openings
            .get(t)
            .copied()
            .flatten()
            .filter(|_| tr.nodes.get(t) == Some(&child) && start.is_some());
        items.push(
            OpeningsItem::new(
                graph,
                child,
                step.first_scenario + i,
                x_in,
                bounds,
                start,
                obj,
                duals,
                end_basis,
            )
            .first_realisation(visited),
        );
    }
    run_items(
        step.ctx,
        cuts,
        activations,
        step.iteration,
        Phase::Backward,
        &mut items,
    )
}

/// Keeps the end basis of the first item of the child each trajectory
/// visited at `t` as its next forward start there.
fn keep_visited_bases(
    step: &Step<'_, '_>,
    trajectories: &mut [Trajectory],
    plans: &[TrialPlan],
    buf: &BackwardBuffers,
) {
    let (graph, t) = (&step.ctx.study.graph, step.t);
    for (tr, plan) in trajectories.iter_mut().zip(plans) {
        let visited_pool = tr.nodes.get(t).map_or(0, |&v| graph.pool(v));
        if let (Some(slot), Some(b)) = (
            tr.start.get_mut(t),
            plan.visited_item.and_then(|k| buf.item_bases.get(k)),
        ) {
            match slot {
                Some(s) => s.copy_from(b),
                None => *slot = Some(b.clone()),
            }
            if let Some(q) = tr.start_pool.get_mut(t) {
                *q = visited_pool;
            }
        }
    }
}

/// One cut per local trial state into `buf.cuts_local`, `[α, π…]` each,
/// its outcomes aggregated through stage `t`'s risk measure.
fn local_cuts(
    step: &Step<'_, '_>,
    trajectories: &[Trajectory],
    plans: &[TrialPlan],
    buf: &mut BackwardBuffers,
) -> Result<(), SddpError> {
    let (study, t, ns) = (step.ctx.study, step.t, step.ns);
    let risk = study
        .risk
        .get(t)
        .ok_or_else(|| SddpError::invalid(format!("stage {t}"), "no risk measure"))?;
    buf.coef.clear();
    buf.coef.resize(ns, 0.0);
    buf.cuts_local.clear();
    for (tr, plan) in trajectories.iter().zip(plans) {
        let x_hat = &tr.states[(t - 1) * ns..t * ns];
        let range = plan.first_outcome..plan.first_outcome + plan.outcomes;
        let obj = &buf.obj_local[range.clone()];
        let duals = &buf.duals_local[range.start * ns..range.end * ns];
        buf.probabilities.clear();
        buf.probabilities.extend(
            study
                .graph
                .outcomes(plan.node, &study.scenario)
                .map(|o| o.2),
        );
        let alpha = buf.agg.cut_weighted(
            risk.as_ref(),
            obj,
            &buf.probabilities,
            duals,
            x_hat,
            &mut buf.coef,
        );
        buf.cuts_local.push(alpha);
        buf.cuts_local.extend_from_slice(&buf.coef);
    }
    Ok(())
}

/// All-gathers every rank's cuts in trial-state order and appends them to
/// their pools in that order: pool `t − 1` for the chain, each trial
/// state's node's pool for a tree.
fn store_cuts(
    step: &Step<'_, '_>,
    cuts: &mut [LpCuts],
    nodes_global: &[usize],
    m_total: usize,
    buf: &mut BackwardBuffers,
) -> Result<(), SddpError> {
    let (study, t, ns, iteration) = (step.ctx.study, step.t, step.ns, step.iteration);
    let graph = &study.graph;
    step.ctx
        .comm
        .all_gather_f64(&buf.cuts_local, &mut buf.cuts_global, &mut buf.counts)?;
    if buf.cuts_global.len() != m_total * (ns + 1) {
        return Err(SddpError::Communicator {
            message: format!(
                "stage {t}: {} cut values gathered, {} expected",
                buf.cuts_global.len(),
                m_total * (ns + 1)
            ),
        });
    }
    if graph.is_chain() {
        collect_cuts(buf, ns, |_| true);
        if let Some(c) = cuts.get_mut(t - 1) {
            c.push_batch(&buf.intercepts, &buf.coefs, iteration);
        }
        return Ok(());
    }
    // A tree: each pool gets its trial states' cuts, in trial-state order.
    let n_stages = study.num_stages();
    let pool_of = |m: usize| {
        nodes_global
            .get(m * n_stages + t - 1)
            .map_or(0, |&n| graph.pool(n))
    };
    let mut pools: Vec<usize> = (0..m_total).map(pool_of).collect();
    pools.sort_unstable();
    pools.dedup();
    for p in pools {
        collect_cuts(buf, ns, |m| pool_of(m) == p);
        if let Some(c) = cuts.get_mut(p) {
            c.push_batch(&buf.intercepts, &buf.coefs, iteration);
        }
    }
    Ok(())
}

/// Splits the gathered cuts (`ns + 1` values each) of the trial states
/// `keep` selects into `buf.intercepts` and `buf.coefs`, in trial-state
/// order.
fn collect_cuts(buf: &mut BackwardBuffers, ns: usize, keep: impl Fn(usize) -> bool) {
    buf.intercepts.clear();
    buf.coefs.clear();
    for (m, cut) in buf.cuts_global.chunks_exact(ns + 1).enumerate() {
        if keep(m) {
            buf.intercepts.push(cut[0]);
            buf.coefs.extend_from_slice(&cut[1..]);
        }
    }
}

/// Every forward scenario's node at each stage (`m · T + t`) for iteration
/// `iteration`: the draws are pure functions of `(iteration, scenario)`, so
/// every rank computes every rank's paths. Empty for the chain.
pub(crate) fn scenario_nodes(
    study: &crate::study::StudyModel,
    m_total: usize,
    iteration: u64,
    out: &mut Vec<usize>,
) {
    out.clear();
    let graph = &study.graph;
    if graph.is_chain() {
        return;
    }
    let n_stages = study.num_stages();
    out.reserve(m_total * n_stages);
    for m in 0..m_total {
        let mut node = graph.root();
        out.push(node);
        for _ in 1..n_stages {
            node = graph
                .sample_child(node, iteration, m as u64)
                .unwrap_or(node);
            out.push(node);
        }
    }
}
