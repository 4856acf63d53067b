//! Layer 4: stage × entity coverage, stage and block ids.

use super::{err, warn, RowGroups};
use crate::files::{name, CaseFiles};
use crate::reader::{CaseData, StagesData};
use crate::report::{FindingContext, FindingKind, Layer, Sink};
use crate::util::list_ids;
use std::collections::{BTreeMap, BTreeSet};

const L: Layer = Layer::Dimensional;

/// `(lag, residual_std_ratio, row)` of one AR row.
type Lag = (u32, f64, usize);

/// Which stage ids a file may name.
#[derive(Clone, Copy)]
pub(super) enum Scope {
    Study,
    StudyOrPreStudy,
}

/// Reports rows naming a stage the study does not have (one finding per stage id).
pub(super) fn stage_rows(
    sink: &mut Sink,
    st: &StagesData,
    file: &'static str,
    scope: Scope,
    rows: impl Iterator<Item = (usize, i32)>,
) {
    let mut groups = RowGroups::new();
    for (r, s) in rows {
        let ok = match scope {
            Scope::Study => st.is_study(s),
            Scope::StudyOrPreStudy => st.is_known(s),
        };
        if !ok {
            groups.add(s, r);
        }
    }
    groups.emit(sink, |s, first, desc| {
        let what = match scope {
            Scope::Study => "a study stage",
            Scope::StudyOrPreStudy => "a study or pre-study stage",
        };
        err(
            L,
            FindingKind::StageMismatch,
            FindingContext::file(file)
                .field("stage_id")
                .stage(s)
                .row(first),
            format!("stage_id {s} ({desc}) is not {what} of `stages.json`"),
        )
        .suggest(format!(
            "use the stage ids of `stages.json`: {}",
            list_ids(&st.stage_ids)
        ))
    });
}

/// Reports entities lacking rows for some study stages.
fn coverage(
    sink: &mut Sink,
    st: &StagesData,
    file: &'static str,
    kind: &str,
    entities: &[i32],
    have: &BTreeSet<(i32, i32)>,
) {
    for e in entities {
        let missing: Vec<i32> = st
            .stage_ids
            .iter()
            .copied()
            .filter(|s| !have.contains(&(*e, *s)))
            .collect();
        if let Some(first) = missing.first() {
            sink.push(
                err(
                    L,
                    FindingKind::CoverageMismatch,
                    FindingContext::file(file).entity(kind, *e).stage(*first),
                    format!(
                        "{kind} {e} has no row for stage(s) {} in `{file}`; every {kind} needs one per study stage",
                        list_ids(&missing)
                    ),
                )
                .suggest(format!("add the rows of {kind} {e}")),
            );
        }
    }
}

fn stage_references(d: &CaseData, st: &StagesData, sink: &mut Sink) {
    let s = &d.scenarios;
    if let Some(v) = s.inflow_stats.get() {
        stage_rows(
            sink,
            st,
            name::INFLOW_STATS,
            Scope::StudyOrPreStudy,
            v.iter().map(|(r, x)| (*r, x.stage.0)),
        );
    }
    if let Some(v) = s.load_stats.get() {
        stage_rows(
            sink,
            st,
            name::LOAD_STATS,
            Scope::StudyOrPreStudy,
            v.iter().map(|(r, x)| (*r, x.stage.0)),
        );
    }
    if let Some(v) = s.ncs_stats.get() {
        stage_rows(
            sink,
            st,
            name::NCS_STATS,
            Scope::StudyOrPreStudy,
            v.iter().map(|(r, x)| (*r, x.stage.0)),
        );
    }
    if let Some(v) = s.ar.get() {
        stage_rows(
            sink,
            st,
            name::AR,
            Scope::StudyOrPreStudy,
            v.iter().map(|(r, x)| (*r, x.stage.0)),
        );
    }
    for (file, rows) in [
        (
            name::EXTERNAL_INFLOW,
            s.external_inflow
                .get()
                .map(|v| v.iter().map(|(r, x)| (*r, x.stage.0)).collect::<Vec<_>>()),
        ),
        (
            name::EXTERNAL_LOAD,
            s.external_load
                .get()
                .map(|v| v.iter().map(|(r, x)| (*r, x.stage.0)).collect()),
        ),
        (
            name::EXTERNAL_NCS,
            s.external_ncs
                .get()
                .map(|v| v.iter().map(|(r, x)| (*r, x.stage.0)).collect()),
        ),
        (
            name::LOAD_FACTORS,
            s.load_factors
                .get()
                .map(|v| v.iter().map(|(r, x)| (*r, x.stage.0)).collect()),
        ),
        (
            name::NCS_FACTORS,
            s.ncs_factors
                .get()
                .map(|v| v.iter().map(|(r, x)| (*r, x.stage.0)).collect()),
        ),
        (
            name::THERMAL_BOUNDS,
            d.bounds
                .thermal
                .get()
                .map(|v| v.iter().map(|x| (x.row, x.stage)).collect()),
        ),
        (
            name::HYDRO_BOUNDS,
            d.bounds
                .hydro
                .get()
                .map(|v| v.iter().map(|x| (x.row, x.stage)).collect()),
        ),
        (
            name::LINE_BOUNDS,
            d.bounds
                .line
                .get()
                .map(|v| v.iter().map(|x| (x.row, x.stage)).collect()),
        ),
        (
            name::NCS_BOUNDS,
            d.bounds
                .ncs
                .get()
                .map(|v| v.iter().map(|x| (x.row, x.stage)).collect()),
        ),
        (
            name::PENALTY_BUS,
            d.penalty_overrides
                .bus
                .get()
                .map(|v| v.iter().map(|x| (x.row, x.stage)).collect()),
        ),
        (
            name::PENALTY_LINE,
            d.penalty_overrides
                .line
                .get()
                .map(|v| v.iter().map(|x| (x.row, x.stage)).collect()),
        ),
        (
            name::PENALTY_NCS,
            d.penalty_overrides
                .ncs
                .get()
                .map(|v| v.iter().map(|x| (x.row, x.stage)).collect()),
        ),
        (
            name::PENALTY_HYDRO,
            d.penalty_overrides
                .hydro
                .get()
                .map(|v| v.iter().map(|x| (x.row, x.stage)).collect()),
        ),
        (
            name::GENERIC_BOUNDS,
            d.generic
                .bounds
                .get()
                .map(|v| v.iter().map(|(r, x)| (*r, x.stage.0)).collect()),
        ),
        (
            name::FPHA,
            d.hydro_system.fpha.get().map(|v| {
                v.iter()
                    .filter_map(|(r, x)| x.stage.map(|s| (*r, s.0)))
                    .collect()
            }),
        ),
        (
            name::PRODUCTIVITY,
            d.hydro_system.productivity.get().map(|v| {
                v.iter()
                    .filter_map(|(r, x)| x.stage.map(|s| (*r, s.0)))
                    .collect()
            }),
        ),
    ] {
        if let Some(rows) = rows {
            stage_rows(sink, st, file, Scope::Study, rows.into_iter());
        }
    }
    if let Some(c) = s.correlation.get() {
        stage_rows(
            sink,
            st,
            name::CORRELATION,
            Scope::Study,
            c.schedule.iter().map(|(i, s, _)| (*i, *s)),
        );
    }
}

fn stats_coverage(d: &CaseData, st: &StagesData, sink: &mut Sink) {
    let s = &d.scenarios;
    let ids = |r: Option<Vec<i32>>| {
        let mut v = r.unwrap_or_default();
        v.sort_unstable();
        v.dedup();
        v
    };
    let hydros = ids(d.hydros.as_ref().map(|r| r.ids.clone()));
    let buses = ids(d.buses.as_ref().map(|r| r.ids.clone()));
    let ncs = ids(d.ncs.as_ref().map(|r| r.ids.clone()));
    if let Some(v) = s.inflow_stats.get() {
        let have = v.iter().map(|(_, x)| (x.entity.0, x.stage.0)).collect();
        coverage(sink, st, name::INFLOW_STATS, "hydro", &hydros, &have);
    }
    if let Some(v) = s.load_stats.get() {
        let have = v.iter().map(|(_, x)| (x.entity.0, x.stage.0)).collect();
        coverage(sink, st, name::LOAD_STATS, "bus", &buses, &have);
    }
    if let Some(v) = s.ncs_stats.get() {
        let have = v.iter().map(|(_, x)| (x.entity.0, x.stage.0)).collect();
        coverage(
            sink,
            st,
            name::NCS_STATS,
            "non-controllable source",
            &ncs,
            &have,
        );
    }
    if let Some(ar) = s.ar.get() {
        if matches!(s.inflow_stats, crate::reader::Src::Absent) {
            sink.push(
                err(
                    L,
                    FindingKind::CoverageMismatch,
                    FindingContext::file(name::AR),
                    format!("AR coefficients are given but `{}` is missing: the PAR model needs the seasonal statistics", name::INFLOW_STATS),
                )
                .suggest(format!("add `{}`", name::INFLOW_STATS)),
            );
        }
        let mut groups: BTreeMap<(i32, i32), Vec<Lag>> = BTreeMap::new();
        for (r, a) in ar {
            groups.entry((a.hydro.0, a.stage.0)).or_default().push((
                a.lag,
                a.residual_std_ratio,
                *r,
            ));
        }
        for ((h, stage), mut lags) in groups {
            lags.sort_by_key(|l| l.0);
            let got: Vec<u32> = lags.iter().map(|l| l.0).collect();
            let expected: Vec<u32> = (1..).take(got.len()).collect();
            let first_row = lags.first().map_or(0, |l| l.2);
            let ctx = FindingContext::file(name::AR)
                .entity("hydro", h)
                .stage(stage)
                .field("lag")
                .row(first_row);
            if got != expected {
                sink.push(err(
                    L,
                    FindingKind::CoverageMismatch,
                    ctx.clone(),
                    format!("hydro {h} at stage {stage} has lags {got:?}; lags must be 1..=p without gaps"),
                ));
            }
            let ratios: Vec<f64> = lags.iter().map(|l| l.1).collect();
            if ratios.windows(2).any(|w| (w[0] - w[1]).abs() > 1e-12) {
                sink.push(warn(
                    L,
                    FindingKind::CoverageMismatch,
                    ctx.clone().field("residual_std_ratio"),
                    format!("hydro {h} at stage {stage}: `residual_std_ratio` differs between lags; the first lag's value is used"),
                ));
            }
            if st.is_study(stage) {
                // Without `season_definitions` each stage is its own season
                // period (its lag l is the l-th stage before it), but a stage
                // without a season never moves the lags.
                let season = st.stage(stage).and_then(|s| s.season);
                if season.is_none() {
                    sink.push(
                        err(
                            L,
                            FindingKind::StageMismatch,
                            FindingContext::file(name::STAGES).entity("stage", stage).field("season_id"),
                            format!("stage {stage} carries AR terms (hydro {h}) but has no `season_id`: its lags would never move"),
                        )
                        .suggest("give every stage a `season_id`"),
                    );
                }
            }
        }
    }
}

fn external_coverage(d: &CaseData, st: &StagesData, sink: &mut Sink) {
    let s = &d.scenarios;
    let sets = [
        (
            name::EXTERNAL_INFLOW,
            "hydro",
            d.hydros.as_ref().map(|r| r.ids.clone()),
            s.external_inflow.get().map(|v| {
                v.iter()
                    .map(|(_, x)| (x.stage.0, x.scenario, x.entity.0))
                    .collect::<Vec<_>>()
            }),
        ),
        (
            name::EXTERNAL_LOAD,
            "bus",
            d.buses.as_ref().map(|r| r.ids.clone()),
            s.external_load.get().map(|v| {
                v.iter()
                    .map(|(_, x)| (x.stage.0, x.scenario, x.entity.0))
                    .collect()
            }),
        ),
        (
            name::EXTERNAL_NCS,
            "non-controllable source",
            d.ncs.as_ref().map(|r| r.ids.clone()),
            s.external_ncs.get().map(|v| {
                v.iter()
                    .map(|(_, x)| (x.stage.0, x.scenario, x.entity.0))
                    .collect()
            }),
        ),
    ];
    for (file, kind, entities, rows) in sets {
        let (Some(entities), Some(rows)) = (entities, rows) else {
            continue;
        };
        let stages_with: BTreeSet<i32> = rows.iter().map(|r| r.0).collect();
        let missing: Vec<i32> = st
            .stage_ids
            .iter()
            .copied()
            .filter(|s| !stages_with.contains(s))
            .collect();
        if let Some(first) = missing.first() {
            sink.push(err(
                L,
                FindingKind::CoverageMismatch,
                FindingContext::file(file).stage(*first),
                format!("the external library has no scenario for stage(s) {}; every study stage needs at least one", list_ids(&missing)),
            ));
        }
        let mut by_scenario: BTreeMap<(i32, u32), BTreeSet<i32>> = BTreeMap::new();
        for (stage, scen, e) in &rows {
            by_scenario.entry((*stage, *scen)).or_default().insert(*e);
        }
        for ((stage, scen), have) in by_scenario {
            let lacking: Vec<i32> = entities
                .iter()
                .copied()
                .filter(|e| !have.contains(e))
                .collect();
            if let Some(first) = lacking.first() {
                sink.push(err(
                    L,
                    FindingKind::CoverageMismatch,
                    FindingContext::file(file).entity(kind, *first).stage(stage),
                    format!(
                        "scenario {scen} of stage {stage} has no value for {kind}(s) {}",
                        list_ids(&lacking)
                    ),
                ));
            }
        }
    }
}

fn block_ids(d: &CaseData, st: &StagesData, sink: &mut Sink) {
    let blocks_of = |s: i32| -> Option<usize> { st.stage(s).map(|x| x.blocks.len()) };
    let s = &d.scenarios;
    let lists = [
        (
            name::LOAD_FACTORS,
            "bus",
            s.load_factors.get().map(|v| {
                v.iter()
                    .map(|(i, f)| (*i, f.entity.0, f.stage.0, f.factors.clone()))
                    .collect::<Vec<_>>()
            }),
        ),
        (
            name::NCS_FACTORS,
            "non-controllable source",
            s.ncs_factors.get().map(|v| {
                v.iter()
                    .map(|(i, f)| (*i, f.entity.0, f.stage.0, f.factors.clone()))
                    .collect()
            }),
        ),
    ];
    for (file, kind, entries) in lists {
        for (i, id, stage, factors) in entries.unwrap_or_default() {
            let Some(n) = blocks_of(stage) else { continue };
            for (b, _) in factors {
                if b < 0 || usize::try_from(b).is_ok_and(|b| b >= n) {
                    sink.push(err(
                        L,
                        FindingKind::StageMismatch,
                        FindingContext::file(file)
                            .entity(kind, id)
                            .stage(stage)
                            .field("block_id")
                            .row(i),
                        format!(
                            "block_id {b} does not exist in stage {stage} (blocks 0..{})",
                            n.saturating_sub(1)
                        ),
                    ));
                }
            }
        }
    }
    let b = &d.bounds;
    // (file, entity kind, row, entity id, stage id, block id)
    type BoundRow<'a> = (&'static str, &'a str, usize, i32, i32, Option<i32>);
    let rows: Vec<BoundRow<'_>> = [
        b.thermal.get().map(|v| {
            v.iter()
                .map(|x| {
                    (
                        name::THERMAL_BOUNDS,
                        "thermal",
                        x.row,
                        x.thermal,
                        x.stage,
                        x.block,
                    )
                })
                .collect::<Vec<_>>()
        }),
        b.hydro.get().map(|v| {
            v.iter()
                .map(|x| {
                    (
                        name::HYDRO_BOUNDS,
                        "hydro",
                        x.row,
                        x.hydro,
                        x.stage,
                        x.block,
                    )
                })
                .collect()
        }),
        b.line.get().map(|v| {
            v.iter()
                .map(|x| (name::LINE_BOUNDS, "line", x.row, x.line, x.stage, x.block))
                .collect()
        }),
    ]
    .into_iter()
    .flatten()
    .flatten()
    .collect();
    for (file, kind, r, id, stage, block) in rows {
        let (Some(block), Some(n)) = (block, blocks_of(stage)) else {
            continue;
        };
        if block < 0 || usize::try_from(block).is_ok_and(|x| x >= n) {
            sink.push(err(
                L,
                FindingKind::StageMismatch,
                FindingContext::file(file)
                    .entity(kind, id)
                    .stage(stage)
                    .field("block_id")
                    .row(r),
                format!(
                    "block_id {block} does not exist in stage {stage} (blocks 0..{})",
                    n.saturating_sub(1)
                ),
            ));
        }
    }
    let Some(bounds) = d.generic.bounds.get() else {
        return;
    };
    let mut active: BTreeMap<i32, BTreeSet<i32>> = BTreeMap::new();
    for (r, b) in bounds {
        active.entry(b.constraint.0).or_default().insert(b.stage.0);
        let (Some(block), Some(n)) = (b.block, blocks_of(b.stage.0)) else {
            continue;
        };
        if block < 0 || usize::try_from(block).is_ok_and(|x| x >= n) {
            sink.push(err(
                L,
                FindingKind::StageMismatch,
                FindingContext::file(name::GENERIC_BOUNDS)
                    .entity("generic constraint", b.constraint.0)
                    .stage(b.stage.0)
                    .field("block_id")
                    .row(*r),
                format!(
                    "block_id {block} does not exist in stage {} (blocks 0..{})",
                    b.stage.0,
                    n.saturating_sub(1)
                ),
            ));
        }
    }
    if let Some(reg) = &d.generic.constraints {
        for c in &reg.items {
            for t in &c.terms {
                let Some(block) = t.block else { continue };
                for stage in active.get(&c.id.0).into_iter().flatten() {
                    let Some(n) = blocks_of(*stage) else { continue };
                    if usize::try_from(block).is_ok_and(|x| x >= n) {
                        sink.push(err(
                            L,
                            FindingKind::StageMismatch,
                            FindingContext::file(reg.file).entity("generic constraint", c.id.0).stage(*stage).field("expression"),
                            format!("the expression names block {block}, which stage {stage} does not have"),
                        ));
                    }
                }
            }
        }
    }
}

/// Layer 4.
pub(crate) fn check(d: &CaseData, _files: &CaseFiles, sink: &mut Sink) {
    let Some(st) = d.stages.get() else {
        return;
    };
    stage_references(d, st, sink);
    stats_coverage(d, st, sink);
    external_coverage(d, st, sink);
    block_ids(d, st, sink);
    super::production::check(d, st, sink);
    super::parameters::dimensional(d, st, sink);
    super::equipment::dimensional(d, st, sink);
}
