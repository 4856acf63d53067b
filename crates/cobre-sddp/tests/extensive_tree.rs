//! The extensive form of a policy-graph tree built from the engine's own
//! stage LPs — every node's LP once, its incoming storage tied to its
//! parent's outgoing storage, its costs weighted by the probability of
//! reaching it and its stage's discount — solved as one LP, against the
//! bound enumerated SDDP converges to.
//!
//! The tree is a reduced DECOMP-like deck built in the test from the shared
//! d28 case (five weekly stages, then a monthly one, external inflows): its
//! five weekly stages become a trunk and the monthly stage a fan of five
//! nodes, one per external inflow scenario, with unequal probabilities; its
//! bus gets a load, so that storing water for the fan matters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cobre_core::config::{SelectionMethod, StoppingRuleConfig};
use cobre_core::{GraphNode, GraphTransition, System, SystemParts};
use cobre_sddp::lp::StagePatch;
use cobre_sddp::{train, RuleKind, StudyModel, TerminationReason, TrainingHooks, TrainingSettings};
use common::*;
use std::path::PathBuf;

fn d28_as_a_tree(probabilities: &[f64]) -> (System, cobre_core::StudyConfig) {
    let dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../../shared/cases/d28-decomp-weekly-monthly");
    let case = cobre_io::load_case(&dir).unwrap();
    let s = &case.system;
    let mut horizon = s.horizon().clone();
    for st in &mut horizon.stages {
        st.num_openings = 1;
    }
    let trunk = horizon.stages.len() - 1;
    let g = &mut horizon.policy_graph;
    g.nodes = (0..trunk)
        .map(|t| GraphNode {
            id: i32::try_from(t).unwrap(),
            stage: t,
            scenario: Some(0),
            label: None,
        })
        .collect();
    g.transitions = (0..trunk - 1)
        .map(|t| GraphTransition {
            source: i32::try_from(t).unwrap(),
            target: i32::try_from(t + 1).unwrap(),
            probability: 1.0,
        })
        .collect();
    for (k, &p) in probabilities.iter().enumerate() {
        let id = i32::try_from(trunk + k).unwrap();
        g.nodes.push(GraphNode {
            id,
            stage: trunk,
            scenario: Some(u32::try_from(k).unwrap()),
            label: None,
        });
        g.transitions.push(GraphTransition {
            source: i32::try_from(trunk - 1).unwrap(),
            target: id,
            probability: p,
        });
    }
    // d28 has no load: give its bus one (more than the plant can carry
    // from its inflows), so that water is worth storing for the fan.
    let mut scenarios = s.scenarios().clone();
    for st in &s.horizon().stages {
        scenarios.load_stats.push(load(0, st.id.0, 150.0, 0.0));
    }
    // A small thermal plant: deficit is the marginal resource in the dry
    // leaves, thermal in the wet ones, so the future cost is not linear.
    let mut thermals = s.thermals().to_vec();
    for th in &mut thermals {
        th.max_generation_mw = 40.0;
    }
    let mut bounds = s.bounds().clone();
    for t in 0..bounds.thermal.num_stages() {
        for j in 0..bounds.thermal.num_entities() {
            if let Some(b) = bounds.thermal.get_mut(t, j) {
                b.max_generation_mw = 40.0;
            }
        }
    }
    let parts = SystemParts {
        buses: s.buses().to_vec(),
        lines: s.lines().to_vec(),
        thermals,
        hydros: s.hydros().to_vec(),
        ncs: s.non_controllable_sources().to_vec(),
        horizon,
        global_penalties: s.global_penalties().cloned(),
        penalties: s.penalties().clone(),
        bounds,
        initial_conditions: s.initial_conditions().clone(),
        scenarios,
        hydro_models: s.hydro_models().clone(),
        generic_constraints: s.generic_constraints().to_vec(),
        generic_constraint_bounds: s.generic_constraint_bounds().to_vec(),
        generic_parameters: s.generic_parameters().to_vec(),
        pumping_stations: s.pumping_stations().to_vec(),
        pumping_bounds: s.pumping_bounds().to_vec(),
        unit_group_bounds: s.unit_group_bounds().to_vec(),
    };
    let mut cfg = case.config.clone();
    cfg.training.selection = SelectionMethod::Enumerated;
    cfg.training.stopping_rules = vec![
        StoppingRuleConfig::Gap {
            tolerance: None,
            relative_tolerance: Some(1e-8),
        },
        StoppingRuleConfig::IterationLimit { limit: 60 },
    ];
    (System::new(parts).unwrap(), cfg)
}

/// The extensive form of `study`'s tree (one realisation per node, no
/// inflow lags), solved as one LP; its optimum in $.
fn extensive_form(study: &StudyModel) -> f64 {
    let graph = study.graph();
    let scenario = study.scenario();
    let ns = study.n_state();
    let discount = study.cumulative_discount();
    let n = graph.nodes().len();
    // Probability of reaching each node (parents come first in id order).
    let mut reach = vec![0.0; n];
    let mut parent = vec![None; n];
    reach[graph.root()] = 1.0;
    for i in 0..n {
        for c in graph.children(i) {
            parent[c.node] = Some(i);
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| graph.stage(i));
    for &i in &order {
        for c in graph.children(i) {
            reach[c.node] = reach[i] * c.probability;
        }
    }
    let (mut cost, mut lo, mut up) = (vec![], vec![], vec![]);
    let (mut rl, mut ru, mut tr) = (vec![], vec![], vec![]);
    let mut col_off = vec![0; n];
    let mut scale = 1.0;
    for &i in &order {
        let t = graph.stage(i);
        let tpl = &study.templates()[t];
        let (m, layout) = (&tpl.full_model(), &tpl.layout);
        assert_eq!(layout.n_lags, 0, "the test's extensive form has no lags");
        scale = tpl.cost_scale;
        let (c0, r0) = (cost.len(), rl.len());
        col_off[i] = c0;
        let w = reach[i] * discount[t];
        cost.extend(m.col_cost.iter().map(|c| c * w));
        lo.extend_from_slice(&m.col_lower);
        up.extend_from_slice(&m.col_upper);
        // θ: no future cost inside the extensive form.
        cost[c0 + layout.theta] = 0.0;
        lo[c0 + layout.theta] = 0.0;
        up[c0 + layout.theta] = 0.0;
        let mut patch = StagePatch::new(tpl);
        let x_in = match parent[i] {
            None => study.initial_state().to_vec(),
            Some(_) => vec![0.0; ns],
        };
        patch.fill(tpl, scenario, &x_in, graph.realisation(i, 0, scenario));
        let mut row_lo = m.row_lower.clone();
        let mut row_up = m.row_upper.clone();
        for (r, v) in patch.values().iter().enumerate() {
            row_lo[r] = *v;
            row_up[r] = *v;
        }
        rl.extend(row_lo);
        ru.extend(row_up);
        for j in 0..m.num_cols {
            for k in m.a_start[j]..m.a_start[j + 1] {
                tr.push((r0 + m.a_index[k], c0 + j, m.a_value[k]));
            }
        }
        // Non-controllable availability (patched bounds).
        for (idx, &avail) in patch.ncs_available().iter().enumerate() {
            let col = c0 + layout.ncs.at(idx);
            let must = layout.ncs_must_run[idx % layout.n_ncs.max(1)];
            up[col] = avail;
            lo[col] = if must { avail } else { 0.0 };
        }
        // Incoming storage: the initial state at the root, else tied to
        // the parent's outgoing storage by a row of its own.
        for (&col, &v) in layout.state_in_cols.iter().zip(patch.state_values()) {
            (lo[c0 + col], up[c0 + col]) = match parent[i] {
                None => (v, v),
                Some(_) => (f64::NEG_INFINITY, f64::INFINITY),
            };
        }
        if let Some(p) = parent[i] {
            let ptpl = &study.templates()[graph.stage(p)];
            for h in 0..layout.n_hydros {
                let row = rl.len();
                rl.push(0.0);
                ru.push(0.0);
                tr.push((row, c0 + layout.state_in_cols[h], 1.0));
                tr.push((row, col_off[p] + ptpl.layout.state_out_cols[h], -1.0));
            }
        }
    }
    solve_triplets(cost, lo, up, rl, ru, tr) * scale
}

/// Trains `system` under `cfg` (stopping by the gap rule) and returns the
/// last iteration's bounds beside the tree's extensive form, after
/// checking that the gap rule ended training.
fn converged_bounds_and_extensive_form(
    system: &System,
    cfg: &cobre_core::StudyConfig,
) -> (f64, f64, f64, usize) {
    let study = StudyModel::build(system, cfg).unwrap();
    let r = train(
        &study,
        &TrainingSettings::from_config(cfg),
        TrainingHooks::default(),
    )
    .unwrap();
    assert_eq!(r.termination, TerminationReason::Rule(RuleKind::Gap));
    let last = r.records.last().unwrap();
    (
        last.lower_bound,
        last.upper_bound,
        extensive_form(&study),
        r.records.len(),
    )
}

#[test]
fn enumerated_sddp_on_a_reduced_decomp_tree_equals_its_extensive_form() {
    let (system, cfg) = d28_as_a_tree(&[0.1, 0.2, 0.3, 0.25, 0.15]);
    let (lb, ub, ef, _) = converged_bounds_and_extensive_form(&system, &cfg);
    assert!(rel(lb, ef) < 1e-6, "LB {lb} vs extensive form {ef}");
    assert!(rel(ub, ef) < 1e-6, "UB {ub} vs {ef}");
}

/// decomp_mini itself (the converted DECOMP deck: a trunk of three stages
/// and a fan of two branches, 168 hydros, pumping, diversions, unit groups,
/// per-block bounds, generic constraints): its whole tree as one LP against
/// the bound enumerated SDDP converges to. Skipped when the shared decks
/// are absent.
#[test]
fn enumerated_sddp_on_decomp_mini_equals_its_extensive_form() {
    let dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../../shared/cases-real/decomp_mini");
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let case = cobre_io::load_case(&dir).unwrap();
    let mut cfg = case.config.clone();
    cfg.training.stopping_rules = vec![
        StoppingRuleConfig::Gap {
            tolerance: None,
            relative_tolerance: Some(1e-9),
        },
        StoppingRuleConfig::IterationLimit { limit: 200 },
    ];
    let (lb, ub, ef, iterations) = converged_bounds_and_extensive_form(&case.system, &cfg);
    eprintln!("decomp_mini: {iterations} iterations, LB {lb}, UB {ub}, extensive form {ef}");
    assert!(rel(lb, ef) < 1e-6, "LB {lb} vs extensive form {ef}");
}
