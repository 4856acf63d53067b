//! Checks of pumping stations, diversion channels and unit groups over the
//! three layers after the schema: references, stage/block ids, and domain
//! rules.
//!
//! The domain rules are 0.18's: a station's minimum flow does not exceed
//! its maximum; the unit groups of a plant add up to no more than the
//! plant (turbined flow and generation: the plant is the envelope); a
//! diversion's minimum does not exceed its maximum.

use super::dimensional::{outside_blocks, stage_rows, Scope};
use super::referential::{check_ref, check_rows, duplicate_ids, duplicate_keys, AllIds};
use super::{err, per_hydro, RowGroups};
use crate::files::name;
use crate::reader::{CaseData, StagesData};
use crate::report::{Finding, FindingContext, FindingKind, Layer, Sink};
use std::collections::{BTreeMap, BTreeSet};

/// Layer 3: station references, bound rows naming known stations, unit
/// groups and hydros, diversion targets.
pub(crate) fn referential(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    let stations = station_refs(d, ids, sink);
    pumping_bounds(d, stations.as_ref(), sink);
    unit_group_bounds(d, ids, sink);
    hydro_equipment(d, ids, sink);
}

/// The ids and references of the pumping stations; returns the station ids,
/// `None` when `pumping_stations.json` could not be read completely.
fn station_refs(d: &CaseData, ids: &AllIds, sink: &mut Sink) -> Option<BTreeSet<i32>> {
    let Some(r) = &d.pumping.stations else {
        return Some(BTreeSet::new());
    };
    duplicate_ids(sink, r.file, "pumping station", &r.ids);
    for s in &r.items {
        let owner = ("pumping station", s.station.id.0);
        check_ref(sink, &ids.bus, r.file, owner, "bus_id", s.station.bus.0);
        check_ref(
            sink,
            &ids.hydro,
            r.file,
            owner,
            "source_hydro_id",
            s.station.source.0,
        );
        check_ref(
            sink,
            &ids.hydro,
            r.file,
            owner,
            "destination_hydro_id",
            s.station.destination.0,
        );
    }
    r.complete.then(|| r.ids.iter().copied().collect())
}

/// Rows of `pumping_bounds.parquet` name known stations (checked when the
/// `stations` are known) and do not repeat a key.
fn pumping_bounds(d: &CaseData, stations: Option<&BTreeSet<i32>>, sink: &mut Sink) {
    let Some(rows) = d.pumping.bounds.get() else {
        return;
    };
    let mut groups = RowGroups::new();
    for (r, b) in rows {
        if stations.is_some_and(|s| !s.contains(&b.station.0)) {
            groups.add(b.station.0, *r);
        }
    }
    groups.emit(sink, |id, first, desc| {
        err(
            Layer::Referential,
            FindingKind::MissingReference,
            FindingContext::file(name::PUMPING_BOUNDS)
                .entity("pumping station", id)
                .field("pumping_station_id")
                .row(first),
            format!(
                "`pumping_station_id` {id} ({desc}) is not a station of `{}`",
                name::PUMPING
            ),
        )
    });
    duplicate_keys(
        sink,
        name::PUMPING_BOUNDS,
        "(pumping_station_id, stage_id, block_id)",
        rows.iter()
            .map(|(r, b)| (*r, (b.station.0, b.stage.0, b.block))),
    );
}

/// Rows of `hydro_unit_group_bounds.parquet` name known hydros and their
/// unit groups, and do not repeat a key.
fn unit_group_bounds(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    let Some(rows) = d.pumping.unit_group_bounds.get() else {
        return;
    };
    let groups_of: BTreeMap<i32, BTreeSet<i32>> = per_hydro(d, |h| {
        (
            h.hydro.id.0,
            h.hydro.unit_groups.iter().map(|g| g.id).collect(),
        )
    });
    check_rows(
        sink,
        &ids.hydro,
        name::UNIT_GROUP_BOUNDS,
        "hydro_id",
        rows.iter().map(|(r, b)| (*r, b.hydro.0)),
    );
    let mut unknown = RowGroups::new();
    for (r, b) in rows {
        if let Some(g) = groups_of.get(&b.hydro.0) {
            if !g.contains(&b.group) {
                unknown.add((b.hydro.0, b.group), *r);
            }
        }
    }
    unknown.emit(sink, |(h, g), first, desc| {
        err(
            Layer::Referential,
            FindingKind::MissingReference,
            FindingContext::file(name::UNIT_GROUP_BOUNDS)
                .entity("hydro", h)
                .field("hydro_unit_group_id")
                .row(first),
            format!("hydro {h} has no unit group {g} ({desc})"),
        )
        .suggest("use the ids of the hydro's `unit_groups` in `system/hydros.json`")
    });
    duplicate_keys(
        sink,
        name::UNIT_GROUP_BOUNDS,
        "(hydro_id, hydro_unit_group_id, stage_id, block_id)",
        rows.iter()
            .map(|(r, b)| (*r, (b.hydro.0, b.group, b.stage.0, b.block))),
    );
}

/// Where a finding about the unit groups of a hydro is.
fn unit_groups_ctx(file: &'static str, hydro: i32) -> FindingContext {
    FindingContext::file(file)
        .entity("hydro", hydro)
        .field("unit_groups")
}

/// Diversion targets exist; a hydro declares each unit group once.
fn hydro_equipment(d: &CaseData, ids: &AllIds, sink: &mut Sink) {
    let Some(r) = &d.hydros else { return };
    for h in &r.items {
        let id = h.hydro.id.0;
        if let Some(div) = &h.hydro.diversion {
            check_ref(
                sink,
                &ids.hydro,
                r.file,
                ("hydro", id),
                "diversion.downstream_id",
                div.downstream.0,
            );
        }
        let mut seen = BTreeSet::new();
        for g in &h.hydro.unit_groups {
            if !seen.insert(g.id) {
                sink.push(err(
                    Layer::Referential,
                    FindingKind::DuplicateId,
                    unit_groups_ctx(r.file, id),
                    format!("hydro {id} declares unit group {} more than once", g.id),
                ));
            }
        }
    }
}

/// Layer 4: stage and block ids of the bound rows.
pub(crate) fn dimensional(d: &CaseData, st: &StagesData, sink: &mut Sink) {
    let p = &d.pumping;
    let pumping: Vec<(usize, i32, Option<i32>)> = p
        .bounds
        .get()
        .map(|v| v.iter().map(|(r, b)| (*r, b.stage.0, b.block)).collect())
        .unwrap_or_default();
    let groups: Vec<(usize, i32, Option<i32>)> = p
        .unit_group_bounds
        .get()
        .map(|v| v.iter().map(|(r, b)| (*r, b.stage.0, b.block)).collect())
        .unwrap_or_default();
    for (file, rows) in [
        (name::PUMPING_BOUNDS, pumping),
        (name::UNIT_GROUP_BOUNDS, groups),
    ] {
        stage_rows(
            sink,
            st,
            file,
            Scope::Study,
            rows.iter().map(|&(r, s, _)| (r, s)),
        );
        let mut bad = RowGroups::new();
        for &(r, s, b) in &rows {
            let (Some(b), Some(stage)) = (b, st.stage(s)) else {
                continue;
            };
            if outside_blocks(b, stage.blocks.len()) {
                bad.add((s, b), r);
            }
        }
        bad.emit(sink, |(s, b), first, desc| {
            err(
                Layer::Dimensional,
                FindingKind::StageMismatch,
                FindingContext::file(file)
                    .field("block_id")
                    .stage(s)
                    .row(first),
                format!("block_id {b} ({desc}) is not a block of stage {s}"),
            )
        });
    }
}

/// A layer-5 capacity violation.
fn capacity(ctx: FindingContext, msg: String) -> Finding {
    err(Layer::Semantic, FindingKind::CapacityViolation, ctx, msg)
}

/// Layer 5: bounds ordering and the unit-group envelope.
pub(crate) fn semantic(d: &CaseData, sink: &mut Sink) {
    station_flows(d, sink);
    unit_group_envelopes(d, sink);
    diversion_bounds(d, sink);
}

/// A station's minimum flow does not exceed its maximum, in
/// `pumping_stations.json` and in each row of `pumping_bounds.parquet`.
fn station_flows(d: &CaseData, sink: &mut Sink) {
    if let Some(r) = &d.pumping.stations {
        for s in &r.items {
            let st = &s.station;
            if st.min_flow_m3s > st.max_flow_m3s {
                sink.push(capacity(
                    FindingContext::file(r.file)
                        .entity("pumping station", st.id.0)
                        .field("flow"),
                    format!(
                        "pumping station {}: min_m3s ({}) exceeds max_m3s ({})",
                        st.id.0, st.min_flow_m3s, st.max_flow_m3s
                    ),
                ));
            }
        }
    }
    let Some(rows) = d.pumping.bounds.get() else {
        return;
    };
    for (r, b) in rows {
        if let (Some(lo), Some(hi)) = (b.min_m3s, b.max_m3s) {
            if lo > hi {
                sink.push(capacity(
                    FindingContext::file(name::PUMPING_BOUNDS)
                        .entity("pumping station", b.station.0)
                        .stage(b.stage.0)
                        .row(*r),
                    format!("min_m3s ({lo}) exceeds max_m3s ({hi})"),
                ));
            }
        }
    }
}

/// The unit groups of a plant add up to no more than the plant, and each
/// group's minimums do not exceed its maximums.
fn unit_group_envelopes(d: &CaseData, sink: &mut Sink) {
    let Some(r) = &d.hydros else { return };
    for h in &r.items {
        let x = &h.hydro;
        if x.unit_groups.len() > 1 {
            for (what, sum, plant) in [
                (
                    "max_turbined_m3s",
                    x.unit_groups
                        .iter()
                        .map(|g| g.max_turbined_m3s)
                        .sum::<f64>(),
                    x.max_turbined_m3s,
                ),
                (
                    "max_generation_mw",
                    x.unit_groups
                        .iter()
                        .map(|g| g.max_generation_mw)
                        .sum::<f64>(),
                    x.max_generation_mw,
                ),
            ] {
                if sum > plant * (1.0 + 1e-9) + 1e-9 {
                    sink.push(
                        capacity(
                            unit_groups_ctx(r.file, x.id.0),
                            format!(
                                "hydro {}: the unit groups' {what} add up to {sum}, more than the plant's {plant} (the plant is the envelope of its groups)",
                                x.id.0
                            ),
                        )
                        .suggest("lower the groups' limits or raise the plant's"),
                    );
                }
            }
        }
        for g in &x.unit_groups {
            if g.min_turbined_m3s > g.max_turbined_m3s || g.min_generation_mw > g.max_generation_mw
            {
                sink.push(capacity(
                    unit_groups_ctx(r.file, x.id.0),
                    format!(
                        "hydro {} unit group {}: a minimum exceeds its maximum",
                        x.id.0, g.id
                    ),
                ));
            }
        }
    }
}

/// A diversion's minimum does not exceed its maximum in `hydro_bounds.parquet`.
fn diversion_bounds(d: &CaseData, sink: &mut Sink) {
    let Some(rows) = d.bounds.hydro.get() else {
        return;
    };
    for b in rows {
        if let (Some(lo), Some(hi)) = (b.get("min_diversion_m3s"), b.get("max_diversion_m3s")) {
            if lo > hi {
                sink.push(capacity(
                    FindingContext::file(name::HYDRO_BOUNDS)
                        .entity("hydro", b.hydro)
                        .stage(b.stage)
                        .row(b.row),
                    format!("min_diversion_m3s ({lo}) exceeds max_diversion_m3s ({hi})"),
                ));
            }
        }
    }
}
