//! Checks of `constraints/generic_parameters.json` and the named
//! expressions of `generic_constraints.json`: unique ids and names
//! (layer 3), hydros that exist (layer 3), and values covering every study
//! stage, season or block they must (layer 4).

use super::err;
use crate::files::name;
use crate::reader::{CaseData, StagesData};
use crate::report::{Finding, FindingContext, FindingKind, Layer, Severity, Sink};
use crate::util::list_ids;
use cobre_core::{ParameterValue, StageId};
use std::collections::{BTreeMap, BTreeSet};

const FILE: &str = name::GENERIC_PARAMETERS;

fn ctx(i: usize) -> FindingContext {
    FindingContext::file(FILE).path(format!("scalar_parameters[{i}]"))
}

/// Layer 3: ids and names unique, names distinct from expression names,
/// computed quantities of declared hydros.
pub(crate) fn referential(d: &CaseData, sink: &mut Sink) {
    let Some(p) = d.generic.parameters.get() else {
        return;
    };
    let l = Layer::Referential;
    let mut ids: BTreeMap<i32, usize> = BTreeMap::new();
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    let hydros: Option<BTreeSet<i32>> = d
        .hydros
        .as_ref()
        .filter(|r| r.complete)
        .map(|r| r.ids.iter().copied().collect());
    for (i, param) in &p.items {
        if let Some(id) = param.id {
            if let Some(first) = ids.insert(id, *i) {
                sink.push(err(
                    l,
                    FindingKind::DuplicateId,
                    ctx(*i).field("id"),
                    format!("parameter id {id} is repeated (entries {first} and {i})"),
                ));
            }
        }
        if let Some(first) = names.insert(param.name.as_str(), *i) {
            sink.push(err(
                l,
                FindingKind::DuplicateId,
                ctx(*i).field("name"),
                format!(
                    "parameter name `{}` is repeated (entries {first} and {i}): `@{}` would be ambiguous",
                    param.name, param.name
                ),
            ));
        }
        if let (ParameterValue::Computed(c), Some(hydros)) = (&param.value, &hydros) {
            let h = c.hydro().0;
            if !hydros.contains(&h) {
                sink.push(err(
                    l,
                    FindingKind::MissingReference,
                    ctx(*i).field("computed_spec.hydro_id").entity("hydro", h),
                    format!(
                        "parameter `{}` is computed for hydro {h}, which `system/hydros.json` does not declare",
                        param.name
                    ),
                ));
            }
        }
    }
}

/// Layer 4: a `per_stage` parameter gives every study stage once, a
/// `per_stage_block` one every block of every study stage once, a
/// `seasonal` one the season of every study stage.
pub(crate) fn dimensional(d: &CaseData, st: &StagesData, sink: &mut Sink) {
    let Some(p) = d.generic.parameters.get() else {
        return;
    };
    for (i, param) in &p.items {
        let at = Param {
            index: *i,
            name: &param.name,
        };
        match &param.value {
            ParameterValue::PerStage(values) => at.per_stage(values, st, sink),
            ParameterValue::Seasonal(values) => at.seasonal(values, st, sink),
            ParameterValue::PerStageBlock(values) => at.per_stage_block(values, st, sink),
            ParameterValue::Constant(_)
            | ParameterValue::Computed(_)
            | ParameterValue::Product(_) => {}
        }
    }
    unused(d, p.items.len(), sink);
}

/// One entry of `generic_parameters.json`: its index and name.
struct Param<'a> {
    /// Index in `scalar_parameters`.
    index: usize,
    /// The parameter's name.
    name: &'a str,
}

impl Param<'_> {
    /// A layer-4 error about the entry's `field`.
    fn error(&self, kind: FindingKind, field: &str, msg: String) -> Finding {
        err(Layer::Dimensional, kind, ctx(self.index).field(field), msg)
    }

    /// Study stages only, each once, all of them.
    fn per_stage(&self, values: &[(StageId, f64)], st: &StagesData, sink: &mut Sink) {
        let n = self.name;
        let mut seen = BTreeSet::new();
        let mut unknown = Vec::new();
        for (s, _) in values {
            if !st.is_study(s.0) {
                unknown.push(s.0);
            } else if !seen.insert(s.0) {
                sink.push(err(
                    Layer::Dimensional,
                    FindingKind::DuplicateId,
                    ctx(self.index).field("values").stage(s.0),
                    format!("parameter `{n}` gives stage {} twice", s.0),
                ));
            }
        }
        let missing: Vec<i32> = st
            .stage_ids
            .iter()
            .copied()
            .filter(|s| !seen.contains(s))
            .collect();
        if !unknown.is_empty() {
            sink.push(self.error(
                FindingKind::StageMismatch,
                "values",
                format!(
                    "parameter `{n}` names stage(s) {} that are not study stages",
                    list_ids(&unknown)
                ),
            ));
        }
        if !missing.is_empty() {
            sink.push(self.error(FindingKind::CoverageMismatch, "values",
                format!("parameter `{n}` has no value for stage(s) {}: a per_stage parameter gives every study stage", list_ids(&missing))));
        }
    }

    /// Each season once, and the season of every study stage.
    fn seasonal(&self, values: &[(i32, f64)], st: &StagesData, sink: &mut Sink) {
        let n = self.name;
        let mut seen = BTreeSet::new();
        for (season, _) in values {
            if !seen.insert(*season) {
                sink.push(self.error(
                    FindingKind::DuplicateId,
                    "values",
                    format!("parameter `{n}` gives season {season} twice"),
                ));
            }
        }
        let missing: Vec<i32> = st
            .horizon
            .stages
            .iter()
            .filter(|s| s.season.is_none_or(|x| !seen.contains(&x.0)))
            .map(|s| s.id.0)
            .collect();
        if !missing.is_empty() {
            sink.push(self.error(
                FindingKind::CoverageMismatch,
                "values",
                format!(
                    "parameter `{n}` has no value for the season of stage(s) {}",
                    list_ids(&missing)
                ),
            ));
        }
    }

    /// Existing blocks only, each once, every block of every study stage.
    fn per_stage_block(&self, values: &[(StageId, i32, f64)], st: &StagesData, sink: &mut Sink) {
        let n = self.name;
        let mut seen = BTreeSet::new();
        for (s, b, _) in values {
            let known = st
                .stage(s.0)
                .is_some_and(|x| x.blocks.iter().any(|k| k.id == *b));
            let here = ctx(self.index).field("block_values").stage(s.0);
            if !known {
                sink.push(err(
                    Layer::Dimensional,
                    FindingKind::StageMismatch,
                    here,
                    format!(
                        "parameter `{n}` names block {b} of stage {}, which does not exist",
                        s.0
                    ),
                ));
            } else if !seen.insert((s.0, *b)) {
                sink.push(err(
                    Layer::Dimensional,
                    FindingKind::DuplicateId,
                    here,
                    format!("parameter `{n}` gives block {b} of stage {} twice", s.0),
                ));
            }
        }
        let missing: Vec<i32> = st
            .horizon
            .stages
            .iter()
            .filter(|s| s.blocks.iter().any(|k| !seen.contains(&(s.id.0, k.id))))
            .map(|s| s.id.0)
            .collect();
        if !missing.is_empty() {
            sink.push(self.error(FindingKind::CoverageMismatch, "block_values",
                format!("parameter `{n}` misses blocks of stage(s) {}: a per_stage_block parameter gives every block of every study stage", list_ids(&missing))));
        }
    }
}

/// A parameter no expression uses is harmless but worth a word (`count`:
/// the entries of the file).
fn unused(d: &CaseData, count: usize, sink: &mut Sink) {
    let used: BTreeSet<usize> = d
        .generic
        .constraints
        .iter()
        .flat_map(|r| r.items.iter())
        .flat_map(|c| c.terms.iter())
        .filter_map(|t| t.parameter)
        .flat_map(
            |p| match d.generic.parameter_list.get(p as usize).map(|x| &x.value) {
                Some(ParameterValue::Product(parts)) => parts.iter().map(|x| *x as usize).collect(),
                _ => vec![p as usize],
            },
        )
        .collect();
    let unused = d
        .generic
        .parameter_list
        .iter()
        .enumerate()
        .filter(|(k, x)| x.id.is_some() && !used.contains(k))
        .count();
    if unused > 0 && count > 0 {
        sink.push(Finding::new(
            Severity::Warning,
            FindingKind::CoverageMismatch,
            Layer::Dimensional,
            FindingContext::file(FILE),
            format!("{unused} of the {count} parameters are used by no generic constraint"),
        ));
    }
}
