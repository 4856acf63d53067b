//! The assembled, validated model of a case.

use crate::config::StudyConfig;
use crate::constraints::{
    GenericConstraint, GenericConstraintBound, HydroStageBounds, LineStageBounds, NcsStageBounds,
    PumpingBound, StageBounds, StageTable, ThermalStageBounds, UnitGroupBound,
};
use crate::entities::{Bus, Hydro, Line, NonControllableSource, PumpingStation, Thermal};
use crate::hydro_models::HydroModelInputs;
use crate::initial::InitialConditions;
use crate::parameters::ScalarParameter;
use crate::penalties::{GlobalPenalties, PenaltyTable};
use crate::scenario::ScenarioInputs;
use crate::stage::Horizon;
use crate::topology::{Cascade, Network};
use crate::{BusId, CoreError, HydroId, LineId, NcsId, PumpingStationId, ThermalId};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The parts a [`System`] is assembled from, in any order.
#[derive(Debug, Clone, Default)]
pub struct SystemParts {
    /// Buses.
    pub buses: Vec<Bus>,
    /// Lines.
    pub lines: Vec<Line>,
    /// Thermal plants.
    pub thermals: Vec<Thermal>,
    /// Hydro plants.
    pub hydros: Vec<Hydro>,
    /// Non-controllable sources.
    pub ncs: Vec<NonControllableSource>,
    /// Stages, seasons and policy graph.
    pub horizon: Horizon,
    /// Global penalty defaults.
    pub global_penalties: Option<GlobalPenalties>,
    /// Per-stage resolved penalties; when empty, built from the entities.
    pub penalties: PenaltyTable,
    /// Per-stage resolved bounds; when empty, built from the entities.
    pub bounds: StageBounds,
    /// Initial conditions.
    pub initial_conditions: InitialConditions,
    /// Scenario inputs.
    pub scenarios: ScenarioInputs,
    /// Hydro production model inputs.
    pub hydro_models: HydroModelInputs,
    /// Generic constraints.
    pub generic_constraints: Vec<GenericConstraint>,
    /// Generic constraint bounds.
    pub generic_constraint_bounds: Vec<GenericConstraintBound>,
    /// Pumping stations.
    pub pumping_stations: Vec<PumpingStation>,
    /// Pumping flow overrides (`pumping_bounds.parquet`).
    pub pumping_bounds: Vec<PumpingBound>,
    /// Unit-group limit overrides (`hydro_unit_group_bounds.parquet`).
    pub unit_group_bounds: Vec<UnitGroupBound>,
    /// Scalar parameters of generic constraints (their terms refer to them
    /// by position).
    pub generic_parameters: Vec<ScalarParameter>,
}

/// A hydrothermal system over a study horizon, with every entity list in
/// canonical order (sorted by id), so that its content never depends on the
/// order in which the case declared things.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct System {
    buses: Vec<Bus>,
    lines: Vec<Line>,
    thermals: Vec<Thermal>,
    hydros: Vec<Hydro>,
    ncs: Vec<NonControllableSource>,
    horizon: Horizon,
    global_penalties: Option<GlobalPenalties>,
    penalties: PenaltyTable,
    bounds: StageBounds,
    initial_conditions: InitialConditions,
    scenarios: ScenarioInputs,
    hydro_models: HydroModelInputs,
    generic_constraints: Vec<GenericConstraint>,
    generic_constraint_bounds: Vec<GenericConstraintBound>,
    pumping_stations: Vec<PumpingStation>,
    pumping_bounds: Vec<PumpingBound>,
    unit_group_bounds: Vec<UnitGroupBound>,
    generic_parameters: Vec<ScalarParameter>,
    cascade: Cascade,
    network: Network,
    #[serde(skip)]
    bus_index: BTreeMap<BusId, usize>,
    #[serde(skip)]
    line_index: BTreeMap<LineId, usize>,
    #[serde(skip)]
    thermal_index: BTreeMap<ThermalId, usize>,
    #[serde(skip)]
    hydro_index: BTreeMap<HydroId, usize>,
    #[serde(skip)]
    ncs_index: BTreeMap<NcsId, usize>,
    #[serde(skip)]
    pumping_index: BTreeMap<PumpingStationId, usize>,
}

fn index_by<T, K: Ord + Copy>(
    items: &mut [T],
    key: impl Fn(&T) -> K,
    kind: &'static str,
    raw: impl Fn(K) -> i32,
) -> Result<BTreeMap<K, usize>, CoreError> {
    items.sort_by_key(&key);
    let mut map = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        if map.insert(key(it), i).is_some() {
            return Err(CoreError::DuplicateId {
                kind,
                id: raw(key(it)),
            });
        }
    }
    Ok(map)
}

impl System {
    /// Assembles a system: sorts every entity list by id, checks ids are unique
    /// and references resolve, builds the cascade (acyclic) and the network,
    /// and fills the per-stage penalty and bound tables from the entities when
    /// the parts do not provide them.
    ///
    /// # Errors
    /// A [`CoreError`] for duplicate ids, dangling references or a cyclic cascade.
    pub fn new(parts: SystemParts) -> Result<Self, CoreError> {
        let SystemParts {
            mut buses,
            mut lines,
            mut thermals,
            mut hydros,
            mut ncs,
            mut horizon,
            global_penalties,
            mut penalties,
            mut bounds,
            mut initial_conditions,
            scenarios,
            hydro_models,
            mut generic_constraints,
            generic_constraint_bounds,
            mut pumping_stations,
            pumping_bounds,
            unit_group_bounds,
            generic_parameters,
        } = parts;
        let bus_index = index_by(&mut buses, |b| b.id, "bus", |k| k.0)?;
        let line_index = index_by(&mut lines, |l| l.id, "line", |k| k.0)?;
        let thermal_index = index_by(&mut thermals, |t| t.id, "thermal", |k| k.0)?;
        let hydro_index = index_by(&mut hydros, |h| h.id, "hydro", |k| k.0)?;
        let ncs_index = index_by(&mut ncs, |r| r.id, "non-controllable source", |k| k.0)?;
        let pumping_index = index_by(&mut pumping_stations, |p| p.id, "pumping station", |k| k.0)?;
        check_pumping_references(&pumping_stations, &hydro_index, &bus_index)?;
        generic_constraints.sort_by_key(|c| c.id);
        sort_horizon(&mut horizon);
        sort_initial_conditions(&mut initial_conditions, &hydro_index)?;
        let cascade = Cascade::build(&hydros, &hydro_index)?;
        let network = Network::build(&bus_index, &thermals, &hydros, &ncs, &lines)?;
        let ns = horizon.stages.len();
        fill_missing_bounds(&mut bounds, ns, &hydros, &thermals, &lines, &ncs);
        if penalties.num_stages != ns {
            penalties = PenaltyTable::from_entities(ns, &buses, &lines, &hydros, &ncs);
        }
        Ok(Self {
            buses,
            lines,
            thermals,
            hydros,
            ncs,
            horizon,
            global_penalties,
            penalties,
            bounds,
            initial_conditions,
            scenarios,
            hydro_models,
            generic_constraints,
            generic_constraint_bounds,
            pumping_stations,
            pumping_bounds,
            unit_group_bounds,
            generic_parameters,
            cascade,
            network,
            bus_index,
            line_index,
            thermal_index,
            hydro_index,
            ncs_index,
            pumping_index,
        })
    }

    /// Buses, sorted by id.
    #[must_use]
    pub fn buses(&self) -> &[Bus] {
        &self.buses
    }
    /// Lines, sorted by id.
    #[must_use]
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }
    /// Thermal plants, sorted by id.
    #[must_use]
    pub fn thermals(&self) -> &[Thermal] {
        &self.thermals
    }
    /// Hydro plants, sorted by id.
    #[must_use]
    pub fn hydros(&self) -> &[Hydro] {
        &self.hydros
    }
    /// Non-controllable sources, sorted by id.
    #[must_use]
    pub fn non_controllable_sources(&self) -> &[NonControllableSource] {
        &self.ncs
    }
    /// Stages, seasons and policy graph.
    #[must_use]
    pub fn horizon(&self) -> &Horizon {
        &self.horizon
    }
    /// Global penalty defaults, when the case gave them.
    #[must_use]
    pub fn global_penalties(&self) -> Option<&GlobalPenalties> {
        self.global_penalties.as_ref()
    }
    /// Per-stage penalties after the whole cascade.
    #[must_use]
    pub fn penalties(&self) -> &PenaltyTable {
        &self.penalties
    }
    /// Per-stage bounds.
    #[must_use]
    pub fn bounds(&self) -> &StageBounds {
        &self.bounds
    }
    /// Initial conditions.
    #[must_use]
    pub fn initial_conditions(&self) -> &InitialConditions {
        &self.initial_conditions
    }
    /// Scenario inputs.
    #[must_use]
    pub fn scenarios(&self) -> &ScenarioInputs {
        &self.scenarios
    }
    /// Hydro production model inputs.
    #[must_use]
    pub fn hydro_models(&self) -> &HydroModelInputs {
        &self.hydro_models
    }
    /// Generic constraints, sorted by id.
    #[must_use]
    pub fn generic_constraints(&self) -> &[GenericConstraint] {
        &self.generic_constraints
    }
    /// Generic constraint bounds.
    #[must_use]
    pub fn generic_constraint_bounds(&self) -> &[GenericConstraintBound] {
        &self.generic_constraint_bounds
    }
    /// Pumping stations, sorted by id.
    #[must_use]
    pub fn pumping_stations(&self) -> &[PumpingStation] {
        &self.pumping_stations
    }
    /// Pumping flow overrides per stage or block.
    #[must_use]
    pub fn pumping_bounds(&self) -> &[PumpingBound] {
        &self.pumping_bounds
    }
    /// Unit-group limit overrides per stage or block.
    #[must_use]
    pub fn unit_group_bounds(&self) -> &[UnitGroupBound] {
        &self.unit_group_bounds
    }
    /// Position of a pumping station.
    #[must_use]
    pub fn pumping_position(&self, id: PumpingStationId) -> Option<usize> {
        self.pumping_index.get(&id).copied()
    }
    /// Scalar parameters of generic constraints.
    #[must_use]
    pub fn generic_parameters(&self) -> &[ScalarParameter] {
        &self.generic_parameters
    }
    /// The hydro cascade.
    #[must_use]
    pub fn cascade(&self) -> &Cascade {
        &self.cascade
    }
    /// The electrical network.
    #[must_use]
    pub fn network(&self) -> &Network {
        &self.network
    }
    /// Position of a bus.
    #[must_use]
    pub fn bus_position(&self, id: BusId) -> Option<usize> {
        self.bus_index.get(&id).copied()
    }
    /// Position of a line.
    #[must_use]
    pub fn line_position(&self, id: LineId) -> Option<usize> {
        self.line_index.get(&id).copied()
    }
    /// Position of a thermal plant.
    #[must_use]
    pub fn thermal_position(&self, id: ThermalId) -> Option<usize> {
        self.thermal_index.get(&id).copied()
    }
    /// Position of a hydro plant.
    #[must_use]
    pub fn hydro_position(&self, id: HydroId) -> Option<usize> {
        self.hydro_index.get(&id).copied()
    }
    /// Position of a non-controllable source.
    #[must_use]
    pub fn ncs_position(&self, id: NcsId) -> Option<usize> {
        self.ncs_index.get(&id).copied()
    }
    /// Number of study stages.
    #[must_use]
    pub fn num_stages(&self) -> usize {
        self.horizon.stages.len()
    }
}

/// Checks that every pumping station's hydros and bus exist.
fn check_pumping_references(
    stations: &[PumpingStation],
    hydro_index: &BTreeMap<HydroId, usize>,
    bus_index: &BTreeMap<BusId, usize>,
) -> Result<(), CoreError> {
    for p in stations {
        for (field, h) in [
            ("source_hydro_id", p.source),
            ("destination_hydro_id", p.destination),
        ] {
            if !hydro_index.contains_key(&h) {
                return Err(CoreError::MissingReference {
                    kind: "pumping station",
                    id: p.id.0,
                    field,
                    target_kind: "hydro",
                    target_id: h.0,
                });
            }
        }
        if !bus_index.contains_key(&p.bus) {
            return Err(CoreError::MissingReference {
                kind: "pumping station",
                id: p.id.0,
                field: "bus_id",
                target_kind: "bus",
                target_id: p.bus.0,
            });
        }
    }
    Ok(())
}

/// Sorts the study and pre-study stages by id and numbers the study stages.
fn sort_horizon(horizon: &mut Horizon) {
    horizon.stages.sort_by_key(|s| s.id);
    for (i, s) in horizon.stages.iter_mut().enumerate() {
        s.index = i;
    }
    horizon.pre_study_stages.sort_by_key(|s| s.id);
}

/// Sorts the initial conditions canonically and checks that every initial
/// storage (and filling storage) names an existing hydro.
fn sort_initial_conditions(
    ic: &mut InitialConditions,
    hydro_index: &BTreeMap<HydroId, usize>,
) -> Result<(), CoreError> {
    ic.storage.sort_by_key(|s| s.hydro);
    ic.filling_storage.sort_by_key(|s| s.hydro);
    ic.recent_observations
        .sort_by_key(|o| (o.hydro, o.start_date));
    for s in ic.storage.iter().chain(&ic.filling_storage) {
        if !hydro_index.contains_key(&s.hydro) {
            return Err(CoreError::MissingReference {
                kind: "initial storage",
                id: s.hydro.0,
                field: "hydro_id",
                target_kind: "hydro",
                target_id: s.hydro.0,
            });
        }
    }
    Ok(())
}

/// Replaces every bounds table whose shape does not match the entities and
/// the `ns` stages by one built from the entities' own limits (dropping its
/// per-block overrides, which referred to the old shape).
fn fill_missing_bounds(
    bounds: &mut StageBounds,
    ns: usize,
    hydros: &[Hydro],
    thermals: &[Thermal],
    lines: &[Line],
    ncs: &[NonControllableSource],
) {
    if bounds.hydro.num_entities() != hydros.len() || bounds.hydro.num_stages() != ns {
        bounds.hydro = StageTable::from_base(ns, &HydroStageBounds::from_entities(hydros));
        bounds.hydro_blocks = crate::BlockTable::default();
    }
    if bounds.thermal.num_entities() != thermals.len() || bounds.thermal.num_stages() != ns {
        bounds.thermal = StageTable::from_base(ns, &ThermalStageBounds::from_entities(thermals));
        bounds.thermal_blocks = crate::BlockTable::default();
    }
    if bounds.line.num_entities() != lines.len() || bounds.line.num_stages() != ns {
        bounds.line = StageTable::from_base(ns, &LineStageBounds::from_entities(lines));
        bounds.line_blocks = crate::BlockTable::default();
    }
    if bounds.ncs.num_entities() != ncs.len() || bounds.ncs.num_stages() != ns {
        bounds.ncs = StageTable::from_base(ns, &NcsStageBounds::from_entities(ncs));
    }
}

// The entity-derived constructors of the per-stage tables live here, next to
// `System::new` (their first user); the case reader builds its tables from
// them too before applying the `constraints/` overrides.

impl HydroStageBounds {
    /// Each hydro's own limits, in the order given: no diversion floor, the
    /// channel's capacity as diversion ceiling, no filling, no withdrawal.
    #[must_use]
    pub fn from_entities(hydros: &[Hydro]) -> Vec<Self> {
        hydros
            .iter()
            .map(|h| Self {
                min_storage_hm3: h.min_storage_hm3,
                max_storage_hm3: h.max_storage_hm3,
                min_turbined_m3s: h.min_turbined_m3s,
                max_turbined_m3s: h.max_turbined_m3s,
                min_outflow_m3s: h.min_outflow_m3s,
                max_outflow_m3s: h.max_outflow_m3s,
                min_generation_mw: h.min_generation_mw,
                max_generation_mw: h.max_generation_mw,
                min_diversion_m3s: 0.0,
                max_diversion_m3s: h.diversion.map(|d| d.max_flow_m3s),
                filling_inflow_m3s: None,
                water_withdrawal_m3s: 0.0,
            })
            .collect()
    }
}

impl ThermalStageBounds {
    /// Each thermal plant's own limits and cost, in the order given.
    #[must_use]
    pub fn from_entities(thermals: &[Thermal]) -> Vec<Self> {
        thermals
            .iter()
            .map(|t| Self {
                min_generation_mw: t.min_generation_mw,
                max_generation_mw: t.max_generation_mw,
                cost_per_mwh: t.cost_per_mwh,
            })
            .collect()
    }
}

impl LineStageBounds {
    /// Each line's own capacities, in the order given.
    #[must_use]
    pub fn from_entities(lines: &[Line]) -> Vec<Self> {
        lines
            .iter()
            .map(|l| Self {
                direct_capacity_mw: l.direct_capacity_mw,
                reverse_capacity_mw: l.reverse_capacity_mw,
            })
            .collect()
    }
}

impl NcsStageBounds {
    /// Each non-controllable source's own maximum generation, in the order given.
    #[must_use]
    pub fn from_entities(ncs: &[NonControllableSource]) -> Vec<Self> {
        ncs.iter()
            .map(|r| Self {
                available_mw: r.max_generation_mw,
            })
            .collect()
    }
}

impl PenaltyTable {
    /// A table of `ns` stages, each holding the entities' own (already
    /// resolved) penalties, entities in the order given.
    #[must_use]
    pub fn from_entities(
        ns: usize,
        buses: &[Bus],
        lines: &[Line],
        hydros: &[Hydro],
        ncs: &[NonControllableSource],
    ) -> Self {
        let mut t = Self {
            num_stages: ns,
            ..Self::default()
        };
        for _ in 0..ns {
            t.hydro.extend(hydros.iter().map(|h| h.penalties));
            t.bus.extend(buses.iter().map(|b| crate::BusStagePenalties {
                excess_cost_per_mwh: b.excess_cost_per_mwh,
            }));
            t.line_exchange_cost
                .extend(lines.iter().map(|l| l.exchange_cost_per_mwh));
            t.ncs_curtailment_cost
                .extend(ncs.iter().map(|r| r.curtailment_cost_per_mwh));
        }
        t
    }
}

/// A loaded case: the system, the study settings and where it came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Case {
    /// Folder the case was read from.
    pub root: PathBuf,
    /// The model.
    pub system: System,
    /// The settings.
    pub config: StudyConfig,
}
