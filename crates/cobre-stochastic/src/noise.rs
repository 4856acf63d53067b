//! The noise vector and the non-inflow stochastic quantities.
//!
//! A noise vector holds one standardised, spatially correlated value per
//! stochastic entity, in this order: every hydro's inflow (hydro order), then
//! every *stochastic* bus load (buses whose load std is positive at some
//! stage, bus order), then every stochastic non-controllable source (NCS
//! order). Deterministic loads and sources have no entry and read as η = 0.
//!
//! * load of bus `b`, block `k`: `max(0, μ + s·η) · f_k` (MW), `f_k` the block
//!   factor of `load_factors.json` (1 when absent; 0 MW without statistics);
//! * available power of NCS `r`, block `k`: `clamp(μ + s·η, 0, 1) · P · f_k`
//!   where `μ, s` are the availability-factor statistics (factor 1 without
//!   statistics) and `P` the stage's available capacity (MW).

use cobre_core::scenario::{BlockFactors, SeasonalStat};
use cobre_core::{StageId, System};
use std::collections::BTreeMap;
use std::ops::Range;

/// A class of stochastic entities, each with its own range of the noise
/// vector and its own sampling scheme in a scenario source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoiseClass {
    /// Hydro inflows.
    Inflow,
    /// Bus loads.
    Load,
    /// Non-controllable sources.
    Ncs,
}

impl NoiseClass {
    /// Every class, in noise-vector order.
    pub const ALL: [Self; 3] = [Self::Inflow, Self::Load, Self::Ncs];

    /// The class's name in messages: `inflow`, `load` or `ncs`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Inflow => "inflow",
            Self::Load => "load",
            Self::Ncs => "ncs",
        }
    }
}

impl std::fmt::Display for NoiseClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Index ranges of each class in a noise vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoiseLayout {
    /// Hydro inflows (`n_h` entries, hydro order).
    pub inflow: Range<usize>,
    /// Stochastic bus loads.
    pub load: Range<usize>,
    /// Stochastic non-controllable sources.
    pub ncs: Range<usize>,
}

impl NoiseLayout {
    /// Total length of a noise vector.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ncs.end
    }

    /// Whether the vector is empty (no stochastic entity at all).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ncs.end == 0
    }

    /// The index range of `class`.
    #[must_use]
    pub fn range(&self, class: NoiseClass) -> Range<usize> {
        match class {
            NoiseClass::Inflow => self.inflow.clone(),
            NoiseClass::Load => self.load.clone(),
            NoiseClass::Ncs => self.ncs.clone(),
        }
    }
}

/// Stage × entity statistics with per-block factors, for loads or NCS.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BlockQuantity {
    /// `[t][e] = (mean, std)`, `None` without statistics.
    pub stats: Vec<Option<(f64, f64)>>,
    /// Start of stage `t` in `factors` (`[t][e][block]`).
    pub factor_offset: Vec<usize>,
    /// Blocks per stage.
    pub blocks: Vec<usize>,
    /// Block factors.
    pub factors: Vec<f64>,
    /// Position of each entity in the noise vector (absolute), if stochastic.
    pub noise_index: Vec<Option<usize>>,
    /// Number of entities.
    pub entities: usize,
}

impl BlockQuantity {
    /// Builds the table for `entities` entities; `pos` maps a raw id to a position.
    pub(crate) fn new<Id: Copy>(
        system: &System,
        entities: usize,
        stats: &[SeasonalStat<Id>],
        factors: &[BlockFactors<Id>],
        pos: impl Fn(Id) -> Option<usize>,
        noise_start: usize,
    ) -> Self {
        let stages = &system.horizon().stages;
        let index: BTreeMap<StageId, usize> = stages.iter().map(|s| (s.id, s.index)).collect();
        let mut table = vec![None; stages.len() * entities];
        for s in stats {
            if let (Some(&t), Some(e)) = (index.get(&s.stage), pos(s.entity)) {
                table[t * entities + e] = Some((s.mean, s.std.max(0.0)));
            }
        }
        let blocks: Vec<usize> = stages.iter().map(|s| s.blocks.len().max(1)).collect();
        let mut factor_offset = Vec::with_capacity(stages.len());
        let mut total = 0;
        for b in &blocks {
            factor_offset.push(total);
            total += b * entities;
        }
        let mut fac = vec![1.0; total];
        for f in factors {
            if let (Some(&t), Some(e)) = (index.get(&f.stage), pos(f.entity)) {
                for &(block, value) in &f.factors {
                    let position = stages[t].blocks.iter().position(|b| b.id == block);
                    if let Some(k) = position {
                        fac[factor_offset[t] + e * blocks[t] + k] = value;
                    }
                }
            }
        }
        let mut noise_index = vec![None; entities];
        let mut next = noise_start;
        for (e, slot) in noise_index.iter_mut().enumerate() {
            if (0..stages.len()).any(|t| table[t * entities + e].is_some_and(|s| s.1 > 0.0)) {
                *slot = Some(next);
                next += 1;
            }
        }
        Self {
            stats: table,
            factor_offset,
            blocks,
            factors: fac,
            noise_index,
            entities,
        }
    }

    /// Number of stochastic entities.
    pub(crate) fn num_stochastic(&self) -> usize {
        self.noise_index.iter().flatten().count()
    }

    /// `(mean + std·η, block factor)`, or `None` without statistics.
    #[inline]
    pub(crate) fn value(
        &self,
        t: usize,
        e: usize,
        block: usize,
        noise: &[f64],
    ) -> (Option<f64>, f64) {
        let factor = if block < self.blocks[t] {
            self.factors[self.factor_offset[t] + e * self.blocks[t] + block]
        } else {
            1.0
        };
        let eta = self.noise_index[e]
            .and_then(|i| noise.get(i))
            .copied()
            .unwrap_or(0.0);
        (
            self.stats[t * self.entities + e].map(|(m, s)| m + s * eta),
            factor,
        )
    }

    /// The standardised noise reproducing `value` (0 when std is 0).
    pub(crate) fn standardise(&self, t: usize, e: usize, value: f64) -> f64 {
        match self.stats[t * self.entities + e] {
            Some((m, s)) if s > 0.0 => (value - m) / s,
            _ => 0.0,
        }
    }
}
