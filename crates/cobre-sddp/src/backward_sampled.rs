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

/// The cuts of the trial states at stage `t − 1` (see the module notes).
/// Each child's realisations are split into `chunks_per_state` items, or
/// as `openings_per_item` says when the case sets a backward scheduler.
/// `nodes_global` holds every forward scenario's node per stage
/// (`m · T + t`); it is empty for the chain (the node is the stage).
#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
pub(crate) fn sampled_stage(
    ctx: &Ctx<'_>,
    cuts: &mut [LpCuts],
    activations: &mut Activations,
    trajectories: &mut [Trajectory],
    nodes_global: &[usize],
    first_scenario: usize,
    m_total: usize,
    t: usize,
    iteration: u64,
    chunks_per_state: usize,
    openings_per_item: Option<OpeningsPerItem>,
    buf: &mut BackwardBuffers,
) -> Result<(), SddpError> {
    let study = ctx.study;
    let graph = &study.graph;
    let ns = study.n_state();
    let n_stages = study.num_stages();
    // Items: per trial state, per child, per chunk of its realisations.
    let mut plans: Vec<TrialPlan> = Vec::with_capacity(trajectories.len());
    let mut specs: Vec<(usize, usize, (usize, usize))> = Vec::new();
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
            let per_state = openings_per_item.map_or(chunks_per_state, |o| o.chunks(n_real));
            for bounds in chunk_bounds(n_real, per_state) {
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
    {
        let obj_parts = split_lengths(&mut buf.obj_local, &obj_lens);
        let dual_parts = split_lengths(&mut buf.duals_local, &dual_lens);
        let mut items: Vec<OpeningsItem<'_>> = Vec::with_capacity(n_items);
        let parts = obj_parts
            .into_iter()
            .zip(dual_parts)
            .zip(buf.item_bases.iter_mut());
        for (((obj, duals), end_basis), &(i, child, bounds)) in parts.zip(&specs) {
            let Some(tr) = trajectories.get(i) else { break };
            let x_in = &tr.states[(t - 1) * ns..t * ns];
            let visited_pool = tr.nodes.get(t).map(|&v| graph.pool(v));
            let start = if visited_pool == Some(graph.pool(child)) {
                tr.forward_basis.get(t)
            } else {
                None
            };
            items.push(OpeningsItem::new(
                graph,
                child,
                first_scenario + i,
                x_in,
                bounds,
                start,
                obj,
                duals,
                end_basis,
            ));
        }
        run_items(
            ctx,
            cuts,
            activations,
            iteration,
            Phase::Backward,
            &mut items,
        )?;
    }
    for (tr, plan) in trajectories.iter_mut().zip(&plans) {
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
    // One cut per local trial state, then every rank's, in trial-state
    // order: `[α, π…]` each.
    let risk = study
        .risk
        .get(t)
        .ok_or_else(|| SddpError::invalid(format!("stage {t}"), "no risk measure"))?;
    buf.coef.clear();
    buf.coef.resize(ns, 0.0);
    buf.cuts_local.clear();
    for (tr, plan) in trajectories.iter().zip(&plans) {
        let x_hat = &tr.states[(t - 1) * ns..t * ns];
        let range = plan.first_outcome..plan.first_outcome + plan.outcomes;
        let obj = &buf.obj_local[range.clone()];
        let duals = &buf.duals_local[range.start * ns..range.end * ns];
        buf.probabilities.clear();
        buf.probabilities
            .extend(graph.outcomes(plan.node, &study.scenario).map(|o| o.2));
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
    ctx.comm
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
        buf.intercepts.clear();
        buf.coefs.clear();
        for cut in buf.cuts_global.chunks_exact(ns + 1) {
            buf.intercepts.push(cut[0]);
            buf.coefs.extend_from_slice(&cut[1..]);
        }
        if let Some(c) = cuts.get_mut(t - 1) {
            c.push_batch(&buf.intercepts, &buf.coefs, iteration);
        }
        return Ok(());
    }
    // A tree: each pool gets its trial states' cuts, in trial-state order.
    let pool_of = |m: usize| {
        nodes_global
            .get(m * n_stages + t - 1)
            .map_or(0, |&n| graph.pool(n))
    };
    let mut pools: Vec<usize> = (0..m_total).map(pool_of).collect();
    pools.sort_unstable();
    pools.dedup();
    for p in pools {
        buf.intercepts.clear();
        buf.coefs.clear();
        for (m, cut) in buf.cuts_global.chunks_exact(ns + 1).enumerate() {
            if pool_of(m) == p {
                buf.intercepts.push(cut[0]);
                buf.coefs.extend_from_slice(&cut[1..]);
            }
        }
        if let Some(c) = cuts.get_mut(p) {
            c.push_batch(&buf.intercepts, &buf.coefs, iteration);
        }
    }
    Ok(())
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
