//! PAR(p)-A: periodic autoregression with an annual component
//! (`estimation.order_selection = "pacf_annual"`), fitted as Cobre 0.18 does.
//!
//! The model of season `m` adds to the classical lags one regressor, the
//! rolling one-cycle average (12 months for a monthly cycle) ending one period
//! before:
//!
//! ```text
//! Z_t = Σ_{l=1..p} φ_{m,l} Z_{t−l} + ψ_m A*_{t−1} + r_m ε_t,
//! A_{t−1} = (1/W) Σ_{j=1..W} a_{t−j},   A* = (A − μ^A_{m−1}) / σ^A_{m−1}.
//! ```
//!
//! * **Annual statistics.** `A` is computed for every window that has a
//!   successor observation in the record (the window ending at the last
//!   observation is not used, nor one followed by a gap) and grouped by the season of its last period; `μ^A`, `σ^A` are
//!   the group's mean and population std.
//! * **Cross-correlations.** `ρ_ZA(s, l)` pairs `A*` of season `s` with `Z`
//!   `l` periods earlier, `ρ_AZ(s)` with `Z` one period later; both divide the
//!   sum of products by the larger of the two season groups (0.18's
//!   convention: missing pairs count as zero).
//! * **Order.** The conditional PACF at lag `k` is the partial correlation of
//!   `Z_t` and `Z_{t−k}` given `(Z_{t−1}, …, Z_{t−k+1}, A*_{t−1})`; the order
//!   is the largest lag above `1.96/√N` but at least 1, or 0 when the lag-1
//!   value is exactly 0.
//! * **Coefficients.** The extended Yule–Walker system in `(φ, ψ)`.
//! * **Reductions.** A coefficient above `max_coefficient_magnitude` or a
//!   negative `φ_1` drops the lags (ψ kept); then, while a season's lag
//!   contributions composed through the periodic chain are negative, its
//!   order ceiling drops by one and it is re-selected and re-solved.
//! * **Residual ratio.** From the periodic-ACF closure of the effective
//!   12-lag model ([`crate::closure`]), as 0.18 derives it.
//!
//! In original units the annual term is `ψ_m · s_m/σ^A_{m−1} · (A_{t−1} −
//! μ^A_{m−1})`, i.e. `ψ̂/W` on each of the last `W` lags: the stochastic model
//! compiles it into `W` ordinary lag coefficients.

use crate::closure::{annual_effective, residual_std_ratios};
use crate::fit::{
    check_observations, lag_contributions, pacf_threshold, periodic_autocorrelation,
    seasonal_stats, standardise, FitFailure, FitSettings, FittedSeason, SeasonalSeries,
};
use crate::linalg::solve;

/// `(mean, std, count)` of one season's rolling averages.
pub(crate) type AnnualStats = (f64, f64, usize);

/// Standardised rolling one-cycle averages `A*_i` (window ending at `i`,
/// windows with a successor only) with their seasonal `(mean, std, count)`
/// (grouped by the season of `i`).
pub(crate) fn annual_series(series: &SeasonalSeries) -> (Vec<Option<f64>>, Vec<AnnualStats>) {
    let w = series.num_seasons;
    let n = series.values.len();
    let raw: Vec<Option<f64>> = (0..n)
        .map(|i| {
            // A window needs a successor observation (the window ending at
            // the last observed period is not used, as in 0.18).
            if i + 1 < w || i + 1 >= n || series.values[i + 1].is_none() {
                return None;
            }
            let sum: Option<f64> = series.values[i + 1 - w..=i].iter().copied().sum();
            sum.map(|s| s / w as f64)
        })
        .collect();
    let mut groups: Vec<Vec<f64>> = vec![Vec::new(); w];
    for (i, a) in raw.iter().enumerate() {
        if let Some(a) = a {
            groups[series.season(i)].push(*a);
        }
    }
    let stats: Vec<AnnualStats> = groups
        .iter()
        .map(|g| {
            if g.is_empty() {
                return (0.0, 0.0, 0);
            }
            let k = g.len() as f64;
            let mu = g.iter().sum::<f64>() / k;
            let var = g.iter().map(|a| (a - mu) * (a - mu)).sum::<f64>() / k;
            (mu, var.sqrt(), g.len())
        })
        .collect();
    let standardised = raw
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let (mu, s, _) = stats[series.season(i)];
            a.map(|a| if s > 0.0 { (a - mu) / s } else { 0.0 })
        })
        .collect();
    (standardised, stats)
}

/// The sample moments the PAR(p)-A systems are built from.
struct Moments<'a> {
    series: &'a SeasonalSeries,
    z: Vec<Option<f64>>,
    a: Vec<Option<f64>>,
    rho: Vec<Vec<f64>>,
    /// Observations per season.
    nz: Vec<usize>,
    /// `(μ^A, σ^A, count)` per season.
    astats: Vec<AnnualStats>,
    /// Whether season `m`'s std is positive.
    varies: Vec<bool>,
}

impl Moments<'_> {
    fn ns(&self) -> usize {
        self.series.num_seasons
    }

    fn back(&self, m: usize, l: usize) -> usize {
        let ns = self.ns();
        (m + ns - l % ns) % ns
    }

    fn rho(&self, m: usize, l: usize) -> f64 {
        self.rho[m].get(l).copied().unwrap_or(0.0).clamp(-1.0, 1.0)
    }

    /// Correlation of `A*` at season `s` with `Z` `offset` periods later
    /// (negative: earlier), divided by the larger season group.
    fn cross(&self, s: usize, offset: isize) -> f64 {
        let zs = (s as isize + offset).rem_euclid(self.ns() as isize) as usize;
        if self.astats[s].1 <= f64::EPSILON || !self.varies[zs] {
            return 0.0;
        }
        let mut sum = 0.0;
        for (i, a) in self.a.iter().enumerate() {
            let (Some(a), true) = (a, self.series.season(i) == s) else {
                continue;
            };
            let j = i as isize + offset;
            if let Some(Some(z)) = usize::try_from(j).ok().and_then(|j| self.z.get(j)) {
                sum += a * z;
            }
        }
        let denom = self.astats[s].2.max(self.nz[zs]).max(1) as f64;
        (sum / denom).clamp(-1.0, 1.0)
    }

    /// `ρ_ZA`: `A*` of season `s` with `Z` `lag` periods before it.
    fn za(&self, s: usize, lag: usize) -> f64 {
        self.cross(s, -(lag as isize))
    }

    /// `ρ_AZ`: `A*` of season `s` with `Z` one period after it.
    fn az(&self, s: usize) -> f64 {
        self.cross(s, 1)
    }

    /// Extended Yule–Walker solution `(φ_1..φ_p, ψ)` of season `m`.
    fn solve(&self, m: usize, p: usize) -> Option<(Vec<f64>, f64)> {
        let n = p + 1;
        let prev = self.back(m, 1);
        let mut mat = vec![0.0; n * n];
        let mut rhs = vec![0.0; n];
        for i in 0..p {
            mat[i * n + i] = 1.0;
            let reference = self.back(m, i + 1);
            for j in i + 1..p {
                let r = self.rho(reference, j - i);
                mat[i * n + j] = r;
                mat[j * n + i] = r;
            }
            rhs[i] = self.rho(m, i + 1);
            let c = self.za(prev, i);
            mat[i * n + p] = c;
            mat[p * n + i] = c;
        }
        mat[p * n + p] = 1.0;
        rhs[p] = self.az(prev);
        solve(&mut mat, &mut rhs, n)?;
        let psi = rhs.pop().unwrap_or(0.0);
        Some((rhs, psi))
    }

    /// Conditional PACF of season `m` at lags `1..=max_lag` (shorter when a
    /// conditioning system is singular).
    fn conditional_pacf(&self, m: usize, max_lag: usize) -> Vec<f64> {
        let prev = self.back(m, 1);
        let mut out = Vec::with_capacity(max_lag);
        for k in 1..=max_lag {
            // Conditioning set (Z_{t−1}, …, Z_{t−k+1}, A*_{t−1}).
            let mut s22 = vec![0.0; k * k];
            for i in 0..k - 1 {
                s22[i * k + i] = 1.0;
                let reference = self.back(prev, i);
                for j in i + 1..k - 1 {
                    let r = self.rho(reference, j - i);
                    s22[i * k + j] = r;
                    s22[j * k + i] = r;
                }
                let c = self.za(prev, i);
                s22[i * k + k - 1] = c;
                s22[(k - 1) * k + i] = c;
            }
            s22[k * k - 1] = 1.0;
            // Rows: Z_t and Z_{t−k} against the conditioning set.
            let mut s12 = vec![0.0; 2 * k];
            for j in 0..k - 1 {
                s12[j] = self.rho(m, j + 1);
                s12[k + j] = self.rho(self.back(m, j + 1), k - 1 - j);
            }
            s12[k - 1] = self.az(prev);
            s12[2 * k - 1] = self.za(prev, k - 1);
            let mut x = [vec![0.0; k], vec![0.0; k]];
            let mut singular = false;
            for (c, col) in x.iter_mut().enumerate() {
                let mut a = s22.clone();
                col.copy_from_slice(&s12[c * k..(c + 1) * k]);
                if solve(&mut a, col, k).is_none() {
                    singular = true;
                    break;
                }
            }
            if singular {
                break;
            }
            let rk = self.rho(m, k);
            let s11 = [1.0, rk, rk, 1.0];
            let mut bar = [0.0; 4];
            for r in 0..2 {
                for c in 0..2 {
                    let corr: f64 = (0..k).map(|j| s12[r * k + j] * x[c][j]).sum();
                    bar[r * 2 + c] = s11[r * 2 + c] - corr;
                }
            }
            let d = bar[0] * bar[3];
            out.push(if d <= 0.0 {
                0.0
            } else {
                (bar[1] / d.sqrt()).clamp(-1.0, 1.0)
            });
        }
        out
    }

    /// 0.18's order rule on a conditional PACF: 0 when the lag-1 value is
    /// exactly 0, else the largest significant lag, at least 1.
    fn order(&self, m: usize, max_lag: usize) -> (usize, Vec<f64>) {
        let pacf = self.conditional_pacf(m, max_lag);
        let thr = pacf_threshold(self.nz[m]);
        let order = match pacf.first() {
            None | Some(&0.0) => 0,
            Some(_) => pacf
                .iter()
                .rposition(|v| v.abs() > thr)
                .map_or(1, |k| k + 1),
        };
        (order, pacf)
    }

    /// Whether season `m` can carry a model (positive std, enough data, an
    /// annual regressor with variability).
    fn estimable(&self, m: usize, annual_season: usize) -> bool {
        self.varies[m]
            && self.nz[m] >= 2
            && self.astats[annual_season].2 > 0
            && self.astats[annual_season].1 != 0.0
    }
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
    let mo = Moments {
        series,
        rho: periodic_autocorrelation(&z, series.first, ns, settings.max_order.max(1)),
        z,
        a,
        nz: stats.iter().map(|s| s.0).collect(),
        astats,
        varies: stats.iter().map(|s| s.2 > 0.0).collect(),
    };
    let std: Vec<f64> = stats.iter().map(|s| s.2).collect();
    let prev = |m: usize| (m + ns - 1) % ns;
    let mut fitted: Vec<FittedSeason> = (0..ns)
        .map(|m| {
            let (n, mean, s) = stats[m];
            let (am, astd, _) = mo.astats[prev(m)];
            let mut f = FittedSeason {
                observations: n,
                mean,
                std: s,
                pacf: Vec::new(),
                selected_order: 0,
                coefficients: Vec::new(),
                residual_std_ratio: 1.0,
                annual_coefficient: Some(0.0),
                annual_mean: Some(am),
                annual_std: Some(astd),
            };
            if fittable[m] && mo.estimable(m, prev(m)) {
                let (order, pacf) = mo.order(m, settings.max_order);
                f.pacf = pacf;
                f.selected_order = order;
                if let Some((phi, psi)) = mo.solve(m, order) {
                    f.coefficients = phi;
                    f.annual_coefficient = Some(psi);
                }
            }
            f
        })
        .collect();
    for (m, f) in fitted.iter_mut().enumerate() {
        let too_large = settings
            .max_coefficient
            .is_some_and(|cap| f.coefficients.iter().any(|c| c.abs() > cap));
        if too_large || f.coefficients.first().is_some_and(|&c| c < 0.0) {
            tracing::info!(
                season = m,
                "PAR(p)-A lags dropped (φ₁ < 0 or magnitude bound)"
            );
            f.coefficients.clear();
        }
    }
    reduce_negative_contributions(&mo, &std, settings, &mut fitted);
    let phi: Vec<Vec<f64>> = fitted.iter().map(|f| f.coefficients.clone()).collect();
    let annual: Vec<Option<(f64, f64)>> = fitted
        .iter()
        .map(|f| f.annual_coefficient.zip(f.annual_std))
        .collect();
    let engaged = annual.iter().flatten().any(|&(_, s)| s != 0.0);
    let effective = if engaged {
        annual_effective(&phi, &annual, &std, ns)
    } else {
        phi
    };
    match residual_std_ratios(&effective) {
        Some(r) if r.iter().all(|x| x.is_finite()) => {
            for (f, r) in fitted.iter_mut().zip(r) {
                f.residual_std_ratio = if f.std > 0.0 {
                    r.clamp(f64::EPSILON, 1.0)
                } else {
                    1.0
                };
            }
        }
        _ => tracing::warn!(
            "PAR(p)-A closure singular or non-stationary: residual std ratios left at 1"
        ),
    }
    Ok(fitted)
}

/// 0.18's contribution pass: while a season's lag contributions (composed
/// through the periodic chain, classical lags only) are negative, lower its
/// order ceiling by one and re-select and re-solve it (ψ refreshed; a
/// negative `φ_1` after a re-solve drops the lags and refits ψ alone).
fn reduce_negative_contributions(
    mo: &Moments<'_>,
    std: &[f64],
    settings: &FitSettings,
    fitted: &mut [FittedSeason],
) {
    let ns = fitted.len();
    let mut ceiling = vec![settings.max_order; ns];
    let mut frozen: Vec<bool> = fitted.iter().map(|f| f.coefficients.is_empty()).collect();
    loop {
        let phi: Vec<Vec<f64>> = fitted.iter().map(|f| f.coefficients.clone()).collect();
        let failing: Vec<usize> = (0..ns)
            .filter(|&m| !frozen[m] && !phi[m].is_empty())
            .filter(|&m| {
                lag_contributions(m, phi[m].len(), &phi, std)
                    .iter()
                    .any(|&c| c < 0.0)
            })
            .collect();
        if failing.is_empty() {
            return;
        }
        let mut reselected = false;
        for m in failing {
            if ceiling[m] == 0 {
                continue;
            }
            ceiling[m] -= 1;
            tracing::info!(
                season = m,
                ceiling = ceiling[m],
                "negative PAR(p)-A contribution: order ceiling lowered"
            );
            if !mo.estimable(m, m) {
                fitted[m].coefficients.clear();
                frozen[m] = true;
                continue;
            }
            let order = if ceiling[m] == 0 {
                0
            } else {
                mo.order(m, ceiling[m]).0
            };
            let (phi_m, psi) = mo.solve(m, order).unwrap_or_default();
            fitted[m].coefficients = phi_m;
            fitted[m].annual_coefficient = Some(psi);
            if ceiling[m] == 0 || fitted[m].coefficients.is_empty() {
                frozen[m] = true;
                continue;
            }
            if fitted[m].coefficients[0] < 0.0 {
                fitted[m].coefficients.clear();
                fitted[m].annual_coefficient = Some(mo.solve(m, 0).map_or(0.0, |s| s.1));
                frozen[m] = true;
            } else {
                reselected = true;
            }
        }
        if !reselected {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: Vec<f64>, ns: usize) -> SeasonalSeries {
        SeasonalSeries {
            num_seasons: ns,
            first: 0,
            values: values.into_iter().map(Some).collect(),
        }
    }

    #[test]
    fn the_window_ending_at_the_last_observation_is_not_used() {
        // Two seasons, windows of 2: A at i = 1, 2 (not 3, the last index).
        let s = series(vec![1.0, 3.0, 5.0, 7.0], 2);
        let (a, stats) = annual_series(&s);
        assert!(a[0].is_none() && a[3].is_none());
        assert_eq!(stats[1], (2.0, 0.0, 1), "window (1, 3) ends in season 1");
        assert_eq!(stats[0], (4.0, 0.0, 1), "window (3, 5) ends in season 0");
    }

    #[test]
    fn cross_correlations_divide_by_the_larger_season_group() {
        let s = series(vec![1.0, 2.0, 4.0, 3.0, 6.0, 8.0, 5.0, 9.0, 7.0], 3);
        let stats = seasonal_stats(&s);
        let z = standardise(&s, &stats);
        let (a, astats) = annual_series(&s);
        let mo = Moments {
            series: &s,
            rho: periodic_autocorrelation(&z, 0, 3, 2),
            z: z.clone(),
            a: a.clone(),
            nz: stats.iter().map(|x| x.0).collect(),
            astats: astats.clone(),
            varies: vec![true; 3],
        };
        let pairs: f64 = (0..s.values.len())
            .filter(|&i| s.season(i) == 2)
            .filter_map(|i| Some(a[i]? * z.get(i + 1).copied().flatten()?))
            .sum();
        let expected = pairs / astats[2].2.max(stats[0].0) as f64;
        assert!((mo.az(2) - expected).abs() < 1e-12);
    }
}
