//! Fitting PAR models from history.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cobre_core::config::{InflowNonNegativity, OrderSelection};
use cobre_core::scenario::{HistoricalInflow, ScenarioInputs};
use cobre_core::{HydroId, InitialConditions};
use cobre_stochastic::fit::{fit_par, FitSettings, SeasonalSeries};
use cobre_stochastic::StochasticModel;
use common::*;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_pcg::Pcg64;

/// Simulates a periodic AR(2) in original units: a_t − μ_m = φ1 (a_{t−1} − μ_{m−1})
/// + φ2 (a_{t−2} − μ_{m−2}) + σ_m ε.
fn simulate_par2(years: usize, phi: &[[f64; 2]], mu: &[f64], sigma: &[f64], seed: u64) -> Vec<f64> {
    let m = phi.len();
    let mut rng = Pcg64::seed_from_u64(seed);
    let burn = 50 * m;
    let mut dev = vec![0.0; years * m + burn];
    for t in 2..dev.len() {
        let s = t % m;
        let e: f64 = rng.sample(StandardNormal);
        dev[t] = phi[s][0] * dev[t - 1] + phi[s][1] * dev[t - 2] + sigma[s] * e;
    }
    (burn..dev.len()).map(|t| mu[t % m] + dev[t]).collect()
}

#[test]
fn par2_series_is_fitted_back_to_its_coefficients_and_order_2() {
    let phi = [[0.5, 0.3], [0.6, -0.35], [0.3, 0.4], [0.45, 0.25]];
    let mu = [100.0, 80.0, 60.0, 90.0];
    let sigma = [10.0, 6.0, 8.0, 12.0];
    let years = 4000;
    let values = simulate_par2(years, &phi, &mu, &sigma, 2024);
    let series = SeasonalSeries {
        num_seasons: 4,
        first: 0,
        values: values.into_iter().map(Some).collect(),
    };
    let settings = FitSettings {
        max_order: 4,
        min_observations: 30,
        max_coefficient: None,
    };
    let fitted = fit_par(&series, &settings).unwrap();
    for (m, f) in fitted.iter().enumerate() {
        assert_eq!(f.selected_order, 2, "season {m}: pacf {:?}", f.pacf);
        assert_eq!(f.coefficients.len(), 2, "season {m}");
        // Back to original units: ψ = ψ*·s_m/s_{m−l}.
        for l in 1..=2 {
            let prev = &fitted[(m + 4 - l) % 4];
            let psi = f.coefficients[l - 1] * f.std / prev.std;
            // Standard error of a YW coefficient with 4000 samples ≈ 0.02.
            assert!(
                (psi - phi[m][l - 1]).abs() < 0.08,
                "season {m} lag {l}: {psi} vs {}",
                phi[m][l - 1]
            );
        }
        // The residual ratio reproduces σ_m.
        assert!(
            (f.residual_std_ratio * f.std - sigma[m]).abs() < 0.05 * sigma[m],
            "season {m}"
        );
    }
}

#[test]
fn explosive_fit_is_reduced_to_a_stable_order() {
    use cobre_stochastic::fit::periodic_spectral_radius;
    // A random walk (φ = 1) is on the edge; its fit must come out stable.
    let mut rng = Pcg64::seed_from_u64(9);
    let mut x = 0.0;
    let values: Vec<Option<f64>> = (0..2400)
        .map(|_| {
            x += rng.sample::<f64, _>(StandardNormal);
            Some(x)
        })
        .collect();
    let series = SeasonalSeries {
        num_seasons: 12,
        first: 0,
        values,
    };
    let settings = FitSettings {
        max_order: 3,
        min_observations: 10,
        max_coefficient: None,
    };
    let fitted = fit_par(&series, &settings).unwrap();
    let phis: Vec<Vec<f64>> = fitted.iter().map(|f| f.coefficients.clone()).collect();
    assert!(periodic_spectral_radius(&phis) < 1.0);
}

fn monthly_history(h: i32, first_year: i32, values: &[f64]) -> Vec<HistoricalInflow> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let start = d(first_year, 1, 1)
                .checked_add_months(chrono::Months::new(i as u32))
                .unwrap();
            HistoricalInflow {
                hydro: HydroId(h),
                start_date: start,
                end_date: start.checked_add_months(chrono::Months::new(1)).unwrap(),
                value_m3s: v,
            }
        })
        .collect()
}

/// A d26-shaped case: 40 years of monthly history, PACF up to 3, 12 stages.
#[test]
fn model_fitted_from_history_reports_orders_and_compiles_lags() {
    let phi: Vec<[f64; 2]> = (0..12)
        .map(|m| [0.5 + 0.02 * m as f64, if m % 3 == 0 { 0.3 } else { 0.0 }])
        .collect();
    let mu: Vec<f64> = (0..12)
        .map(|m| 150.0 + 40.0 * (m as f64 / 2.0).cos())
        .collect();
    let sigma = vec![30.0; 12];
    let values = simulate_par2(40, &phi, &mu, &sigma, 26);
    let scen = ScenarioInputs {
        inflow_history: monthly_history(0, 1981, &values),
        ..ScenarioInputs::default()
    };
    let initial = InitialConditions {
        recent_observations: vec![
            obs(0, d(2023, 11, 1), d(2023, 12, 1), 200.0),
            obs(0, d(2023, 12, 1), d(2024, 1, 1), 180.0),
        ],
        ..InitialConditions::default()
    };
    let mut cfg = config(1, InflowNonNegativity::Truncation);
    cfg.estimation.max_order = 3;
    cfg.estimation.min_observations_per_season = 20;
    let model = StochasticModel::build(
        &system(1, monthly_horizon(d(2024, 1, 1), 12, 1, 2), scen, initial),
        &cfg,
    )
    .unwrap();
    let report = model.fit_report().unwrap();
    assert!(!report.annual);
    let orders: Vec<usize> = report.hydros[0]
        .seasons
        .iter()
        .map(|s| s.1.coefficients.len())
        .collect();
    assert!(orders.iter().all(|&o| o <= 3));
    assert_eq!(model.max_order(), orders.iter().copied().max().unwrap());
    // Stage 0 (January) reads December = 180 and November = 200 from the observations.
    let l = model.max_order().min(2);
    assert!(l >= 1);
    assert_eq!(&model.initial_lags()[..l], &[180.0, 200.0][..l]);
    // Deterministic base + lag term reproduces the seasonal mean at mean lags.
    let jan = &report.hydros[0].seasons[0].1;
    let st = model.inflow_stage(0);
    assert!((st.sigma[0] - jan.std * jan.residual_std_ratio).abs() < 1e-9);
}

/// A d12-shaped case: PAR(p)-A compiles the annual term into 12 lag slots.
#[test]
fn annual_component_fit_spreads_over_twelve_lags() {
    let mut rng = Pcg64::seed_from_u64(12);
    // Monthly series with a slowly varying annual level.
    let mut level = 0.0;
    let values: Vec<f64> = (0..30 * 12)
        .map(|t| {
            if t % 12 == 0 {
                level = 0.8 * level + 20.0 * rng.sample::<f64, _>(StandardNormal);
            }
            150.0
                + 30.0 * ((t % 12) as f64 / 2.0).sin()
                + level
                + 10.0 * rng.sample::<f64, _>(StandardNormal)
        })
        .collect();
    let scen = ScenarioInputs {
        inflow_history: [
            monthly_history(0, 1979, &values),
            monthly_history(1, 1979, &values.iter().map(|v| v * 0.5).collect::<Vec<_>>()),
        ]
        .concat(),
        ..ScenarioInputs::default()
    };
    let initial = two_hydro_november_december();
    let mut cfg = config(1, InflowNonNegativity::Truncation);
    cfg.estimation.max_order = 6;
    cfg.estimation.order_selection = OrderSelection::PacfAnnual;
    cfg.estimation.min_observations_per_season = 4;
    let model = StochasticModel::build(
        &system(2, monthly_horizon(d(2024, 1, 1), 24, 1, 2), scen, initial),
        &cfg,
    )
    .unwrap();
    let report = model.fit_report().unwrap();
    assert!(report.annual);
    assert!(report.hydros[0]
        .seasons
        .iter()
        .any(|s| s.1.annual_coefficient.unwrap_or(0.0) != 0.0));
    assert_eq!(model.max_order(), 12);
    // Identical (scaled) histories: residuals perfectly correlated.
    let c = report.residual_correlation.as_ref().unwrap();
    assert!((c[1] - 1.0).abs() < 1e-9, "{c:?}");
}
