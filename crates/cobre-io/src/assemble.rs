//! Building the [`Case`] from validated data: the penalty cascade, the
//! per-stage bounds tables and the canonical (id-sorted) order.

use crate::reader::{CaseData, HydroPenaltyRow, ScalarPenaltyRow};
use crate::report::{Finding, FindingContext, FindingKind, Layer};
use cobre_core::constraints::{
    BlockTable, HydroBlockOverride, LineBlockOverride, StageTable, ThermalBlockOverride,
};
use cobre_core::hydro_models::HydroModelInputs;
use cobre_core::penalties::BusStagePenalties;
use cobre_core::scenario::ScenarioInputs;
use cobre_core::{
    Case, CoreError, GlobalPenalties, HydroStageBounds, LineStageBounds, NcsStageBounds,
    PenaltyTable, StageBounds, System, SystemParts, ThermalStageBounds,
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

    let mut buses: Vec<_> = buses
        .map(|r| r.items)
        .unwrap_or_default()
        .into_iter()
        .map(|b| {
            let mut bus = b.bus;
            bus.deficit_segments = b.deficit.unwrap_or_else(|| global.deficit_segments.clone());
            bus.excess_cost_per_mwh = global.excess_cost_per_mwh;
            bus
        })
        .collect();
    buses.sort_by_key(|b| b.id);
    let mut lines: Vec<_> = lines
        .map(|r| r.items)
        .unwrap_or_default()
        .into_iter()
        .map(|l| {
            let mut line = l.line;
            line.exchange_cost_per_mwh = l.exchange_cost.unwrap_or(global.exchange_cost_per_mwh);
            line
        })
        .collect();
    lines.sort_by_key(|l| l.id);
    let mut thermals: Vec<_> = thermals
        .map(|r| r.items)
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.thermal)
        .collect();
    thermals.sort_by_key(|t| t.id);
    let mut hydros: Vec<_> = hydros
        .map(|r| r.items)
        .unwrap_or_default()
        .into_iter()
        .map(|h| {
            let mut hydro = h.hydro;
            let mut p = global.hydro;
            h.overrides.apply(&mut p);
            hydro.penalties = p;
            hydro
        })
        .collect();
    hydros.sort_by_key(|h| h.id);
    let mut ncs: Vec<_> = ncs
        .map(|r| r.items)
        .unwrap_or_default()
        .into_iter()
        .map(|n| {
            let mut source = n.ncs;
            source.curtailment_cost_per_mwh = n
                .curtailment_cost
                .unwrap_or(global.curtailment_cost_per_mwh);
            source
        })
        .collect();
    ncs.sort_by_key(|n| n.id);

    let mut horizon = stages.horizon.clone();
    horizon.stages.sort_by_key(|s| s.id);
    let ns = horizon.stages.len();
    let stage_pos = positions(horizon.stages.iter().map(|s| s.id.0));
    let hydro_pos = positions(hydros.iter().map(|h| h.id.0));
    let thermal_pos = positions(thermals.iter().map(|t| t.id.0));
    let line_pos = positions(lines.iter().map(|l| l.id.0));
    let ncs_pos = positions(ncs.iter().map(|n| n.id.0));
    let bus_pos = positions(buses.iter().map(|b| b.id.0));

    // Per-stage bounds: entity values, then the constraints/ overrides.
    let hydro_base: Vec<HydroStageBounds> = hydros
        .iter()
        .map(|h| HydroStageBounds {
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
        .collect();
    let mut hydro_table = StageTable::from_base(ns, &hydro_base);
    let mut hydro_blocks: BTreeMap<(usize, usize, usize), HydroBlockOverride> = BTreeMap::new();
    for r in bounds.hydro.get().into_iter().flatten() {
        let (Some(s), Some(h)) = (stage_pos.get(&r.stage), hydro_pos.get(&r.hydro)) else {
            continue;
        };
        if let Some(k) = r.block.and_then(|k| usize::try_from(k).ok()) {
            let o = hydro_blocks.entry((*s, *h, k)).or_default();
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
        let Some(b) = hydro_table.get_mut(*s, *h) else {
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
    let thermal_base: Vec<ThermalStageBounds> = thermals
        .iter()
        .map(|t| ThermalStageBounds {
            min_generation_mw: t.min_generation_mw,
            max_generation_mw: t.max_generation_mw,
            cost_per_mwh: t.cost_per_mwh,
        })
        .collect();
    let mut thermal_table = StageTable::from_base(ns, &thermal_base);
    let mut thermal_blocks: BTreeMap<(usize, usize, usize), ThermalBlockOverride> = BTreeMap::new();
    for r in bounds.thermal.get().into_iter().flatten() {
        let (Some(s), Some(t)) = (stage_pos.get(&r.stage), thermal_pos.get(&r.thermal)) else {
            continue;
        };
        if let Some(k) = r.block.and_then(|k| usize::try_from(k).ok()) {
            let o = thermal_blocks.entry((*s, *t, k)).or_default();
            o.min_generation_mw = r.min_mw.or(o.min_generation_mw);
            o.max_generation_mw = r.max_mw.or(o.max_generation_mw);
            continue;
        }
        let Some(b) = thermal_table.get_mut(*s, *t) else {
            continue;
        };
        b.min_generation_mw = r.min_mw.unwrap_or(b.min_generation_mw);
        b.max_generation_mw = r.max_mw.unwrap_or(b.max_generation_mw);
        b.cost_per_mwh = r.cost.unwrap_or(b.cost_per_mwh);
    }
    let line_base: Vec<LineStageBounds> = lines
        .iter()
        .map(|l| LineStageBounds {
            direct_capacity_mw: l.direct_capacity_mw,
            reverse_capacity_mw: l.reverse_capacity_mw,
        })
        .collect();
    let mut line_table = StageTable::from_base(ns, &line_base);
    let mut line_blocks: BTreeMap<(usize, usize, usize), LineBlockOverride> = BTreeMap::new();
    for r in bounds.line.get().into_iter().flatten() {
        let (Some(s), Some(l)) = (stage_pos.get(&r.stage), line_pos.get(&r.line)) else {
            continue;
        };
        if let Some(k) = r.block.and_then(|k| usize::try_from(k).ok()) {
            let o = line_blocks.entry((*s, *l, k)).or_default();
            o.direct_capacity_mw = r.direct_mw.or(o.direct_capacity_mw);
            o.reverse_capacity_mw = r.reverse_mw.or(o.reverse_capacity_mw);
            continue;
        }
        let Some(b) = line_table.get_mut(*s, *l) else {
            continue;
        };
        b.direct_capacity_mw = r.direct_mw.unwrap_or(b.direct_capacity_mw);
        b.reverse_capacity_mw = r.reverse_mw.unwrap_or(b.reverse_capacity_mw);
    }
    let ncs_base: Vec<NcsStageBounds> = ncs
        .iter()
        .map(|n| NcsStageBounds {
            available_mw: n.max_generation_mw,
        })
        .collect();
    let mut ncs_table = StageTable::from_base(ns, &ncs_base);
    for r in bounds.ncs.get().into_iter().flatten() {
        let (Some(s), Some(n)) = (stage_pos.get(&r.stage), ncs_pos.get(&r.ncs)) else {
            continue;
        };
        if let Some(b) = ncs_table.get_mut(*s, *n) {
            b.available_mw = r.available_mw;
        }
    }

    // Penalties: entity-resolved values, then the per-stage overrides.
    let mut table = PenaltyTable {
        num_stages: ns,
        ..PenaltyTable::default()
    };
    for _ in 0..ns {
        table.hydro.extend(hydros.iter().map(|h| h.penalties));
        table.bus.extend(buses.iter().map(|b| BusStagePenalties {
            excess_cost_per_mwh: b.excess_cost_per_mwh,
        }));
        table
            .line_exchange_cost
            .extend(lines.iter().map(|l| l.exchange_cost_per_mwh));
        table
            .ncs_curtailment_cost
            .extend(ncs.iter().map(|n| n.curtailment_cost_per_mwh));
    }
    let rows: Option<&Vec<HydroPenaltyRow>> = penalty_overrides.hydro.get();
    for r in rows.into_iter().flatten() {
        let (Some(s), Some(h)) = (stage_pos.get(&r.stage), hydro_pos.get(&r.hydro)) else {
            continue;
        };
        if let Some(p) = table.hydro.get_mut(s * hydros.len() + h) {
            r.patch.apply(p);
        }
    }
    let mut excess: Vec<f64> = table.bus.iter().map(|b| b.excess_cost_per_mwh).collect();
    scalar_overrides(
        penalty_overrides.bus.get(),
        &stage_pos,
        &bus_pos,
        buses.len(),
        &mut excess,
    );
    for (b, x) in table.bus.iter_mut().zip(excess) {
        b.excess_cost_per_mwh = x;
    }
    scalar_overrides(
        penalty_overrides.line.get(),
        &stage_pos,
        &line_pos,
        lines.len(),
        &mut table.line_exchange_cost,
    );
    scalar_overrides(
        penalty_overrides.ncs.get(),
        &stage_pos,
        &ncs_pos,
        ncs.len(),
        &mut table.ncs_curtailment_cost,
    );

    // Scenario and hydro-model inputs in canonical order.
    fn rows_of<T: Clone>(src: &crate::reader::Src<Vec<(usize, T)>>) -> Vec<T> {
        src.get()
            .map(|v| v.iter().map(|(_, x)| x.clone()).collect())
            .unwrap_or_default()
    }
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

    let generic_parameters = generic.parameter_list;
    let generic_constraints = generic.constraints.map(|r| r.items).unwrap_or_default();
    let mut generic_constraint_bounds = rows_of(&generic.bounds);
    generic_constraint_bounds.sort_by_key(|b| (b.constraint, b.stage, b.block));

    let parts = SystemParts {
        buses,
        lines,
        thermals,
        hydros,
        ncs,
        horizon,
        global_penalties: Some(global),
        penalties: table,
        bounds: StageBounds {
            hydro: hydro_table,
            thermal: thermal_table,
            line: line_table,
            ncs: ncs_table,
            hydro_blocks: BlockTable::new(hydro_blocks.into_iter().collect()),
            thermal_blocks: BlockTable::new(thermal_blocks.into_iter().collect()),
            line_blocks: BlockTable::new(line_blocks.into_iter().collect()),
        },
        initial_conditions: initial.ic.clone(),
        scenarios: s,
        hydro_models: hm,
        generic_constraints,
        generic_constraint_bounds,
        pumping_stations: pumping
            .stations
            .map(|r| r.items.into_iter().map(|p| p.station).collect())
            .unwrap_or_default(),
        pumping_bounds: rows_of(&pumping.bounds),
        unit_group_bounds: rows_of(&pumping.unit_group_bounds),
        generic_parameters,
    };
    let system = System::new(parts).map_err(|e| from_core(&e))?;
    Ok(Case {
        root: root.to_path_buf(),
        system,
        config: config.config.clone(),
    })
}
