//! Semantic rules about entities: bounds, cascade, initial storage, geometry.

use crate::files::name;
use crate::reader::CaseData;
use crate::report::{Finding, FindingContext, FindingKind, Layer, Severity, Sink};
use crate::validation::err;
use cobre_core::Hydro;
use std::collections::{BTreeMap, BTreeSet};

const L: Layer = Layer::Semantic;

/// One pair of bounds that must satisfy `min ≤ max`.
struct MinMax<'a> {
    min_field: &'a str,
    min: f64,
    max_field: &'a str,
    max: f64,
}

/// Reports `min > max` for one pair of bounds of `owner`; `at` ends the
/// message (a stage, or nothing).
fn min_max(sink: &mut Sink, ctx: FindingContext, owner: &str, pair: MinMax<'_>, at: &str) {
    let MinMax {
        min_field,
        min,
        max_field,
        max,
    } = pair;
    if min > max {
        sink.push(
            err(
                L,
                FindingKind::CapacityViolation,
                ctx.field(min_field),
                format!("{owner}: {min_field} ({min}) is greater than {max_field} ({max}){at}"),
            )
            .suggest(format!("make {min_field} ≤ {max_field}")),
        );
    }
}

/// `(min column, min, max column, max)` of the four bound pairs of a hydro
/// that a `hydro_bounds.parquet` row can override; the maximum outflow is
/// optional.
fn hydro_pairs(x: &Hydro) -> [(&'static str, f64, &'static str, Option<f64>); 4] {
    [
        (
            "min_storage_hm3",
            x.min_storage_hm3,
            "max_storage_hm3",
            Some(x.max_storage_hm3),
        ),
        (
            "min_turbined_m3s",
            x.min_turbined_m3s,
            "max_turbined_m3s",
            Some(x.max_turbined_m3s),
        ),
        (
            "min_generation_mw",
            x.min_generation_mw,
            "max_generation_mw",
            Some(x.max_generation_mw),
        ),
        (
            "min_outflow_m3s",
            x.min_outflow_m3s,
            "max_outflow_m3s",
            x.max_outflow_m3s,
        ),
    ]
}

/// `min ≤ max` of every entity, and of every per-stage override row merged
/// with the entity's values.
pub(crate) fn bounds(d: &CaseData, sink: &mut Sink) {
    let thermal_base = thermal_entities(d, sink);
    thermal_rows(d, &thermal_base, sink);
    let hydro_base = hydro_entities(d, sink);
    hydro_rows(d, &hydro_base, sink);
    line_loops(d, sink);
    ncs_availability(d, sink);
}

/// The generation bounds of every thermal; returns each thermal's
/// `(min, max)` for the override rows to fall back on.
fn thermal_entities(d: &CaseData, sink: &mut Sink) -> BTreeMap<i32, (f64, f64)> {
    let mut base = BTreeMap::new();
    if let Some(r) = &d.thermals {
        for t in &r.items {
            let t = &t.thermal;
            let ctx = FindingContext::file(r.file).entity("thermal", t.id.0);
            let pair = MinMax {
                min_field: "min_mw",
                min: t.min_generation_mw,
                max_field: "max_mw",
                max: t.max_generation_mw,
            };
            min_max(sink, ctx, &format!("thermal {}", t.id.0), pair, "");
            base.insert(t.id.0, (t.min_generation_mw, t.max_generation_mw));
        }
    }
    base
}

/// The rows of `thermal_bounds.parquet`, merged with the thermal's bounds.
fn thermal_rows(d: &CaseData, base: &BTreeMap<i32, (f64, f64)>, sink: &mut Sink) {
    let Some(rows) = d.bounds.thermal.get() else {
        return;
    };
    // A block row falls back on its stage-wide row, then on the entity.
    let stage_rows: BTreeMap<(i32, i32), (Option<f64>, Option<f64>)> = rows
        .iter()
        .filter(|r| r.block.is_none())
        .map(|r| ((r.thermal, r.stage), (r.min_mw, r.max_mw)))
        .collect();
    for r in rows {
        let Some(&(bmin, bmax)) = base.get(&r.thermal) else {
            continue;
        };
        let (bmin, bmax) = match (r.block, stage_rows.get(&(r.thermal, r.stage))) {
            (Some(_), Some(&(smin, smax))) => (smin.unwrap_or(bmin), smax.unwrap_or(bmax)),
            _ => (bmin, bmax),
        };
        if r.min_mw.is_none() && r.max_mw.is_none() {
            continue;
        }
        let ctx = FindingContext::file(name::THERMAL_BOUNDS)
            .entity("thermal", r.thermal)
            .stage(r.stage)
            .row(r.row);
        let pair = MinMax {
            min_field: "min_generation_mw",
            min: r.min_mw.unwrap_or(bmin),
            max_field: "max_generation_mw",
            max: r.max_mw.unwrap_or(bmax),
        };
        let at = format!(" at stage {}", r.stage);
        min_max(sink, ctx, &format!("thermal {}", r.thermal), pair, &at);
    }
}

/// The bounds of every hydro and of its unit groups; returns the hydros for
/// the override rows to fall back on.
fn hydro_entities(d: &CaseData, sink: &mut Sink) -> BTreeMap<i32, Hydro> {
    let mut base = BTreeMap::new();
    let Some(r) = &d.hydros else {
        return base;
    };
    for h in &r.items {
        let x = &h.hydro;
        let id = x.id.0;
        let owner = format!("hydro {id}");
        let ctx = || FindingContext::file(r.file).entity("hydro", id);
        for (min_field, min, max_field, max) in hydro_pairs(x) {
            if let Some(max) = max {
                let pair = MinMax {
                    min_field,
                    min,
                    max_field,
                    max,
                };
                min_max(sink, ctx(), &owner, pair, "");
            }
        }
        for g in &x.unit_groups {
            let gowner = format!("hydro {id}, unit group {}", g.id);
            let pairs = [
                MinMax {
                    min_field: "min_generation_mw",
                    min: g.min_generation_mw,
                    max_field: "max_generation_mw",
                    max: g.max_generation_mw,
                },
                MinMax {
                    min_field: "min_turbined_m3s",
                    min: g.min_turbined_m3s,
                    max_field: "max_turbined_m3s",
                    max: g.max_turbined_m3s,
                },
            ];
            for pair in pairs {
                min_max(sink, ctx(), &gowner, pair, "");
            }
        }
        base.insert(id, x.clone());
    }
    base
}

/// The rows of `hydro_bounds.parquet`, merged with the hydro's bounds.
fn hydro_rows(d: &CaseData, base: &BTreeMap<i32, Hydro>, sink: &mut Sink) {
    let Some(rows) = d.bounds.hydro.get() else {
        return;
    };
    let stage_rows: BTreeMap<(i32, i32), _> = rows
        .iter()
        .filter(|r| r.block.is_none())
        .map(|r| ((r.hydro, r.stage), *r))
        .collect();
    for r in rows {
        let Some(x) = base.get(&r.hydro) else {
            continue;
        };
        // A block row falls back on its stage-wide row, then on the entity.
        let mut x = x.clone();
        if let (Some(_), Some(sr)) = (r.block, stage_rows.get(&(r.hydro, r.stage))) {
            x.min_turbined_m3s = sr.get("min_turbined_m3s").unwrap_or(x.min_turbined_m3s);
            x.max_turbined_m3s = sr.get("max_turbined_m3s").unwrap_or(x.max_turbined_m3s);
            x.min_generation_mw = sr.get("min_generation_mw").unwrap_or(x.min_generation_mw);
            x.max_generation_mw = sr.get("max_generation_mw").unwrap_or(x.max_generation_mw);
            x.min_outflow_m3s = sr.get("min_outflow_m3s").unwrap_or(x.min_outflow_m3s);
            x.max_outflow_m3s = sr.get("max_outflow_m3s").or(x.max_outflow_m3s);
        }
        let ctx = || {
            FindingContext::file(name::HYDRO_BOUNDS)
                .entity("hydro", r.hydro)
                .stage(r.stage)
                .row(r.row)
        };
        let owner = format!("hydro {}", r.hydro);
        let at = format!(" at stage {}", r.stage);
        for (lo, lo_base, hi, hi_base) in hydro_pairs(&x) {
            if r.get(lo).is_none() && r.get(hi).is_none() {
                continue;
            }
            if let Some(max) = r.get(hi).or(hi_base) {
                let pair = MinMax {
                    min_field: lo,
                    min: r.get(lo).unwrap_or(lo_base),
                    max_field: hi,
                    max,
                };
                min_max(sink, ctx(), &owner, pair, &at);
            }
        }
    }
}

/// A line must join two different buses.
fn line_loops(d: &CaseData, sink: &mut Sink) {
    let Some(r) = &d.lines else { return };
    for l in &r.items {
        if l.line.source_bus == l.line.target_bus {
            sink.push(err(
                L,
                FindingKind::PhysicalConstraint,
                FindingContext::file(r.file)
                    .entity("line", l.line.id.0)
                    .field("target_bus_id"),
                format!(
                    "line {} connects bus {} to itself",
                    l.line.id.0, l.line.source_bus.0
                ),
            ));
        }
    }
}

/// The available generation of a non-controllable source should not exceed
/// its installed capacity (a warning).
fn ncs_availability(d: &CaseData, sink: &mut Sink) {
    let (Some(rows), Some(r)) = (d.bounds.ncs.get(), &d.ncs) else {
        return;
    };
    let max: BTreeMap<i32, f64> = r
        .items
        .iter()
        .map(|n| (n.ncs.id.0, n.ncs.max_generation_mw))
        .collect();
    for b in rows {
        if let Some(m) = max.get(&b.ncs).filter(|m| b.available_mw > **m) {
            sink.push(Finding::new(
Severity::Warning,
                FindingKind::CapacityViolation,
                L,
                FindingContext::file(name::NCS_BOUNDS)
                    .entity("non-controllable source", b.ncs)
                    .stage(b.stage)
                    .field("available_generation_mw")
                    .row(b.row),
                format!(
                    "available generation {} MW exceeds the installed {m} MW of source {} at stage {}",
                    b.available_mw, b.ncs, b.stage
                ),
            ));
        }
    }
}

/// The downstream links must not loop.
pub(crate) fn cascade(d: &CaseData, sink: &mut Sink) {
    let Some(r) = &d.hydros else { return };
    let down: BTreeMap<i32, i32> = r
        .items
        .iter()
        .filter_map(|h| h.hydro.downstream.map(|ds| (h.hydro.id.0, ds.0)))
        .collect();
    let mut reported: BTreeSet<i32> = BTreeSet::new();
    for start in down.keys() {
        // Walk downstream; a walk longer than the number of links has looped.
        let mut path = vec![*start];
        let mut cur = *start;
        while let Some(next) = down.get(&cur) {
            if let Some(pos) = path.iter().position(|x| x == next) {
                let cycle: Vec<i32> = path.get(pos..).unwrap_or_default().to_vec();
                let key = cycle.iter().min().copied().unwrap_or(*next);
                if reported.insert(key) {
                    let desc: Vec<String> = cycle
                        .iter()
                        .chain(std::iter::once(next))
                        .map(ToString::to_string)
                        .collect();
                    sink.push(
                        err(
                            L,
                            FindingKind::PhysicalConstraint,
                            FindingContext::file(r.file).entity("hydro", key).field("downstream_id"),
                            format!("the hydro cascade has a cycle: {}", desc.join(" → ")),
                        )
                        .suggest("water must flow downstream: break the cycle by fixing a `downstream_id`"),
                    );
                }
                break;
            }
            path.push(*next);
            cur = *next;
        }
    }
}

/// Every operating hydro starts with a storage inside its reservoir box.
pub(crate) fn initial_storage(d: &CaseData, sink: &mut Sink) {
    let (Some(r), Some(ic)) = (&d.hydros, d.initial.get()) else {
        return;
    };
    let given: BTreeMap<i32, f64> = ic
        .ic
        .storage
        .iter()
        .map(|s| (s.hydro.0, s.value_hm3))
        .collect();
    let filling: BTreeSet<i32> = ic.ic.filling_storage.iter().map(|s| s.hydro.0).collect();
    let stage_ids: Vec<i32> = d
        .stages
        .get()
        .map(|s| s.stage_ids.clone())
        .unwrap_or_default();
    for h in &r.items {
        let x = &h.hydro;
        let id = x.id.0;
        let ctx = FindingContext::file(name::INITIAL)
            .entity("hydro", id)
            .field("storage");
        let operating = stage_ids.is_empty()
            || stage_ids
                .iter()
                .any(|s| x.service.is_active(cobre_core::StageId(*s)));
        match given.get(&id) {
            // A reservoir with min = max (run-of-river) has its storage implied.
            None if operating
                && !filling.contains(&id)
                && x.max_storage_hm3 > x.min_storage_hm3 =>
            {
                sink.push(
                err(
                    L,
                    FindingKind::PhysicalConstraint,
                    ctx,
                    format!("hydro {id} has no initial storage"),
                )
                .suggest(format!("add {{\"hydro_id\": {id}, \"value_hm3\": …}} to `storage`")),
                );
            }
            Some(v) if *v < x.min_storage_hm3 || *v > x.max_storage_hm3 => sink.push(
                err(
                    L,
                    FindingKind::PhysicalConstraint,
                    ctx.field("value_hm3"),
                    format!(
                        "initial storage of hydro {id} ({v} hm³) is outside its reservoir [{}, {}] hm³",
                        x.min_storage_hm3, x.max_storage_hm3
                    ),
                )
                .suggest("give a value between min_storage_hm3 and max_storage_hm3"),
            ),
            _ => {}
        }
    }
}

/// Volume–height–area curves: volume strictly increasing, height non-decreasing.
pub(crate) fn geometry(d: &CaseData, sink: &mut Sink) {
    let Some(rows) = d.hydro_system.geometry.get() else {
        return;
    };
    let mut by_hydro: BTreeMap<i32, Vec<(usize, f64, f64)>> = BTreeMap::new();
    for (r, g) in rows {
        by_hydro
            .entry(g.hydro.0)
            .or_default()
            .push((*r, g.volume_hm3, g.height_m));
    }
    for (h, mut pts) in by_hydro {
        pts.sort_by(|a, b| a.1.total_cmp(&b.1));
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let ctx = FindingContext::file(name::GEOMETRY)
                .entity("hydro", h)
                .row(b.0);
            if b.1 <= a.1 {
                sink.push(err(
                    L,
                    FindingKind::PhysicalConstraint,
                    ctx.field("volume_hm3"),
                    format!(
                        "hydro {h}: volume {} hm³ appears twice in the geometry curve",
                        b.1
                    ),
                ));
            } else if b.2 < a.2 {
                sink.push(err(L, FindingKind::PhysicalConstraint, ctx.field("height_m"),
                    format!("hydro {h}: height decreases from {} m to {} m as volume grows from {} to {} hm³", a.2, b.2, a.1, b.1)));
            }
        }
    }
}

/// Entities whose commissioning window leaves them inactive at every stage.
pub(crate) fn service_windows(d: &CaseData, sink: &mut Sink) {
    let mut windows: Vec<(&'static str, &'static str, i32, crate::reader::Svc)> = Vec::new();
    if let Some(r) = &d.thermals {
        windows.extend(
            r.items
                .iter()
                .map(|t| (r.file, "thermal", t.thermal.id.0, t.svc)),
        );
    }
    if let Some(r) = &d.lines {
        windows.extend(r.items.iter().map(|l| (r.file, "line", l.line.id.0, l.svc)));
    }
    if let Some(r) = &d.hydros {
        windows.extend(
            r.items
                .iter()
                .map(|h| (r.file, "hydro", h.hydro.id.0, h.svc)),
        );
    }
    if let Some(r) = &d.ncs {
        windows.extend(
            r.items
                .iter()
                .map(|n| (r.file, "non-controllable source", n.ncs.id.0, n.svc)),
        );
    }
    if let Some(r) = &d.pumping.stations {
        windows.extend(
            r.items
                .iter()
                .map(|p| (r.file, "pumping station", p.station.id.0, p.svc)),
        );
    }
    for (file, kind, id, svc) in windows {
        if let (Some(a), Some(b)) = (svc.entry, svc.exit) {
            if b <= a {
                sink.push(Finding::new(
Severity::Warning,FindingKind::PhysicalConstraint, L,
                    FindingContext::file(file).entity(kind, id).field("exit_stage_id"),
                    format!("{kind} {id} enters at stage {a} and exits at stage {b} (exclusive): it is never in service"),
                ));
            }
        }
    }
}

/// A case whose thermal plants can generate in no stage at all: every
/// `max_mw` of `thermals.json` is 0 and no row of `thermal_bounds.parquet`
/// raises one (converted NEWAVE decks have come out this way). A warning:
/// the study is still well posed, met by hydro, non-controllable sources and
/// deficit, but rarely what the planner meant.
pub(crate) fn thermal_capacity(d: &CaseData, sink: &mut Sink) {
    let Some(r) = &d.thermals else {
        return;
    };
    if r.items.is_empty() || r.items.iter().any(|t| t.thermal.max_generation_mw > 0.0) {
        return;
    }
    let raised = d
        .bounds
        .thermal
        .get()
        .is_some_and(|rows| rows.iter().any(|b| b.max_mw.is_some_and(|m| m > 0.0)));
    if raised {
        return;
    }
    sink.push(
        Finding::new(
            Severity::Warning,
            FindingKind::PhysicalConstraint,
            L,
            FindingContext::file(r.file).field("max_mw"),
            format!(
                "none of the {} thermal plants can generate in any stage: every `max_mw` is 0 \
                 and no row of `{}` raises one, so load is met by hydro, non-controllable \
                 sources and deficit only",
                r.items.len(),
                name::THERMAL_BOUNDS
            ),
        )
        .suggest("check the thermal capacities of the case (a deck conversion may have lost them)"),
    );
}
