//! The stall guard: an attempt running past its pivot limit is stopped and
//! solved again from a cold start with HiGHS' anti-degeneracy settings,
//! reaching the same optimum; the caller's own iteration limit is still an
//! error.

#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests they serve

mod common;

use cobre_solver::{HighsSolver, LpSolver, SolverError, SolverOptions, StallGuard};
use common::stage_lp;

fn solved(options: SolverOptions) -> (HighsSolver, f64) {
    let stage = stage_lp(20, 40, 17);
    let mut lp = HighsSolver::with_options(options).unwrap();
    lp.load_model(&stage.model).unwrap();
    lp.solve().unwrap();
    let objective = lp.objective_value();
    (lp, objective)
}

#[test]
fn a_solve_stopped_by_the_stall_guard_is_finished_by_the_fallback_at_the_same_optimum() {
    let (free, expected) = solved(SolverOptions {
        stall_guard: None,
        ..SolverOptions::default()
    });
    let pivots = free.last_stats().simplex_iterations;
    assert!(
        pivots > 1,
        "the test LP needs more than one pivot ({pivots})"
    );
    assert!(!free.last_stats().retried_cold);

    // A guard of one pivot stops the first attempt of every solve.
    let guard = StallGuard {
        pivots_per_dim: 0.0,
        min_pivots: 1,
    };
    let (mut lp, objective) = solved(SolverOptions {
        stall_guard: Some(guard),
        ..SolverOptions::default()
    });
    assert!(
        lp.last_stats().retried_cold,
        "the guard should have stopped the attempt"
    );
    assert!(
        (objective - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{objective} vs {expected}"
    );
    // The guard is back for the next solve, which it stops again.
    lp.clear_basis();
    lp.solve().unwrap();
    assert!(lp.last_stats().retried_cold);
    assert!((lp.objective_value() - expected).abs() <= 1e-9 * expected.abs().max(1.0));
}

#[test]
fn the_callers_own_iteration_limit_is_an_error_not_a_stall() {
    let stage = stage_lp(20, 40, 17);
    let mut lp = HighsSolver::with_options(SolverOptions {
        iteration_limit: Some(1),
        retry_cold: false,
        ..SolverOptions::default()
    })
    .unwrap();
    lp.load_model(&stage.model).unwrap();
    let err = lp.solve().unwrap_err();
    assert!(matches!(err, SolverError::IterationLimit { .. }), "{err:?}");
}

#[test]
fn the_default_guard_scales_with_the_model_and_has_a_floor() {
    let g = StallGuard::default();
    assert_eq!(g.limit(100), 10_000);
    assert_eq!(g.limit(12_329), 49_316);
    assert!(SolverOptions {
        stall_guard: Some(StallGuard {
            pivots_per_dim: f64::NAN,
            min_pivots: 1,
        }),
        ..SolverOptions::default()
    }
    .validate()
    .is_err());
}
