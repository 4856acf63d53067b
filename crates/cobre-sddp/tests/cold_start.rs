//! Warm starts change how fast each LP is solved, not what training converges to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cobre_sddp::{train, StudyModel, TrainingHooks, TrainingSettings};
use common::*;

#[test]
fn cold_solves_converge_to_the_same_bound_with_more_simplex_iterations() {
    // Converged (the exactness test's case): the bound is the optimum of
    // the extensive form whatever bases the solves start from.
    let system = stochastic_system(3, 5);
    let cfg = config(200, 2);
    let study = StudyModel::build(&system, &cfg).unwrap();
    let warm_settings = TrainingSettings::from_config(&cfg);
    let cold_settings = TrainingSettings {
        warm_start: false,
        ..TrainingSettings::from_config(&cfg)
    };
    let warm = train(&study, &warm_settings, TrainingHooks::default()).unwrap();
    let cold = train(&study, &cold_settings, TrainingHooks::default()).unwrap();
    // Degenerate optima have several dual solutions: from other bases
    // the cuts, and so the path of the bound, differ; its limit does not.
    assert!(
        rel(warm.lower_bound(), cold.lower_bound()) < 1e-6,
        "lower bound {} warm vs {} cold",
        warm.lower_bound(),
        cold.lower_bound()
    );
    assert_eq!(cold.solver.warm_solves, 0, "every cold solve starts cold");
    assert!(warm.solver.warm_solves > warm.solver.solves / 2);
    #[allow(clippy::cast_precision_loss)]
    let per_solve = |s: &cobre_sddp::WorkerStats| s.simplex_iterations as f64 / s.solves as f64;
    let (cold_rate, warm_rate) = (per_solve(&cold.solver), per_solve(&warm.solver));
    assert!(
        cold_rate > 2.0 * warm_rate,
        "simplex iterations per solve: cold {cold_rate} vs warm {warm_rate}"
    );
    eprintln!("simplex iterations per solve: cold {cold_rate:.2}, warm {warm_rate:.2}");
}
