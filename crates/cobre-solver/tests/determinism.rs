//! Bit-identical results regardless of an instance's solve history and of
//! the thread it runs on: after the same row additions, `set_basis(X)` and
//! the same RHS patches, every instance returns the same bits.

#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests they serve

mod common;

use cobre_solver::{Basis, HighsSolver, LpSolver, RowBatch, SolverOptions};
use common::{read_solution, stage_lp, Rng, StageLp};

/// Everything a solve returns, as raw bits.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    objective: u64,
    primal: Vec<u64>,
    duals: Vec<u64>,
    reduced_costs: Vec<u64>,
    activity: Vec<u64>,
    basis: Basis,
    iterations: u64,
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn snapshot(lp: &HighsSolver, iterations: u64) -> Snapshot {
    let s = read_solution(lp);
    let mut basis = Basis::new();
    lp.basis_into(&mut basis);
    Snapshot {
        objective: s.obj.to_bits(),
        primal: bits(&s.x),
        duals: bits(&s.y),
        reduced_costs: bits(&s.d),
        activity: bits(&s.ax),
        basis,
        iterations,
    }
}

/// One scenario's RHS: inflows on the balance rows, incoming storage on
/// the fixing rows.
struct Rhs {
    rows: Vec<usize>,
    values: Vec<f64>,
}

fn scenario(stage: &StageLp, seed: u64) -> Rhs {
    let mut rng = Rng::new(seed);
    let mut inflow = Vec::new();
    stage.inflow_scenario(&mut rng, &mut inflow);
    let mut rows = stage.balance_rows.clone();
    rows.extend(&stage.fix_rows);
    let mut values = inflow;
    values.extend(
        stage
            .max_storage
            .iter()
            .map(|v| v * rng.uniform(0.05, 0.95)),
    );
    Rhs { rows, values }
}

fn patch(lp: &mut HighsSolver, rhs: &Rhs) {
    lp.set_row_bounds(&rhs.rows, &rhs.values, &rhs.values)
        .unwrap();
}

fn cuts(stage: &StageLp, seed: u64) -> RowBatch {
    let mut b = RowBatch::new();
    stage.random_cuts(&mut Rng::new(seed), 10, &mut b);
    b
}

/// The work item: `set_basis(X)`, patch `Y`, solve, then patch `Y2` and
/// solve again warm (what a backward pass does over openings).
fn work_item(lp: &mut HighsSolver, x: &Basis, y: &Rhs, y2: &Rhs) -> (Snapshot, Snapshot) {
    lp.set_basis(x).unwrap();
    patch(lp, y);
    let s1 = lp.solve().unwrap();
    let first = snapshot(lp, s1.simplex_iterations);
    patch(lp, y2);
    let s2 = lp.solve().unwrap();
    (first, snapshot(lp, s2.simplex_iterations))
}

fn fresh(stage: &StageLp, options: &SolverOptions) -> HighsSolver {
    let mut lp = HighsSolver::with_options(options.clone()).unwrap();
    lp.load_model(&stage.model).unwrap();
    lp
}

struct Fixture {
    stage: StageLp,
    batch1: RowBatch,
    batch2: RowBatch,
    basis_with_cuts: Basis,
    basis_before_cuts: Basis,
    y: Rhs,
    y2: Rhs,
}

fn fixture() -> Fixture {
    let stage = stage_lp(80, 300, 11);
    let batch1 = cuts(&stage, 21);
    let batch2 = cuts(&stage, 22);
    let options = SolverOptions::default();
    // Bases produced by some other solve (as another worker would).
    let mut d = fresh(&stage, &options);
    patch(&mut d, &scenario(&stage, 31));
    d.solve().unwrap();
    let mut basis_before_cuts = Basis::new();
    d.basis_into(&mut basis_before_cuts);
    d.add_rows(&batch1).unwrap();
    d.add_rows(&batch2).unwrap();
    patch(&mut d, &scenario(&stage, 32));
    d.solve().unwrap();
    let mut basis_with_cuts = Basis::new();
    d.basis_into(&mut basis_with_cuts);
    let y = scenario(&stage, 41);
    let y2 = scenario(&stage, 42);
    Fixture {
        stage,
        batch1,
        batch2,
        basis_with_cuts,
        basis_before_cuts,
        y,
        y2,
    }
}

/// Instance with a long, unrelated history: solves of other scenarios
/// before and between the cut batches, a set_basis, a cold solve.
fn busy_instance(f: &Fixture, options: &SolverOptions) -> HighsSolver {
    let mut a = fresh(&f.stage, options);
    for seed in 100..103 {
        patch(&mut a, &scenario(&f.stage, seed));
        a.solve().unwrap();
    }
    a.add_rows(&f.batch1).unwrap();
    patch(&mut a, &scenario(&f.stage, 200));
    a.solve().unwrap();
    a.clear_basis();
    patch(&mut a, &scenario(&f.stage, 201));
    a.solve().unwrap();
    a.add_rows(&f.batch2).unwrap();
    for seed in 300..304 {
        patch(&mut a, &scenario(&f.stage, seed));
        a.solve().unwrap();
    }
    a
}

/// Fresh instance brought to the same model without solving anything.
fn quiet_instance(f: &Fixture, options: &SolverOptions) -> HighsSolver {
    let mut b = fresh(&f.stage, options);
    b.add_rows(&f.batch1).unwrap();
    b.add_rows(&f.batch2).unwrap();
    b
}

#[test]
fn results_after_set_basis_do_not_depend_on_solve_history() {
    let f = fixture();
    let options = SolverOptions::default();
    for x in [&f.basis_with_cuts, &f.basis_before_cuts] {
        let mut a = busy_instance(&f, &options);
        let mut b = quiet_instance(&f, &options);
        let from_a = work_item(&mut a, x, &f.y, &f.y2);
        let from_b = work_item(&mut b, x, &f.y, &f.y2);
        assert!(from_a.0.iterations > 0, "the work item should pivot");
        assert_eq!(from_a.0, from_b.0, "first solve differs");
        assert_eq!(from_a.1, from_b.1, "warm follow-up solve differs");
        // Repeating the work item on the same instance gives the same bits.
        let again = work_item(&mut a, x, &f.y, &f.y2);
        assert_eq!(again, from_a);
    }
}

#[test]
fn results_do_not_depend_on_the_thread_that_solves() {
    let f = std::sync::Arc::new(fixture());
    let options = SolverOptions::default();
    let here = {
        let mut b = quiet_instance(&f, &options);
        work_item(&mut b, &f.basis_with_cuts, &f.y, &f.y2)
    };
    let handles: Vec<_> = (0..2)
        .map(|k| {
            let f = std::sync::Arc::clone(&f);
            let options = options.clone();
            std::thread::spawn(move || {
                let mut lp = if k == 0 {
                    busy_instance(&f, &options)
                } else {
                    quiet_instance(&f, &options)
                };
                work_item(&mut lp, &f.basis_with_cuts, &f.y, &f.y2)
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), here);
    }
}

#[test]
fn solver_moved_to_another_thread_keeps_working() {
    let f = fixture();
    let mut lp = quiet_instance(&f, &SolverOptions::default());
    lp.set_basis(&f.basis_with_cuts).unwrap();
    let moved = std::thread::spawn(move || {
        lp.solve().unwrap();
        lp
    })
    .join()
    .unwrap();
    assert!(moved.objective_value().is_finite());
}

/// Reverses the order of the nonzeros inside every column (row indices no
/// longer ascending), which is a valid CSC matrix.
fn with_unsorted_columns(mut model: cobre_solver::LpModel) -> cobre_solver::LpModel {
    for j in 0..model.num_cols {
        let (a, b) = (model.a_start[j], model.a_start[j + 1]);
        model.a_index[a..b].reverse();
        model.a_value[a..b].reverse();
    }
    model
}

#[test]
fn results_do_not_depend_on_matrix_storage_history() {
    // HiGHS stores the matrix row-wise after a batch with more nonzeros
    // than the matrix has, and back column-wise (rows ascending) at the
    // next solve: whether that happens before or after the next batch
    // depends on when the instance solves. With column entries not in
    // ascending row order in the template, that would reorder sums.
    let mut stage = stage_lp(6, 6, 12);
    stage.model = with_unsorted_columns(stage.model);
    let nnz = stage.model.num_nonzeros();
    let mut big = RowBatch::new();
    let mut rng = Rng::new(13);
    while big.num_nonzeros() <= nnz {
        let mut b = RowBatch::new();
        stage.random_cuts(&mut rng, 10, &mut b);
        for r in 0..b.num_rows() {
            let (s, e) = (b.start[r], b.start[r + 1]);
            let coefs: Vec<(usize, f64)> = b.index[s..e]
                .iter()
                .copied()
                .zip(b.value[s..e].iter().copied())
                .collect();
            big.push_row(b.lower[r], b.upper[r], &coefs);
        }
    }
    let small = cuts(&stage, 14);
    let options = SolverOptions::default();

    let mut a = fresh(&stage, &options);
    a.solve().unwrap();
    a.add_rows(&big).unwrap();
    a.solve().unwrap();
    a.add_rows(&small).unwrap();
    a.solve().unwrap();
    let mut x = Basis::new();
    a.basis_into(&mut x);

    let mut b = fresh(&stage, &options);
    b.add_rows(&big).unwrap();
    b.add_rows(&small).unwrap();

    let y = scenario(&stage, 15);
    let y2 = scenario(&stage, 16);
    let from_a = work_item(&mut a, &x, &y, &y2);
    let from_b = work_item(&mut b, &x, &y, &y2);
    assert_eq!(from_a, from_b);
}

#[test]
fn results_do_not_depend_on_a_larger_lp_solved_before() {
    // A work item that meets violated cuts adds rows, solves, and removes
    // them again: the instance's work buffers were last sized for the
    // larger LP (and for a smaller one before it) when the next item
    // starts. Its solves must be those of an instance that never held
    // those rows.
    let f = fixture();
    let options = SolverOptions::default();
    let extra = cuts(&f.stage, 23);
    let mut a = busy_instance(&f, &options);
    let shared_rows = a.num_rows();
    a.add_rows(&extra).unwrap();
    for seed in 400..403 {
        patch(&mut a, &scenario(&f.stage, seed));
        a.solve().unwrap();
    }
    let added: Vec<usize> = (shared_rows..a.num_rows()).collect();
    a.delete_rows(&added).unwrap();
    assert_eq!(a.num_rows(), shared_rows);
    let mut b = quiet_instance(&f, &options);
    for x in [&f.basis_with_cuts, &f.basis_before_cuts] {
        let from_a = work_item(&mut a, x, &f.y, &f.y2);
        let from_b = work_item(&mut b, x, &f.y, &f.y2);
        assert!(from_a.0.iterations > 0, "the work item should pivot");
        assert_eq!(from_a, from_b);
    }
}

/// Diagnostic behind the determinism findings (run with `--ignored
/// --nocapture`): the same comparison with `reset_on_set_basis = false`,
/// printing how many entries differ. Not asserted: whether history leaks
/// into a given solve depends on the LP.
#[test]
#[ignore = "diagnostic: prints the effect of disabling the reset"]
fn diagnostic_history_dependence_without_reset() {
    let f = fixture();
    for reset in [true, false] {
        let options = SolverOptions {
            reset_on_set_basis: reset,
            ..SolverOptions::default()
        };
        let mut a = busy_instance(&f, &options);
        let mut b = quiet_instance(&f, &options);
        let (a1, a2) = work_item(&mut a, &f.basis_with_cuts, &f.y, &f.y2);
        let (b1, b2) = work_item(&mut b, &f.basis_with_cuts, &f.y, &f.y2);
        for (name, sa, sb) in [("first", &a1, &b1), ("follow-up", &a2, &b2)] {
            let diff = |p: &[u64], q: &[u64]| p.iter().zip(q).filter(|(x, y)| x != y).count();
            eprintln!(
                "reset={reset} {name}: objective equal={} iters {}/{} primal diffs={} dual diffs={} rc diffs={} basis equal={}",
                sa.objective == sb.objective,
                sa.iterations,
                sb.iterations,
                diff(&sa.primal, &sb.primal),
                diff(&sa.duals, &sb.duals),
                diff(&sa.reduced_costs, &sb.reduced_costs),
                sa.basis == sb.basis,
            );
        }
    }
}
