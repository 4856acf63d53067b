//! A native baseline for the binding benchmark: the same train + simulate
//! loop as `python-tests/bench/bench_bindings.py`, without Python in the
//! loop, so the difference is the cost of the boundary.

use crate::case::Case;
use crate::errors::guard_result;
use pyo3::prelude::*;
use std::time::Instant;

/// Runs `n` × (`cobre::train` + `cobre::simulate`) of `case` in Rust with
/// the GIL released and returns the seconds taken. Benchmark helper, not
/// part of the public API.
#[pyfunction]
pub(crate) fn _native_train_simulate_loop(py: Python<'_>, case: &Case, n: usize) -> PyResult<f64> {
    let case = std::sync::Arc::clone(&case.inner);
    guard_result(py, || {
        py.detach(move || {
            let t = Instant::now();
            for _ in 0..n {
                let r = cobre::train(&case, cobre::TrainingOptions::default())?;
                cobre::simulate(&case, &r.policy, cobre::SimulationOptions::default())?;
            }
            Ok(t.elapsed().as_secs_f64())
        })
    })
}
