//! Moments of generated inflows against the model, within bounds derived
//! from the standard errors of the estimators (fixed seeds).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cobre_core::config::InflowNonNegativity;
use cobre_core::scenario::{
    CorrelatedEntity, CorrelationInput, CorrelationProfile, ScenarioInputs,
};
use cobre_core::{HydroId, InitialConditions};
use cobre_stochastic::sampling::OutOfSample;
use cobre_stochastic::{ForwardSampler, StochasticModel};
use common::*;
use std::collections::BTreeMap;

/// Simulates `n` trajectories with fresh noise; returns `z[s][t][h]` flattened.
fn simulate(model: &StochasticModel, n: usize, seed: u64) -> Vec<f64> {
    let (nh, ns, l) = (model.num_hydros(), model.num_stages(), model.max_order());
    let sampler = OutOfSample { seed };
    let mut out = vec![0.0; n * ns * nh];
    let mut noise = vec![0.0; model.num_noise_entities()];
    let (mut lags, mut next) = (vec![0.0; nh * l], vec![0.0; nh * l]);
    let inflow = model.noise_layout().inflow;
    let mut acc = model.lag_chain().accumulator();
    for s in 0..n {
        lags.copy_from_slice(model.initial_lags());
        model.lag_chain().restart(&mut acc);
        for t in 0..ns {
            sampler.sample(model, 0, s as u64, t, &mut noise);
            let z = &mut out[(s * ns + t) * nh..(s * ns + t + 1) * nh];
            model.inflow(t, &lags, &noise[inflow.clone()], z);
            model.lag_chain().advance(t, &lags, z, &mut acc, &mut next);
            std::mem::swap(&mut lags, &mut next);
        }
    }
    out
}

#[test]
fn par1_inflows_match_the_analytical_stationary_variance() {
    // z_t − μ = 0.6 (z_{t−1} − μ) + σ ε with σ = s·ratio = 20·0.5 = 10:
    // stationary variance σ²/(1 − φ²) = 156.25, lag-1 correlation φ.
    let (phi, mu, s, ratio, stages) = (0.6, 100.0, 20.0, 0.5, 60);
    let horizon = monthly_horizon(d(2024, 1, 1), stages, 5, 1);
    let scen = ScenarioInputs {
        inflow_stats: (-1..stages as i32).map(|t| stat(0, t, mu, s)).collect(),
        ar_coefficients: (0..stages as i32)
            .map(|t| ar(0, t, 1, phi, ratio))
            .collect(),
        ..ScenarioInputs::default()
    };
    let initial = InitialConditions {
        recent_observations: vec![obs(0, d(2023, 12, 1), d(2024, 1, 1), mu)],
        ..InitialConditions::default()
    };
    let model = StochasticModel::build(
        &system(1, horizon, scen, initial),
        &config(7, InflowNonNegativity::None),
    )
    .unwrap();
    let n_traj = 2500;
    let z = simulate(&model, n_traj, 11);
    let burn = 20;
    let mut x = Vec::new();
    let mut prev = Vec::new();
    for sc in 0..n_traj {
        for t in burn..stages {
            x.push(z[sc * stages + t]);
            prev.push(z[sc * stages + t - 1]);
        }
    }
    let n = x.len() as f64;
    assert_eq!(x.len(), 100_000);
    let var_inf = (s * ratio).powi(2) / (1.0 - phi * phi);
    let (m, sd) = mean_std(&x);
    // Standard errors for an AR(1) sample (large-sample formulas).
    let se_mean = (var_inf * (1.0 + phi) / (1.0 - phi) / n).sqrt();
    let se_var = var_inf * (2.0 * (1.0 + phi * phi) / (1.0 - phi * phi) / n).sqrt();
    let se_r1 = ((1.0 - phi * phi) / n).sqrt();
    assert!(
        (m - mu).abs() < 4.0 * se_mean,
        "mean {m} vs {mu} (se {se_mean})"
    );
    assert!(
        (sd * sd - var_inf).abs() < 4.0 * se_var,
        "variance {} vs {var_inf} (se {se_var})",
        sd * sd
    );
    let r1 = corr(&x, &prev);
    assert!(
        (r1 - phi).abs() < 4.0 * se_r1,
        "lag-1 {r1} vs {phi} (se {se_r1})"
    );
}

#[test]
fn correlated_periodic_inflows_match_model_moments_stage_by_stage() {
    let (nh, stages, n) = (3usize, 24usize, 100_000usize);
    let mu = |h: usize, m: usize| 100.0 * (h as f64 + 1.0) + 30.0 * ((m as f64) * 0.5).sin();
    let sd = |h: usize, m: usize| 10.0 + 2.0 * h as f64 + (m % 4) as f64;
    let phi = |h: usize, m: usize| 0.2 + 0.1 * h as f64 + 0.04 * (m % 6) as f64;
    let rho = [1.0, 0.7, 0.3, 0.7, 1.0, 0.5, 0.3, 0.5, 1.0];
    let horizon = monthly_horizon(d(2024, 1, 1), stages, 5, 1);
    let season = |t: i32| ((t % 12) + 12) as usize % 12;
    let mut scen = ScenarioInputs::default();
    for h in 0..nh {
        for t in -1..stages as i32 {
            scen.inflow_stats
                .push(stat(h as i32, t, mu(h, season(t)), sd(h, season(t))));
            if t >= 0 {
                let p = phi(h, season(t));
                scen.ar_coefficients
                    .push(ar(h as i32, t, 1, p, (1.0 - p * p).sqrt()));
            }
        }
    }
    scen.correlation = Some(CorrelationInput {
        profiles: BTreeMap::from([(
            "default".to_string(),
            CorrelationProfile {
                entities: (0..nh as i32)
                    .map(|h| CorrelatedEntity::Inflow(HydroId(h)))
                    .collect(),
                matrix: rho.to_vec(),
            },
        )]),
        schedule: BTreeMap::new(),
    });
    let initial = InitialConditions {
        recent_observations: (0..nh)
            .map(|h| obs(h as i32, d(2023, 12, 1), d(2024, 1, 1), mu(h, 11)))
            .collect(),
        ..InitialConditions::default()
    };
    let model = StochasticModel::build(
        &system(nh, horizon, scen, initial),
        &config(3, InflowNonNegativity::None),
    )
    .unwrap();
    let z = simulate(&model, n, 5);
    let col =
        |t: usize, h: usize| -> Vec<f64> { (0..n).map(|s| z[(s * stages + t) * nh + h]).collect() };
    // Exact model moments of the standardised process from the known start
    // (Z_{−1} = 0): V_t = φ²V_{t−1} + (1 − φ²), C_t = φaφb C_{t−1} + ra rb ρab.
    let mut v = vec![0.0; nh];
    let mut c = vec![0.0; nh * nh];
    let nf = n as f64;
    for t in 0..stages {
        let m = t % 12;
        let v_prev = v.clone();
        for a in 0..nh {
            for b in 0..nh {
                let (pa, pb) = (phi(a, m), phi(b, m));
                let cab = if a == b { v[a] } else { c[a * nh + b] };
                let r = if a == b { 1.0 } else { rho[a * nh + b] };
                c[a * nh + b] = pa * pb * cab + (1.0 - pa * pa).sqrt() * (1.0 - pb * pb).sqrt() * r;
            }
        }
        for a in 0..nh {
            v[a] = c[a * nh + a];
        }
        for h in 0..nh {
            let x = col(t, h);
            let (m_hat, s_hat) = mean_std(&x);
            let s_true = sd(h, m) * v[h].sqrt();
            assert!(
                (m_hat - mu(h, m)).abs() < 4.5 * s_true / nf.sqrt(),
                "mean t{t} h{h}: {m_hat} vs {}",
                mu(h, m)
            );
            assert!(
                (s_hat - s_true).abs() < 4.5 * s_true / (2.0 * nf).sqrt(),
                "std t{t} h{h}: {s_hat} vs {s_true}"
            );
            if t > 0 {
                let r_true = phi(h, m) * (v_prev[h] / v[h]).sqrt();
                let r_hat = corr(&x, &col(t - 1, h));
                assert!(
                    (r_hat - r_true).abs() < 4.5 * (1.0 - r_true * r_true) / nf.sqrt(),
                    "lag-1 t{t} h{h}: {r_hat} vs {r_true}"
                );
            }
            for b in 0..h {
                let r_true = c[h * nh + b] / (v[h] * v[b]).sqrt();
                let r_hat = corr(&x, &col(t, b));
                assert!(
                    (r_hat - r_true).abs() < 4.5 * (1.0 - r_true * r_true) / nf.sqrt(),
                    "cross t{t} {h}-{b}: {r_hat} vs {r_true}"
                );
            }
        }
    }
}
