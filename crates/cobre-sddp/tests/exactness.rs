//! The trained lower bound of a small stochastic case converges to the
//! optimum of its extensive form (the whole scenario tree as one LP, built
//! here from the stage templates and solved with the LP layer).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use cobre_sddp::lp::StagePatch;
use cobre_sddp::{train, StudyModel, TrainingHooks, TrainingSettings};
use common::*;

struct Node {
    stage: usize,
    parent: Option<usize>,
    opening: usize,
    probability: f64,
    col_offset: usize,
}

/// Optimum ($) of the extensive form of the study's opening tree.
fn extensive_form(study: &StudyModel) -> f64 {
    let tpls = study.templates();
    let sc = study.scenario();
    let discount = study.cumulative_discount();
    let mut nodes: Vec<Node> = Vec::new();
    let mut previous: Vec<Option<usize>> = vec![None];
    let mut prob_of: Vec<f64> = vec![1.0];
    let mut cols = 0;
    for (t, tpl) in tpls.iter().enumerate() {
        let n_open = sc.num_openings(t);
        let mut current = Vec::new();
        let mut probs = Vec::new();
        for (parent, p) in previous.iter().zip(&prob_of) {
            for k in 0..n_open {
                let probability = p / n_open as f64;
                nodes.push(Node {
                    stage: t,
                    parent: *parent,
                    opening: k,
                    probability,
                    col_offset: cols,
                });
                cols += tpl.layout.num_cols;
                current.push(Some(nodes.len() - 1));
                probs.push(probability);
            }
        }
        previous = current;
        prob_of = probs;
    }

    let (mut cost, mut lower, mut upper) = (vec![], vec![], vec![]);
    let (mut row_lower, mut row_upper) = (vec![], vec![]);
    let mut triplets: Vec<(usize, usize, f64)> = vec![];
    let zeros = vec![0.0; study.n_state()];
    for node in &nodes {
        let tpl = &tpls[node.stage];
        let m = &tpl.full_model();
        let lay = &tpl.layout;
        let row_offset = row_lower.len();
        let weight = node.probability * discount[node.stage];
        for j in 0..m.num_cols {
            cost.push(m.col_cost[j] * weight);
            lower.push(m.col_lower[j]);
            upper.push(m.col_upper[j]);
            for p in m.a_start[j]..m.a_start[j + 1] {
                triplets.push((row_offset + m.a_index[p], node.col_offset + j, m.a_value[p]));
            }
        }
        // θ is replaced by the descendants.
        cost[node.col_offset + lay.theta] = 0.0;
        upper[node.col_offset + lay.theta] = 0.0;
        row_lower.extend_from_slice(&m.row_lower);
        row_upper.extend_from_slice(&m.row_upper);
        let mut patch = StagePatch::new(tpl);
        let x_in = if node.parent.is_none() {
            study.initial_state()
        } else {
            &zeros
        };
        patch.fill(tpl, sc, x_in, sc.opening(node.stage, node.opening));
        for (r, v) in patch.values().iter().enumerate() {
            row_lower[row_offset + r] = *v;
            row_upper[row_offset + r] = *v;
        }
        // The incoming state: the initial one at the root, else tied to the
        // parent's outgoing state by rows x_in − x_out(parent) = 0.
        for (&col, &v) in lay.state_in_cols.iter().zip(patch.state_values()) {
            let c = node.col_offset + col;
            (lower[c], upper[c]) = match node.parent {
                None => (v, v),
                Some(_) => (f64::NEG_INFINITY, f64::INFINITY),
            };
        }
        if let Some(parent) = node.parent {
            let pn = &nodes[parent];
            let playout = &tpls[pn.stage].layout;
            for (i, &col) in playout.state_out_cols.iter().enumerate() {
                let row = row_lower.len();
                row_lower.push(0.0);
                row_upper.push(0.0);
                triplets.push((row, node.col_offset + lay.state_in_cols[i], 1.0));
                triplets.push((row, pn.col_offset + col, -1.0));
            }
        }
    }
    let objective = solve_triplets(cost, lower, upper, row_lower, row_upper, triplets);
    objective * tpls[0].cost_scale
}

#[test]
fn lower_bound_converges_to_the_extensive_form_optimum() {
    let system = stochastic_system(3, 5);
    let cfg = config(200, 2);
    let study = StudyModel::build(&system, &cfg).unwrap();
    let optimum = extensive_form(&study);
    let settings = TrainingSettings::from_config(&cfg);
    let r = train(&study, &settings, TrainingHooks::default()).unwrap();
    let lb = r.lower_bound();
    eprintln!(
        "extensive form {optimum}, SDDP lower bound {lb} after {} iterations",
        r.iterations()
    );
    assert!(
        rel(lb, optimum) < 1e-6,
        "LB {lb} vs extensive form {optimum}"
    );
    // The lower bound never decreases and never exceeds the optimum.
    for w in r.records.windows(2) {
        assert!(w[1].lower_bound >= w[0].lower_bound - 1e-9 * optimum.abs());
    }
    assert!(lb <= optimum * (1.0 + 1e-9));
}
