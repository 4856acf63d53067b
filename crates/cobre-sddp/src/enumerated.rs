//! Enumerated training over a tree: every iteration visits every path of
//! the policy graph once, so the upper bound is exact.
//!
//! Enumerated selection requires a tree whose nodes have one realisation
//! each (the validator checks it), so the paths are the root-to-leaf paths
//! and a node is solved once per pass, however many paths share it:
//!
//! * **forward**, stage by stage: every node of the stage at its parent's
//!   outgoing state, one work item each (ranks own contiguous shares of a
//!   stage's nodes); outgoing states, stage costs, lag accumulators,
//!   objectives and state duals are all-gathered in node order. The upper
//!   bound is `Σ_n P(n)·Δ_t(n)·c_n`, `P(n)` the probability of reaching
//!   node `n`;
//! * **backward**, for `t = T−1 … 1`: a leaf has no future cost and no cuts,
//!   so its forward solve already is its backward solve; every other node of
//!   stage `t` is solved again at its parent's state under its new cuts.
//!   Each node of stage `t − 1` gets one cut, aggregated over its children
//!   with the transition probabilities through stage `t`'s risk measure;
//! * the **lower bound** is the root's value at the initial state (the
//!   caller evaluates it as for sampled training).
//!
//! Every rank computes every cut from the gathered values in node order, so
//! the cut pools are identical on every rank and for any thread count; each
//! node's bases live on the rank that owns it (the shares never change).

use crate::active_set::LpCuts;
use crate::backward::{run_items, split_lengths, Aggregator, Capture, Ctx, OpeningsItem};
use crate::communicator::{share, Collectives};
use crate::error::Phase;
use crate::exchange::Activations;
use crate::study::StudyModel;
use crate::SddpError;
use cobre_solver::Basis;
use cobre_stochastic::LagAccumulator;

/// What the tree keeps across iterations.
pub(crate) struct TreeRun {
    /// Nodes of each stage, canonical order.
    by_stage: Vec<Vec<usize>>,
    /// Parent of each node.
    parent: Vec<Option<usize>>,
    /// Probability of reaching each node.
    reach: Vec<f64>,
    /// Outgoing state of each node, `node × n_state`.
    states: Vec<f64>,
    /// Immediate cost of each node (scaled, undiscounted).
    costs: Vec<f64>,
    /// Objective and state duals of each node's last solve.
    obj: Vec<f64>,
    duals: Vec<f64>,
    /// Lag accumulator of each node after its solve.
    lags: Vec<LagAccumulator>,
    /// Start basis of each node's next solve (nodes this rank owns).
    start: Vec<Option<Basis>>,
    /// End basis of each node's forward solve (nodes this rank owns).
    forward_basis: Vec<Basis>,
    // Buffers of one step.
    x_buf: Vec<f64>,
    state_buf: Vec<f64>,
    cost_buf: Vec<f64>,
    obj_buf: Vec<f64>,
    duals_buf: Vec<f64>,
    lag_buf: Vec<LagAccumulator>,
    end_bases: Vec<Basis>,
    local_buf: Vec<f64>,
    global_buf: Vec<f64>,
    counts: Vec<usize>,
    probabilities: Vec<f64>,
    child_obj: Vec<f64>,
    child_duals: Vec<f64>,
    coef: Vec<f64>,
}

impl TreeRun {
    /// Sets up the run of `study`'s tree.
    pub(crate) fn new(study: &StudyModel) -> Self {
        let graph = &study.graph;
        let n = graph.nodes().len();
        let ns = study.n_state();
        let by_stage = graph.nodes_by_stage(study.num_stages());
        let mut parent = vec![None; n];
        for i in 0..n {
            for c in graph.children(i) {
                if let Some(p) = parent.get_mut(c.node) {
                    *p = Some(i);
                }
            }
        }
        let mut reach = vec![0.0; n];
        if let Some(r) = reach.get_mut(graph.root()) {
            *r = 1.0;
        }
        for stage in &by_stage {
            for &i in stage {
                let p = reach[i];
                for c in graph.children(i) {
                    if let Some(r) = reach.get_mut(c.node) {
                        *r = p * c.probability;
                    }
                }
            }
        }
        let acc = study.scenario.lag_accumulator();
        Self {
            by_stage,
            parent,
            reach,
            states: vec![0.0; n * ns],
            costs: vec![0.0; n],
            obj: vec![0.0; n],
            duals: vec![0.0; n * ns],
            lags: vec![acc; n],
            start: vec![None; n],
            forward_basis: vec![Basis::new(); n],
            x_buf: Vec::new(),
            state_buf: Vec::new(),
            cost_buf: Vec::new(),
            obj_buf: Vec::new(),
            duals_buf: Vec::new(),
            lag_buf: Vec::new(),
            end_bases: Vec::new(),
            local_buf: Vec::new(),
            global_buf: Vec::new(),
            counts: Vec::new(),
            probabilities: Vec::new(),
            child_obj: Vec::new(),
            child_duals: Vec::new(),
            coef: vec![0.0; ns],
        }
    }

    /// Number of nodes that get a cut per iteration (those with children).
    pub(crate) fn cuts_per_iteration(&self, study: &StudyModel) -> usize {
        (0..self.parent.len())
            .filter(|&i| !study.graph.children(i).is_empty())
            .count()
    }

    /// Makes the stored bases of the nodes of pool `p` follow the removal
    /// of its cut rows at `removed` (`base`: the template's rows).
    pub(crate) fn follow_removal(&mut self, study: &StudyModel, p: usize, removed: &[usize]) {
        if removed.is_empty() {
            return;
        }
        let base = study
            .pool_template(p)
            .map_or(0, |tpl| tpl.layout.num_template_rows);
        for (i, node) in study.graph.nodes().iter().enumerate() {
            if node.pool != p {
                continue;
            }
            if let Some(slot) = self.start.get_mut(i) {
                if let Some(b) = slot {
                    if !LpCuts::remap_basis(b, base, removed) {
                        *slot = None;
                    }
                }
            }
            if let Some(b) = self.forward_basis.get_mut(i) {
                if !LpCuts::remap_basis(b, base, removed) {
                    *b = Basis::new();
                }
            }
        }
    }

    /// Outgoing state of node `i`.
    pub(crate) fn state(&self, i: usize, ns: usize) -> &[f64] {
        self.states.get(i * ns..(i + 1) * ns).unwrap_or(&[])
    }

    /// Fills the step's input buffers for `nodes`: incoming states and the
    /// lag accumulators handed down by their parents.
    fn load_inputs(&mut self, study: &StudyModel, nodes: &[usize]) {
        let ns = study.n_state();
        self.x_buf.clear();
        self.lag_buf.clear();
        for &i in nodes {
            match self.parent.get(i).copied().flatten() {
                Some(p) => {
                    self.x_buf
                        .extend_from_slice(self.states.get(p * ns..(p + 1) * ns).unwrap_or(&[]));
                    self.lag_buf.push(self.lags[p].clone());
                }
                None => {
                    self.x_buf.extend_from_slice(&study.initial_state);
                    let mut a = self.lags[i].clone();
                    study.scenario.restart_lags(&mut a);
                    self.lag_buf.push(a);
                }
            }
        }
        let n = nodes.len();
        self.state_buf.clear();
        self.state_buf.resize(n * ns, 0.0);
        self.cost_buf.clear();
        self.cost_buf.resize(n, 0.0);
        self.obj_buf.clear();
        self.obj_buf.resize(n, 0.0);
        self.duals_buf.clear();
        self.duals_buf.resize(n * ns, 0.0);
        if self.end_bases.len() < n {
            self.end_bases.resize(n, Basis::new());
        }
    }

    /// Solves `nodes` (this rank's share of one stage) at their incoming
    /// states; `forward` also captures outgoing states, costs and lags.
    fn solve_nodes(
        &mut self,
        ctx: &Ctx<'_>,
        cuts: &mut [LpCuts],
        activations: &mut Activations,
        nodes: &[usize],
        iteration: u64,
        phase: Phase,
    ) -> Result<(), SddpError> {
        let study = ctx.study;
        let graph = &study.graph;
        let ns = study.n_state();
        self.load_inputs(study, nodes);
        let forward = phase == Phase::Forward;
        let ones = vec![1; nodes.len()];
        let nss = vec![ns; nodes.len()];
        let obj_parts = split_lengths(&mut self.obj_buf, &ones);
        let dual_parts = split_lengths(&mut self.duals_buf, &nss);
        let state_parts = split_lengths(&mut self.state_buf, &nss);
        let starts = &self.start;
        let fwd = &self.forward_basis;
        let mut items: Vec<OpeningsItem<'_>> = Vec::with_capacity(nodes.len());
        let parts = obj_parts
            .into_iter()
            .zip(dual_parts)
            .zip(state_parts)
            .zip(self.end_bases.iter_mut())
            .zip(self.cost_buf.iter_mut())
            .zip(self.lag_buf.iter_mut());
        for (j, (((((obj, duals), state_out), end_basis), stage_cost), lags)) in parts.enumerate() {
            let Some(&i) = nodes.get(j) else { break };
            let x_in = self.x_buf.get(j * ns..(j + 1) * ns).unwrap_or(&[]);
            let start = if forward {
                starts.get(i).and_then(Option::as_ref)
            } else {
                fwd.get(i)
            };
            let mut item =
                OpeningsItem::new(graph, i, i, x_in, (0, 1), start, obj, duals, end_basis);
            if forward {
                item.capture = Some(Capture {
                    state_out,
                    lags,
                    stage_cost,
                });
            }
            items.push(item);
        }
        run_items(ctx, cuts, activations, iteration, phase, &mut items)
    }

    /// The forward pass over every node, stage by stage; returns the exact
    /// upper bound (scaled, discounted) and records each node's state.
    pub(crate) fn forward(
        &mut self,
        ctx: &Ctx<'_>,
        cuts: &mut [LpCuts],
        activations: &mut Activations,
        iteration: u64,
    ) -> Result<f64, SddpError> {
        let study = ctx.study;
        let graph = &study.graph;
        let ns = study.n_state();
        let comm = ctx.comm;
        for t in 0..self.by_stage.len() {
            let all = self.by_stage[t].clone();
            let local: Vec<usize> = all[share(all.len(), comm.rank(), comm.size())].to_vec();
            self.solve_nodes(ctx, cuts, activations, &local, iteration, Phase::Forward)?;
            for (j, &i) in local.iter().enumerate() {
                if let (Some(fb), Some(b)) = (self.forward_basis.get_mut(i), self.end_bases.get(j))
                {
                    fb.copy_from(b);
                }
                // The root and the leaves are not solved again before the
                // next forward pass: they start from this solve.
                if i == graph.root() || graph.children(i).is_empty() {
                    if let (Some(slot), Some(b)) = (self.start.get_mut(i), self.end_bases.get(j)) {
                        match slot {
                            Some(s) => s.copy_from(b),
                            None => *slot = Some(b.clone()),
                        }
                    }
                }
            }
            // Every rank's results of the stage, in node order.
            let acc_len = self.lags.first().map_or(0, LagAccumulator::encoded_len);
            self.local_buf.clear();
            for j in 0..local.len() {
                self.local_buf
                    .extend_from_slice(&self.state_buf[j * ns..(j + 1) * ns]);
                self.local_buf.push(self.cost_buf[j]);
                self.local_buf.push(self.obj_buf[j]);
                self.local_buf
                    .extend_from_slice(&self.duals_buf[j * ns..(j + 1) * ns]);
                if let Some(a) = self.lag_buf.get(j) {
                    a.write_to(&mut self.local_buf);
                }
            }
            comm.all_gather_f64(&self.local_buf, &mut self.global_buf, &mut self.counts)?;
            let per = 2 * ns + 2 + acc_len;
            if self.global_buf.len() != all.len() * per {
                return Err(SddpError::Communicator {
                    message: format!(
                        "stage {t}: {} forward values gathered, {} expected",
                        self.global_buf.len(),
                        all.len() * per
                    ),
                });
            }
            for (v, &i) in self.global_buf.chunks_exact(per).zip(&all) {
                if let Some(s) = self.states.get_mut(i * ns..(i + 1) * ns) {
                    s.copy_from_slice(&v[..ns]);
                }
                self.costs[i] = v[ns];
                self.obj[i] = v[ns + 1];
                if let Some(d) = self.duals.get_mut(i * ns..(i + 1) * ns) {
                    d.copy_from_slice(&v[ns + 2..2 * ns + 2]);
                }
                let _ = self.lags[i].read_from(&v[2 * ns + 2..]);
            }
        }
        let discount = study.cumulative_discount();
        let mut ub = 0.0;
        for (i, (&p, &c)) in self.reach.iter().zip(&self.costs).enumerate() {
            ub += p * discount.get(graph.stage(i)).copied().unwrap_or(1.0) * c;
        }
        Ok(ub)
    }

    /// Backward step `t` (≥ 1): re-solves the nodes of stage `t` that have
    /// cuts, then cuts every node of stage `t − 1`.
    pub(crate) fn backward_stage(
        &mut self,
        ctx: &Ctx<'_>,
        cuts: &mut [LpCuts],
        activations: &mut Activations,
        agg: &mut Aggregator,
        t: usize,
        iteration: u64,
    ) -> Result<(), SddpError> {
        let study = ctx.study;
        let graph = &study.graph;
        let ns = study.n_state();
        let comm = ctx.comm;
        let all: Vec<usize> = self.by_stage[t]
            .iter()
            .copied()
            .filter(|&i| !graph.children(i).is_empty())
            .collect();
        if !all.is_empty() {
            let local: Vec<usize> = all[share(all.len(), comm.rank(), comm.size())].to_vec();
            self.solve_nodes(ctx, cuts, activations, &local, iteration, Phase::Backward)?;
            for (j, &i) in local.iter().enumerate() {
                if let (Some(slot), Some(b)) = (self.start.get_mut(i), self.end_bases.get(j)) {
                    match slot {
                        Some(s) => s.copy_from(b),
                        None => *slot = Some(b.clone()),
                    }
                }
            }
            self.local_buf.clear();
            for j in 0..local.len() {
                self.local_buf.push(self.obj_buf[j]);
                self.local_buf
                    .extend_from_slice(&self.duals_buf[j * ns..(j + 1) * ns]);
            }
            comm.all_gather_f64(&self.local_buf, &mut self.global_buf, &mut self.counts)?;
            if self.global_buf.len() != all.len() * (ns + 1) {
                return Err(SddpError::Communicator {
                    message: format!("stage {t}: backward values gathered do not match the nodes"),
                });
            }
            for (v, &i) in self.global_buf.chunks_exact(ns + 1).zip(&all) {
                self.obj[i] = v[0];
                if let Some(d) = self.duals.get_mut(i * ns..(i + 1) * ns) {
                    d.copy_from_slice(&v[1..]);
                }
            }
        }
        let risk = study
            .risk
            .get(t)
            .ok_or_else(|| SddpError::invalid(format!("stage {t}"), "no risk measure"))?;
        let parents = self.by_stage.get(t - 1).cloned().unwrap_or_default();
        for v in parents {
            let children = graph.children(v);
            if children.is_empty() {
                continue;
            }
            self.probabilities.clear();
            self.child_obj.clear();
            self.child_duals.clear();
            for c in children {
                self.probabilities.push(c.probability);
                self.child_obj.push(self.obj[c.node]);
                self.child_duals
                    .extend_from_slice(&self.duals[c.node * ns..(c.node + 1) * ns]);
            }
            let x_hat = &self.states[v * ns..(v + 1) * ns];
            let alpha = agg.cut_weighted(
                risk.as_ref(),
                &self.child_obj,
                &self.probabilities,
                &self.child_duals,
                x_hat,
                &mut self.coef,
            );
            if let Some(c) = cuts.get_mut(graph.pool(v)) {
                c.push_batch(&[alpha], &self.coef, iteration);
            }
        }
        Ok(())
    }
}
