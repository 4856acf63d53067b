//! Builds a [`ScenarioModel`] straight from the case's scenario inputs:
//! PAR(p) from seasonal statistics and AR coefficients, independent
//! standard normal openings keyed by `(seed, stage, opening)`.
//!
//! This is the engine's own reading of the `cobre-stochastic` contract, used
//! until that crate provides the model; it handles the deterministic cases
//! exactly (zero standard deviations) and PAR(0)/PAR(p) inflows and normal
//! loads for the stochastic ones.

use super::{ScenarioModel, StageScenario};
use crate::rng::KeyedStream;
use crate::SddpError;
use cobre_core::{BusId, HydroId, StageId, StudyConfig, System};
use std::collections::BTreeMap;

type Stats = BTreeMap<(i32, i32), (f64, f64)>;

impl ScenarioModel {
    /// Builds the stochastic process of a case.
    ///
    /// # Errors
    /// [`SddpError::Stochastic`] when the inputs are inconsistent.
    pub fn build(system: &System, config: &StudyConfig) -> Result<Self, SddpError> {
        let stages = &system.horizon().stages;
        let pre: Vec<StageId> = system
            .horizon()
            .pre_study_stages
            .iter()
            .map(|p| p.id)
            .collect();
        let inputs = system.scenarios();
        let inflow_stats: Stats = inputs
            .inflow_stats
            .iter()
            .map(|s| ((s.entity.0, s.stage.0), (s.mean, s.std)))
            .collect();
        let load_stats: Stats = inputs
            .load_stats
            .iter()
            .map(|s| ((s.entity.0, s.stage.0), (s.mean, s.std)))
            .collect();
        // (hydro, stage) -> [(lag, coefficient, ratio)]
        let mut ar: BTreeMap<(i32, i32), Vec<(u32, f64, f64)>> = BTreeMap::new();
        for c in &inputs.ar_coefficients {
            ar.entry((c.hydro.0, c.stage.0)).or_default().push((
                c.lag,
                c.coefficient,
                c.residual_std_ratio,
            ));
        }
        let max_order = inputs
            .ar_coefficients
            .iter()
            .map(|c| c.lag as usize)
            .max()
            .unwrap_or(0);
        let hydros: Vec<HydroId> = system.hydros().iter().map(|h| h.id).collect();
        let buses: Vec<BusId> = system.buses().iter().map(|b| b.id).collect();
        let (nh, nb, l_max) = (hydros.len(), buses.len(), max_order);
        let noise_dim = nh + nb;
        let seed = config.training.tree_seed.unwrap_or_else(|| config.seed());

        // Stage id `l` stages before study stage `t` (pre-study when negative).
        let lagged_id = |t: usize, l: usize| -> Option<StageId> {
            if l <= t {
                stages.get(t - l).map(|s| s.id)
            } else {
                let j = l - t;
                pre.len().checked_sub(j).and_then(|p| pre.get(p).copied())
            }
        };
        let stat = |h: HydroId, id: Option<StageId>| -> Option<(f64, f64)> {
            id.and_then(|id| inflow_stats.get(&(h.0, id.0)).copied())
        };

        let mut out = Vec::with_capacity(stages.len());
        for (t, stage) in stages.iter().enumerate() {
            let mut s = StageScenario {
                base: vec![0.0; nh],
                psi: vec![0.0; nh * l_max],
                sigma: vec![0.0; nh],
                load_mean: vec![0.0; nb],
                load_std: vec![0.0; nb],
                load_factor: vec![1.0; stage.blocks.len() * nb],
                num_openings: stage.num_openings.max(1),
                openings: Vec::new(),
            };
            for (h, &hid) in hydros.iter().enumerate() {
                let (mu, sd) = stat(hid, Some(stage.id)).unwrap_or((0.0, 0.0));
                let coefs = ar.get(&(hid.0, stage.id.0));
                let ratio = coefs.and_then(|c| c.first()).map_or(1.0, |&(_, _, r)| r);
                let mut base = mu;
                if let Some(coefs) = coefs {
                    for &(lag, phi, _) in coefs {
                        let l = lag as usize;
                        if l == 0 || l > l_max {
                            continue;
                        }
                        let (mu_l, sd_l) = stat(hid, lagged_id(t, l)).unwrap_or((mu, sd));
                        let psi = if sd_l > 0.0 { phi * sd / sd_l } else { 0.0 };
                        s.psi[h * l_max + l - 1] = psi;
                        base -= psi * mu_l;
                    }
                }
                s.base[h] = base;
                s.sigma[h] = sd * ratio;
            }
            for (b, &bid) in buses.iter().enumerate() {
                let (mu, sd) = load_stats
                    .get(&(bid.0, stage.id.0))
                    .copied()
                    .unwrap_or((0.0, 0.0));
                s.load_mean[b] = mu;
                s.load_std[b] = sd;
            }
            for f in inputs.load_factors.iter().filter(|f| f.stage == stage.id) {
                let Some(b) = system.bus_position(f.entity) else {
                    continue;
                };
                for &(block_id, factor) in &f.factors {
                    if let Some(k) = stage.blocks.iter().position(|bl| bl.id == block_id) {
                        s.load_factor[k * nb + b] = factor;
                    }
                }
            }
            s.openings = Vec::with_capacity(s.num_openings * noise_dim);
            for k in 0..s.num_openings {
                let mut rng = KeyedStream::new(seed, 0x7EEE, t as u64, k as u64);
                for _ in 0..noise_dim {
                    s.openings.push(rng.normal());
                }
            }
            out.push(s);
        }

        // Initial lags: latest observations first, else the lagged stage mean.
        let mut initial = vec![0.0; nh * l_max];
        for (h, &hid) in hydros.iter().enumerate() {
            let mut obs: Vec<_> = system
                .initial_conditions()
                .recent_observations
                .iter()
                .filter(|o| o.hydro == hid)
                .collect();
            obs.sort_by_key(|o| std::cmp::Reverse(o.start_date));
            for l in 1..=l_max {
                let value = obs
                    .get(l - 1)
                    .map(|o| o.value_m3s)
                    .or_else(|| stat(hid, lagged_id(0, l)).map(|(m, _)| m));
                initial[h * l_max + l - 1] = value.unwrap_or(0.0);
            }
        }
        Self::from_parts(nh, nb, l_max, out, initial)
    }
}
