//! The stochastic model of a case, for callers that inspect it (the Python
//! binding's `PARModel`, `OpeningTree` and `sample_noise`).
//!
//! [`build_stochastic_model`] builds the same [`StochasticModel`] the engine
//! builds (PAR inflows, correlation, the opening tree); [`par_summary`]
//! describes its inflow model per study stage; [`sample_noise`] draws
//! correlated standard-normal vectors, a pure function of its inputs and seed.

use crate::{Case, Error, HydroId};
use cobre_core::scenario::CorrelatedEntity;

pub use cobre_stochastic::{
    FitReport, InflowModel, InflowStage, NoiseLayout, OpeningTree, StochasticError,
    StochasticModel, DEFAULT_SEED,
};

/// Builds the stochastic model of a loaded case (fits PAR models from
/// history when the case gives no coefficients, factors the correlation,
/// generates the opening tree).
///
/// # Errors
/// [`Error::Stochastic`] naming the entity or stage whose data is invalid.
pub fn build_stochastic_model(case: &Case) -> Result<StochasticModel, Error> {
    Ok(StochasticModel::build(&case.system, &case.config)?)
}

/// The inflow model of a case per study stage ("season" = study stage), in
/// original units (m³/s). Arrays are row-major.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParSummary {
    /// Largest lag order `L` over hydros and stages.
    pub order: usize,
    /// Number of hydros.
    pub n_entities: usize,
    /// Number of study stages.
    pub n_seasons: usize,
    /// Hydro ids in model order.
    pub hydro_ids: Vec<i32>,
    /// Stage ids in model order.
    pub stage_ids: Vec<i32>,
    /// Seasonal mean inflow `(n_seasons, n_entities)`: from the case's
    /// seasonal statistics, or from the fit when estimated from history
    /// (NaN where neither gives it).
    pub seasonal_means: Vec<f64>,
    /// Seasonal standard deviation `(n_seasons, n_entities)`, same sources.
    pub seasonal_stds: Vec<f64>,
    /// Lag coefficients `ψ` of the compiled inflow row
    /// `z = base + Σ_k ψ_k·lag_k + σ·η`, `(n_seasons, n_entities, order)`.
    pub ar_coefficients: Vec<f64>,
    /// Deterministic part `base` of the inflow row `(n_seasons, n_entities)`.
    pub intercepts: Vec<f64>,
    /// Noise scale `σ` of the inflow row `(n_seasons, n_entities)`.
    pub noise_std: Vec<f64>,
    /// Spatial correlation of the inflow noise `(n_entities, n_entities)`:
    /// the case's `default` profile (or the profile of the first stage), else
    /// the residual correlation estimated from history, else the identity.
    pub correlation_matrix: Vec<f64>,
}

/// Describes the inflow model of `model`, built from `case`.
#[must_use]
pub fn par_summary(case: &Case, model: &StochasticModel) -> ParSummary {
    let system = &case.system;
    let n = model.num_hydros();
    let stages = &system.horizon().stages;
    let ns = model.num_stages();
    let order = model.max_order();
    let hydro_ids: Vec<i32> = system.hydros().iter().map(|h| h.id.0).collect();
    let stage_ids: Vec<i32> = stages.iter().map(|s| s.id.0).collect();
    let mut intercepts = vec![0.0; ns * n];
    let mut noise_std = vec![0.0; ns * n];
    let mut ar = vec![0.0; ns * n * order];
    for t in 0..ns {
        let st = model.inflow_stage(t);
        copy_into(&mut intercepts[t * n..(t + 1) * n], st.base);
        copy_into(&mut noise_std[t * n..(t + 1) * n], st.sigma);
        copy_into(&mut ar[t * n * order..(t + 1) * n * order], st.psi);
    }
    let (seasonal_means, seasonal_stds) = seasonal_stats(case, model, &hydro_ids, &stage_ids);
    ParSummary {
        order,
        n_entities: n,
        n_seasons: ns,
        correlation_matrix: inflow_correlation(case, model, &hydro_ids),
        hydro_ids,
        stage_ids,
        seasonal_means,
        seasonal_stds,
        ar_coefficients: ar,
        intercepts,
        noise_std,
    }
}

fn copy_into(dst: &mut [f64], src: &[f64]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

fn seasonal_stats(
    case: &Case,
    model: &StochasticModel,
    hydro_ids: &[i32],
    stage_ids: &[i32],
) -> (Vec<f64>, Vec<f64>) {
    let n = hydro_ids.len();
    let ns = stage_ids.len();
    let mut means = vec![f64::NAN; ns * n];
    let mut stds = vec![f64::NAN; ns * n];
    let pos_h = |id: HydroId| hydro_ids.iter().position(|&h| h == id.0);
    for s in &case.system.scenarios().inflow_stats {
        let t = stage_ids.iter().position(|&x| x == s.stage.0);
        if let (Some(t), Some(h)) = (t, pos_h(s.entity)) {
            means[t * n + h] = s.mean;
            stds[t * n + h] = s.std;
        }
    }
    if let Some(fit) = model.fit_report() {
        for hf in &fit.hydros {
            let Some(h) = pos_h(hf.hydro) else { continue };
            for (t, stage) in case.system.horizon().stages.iter().enumerate() {
                let Some(season) = stage.season else { continue };
                if let Some((_, fs)) = hf.seasons.iter().find(|(sid, _)| *sid == season) {
                    if means[t * n + h].is_nan() {
                        means[t * n + h] = fs.mean;
                        stds[t * n + h] = fs.std;
                    }
                }
            }
        }
    }
    (means, stds)
}

fn inflow_correlation(case: &Case, model: &StochasticModel, hydro_ids: &[i32]) -> Vec<f64> {
    let n = hydro_ids.len();
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        out[i * n + i] = 1.0;
    }
    let input = case.system.scenarios().correlation.as_ref();
    let profile = input.and_then(|c| {
        c.profiles.get("default").or_else(|| {
            let first = case.system.horizon().stages.first()?.id;
            c.schedule.get(&first).and_then(|name| c.profiles.get(name))
        })
    });
    if let Some(p) = profile {
        let k = p.entities.len();
        let pos: Vec<Option<usize>> = p
            .entities
            .iter()
            .map(|e| match e {
                CorrelatedEntity::Inflow(h) => hydro_ids.iter().position(|&x| x == h.0),
                _ => None,
            })
            .collect();
        for (a, pa) in pos.iter().enumerate() {
            for (b, pb) in pos.iter().enumerate() {
                if let (Some(i), Some(j), Some(v)) = (pa, pb, p.matrix.get(a * k + b)) {
                    out[i * n + j] = *v;
                }
            }
        }
    } else if let Some(c) = model
        .fit_report()
        .and_then(|f| f.residual_correlation.as_ref())
    {
        if c.len() == n * n {
            out.copy_from_slice(c);
        }
    }
    out
}

/// Draws `n` vectors of `dim` correlated standard normals, row-major
/// `(n, dim)`, with correlation `correlation` (row-major `dim × dim`).
/// A pure function of its inputs: the same seed gives the same draws.
///
/// A well-formed matrix that is not positive definite is repaired to the
/// nearest correlation matrix (as the opening tree does), with a warning.
///
/// # Errors
/// [`Error::Stochastic`] when the matrix is not square, not symmetric, has
/// a diagonal other than 1, entries outside `[−1, 1]` or non-finite values.
pub fn sample_noise(n: usize, correlation: &[f64], seed: u64) -> Result<Vec<f64>, Error> {
    let dim = check_correlation(correlation)?;
    let factor = match cobre_stochastic::linalg::cholesky(correlation, dim) {
        Some(l) => l,
        None => {
            tracing::warn!(
                dim,
                "sample_noise: correlation matrix is not positive definite; using the nearest correlation matrix"
            );
            let c = cobre_stochastic::linalg::nearest_correlation(correlation, dim);
            cobre_stochastic::linalg::cholesky_semidefinite(&c, dim, 1e-12)
        }
    };
    let len = n.checked_mul(dim).ok_or_else(|| {
        Error::Stochastic(cobre_stochastic::StochasticError::InvalidInput {
            what: "sample_noise".into(),
            message: format!("{n} × {dim} samples do not fit in memory"),
        })
    })?;
    let mut out = vec![0.0; len];
    let mut normals = cobre_stochastic::rng::NormalStream::new(seed);
    let mut xi = vec![0.0; dim];
    for row in out.chunks_exact_mut(dim.max(1)) {
        normals.fill(&mut xi);
        for (i, r) in row.iter_mut().enumerate() {
            let l = &factor[i * dim..i * dim + i + 1];
            *r = l.iter().zip(&xi).map(|(a, b)| a * b).sum();
        }
    }
    Ok(out)
}

/// Checks a row-major correlation matrix; returns its dimension.
fn check_correlation(c: &[f64]) -> Result<usize, Error> {
    let bad = |m: String| {
        Err(Error::Stochastic(
            cobre_stochastic::StochasticError::InvalidCorrelation {
                profile: "correlation_matrix".into(),
                message: m,
            },
        ))
    };
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let dim = (c.len() as f64).sqrt().round() as usize;
    if dim * dim != c.len() {
        return bad(format!("{} entries is not a square matrix", c.len()));
    }
    for i in 0..dim {
        for j in 0..dim {
            let v = c[i * dim + j];
            if !v.is_finite() || !(-1.0..=1.0).contains(&v) {
                return bad(format!("entry ({i}, {j}) = {v} is outside [-1, 1]"));
            }
            if (v - c[j * dim + i]).abs() > 1e-9 {
                return bad(format!("entries ({i}, {j}) and ({j}, {i}) differ"));
            }
        }
        if (c[i * dim + i] - 1.0).abs() > 1e-9 {
            return bad(format!(
                "diagonal entry {i} is {} (must be 1)",
                c[i * dim + i]
            ));
        }
    }
    Ok(dim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_noise_is_deterministic_and_correlated() {
        let c = [1.0, 0.8, 0.8, 1.0];
        let a = sample_noise(20_000, &c, 7).unwrap_or_default();
        let b = sample_noise(20_000, &c, 7).unwrap_or_default();
        assert_eq!(a, b);
        let n = 20_000.0;
        let mean0: f64 = a.iter().step_by(2).sum::<f64>() / n;
        let cov: f64 = a.chunks(2).map(|r| r[0] * r[1]).sum::<f64>() / n;
        assert!(mean0.abs() < 0.05, "{mean0}");
        assert!((cov - 0.8).abs() < 0.05, "{cov}");
    }

    #[test]
    fn sample_noise_refuses_a_malformed_matrix() {
        assert!(sample_noise(3, &[1.0, 0.5, 0.4, 1.0], 0).is_err());
        assert!(sample_noise(3, &[1.0, 0.5, 0.5], 0).is_err());
        assert!(sample_noise(3, &[2.0], 0).is_err());
    }
}
