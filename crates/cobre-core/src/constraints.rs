//! Stage-varying bounds and user-defined generic constraints.

use crate::{BusId, ConstraintId, HydroId, LineId, NcsId, StageId, ThermalId};

/// A dense `stages × entities` table, stage-major, indexed by stage index and
/// the entity's canonical position.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StageTable<T> {
    num_entities: usize,
    data: Vec<T>,
}

impl<T> Default for StageTable<T> {
    fn default() -> Self {
        Self {
            num_entities: 0,
            data: Vec::new(),
        }
    }
}

impl<T: Clone> StageTable<T> {
    /// A table with `num_stages` rows, each a copy of `base` (one value per entity).
    #[must_use]
    pub fn from_base(num_stages: usize, base: &[T]) -> Self {
        let mut data = Vec::with_capacity(num_stages * base.len());
        for _ in 0..num_stages {
            data.extend_from_slice(base);
        }
        Self {
            num_entities: base.len(),
            data,
        }
    }
}

impl<T> StageTable<T> {
    /// Number of entities per stage.
    #[must_use]
    pub fn num_entities(&self) -> usize {
        self.num_entities
    }

    /// Number of stages.
    #[must_use]
    pub fn num_stages(&self) -> usize {
        self.data.len().checked_div(self.num_entities).unwrap_or(0)
    }

    /// Value of entity `e` at stage `s`.
    #[must_use]
    pub fn get(&self, s: usize, e: usize) -> Option<&T> {
        if e >= self.num_entities {
            return None;
        }
        self.data.get(s * self.num_entities + e)
    }

    /// Mutable value of entity `e` at stage `s`.
    pub fn get_mut(&mut self, s: usize, e: usize) -> Option<&mut T> {
        if e >= self.num_entities {
            return None;
        }
        self.data.get_mut(s * self.num_entities + e)
    }

    /// All entities at stage `s`.
    #[must_use]
    pub fn stage(&self, s: usize) -> &[T] {
        let lo = s * self.num_entities;
        self.data.get(lo..lo + self.num_entities).unwrap_or(&[])
    }
}

/// Hydro limits in force at a stage.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct HydroStageBounds {
    /// Minimum storage (hm³).
    pub min_storage_hm3: f64,
    /// Maximum storage (hm³).
    pub max_storage_hm3: f64,
    /// Minimum turbined flow (m³/s).
    pub min_turbined_m3s: f64,
    /// Maximum turbined flow (m³/s).
    pub max_turbined_m3s: f64,
    /// Minimum outflow (m³/s).
    pub min_outflow_m3s: f64,
    /// Maximum outflow (m³/s), `None` = unbounded.
    pub max_outflow_m3s: Option<f64>,
    /// Minimum generation (MW).
    pub min_generation_mw: f64,
    /// Maximum generation (MW).
    pub max_generation_mw: f64,
    /// Minimum diverted flow (m³/s).
    pub min_diversion_m3s: f64,
    /// Maximum diverted flow (m³/s): the channel's capacity unless
    /// `hydro_bounds.parquet` gives one (a plant without a channel then
    /// diverts out of the system); `None` = no diversion.
    pub max_diversion_m3s: Option<f64>,
    /// Filling inflow retained during filling stages (m³/s).
    pub filling_inflow_m3s: Option<f64>,
    /// Water withdrawal (m³/s; positive removes water, negative adds it).
    pub water_withdrawal_m3s: f64,
}

/// Thermal limits and cost in force at a stage.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ThermalStageBounds {
    /// Minimum generation (MW).
    pub min_generation_mw: f64,
    /// Maximum generation (MW).
    pub max_generation_mw: f64,
    /// Marginal cost ($/MWh).
    pub cost_per_mwh: f64,
}

/// Line capacities in force at a stage.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LineStageBounds {
    /// Direct capacity (MW).
    pub direct_capacity_mw: f64,
    /// Reverse capacity (MW).
    pub reverse_capacity_mw: f64,
}

/// Non-controllable source availability in force at a stage.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct NcsStageBounds {
    /// Available generation (MW).
    pub available_mw: f64,
}

/// An override of a pumping station's flow bounds
/// (`constraints/pumping_bounds.parquet`): at a stage, or at one block of
/// it; `None` keeps the value in force.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PumpingBound {
    /// The station.
    pub station: crate::PumpingStationId,
    /// The stage.
    pub stage: StageId,
    /// The block, when the row is per block.
    pub block: Option<i32>,
    /// Minimum pumped flow (m³/s).
    pub min_m3s: Option<f64>,
    /// Maximum pumped flow (m³/s).
    pub max_m3s: Option<f64>,
}

/// An override of a hydro unit group's limits
/// (`constraints/hydro_unit_group_bounds.parquet`): at a stage, or at one
/// block of it; `None` keeps the value in force.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct UnitGroupBound {
    /// The hydro.
    pub hydro: HydroId,
    /// The unit group id within the hydro.
    pub group: i32,
    /// The stage.
    pub stage: StageId,
    /// The block, when the row is per block.
    pub block: Option<i32>,
    /// Minimum turbined flow (m³/s).
    pub min_turbined_m3s: Option<f64>,
    /// Maximum turbined flow (m³/s).
    pub max_turbined_m3s: Option<f64>,
    /// Minimum generation (MW).
    pub min_generation_mw: Option<f64>,
    /// Maximum generation (MW).
    pub max_generation_mw: Option<f64>,
}

/// Resolves per-block values from stage and block override rows: the
/// value at `(stage, block)` is the last block row for it, else the last
/// stage row (`block = None`), else `base`.
#[must_use]
pub fn resolve_override<R>(
    rows: &[R],
    stage: StageId,
    block: i32,
    base: f64,
    key: impl Fn(&R) -> Option<(StageId, Option<i32>, Option<f64>)>,
) -> f64 {
    let mut stage_value = None;
    let mut block_value = None;
    for r in rows {
        let Some((s, b, v)) = key(r) else { continue };
        if s != stage {
            continue;
        }
        match (b, v) {
            (None, Some(v)) => stage_value = Some(v),
            (Some(b), Some(v)) if b == block => block_value = Some(v),
            _ => {}
        }
    }
    block_value.or(stage_value).unwrap_or(base)
}

/// Per-block overrides of one entity family: sparse, sorted by
/// `(stage index, entity position, block index)`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BlockTable<T> {
    entries: Vec<((usize, usize, usize), T)>,
}

impl<T> Default for BlockTable<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<T> BlockTable<T> {
    /// A table from `((stage, entity, block), value)` entries; a later entry
    /// for the same key replaces an earlier one.
    #[must_use]
    pub fn new(mut entries: Vec<((usize, usize, usize), T)>) -> Self {
        entries.reverse();
        entries.sort_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        Self { entries }
    }

    /// The override of entity `e` at stage `s`, block `k`, if any.
    #[must_use]
    pub fn get(&self, s: usize, e: usize, k: usize) -> Option<&T> {
        self.entries
            .binary_search_by_key(&(s, e, k), |x| x.0)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|x| &x.1)
    }

    /// Number of overrides.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no override.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The block-eligible hydro limits of one block (`None` = the stage value).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct HydroBlockOverride {
    /// Minimum turbined flow (m³/s).
    pub min_turbined_m3s: Option<f64>,
    /// Maximum turbined flow (m³/s).
    pub max_turbined_m3s: Option<f64>,
    /// Minimum outflow (m³/s).
    pub min_outflow_m3s: Option<f64>,
    /// Maximum outflow (m³/s).
    pub max_outflow_m3s: Option<f64>,
    /// Minimum generation (MW).
    pub min_generation_mw: Option<f64>,
    /// Maximum generation (MW).
    pub max_generation_mw: Option<f64>,
    /// Minimum diverted flow (m³/s).
    pub min_diversion_m3s: Option<f64>,
    /// Maximum diverted flow (m³/s); a block row may open a diversion the
    /// stage values leave closed (a plant without a channel then diverts
    /// out of the system).
    pub max_diversion_m3s: Option<f64>,
}

/// The block-eligible thermal limits of one block (`None` = the stage value;
/// the cost is per stage only).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct ThermalBlockOverride {
    /// Minimum generation (MW).
    pub min_generation_mw: Option<f64>,
    /// Maximum generation (MW).
    pub max_generation_mw: Option<f64>,
}

/// The line capacities of one block (`None` = the stage value).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct LineBlockOverride {
    /// Direct capacity (MW).
    pub direct_capacity_mw: Option<f64>,
    /// Reverse capacity (MW).
    pub reverse_capacity_mw: Option<f64>,
}

/// Resolved per-stage bounds of every entity (base values overridden by the
/// `constraints/*_bounds.parquet` files), with the per-block overrides of
/// the rows that name a `block_id`. Precedence per column: entity value <
/// stage-wide row < block row.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct StageBounds {
    /// Hydro bounds.
    pub hydro: StageTable<HydroStageBounds>,
    /// Thermal bounds.
    pub thermal: StageTable<ThermalStageBounds>,
    /// Line bounds.
    pub line: StageTable<LineStageBounds>,
    /// Non-controllable source bounds.
    pub ncs: StageTable<NcsStageBounds>,
    /// Per-block hydro overrides.
    pub hydro_blocks: BlockTable<HydroBlockOverride>,
    /// Per-block thermal overrides.
    pub thermal_blocks: BlockTable<ThermalBlockOverride>,
    /// Per-block line overrides.
    pub line_blocks: BlockTable<LineBlockOverride>,
}

impl StageBounds {
    /// Hydro `h`'s bounds at stage `s`, block `k` (block-eligible fields
    /// overridden by that block's row).
    #[must_use]
    pub fn hydro_at(&self, s: usize, h: usize, k: usize) -> Option<HydroStageBounds> {
        let mut b = *self.hydro.get(s, h)?;
        if let Some(o) = self.hydro_blocks.get(s, h, k) {
            let pick = |v: Option<f64>, base: f64| v.unwrap_or(base);
            b.min_turbined_m3s = pick(o.min_turbined_m3s, b.min_turbined_m3s);
            b.max_turbined_m3s = pick(o.max_turbined_m3s, b.max_turbined_m3s);
            b.min_outflow_m3s = pick(o.min_outflow_m3s, b.min_outflow_m3s);
            b.min_generation_mw = pick(o.min_generation_mw, b.min_generation_mw);
            b.max_generation_mw = pick(o.max_generation_mw, b.max_generation_mw);
            if o.max_outflow_m3s.is_some() {
                b.max_outflow_m3s = o.max_outflow_m3s;
            }
            b.min_diversion_m3s = pick(o.min_diversion_m3s, b.min_diversion_m3s);
            if o.max_diversion_m3s.is_some() {
                b.max_diversion_m3s = o.max_diversion_m3s;
            }
        }
        Some(b)
    }

    /// Thermal `j`'s bounds at stage `s`, block `k`.
    #[must_use]
    pub fn thermal_at(&self, s: usize, j: usize, k: usize) -> Option<ThermalStageBounds> {
        let mut b = *self.thermal.get(s, j)?;
        if let Some(o) = self.thermal_blocks.get(s, j, k) {
            b.min_generation_mw = o.min_generation_mw.unwrap_or(b.min_generation_mw);
            b.max_generation_mw = o.max_generation_mw.unwrap_or(b.max_generation_mw);
        }
        Some(b)
    }

    /// Line `l`'s capacities at stage `s`, block `k`.
    #[must_use]
    pub fn line_at(&self, s: usize, l: usize, k: usize) -> Option<LineStageBounds> {
        let mut b = *self.line.get(s, l)?;
        if let Some(o) = self.line_blocks.get(s, l, k) {
            b.direct_capacity_mw = o.direct_capacity_mw.unwrap_or(b.direct_capacity_mw);
            b.reverse_capacity_mw = o.reverse_capacity_mw.unwrap_or(b.reverse_capacity_mw);
        }
        Some(b)
    }
}

/// An LP quantity a generic constraint can refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VariableRef {
    /// Thermal generation (MW).
    ThermalGeneration(ThermalId),
    /// Hydro generation (MW).
    HydroGeneration(HydroId),
    /// Hydro turbined flow (m³/s).
    HydroTurbined(HydroId),
    /// Hydro spillage (m³/s).
    HydroSpillage(HydroId),
    /// Hydro total outflow (m³/s).
    HydroOutflow(HydroId),
    /// Hydro diverted flow (m³/s).
    HydroDiversion(HydroId),
    /// End-of-stage storage (hm³).
    HydroStorage(HydroId),
    /// Incoming storage (hm³).
    HydroStorageIn(HydroId),
    /// Evaporation (m³/s).
    HydroEvaporation(HydroId),
    /// Water withdrawal (m³/s).
    HydroWithdrawal(HydroId),
    /// Net line flow, direct minus reverse (MW).
    LineFlow(LineId),
    /// Direct line flow (MW).
    LineFlowDirect(LineId),
    /// Reverse line flow (MW).
    LineFlowReverse(LineId),
    /// Bus deficit (MW).
    BusDeficit(BusId),
    /// Bus excess (MW).
    BusExcess(BusId),
    /// Non-controllable generation (MW).
    NcsGeneration(NcsId),
    /// Pumped flow of a pumping station (m³/s).
    PumpingFlow(crate::PumpingStationId),
    /// Power drawn by a pumping station (MW).
    PumpingPower(crate::PumpingStationId),
}

/// One term `coefficient × variable` of a generic constraint.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LinearTerm {
    /// Coefficient.
    pub coefficient: f64,
    /// Variable.
    pub variable: VariableRef,
    /// Block the variable is taken at; `None` = the block of the constraint row.
    pub block: Option<i32>,
    /// Parameter (position in [`crate::System::generic_parameters`]) the
    /// coefficient is multiplied by, for a term `@name * variable`.
    pub parameter: Option<u32>,
}

/// A user-defined linear constraint.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GenericConstraint {
    /// Identifier.
    pub id: ConstraintId,
    /// Short name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// The expression as written.
    pub expression: String,
    /// The parsed expression.
    pub terms: Vec<LinearTerm>,
    /// Constant part of the expression (moved to the bounds).
    pub constant: f64,
    /// Penalty per unit of violation when a slack is allowed.
    pub slack_penalty: Option<f64>,
}

/// Bounds of a generic constraint at a stage (and optionally a block).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GenericConstraintBound {
    /// The constraint.
    pub constraint: ConstraintId,
    /// The stage.
    pub stage: StageId,
    /// The block, or `None` for every block of the stage.
    pub block: Option<i32>,
    /// Lower bound, when any.
    pub lower: Option<f64>,
    /// Upper bound, when any.
    pub upper: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed_plant() -> HydroStageBounds {
        HydroStageBounds {
            min_storage_hm3: 0.0,
            max_storage_hm3: 10.0,
            min_turbined_m3s: 0.0,
            max_turbined_m3s: 5.0,
            min_outflow_m3s: 0.0,
            max_outflow_m3s: None,
            min_generation_mw: 0.0,
            max_generation_mw: 5.0,
            min_diversion_m3s: 0.0,
            max_diversion_m3s: None,
            filling_inflow_m3s: None,
            water_withdrawal_m3s: 0.0,
        }
    }

    #[test]
    fn a_block_row_sets_the_diversion_limits_of_its_block_only() {
        let bounds = StageBounds {
            hydro: StageTable::from_base(1, &[closed_plant()]),
            hydro_blocks: BlockTable::new(vec![(
                (0, 0, 1),
                HydroBlockOverride {
                    min_diversion_m3s: Some(2.0),
                    max_diversion_m3s: Some(25.0),
                    ..HydroBlockOverride::default()
                },
            )]),
            ..StageBounds::default()
        };
        let (Some(b0), Some(b1)) = (bounds.hydro_at(0, 0, 0), bounds.hydro_at(0, 0, 1)) else {
            panic!("the plant has bounds at both blocks");
        };
        assert_eq!((b0.min_diversion_m3s, b0.max_diversion_m3s), (0.0, None));
        assert_eq!(
            (b1.min_diversion_m3s, b1.max_diversion_m3s),
            (2.0, Some(25.0))
        );
    }
}
