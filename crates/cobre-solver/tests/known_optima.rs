//! LPs with known optimum: objective, primal values, duals, reduced costs,
//! and the sign conventions documented on `LpSolver`.

#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests they serve

mod common;

use cobre_solver::{
    HighsSolver, LpSolver, Scaling, SimplexAlgorithm, SolveStatus, SolverError, SolverOptions,
};
use common::{loaded, model_from_rows, read_solution};

const INF: f64 = f64::INFINITY;
const TOL: f64 = 1e-9;

fn assert_close(a: f64, b: f64) {
    assert!((a - b).abs() <= TOL * (1.0 + b.abs()), "{a} != {b}");
}

fn assert_all_close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_close(*x, *y);
    }
}

#[test]
fn two_variable_lp_has_known_primal_dual_solution() {
    // min -x - y  s.t.  x + 2y <= 4,  3x + y <= 6,  x, y >= 0
    // optimum x = 8/5, y = 6/5, obj = -14/5; duals y1 = -2/5, y2 = -1/5.
    let m = model_from_rows(
        &[-1.0, -1.0],
        &[0.0, 0.0],
        &[INF, INF],
        &[
            (-INF, 4.0, vec![(0, 1.0), (1, 2.0)]),
            (-INF, 6.0, vec![(0, 3.0), (1, 1.0)]),
        ],
    );
    let mut lp = loaded(&m);
    let stats = lp.solve().unwrap();
    assert!(!stats.warm_start);
    let s = read_solution(&lp);
    assert_close(s.obj, -14.0 / 5.0);
    assert_all_close(&s.x, &[8.0 / 5.0, 6.0 / 5.0]);
    // A binding <= row of a minimisation has a nonpositive dual: raising
    // its RHS lowers the objective.
    assert_all_close(&s.y, &[-2.0 / 5.0, -1.0 / 5.0]);
    assert_all_close(&s.d, &[0.0, 0.0]);
    assert_all_close(&s.ax, &[4.0, 6.0]);
    assert_eq!(lp.last_status(), SolveStatus::Optimal);
}

#[test]
fn row_dual_is_derivative_of_objective_with_respect_to_rhs() {
    // min 3x + 5y s.t. x + y >= 10, x <= 4 (col bound) -> x=4, y=6, obj=42.
    let m = model_from_rows(
        &[3.0, 5.0],
        &[0.0, 0.0],
        &[4.0, INF],
        &[(10.0, INF, vec![(0, 1.0), (1, 1.0)])],
    );
    let mut lp = loaded(&m);
    lp.solve().unwrap();
    let s = read_solution(&lp);
    assert_close(s.obj, 42.0);
    assert_all_close(&s.x, &[4.0, 6.0]);
    // binding >= row: dual 5 = d obj / d rhs
    assert_all_close(&s.y, &[5.0]);
    // x at its upper bound: reduced cost 3 - 5 = -2 = d obj / d upper(x)
    assert_all_close(&s.d, &[-2.0, 0.0]);

    // Finite difference confirms both signs.
    lp.set_row_bounds(&[0], &[11.0], &[INF]).unwrap();
    lp.solve().unwrap();
    assert_close(lp.objective_value() - 42.0, 5.0);
    lp.set_row_bounds(&[0], &[10.0], &[INF]).unwrap();
    lp.set_col_bounds(&[0], &[0.0], &[5.0]).unwrap();
    lp.solve().unwrap();
    assert_close(lp.objective_value() - 42.0, -2.0);
}

#[test]
fn fixing_row_dual_is_the_cut_slope() {
    // Value function of a stage: V(v_hat) = min 100 * g  s.t.
    //   g + v_out ... simplified: demand 10 = g + (v_in - v_out) water use,
    //   v_in = v_hat (fixing row), 0 <= v_out <= v_in (via row), g >= 0.
    // With v_hat = 4: use all water, g = 6, V = 600; dV/dv_hat = -100.
    // Columns: g, v_in, v_out.
    let m = model_from_rows(
        &[100.0, 0.0, 0.0],
        &[0.0, 0.0, 0.0],
        &[INF, INF, INF],
        &[
            (10.0, 10.0, vec![(0, 1.0), (1, 1.0), (2, -1.0)]),
            (4.0, 4.0, vec![(1, 1.0)]),
        ],
    );
    let mut lp = loaded(&m);
    lp.solve().unwrap();
    let s = read_solution(&lp);
    assert_close(s.obj, 600.0);
    assert_close(s.x[0], 6.0);
    assert_close(s.x[1], 4.0);
    // The dual of `v_in = v_hat` is the slope of V in v_hat: the cut
    // coefficient of the previous stage's state.
    assert_close(s.y[1], -100.0);
    lp.set_row_bounds(&[1], &[5.0], &[5.0]).unwrap();
    lp.solve().unwrap();
    assert_close(lp.objective_value(), 500.0);
}

#[test]
fn objective_includes_offset() {
    let mut m = model_from_rows(&[1.0], &[2.0], &[INF], &[]);
    m.objective_offset = 7.5;
    let mut lp = loaded(&m);
    lp.solve().unwrap();
    assert_close(lp.objective_value(), 9.5);
    let mut x = [0.0];
    lp.primal_into(&mut x);
    assert_close(x[0], 2.0);
}

#[test]
fn degenerate_lp_reaches_the_optimal_value() {
    // min -x1 - x2 with several constraints active at the optimum (1, 1):
    // x1 + x2 <= 2, x1 <= 1, x2 <= 1, x1 - x2 <= 0, -x1 + x2 <= 0, 2x1 + 2x2 <= 4.
    let m = model_from_rows(
        &[-1.0, -1.0],
        &[0.0, 0.0],
        &[INF, INF],
        &[
            (-INF, 2.0, vec![(0, 1.0), (1, 1.0)]),
            (-INF, 1.0, vec![(0, 1.0)]),
            (-INF, 1.0, vec![(1, 1.0)]),
            (-INF, 0.0, vec![(0, 1.0), (1, -1.0)]),
            (-INF, 0.0, vec![(0, -1.0), (1, 1.0)]),
            (-INF, 4.0, vec![(0, 2.0), (1, 2.0)]),
        ],
    );
    let mut lp = loaded(&m);
    lp.solve().unwrap();
    let s = read_solution(&lp);
    assert_close(s.obj, -2.0);
    assert_all_close(&s.x, &[1.0, 1.0]);
    // Duals are not unique, but any optimal dual is dual feasible for a
    // minimisation with <= rows (y <= 0) and prices the objective:
    // b'y = -2 (all columns basic or at zero lower bound).
    let rhs = [2.0, 1.0, 1.0, 0.0, 0.0, 4.0];
    let by: f64 = rhs.iter().zip(&s.y).map(|(b, y)| b * y).sum();
    assert_close(by, -2.0);
    assert!(s.y.iter().all(|&y| y <= 1e-9));
    // Complementary reduced costs: c - A'y = d, zero for positive columns.
    assert_all_close(&s.d, &[0.0, 0.0]);
}

#[test]
fn infeasible_lp_returns_infeasible_error() {
    // x >= 2 and x <= 1
    let m = model_from_rows(
        &[1.0],
        &[0.0],
        &[INF],
        &[(2.0, INF, vec![(0, 1.0)]), (-INF, 1.0, vec![(0, 1.0)])],
    );
    let mut lp = loaded(&m);
    let err = lp.solve().unwrap_err();
    assert!(
        matches!(
            err,
            SolverError::Infeasible {
                model_status: 8,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.solve_status(), Some(SolveStatus::Infeasible));
    assert!(lp.objective_value().is_nan());
    let mut x = [0.0];
    lp.primal_into(&mut x);
    assert!(x[0].is_nan());
    assert_eq!(lp.cumulative_stats().failures, 1);
}

#[test]
fn unbounded_lp_returns_unbounded_error() {
    // min -x s.t. x - y <= 1, x, y >= 0: unbounded along (1, 1).
    let m = model_from_rows(
        &[-1.0, 0.0],
        &[0.0, 0.0],
        &[INF, INF],
        &[(-INF, 1.0, vec![(0, 1.0), (1, -1.0)])],
    );
    let mut lp = loaded(&m);
    let err = lp.solve().unwrap_err();
    assert!(
        matches!(
            err,
            SolverError::Unbounded { .. } | SolverError::InfeasibleOrUnbounded { .. }
        ),
        "{err:?}"
    );
    assert_eq!(err.highs_model_status(), Some(10));
}

#[test]
fn lp_without_rows_solves_on_bounds() {
    let m = model_from_rows(&[1.0, -2.0], &[-1.0, 0.0], &[3.0, 4.0], &[]);
    let mut lp = loaded(&m);
    lp.solve().unwrap();
    let s = read_solution(&lp);
    assert_close(s.obj, -9.0);
    assert_all_close(&s.x, &[-1.0, 4.0]);
    assert_all_close(&s.d, &[1.0, -2.0]);
}

#[test]
fn changing_costs_moves_the_optimum() {
    // min x + y s.t. x + y >= 1 -> then make x expensive.
    let m = model_from_rows(
        &[1.0, 2.0],
        &[0.0, 0.0],
        &[INF, INF],
        &[(1.0, INF, vec![(0, 1.0), (1, 1.0)])],
    );
    let mut lp = loaded(&m);
    lp.solve().unwrap();
    let mut x = [0.0; 2];
    lp.primal_into(&mut x);
    assert_all_close(&x, &[1.0, 0.0]);
    lp.set_col_costs(&[0], &[3.0]).unwrap();
    lp.solve().unwrap();
    lp.primal_into(&mut x);
    assert_all_close(&x, &[0.0, 1.0]);
    assert_close(lp.objective_value(), 2.0);
}

#[test]
fn primal_simplex_unscaled_and_equilibrated_runs_reach_the_same_optimum() {
    let stage = common::stage_lp(20, 40, 17);
    let mut reference = loaded(&stage.model);
    reference.solve().unwrap();
    for options in [
        SolverOptions {
            algorithm: SimplexAlgorithm::Primal,
            ..SolverOptions::default()
        },
        SolverOptions {
            scaling: Scaling::Off,
            ..SolverOptions::default()
        },
        SolverOptions {
            scaling: Scaling::Equilibration,
            random_seed: 12345,
            ..SolverOptions::default()
        },
    ] {
        let mut lp = HighsSolver::with_options(options).unwrap();
        lp.load_model(&stage.model).unwrap();
        lp.solve().unwrap();
        let (a, b) = (lp.objective_value(), reference.objective_value());
        assert!((a - b).abs() <= 1e-7 * b.abs(), "{a} vs {b}");
    }
}
