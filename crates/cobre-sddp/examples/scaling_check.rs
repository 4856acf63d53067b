//! One stage LP (initial state, one opening) solved cold under HiGHS'
//! scaling strategies and dual feasibility tolerances: objective and its
//! distance to equilibration's, pivots, and the largest difference of the
//! cut slopes from equilibration's (docs/performance.md).
//!
//! ```text
//! cargo run --release -p cobre-sddp --example scaling_check -- <case dir> <stage> [opening]
//! ```
//!
//! The tolerance in each label is the dual feasibility tolerance (the
//! primal one stays at its default).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use cobre_sddp::lp::StagePatch;
use cobre_sddp::StudyModel;
use cobre_solver::{HighsSolver, LpSolver, Scaling, SolverOptions};

fn solve(
    study: &StudyModel,
    t: usize,
    k: usize,
    x: &[f64],
    (scaling, tol): (Scaling, f64),
) -> (f64, Vec<f64>, u64) {
    let tpl = &study.templates()[t];
    let sc = study.scenario();
    let mut lp = HighsSolver::with_options(SolverOptions {
        scaling,
        dual_feasibility_tolerance: tol,
        ..SolverOptions::default()
    })
    .unwrap();
    lp.load_model(&tpl.model).unwrap();
    let mut patch = StagePatch::new(tpl);
    patch.fill(tpl, sc, x, sc.opening(t, k));
    patch.apply(&mut lp).unwrap();
    let its = lp.solve().unwrap().simplex_iterations;
    let mut y = vec![0.0; lp.num_rows()];
    lp.row_duals_into(&mut y);
    let mut slopes = vec![0.0; tpl.layout.state_in_cols.len()];
    tpl.fold.slopes_into(&tpl.model.col_cost, &y, &mut slopes);
    (lp.objective_value(), slopes, its)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = cobre_io::load_case(&args[1]).unwrap();
    let t: usize = args[2].parse().unwrap();
    let k: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let study = StudyModel::build(&case.system, &case.config).unwrap();
    let x = study.initial_state().to_vec();
    let strategies = [
        ("equilibration 1e-7", (Scaling::Equilibration, 1e-7)),
        ("equilibration 1e-9", (Scaling::Equilibration, 1e-9)),
        ("max value 1e-7", (Scaling::MaxValue, 1e-7)),
        ("max value 1e-8", (Scaling::MaxValue, 1e-8)),
        ("max value 1e-9", (Scaling::MaxValue, 1e-9)),
        ("off 1e-7", (Scaling::Off, 1e-7)),
    ];
    let results: Vec<_> = strategies
        .iter()
        .map(|&(_, s)| solve(&study, t, k, &x, s))
        .collect();
    let (q0, base, _) = &results[0];
    for ((name, _), (q, slopes, its)) in strategies.iter().zip(&results) {
        let diff = slopes
            .iter()
            .zip(base)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f64, f64::max);
        let norm = base.iter().map(|a| a.abs()).fold(0.0f64, f64::max);
        println!(
            "{name:>18}: objective {q:.10e} (rel diff {:.2e}), {its} pivots, \
             max |slope - equilibration's| {diff:.3e} (max |slope| {norm:.3e})",
            (q - q0).abs() / q0.abs().max(1.0)
        );
    }
}
