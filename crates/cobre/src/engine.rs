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
use cobre_core::config::StoppingRuleConfig;
use cobre_core::Case;
use cobre_sddp::{MemorySink, SimulationSettings, TrainingHooks, TrainingSettings};

pub use cobre_sddp::{
    Control, IterationRecord, Phase, Policy, ScenarioResult, SddpError, SimulationSink,
    SimulationSummary, SolveSite, StopFlag, StudyModel, TerminationReason, TrainingObserver,
    TrainingResult, WorkerStats,
};

/// Options of [`train`]; every `Option` left `None` keeps the case's
/// `config.json` value.
#[derive(Default)]
pub struct TrainingOptions<'a> {
    /// Worker threads (0 is taken as 1).
    pub threads: usize,
    /// Called after every iteration (progress display, callbacks); may stop.
    pub observer: Option<&'a mut dyn TrainingObserver>,
    /// Raised by another thread (Ctrl-C) to stop at the next iteration.
    pub stop: Option<StopFlag>,
    /// Replaces the stopping rules by an iteration limit.
    pub max_iterations: Option<u32>,
    /// Adds a wall-time limit (seconds).
    pub time_limit_s: Option<f64>,
    /// Forward passes per iteration.
    pub forward_passes: Option<u32>,
    /// Seed of the forward-pass sampling.
    pub seed: Option<u64>,
}

impl std::fmt::Debug for TrainingOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainingOptions")
            .field("threads", &self.threads)
            .field("observer", &self.observer.is_some())
            .field("stop", &self.stop)
            .field("max_iterations", &self.max_iterations)
            .field("time_limit_s", &self.time_limit_s)
            .field("forward_passes", &self.forward_passes)
            .field("seed", &self.seed)
            .finish()
    }
}

/// Options of [`simulate`]; `None` keeps the case's value.
#[derive(Default)]
pub struct SimulationOptions<'a> {
    /// Worker threads (0 is taken as 1).
    pub threads: usize,
    /// Number of simulated scenarios.
    pub num_scenarios: Option<usize>,
    /// Seed of the simulation sampling.
    pub seed: Option<u64>,
    /// Raised by another thread to stop early (results so far are kept).
    pub stop: Option<StopFlag>,
    /// Where each scenario goes; `None` collects them in
    /// [`SimulationResult::scenarios`].
    pub sink: Option<&'a mut dyn SimulationSink>,
}

impl std::fmt::Debug for SimulationOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulationOptions")
            .field("threads", &self.threads)
            .field("num_scenarios", &self.num_scenarios)
            .field("seed", &self.seed)
            .field("stop", &self.stop)
            .field("sink", &self.sink.is_some())
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
/// [`Error::Solver`] for an LP that cannot be solved (with its stage,
/// iteration and scenario), [`Error::Stochastic`] for scenario inputs.
pub fn train(case: &Case, options: TrainingOptions<'_>) -> Result<TrainingResult, Error> {
    let study = StudyModel::build(&case.system, &case.config)?;
    let mut settings = TrainingSettings::from_config(&case.config);
    settings.threads = options.threads.max(1);
    if let Some(n) = options.max_iterations {
        settings.stopping_rules = vec![StoppingRuleConfig::IterationLimit { limit: n }];
    }
    if let Some(seconds) = options.time_limit_s {
        settings
            .stopping_rules
            .push(StoppingRuleConfig::TimeLimit { seconds });
    }
    if let Some(m) = options.forward_passes {
        settings.forward_passes = usize::try_from(m).unwrap_or(1);
    }
    if let Some(seed) = options.seed {
        settings.scenario_source.seed = Some(seed);
    }
    let hooks = TrainingHooks {
        observer: options.observer,
        stop: options.stop,
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
    let mut settings = SimulationSettings::from_config(&case.config);
    settings.threads = options.threads.max(1);
    if let Some(n) = options.num_scenarios {
        settings.num_scenarios = n;
    }
    if let Some(seed) = options.seed {
        settings.scenario_source.seed = Some(seed);
    }
    let stop = options.stop.as_ref();
    match options.sink {
        Some(sink) => {
            let summary = cobre_sddp::simulate(&study, policy, &settings, sink, stop)?;
            Ok(SimulationResult {
                summary,
                scenarios: Vec::new(),
            })
        }
        None => {
            let mut sink = MemorySink::default();
            let summary = cobre_sddp::simulate(&study, policy, &settings, &mut sink, stop)?;
            Ok(SimulationResult {
                summary,
                scenarios: sink.scenarios,
            })
        }
    }
}
