//! Layer 4: stage × entity coverage, stage and block ids.

use super::{err, RowGroups};
use crate::files::{name, CaseFiles};
use crate::reader::{CaseData, Src, StagesData};
use crate::report::{Finding, FindingContext, FindingKind, Layer, Severity, Sink};
use crate::util::list_ids;
use cobre_core::scenario::BlockFactors;
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

/// `(row, stage id)` of every row of a table read with its row indices;
/// `stage` gives a row's stage, `None` for a row of every stage.
fn indexed_stages<T>(
    rows: &Src<Vec<(usize, T)>>,
    stage: impl Fn(&T) -> Option<i32>,
) -> Option<Vec<(usize, i32)>> {
    rows.get().map(|v| {
        v.iter()
            .filter_map(|(r, x)| stage(x).map(|s| (*r, s)))
            .collect()
    })
}

/// `(row, stage id)` of every row of a table whose records carry their row.
fn record_stages<T>(
    rows: &Src<Vec<T>>,
    at: impl Fn(&T) -> (usize, i32),
) -> Option<Vec<(usize, i32)>> {
    rows.get().map(|v| v.iter().map(at).collect())
}

/// A file and the `(row, stage id)` pairs of its rows, when read.
type StageTable = (&'static str, Option<Vec<(usize, i32)>>);

/// Files that may name study and pre-study stages, with their `(row, stage)` pairs.
fn pre_study_tables(d: &CaseData) -> [StageTable; 4] {
    let s = &d.scenarios;
    [
        (
            name::INFLOW_STATS,
            indexed_stages(&s.inflow_stats, |x| Some(x.stage.0)),
        ),
        (
            name::LOAD_STATS,
            indexed_stages(&s.load_stats, |x| Some(x.stage.0)),
        ),
        (
            name::NCS_STATS,
            indexed_stages(&s.ncs_stats, |x| Some(x.stage.0)),
        ),
        (name::AR, indexed_stages(&s.ar, |x| Some(x.stage.0))),
    ]
}

/// Files that may name study stages only, with their `(row, stage)` pairs.
fn study_tables(d: &CaseData) -> [StageTable; 17] {
    let s = &d.scenarios;
    let b = &d.bounds;
    let p = &d.penalty_overrides;
    let hs = &d.hydro_system;
    [
        (
            name::EXTERNAL_INFLOW,
            indexed_stages(&s.external_inflow, |x| Some(x.stage.0)),
        ),
        (
            name::EXTERNAL_LOAD,
            indexed_stages(&s.external_load, |x| Some(x.stage.0)),
        ),
        (
            name::EXTERNAL_NCS,
            indexed_stages(&s.external_ncs, |x| Some(x.stage.0)),
        ),
        (
            name::LOAD_FACTORS,
            indexed_stages(&s.load_factors, |x| Some(x.stage.0)),
        ),
        (
            name::NCS_FACTORS,
            indexed_stages(&s.ncs_factors, |x| Some(x.stage.0)),
        ),
        (
            name::THERMAL_BOUNDS,
            record_stages(&b.thermal, |x| (x.row, x.stage)),
        ),
        (
            name::HYDRO_BOUNDS,
            record_stages(&b.hydro, |x| (x.row, x.stage)),
        ),
        (
            name::LINE_BOUNDS,
            record_stages(&b.line, |x| (x.row, x.stage)),
        ),
        (
            name::NCS_BOUNDS,
            record_stages(&b.ncs, |x| (x.row, x.stage)),
        ),
        (
            name::PENALTY_BUS,
            record_stages(&p.bus, |x| (x.row, x.stage)),
        ),
        (
            name::PENALTY_LINE,
            record_stages(&p.line, |x| (x.row, x.stage)),
        ),
        (
            name::PENALTY_NCS,
            record_stages(&p.ncs, |x| (x.row, x.stage)),
        ),
        (
            name::PENALTY_HYDRO,
            record_stages(&p.hydro, |x| (x.row, x.stage)),
        ),
        (
            name::GENERIC_BOUNDS,
            indexed_stages(&d.generic.bounds, |x| Some(x.stage.0)),
        ),
        (
            name::FPHA,
            indexed_stages(&hs.fpha, |x| x.stage.map(|s| s.0)),
        ),
        (
            name::PRODUCTIVITY,
            indexed_stages(&hs.productivity, |x| x.stage.map(|s| s.0)),
        ),
        (
            name::CORRELATION,
            s.correlation
                .get()
                .map(|c| c.schedule.iter().map(|(i, s, _)| (*i, *s)).collect()),
        ),
    ]
}

/// Rows naming a stage the study does not have, file by file.
fn stage_references(d: &CaseData, st: &StagesData, sink: &mut Sink) {
    let pre_study = pre_study_tables(d).map(|(f, rows)| (f, Scope::StudyOrPreStudy, rows));
    let study = study_tables(d).map(|(f, rows)| (f, Scope::Study, rows));
    for (file, scope, rows) in pre_study.into_iter().chain(study) {
        if let Some(rows) = rows {
            stage_rows(sink, st, file, scope, rows.into_iter());
        }
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
                sink.push(Finding::new(
Severity::Warning,FindingKind::CoverageMismatch, L,
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

/// Whether `block` is not one of the `n` blocks (`0..n`) of a stage.
pub(super) fn outside_blocks(block: i32, n: usize) -> bool {
    block < 0 || usize::try_from(block).is_ok_and(|x| x >= n)
}

/// A `block_id` one row gives for one entity at one stage.
pub(super) struct BlockRef<'a> {
    /// The file of the row.
    pub file: &'static str,
    /// Entity kind.
    pub kind: &'a str,
    /// Entity id.
    pub id: i32,
    /// Stage id.
    pub stage: i32,
    /// The row.
    pub row: usize,
}

impl BlockRef<'_> {
    /// Where a finding about the block id is: the entity, the stage, the row.
    pub(super) fn context(&self) -> FindingContext {
        FindingContext::file(self.file)
            .entity(self.kind, self.id)
            .stage(self.stage)
            .field("block_id")
            .row(self.row)
    }

    /// Reports `block` when it is not one of the stage's `n` blocks.
    fn check(&self, sink: &mut Sink, block: i32, n: usize) {
        if outside_blocks(block, n) {
            sink.push(err(
                L,
                FindingKind::StageMismatch,
                self.context(),
                format!(
                    "block_id {block} does not exist in stage {} (blocks 0..{})",
                    self.stage,
                    n.saturating_sub(1)
                ),
            ));
        }
    }
}

/// The number of blocks of a stage, when the study has it.
fn blocks_of(st: &StagesData, stage: i32) -> Option<usize> {
    st.stage(stage).map(|x| x.blocks.len())
}

/// Block ids of every stage-dependent table, and blocks named by generic
/// constraint expressions.
fn block_ids(d: &CaseData, st: &StagesData, sink: &mut Sink) {
    factor_blocks(d, st, sink);
    bound_blocks(d, st, sink);
    generic_blocks(d, st, sink);
}

/// A row of a block-factor file: where its block ids are, and its
/// `(block id, factor)` pairs.
pub(super) type FactorRow<'a> = (BlockRef<'static>, &'a [(i32, f64)]);

/// The rows of a block-factor file (none when not read); `id` gives an
/// entity's id.
fn factor_rows<'a, Id>(
    rows: &'a Src<Vec<(usize, BlockFactors<Id>)>>,
    file: &'static str,
    kind: &'static str,
    id: impl Fn(&Id) -> i32,
) -> Vec<FactorRow<'a>> {
    let Some(rows) = rows.get() else {
        return Vec::new();
    };
    rows.iter()
        .map(|(row, f)| {
            let at = BlockRef {
                file,
                kind,
                id: id(&f.entity),
                stage: f.stage.0,
                row: *row,
            };
            (at, f.factors.as_slice())
        })
        .collect()
}

/// The rows of the load and of the non-controllable factor files.
pub(super) fn factor_files(d: &CaseData) -> [Vec<FactorRow<'_>>; 2] {
    let s = &d.scenarios;
    [
        factor_rows(&s.load_factors, name::LOAD_FACTORS, "bus", |b| b.0),
        factor_rows(
            &s.ncs_factors,
            name::NCS_FACTORS,
            "non-controllable source",
            |n| n.0,
        ),
    ]
}

/// The blocks of the load and non-controllable factor files.
fn factor_blocks(d: &CaseData, st: &StagesData, sink: &mut Sink) {
    for (at, factors) in factor_files(d).into_iter().flatten() {
        let Some(n) = blocks_of(st, at.stage) else {
            continue;
        };
        for (b, _) in factors {
            at.check(sink, *b, n);
        }
    }
}

/// The block-id locations of the rows of a bound file, each with its block
/// id; `at` gives a row's `(entity id, stage id, row, block id)`.
fn bound_refs<'a, T>(
    rows: &Src<Vec<T>>,
    file: &'static str,
    kind: &'a str,
    at: impl Fn(&T) -> (i32, i32, usize, Option<i32>),
) -> Vec<(BlockRef<'a>, Option<i32>)> {
    let Some(rows) = rows.get() else {
        return Vec::new();
    };
    rows.iter()
        .map(|x| {
            let (id, stage, row, block) = at(x);
            let r = BlockRef {
                file,
                kind,
                id,
                stage,
                row,
            };
            (r, block)
        })
        .collect()
}

/// The blocks of the thermal, hydro and line bound files.
fn bound_blocks(d: &CaseData, st: &StagesData, sink: &mut Sink) {
    let b = &d.bounds;
    let files = [
        bound_refs(&b.thermal, name::THERMAL_BOUNDS, "thermal", |x| {
            (x.thermal, x.stage, x.row, x.block)
        }),
        bound_refs(&b.hydro, name::HYDRO_BOUNDS, "hydro", |x| {
            (x.hydro, x.stage, x.row, x.block)
        }),
        bound_refs(&b.line, name::LINE_BOUNDS, "line", |x| {
            (x.line, x.stage, x.row, x.block)
        }),
    ];
    for (at, block) in files.into_iter().flatten() {
        if let (Some(block), Some(n)) = (block, blocks_of(st, at.stage)) {
            at.check(sink, block, n);
        }
    }
}

/// The blocks of `generic_constraint_bounds.parquet`, and those the
/// expressions name at the stages where their constraint is active.
fn generic_blocks(d: &CaseData, st: &StagesData, sink: &mut Sink) {
    let Some(bounds) = d.generic.bounds.get() else {
        return;
    };
    let mut active: BTreeMap<i32, BTreeSet<i32>> = BTreeMap::new();
    for (r, b) in bounds {
        active.entry(b.constraint.0).or_default().insert(b.stage.0);
        let (Some(block), Some(n)) = (b.block, blocks_of(st, b.stage.0)) else {
            continue;
        };
        let at = BlockRef {
            file: name::GENERIC_BOUNDS,
            kind: "generic constraint",
            id: b.constraint.0,
            stage: b.stage.0,
            row: *r,
        };
        at.check(sink, block, n);
    }
    let Some(reg) = &d.generic.constraints else {
        return;
    };
    for c in &reg.items {
        for t in &c.terms {
            let Some(block) = t.block else { continue };
            for stage in active.get(&c.id.0).into_iter().flatten() {
                let Some(n) = blocks_of(st, *stage) else {
                    continue;
                };
                if usize::try_from(block).is_ok_and(|x| x >= n) {
                    sink.push(err(
                        L,
                        FindingKind::StageMismatch,
                        FindingContext::file(reg.file)
                            .entity("generic constraint", c.id.0)
                            .stage(*stage)
                            .field("expression"),
                        format!(
                            "the expression names block {block}, which stage {stage} does not have"
                        ),
                    ));
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
