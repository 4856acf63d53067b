//! Same seed ⇒ bit-identical trees and forward scenarios for any thread count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cobre_core::config::{InflowNonNegativity, SamplingScheme, ScenarioSourceConfig};
use cobre_core::scenario::ScenarioInputs;
use cobre_core::InitialConditions;
use cobre_stochastic::{sampler_for, StochasticModel};
use common::*;
use rayon::prelude::*;

fn case() -> (cobre_core::System, cobre_core::StudyConfig) {
    let (nh, stages) = (6, 12);
    let mut scen = ScenarioInputs::default();
    for h in 0..nh {
        for t in -2..stages {
            scen.inflow_stats.push(stat(h, t, 100.0 + h as f64, 20.0));
            if t >= 0 {
                scen.ar_coefficients.push(ar(h, t, 1, 0.5, 0.8));
                scen.ar_coefficients.push(ar(h, t, 2, 0.2, 0.8));
            }
        }
    }
    let initial = InitialConditions {
        recent_observations: (0..nh)
            .flat_map(|h| {
                [
                    obs(h, d(2023, 11, 1), d(2023, 12, 1), 90.0),
                    obs(h, d(2023, 12, 1), d(2024, 1, 1), 95.0),
                ]
            })
            .collect(),
        ..InitialConditions::default()
    };
    let sys = system(
        nh as usize,
        monthly_horizon(d(2024, 1, 1), stages as usize, 7, 2),
        scen,
        initial,
    );
    (sys, config(2024, InflowNonNegativity::Truncation))
}

/// Builds the model and 64 forward trajectories of noise inside a pool of `threads`.
fn run(threads: usize, scheme: SamplingScheme) -> (Vec<u64>, Vec<u64>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let (sys, cfg) = case();
        let model = StochasticModel::build(&sys, &cfg).unwrap();
        let source = ScenarioSourceConfig {
            seed: Some(99),
            inflow: scheme,
            load: scheme,
            ncs: scheme,
            historical_years: None,
        };
        let sampler = sampler_for(&source, &model, 64).unwrap();
        let dim = model.num_noise_entities();
        let noise: Vec<f64> = (0..64u64)
            .into_par_iter()
            .flat_map_iter(|s| {
                let mut all = vec![0.0; model.num_stages() * dim];
                for (t, row) in all.chunks_mut(dim).enumerate() {
                    sampler.sample(&model, 3, s, t, row);
                }
                all
            })
            .collect();
        let tree = model
            .opening_tree()
            .data()
            .iter()
            .map(|x| x.to_bits())
            .collect();
        (tree, noise.iter().map(|x| x.to_bits()).collect())
    })
}

#[test]
fn opening_tree_and_in_sample_scenarios_are_identical_for_1_2_and_8_threads() {
    let one = run(1, SamplingScheme::InSample);
    assert_eq!(one, run(2, SamplingScheme::InSample));
    assert_eq!(one, run(8, SamplingScheme::InSample));
}

#[test]
fn out_of_sample_scenarios_are_identical_for_1_2_and_8_threads() {
    let one = run(1, SamplingScheme::OutOfSample);
    assert_eq!(one, run(2, SamplingScheme::OutOfSample));
    assert_eq!(one, run(8, SamplingScheme::OutOfSample));
}

#[test]
fn the_tree_follows_the_tree_seed_and_not_the_scenario_seed() {
    let (sys, cfg) = case();
    let a = StochasticModel::build(&sys, &cfg).unwrap();
    let mut other_tree = cfg.clone();
    other_tree.training.tree_seed = Some(1);
    let b = StochasticModel::build(&sys, &other_tree).unwrap();
    assert_ne!(a.opening_tree().data(), b.opening_tree().data());
    assert_eq!(a.opening_tree().shape(), [12, 7, 6]);
    // As in Cobre 0.18, the forward-sampling seed does not move the tree.
    let mut other_scenarios = cfg.clone();
    other_scenarios.training.scenario_source.seed = Some(1);
    let c = StochasticModel::build(&sys, &other_scenarios).unwrap();
    assert_eq!(a.opening_tree().data(), c.opening_tree().data());
}
