//! The study horizon: stages, blocks, seasons and the policy graph.

use crate::{SeasonId, StageId};
use chrono::NaiveDate;

/// A load block: a slice of a stage's hours with its own demand level.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Block {
    /// Index of the block within its stage (0-based, contiguous).
    pub id: i32,
    /// Human-readable label.
    pub name: String,
    /// Duration (hours), strictly positive.
    pub hours: f64,
}

/// How blocks of a stage relate in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockMode {
    /// Blocks are load levels sharing one water balance per stage.
    #[default]
    Parallel,
    /// Blocks are consecutive periods with their own water balance.
    Chronological,
}

/// Risk measure applied when aggregating a stage's openings into a cut.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskMeasure {
    /// Risk neutral: the probability-weighted mean.
    #[default]
    Expectation,
    /// `λ·CVaR_α + (1−λ)·E`.
    Cvar {
        /// Tail fraction α in (0, 1].
        alpha: f64,
        /// Weight λ of the CVaR term in [0, 1].
        lambda: f64,
    },
}

/// How the noise of a stage's openings is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseSamplingMethod {
    /// Sample average approximation: independent draws.
    #[default]
    Saa,
    /// Latin hypercube sampling.
    Lhs,
    /// Quasi-Monte Carlo (Sobol).
    QmcSobol,
    /// Quasi-Monte Carlo (Halton).
    QmcHalton,
    /// Selective sampling.
    Selective,
    /// Historical residuals.
    HistoricalResiduals,
}

/// Which quantities of a stage are state variables carried to the next stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StateVariableFlags {
    /// Reservoir storage is a state variable.
    pub storage: bool,
    /// Past inflows (AR lags) are state variables.
    pub inflow_lags: bool,
}

impl Default for StateVariableFlags {
    fn default() -> Self {
        Self {
            storage: true,
            inflow_lags: false,
        }
    }
}

/// One study stage (a decision period of the policy).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stage {
    /// Position of the stage in the study (0-based, chronological).
    pub index: usize,
    /// Identifier as written in `stages.json`.
    pub id: StageId,
    /// First day of the stage.
    pub start_date: NaiveDate,
    /// First day after the stage (exclusive end).
    pub end_date: NaiveDate,
    /// Load blocks.
    pub blocks: Vec<Block>,
    /// How the blocks relate in time.
    pub block_mode: BlockMode,
    /// Season of the seasonal cycle the stage belongs to, when known.
    pub season: Option<SeasonId>,
    /// Number of openings (noise realisations) of the stage's scenario tree.
    pub num_openings: usize,
    /// Risk measure of the stage.
    pub risk_measure: RiskMeasure,
    /// Noise sampling method.
    pub sampling_method: NoiseSamplingMethod,
    /// State variable flags.
    pub state_variables: StateVariableFlags,
    /// Annual discount rate overriding the policy graph's rate for this stage.
    pub annual_discount_rate_override: Option<f64>,
}

impl Stage {
    /// Total hours of the stage (sum of its blocks).
    #[must_use]
    pub fn total_hours(&self) -> f64 {
        self.blocks.iter().map(|b| b.hours).sum()
    }

    /// Length of the stage in days from its dates.
    #[must_use]
    pub fn duration_days(&self) -> i64 {
        (self.end_date - self.start_date).num_days()
    }
}

/// A pre-study stage: a period before the horizon whose observations seed the
/// inflow lags.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PreStudyStage {
    /// Identifier (negative).
    pub id: StageId,
    /// First day.
    pub start_date: NaiveDate,
    /// First day after the period.
    pub end_date: NaiveDate,
    /// Season, when given.
    pub season: Option<SeasonId>,
}

/// The kind of seasonal cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeasonCycle {
    /// One season per calendar month.
    Monthly,
    /// One season per week.
    Weekly,
    /// Seasons defined by explicit calendar ranges.
    Custom,
}

/// One season of the cycle.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Season {
    /// Season index (0-based).
    pub id: SeasonId,
    /// Human-readable label.
    pub label: String,
    /// Calendar month where the season starts (1–12).
    pub month_start: u32,
    /// Calendar month where it ends (custom cycles).
    pub month_end: Option<u32>,
    /// Calendar day where it starts (custom cycles).
    pub day_start: Option<u32>,
    /// Calendar day where it ends (custom cycles).
    pub day_end: Option<u32>,
}

/// The seasonal cycle of the study.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SeasonDefinitions {
    /// Kind of cycle.
    pub cycle: SeasonCycle,
    /// Seasons, ordered by id.
    pub seasons: Vec<Season>,
}

/// Shape of the policy graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HorizonKind {
    /// A chain of stages ending with a zero future cost.
    #[default]
    FiniteHorizon,
    /// A cyclic graph (infinite horizon).
    Cyclic,
}

/// One node of an explicit policy graph (`policy_graph.nodes[]`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GraphNode {
    /// Node id as written in `stages.json`.
    pub id: i32,
    /// Position of the node's stage in [`Horizon::stages`].
    pub stage: usize,
    /// Column of the external scenario libraries the node carries (its one
    /// realisation), when its stage's uncertainty is external.
    pub scenario: Option<u32>,
    /// Human-readable label.
    pub label: Option<String>,
}

/// One transition of an explicit policy graph, between node ids.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GraphTransition {
    /// Source node id.
    pub source: i32,
    /// Target node id (a node of the next stage).
    pub target: i32,
    /// Probability of the transition given the source (the probabilities
    /// leaving a node sum to 1: the reader normalises them).
    pub probability: f64,
}

/// The policy graph: how stages follow each other and how the future is
/// discounted.
///
/// Without [`Self::nodes`] the graph is the linear chain of the stages (one
/// node per stage, each followed by the next with probability 1). With
/// nodes, it is a finite-horizon graph whose nodes sit at stages and whose
/// transitions go from a node of stage `t` to nodes of stage `t + 1`: a
/// tree (a trunk and branches) or, for sampled training, a graph whose
/// nodes may have several parents.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct PolicyGraph {
    /// Horizon kind.
    pub kind: HorizonKind,
    /// Annual discount rate (≥ 0).
    pub annual_discount_rate: f64,
    /// Explicit nodes, in file order (empty: the chain of stages).
    pub nodes: Vec<GraphNode>,
    /// Transitions between [`Self::nodes`] (empty for the chain).
    pub transitions: Vec<GraphTransition>,
}

impl PolicyGraph {
    /// Whether the graph is the linear chain of the stages.
    #[must_use]
    pub fn is_chain(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// The study horizon.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Horizon {
    /// Study stages in chronological order.
    pub stages: Vec<Stage>,
    /// Pre-study stages in chronological order.
    pub pre_study_stages: Vec<PreStudyStage>,
    /// Seasonal cycle, when defined.
    pub seasons: Option<SeasonDefinitions>,
    /// Policy graph.
    pub policy_graph: PolicyGraph,
}

impl Horizon {
    /// Number of study stages.
    #[must_use]
    pub fn num_stages(&self) -> usize {
        self.stages.len()
    }

    /// Position of the stage with this id.
    #[must_use]
    pub fn stage_index(&self, id: StageId) -> Option<usize> {
        self.stages.iter().position(|s| s.id == id)
    }

    /// Annual discount rate in force at a stage (override, else the graph's).
    #[must_use]
    pub fn annual_discount_rate(&self, stage: usize) -> f64 {
        self.stages
            .get(stage)
            .and_then(|s| s.annual_discount_rate_override)
            .unwrap_or(self.policy_graph.annual_discount_rate)
    }
}
