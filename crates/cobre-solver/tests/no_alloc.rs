//! The re-solve path allocates nothing on the Rust side after warm-up.
//!
//! A counting global allocator counts allocations made by the current
//! thread (thread-local counter, so the test harness' other threads do not
//! interfere). HiGHS' C++ allocations go through `operator new`/`malloc`,
//! not the Rust allocator, and are not counted here.

#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests they serve

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use cobre_solver::{Basis, HighsSolver, LpSolver, RowBatch};
use common::{stage_lp, Rng};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: forwards every call to the system allocator unchanged; the
// counter is a const-initialised thread-local `Cell` without destructor.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn resolve_loop_makes_no_rust_allocation_after_warm_up() {
    let stage = stage_lp(40, 100, 3);
    let mut lp = HighsSolver::new().unwrap();
    lp.load_model(&stage.model).unwrap();
    let base_rows = lp.num_rows();
    lp.reserve(base_rows + 10, 10 * (stage.storage_cols.len() + 1));

    // Everything the loop touches is allocated up front.
    let mut rng = Rng::new(1);
    let scenarios: Vec<Vec<f64>> = (0..8)
        .map(|_| {
            let mut v = Vec::new();
            stage.inflow_scenario(&mut rng, &mut v);
            v
        })
        .collect();
    // Cut batches are generated up front (the generator itself allocates).
    let mut cut_rng = Rng::new(2);
    let batches: Vec<RowBatch> = (0..4)
        .map(|_| {
            let mut b = RowBatch::with_capacity(10, 10 * (stage.storage_cols.len() + 1));
            stage.random_cuts(&mut cut_rng, 10, &mut b);
            b
        })
        .collect();
    let cut_rows: Vec<usize> = (base_rows..base_rows + 10).collect();
    let mut x = vec![0.0; lp.num_cols()];
    let mut d = vec![0.0; lp.num_cols()];
    let mut y = vec![0.0; base_rows + 10];
    let mut ax = vec![0.0; base_rows + 10];
    let mut basis = Basis::with_capacity(lp.num_cols(), base_rows + 10);
    let mut saved = Basis::with_capacity(lp.num_cols(), base_rows + 10);

    let mut one_round = |lp: &mut HighsSolver, k: usize| {
        let inflow = &scenarios[k % scenarios.len()];
        // Forward-pass style: patch, warm solve, read everything, keep basis.
        lp.set_row_bounds(&stage.balance_rows, inflow, inflow)
            .unwrap();
        lp.solve().unwrap();
        let _ = lp.objective_value();
        lp.primal_into(&mut x);
        lp.reduced_costs_into(&mut d);
        lp.row_duals_into(&mut y);
        lp.row_activity_into(&mut ax);
        lp.basis_into(&mut saved);
        // Backward-pass style: set a stored basis, patch, solve, duals.
        lp.set_basis(&saved).unwrap();
        lp.set_row_bounds(&stage.fix_rows, &stage.base_v_hat, &stage.base_v_hat)
            .unwrap();
        lp.solve().unwrap();
        lp.row_duals_into(&mut y);
        // Cut churn: append 10 cuts, solve, read, drop them again.
        lp.add_rows(&batches[k % batches.len()]).unwrap();
        lp.solve().unwrap();
        lp.row_duals_into(&mut y);
        lp.basis_into(&mut basis);
        lp.delete_rows(&cut_rows).unwrap();
        lp.set_basis(&saved).unwrap();
        let _ = lp.cumulative_stats();
    };

    for k in 0..3 {
        one_round(&mut lp, k);
    }
    let before = allocations();
    for k in 3..20 {
        one_round(&mut lp, k);
    }
    let during = allocations() - before;
    assert_eq!(during, 0, "{during} Rust allocations in 17 re-solve rounds");
    assert_eq!(lp.cumulative_stats().solves, 60);
    assert_eq!(lp.cumulative_stats().failures, 0);

    // The counter does see Rust allocations.
    let mark = allocations();
    let v: Vec<u64> = Vec::with_capacity(16);
    assert!(allocations() > mark);
    drop(v);
}
