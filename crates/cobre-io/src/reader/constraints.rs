//! `constraints/`: per-stage bounds overrides and generic constraints.

use super::entities::{registry_with, RegistryFile};
use super::expression::Names;
use super::parameters::ParametersData;
use super::{expression, non_negative_cell, row_ctx, table_of, Registry, Src};
use crate::capabilities::Feature;
use crate::files::{name, CaseFiles};
use crate::json::Obj;
use crate::report::{Finding, FindingContext, FindingKind, Layer, Sink};
use crate::tables::{key, opt, ColType, Table, TableSpec};
use cobre_core::{
    ConstraintId, GenericConstraint, GenericConstraintBound, ScalarParameter, StageId,
};

/// A row of `thermal_bounds.parquet`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThermalBoundRow {
    pub row: usize,
    pub thermal: i32,
    pub stage: i32,
    /// `None`: the row is stage-wide.
    pub block: Option<i32>,
    pub min_mw: Option<f64>,
    pub max_mw: Option<f64>,
    pub cost: Option<f64>,
}

/// Value columns of `hydro_bounds.parquet`, in [`HydroBoundRow::values`] order.
pub(crate) const HYDRO_BOUND_COLUMNS: [&str; 14] = [
    "min_turbined_m3s",
    "max_turbined_m3s",
    "min_storage_hm3",
    "max_storage_hm3",
    "min_outflow_m3s",
    "max_outflow_m3s",
    "min_generation_mw",
    "max_generation_mw",
    "water_withdrawal_m3s",
    "min_spillage_m3s",
    "max_spillage_m3s",
    "min_diversion_m3s",
    "max_diversion_m3s",
    "filling_inflow_m3s",
];

/// A row of `hydro_bounds.parquet`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HydroBoundRow {
    pub row: usize,
    pub hydro: i32,
    pub stage: i32,
    /// `None`: the row is stage-wide.
    pub block: Option<i32>,
    pub values: [Option<f64>; 14],
}

impl HydroBoundRow {
    /// The value of a column (by name).
    pub(crate) fn get(&self, col: &str) -> Option<f64> {
        let i = HYDRO_BOUND_COLUMNS.iter().position(|c| *c == col)?;
        self.values.get(i).copied().flatten()
    }
}

/// A row of `line_bounds.parquet`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineBoundRow {
    pub row: usize,
    pub line: i32,
    pub stage: i32,
    /// `None`: the row is stage-wide.
    pub block: Option<i32>,
    pub direct_mw: Option<f64>,
    pub reverse_mw: Option<f64>,
}

/// A row of `ncs_bounds.parquet`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NcsBoundRow {
    pub row: usize,
    pub ncs: i32,
    pub stage: i32,
    pub available_mw: f64,
}

/// The four bounds override files.
#[derive(Debug, Default)]
pub(crate) struct BoundsData {
    pub thermal: Src<Vec<ThermalBoundRow>>,
    pub hydro: Src<Vec<HydroBoundRow>>,
    pub line: Src<Vec<LineBoundRow>>,
    pub ncs: Src<Vec<NcsBoundRow>>,
}

/// Generic constraints, their bounds and their parameters.
#[derive(Debug, Default)]
pub(crate) struct GenericData {
    pub constraints: Option<Registry<GenericConstraint>>,
    pub bounds: Src<Vec<(usize, GenericConstraintBound)>>,
    /// `generic_parameters.json` as read (entries with their index).
    pub parameters: Src<ParametersData>,
    /// The parameter list the terms refer to (the file's parameters in file
    /// order, then products of several parameters).
    pub parameter_list: Vec<ScalarParameter>,
}

static THERMAL: TableSpec = TableSpec {
    file: name::THERMAL_BOUNDS,
    columns: &[
        key("thermal_id", ColType::I32),
        key("stage_id", ColType::I32),
        opt("block_id", ColType::I32),
        opt("min_generation_mw", ColType::F64),
        opt("max_generation_mw", ColType::F64),
        opt("cost_per_mwh", ColType::F64),
    ],
};
static HYDRO: TableSpec = TableSpec {
    file: name::HYDRO_BOUNDS,
    columns: &[
        key("hydro_id", ColType::I32),
        key("stage_id", ColType::I32),
        opt("block_id", ColType::I32),
        opt("min_turbined_m3s", ColType::F64),
        opt("max_turbined_m3s", ColType::F64),
        opt("min_storage_hm3", ColType::F64),
        opt("max_storage_hm3", ColType::F64),
        opt("min_outflow_m3s", ColType::F64),
        opt("max_outflow_m3s", ColType::F64),
        opt("min_generation_mw", ColType::F64),
        opt("max_generation_mw", ColType::F64),
        opt("water_withdrawal_m3s", ColType::F64),
        opt("min_spillage_m3s", ColType::F64),
        opt("max_spillage_m3s", ColType::F64),
        opt("min_diversion_m3s", ColType::F64),
        opt("max_diversion_m3s", ColType::F64),
        opt("filling_inflow_m3s", ColType::F64),
    ],
};
static LINE: TableSpec = TableSpec {
    file: name::LINE_BOUNDS,
    columns: &[
        key("line_id", ColType::I32),
        key("stage_id", ColType::I32),
        opt("block_id", ColType::I32),
        opt("direct_mw", ColType::F64),
        opt("reverse_mw", ColType::F64),
    ],
};
static NCS: TableSpec = TableSpec {
    file: name::NCS_BOUNDS,
    columns: &[
        key("ncs_id", ColType::I32),
        key("stage_id", ColType::I32),
        key("available_generation_mw", ColType::F64),
    ],
};
static GENERIC_BOUNDS: TableSpec = TableSpec {
    file: name::GENERIC_BOUNDS,
    columns: &[
        key("constraint_id", ColType::I32),
        key("stage_id", ColType::I32),
        opt("block_id", ColType::I32),
        opt("bound_lower", ColType::F64),
        opt("bound_upper", ColType::F64),
    ],
};

/// Hydro columns that are per stage only (no per-block LP quantity).
pub(crate) const HYDRO_STAGE_ONLY_COLUMNS: [&str; 4] = [
    "min_storage_hm3",
    "max_storage_hm3",
    "water_withdrawal_m3s",
    "filling_inflow_m3s",
];

/// A per-block row (`block_id` given) that sets a column which exists per
/// stage only: an error naming the column (0.18 rejects it the same way).
fn stage_only_on_block_row(t: &Table, r: usize, col: &str, why: &str, sink: &mut Sink) {
    if t.i32("block_id", r).is_some() && t.f64(col, r).is_some() {
        sink.push(
            Finding::error(
                FindingKind::IncompatibleSettings,
                Layer::Schema,
                row_ctx(t.file, r).field(col),
                format!("`{col}` is set on a per-block row (block_id given), but {why}"),
            )
            .suggest(format!(
                "move `{col}` to a stage-wide row (block_id null) of `{}`",
                t.file
            )),
        );
    }
}

fn refuse_column(t: &Table, col: &str, feature: Feature, sink: &mut Sink) {
    if t.any_value(col) {
        feature.refuse(
            sink,
            FindingContext::file(t.file).field(col),
            &format!("column `{col}` of `{}`", t.file),
        );
    }
}

/// The `(entity, stage, block)` key of a bounds row, the entity in column
/// `id_col`; `None` when the entity or the stage is null.
fn row_key(t: &Table, r: usize, id_col: &str) -> Option<(i32, i32, Option<i32>)> {
    Some((
        t.i32(id_col, r)?,
        t.i32("stage_id", r)?,
        t.i32("block_id", r),
    ))
}

/// The cells of `cols` in row `r`, each checked to be ≥ 0 (in column order).
fn non_negative_cells<const N: usize>(
    t: &Table,
    r: usize,
    cols: [&str; N],
    sink: &mut Sink,
) -> [Option<f64>; N] {
    cols.map(|col| non_negative_cell(t, col, r, sink))
}

/// A row of `thermal_bounds.parquet` (the cost is per stage only).
fn thermal_row(t: &Table, r: usize, sink: &mut Sink) -> Option<ThermalBoundRow> {
    stage_only_on_block_row(t, r, "cost_per_mwh", "the thermal cost is per stage", sink);
    let cols = ["min_generation_mw", "max_generation_mw", "cost_per_mwh"];
    let [min_mw, max_mw, cost] = non_negative_cells(t, r, cols, sink);
    let (thermal, stage, block) = row_key(t, r, "thermal_id")?;
    Some(ThermalBoundRow {
        row: r,
        thermal,
        stage,
        block,
        min_mw,
        max_mw,
        cost,
    })
}

/// A row of `hydro_bounds.parquet` (withdrawal may be negative).
fn hydro_row(t: &Table, r: usize, sink: &mut Sink) -> Option<HydroBoundRow> {
    for col in HYDRO_STAGE_ONLY_COLUMNS {
        stage_only_on_block_row(
            t,
            r,
            col,
            "it has no per-block LP quantity (storage, withdrawal and filling are per stage)",
            sink,
        );
    }
    let values = HYDRO_BOUND_COLUMNS.map(|col| {
        if col == "water_withdrawal_m3s" {
            t.f64(col, r)
        } else {
            non_negative_cell(t, col, r, sink)
        }
    });
    let (hydro, stage, block) = row_key(t, r, "hydro_id")?;
    Some(HydroBoundRow {
        row: r,
        hydro,
        stage,
        block,
        values,
    })
}

/// A row of `line_bounds.parquet`.
fn line_row(t: &Table, r: usize, sink: &mut Sink) -> Option<LineBoundRow> {
    let [direct_mw, reverse_mw] = non_negative_cells(t, r, ["direct_mw", "reverse_mw"], sink);
    let (line, stage, block) = row_key(t, r, "line_id")?;
    Some(LineBoundRow {
        row: r,
        line,
        stage,
        block,
        direct_mw,
        reverse_mw,
    })
}

/// A row of `ncs_bounds.parquet` (stage-wide only, availability required).
fn ncs_row(t: &Table, r: usize, sink: &mut Sink) -> Option<NcsBoundRow> {
    let avail = non_negative_cell(t, "available_generation_mw", r, sink);
    Some(NcsBoundRow {
        row: r,
        ncs: t.i32("ncs_id", r)?,
        stage: t.i32("stage_id", r)?,
        available_mw: avail?,
    })
}

/// Reads the four bounds override files.
pub(crate) fn read_bounds(files: &CaseFiles, sink: &mut Sink) -> BoundsData {
    let thermal = table_of(files, &THERMAL, sink).collect_rows(|t, r| thermal_row(t, r, sink));
    let hydro = table_of(files, &HYDRO, sink).map(|t| {
        refuse_column(&t, "min_spillage_m3s", Feature::SpillageBounds, sink);
        refuse_column(&t, "max_spillage_m3s", Feature::SpillageBounds, sink);
        refuse_column(&t, "filling_inflow_m3s", Feature::ReservoirFilling, sink);
        (0..t.rows).filter_map(|r| hydro_row(&t, r, sink)).collect()
    });
    let line = table_of(files, &LINE, sink).collect_rows(|t, r| line_row(t, r, sink));
    let ncs = table_of(files, &NCS, sink).collect_rows(|t, r| ncs_row(t, r, sink));
    BoundsData {
        thermal,
        hydro,
        line,
        ncs,
    }
}

fn read_constraint(o: &mut Obj<'_, '_>, id: i32, names: &mut Names) -> Option<GenericConstraint> {
    let name = o.req_str("name");
    let description = o.opt_str("description");
    let expression = o.req_str("expression");
    let slack = o.req_obj("slack", &["enabled", "penalty"]).map(|mut s| {
        let enabled = s.req_bool("enabled");
        let p = s.opt_f64("penalty");
        let penalty = s.min("penalty", p, 0.0, true);
        if enabled == Some(true) && p.is_none() {
            s.error(
                FindingKind::SchemaViolation,
                "penalty",
                "`slack.enabled` is true: `slack.penalty` (> 0) is required",
            );
        }
        (enabled, penalty)
    });
    let parsed = match expression.map(|e| expression::parse(e, names)) {
        Some(Ok(p)) => Some(p),
        Some(Err(msg)) => {
            o.error(
                FindingKind::SchemaViolation,
                "expression",
                format!("cannot parse the expression: {msg}"),
            );
            None
        }
        None => None,
    };
    if let Some(p) = &parsed {
        for (feature, what) in &p.refused {
            let ctx = o.ctx("expression");
            feature.refuse(o.sink(), ctx, what);
        }
    }
    let (enabled, penalty) = slack?;
    let parsed = parsed?;
    if parsed.terms.is_empty() {
        return None;
    }
    Some(GenericConstraint {
        id: ConstraintId(id),
        name: name?.to_string(),
        description: description.map(str::to_string),
        expression: expression?.to_string(),
        terms: parsed.terms,
        constant: 0.0,
        slack_penalty: if enabled? { Some(penalty?) } else { None },
    })
}

/// Reads the named `expressions` of `generic_constraints.json` into `names`
/// (their text; they are parsed where they are used).
fn read_expressions(files: &CaseFiles, names: &mut Names, sink: &mut Sink) {
    let Src::Read(v) = super::json_of(files, name::GENERIC, &mut Sink::default()) else {
        return;
    };
    let Some(items) = v.get("expressions").and_then(serde_json::Value::as_array) else {
        return;
    };
    // The root's keys are checked where the constraints are read.
    let root_keys: Vec<&str> = v
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut scratch = Sink::default();
    let Some(mut root) = Obj::root(&mut scratch, name::GENERIC, &v, &root_keys) else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let Some(mut o) = root.item(
            "expressions",
            i,
            item,
            &["name", "expression", "description"],
        ) else {
            continue;
        };
        let n = o.req_str("name");
        let e = o.req_str("expression");
        o.opt_str("description");
        if let (Some(n), Some(e)) = (n, e) {
            if names.params.contains_key(n) {
                o.error(
                    FindingKind::DuplicateId,
                    "name",
                    format!("`{n}` names both a parameter of `generic_parameters.json` and an expression: the `@{n}` namespace is shared"),
                );
            } else if names
                .expressions
                .insert(n.to_string(), e.to_string())
                .is_some()
            {
                o.error(
                    FindingKind::DuplicateId,
                    "name",
                    format!("the expression name `{n}` is repeated"),
                );
            }
        }
    }
    for f in scratch.into_findings() {
        sink.push(f);
    }
}

/// Reads `generic_parameters.json`, `generic_constraints.json` (with its
/// named expressions) and `generic_constraint_bounds.parquet`.
pub(crate) fn read_generic(files: &CaseFiles, sink: &mut Sink) -> GenericData {
    let parameters = super::parameters::read(files, sink);
    let mut names = Names::default();
    if let Some(p) = parameters.get() {
        for (_, param) in &p.items {
            if names.params.contains_key(&param.name) {
                continue; // reported by the referential layer
            }
            if let Ok(pos) = u32::try_from(names.list.len()) {
                names.params.insert(param.name.clone(), pos);
            }
            names.list.push(param.clone());
        }
    }
    read_expressions(files, &mut names, sink);
    let constraints = files.exists(name::GENERIC).then(|| {
        let spec = RegistryFile {
            file: name::GENERIC,
            root_keys: &["constraints", "expressions"],
            key: "constraints",
            kind: "generic constraint",
            allowed: &["id", "name", "description", "expression", "slack"],
        };
        registry_with(files, &spec, sink, |o, id| {
            read_constraint(o, id, &mut names)
        })
    });
    let bounds = table_of(files, &GENERIC_BOUNDS, sink).map_rows(|t, r| {
        Some(GenericConstraintBound {
            constraint: ConstraintId(t.i32("constraint_id", r)?),
            stage: StageId(t.i32("stage_id", r)?),
            block: t.i32("block_id", r),
            lower: t.f64("bound_lower", r),
            upper: t.f64("bound_upper", r),
        })
    });
    GenericData {
        constraints,
        bounds,
        parameters,
        parameter_list: names.list,
    }
}
