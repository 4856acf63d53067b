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
