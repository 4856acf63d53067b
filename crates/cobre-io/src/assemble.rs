//! Building the [`Case`] from validated data: the penalty cascade, the
//! per-stage bounds tables and the canonical (id-sorted) order.

use crate::reader::{
    BoundsData, CaseData, HydroBoundRow, HydroPenaltyRow, HydroSystemData, LineBoundRow,
    PenaltyOverrides, RawBus, RawHydro, RawLine, RawNcs, RawThermal, Registry, ScalarPenaltyRow,
    ScenarioData, Src, ThermalBoundRow,
};
use crate::report::{Finding, FindingContext, FindingKind, Layer};
use cobre_core::constraints::{
    BlockTable, HydroBlockOverride, LineBlockOverride, StageTable, ThermalBlockOverride,
};
use cobre_core::hydro_models::HydroModelInputs;
use cobre_core::scenario::ScenarioInputs;
use cobre_core::{
    Bus, Case, CoreError, GlobalPenalties, Horizon, Hydro, HydroStageBounds, Line, LineStageBounds,
    NcsStageBounds, NonControllableSource, PenaltyTable, StageBounds, System, SystemParts, Thermal,
    ThermalStageBounds,
};
use std::collections::BTreeMap;
use std::path::Path;

fn internal(msg: impl Into<String>) -> Box<Finding> {
    Box::new(Finding::error(
        FindingKind::SchemaViolation,
        Layer::Semantic,
        FindingContext::default(),
        msg,
    ))
}

fn from_core(e: &CoreError) -> Box<Finding> {
    let kind = match e {
        CoreError::DuplicateId { .. } => FindingKind::DuplicateId,
        CoreError::MissingReference { .. } => FindingKind::MissingReference,
        CoreError::CyclicCascade { .. } => FindingKind::PhysicalConstraint,
        _ => FindingKind::SchemaViolation,
    };
    Box::new(Finding::error(
        kind,
        Layer::Semantic,
        FindingContext::default(),
        format!("the model could not be assembled: {e}"),
    ))
}

/// Positions by id, for ids sorted ascending.
fn positions(ids: impl Iterator<Item = i32>) -> BTreeMap<i32, usize> {
    ids.enumerate().map(|(i, id)| (id, i)).collect()
}

fn scalar_overrides(
    rows: Option<&Vec<ScalarPenaltyRow>>,
    stage_pos: &BTreeMap<i32, usize>,
    entity_pos: &BTreeMap<i32, usize>,
    n: usize,
    table: &mut [f64],
) {
    for r in rows.into_iter().flatten() {
        let (Some(s), Some(e), Some(v)) =
            (stage_pos.get(&r.stage), entity_pos.get(&r.entity), r.value)
        else {
            continue;
        };
        if let Some(slot) = table.get_mut(s * n + e) {
            *slot = v;
        }
    }
}

/// Entity lists in canonical (id) order, with their penalties resolved.
struct Entities {
    buses: Vec<Bus>,
    lines: Vec<Line>,
    thermals: Vec<Thermal>,
    hydros: Vec<Hydro>,
    ncs: Vec<NonControllableSource>,
}

/// Canonical positions by raw id of the stages and of every entity kind.
struct Positions {
    stage: BTreeMap<i32, usize>,
    hydro: BTreeMap<i32, usize>,
    thermal: BTreeMap<i32, usize>,
    line: BTreeMap<i32, usize>,
    ncs: BTreeMap<i32, usize>,
    bus: BTreeMap<i32, usize>,
}

impl Positions {
    /// Positions of the (sorted) stages of `horizon` and entities of `e`.
    fn new(horizon: &Horizon, e: &Entities) -> Self {
        Self {
            stage: positions(horizon.stages.iter().map(|s| s.id.0)),
            hydro: positions(e.hydros.iter().map(|h| h.id.0)),
            thermal: positions(e.thermals.iter().map(|t| t.id.0)),
            line: positions(e.lines.iter().map(|l| l.id.0)),
            ncs: positions(e.ncs.iter().map(|n| n.id.0)),
            bus: positions(e.buses.iter().map(|b| b.id.0)),
        }
    }
}

/// The items of a registry (none when it was not read), converted by `f`
/// and sorted by `key`.
fn sorted<R, T, K: Ord>(
    registry: Option<Registry<R>>,
    f: impl FnMut(R) -> T,
    key: impl FnMut(&T) -> K,
) -> Vec<T> {
    let mut items: Vec<T> = registry
        .map(|r| r.items)
        .unwrap_or_default()
        .into_iter()
        .map(f)
        .collect();
    items.sort_by_key(key);
    items
}

impl Entities {
    /// Applies the entity-level penalty cascade over the global defaults and
    /// sorts every list by id.
    fn resolve(
        buses: Option<Registry<RawBus>>,
        lines: Option<Registry<RawLine>>,
        thermals: Option<Registry<RawThermal>>,
        hydros: Option<Registry<RawHydro>>,
        ncs: Option<Registry<RawNcs>>,
        global: &GlobalPenalties,
    ) -> Self {
        let buses = sorted(
            buses,
            |b| {
                let mut bus = b.bus;
                bus.deficit_segments = b.deficit.unwrap_or_else(|| global.deficit_segments.clone());
                bus.excess_cost_per_mwh = global.excess_cost_per_mwh;
                bus
            },
            |b| b.id,
        );
        let lines = sorted(
            lines,
            |l| {
                let mut line = l.line;
                line.exchange_cost_per_mwh =
                    l.exchange_cost.unwrap_or(global.exchange_cost_per_mwh);
                line
            },
            |l| l.id,
        );
        let thermals = sorted(thermals, |t| t.thermal, |t| t.id);
        let hydros = sorted(
            hydros,
            |h| {
                let mut hydro = h.hydro;
                let mut p = global.hydro;
                h.overrides.apply(&mut p);
                hydro.penalties = p;
                hydro
            },
            |h| h.id,
        );
        let ncs = sorted(
            ncs,
            |n| {
                let mut source = n.ncs;
                source.curtailment_cost_per_mwh = n
                    .curtailment_cost
                    .unwrap_or(global.curtailment_cost_per_mwh);
                source
            },
            |n| n.id,
        );
        Self {
            buses,
            lines,
            thermals,
            hydros,
            ncs,
        }
    }
}

/// Block-level overrides keyed by (stage, entity, block) positions.
type Blocks<T> = BTreeMap<(usize, usize, usize), T>;

/// The hydro per-stage table (entity values, then the stage-wide rows of
/// `hydro_bounds.parquet`) and its per-block overrides.
fn hydro_bounds(
    rows: Option<&Vec<HydroBoundRow>>,
    pos: &Positions,
    hydros: &[Hydro],
    ns: usize,
) -> (StageTable<HydroStageBounds>, Blocks<HydroBlockOverride>) {
    let mut table = StageTable::from_base(ns, &HydroStageBounds::from_entities(hydros));
    let mut blocks: Blocks<HydroBlockOverride> = BTreeMap::new();
    for r in rows.into_iter().flatten() {
        let (Some(s), Some(h)) = (pos.stage.get(&r.stage), pos.hydro.get(&r.hydro)) else {
            continue;
        };
        if let Some(k) = r.block.and_then(|k| usize::try_from(k).ok()) {
            let o = blocks.entry((*s, *h, k)).or_default();
            let set = |slot: &mut Option<f64>, col: &str| {
                if let Some(v) = r.get(col) {
                    *slot = Some(v);
                }
            };
            set(&mut o.min_turbined_m3s, "min_turbined_m3s");
            set(&mut o.max_turbined_m3s, "max_turbined_m3s");
            set(&mut o.min_outflow_m3s, "min_outflow_m3s");
            set(&mut o.max_outflow_m3s, "max_outflow_m3s");
            set(&mut o.min_generation_mw, "min_generation_mw");
            set(&mut o.max_generation_mw, "max_generation_mw");
            set(&mut o.min_diversion_m3s, "min_diversion_m3s");
            set(&mut o.max_diversion_m3s, "max_diversion_m3s");
            continue;
        }
        let Some(b) = table.get_mut(*s, *h) else {
            continue;
        };
        let set = |slot: &mut f64, col: &str| {
            if let Some(v) = r.get(col) {
                *slot = v;
            }
        };
        set(&mut b.min_turbined_m3s, "min_turbined_m3s");
        set(&mut b.max_turbined_m3s, "max_turbined_m3s");
        set(&mut b.min_storage_hm3, "min_storage_hm3");
        set(&mut b.max_storage_hm3, "max_storage_hm3");
        set(&mut b.min_outflow_m3s, "min_outflow_m3s");
        set(&mut b.min_generation_mw, "min_generation_mw");
        set(&mut b.max_generation_mw, "max_generation_mw");
        set(&mut b.water_withdrawal_m3s, "water_withdrawal_m3s");
        if let Some(v) = r.get("max_outflow_m3s") {
            b.max_outflow_m3s = Some(v);
        }
        set(&mut b.min_diversion_m3s, "min_diversion_m3s");
        if let Some(v) = r.get("max_diversion_m3s") {
            b.max_diversion_m3s = Some(v);
        }
    }
    (table, blocks)
}

/// The thermal per-stage table and its per-block overrides.
fn thermal_bounds(
    rows: Option<&Vec<ThermalBoundRow>>,
    pos: &Positions,
    thermals: &[Thermal],
    ns: usize,
) -> (StageTable<ThermalStageBounds>, Blocks<ThermalBlockOverride>) {
    let mut table = StageTable::from_base(ns, &ThermalStageBounds::from_entities(thermals));
    let mut blocks: Blocks<ThermalBlockOverride> = BTreeMap::new();
    for r in rows.into_iter().flatten() {
        let (Some(s), Some(t)) = (pos.stage.get(&r.stage), pos.thermal.get(&r.thermal)) else {
            continue;
        };
        if let Some(k) = r.block.and_then(|k| usize::try_from(k).ok()) {
            let o = blocks.entry((*s, *t, k)).or_default();
            o.min_generation_mw = r.min_mw.or(o.min_generation_mw);
            o.max_generation_mw = r.max_mw.or(o.max_generation_mw);
            continue;
        }
        let Some(b) = table.get_mut(*s, *t) else {
            continue;
        };
        b.min_generation_mw = r.min_mw.unwrap_or(b.min_generation_mw);
        b.max_generation_mw = r.max_mw.unwrap_or(b.max_generation_mw);
        b.cost_per_mwh = r.cost.unwrap_or(b.cost_per_mwh);
    }
    (table, blocks)
}

/// The line per-stage table and its per-block overrides.
fn line_bounds(
    rows: Option<&Vec<LineBoundRow>>,
    pos: &Positions,
    lines: &[Line],
    ns: usize,
) -> (StageTable<LineStageBounds>, Blocks<LineBlockOverride>) {
    let mut table = StageTable::from_base(ns, &LineStageBounds::from_entities(lines));
    let mut blocks: Blocks<LineBlockOverride> = BTreeMap::new();
    for r in rows.into_iter().flatten() {
        let (Some(s), Some(l)) = (pos.stage.get(&r.stage), pos.line.get(&r.line)) else {
            continue;
        };
        if let Some(k) = r.block.and_then(|k| usize::try_from(k).ok()) {
            let o = blocks.entry((*s, *l, k)).or_default();
            o.direct_capacity_mw = r.direct_mw.or(o.direct_capacity_mw);
            o.reverse_capacity_mw = r.reverse_mw.or(o.reverse_capacity_mw);
            continue;
        }
        let Some(b) = table.get_mut(*s, *l) else {
            continue;
        };
        b.direct_capacity_mw = r.direct_mw.unwrap_or(b.direct_capacity_mw);
        b.reverse_capacity_mw = r.reverse_mw.unwrap_or(b.reverse_capacity_mw);
    }
    (table, blocks)
}

/// Per-stage bounds: entity values, then the `constraints/` overrides.
fn stage_bounds(bounds: &BoundsData, pos: &Positions, e: &Entities, ns: usize) -> StageBounds {
    let (hydro, hydro_blocks) = hydro_bounds(bounds.hydro.get(), pos, &e.hydros, ns);
    let (thermal, thermal_blocks) = thermal_bounds(bounds.thermal.get(), pos, &e.thermals, ns);
    let (line, line_blocks) = line_bounds(bounds.line.get(), pos, &e.lines, ns);
    let mut ncs = StageTable::from_base(ns, &NcsStageBounds::from_entities(&e.ncs));
    for r in bounds.ncs.get().into_iter().flatten() {
        let (Some(s), Some(n)) = (pos.stage.get(&r.stage), pos.ncs.get(&r.ncs)) else {
            continue;
        };
        if let Some(b) = ncs.get_mut(*s, *n) {
            b.available_mw = r.available_mw;
        }
    }
    StageBounds {
        hydro,
        thermal,
        line,
        ncs,
        hydro_blocks: BlockTable::new(hydro_blocks.into_iter().collect()),
        thermal_blocks: BlockTable::new(thermal_blocks.into_iter().collect()),
        line_blocks: BlockTable::new(line_blocks.into_iter().collect()),
    }
}

/// Penalties: entity-resolved values, then the per-stage overrides.
fn penalty_table(
    overrides: &PenaltyOverrides,
    pos: &Positions,
    e: &Entities,
    ns: usize,
) -> PenaltyTable {
    let mut table = PenaltyTable::from_entities(ns, &e.buses, &e.lines, &e.hydros, &e.ncs);
    let rows: Option<&Vec<HydroPenaltyRow>> = overrides.hydro.get();
    for r in rows.into_iter().flatten() {
        let (Some(s), Some(h)) = (pos.stage.get(&r.stage), pos.hydro.get(&r.hydro)) else {
            continue;
        };
        if let Some(p) = table.hydro.get_mut(s * e.hydros.len() + h) {
            r.patch.apply(p);
        }
    }
    let mut excess: Vec<f64> = table.bus.iter().map(|b| b.excess_cost_per_mwh).collect();
    scalar_overrides(
        overrides.bus.get(),
        &pos.stage,
        &pos.bus,
        e.buses.len(),
        &mut excess,
    );
    for (b, x) in table.bus.iter_mut().zip(excess) {
        b.excess_cost_per_mwh = x;
    }
    scalar_overrides(
        overrides.line.get(),
        &pos.stage,
        &pos.line,
        e.lines.len(),
        &mut table.line_exchange_cost,
    );
    scalar_overrides(
        overrides.ncs.get(),
        &pos.stage,
        &pos.ncs,
        e.ncs.len(),
        &mut table.ncs_curtailment_cost,
    );
    table
}

/// The values of rows read with their row numbers (none when not read).
fn rows_of<T: Clone>(src: &Src<Vec<(usize, T)>>) -> Vec<T> {
    src.get()
        .map(|v| v.iter().map(|(_, x)| x.clone()).collect())
        .unwrap_or_default()
}

/// Scenario inputs in canonical order.
fn scenario_inputs(scenarios: &ScenarioData) -> ScenarioInputs {
    let mut s = ScenarioInputs {
        inflow_stats: rows_of(&scenarios.inflow_stats),
        ar_coefficients: rows_of(&scenarios.ar),
        inflow_history: rows_of(&scenarios.history),
        load_stats: rows_of(&scenarios.load_stats),
        load_factors: rows_of(&scenarios.load_factors),
        ncs_stats: rows_of(&scenarios.ncs_stats),
        ncs_factors: rows_of(&scenarios.ncs_factors),
        external_inflows: rows_of(&scenarios.external_inflow),
        external_loads: rows_of(&scenarios.external_load),
        external_ncs: rows_of(&scenarios.external_ncs),
        correlation: scenarios.correlation.get().map(|c| c.input.clone()),
    };
    s.inflow_stats.sort_by_key(|x| (x.entity, x.stage));
    s.load_stats.sort_by_key(|x| (x.entity, x.stage));
    s.ncs_stats.sort_by_key(|x| (x.entity, x.stage));
    s.ar_coefficients.sort_by_key(|x| (x.hydro, x.stage, x.lag));
    s.inflow_history.sort_by_key(|x| (x.hydro, x.start_date));
    s.load_factors.sort_by_key(|x| (x.entity, x.stage));
    s.ncs_factors.sort_by_key(|x| (x.entity, x.stage));
    for f in s.load_factors.iter_mut() {
        f.factors.sort_by_key(|b| b.0);
    }
    for f in s.ncs_factors.iter_mut() {
        f.factors.sort_by_key(|b| b.0);
    }
    s.external_inflows
        .sort_by_key(|x| (x.entity, x.stage, x.scenario));
    s.external_loads
        .sort_by_key(|x| (x.entity, x.stage, x.scenario));
    s.external_ncs
        .sort_by_key(|x| (x.entity, x.stage, x.scenario));
    s
}

/// Hydro production-model inputs in canonical order.
fn hydro_model_inputs(hydro_system: &HydroSystemData) -> HydroModelInputs {
    let mut hm = HydroModelInputs {
        production_models: hydro_system
            .production
            .get()
            .map(|v| v.iter().map(|e| e.model.clone()).collect())
            .unwrap_or_default(),
        fpha_planes: rows_of(&hydro_system.fpha),
        geometry: rows_of(&hydro_system.geometry),
        energy_productivity: rows_of(&hydro_system.productivity),
        tailrace_families: hydro_system
            .tailrace
            .get()
            .map(|rows| crate::reader::tailrace_families(rows))
            .unwrap_or_default(),
    };
    hm.production_models.sort_by_key(|m| m.hydro);
    hm.fpha_planes
        .sort_by_key(|p| (p.hydro, p.stage, p.plane_id));
    hm.geometry.sort_by(|a, b| {
        a.hydro
            .cmp(&b.hydro)
            .then(a.volume_hm3.total_cmp(&b.volume_hm3))
    });
    hm.energy_productivity.sort_by_key(|p| (p.hydro, p.stage));
    hm
}

/// Builds the case. Called only when validation found no error.
pub(crate) fn build(root: &Path, d: CaseData) -> Result<Case, Box<Finding>> {
    let CaseData {
        config,
        stages,
        penalties,
        initial,
        buses,
        lines,
        thermals,
        hydros,
        ncs,
        hydro_system,
        scenarios,
        bounds,
        penalty_overrides,
        generic,
        pumping,
    } = d;
    let (Some(config), Some(stages), Some(global), Some(initial)) =
        (config.get(), stages.get(), penalties.get(), initial.get())
    else {
        return Err(internal("a required file was not read"));
    };
    let global: GlobalPenalties = global.clone();
    let e = Entities::resolve(buses, lines, thermals, hydros, ncs, &global);

    let mut horizon = stages.horizon.clone();
    horizon.stages.sort_by_key(|s| s.id);
    let ns = horizon.stages.len();
    let pos = Positions::new(&horizon, &e);
    let bounds = stage_bounds(&bounds, &pos, &e, ns);
    let table = penalty_table(&penalty_overrides, &pos, &e, ns);

    let mut generic_constraint_bounds = rows_of(&generic.bounds);
    generic_constraint_bounds.sort_by_key(|b| (b.constraint, b.stage, b.block));
    let parts = SystemParts {
        buses: e.buses,
        lines: e.lines,
        thermals: e.thermals,
        hydros: e.hydros,
        ncs: e.ncs,
        horizon,
        global_penalties: Some(global),
        penalties: table,
        bounds,
        initial_conditions: initial.ic.clone(),
        scenarios: scenario_inputs(&scenarios),
        hydro_models: hydro_model_inputs(&hydro_system),
        generic_constraints: generic.constraints.map(|r| r.items).unwrap_or_default(),
        generic_constraint_bounds,
        pumping_stations: pumping
            .stations
            .map(|r| r.items.into_iter().map(|p| p.station).collect())
            .unwrap_or_default(),
        pumping_bounds: rows_of(&pumping.bounds),
        unit_group_bounds: rows_of(&pumping.unit_group_bounds),
        generic_parameters: generic.parameter_list,
    };
    let system = System::new(parts).map_err(|e| from_core(&e))?;
    Ok(Case {
        root: root.to_path_buf(),
        system,
        config: config.config.clone(),
    })
}
