//! Penalty values and their cascade.
//!
//! A penalty is resolved in three levels: the global default of
//! `penalties.json`, then the entity's own override in its registry file, then
//! a per-stage override from `constraints/penalty_overrides_*.parquet`. The
//! first two levels are folded into the entities when a case is loaded; the
//! last one into the dense [`PenaltyTable`] of the [`System`](crate::System).

use crate::entities::DeficitSegment;

/// Hydro penalty and regularisation costs.
///
/// Flow costs are in $/(m³/s·h) and are multiplied by block hours in the LP;
/// storage costs are in $/hm³.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct HydroPenalties {
    /// Spillage regularisation cost.
    pub spillage_cost: f64,
    /// Diversion flow regularisation cost.
    pub diversion_cost: f64,
    /// Turbined flow regularisation cost.
    pub turbined_cost: f64,
    /// Storage below minimum ($/hm³).
    pub storage_violation_below_cost: f64,
    /// Filling target shortfall ($/hm³).
    pub filling_target_violation_cost: f64,
    /// Turbined flow below minimum.
    pub turbined_violation_below_cost: f64,
    /// Outflow below minimum.
    pub outflow_violation_below_cost: f64,
    /// Outflow above maximum.
    pub outflow_violation_above_cost: f64,
    /// Generation below minimum ($/MWh).
    pub generation_violation_below_cost: f64,
    /// Evaporation above its linearised value.
    pub evaporation_violation_pos_cost: f64,
    /// Evaporation below its linearised value.
    pub evaporation_violation_neg_cost: f64,
    /// Withdrawal above its target.
    pub water_withdrawal_violation_pos_cost: f64,
    /// Withdrawal below its target.
    pub water_withdrawal_violation_neg_cost: f64,
    /// Inflow non-negativity slack.
    pub inflow_nonnegativity_cost: f64,
}

impl HydroPenalties {
    /// Every penalty zero except inflow non-negativity, which takes its
    /// documented default. Handy for hand-built systems.
    #[must_use]
    pub const fn zero() -> Self {
        Self {
            spillage_cost: 0.0,
            diversion_cost: 0.0,
            turbined_cost: 0.0,
            storage_violation_below_cost: 0.0,
            filling_target_violation_cost: 0.0,
            turbined_violation_below_cost: 0.0,
            outflow_violation_below_cost: 0.0,
            outflow_violation_above_cost: 0.0,
            generation_violation_below_cost: 0.0,
            evaporation_violation_pos_cost: 0.0,
            evaporation_violation_neg_cost: 0.0,
            water_withdrawal_violation_pos_cost: 0.0,
            water_withdrawal_violation_neg_cost: 0.0,
            inflow_nonnegativity_cost: DEFAULT_INFLOW_NONNEGATIVITY_COST,
        }
    }
}

/// Default inflow non-negativity penalty when `penalties.json` does not give one.
pub const DEFAULT_INFLOW_NONNEGATIVITY_COST: f64 = 1000.0;

/// The global defaults of `penalties.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GlobalPenalties {
    /// Default deficit segments of every bus.
    pub deficit_segments: Vec<DeficitSegment>,
    /// Default excess cost of every bus ($/MWh).
    pub excess_cost_per_mwh: f64,
    /// Default exchange cost of every line ($/MWh).
    pub exchange_cost_per_mwh: f64,
    /// Default hydro penalties.
    pub hydro: HydroPenalties,
    /// Default curtailment cost of every non-controllable source ($/MWh).
    pub curtailment_cost_per_mwh: f64,
}

/// Per-stage penalties of buses after all three cascade levels.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BusStagePenalties {
    /// Excess cost ($/MWh).
    pub excess_cost_per_mwh: f64,
}

/// Dense per-(stage, entity) penalties after the whole cascade.
///
/// Each vector is stage-major: entry `stage * n_entities + entity` where
/// `entity` is the entity's position in the canonical (id-sorted) order.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct PenaltyTable {
    /// Number of stages covered.
    pub num_stages: usize,
    /// Hydro penalties.
    pub hydro: Vec<HydroPenalties>,
    /// Bus penalties.
    pub bus: Vec<BusStagePenalties>,
    /// Line exchange costs ($/MWh).
    pub line_exchange_cost: Vec<f64>,
    /// Non-controllable source curtailment costs ($/MWh).
    pub ncs_curtailment_cost: Vec<f64>,
}

impl PenaltyTable {
    fn at<T>(v: &[T], stage: usize, n: usize, i: usize) -> Option<&T> {
        v.get(stage * n + i)
    }

    /// Penalties of hydro `h` (canonical position) at stage `stage` (index).
    #[must_use]
    pub fn hydro(&self, stage: usize, h: usize) -> Option<&HydroPenalties> {
        let n = self.hydro.len().checked_div(self.num_stages).unwrap_or(0);
        Self::at(&self.hydro, stage, n, h)
    }

    /// Penalties of bus `b` at a stage.
    #[must_use]
    pub fn bus(&self, stage: usize, b: usize) -> Option<&BusStagePenalties> {
        let n = self.bus.len().checked_div(self.num_stages).unwrap_or(0);
        Self::at(&self.bus, stage, n, b)
    }

    /// Exchange cost of line `l` at a stage.
    #[must_use]
    pub fn line_exchange_cost(&self, stage: usize, l: usize) -> Option<f64> {
        let n = self
            .line_exchange_cost
            .len()
            .checked_div(self.num_stages)
            .unwrap_or(0);
        Self::at(&self.line_exchange_cost, stage, n, l).copied()
    }

    /// Curtailment cost of source `r` at a stage.
    #[must_use]
    pub fn ncs_curtailment_cost(&self, stage: usize, r: usize) -> Option<f64> {
        let n = self
            .ncs_curtailment_cost
            .len()
            .checked_div(self.num_stages)
            .unwrap_or(0);
        Self::at(&self.ncs_curtailment_cost, stage, n, r).copied()
    }
}
