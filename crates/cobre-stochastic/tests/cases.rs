//! The shared conformance cases with scenario data, as hand-built systems
//! (values transcribed from `../../../shared/cases/<case>`; switch to
//! `cobre_io::load_case` once the reader lands).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::float_cmp)]

mod common;

use cobre_core::config::{InflowNonNegativity, SamplingScheme, ScenarioSourceConfig};
use cobre_core::scenario::{BlockFactors, ExternalValue, ScenarioInputs, SeasonalStat};
use cobre_core::stage::{Horizon, PreStudyStage, Season, SeasonCycle, SeasonDefinitions, Stage};
use cobre_core::{
    BusId, HydroId, InitialConditions, NcsId, SeasonId, StageId, System, SystemParts,
};
use cobre_stochastic::{sampler_for, Phase, StochasticModel};
use common::*;
use std::path::PathBuf;

fn case_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../../shared/cases")
    .join(name);
    assert!(
        dir.join("config.json").exists(),
        "shared case {name} not found at {}",
        dir.display()
    );
    dir
}

/// Deterministic statistics (std 0) of `entity` at stages `0..stages`.
fn constant_stats<Id: Copy>(entity: Id, stages: i32, mean: f64) -> Vec<SeasonalStat<Id>> {
    (0..stages)
        .map(|t| SeasonalStat {
            entity,
            stage: StageId(t),
            mean,
            std: 0.0,
        })
        .collect()
}

/// Deterministic load of bus 0 at stages `0..stages`.
fn load_stats(stages: i32, mean: f64) -> Vec<SeasonalStat<BusId>> {
    constant_stats(BusId(0), stages, mean)
}

/// Simulates one trajectory: returns the realised inflows `[t][h]`.
fn trajectory(model: &StochasticModel, source: &ScenarioSourceConfig, scenario: u64) -> Vec<f64> {
    let sampler = sampler_for(source, model, 1, Phase::Simulation).unwrap();
    let (nh, l) = (model.num_hydros(), model.max_order());
    let mut noise = vec![0.0; model.num_noise_entities()];
    let (mut lags, mut next) = (model.initial_lags().to_vec(), vec![0.0; nh * l]);
    let mut acc = model.lag_chain().accumulator();
    let mut out = Vec::new();
    for t in 0..model.num_stages() {
        sampler.sample(model, 0, scenario, t, &mut noise);
        let mut z = vec![0.0; nh];
        model.inflow(t, &lags, &noise[model.noise_layout().inflow], &mut z);
        model.lag_chain().advance(t, &lags, &z, &mut acc, &mut next);
        std::mem::swap(&mut lags, &mut next);
        out.extend(z);
    }
    out
}

#[test]
fn d16_par1_lag_is_seeded_from_the_pre_study_observation() {
    case_dir("d16-par1-lag-shift");
    let scen = ScenarioInputs {
        inflow_stats: (-1..3).map(|t| stat(0, t, 100.0, 1e-10)).collect(),
        ar_coefficients: (0..3).map(|t| ar(0, t, 1, 0.5, 1.0)).collect(),
        load_stats: load_stats(3, 200.0),
        ..ScenarioInputs::default()
    };
    let initial = InitialConditions {
        recent_observations: vec![obs(0, d(2023, 12, 1), d(2024, 1, 1), 200.0)],
        ..InitialConditions::default()
    };
    let model = StochasticModel::build(
        &system(1, monthly_horizon(d(2024, 1, 1), 3, 1, 1), scen, initial),
        &config(1, InflowNonNegativity::None),
    )
    .unwrap();
    assert_eq!(model.max_order(), 1);
    assert_eq!(model.initial_lags(), &[200.0]);
    let st = model.inflow_stage(0);
    assert_eq!((st.base[0], st.psi[0]), (50.0, 0.5));
    let z = trajectory(&model, &ScenarioSourceConfig::default(), 0);
    for (got, want) in z.iter().zip([150.0, 125.0, 112.5]) {
        assert!((got - want).abs() < 1e-6, "{z:?}");
    }
    assert_eq!(model.load_mw(0, 0, 0, &[0.0]), 200.0);
}

#[test]
fn d19_two_hydro_par2_has_two_lags_seeded_per_hydro() {
    case_dir("d19-multi-hydro-par");
    let mut scen = ScenarioInputs {
        load_stats: load_stats(3, 100.0),
        ..ScenarioInputs::default()
    };
    for (h, mu, c1, c2) in [(0, 40.0, 0.5, 0.3), (1, 25.0, 0.4, 0.2)] {
        scen.inflow_stats
            .extend((-2..3).map(|t| stat(h, t, mu, 0.001)));
        for t in 0..3 {
            scen.ar_coefficients.push(ar(h, t, 1, c1, 1.0));
            scen.ar_coefficients.push(ar(h, t, 2, c2, 1.0));
        }
    }
    let initial = two_hydro_november_december();
    let model = StochasticModel::build(
        &system(2, monthly_horizon(d(2024, 1, 1), 3, 1, 2), scen, initial),
        &config(1, InflowNonNegativity::Truncation),
    )
    .unwrap();
    assert_eq!(model.max_order(), 2);
    assert_eq!(model.initial_lags(), &[50.0, 45.0, 30.0, 28.0]);
    let st = model.inflow_stage(0);
    assert!((st.base[0] - 8.0).abs() < 1e-12 && (st.base[1] - 10.0).abs() < 1e-12);
    assert_eq!(st.psi, &[0.5, 0.3, 0.4, 0.2]);
    assert!((st.sigma[0] - 0.001).abs() < 1e-15);
}

#[test]
fn d10_negative_deterministic_inflow_is_kept_for_the_penalty_slack() {
    case_dir("d10-inflow-nonnegativity");
    let scen = ScenarioInputs {
        inflow_stats: vec![stat(0, 0, 40.0, 0.0), stat(0, 1, -5.0, 0.0)],
        load_stats: load_stats(2, 80.0),
        ..ScenarioInputs::default()
    };
    let model = StochasticModel::build(
        &system(
            1,
            monthly_horizon(d(2024, 1, 1), 2, 1, 0),
            scen,
            InitialConditions::default(),
        ),
        &config(1, InflowNonNegativity::Penalty),
    )
    .unwrap();
    assert_eq!(model.max_order(), 0);
    let mut rhs = [0.0];
    model.inflow_rhs(1, &[], &[1.3], &mut rhs);
    assert_eq!(rhs[0], -5.0);
    assert_eq!(model.opening_tree().shape(), [2, 1, 1]);
}

#[test]
fn d14_loads_follow_block_factors() {
    case_dir("d14-block-factors");
    let mut horizon = monthly_horizon(d(2024, 1, 1), 2, 1, 0);
    for s in &mut horizon.stages {
        s.blocks = vec![
            cobre_core::Block {
                id: 0,
                name: "LIGHT".into(),
                hours: 400.0,
            },
            cobre_core::Block {
                id: 1,
                name: "HEAVY".into(),
                hours: 330.0,
            },
        ];
    }
    let scen = ScenarioInputs {
        load_stats: load_stats(2, 20.0),
        load_factors: (0..2)
            .map(|t| BlockFactors {
                entity: BusId(0),
                stage: StageId(t),
                factors: vec![(0, 0.8), (1, 1.2)],
            })
            .collect(),
        ..ScenarioInputs::default()
    };
    let model = StochasticModel::build(
        &system(0, horizon, scen, InitialConditions::default()),
        &config(1, InflowNonNegativity::Penalty),
    )
    .unwrap();
    assert_eq!(model.num_noise_entities(), 0);
    assert!((model.load_mw(1, 0, 0, &[]) - 16.0).abs() < 1e-12);
    assert!((model.load_mw(1, 0, 1, &[]) - 24.0).abs() < 1e-12);
}

#[test]
fn d15_non_controllable_availability_is_mean_factor_times_capacity() {
    case_dir("d15-non-controllable-source");
    let scen = ScenarioInputs {
        load_stats: load_stats(2, 80.0),
        ncs_stats: constant_stats(NcsId(0), 2, 0.5),
        ..ScenarioInputs::default()
    };
    let sys = System::new(SystemParts {
        buses: vec![cobre_core::testing::bus(0, 1000.0)],
        ncs: vec![cobre_core::NonControllableSource {
            id: NcsId(0),
            name: "NCS0".into(),
            bus: BusId(0),
            max_generation_mw: 100.0,
            allow_curtailment: true,
            curtailment_cost_per_mwh: 0.001,
            service: Default::default(),
            operational_start_date: None,
        }],
        horizon: monthly_horizon(d(2024, 1, 1), 2, 1, 0),
        scenarios: scen,
        ..SystemParts::default()
    })
    .unwrap();
    let model = StochasticModel::build(&sys, &config(1, InflowNonNegativity::Penalty)).unwrap();
    assert_eq!(model.ncs_available_mw(0, 0, 0, &[]), 50.0);
}

/// One hydro at 100 ± 20 m³/s under PAR(1) (ψ* = 0.5, residual ratio
/// 0.85) over `stages` and `seasons`, after a December 2023 pre-study stage
/// whose observed inflow is 200 m³/s; load 50 MW.
fn par1_from_december(stages: Vec<Stage>, seasons: SeasonDefinitions) -> StochasticModel {
    let n = stages.len() as i32;
    let horizon = Horizon {
        stages,
        pre_study_stages: vec![PreStudyStage {
            id: StageId(-1),
            start_date: d(2023, 12, 1),
            end_date: d(2024, 1, 1),
            season: Some(SeasonId(11)),
        }],
        seasons: Some(seasons),
        ..Horizon::default()
    };
    let scen = ScenarioInputs {
        inflow_stats: (-1..n).map(|t| stat(0, t, 100.0, 20.0)).collect(),
        ar_coefficients: (0..n).map(|t| ar(0, t, 1, 0.5, 0.85)).collect(),
        load_stats: load_stats(n, 50.0),
        ..ScenarioInputs::default()
    };
    let initial = InitialConditions {
        recent_observations: vec![obs(0, d(2023, 12, 1), d(2024, 1, 1), 200.0)],
        ..InitialConditions::default()
    };
    StochasticModel::build(
        &system(1, horizon, scen, initial),
        &config(42, InflowNonNegativity::Truncation),
    )
    .unwrap()
}

/// Four weekly January stages under a monthly PAR(1): all read the December
/// lag (one lag slot, frozen until January ends) and share one noise draw.
#[test]
fn d29_weekly_stages_share_the_monthly_draw_and_the_december_lag() {
    case_dir("d29-weekly-par-noise-sharing");
    let stages: Vec<_> = (0..4)
        .map(|w| {
            stage(
                w,
                d(2024, 1, 1 + 7 * w as u32),
                d(2024, 1, 8 + 7 * w as u32),
                Some(0),
                5,
            )
        })
        .collect();
    let model = par1_from_december(stages, monthly_seasons());
    assert_eq!(model.max_order(), 1);
    assert_eq!(model.initial_lags(), &[200.0]);
    for t in 0..4 {
        assert_eq!(model.noise_group(t), 0);
        let st = model.inflow_stage(t);
        assert_eq!(st.psi, &[0.5]);
        assert_eq!(st.base[0], 50.0);
        assert!((st.sigma[0] - 17.0).abs() < 1e-12);
        assert_eq!(
            model.opening_tree().opening(t, 3),
            model.opening_tree().opening(0, 3)
        );
    }
    let source = ScenarioSourceConfig {
        seed: Some(42),
        inflow: SamplingScheme::OutOfSample,
        ..ScenarioSourceConfig::default()
    };
    let z = trajectory(&model, &source, 0);
    assert!(z.iter().all(|&v| v == z[0]), "{z:?}");
    let lags = lag_path(&model, &z);
    assert_eq!(
        &lags[..4],
        &[200.0; 4],
        "December until January is complete"
    );
    assert!(
        (lags[4] - z[0]).abs() < 1e-9,
        "the four equal weeks average to their inflow: {lags:?}"
    );
}

/// The lag each stage reads (and the one after the last stage) along a
/// trajectory of realised inflows `z[t]` of one hydro.
fn lag_path(model: &StochasticModel, z: &[f64]) -> Vec<f64> {
    let mut lags = model.initial_lags().to_vec();
    let mut next = lags.clone();
    let mut acc = model.lag_chain().accumulator();
    let mut out = vec![lags[0]];
    for (t, &zt) in z.iter().enumerate() {
        model
            .lag_chain()
            .advance(t, &lags, &[zt], &mut acc, &mut next);
        std::mem::swap(&mut lags, &mut next);
        out.push(lags[0]);
    }
    out
}

/// Monthly stages then quarterly custom seasons, as 0.18 chains them: the
/// first quarter reads June, the second the duration-weighted April–June
/// mean (the ring of the monthly stages), the third the mean of the first
/// two quarters, the fourth the third quarter.
#[test]
fn d30_quarterly_stages_read_the_lags_of_the_monthly_to_quarterly_ring() {
    case_dir("d30-multi-resolution-monthly-quarterly");
    let mut seasons: Vec<Season> = (0..12)
        .map(|m| Season {
            id: SeasonId(m),
            label: format!("M{m}"),
            month_start: m as u32 + 1,
            month_end: Some(m as u32 + 1),
            day_start: Some(1),
            day_end: Some(28),
        })
        .collect();
    for (id, ms) in [(12, 7), (13, 10), (14, 1), (15, 4)] {
        seasons.push(Season {
            id: SeasonId(id),
            label: format!("Q{id}"),
            month_start: ms,
            month_end: Some(ms + 2),
            day_start: Some(1),
            day_end: Some(30),
        });
    }
    let mut stages: Vec<_> = (0..6)
        .map(|m| {
            stage(
                m,
                d(2024, m as u32 + 1, 1),
                d(2024, m as u32 + 2, 1),
                Some(m as i32),
                5,
            )
        })
        .collect();
    for (i, (start, end, season)) in [
        (d(2024, 7, 1), d(2024, 10, 1), 12),
        (d(2024, 10, 1), d(2025, 1, 1), 13),
        (d(2025, 1, 1), d(2025, 4, 1), 14),
        (d(2025, 4, 1), d(2025, 7, 1), 15),
    ]
    .into_iter()
    .enumerate()
    {
        stages.push(stage(6 + i, start, end, Some(season), 5));
    }
    let model = par1_from_december(
        stages,
        SeasonDefinitions {
            cycle: SeasonCycle::Custom,
            seasons,
        },
    );
    assert_eq!(model.max_order(), 1);
    for t in 0..10 {
        assert_eq!(model.inflow_stage(t).psi, &[0.5]);
        assert_eq!(model.inflow_stage(t).base[0], 50.0);
    }
    assert_eq!(model.lag_chain().coarse_order(), 1);
    let z: Vec<f64> = (0..10).map(|t| 60.0 + 7.0 * t as f64).collect();
    let lags = lag_path(&model, &z);
    assert_eq!(&lags[..7], &[200.0, z[0], z[1], z[2], z[3], z[4], z[5]]);
    let q2 = (z[3] * 30.0 + z[4] * 31.0 + z[5] * 30.0) / 91.0;
    assert!((lags[7] - q2).abs() < 1e-9, "{lags:?}");
    assert!((lags[8] - (z[6] + z[7]) / 2.0).abs() < 1e-9, "{lags:?}");
    assert_eq!(lags[9], z[8]);
}

/// d28's horizon (five weekly stages with `weekly_openings` openings, then
/// a monthly one with 5) and its external inflow library: one scenario of
/// weekly values, five of the monthly one.
fn d28_weekly_monthly_external(weekly_openings: usize) -> (Horizon, ScenarioInputs) {
    let mut stages: Vec<_> = (0..5)
        .map(|w| {
            stage(
                w,
                d(2026, 4, 4) + chrono::Duration::days(7 * w as i64),
                d(2026, 4, 11) + chrono::Duration::days(7 * w as i64),
                Some(3),
                weekly_openings,
            )
        })
        .collect();
    stages.push(stage(5, d(2026, 5, 1), d(2026, 6, 1), Some(4), 5));
    let horizon = Horizon {
        stages,
        seasons: Some(monthly_seasons()),
        ..Horizon::default()
    };
    let mut external: Vec<ExternalValue<HydroId>> = [45.0, 55.0, 60.0, 50.0, 65.0]
        .iter()
        .enumerate()
        .map(|(t, &v)| ExternalValue {
            stage: StageId(t as i32),
            scenario: 0,
            entity: HydroId(0),
            value: v,
        })
        .collect();
    external.extend((0..5).map(|k| ExternalValue {
        stage: StageId(5),
        scenario: k,
        entity: HydroId(0),
        value: 40.0 + 10.0 * k as f64,
    }));
    let scen = ScenarioInputs {
        inflow_stats: (0..6).map(|t| stat(0, t, 60.0, 15.0)).collect(),
        external_inflows: external,
        ..ScenarioInputs::default()
    };
    (horizon, scen)
}

/// Weekly stages then a monthly one with external inflows: replaying the
/// external library reproduces its values (σ = 15 > 0 everywhere).
#[test]
fn d28_external_scenarios_replay_exactly_and_single_scenario_stages_repeat() {
    case_dir("d28-decomp-weekly-monthly");
    let (horizon, scen) = d28_weekly_monthly_external(1);
    let initial = InitialConditions {
        recent_observations: vec![obs(0, d(2026, 3, 28), d(2026, 4, 4), 50.0)],
        ..InitialConditions::default()
    };
    let model = StochasticModel::build(
        &system(1, horizon, scen, initial),
        &config(42, InflowNonNegativity::None),
    )
    .unwrap();
    assert_eq!(model.opening_tree().shape(), [6, 5, 1]);
    assert!(
        model.opening_tree().data()[1].is_nan(),
        "padding of a 1-opening stage"
    );
    let source = ScenarioSourceConfig {
        seed: Some(42),
        inflow: SamplingScheme::External,
        ..ScenarioSourceConfig::default()
    };
    for k in 0..5u64 {
        let z = trajectory(&model, &source, k);
        let want = [45.0, 55.0, 60.0, 50.0, 65.0, 40.0 + 10.0 * k as f64];
        for (a, b) in z.iter().zip(want) {
            assert!((a - b).abs() < 1e-9, "scenario {k}: {z:?}");
        }
    }
}

/// Trained on external inflows, a white-noise hydro's backward model takes
/// the library's per-stage moments (population std), the tree has no more
/// openings than scenarios, and each training trajectory replays one
/// scenario chosen by hash (the same at every stage).
#[test]
fn d28_external_training_takes_the_library_moments_and_hashes_the_scenario() {
    let (horizon, scen) = d28_weekly_monthly_external(3);
    let mut cfg = config(42, InflowNonNegativity::None);
    cfg.training.scenario_source.inflow = SamplingScheme::External;
    let model = StochasticModel::build(
        &system(1, horizon, scen, InitialConditions::default()),
        &cfg,
    )
    .unwrap();
    for (t, v) in [45.0, 55.0, 60.0, 50.0, 65.0].into_iter().enumerate() {
        assert_eq!(
            model.opening_tree().openings(t),
            1,
            "one scenario, one opening"
        );
        assert_eq!(model.inflow_stage(t).base, &[v]);
        assert_eq!(model.inflow_stage(t).sigma, &[0.0]);
    }
    assert_eq!(model.opening_tree().openings(5), 5);
    assert_eq!(model.inflow_stage(5).base, &[60.0]);
    assert!((model.inflow_stage(5).sigma[0] - 200f64.sqrt()).abs() < 1e-12);
    let sampler = sampler_for(&cfg.training.scenario_source, &model, 1, Phase::Training).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut noise = [0.0];
    let no_lags: [f64; 0] = [];
    for it in 1..40u64 {
        let mut z = [0.0];
        sampler.sample(&model, it, 0, 5, &mut noise);
        model.inflow(5, &no_lags, &noise, &mut z);
        seen.insert(z[0].round() as i64);
        sampler.sample(&model, it, 0, 2, &mut noise);
        model.inflow(2, &no_lags, &noise, &mut z);
        assert!((z[0] - 60.0).abs() < 1e-9);
    }
    assert_eq!(seen.len(), 5, "every May scenario is drawn: {seen:?}");
}
