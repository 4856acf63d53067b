//! Columnar results of one simulated scenario: one struct of arrays per
//! entity kind, one row per (stage, block, entity) — or per stage for the
//! cost breakdown. Units are in the field names.

/// Cost category of a column, for the cost breakdown of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum CostCategory {
    /// No cost (state, auxiliary, θ handled apart).
    #[default]
    None = 0,
    /// Thermal generation.
    Thermal,
    /// Deficit (unserved energy).
    Deficit,
    /// Excess energy.
    Excess,
    /// Line exchange.
    Exchange,
    /// Spillage regularisation.
    Spillage,
    /// Turbined flow regularisation.
    Turbined,
    /// Soft hydro bound violations (turbined, generation, outflow).
    HydroViolation,
    /// Inflow non-negativity slack.
    InflowPenalty,
    /// Curtailment of non-controllable sources (negative: priced on generation).
    Curtailment,
    /// Withdrawal violation slacks.
    WithdrawalViolation,
    /// Evaporation violation slacks.
    EvaporationViolation,
    /// Generic constraint violation slacks.
    GenericViolation,
    /// Diversion regularisation.
    Diversion,
}

impl CostCategory {
    /// Number of categories.
    pub const COUNT: usize = 14;
}

/// Per-stage costs of a scenario ($).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageCosts {
    /// Stage id.
    pub stage_id: Vec<i32>,
    /// Immediate cost (undiscounted).
    pub immediate_cost: Vec<f64>,
    /// Future cost θ (undiscounted, as seen by the stage LP).
    pub future_cost: Vec<f64>,
    /// Cumulative discount factor Δ_t of the stage.
    pub discount_factor: Vec<f64>,
    /// Thermal generation cost.
    pub thermal_cost: Vec<f64>,
    /// Deficit cost.
    pub deficit_cost: Vec<f64>,
    /// Excess cost.
    pub excess_cost: Vec<f64>,
    /// Exchange cost.
    pub exchange_cost: Vec<f64>,
    /// Spillage regularisation cost.
    pub spillage_cost: Vec<f64>,
    /// Turbined regularisation cost.
    pub turbined_cost: Vec<f64>,
    /// Turbined/generation/outflow violation cost.
    pub hydro_violation_cost: Vec<f64>,
    /// Inflow non-negativity penalty cost.
    pub inflow_penalty_cost: Vec<f64>,
    /// Withdrawal violation cost.
    pub withdrawal_violation_cost: Vec<f64>,
    /// Evaporation violation cost.
    pub evaporation_violation_cost: Vec<f64>,
    /// Generic constraint violation cost.
    pub generic_violation_cost: Vec<f64>,
    /// Curtailment of non-controllable sources (negative: the generation
    /// is credited, docs/formulation.md §7).
    pub curtailment_cost: Vec<f64>,
    /// Diversion regularisation cost.
    pub diversion_cost: Vec<f64>,
}

impl StageCosts {
    /// Appends one stage with its cost per category.
    pub fn push(
        &mut self,
        stage_id: i32,
        immediate: f64,
        future: f64,
        discount: f64,
        by_category: &[f64; CostCategory::COUNT],
    ) {
        self.stage_id.push(stage_id);
        self.immediate_cost.push(immediate);
        self.future_cost.push(future);
        self.discount_factor.push(discount);
        let c = |cat: CostCategory| by_category[cat as usize];
        self.thermal_cost.push(c(CostCategory::Thermal));
        self.deficit_cost.push(c(CostCategory::Deficit));
        self.excess_cost.push(c(CostCategory::Excess));
        self.exchange_cost.push(c(CostCategory::Exchange));
        self.spillage_cost.push(c(CostCategory::Spillage));
        self.turbined_cost.push(c(CostCategory::Turbined));
        self.hydro_violation_cost
            .push(c(CostCategory::HydroViolation));
        self.inflow_penalty_cost
            .push(c(CostCategory::InflowPenalty));
        self.withdrawal_violation_cost
            .push(c(CostCategory::WithdrawalViolation));
        self.evaporation_violation_cost
            .push(c(CostCategory::EvaporationViolation));
        self.generic_violation_cost
            .push(c(CostCategory::GenericViolation));
        self.curtailment_cost.push(c(CostCategory::Curtailment));
        self.diversion_cost.push(c(CostCategory::Diversion));
    }
}

/// Hydro results, one row per (stage, block, hydro).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HydroResults {
    /// Stage id.
    pub stage_id: Vec<i32>,
    /// Block index.
    pub block: Vec<u32>,
    /// Hydro id.
    pub hydro_id: Vec<i32>,
    /// Storage at the start of the stage (hm³).
    pub storage_initial_hm3: Vec<f64>,
    /// Storage at the end of the stage (hm³).
    pub storage_final_hm3: Vec<f64>,
    /// Incremental inflow of the stage (m³/s).
    pub inflow_m3s: Vec<f64>,
    /// Turbined flow (m³/s).
    pub turbined_m3s: Vec<f64>,
    /// Spilled flow (m³/s).
    pub spillage_m3s: Vec<f64>,
    /// Turbined + spilled (m³/s).
    pub outflow_m3s: Vec<f64>,
    /// Diverted flow, out of the plant into its channel (m³/s).
    pub diverted_m3s: Vec<f64>,
    /// Generation (MW).
    pub generation_mw: Vec<f64>,
    /// Marginal value of incoming storage, ∂cost/∂storage ($/hm³, ≤ 0).
    pub water_value_per_hm3: Vec<f64>,
    /// Evaporated flow of the stage (m³/s; negative when the linearised
    /// evaporation adds water; 0 without evaporation).
    pub evaporation_m3s: Vec<f64>,
    /// Turbined flow below its minimum, the violation (m³/s).
    pub turbined_slack_m3s: Vec<f64>,
    /// Outflow below its minimum, the violation (m³/s).
    pub outflow_slack_below_m3s: Vec<f64>,
    /// Outflow above its maximum, the violation (m³/s).
    pub outflow_slack_above_m3s: Vec<f64>,
    /// Generation below its minimum, the violation (MW).
    pub generation_slack_mw: Vec<f64>,
    /// Evaporation above the linearised target (m³/s, stage level).
    pub evaporation_violation_pos_m3s: Vec<f64>,
    /// Evaporation below the linearised target (m³/s, stage level).
    pub evaporation_violation_neg_m3s: Vec<f64>,
    /// Water added by the inflow non-negativity slack (m³/s, stage level).
    pub inflow_nonnegativity_slack_m3s: Vec<f64>,
    /// Withdrawal above its target (m³/s, stage level).
    pub water_withdrawal_violation_pos_m3s: Vec<f64>,
    /// Withdrawal below its target (m³/s, stage level).
    pub water_withdrawal_violation_neg_m3s: Vec<f64>,
}

/// Thermal results, one row per (stage, block, thermal).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThermalResults {
    /// Stage id.
    pub stage_id: Vec<i32>,
    /// Block index.
    pub block: Vec<u32>,
    /// Thermal id.
    pub thermal_id: Vec<i32>,
    /// Generation (MW).
    pub generation_mw: Vec<f64>,
    /// Generation cost of the block ($).
    pub generation_cost: Vec<f64>,
}

/// Bus results, one row per (stage, block, bus).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BusResults {
    /// Stage id.
    pub stage_id: Vec<i32>,
    /// Block index.
    pub block: Vec<u32>,
    /// Bus id.
    pub bus_id: Vec<i32>,
    /// Load (MW).
    pub load_mw: Vec<f64>,
    /// Deficit, all segments (MW).
    pub deficit_mw: Vec<f64>,
    /// Excess (MW).
    pub excess_mw: Vec<f64>,
    /// Marginal cost of load ($/MWh).
    pub marginal_cost: Vec<f64>,
}

/// Line results, one row per (stage, block, line).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineResults {
    /// Stage id.
    pub stage_id: Vec<i32>,
    /// Block index.
    pub block: Vec<u32>,
    /// Line id.
    pub line_id: Vec<i32>,
    /// Flow source → target (MW).
    pub direct_mw: Vec<f64>,
    /// Flow target → source (MW).
    pub reverse_mw: Vec<f64>,
    /// Net exchange, direct − reverse (MW).
    pub net_mw: Vec<f64>,
}

/// Pumping results, one row per (stage, block, station).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PumpingResults {
    /// Stage id.
    pub stage_id: Vec<i32>,
    /// Block index.
    pub block: Vec<u32>,
    /// Station id.
    pub station_id: Vec<i32>,
    /// Pumped flow (m³/s).
    pub pumped_m3s: Vec<f64>,
    /// Power drawn from the bus (MW).
    pub power_mw: Vec<f64>,
}

/// Generation per bus of the plants whose unit groups sit on several
/// buses, one row per (stage, block, plant, bus).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellResults {
    /// Stage id.
    pub stage_id: Vec<i32>,
    /// Block index.
    pub block: Vec<u32>,
    /// Hydro id.
    pub hydro_id: Vec<i32>,
    /// Bus id.
    pub bus_id: Vec<i32>,
    /// Turbined flow of the plant's groups on the bus (m³/s).
    pub turbined_m3s: Vec<f64>,
    /// Their generation (MW).
    pub generation_mw: Vec<f64>,
}

/// Everything recorded for one simulated scenario.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScenarioResult {
    /// Scenario number (0-based).
    pub scenario: u32,
    /// Probability of the scenario: its path's for enumerated selection,
    /// `1/N` for `N` sampled scenarios.
    pub probability: f64,
    /// Policy-graph node visited at each stage (the stage index for the
    /// chain of stages; the declared node id for an explicit graph).
    pub node_ids: Vec<i32>,
    /// Total discounted cost ($).
    pub total_cost: f64,
    /// Per-stage costs.
    pub costs: StageCosts,
    /// Hydro results.
    pub hydros: HydroResults,
    /// Thermal results.
    pub thermals: ThermalResults,
    /// Bus results.
    pub buses: BusResults,
    /// Line results.
    pub lines: LineResults,
    /// Pumping results.
    pub pumping: PumpingResults,
    /// Per-bus generation of multi-bus plants.
    pub cells: CellResults,
}
