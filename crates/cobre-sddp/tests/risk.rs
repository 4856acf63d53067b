//! Risk-averse training: the CVaR mixture `(1 − λ)·E + λ·CVaR_α` converges
//! to the nested risk-averse extensive form (the whole scenario tree as one
//! LP with CVaR written through its η-formulation), and `λ = 0` reproduces
//! the risk-neutral run exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use cobre_core::RiskMeasure;
use cobre_sddp::lp::StagePatch;
use cobre_sddp::{train, StudyModel, TrainingHooks, TrainingSettings};
use common::*;

/// Builds and solves the nested extensive form with stage risk measures
/// `(alpha, lambda)` per stage. For a node `n` of stage `t` with cost
/// variables `x_n`, its value is `Z_n = c·x_n + δ_t·R_n`, where `R_n`
/// aggregates its children (stage `t + 1`) with stage `t + 1`'s measure:
/// `R_n = (1 − λ)·Σ p_c Z_c + λ·(η_n + (1/α)·Σ p_c u_c)`, `u_c ≥ Z_c − η_n`,
/// `u_c ≥ 0`. The objective is the same aggregate over the stage-0 nodes.
fn risk_extensive_form(study: &StudyModel, risk: &[(f64, f64)]) -> f64 {
    let tpls = study.templates();
    let sc = study.scenario();
    let zeros = vec![0.0; study.n_state()];
    // Nodes: (stage, parent, opening, first column).
    let mut nodes: Vec<(usize, Option<usize>, usize, usize)> = Vec::new();
    let mut cols = 0;
    let mut previous: Vec<Option<usize>> = vec![None];
    for (t, tpl) in tpls.iter().enumerate() {
        let mut current = Vec::new();
        for parent in &previous {
            for k in 0..sc.num_openings(t) {
                nodes.push((t, *parent, k, cols));
                cols += tpl.layout.num_cols;
                current.push(Some(nodes.len() - 1));
            }
        }
        previous = current;
    }
    let (mut cost, mut lower, mut upper) = (vec![0.0; cols], vec![], vec![]);
    let (mut row_lower, mut row_upper) = (vec![], vec![]);
    let mut triplets: Vec<(usize, usize, f64)> = vec![];
    for &(t, parent, k, off) in &nodes {
        let m = &tpls[t].full_model();
        let lay = &tpls[t].layout;
        let row_offset = row_lower.len();
        for j in 0..m.num_cols {
            lower.push(m.col_lower[j]);
            upper.push(m.col_upper[j]);
            for p in m.a_start[j]..m.a_start[j + 1] {
                triplets.push((row_offset + m.a_index[p], off + j, m.a_value[p]));
            }
        }
        upper[off + lay.theta] = 0.0;
        row_lower.extend_from_slice(&m.row_lower);
        row_upper.extend_from_slice(&m.row_upper);
        let mut patch = StagePatch::new(&tpls[t]);
        let x_in = if parent.is_none() {
            study.initial_state()
        } else {
            &zeros
        };
        patch.fill(&tpls[t], sc, x_in, sc.opening(t, k));
        for (r, v) in patch.values().iter().enumerate() {
            row_lower[row_offset + r] = *v;
            row_upper[row_offset + r] = *v;
        }
        // The incoming state: the initial one at the root, else tied to the
        // parent's outgoing state by rows x_in − x_out(parent) = 0.
        for (&col, &v) in lay.state_in_cols.iter().zip(patch.state_values()) {
            (lower[off + col], upper[off + col]) = match parent {
                None => (v, v),
                Some(_) => (f64::NEG_INFINITY, f64::INFINITY),
            };
        }
        if let Some(pn) = parent {
            let (pt, _, _, poff) = nodes[pn];
            for (i, &col) in tpls[pt].layout.state_out_cols.iter().enumerate() {
                let row = row_lower.len();
                row_lower.push(0.0);
                row_upper.push(0.0);
                triplets.push((row, off + lay.state_in_cols[i], 1.0));
                triplets.push((row, poff + col, -1.0));
            }
        }
    }
    // Risk variables: Z per node, η per node (and for the root), u per node.
    let n_nodes = nodes.len();
    let z0 = cols;
    let eta0 = z0 + n_nodes; // η of node n at eta0 + n; the root's at eta0 + n_nodes
    let u0 = eta0 + n_nodes + 1;
    for _ in 0..n_nodes {
        cost.push(0.0);
        lower.push(f64::NEG_INFINITY);
        upper.push(f64::INFINITY);
    }
    for _ in 0..=n_nodes {
        cost.push(0.0);
        lower.push(f64::NEG_INFINITY);
        upper.push(f64::INFINITY);
    }
    for _ in 0..n_nodes {
        cost.push(0.0);
        lower.push(0.0);
        upper.push(f64::INFINITY);
    }
    let children =
        |n: Option<usize>| -> Vec<usize> { (0..n_nodes).filter(|&c| nodes[c].1 == n).collect() };
    // Z_n − c·x_n − δ_t·R_n = 0 and u_c − Z_c + η_n ≥ 0 for each child c.
    let aggregate = |row: usize, parent: Option<usize>, scale: f64, triplets: &mut Vec<_>| {
        let kids = children(parent);
        let Some(&first) = kids.first() else {
            return;
        };
        let (alpha, lambda) = risk[nodes[first].0];
        let p = 1.0 / kids.len() as f64;
        let eta = eta0 + parent.unwrap_or(n_nodes);
        triplets.push((row, eta, scale * lambda));
        for &c in &kids {
            triplets.push((row, z0 + c, scale * (1.0 - lambda) * p));
            triplets.push((row, u0 + c, scale * lambda * p / alpha));
        }
    };
    let mut rows_risk: Vec<(f64, f64)> = Vec::new();
    let base = row_lower.len();
    for (n, &(t, _, _, off)) in nodes.iter().enumerate() {
        let row = base + rows_risk.len();
        rows_risk.push((0.0, 0.0));
        triplets.push((row, z0 + n, 1.0));
        let m = &tpls[t].full_model();
        for j in 0..m.num_cols {
            if j != tpls[t].layout.theta && m.col_cost[j] != 0.0 {
                triplets.push((row, off + j, -m.col_cost[j]));
            }
        }
        aggregate(row, Some(n), -tpls[t].discount, &mut triplets);
        // u_n − Z_n + η_parent ≥ 0.
        let row = base + rows_risk.len();
        rows_risk.push((0.0, f64::INFINITY));
        triplets.push((row, u0 + n, 1.0));
        triplets.push((row, z0 + n, -1.0));
        triplets.push((row, eta0 + nodes[n].1.unwrap_or(n_nodes), 1.0));
    }
    for (lo, hi) in rows_risk {
        row_lower.push(lo);
        row_upper.push(hi);
    }
    // Objective: the root aggregate.
    let obj_row = row_lower.len();
    let mut root = Vec::new();
    aggregate(obj_row, None, 1.0, &mut root);
    for (_, col, v) in root {
        cost[col] += v;
    }
    let objective = solve_triplets(cost, lower, upper, row_lower, row_upper, triplets);
    objective * tpls[0].cost_scale
}

fn system_with_risk(alpha: f64, lambda: f64) -> cobre_core::System {
    stochastic_system_with_risk(3, 5, RiskMeasure::Cvar { alpha, lambda })
}

fn lower_bound(system: &cobre_core::System, iterations: u32) -> (f64, StudyModel) {
    let cfg = config(iterations, 2);
    let study = StudyModel::build(system, &cfg).unwrap();
    let settings = TrainingSettings::from_config(&cfg);
    let lb = train(&study, &settings, TrainingHooks::default())
        .unwrap()
        .lower_bound();
    (lb, study)
}

#[test]
fn cvar_lower_bound_converges_to_the_risk_averse_extensive_form() {
    let (alpha, lambda) = (0.4, 0.6);
    let system = system_with_risk(alpha, lambda);
    let (lb, study) = lower_bound(&system, 250);
    let optimum = risk_extensive_form(&study, &[(alpha, lambda); 3]);
    let neutral = risk_extensive_form(&study, &[(1.0, 0.0); 3]);
    eprintln!("risk-averse extensive form {optimum}, SDDP {lb}, risk-neutral {neutral}");
    assert!(optimum > neutral * (1.0 + 1e-4), "CVaR must cost more");
    assert!(
        ((lb - optimum) / optimum).abs() < 1e-6,
        "LB {lb} vs extensive form {optimum}"
    );
}

#[test]
fn lambda_zero_reproduces_the_risk_neutral_run_exactly() {
    let neutral = stochastic_system(3, 5);
    let (a, _) = lower_bound(&neutral, 30);
    let (b, _) = lower_bound(&system_with_risk(0.3, 0.0), 30);
    assert_eq!(a.to_bits(), b.to_bits());
}
