//! Opening tree and forward-scenario generation at production size:
//! 160 hydros × 60 monthly stages, PAR(2), 20 openings per stage,
//! 10,000 forward trajectories (noise + inflow + lag update per stage).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use cobre_core::config::InflowNonNegativity;
use cobre_core::scenario::ScenarioInputs;
use cobre_core::{InitialConditions, StudyConfig, System};
use cobre_stochastic::sampling::{InSample, OutOfSample};
use cobre_stochastic::{ForwardSampler, StochasticModel};
use common::{ar, config, d, monthly_horizon, stat, system};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const HYDROS: i32 = 160;
const STAGES: i32 = 60;
const OPENINGS: usize = 20;
const SCENARIOS: u64 = 10_000;

/// The production-size case: monthly stages from January 2024 after two
/// pre-study months, every hydro with seasonal statistics and PAR(2).
fn case() -> (System, StudyConfig) {
    let mut scen = ScenarioInputs::default();
    for h in 0..HYDROS {
        for t in -2..STAGES {
            let m = ((t % 12) + 12) % 12;
            scen.inflow_stats
                .push(stat(h, t, 500.0 + 50.0 * m as f64, 100.0 + 5.0 * m as f64));
            if t >= 0 {
                for (lag, c) in [(1, 0.6), (2, 0.15)] {
                    scen.ar_coefficients.push(ar(h, t, lag, c, 0.75));
                }
            }
        }
    }
    let horizon = monthly_horizon(d(2024, 1, 1), STAGES as usize, OPENINGS, 2);
    let system = system(HYDROS as usize, horizon, scen, InitialConditions::default());
    (system, config(1, InflowNonNegativity::Truncation))
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
            model
                .lag_chain()
                .advance(t, &lags, &z, &mut chain, &mut next);
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
