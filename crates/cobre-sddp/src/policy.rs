//! A trained policy: the cuts of every stage, in $, plus a warm-start basis
//! per stage for simulation.

use crate::cuts::CutPool;
use crate::SddpError;
use cobre_solver::Basis;

/// The future-cost approximation of every stage.
///
/// Stage `t`'s pool holds the cuts `θ_t ≥ α + π·x` on the cost-to-go
/// after stage `t`, in $ (undiscounted) and in the state units (hm³ for
/// storage, m³/s for lags). The last stage's pool is empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    pools: Vec<CutPool>,
    bases: Vec<Option<Basis>>,
    n_hydros: usize,
    n_lags: usize,
}

impl Policy {
    /// A policy from per-stage pools in $ units.
    #[must_use]
    pub fn new(pools: Vec<CutPool>, n_hydros: usize, n_lags: usize) -> Self {
        let n = pools.len();
        Self {
            pools,
            bases: vec![None; n],
            n_hydros,
            n_lags,
        }
    }

    /// Converts scaled training pools into a policy in $.
    pub(crate) fn from_scaled<'a>(
        scaled: impl IntoIterator<Item = &'a CutPool>,
        cost_scale: f64,
        n_hydros: usize,
        n_lags: usize,
    ) -> Self {
        Self::new(rescale(scaled, cost_scale), n_hydros, n_lags)
    }

    /// The same cuts scaled for an LP with cost scale `cost_scale`.
    pub(crate) fn scaled_pools(&self, cost_scale: f64) -> Vec<CutPool> {
        rescale(&self.pools, 1.0 / cost_scale)
    }

    /// Number of stages.
    #[must_use]
    pub fn num_stages(&self) -> usize {
        self.pools.len()
    }

    /// Cut pool of stage `t` (in $).
    #[must_use]
    pub fn stage(&self, t: usize) -> Option<&CutPool> {
        self.pools.get(t)
    }

    /// Total number of cuts.
    #[must_use]
    pub fn num_cuts(&self) -> usize {
        self.pools.iter().map(CutPool::len).sum()
    }

    /// Hydros in the state.
    #[must_use]
    pub fn n_hydros(&self) -> usize {
        self.n_hydros
    }

    /// Lags per hydro in the state.
    #[must_use]
    pub fn n_lags(&self) -> usize {
        self.n_lags
    }

    /// Warm-start basis of stage `t`, if any.
    #[must_use]
    pub fn basis(&self, t: usize) -> Option<&Basis> {
        self.bases.get(t).and_then(Option::as_ref)
    }

    /// Sets the warm-start basis of stage `t`.
    pub fn set_basis(&mut self, t: usize, basis: Basis) {
        if let Some(b) = self.bases.get_mut(t) {
            *b = Some(basis);
        }
    }

    /// Checks that the policy fits a study of `n_stages` stages and
    /// `n_state` state components.
    ///
    /// # Errors
    /// [`SddpError::PolicyMismatch`].
    pub fn check_fits(&self, n_stages: usize, n_state: usize) -> Result<(), SddpError> {
        if self.pools.len() != n_stages {
            return Err(SddpError::PolicyMismatch {
                message: format!(
                    "{} stages in the policy, {n_stages} in the case",
                    self.pools.len()
                ),
            });
        }
        if let Some(p) = self.pools.iter().find(|p| p.n_state() != n_state) {
            return Err(SddpError::PolicyMismatch {
                message: format!(
                    "state dimension {} in the policy, {n_state} in the case",
                    p.n_state()
                ),
            });
        }
        Ok(())
    }
}

/// Multiplies every intercept and coefficient by `factor`, batch by batch.
fn rescale<'a>(pools: impl IntoIterator<Item = &'a CutPool>, factor: f64) -> Vec<CutPool> {
    pools
        .into_iter()
        .map(|p| {
            let mut out = CutPool::new(p.n_state());
            for b in 0..p.num_batches() {
                let range = p.batch(b);
                let intercepts: Vec<f64> = range.clone().map(|i| p.intercept(i) * factor).collect();
                let coefs: Vec<f64> = range
                    .clone()
                    .flat_map(|i| p.coefficients(i).iter().map(move |c| c * factor))
                    .collect();
                out.push_batch(&intercepts, &coefs, p.iteration_of(range.start));
            }
            out
        })
        .collect()
}
