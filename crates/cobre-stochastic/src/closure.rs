//! Residual standard-deviation ratios implied by a standardised periodic AR
//! model (the "periodic-ACF closure").
//!
//! A standardised PAR model `Z_m = Σ_j φ_{m,j} Z_{m−j} + r_m ε` with
//! `Var(Z_m) = 1` in every season pins its own autocorrelations: for every
//! season `m` and lag `k ≥ 1`,
//!
//! ```text
//! ρ_m(k) = Σ_j φ_{m,j} · Corr(Z_{m−j}, Z_{m−k}),
//! Corr(Z_{m−j}, Z_{m−k}) = ρ_{m−j}(k − j) (j < k),  1 (j = k),  ρ_{m−k}(j − k) (j > k),
//! ```
//!
//! a linear system in the `n_seasons · K` unknowns `ρ_m(1..=K)`. The residual
//! ratio follows as `r_m² = 1 − Σ_j φ_{m,j} ρ_m(j)`. Cobre 0.18 derives the
//! ratios of PAR(p)-A fits this way: the annual term `ψ (A − μ^A)/σ^A` with
//! `A` the mean of the last 12 values is an effective 12-lag model whose
//! standardised coefficients are `φ_{m,τ} + ψ_m s_{m−τ} / (12 σ^A_m)`.

use crate::linalg::solve;

/// The implied autocorrelations `rho[m][k]`, `k = 0..=max_lag` (`rho[m][0] =
/// 1`) of standardised coefficients `phi[m]`, or `None` when the closure is
/// singular.
#[must_use]
pub fn implied_autocorrelation(phi: &[Vec<f64>], max_lag: usize) -> Option<Vec<Vec<f64>>> {
    let ns = phi.len();
    let k = max_lag;
    let n = ns * k;
    if n == 0 {
        return Some(vec![vec![1.0]; ns]);
    }
    let at = |m: usize, l: usize| m * k + (l - 1);
    let back = |m: usize, j: usize| (m + ns - j % ns) % ns;
    let mut a = vec![0.0; n * n];
    let mut b = vec![0.0; n];
    for (m, coefs) in phi.iter().enumerate() {
        for lag in 1..=k {
            let row = at(m, lag);
            a[row * n + row] += 1.0;
            for (j, &c) in coefs.iter().enumerate().map(|(i, c)| (i + 1, c)) {
                match j.cmp(&lag) {
                    std::cmp::Ordering::Equal => b[row] += c,
                    std::cmp::Ordering::Less => a[row * n + at(back(m, j), lag - j)] -= c,
                    std::cmp::Ordering::Greater => {
                        if j - lag <= k {
                            a[row * n + at(back(m, lag), j - lag)] -= c;
                        }
                    }
                }
            }
        }
    }
    solve(&mut a, &mut b, n)?;
    Some(
        (0..ns)
            .map(|m| {
                let mut row = Vec::with_capacity(k + 1);
                row.push(1.0);
                row.extend_from_slice(&b[m * k..(m + 1) * k]);
                row
            })
            .collect(),
    )
}

/// `r_m = sqrt(1 − Σ_j φ_{m,j} ρ_m(j))` of every season from the closure
/// (1 for seasons without coefficients); `None` when the closure is
/// singular. A non-stationary model gives NaN for the offending season.
#[must_use]
pub fn residual_std_ratios(phi: &[Vec<f64>]) -> Option<Vec<f64>> {
    let k = phi.iter().map(Vec::len).max().unwrap_or(0);
    if k == 0 {
        return Some(vec![1.0; phi.len()]);
    }
    let rho = implied_autocorrelation(phi, k)?;
    Some(
        phi.iter()
            .zip(&rho)
            .map(|(c, r)| {
                if c.is_empty() {
                    return 1.0;
                }
                let explained: f64 = c.iter().zip(&r[1..]).map(|(a, b)| a * b).sum();
                (1.0 - explained).sqrt()
            })
            .collect(),
    )
}

/// The effective standardised 12-lag coefficients of a PAR(p)-A model:
/// season `m`'s classical `phi[m]` plus `psi[m] · s_{m−τ} / (12 σ^A_m)` on
/// every lag `τ = 1..=max(12, p)` (`annual[m] = (ψ, σ^A)`, σ^A = 0: no term).
#[must_use]
pub fn annual_effective(
    phi: &[Vec<f64>],
    annual: &[Option<(f64, f64)>],
    std: &[f64],
    window: usize,
) -> Vec<Vec<f64>> {
    let ns = phi.len();
    let k = phi.iter().map(Vec::len).max().unwrap_or(0).max(window);
    (0..ns)
        .map(|m| {
            (1..=k)
                .map(|tau| {
                    let classical = phi[m].get(tau - 1).copied().unwrap_or(0.0);
                    let term = match annual.get(m).copied().flatten() {
                        Some((psi, sigma_a)) if sigma_a != 0.0 => {
                            psi * std[(m + ns - tau % ns) % ns] / (window as f64 * sigma_a)
                        }
                        _ => 0.0,
                    };
                    classical + term
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ar1_in_every_season_gives_the_textbook_ratio() {
        let r = residual_std_ratios(&[vec![0.5], vec![0.3]]).unwrap_or_default();
        assert!((r[0] - (1.0f64 - 0.25).sqrt()).abs() < 1e-12);
        assert!((r[1] - (1.0f64 - 0.09).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn stationary_ar2_reproduces_its_yule_walker_variance() {
        // One season, AR(2) 0.5, 0.2: ρ1 = 0.5/(1−0.2), ρ2 = 0.5ρ1 + 0.2.
        let r = residual_std_ratios(&[vec![0.5, 0.2]]).unwrap_or_default();
        let rho1: f64 = 0.5 / 0.8;
        let rho2 = 0.5 * rho1 + 0.2;
        let expected = (1.0 - 0.5 * rho1 - 0.2 * rho2).sqrt();
        assert!((r[0] - expected).abs() < 1e-12);
    }

    #[test]
    fn annual_term_spreads_over_the_window_in_standardised_units() {
        let eff = annual_effective(
            &[vec![0.4], vec![]],
            &[Some((0.12, 2.0)), None],
            &[4.0, 8.0],
            2,
        );
        // Season 0: lag 1 is season 1 (s = 8), lag 2 is season 0 (s = 4).
        assert!((eff[0][0] - (0.4 + 0.12 * 8.0 / 4.0)).abs() < 1e-12);
        assert!((eff[0][1] - 0.12 * 4.0 / 4.0).abs() < 1e-12);
        assert_eq!(eff[1], vec![0.0, 0.0]);
    }
}
