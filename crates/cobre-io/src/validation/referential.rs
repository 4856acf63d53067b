//! Layer 3: every reference resolves, no id or key is repeated.

use super::dimensional::factor_files;
use super::{err, RowGroups};
use crate::files::name;
use crate::reader::{CaseData, Registry, Src, HYDRO_BOUND_COLUMNS};
use crate::report::{Finding, FindingContext, FindingKind, Layer, Severity, Sink};
use crate::util::list_ids;
use cobre_core::scenario::CorrelatedEntity;
use cobre_core::VariableRef;
use std::collections::{BTreeMap, BTreeSet};

const L: Layer = Layer::Referential;

/// The ids of a registry, and whether the registry was read completely.
pub(crate) struct Ids {
    ids: BTreeSet<i32>,
    complete: bool,
    file: &'static str,
    kind: &'static str,
}

impl Ids {
    fn of<T>(r: Option<&Registry<T>>, file: &'static str, kind: &'static str) -> Self {
        match r {
            Some(r) => Self {
                ids: r.ids.iter().copied().collect(),
                complete: r.complete,
                file,
                kind,
            },
            None => Self {
                ids: BTreeSet::new(),
                complete: false,
                file,
                kind,
            },
        }
    }

    fn resolves(&self, id: i32) -> bool {
        !self.complete || self.ids.contains(&id)
    }
}

/// The id registries of a case.
pub(crate) struct AllIds {
    pub bus: Ids,
    pub line: Ids,
    pub thermal: Ids,
    pub hydro: Ids,
    pub ncs: Ids,
    pub pumping: Ids,
}

impl AllIds {
    pub(crate) fn of(d: &CaseData) -> Self {
        Self {
            bus: Ids::of(d.buses.as_ref(), name::BUSES, "bus"),
            line: Ids::of(d.lines.as_ref(), name::LINES, "line"),
            thermal: Ids::of(d.thermals.as_ref(), name::THERMALS, "thermal"),
            hydro: Ids::of(d.hydros.as_ref(), name::HYDROS, "hydro"),
            ncs: Ids::of(d.ncs.as_ref(), name::NCS, "non-controllable source"),
            pumping: match d.pumping.stations.as_ref() {
                Some(r) => Ids::of(Some(r), name::PUMPING, "pumping station"),
                None => Ids {
                    ids: BTreeSet::new(),
                    complete: true,
                    file: name::PUMPING,
                    kind: "pumping station",
                },
            },
        }
    }
}

fn missing(target: &Ids, ctx: FindingContext, id: i32, what: &str) -> Finding {
    err(
        L,
        FindingKind::MissingReference,
        ctx,
        format!(
            "{what} refers to {} {id}, which does not exist in `{}`",
            target.kind, target.file
        ),
    )
    .suggest(format!(
        "use one of the {} ids of `{}`: {}",
        target.kind,
        target.file,
        list_ids(&target.ids.iter().collect::<Vec<_>>())
    ))
}

/// Checks one JSON reference.
pub(super) fn check_ref(
    sink: &mut Sink,
    target: &Ids,
    file: &'static str,
    owner: (&str, i32),
    field: &str,
    id: i32,
) {
    if !target.resolves(id) {
        let ctx = FindingContext::file(file)
            .entity(owner.0, owner.1)
            .field(field);
        sink.push(missing(
            target,
            ctx,
            id,
            &format!("{} {} (`{field}`)", owner.0, owner.1),
        ));
    }
}

/// Checks a Parquet id column, one finding per missing id.
pub(super) fn check_rows(
    sink: &mut Sink,
    target: &Ids,
    file: &'static str,
    col: &str,
    rows: impl Iterator<Item = (usize, i32)>,
) {
    let mut groups = RowGroups::new();
    for (r, id) in rows {
        if !target.resolves(id) {
            groups.add(id, r);
        }
    }
    groups.emit(sink, |id, first, desc| {
        let ctx = FindingContext::file(file)
            .entity(target.kind, id)
            .field(col)
            .row(first);
        missing(target, ctx, id, &format!("`{col}` ({desc})"))
    });
}

pub(super) fn duplicate_ids(sink: &mut Sink, file: &'static str, kind: &str, ids: &[i32]) {
    let mut seen = BTreeMap::new();
    for id in ids {
        *seen.entry(*id).or_insert(0usize) += 1;
    }
    for (id, n) in seen.into_iter().filter(|(_, n)| *n > 1) {
        sink.push(
            err(
                L,
                FindingKind::DuplicateId,
                FindingContext::file(file).entity(kind, id).field("id"),
                format!("{kind} id {id} appears {n} times"),
            )
            .suggest("give every entity its own id"),
        );
    }
}

/// Reports rows repeating a key.
pub(super) fn duplicate_keys<K: Ord + Copy + std::fmt::Debug>(
    sink: &mut Sink,
    file: &'static str,
    what: &str,
    rows: impl Iterator<Item = (usize, K)>,
) {
    let mut groups: BTreeMap<K, Vec<usize>> = BTreeMap::new();
    for (r, k) in rows {
        groups.entry(k).or_default().push(r);
    }
    for (k, rs) in groups.into_iter().filter(|(_, r)| r.len() > 1) {
        sink.push(
            err(
                L,
                FindingKind::DuplicateId,
                FindingContext::file(file).row(rs.first().copied().unwrap_or(0)),
                format!("{what} {k:?} is repeated (rows {})", list_ids(&rs)),
            )
            .suggest("keep one row per key"),
        );
    }
}

fn registries(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    if let Some(r) = &d.buses {
        duplicate_ids(sink, r.file, "bus", &r.ids);
    }
    if let Some(r) = &d.lines {
        duplicate_ids(sink, r.file, "line", &r.ids);
        for l in &r.items {
            let owner = ("line", l.line.id.0);
            check_ref(
                sink,
                &ids.bus,
                r.file,
                owner,
                "source_bus_id",
                l.line.source_bus.0,
            );
            check_ref(
                sink,
                &ids.bus,
                r.file,
                owner,
                "target_bus_id",
                l.line.target_bus.0,
            );
        }
    }
    if let Some(r) = &d.thermals {
        duplicate_ids(sink, r.file, "thermal", &r.ids);
        for t in &r.items {
            check_ref(
                sink,
                &ids.bus,
                r.file,
                ("thermal", t.thermal.id.0),
                "bus_id",
                t.thermal.bus.0,
            );
        }
    }
    if let Some(r) = &d.ncs {
        duplicate_ids(sink, r.file, "non-controllable source", &r.ids);
        for n in &r.items {
            check_ref(
                sink,
                &ids.bus,
                r.file,
                ("non-controllable source", n.ncs.id.0),
                "bus_id",
                n.ncs.bus.0,
            );
        }
    }
    if let Some(r) = &d.hydros {
        duplicate_ids(sink, r.file, "hydro", &r.ids);
        for h in &r.items {
            let owner = ("hydro", h.hydro.id.0);
            if let Some(ds) = h.hydro.downstream {
                check_ref(sink, &ids.hydro, r.file, owner, "downstream_id", ds.0);
            }
            for g in &h.hydro.unit_groups {
                check_ref(sink, &ids.bus, r.file, owner, "unit_groups.bus_id", g.bus.0);
            }
        }
    }
}

fn stages(d: &CaseData, sink: &mut Sink) {
    let Some(s) = d.stages.get() else {
        return;
    };
    let mut all: Vec<i32> = s.stage_ids.clone();
    all.extend(&s.pre_study_ids);
    duplicate_ids(sink, name::STAGES, "stage", &all);
    duplicate_ids(sink, name::STAGES, "season", &s.season_ids);
    let seasons: BTreeSet<i32> = s.season_ids.iter().copied().collect();
    let has_defs = s.horizon.seasons.is_some();
    let stage_seasons = s
        .horizon
        .stages
        .iter()
        .map(|st| ("stage", st.id.0, st.season))
        .chain(
            s.horizon
                .pre_study_stages
                .iter()
                .map(|p| ("pre-study stage", p.id.0, p.season)),
        );
    for (kind, id, season) in stage_seasons {
        let Some(season) = season else { continue };
        if !has_defs {
            sink.push(Finding::new(
Severity::Warning,FindingKind::MissingReference, L,
                FindingContext::file(name::STAGES).entity(kind, id).field("season_id"),
                format!("{kind} {id} has season_id {} but `stages.json` has no `season_definitions`: the season is a label, and each stage's own dates are its season period (the lag of a stage is the stage before it)", season.0),
            ));
        } else if !seasons.contains(&season.0) {
            let msg = if has_defs {
                format!(
                    "{kind} {id} has season_id {}, which `season_definitions` does not define",
                    season.0
                )
            } else {
                format!(
                    "{kind} {id} has season_id {} but `stages.json` has no `season_definitions`",
                    season.0
                )
            };
            sink.push(
                err(
                    L,
                    FindingKind::MissingReference,
                    FindingContext::file(name::STAGES)
                        .entity(kind, id)
                        .field("season_id"),
                    msg,
                )
                .suggest("define the season in `season_definitions.seasons`"),
            );
        }
    }
}

fn initial(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    let Some(ic) = d.initial.get().map(|i| &i.ic) else {
        return;
    };
    let f = name::INITIAL;
    let lists = [
        ("storage", &ic.storage),
        ("filling_storage", &ic.filling_storage),
    ];
    let mut seen: BTreeMap<i32, &str> = BTreeMap::new();
    for (list, entries) in lists {
        for s in entries {
            let h = s.hydro.0;
            if !ids.hydro.resolves(h) {
                let ctx = FindingContext::file(f)
                    .entity("hydro", h)
                    .field(format!("{list}.hydro_id"));
                sink.push(
                    missing(&ids.hydro, ctx, h, &format!("an initial `{list}` entry")).suggest(
                        format!("remove the `{list}` entry of hydro {h}, or fix its hydro_id"),
                    ),
                );
            }
            if let Some(prev) = seen.insert(h, list) {
                sink.push(err(
                    L,
                    FindingKind::DuplicateId,
                    FindingContext::file(f)
                        .entity("hydro", h)
                        .field(format!("{list}.hydro_id")),
                    format!(
                        "hydro {h} has more than one initial storage (in `{prev}` and `{list}`)"
                    ),
                ));
            }
        }
    }
    for o in &ic.recent_observations {
        check_ref(
            sink,
            &ids.hydro,
            f,
            ("recent observation of hydro", o.hydro.0),
            "recent_observations.hydro_id",
            o.hydro.0,
        );
    }
    for o in &ic.past_defluences {
        check_ref(
            sink,
            &ids.hydro,
            f,
            ("past defluence of hydro", o.hydro.0),
            "past_defluences.hydro_id",
            o.hydro.0,
        );
    }
    for c in &ic.past_commitments {
        check_ref(
            sink,
            &ids.thermal,
            f,
            ("past commitment of thermal", c.thermal.0),
            "past_anticipated_commitments.thermal_id",
            c.thermal.0,
        );
    }
}

fn hydro_system(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    let hs = &d.hydro_system;
    if let Some(entries) = hs.production.get() {
        let mut seen = BTreeSet::new();
        for e in entries {
            let h = e.model.hydro.0;
            let ctx = || {
                FindingContext::file(name::PRODUCTION_MODELS)
                    .entity("hydro", h)
                    .field("hydro_id")
                    .row(e.index)
            };
            if !ids.hydro.resolves(h) {
                sink.push(missing(
                    &ids.hydro,
                    ctx(),
                    h,
                    &format!("production model entry {}", e.index),
                ));
            }
            if !seen.insert(h) {
                sink.push(err(
                    L,
                    FindingKind::DuplicateId,
                    ctx(),
                    format!("hydro {h} has more than one production model entry"),
                ));
            }
        }
    }
    if let Some(rows) = hs.fpha.get() {
        check_rows(
            sink,
            &ids.hydro,
            name::FPHA,
            "hydro_id",
            rows.iter().map(|(r, p)| (*r, p.hydro.0)),
        );
        duplicate_keys(
            sink,
            name::FPHA,
            "(hydro_id, stage_id, plane_id)",
            rows.iter()
                .map(|(r, p)| (*r, (p.hydro.0, p.stage.map(|s| s.0), p.plane_id))),
        );
    }
    if let Some(rows) = hs.geometry.get() {
        check_rows(
            sink,
            &ids.hydro,
            name::GEOMETRY,
            "hydro_id",
            rows.iter().map(|(r, p)| (*r, p.hydro.0)),
        );
    }
    if let Some(rows) = hs.productivity.get() {
        check_rows(
            sink,
            &ids.hydro,
            name::PRODUCTIVITY,
            "hydro_id",
            rows.iter().map(|(r, p)| (*r, p.hydro.0)),
        );
        duplicate_keys(
            sink,
            name::PRODUCTIVITY,
            "(hydro_id, stage_id)",
            rows.iter()
                .map(|(r, p)| (*r, (p.hydro.0, p.stage.map(|s| s.0)))),
        );
    }
}

/// A Parquet table whose id column refers to a registry and whose rows must
/// not repeat a key.
struct KeyedTable<'a> {
    /// The registry the id column refers to.
    target: &'a Ids,
    /// The file.
    file: &'static str,
    /// The id column.
    col: &'static str,
    /// The key, as findings name it.
    key: &'static str,
}

impl<'a> KeyedTable<'a> {
    /// The table `file`, whose column `col` refers to `target` and whose
    /// rows must not repeat `key`.
    fn new(target: &'a Ids, file: &'static str, col: &'static str, key: &'static str) -> Self {
        Self {
            target,
            file,
            col,
            key,
        }
    }

    /// Checks the rows, when read: `id` gives a row's `(row, id)`, `keys`
    /// the `(row, key)` pairs it holds.
    fn check<'r, T: 'r, K, I>(
        &self,
        sink: &mut Sink,
        rows: &'r Src<Vec<T>>,
        id: impl Fn(&'r T) -> (usize, i32),
        keys: impl Fn(&'r T) -> I,
    ) where
        K: Ord + Copy + std::fmt::Debug,
        I: IntoIterator<Item = (usize, K)>,
    {
        let Some(rows) = rows.get() else { return };
        check_rows(sink, self.target, self.file, self.col, rows.iter().map(id));
        duplicate_keys(sink, self.file, self.key, rows.iter().flat_map(keys));
    }
}

/// The scenario files: references, keys, block factors, correlation.
fn scenarios(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    scenario_tables(d, ids, sink);
    factor_entries(d, ids, sink);
    correlation(d, ids, sink);
}

/// The id columns and keys of the statistics, AR, history and external
/// scenario tables.
fn scenario_tables(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    let s = &d.scenarios;
    KeyedTable::new(
        &ids.hydro,
        name::INFLOW_STATS,
        "hydro_id",
        "(hydro_id, stage_id)",
    )
    .check(
        sink,
        &s.inflow_stats,
        |(r, x)| (*r, x.entity.0),
        |(r, x)| [(*r, (x.entity.0, x.stage.0))],
    );
    KeyedTable::new(&ids.bus, name::LOAD_STATS, "bus_id", "(bus_id, stage_id)").check(
        sink,
        &s.load_stats,
        |(r, x)| (*r, x.entity.0),
        |(r, x)| [(*r, (x.entity.0, x.stage.0))],
    );
    KeyedTable::new(&ids.ncs, name::NCS_STATS, "ncs_id", "(ncs_id, stage_id)").check(
        sink,
        &s.ncs_stats,
        |(r, x)| (*r, x.entity.0),
        |(r, x)| [(*r, (x.entity.0, x.stage.0))],
    );
    KeyedTable::new(
        &ids.hydro,
        name::AR,
        "hydro_id",
        "(hydro_id, stage_id, lag)",
    )
    .check(
        sink,
        &s.ar,
        |(r, x)| (*r, x.hydro.0),
        |(r, x)| [(*r, (x.hydro.0, x.stage.0, x.lag))],
    );
    KeyedTable::new(
        &ids.hydro,
        name::HISTORY,
        "hydro_id",
        "(hydro_id, start_date)",
    )
    .check(
        sink,
        &s.history,
        |(r, x)| (*r, x.hydro.0),
        |(r, x)| [(*r, (x.hydro.0, x.start_date))],
    );
    let inflow = KeyedTable::new(
        &ids.hydro,
        name::EXTERNAL_INFLOW,
        "hydro_id",
        "(stage_id, scenario_id, hydro_id)",
    );
    inflow.check(
        sink,
        &s.external_inflow,
        |(r, x)| (*r, x.entity.0),
        |(r, x)| [(*r, (x.stage.0, x.scenario, x.entity.0))],
    );
    let load = KeyedTable::new(
        &ids.bus,
        name::EXTERNAL_LOAD,
        "bus_id",
        "(stage_id, scenario_id, bus_id)",
    );
    load.check(
        sink,
        &s.external_load,
        |(r, x)| (*r, x.entity.0),
        |(r, x)| [(*r, (x.stage.0, x.scenario, x.entity.0))],
    );
    let ncs = KeyedTable::new(
        &ids.ncs,
        name::EXTERNAL_NCS,
        "ncs_id",
        "(stage_id, scenario_id, ncs_id)",
    );
    ncs.check(
        sink,
        &s.external_ncs,
        |(r, x)| (*r, x.entity.0),
        |(r, x)| [(*r, (x.stage.0, x.scenario, x.entity.0))],
    );
}

/// The entities, stages and blocks of the load and non-controllable factor
/// files.
fn factor_entries(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    let targets = [(&ids.bus, "bus_id"), (&ids.ncs, "ncs_id")];
    for (rows, (target, field)) in factor_files(d).into_iter().zip(targets) {
        let mut seen = BTreeSet::new();
        for (at, factors) in rows {
            let (file, kind, id, stage) = (at.file, at.kind, at.id, at.stage);
            check_ref(sink, target, file, (kind, id), field, id);
            if !seen.insert((id, stage)) {
                sink.push(err(
                    L,
                    FindingKind::DuplicateId,
                    FindingContext::file(file)
                        .entity(kind, id)
                        .stage(stage)
                        .row(at.row),
                    format!("{kind} {id} has more than one entry for stage {stage}"),
                ));
            }
            let mut blocks = BTreeSet::new();
            for (b, _) in factors {
                if !blocks.insert(*b) {
                    sink.push(err(
                        L,
                        FindingKind::DuplicateId,
                        at.context(),
                        format!(
                            "block {b} is repeated in the factors of {kind} {id} at stage {stage}"
                        ),
                    ));
                }
            }
        }
    }
}

/// The entities of the correlation groups and the profiles of the schedule.
fn correlation(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    let Some(c) = d.scenarios.correlation.get() else {
        return;
    };
    for g in &c.groups {
        for e in &g.entities {
            let (target, id) = match e {
                CorrelatedEntity::Inflow(h) => (&ids.hydro, h.0),
                CorrelatedEntity::Load(b) => (&ids.bus, b.0),
                CorrelatedEntity::Ncs(n) => (&ids.ncs, n.0),
            };
            if !target.resolves(id) {
                let ctx = FindingContext::file(name::CORRELATION)
                    .entity(target.kind, id)
                    .path(format!("profiles.{}.{}", g.profile, g.name));
                sink.push(missing(
                    target,
                    ctx,
                    id,
                    &format!("correlation group `{}`", g.name),
                ));
            }
        }
    }
    for (i, stage, profile) in &c.schedule {
        if !c.input.profiles.contains_key(profile) {
            sink.push(err(
                L,
                FindingKind::MissingReference,
                FindingContext::file(name::CORRELATION)
                    .stage(*stage)
                    .field("profile_name")
                    .row(*i),
                format!("schedule entry {i} names profile `{profile}`, which is not defined"),
            ));
        }
    }
}

/// Bound, penalty-override and generic-constraint files.
fn constraints(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    bound_tables(d, ids, sink);
    penalty_tables(d, ids, sink);
    generic_constraints(d, ids, sink);
}

/// `(row, (entity, stage, block, column))` of every column a bound row sets.
fn set_columns<'a>(
    row: usize,
    key: (i32, i32, Option<i32>),
    columns: impl IntoIterator<Item = (&'a str, Option<f64>)>,
) -> impl Iterator<Item = (usize, (i32, i32, Option<i32>, &'a str))> {
    let (id, stage, block) = key;
    columns
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(move |(c, _)| (row, (id, stage, block, c)))
}

/// The id columns and keys of the bound files; a key of the thermal, hydro
/// and line bounds is a column set at a stage (and block).
fn bound_tables(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    let b = &d.bounds;
    KeyedTable::new(
        &ids.thermal,
        name::THERMAL_BOUNDS,
        "thermal_id",
        "(thermal_id, stage_id, block_id, column)",
    )
    .check(
        sink,
        &b.thermal,
        |x| (x.row, x.thermal),
        |x| {
            let columns = [
                ("min_generation_mw", x.min_mw),
                ("max_generation_mw", x.max_mw),
                ("cost_per_mwh", x.cost),
            ];
            set_columns(x.row, (x.thermal, x.stage, x.block), columns)
        },
    );
    KeyedTable::new(
        &ids.hydro,
        name::HYDRO_BOUNDS,
        "hydro_id",
        "(hydro_id, stage_id, block_id, column)",
    )
    .check(
        sink,
        &b.hydro,
        |x| (x.row, x.hydro),
        |x| {
            let columns = HYDRO_BOUND_COLUMNS.into_iter().zip(x.values);
            set_columns(x.row, (x.hydro, x.stage, x.block), columns)
        },
    );
    KeyedTable::new(
        &ids.line,
        name::LINE_BOUNDS,
        "line_id",
        "(line_id, stage_id, block_id, column)",
    )
    .check(
        sink,
        &b.line,
        |x| (x.row, x.line),
        |x| {
            let columns = [("direct_mw", x.direct_mw), ("reverse_mw", x.reverse_mw)];
            set_columns(x.row, (x.line, x.stage, x.block), columns)
        },
    );
    KeyedTable::new(&ids.ncs, name::NCS_BOUNDS, "ncs_id", "(ncs_id, stage_id)").check(
        sink,
        &b.ncs,
        |x| (x.row, x.ncs),
        |x| [(x.row, (x.ncs, x.stage))],
    );
}

/// The id columns and keys of the penalty-override files.
fn penalty_tables(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    let p = &d.penalty_overrides;
    for (rows, target, file, col) in [
        (&p.bus, &ids.bus, name::PENALTY_BUS, "bus_id"),
        (&p.line, &ids.line, name::PENALTY_LINE, "line_id"),
        (&p.ncs, &ids.ncs, name::PENALTY_NCS, "ncs_id"),
    ] {
        KeyedTable::new(target, file, col, "(id, stage_id)").check(
            sink,
            rows,
            |x| (x.row, x.entity),
            |x| [(x.row, (x.entity, x.stage))],
        );
    }
    KeyedTable::new(
        &ids.hydro,
        name::PENALTY_HYDRO,
        "hydro_id",
        "(hydro_id, stage_id)",
    )
    .check(
        sink,
        &p.hydro,
        |x| (x.row, x.hydro),
        |x| [(x.row, (x.hydro, x.stage))],
    );
}

/// Generic constraints: unique ids, the variables of their expressions, the
/// constraints and keys of their bound rows.
fn generic_constraints(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    let g = &d.generic;
    if let Some(reg) = &g.constraints {
        duplicate_ids(sink, reg.file, "generic constraint", &reg.ids);
        for c in &reg.items {
            for (i, t) in c.terms.iter().enumerate() {
                let (target, id) = variable_target(&t.variable, ids);
                if !target.resolves(id) {
                    let ctx = FindingContext::file(reg.file)
                        .entity("generic constraint", c.id.0)
                        .field("expression");
                    sink.push(missing(
                        target,
                        ctx,
                        id,
                        &format!("term {i} of the expression `{}`", c.expression),
                    ));
                }
            }
        }
        if let Some(rows) = g.bounds.get() {
            let cids = Ids {
                ids: reg.ids.iter().copied().collect(),
                complete: reg.complete,
                file: reg.file,
                kind: "generic constraint",
            };
            check_rows(
                sink,
                &cids,
                name::GENERIC_BOUNDS,
                "constraint_id",
                rows.iter().map(|(r, b)| (*r, b.constraint.0)),
            );
        }
    } else if let Some(rows) = g.bounds.get() {
        if let Some((r, _)) = rows.first() {
            sink.push(err(
                L,
                FindingKind::MissingReference,
                FindingContext::file(name::GENERIC_BOUNDS).row(*r),
                format!(
                    "`{}` has rows but `{}` is missing",
                    name::GENERIC_BOUNDS,
                    name::GENERIC
                ),
            ));
        }
    }
    if let Some(rows) = g.bounds.get() {
        duplicate_keys(
            sink,
            name::GENERIC_BOUNDS,
            "(constraint_id, stage_id, block_id)",
            rows.iter()
                .map(|(r, b)| (*r, (b.constraint.0, b.stage.0, b.block))),
        );
    }
}

/// The registry a generic-constraint variable refers to, and the id.
pub(crate) fn variable_target<'a>(v: &VariableRef, ids: &'a AllIds) -> (&'a Ids, i32) {
    match *v {
        VariableRef::ThermalGeneration(t) => (&ids.thermal, t.0),
        VariableRef::HydroGeneration(h)
        | VariableRef::HydroTurbined(h)
        | VariableRef::HydroSpillage(h)
        | VariableRef::HydroOutflow(h)
        | VariableRef::HydroDiversion(h)
        | VariableRef::HydroStorage(h)
        | VariableRef::HydroStorageIn(h)
        | VariableRef::HydroEvaporation(h)
        | VariableRef::HydroWithdrawal(h) => (&ids.hydro, h.0),
        VariableRef::LineFlow(l)
        | VariableRef::LineFlowDirect(l)
        | VariableRef::LineFlowReverse(l) => (&ids.line, l.0),
        VariableRef::BusDeficit(b) | VariableRef::BusExcess(b) => (&ids.bus, b.0),
        VariableRef::NcsGeneration(n) => (&ids.ncs, n.0),
        VariableRef::PumpingFlow(p) | VariableRef::PumpingPower(p) => (&ids.pumping, p.0),
    }
}

/// Layer 3.
pub(crate) fn check(d: &CaseData, sink: &mut Sink) {
    let ids = AllIds::of(d);
    registries(d, &ids, sink);
    stages(d, sink);
    initial(d, &ids, sink);
    hydro_system(d, &ids, sink);
    scenarios(d, &ids, sink);
    constraints(d, &ids, sink);
    super::equipment::referential(d, &ids, sink);
    super::parameters::referential(d, sink);
}
