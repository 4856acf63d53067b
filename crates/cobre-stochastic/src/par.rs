//! The compiled inflow model: per stage and hydro, the coefficients of the
//! stage LP's inflow row
//!
//! ```text
//! z_h − Σ_{k=1..L} ψ[t][h][k]·lag_k = base[t][h] + σ[t][h]·η_h
//! ```
//!
//! in original units (m³/s), where `lag_k` is the mean inflow of the `k`-th
//! season period before the stage's own (the previous month for monthly
//! seasons), and the hot-path helpers the SDDP engine calls with its own
//! buffers. How the lags follow stages shorter or longer than a season
//! period is [`crate::lag_chain`].

use cobre_core::config::InflowNonNegativity;

/// The inflow-row coefficients of one stage (views into the model).
#[derive(Debug, Clone, Copy)]
pub struct InflowStage<'a> {
    /// Deterministic base per hydro (m³/s), length `n_h`.
    pub base: &'a [f64],
    /// Lag coefficients, `n_h × L` row-major, zero-padded.
    pub psi: &'a [f64],
    /// Noise scale per hydro (m³/s), length `n_h`.
    pub sigma: &'a [f64],
    /// Number of lags `L` (row length of `psi`).
    pub max_order: usize,
}

/// The compiled PAR model of every hydro over the study stages.
#[derive(Debug, Clone, PartialEq)]
pub struct InflowModel {
    pub(crate) num_hydros: usize,
    pub(crate) max_order: usize,
    pub(crate) num_stages: usize,
    /// `[t][h]`.
    pub(crate) base: Vec<f64>,
    /// `[t][h][k]`.
    pub(crate) psi: Vec<f64>,
    /// `[t][h]`.
    pub(crate) sigma: Vec<f64>,
    /// `[h][k]`.
    pub(crate) initial_lags: Vec<f64>,
    pub(crate) non_negativity: InflowNonNegativity,
}

impl InflowModel {
    /// Number of hydros.
    #[must_use]
    pub fn num_hydros(&self) -> usize {
        self.num_hydros
    }

    /// Number of lags `L`.
    #[must_use]
    pub fn max_order(&self) -> usize {
        self.max_order
    }

    /// Coefficients of stage `t`.
    ///
    /// # Panics
    /// If `t` is not a study stage index (a programming error of the caller).
    #[must_use]
    pub fn stage(&self, t: usize) -> InflowStage<'_> {
        let (n, l) = (self.num_hydros, self.max_order);
        InflowStage {
            base: &self.base[t * n..(t + 1) * n],
            psi: &self.psi[t * n * l..(t + 1) * n * l],
            sigma: &self.sigma[t * n..(t + 1) * n],
            max_order: l,
        }
    }

    /// Lags at the study start, `n_h × L`.
    #[must_use]
    pub fn initial_lags(&self) -> &[f64] {
        &self.initial_lags
    }

    /// `Σ_k ψ[t][h][k]·lags[h][k]` for one hydro.
    #[inline]
    fn lag_term(&self, st: &InflowStage<'_>, h: usize, lags: &[f64]) -> f64 {
        let l = self.max_order;
        st.psi[h * l..(h + 1) * l]
            .iter()
            .zip(&lags[h * l..(h + 1) * l])
            .map(|(a, b)| a * b)
            .sum()
    }

    fn truncates(&self) -> bool {
        matches!(
            self.non_negativity,
            InflowNonNegativity::Truncation | InflowNonNegativity::TruncationWithPenalty
        )
    }

    /// Realised inflows `z = base + ψ·lags + σ·η` of stage `t` (m³/s) into
    /// `out` (length `n_h`), truncated at zero when the study's non-negativity
    /// treatment truncates (hydros with σ > 0 only, see [`Self::inflow_rhs`]). `lags` is `n_h × L`, `eta` the inflow part of the
    /// noise vector (length `n_h`). No allocation.
    pub fn inflow(&self, t: usize, lags: &[f64], eta: &[f64], out: &mut [f64]) {
        let st = self.stage(t);
        let trunc = self.truncates();
        for h in 0..self.num_hydros {
            let z = st.base[h] + self.lag_term(&st, h, lags) + st.sigma[h] * eta[h];
            out[h] = if trunc && st.sigma[h] > 0.0 {
                z.max(0.0)
            } else {
                z
            };
        }
    }

    /// The right-hand side the engine writes into the inflow row of stage `t`
    /// (`base + σ·η`), raised when truncating so that the row yields `z ≥ 0`
    /// for these lags: `max(base + σ·η, −ψ·lags)` — i.e. η replaced by
    /// `−(base + ψ·lags)/σ`. As in Cobre 0.18, a hydro with σ = 0 is never
    /// truncated (a negative deterministic inflow needs the penalty slack).
    pub fn inflow_rhs(&self, t: usize, lags: &[f64], eta: &[f64], out: &mut [f64]) {
        let st = self.stage(t);
        let trunc = self.truncates();
        for h in 0..self.num_hydros {
            let rhs = st.base[h] + st.sigma[h] * eta[h];
            out[h] = if trunc && st.sigma[h] > 0.0 {
                rhs.max(-self.lag_term(&st, h, lags))
            } else {
                rhs
            };
        }
    }

    /// Noise reproducing `target` inflows at stage `t` from these lags:
    /// `η = (target − base − ψ·lags)/σ` (0 where σ = 0). Returns the largest
    /// absolute residual left unexplained where σ = 0.
    pub fn invert(&self, t: usize, lags: &[f64], target: &[f64], eta: &mut [f64]) -> f64 {
        let st = self.stage(t);
        let mut worst: f64 = 0.0;
        for h in 0..self.num_hydros {
            let resid = target[h] - st.base[h] - self.lag_term(&st, h, lags);
            if st.sigma[h] > 0.0 {
                eta[h] = resid / st.sigma[h];
            } else {
                eta[h] = 0.0;
                worst = worst.max(resid.abs());
            }
        }
        worst
    }
}

/// One (stage, hydro) model before compilation: seasonal-lag coefficients in
/// original units and the means of the lag periods.
#[derive(Debug, Clone, Default)]
pub(crate) struct StageHydroModel {
    /// Seasonal mean of the stage.
    pub mean: f64,
    /// Noise scale σ.
    pub sigma: f64,
    /// Original-unit coefficient of each seasonal lag `j = 1..` (annual share included).
    pub phi: Vec<f64>,
    /// Mean of each seasonal lag period (`None` = unknown).
    pub lag_mean: Vec<Option<f64>>,
    /// Constant part from the annual term (`−ψ̂·μ^A`) and other constants.
    pub constant: f64,
}

impl StageHydroModel {
    /// `(base, lag coefficients)` of the inflow row; lag `j` (1-based) is
    /// the `j`-th season period back.
    pub(crate) fn compile(&self) -> (f64, Vec<(usize, f64)>) {
        let mut base = self.mean + self.constant;
        let mut slots: Vec<(usize, f64)> = Vec::new();
        for (j, &phi) in self.phi.iter().enumerate() {
            if phi == 0.0 {
                continue;
            }
            // A lag whose period has no mean cannot be centred: dropped.
            if let Some(mu) = self.lag_mean.get(j).copied().flatten() {
                base -= phi * mu;
                slots.push((j + 1, phi));
            }
        }
        (base, slots)
    }
}

/// A compiled `(base, σ, slot coefficients)` of one (stage, hydro).
pub(crate) type CompiledRow = (f64, f64, Vec<(usize, f64)>);

/// Packs compiled rows (`[stage][hydro]`) into an [`InflowModel`].
pub(crate) fn assemble(
    rows: &[Vec<CompiledRow>],
    num_hydros: usize,
    initial_lag_value: impl Fn(usize, usize) -> f64,
    non_negativity: InflowNonNegativity,
) -> InflowModel {
    let num_stages = rows.len();
    let max_order = rows
        .iter()
        .flatten()
        .flat_map(|r| r.2.iter().map(|s| s.0))
        .max()
        .unwrap_or(0);
    let mut base = vec![0.0; num_stages * num_hydros];
    let mut sigma = vec![0.0; num_stages * num_hydros];
    let mut psi = vec![0.0; num_stages * num_hydros * max_order];
    for (t, row) in rows.iter().enumerate() {
        for (h, (b, s, slots)) in row.iter().enumerate() {
            base[t * num_hydros + h] = *b;
            sigma[t * num_hydros + h] = *s;
            for &(k, c) in slots {
                psi[(t * num_hydros + h) * max_order + (k - 1)] = c;
            }
        }
    }
    let mut initial_lags = vec![0.0; num_hydros * max_order];
    for h in 0..num_hydros {
        for k in 0..max_order {
            initial_lags[h * max_order + k] = initial_lag_value(h, k);
        }
    }
    InflowModel {
        num_hydros,
        max_order,
        num_stages,
        base,
        psi,
        sigma,
        initial_lags,
        non_negativity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn par1() -> InflowModel {
        // One hydro, two stages: z = 50 + 0.5·lag + 10·η.
        let rows = vec![vec![(50.0, 10.0, vec![(1, 0.5)])]; 2];
        assemble(&rows, 1, |_, _| 200.0, InflowNonNegativity::Truncation)
    }

    #[test]
    fn inflow_is_base_plus_lag_term_plus_scaled_noise() {
        let m = par1();
        let mut z = [0.0];
        m.inflow(0, &[200.0], &[1.0], &mut z);
        assert_eq!(z[0], 50.0 + 100.0 + 10.0);
    }

    #[test]
    fn truncation_raises_the_rhs_so_the_row_gives_zero_inflow() {
        let m = par1();
        let (mut z, mut rhs) = ([0.0], [0.0]);
        m.inflow(0, &[10.0], &[-20.0], &mut z);
        m.inflow_rhs(0, &[10.0], &[-20.0], &mut rhs);
        assert_eq!(z[0], 0.0);
        assert_eq!(rhs[0] + 0.5 * 10.0, 0.0);
    }

    #[test]
    fn inversion_reproduces_the_target_inflow() {
        let m = par1();
        let (mut eta, mut z) = ([0.0], [0.0]);
        m.invert(1, &[120.0], &[77.0], &mut eta);
        m.inflow(1, &[120.0], &eta, &mut z);
        assert!((z[0] - 77.0).abs() < 1e-12);
    }

    #[test]
    fn unknown_lag_means_drop_the_lag_from_the_row() {
        let m = StageHydroModel {
            mean: 100.0,
            sigma: 10.0,
            phi: vec![0.5, 0.2],
            lag_mean: vec![Some(80.0), None],
            constant: 0.0,
        };
        assert_eq!(m.compile(), (60.0, vec![(1, 0.5)]));
    }
}
