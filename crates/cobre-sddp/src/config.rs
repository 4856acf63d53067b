//! Runtime settings of training and simulation: documented structs with
//! defaults, filled from the case's [`StudyConfig`] and then overridable
//! field by field, checked by one `validate` step.

use crate::stopping::StoppingRules;
use crate::workspace::SolverInstances;
use crate::SddpError;
use cobre_core::config::{
    BackwardScheduler, CutSelectionConfig, ScenarioSourceConfig, SelectionMethod, StoppingMode,
    StoppingRuleConfig,
};
use cobre_core::StudyConfig;
use cobre_solver::SolverOptions;

/// Settings of the training loop.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingSettings {
    /// Worker threads (≥ 1). Results do not depend on it.
    pub threads: usize,
    /// How forward scenarios are chosen: sampled (`forward_passes` of
    /// them), or every path of the policy graph (a tree of
    /// single-realisation nodes; the upper bound is then exact).
    pub selection: SelectionMethod,
    /// Forward scenarios per iteration (≥ 1; unused when enumerated).
    pub forward_passes: usize,
    /// Forward-pass noise source (seed and scheme per class).
    pub scenario_source: ScenarioSourceConfig,
    /// Stopping rules.
    pub stopping_rules: Vec<StoppingRuleConfig>,
    /// How the rules combine.
    pub stopping_mode: StoppingMode,
    /// Minimum number of backward work items per stage: the openings of a
    /// trial state are split into `ceil(items / forward_passes)` fixed
    /// chunks so that few forward passes still feed every thread. Part of
    /// the algorithm's definition (results depend on it, not on threads).
    pub min_work_items: usize,
    /// Cuts neither created nor binding for this many iterations leave the
    /// stage LPs (they stay in the policy and come back as soon as a
    /// solution violates them, so results are those of the LP with every
    /// cut). `None` keeps every cut in the LPs (as Cobre 0.18). The case's
    /// `training.cut_selection` rules prune on top of this. Default:
    /// [`DEFAULT_ACTIVE_CUT_WINDOW`].
    pub active_cut_window: Option<u64>,
    /// Which cuts stay rows of the LPs (`training.cut_selection`): a
    /// periodic rule takes cuts out of the LPs until a later run selects
    /// them again; the dynamic rule seeds every iteration with recent cuts
    /// and adds violated ones back.
    pub cut_selection: CutSelectionConfig,
    /// Least dual magnitude for a cut row to count as binding in a solve
    /// (the activity that the active-cut window and the cap look at).
    pub row_activity_tolerance: f64,
    /// Most cut rows per stage after a selection run: the least recently
    /// (then least often) binding cuts leave first, never a cut of the
    /// current iteration.
    pub max_active_per_stage: Option<usize>,
    /// Openings per backward work unit (`training.parallelism`): `None`
    /// splits each trial state's openings so that there are at least
    /// [`Self::min_work_items`] units.
    pub openings_per_item: Option<OpeningsPerItem>,
    /// LP solver settings.
    pub solver: SolverOptions,
    /// Solver instances per worker: one per stage, or one loaded with a
    /// stage's LP when the worker turns to it (results are the same).
    pub instances: SolverInstances,
    /// Start each LP solve from the basis of a related solve (the same
    /// stage's previous opening or trial state). Off, every solve starts
    /// from the slack basis: same optima, only slower; it exists to measure
    /// what warm starts save. Default: `true`.
    pub warm_start: bool,
    /// Keep every outgoing state the forward passes visit, per pool, in
    /// [`crate::TrainingResult::visited`] (`exports.states`). Default:
    /// `false`.
    pub keep_visited_states: bool,
}

impl Default for TrainingSettings {
    fn default() -> Self {
        Self {
            threads: 1,
            selection: SelectionMethod::Sampled,
            forward_passes: 1,
            scenario_source: ScenarioSourceConfig::default(),
            stopping_rules: vec![StoppingRuleConfig::IterationLimit { limit: 100 }],
            stopping_mode: StoppingMode::Any,
            min_work_items: 4,
            active_cut_window: Some(DEFAULT_ACTIVE_CUT_WINDOW),
            cut_selection: CutSelectionConfig::None,
            row_activity_tolerance: 0.0,
            max_active_per_stage: None,
            openings_per_item: None,
            solver: SolverOptions::default(),
            instances: SolverInstances::Auto,
            warm_start: true,
            keep_visited_states: false,
        }
    }
}

/// How many openings of one trial state a backward work unit solves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpeningsPerItem {
    /// Every opening (one unit per trial state: `by_scenario`).
    All,
    /// This many (`by_node` with `block_size`).
    Fixed(usize),
    /// Half the stage's openings, rounded up (`by_node` without a size).
    Half,
}

impl OpeningsPerItem {
    /// Units per trial state for a stage of `n_open` openings.
    #[must_use]
    pub fn chunks(self, n_open: usize) -> usize {
        let size = match self {
            Self::All => n_open,
            Self::Fixed(b) => b.min(n_open),
            Self::Half => n_open.div_ceil(2),
        };
        n_open.div_ceil(size.max(1)).max(1)
    }
}

/// Default of [`TrainingSettings::active_cut_window`]: on 4ree (256
/// iterations) it keeps about a tenth of the cuts in the LPs and trains
/// about a third faster than with every cut, with the same LP optima.
pub const DEFAULT_ACTIVE_CUT_WINDOW: u64 = 5;

impl TrainingSettings {
    /// Settings from the case configuration (one thread).
    #[must_use]
    pub fn from_config(config: &StudyConfig) -> Self {
        let t = &config.training;
        Self {
            selection: t.selection,
            forward_passes: usize::try_from(t.forward_passes).unwrap_or(1).max(1),
            scenario_source: t.scenario_source.clone(),
            stopping_rules: t.stopping_rules.clone(),
            stopping_mode: t.stopping_mode,
            cut_selection: t.cut_selection,
            row_activity_tolerance: t.row_activity_tolerance,
            max_active_per_stage: t
                .max_active_per_stage
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            openings_per_item: match t.backward_scheduler {
                BackwardScheduler::Default => None,
                BackwardScheduler::ByScenario => Some(OpeningsPerItem::All),
                BackwardScheduler::ByNode { block_size: None } => Some(OpeningsPerItem::Half),
                BackwardScheduler::ByNode {
                    block_size: Some(b),
                } => Some(OpeningsPerItem::Fixed(
                    usize::try_from(b).unwrap_or(usize::MAX).max(1),
                )),
            },
            keep_visited_states: config.exports.states,
            ..Self::default()
        }
    }

    /// The smallest iteration limit among the stopping rules (the one that
    /// always ends training), if any.
    #[must_use]
    pub fn iteration_limit(&self) -> Option<u64> {
        self.stopping_rules
            .iter()
            .filter_map(|r| match r {
                StoppingRuleConfig::IterationLimit { limit } => Some(u64::from(*limit)),
                _ => None,
            })
            .min()
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`SddpError::InvalidSetting`] naming the first bad field.
    pub fn validate(&self) -> Result<(), SddpError> {
        if self.threads == 0 {
            return Err(SddpError::InvalidSetting {
                setting: "threads",
                message: "must be at least 1".into(),
            });
        }
        if self.forward_passes == 0 {
            return Err(SddpError::InvalidSetting {
                setting: "forward_passes",
                message: "must be at least 1".into(),
            });
        }
        if self.min_work_items == 0 {
            return Err(SddpError::InvalidSetting {
                setting: "min_work_items",
                message: "must be at least 1".into(),
            });
        }
        // The runtime rules say whether the run is sure to end (and check
        // each rule's parameters on the way).
        let bounded =
            StoppingRules::from_config(&self.stopping_rules, self.stopping_mode)?.is_bounded();
        if !bounded {
            return Err(SddpError::InvalidSetting {
                setting: "stopping_rules",
                message: "needs an iteration_limit or time_limit rule in `any` mode, \
                          an iteration_limit rule in `all` mode"
                    .into(),
            });
        }
        self.solver
            .validate()
            .map_err(|e| SddpError::InvalidSetting {
                setting: "solver",
                message: e.to_string(),
            })
    }
}

/// Settings of a policy simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationSettings {
    /// Worker threads (≥ 1).
    pub threads: usize,
    /// How scenarios are chosen: sampled (`num_scenarios` of them), or one
    /// per path of the policy graph (a tree), weighted by its probability.
    pub selection: SelectionMethod,
    /// Number of simulated scenarios (unused when enumerated).
    pub num_scenarios: usize,
    /// Noise source (seed and scheme per class).
    pub scenario_source: ScenarioSourceConfig,
    /// Scenario results buffered between workers and the sink.
    pub channel_capacity: usize,
    /// LP solver settings.
    pub solver: SolverOptions,
    /// Solver instances per worker (see [`TrainingSettings::instances`]).
    pub instances: SolverInstances,
}

impl Default for SimulationSettings {
    fn default() -> Self {
        Self {
            threads: 1,
            selection: SelectionMethod::Sampled,
            num_scenarios: 1,
            scenario_source: ScenarioSourceConfig::default(),
            channel_capacity: 64,
            solver: SolverOptions::default(),
            instances: SolverInstances::Auto,
        }
    }
}

impl SimulationSettings {
    /// Settings from the case configuration (one thread); the scenario
    /// source defaults to the training one.
    #[must_use]
    pub fn from_config(config: &StudyConfig) -> Self {
        let s = &config.simulation;
        let source = s
            .scenario_source
            .as_ref()
            .unwrap_or(&config.training.scenario_source);
        Self {
            selection: s.selection,
            num_scenarios: usize::try_from(s.num_scenarios).unwrap_or(1),
            scenario_source: source.clone(),
            channel_capacity: usize::try_from(s.io_channel_capacity).unwrap_or(64).max(1),
            ..Self::default()
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`SddpError::InvalidSetting`] naming the first bad field.
    pub fn validate(&self) -> Result<(), SddpError> {
        if self.threads == 0 {
            return Err(SddpError::InvalidSetting {
                setting: "threads",
                message: "must be at least 1".into(),
            });
        }
        self.solver
            .validate()
            .map_err(|e| SddpError::InvalidSetting {
                setting: "solver",
                message: e.to_string(),
            })
    }
}
