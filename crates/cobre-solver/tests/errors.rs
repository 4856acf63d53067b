//! Bad input is rejected with typed errors, never a panic, and leaves the
//! solver usable.

#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests they serve

mod common;

use cobre_solver::{
    Basis, HighsSolver, LpModel, LpSolver, RowBatch, SolveStatus, SolverError, SolverOptions,
};
use common::{loaded, model_from_rows, retried_failure};

const INF: f64 = f64::INFINITY;

fn small() -> LpModel {
    // min x + y  s.t.  x + y >= 1,  x - y <= 0.5
    model_from_rows(
        &[1.0, 1.0],
        &[0.0, 0.0],
        &[INF, INF],
        &[
            (1.0, INF, vec![(0, 1.0), (1, 1.0)]),
            (-INF, 0.5, vec![(0, 1.0), (1, -1.0)]),
        ],
    )
}

/// A solver with [`small`] loaded.
fn loaded_small() -> HighsSolver {
    loaded(&small())
}

#[test]
fn solving_before_loading_is_an_error() {
    let mut lp = HighsSolver::new().unwrap();
    assert!(matches!(lp.solve(), Err(SolverError::InvalidModel { .. })));
    assert!(lp.set_row_bounds(&[0], &[0.0], &[1.0]).is_err());
    assert!(lp.set_basis(&Basis::new()).is_err());
    lp.clear_basis();
    assert!(lp.objective_value().is_nan());
    let mut b = Basis::new();
    lp.basis_into(&mut b);
    assert_eq!((b.num_cols(), b.num_rows()), (0, 0));
}

#[test]
fn malformed_model_is_rejected_and_previous_model_kept() {
    let mut lp = loaded_small();
    let mut bad = small();
    bad.a_index[0] = 7;
    assert!(matches!(
        lp.load_model(&bad),
        Err(SolverError::InvalidModel { .. })
    ));
    let mut bad = small();
    bad.col_upper.push(1.0);
    assert!(matches!(
        lp.load_model(&bad),
        Err(SolverError::InvalidModel { .. })
    ));
    assert_eq!(lp.num_rows(), 2);
    lp.solve().unwrap();
    assert!((lp.objective_value() - 1.0).abs() < 1e-9);
}

#[test]
fn patch_arguments_are_checked() {
    let mut lp = loaded_small();
    assert!(matches!(
        lp.set_row_bounds(&[0, 1], &[0.0], &[1.0, 2.0]),
        Err(SolverError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        lp.set_row_bounds(&[2], &[0.0], &[1.0]),
        Err(SolverError::IndexOutOfRange {
            index: 2,
            bound: 2,
            ..
        })
    ));
    assert!(matches!(
        lp.set_row_bounds(&[0], &[f64::NAN], &[1.0]),
        Err(SolverError::NotANumber { .. })
    ));
    assert!(matches!(
        lp.set_col_bounds(&[5], &[0.0], &[1.0]),
        Err(SolverError::IndexOutOfRange { .. })
    ));
    assert!(matches!(
        lp.set_col_costs(&[0], &[INF]),
        Err(SolverError::NotANumber { .. })
    ));
    assert!(matches!(
        lp.delete_rows(&[1, 0]),
        Err(SolverError::IndexOutOfRange { .. })
    ));
    assert!(matches!(
        lp.delete_rows(&[3]),
        Err(SolverError::IndexOutOfRange { .. })
    ));
    let mut batch = RowBatch::new();
    batch.push_row(0.0, 1.0, &[(9, 1.0)]);
    assert!(matches!(
        lp.add_rows(&batch),
        Err(SolverError::IndexOutOfRange { .. })
    ));
    batch.clear();
    batch.push_row(0.0, 1.0, &[(0, f64::NAN)]);
    assert!(lp.add_rows(&batch).is_err());
    let broken = RowBatch {
        lower: vec![0.0],
        upper: vec![1.0, 2.0],
        ..RowBatch::new()
    };
    assert!(matches!(
        lp.add_rows(&broken),
        Err(SolverError::DimensionMismatch { .. })
    ));
    // Nothing above changed the model.
    assert_eq!(lp.num_rows(), 2);
    lp.solve().unwrap();
    assert!((lp.objective_value() - 1.0).abs() < 1e-9);
}

#[test]
fn empty_batches_are_no_ops() {
    let mut lp = loaded_small();
    lp.add_rows(&RowBatch::new()).unwrap();
    lp.add_rows(&RowBatch::default()).unwrap();
    lp.delete_rows(&[]).unwrap();
    lp.set_row_bounds(&[], &[], &[]).unwrap();
    assert_eq!(lp.num_rows(), 2);
}

#[test]
fn inconsistent_bounds_make_the_lp_infeasible_not_panic() {
    let mut lp = loaded_small();
    lp.set_col_bounds(&[0], &[2.0], &[1.0]).unwrap_or(());
    let r = lp.solve();
    assert!(r.is_err(), "{r:?}");
}

#[test]
fn short_output_buffers_get_a_prefix_and_long_ones_keep_their_tail() {
    let mut lp = loaded_small();
    lp.solve().unwrap();
    let mut short = [f64::NAN; 1];
    lp.primal_into(&mut short);
    assert!(short[0].is_finite());
    let mut long = [7.0; 5];
    lp.row_duals_into(&mut long);
    assert!(long[0].is_finite() && long[1].is_finite());
    assert_eq!(&long[2..], &[7.0, 7.0, 7.0]);
    // After a patch there is no solution to read.
    lp.set_row_bounds(&[0], &[2.0], &[INF]).unwrap();
    lp.primal_into(&mut long);
    assert!(long.iter().all(|v| v.is_nan()));
}

#[test]
fn invalid_options_are_rejected() {
    let o = SolverOptions {
        dual_feasibility_tolerance: -1.0,
        ..SolverOptions::default()
    };
    assert!(matches!(
        HighsSolver::with_options(o),
        Err(SolverError::InvalidOptions { .. })
    ));
    let mut lp = loaded_small();
    let o = SolverOptions {
        time_limit_s: -5.0,
        ..SolverOptions::default()
    };
    assert!(lp.set_options(o).is_err());
}

#[test]
fn highs_version_is_reported() {
    assert!(HighsSolver::highs_version().starts_with("1."));
}

/// The workspace pins highs-sys 1.15.0 and builds its HiGHS (or the
/// patched build of the same sources): the tests run against that version.
#[test]
fn the_linked_highs_is_the_pinned_version() {
    assert_eq!(HighsSolver::highs_version(), cobre_solver::EXPECTED_HIGHS);
}

/// `scripts/env.sh` sets `COBRE_HIGHS_PATCHED=1` when it hands the patched
/// HiGHS to highs-sys: then the build must have linked it (a silent fallback
/// to the bundled HiGHS would only show as lost speed).
#[test]
fn the_patched_highs_is_linked_when_the_environment_provides_it() {
    if std::env::var("COBRE_HIGHS_PATCHED").as_deref() == Ok("1") {
        assert!(HighsSolver::highs_patched());
    }
}

#[test]
fn solver_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<HighsSolver>();
    fn assert_dyn(_: &dyn LpSolver) {}
    assert_dyn(&loaded_small());
}

#[test]
fn a_failure_that_survives_every_fallback_is_reported_and_the_solver_recovers() {
    // x + y ≥ 1 with x, y ≤ 0.2: infeasible whatever the algorithm. The
    // warm attempt, the cold retry and the fallback strategies all fail; the
    // error is the HiGHS verdict, and the configured options come back.
    let mut lp = loaded_small();
    lp.solve().unwrap();
    lp.set_col_bounds(&[0, 1], &[0.0, 0.0], &[0.2, 0.2])
        .unwrap();
    let err = lp.solve().unwrap_err();
    assert!(
        matches!(
            retried_failure(&err),
            Some((
                SolveStatus::Infeasible | SolveStatus::InfeasibleOrUnbounded,
                true
            ))
        ),
        "{err:?}"
    );
    lp.set_col_bounds(&[0, 1], &[0.0, 0.0], &[INF, INF])
        .unwrap();
    lp.solve().unwrap();
    assert!((lp.objective_value() - 1.0).abs() < 1e-9);
}
