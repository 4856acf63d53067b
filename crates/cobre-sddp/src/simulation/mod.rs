//! Policy simulation: sampled scenarios solved stage by stage under a
//! trained policy, each scenario's results delivered in columnar form to a
//! [`SimulationSink`] as soon as it is done.
//!
//! Scenarios run in parallel on the run's thread pool and go through a
//! bounded channel to the calling thread, which owns the sink: memory stays
//! flat in the number of scenarios when the sink streams. Before the
//! scenarios, each process solves the *mean path* ([`mean_path`]: every
//! noise at zero), which starts each stage from the basis it ended its
//! previous stage with (fitted to the stage's cut rows; the first stage,
//! or a stage whose LP has another shape, from the policy's basis of the
//! stage, or cold). Every scenario starts each stage from the basis the
//! mean path ended the same stage with (from its own previous stage where
//! the path has none). Each `(scenario, stage)` draws its noise from the
//! stream keyed by `(seed, 0, scenario, stage)`, so results do not depend
//! on the thread count; the sink may see scenarios out of order.
//!
//! With several ranks ([`SimulationHooks::communicator`]) each rank
//! simulates a contiguous range of whole blocks of scenarios
//! ([`block_share`]; the blocks are the output partitions, so each rank's
//! sink writes its own files) and hands only those to its sink; every
//! rank solves the mean path for itself, so ranks do not change results
//! either. The summary (count, mean and standard deviation of the total cost, added in
//! scenario order, LP work) covers every rank.

mod mean_path;
mod record;

pub use cobre_core::records::{
    BusResults, CellResults, HydroResults, LineResults, PumpingResults, ScenarioResult, StageCosts,
    ThermalResults,
};
use mean_path::{Found, Item, MeanPath};
use record::SolvedStage;

use crate::active_set::LpCuts;
use crate::communicator::{block_share, Collectives, Communicator, LocalCommunicator};
use crate::config::SimulationSettings;
use crate::error::{Phase, SolveSite};
use crate::lp::StageTemplate;
use crate::policy::Policy;
use crate::progress::StopFlag;
use crate::scenario::{Sampler, SamplerPhase};
use crate::study::StudyModel;
use crate::workspace::{start_workers, Worker, WorkerStats};
use crate::SddpError;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// Receives simulated scenarios.
pub trait SimulationSink {
    /// Takes the results of one scenario.
    ///
    /// # Errors
    /// [`SddpError::Sink`] to abort the simulation.
    fn accept(&mut self, result: ScenarioResult) -> Result<(), SddpError>;
}

/// Keeps every scenario in memory, in scenario order once finished.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    /// The scenarios received.
    pub scenarios: Vec<ScenarioResult>,
}

impl SimulationSink for MemorySink {
    fn accept(&mut self, result: ScenarioResult) -> Result<(), SddpError> {
        let pos = self
            .scenarios
            .partition_point(|s| s.scenario < result.scenario);
        self.scenarios.insert(pos, result);
        Ok(())
    }
}

/// Outside hooks of a simulation run.
#[derive(Clone, Copy, Default)]
pub struct SimulationHooks<'a> {
    /// Raised by another thread to stop at the next scenario.
    pub stop: Option<&'a StopFlag>,
    /// Other processes of the run (single process when `None`).
    pub communicator: Option<&'a dyn Communicator>,
    /// Scenarios per block: ranks simulate whole blocks (0 is taken as 1).
    /// Give the sink's partition size so that no two ranks write one
    /// partition.
    pub scenarios_per_block: usize,
}

impl std::fmt::Debug for SimulationHooks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulationHooks")
            .field("stop", &self.stop)
            .field("ranks", &self.communicator.map_or(1, |c| c.size()))
            .field("scenarios_per_block", &self.scenarios_per_block)
            .finish()
    }
}

/// Summary of a simulation run (every rank's scenarios).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimulationSummary {
    /// Scenarios simulated.
    pub num_scenarios: usize,
    /// Mean total discounted cost ($).
    pub mean_cost: f64,
    /// Sample standard deviation of the total cost ($).
    pub std_cost: f64,
    /// LP work of every rank (the mean path's counted once, however many
    /// ranks solved it).
    pub solver: WorkerStats,
    /// Wall time (s).
    pub wall_time_s: f64,
    /// Whether the stop flag cut the run short (on any rank).
    pub interrupted: bool,
}

/// Simulates `policy` on `settings.num_scenarios` scenarios in this
/// process.
///
/// # Errors
/// [`SddpError::PolicyMismatch`] when the policy does not fit the study,
/// an LP failure with its site, or the sink's error.
pub fn simulate(
    study: &StudyModel,
    policy: &Policy,
    settings: &SimulationSettings,
    sink: &mut dyn SimulationSink,
    stop: Option<&StopFlag>,
) -> Result<SimulationSummary, SddpError> {
    simulate_with(
        study,
        policy,
        settings,
        sink,
        SimulationHooks {
            stop,
            ..SimulationHooks::default()
        },
    )
}

/// [`simulate`] with every hook: several ranks, each simulating its
/// share of whole blocks of scenarios into its own `sink`.
///
/// # Errors
/// As [`simulate`]; every rank fails when one does (the others with
/// [`SddpError::Communicator`] naming it), or [`SddpError::Communicator`]
/// when the exchange fails.
pub fn simulate_with(
    study: &StudyModel,
    policy: &Policy,
    settings: &SimulationSettings,
    sink: &mut dyn SimulationSink,
    hooks: SimulationHooks<'_>,
) -> Result<SimulationSummary, SddpError> {
    let local_comm = LocalCommunicator;
    let comm: &dyn Communicator = hooks.communicator.unwrap_or(&local_comm);
    let plan = ScenarioPlan::new(study, settings)?;
    let n = plan.len();
    let range = block_share(n, hooks.scenarios_per_block, comm.rank(), comm.size());
    let started = Instant::now();
    let local = simulate_range(
        study,
        policy,
        settings,
        &plan,
        sink,
        hooks.stop,
        range.clone(),
        comm.rank() == 0,
    );
    let summary = gather_summary(comm, &local, &plan);
    // This rank's own error first; a peer's failure otherwise.
    local?;
    let summary = summary?;
    tracing::debug!(
        rank = comm.rank(),
        first = range.start,
        scenarios = range.len(),
        "simulation share done"
    );
    Ok(SimulationSummary {
        wall_time_s: started.elapsed().as_secs_f64(),
        ..summary
    })
}

/// Which scenarios a simulation runs: `N` sampled ones (each walking the
/// policy graph by its transition draws), or every path of a tree with
/// its probability (enumerated selection).
pub(crate) struct ScenarioPlan {
    paths: Vec<(Vec<usize>, f64)>,
    sampled: usize,
}

impl ScenarioPlan {
    fn new(study: &StudyModel, settings: &SimulationSettings) -> Result<Self, SddpError> {
        if settings.selection == cobre_core::config::SelectionMethod::Enumerated {
            let g = &study.graph;
            if !g.is_tree() {
                return Err(SddpError::InvalidSetting {
                    setting: "selection",
                    message: "enumerated simulation needs a tree (every node one parent)".into(),
                });
            }
            Ok(Self {
                paths: g.paths(),
                sampled: 0,
            })
        } else {
            Ok(Self {
                paths: Vec::new(),
                sampled: settings.num_scenarios,
            })
        }
    }

    /// Number of scenarios.
    fn len(&self) -> usize {
        if self.paths.is_empty() {
            self.sampled
        } else {
            self.paths.len()
        }
    }

    /// Probability of scenario `s` (`None` when sampled: all equal).
    fn probability(&self, s: usize) -> Option<f64> {
        self.paths.get(s).map(|p| p.1)
    }

    /// Node of scenario `s` at stage `t` given its node at `t − 1`.
    fn node(&self, study: &StudyModel, s: usize, t: usize, previous: usize) -> Option<usize> {
        if let Some((path, _)) = self.paths.get(s) {
            return path.get(t).copied();
        }
        if t == 0 {
            Some(study.graph.root())
        } else {
            study.graph.sample_child(previous, 0, s as u64)
        }
    }
}

/// Number of scenarios a simulation with `settings` runs: one per path of
/// the policy graph for enumerated selection, else `settings.num_scenarios`.
#[must_use]
pub fn scenario_count(study: &StudyModel, settings: &SimulationSettings) -> usize {
    ScenarioPlan::new(study, settings).map_or(settings.num_scenarios, |p| p.len())
}

/// What one rank simulated.
struct LocalRun {
    /// `(scenario, total cost)` in scenario order.
    totals: Vec<(usize, f64)>,
    solver: WorkerStats,
    interrupted: bool,
}

/// One rank's outcome as it travels: `None` when the rank failed, else
/// `(interrupted, LP counters, scenario totals)`.
type Outcome = Option<(bool, (WorkerStats, Vec<(usize, f64)>))>;

/// Exchanges every rank's outcome: the summary of all ranks, or an error
/// on every rank when one failed.
fn gather_summary(
    comm: &dyn Communicator,
    local: &Result<LocalRun, SddpError>,
    plan: &ScenarioPlan,
) -> Result<SimulationSummary, SddpError> {
    let mine: Outcome = local
        .as_ref()
        .ok()
        .map(|r| (r.interrupted, (r.solver, r.totals.clone())));
    let every = comm.gather(&mine)?;
    let mut totals: Vec<(f64, f64)> = Vec::new();
    let mut solver = WorkerStats::default();
    let mut interrupted = false;
    let mut failed = None;
    for (rank, part) in every.iter().enumerate() {
        let Some((stopped, (stats, scenario_totals))) = part else {
            failed.get_or_insert(rank);
            continue;
        };
        interrupted |= *stopped;
        solver.add(stats);
        #[allow(clippy::cast_precision_loss)]
        totals.extend(scenario_totals.iter().map(|&(sc, t)| (sc as f64, t)));
    }
    if let Some(rank) = failed {
        return Err(SddpError::Communicator {
            message: format!("rank {rank} failed during the simulation"),
        });
    }
    #[allow(clippy::cast_precision_loss)]
    let count = totals.len() as f64;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let weight = |sc: f64| plan.probability(sc.max(0.0) as usize);
    let weighted = totals.iter().all(|&(sc, _)| weight(sc).is_some());
    let (mean, std) = if totals.is_empty() {
        (f64::NAN, 0.0)
    } else if weighted {
        // Enumerated paths: the expectation over the tree.
        let w = |sc: f64| weight(sc).unwrap_or(0.0);
        let mean = totals.iter().map(|&(sc, v)| w(sc) * v).sum::<f64>();
        let var = totals
            .iter()
            .map(|&(sc, v)| w(sc) * (v - mean).powi(2))
            .sum::<f64>();
        (mean, var.sqrt())
    } else {
        let mean = totals.iter().map(|t| t.1).sum::<f64>() / count;
        let std = if totals.len() > 1 {
            (totals.iter().map(|t| (t.1 - mean).powi(2)).sum::<f64>() / (count - 1.0)).sqrt()
        } else {
            0.0
        };
        (mean, std)
    };
    Ok(SimulationSummary {
        num_scenarios: totals.len(),
        mean_cost: mean,
        std_cost: std,
        solver,
        wall_time_s: 0.0,
        interrupted,
    })
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Simulates scenarios `range` into `sink` (with the mean path's LP work in
/// the counters when `count_path`).
#[allow(clippy::too_many_arguments)]
fn simulate_range(
    study: &StudyModel,
    policy: &Policy,
    settings: &SimulationSettings,
    plan: &ScenarioPlan,
    sink: &mut dyn SimulationSink,
    stop: Option<&StopFlag>,
    range: std::ops::Range<usize>,
    count_path: bool,
) -> Result<LocalRun, SddpError> {
    settings.validate()?;
    policy.check_fits(study.num_pools(), study.n_state())?;
    let cost_scale = study.templates.first().map_or(1.0, |t| t.cost_scale);
    let cuts: Vec<LpCuts> = policy
        .scaled_pools(cost_scale)
        .into_iter()
        .map(|p| LpCuts::new(p, 0))
        .collect();
    let (thread_pool, workers) = start_workers(
        study,
        settings.threads,
        &settings.solver,
        settings.instances,
    )?;
    let n = plan.len();
    let sampler = study
        .scenario
        .sampler(&settings.scenario_source, n, SamplerPhase::Simulation)?;
    let mut totals: Vec<(usize, f64)> = Vec::with_capacity(range.len());
    let wanted = range.len();
    let work = mean_path::Plan::new(range);
    let path = &work.path;
    // Every thread claims the next item in index order (not a split range
    // each): the mean path first, then the scenarios, so results reach the
    // sink nearly in order and the sink keeps few waiting for their turn
    // in a file.
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let path_work = Mutex::new(WorkerStats::default());
    let outcome: Result<(), SddpError> = std::thread::scope(|scope| {
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<ScenarioResult>(settings.channel_capacity.max(1));
        let producer = scope.spawn(|| {
            let outcomes = thread_pool.broadcast(|_| -> Result<(), SddpError> {
                let tx = tx.clone();
                loop {
                    if failed.load(Ordering::Relaxed) || stop.is_some_and(StopFlag::is_raised) {
                        return Ok(());
                    }
                    let Some(item) = work.item(next.fetch_add(1, Ordering::Relaxed)) else {
                        return Ok(());
                    };
                    let one = workers.current().and_then(|mut w| {
                        let before = w.stats;
                        let one =
                            simulate_one(&mut w, study, &cuts, policy, &sampler, plan, item, path);
                        if item == Item::MeanPath {
                            *lock(&path_work) = w.stats.since(&before);
                        }
                        one
                    });
                    let sent = match (item, one) {
                        (Item::Scenario(_), Ok(r)) => tx.send(r).map_err(|_| SddpError::Sink {
                            message: "the consumer stopped".into(),
                        }),
                        (Item::MeanPath, Ok(_)) => Ok(()),
                        // Not a result: the scenarios start from their own
                        // previous stages where the path has no basis.
                        (Item::MeanPath, Err(e)) => {
                            tracing::debug!(error = %e, "the mean path of the simulation stopped");
                            path.close();
                            Ok(())
                        }
                        (Item::Scenario(_), Err(e)) => Err(e),
                    };
                    if let Err(e) = sent {
                        failed.store(true, Ordering::Relaxed);
                        path.close();
                        return Err(e);
                    }
                }
            });
            drop(tx);
            outcomes.into_iter().collect::<Result<(), SddpError>>()
        });
        let mut sink_error = None;
        for r in &rx {
            totals.push((r.scenario as usize, r.total_cost));
            if let Err(e) = sink.accept(r) {
                sink_error = Some(e);
                break;
            }
        }
        drop(rx);
        let produced = producer.join().map_err(|_| SddpError::Sink {
            message: "a simulation worker panicked".into(),
        })?;
        if let Some(e) = sink_error {
            return Err(e);
        }
        produced
    });
    outcome?;
    // Scenario order, whatever order the threads finished in: the mean
    // and standard deviation do not depend on the thread or rank count.
    totals.sort_by_key(|&(s, _)| s);
    // Every rank solved the mean path; its work counts once, on rank 0,
    // so the totals do not depend on the number of ranks.
    let mut solver = workers.stats();
    if !count_path {
        solver = solver.since(&lock(&path_work));
    }
    Ok(LocalRun {
        interrupted: totals.len() < wanted,
        totals,
        solver,
    })
}

/// Simulates one work item stage by stage: the policy's LP at the node the
/// plan goes to, its records appended to the scenario's results. A
/// scenario starts each stage from the mean path's basis of the stage
/// (else from its own previous stage's); the mean path (noise at zero, on
/// scenario 0's nodes) starts from its own previous stage and publishes
/// the bases it ends its stages with.
#[allow(clippy::too_many_arguments)]
fn simulate_one(
    w: &mut Worker,
    study: &StudyModel,
    cuts: &[LpCuts],
    policy: &Policy,
    sampler: &Sampler,
    plan: &ScenarioPlan,
    item: Item,
    path: &MeanPath,
) -> Result<ScenarioResult, SddpError> {
    let scenario = match item {
        Item::MeanPath => 0,
        Item::Scenario(s) => s,
    };
    let ns = study.n_state();
    let discount = study.cumulative_discount();
    let mut x_in = study.initial_state.clone();
    let mut x_out = vec![0.0; ns];
    let mut lags = std::mem::take(&mut w.lags);
    study.scenario.restart_lags(&mut lags);
    #[allow(clippy::cast_precision_loss)]
    let probability = plan
        .probability(scenario)
        .unwrap_or(1.0 / plan.len().max(1) as f64);
    let mut res = ScenarioResult {
        scenario: u32::try_from(scenario).unwrap_or(u32::MAX),
        probability,
        ..ScenarioResult::default()
    };
    let graph = &study.graph;
    let mut node = graph.root();
    for (t, tpl) in study.templates.iter().enumerate() {
        node = plan
            .node(study, scenario, t, node)
            .ok_or_else(|| SddpError::invalid(format!("stage {t}"), "no node to go to"))?;
        res.node_ids.push(graph.node(node).map_or(0, |n| n.id));
        let pool = graph.pool(node);
        let from_path =
            item != Item::MeanPath && path.wait_for(t, pool, &mut w.peer) == Found::Basis;
        if from_path {
            start_from_peer(w, cuts, tpl, pool)?;
        } else {
            start_stage(w, cuts, policy, tpl, pool, t)?;
        }
        if item == Item::MeanPath {
            w.noise.fill(0.0);
        } else {
            set_noise(w, study, sampler, plan, node, scenario, t);
        }
        let site = SolveSite {
            phase: Phase::Simulation,
            iteration: 0,
            stage: t,
            scenario,
            opening: None,
        };
        let obj = w.solve(pool, tpl, cuts.get(pool), &study.scenario, &x_in, site)?;
        w.keep_as_previous(pool);
        if item == Item::MeanPath {
            path.publish(pool, &w.previous);
        }
        w.read_primal(pool);
        w.read_state_duals(pool, cuts.get(pool), tpl);
        let solved = SolvedStage {
            study,
            tpl,
            stage_id: study.ids.stages.get(t).copied().unwrap_or(0),
            primal: &w.primal,
            duals: &w.duals,
            state_duals: &w.state_duals,
            x_in: &x_in,
            inflow: w.realised_inflow(pool),
            rhs: w.stages.get(pool).map_or(&[][..], |s| s.patch.values()),
        };
        solved.record(&mut res, obj, discount.get(t).copied().unwrap_or(1.0));
        w.next_state(tpl, &study.scenario, &x_in, &mut x_out, &mut lags);
        std::mem::swap(&mut x_in, &mut x_out);
    }
    w.lags = lags;
    Ok(res)
}

/// Loads the LP of `pool` with its cuts and starts it from `w.peer`, the
/// basis the mean path ended the same LP with.
fn start_from_peer(
    w: &mut Worker,
    cuts: &[LpCuts],
    tpl: &StageTemplate,
    pool: usize,
) -> Result<(), SddpError> {
    if let Some(c) = cuts.get(pool) {
        w.sync_cuts(pool, c, tpl)?;
    }
    let peer = std::mem::take(&mut w.peer);
    let started = w.start_from(pool, Some(&peer));
    w.peer = peer;
    started
}

/// Loads the LP of `pool` for stage `t` of a scenario with its cuts, and
/// starts it from the basis of the scenario's previous stage fitted to its
/// cut rows, else from the policy's basis of the pool.
fn start_stage(
    w: &mut Worker,
    cuts: &[LpCuts],
    policy: &Policy,
    tpl: &StageTemplate,
    pool: usize,
    t: usize,
) -> Result<(), SddpError> {
    // The policy's basis of the pool, unless it was saved for stage LPs
    // of another shape (by a build that laid the LP out otherwise).
    let layout = &tpl.layout;
    let n_cuts = cuts.get(pool).map_or(0, |c| c.pool.len());
    let hint = policy.basis(pool).filter(|b| {
        b.col_status.len() == layout.num_cols
            && b.row_status.len() == layout.num_template_rows + n_cuts
    });
    let Some(c) = cuts.get(pool) else {
        return w.start_from(pool, hint);
    };
    w.sync_cuts(pool, c, tpl)?;
    let previous = std::mem::take(&mut w.previous);
    let started = w.start_carried(
        pool,
        c,
        &tpl.layout,
        (t > 0).then_some(&previous),
        hint,
        hint,
    );
    w.previous = previous;
    started
}

/// The noise of stage `t` of a scenario: the node's own realisation for
/// external scenarios and enumerated paths, else the sampler's draw.
fn set_noise(
    w: &mut Worker,
    study: &StudyModel,
    sampler: &Sampler,
    plan: &ScenarioPlan,
    node: usize,
    scenario: usize,
    t: usize,
) {
    let graph = &study.graph;
    let external = matches!(
        graph.node(node).map(|n| n.realisations),
        Some(crate::graph::Realisations::External(_))
    );
    // An enumerated path through generated nodes takes the stage's only
    // opening.
    if external || plan.probability(scenario).is_some() {
        let noise = graph.realisation(node, 0, &study.scenario);
        for (d, s) in w
            .noise
            .iter_mut()
            .zip(noise.iter().chain(std::iter::repeat(&0.0)))
        {
            *d = *s;
        }
    } else {
        study
            .scenario
            .sample(sampler, 0, scenario as u64, t, &mut w.noise);
    }
}
