//! Micro-benchmark of one stage LP: warm re-solves after an RHS patch versus
//! re-solves that first reset the solver with `set_basis` or start cold.
//!
//! ```text
//! cargo run --release -p cobre-sddp --example solve_cost -- <case dir> [stage]
//! ```
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use cobre_sddp::lp::StagePatch;
use cobre_sddp::StudyModel;
use cobre_solver::{Basis, HighsSolver, LpSolver};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = cobre_io::load_case(&args[1]).unwrap();
    let t: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let study = StudyModel::build(&case.system, &case.config).unwrap();
    let tpl = &study.templates()[t];
    let sc = study.scenario();
    let mut lp = HighsSolver::new().unwrap();
    lp.load_model(&tpl.model).unwrap();
    let mut patch = StagePatch::new(tpl);
    let x = study.initial_state().to_vec();
    let n_open = sc.num_openings(t);
    let reps = 2000;
    let mut basis = Basis::new();
    patch.fill(tpl, sc, &x, sc.opening(t, 0));
    patch.apply(&mut lp).unwrap();
    lp.solve().unwrap();
    lp.basis_into(&mut basis);
    for mode in ["warm", "set_basis", "cold"] {
        let start = Instant::now();
        let mut its = 0;
        for r in 0..reps {
            patch.fill(tpl, sc, &x, sc.opening(t, r % n_open));
            patch.apply(&mut lp).unwrap();
            match mode {
                "set_basis" => lp.set_basis(&basis).unwrap(),
                "cold" => lp.clear_basis(),
                _ => {}
            }
            its += lp.solve().unwrap().simplex_iterations;
        }
        let us = start.elapsed().as_secs_f64() * 1e6 / reps as f64;
        println!(
            "stage {t} ({} cols, {} rows): {mode:>9}: {us:8.1} µs/solve, {:.2} simplex it/solve",
            lp.num_cols(),
            lp.num_rows(),
            its as f64 / reps as f64
        );
    }
}
