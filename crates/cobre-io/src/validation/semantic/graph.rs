//! Semantic rules tying the policy graph (`stages.json`) to the settings
//! (`config.json`) and the external scenario libraries, as 0.18 applies
//! them:
//!
//! * `enumerated` selection (training or simulation) walks every path of the
//!   graph once: the graph must be a tree (every node one parent) and every
//!   node must carry one realisation (a `scenario_id`, or a stage with one
//!   opening);
//! * a `gap` stopping rule needs the exact upper bound of enumerated training;
//! * a node's `scenario_id` is its realisation, so it needs enumerated
//!   training (a sampled forward pass would draw the node's noise instead);
//! * when a class of the training source is `external`, every node carries a
//!   `scenario_id`, and that scenario exists at the node's stage in every
//!   external library in use.

use super::settings::setting;
use crate::files::name;
use crate::reader::CaseData;
use crate::report::{FindingContext, FindingKind, Layer, Sink};
use crate::validation::err;
use cobre_core::config::{
    SamplingScheme, ScenarioSourceConfig, SelectionMethod, StoppingRuleConfig,
};
use cobre_core::{Horizon, PolicyGraph};
use std::collections::{BTreeMap, BTreeSet};

const L: Layer = Layer::Semantic;

/// An external library: its file, the class's scheme, its `(stage, scenario)` pairs.
type Library<'a> = (&'a str, SamplingScheme, Option<BTreeSet<(i32, u32)>>);

/// The rules above.
pub(crate) fn check(d: &CaseData, sink: &mut Sink) {
    let Some(c) = d.config.get() else { return };
    let Some(st) = d.stages.get() else { return };
    let cfg = &c.config;
    let graph = &st.horizon.policy_graph;
    let t = &cfg.training;
    let train_enumerated = t.selection == SelectionMethod::Enumerated;
    let sim_enumerated =
        cfg.simulation.enabled && cfg.simulation.selection == SelectionMethod::Enumerated;

    if !train_enumerated {
        gap_rule(&t.stopping_rules, sink);
    }
    // Tree and single-realisation checks of enumerated selection.
    if train_enumerated || sim_enumerated {
        let phase = if train_enumerated {
            "training"
        } else {
            "simulation"
        };
        let path = format!("{phase}.selection.method");
        if graph.is_chain() {
            chain_openings(&st.horizon, &path, sink);
        } else {
            tree_shape(&st.horizon, &path, sink);
        }
    }
    if graph.is_chain() {
        return;
    }
    if !train_enumerated {
        sampled_node_scenarios(graph, sink);
    }
    external_nodes(d, &st.horizon, &t.scenario_source, sink);
}

/// The `gap` stopping rule needs enumerated training (called when training
/// samples its forward passes).
fn gap_rule(rules: &[StoppingRuleConfig], sink: &mut Sink) {
    for (i, r) in rules.iter().enumerate() {
        if matches!(r, StoppingRuleConfig::Gap { .. }) {
            setting(
                sink,
                FindingKind::IncompatibleSettings,
                &format!("training.stopping_rules[{i}].type"),
                "the `gap` stopping rule needs enumerated training: under sampled forward selection the upper bound is a statistical estimate, not the exact bound the rule compares with".into(),
                "set `training.selection.method` to `enumerated` (on a tree of single-realisation nodes) or use another stopping rule",
            );
        }
    }
}

/// Enumerated selection on the chain of stages: one opening per stage
/// (reported once, at `path`).
fn chain_openings(horizon: &Horizon, path: &str, sink: &mut Sink) {
    if let Some(s) = horizon.stages.iter().find(|s| s.num_openings > 1) {
        setting(
            sink,
            FindingKind::IncompatibleSettings,
            path,
            format!(
                "enumerated selection walks one realisation per stage, but stage {} has {} openings",
                s.id.0, s.num_openings
            ),
            "declare the branching as policy-graph nodes (one realisation each), or use sampled selection",
        );
    }
}

/// Enumerated selection on an explicit graph: a tree (one parent per node)
/// of single-realisation nodes (each reported once, at `path`).
fn tree_shape(horizon: &Horizon, path: &str, sink: &mut Sink) {
    let graph = &horizon.policy_graph;
    let mut parents: BTreeMap<i32, usize> = BTreeMap::new();
    for tr in &graph.transitions {
        *parents.entry(tr.target).or_insert(0) += 1;
    }
    if let Some((node, n)) = parents.iter().find(|(_, n)| **n > 1) {
        setting(
            sink,
            FindingKind::IncompatibleSettings,
            path,
            format!("enumerated selection needs a tree, but node {node} is reached from {n} nodes"),
            "give every node one parent, or use sampled selection",
        );
    }
    let openings = |stage: usize| horizon.stages.get(stage).map_or(1, |s| s.num_openings);
    let several = graph
        .nodes
        .iter()
        .find(|node| node.scenario.is_none() && openings(node.stage) > 1);
    if let Some(node) = several {
        setting(
            sink,
            FindingKind::IncompatibleSettings,
            path,
            format!(
                "enumerated selection needs one realisation per node, but node {} sits at a stage with {} openings",
                node.id,
                openings(node.stage)
            ),
            "give the node a `scenario_id`, set `num_openings` to 1, or use sampled selection",
        );
    }
}

/// Under sampled training no node may fix its scenario (the first such node
/// is reported).
fn sampled_node_scenarios(graph: &PolicyGraph, sink: &mut Sink) {
    let Some(node) = graph.nodes.iter().find(|n| n.scenario.is_some()) else {
        return;
    };
    sink.push(
        err(
            L,
            FindingKind::IncompatibleSettings,
            FindingContext::file(name::STAGES)
                .entity("node", node.id)
                .path("policy_graph.nodes")
                .field("scenario_id"),
            format!(
                "node {} declares a `scenario_id` but training uses sampled forward selection; a node's scenario is its only realisation, which needs enumerated selection",
                node.id
            ),
        )
        .suggest("set `training.selection.method` to `enumerated`, or drop the nodes' `scenario_id`"),
    );
}

/// The external libraries with the scheme of their class in the training
/// source.
fn libraries<'a>(d: &'a CaseData, src: &ScenarioSourceConfig) -> [Library<'a>; 3] {
    let s = &d.scenarios;
    [
        (
            name::EXTERNAL_INFLOW,
            src.inflow,
            s.external_inflow
                .get()
                .map(|v| v.iter().map(|(_, x)| (x.stage.0, x.scenario)).collect()),
        ),
        (
            name::EXTERNAL_LOAD,
            src.load,
            s.external_load
                .get()
                .map(|v| v.iter().map(|(_, x)| (x.stage.0, x.scenario)).collect()),
        ),
        (
            name::EXTERNAL_NCS,
            src.ncs,
            s.external_ncs
                .get()
                .map(|v| v.iter().map(|(_, x)| (x.stage.0, x.scenario)).collect()),
        ),
    ]
}

/// External classes: every node names its scenario, which must exist.
fn external_nodes(d: &CaseData, horizon: &Horizon, src: &ScenarioSourceConfig, sink: &mut Sink) {
    let libraries = libraries(d, src);
    let any_external = libraries.iter().any(|l| l.1 == SamplingScheme::External);
    for node in &horizon.policy_graph.nodes {
        let stage_id = horizon.stages.get(node.stage).map_or(0, |s| s.id.0);
        let ctx = FindingContext::file(name::STAGES)
            .entity("node", node.id)
            .path("policy_graph.nodes")
            .field("scenario_id")
            .stage(stage_id);
        match node.scenario {
            None if any_external => sink.push(
                err(
                    L,
                    FindingKind::IncompatibleSettings,
                    ctx,
                    format!(
                        "node {} at stage {stage_id} has no `scenario_id`, but the training scenario source replays external scenarios: every node must name its scenario",
                        node.id
                    ),
                )
                .suggest("give the node the `scenario_id` of its realisation in the external libraries"),
            ),
            Some(k) => {
                let used = libraries
                    .iter()
                    .filter(|(_, scheme, _)| *scheme == SamplingScheme::External);
                for (file, _, rows) in used {
                    let Some(rows) = rows else { continue };
                    if !rows.contains(&(stage_id, k)) {
                        sink.push(
                            err(
                                L,
                                FindingKind::CoverageMismatch,
                                ctx.clone(),
                                format!(
                                    "node {} carries scenario {k} at stage {stage_id}, which `{file}` does not have",
                                    node.id
                                ),
                            )
                            .suggest("add the scenario to the library or point the node at an existing one"),
                        );
                    }
                }
            }
            None => {}
        }
    }
}
