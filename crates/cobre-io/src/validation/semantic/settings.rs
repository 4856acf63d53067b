//! Semantic rules about penalties, stages, settings, correlation and
//! generic constraints.

use crate::files::name;
use crate::reader::{CaseData, Src};
use crate::report::{Finding, FindingContext, FindingKind, Layer, Severity, Sink};
use crate::util::list_ids;
use crate::validation::{err, per_hydro};
use cobre_core::config::{SamplingScheme, SelectionMethod, StoppingRuleConfig};
use cobre_core::{DeficitSegment, HydroPenalties};
use std::collections::BTreeSet;

const L: Layer = Layer::Semantic;

/// `(hydro id, value that should be higher, value that should be lower)`.
type Pair = (i32, f64, f64);

fn increasing_deficit(sink: &mut Sink, ctx: FindingContext, owner: &str, segs: &[DeficitSegment]) {
    for (i, w) in segs.windows(2).enumerate() {
        if w[1].cost_per_mwh <= w[0].cost_per_mwh {
            sink.push(
                err(
                    L,
                    FindingKind::PenaltyConsistency,
                    ctx.clone().path(format!("deficit_segments[{}].cost", i + 1)).field("cost"),
                    format!(
                        "{owner}: deficit segment {} costs {} but segment {i} already costs {}; deeper deficit must cost more",
                        i + 1,
                        w[1].cost_per_mwh,
                        w[0].cost_per_mwh
                    ),
                )
                .suggest("order the segments by strictly increasing cost"),
            );
        }
    }
}

/// Deficit segments strictly increasing; the recommended penalty ordering
/// (filling > storage > deficit > operational violations > regularisation),
/// reported once per rule as a warning with the worst hydro.
pub(crate) fn penalties(d: &CaseData, sink: &mut Sink) {
    let Some(global) = d.penalties.get() else {
        return;
    };
    increasing_deficit(
        sink,
        FindingContext::file(name::PENALTIES).entity_kind("bus"),
        "global bus penalties",
        &global.deficit_segments,
    );
    let mut max_deficit = global
        .deficit_segments
        .iter()
        .map(|s| s.cost_per_mwh)
        .fold(0.0, f64::max);
    if let Some(r) = &d.buses {
        for b in &r.items {
            if let Some(segs) = &b.deficit {
                increasing_deficit(
                    sink,
                    FindingContext::file(r.file).entity("bus", b.bus.id.0),
                    &format!("bus {}", b.bus.id.0),
                    segs,
                );
                max_deficit = segs
                    .iter()
                    .map(|s| s.cost_per_mwh)
                    .fold(max_deficit, f64::max);
            }
        }
    }
    let hydros: Vec<(i32, HydroPenalties)> = per_hydro(d, |h| {
        let mut p = global.hydro;
        h.overrides.apply(&mut p);
        (h.hydro.id.0, p)
    });
    // Operational violations must cost less than shedding load, and more
    // than the regularisation costs they compete with.
    let operational = |p: &HydroPenalties| {
        [
            p.generation_violation_below_cost,
            p.turbined_violation_below_cost,
            p.outflow_violation_below_cost,
            p.outflow_violation_above_cost,
        ]
    };
    let regularisation = |p: &HydroPenalties| [p.spillage_cost, p.turbined_cost, p.diversion_cost];
    let rules: [(&str, Vec<Pair>); 2] = [
        (
            "max deficit cost > operational violation costs (generation, turbined, outflow)",
            hydros
                .iter()
                .map(|(id, p)| {
                    (
                        *id,
                        max_deficit,
                        operational(p).into_iter().fold(0.0, f64::max),
                    )
                })
                .collect(),
        ),
        (
            "operational violation costs > regularisation costs (spillage, turbined, diversion)",
            hydros
                .iter()
                .map(|(id, p)| {
                    (
                        *id,
                        operational(p).into_iter().fold(f64::INFINITY, f64::min),
                        regularisation(p).into_iter().fold(0.0, f64::max),
                    )
                })
                .collect(),
        ),
    ];
    for (rule, values) in rules {
        let bad: Vec<(i32, f64, f64)> = values.into_iter().filter(|(_, hi, lo)| hi <= lo).collect();
        let Some(worst) = bad
            .iter()
            .max_by(|a, b| (a.2 - a.1).total_cmp(&(b.2 - b.1)))
        else {
            continue;
        };
        let ids: Vec<i32> = bad.iter().map(|b| b.0).collect();
        sink.push(
            Finding::new(
Severity::Warning,FindingKind::PenaltyConsistency, L,
                FindingContext::file(name::PENALTIES).entity("hydro", worst.0),
                format!(
                    "penalty ordering: {rule} does not hold for hydro(s) {} (worst: hydro {}, {} vs {})",
                    list_ids(&ids),
                    worst.0,
                    worst.1,
                    worst.2
                ),
            )
            .suggest("rank violation penalties deficit > operational limits > regularisation, so the LP sheds load only as a last resort"),
        );
    }
}

/// Stage dates, block hours, policy-graph probabilities.
pub(crate) fn stages(d: &CaseData, sink: &mut Sink) {
    let Some(st) = d.stages.get() else { return };
    let mut stages: Vec<&cobre_core::Stage> = st.horizon.stages.iter().collect();
    stages.sort_by_key(|s| s.id);
    for w in stages.windows(2) {
        let (a, b) = (w[0], w[1]);
        let ctx = FindingContext::file(name::STAGES)
            .entity("stage", b.id.0)
            .stage(b.id.0)
            .field("start_date");
        // Overlapping, out of order or leaving a gap: one warning at most.
        let problem = if b.start_date < a.start_date {
            Some(format!(
                "stage {} starts on {}, before stage {} ({})",
                b.id.0, b.start_date, a.id.0, a.start_date
            ))
        } else if b.start_date < a.end_date {
            Some(format!(
                "stage {} starts on {}, before stage {} ends ({})",
                b.id.0, b.start_date, a.id.0, a.end_date
            ))
        } else if b.start_date > a.end_date {
            Some(format!(
                "stage {} starts on {}, {} day(s) after stage {} ends",
                b.id.0,
                b.start_date,
                (b.start_date - a.end_date).num_days(),
                a.id.0
            ))
        } else {
            None
        };
        if let Some(msg) = problem {
            sink.push(Finding::new(
                Severity::Warning,
                FindingKind::StageMismatch,
                L,
                ctx,
                msg,
            ));
        }
    }
    for s in &stages {
        let hours = s.total_hours();
        let span = s.duration_days().saturating_mul(24);
        #[allow(clippy::cast_precision_loss)]
        let span_h = span as f64;
        if hours > span_h + 1e-6 {
            sink.push(Finding::new(
Severity::Warning,FindingKind::StageMismatch, L,
                FindingContext::file(name::STAGES).entity("stage", s.id.0).stage(s.id.0).field("blocks"),
                format!("the blocks of stage {} sum to {hours} h, more than the {span_h} h between its dates", s.id.0)));
        }
    }
    if let Some(first) = stages.first() {
        for p in &st.horizon.pre_study_stages {
            if p.start_date >= first.start_date {
                sink.push(err(
                    L,
                    FindingKind::StageMismatch,
                    FindingContext::file(name::STAGES)
                        .entity("pre-study stage", p.id.0)
                        .stage(p.id.0)
                        .field("start_date"),
                    format!(
                        "pre-study stage {} starts on {}, not before the study's first stage ({})",
                        p.id.0, p.start_date, first.start_date
                    ),
                ));
            }
        }
    }
}

/// An error about the setting at `path` of `config.json`, with a hint.
pub(super) fn setting(sink: &mut Sink, kind: FindingKind, path: &str, msg: String, hint: &str) {
    let field = path.rsplit('.').next().unwrap_or(path);
    sink.push(
        err(
            L,
            kind,
            FindingContext::file(name::CONFIG).path(path).field(field),
            msg,
        )
        .suggest(hint),
    );
}

fn available<T>(src: &Src<T>) -> bool {
    !matches!(src, Src::Absent)
}

/// Settings of `config.json`.
pub(crate) fn config(d: &CaseData, sink: &mut Sink) {
    let Some(c) = d.config.get() else { return };
    let t = &c.config.training;
    if c.sampled_forward && t.forward_passes == 0 {
        setting(
            sink,
            FindingKind::OutOfRange,
            "training.selection.forward_passes",
            "`forward_passes` is 0: each iteration needs at least one forward scenario".into(),
            "set forward_passes ≥ 1",
        );
    }
    if t.stopping_rules.is_empty() {
        setting(
            sink,
            FindingKind::IncompatibleSettings,
            "training.stopping_rules",
            "no stopping rule is given: training would never stop".into(),
            "add {\"type\": \"iteration_limit\", \"limit\": N}",
        );
    } else if !t
        .stopping_rules
        .iter()
        .any(|r| matches!(r, StoppingRuleConfig::IterationLimit { .. }))
    {
        setting(
            sink,
            FindingKind::IncompatibleSettings,
            "training.stopping_rules",
            "the stopping rules have no `iteration_limit`: it is required to bound the run".into(),
            "add {\"type\": \"iteration_limit\", \"limit\": N}",
        );
    }
    for (i, r) in t.stopping_rules.iter().enumerate() {
        match r {
            StoppingRuleConfig::IterationLimit { limit: 0 } => setting(
                sink,
                FindingKind::OutOfRange,
                &format!("training.stopping_rules[{i}].limit"),
                "`iteration_limit` of 0 iterations trains nothing".into(),
                "set limit ≥ 1",
            ),
            StoppingRuleConfig::BoundStalling { iterations: 0, .. } => setting(
                sink,
                FindingKind::OutOfRange,
                &format!("training.stopping_rules[{i}].iterations"),
                "`bound_stalling` needs a window of at least one iteration".into(),
                "set iterations ≥ 1",
            ),
            _ => {}
        }
    }
    let sim = &c.config.simulation;
    if sim.enabled && sim.selection == SelectionMethod::Sampled && sim.num_scenarios == 0 {
        setting(
            sink,
            FindingKind::IncompatibleSettings,
            "simulation.selection.num_scenarios",
            "simulation is enabled with 0 scenarios".into(),
            "set `simulation.selection.num_scenarios` ≥ 1 or disable the simulation",
        );
    }
    let s = &d.scenarios;
    let mut phases = vec![("training", &t.scenario_source)];
    if sim.enabled {
        phases.push((
            "simulation",
            sim.scenario_source.as_ref().unwrap_or(&t.scenario_source),
        ));
    }
    for (phase, src) in phases {
        for (class, scheme, file, have) in [
            (
                "inflow",
                src.inflow,
                name::EXTERNAL_INFLOW,
                available(&s.external_inflow),
            ),
            (
                "load",
                src.load,
                name::EXTERNAL_LOAD,
                available(&s.external_load),
            ),
            (
                "ncs",
                src.ncs,
                name::EXTERNAL_NCS,
                available(&s.external_ncs),
            ),
        ] {
            let path = format!("{phase}.scenario_source.{class}.scheme");
            match scheme {
                SamplingScheme::External if !have => setting(sink, FindingKind::IncompatibleSettings, &path,
                    format!("the {phase} {class} scheme is `external` but `{file}` is missing"), &format!("add `{file}` or choose another scheme")),
                SamplingScheme::Historical if class != "inflow" => setting(sink, FindingKind::IncompatibleSettings, &path,
                    format!("the `historical` scheme replays inflow history; it does not apply to {class}"), "use in_sample, out_of_sample or external"),
                SamplingScheme::Historical if !available(&s.history) => setting(sink, FindingKind::IncompatibleSettings, &path,
                    format!("the {phase} inflow scheme is `historical` but `{}` is missing", name::HISTORY), "add the inflow history or choose another scheme"),
                _ => {}
            }
        }
    }
}

/// Correlation matrices: symmetric, unit diagonal, entries in [−1, 1];
/// an entity in at most one group per profile.
pub(crate) fn correlation(d: &CaseData, sink: &mut Sink) {
    let Some(c) = d.scenarios.correlation.get() else {
        return;
    };
    let mut seen: BTreeSet<(String, cobre_core::scenario::CorrelatedEntity)> = BTreeSet::new();
    for g in &c.groups {
        let ctx = || {
            FindingContext::file(name::CORRELATION)
                .path(format!("profiles.{}.{}", g.profile, g.name))
                .field("matrix")
        };
        let mut problems = Vec::new();
        for (i, row) in g.matrix.iter().enumerate() {
            for (j, x) in row.iter().enumerate() {
                let t = g
                    .matrix
                    .get(j)
                    .and_then(|r| r.get(i))
                    .copied()
                    .unwrap_or(*x);
                if i == j && (x - 1.0).abs() > 1e-9 {
                    problems.push(format!("diagonal entry [{i}][{i}] is {x}, not 1"));
                } else if !(-1.0..=1.0).contains(x) {
                    problems.push(format!("entry [{i}][{j}] = {x} is outside [-1, 1]"));
                } else if i < j && (x - t).abs() > 1e-9 {
                    problems.push(format!(
                        "entries [{i}][{j}] = {x} and [{j}][{i}] = {t} differ"
                    ));
                }
            }
        }
        if !problems.is_empty() {
            sink.push(err(
                L,
                FindingKind::PhysicalConstraint,
                ctx(),
                format!(
                    "correlation group `{}` of profile `{}` is not a correlation matrix: {}",
                    g.name,
                    g.profile,
                    problems.join("; ")
                ),
            ));
        }
        for e in &g.entities {
            if !seen.insert((g.profile.clone(), *e)) {
                sink.push(err(
                    L,
                    FindingKind::DuplicateId,
                    ctx().field("entities"),
                    format!(
                        "{e:?} appears in more than one group of profile `{}`",
                        g.profile
                    ),
                ));
            }
        }
    }
}

/// Generic constraint bounds: `lower ≤ upper`, at least one bound, and
/// constraints that are never active.
pub(crate) fn generic(d: &CaseData, sink: &mut Sink) {
    let Some(rows) = d.generic.bounds.get() else {
        if let Some(reg) = &d.generic.constraints {
            if !reg.items.is_empty() && !d.generic.bounds.failed() {
                sink.push(Finding::new(
                    Severity::Warning,
                    FindingKind::CoverageMismatch,
                    L,
                    FindingContext::file(name::GENERIC_BOUNDS),
                    format!(
                        "`{}` defines constraints but `{}` is missing: no constraint is active",
                        name::GENERIC,
                        name::GENERIC_BOUNDS
                    ),
                ));
            }
        }
        return;
    };
    let mut active = BTreeSet::new();
    for (r, b) in rows {
        active.insert(b.constraint.0);
        let ctx = FindingContext::file(name::GENERIC_BOUNDS)
            .entity("generic constraint", b.constraint.0)
            .stage(b.stage.0)
            .row(*r);
        match (b.lower, b.upper) {
            (Some(lo), Some(hi)) if lo > hi => sink.push(err(L, FindingKind::CapacityViolation, ctx.field("bound_lower"),
                format!("generic constraint {} at stage {}: bound_lower ({lo}) is greater than bound_upper ({hi})", b.constraint.0, b.stage.0))),
            (None, None) => sink.push(Finding::new(
Severity::Warning,FindingKind::SchemaViolation, L, ctx.field("bound_lower"),
                format!("generic constraint {} at stage {}: the row has no bound", b.constraint.0, b.stage.0))),
            _ => {}
        }
    }
    if let Some(reg) = &d.generic.constraints {
        for c in &reg.items {
            if !active.contains(&c.id.0) {
                sink.push(Finding::new(
                    Severity::Warning,
                    FindingKind::CoverageMismatch,
                    L,
                    FindingContext::file(name::GENERIC_BOUNDS).entity("generic constraint", c.id.0),
                    format!(
                        "generic constraint {} (`{}`) has no bounds row: it is never active",
                        c.id.0, c.name
                    ),
                ));
            }
        }
    }
}
