//! Study settings from `config.json`, validated and typed.
//!
//! These are the user's choices; `cobre-sddp` turns them into its runtime
//! rules (stopping rules, samplers, cut selection...).

/// A stopping rule of the training loop.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StoppingRuleConfig {
    /// Stop after this many iterations.
    IterationLimit {
        /// Maximum number of iterations.
        limit: u32,
    },
    /// Stop once this much wall time has elapsed.
    TimeLimit {
        /// Seconds.
        seconds: f64,
    },
    /// Stop when the lower bound improved by less than `tolerance` (relative)
    /// over the last `iterations` iterations.
    BoundStalling {
        /// Window size.
        iterations: u32,
        /// Relative improvement threshold.
        tolerance: f64,
    },
    /// Stop when the gap between the bounds is small enough.
    Gap {
        /// Absolute tolerance.
        tolerance: Option<f64>,
        /// Relative tolerance in percent.
        relative_tolerance: Option<f64>,
    },
}

/// How several stopping rules combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoppingMode {
    /// Stop when any rule is met.
    #[default]
    Any,
    /// Stop when every rule is met.
    All,
}

/// Where the scenarios of a class (inflow, load, NCS) come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplingScheme {
    /// Draw one of the stage's openings.
    #[default]
    InSample,
    /// Fresh noise from an independent stream.
    OutOfSample,
    /// Replay an external scenario library.
    External,
    /// Replay historical windows.
    Historical,
}

/// Scenario source of a phase (training forward pass or simulation).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct ScenarioSourceConfig {
    /// Seed of the phase's random streams.
    pub seed: Option<u64>,
    /// Inflow scheme.
    pub inflow: SamplingScheme,
    /// Load scheme.
    pub load: SamplingScheme,
    /// Non-controllable source scheme.
    pub ncs: SamplingScheme,
    /// Historical years pool `(from, to)`, inclusive.
    pub historical_years: Option<(i32, i32)>,
}

/// Cut selection strategy.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum CutSelectionConfig {
    /// Keep every cut.
    #[default]
    None,
    /// Level-1 dominance: keep cuts that were the highest at some visited state.
    Level1 {
        /// Iterations between pruning runs.
        check_frequency: u32,
        /// Tie tolerance.
        tie_tolerance: f64,
    },
    /// Limited-memory level-1: keep, at each visited state, the oldest cut
    /// among the highest there.
    Lml1 {
        /// Iterations between pruning runs.
        check_frequency: u32,
        /// Tie tolerance.
        tie_tolerance: f64,
    },
    /// Domination: drop cuts more than `tolerance` below the highest cut at
    /// every visited state.
    Domination {
        /// Iterations between pruning runs.
        check_frequency: u32,
        /// Domination tolerance.
        tolerance: f64,
    },
    /// Dynamic: each solve starts from the cuts of the last `seed_window`
    /// iterations and adds violated cuts (at most `max_added_per_round` per
    /// round) until none is violated.
    Dynamic {
        /// First iteration (1-based) at which the lazy loop runs.
        start_iteration: u32,
        /// Iterations whose cuts seed every solve.
        seed_window: u32,
        /// Only cuts of the last `n` iterations are candidates (`None`: all,
        /// which keeps the result exact).
        candidate_recency: Option<u32>,
        /// Cuts added per round at most.
        max_added_per_round: u32,
        /// Violation above which a candidate is added.
        violation_tolerance: f64,
    },
}

/// How backward-pass work is split into parallel units
/// (`training.parallelism.backward_scheduler`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum BackwardScheduler {
    /// The engine's own split (not given in the case).
    #[default]
    Default,
    /// One unit per trial state (all its openings).
    ByScenario,
    /// Units of `block_size` openings of one trial state (`None`: half the
    /// openings of the stage, rounded up).
    ByNode {
        /// Openings per unit.
        block_size: Option<u32>,
    },
}

/// How the scenarios of a phase are chosen (`selection.method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionMethod {
    /// A given number of scenarios drawn by the scenario source.
    #[default]
    Sampled,
    /// Every root-to-leaf path of the policy graph once, weighted by its
    /// probability (training gets an exact upper bound).
    Enumerated,
}

/// Training settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrainingConfig {
    /// Whether training runs.
    pub enabled: bool,
    /// How forward scenarios are chosen.
    pub selection: SelectionMethod,
    /// Forward passes (scenarios) per iteration (0 when enumerated).
    pub forward_passes: u32,
    /// Stopping rules.
    pub stopping_rules: Vec<StoppingRuleConfig>,
    /// How they combine.
    pub stopping_mode: StoppingMode,
    /// Seed of the opening tree, when given apart from the scenario seed.
    pub tree_seed: Option<u64>,
    /// Forward-pass scenario source.
    pub scenario_source: ScenarioSourceConfig,
    /// Cut selection.
    pub cut_selection: CutSelectionConfig,
    /// Least dual magnitude for a cut row to count as binding in a solve
    /// (activity tracking; `training.cut_selection.row_activity_tolerance`).
    pub row_activity_tolerance: f64,
    /// Most cut rows per stage LP after a selection run
    /// (`training.cut_selection.max_active_per_stage`).
    pub max_active_per_stage: Option<u32>,
    /// Backward-pass work split.
    pub backward_scheduler: BackwardScheduler,
}

/// Simulation settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SimulationConfig {
    /// Whether simulation runs after training.
    pub enabled: bool,
    /// How simulated scenarios are chosen.
    pub selection: SelectionMethod,
    /// Number of simulated scenarios (0 when enumerated: one per path).
    pub num_scenarios: u32,
    /// Scenario source (defaults to the training one when absent).
    pub scenario_source: Option<ScenarioSourceConfig>,
    /// Capacity of the channel between simulation workers and the writer.
    pub io_channel_capacity: u32,
}

/// How negative generated inflows are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InflowNonNegativity {
    /// Nothing: negative inflows are used as drawn.
    None,
    /// Negative inflows are truncated to zero.
    Truncation,
    /// A penalised slack keeps inflows non-negative in the LP.
    #[default]
    Penalty,
    /// Truncation with a penalised slack.
    TruncationWithPenalty,
}

/// Modelling options.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct ModelingConfig {
    /// Inflow non-negativity treatment.
    pub inflow_non_negativity: InflowNonNegativity,
    /// Divisor applied to every non-θ objective coefficient, when given.
    pub cost_scale_factor: Option<f64>,
}

/// PAR order selection criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderSelection {
    /// Periodic partial autocorrelation.
    #[default]
    Pacf,
    /// Periodic PACF with an annual component.
    PacfAnnual,
}

/// PAR estimation settings (used when a case gives history instead of coefficients).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EstimationConfig {
    /// Maximum AR order.
    pub max_order: u32,
    /// Order selection criterion.
    pub order_selection: OrderSelection,
    /// Minimum observations per (hydro, season).
    pub min_observations_per_season: u32,
    /// Maximum magnitude of any coefficient, when given.
    pub max_coefficient_magnitude: Option<f64>,
}

impl Default for EstimationConfig {
    fn default() -> Self {
        Self {
            max_order: 6,
            order_selection: OrderSelection::Pacf,
            min_observations_per_season: 30,
            max_coefficient_magnitude: None,
        }
    }
}

/// How training starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyMode {
    /// From no cuts.
    #[default]
    Fresh,
    /// From the cuts of a saved policy, counting iterations from zero.
    WarmStart,
    /// Continuing a saved policy's iterations.
    Resume,
}

/// Policy persistence settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PolicyConfig {
    /// Start mode.
    pub mode: PolicyMode,
    /// Policy directory (relative to the output directory unless absolute).
    pub path: String,
    /// Write a checkpoint every this many iterations, when set.
    pub checkpoint_interval: Option<u32>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            mode: PolicyMode::Fresh,
            path: "./policy".to_string(),
            checkpoint_interval: None,
        }
    }
}

/// Optional outputs (`config.json → exports`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ExportsConfig {
    /// Write the visited states.
    pub states: bool,
    /// Write the fitted/used stochastic model (`output/stochastic/`).
    pub stochastic: bool,
    /// Write the FPHA deviation sample points.
    pub fpha_deviation_points: bool,
}

/// Everything `config.json` configures.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StudyConfig {
    /// Training settings.
    pub training: TrainingConfig,
    /// Simulation settings.
    pub simulation: SimulationConfig,
    /// Modelling options.
    pub modeling: ModelingConfig,
    /// PAR estimation settings.
    pub estimation: EstimationConfig,
    /// Policy persistence.
    pub policy: PolicyConfig,
    /// Optional outputs.
    pub exports: ExportsConfig,
}

impl StudyConfig {
    /// The seed of the training scenario streams (0 when none is given).
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.training
            .scenario_source
            .seed
            .or(self.training.tree_seed)
            .unwrap_or(0)
    }
}
