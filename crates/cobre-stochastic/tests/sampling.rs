//! Replay samplers and per-class composition.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cobre_core::config::{InflowNonNegativity, SamplingScheme, ScenarioSourceConfig};
use cobre_core::scenario::{HistoricalInflow, ScenarioInputs};
use cobre_core::{HydroId, InitialConditions};
use cobre_stochastic::{sampler_for, Phase, StochasticError, StochasticModel};
use common::*;

fn history(years: std::ops::Range<i32>) -> Vec<HistoricalInflow> {
    years
        .flat_map(|y| {
            (1..=12).map(move |m| {
                let start = d(y, m, 1);
                HistoricalInflow {
                    hydro: HydroId(0),
                    start_date: start,
                    end_date: start.checked_add_months(chrono::Months::new(1)).unwrap(),
                    value_m3s: 100.0 + f64::from(y % 7) * 10.0 + f64::from(m),
                }
            })
        })
        .collect()
}

#[test]
fn historical_sampler_replays_history_windows_through_the_par_model() {
    let stages = 12;
    let scen = ScenarioInputs {
        inflow_stats: (-1..stages).map(|t| stat(0, t, 120.0, 15.0)).collect(),
        ar_coefficients: (0..stages).map(|t| ar(0, t, 1, 0.6, 0.8)).collect(),
        inflow_history: history(1990..2000),
        ..ScenarioInputs::default()
    };
    let initial = InitialConditions {
        recent_observations: vec![obs(0, d(2023, 12, 1), d(2024, 1, 1), 130.0)],
        ..InitialConditions::default()
    };
    let sys = system(
        1,
        monthly_horizon(d(2024, 1, 1), stages as usize, 3, 1),
        scen,
        initial,
    );
    let model = StochasticModel::build(&sys, &config(1, InflowNonNegativity::None)).unwrap();
    let source = ScenarioSourceConfig {
        seed: Some(1),
        inflow: SamplingScheme::Historical,
        historical_years: Some((1992, 1994)),
        ..ScenarioSourceConfig::default()
    };
    let sampler = sampler_for(&source, &model, 3, Phase::Simulation).unwrap();
    let mut noise = vec![0.0; model.num_noise_entities()];
    for scenario in 0..3u64 {
        let year = 1992 + scenario as i32;
        let mut lags = model.initial_lags().to_vec();
        let mut next = lags.clone();
        let mut acc = model.lag_chain().accumulator();
        for t in 0..stages as usize {
            sampler.sample(&model, 0, scenario, t, &mut noise);
            let mut z = [0.0];
            model.inflow(t, &lags, &noise[..1], &mut z);
            let want = 100.0 + f64::from(year % 7) * 10.0 + (t + 1) as f64;
            assert!(
                (z[0] - want).abs() < 1e-9,
                "year {year} stage {t}: {} vs {want}",
                z[0]
            );
            model.lag_chain().advance(t, &lags, &z, &mut acc, &mut next);
            std::mem::swap(&mut lags, &mut next);
        }
    }
}

#[test]
fn historical_scheme_without_covering_history_is_refused() {
    let scen = ScenarioInputs {
        inflow_stats: (0..3).map(|t| stat(0, t, 120.0, 15.0)).collect(),
        ..ScenarioInputs::default()
    };
    let sys = system(
        1,
        monthly_horizon(d(2024, 1, 1), 3, 1, 0),
        scen,
        InitialConditions::default(),
    );
    let model = StochasticModel::build(&sys, &config(1, InflowNonNegativity::None)).unwrap();
    let source = ScenarioSourceConfig {
        inflow: SamplingScheme::Historical,
        ..ScenarioSourceConfig::default()
    };
    assert!(matches!(
        sampler_for(&source, &model, 1, Phase::Simulation),
        Err(StochasticError::Sampler { .. })
    ));
    let external = ScenarioSourceConfig {
        inflow: SamplingScheme::External,
        ..ScenarioSourceConfig::default()
    };
    assert!(matches!(
        sampler_for(&external, &model, 1, Phase::Simulation),
        Err(StochasticError::Sampler { .. })
    ));
}

#[test]
fn in_sample_forward_noise_is_one_of_the_stage_openings() {
    let scen = ScenarioInputs {
        inflow_stats: (0..4).map(|t| stat(0, t, 120.0, 15.0)).collect(),
        ..ScenarioInputs::default()
    };
    let sys = system(
        1,
        monthly_horizon(d(2024, 1, 1), 4, 6, 0),
        scen,
        InitialConditions::default(),
    );
    let model = StochasticModel::build(&sys, &config(5, InflowNonNegativity::None)).unwrap();
    let sampler = sampler_for(
        &ScenarioSourceConfig::default(),
        &model,
        1,
        Phase::Simulation,
    )
    .unwrap();
    let mut noise = [0.0];
    let mut seen = std::collections::BTreeSet::new();
    for s in 0..200u64 {
        sampler.sample(&model, 1, s, 2, &mut noise);
        let k = sampler.opening(&model, 1, s, 2).unwrap();
        assert_eq!(noise, model.opening_tree().opening(2, k));
        seen.insert(k);
    }
    assert_eq!(seen.len(), 6, "every opening is drawn");
}

fn with_profile(matrix: Vec<f64>) -> Result<StochasticModel, StochasticError> {
    use cobre_core::scenario::{CorrelatedEntity, CorrelationInput, CorrelationProfile};
    let mut scen = ScenarioInputs::default();
    for h in 0..3 {
        scen.inflow_stats
            .extend((0..2).map(|t| stat(h, t, 100.0, 10.0)));
    }
    scen.correlation = Some(CorrelationInput {
        profiles: std::collections::BTreeMap::from([(
            "default".to_string(),
            CorrelationProfile {
                entities: (0..3)
                    .map(|h| CorrelatedEntity::Inflow(HydroId(h)))
                    .collect(),
                matrix,
            },
        )]),
        schedule: Default::default(),
    });
    let sys = system(
        3,
        monthly_horizon(d(2024, 1, 1), 2, 2000, 0),
        scen,
        InitialConditions::default(),
    );
    StochasticModel::build(&sys, &config(8, InflowNonNegativity::None))
}

#[test]
fn indefinite_correlation_is_repaired_and_structural_errors_are_refused() {
    // Jointly impossible: 1–2 and 2–3 strongly positive, 1–3 strongly negative.
    let model = with_profile(vec![1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0]).unwrap();
    let tree = model.opening_tree();
    let x: Vec<f64> = (0..2000).map(|k| tree.opening(0, k)[0]).collect();
    let y: Vec<f64> = (0..2000).map(|k| tree.opening(0, k)[1]).collect();
    let (_, sx) = mean_std(&x);
    assert!((sx - 1.0).abs() < 0.1, "unit variance kept: {sx}");
    assert!(corr(&x, &y) > 0.3, "positive pair stays positive");
    assert!(matches!(
        with_profile(vec![1.0, 0.5, 0.0, 0.4, 1.0, 0.0, 0.0, 0.0, 1.0]),
        Err(StochasticError::InvalidCorrelation { .. })
    ));
}
