//! The default number of worker threads of the calls of this module.

use pyo3::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

static THREADS: AtomicUsize = AtomicUsize::new(1);

/// The current default.
pub(crate) fn get() -> usize {
    THREADS.load(Ordering::Relaxed).max(1)
}

/// Sets the default number of worker threads of `train`, `simulate` and
/// `Policy.evaluate_batch` (results never depend on it). `n = 0` means one
/// thread per available core. Returns the value set.
#[pyfunction]
pub(crate) fn set_threads(n: usize) -> usize {
    let n = if n == 0 {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    } else {
        n
    };
    THREADS.store(n, Ordering::Relaxed);
    n
}

/// The default number of worker threads (1 unless changed by `set_threads`).
#[pyfunction]
pub(crate) fn get_threads() -> usize {
    get()
}
