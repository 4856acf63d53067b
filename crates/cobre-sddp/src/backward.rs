//! The backward pass and the lower-bound evaluation: solving every opening
//! of a stage at given incoming states.
//!
//! The openings of one incoming state are split into a fixed number of
//! contiguous chunks (a function of the problem only, never of the thread
//! count). A chunk is one work item: it appends the pending cuts, starts
//! from its deterministic basis (the trial state's forward basis, or the
//! chunk's own basis from the previous iteration for the lower bound) and
//! solves its openings in order, each warm-started from the previous one.
//! When a solution violates a cut that is not a row of the shared LP, the
//! worker adds that cut as a row of its own LP for the rest of the item and
//! solves the opening again; at the end of the item it takes those rows out
//! again. So what an item computes depends only on the shared cut rows at
//! the start of the stage and on the item itself, never on which worker
//! runs it or what the others found. After the stage, the cuts every item
//! added (in item order, on every rank) become shared rows.

use crate::active_set::LpCuts;
use crate::communicator::Communicator;
use crate::error::{Phase, SolveSite};
use crate::exchange::Activations;
use crate::risk::RiskMeasure;
use crate::study::StudyModel;
use crate::workspace::WorkerPool;
use crate::SddpError;
use cobre_solver::Basis;
use cobre_stochastic::LagAccumulator;

/// One chunk of the realisations of one node at one incoming state.
pub(crate) struct OpeningsItem<'a> {
    /// Stage.
    pub(crate) stage: usize,
    /// Node whose realisations are solved (the stage, for the chain).
    pub(crate) node: usize,
    /// Its cut pool (the LP solved).
    pub(crate) pool: usize,
    /// Trial state index (for error context).
    pub(crate) trial: usize,
    /// Incoming state.
    pub(crate) x_in: &'a [f64],
    /// Openings `lo..hi`.
    pub(crate) lo: usize,
    /// End (exclusive).
    pub(crate) hi: usize,
    /// Start basis (cold when `None`).
    pub(crate) start: Option<&'a Basis>,
    /// The realisation solved first (then the others in order): the one
    /// the start basis is optimal for, when the item has it (see
    /// [`Self::first_realisation`]).
    pub(crate) first: Option<usize>,
    /// Objective per opening (scaled), `hi − lo` long.
    pub(crate) obj: &'a mut [f64],
    /// State-row duals per opening, `(hi − lo) × n_state` (empty: not read).
    pub(crate) duals: &'a mut [f64],
    /// Receives the basis after the last opening.
    pub(crate) end_basis: &'a mut Basis,
    /// Cuts that were not shared rows and that the item added to its LP
    /// because solutions violated them, in row order (`end_basis` has
    /// their rows after the shared ones).
    pub(crate) added_cuts: Vec<usize>,
    /// For a forward solve (one realisation): where its outgoing state,
    /// lag accumulator and stage cost go.
    pub(crate) capture: Option<Capture<'a>>,
}

/// What a forward solve of the enumerated tree keeps of its solution.
pub(crate) struct Capture<'a> {
    /// Outgoing state (`n_state`), lags advanced by the study's lag chain.
    pub(crate) state_out: &'a mut [f64],
    /// The node's lag accumulator (its parent's on entry).
    pub(crate) lags: &'a mut LagAccumulator,
    /// Immediate cost of the stage (scaled, undiscounted).
    pub(crate) stage_cost: &'a mut f64,
}

impl<'a> OpeningsItem<'a> {
    /// An item not run yet, over realisations `lo..hi` of `node`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        graph: &crate::graph::NodeGraph,
        node: usize,
        trial: usize,
        x_in: &'a [f64],
        (lo, hi): (usize, usize),
        start: Option<&'a Basis>,
        obj: &'a mut [f64],
        duals: &'a mut [f64],
        end_basis: &'a mut Basis,
    ) -> Self {
        Self {
            stage: graph.stage(node),
            node,
            pool: graph.pool(node),
            trial,
            x_in,
            lo,
            hi,
            start,
            first: None,
            obj,
            duals,
            end_basis,
            added_cuts: Vec::new(),
            capture: None,
        }
    }

    /// Solves realisation `k` first, when the item holds it: the one whose
    /// solve left the start basis (the forward pass's noise at this trial
    /// state), or with out-of-sample forward noise the realisation nearest
    /// to it. That solve differs from the forward one only by the cuts
    /// added since (and the noise's distance), so it takes the fewest
    /// pivots, and the chain through the other realisations starts from an
    /// optimum of this iteration's LP.
    /// Results do not depend on the order beyond degenerate ties, and the
    /// order is a function of the item alone.
    pub(crate) fn first_realisation(mut self, k: Option<usize>) -> Self {
        self.first = k.filter(|k| (self.lo..self.hi).contains(k));
        self
    }
}

/// Where [`run_items`] runs: the pool, the study, the workers and the
/// other ranks.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub(crate) thread_pool: &'a rayon::ThreadPool,
    pub(crate) study: &'a StudyModel,
    pub(crate) workers: &'a WorkerPool,
    pub(crate) comm: &'a dyn Communicator,
}

/// Solves every item of one step (one stage of the backward pass, or the
/// lower bound), then makes the cuts the items added to their own LPs
/// shared rows (those of every rank's items, in global item order) and
/// maps the items' end bases to the LPs with them. Every rank calls it for
/// the same step, with its own items (maybe none).
pub(crate) fn run_items(
    ctx: &Ctx<'_>,
    cuts: &mut [LpCuts],
    activations: &mut Activations,
    iteration: u64,
    phase: Phase,
    items: &mut [OpeningsItem<'_>],
) -> Result<(), SddpError> {
    let (study, workers) = (ctx.study, ctx.workers);
    // Shared cut rows of each item's pool before the step.
    let rows_before: Vec<usize> = items
        .iter()
        .map(|it| cuts.get(it.pool).map_or(0, LpCuts::num_rows))
        .collect();
    let shared: &[LpCuts] = cuts;
    crate::workspace::for_each_item_largest_first(
        ctx.thread_pool,
        items,
        |it| it.hi - it.lo,
        |_, item| solve_item(study, workers, shared, iteration, phase, item),
    )?;
    // Every rank takes part, with or without cuts of its own.
    activations.clear();
    for it in items.iter().filter(|it| !it.added_cuts.is_empty()) {
        activations.push(it.pool, &it.added_cuts);
    }
    activations.apply(ctx.comm, cuts)?;
    for (it, &n_before) in items.iter_mut().zip(&rows_before) {
        if it.added_cuts.is_empty() {
            continue;
        }
        if let (Some(c), Some(tpl)) = (cuts.get(it.pool), study.pool_template(it.pool)) {
            let template_rows = tpl.layout.num_template_rows;
            c.adopt_local_rows(it.end_basis, template_rows, n_before, &it.added_cuts);
        }
    }
    Ok(())
}

/// Solves the openings of one item in order (see the module notes).
fn solve_item(
    study: &StudyModel,
    workers: &WorkerPool,
    cuts: &[LpCuts],
    iteration: u64,
    phase: Phase,
    item: &mut OpeningsItem<'_>,
) -> Result<(), SddpError> {
    let mut w = workers.current()?;
    let t = item.stage;
    let p = item.pool;
    let tpl = study
        .templates
        .get(t)
        .ok_or_else(|| SddpError::invalid(format!("stage {t}"), "no such stage"))?;
    let stage_cuts = cuts
        .get(p)
        .ok_or_else(|| SddpError::invalid(format!("stage {t}"), "no cut set"))?;
    w.sync_cuts(p, stage_cuts, tpl)?;
    w.start_from(p, item.start)?;
    let ns = study.n_state();
    let first = item.first;
    let rest = (item.lo..item.hi).filter(|&k| Some(k) != first);
    for k in first.into_iter().chain(rest) {
        let noise = study.graph.realisation(item.node, k, &study.scenario);
        for (d, s) in w
            .noise
            .iter_mut()
            .zip(noise.iter().chain(std::iter::repeat(&0.0)))
        {
            *d = *s;
        }
        let site = SolveSite {
            phase,
            iteration,
            stage: t,
            scenario: item.trial,
            opening: Some(k),
        };
        let obj = loop {
            let obj = w.solve(p, tpl, Some(stage_cuts), &study.scenario, item.x_in, site)?;
            w.check_cuts(p, stage_cuts, tpl);
            if w.violated.is_empty() {
                break obj;
            }
            // Not optimal for the LP with every cut: add the violated
            // cuts to this item's LP and solve the opening again.
            w.add_violated_as_local_rows(p, stage_cuts, tpl)?;
        };
        let j = k - item.lo;
        item.obj[j] = obj;
        if !item.duals.is_empty() {
            item.duals[j * ns..(j + 1) * ns].copy_from_slice(&w.state_duals[..ns]);
        }
        if let Some(c) = item.capture.as_mut() {
            let theta = w.primal.get(tpl.layout.theta).copied().unwrap_or(0.0);
            *c.stage_cost = obj - tpl.discount * theta;
            w.next_state(tpl, &study.scenario, item.x_in, c.state_out, c.lags);
        }
    }
    w.basis_into(p, item.end_basis);
    item.added_cuts.clone_from(&w.local_rows);
    w.drop_local_rows(p, stage_cuts, tpl)
}

/// Splits `n` openings into `chunks` contiguous near-equal parts.
pub(crate) fn chunk_bounds(n: usize, chunks: usize) -> Vec<(usize, usize)> {
    let c = chunks.clamp(1, n.max(1));
    let (base, extra) = (n / c, n % c);
    let mut out = Vec::with_capacity(c);
    let mut lo = 0;
    for i in 0..c {
        let hi = lo + base + usize::from(i < extra);
        out.push((lo, hi));
        lo = hi;
    }
    out
}

/// Scratch of the cut aggregation.
#[derive(Debug, Default)]
pub(crate) struct Aggregator {
    probabilities: Vec<f64>,
    weights: Vec<f64>,
}

impl Aggregator {
    /// Aggregates the openings (objectives `obj`, with outcome
    /// probabilities `probabilities`, state duals `duals`, `n × n_state`)
    /// at trial state `x_hat` into one cut: writes the coefficients into
    /// `coef` and returns the intercept.
    pub(crate) fn cut_weighted(
        &mut self,
        risk: &dyn RiskMeasure,
        obj: &[f64],
        probabilities: &[f64],
        duals: &[f64],
        x_hat: &[f64],
        coef: &mut [f64],
    ) -> f64 {
        self.probabilities.clear();
        self.probabilities.extend_from_slice(probabilities);
        let n = obj.len();
        let ns = coef.len();
        self.weights.clear();
        self.weights.resize(n, 0.0);
        risk.weights(obj, &self.probabilities, &mut self.weights);
        coef.fill(0.0);
        let mut value = 0.0;
        for k in 0..n {
            let w = self.weights[k];
            value += w * obj[k];
            for (c, d) in coef.iter_mut().zip(&duals[k * ns..(k + 1) * ns]) {
                *c += w * d;
            }
        }
        value - coef.iter().zip(x_hat).map(|(c, x)| c * x).sum::<f64>()
    }

    /// Aggregated value of `obj` under `risk` (the lower bound), the
    /// outcomes equally likely.
    pub(crate) fn value(&mut self, risk: &dyn RiskMeasure, obj: &[f64]) -> f64 {
        self.uniform(obj.len());
        self.weights.clear();
        self.weights.resize(obj.len(), 0.0);
        risk.weights(obj, &self.probabilities, &mut self.weights);
        obj.iter().zip(&self.weights).map(|(v, w)| v * w).sum()
    }

    fn uniform(&mut self, n: usize) {
        #[allow(clippy::cast_precision_loss)]
        let p = 1.0 / n.max(1) as f64;
        self.probabilities.clear();
        self.probabilities.resize(n, p);
    }
}

/// Splits `buf` into consecutive mutable slices of the given lengths.
pub(crate) fn split_lengths<'a>(mut buf: &'a mut [f64], lengths: &[usize]) -> Vec<&'a mut [f64]> {
    let mut out = Vec::with_capacity(lengths.len());
    for &len in lengths {
        let len = len.min(buf.len());
        let (head, tail) = std::mem::take(&mut buf).split_at_mut(len);
        out.push(head);
        buf = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::Expectation;

    #[test]
    fn chunks_partition_the_openings() {
        assert_eq!(chunk_bounds(10, 4), vec![(0, 3), (3, 6), (6, 8), (8, 10)]);
        assert_eq!(chunk_bounds(3, 8), vec![(0, 1), (1, 2), (2, 3)]);
        assert_eq!(chunk_bounds(5, 1), vec![(0, 5)]);
    }

    #[test]
    fn expectation_cut_averages_values_and_slopes() {
        let mut a = Aggregator::default();
        let mut coef = [0.0; 1];
        // Two openings with values 10 and 20 and slopes −1 and −3 at x̂ = 2.
        let alpha = a.cut_weighted(
            &Expectation,
            &[10.0, 20.0],
            &[0.5, 0.5],
            &[-1.0, -3.0],
            &[2.0],
            &mut coef,
        );
        assert_eq!(coef, [-2.0]);
        assert!((alpha - 19.0).abs() < 1e-12);
        assert!((a.value(&Expectation, &[10.0, 20.0]) - 15.0).abs() < 1e-12);
    }

    /// An item may solve a chosen realisation first (the forward pass's
    /// own, see [`OpeningsItem::first_realisation`]); every realisation's
    /// objective and state duals still land at its own index, equal to
    /// those of the in-order run (the LP optimum does not depend on the
    /// start), and a choice outside the item is ignored.
    #[test]
    fn solving_a_chosen_realisation_first_keeps_every_result_at_its_index() {
        use crate::workspace::{SolverInstances, WorkerPool};
        use crate::{train, TrainingHooks, TrainingSettings};
        use cobre_core::config::StoppingRuleConfig;
        let (case, study) = crate::test_support::shared_study("1dtoy").unwrap();
        let mut settings = TrainingSettings::from_config(&case.config);
        settings.stopping_rules = vec![StoppingRuleConfig::IterationLimit { limit: 3 }];
        let trained = train(&study, &settings, TrainingHooks::default()).unwrap();
        let t = 1;
        let scale = study.templates()[t].cost_scale;
        let cuts: Vec<LpCuts> = trained
            .policy
            .scaled_pools(scale)
            .into_iter()
            .map(|p| LpCuts::new(p, 0))
            .collect();
        let workers =
            WorkerPool::new(1, &study, &settings.solver, SolverInstances::PerStage).unwrap();
        let graph = &study.graph;
        let n = graph.num_realisations(t, &study.scenario);
        assert!(n >= 3, "1dtoy has several openings per stage");
        let ns = study.n_state();
        let x_in = study.initial_state().to_vec();
        let run = |first: Option<usize>| {
            let (mut obj, mut duals, mut end) = (vec![0.0; n], vec![0.0; n * ns], Basis::new());
            let mut item = OpeningsItem::new(
                graph,
                t,
                0,
                &x_in,
                (0, n),
                None,
                &mut obj,
                &mut duals,
                &mut end,
            )
            .first_realisation(first);
            let chosen = item.first;
            solve_item(&study, &workers, &cuts, 1, Phase::Backward, &mut item).unwrap();
            (chosen, obj, duals)
        };
        let (none, obj, duals) = run(None);
        assert_eq!(none, None);
        let (chosen, obj_last, duals_last) = run(Some(n - 1));
        assert_eq!(chosen, Some(n - 1));
        for k in 0..n {
            let scale = obj[k].abs().max(1.0);
            assert!(
                (obj[k] - obj_last[k]).abs() <= 1e-9 * scale,
                "realisation {k}: {} against {}",
                obj[k],
                obj_last[k]
            );
        }
        let dual_scale = duals.iter().fold(1.0_f64, |m, d| m.max(d.abs()));
        for (a, b) in duals.iter().zip(&duals_last) {
            assert!((a - b).abs() <= 1e-7 * dual_scale, "{a} against {b}");
        }
        assert_eq!(run(Some(n)).0, None, "outside the item: no choice");
    }

    #[test]
    fn split_lengths_gives_disjoint_consecutive_slices() {
        let mut buf = [0.0; 6];
        let parts = split_lengths(&mut buf, &[2, 3, 1]);
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            vec![2, 3, 1]
        );
    }
}
