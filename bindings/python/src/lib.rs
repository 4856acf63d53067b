//! Python bindings of Cobre (the `cobre._cobre` extension module).
//!
//! A thin layer over the facade crate `cobre`: every class wraps a facade
//! value, every long call releases the GIL, every entry point runs under a
//! panic guard, and every error goes through the one mapping of
//! [`errors`]. The Python package (`python/cobre/`) re-exports these names
//! and defines the exception classes.

mod arrow;
#[cfg(feature = "bench-helpers")]
mod bench;
mod case;
mod convert;
mod errors;
mod logging;
mod model;
mod options;
mod persist;
mod policy;
mod progress;
mod run;
mod simulation;
mod stochastic;
mod threads;
mod training;
mod workers;

use pyo3::prelude::*;

/// The native extension module behind the `cobre` Python package.
#[pymodule]
fn _cobre(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("lp_solver", cobre::lp_solver())?;
    m.add_class::<arrow::ArrowTable>()?;
    m.add_class::<case::Case>()?;
    m.add_class::<case::CaseLoader>()?;
    m.add_class::<model::Bus>()?;
    m.add_class::<model::Finding>()?;
    m.add_class::<model::Hydro>()?;
    m.add_class::<model::Line>()?;
    m.add_class::<model::NonControllableSource>()?;
    m.add_class::<model::Stage>()?;
    m.add_class::<model::Thermal>()?;
    m.add_class::<model::ValidationResult>()?;
    m.add_class::<policy::Policy>()?;
    m.add_class::<stochastic::OpeningTree>()?;
    m.add_class::<stochastic::PARModel>()?;
    m.add_class::<training::TrainingResult>()?;
    m.add_class::<simulation::SimulationResult>()?;
    m.add_class::<progress::ProgressEvent>()?;
    m.add_function(wrap_pyfunction!(training::train, m)?)?;
    m.add_function(wrap_pyfunction!(simulation::simulate, m)?)?;
    m.add_function(wrap_pyfunction!(run::run_study, m)?)?;
    m.add_function(wrap_pyfunction!(case::load_case, m)?)?;
    m.add_function(wrap_pyfunction!(case::validate, m)?)?;
    m.add_function(wrap_pyfunction!(stochastic::sample_noise, m)?)?;
    m.add_function(wrap_pyfunction!(threads::set_threads, m)?)?;
    m.add_function(wrap_pyfunction!(threads::get_threads, m)?)?;
    m.add_function(wrap_pyfunction!(logging::flush_logs, m)?)?;
    m.add_function(wrap_pyfunction!(workers::_run_worker, m)?)?;
    m.add_function(wrap_pyfunction!(workers::_training_result_from_worker, m)?)?;
    m.add_function(wrap_pyfunction!(
        workers::_simulation_result_from_workers,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(workers::_unlink_shm, m)?)?;
    // A benchmark baseline, only in wheels built with `--features bench-helpers`.
    #[cfg(feature = "bench-helpers")]
    m.add_function(wrap_pyfunction!(bench::_native_train_simulate_loop, m)?)?;
    logging::install(m.py());
    Ok(())
}
