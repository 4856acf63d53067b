//! Warm starts, appended and deleted rows, and basis round trips on a
//! stage-like LP.

#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests they serve

mod common;

use cobre_solver::{
    Basis, BasisStatus, HighsSolver, LpSolver, RowBatch, SolveStatus, SolverError, SolverOptions,
};
use common::{loaded, model_from_rows, retried_failure, stage_lp, Rng};

const INF: f64 = f64::INFINITY;

fn rel_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-7 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn warm_resolve_after_rhs_change_needs_fewer_iterations_than_cold() {
    let stage = stage_lp(80, 300, 1);
    let mut warm = loaded(&stage.model);
    let first = warm.solve().unwrap();
    assert!(!first.warm_start);
    let mut cold = loaded(&stage.model);
    cold.solve().unwrap();

    let mut rng = Rng::new(7);
    let mut inflow = Vec::new();
    let (mut warm_iters, mut cold_iters) = (0, 0);
    for _ in 0..5 {
        stage.inflow_scenario(&mut rng, &mut inflow);
        warm.set_row_bounds(&stage.balance_rows, &inflow, &inflow)
            .unwrap();
        let w = warm.solve().unwrap();
        assert!(w.warm_start);
        cold.set_row_bounds(&stage.balance_rows, &inflow, &inflow)
            .unwrap();
        cold.clear_basis();
        let c = cold.solve().unwrap();
        assert!(!c.warm_start);
        assert!(
            rel_close(warm.objective_value(), cold.objective_value()),
            "{} vs {}",
            warm.objective_value(),
            cold.objective_value()
        );
        assert!(
            w.simplex_iterations < c.simplex_iterations,
            "warm {} >= cold {}",
            w.simplex_iterations,
            c.simplex_iterations
        );
        warm_iters += w.simplex_iterations;
        cold_iters += c.simplex_iterations;
    }
    assert!(
        warm_iters * 2 < cold_iters,
        "warm {warm_iters} vs cold {cold_iters}"
    );
    assert_eq!(warm.cumulative_stats().solves, 6);
    assert!(warm.cumulative_stats().simplex_iterations > 0);
}

#[test]
fn appended_cut_rows_move_the_optimum_as_expected() {
    // min theta + x  s.t. theta >= 0 (bound), x in [0, 10].
    // Cut 1: theta >= 10 - 2x  -> optimum x = 5, theta = 0, obj 5.
    // Cut 2: theta >= 4 - 0.5x -> at x = 5 gives theta >= 1.5.
    //   New optimum: minimise max(10-2x, 4-0.5x, 0) + x:
    //   intersection 10-2x = 4-0.5x at x=4, theta=2, obj 6; on [4, 8]
    //   slope of (4-0.5x)+x is +0.5, on [0,4] slope of (10-2x)+x is -1 -> x=4.
    let m = model_from_rows(&[1.0, 1.0], &[0.0, 0.0], &[INF, 10.0], &[]);
    let mut lp = loaded(&m);
    lp.solve().unwrap();
    assert!(rel_close(lp.objective_value(), 0.0));

    let mut cuts = RowBatch::new();
    cuts.push_row(10.0, INF, &[(0, 1.0), (1, 2.0)]);
    lp.add_rows(&cuts).unwrap();
    assert_eq!(lp.num_rows(), 1);
    let s = lp.solve().unwrap();
    assert!(s.warm_start);
    assert!(rel_close(lp.objective_value(), 5.0));

    cuts.clear();
    cuts.push_row(4.0, INF, &[(0, 1.0), (1, 0.5)]);
    lp.add_rows(&cuts).unwrap();
    lp.solve().unwrap();
    let mut x = [0.0; 2];
    let mut y = [0.0; 2];
    lp.primal_into(&mut x);
    lp.row_duals_into(&mut y);
    assert!(rel_close(lp.objective_value(), 6.0));
    assert!(rel_close(x[0], 2.0) && rel_close(x[1], 4.0), "{x:?}");
    // Both cuts active; duals are convex weights on theta's unit cost:
    // y1 + y2 = 1 and 2 y1 + 0.5 y2 = 1  ->  y1 = 1/3, y2 = 2/3.
    assert!(
        rel_close(y[0], 1.0 / 3.0) && rel_close(y[1], 2.0 / 3.0),
        "{y:?}"
    );

    // Removing the first cut leaves only theta >= 4 - 0.5x: x = 0, obj 4.
    lp.delete_rows(&[0]).unwrap();
    assert_eq!(lp.num_rows(), 1);
    lp.solve().unwrap();
    assert!(rel_close(lp.objective_value(), 4.0));
}

#[test]
fn cuts_on_stage_lp_raise_the_future_cost() {
    let stage = stage_lp(80, 300, 2);
    let mut lp = loaded(&stage.model);
    lp.solve().unwrap();
    let before = lp.objective_value();
    let mut rng = Rng::new(3);
    let mut cuts = RowBatch::new();
    stage.random_cuts(&mut rng, 10, &mut cuts);
    lp.add_rows(&cuts).unwrap();
    assert_eq!(lp.num_rows(), stage.model.num_rows + 10);
    let s = lp.solve().unwrap();
    assert!(s.warm_start);
    assert!(lp.objective_value() > before + 1.0);
    // Some cut is binding: a positive dual (raising its RHS costs more).
    let mut y = vec![0.0; lp.num_rows()];
    lp.row_duals_into(&mut y);
    assert!(y[stage.model.num_rows..].iter().any(|&d| d > 1e-9));
    assert!(y[stage.model.num_rows..].iter().all(|&d| d >= -1e-9));
    // Same answer from a fresh instance with the cuts in the model.
    let mut fresh = loaded(&stage.model);
    fresh.add_rows(&cuts).unwrap();
    fresh.solve().unwrap();
    assert!(rel_close(fresh.objective_value(), lp.objective_value()));
}

#[test]
fn basis_round_trip_restarts_at_the_optimum_without_iterations() {
    let stage = stage_lp(40, 100, 4);
    let mut a = loaded(&stage.model);
    a.solve().unwrap();
    let mut basis = Basis::new();
    a.basis_into(&mut basis);
    assert_eq!(basis.num_cols(), a.num_cols());
    assert_eq!(basis.num_rows(), a.num_rows());
    assert_eq!(basis.num_basic(), a.num_rows());

    let mut b = loaded(&stage.model);
    b.set_basis(&basis).unwrap();
    let s = b.solve().unwrap();
    assert!(s.warm_start);
    assert_eq!(s.simplex_iterations, 0);
    assert!(rel_close(a.objective_value(), b.objective_value()));
    let mut again = Basis::new();
    b.basis_into(&mut again);
    assert_eq!(again, basis);
}

#[test]
fn basis_with_fewer_rows_takes_new_rows_as_basic() {
    let stage = stage_lp(40, 100, 5);
    let mut a = loaded(&stage.model);
    a.solve().unwrap();
    let mut before_cuts = Basis::new();
    a.basis_into(&mut before_cuts);

    let mut cuts = RowBatch::new();
    stage.random_cuts(&mut Rng::new(9), 10, &mut cuts);
    a.add_rows(&cuts).unwrap();
    a.solve().unwrap();

    let mut b = loaded(&stage.model);
    b.add_rows(&cuts).unwrap();
    b.set_basis(&before_cuts).unwrap();
    let mut padded = Basis::new();
    b.basis_into(&mut padded);
    assert_eq!(padded.num_rows(), stage.model.num_rows + 10);
    assert!(padded.row_status[stage.model.num_rows..]
        .iter()
        .all(|s| *s == BasisStatus::Basic));
    b.solve().unwrap();
    assert!(rel_close(a.objective_value(), b.objective_value()));

    let too_many = Basis::logical(b.num_cols(), b.num_rows() + 1);
    assert!(matches!(
        b.set_basis(&too_many),
        Err(SolverError::DimensionMismatch { .. })
    ));
    let wrong_cols = Basis::logical(b.num_cols() - 1, b.num_rows());
    assert!(matches!(
        b.set_basis(&wrong_cols),
        Err(SolverError::DimensionMismatch { .. })
    ));
}

#[test]
fn basis_before_any_solve_is_the_logical_basis() {
    let stage = stage_lp(10, 20, 6);
    let lp = loaded(&stage.model);
    let mut b = Basis::new();
    lp.basis_into(&mut b);
    assert_eq!(b, Basis::logical(lp.num_cols(), lp.num_rows()));
}

#[test]
fn iteration_limit_is_retried_cold_then_reported() {
    let stage = stage_lp(20, 40, 7);
    let options = SolverOptions {
        iteration_limit: Some(1),
        ..SolverOptions::default()
    };
    let mut lp = HighsSolver::with_options(options).unwrap();
    lp.load_model(&stage.model).unwrap();
    // Cold: no retry.
    let err = lp.solve().unwrap_err();
    assert_eq!(
        retried_failure(&err),
        Some((SolveStatus::IterationLimit, false)),
        "{err:?}"
    );
    // Now a basis exists: the warm attempt fails, is retried cold, fails.
    let err = lp.solve().unwrap_err();
    assert_eq!(
        retried_failure(&err),
        Some((SolveStatus::IterationLimit, true)),
        "{err:?}"
    );
    let c = lp.cumulative_stats();
    assert_eq!((c.solves, c.failures, c.cold_retries), (2, 2, 1));
    // Lifting the limit recovers.
    lp.set_options(SolverOptions::default()).unwrap();
    lp.solve().unwrap();
}

#[test]
fn time_limit_is_reported_per_solve_and_not_retried() {
    let stage = stage_lp(80, 300, 8);
    let mut lp = loaded(&stage.model);
    lp.solve().unwrap();
    lp.set_options(SolverOptions {
        time_limit_s: 1e-9,
        ..SolverOptions::default()
    })
    .unwrap();
    lp.clear_basis();
    let err = lp.solve().unwrap_err();
    assert!(matches!(err, SolverError::TimeLimit { .. }), "{err:?}");
    assert_eq!(lp.cumulative_stats().cold_retries, 0);
    // A generous limit applies to each solve, not to the instance's life.
    lp.set_options(SolverOptions {
        time_limit_s: 60.0,
        ..SolverOptions::default()
    })
    .unwrap();
    for _ in 0..3 {
        lp.clear_basis();
        lp.solve().unwrap();
    }
}

#[test]
fn warm_start_survives_infeasible_patch_and_recovers() {
    // x + y >= r with x, y in [0, 1]: r = 3 is infeasible, r = 1 is not.
    let m = model_from_rows(
        &[1.0, 2.0],
        &[0.0, 0.0],
        &[1.0, 1.0],
        &[(1.0, INF, vec![(0, 1.0), (1, 1.0)])],
    );
    let mut lp = loaded(&m);
    lp.solve().unwrap();
    lp.set_row_bounds(&[0], &[3.0], &[INF]).unwrap();
    let err = lp.solve().unwrap_err();
    assert_eq!(
        retried_failure(&err),
        Some((SolveStatus::Infeasible, true)),
        "{err:?}"
    );
    lp.set_row_bounds(&[0], &[1.5], &[INF]).unwrap();
    lp.solve().unwrap();
    assert!(rel_close(lp.objective_value(), 2.0));
}
