//! Fitting periodic autoregressive models to a seasonal series.
//!
//! The procedure (for each hydro):
//!
//! 1. seasonal mean and **population** standard deviation of each season;
//! 2. periodic autocorrelations `ρ_m(l) = E[Z_t Z_{t−l}]` for `t` in season `m`
//!    on the standardised series `Z`;
//! 3. periodic Yule–Walker at order `k`: `R φ = r` with
//!    `R[i][j] = ρ_{m−min(i,j)}(|i−j|)` (the covariance of `Z_{t−i}` and `Z_{t−j}`)
//!    and `r[i] = ρ_m(i)`; the last coefficient of the order-`k` solution is the
//!    periodic partial autocorrelation `PACF_m(k)`;
//! 4. order selection: the largest `k ≤ max_order` with
//!    `|PACF_m(k)| > 1.96/√N_m` (0 when none);
//! 5. order reduction: while a season's fit has a non-positive residual variance
//!    or a coefficient above `max_coefficient_magnitude`, or the periodic model
//!    is not stable (spectral radius of the product of the seasons' companion
//!    matrices over one cycle ≥ 1), the order of the offending season (for
//!    instability: the season with the highest order, then the largest `Σ|φ|`)
//!    is reduced by one and that season is refitted.
//!
//! A season with fewer than `min_observations_per_season` observations is
//! white noise (order 0). The annual variant (`pacf_annual`, PAR(p)-A) lives in [`crate::fit_annual`].

use crate::linalg::{mat_mul, solve, spectral_radius};

/// A chronological series on the season grid: `values[i]` is the observation
/// of season `(first + i) % num_seasons`, `None` when missing.
#[derive(Debug, Clone, PartialEq)]
pub struct SeasonalSeries {
    /// Number of seasons in one cycle (12 for monthly).
    pub num_seasons: usize,
    /// Season of `values[0]`.
    pub first: usize,
    /// Observations (m³/s).
    pub values: Vec<Option<f64>>,
}

/// Settings of a fit (from `config.estimation`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitSettings {
    /// Maximum AR order.
    pub max_order: usize,
    /// Minimum observations of every season.
    pub min_observations: usize,
    /// Largest admissible coefficient magnitude, when set.
    pub max_coefficient: Option<f64>,
}

/// The fitted model of one season.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedSeason {
    /// Observations of the season.
    pub observations: usize,
    /// Seasonal mean (m³/s).
    pub mean: f64,
    /// Seasonal population standard deviation (m³/s).
    pub std: f64,
    /// Periodic PACF at lags 1..=max_order.
    pub pacf: Vec<f64>,
    /// Order chosen by the PACF rule.
    pub selected_order: usize,
    /// Standardised coefficients `ψ*` of lags 1..=order after reductions.
    pub coefficients: Vec<f64>,
    /// `σ/s`: residual standard deviation over seasonal standard deviation.
    pub residual_std_ratio: f64,
    /// Standardised annual coefficient (PAR(p)-A only).
    pub annual_coefficient: Option<f64>,
    /// Mean of the 12-period rolling average ending at this season (PAR(p)-A).
    pub annual_mean: Option<f64>,
    /// Population std of that rolling average (PAR(p)-A).
    pub annual_std: Option<f64>,
}

/// Why a series could not be fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct FitFailure(pub String);

impl SeasonalSeries {
    /// Season of position `i`.
    #[must_use]
    pub fn season(&self, i: usize) -> usize {
        (self.first + i) % self.num_seasons.max(1)
    }
}

/// Seasonal means and population standard deviations, with counts.
///
/// A degenerate season (see [`degenerate_season`]) gets its override
/// `(value, 0)`: std 0 makes it white noise on every fitting path and, in
/// a full estimation, a deterministic inflow equal to that value.
pub(crate) fn seasonal_stats(series: &SeasonalSeries) -> Vec<(usize, f64, f64)> {
    let m = series.num_seasons;
    let mut groups: Vec<Vec<f64>> = vec![Vec::new(); m];
    for (i, v) in series.values.iter().enumerate() {
        if let Some(v) = v {
            groups[series.season(i)].push(*v);
        }
    }
    groups
        .iter()
        .enumerate()
        .map(|(k, g)| {
            let n = g.len();
            if n == 0 {
                return (0, 0.0, 0.0);
            }
            let mean = g.iter().sum::<f64>() / n as f64;
            let var = g.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
            match degenerate_season(g) {
                Some(value) => {
                    tracing::debug!(
                        season = k,
                        value,
                        "degenerate inflow history season (constant or mostly one value): white noise"
                    );
                    (n, value, 0.0)
                }
                None => (n, mean, var.sqrt()),
            }
        })
        .collect()
}

/// Cobre 0.18's classification of one season's observations: `Some(value)`
/// when the season is degenerate and fitted as the constant `value` with
/// std 0 —
///
/// * **constant**: every observation within `1e-6` of the first (`value` =
///   the first);
/// * **saturated**: more than half the observations, rounded to integers
///   (the historical inflow format is whole m³/s), share one value (`value`
///   = that mode) — unless more than 10 % are strictly negative, which
///   marks an incremental series that is fitted as it is.
pub(crate) fn degenerate_season(values: &[f64]) -> Option<f64> {
    let first = *values.first()?;
    if values.iter().all(|v| (v - first).abs() < 1e-6) {
        return Some(first);
    }
    let n = values.len();
    let negative = values.iter().filter(|&&v| v < 0.0).count();
    if negative as f64 / n as f64 > 0.10 {
        return None;
    }
    let mut rounded: Vec<i64> = values.iter().map(|v| v.round() as i64).collect();
    rounded.sort_unstable();
    let (mut best, mut best_count, mut run) = (rounded[0], 0usize, 0usize);
    for (i, &r) in rounded.iter().enumerate() {
        run = if i > 0 && rounded[i - 1] == r {
            run + 1
        } else {
            1
        };
        if run > best_count {
            best_count = run;
            best = r;
        }
    }
    (best_count as f64 / n as f64 > 0.5).then_some(best as f64)
}

/// The standardised series (`None` where missing; 0 where the season's std is 0).
pub(crate) fn standardise(
    series: &SeasonalSeries,
    stats: &[(usize, f64, f64)],
) -> Vec<Option<f64>> {
    series
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (_, mu, s) = stats[series.season(i)];
            v.map(|v| {
                if s > 1e-12 * mu.abs().max(1.0) {
                    (v - mu) / s
                } else {
                    0.0
                }
            })
        })
        .collect()
}

/// `ρ_m(l)` for all seasons and lags `0..=max_lag`, as `rho[m][l]`.
pub(crate) fn periodic_autocorrelation(
    z: &[Option<f64>],
    first: usize,
    num_seasons: usize,
    max_lag: usize,
) -> Vec<Vec<f64>> {
    let mut rho = vec![vec![0.0; max_lag + 1]; num_seasons];
    for (m, row) in rho.iter_mut().enumerate() {
        row[0] = 1.0;
        for (l, cell) in row.iter_mut().enumerate().skip(1) {
            let (mut s, mut n) = (0.0, 0usize);
            for i in l..z.len() {
                if (first + i) % num_seasons != m {
                    continue;
                }
                if let (Some(a), Some(b)) = (z[i], z[i - l]) {
                    s += a * b;
                    n += 1;
                }
            }
            *cell = if n > 0 { s / n as f64 } else { 0.0 };
        }
    }
    rho
}

/// Periodic Yule–Walker solution of season `m` at order `p`, with the
/// residual variance ratio `1 − φ·r`; `None` if the system is singular.
pub(crate) fn yule_walker(rho: &[Vec<f64>], m: usize, p: usize) -> Option<(Vec<f64>, f64)> {
    let ns = rho.len();
    if p == 0 {
        return Some((Vec::new(), 1.0));
    }
    let season = |back: usize| (m + ns - back % ns) % ns;
    let mut a = vec![0.0; p * p];
    for i in 1..=p {
        for j in 1..=p {
            a[(i - 1) * p + (j - 1)] = if i == j {
                1.0
            } else {
                rho[season(i.min(j))][i.abs_diff(j)]
            };
        }
    }
    let r: Vec<f64> = (1..=p).map(|i| rho[m][i]).collect();
    let mut phi = r.clone();
    solve(&mut a, &mut phi, p)?;
    let explained: f64 = phi.iter().zip(&r).map(|(a, b)| a * b).sum();
    Some((phi, 1.0 - explained))
}

/// Contributions of lags `1..=order` of season `m` composed through the
/// periodic chain (Maceira–Damazio): `c_1 = f_m(1)` and, row by row,
/// `A_i(j) = A_{i−1}(0)·f_{m−i}(j) + A_{i−1}(j + 1)`, `c_{i+1} = A_i(0)`, where
/// `f_s(l) = φ_{s,l} · s_s / s_{s−l}` (0 beyond the season's order or when
/// the lagged std is 0). A negative contribution marks an oscillating model.
pub(crate) fn lag_contributions(m: usize, order: usize, phi: &[Vec<f64>], std: &[f64]) -> Vec<f64> {
    let ns = phi.len();
    if order == 0 || ns == 0 {
        return Vec::new();
    }
    let f = |s: usize, j: usize| -> f64 {
        let Some(&c) = phi[s].get(j) else { return 0.0 };
        let lagged = (s + ns - (j + 1) % ns) % ns;
        if std[lagged] == 0.0 {
            0.0
        } else {
            c * std[s] / std[lagged]
        }
    };
    let mut row: Vec<f64> = (0..order).map(|j| f(m, j)).collect();
    let mut out = vec![row[0]];
    for i in 1..order {
        let s = (m + ns - i % ns) % ns;
        let next: Vec<f64> = (0..order - i)
            .map(|j| row[0] * f(s, j) + row[j + 1])
            .collect();
        out.push(next[0]);
        row = next;
    }
    out
}

/// Critical value of the PACF test for `n` observations (95 %).
pub(crate) fn pacf_threshold(n: usize) -> f64 {
    1.96 / (n.max(1) as f64).sqrt()
}

/// Spectral radius of the periodic model's monodromy matrix (product over one
/// cycle of the seasons' companion matrices). Below 1 means stable.
#[must_use]
pub fn periodic_spectral_radius(coefficients: &[Vec<f64>]) -> f64 {
    let p = coefficients.iter().map(Vec::len).max().unwrap_or(0);
    if p == 0 {
        return 0.0;
    }
    let mut prod = vec![0.0; p * p];
    for i in 0..p {
        prod[i * p + i] = 1.0;
    }
    for phi in coefficients {
        let mut c = vec![0.0; p * p];
        for (j, &v) in phi.iter().enumerate() {
            c[j] = v;
        }
        for i in 1..p {
            c[i * p + i - 1] = 1.0;
        }
        prod = mat_mul(&c, &prod, p);
    }
    spectral_radius(&prod, p)
}

/// Fits a classical PAR(p) to a series (see the module documentation).
///
/// # Errors
/// A [`FitFailure`] when a season has fewer observations than required.
pub fn fit_par(
    series: &SeasonalSeries,
    settings: &FitSettings,
) -> Result<Vec<FittedSeason>, FitFailure> {
    let ns = series.num_seasons;
    let stats = seasonal_stats(series);
    let fittable = check_observations(&stats, settings)?;
    let z = standardise(series, &stats);
    let rho = periodic_autocorrelation(&z, series.first, ns, settings.max_order);
    let mut fitted: Vec<FittedSeason> = (0..ns)
        .map(|m| {
            let (n, mean, std) = stats[m];
            let pacf: Vec<f64> = (1..=settings.max_order)
                .map(|k| {
                    yule_walker(&rho, m, k)
                        .and_then(|(phi, _)| phi.last().copied())
                        .unwrap_or(0.0)
                })
                .collect();
            let thr = pacf_threshold(n);
            let selected = if std > 0.0 && fittable[m] {
                pacf.iter()
                    .rposition(|v| v.abs() > thr)
                    .map_or(0, |k| k + 1)
            } else {
                0
            };
            FittedSeason {
                observations: n,
                mean,
                std,
                pacf,
                selected_order: selected,
                coefficients: Vec::new(),
                residual_std_ratio: 1.0,
                annual_coefficient: None,
                annual_mean: None,
                annual_std: None,
            }
        })
        .collect();
    let mut orders: Vec<usize> = fitted.iter().map(|f| f.selected_order).collect();
    let refit = |m: usize, p: usize| {
        yule_walker(&rho, m, p).map(|(phi, var)| SeasonFit {
            phi,
            annual: None,
            var,
        })
    };
    reduce_until_valid(&mut orders, settings, refit, &mut fitted);
    Ok(fitted)
}

/// Checks the observation counts: a season with fewer than
/// `min_observations` is not fitted (white noise: order 0, ratio 1, with a
/// warning); the returned flags say which seasons may get an AR model.
pub(crate) fn check_observations(
    stats: &[(usize, f64, f64)],
    settings: &FitSettings,
) -> Result<Vec<bool>, FitFailure> {
    if stats.iter().all(|s| s.0 < 2) {
        return Err(FitFailure(
            "the history has fewer than 2 observations of every season".into(),
        ));
    }
    Ok(stats
        .iter()
        .enumerate()
        .map(|(m, &(n, _, _))| {
            let ok = n >= settings.min_observations.max(2);
            if !ok {
                tracing::warn!(
                    season = m,
                    observations = n,
                    required = settings.min_observations,
                    "too few observations: season modelled as white noise"
                );
            }
            ok
        })
        .collect())
}

/// One season's solution at a given order.
#[derive(Debug, Clone, Default)]
pub(crate) struct SeasonFit {
    /// Standardised lag coefficients.
    pub phi: Vec<f64>,
    /// Standardised annual coefficient, for PAR(p)-A.
    pub annual: Option<f64>,
    /// Residual variance ratio `1 − coef·rhs`.
    pub var: f64,
}

/// Fits every season at its current order, lowering orders until each fit is
/// admissible and the periodic model (lag coefficients only) is stable.
/// `refit(m, p)` solves season `m` at order `p`.
pub(crate) fn reduce_until_valid(
    orders: &mut [usize],
    settings: &FitSettings,
    refit: impl Fn(usize, usize) -> Option<SeasonFit>,
    fitted: &mut [FittedSeason],
) {
    let ns = orders.len();
    let fallback = SeasonFit {
        var: 1.0,
        ..SeasonFit::default()
    };
    let mut fits: Vec<SeasonFit> = vec![fallback.clone(); ns];
    for m in 0..ns {
        loop {
            let fit = refit(m, orders[m]);
            let ok = fit.as_ref().is_some_and(|f| {
                f.var > 1e-8
                    && settings.max_coefficient.is_none_or(|cap| {
                        f.phi.iter().chain(f.annual.iter()).all(|c| c.abs() <= cap)
                    })
            });
            if ok || orders[m] == 0 {
                fits[m] = fit.filter(|_| ok).unwrap_or_else(|| fallback.clone());
                break;
            }
            tracing::info!(
                season = m,
                order = orders[m],
                "PAR fit not admissible; reducing the order"
            );
            orders[m] -= 1;
        }
    }
    loop {
        let phis: Vec<Vec<f64>> = fits.iter().map(|f| f.phi.clone()).collect();
        let radius = periodic_spectral_radius(&phis);
        if radius < 1.0 || orders.iter().all(|&o| o == 0) {
            break;
        }
        let worst = (0..ns)
            .max_by(|&a, &b| {
                let sa: f64 = phis[a].iter().map(|x| x.abs()).sum();
                let sb: f64 = phis[b].iter().map(|x| x.abs()).sum();
                orders[a].cmp(&orders[b]).then(sa.total_cmp(&sb))
            })
            .unwrap_or(0);
        tracing::info!(
            season = worst,
            radius,
            "periodic PAR model unstable; reducing the order"
        );
        orders[worst] -= 1;
        fits[worst] = refit(worst, orders[worst])
            .filter(|f| f.var > 1e-8)
            .unwrap_or_else(|| fallback.clone());
    }
    for (f, fit) in fitted.iter_mut().zip(fits) {
        if f.std > 0.0 {
            f.residual_std_ratio = fit.var.clamp(0.0, 1.0).sqrt();
            f.coefficients = fit.phi;
            f.annual_coefficient = fit.annual.or(f.annual_coefficient.map(|_| 0.0));
        } else {
            f.residual_std_ratio = 1.0;
            f.coefficients = Vec::new();
            f.annual_coefficient = f.annual_coefficient.map(|_| 0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_use_the_population_divisor() {
        let s = SeasonalSeries {
            num_seasons: 1,
            first: 0,
            values: vec![Some(1.0), Some(3.0)],
        };
        let st = seasonal_stats(&s);
        assert_eq!(st[0], (2, 2.0, 1.0));
    }

    #[test]
    fn a_season_mostly_at_one_whole_value_is_degenerate_at_that_value() {
        // 6 of 10 observations round to 1: saturated at 1.
        let v = [1.0, 1.2, 0.9, 1.0, 1.4, 1.0, 3.0, 5.0, 0.0, 2.0];
        assert_eq!(degenerate_season(&v), Some(1.0));
        // 5 of 10: not a majority.
        let v = [1.0, 1.2, 0.9, 1.0, 1.4, 4.0, 3.0, 5.0, 0.0, 2.0];
        assert_eq!(degenerate_season(&v), None);
        // Constant.
        assert_eq!(degenerate_season(&[7.25, 7.25, 7.25]), Some(7.25));
        // More than 10 % negative: an incremental series, fitted as it is.
        let v = [0.0, 0.0, 0.0, 0.0, -3.0, -2.0, 0.0, 0.0, 5.0, 0.0];
        assert_eq!(degenerate_season(&v), None);
        let s = SeasonalSeries {
            num_seasons: 1,
            first: 0,
            values: vec![Some(0.0), Some(0.0), Some(0.0), Some(4.0)],
        };
        assert_eq!(seasonal_stats(&s)[0], (4, 0.0, 0.0));
    }

    #[test]
    fn single_season_yule_walker_is_the_classical_one() {
        // AR(1) with ρ(1) = 0.6, ρ(2) = 0.36: PACF(2) = 0.
        let rho = vec![vec![1.0, 0.6, 0.36]];
        let (phi, var) = yule_walker(&rho, 0, 2).unwrap_or_default();
        assert!((phi[0] - 0.6).abs() < 1e-12 && phi[1].abs() < 1e-12);
        assert!((var - 0.64).abs() < 1e-12);
    }

    #[test]
    fn contributions_compose_through_the_periodic_chain() {
        // Season 0: φ = (0.4, 0.2), season 1: φ = (0.3), stds (30, 25).
        let c = lag_contributions(0, 2, &[vec![0.4, 0.2], vec![0.3]], &[30.0, 25.0]);
        assert!((c[0] - 0.48).abs() < 1e-12);
        assert!((c[1] - (0.48 * 0.3 * 25.0 / 30.0 + 0.2)).abs() < 1e-12);
        let neg = lag_contributions(0, 2, &[vec![0.3, -0.8]], &[10.0]);
        assert!(neg[1] < 0.0);
    }

    #[test]
    fn explosive_periodic_model_has_radius_above_one() {
        assert!(periodic_spectral_radius(&[vec![2.0], vec![0.9]]) > 1.0);
        assert!(periodic_spectral_radius(&[vec![1.5], vec![0.5]]) < 1.0);
    }
}
