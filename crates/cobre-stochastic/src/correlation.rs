//! Spatial correlation of the noise vector.
//!
//! Each stage uses the correlation profile its schedule names, else the
//! profile `"default"`, else independence. A profile's matrix `C` over the
//! entities it names is applied through its **spectral square root**
//! `D = V·diag(√max(λ, 0))·Vᵀ` (`C = V·diag(λ)·Vᵀ`): correlated noise is
//! `η = D·ξ` on the named entities, `ξ ~ N(0, I)`, the others stay
//! independent. This is Cobre 0.18's transform (`method: "spectral"`), so the
//! same independent draws give the same correlated openings.
//!
//! **Policy for matrices that are not positive semi-definite:** structural
//! errors are refused with [`StochasticError::InvalidCorrelation`] (not square,
//! not symmetric, diagonal ≠ 1, entries outside [−1, 1], NaN, unknown
//! profile). A well-formed but indefinite matrix (as estimated matrices can
//! be) has its negative eigenvalues clipped to 0, with a `tracing` warning
//! giving the most negative one: `D·Dᵀ` is then the nearest positive
//! semi-definite matrix in the spectral sense (its diagonal may fall below 1).

use crate::linalg::symmetric_eigen;
use crate::StochasticError;
use cobre_core::scenario::{CorrelatedEntity, CorrelationInput};
use std::cell::RefCell;
use std::ops::Range;

/// The spectral square root of one profile, on the noise positions it names.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// Noise positions of the named entities, ascending.
    members: Vec<usize>,
    /// `D`, `members.len()²`, row-major (symmetric).
    d: Vec<f64>,
}

thread_local! {
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

impl Factor {
    /// Replaces `x[i]` by `(D·x)[i]` for the named positions `i` in `rows`,
    /// reading every named position of `x` (positions outside `rows` are read
    /// as they are and left unchanged).
    #[inline]
    pub fn apply(&self, x: &mut [f64], rows: Range<usize>) {
        let m = self.members.len();
        if m == 0 || self.members.last().is_some_and(|&p| p >= x.len()) {
            return;
        }
        SCRATCH.with(|cell| {
            let mut y = cell.borrow_mut();
            y.clear();
            for a in 0..m {
                let row = &self.d[a * m..(a + 1) * m];
                y.push(row.iter().zip(&self.members).map(|(d, &p)| d * x[p]).sum());
            }
            for (a, &p) in self.members.iter().enumerate() {
                if rows.contains(&p) {
                    x[p] = y[a];
                }
            }
        });
    }

    /// Whether this is the identity (no correlation at all).
    fn is_identity(&self) -> bool {
        let m = self.members.len();
        (0..m).all(|a| (0..m).all(|b| self.d[a * m + b] == f64::from(u8::from(a == b))))
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

    /// Factors `input` for the noise `entities`; `stage_ids` are the study
    /// stages. Without `input`, `estimated_inflow` gives the matrices
    /// estimated from history (over the first hydros of `entities`) and, per
    /// stage, which one applies.
    pub(crate) fn build(
        input: Option<&CorrelationInput>,
        estimated_inflow: Option<(&[Vec<f64>], &[usize])>,
        entities: &[CorrelatedEntity],
        stage_ids: &[cobre_core::StageId],
    ) -> Result<Self, StochasticError> {
        let mut out = Correlation {
            factors: Vec::new(),
            stage_factor: vec![None; stage_ids.len()],
        };
        let Some(input) = input else {
            if let Some((matrices, by_stage)) = estimated_inflow {
                let mut index = Vec::with_capacity(matrices.len());
                for c in matrices {
                    let k = (c.len() as f64).sqrt().round() as usize;
                    let named: Vec<CorrelatedEntity> = entities.iter().take(k).copied().collect();
                    let f = if named.len() == k {
                        Some(factor_profile(
                            "estimated from history",
                            &named,
                            c,
                            entities,
                        )?)
                    } else {
                        None
                    };
                    index.push(f.filter(|f| !f.is_identity()).map(|f| {
                        out.factors.push(f);
                        out.factors.len() - 1
                    }));
                }
                for (t, slot) in out.stage_factor.iter_mut().enumerate() {
                    *slot = by_stage
                        .get(t)
                        .and_then(|&i| index.get(i).copied().flatten());
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
    let (vals, vecs) = symmetric_eigen(&sub, m);
    let min = vals.iter().copied().fold(f64::INFINITY, f64::min);
    if min < 0.0 {
        tracing::warn!(
            profile = name,
            min_eigenvalue = min,
            "correlation matrix is not positive semi-definite; negative eigenvalues clipped to 0"
        );
    }
    let roots: Vec<f64> = vals.iter().map(|&l| l.max(0.0).sqrt()).collect();
    let mut d = vec![0.0; m * m];
    for a in 0..m {
        for b in 0..m {
            d[a * m + b] = (0..m)
                .map(|k| vecs[a * m + k] * roots[k] * vecs[b * m + k])
                .sum();
        }
    }
    Ok(Factor {
        members: keep.iter().map(|x| x.1).collect(),
        d,
    })
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

    /// `D·Dᵀ` of a factor, from its images of the unit vectors.
    fn gram(f: &Factor, n: usize) -> Vec<f64> {
        let cols: Vec<Vec<f64>> = (0..n)
            .map(|j| {
                let mut e = vec![0.0; n];
                e[j] = 1.0;
                f.apply(&mut e, 0..n);
                e
            })
            .collect();
        (0..n * n)
            .map(|k| (0..n).map(|j| cols[j][k / n] * cols[j][k % n]).sum())
            .collect()
    }

    #[test]
    fn factor_is_the_symmetric_square_root_of_a_valid_matrix() {
        let c = [1.0, 0.6, 0.6, 1.0];
        let f = factor_profile("p", &ents(2), &c, &ents(2)).unwrap_or_else(|e| panic!("{e}"));
        let mut x = [1.0, 0.0];
        f.apply(&mut x, 0..2);
        let a = ((1.6f64).sqrt() + (0.4f64).sqrt()) / 2.0;
        let b = ((1.6f64).sqrt() - (0.4f64).sqrt()) / 2.0;
        assert!(
            (x[0] - a).abs() < 1e-12 && (x[1] - b).abs() < 1e-12,
            "{x:?}"
        );
        for (g, want) in gram(&f, 2).iter().zip(c) {
            assert!((g - want).abs() < 1e-12);
        }
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
    fn indefinite_matrix_has_its_negative_eigenvalues_clipped() {
        let c = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
        let f = factor_profile("p", &ents(3), &c, &ents(3)).unwrap_or_else(|e| panic!("{e}"));
        let g = gram(&f, 3);
        let (vals, _) = symmetric_eigen(&g, 3);
        assert!(vals.iter().all(|&v| v > -1e-10), "{vals:?}");
        assert!(g[1] > 0.0 && g[2] < 0.0, "signs kept: {g:?}");
    }
}
