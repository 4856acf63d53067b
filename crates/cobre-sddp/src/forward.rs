//! The forward pass: each forward scenario walks the stages under the
//! current cuts, recording the trial states and stage costs.
//!
//! A scenario is a chain of work items, one per stage
//! ([`crate::workspace::for_each_chain`]): a free thread takes the scenario
//! furthest behind, so scenarios move between threads and the threads end
//! the pass together. A scenario walks the policy graph from the root,
//! taking at each node the child drawn for `(iteration, scenario)` (the
//! chain has one child per node: no draw). Its stage `t` solve starts from
//! the basis stored for `(scenario, t)` (left there by the previous
//! iteration, used when it belongs to the same cut pool), or in the first
//! iteration from its own basis of stage `t − 1`, and its noise comes from
//! the stream keyed by `(seed, iteration, scenario, t)` (or is the node's
//! external realisation), so an item's result does not depend on which
//! thread runs it. A solve that violates a cut that is not a row gets that
//! cut as a row of its own LP (this item only) and is solved again; once
//! every item is done, the cuts they added become rows of every LP, in
//! scenario order, and the stored forward bases follow (one parallel step
//! per pass, whatever was violated).

use crate::active_set::LpCuts;
use crate::backward::Ctx;
use crate::communicator::Communicator;
use crate::error::{Phase, SolveSite};
use crate::exchange::Activations;
use crate::scenario::Sampler;
use crate::study::StudyModel;
use crate::workspace::Worker;
use crate::SddpError;
use cobre_solver::Basis;
use cobre_stochastic::lag_chain::LagAccumulator;

/// What one forward scenario keeps across iterations.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trajectory {
    /// Start basis of the next forward solve of each stage.
    pub(crate) start: Vec<Option<Basis>>,
    /// Cut pool each `start` basis belongs to (a basis of another pool's
    /// LP has other cut rows: the solve then starts cold).
    pub(crate) start_pool: Vec<usize>,
    /// Node visited at each stage (the stage itself for the chain).
    pub(crate) nodes: Vec<usize>,
    /// Basis at the end of this iteration's forward solve of each stage
    /// (the start of the backward work items of this trial state).
    pub(crate) forward_basis: Vec<Basis>,
    /// Outgoing state of each stage, `T × n_state`.
    pub(crate) states: Vec<f64>,
    /// Immediate cost of each stage (scaled, undiscounted).
    pub(crate) stage_costs: Vec<f64>,
    /// The opening of each stage's tree this iteration's forward noise was
    /// (in-sample sampling), else the one nearest to it: the backward item
    /// of the trial state holding it solves it first, from the forward
    /// solve's basis.
    pub(crate) openings: Vec<Option<usize>>,
    /// Per stage, the inactive cuts this iteration's solve added to its own
    /// LP because its solution violated them (rows after the shared cut
    /// rows, in this order, in `forward_basis`).
    pub(crate) local_cuts: Vec<Vec<usize>>,
    /// The trajectory's lag accumulator (the lag chain's state between
    /// stages).
    lags: LagAccumulator,
}

impl Trajectory {
    pub(crate) fn new(n_stages: usize, n_state: usize, lags: LagAccumulator) -> Self {
        Self {
            start: vec![None; n_stages],
            start_pool: (0..n_stages).collect(),
            nodes: (0..n_stages).collect(),
            forward_basis: vec![Basis::new(); n_stages],
            states: vec![0.0; n_stages * n_state],
            stage_costs: vec![0.0; n_stages],
            openings: vec![None; n_stages],
            local_cuts: vec![Vec::new(); n_stages],
            lags,
        }
    }
}

/// Runs the forward pass of every local trajectory (scenario numbers
/// `first_scenario..`) in parallel. A solve whose solution violates inactive
/// cuts adds them to its own LP and is solved again; afterwards the cuts
/// every rank's trajectories added are activated on every rank (in scenario
/// order) and each trajectory's forward bases are mapped to the LPs with
/// them.
pub(crate) fn run_forward(
    ctx: &Ctx<'_>,
    cuts: &mut [LpCuts],
    activations: &mut Activations,
    sampler: &Sampler,
    iteration: u64,
    first_scenario: usize,
    trajectories: &mut [Trajectory],
) -> Result<(), SddpError> {
    let Ctx {
        thread_pool,
        study,
        workers,
        comm,
    } = *ctx;
    // Every rank holds the same cut sets, so every rank takes the same
    // branch: without inactive cuts nothing can be violated.
    let may_violate = cuts.iter().any(LpCuts::has_inactive);
    let shared: &[LpCuts] = cuts;
    // One step per stage: a trajectory may move to another thread between
    // stages (each solve starts from a basis the trajectory holds), so the
    // threads end the pass together.
    let stages = study.templates.len();
    crate::workspace::for_each_chain(thread_pool, trajectories, stages, |i, traj, t| {
        let mut w = workers.current()?;
        forward_stage(
            &mut w,
            study,
            shared,
            sampler,
            (iteration, first_scenario + i),
            traj,
            t,
        )
    })?;
    if may_violate {
        activate_local_cuts(study, comm, cuts, activations, iteration, trajectories)?;
    }
    // Stage 0 has no backward work item: its next forward solve starts
    // from this one.
    let root_pool = study.graph.pool(study.graph.root());
    for tr in trajectories.iter_mut() {
        if let (Some(b), Some(s)) = (tr.forward_basis.first(), tr.start.first_mut()) {
            match s {
                Some(s) => s.copy_from(b),
                None => *s = Some(b.clone()),
            }
        }
        if let Some(q) = tr.start_pool.first_mut() {
            *q = root_pool;
        }
    }
    Ok(())
}

/// Makes the cuts the trajectories added to their own LPs rows of every
/// LP (every rank's, in scenario order) and maps each trajectory's forward
/// bases to the LPs with them.
fn activate_local_cuts(
    study: &StudyModel,
    comm: &dyn Communicator,
    cuts: &mut [LpCuts],
    activations: &mut Activations,
    iteration: u64,
    trajectories: &mut [Trajectory],
) -> Result<(), SddpError> {
    let rows_before: Vec<usize> = cuts.iter().map(LpCuts::num_rows).collect();
    let graph = &study.graph;
    activations.clear();
    for tr in trajectories.iter() {
        for (t, ids) in tr.local_cuts.iter().enumerate() {
            if let (false, Some(&node)) = (ids.is_empty(), tr.nodes.get(t)) {
                activations.push(graph.pool(node), ids);
            }
        }
    }
    // Every rank takes part, with or without cuts of its own.
    if !activations.apply(comm, cuts)? {
        return Ok(());
    }
    tracing::debug!(iteration, "forward pass activated violated cuts");
    for tr in trajectories.iter_mut() {
        for (t, basis) in tr.forward_basis.iter_mut().enumerate() {
            let p = tr.nodes.get(t).map_or(t, |&n| graph.pool(n));
            let (Some(c), Some(tpl), Some(&n_before)) =
                (cuts.get(p), study.pool_template(p), rows_before.get(p))
            else {
                continue;
            };
            let template_rows = tpl.layout.num_template_rows;
            let local = tr.local_cuts.get(t).map_or(&[][..], Vec::as_slice);
            // A basis of this pass's LP (shared rows, then its own).
            if basis.row_status.len() == template_rows + n_before + local.len() {
                c.adopt_local_rows(basis, template_rows, n_before, local);
            }
        }
    }
    Ok(())
}

/// Stage `t` of one forward trajectory (`scenario` of `iteration`), after
/// its stages before `t`.
fn forward_stage(
    w: &mut Worker,
    study: &StudyModel,
    cuts: &[LpCuts],
    sampler: &Sampler,
    (iteration, scenario): (u64, usize),
    traj: &mut Trajectory,
    t: usize,
) -> Result<(), SddpError> {
    let ns = study.n_state();
    let graph = &study.graph;
    if t == 0 {
        study.scenario.restart_lags(&mut traj.lags);
    }
    let tpl = study
        .templates
        .get(t)
        .ok_or_else(|| SddpError::invalid(format!("stage {t}"), "no such stage"))?;
    let node = if t == 0 {
        graph.root()
    } else {
        let parent = traj.nodes.get(t - 1).copied().unwrap_or(0);
        graph
            .sample_child(parent, iteration, scenario as u64)
            .ok_or_else(|| SddpError::invalid(format!("stage {t}"), "no node to go to"))?
    };
    if let Some(slot) = traj.nodes.get_mut(t) {
        *slot = node;
    }
    let p = graph.pool(node);
    let Some(stage_cuts) = cuts.get(p) else {
        return Err(SddpError::invalid(format!("stage {t}"), "no cut set"));
    };
    w.sync_cuts(p, stage_cuts, tpl)?;
    let start = match (traj.start.get(t), traj.start_pool.get(t)) {
        (Some(Some(b)), Some(&q)) if q == p => Some(b),
        _ => None,
    };
    // No basis of this stage yet (the first iteration): the basis this
    // trajectory ended with at the previous stage, fitted to this
    // stage's cut rows, is a far better start than the slack basis
    // (newave_mini: 700 pivots a solve instead of 5,100).
    let prev = match (start, t.checked_sub(1)) {
        (None, Some(q)) => traj.forward_basis.get(q),
        _ => None,
    };
    w.start_carried(p, stage_cuts, &tpl.layout, prev, None, start)?;
    let opening =
        if graph.node(node).map(|n| n.realisations) == Some(crate::graph::Realisations::Openings) {
            study
                .scenario
                .sample(sampler, iteration, scenario as u64, t, &mut w.noise);
            study
                .scenario
                .forward_opening(sampler, iteration, scenario as u64, t)
                .or_else(|| nearest_realisation(graph, node, &study.scenario, &w.noise))
        } else {
            let noise = graph.realisation(node, 0, &study.scenario);
            for (d, s) in w
                .noise
                .iter_mut()
                .zip(noise.iter().chain(std::iter::repeat(&0.0)))
            {
                *d = *s;
            }
            None
        };
    if let Some(slot) = traj.openings.get_mut(t) {
        *slot = opening;
    }
    let (done, rest) = traj.states.split_at_mut(t * ns);
    let x_in: &[f64] = if t == 0 {
        &study.initial_state
    } else {
        &done[(t - 1) * ns..]
    };
    let site = SolveSite {
        phase: Phase::Forward,
        iteration,
        stage: t,
        scenario,
        opening: None,
    };
    let obj = loop {
        let obj = w.solve(p, tpl, Some(stage_cuts), &study.scenario, x_in, site)?;
        w.check_cuts(p, stage_cuts, tpl);
        if w.violated.is_empty() {
            break obj;
        }
        // Not optimal for the LP with every cut: add the violated cuts
        // to this solve's LP and solve again.
        w.add_violated_as_local_rows(p, stage_cuts, tpl)?;
    };
    let layout = &tpl.layout;
    let theta = w.primal.get(layout.theta).copied().unwrap_or(0.0);
    traj.stage_costs[t] = obj - tpl.discount * theta;
    w.next_state(tpl, &study.scenario, x_in, &mut rest[..ns], &mut traj.lags);
    if let Some(b) = traj.forward_basis.get_mut(t) {
        w.basis_into(p, b);
    }
    if let Some(l) = traj.local_cuts.get_mut(t) {
        l.clone_from(&w.local_rows);
    }
    w.drop_local_rows(p, stage_cuts, tpl)?;
    Ok(())
}

/// The realisation of `node` nearest to `noise` (squared distance over the
/// noise vector; the first of equals), `None` for a node without any. Out-of-sample
/// forward noise is none of the openings; the backward item of the trial
/// state starts from the forward solve's basis, which is then closest to
/// this opening's optimum.
fn nearest_realisation(
    graph: &crate::graph::NodeGraph,
    node: usize,
    scenario: &crate::scenario::ScenarioModel,
    noise: &[f64],
) -> Option<usize> {
    let n = graph.num_realisations(node, scenario);
    (0..n)
        .map(|k| {
            let r = graph.realisation(node, k, scenario);
            let d: f64 = r.iter().zip(noise).map(|(a, b)| (a - b) * (a - b)).sum();
            (k, d)
        })
        .fold(None, |best: Option<(usize, f64)>, (k, d)| match best {
            Some((_, bd)) if bd <= d => best,
            _ => Some((k, d)),
        })
        .map(|(k, _)| k)
}

#[cfg(test)]
mod tests {
    use super::nearest_realisation;

    /// Each opening is its own nearest, and a point between two openings,
    /// nearer the second, picks the opening at the least distance.
    #[test]
    fn the_nearest_realisation_is_the_opening_closest_to_the_noise(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let (_, study) = crate::test_support::shared_study("1dtoy")?;
        let (graph, sc) = (&study.graph, &study.scenario);
        let node = 1;
        let n = graph.num_realisations(node, sc);
        assert!(n >= 2, "1dtoy has several openings per stage");
        for k in 0..n {
            let noise = graph.realisation(node, k, sc).to_vec();
            assert_eq!(nearest_realisation(graph, node, sc, &noise), Some(k));
        }
        let (a, b) = (
            graph.realisation(node, 0, sc),
            graph.realisation(node, 1, sc),
        );
        assert_ne!(a, b, "two distinct openings");
        let between = |w: f64| -> Vec<f64> {
            a.iter()
                .zip(b)
                .map(|(x, y)| (1.0 - w) * x + w * y)
                .collect()
        };
        let near_b = between(0.6);
        let dist =
            |r: &[f64]| -> f64 { r.iter().zip(&near_b).map(|(x, y)| (x - y) * (x - y)).sum() };
        let expected = (0..n)
            .min_by(|&i, &j| {
                dist(graph.realisation(node, i, sc))
                    .total_cmp(&dist(graph.realisation(node, j, sc)))
            })
            .ok_or("no realisation")?;
        assert_eq!(
            nearest_realisation(graph, node, sc, &near_b),
            Some(expected)
        );
        assert!(dist(b) < dist(a));
        Ok(())
    }
}
