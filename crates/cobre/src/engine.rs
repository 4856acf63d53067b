//! Training and simulation of a loaded case: [`train`] and [`simulate`],
//! thin over `cobre-sddp`, with their options as typed structs.
//!
//! ```no_run
//! let case = cobre::load_case("cases/1dtoy")?;
//! let trained = cobre::train(&case, cobre::TrainingOptions { threads: 2, ..Default::default() })?;
//! println!("lower bound {}", trained.lower_bound());
//! let sim = cobre::simulate(&case, &trained.policy, cobre::SimulationOptions::default())?;
//! println!("mean cost {}", sim.summary.mean_cost);
//! # Ok::<(), cobre::Error>(())
//! ```
//!
//! Results do not depend on the thread count: bounds and cuts are
//! bit-identical for the same seed.

use crate::Error;
use cobre_core::Case;
use cobre_sddp::{
    Communicator, MemorySink, SimulationHooks, SimulationSettings, TrainingHooks, TrainingSettings,
};

pub use cobre_sddp::{
    Control, IterationRecord, LowerBoundPosition, Phase, Policy, ScenarioResult, SddpError,
    SimulationSink, SimulationSummary, SolveSite, StopFlag, StudyModel, TerminationReason,
    TrainingObserver, TrainingResult, UpperBoundKind, WorkerStats,
};

/// Options of [`train`]: how to run, not what to compute (settings come
/// from the case's `config.json`, changed with [`load_case_with_overrides`](crate::load_case_with_overrides)).
#[derive(Default)]
pub struct TrainingOptions<'a> {
    /// Worker threads (0 is taken as 1).
    pub threads: usize,
    /// Called after every iteration on rank 0 (progress display,
    /// callbacks); may stop.
    pub observer: Option<&'a mut dyn TrainingObserver>,
    /// Raised by another thread (Ctrl-C) to stop at the next iteration.
    pub stop: Option<StopFlag>,
    /// The other processes of a multi-process run (one process when `None`).
    pub communicator: Option<&'a dyn Communicator>,
}

impl std::fmt::Debug for TrainingOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainingOptions")
            .field("threads", &self.threads)
            .field("observer", &self.observer.is_some())
            .field("stop", &self.stop)
            .field("ranks", &self.communicator.map_or(1, |c| c.size()))
            .finish()
    }
}

/// Options of [`simulate`]: how to run (settings come from the case).
#[derive(Default)]
pub struct SimulationOptions<'a> {
    /// Worker threads (0 is taken as 1).
    pub threads: usize,
    /// Raised by another thread to stop early (results so far are kept).
    pub stop: Option<StopFlag>,
    /// Where each scenario goes; `None` collects them in
    /// [`SimulationResult::scenarios`].
    pub sink: Option<&'a mut dyn SimulationSink>,
    /// The other processes of a multi-process run: each simulates whole
    /// blocks of `scenarios_per_block` scenarios.
    pub communicator: Option<&'a dyn Communicator>,
    /// Scenarios per block shared out between processes (an output
    /// partition); 0 is taken as 1.
    pub scenarios_per_block: usize,
}

impl std::fmt::Debug for SimulationOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulationOptions")
            .field("threads", &self.threads)
            .field("stop", &self.stop)
            .field("sink", &self.sink.is_some())
            .field("ranks", &self.communicator.map_or(1, |c| c.size()))
            .field("scenarios_per_block", &self.scenarios_per_block)
            .finish()
    }
}

/// What [`simulate`] produces.
#[derive(Debug, Clone, Default)]
pub struct SimulationResult {
    /// Totals of the run.
    pub summary: SimulationSummary,
    /// The scenarios, in order (empty when a sink was given).
    pub scenarios: Vec<ScenarioResult>,
}

/// Trains a policy for `case`.
///
/// # Errors
/// [`Error::Engine`] for settings or a case the engine cannot model,
/// (kind `SolverFailure` for an LP that cannot be solved, with its stage,
/// iteration and scenario), [`Error::Stochastic`] for scenario inputs.
pub fn train(case: &Case, options: TrainingOptions<'_>) -> Result<TrainingResult, Error> {
    let study = StudyModel::build(&case.system, &case.config)?;
    let settings = TrainingSettings {
        threads: options.threads.max(1),
        ..TrainingSettings::from_config(&case.config)
    };
    let hooks = TrainingHooks {
        observer: options.observer,
        stop: options.stop,
        communicator: options.communicator,
        ..TrainingHooks::default()
    };
    Ok(cobre_sddp::train(&study, &settings, hooks)?)
}

/// Simulates `policy` on `case`.
///
/// # Errors
/// As [`train`], plus [`Error::Engine`] when the policy does not fit the
/// case or the sink refuses a scenario.
pub fn simulate(
    case: &Case,
    policy: &Policy,
    options: SimulationOptions<'_>,
) -> Result<SimulationResult, Error> {
    let study = StudyModel::build(&case.system, &case.config)?;
    let mut settings = SimulationSettings {
        threads: options.threads.max(1),
        ..SimulationSettings::from_config(&case.config)
    };
    // Enumerated selection simulates every path of the policy graph.
    settings.num_scenarios = cobre_sddp::simulation::scenario_count(&study, &settings);
    let hooks = SimulationHooks {
        stop: options.stop.as_ref(),
        communicator: options.communicator,
        scenarios_per_block: options.scenarios_per_block.max(1),
    };
    match options.sink {
        Some(sink) => {
            let summary = cobre_sddp::simulate_with(&study, policy, &settings, sink, hooks)?;
            Ok(SimulationResult {
                summary,
                scenarios: Vec::new(),
            })
        }
        None => {
            let mut sink = MemorySink::default();
            let summary = cobre_sddp::simulate_with(&study, policy, &settings, &mut sink, hooks)?;
            Ok(SimulationResult {
                summary,
                scenarios: sink.scenarios,
            })
        }
    }
}
