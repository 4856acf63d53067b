//! `system/{buses,lines,thermals,non_controllable_sources}.json`, and the
//! files of entities the solver does not model.

use super::penalties::deficit_segments;
use super::{json_of, read_json_root, Registry, Src};
use crate::capabilities::Feature;
use crate::files::{name, CaseFiles};
use crate::json::Obj;
use crate::report::{FindingContext, FindingKind, Sink};
use cobre_core::entities::ServiceWindow;
use cobre_core::{
    Bus, BusId, DeficitSegment, Line, LineId, NcsId, NonControllableSource, StageId, Thermal,
    ThermalId,
};

/// Raw commissioning window (`exit` exclusive, as in the format).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Svc {
    pub entry: Option<i32>,
    pub exit: Option<i32>,
}

impl Svc {
    /// Reads `entry_stage_id` / `exit_stage_id`.
    pub(crate) fn read(o: &mut Obj<'_, '_>) -> Self {
        Self {
            entry: o.opt_i32("entry_stage_id"),
            exit: o.opt_i32("exit_stage_id"),
        }
    }

    /// The model's window: both ends inclusive, so the format's exclusive
    /// `exit_stage_id = x` becomes `exit = x − 1` (stage ids are integers).
    pub(crate) fn window(self) -> ServiceWindow {
        ServiceWindow {
            entry: self.entry.map(StageId),
            exit: self.exit.map(|x| StageId(x.saturating_sub(1))),
        }
    }
}

/// A bus as read; `deficit` is its own segment list when it overrides the global one.
#[derive(Debug, Clone)]
pub(crate) struct RawBus {
    pub bus: Bus,
    pub deficit: Option<Vec<DeficitSegment>>,
}

/// A line as read; `exchange_cost` is its entity-level override.
#[derive(Debug, Clone)]
pub(crate) struct RawLine {
    pub line: Line,
    pub exchange_cost: Option<f64>,
    pub svc: Svc,
}

/// A thermal as read.
#[derive(Debug, Clone)]
pub(crate) struct RawThermal {
    pub thermal: Thermal,
    pub svc: Svc,
}

/// A non-controllable source as read; `curtailment_cost` is its override.
#[derive(Debug, Clone)]
pub(crate) struct RawNcs {
    pub ncs: NonControllableSource,
    pub curtailment_cost: Option<f64>,
    pub svc: Svc,
}

pub(crate) struct Entities {
    pub buses: Registry<RawBus>,
    pub lines: Registry<RawLine>,
    pub thermals: Registry<RawThermal>,
    pub ncs: Registry<RawNcs>,
}

/// Where an entity registry stands in its JSON file and what its entities
/// may hold.
pub(crate) struct RegistryFile<'a> {
    /// The file.
    pub file: &'static str,
    /// The keys allowed at the file's root.
    pub root_keys: &'a [&'a str],
    /// The root key of the entity list.
    pub key: &'static str,
    /// The kind of entity (in findings).
    pub kind: &'static str,
    /// The keys allowed in an entity.
    pub allowed: &'a [&'a str],
}

/// Reads an entity registry file: `{ "<key>": [ {...}, ... ] }`. `read_one`
/// reads the fields of one entity (its id already read and recorded).
pub(crate) fn registry<T>(
    files: &CaseFiles,
    file: &'static str,
    key: &'static str,
    kind: &'static str,
    allowed: &[&str],
    sink: &mut Sink,
    read_one: impl FnMut(&mut Obj<'_, '_>, i32) -> Option<T>,
) -> Registry<T> {
    let spec = RegistryFile {
        file,
        root_keys: &[key],
        key,
        kind,
        allowed,
    };
    registry_with(files, &spec, sink, read_one)
}

/// [`registry`] for files whose root object has other keys than the list.
pub(crate) fn registry_with<T>(
    files: &CaseFiles,
    spec: &RegistryFile<'_>,
    sink: &mut Sink,
    mut read_one: impl FnMut(&mut Obj<'_, '_>, i32) -> Option<T>,
) -> Registry<T> {
    let RegistryFile {
        file,
        root_keys,
        key,
        kind,
        allowed,
    } = *spec;
    let read = read_json_root(files, file, sink, root_keys, |mut root| {
        let Some(items) = root.req_array(key) else {
            return Src::Failed;
        };
        let mut reg = Registry::new(file);
        for (i, v) in items.iter().enumerate() {
            let Some(mut o) = root.entity_item(key, i, v, allowed, kind, "id") else {
                reg.complete = false;
                continue;
            };
            let id = o.req_i32("id");
            match id {
                Some(id) => {
                    o.set_entity(kind, i64::from(id));
                    reg.ids.push(id);
                    if let Some(t) = read_one(&mut o, id) {
                        reg.items.push(t);
                    }
                }
                None => {
                    reg.complete = false;
                    let _ = read_one(&mut o, 0);
                }
            }
        }
        Src::Read(reg)
    });
    match read {
        Src::Read(reg) => reg,
        Src::Absent => Registry::new(file),
        Src::Failed => Registry::failed(file),
    }
}

fn start_date(o: &mut Obj<'_, '_>) -> Option<Option<chrono::NaiveDate>> {
    // Required by the format, informational in the model.
    o.req_date("operational_start_date").map(Some)
}

fn non_negative(o: &mut Obj<'_, '_>, key: &str) -> Option<f64> {
    let v = o.req_f64(key);
    o.min(key, v, 0.0, false)
}

fn positive_opt(o: &mut Obj<'_, '_>, key: &str) -> Option<f64> {
    let v = o.opt_f64(key);
    o.min(key, v, 0.0, true)
}

fn read_bus(o: &mut Obj<'_, '_>, id: i32) -> Option<RawBus> {
    let name = o.req_str("name");
    let date = start_date(o);
    let deficit = deficit_segments(o, false);
    let failed_segments = o.has("deficit_segments") && deficit.is_none();
    if failed_segments {
        return None;
    }
    Some(RawBus {
        bus: Bus {
            id: BusId(id),
            name: name?.to_string(),
            deficit_segments: Vec::new(),
            excess_cost_per_mwh: 0.0,
            operational_start_date: date?,
        },
        deficit,
    })
}

fn read_line(o: &mut Obj<'_, '_>, id: i32) -> Option<RawLine> {
    let name = o.req_str("name");
    let date = start_date(o);
    let source = o.req_i32("source_bus_id");
    let target = o.req_i32("target_bus_id");
    let capacity = o
        .req_obj("capacity", &["direct_mw", "reverse_mw"])
        .map(|mut c| {
            let d = non_negative(&mut c, "direct_mw");
            let r = non_negative(&mut c, "reverse_mw");
            (d, r)
        });
    let exchange_cost = positive_opt(o, "exchange_cost");
    let l = o.opt_f64("losses_percent");
    let losses = l.unwrap_or(0.0);
    if !(0.0..100.0).contains(&losses) {
        o.error(
            FindingKind::OutOfRange,
            "losses_percent",
            format!("`losses_percent` = {losses} must be within [0, 100)"),
        );
    }
    let svc = Svc::read(o);
    let (direct, reverse) = capacity?;
    Some(RawLine {
        line: Line {
            id: LineId(id),
            name: name?.to_string(),
            source_bus: BusId(source?),
            target_bus: BusId(target?),
            direct_capacity_mw: direct?,
            reverse_capacity_mw: reverse?,
            losses_percent: losses,
            exchange_cost_per_mwh: 0.0,
            service: svc.window(),
            operational_start_date: date?,
        },
        exchange_cost,
        svc,
    })
}

fn read_thermal(o: &mut Obj<'_, '_>, id: i32) -> Option<RawThermal> {
    let name = o.req_str("name");
    let date = start_date(o);
    let bus = o.req_i32("bus_id");
    let cost = non_negative(o, "cost_per_mwh");
    let gen = o.req_obj("generation", &["min_mw", "max_mw"]).map(|mut g| {
        let a = non_negative(&mut g, "min_mw");
        let b = non_negative(&mut g, "max_mw");
        (a, b)
    });
    if o.has("anticipated_config") {
        let ctx = o.ctx("anticipated_config");
        Feature::AnticipatedThermal.refuse(o.sink(), ctx, "`anticipated_config`");
    }
    let svc = Svc::read(o);
    let (min, max) = gen?;
    Some(RawThermal {
        thermal: Thermal {
            id: ThermalId(id),
            name: name?.to_string(),
            bus: BusId(bus?),
            min_generation_mw: min?,
            max_generation_mw: max?,
            cost_per_mwh: cost?,
            service: svc.window(),
            anticipated: None,
            operational_start_date: date?,
        },
        svc,
    })
}

fn read_ncs(o: &mut Obj<'_, '_>, id: i32) -> Option<RawNcs> {
    let name = o.req_str("name");
    let date = start_date(o);
    let bus = o.req_i32("bus_id");
    let max = non_negative(o, "max_generation_mw");
    let allow = o.bool_or("allow_curtailment", true);
    let curtailment_cost = positive_opt(o, "curtailment_cost");
    let svc = Svc::read(o);
    Some(RawNcs {
        ncs: NonControllableSource {
            id: NcsId(id),
            name: name?.to_string(),
            bus: BusId(bus?),
            max_generation_mw: max?,
            allow_curtailment: allow,
            curtailment_cost_per_mwh: 0.0,
            service: svc.window(),
            operational_start_date: date?,
        },
        curtailment_cost,
        svc,
    })
}

/// Reads the bus, line, thermal and non-controllable source registries.
pub(crate) fn read(files: &CaseFiles, sink: &mut Sink) -> Entities {
    Entities {
        buses: registry(
            files,
            name::BUSES,
            "buses",
            "bus",
            &["id", "name", "deficit_segments", "operational_start_date"],
            sink,
            read_bus,
        ),
        lines: registry(
            files,
            name::LINES,
            "lines",
            "line",
            &[
                "id",
                "name",
                "operational_start_date",
                "source_bus_id",
                "target_bus_id",
                "capacity",
                "exchange_cost",
                "losses_percent",
                "entry_stage_id",
                "exit_stage_id",
            ],
            sink,
            read_line,
        ),
        thermals: registry(
            files,
            name::THERMALS,
            "thermals",
            "thermal",
            &[
                "id",
                "name",
                "operational_start_date",
                "bus_id",
                "cost_per_mwh",
                "generation",
                "anticipated_config",
                "entry_stage_id",
                "exit_stage_id",
            ],
            sink,
            read_thermal,
        ),
        ncs: registry(
            files,
            name::NCS,
            "non_controllable_sources",
            "non-controllable source",
            &[
                "id",
                "name",
                "operational_start_date",
                "bus_id",
                "max_generation_mw",
                "allow_curtailment",
                "curtailment_cost",
                "entry_stage_id",
                "exit_stage_id",
            ],
            sink,
            read_ncs,
        ),
    }
}

/// Refuses, by presence, the files of features the solver does not model.
/// A JSON registry with an empty list is accepted.
pub(crate) fn refuse_unsupported_files(files: &CaseFiles, sink: &mut Sink) {
    let by_presence: [(&str, Feature); 6] = [
        (name::POST_STUDY, Feature::PostStudyStages),
        (name::CONTRACT_BOUNDS, Feature::EnergyContracts),
        (name::ANNUAL, Feature::AnnualComponentFile),
        (name::NOISE_OPENINGS, Feature::UserNoiseOpenings),
        (name::EXCHANGE_FACTORS, Feature::WithdrawnFiles),
        (name::SCALAR_PARAMETERS, Feature::WithdrawnFiles),
    ];
    for (file, feature) in by_presence {
        if !files.exists(file) {
            continue;
        }
        feature.refuse(sink, FindingContext::file(file), &format!("`{file}`"));
    }
    if files.exists(name::CONTRACTS) && !registry_is_empty(files, name::CONTRACTS, "contracts") {
        Feature::EnergyContracts.refuse(
            sink,
            FindingContext::file(name::CONTRACTS),
            &format!("`{}`", name::CONTRACTS),
        );
    }
}

/// Whether a registry file holds an empty list (parse problems are left to
/// the refusal, which names the file).
fn registry_is_empty(files: &CaseFiles, file: &'static str, key: &str) -> bool {
    let mut scratch = Sink::default();
    match json_of(files, file, &mut scratch) {
        Src::Read(v) => v
            .get(key)
            .and_then(serde_json::Value::as_array)
            .is_some_and(Vec::is_empty),
        _ => false,
    }
}
