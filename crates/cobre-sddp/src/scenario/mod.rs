//! The stochastic process as the engine sees it: per stage, the PAR(p)
//! inflow terms, the load statistics, the opening tree and a forward
//! sampler.
//!
//! The stage inflow of hydro `h` is
//! `z_h = base[h] + Σ_l psi[h][l]·lag_l + sigma[h]·η_h` (m³/s), `lag_1` being
//! the previous stage's inflow. `psi` goes into the stage LP's matrix once;
//! `base + sigma·η` is the right-hand side patched per solve. The load of bus
//! `b` in block `k` is `max(0, mean_b + std_b·η_b)·factor_{b,k}` (MW).
//!
//! [`ScenarioModel`] is plain owned data so the hot loop reads flat arrays.
//! It is built by [`ScenarioModel::build`] from the case (see
//! `fallback.rs`), following the `cobre-stochastic` contract.

mod fallback;

use crate::rng::KeyedStream;
use cobre_core::config::SamplingScheme;

/// Per-stage terms of the stochastic process.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageScenario {
    /// Deterministic inflow base per hydro (m³/s).
    pub base: Vec<f64>,
    /// AR coefficients in original units, `n_hydros × max_order`, row-major.
    pub psi: Vec<f64>,
    /// Innovation scale per hydro (m³/s per unit of noise).
    pub sigma: Vec<f64>,
    /// Mean load per bus (MW).
    pub load_mean: Vec<f64>,
    /// Load standard deviation per bus (MW).
    pub load_std: Vec<f64>,
    /// Load block factor, `n_blocks × n_buses`, block-major.
    pub load_factor: Vec<f64>,
    /// Number of openings of the stage.
    pub num_openings: usize,
    /// Opening noise vectors, `num_openings × noise_dim`, row-major.
    pub openings: Vec<f64>,
}

/// The stochastic process of a study, as flat per-stage arrays.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScenarioModel {
    num_hydros: usize,
    num_buses: usize,
    max_order: usize,
    noise_dim: usize,
    stages: Vec<StageScenario>,
    initial_lags: Vec<f64>,
}

/// Where a phase's forward noise comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampling {
    /// Seed of the phase.
    pub seed: u64,
    /// Scheme.
    pub scheme: SamplingScheme,
}

impl ScenarioModel {
    /// Assembles a model from its parts (used by adapters and tests).
    ///
    /// # Errors
    /// [`crate::SddpError::Stochastic`] when array lengths disagree.
    pub fn from_parts(
        num_hydros: usize,
        num_buses: usize,
        max_order: usize,
        stages: Vec<StageScenario>,
        initial_lags: Vec<f64>,
    ) -> Result<Self, crate::SddpError> {
        let noise_dim = num_hydros + num_buses;
        let bad = |m: String| Err(crate::SddpError::Stochastic { message: m });
        if initial_lags.len() != num_hydros * max_order {
            return bad(format!(
                "{} initial lags, expected {}",
                initial_lags.len(),
                num_hydros * max_order
            ));
        }
        for (t, s) in stages.iter().enumerate() {
            let ok = s.base.len() == num_hydros
                && s.sigma.len() == num_hydros
                && s.psi.len() == num_hydros * max_order
                && s.load_mean.len() == num_buses
                && s.load_std.len() == num_buses
                && s.num_openings >= 1
                && s.openings.len() == s.num_openings * noise_dim
                && s.load_factor.len() % num_buses.max(1) == 0;
            if !ok {
                return bad(format!("stage {t}: inconsistent array lengths"));
            }
        }
        Ok(Self {
            num_hydros,
            num_buses,
            max_order,
            noise_dim,
            stages,
            initial_lags,
        })
    }

    /// Number of hydros.
    #[must_use]
    pub fn num_hydros(&self) -> usize {
        self.num_hydros
    }

    /// Number of buses.
    #[must_use]
    pub fn num_buses(&self) -> usize {
        self.num_buses
    }

    /// Maximum AR order `L` (every hydro stores `L` lags).
    #[must_use]
    pub fn max_order(&self) -> usize {
        self.max_order
    }

    /// Length of a noise vector (`n_hydros + n_buses`: inflow noises first).
    #[must_use]
    pub fn noise_dim(&self) -> usize {
        self.noise_dim
    }

    /// Number of stages.
    #[must_use]
    pub fn num_stages(&self) -> usize {
        self.stages.len()
    }

    /// Terms of stage `t`.
    #[must_use]
    pub fn stage(&self, t: usize) -> Option<&StageScenario> {
        self.stages.get(t)
    }

    /// Inflow lags before the first stage, `n_hydros × L` (lag 1 first).
    #[must_use]
    pub fn initial_lags(&self) -> &[f64] {
        &self.initial_lags
    }

    /// Number of openings of stage `t` (0 for an unknown stage).
    #[must_use]
    pub fn num_openings(&self, t: usize) -> usize {
        self.stages.get(t).map_or(0, |s| s.num_openings)
    }

    /// Noise vector of opening `k` of stage `t` (empty when out of range).
    #[must_use]
    pub fn opening(&self, t: usize, k: usize) -> &[f64] {
        let d = self.noise_dim;
        self.stages
            .get(t)
            .and_then(|s| s.openings.get(k * d..(k + 1) * d))
            .unwrap_or(&[])
    }

    /// Writes the forward noise of `(iteration, scenario, stage)` into `out`
    /// (`noise_dim` long). In-sample draws one of the stage's openings;
    /// out-of-sample draws fresh standard normal noise. Both are keyed by
    /// `(seed, iteration, scenario, stage)` only.
    pub fn sample(
        &self,
        sampling: Sampling,
        iteration: u64,
        scenario: u64,
        t: usize,
        out: &mut [f64],
    ) {
        let mut rng = KeyedStream::new(sampling.seed, iteration, scenario, t as u64);
        match sampling.scheme {
            SamplingScheme::OutOfSample => {
                for v in out.iter_mut() {
                    *v = rng.normal();
                }
            }
            _ => {
                let k = rng.index(self.num_openings(t));
                let src = self.opening(t, k);
                for (o, s) in out
                    .iter_mut()
                    .zip(src.iter().chain(std::iter::repeat(&0.0)))
                {
                    *o = *s;
                }
            }
        }
    }

    /// Writes the inflow right-hand side `base + sigma·η` per hydro.
    pub fn inflow_rhs_into(&self, t: usize, noise: &[f64], out: &mut [f64]) {
        if let Some(s) = self.stages.get(t) {
            for (h, o) in out.iter_mut().enumerate().take(self.num_hydros) {
                let eta = noise.get(h).copied().unwrap_or(0.0);
                *o = s.base[h] + s.sigma[h] * eta;
            }
        }
    }

    /// Writes the load of every `(block, bus)` (block-major) for `n_blocks` blocks.
    pub fn load_into(&self, t: usize, noise: &[f64], n_blocks: usize, out: &mut [f64]) {
        let nb = self.num_buses;
        let Some(s) = self.stages.get(t) else {
            return;
        };
        for k in 0..n_blocks {
            for b in 0..nb {
                let eta = noise.get(self.num_hydros + b).copied().unwrap_or(0.0);
                let factor = s.load_factor.get(k * nb + b).copied().unwrap_or(1.0);
                if let Some(o) = out.get_mut(k * nb + b) {
                    *o = (s.load_mean[b] + s.load_std[b] * eta).max(0.0) * factor;
                }
            }
        }
    }
}
