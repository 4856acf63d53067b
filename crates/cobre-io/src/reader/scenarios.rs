//! `scenarios/`: statistics, AR coefficients, history, external scenarios,
//! block factors and correlation.

use super::{read_json_root, row_ctx, table_of, Src};
use crate::capabilities::Feature;
use crate::files::{name, CaseFiles};
use crate::json::Obj;
use crate::report::{Finding, FindingKind, Layer, Severity, Sink};
use crate::tables::{key, ColType, Table, TableSpec};
use cobre_core::scenario::{
    ArCoefficient, BlockFactors, CorrelatedEntity, CorrelationInput, CorrelationProfile,
    ExternalValue, HistoricalInflow, SeasonalStat,
};
use cobre_core::{BusId, HydroId, NcsId, StageId};
use serde_json::Value;
use std::collections::BTreeMap;

type Rows<T> = Src<Vec<(usize, T)>>;

/// One correlation group as written (kept for the semantic checks).
#[derive(Debug, Clone)]
pub(crate) struct CorrelationGroup {
    pub profile: String,
    pub name: String,
    pub entities: Vec<CorrelatedEntity>,
    pub matrix: Vec<Vec<f64>>,
}

/// What `scenarios/correlation.json` holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct CorrelationData {
    pub input: CorrelationInput,
    pub groups: Vec<CorrelationGroup>,
    /// `(index, stage_id, profile name)` of every schedule entry.
    pub schedule: Vec<(usize, i32, String)>,
}

/// Everything read from `scenarios/`.
#[derive(Debug, Default)]
pub(crate) struct ScenarioData {
    pub inflow_stats: Rows<SeasonalStat<HydroId>>,
    pub ar: Rows<ArCoefficient>,
    pub history: Rows<HistoricalInflow>,
    pub load_stats: Rows<SeasonalStat<BusId>>,
    pub ncs_stats: Rows<SeasonalStat<NcsId>>,
    pub external_inflow: Rows<ExternalValue<HydroId>>,
    pub external_load: Rows<ExternalValue<BusId>>,
    pub external_ncs: Rows<ExternalValue<NcsId>>,
    pub load_factors: Rows<BlockFactors<BusId>>,
    pub ncs_factors: Rows<BlockFactors<NcsId>>,
    pub correlation: Src<CorrelationData>,
}

static INFLOW_STATS: TableSpec = TableSpec {
    file: name::INFLOW_STATS,
    columns: &[
        key("hydro_id", ColType::I32),
        key("stage_id", ColType::I32),
        key("mean_m3s", ColType::F64),
        key("std_m3s", ColType::F64),
    ],
};
static LOAD_STATS: TableSpec = TableSpec {
    file: name::LOAD_STATS,
    columns: &[
        key("bus_id", ColType::I32),
        key("stage_id", ColType::I32),
        key("mean_mw", ColType::F64),
        key("std_mw", ColType::F64),
    ],
};
static NCS_STATS: TableSpec = TableSpec {
    file: name::NCS_STATS,
    columns: &[
        key("ncs_id", ColType::I32),
        key("stage_id", ColType::I32),
        key("mean", ColType::F64),
        key("std", ColType::F64),
    ],
};
static AR: TableSpec = TableSpec {
    file: name::AR,
    columns: &[
        key("hydro_id", ColType::I32),
        key("stage_id", ColType::I32),
        key("lag", ColType::I32),
        key("coefficient", ColType::F64),
        key("residual_std_ratio", ColType::F64),
    ],
};
static HISTORY: TableSpec = TableSpec {
    file: name::HISTORY,
    columns: &[
        key("hydro_id", ColType::I32),
        key("start_date", ColType::Date),
        key("end_date", ColType::Date),
        key("value_m3s", ColType::F64),
    ],
};
static EXT_INFLOW: TableSpec = TableSpec {
    file: name::EXTERNAL_INFLOW,
    columns: &[
        key("stage_id", ColType::I32),
        key("scenario_id", ColType::I32),
        key("hydro_id", ColType::I32),
        key("value_m3s", ColType::F64),
    ],
};
static EXT_LOAD: TableSpec = TableSpec {
    file: name::EXTERNAL_LOAD,
    columns: &[
        key("stage_id", ColType::I32),
        key("scenario_id", ColType::I32),
        key("bus_id", ColType::I32),
        key("value_mw", ColType::F64),
    ],
};
static EXT_NCS: TableSpec = TableSpec {
    file: name::EXTERNAL_NCS,
    columns: &[
        key("stage_id", ColType::I32),
        key("scenario_id", ColType::I32),
        key("ncs_id", ColType::I32),
        key("availability_factor", ColType::F64),
    ],
};

fn bad(sink: &mut Sink, file: &'static str, row: usize, col: &str, msg: String) {
    sink.push(Finding::error(
        FindingKind::OutOfRange,
        Layer::Schema,
        row_ctx(file, row).field(col),
        msg,
    ));
}

fn stats<Id: Copy>(
    files: &CaseFiles,
    spec: &'static TableSpec,
    cols: [&str; 4],
    make: fn(i32) -> Id,
    unit_interval_mean: bool,
    sink: &mut Sink,
) -> Rows<SeasonalStat<Id>> {
    let rows = table_of(files, spec, sink).map_rows(|t: &Table, r| {
        Some(SeasonalStat {
            entity: make(t.i32(cols[0], r)?),
            stage: StageId(t.i32(cols[1], r)?),
            mean: t.f64(cols[2], r)?,
            std: t.f64(cols[3], r)?,
        })
    });
    if let Src::Read(v) = &rows {
        for (r, s) in v {
            if s.std < 0.0 {
                bad(
                    sink,
                    spec.file,
                    *r,
                    cols[3],
                    format!("`{}` = {} must be ≥ 0", cols[3], s.std),
                );
            }
            if unit_interval_mean && !(0.0..=1.0).contains(&s.mean) {
                bad(
                    sink,
                    spec.file,
                    *r,
                    cols[2],
                    format!("availability `mean` = {} must be within [0, 1]", s.mean),
                );
            }
        }
    }
    rows
}

fn external<Id: Copy>(
    files: &CaseFiles,
    spec: &'static TableSpec,
    id_col: &str,
    value_col: &str,
    make: fn(i32) -> Id,
    sink: &mut Sink,
) -> Rows<ExternalValue<Id>> {
    let t = match table_of(files, spec, sink) {
        Src::Read(t) => t,
        Src::Absent => return Src::Absent,
        Src::Failed => return Src::Failed,
    };
    let mut out = Vec::new();
    for r in 0..t.rows {
        let scenario = t.i32("scenario_id", r);
        if let Some(s) = scenario.filter(|s| *s < 0) {
            bad(
                sink,
                spec.file,
                r,
                "scenario_id",
                format!("`scenario_id` = {s} must be ≥ 0"),
            );
        }
        if let (Some(stage), Some(scenario), Some(id), Some(value)) = (
            t.i32("stage_id", r),
            scenario.and_then(|s| u32::try_from(s).ok()),
            t.i32(id_col, r),
            t.f64(value_col, r),
        ) {
            out.push((
                r,
                ExternalValue {
                    stage: StageId(stage),
                    scenario,
                    entity: make(id),
                    value,
                },
            ));
        }
    }
    Src::Read(out)
}

fn factors<Id: Copy>(
    files: &CaseFiles,
    file: &'static str,
    root_key: &str,
    id_key: &str,
    kind: &'static str,
    make: fn(i32) -> Id,
    sink: &mut Sink,
) -> Rows<BlockFactors<Id>> {
    read_json_root(files, file, sink, &[root_key], |mut root| {
        let Some(items) = root.req_array(root_key) else {
            return Src::Failed;
        };
        let mut out = Vec::new();
        for (i, v) in items.iter().enumerate() {
            let Some(mut e) = root.item(root_key, i, v, &[id_key, "stage_id", "block_factors"])
            else {
                continue;
            };
            let id = e.req_entity_id(id_key, kind);
            let stage = e.req_i32("stage_id");
            let list = e.req_array("block_factors").unwrap_or(&[]);
            let mut fs = Vec::new();
            for (j, b) in list.iter().enumerate() {
                if let Some(mut f) = e.item("block_factors", j, b, &["block_id", "factor"]) {
                    let block = f.req_i32("block_id");
                    let x = f.req_f64("factor");
                    let factor = f.min("factor", x, 0.0, true);
                    if let (Some(block), Some(factor)) = (block, factor) {
                        fs.push((block, factor));
                    }
                }
            }
            if let (Some(id), Some(stage)) = (id, stage) {
                out.push((
                    i,
                    BlockFactors {
                        entity: make(id),
                        stage: StageId(stage),
                        factors: fs,
                    },
                ));
            }
        }
        Src::Read(out)
    })
}

fn group<'v>(
    p: &mut Obj<'v, '_>,
    profile: &str,
    j: usize,
    g: &'v Value,
) -> Option<CorrelationGroup> {
    let mut o = p.item("correlation_groups", j, g, &["name", "entities", "matrix"])?;
    let name = o.req_str("name");
    let ents = o.req_array("entities").unwrap_or(&[]);
    let mut entities = Vec::new();
    for (k, e) in ents.iter().enumerate() {
        if let Some(mut x) = o.item("entities", k, e, &["type", "id"]) {
            let ty = x.req_enum("type", &["inflow", "load", "ncs"]);
            let id = x.req_i32("id");
            if let (Some(ty), Some(id)) = (ty, id) {
                entities.push(match ty {
                    "inflow" => CorrelatedEntity::Inflow(HydroId(id)),
                    "load" => CorrelatedEntity::Load(BusId(id)),
                    _ => CorrelatedEntity::Ncs(NcsId(id)),
                });
            }
        }
    }
    let mixed = entities
        .windows(2)
        .any(|w| std::mem::discriminant(&w[0]) != std::mem::discriminant(&w[1]));
    if mixed {
        let ctx = o.ctx("entities");
        Feature::MixedCorrelationGroups.refuse(
            o.sink(),
            ctx,
            "a correlation group mixing entity types",
        );
    }
    let rows = o.req_array("matrix").unwrap_or(&[]);
    let mut matrix = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let key = format!("matrix[{r}]");
        let vals: Vec<f64> = match row {
            Value::Array(a) => a
                .iter()
                .enumerate()
                .filter_map(|(c, x)| o.item_f64(&key, c, x))
                .collect(),
            _ => {
                o.error(
                    FindingKind::TypeMismatch,
                    &key,
                    format!("`{key}` must be an array of numbers"),
                );
                Vec::new()
            }
        };
        matrix.push(vals);
    }
    let n = ents.len();
    if matrix.len() != n || matrix.iter().any(|r| r.len() != n) {
        o.error(
            FindingKind::SchemaViolation,
            "matrix",
            format!("the matrix must be {n}×{n} (one row and column per entity)"),
        );
        return None;
    }
    if entities.len() != n {
        return None;
    }
    Some(CorrelationGroup {
        profile: profile.to_string(),
        name: name?.to_string(),
        entities,
        matrix,
    })
}

fn correlation(files: &CaseFiles, sink: &mut Sink) -> Src<CorrelationData> {
    const FILE: &str = name::CORRELATION;
    read_json_root(
        files,
        FILE,
        sink,
        &["method", "profiles", "schedule"],
        |mut root| {
            root.req_enum("method", &["spectral"]);
            let mut data = CorrelationData::default();
            let profiles = match root.raw("profiles") {
                Some(Value::Object(m)) => m,
                Some(v) => {
                    let t = crate::json::type_name(v);
                    root.error(
                        FindingKind::TypeMismatch,
                        "profiles",
                        format!("`profiles` must be an object, found {t}"),
                    );
                    return Src::Failed;
                }
                None => {
                    root.require("profiles", "an object");
                    return Src::Failed;
                }
            };
            let mut profile_map = BTreeMap::new();
            for (pname, pv) in profiles {
                let Some(mut p) =
                    root.child_at(&format!("profiles.{pname}"), pv, &["correlation_groups"])
                else {
                    continue;
                };
                let groups = p.req_array("correlation_groups").unwrap_or(&[]);
                let mut entities = Vec::new();
                let mut blocks = Vec::new();
                for (j, g) in groups.iter().enumerate() {
                    if let Some(g) = group(&mut p, pname, j, g) {
                        entities.extend(g.entities.iter().copied());
                        blocks.push(g.matrix.clone());
                        data.groups.push(g);
                    }
                }
                let n = entities.len();
                let mut matrix = vec![0.0; n * n];
                let mut off = 0;
                for b in blocks {
                    for (r, row) in b.iter().enumerate() {
                        for (c, x) in row.iter().enumerate() {
                            if let Some(slot) = matrix.get_mut((off + r) * n + off + c) {
                                *slot = *x;
                            }
                        }
                    }
                    off += b.len();
                }
                profile_map.insert(pname.clone(), CorrelationProfile { entities, matrix });
            }
            let mut schedule = BTreeMap::new();
            for (i, v) in root.opt_array("schedule").iter().enumerate() {
                if let Some(mut s) = root.item("schedule", i, v, &["stage_id", "profile_name"]) {
                    let stage = s.req_i32("stage_id");
                    let profile = s.req_str("profile_name");
                    if let (Some(stage), Some(profile)) = (stage, profile) {
                        data.schedule.push((i, stage, profile.to_string()));
                        schedule.insert(StageId(stage), profile.to_string());
                    }
                }
            }
            data.input = CorrelationInput {
                profiles: profile_map,
                schedule,
            };
            Src::Read(data)
        },
    )
}

/// Reads `scenarios/inflow_ar_coefficients.parquet`: lags are 1-based and
/// the residual ratio positive (above 1 only warned about).
fn ar_coefficients(files: &CaseFiles, sink: &mut Sink) -> Rows<ArCoefficient> {
    let ar = table_of(files, &AR, sink).map_rows(|t, r| {
        let lag = t.i32("lag", r)?;
        Some(ArCoefficient {
            hydro: HydroId(t.i32("hydro_id", r)?),
            stage: StageId(t.i32("stage_id", r)?),
            lag: u32::try_from(lag).unwrap_or(0),
            coefficient: t.f64("coefficient", r)?,
            residual_std_ratio: t.f64("residual_std_ratio", r)?,
        })
    });
    if let Src::Read(rows) = &ar {
        for (r, a) in rows {
            if a.lag == 0 {
                bad(
                    sink,
                    AR.file,
                    *r,
                    "lag",
                    "`lag` must be ≥ 1 (lags are 1-based)".into(),
                );
            }
            if a.residual_std_ratio <= 0.0 {
                bad(
                    sink,
                    AR.file,
                    *r,
                    "residual_std_ratio",
                    format!(
                        "`residual_std_ratio` = {} must be > 0",
                        a.residual_std_ratio
                    ),
                );
            } else if a.residual_std_ratio > 1.0 {
                sink.push(Finding::new(
Severity::Warning,
                    FindingKind::OutOfRange,
                    Layer::Schema,
                    row_ctx(AR.file, *r).field("residual_std_ratio"),
                    format!(
                        "`residual_std_ratio` = {} exceeds 1: the residual is noisier than the inflow itself",
                        a.residual_std_ratio
                    ),
                ));
            }
        }
    }
    ar
}

/// Reads `scenarios/inflow_history.parquet`: each window must end after it starts.
fn history(files: &CaseFiles, sink: &mut Sink) -> Rows<HistoricalInflow> {
    let history = table_of(files, &HISTORY, sink).map_rows(|t, r| {
        Some(HistoricalInflow {
            hydro: HydroId(t.i32("hydro_id", r)?),
            start_date: t.date("start_date", r)?,
            end_date: t.date("end_date", r)?,
            value_m3s: t.f64("value_m3s", r)?,
        })
    });
    if let Src::Read(rows) = &history {
        for (r, h) in rows {
            if h.end_date <= h.start_date {
                bad(
                    sink,
                    HISTORY.file,
                    *r,
                    "end_date",
                    format!(
                        "end_date ({}) must be after start_date ({})",
                        h.end_date, h.start_date
                    ),
                );
            }
        }
    }
    history
}

/// Reads every file of `scenarios/`.
pub(crate) fn read(files: &CaseFiles, sink: &mut Sink) -> ScenarioData {
    let inflow_stats = stats(
        files,
        &INFLOW_STATS,
        ["hydro_id", "stage_id", "mean_m3s", "std_m3s"],
        HydroId,
        false,
        sink,
    );
    let load_stats = stats(
        files,
        &LOAD_STATS,
        ["bus_id", "stage_id", "mean_mw", "std_mw"],
        BusId,
        false,
        sink,
    );
    let ncs_stats = stats(
        files,
        &NCS_STATS,
        ["ncs_id", "stage_id", "mean", "std"],
        NcsId,
        true,
        sink,
    );
    let ar = ar_coefficients(files, sink);
    let history = history(files, sink);
    ScenarioData {
        inflow_stats,
        ar,
        history,
        load_stats,
        ncs_stats,
        external_inflow: external(files, &EXT_INFLOW, "hydro_id", "value_m3s", HydroId, sink),
        external_load: external(files, &EXT_LOAD, "bus_id", "value_mw", BusId, sink),
        external_ncs: external(
            files,
            &EXT_NCS,
            "ncs_id",
            "availability_factor",
            NcsId,
            sink,
        ),
        load_factors: factors(
            files,
            name::LOAD_FACTORS,
            "load_factors",
            "bus_id",
            "bus",
            BusId,
            sink,
        ),
        ncs_factors: factors(
            files,
            name::NCS_FACTORS,
            "non_controllable_factors",
            "ncs_id",
            "non-controllable source",
            NcsId,
            sink,
        ),
        correlation: correlation(files, sink),
    }
}
