//! Re-solve benchmarks on a stage-like LP (940 rows x 1,961 columns):
//! warm vs cold after an RHS change, after appending 10 cut rows, and the
//! deterministic `set_basis` + solve path with and without the state reset.
//!
//! Run: `cargo bench -p cobre-solver --bench resolve`.

#![allow(clippy::expect_used)]

use std::time::{Duration, Instant};

use cobre_solver::{Basis, HighsSolver, LpSolver, RowBatch, SolverOptions};
use criterion::{criterion_group, criterion_main, Criterion};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{stage_lp, Rng, StageLp};

const SCENARIOS: usize = 16;

fn scenarios(stage: &StageLp) -> Vec<Vec<f64>> {
    let mut rng = Rng::new(99);
    (0..SCENARIOS)
        .map(|_| {
            let mut v = Vec::new();
            stage.inflow_scenario(&mut rng, &mut v);
            v
        })
        .collect()
}

fn solver(stage: &StageLp, options: SolverOptions) -> HighsSolver {
    let mut lp = HighsSolver::with_options(options).expect("HiGHS instance");
    lp.load_model(&stage.model).expect("load");
    lp.solve().expect("first solve");
    lp
}

fn bench_rhs_change(c: &mut Criterion, stage: &StageLp, inflows: &[Vec<f64>]) {
    let mut group = c.benchmark_group("stage_lp_940x1961");
    let rows = &stage.balance_rows;

    let mut warm = solver(stage, SolverOptions::default());
    let mut k = 0;
    group.bench_function("rhs_change_warm", |b| {
        b.iter(|| {
            k = (k + 1) % SCENARIOS;
            warm.set_row_bounds(rows, &inflows[k], &inflows[k])
                .expect("patch");
            warm.solve().expect("solve")
        });
    });

    let mut cold = solver(stage, SolverOptions::default());
    let mut k = 0;
    group.bench_function("rhs_change_cold", |b| {
        b.iter(|| {
            k = (k + 1) % SCENARIOS;
            cold.set_row_bounds(rows, &inflows[k], &inflows[k])
                .expect("patch");
            cold.clear_basis();
            cold.solve().expect("solve")
        });
    });

    // Append 10 cuts (SDDP-like: violated near the current optimum) to a
    // freshly solved LP and re-solve, warm and cold (timed); then remove
    // them and restore the optimum of the base LP (untimed).
    let mut lp = solver(stage, SolverOptions::default());
    let mut x = vec![0.0; lp.num_cols()];
    lp.primal_into(&mut x);
    let storage: Vec<f64> = stage.storage_cols.iter().map(|&c| x[c]).collect();
    let base_rows = stage.model.num_rows;
    let cut_rows: Vec<usize> = (base_rows..base_rows + 10).collect();
    let mut rng = Rng::new(5);
    let batches: Vec<RowBatch> = (0..SCENARIOS)
        .map(|_| {
            let mut b = RowBatch::new();
            stage.cuts_near(&storage, x[stage.theta_col], &mut rng, 10, &mut b);
            b
        })
        .collect();
    for (name, cold) in [("add_10_cuts_warm", false), ("add_10_cuts_cold", true)] {
        let mut k = 0;
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    k = (k + 1) % SCENARIOS;
                    let t = Instant::now();
                    lp.add_rows(&batches[k]).expect("add");
                    if cold {
                        lp.clear_basis();
                    }
                    lp.solve().expect("solve");
                    total += t.elapsed();
                    lp.delete_rows(&cut_rows).expect("delete");
                    lp.solve().expect("restore");
                }
                total
            });
        });
    }
    group.finish();
}

fn bench_set_basis(c: &mut Criterion, stage: &StageLp, inflows: &[Vec<f64>]) {
    let mut group = c.benchmark_group("stage_lp_940x1961_set_basis");
    let rows = &stage.balance_rows;
    let mut reference = solver(stage, SolverOptions::default());
    reference
        .set_row_bounds(rows, &inflows[0], &inflows[0])
        .expect("patch");
    reference.solve().expect("solve");
    let mut basis = Basis::new();
    reference.basis_into(&mut basis);

    for (name, reset) in [
        ("set_basis_reset_solve", true),
        ("set_basis_noreset_solve", false),
    ] {
        let options = SolverOptions {
            reset_on_set_basis: reset,
            ..SolverOptions::default()
        };
        let mut lp = solver(stage, options);
        let mut k = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                k = 1 + k % (SCENARIOS - 1);
                lp.set_basis(&basis).expect("basis");
                lp.set_row_bounds(rows, &inflows[k], &inflows[k])
                    .expect("patch");
                lp.solve().expect("solve")
            });
        });
    }
    group.finish();
}

/// Prints the mean simplex iterations of the RHS-change re-solves, warm
/// and cold, so the timings can be read per iteration.
#[allow(clippy::print_stderr)]
fn report_iterations(stage: &StageLp, inflows: &[Vec<f64>]) {
    let rows = &stage.balance_rows;
    let mut lp = solver(stage, SolverOptions::default());
    let (mut warm, mut cold) = (0, 0);
    for inflow in inflows {
        lp.set_row_bounds(rows, inflow, inflow).expect("patch");
        warm += lp.solve().expect("solve").simplex_iterations;
    }
    for inflow in inflows {
        lp.set_row_bounds(rows, inflow, inflow).expect("patch");
        lp.clear_basis();
        cold += lp.solve().expect("solve").simplex_iterations;
    }
    let n = inflows.len() as u64;
    eprintln!(
        "stage LP {}x{}: mean simplex iterations after an RHS change: warm {}, cold {}",
        stage.model.num_rows,
        stage.model.num_cols,
        warm / n,
        cold / n
    );
}

fn benches(c: &mut Criterion) {
    let stage = stage_lp(80, 300, 1);
    let inflows = scenarios(&stage);
    report_iterations(&stage, &inflows);
    bench_rhs_change(c, &stage, &inflows);
    bench_set_basis(c, &stage, &inflows);
}

criterion_group! {
    name = resolve;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(resolve);
