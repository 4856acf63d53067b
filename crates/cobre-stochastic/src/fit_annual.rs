//! PAR(p)-A: periodic autoregression with an annual component
//! (`estimation.order_selection = "pacf_annual"`).
//!
//! The model of season `m` adds to the classical lags one regressor, the
//! rolling one-cycle average (12 months for a monthly cycle) ending one period
//! before:
//!
//! ```text
//! Z_t = Σ_{l=1..p} φ_{m,l} Z_{t−l} + ψ_m A*_{t−1} + ratio_m ε_t,
//! A_{t−1} = (1/W) Σ_{j=1..W} a_{t−j},   A* = (A − μ^A_{m−1}) / σ^A_{m−1},
//! ```
//!
//! where `μ^A, σ^A` are the seasonal mean and population std of the rolling
//! average grouped by the season of its last period. Order selection uses the
//! PACF *conditional on the annual regressor* (the last lag coefficient of the
//! order-`k` extended Yule–Walker system); when no lag is significant the order
//! is 1 unless the lag-1 value is structurally zero (a constant season). In
//! original units the annual term is `ψ_m · s_m/σ^A_{m−1} · (A_{t−1} − μ^A_{m−1})`,
//! i.e. `ψ̂/W` on each of the last `W` lags: the stochastic model compiles it
//! into `W` ordinary lag coefficients.

use crate::fit::{
    check_observations, pacf_threshold, periodic_autocorrelation, reduce_until_valid,
    seasonal_stats, standardise, FitFailure, FitSettings, FittedSeason, SeasonFit, SeasonalSeries,
};
use crate::linalg::solve;

/// Standardised rolling one-cycle averages `A*_i` (window ending at `i`) with
/// their seasonal means and stds (grouped by the season of `i`).
pub(crate) fn annual_series(series: &SeasonalSeries) -> (Vec<Option<f64>>, Vec<(f64, f64)>) {
    let w = series.num_seasons;
    let raw: Vec<Option<f64>> = (0..series.values.len())
        .map(|i| {
            if i + 1 < w {
                return None;
            }
            let window = &series.values[i + 1 - w..=i];
            let sum: Option<f64> = window.iter().copied().sum();
            sum.map(|s| s / w as f64)
        })
        .collect();
    let mut acc = vec![(0usize, 0.0f64, 0.0f64); w];
    for (i, a) in raw.iter().enumerate() {
        if let Some(a) = a {
            let e = &mut acc[series.season(i)];
            e.0 += 1;
            e.1 += a;
        }
    }
    let means: Vec<f64> = acc
        .iter()
        .map(|e| if e.0 > 0 { e.1 / e.0 as f64 } else { 0.0 })
        .collect();
    for (i, a) in raw.iter().enumerate() {
        if let Some(a) = a {
            let k = series.season(i);
            acc[k].2 += (a - means[k]).powi(2);
        }
    }
    let stats: Vec<(f64, f64)> = acc
        .iter()
        .zip(&means)
        .map(|(e, &mu)| {
            (
                mu,
                if e.0 > 0 {
                    (e.2 / e.0 as f64).sqrt()
                } else {
                    0.0
                },
            )
        })
        .collect();
    let std_series = raw
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let (mu, s) = stats[series.season(i)];
            a.map(|a| if s > 0.0 { (a - mu) / s } else { 0.0 })
        })
        .collect();
    (std_series, stats)
}

/// Sample means (population divisor) over the samples `t` of season `m`
/// having `A*_{t−1}` and `Z_t`: `E[Z_{t−i} A*_{t−1}]` for `i = 0..=p` and
/// `E[A*_{t−1}²]`.
fn annual_moments(
    z: &[Option<f64>],
    a: &[Option<f64>],
    series: &SeasonalSeries,
    m: usize,
    p: usize,
) -> (Vec<f64>, f64) {
    let mut sums = vec![0.0; p + 1];
    let mut counts = vec![0usize; p + 1];
    let (mut aa, mut na) = (0.0, 0usize);
    for t in 1..z.len() {
        if series.season(t) != m {
            continue;
        }
        let Some(at) = a[t - 1] else { continue };
        aa += at * at;
        na += 1;
        for i in 0..=p.min(t) {
            if let Some(zi) = z[t - i] {
                sums[i] += zi * at;
                counts[i] += 1;
            }
        }
    }
    let means = sums
        .iter()
        .zip(&counts)
        .map(|(s, &n)| if n > 0 { s / n as f64 } else { 0.0 })
        .collect();
    (means, if na > 0 { aa / na as f64 } else { 0.0 })
}

/// Extended periodic Yule–Walker of season `m` at order `p`: unknowns
/// `(φ_1..φ_p, ψ)`.
fn extended_yule_walker(
    rho: &[Vec<f64>],
    za: &[f64],
    aa: f64,
    m: usize,
    p: usize,
) -> Option<SeasonFit> {
    let ns = rho.len();
    let n = p + 1;
    let season = |back: usize| (m + ns - back % ns) % ns;
    let mut mat = vec![0.0; n * n];
    for i in 1..=p {
        for j in 1..=p {
            mat[(i - 1) * n + (j - 1)] = if i == j {
                1.0
            } else {
                rho[season(i.min(j))][i.abs_diff(j)]
            };
        }
        mat[(i - 1) * n + p] = za[i];
        mat[p * n + (i - 1)] = za[i];
    }
    mat[p * n + p] = aa;
    let mut rhs: Vec<f64> = (1..=p).map(|i| rho[m][i]).collect();
    rhs.push(za[0]);
    let mut sol = rhs.clone();
    solve(&mut mat, &mut sol, n)?;
    let explained: f64 = sol.iter().zip(&rhs).map(|(a, b)| a * b).sum();
    let annual = sol.pop();
    Some(SeasonFit {
        phi: sol,
        annual,
        var: 1.0 - explained,
    })
}

/// Fits PAR(p)-A to a series (see the module documentation).
///
/// # Errors
/// A [`FitFailure`] when a season has too few observations or the series is
/// shorter than one cycle plus one period.
pub fn fit_par_annual(
    series: &SeasonalSeries,
    settings: &FitSettings,
) -> Result<Vec<FittedSeason>, FitFailure> {
    let ns = series.num_seasons;
    let present = series.values.iter().filter(|v| v.is_some()).count();
    if present < ns + 1 {
        return Err(FitFailure(format!(
            "PAR(p)-A needs at least {} observations, the history has {present}",
            ns + 1
        )));
    }
    let stats = seasonal_stats(series);
    let fittable = check_observations(&stats, settings)?;
    let z = standardise(series, &stats);
    let (a, astats) = annual_series(series);
    let rho = periodic_autocorrelation(&z, series.first, ns, settings.max_order);
    let moments: Vec<(Vec<f64>, f64)> = (0..ns)
        .map(|m| annual_moments(&z, &a, series, m, settings.max_order))
        .collect();
    let solve_at = |m: usize, p: usize| {
        let (za, aa) = &moments[m];
        if *aa <= 1e-12 {
            // No annual variability: the classical system.
            return crate::fit::yule_walker(&rho, m, p).map(|(phi, var)| SeasonFit {
                phi,
                annual: Some(0.0),
                var,
            });
        }
        extended_yule_walker(&rho, za, *aa, m, p)
    };
    let mut fitted: Vec<FittedSeason> = (0..ns)
        .map(|m| {
            let (n, mean, std) = stats[m];
            let prev = (m + ns - 1) % ns;
            let pacf: Vec<f64> = (1..=settings.max_order)
                .map(|k| {
                    solve_at(m, k)
                        .and_then(|f| f.phi.last().copied())
                        .unwrap_or(0.0)
                })
                .collect();
            let thr = pacf_threshold(n);
            let lag1_defined = std > 0.0 && fittable[m] && pacf.first().is_some_and(|v| *v != 0.0);
            let selected = if !lag1_defined {
                0
            } else {
                pacf.iter()
                    .rposition(|v| v.abs() > thr)
                    .map_or(1, |k| k + 1)
            };
            FittedSeason {
                observations: n,
                mean,
                std,
                pacf,
                selected_order: selected.min(settings.max_order),
                coefficients: Vec::new(),
                residual_std_ratio: 1.0,
                annual_coefficient: Some(0.0),
                annual_mean: Some(astats[prev].0),
                annual_std: Some(astats[prev].1),
            }
        })
        .collect();
    let mut orders: Vec<usize> = fitted.iter().map(|f| f.selected_order).collect();
    reduce_until_valid(&mut orders, settings, solve_at, &mut fitted);
    Ok(fitted)
}
