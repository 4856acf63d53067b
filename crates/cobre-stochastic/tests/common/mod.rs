//! Hand-built systems and configs for the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{Months, NaiveDate};
use cobre_core::config::*;
use cobre_core::scenario::{ArCoefficient, ScenarioInputs, SeasonalStat};
use cobre_core::stage::*;
use cobre_core::testing::{bus, hydro};
use cobre_core::{HydroId, InitialConditions, SeasonId, StageId, System, SystemParts};

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub fn stage(
    index: usize,
    start: NaiveDate,
    end: NaiveDate,
    season: Option<i32>,
    openings: usize,
) -> Stage {
    Stage {
        index,
        id: StageId(index as i32),
        start_date: start,
        end_date: end,
        blocks: vec![Block {
            id: 0,
            name: "B0".into(),
            hours: ((end - start).num_days() * 24) as f64,
        }],
        block_mode: BlockMode::Parallel,
        season: season.map(SeasonId),
        num_openings: openings,
        risk_measure: RiskMeasure::Expectation,
        sampling_method: NoiseSamplingMethod::Saa,
        state_variables: StateVariableFlags {
            storage: true,
            inflow_lags: true,
        },
        annual_discount_rate_override: None,
    }
}

pub fn monthly_seasons() -> SeasonDefinitions {
    SeasonDefinitions {
        cycle: SeasonCycle::Monthly,
        seasons: (0..12)
            .map(|m| Season {
                id: SeasonId(m),
                label: format!("M{m}"),
                month_start: m as u32 + 1,
                month_end: None,
                day_start: None,
                day_end: None,
            })
            .collect(),
    }
}

/// `n` monthly stages from `start`, with monthly seasons and `pre` monthly
/// pre-study stages (ids −pre..−1).
pub fn monthly_horizon(start: NaiveDate, n: usize, openings: usize, pre: usize) -> Horizon {
    let month = |k: i64| {
        if k >= 0 {
            start.checked_add_months(Months::new(k as u32)).unwrap()
        } else {
            start.checked_sub_months(Months::new((-k) as u32)).unwrap()
        }
    };
    let season_of = |date: NaiveDate| chrono::Datelike::month0(&date) as i32;
    Horizon {
        stages: (0..n)
            .map(|i| {
                stage(
                    i,
                    month(i as i64),
                    month(i as i64 + 1),
                    Some(season_of(month(i as i64))),
                    openings,
                )
            })
            .collect(),
        pre_study_stages: (1..=pre as i64)
            .rev()
            .map(|k| PreStudyStage {
                id: StageId(-(k as i32)),
                start_date: month(-k),
                end_date: month(-k + 1),
                season: Some(SeasonId(season_of(month(-k)))),
            })
            .collect(),
        seasons: Some(monthly_seasons()),
        policy_graph: PolicyGraph::default(),
    }
}

pub fn system(
    n_hydros: usize,
    horizon: Horizon,
    scenarios: ScenarioInputs,
    initial: InitialConditions,
) -> System {
    System::new(SystemParts {
        buses: vec![bus(0, 1000.0)],
        hydros: (0..n_hydros as i32)
            .map(|h| hydro(h, 0, None, 100.0, 100.0))
            .collect(),
        horizon,
        scenarios,
        initial_conditions: initial,
        ..SystemParts::default()
    })
    .unwrap()
}

pub fn config(seed: u64, non_negativity: InflowNonNegativity) -> StudyConfig {
    StudyConfig {
        training: TrainingConfig {
            selection: cobre_core::config::SelectionMethod::Sampled,
            enabled: true,
            forward_passes: 1,
            stopping_rules: vec![],
            stopping_mode: StoppingMode::Any,
            tree_seed: None,
            scenario_source: ScenarioSourceConfig {
                seed: Some(seed),
                ..ScenarioSourceConfig::default()
            },
            cut_selection: CutSelectionConfig::None,
            row_activity_tolerance: 0.0,
            max_active_per_stage: None,
            backward_scheduler: Default::default(),
        },
        simulation: SimulationConfig {
            selection: cobre_core::config::SelectionMethod::Sampled,
            enabled: false,
            num_scenarios: 1,
            scenario_source: None,
            io_channel_capacity: 16,
        },
        modeling: ModelingConfig {
            inflow_non_negativity: non_negativity,
            cost_scale_factor: None,
        },
        estimation: EstimationConfig::default(),
        policy: PolicyConfig::default(),
        exports: Default::default(),
    }
}

pub fn stat(h: i32, stage: i32, mean: f64, std: f64) -> SeasonalStat<HydroId> {
    SeasonalStat {
        entity: HydroId(h),
        stage: StageId(stage),
        mean,
        std,
    }
}

pub fn ar(h: i32, stage: i32, lag: u32, coefficient: f64, ratio: f64) -> ArCoefficient {
    ArCoefficient {
        hydro: HydroId(h),
        stage: StageId(stage),
        lag,
        coefficient,
        residual_std_ratio: ratio,
    }
}

pub fn obs(
    h: i32,
    start: NaiveDate,
    end: NaiveDate,
    v: f64,
) -> cobre_core::initial::InflowObservation {
    cobre_core::initial::InflowObservation {
        hydro: HydroId(h),
        start_date: start,
        end_date: end,
        value_m3s: v,
    }
}

/// Recent observations of two hydros for November and December 2023
/// (hydro 0: 45, 50 m³/s; hydro 1: 28, 30 m³/s).
pub fn two_hydro_november_december() -> InitialConditions {
    InitialConditions {
        recent_observations: vec![
            obs(0, d(2023, 11, 1), d(2023, 12, 1), 45.0),
            obs(0, d(2023, 12, 1), d(2024, 1, 1), 50.0),
            obs(1, d(2023, 11, 1), d(2023, 12, 1), 28.0),
            obs(1, d(2023, 12, 1), d(2024, 1, 1), 30.0),
        ],
        ..InitialConditions::default()
    }
}

/// Sample mean and population std.
pub fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n;
    (m, v.sqrt())
}

/// Pearson correlation.
pub fn corr(a: &[f64], b: &[f64]) -> f64 {
    let (ma, sa) = mean_std(a);
    let (mb, sb) = mean_std(b);
    let n = a.len() as f64;
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / n
        / (sa * sb)
}
