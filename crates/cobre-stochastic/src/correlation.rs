//! Spatial correlation of the noise vector.
//!
//! Each stage uses the correlation profile its schedule names, else the
//! profile `"default"`, else independence. A profile's matrix is embedded in
//! the noise order (entities it does not name stay independent) and factored
//! as `C = L·Lᵀ`; correlated noise is `η = L·ξ`, `ξ ~ N(0, I)`.
//!
//! **Policy for matrices that are not positive semi-definite:** structural
//! errors are refused with [`StochasticError::InvalidCorrelation`] (not square,
//! not symmetric, diagonal ≠ 1, entries outside [−1, 1], NaN, unknown
//! profile). A well-formed matrix whose Cholesky factorisation fails (it is
//! indefinite or singular, as estimated matrices often are) is **repaired** to
//! the nearest correlation matrix in the Frobenius norm (Higham's alternating
//! projections) with a `tracing` warning giving the smallest eigenvalue and the
//! size of the change, then factored with zero pivots for its null directions.

use crate::linalg::{cholesky, cholesky_semidefinite, nearest_correlation, symmetric_eigen};
use crate::StochasticError;
use cobre_core::scenario::{CorrelatedEntity, CorrelationInput};
use std::ops::Range;

/// A lower-triangular factor over the whole noise vector, stored by rows from
/// each row's first non-zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// First non-zero column of each row.
    first: Vec<usize>,
    /// Start of each row in `values`.
    offset: Vec<usize>,
    /// Row values from `first[i]` to `i`.
    values: Vec<f64>,
}

impl Factor {
    fn from_dense(l: &[f64], n: usize) -> Self {
        let mut first = Vec::with_capacity(n);
        let mut offset = Vec::with_capacity(n);
        let mut values = Vec::new();
        for i in 0..n {
            let f = (0..=i).find(|&j| l[i * n + j] != 0.0).unwrap_or(i);
            first.push(f);
            offset.push(values.len());
            values.extend_from_slice(&l[i * n + f..=i * n + i]);
        }
        Self {
            first,
            offset,
            values,
        }
    }

    /// Replaces `x[i]` by `(L·x)[i]` for `i` in `rows`, reading `x[..rows.end]`
    /// (entries below `rows.start` are left as they were).
    #[inline]
    pub fn apply(&self, x: &mut [f64], rows: Range<usize>) {
        for i in rows.rev() {
            let f = self.first[i];
            let row = &self.values[self.offset[i]..self.offset[i] + (i - f + 1)];
            x[i] = row.iter().zip(&x[f..=i]).map(|(a, b)| a * b).sum();
        }
    }

    /// Whether this is the identity (no correlation at all).
    fn is_identity(&self) -> bool {
        self.first.iter().enumerate().all(|(i, &f)| f == i) && self.values.iter().all(|&v| v == 1.0)
    }
}

/// The factors and which one each stage uses (`None` = independent).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Correlation {
    pub(crate) factors: Vec<Factor>,
    pub(crate) stage_factor: Vec<Option<usize>>,
}

impl Correlation {
    /// Correlates `x[rows]` in place for stage `t` (see [`Factor::apply`]).
    #[inline]
    pub fn apply(&self, t: usize, x: &mut [f64], rows: Range<usize>) {
        if let Some(f) = self.stage_factor.get(t).copied().flatten() {
            self.factors[f].apply(x, rows);
        }
    }

    /// Factors `input` for the noise `entities`; `stage_ids` are the study stages.
    pub(crate) fn build(
        input: Option<&CorrelationInput>,
        estimated_inflow: Option<&[f64]>,
        entities: &[CorrelatedEntity],
        stage_ids: &[cobre_core::StageId],
    ) -> Result<Self, StochasticError> {
        let mut out = Correlation {
            factors: Vec::new(),
            stage_factor: vec![None; stage_ids.len()],
        };
        let Some(input) = input else {
            if let Some(c) = estimated_inflow {
                let k = (c.len() as f64).sqrt().round() as usize;
                let named: Vec<CorrelatedEntity> = entities.iter().take(k).copied().collect();
                if named.len() == k {
                    let f = factor_profile("estimated from history", &named, c, entities)?;
                    if !f.is_identity() {
                        out.factors.push(f);
                        out.stage_factor = vec![Some(0); stage_ids.len()];
                    }
                }
            }
            return Ok(out);
        };
        let mut names: Vec<&String> = Vec::new();
        for (name, profile) in &input.profiles {
            if profile.matrix.len() != profile.entities.len().pow(2) {
                return Err(StochasticError::InvalidCorrelation {
                    profile: name.clone(),
                    message: format!(
                        "matrix has {} entries for {} entities",
                        profile.matrix.len(),
                        profile.entities.len()
                    ),
                });
            }
            let f = factor_profile(name, &profile.entities, &profile.matrix, entities)?;
            names.push(name);
            out.factors.push(f);
        }
        let default = names.iter().position(|n| n.as_str() == "default");
        for (t, id) in stage_ids.iter().enumerate() {
            out.stage_factor[t] = match input.schedule.get(id) {
                Some(name) => Some(names.iter().position(|n| *n == name).ok_or_else(|| {
                    StochasticError::InvalidCorrelation {
                        profile: name.clone(),
                        message: format!("scheduled at stage {} but not defined", id.0),
                    }
                })?),
                None => default,
            };
        }
        Ok(out)
    }
}

/// Validates a profile, embeds it in the noise order and factors it.
fn factor_profile(
    name: &str,
    named: &[CorrelatedEntity],
    matrix: &[f64],
    entities: &[CorrelatedEntity],
) -> Result<Factor, StochasticError> {
    let err = |message: String| StochasticError::InvalidCorrelation {
        profile: name.to_string(),
        message,
    };
    let k = named.len();
    for i in 0..k {
        for j in 0..k {
            let v = matrix[i * k + j];
            if !v.is_finite() || v.abs() > 1.0 + 1e-9 {
                return Err(err(format!("entry ({i}, {j}) = {v} is not a correlation")));
            }
            if (v - matrix[j * k + i]).abs() > 1e-9 {
                return Err(err(format!("not symmetric at ({i}, {j})")));
            }
        }
        if (matrix[i * k + i] - 1.0).abs() > 1e-9 {
            return Err(err(format!(
                "diagonal entry {i} is {} instead of 1",
                matrix[i * k + i]
            )));
        }
    }
    // Keep the named entities that are stochastic; others have no noise entry.
    let mut keep: Vec<(usize, usize)> = Vec::new();
    for (i, e) in named.iter().enumerate() {
        match entities.iter().position(|x| x == e) {
            Some(p) => keep.push((i, p)),
            None => {
                tracing::warn!(profile = name, entity = ?e, "correlated entity is not stochastic; ignored")
            }
        }
    }
    keep.sort_by_key(|x| x.1);
    let m = keep.len();
    let mut sub = vec![0.0; m * m];
    for (a, &(i, _)) in keep.iter().enumerate() {
        for (b, &(j, _)) in keep.iter().enumerate() {
            sub[a * m + b] = matrix[i * k + j];
        }
    }
    let l_sub = match cholesky(&sub, m) {
        Some(l) => l,
        None => {
            let (vals, _) = symmetric_eigen(&sub, m);
            let min = vals.iter().copied().fold(f64::INFINITY, f64::min);
            let repaired = nearest_correlation(&sub, m);
            let change: f64 = repaired
                .iter()
                .zip(&sub)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt();
            tracing::warn!(
                profile = name,
                min_eigenvalue = min,
                frobenius_change = change,
                "correlation matrix is not positive definite; repaired to the nearest correlation matrix"
            );
            cholesky_semidefinite(&repaired, m, 1e-10)
        }
    };
    let n = entities.len();
    let mut dense = vec![0.0; n * n];
    for i in 0..n {
        dense[i * n + i] = 1.0;
    }
    for (a, &(_, pa)) in keep.iter().enumerate() {
        dense[pa * n + pa] = 0.0;
        for (b, &(_, pb)) in keep.iter().enumerate().take(a + 1) {
            dense[pa * n + pb] = l_sub[a * m + b];
        }
    }
    Ok(Factor::from_dense(&dense, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cobre_core::HydroId;

    fn ents(n: i32) -> Vec<CorrelatedEntity> {
        (0..n)
            .map(|i| CorrelatedEntity::Inflow(HydroId(i)))
            .collect()
    }

    #[test]
    fn factor_reproduces_a_valid_matrix() {
        let c = [1.0, 0.6, 0.6, 1.0];
        let f = factor_profile("p", &ents(2), &c, &ents(2)).unwrap_or_else(|e| panic!("{e}"));
        let mut x = [1.0, 0.0];
        f.apply(&mut x, 0..2);
        assert_eq!(x[0], 1.0);
        assert!((x[1] - 0.6).abs() < 1e-12);
    }

    #[test]
    fn asymmetric_matrix_is_refused() {
        let c = [1.0, 0.6, 0.5, 1.0];
        assert!(matches!(
            factor_profile("p", &ents(2), &c, &ents(2)),
            Err(StochasticError::InvalidCorrelation { .. })
        ));
    }

    #[test]
    fn indefinite_matrix_is_repaired_to_a_valid_factor() {
        let c = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
        let f = factor_profile("p", &ents(3), &c, &ents(3)).unwrap_or_else(|e| panic!("{e}"));
        // Rows of L have unit norm: the implied variances are 1.
        for i in 0..3 {
            let mut norm = 0.0;
            for j in 0..3 {
                let mut e = [0.0; 3];
                e[j] = 1.0;
                f.apply(&mut e, 0..3);
                norm += e[i] * e[i];
            }
            assert!((norm - 1.0).abs() < 1e-8, "row {i}: {norm}");
        }
    }
}
