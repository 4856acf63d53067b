//! `cobre.run_study()`: the whole study as the command line runs it (train,
//! policy, simulation Parquet, manifest, `_SUCCESS`), through the facade's
//! `run_study`.
//!
//! `run_study` has no iteration hook, so Ctrl-C is handled by running the
//! study on a helper thread while the calling thread waits with the GIL
//! released, waking every 50 ms to run Python's signal handlers; a
//! `KeyboardInterrupt` raises the run's stop flag (the run then writes what
//! it has, without `_SUCCESS`) and is re-raised once the run returned.

use crate::case::case_arg;
use crate::convert::to_py;
use crate::errors::{guard, to_py_err};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Runs a study: trains (respecting `config.json`'s policy mode and
/// checkpoints), writes the training outputs and the policy, simulates
/// streaming to Parquet, then writes `manifest.json` and `_SUCCESS` under
/// `output_dir`. `case` is a `Case` or the path of a case folder;
/// `config_overrides` (keys of `config.json`) are merged into its settings
/// and validated with them; `num_scenarios` is short for
/// `{"simulation": {"selection": {"method": "sampled", "num_scenarios": n}}}`.
///
/// Returns a dict: `output_dir`, `policy_dir`, `complete`, `iterations`,
/// `lower_bound`, `upper_bound`, `termination_reason`,
/// `simulated_scenarios`, `mean_cost`, `manifest` (the manifest as a dict).
/// The GIL is released; Ctrl-C stops the run at the next iteration or
/// scenario (what was done is written, without `_SUCCESS`) and raises
/// `KeyboardInterrupt` with the summary in `exc.partial_result`.
#[pyfunction]
#[pyo3(signature = (case, output_dir, threads = None, num_scenarios = None,
                    scenarios_per_partition = 100, config_overrides = None))]
pub(crate) fn run_study<'py>(
    py: Python<'py>,
    case: &Bound<'py, PyAny>,
    output_dir: PathBuf,
    threads: Option<usize>,
    num_scenarios: Option<usize>,
    scenarios_per_partition: usize,
    config_overrides: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let case = case_arg(py, case)?;
    let mut overrides = crate::options::parse(py, config_overrides)?;
    if let Some(n) = num_scenarios {
        let patch = serde_json::json!({
            "simulation": {"selection": {"method": "sampled", "num_scenarios": n}}
        });
        let mut o = overrides.unwrap_or_else(|| serde_json::json!({}));
        cobre::overrides::merge_patch(&mut o, &patch);
        overrides = Some(o);
    }
    let (inner, _) = crate::options::effective_case(py, case.get(), overrides)?;
    crate::logging::refresh_level(py);
    let stop = cobre::StopFlag::new();
    let mut options = cobre::RunOptions::new(output_dir);
    options.threads = crate::training::threads_arg(py, threads)?;
    options.scenarios_per_partition = scenarios_per_partition.max(1);
    options.stop = Some(stop.clone());
    let mut interrupt: Option<PyErr> = None;
    let outcome = guard(py, || {
        std::thread::scope(|scope| {
            let done = Arc::new((Mutex::new(false), Condvar::new()));
            let signal = Arc::clone(&done);
            let case = Arc::clone(&inner);
            let worker = scope.spawn(move || {
                let r = cobre::run_study(&case, &options);
                let (lock, cv) = &*signal;
                if let Ok(mut d) = lock.lock() {
                    *d = true;
                }
                cv.notify_all();
                r
            });
            loop {
                let finished = py.detach(|| {
                    let (lock, cv) = &*done;
                    let Ok(guard) = lock.lock() else { return true };
                    cv.wait_timeout_while(guard, Duration::from_millis(50), |d| !*d)
                        .map_or(true, |(d, _)| *d)
                });
                crate::logging::flush(py);
                if finished {
                    break;
                }
                if interrupt.is_none() {
                    if let Err(e) = py.check_signals() {
                        interrupt = Some(e);
                        stop.request_stop();
                    }
                }
            }
            match py.detach(move || worker.join()) {
                Ok(r) => Ok(r),
                Err(payload) => std::panic::resume_unwind(payload),
            }
        })
    })?;
    let summary = outcome.map_err(|e| to_py_err(py, &e))?;
    let d = PyDict::new(py);
    d.set_item("output_dir", &summary.output_dir)?;
    d.set_item("policy_dir", &summary.policy_dir)?;
    d.set_item("complete", summary.complete)?;
    let last = summary
        .training
        .as_ref()
        .and_then(|t| t.records.last().copied());
    d.set_item("iterations", last.map_or(0, |r| r.iteration))?;
    d.set_item("lower_bound", last.map(|r| r.lower_bound))?;
    d.set_item("upper_bound", last.map(|r| r.upper_bound))?;
    d.set_item(
        "termination_reason",
        summary.training.as_ref().map(|t| t.termination.as_str()),
    )?;
    d.set_item("simulated_scenarios", summary.simulated_scenarios)?;
    d.set_item("mean_cost", summary.mean_cost)?;
    d.set_item("manifest", to_py(py, &summary.manifest)?)?;
    match interrupt {
        None => Ok(d),
        Some(err) => {
            let _ = err.value(py).setattr("partial_result", d);
            Err(err)
        }
    }
}
