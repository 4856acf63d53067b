//! The policy graph as the engine walks it: nodes (each at a stage, with
//! its realisations and its cut pool), the children of each node with their
//! transition probabilities, and the paths of a tree.
//!
//! Without explicit nodes the graph is the chain of the stages: node `t` is
//! stage `t`, its realisations are the stage's openings, its child is node
//! `t + 1` with probability 1 and it owns pool `t` — so every index of the
//! engine (cut pools, solver instances, policy stages) is the stage index,
//! exactly as before graphs existed.
//!
//! With nodes ([`cobre_core::PolicyGraph`]), nodes are put in canonical
//! order (ascending id), children in ascending child id. A node that has
//! children owns a cut pool (in canonical order); the nodes without
//! children all sit at the last stage, have no future cost and share one
//! last pool (they never get cuts). A node carrying a `scenario_id` has one
//! realisation, that column of the external libraries; the others realise
//! their stage's openings.
//!
//! Cut of node `n` at a trial state: `Σ_c P(n→c) Σ_ω q_ω Q_c,ω(x̂)` over its
//! children `c` and their realisations `ω` (`q_ω = 1/|Ω_c|`), through the
//! stage's risk measure.

use crate::scenario::ScenarioModel;
use crate::SddpError;
use cobre_core::config::ScenarioSourceConfig;
use cobre_core::{GraphNode, PolicyGraph, System};
use cobre_stochastic::ExternalRealisations;

/// What a node's realisations are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Realisations {
    /// The openings of the node's stage (training), or the phase's sampler
    /// (forward passes, simulation).
    Openings,
    /// One realisation: external scenario `k` (`scenario_id`).
    External(u32),
}

/// One node of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Id as declared (the stage index for the chain).
    pub id: i32,
    /// Stage index.
    pub stage: usize,
    /// Cut pool (and solver instance) the node uses.
    pub pool: usize,
    /// Its realisations.
    pub realisations: Realisations,
}

/// A transition to a child.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Child {
    /// Child node (canonical position).
    pub node: usize,
    /// Transition probability.
    pub probability: f64,
}

/// The policy graph of a study.
#[derive(Debug, Clone)]
pub struct NodeGraph {
    nodes: Vec<Node>,
    children: Vec<Vec<Child>>,
    parents: Vec<Vec<usize>>,
    root: usize,
    pool_stage: Vec<usize>,
    chain: bool,
    /// Noise vector of every node with an external realisation (empty for
    /// the others), `noise_dim` long.
    external: Vec<Vec<f64>>,
}

impl NodeGraph {
    /// The chain of `n_stages` stages.
    #[must_use]
    pub fn chain(n_stages: usize) -> Self {
        let nodes: Vec<Node> = (0..n_stages)
            .map(|t| Node {
                id: i32::try_from(t).unwrap_or(i32::MAX),
                stage: t,
                pool: t,
                realisations: Realisations::Openings,
            })
            .collect();
        let children = (0..n_stages)
            .map(|t| {
                if t + 1 < n_stages {
                    vec![Child {
                        node: t + 1,
                        probability: 1.0,
                    }]
                } else {
                    Vec::new()
                }
            })
            .collect();
        let parents = (0..n_stages)
            .map(|t| if t > 0 { vec![t - 1] } else { Vec::new() })
            .collect();
        Self {
            nodes,
            children,
            parents,
            root: 0,
            pool_stage: (0..n_stages).collect(),
            chain: true,
            external: vec![Vec::new(); n_stages],
        }
    }

    /// The graph of a system's horizon; external realisations are the
    /// libraries of the classes that `source` (the training scenario
    /// source) replays.
    ///
    /// # Errors
    /// [`SddpError::InvalidInput`] for a graph the reader should have
    /// refused (dangling ids, edges that skip a stage, no root),
    /// [`SddpError::Stochastic`] when a node's external library is missing.
    pub fn build(
        system: &System,
        scenario: &ScenarioModel,
        source: &ScenarioSourceConfig,
    ) -> Result<Self, SddpError> {
        let horizon = system.horizon();
        let n_stages = horizon.num_stages();
        let g = &horizon.policy_graph;
        if g.is_chain() {
            return Ok(Self::chain(n_stages));
        }
        let order = canonical_order(g)?;
        let Edges { children, parents } = edges(g, &order)?;
        let root = check_nodes(&order, &children, &parents, n_stages)?;
        let (pools, pool_stage) = assign_pools(&order, &children, n_stages);
        let (nodes, external) = resolve_nodes(&order, &pools, scenario, source)?;
        Ok(Self {
            nodes,
            children,
            parents,
            root,
            pool_stage,
            chain: false,
            external,
        })
    }

    /// Whether the graph is the chain of the stages.
    #[must_use]
    pub fn is_chain(&self) -> bool {
        self.chain
    }

    /// Nodes in canonical order.
    #[must_use]
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Node at canonical position `i`.
    #[must_use]
    pub fn node(&self, i: usize) -> Option<&Node> {
        self.nodes.get(i)
    }

    /// Children of node `i`, ascending id.
    #[must_use]
    pub fn children(&self, i: usize) -> &[Child] {
        self.children.get(i).map_or(&[], Vec::as_slice)
    }

    /// Whether every node has at most one parent.
    #[must_use]
    pub fn is_tree(&self) -> bool {
        self.parents.iter().all(|p| p.len() <= 1)
    }

    /// The root node.
    #[must_use]
    pub fn root(&self) -> usize {
        self.root
    }

    /// Number of cut pools.
    #[must_use]
    pub fn num_pools(&self) -> usize {
        self.pool_stage.len()
    }

    /// Stage of each pool (its LP template).
    #[must_use]
    pub fn pool_stage(&self) -> &[usize] {
        &self.pool_stage
    }

    /// Pool of node `i` (0 for an unknown node).
    #[must_use]
    pub fn pool(&self, i: usize) -> usize {
        self.nodes.get(i).map_or(0, |n| n.pool)
    }

    /// Stage of node `i`.
    #[must_use]
    pub fn stage(&self, i: usize) -> usize {
        self.nodes.get(i).map_or(0, |n| n.stage)
    }

    /// Number of realisations of node `i`.
    #[must_use]
    pub fn num_realisations(&self, i: usize, scenario: &ScenarioModel) -> usize {
        match self.nodes.get(i).map(|n| (n.realisations, n.stage)) {
            Some((Realisations::Openings, t)) => scenario.num_openings(t),
            Some((Realisations::External(_), _)) => 1,
            None => 0,
        }
    }

    /// Noise of realisation `k` of node `i`.
    #[must_use]
    pub fn realisation<'a>(&'a self, i: usize, k: usize, scenario: &'a ScenarioModel) -> &'a [f64] {
        match self.nodes.get(i).map(|n| (n.realisations, n.stage)) {
            Some((Realisations::Openings, t)) => scenario.opening(t, k),
            Some((Realisations::External(_), _)) => self.external.get(i).map_or(&[], Vec::as_slice),
            None => &[],
        }
    }

    /// The outcomes of node `i`'s children as `(child, realisation,
    /// probability)`, children in canonical order, realisations in order,
    /// each weighted `P(i→c)·q` with `q = 1/|Ω_c|`.
    pub fn outcomes<'a>(
        &'a self,
        i: usize,
        scenario: &'a ScenarioModel,
    ) -> impl Iterator<Item = (usize, usize, f64)> + 'a {
        self.children(i).iter().flat_map(move |c| {
            let n = self.num_realisations(c.node, scenario);
            #[allow(clippy::cast_precision_loss)]
            let q = 1.0 / n.max(1) as f64;
            (0..n).map(move |k| (c.node, k, c.probability * q))
        })
    }

    /// The child a sampled forward pass takes out of node `i` for
    /// `(iteration, scenario)` (`None` at a leaf).
    #[must_use]
    pub fn sample_child(&self, i: usize, iteration: u64, scenario: u64) -> Option<usize> {
        let ch = self.children(i);
        match ch {
            [] => None,
            [only] => Some(only.node),
            _ => {
                let w: Vec<f64> = ch.iter().map(|c| c.probability).collect();
                let to = |x: u64| u32::try_from(x).unwrap_or(u32::MAX);
                let stage = u32::try_from(self.stage(i)).unwrap_or(u32::MAX);
                let k = cobre_stochastic::rng::transition_choice(
                    to(iteration),
                    to(scenario),
                    stage,
                    &w,
                );
                ch.get(k).map(|c| c.node)
            }
        }
    }

    /// Every root-to-leaf path of a tree, depth first in canonical child
    /// order, with its probability (the product of its transitions).
    #[must_use]
    pub fn paths(&self) -> Vec<(Vec<usize>, f64)> {
        let mut out = Vec::new();
        let mut stack = vec![(vec![self.root], 1.0)];
        while let Some((path, p)) = stack.pop() {
            let last = path.last().copied().unwrap_or(self.root);
            let ch = self.children(last);
            if ch.is_empty() {
                out.push((path, p));
                continue;
            }
            for c in ch.iter().rev() {
                let mut next = path.clone();
                next.push(c.node);
                stack.push((next, p * c.probability));
            }
        }
        out
    }

    /// Nodes of each stage, canonical order.
    #[must_use]
    pub fn nodes_by_stage(&self, n_stages: usize) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); n_stages];
        for (i, n) in self.nodes.iter().enumerate() {
            if let Some(v) = out.get_mut(n.stage) {
                v.push(i);
            }
        }
        out
    }
}

/// The error of a graph the reader should have refused.
fn bad(what: String) -> SddpError {
    SddpError::invalid("policy graph", what)
}

/// The declared nodes in canonical order (ascending id).
fn canonical_order(g: &PolicyGraph) -> Result<Vec<&GraphNode>, SddpError> {
    let mut order: Vec<&GraphNode> = g.nodes.iter().collect();
    order.sort_by_key(|n| n.id);
    if order.windows(2).any(|w| w[0].id == w[1].id) {
        return Err(bad("duplicate node ids".into()));
    }
    Ok(order)
}

/// The transitions of a graph, per node in canonical order.
struct Edges {
    /// Children of each node, in ascending child id.
    children: Vec<Vec<Child>>,
    /// Parents of each node, in ascending position.
    parents: Vec<Vec<usize>>,
}

/// The [`Edges`] of every node of `order`, from the graph's transitions.
fn edges(g: &PolicyGraph, order: &[&GraphNode]) -> Result<Edges, SddpError> {
    let pos = |id: i32| order.binary_search_by_key(&id, |n| n.id).ok();
    let n = order.len();
    let mut children: Vec<Vec<Child>> = vec![Vec::new(); n];
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for t in &g.transitions {
        let (Some(s), Some(d)) = (pos(t.source), pos(t.target)) else {
            return Err(bad(format!(
                "transition {} → {} names an undeclared node",
                t.source, t.target
            )));
        };
        if order[d].stage != order[s].stage + 1 {
            return Err(bad(format!(
                "transition {} → {} does not lead to the next stage",
                t.source, t.target
            )));
        }
        children[s].push(Child {
            node: d,
            probability: t.probability,
        });
        parents[d].push(s);
    }
    for c in &mut children {
        c.sort_by_key(|c| order[c.node].id);
    }
    for p in &mut parents {
        p.sort_unstable();
    }
    Ok(Edges { children, parents })
}

/// Checks that the graph has one root, every node sits within the horizon,
/// only last-stage nodes lack successors and every other node is reached;
/// returns the root's position.
fn check_nodes(
    order: &[&GraphNode],
    children: &[Vec<Child>],
    parents: &[Vec<usize>],
    n_stages: usize,
) -> Result<usize, SddpError> {
    let roots: Vec<usize> = (0..order.len()).filter(|&i| order[i].stage == 0).collect();
    let root = match roots.as_slice() {
        [r] => *r,
        _ => return Err(bad(format!("{} nodes at the first stage", roots.len()))),
    };
    for (i, node) in order.iter().enumerate() {
        if node.stage >= n_stages {
            return Err(bad(format!("node {} is past the last stage", node.id)));
        }
        if children[i].is_empty() && node.stage + 1 != n_stages {
            return Err(bad(format!(
                "node {} has no successor before the last stage",
                node.id
            )));
        }
        if i != root && parents[i].is_empty() {
            return Err(bad(format!("node {} cannot be reached", node.id)));
        }
    }
    Ok(root)
}

/// The pool of every node and the stage of every pool: nodes with
/// children in canonical order, then one pool shared by the leaves.
fn assign_pools(
    order: &[&GraphNode],
    children: &[Vec<Child>],
    n_stages: usize,
) -> (Vec<usize>, Vec<usize>) {
    let n = order.len();
    let mut pools = vec![0usize; n];
    let mut pool_stage = Vec::new();
    for i in 0..n {
        if !children[i].is_empty() {
            pools[i] = pool_stage.len();
            pool_stage.push(order[i].stage);
        }
    }
    let leaf_pool = pool_stage.len();
    pool_stage.push(n_stages.saturating_sub(1));
    for i in 0..n {
        if children[i].is_empty() {
            pools[i] = leaf_pool;
        }
    }
    (pools, pool_stage)
}

/// The engine's nodes, and the noise vector of every node with an external
/// realisation (empty for the others).
fn resolve_nodes(
    order: &[&GraphNode],
    pools: &[usize],
    scenario: &ScenarioModel,
    source: &ScenarioSourceConfig,
) -> Result<(Vec<Node>, Vec<Vec<f64>>), SddpError> {
    let needs_external = order.iter().any(|n| n.scenario.is_some());
    let realisations = if needs_external {
        Some(
            ExternalRealisations::build(source, scenario.model())
                .map_err(|source| SddpError::Stochastic { source })?,
        )
    } else {
        None
    };
    let dim = scenario.noise_dim();
    let mut external = Vec::with_capacity(order.len());
    let nodes = order
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let r = match node.scenario {
                Some(k) => {
                    let mut v = vec![0.0; dim];
                    if let Some(ext) = &realisations {
                        ext.write(node.stage, k as usize, &mut v);
                    }
                    external.push(v);
                    Realisations::External(k)
                }
                None => {
                    external.push(Vec::new());
                    Realisations::Openings
                }
            };
            Node {
                id: node.id,
                stage: node.stage,
                pool: pools[i],
                realisations: r,
            }
        })
        .collect();
    Ok((nodes, external))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_is_one_node_and_one_pool_per_stage() {
        let g = NodeGraph::chain(3);
        assert!(g.is_chain() && g.is_tree());
        assert_eq!(g.num_pools(), 3);
        assert_eq!(g.pool_stage(), &[0, 1, 2]);
        assert_eq!(
            g.children(0),
            &[Child {
                node: 1,
                probability: 1.0
            }]
        );
        assert!(g.children(2).is_empty());
        assert_eq!(g.sample_child(1, 4, 7), Some(2));
        assert_eq!(g.paths(), vec![(vec![0, 1, 2], 1.0)]);
    }
}
