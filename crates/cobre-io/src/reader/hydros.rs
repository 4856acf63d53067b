//! `system/hydros.json`, `system/hydro_production_models.json` and the
//! Parquet extensions of `system/` (FPHA planes, geometry, productivity).

use super::entities::{registry, Svc};
use super::penalties::{HydroPatch, HYDRO_PENALTY_NAMES};
use super::{read_json_root, row_ctx, table_of, Registry, Src};
use crate::capabilities::Feature;
use crate::files::{name, CaseFiles};
use crate::json::Obj;
use crate::report::{Finding, FindingKind, Layer, Sink};
use crate::tables::{key, opt, ColType, TableSpec};
use cobre_core::entities::{
    Diversion, EfficiencyModel, EvaporationData, HydraulicLosses, HydroGenerationModel,
    TailraceModel, UnitGroup,
};
use cobre_core::hydro_models::{
    EnergyProductivity, FphaConfig, FphaPlane, FphaSource, GeometryPoint, HydroProductionModel,
    ProductionModelKind, ProductionModelRange, ProductionModelSelection, ReferenceVolume,
};
use cobre_core::{BusId, Hydro, HydroId, HydroPenalties, StageId};
use serde_json::Value;

pub(crate) use super::penalties::HydroOverrides;

/// A hydro as read: penalties are filled by the cascade at assembly.
#[derive(Debug, Clone)]
pub(crate) struct RawHydro {
    pub hydro: Hydro,
    pub overrides: HydroOverrides,
    pub svc: Svc,
}

/// A production-model entry with its position in the file.
#[derive(Debug, Clone)]
pub(crate) struct ProductionEntry {
    pub index: usize,
    pub model: HydroProductionModel,
}

/// What `system/` holds beyond the entity registries.
#[derive(Debug, Default)]
pub(crate) struct HydroSystemData {
    pub production: Src<Vec<ProductionEntry>>,
    pub fpha: Src<Vec<(usize, FphaPlane)>>,
    pub geometry: Src<Vec<(usize, GeometryPoint)>>,
    pub productivity: Src<Vec<(usize, EnergyProductivity)>>,
    pub tailrace: Src<Vec<(usize, super::TailraceRow)>>,
}

const HYDRO_KEYS: [&str; 19] = [
    "id",
    "name",
    "operational_start_date",
    "downstream_id",
    "travel_time_hours",
    "entry_stage_id",
    "exit_stage_id",
    "reservoir",
    "outflow",
    "generation",
    "tailrace",
    "hydraulic_losses",
    "efficiency",
    "evaporation",
    "diversion",
    "filling",
    "unit_groups",
    "specific_productivity_mw_per_m3s_per_m",
    "penalties",
];

/// Positions in [`HYDRO_PENALTY_NAMES`] of the entity-level hydro penalties
/// (no directional costs at this level).
const OVERRIDE_SLOTS: [usize; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15];

/// Entity-level hydro penalty keys, in [`OVERRIDE_SLOTS`] order.
const OVERRIDE_KEYS: [&str; 12] = {
    let mut keys = [""; 12];
    let mut i = 0;
    while i < keys.len() {
        keys[i] = HYDRO_PENALTY_NAMES[OVERRIDE_SLOTS[i]];
        i += 1;
    }
    keys
};

fn nn(o: &mut Obj<'_, '_>, key: &str) -> Option<f64> {
    let v = o.req_f64(key);
    o.min(key, v, 0.0, false)
}

fn unit_group<'v>(o: &mut Obj<'v, '_>, i: usize, v: &'v Value) -> Option<UnitGroup> {
    let mut g = o.item(
        "unit_groups",
        i,
        v,
        &[
            "id",
            "name",
            "bus_id",
            "min_generation_mw",
            "max_generation_mw",
            "min_turbined_m3s",
            "max_turbined_m3s",
        ],
    )?;
    let id = g.req_i32("id");
    let name = g.req_str("name");
    let bus = g.req_i32("bus_id");
    let a = nn(&mut g, "min_generation_mw");
    let b = nn(&mut g, "max_generation_mw");
    let c = nn(&mut g, "min_turbined_m3s");
    let d = nn(&mut g, "max_turbined_m3s");
    Some(UnitGroup {
        id: id?,
        name: name?.to_string(),
        bus: BusId(bus?),
        min_generation_mw: a?,
        max_generation_mw: b?,
        min_turbined_m3s: c?,
        max_turbined_m3s: d?,
    })
}

fn tailrace(o: &mut Obj<'_, '_>) -> Option<TailraceModel> {
    let v = o.raw("tailrace")?;
    let keys = super::config::tagged_keys(
        v,
        "type",
        &[
            ("polynomial", &["type", "coefficients"]),
            ("piecewise", &["type", "points"]),
        ],
    );
    let mut t = o.opt_obj("tailrace", &keys)?;
    match t.req_enum("type", &["polynomial", "piecewise"])? {
        "polynomial" => {
            let items = t.req_array("coefficients")?;
            let c: Vec<f64> = items
                .iter()
                .enumerate()
                .filter_map(|(i, x)| t.item_f64("coefficients", i, x))
                .collect();
            (c.len() == items.len()).then_some(TailraceModel::Polynomial(c))
        }
        _ => {
            let items = t.req_array("points")?;
            let mut pts = Vec::new();
            for (i, x) in items.iter().enumerate() {
                if let Some(mut p) = t.item("points", i, x, &["outflow_m3s", "height_m"]) {
                    let q = p.req_f64("outflow_m3s");
                    let h = p.req_f64("height_m");
                    if let (Some(q), Some(h)) = (q, h) {
                        pts.push((q, h));
                    }
                }
            }
            (pts.len() == items.len()).then_some(TailraceModel::Piecewise(pts))
        }
    }
}

fn losses(o: &mut Obj<'_, '_>) -> Option<HydraulicLosses> {
    let v = o.raw("hydraulic_losses")?;
    let keys = super::config::tagged_keys(
        v,
        "type",
        &[
            ("factor", &["type", "value"]),
            ("constant", &["type", "value_m"]),
        ],
    );
    let mut l = o.opt_obj("hydraulic_losses", &keys)?;
    match l.req_enum("type", &["factor", "constant"])? {
        "factor" => {
            let x = l.req_f64("value");
            l.within("value", x, 0.0, 1.0).map(HydraulicLosses::Factor)
        }
        _ => {
            let x = l.req_f64("value_m");
            l.min("value_m", x, 0.0, false)
                .map(HydraulicLosses::ConstantMeters)
        }
    }
}

fn efficiency(o: &mut Obj<'_, '_>) -> Option<EfficiencyModel> {
    let mut e = o.opt_obj("efficiency", &["type", "value"])?;
    e.req_enum("type", &["constant"])?;
    let x = e.req_f64("value")?;
    if !(x > 0.0 && x <= 1.0) {
        e.error(
            FindingKind::OutOfRange,
            "value",
            format!("efficiency `value` = {x} must be in (0, 1]"),
        );
    }
    Some(EfficiencyModel::Constant(x))
}

fn twelve(o: &mut Obj<'_, '_>, key: &str, items: &[Value]) -> Option<[f64; 12]> {
    let vals: Vec<f64> = items
        .iter()
        .enumerate()
        .filter_map(|(i, x)| o.item_f64(key, i, x))
        .collect();
    if items.len() != 12 {
        o.error(
            FindingKind::SchemaViolation,
            key,
            format!(
                "`{key}` must have 12 monthly values (January first), found {}",
                items.len()
            ),
        );
        return None;
    }
    <[f64; 12]>::try_from(vals).ok()
}

fn evaporation(o: &mut Obj<'_, '_>) -> Option<EvaporationData> {
    let mut e = o.opt_obj("evaporation", &["coefficients_mm", "reference_volumes_hm3"])?;
    let items = e.req_array("coefficients_mm")?;
    let coefficients_mm = twelve(&mut e, "coefficients_mm", items);
    let reference_volumes_hm3 = if e.has("reference_volumes_hm3") {
        let r = e.opt_array("reference_volumes_hm3");
        Some(twelve(&mut e, "reference_volumes_hm3", r)?)
    } else {
        None
    };
    Some(EvaporationData {
        coefficients_mm: coefficients_mm?,
        reference_volumes_hm3,
    })
}

fn overrides(o: &mut Obj<'_, '_>) -> HydroOverrides {
    let mut patch = HydroPatch::default();
    let Some(mut p) = o.opt_obj("penalties", &OVERRIDE_KEYS) else {
        return patch;
    };
    for (key, slot) in OVERRIDE_KEYS.into_iter().zip(OVERRIDE_SLOTS) {
        let v = p.opt_f64(key);
        if let Some(x) = v {
            if let Err(msg) = super::penalties::penalty_ok(key, x) {
                p.error(FindingKind::OutOfRange, key, msg);
            }
        }
        if let Some(s) = patch.values.get_mut(slot) {
            *s = v;
        }
    }
    patch
}

/// The limits of a hydro's `generation` section.
struct GenerationLimits {
    model: Option<HydroGenerationModel>,
    min_turbined_m3s: Option<f64>,
    max_turbined_m3s: Option<f64>,
    min_generation_mw: Option<f64>,
    max_generation_mw: Option<f64>,
}

/// The required `generation` section (the linearized-head model is refused).
fn generation(o: &mut Obj<'_, '_>) -> Option<GenerationLimits> {
    let mut g = o.req_obj(
        "generation",
        &[
            "model",
            "min_turbined_m3s",
            "max_turbined_m3s",
            "min_generation_mw",
            "max_generation_mw",
        ],
    )?;
    let model = g.req_enum(
        "model",
        &["constant_productivity", "linearized_head", "fpha"],
    );
    if model == Some("linearized_head") {
        let ctx = g.ctx("model");
        Feature::LinearizedHead.refuse(g.sink(), ctx, "the `linearized_head` model");
    }
    let model = model.map(|m| match m {
        "fpha" => HydroGenerationModel::Fpha,
        "linearized_head" => HydroGenerationModel::LinearizedHead,
        _ => HydroGenerationModel::ConstantProductivity,
    });
    Some(GenerationLimits {
        model,
        min_turbined_m3s: nn(&mut g, "min_turbined_m3s"),
        max_turbined_m3s: nn(&mut g, "max_turbined_m3s"),
        min_generation_mw: nn(&mut g, "min_generation_mw"),
        max_generation_mw: nn(&mut g, "max_generation_mw"),
    })
}

/// The optional `diversion` channel.
fn diversion(o: &mut Obj<'_, '_>) -> Option<Diversion> {
    let mut d = o.opt_obj("diversion", &["downstream_id", "max_flow_m3s"])?;
    let target = d.req_i32("downstream_id");
    let m = d.req_f64("max_flow_m3s");
    let max = d.min("max_flow_m3s", m, 0.0, false);
    Some(Diversion {
        downstream: HydroId(target?),
        max_flow_m3s: max?,
    })
}

/// Checks a `filling` section, then refuses it (reservoir filling is not supported).
fn filling(o: &mut Obj<'_, '_>) {
    if o.has("filling") {
        if let Some(mut f) = o.opt_obj("filling", &["start_stage_id", "filling_min_rate_m3s"]) {
            f.req_i32("start_stage_id");
            f.opt_f64("filling_min_rate_m3s");
        }
        let ctx = o.ctx("filling");
        Feature::ReservoirFilling.refuse(o.sink(), ctx, "reservoir `filling`");
    }
}

/// The required, non-empty `unit_groups`; `None` when any group fails to read.
fn unit_groups(o: &mut Obj<'_, '_>) -> Option<Vec<UnitGroup>> {
    let groups_raw = o.req_array("unit_groups");
    let mut groups = Vec::new();
    let mut groups_ok = true;
    for (i, v) in groups_raw.unwrap_or(&[]).iter().enumerate() {
        match unit_group(o, i, v) {
            Some(g) => groups.push(g),
            None => groups_ok = false,
        }
    }
    if groups_raw.map(<[Value]>::len) == Some(0) {
        o.error(
            FindingKind::SchemaViolation,
            "unit_groups",
            "a hydro needs at least one unit group (its bus connection)",
        );
    }
    if groups_raw.is_none() || groups.is_empty() || !groups_ok {
        return None;
    }
    Some(groups)
}

fn read_hydro(o: &mut Obj<'_, '_>, id: i32) -> Option<RawHydro> {
    let name = o.req_str("name");
    let date = o.req_date("operational_start_date");
    let downstream = o.opt_i32("downstream_id");
    let t = o.opt_f64("travel_time_hours");
    let travel = o.min("travel_time_hours", t, 0.0, false);
    if travel.is_some_and(|x| x > 0.0) {
        let ctx = o.ctx("travel_time_hours");
        Feature::TravelTime.refuse(o.sink(), ctx, "`travel_time_hours` > 0");
    }
    let svc = Svc::read(o);
    let reservoir = o
        .req_obj("reservoir", &["min_storage_hm3", "max_storage_hm3"])
        .map(|mut r| (nn(&mut r, "min_storage_hm3"), nn(&mut r, "max_storage_hm3")));
    let outflow = o
        .req_obj("outflow", &["min_outflow_m3s", "max_outflow_m3s"])
        .map(|mut r| {
            let a = nn(&mut r, "min_outflow_m3s");
            let b = r.opt_f64("max_outflow_m3s");
            (a, r.min("max_outflow_m3s", b, 0.0, false))
        });
    let generation = generation(o);
    let tail = tailrace(o);
    let loss = losses(o);
    let eff = efficiency(o);
    let evap = evaporation(o);
    let diversion = diversion(o);
    filling(o);
    let sp = o.opt_f64("specific_productivity_mw_per_m3s_per_m");
    let specific = o.min("specific_productivity_mw_per_m3s_per_m", sp, 0.0, true);
    let groups = unit_groups(o);
    let penalties = overrides(o);
    let (min_s, max_s) = reservoir?;
    let (min_o, max_o) = outflow?;
    let generation = generation?;
    let groups = groups?;
    Some(RawHydro {
        hydro: Hydro {
            id: HydroId(id),
            name: name?.to_string(),
            downstream: downstream.map(HydroId),
            travel_time_hours: travel,
            min_storage_hm3: min_s?,
            max_storage_hm3: max_s?,
            min_outflow_m3s: min_o?,
            max_outflow_m3s: max_o,
            generation_model: generation.model?,
            min_turbined_m3s: generation.min_turbined_m3s?,
            max_turbined_m3s: generation.max_turbined_m3s?,
            min_generation_mw: generation.min_generation_mw?,
            max_generation_mw: generation.max_generation_mw?,
            unit_groups: groups,
            diversion,
            efficiency: eff,
            evaporation: evap,
            filling: None,
            hydraulic_losses: loss,
            tailrace: tail,
            specific_productivity: specific,
            penalties: HydroPenalties::zero(),
            service: svc.window(),
            operational_start_date: Some(date?),
        },
        overrides: penalties,
        svc,
    })
}

/// Reads `system/hydros.json`.
pub(crate) fn read_hydros(files: &CaseFiles, sink: &mut Sink) -> Registry<RawHydro> {
    registry(
        files,
        name::HYDROS,
        "hydros",
        "hydro",
        &HYDRO_KEYS,
        sink,
        read_hydro,
    )
}

const MODEL_NAMES: [&str; 3] = ["constant_productivity", "fpha", "linearized_head"];
const ENTRY_KEYS: [&str; 6] = [
    "start_stage_id",
    "end_stage_id",
    "model",
    "productivity_mw_per_m3s",
    "fpha_config",
    "reference_volume",
];
const SEASON_KEYS: [&str; 5] = [
    "season_id",
    "model",
    "productivity_mw_per_m3s",
    "fpha_config",
    "reference_volume",
];

fn fpha_config(o: &mut Obj<'_, '_>) -> Option<FphaConfig> {
    let mut c = o.opt_obj(
        "fpha_config",
        &[
            "source",
            "volume_discretization_points",
            "turbine_discretization_points",
            "spillage_discretization_points",
            "max_planes_per_hydro",
            "fitting_window",
        ],
    )?;
    let source = c.req_enum("source", &["computed", "precomputed"]);
    let points = |c: &mut Obj<'_, '_>, k: &str| {
        let v = c.opt_u32(k);
        if v.is_some_and(|n| n < 2) {
            c.error(FindingKind::OutOfRange, k, format!("`{k}` must be ≥ 2"));
        }
        v
    };
    let volume_points = points(&mut c, "volume_discretization_points");
    let turbine_points = points(&mut c, "turbine_discretization_points");
    let spillage_points = points(&mut c, "spillage_discretization_points");
    let max_planes = c.opt_u32("max_planes_per_hydro");
    let (mut hm3, mut pct) = (None, None);
    if let Some(mut w) = c.opt_obj(
        "fitting_window",
        &[
            "volume_min_hm3",
            "volume_max_hm3",
            "volume_min_percentile",
            "volume_max_percentile",
        ],
    ) {
        let a = w.opt_f64("volume_min_hm3");
        let b = w.opt_f64("volume_max_hm3");
        let p = w.opt_f64("volume_min_percentile");
        let q = w.opt_f64("volume_max_percentile");
        // Fractions of the operating range, as in 0.18 (a value above 1
        // lands on the top of the geometry table).
        let p = w.min("volume_min_percentile", p, 0.0, false);
        let q = w.min("volume_max_percentile", q, 0.0, false);
        for (abs, frac, bound) in [(a, p, "min"), (b, q, "max")] {
            if abs.is_some() && frac.is_some() {
                w.error(
                    FindingKind::IncompatibleSettings,
                    &format!("volume_{bound}_percentile"),
                    format!(
                        "`volume_{bound}_hm3` and `volume_{bound}_percentile` are both set: give the {bound} bound one way"
                    ),
                );
            }
        }
        if a.is_some() || b.is_some() {
            hm3 = Some((a, b));
        }
        if p.is_some() || q.is_some() {
            pct = Some((p, q));
        }
    }
    Some(FphaConfig {
        source: match source? {
            "computed" => FphaSource::Computed,
            _ => FphaSource::Precomputed,
        },
        volume_points,
        turbine_points,
        spillage_points,
        max_planes,
        fitting_window_hm3: hm3,
        fitting_window_percentile: pct,
    })
}

fn reference_volume(o: &mut Obj<'_, '_>) -> Option<ReferenceVolume> {
    let mut r = o.opt_obj("reference_volume", &["volume_hm3", "percentile"])?;
    let v = r.opt_f64("volume_hm3");
    let p = r.opt_f64("percentile");
    // `percentile` is a fraction of the operating range, in [0, 1].
    let p = r.within("percentile", p, 0.0, 1.0);
    let v = r.min("volume_hm3", v, 0.0, true);
    if v.is_some() == p.is_some() {
        r.error(
            FindingKind::IncompatibleSettings,
            "percentile",
            "`reference_volume` needs exactly one of `volume_hm3` and `percentile`",
        );
    }
    v.map(ReferenceVolume::Hm3)
        .or(p.map(ReferenceVolume::Percentile))
}

/// Reads the model of one range/season entry.
fn model_kind(o: &mut Obj<'_, '_>) -> Option<ProductionModelKind> {
    let model = o.req_enum("model", &MODEL_NAMES);
    let p = o.opt_f64("productivity_mw_per_m3s");
    let productivity = o.min("productivity_mw_per_m3s", p, 0.0, true);
    let config = fpha_config(o);
    let reference = reference_volume(o);
    match model? {
        "constant_productivity" => Some(ProductionModelKind::ConstantProductivity {
            productivity_mw_per_m3s: productivity,
        }),
        "linearized_head" => {
            let ctx = o.ctx("model");
            Feature::LinearizedHead.refuse(o.sink(), ctx, "the `linearized_head` model");
            Some(ProductionModelKind::LinearizedHead {
                productivity_mw_per_m3s: productivity,
                reference_volume: reference,
            })
        }
        _ => {
            if productivity.is_some() {
                o.error(
                    FindingKind::SchemaViolation,
                    "productivity_mw_per_m3s",
                    "an `fpha` entry takes no `productivity_mw_per_m3s`",
                );
            }
            if config.is_none() && !o.has("fpha_config") {
                o.error(
                    FindingKind::SchemaViolation,
                    "fpha_config",
                    "an `fpha` entry needs `fpha_config` (with `source`)",
                );
            }
            Some(ProductionModelKind::Fpha {
                config: config?,
                reference_volume: reference,
            })
        }
    }
}

fn production_entry<'v>(
    root: &mut Obj<'v, '_>,
    i: usize,
    v: &'v Value,
) -> Option<HydroProductionModel> {
    let mut e = root.item(
        "production_models",
        i,
        v,
        &[
            "hydro_id",
            "selection_mode",
            "stage_ranges",
            "default_model",
            "seasons",
        ],
    )?;
    let hydro = e.req_entity_id("hydro_id", "hydro");
    let mode = e.req_enum("selection_mode", &["stage_ranges", "seasonal"]);
    let selection = match mode? {
        "stage_ranges" => {
            let items = e.req_array("stage_ranges")?;
            let mut ranges = Vec::new();
            for (j, r) in items.iter().enumerate() {
                let Some(mut o) = e.item("stage_ranges", j, r, &ENTRY_KEYS) else {
                    continue;
                };
                let start = o.req_i32("start_stage_id");
                let end = o.opt_i32("end_stage_id");
                if let (Some(a), Some(b)) = (start, end) {
                    if b < a {
                        o.error(
                            FindingKind::StageMismatch,
                            "end_stage_id",
                            format!("end_stage_id ({b}) is before start_stage_id ({a})"),
                        );
                    }
                }
                let model = model_kind(&mut o);
                if let (Some(a), Some(model)) = (start, model) {
                    ranges.push(ProductionModelRange {
                        start_stage: StageId(a),
                        end_stage: end.map(StageId),
                        model,
                    });
                }
            }
            if items.is_empty() {
                e.error(
                    FindingKind::SchemaViolation,
                    "stage_ranges",
                    "no stage range given",
                );
            }
            ProductionModelSelection::StageRanges(ranges)
        }
        _ => {
            let ctx = e.ctx("selection_mode");
            Feature::SeasonalProductionModels.refuse(
                e.sink(),
                ctx,
                "`selection_mode = \"seasonal\"`",
            );
            let default = e.req_enum("default_model", &MODEL_NAMES);
            let items = e.req_array("seasons").unwrap_or(&[]);
            let mut seasons = Vec::new();
            for (j, s) in items.iter().enumerate() {
                if let Some(mut o) = e.item("seasons", j, s, &SEASON_KEYS) {
                    let id = o.req_i32("season_id");
                    if let (Some(id), Some(m)) = (id, model_kind(&mut o)) {
                        seasons.push((id, m));
                    }
                }
            }
            let default = match default? {
                "linearized_head" => ProductionModelKind::LinearizedHead {
                    productivity_mw_per_m3s: None,
                    reference_volume: None,
                },
                _ => ProductionModelKind::ConstantProductivity {
                    productivity_mw_per_m3s: None,
                },
            };
            ProductionModelSelection::Seasonal { default, seasons }
        }
    };
    Some(HydroProductionModel {
        hydro: HydroId(hydro?),
        selection,
    })
}

fn production_models(files: &CaseFiles, sink: &mut Sink) -> Src<Vec<ProductionEntry>> {
    const FILE: &str = name::PRODUCTION_MODELS;
    read_json_root(
        files,
        FILE,
        sink,
        &["production_models", "fpha_plane_reduction"],
        |mut root| {
            if root.has("fpha_plane_reduction") {
                let ctx = root.ctx("fpha_plane_reduction");
                Feature::FphaPlaneReduction.refuse(root.sink(), ctx, "`fpha_plane_reduction`");
            }
            let Some(items) = root.req_array("production_models") else {
                return Src::Failed;
            };
            let mut out = Vec::new();
            for (i, v) in items.iter().enumerate() {
                if let Some(model) = production_entry(&mut root, i, v) {
                    out.push(ProductionEntry { index: i, model });
                }
            }
            Src::Read(out)
        },
    )
}

static FPHA_SPEC: TableSpec = TableSpec {
    file: name::FPHA,
    columns: &[
        key("hydro_id", ColType::I32),
        opt("stage_id", ColType::I32),
        key("plane_id", ColType::I32),
        key("gamma_0", ColType::F64),
        key("gamma_v", ColType::F64),
        key("gamma_q", ColType::F64),
        key("gamma_s", ColType::F64),
        opt("kappa", ColType::F64),
    ],
};
static GEOMETRY_SPEC: TableSpec = TableSpec {
    file: name::GEOMETRY,
    columns: &[
        key("hydro_id", ColType::I32),
        key("volume_hm3", ColType::F64),
        key("height_m", ColType::F64),
        key("area_km2", ColType::F64),
    ],
};
static PRODUCTIVITY_SPEC: TableSpec = TableSpec {
    file: name::PRODUCTIVITY,
    columns: &[
        key("hydro_id", ColType::I32),
        opt("stage_id", ColType::I32),
        opt("equivalent_productivity_mw_per_m3s", ColType::F64),
        opt("reference_outflow_m3s", ColType::F64),
        opt("specific_productivity_mw_per_m3s_per_m", ColType::F64),
    ],
};

fn out_of_range(sink: &mut Sink, file: &'static str, row: usize, col: &str, msg: String) {
    sink.push(Finding::error(
        FindingKind::OutOfRange,
        Layer::Schema,
        row_ctx(file, row).field(col),
        msg,
    ));
}

/// Reads the hydro production models and the `system/` Parquet extensions.
pub(crate) fn read_system_extensions(files: &CaseFiles, sink: &mut Sink) -> HydroSystemData {
    let production = production_models(files, sink);
    let fpha = table_of(files, &FPHA_SPEC, sink).map_rows(|t, r| {
        Some(FphaPlane {
            hydro: HydroId(t.i32("hydro_id", r)?),
            stage: t.i32("stage_id", r).map(StageId),
            plane_id: t.i32("plane_id", r)?,
            gamma_0: t.f64("gamma_0", r)?,
            gamma_v: t.f64("gamma_v", r)?,
            gamma_q: t.f64("gamma_q", r)?,
            gamma_s: t.f64("gamma_s", r)?,
            kappa: t.f64("kappa", r),
        })
    });
    if let Src::Read(rows) = &fpha {
        for (r, p) in rows {
            let checks = [
                ("gamma_v", p.gamma_v >= 0.0, "≥ 0"),
                ("gamma_q", p.gamma_q > 0.0, "> 0"),
                ("gamma_s", p.gamma_s <= 0.0, "≤ 0"),
                (
                    "kappa",
                    p.kappa.is_none_or(|k| k > 0.0 && k <= 1.0),
                    "in (0, 1]",
                ),
            ];
            for (col, ok, rule) in checks {
                if !ok {
                    out_of_range(
                        sink,
                        name::FPHA,
                        *r,
                        col,
                        format!("FPHA plane `{col}` must be {rule}"),
                    );
                }
            }
        }
    }
    let geometry = table_of(files, &GEOMETRY_SPEC, sink).map_rows(|t, r| {
        Some(GeometryPoint {
            hydro: HydroId(t.i32("hydro_id", r)?),
            volume_hm3: t.f64("volume_hm3", r)?,
            height_m: t.f64("height_m", r)?,
            area_km2: t.f64("area_km2", r)?,
        })
    });
    if let Src::Read(rows) = &geometry {
        for (r, g) in rows {
            for (col, v) in [("volume_hm3", g.volume_hm3), ("area_km2", g.area_km2)] {
                if v < 0.0 {
                    out_of_range(
                        sink,
                        name::GEOMETRY,
                        *r,
                        col,
                        format!("`{col}` = {v} must be ≥ 0"),
                    );
                }
            }
        }
    }
    let productivity = table_of(files, &PRODUCTIVITY_SPEC, sink).map_rows(|t, r| {
        Some(EnergyProductivity {
            hydro: HydroId(t.i32("hydro_id", r)?),
            stage: t.i32("stage_id", r).map(StageId),
            equivalent_productivity: t.f64("equivalent_productivity_mw_per_m3s", r),
            reference_outflow_m3s: t.f64("reference_outflow_m3s", r),
            specific_productivity: t.f64("specific_productivity_mw_per_m3s_per_m", r),
        })
    });
    if let Src::Read(rows) = &productivity {
        for (r, p) in rows {
            for (col, v) in [
                (
                    "equivalent_productivity_mw_per_m3s",
                    p.equivalent_productivity,
                ),
                ("reference_outflow_m3s", p.reference_outflow_m3s),
                (
                    "specific_productivity_mw_per_m3s_per_m",
                    p.specific_productivity,
                ),
            ] {
                // A plant that stores or passes water without generating has
                // an equivalent productivity of 0 (0.18 accepts it); only the
                // other two columns must be positive.
                let bad = if col == "equivalent_productivity_mw_per_m3s" {
                    v.filter(|v| *v < 0.0)
                } else {
                    v.filter(|v| *v <= 0.0)
                };
                if let Some(v) = bad {
                    let rule = if col == "equivalent_productivity_mw_per_m3s" {
                        "≥ 0"
                    } else {
                        "> 0"
                    };
                    out_of_range(
                        sink,
                        name::PRODUCTIVITY,
                        *r,
                        col,
                        format!("`{col}` = {v} must be {rule}"),
                    );
                }
            }
        }
    }
    let tailrace = super::tailrace::read(files, sink);
    HydroSystemData {
        production,
        fpha,
        geometry,
        productivity,
        tailrace,
    }
}
