//! Opening tree and forward-scenario generation at production size:
//! 160 hydros × 60 monthly stages, PAR(2), 20 openings per stage,
//! 10,000 forward trajectories (noise + inflow + lag update per stage).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use chrono::{Datelike, Months, NaiveDate};
use cobre_core::config::*;
use cobre_core::scenario::{ArCoefficient, ScenarioInputs, SeasonalStat};
use cobre_core::stage::*;
use cobre_core::testing::{bus, hydro};
use cobre_core::{HydroId, SeasonId, StageId, StudyConfig, System, SystemParts};
use cobre_stochastic::sampling::{InSample, OutOfSample};
use cobre_stochastic::{ForwardSampler, StochasticModel};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const HYDROS: i32 = 160;
const STAGES: i32 = 60;
const OPENINGS: usize = 20;
const SCENARIOS: u64 = 10_000;

fn case() -> (System, StudyConfig) {
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let month = |k: i32| {
        if k >= 0 {
            start.checked_add_months(Months::new(k as u32)).unwrap()
        } else {
            start.checked_sub_months(Months::new((-k) as u32)).unwrap()
        }
    };
    let stages = (0..STAGES)
        .map(|t| Stage {
            index: t as usize,
            id: StageId(t),
            start_date: month(t),
            end_date: month(t + 1),
            blocks: vec![Block {
                id: 0,
                name: "B".into(),
                hours: 720.0,
            }],
            block_mode: BlockMode::Parallel,
            season: Some(SeasonId(month(t).month0() as i32)),
            num_openings: OPENINGS,
            risk_measure: RiskMeasure::Expectation,
            sampling_method: NoiseSamplingMethod::Saa,
            state_variables: StateVariableFlags {
                storage: true,
                inflow_lags: true,
            },
            annual_discount_rate_override: None,
        })
        .collect();
    let pre = (1..=2)
        .rev()
        .map(|k| PreStudyStage {
            id: StageId(-k),
            start_date: month(-k),
            end_date: month(-k + 1),
            season: Some(SeasonId(month(-k).month0() as i32)),
        })
        .collect();
    let seasons = SeasonDefinitions {
        cycle: SeasonCycle::Monthly,
        seasons: (0..12)
            .map(|m| Season {
                id: SeasonId(m),
                label: String::new(),
                month_start: m as u32 + 1,
                month_end: None,
                day_start: None,
                day_end: None,
            })
            .collect(),
    };
    let mut scen = ScenarioInputs::default();
    for h in 0..HYDROS {
        for t in -2..STAGES {
            let m = ((t % 12) + 12) % 12;
            scen.inflow_stats.push(SeasonalStat {
                entity: HydroId(h),
                stage: StageId(t),
                mean: 500.0 + 50.0 * m as f64,
                std: 100.0 + 5.0 * m as f64,
            });
            if t >= 0 {
                for (lag, c) in [(1, 0.6), (2, 0.15)] {
                    scen.ar_coefficients.push(ArCoefficient {
                        hydro: HydroId(h),
                        stage: StageId(t),
                        lag,
                        coefficient: c,
                        residual_std_ratio: 0.75,
                    });
                }
            }
        }
    }
    let system = System::new(SystemParts {
        buses: vec![bus(0, 1000.0)],
        hydros: (0..HYDROS)
            .map(|h| hydro(h, 0, None, 100.0, 100.0))
            .collect(),
        horizon: Horizon {
            stages,
            pre_study_stages: pre,
            seasons: Some(seasons),
            policy_graph: PolicyGraph::default(),
        },
        scenarios: scen,
        ..SystemParts::default()
    })
    .unwrap();
    let config = StudyConfig {
        training: TrainingConfig {
            selection: cobre_core::config::SelectionMethod::Sampled,
            enabled: true,
            forward_passes: 1,
            stopping_rules: vec![],
            stopping_mode: StoppingMode::Any,
            tree_seed: None,
            scenario_source: ScenarioSourceConfig {
                seed: Some(1),
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
            io_channel_capacity: 1,
        },
        modeling: ModelingConfig {
            inflow_non_negativity: InflowNonNegativity::Truncation,
            cost_scale_factor: None,
        },
        estimation: EstimationConfig::default(),
        policy: PolicyConfig::default(),
        exports: Default::default(),
    };
    (system, config)
}

/// 10,000 trajectories: sample, realise inflows (truncated), advance lags.
fn forward(model: &StochasticModel, sampler: &dyn ForwardSampler) -> f64 {
    let (nh, l) = (model.num_hydros(), model.max_order());
    let mut noise = vec![0.0; model.num_noise_entities()];
    let (mut lags, mut next, mut z) = (vec![0.0; nh * l], vec![0.0; nh * l], vec![0.0; nh]);
    let mut acc = 0.0;
    let mut chain = model.lag_chain().accumulator();
    for s in 0..SCENARIOS {
        lags.copy_from_slice(model.initial_lags());
        model.lag_chain().restart(&mut chain);
        for t in 0..model.num_stages() {
            sampler.sample(model, 0, s, t, &mut noise);
            model.inflow(t, &lags, &noise[..nh], &mut z);
            model.advance_lags(t, &lags, &z, &mut chain, &mut next);
            std::mem::swap(&mut lags, &mut next);
        }
        acc += z[0];
    }
    acc
}

fn bench(c: &mut Criterion) {
    let (system, config) = case();
    let mut g = c.benchmark_group("stochastic_160h_60t");
    g.sample_size(10);
    g.bench_function("build_model_and_opening_tree_20_openings", |b| {
        b.iter(|| black_box(StochasticModel::build(&system, &config).unwrap()))
    });
    let model = StochasticModel::build(&system, &config).unwrap();
    g.bench_function("forward_10k_scenarios_in_sample", |b| {
        b.iter(|| black_box(forward(&model, &InSample { seed: 5 })))
    });
    g.bench_function("forward_10k_scenarios_out_of_sample", |b| {
        b.iter(|| black_box(forward(&model, &OutOfSample { seed: 5 })))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
