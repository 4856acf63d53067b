//! `stages.json → policy_graph`: the two dialects of the graph and their
//! structural checks.
//!
//! * **Chain dialect** (no `nodes`): `transitions` name stage ids. The only
//!   graph they may describe is the chain of the stages — each stage followed
//!   by the next with probability 1 (a transition may be left out). A
//!   transition's `annual_discount_rate_override` becomes its source stage's.
//! * **Node dialect** (`nodes` given): `transitions` name node ids. Every edge
//!   goes from a node of stage `t` to a node of stage `t + 1`, the
//!   probabilities leaving a node sum to 1 (±1e-6, then normalised), one root
//!   node sits at the first stage, every other node has a parent, every stage
//!   has a node and a node without successors sits at the last stage.
//!
//! The rules that depend on `config.json` (enumerated selection needs a tree
//! of single-realisation nodes, `scenario_id` needs enumerated training,
//! external classes need a `scenario_id` on every node) are semantic checks
//! (`validation::semantic::settings`).

use super::StagesData;
use crate::files::name;
use crate::json::Obj;
use crate::report::{Finding, FindingContext, FindingKind, Layer, Sink};
use cobre_core::{GraphNode, GraphTransition};
use std::collections::{BTreeMap, BTreeSet};

const FILE: &str = name::STAGES;

/// Tolerance of the sum of the probabilities leaving a node (0.18's).
pub(crate) const PROBABILITY_TOLERANCE: f64 = 1e-6;

/// A node as written.
#[derive(Debug, Clone)]
pub(crate) struct RawNode {
    pub index: usize,
    pub id: i32,
    pub stage_id: i32,
    pub scenario: Option<i32>,
    pub label: Option<String>,
}

/// A transition as written (endpoints are node ids in the node dialect,
/// stage ids in the chain dialect).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawTransition {
    pub index: usize,
    pub source: i32,
    pub target: i32,
    pub probability: f64,
    pub rate_override: Option<f64>,
}

/// What `policy_graph.nodes` and `transitions` hold before resolution.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawGraph {
    pub nodes: Vec<RawNode>,
    pub transitions: Vec<RawTransition>,
    /// Whether `nodes` was given (even empty: then every node is missing).
    pub node_dialect: bool,
    /// Whether some node or transition could not be read.
    pub incomplete: bool,
}

impl RawGraph {
    /// Stage ids all of whose nodes carry a `scenario_id` (their only
    /// realisations are external scenarios: `num_openings` has no meaning).
    pub(crate) fn external_only_stages(&self) -> BTreeSet<i32> {
        let mut all: BTreeMap<i32, bool> = BTreeMap::new();
        for n in &self.nodes {
            let e = all.entry(n.stage_id).or_insert(true);
            *e &= n.scenario.is_some();
        }
        all.into_iter()
            .filter(|(_, e)| *e)
            .map(|(s, _)| s)
            .collect()
    }
}

/// Reads `nodes` and `transitions` of the `policy_graph` object.
pub(crate) fn read_raw(g: &mut Obj<'_, '_>) -> RawGraph {
    let mut raw = RawGraph {
        node_dialect: g.has("nodes"),
        ..RawGraph::default()
    };
    for (i, v) in g.opt_array("nodes").iter().enumerate() {
        let Some(mut n) = g.item("nodes", i, v, &["id", "stage_id", "label", "scenario_id"]) else {
            raw.incomplete = true;
            continue;
        };
        let id = n.req_i32("id");
        let stage_id = n.req_i32("stage_id");
        let label = n.opt_str("label").map(str::to_string);
        let scenario = n.opt_i32("scenario_id");
        if let Some(k) = scenario.filter(|k| *k < 0) {
            n.error(
                FindingKind::OutOfRange,
                "scenario_id",
                format!("`scenario_id` = {k} must be ≥ 0"),
            );
            raw.incomplete = true;
            continue;
        }
        match (id, stage_id) {
            (Some(id), Some(stage_id)) => raw.nodes.push(RawNode {
                index: i,
                id,
                stage_id,
                scenario,
                label,
            }),
            _ => raw.incomplete = true,
        }
    }
    for (i, v) in g.opt_array("transitions").iter().enumerate() {
        let Some(mut t) = g.item(
            "transitions",
            i,
            v,
            &[
                "source_id",
                "target_id",
                "probability",
                "annual_discount_rate_override",
            ],
        ) else {
            raw.incomplete = true;
            continue;
        };
        let source = t.req_i32("source_id");
        let target = t.req_i32("target_id");
        let p = t.req_f64("probability");
        let p = t.within("probability", p, 0.0, 1.0);
        let r = t.opt_f64("annual_discount_rate_override");
        let rate_override = t.min("annual_discount_rate_override", r, 0.0, false);
        match (source, target, p) {
            (Some(source), Some(target), Some(probability)) => {
                raw.transitions.push(RawTransition {
                    index: i,
                    source,
                    target,
                    probability,
                    rate_override,
                });
            }
            _ => raw.incomplete = true,
        }
    }
    raw
}

fn finding(kind: FindingKind, layer: Layer, path: String, msg: String) -> Finding {
    let field = path.rsplit('.').next().unwrap_or(&path).to_string();
    Finding::error(
        kind,
        layer,
        FindingContext::file(FILE).path(path).field(field),
        msg,
    )
}

fn transition_path(t: &RawTransition, field: &str) -> String {
    format!("policy_graph.transitions[{}].{field}", t.index)
}

/// Checks the graph against the stages read and fills
/// `data.horizon.policy_graph` (nodes, normalised transitions) and the
/// stages' discount overrides from the transitions.
pub(crate) fn resolve(data: &mut StagesData, raw: &RawGraph, sink: &mut Sink) {
    // Stage position of every study stage id (stages are in file order).
    let position: BTreeMap<i32, usize> = data
        .horizon
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.0, i))
        .collect();
    if raw.node_dialect {
        resolve_nodes(data, raw, &position, sink);
    } else {
        resolve_chain(data, raw, &position, sink);
    }
}

/// Sets stage `pos`'s discount override from a transition; a different
/// override already on the stage is an error.
fn set_rate(
    data: &mut StagesData,
    pos: usize,
    rate: f64,
    path: String,
    seen: &mut BTreeMap<usize, f64>,
    sink: &mut Sink,
) {
    let Some(stage) = data.horizon.stages.get_mut(pos) else {
        return;
    };
    let previous = seen
        .get(&pos)
        .copied()
        .or(stage.annual_discount_rate_override);
    match previous {
        Some(p) if (p - rate).abs() > 1e-12 => sink.push(
            finding(
                FindingKind::IncompatibleSettings,
                Layer::Semantic,
                path,
                format!(
                    "the transitions leaving stage {} override the annual discount rate with {rate}, but {p} is already in force there",
                    stage.id.0
                ),
            )
            .suggest("give one discount rate per stage (stage override or one value on every transition leaving it)"),
        ),
        _ => {
            stage.annual_discount_rate_override = Some(rate);
            seen.insert(pos, rate);
        }
    }
}

fn resolve_chain(
    data: &mut StagesData,
    raw: &RawGraph,
    position: &BTreeMap<i32, usize>,
    sink: &mut Sink,
) {
    let mut sums: BTreeMap<i32, (f64, usize)> = BTreeMap::new();
    let mut rates = BTreeMap::new();
    for t in &raw.transitions {
        let (Some(&s), Some(&d)) = (position.get(&t.source), position.get(&t.target)) else {
            for (id, field) in [(t.source, "source_id"), (t.target, "target_id")] {
                if !position.contains_key(&id) && data.complete {
                    sink.push(
                        finding(
                            FindingKind::MissingReference,
                            Layer::Referential,
                            transition_path(t, field),
                            format!(
                                "transition {} names stage {id}, which is not a study stage",
                                t.index
                            ),
                        )
                        .suggest("without `nodes`, transitions connect study stage ids"),
                    );
                }
            }
            continue;
        };
        if d != s + 1 {
            sink.push(
                finding(
                    FindingKind::Unsupported,
                    Layer::Schema,
                    transition_path(t, "target_id"),
                    format!(
                        "transition {} goes from stage {} to stage {}: without `nodes` the graph is the chain of the stages, each followed by the next",
                        t.index, t.source, t.target
                    ),
                )
                .suggest("declare `policy_graph.nodes` for a graph that is not the chain of the stages"),
            );
            continue;
        }
        let e = sums.entry(t.source).or_insert((0.0, t.index));
        e.0 += t.probability;
        if let Some(rate) = t.rate_override {
            set_rate(
                data,
                s,
                rate,
                transition_path(t, "annual_discount_rate_override"),
                &mut rates,
                sink,
            );
        }
    }
    for (source, (sum, index)) in sums {
        if (sum - 1.0).abs() > PROBABILITY_TOLERANCE {
            sink.push(finding(
                FindingKind::OutOfRange,
                Layer::Semantic,
                format!("policy_graph.transitions[{index}].probability"),
                format!("the transitions leaving stage {source} have probabilities summing to {sum}, not 1 (±{PROBABILITY_TOLERANCE})"),
            ));
        }
    }
}

/// The declared nodes by id, at their stage positions. Duplicate ids and
/// nodes at unknown stages are reported; the flag is false when any was found.
fn collect_nodes(
    raw: &RawGraph,
    position: &BTreeMap<i32, usize>,
    complete: bool,
    sink: &mut Sink,
) -> (BTreeMap<i32, GraphNode>, bool) {
    let mut nodes: BTreeMap<i32, GraphNode> = BTreeMap::new();
    let mut ok = true;
    for n in &raw.nodes {
        let path = |f: &str| format!("policy_graph.nodes[{}].{f}", n.index);
        if nodes.contains_key(&n.id) {
            sink.push(finding(
                FindingKind::DuplicateId,
                Layer::Referential,
                path("id"),
                format!("node id {} is declared more than once", n.id),
            ));
            ok = false;
            continue;
        }
        let Some(&stage) = position.get(&n.stage_id) else {
            if complete {
                sink.push(finding(
                    FindingKind::StageMismatch,
                    Layer::Referential,
                    path("stage_id"),
                    format!(
                        "node {} sits at stage {}, which is not a study stage",
                        n.id, n.stage_id
                    ),
                ));
            }
            ok = false;
            continue;
        };
        nodes.insert(
            n.id,
            GraphNode {
                id: n.id,
                stage,
                scenario: n.scenario.and_then(|k| u32::try_from(k).ok()),
                label: n.label.clone(),
            },
        );
    }
    (nodes, ok)
}

/// What the transitions of a node-dialect graph establish.
#[derive(Default)]
struct Edges {
    /// Per source node: the sum of the probabilities leaving it and the
    /// index of its first transition.
    out_sum: BTreeMap<i32, (f64, usize)>,
    /// Per target node: the number of transitions entering it.
    parents: BTreeMap<i32, usize>,
    /// Per source stage position: the discount override of its transitions
    /// and the index of the first transition giving it.
    stage_rates: BTreeMap<usize, (f64, usize)>,
    /// The valid transitions, in file order, probabilities as written.
    transitions: Vec<GraphTransition>,
    /// False when some transition was rejected.
    ok: bool,
}

impl Edges {
    /// Checks every transition against the nodes: endpoints declared, next
    /// stage, no repetition, one discount override per stage.
    fn collect(raw: &RawGraph, nodes: &BTreeMap<i32, GraphNode>, sink: &mut Sink) -> Self {
        let mut e = Edges {
            ok: true,
            transitions: Vec::with_capacity(raw.transitions.len()),
            ..Edges::default()
        };
        let mut seen_edges: BTreeSet<(i32, i32)> = BTreeSet::new();
        for t in &raw.transitions {
            let (src, dst) = (nodes.get(&t.source), nodes.get(&t.target));
            for (id, field, n) in [(t.source, "source_id", src), (t.target, "target_id", dst)] {
                if n.is_none() && raw.nodes.iter().all(|r| r.id != id) {
                    sink.push(finding(
                        FindingKind::MissingReference,
                        Layer::Referential,
                        transition_path(t, field),
                        format!(
                            "transition {} names node {id}, which is not declared",
                            t.index
                        ),
                    ));
                }
            }
            let (Some(src), Some(dst)) = (src, dst) else {
                e.ok = false;
                continue;
            };
            if dst.stage != src.stage + 1 {
                sink.push(
                    finding(
                        FindingKind::StageMismatch,
                        Layer::Semantic,
                        transition_path(t, "target_id"),
                        format!(
                            "transition {} goes from node {} (stage position {}) to node {} (stage position {}); a transition must lead to the next stage",
                            t.index, src.id, src.stage, dst.id, dst.stage
                        ),
                    )
                    .suggest("connect each node to nodes of the stage that follows it"),
                );
                e.ok = false;
                continue;
            }
            if !seen_edges.insert((t.source, t.target)) {
                sink.push(finding(
                    FindingKind::DuplicateId,
                    Layer::Referential,
                    transition_path(t, "target_id"),
                    format!(
                        "the transition from node {} to node {} is declared more than once",
                        t.source, t.target
                    ),
                ));
                e.ok = false;
                continue;
            }
            e.add(t, src.stage, sink);
        }
        e
    }

    /// Records a valid transition leaving a node at stage position `stage`.
    fn add(&mut self, t: &RawTransition, stage: usize, sink: &mut Sink) {
        let e = self.out_sum.entry(t.source).or_insert((0.0, t.index));
        e.0 += t.probability;
        *self.parents.entry(t.target).or_insert(0) += 1;
        if let Some(rate) = t.rate_override {
            match self.stage_rates.get(&stage) {
                Some(&(r, _)) if (r - rate).abs() > 1e-12 => sink.push(
                    finding(
                        FindingKind::Unsupported,
                        Layer::Schema,
                        transition_path(t, "annual_discount_rate_override"),
                        format!(
                            "transitions leaving stage position {stage} override the discount rate with {r} and {rate}: discount rates are per stage in this version of Cobre"
                        ),
                    )
                    .suggest("give every transition leaving one stage the same override"),
                ),
                _ => {
                    self.stage_rates.insert(stage, (rate, t.index));
                }
            }
        }
        self.transitions.push(GraphTransition {
            source: t.source,
            target: t.target,
            probability: t.probability,
        });
    }

    /// Reports every node whose leaving probabilities do not sum to 1;
    /// false when there is one.
    fn check_sums(&self, sink: &mut Sink) -> bool {
        let mut ok = true;
        for (source, &(sum, index)) in &self.out_sum {
            if (sum - 1.0).abs() > PROBABILITY_TOLERANCE {
                sink.push(
                    finding(
                        FindingKind::OutOfRange,
                        Layer::Semantic,
                        format!("policy_graph.transitions[{index}].probability"),
                        format!("the transitions leaving node {source} have probabilities summing to {sum}, not 1 (±{PROBABILITY_TOLERANCE})"),
                    )
                    .suggest("make the probabilities of the transitions leaving each node sum to 1"),
                );
                ok = false;
            }
        }
        ok
    }
}

/// Reports every stage id of the file (read or not) without a node; false
/// when there is one.
fn check_coverage(stage_ids: &[i32], raw: &RawGraph, sink: &mut Sink) -> bool {
    let with_nodes: BTreeSet<i32> = raw.nodes.iter().map(|n| n.stage_id).collect();
    let mut ok = true;
    for &id in stage_ids {
        if !with_nodes.contains(&id) {
            sink.push(
                Finding::error(
                    FindingKind::CoverageMismatch,
                    Layer::Dimensional,
                    FindingContext::file(FILE)
                        .path("policy_graph.nodes")
                        .field("nodes")
                        .stage(id),
                    format!("stage {id} has no node of the policy graph"),
                )
                .suggest("declare at least one node at every stage"),
            );
            ok = false;
        }
    }
    ok
}

/// Reports unreachable nodes, nodes without successors before the last of
/// the `n_stages` stages, and more than one root; false when any was found.
fn check_roots_and_leaves(
    nodes: &BTreeMap<i32, GraphNode>,
    edges: &Edges,
    n_stages: usize,
    sink: &mut Sink,
) -> bool {
    let mut ok = true;
    for n in nodes.values() {
        let ctx = FindingContext::file(FILE)
            .entity("node", n.id)
            .path("policy_graph.nodes")
            .field("nodes");
        let has_parent = edges.parents.contains_key(&n.id);
        if n.stage == 0 && has_parent {
            continue; // reported as an edge into stage 0 above
        }
        if n.stage > 0 && !has_parent {
            sink.push(
                Finding::error(
                    FindingKind::PhysicalConstraint,
                    Layer::Semantic,
                    ctx.clone(),
                    format!("node {} at stage position {} has no incoming transition: it can never be reached", n.id, n.stage),
                )
                .suggest("connect it to a node of the previous stage, or remove it"),
            );
            ok = false;
        }
        if n.stage + 1 < n_stages && !edges.out_sum.contains_key(&n.id) {
            sink.push(
                Finding::error(
                    FindingKind::PhysicalConstraint,
                    Layer::Semantic,
                    ctx,
                    format!("node {} at stage position {} has no successor but is not at the last stage (a node without successors must end the horizon)", n.id, n.stage),
                )
                .suggest("add transitions from it to nodes of the next stage"),
            );
            ok = false;
        }
    }
    let roots: Vec<i32> = nodes
        .values()
        .filter(|n| n.stage == 0)
        .map(|n| n.id)
        .collect();
    if roots.len() > 1 {
        sink.push(
            finding(
                FindingKind::Unsupported,
                Layer::Schema,
                "policy_graph.nodes".into(),
                format!(
                    "the first stage has {} nodes ({roots:?}): the graph must start from one root node (the initial state has no distribution over nodes)",
                    roots.len()
                ),
            )
            .suggest("keep one node at the first stage and branch from it"),
        );
        ok = false;
    }
    ok
}

/// Checks a node-dialect graph and, when it is valid, stores it (nodes in
/// file order, probabilities normalised) and the stages' discount overrides.
fn resolve_nodes(
    data: &mut StagesData,
    raw: &RawGraph,
    position: &BTreeMap<i32, usize>,
    sink: &mut Sink,
) {
    let n_stages = data.horizon.stages.len();
    let (nodes, nodes_ok) = collect_nodes(raw, position, data.complete, sink);
    let mut ok = !raw.incomplete && data.complete && nodes_ok;
    if raw.nodes.is_empty() {
        sink.push(
            finding(
                FindingKind::SchemaViolation,
                Layer::Schema,
                "policy_graph.nodes".into(),
                "`policy_graph.nodes` is empty: a graph needs at least one node per stage".into(),
            )
            .suggest("declare the nodes, or leave `nodes` out for the chain of the stages"),
        );
        return;
    }
    let mut edges = Edges::collect(raw, &nodes, sink);
    ok &= edges.ok;
    ok &= edges.check_sums(sink);
    ok &= check_coverage(&data.stage_ids, raw, sink);
    ok &= check_roots_and_leaves(&nodes, &edges, n_stages, sink);
    if !ok {
        return;
    }
    // Normalise the probabilities leaving each node (sums within 1e-6).
    for t in &mut edges.transitions {
        if let Some(&(sum, _)) = edges.out_sum.get(&t.source) {
            if sum > 0.0 {
                t.probability /= sum;
            }
        }
    }
    let mut rates = BTreeMap::new();
    for (stage, (rate, index)) in edges.stage_rates {
        set_rate(
            data,
            stage,
            rate,
            format!("policy_graph.transitions[{index}].annual_discount_rate_override"),
            &mut rates,
            sink,
        );
    }
    let graph = &mut data.horizon.policy_graph;
    graph.nodes = raw
        .nodes
        .iter()
        .filter_map(|r| nodes.get(&r.id).cloned())
        .collect();
    graph.transitions = edges.transitions;
}
