//! The stochastic process as the engine sees it: a thin adapter over
//! [`cobre_stochastic::StochasticModel`] exposing exactly what the stage LPs
//! need.
//!
//! The stage inflow of hydro `h` is
//! `z_h = base[h] + Σ_l psi[h][l]·lag_l + sigma[h]·η_h` (m³/s), `lag_1` being
//! the previous season period's mean inflow (the previous stage's inflow
//! when stages and season periods coincide). `psi` goes into the stage LP's matrix once;
//! `base + sigma·η` (raised when truncating) is the right-hand side patched
//! per solve. Loads are read from the same noise vector.

use crate::SddpError;
use cobre_core::config::ScenarioSourceConfig;
use cobre_core::{StudyConfig, System};
pub use cobre_stochastic::Phase as SamplerPhase;
use cobre_stochastic::{sampler_for, ForwardSampler, LagAccumulator, NoiseLayout, StochasticModel};

/// The stochastic process of a study.
#[derive(Debug, Clone)]
pub struct ScenarioModel {
    model: StochasticModel,
    layout: NoiseLayout,
    num_buses: usize,
}

/// A forward noise source of one phase (training or simulation).
pub struct Sampler {
    inner: Box<dyn ForwardSampler>,
}

impl std::fmt::Debug for Sampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sampler").finish_non_exhaustive()
    }
}

impl ScenarioModel {
    /// Builds the stochastic model of a case.
    ///
    /// # Errors
    /// [`SddpError::Stochastic`] when the scenario inputs are invalid.
    pub fn build(system: &System, config: &StudyConfig) -> Result<Self, SddpError> {
        let model = StochasticModel::build(system, config)
            .map_err(|source| SddpError::Stochastic { source })?;
        Ok(Self::from_model(model, system.buses().len()))
    }

    /// Wraps an already built model.
    #[must_use]
    pub fn from_model(model: StochasticModel, num_buses: usize) -> Self {
        let layout = model.noise_layout();
        Self {
            model,
            layout,
            num_buses,
        }
    }

    /// The underlying model.
    #[must_use]
    pub fn model(&self) -> &StochasticModel {
        &self.model
    }

    /// The forward sampler of a scenario source for one phase,
    /// `per_iteration` scenarios per iteration.
    ///
    /// # Errors
    /// [`SddpError::Stochastic`] when a replay scheme lacks its data.
    pub fn sampler(
        &self,
        source: &ScenarioSourceConfig,
        per_iteration: usize,
        phase: SamplerPhase,
    ) -> Result<Sampler, SddpError> {
        let per = u32::try_from(per_iteration).unwrap_or(u32::MAX);
        sampler_for(source, &self.model, per, phase)
            .map(|inner| Sampler { inner })
            .map_err(|source| SddpError::Stochastic { source })
    }

    /// Whether every scenario `sampler` draws is the same (one scenario in
    /// the case: one opening per stage in-sample, no noise, or one replayed
    /// trajectory), so that a forward pass prices the policy exactly.
    #[must_use]
    pub fn single_path(&self, sampler: &Sampler) -> bool {
        sampler
            .inner
            .single_path(&self.model, 0..self.model.num_noise_entities())
    }

    /// Number of hydros.
    #[must_use]
    pub fn num_hydros(&self) -> usize {
        self.model.num_hydros()
    }

    /// Number of buses.
    #[must_use]
    pub fn num_buses(&self) -> usize {
        self.num_buses
    }

    /// Maximum AR order `L` (every hydro stores `L` lags).
    #[must_use]
    pub fn max_order(&self) -> usize {
        self.model.max_order()
    }

    /// Length of a noise vector.
    #[must_use]
    pub fn noise_dim(&self) -> usize {
        self.model.num_noise_entities()
    }

    /// Number of stages.
    #[must_use]
    pub fn num_stages(&self) -> usize {
        self.model.num_stages()
    }

    /// AR coefficients of stage `t`, `n_hydros × L` row-major.
    #[must_use]
    pub fn psi(&self, t: usize) -> &[f64] {
        if t < self.num_stages() {
            self.model.inflow_stage(t).psi
        } else {
            &[]
        }
    }

    /// Inflow lags before the first stage, `n_hydros × L` (lag 1 first).
    #[must_use]
    pub fn initial_lags(&self) -> &[f64] {
        self.model.initial_lags()
    }

    /// A lag accumulator for one trajectory, at the study start.
    #[must_use]
    pub fn lag_accumulator(&self) -> LagAccumulator {
        self.model.lag_chain().accumulator()
    }

    /// Resets a trajectory's lag accumulator to the study start.
    pub fn restart_lags(&self, acc: &mut LagAccumulator) {
        self.model.lag_chain().restart(acc);
    }

    /// How the inflow lags move from stage to stage (see
    /// [`cobre_stochastic::lag_chain`]): with one stage per season period,
    /// the shift the stage LP renders in its outgoing state.
    #[must_use]
    pub fn lag_chain(&self) -> &cobre_stochastic::lag_chain::LagChain {
        self.model.lag_chain()
    }

    /// Number of openings of stage `t` (0 for an unknown stage).
    #[must_use]
    pub fn num_openings(&self, t: usize) -> usize {
        if t < self.num_stages() {
            self.model.opening_tree().openings(t)
        } else {
            0
        }
    }

    /// Noise vector of opening `k` of stage `t`.
    #[must_use]
    pub fn opening(&self, t: usize, k: usize) -> &[f64] {
        if k < self.num_openings(t) {
            self.model.opening_tree().opening(t, k)
        } else {
            &[]
        }
    }

    /// Writes the forward noise of `(iteration, scenario, stage)` into `out`.
    pub fn sample(
        &self,
        sampler: &Sampler,
        iteration: u64,
        scenario: u64,
        t: usize,
        out: &mut [f64],
    ) {
        sampler
            .inner
            .sample(&self.model, iteration, scenario, t, out);
    }

    /// The opening of stage `t`'s tree that the forward noise of
    /// `(iteration, scenario)` is, when it is one (in-sample sampling).
    #[must_use]
    pub fn forward_opening(
        &self,
        sampler: &Sampler,
        iteration: u64,
        scenario: u64,
        t: usize,
    ) -> Option<usize> {
        sampler.inner.opening(&self.model, iteration, scenario, t)
    }

    /// Writes the inflow right-hand side (`base + σ·η`, raised when
    /// truncating) and the realised inflow per hydro for incoming `lags`.
    pub fn inflow_into(
        &self,
        t: usize,
        lags: &[f64],
        noise: &[f64],
        rhs: &mut [f64],
        realised: &mut [f64],
    ) {
        if t >= self.num_stages() {
            return;
        }
        let eta = noise.get(self.layout.inflow.clone()).unwrap_or(&[]);
        if eta.len() < self.num_hydros() {
            return;
        }
        let m = self.model.inflow_model();
        m.inflow_rhs(t, lags, eta, rhs);
        m.inflow(t, lags, eta, realised);
    }

    /// Writes the available power of every `(block, source)` (block-major).
    pub fn ncs_available_into(&self, t: usize, noise: &[f64], n_blocks: usize, out: &mut [f64]) {
        let nr = out.len() / n_blocks.max(1);
        for k in 0..n_blocks {
            for r in 0..nr {
                if let Some(o) = out.get_mut(k * nr + r) {
                    *o = self.model.ncs_available_mw(t, r, k, noise);
                }
            }
        }
    }

    /// Writes the load of every `(block, bus)` (block-major) for `n_blocks` blocks.
    pub fn load_into(&self, t: usize, noise: &[f64], n_blocks: usize, out: &mut [f64]) {
        let nb = self.num_buses;
        for k in 0..n_blocks {
            for b in 0..nb {
                if let Some(o) = out.get_mut(k * nb + b) {
                    *o = self.model.load_mw(t, b, k, noise);
                }
            }
        }
    }
}
