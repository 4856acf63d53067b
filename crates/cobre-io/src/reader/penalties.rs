//! `penalties.json` (global defaults) and the per-stage penalty override files.

use super::{read_json_root, row_ctx, table_of, Src};
use crate::files::{name, CaseFiles};
use crate::json::Obj;
use crate::report::{Finding, FindingKind, Layer, Sink};
use crate::tables::{key, opt, ColType, Table, TableSpec};
use cobre_core::penalties::DEFAULT_INFLOW_NONNEGATIVITY_COST;
use cobre_core::{DeficitSegment, GlobalPenalties, HydroPenalties};

const FILE: &str = name::PENALTIES;

/// Every hydro penalty name of the format, in [`HydroPatch`] order.
pub(crate) const HYDRO_PENALTY_NAMES: [&str; 16] = [
    "spillage_cost",
    "turbined_cost",
    "diversion_cost",
    "storage_violation_below_cost",
    "filling_target_violation_cost",
    "turbined_violation_below_cost",
    "outflow_violation_below_cost",
    "outflow_violation_above_cost",
    "generation_violation_below_cost",
    "evaporation_violation_cost",
    "water_withdrawal_violation_cost",
    "evaporation_violation_pos_cost",
    "evaporation_violation_neg_cost",
    "water_withdrawal_violation_pos_cost",
    "water_withdrawal_violation_neg_cost",
    "inflow_nonnegativity_cost",
];

/// Hydro penalties that may be zero (regularisation of turbined flow).
const MAY_BE_ZERO: [&str; 1] = ["turbined_cost"];

/// A partial set of hydro penalties (one cascade level).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct HydroPatch {
    /// Values in [`HYDRO_PENALTY_NAMES`] order.
    pub values: [Option<f64>; 16],
}

/// Entity-level hydro penalty overrides (`hydros[].penalties`).
pub(crate) type HydroOverrides = HydroPatch;

impl HydroPatch {
    /// Applies this level over `p`. A symmetric evaporation/withdrawal cost sets
    /// both directions unless the level also gives the directional value.
    pub(crate) fn apply(&self, p: &mut HydroPenalties) {
        let v = &self.values;
        let set = |slot: &mut f64, x: Option<f64>| {
            if let Some(x) = x {
                *slot = x;
            }
        };
        set(&mut p.spillage_cost, v[0]);
        set(&mut p.turbined_cost, v[1]);
        set(&mut p.diversion_cost, v[2]);
        set(&mut p.storage_violation_below_cost, v[3]);
        set(&mut p.filling_target_violation_cost, v[4]);
        set(&mut p.turbined_violation_below_cost, v[5]);
        set(&mut p.outflow_violation_below_cost, v[6]);
        set(&mut p.outflow_violation_above_cost, v[7]);
        set(&mut p.generation_violation_below_cost, v[8]);
        set(&mut p.evaporation_violation_pos_cost, v[11].or(v[9]));
        set(&mut p.evaporation_violation_neg_cost, v[12].or(v[9]));
        set(&mut p.water_withdrawal_violation_pos_cost, v[13].or(v[10]));
        set(&mut p.water_withdrawal_violation_neg_cost, v[14].or(v[10]));
        set(&mut p.inflow_nonnegativity_cost, v[15]);
    }
}

/// Checks one penalty value: finite, > 0 (≥ 0 for the turbined cost).
pub(crate) fn penalty_ok(name: &str, v: f64) -> Result<(), String> {
    if MAY_BE_ZERO.contains(&name) {
        if v < 0.0 {
            return Err(format!("`{name}` = {v} must be ≥ 0"));
        }
    } else if v <= 0.0 {
        return Err(format!("`{name}` = {v} must be > 0"));
    }
    Ok(())
}

/// Reads a penalty field of a JSON object and checks its sign.
fn penalty(o: &mut Obj<'_, '_>, key: &str, required: bool) -> Option<f64> {
    let v = if required {
        o.req_f64(key)
    } else {
        o.opt_f64(key)
    }?;
    if let Err(msg) = penalty_ok(key, v) {
        o.error(FindingKind::OutOfRange, key, msg);
    }
    Some(v)
}

/// Reads a list of deficit segments (`deficit_segments` of a bus or of the
/// global bus section): non-empty, positive costs and depths, last uncapped.
pub(crate) fn deficit_segments(o: &mut Obj<'_, '_>, required: bool) -> Option<Vec<DeficitSegment>> {
    let items = if required {
        o.req_array("deficit_segments")?
    } else {
        if !o.has("deficit_segments") {
            return None;
        }
        o.opt_array("deficit_segments")
    };
    let mut out = Vec::new();
    let mut ok = true;
    for (i, v) in items.iter().enumerate() {
        let Some(mut s) = o.item("deficit_segments", i, v, &["cost", "depth_mw"]) else {
            ok = false;
            continue;
        };
        let cost = penalty(&mut s, "cost", true);
        let d = s.opt_f64("depth_mw");
        let depth = s.min("depth_mw", d, 0.0, true);
        if i + 1 == items.len() && depth.is_some() {
            s.error(
                FindingKind::SchemaViolation,
                "depth_mw",
                "the last deficit segment must have `depth_mw: null` (unbounded)",
            );
        }
        if i + 1 < items.len() && depth.is_none() && d.is_none() {
            s.error(
                FindingKind::SchemaViolation,
                "depth_mw",
                "only the last deficit segment may be unbounded (`depth_mw: null`)",
            );
        }
        match cost {
            Some(cost) => out.push(DeficitSegment {
                depth_mw: depth,
                cost_per_mwh: cost,
            }),
            None => ok = false,
        }
    }
    if items.is_empty() {
        o.error(
            FindingKind::SchemaViolation,
            "deficit_segments",
            "at least one deficit segment is required",
        );
        return None;
    }
    ok.then_some(out)
}

fn hydro_global(o: &mut Obj<'_, '_>) -> Option<HydroPenalties> {
    let mut h = o.req_obj("hydro", &HYDRO_PENALTY_NAMES)?;
    let mut patch = HydroPatch::default();
    let mut ok = true;
    for (i, name) in HYDRO_PENALTY_NAMES.iter().enumerate() {
        let required = i <= 10;
        let v = penalty(&mut h, name, required);
        ok &= v.is_some() || !required;
        patch.values[i] = v;
    }
    if !ok {
        return None;
    }
    let mut p = HydroPenalties::zero();
    p.inflow_nonnegativity_cost = DEFAULT_INFLOW_NONNEGATIVITY_COST;
    patch.apply(&mut p);
    Some(p)
}

/// Reads `penalties.json`.
pub(crate) fn read_global(files: &CaseFiles, sink: &mut Sink) -> Src<GlobalPenalties> {
    read_json_root(
        files,
        FILE,
        sink,
        &["bus", "line", "hydro", "non_controllable_source"],
        |mut root| {
            let bus = root
                .req_obj("bus", &["deficit_segments", "excess_cost"])
                .map(|mut b| {
                    let segs = deficit_segments(&mut b, true);
                    let excess = penalty(&mut b, "excess_cost", true);
                    (segs, excess)
                });
            let exchange = root
                .req_obj("line", &["exchange_cost"])
                .and_then(|mut l| penalty(&mut l, "exchange_cost", true));
            let hydro = hydro_global(&mut root);
            let curtailment = root
                .req_obj("non_controllable_source", &["curtailment_cost"])
                .and_then(|mut n| penalty(&mut n, "curtailment_cost", true));
            match (bus, exchange, hydro, curtailment) {
                (
                    Some((Some(deficit_segments), Some(excess))),
                    Some(exchange),
                    Some(hydro),
                    Some(curt),
                ) => Src::Read(GlobalPenalties {
                    deficit_segments,
                    excess_cost_per_mwh: excess,
                    exchange_cost_per_mwh: exchange,
                    hydro,
                    curtailment_cost_per_mwh: curt,
                }),
                _ => Src::Failed,
            }
        },
    )
}

/// A per-stage override of a single penalty (bus excess, line exchange, NCS curtailment).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScalarPenaltyRow {
    pub row: usize,
    pub entity: i32,
    pub stage: i32,
    pub value: Option<f64>,
}

/// A per-stage override of hydro penalties.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HydroPenaltyRow {
    pub row: usize,
    pub hydro: i32,
    pub stage: i32,
    pub patch: HydroPatch,
}

/// Rows of the four `constraints/penalty_overrides_*.parquet` files.
#[derive(Debug, Default)]
pub(crate) struct PenaltyOverrides {
    pub bus: Src<Vec<ScalarPenaltyRow>>,
    pub line: Src<Vec<ScalarPenaltyRow>>,
    pub hydro: Src<Vec<HydroPenaltyRow>>,
    pub ncs: Src<Vec<ScalarPenaltyRow>>,
}

static BUS_SPEC: TableSpec = TableSpec {
    file: name::PENALTY_BUS,
    columns: &[
        key("bus_id", ColType::I32),
        key("stage_id", ColType::I32),
        opt("excess_cost", ColType::F64),
    ],
};
static LINE_SPEC: TableSpec = TableSpec {
    file: name::PENALTY_LINE,
    columns: &[
        key("line_id", ColType::I32),
        key("stage_id", ColType::I32),
        opt("exchange_cost", ColType::F64),
    ],
};
static NCS_SPEC: TableSpec = TableSpec {
    file: name::PENALTY_NCS,
    columns: &[
        key("ncs_id", ColType::I32),
        key("stage_id", ColType::I32),
        opt("curtailment_cost", ColType::F64),
    ],
};
static HYDRO_SPEC: TableSpec = TableSpec {
    file: name::PENALTY_HYDRO,
    columns: &[
        key("hydro_id", ColType::I32),
        key("stage_id", ColType::I32),
        opt("spillage_cost", ColType::F64),
        opt("turbined_cost", ColType::F64),
        opt("diversion_cost", ColType::F64),
        opt("storage_violation_below_cost", ColType::F64),
        opt("filling_target_violation_cost", ColType::F64),
        opt("turbined_violation_below_cost", ColType::F64),
        opt("outflow_violation_below_cost", ColType::F64),
        opt("outflow_violation_above_cost", ColType::F64),
        opt("generation_violation_below_cost", ColType::F64),
        opt("evaporation_violation_cost", ColType::F64),
        opt("water_withdrawal_violation_cost", ColType::F64),
        opt("evaporation_violation_pos_cost", ColType::F64),
        opt("evaporation_violation_neg_cost", ColType::F64),
        opt("water_withdrawal_violation_pos_cost", ColType::F64),
        opt("water_withdrawal_violation_neg_cost", ColType::F64),
        opt("inflow_nonnegativity_cost", ColType::F64),
    ],
};

fn checked(t: &Table, col: &str, row: usize, sink: &mut Sink) -> Option<f64> {
    let v = t.f64(col, row)?;
    if let Err(msg) = penalty_ok(col, v) {
        sink.push(Finding::error(
            FindingKind::OutOfRange,
            Layer::Schema,
            row_ctx(t.file, row).field(col),
            msg,
        ));
    }
    Some(v)
}

fn scalar_rows(
    files: &CaseFiles,
    spec: &TableSpec,
    id_col: &str,
    value_col: &str,
    sink: &mut Sink,
) -> Src<Vec<ScalarPenaltyRow>> {
    let t = match table_of(files, spec, sink) {
        Src::Read(t) => t,
        Src::Absent => return Src::Absent,
        Src::Failed => return Src::Failed,
    };
    let mut rows = Vec::new();
    for r in 0..t.rows {
        let value = checked(&t, value_col, r, sink);
        if let (Some(entity), Some(stage)) = (t.i32(id_col, r), t.i32("stage_id", r)) {
            rows.push(ScalarPenaltyRow {
                row: r,
                entity,
                stage,
                value,
            });
        }
    }
    Src::Read(rows)
}

/// Reads the four penalty override files.
pub(crate) fn read_overrides(files: &CaseFiles, sink: &mut Sink) -> PenaltyOverrides {
    let hydro = table_of(files, &HYDRO_SPEC, sink).map(|t| {
        let mut rows = Vec::new();
        for r in 0..t.rows {
            let mut patch = HydroPatch::default();
            for (i, col) in HYDRO_PENALTY_NAMES.iter().enumerate() {
                patch.values[i] = checked(&t, col, r, sink);
            }
            if let (Some(hydro), Some(stage)) = (t.i32("hydro_id", r), t.i32("stage_id", r)) {
                rows.push(HydroPenaltyRow {
                    row: r,
                    hydro,
                    stage,
                    patch,
                });
            }
        }
        rows
    });
    PenaltyOverrides {
        bus: scalar_rows(files, &BUS_SPEC, "bus_id", "excess_cost", sink),
        line: scalar_rows(files, &LINE_SPEC, "line_id", "exchange_cost", sink),
        hydro,
        ncs: scalar_rows(files, &NCS_SPEC, "ncs_id", "curtailment_cost", sink),
    }
}
