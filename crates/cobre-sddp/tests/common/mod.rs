//! Hand-built systems and settings shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use cobre_core::config::{
    EstimationConfig, ModelingConfig, PolicyConfig, ScenarioSourceConfig, SimulationConfig,
    StoppingMode, StoppingRuleConfig, TrainingConfig,
};
use cobre_core::scenario::SeasonalStat;
use cobre_core::stage::{BlockMode, NoiseSamplingMethod, StateVariableFlags};
use cobre_core::{Block, BusId, HydroId, RiskMeasure, Stage, StageId, StudyConfig};

/// A monthly-like stage with the given block hours and openings.
pub fn stage(index: usize, hours: &[f64], openings: usize) -> Stage {
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(31 * index as u64);
    Stage {
        index,
        id: StageId(index as i32),
        start_date: start,
        end_date: start + chrono::Days::new(31),
        blocks: hours
            .iter()
            .enumerate()
            .map(|(k, &h)| Block {
                id: k as i32,
                name: format!("K{k}"),
                hours: h,
            })
            .collect(),
        block_mode: BlockMode::Parallel,
        season: None,
        num_openings: openings,
        risk_measure: RiskMeasure::Expectation,
        sampling_method: NoiseSamplingMethod::Saa,
        state_variables: StateVariableFlags::default(),
        annual_discount_rate_override: None,
    }
}

/// A study configuration with an iteration limit.
pub fn config(iterations: u32, forward_passes: u32) -> StudyConfig {
    StudyConfig {
        training: TrainingConfig {
            enabled: true,
            forward_passes,
            stopping_rules: vec![StoppingRuleConfig::IterationLimit { limit: iterations }],
            stopping_mode: StoppingMode::Any,
            tree_seed: None,
            scenario_source: ScenarioSourceConfig {
                seed: Some(7),
                ..ScenarioSourceConfig::default()
            },
            cut_selection: Default::default(),
            row_activity_tolerance: 0.0,
            max_active_per_stage: None,
            backward_scheduler: Default::default(),
        },
        simulation: SimulationConfig {
            enabled: true,
            num_scenarios: 10,
            scenario_source: None,
            io_channel_capacity: 8,
        },
        modeling: ModelingConfig {
            inflow_non_negativity: cobre_core::config::InflowNonNegativity::None,
            cost_scale_factor: None,
        },
        estimation: EstimationConfig::default(),
        policy: PolicyConfig::default(),
        exports: Default::default(),
    }
}

/// Inflow statistics row.
pub fn inflow(hydro: i32, stage: i32, mean: f64, std: f64) -> SeasonalStat<HydroId> {
    SeasonalStat {
        entity: HydroId(hydro),
        stage: StageId(stage),
        mean,
        std,
    }
}

/// Load statistics row.
pub fn load(bus: i32, stage: i32, mean: f64, std: f64) -> SeasonalStat<BusId> {
    SeasonalStat {
        entity: BusId(bus),
        stage: StageId(stage),
        mean,
        std,
    }
}

/// Relative error.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

/// A small stochastic system: two buses joined by a line, a two-plant
/// cascade, three thermals, `stages` stages with `openings` openings, white
/// noise inflows (std 30 % of the mean) and a stochastic load.
pub fn stochastic_system(stages: usize, openings: usize) -> cobre_core::System {
    stochastic_system_with_risk(stages, openings, RiskMeasure::Expectation)
}

/// [`stochastic_system`] with the given risk measure at every stage.
pub fn stochastic_system_with_risk(
    stages: usize,
    openings: usize,
    risk: RiskMeasure,
) -> cobre_core::System {
    use cobre_core::initial::InitialStorage;
    use cobre_core::testing::{bus, hydro, line, thermal};
    use cobre_core::SystemParts;
    let mut parts = SystemParts {
        buses: vec![bus(0, 1000.0), bus(1, 1000.0)],
        lines: vec![line(0, 0, 1, 30.0)],
        thermals: vec![
            thermal(0, 0, 20.0, 50.0),
            thermal(1, 1, 20.0, 120.0),
            thermal(2, 0, 40.0, 300.0),
        ],
        hydros: vec![
            hydro(0, 0, Some(1), 150.0, 40.0),
            hydro(1, 1, None, 100.0, 50.0),
        ],
        ..SystemParts::default()
    };
    parts.horizon.stages = (0..stages)
        .map(|t| Stage {
            risk_measure: risk,
            ..stage(t, &[730.0], openings)
        })
        .collect();
    for t in 0..stages as i32 {
        let season = 1.0 + 0.5 * f64::from(t % 3);
        parts
            .scenarios
            .inflow_stats
            .push(inflow(0, t, 20.0 * season, 6.0 * season));
        parts
            .scenarios
            .inflow_stats
            .push(inflow(1, t, 10.0 * season, 3.0 * season));
        parts.scenarios.load_stats.push(load(0, t, 60.0, 5.0));
        parts.scenarios.load_stats.push(load(1, t, 40.0, 0.0));
    }
    parts.initial_conditions.storage = vec![
        InitialStorage {
            hydro: HydroId(0),
            value_hm3: 60.0,
        },
        InitialStorage {
            hydro: HydroId(1),
            value_hm3: 30.0,
        },
    ];
    cobre_core::System::new(parts).unwrap()
}

/// Solves `min cost·x` over `lower ≤ x ≤ upper`, `row_lower ≤ A x ≤ row_upper`,
/// with `A` given as `(row, column, value)` triplets (any order), and returns
/// the optimal objective. For the extensive forms the tests build.
pub fn solve_triplets(
    cost: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    row_lower: Vec<f64>,
    row_upper: Vec<f64>,
    mut triplets: Vec<(usize, usize, f64)>,
) -> f64 {
    use cobre_solver::{HighsSolver, LpModel, LpSolver};
    triplets.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let n = cost.len();
    let mut a_start = vec![0; n + 1];
    let (mut a_index, mut a_value) = (vec![], vec![]);
    let mut k = 0;
    for j in 0..n {
        while k < triplets.len() && triplets[k].1 == j {
            a_index.push(triplets[k].0);
            a_value.push(triplets[k].2);
            k += 1;
        }
        a_start[j + 1] = a_index.len();
    }
    let model = LpModel {
        num_cols: n,
        num_rows: row_lower.len(),
        col_cost: cost,
        col_lower: lower,
        col_upper: upper,
        row_lower,
        row_upper,
        a_start,
        a_index,
        a_value,
        objective_offset: 0.0,
    };
    let mut lp = HighsSolver::new().unwrap();
    lp.load_model(&model).unwrap();
    lp.solve().unwrap();
    lp.objective_value()
}
