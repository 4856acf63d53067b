//! `cobre.train()`: training with the GIL released, a progress callback at
//! iteration boundaries, Ctrl-C turned into `KeyboardInterrupt` carrying
//! the policy trained so far.
//!
//! The training loop runs on the calling thread with the GIL released; its
//! worker threads never touch Python. At every iteration boundary the loop
//! calls the observer below, which re-acquires the GIL for a moment to
//! forward log records, run Python's signal handlers
//! (`Python::check_signals`: a pending Ctrl-C raises `KeyboardInterrupt`
//! there) and call the user's callback. Any of those can ask the loop to
//! stop after the iteration; the trained policy is kept either way.

use crate::arrow::{to_pyarrow, ArrowTable};
use crate::case::case_arg;
use crate::errors::{guard, invalid_argument, to_py_err, wrong_type};
use crate::policy::Policy;
use crate::progress::ProgressEvent;
use pyo3::exceptions::{PyKeyboardInterrupt, PyStopIteration};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use std::sync::Arc;

/// The observer running at iteration boundaries (see the module docs).
pub(crate) struct Observer {
    pub(crate) callback: Option<Py<PyAny>>,
    /// Rank sent along with the events of a worker process.
    pub(crate) worker_id: Option<u64>,
    /// The exception that stopped training (signal or callback), if any.
    pub(crate) error: Option<PyErr>,
    /// Whether the callback asked to stop.
    pub(crate) stopped_by_callback: bool,
}

impl cobre::TrainingObserver for Observer {
    fn on_iteration(&mut self, record: &cobre::IterationRecord) -> cobre::Control {
        Python::attach(|py| {
            crate::logging::flush(py);
            if let Err(e) = py.check_signals() {
                self.error = Some(e);
                return cobre::Control::Stop;
            }
            let Some(cb) = &self.callback else {
                return cobre::Control::Continue;
            };
            let event = ProgressEvent {
                worker_id: self.worker_id,
                ..ProgressEvent::training(record)
            };
            let outcome = Py::new(py, event).and_then(|e| cb.call1(py, (e,)));
            match outcome {
                Ok(v) if v.bind(py).is_truthy().unwrap_or(false) => {
                    self.stopped_by_callback = true;
                    cobre::Control::Stop
                }
                Ok(_) => cobre::Control::Continue,
                Err(e) if e.is_instance_of::<PyStopIteration>(py) => {
                    self.stopped_by_callback = true;
                    cobre::Control::Stop
                }
                Err(e) => {
                    self.error = Some(e);
                    cobre::Control::Stop
                }
            }
        })
    }
}

/// What `train()` returns: the policy and how training went.
#[pyclass(frozen, module = "cobre")]
pub struct TrainingResult {
    /// The trained policy.
    #[pyo3(get)]
    policy: Py<Policy>,
    /// Iterations run.
    #[pyo3(get)]
    iterations: u64,
    /// Lower bound of the last iteration ($).
    #[pyo3(get)]
    final_lower_bound: f64,
    /// Upper bound (mean forward cost) of the last iteration ($), of kind
    /// `upper_bound_kind`.
    #[pyo3(get)]
    final_upper_bound: f64,
    /// Half-width of the 95 % interval of the last upper bound ($; 0 unless
    /// statistical).
    #[pyo3(get)]
    final_ci_95: f64,
    /// What the upper bound is: `"statistical"` (mean of several forward
    /// passes, with a 95 % interval), `"single_sample"` (one forward pass:
    /// an estimate, not a bound) or `"exact"`.
    #[pyo3(get)]
    upper_bound_kind: &'static str,
    /// Where the last lower bound lies against the upper bound's 95 %
    /// interval (`"below"`, `"inside"`, `"above"`), None unless statistical.
    #[pyo3(get)]
    lower_bound_position: Option<&'static str>,
    /// Relative gap of the last iteration, never negative (to the top of the
    /// 95 % interval of a statistical bound); None with one forward pass.
    #[pyo3(get)]
    final_gap: Option<f64>,
    /// One sentence on what the bounds mean (the command line's words).
    #[pyo3(get)]
    bound_note: &'static str,
    /// Why training stopped: the stopping rule's name (`"iteration_limit"`,
    /// `"bound_stalling"`, ...), `"callback"` or `"interrupted"`.
    #[pyo3(get)]
    termination_reason: String,
    /// Cuts in the policy.
    #[pyo3(get)]
    total_cuts: usize,
    /// Wall time of training (ms).
    #[pyo3(get)]
    wall_time_ms: f64,
    /// LP solves of the whole training.
    #[pyo3(get)]
    lp_solves: u64,
    /// One `WorkerInfo` per worker process (rank order) of a multi-process
    /// run, `None` in one process.
    #[pyo3(get)]
    workers: Option<Py<PyAny>>,
    records: Arc<Vec<cobre::IterationRecord>>,
    convergence: PyOnceLock<Py<ArrowTable>>,
}

impl TrainingResult {
    /// The convergence table, built on first use and then shared.
    fn table<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, ArrowTable>> {
        let t = self.convergence.get_or_try_init(py, || {
            let batch = cobre::outputs::convergence_batch(&self.records)
                .map_err(|e| invalid_argument(py, "convergence", &e.to_string()))?;
            Py::new(py, ArrowTable::new(batch.schema(), vec![batch]))
        })?;
        Ok(t.bind(py))
    }
}

#[pymethods]
impl TrainingResult {
    /// One row per iteration (bounds, gap, times, LP solves, cuts) as a
    /// `pyarrow.Table`, handed over without a copy (needs pyarrow; see
    /// `convergence_arrow` to use another Arrow library).
    #[getter]
    fn convergence_history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_pyarrow(self.table(py)?.as_any())
    }

    /// The convergence table as an `ArrowTable` (Arrow C stream; no
    /// pyarrow needed: `polars.DataFrame(result.convergence_arrow)`).
    #[getter]
    fn convergence_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, ArrowTable>> {
        Ok(self.table(py)?.clone())
    }

    /// A matplotlib figure of the convergence: lower and upper bound per
    /// iteration (with the 95 % interval of a statistical upper bound),
    /// time and LP solves per iteration. Needs matplotlib
    /// (`pip install cobre[plot]`); drawn by `cobre.plotting.plot_training`,
    /// which receives the keyword arguments.
    #[pyo3(signature = (**kwargs))]
    fn plot<'py>(
        slf: &Bound<'py, Self>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("cobre.plotting")?
            .getattr("plot_training")?
            .call((slf,), kwargs)
    }

    fn __repr__(&self) -> String {
        format!(
            "TrainingResult(iterations={}, final_lower_bound={}, final_upper_bound={}, \
             upper_bound_kind={}, termination_reason={}, total_cuts={})",
            self.iterations,
            crate::convert::PyRepr::py_repr(&self.final_lower_bound),
            crate::convert::PyRepr::py_repr(&self.final_upper_bound),
            crate::convert::PyRepr::py_repr(self.upper_bound_kind),
            crate::convert::PyRepr::py_repr(&self.termination_reason),
            self.total_cuts
        )
    }
}

/// The name of how training ended, as `termination_reason` gives it.
pub(crate) fn termination_name(t: cobre::TerminationReason, stopped_by_callback: bool) -> String {
    match t {
        cobre::TerminationReason::Observer if stopped_by_callback => "callback".to_string(),
        cobre::TerminationReason::Observer => "interrupted".to_string(),
        other => other.as_str().to_string(),
    }
}

fn result_object(
    py: Python<'_>,
    case: &Arc<cobre::Case>,
    r: cobre::TrainingResult,
    stopped_by_callback: bool,
) -> PyResult<TrainingResult> {
    let termination_reason = termination_name(r.termination, stopped_by_callback);
    let wall_time_ms = r.wall_time_s * 1e3;
    build_result(
        py,
        case,
        r.policy,
        r.records,
        termination_reason,
        wall_time_ms,
        None,
    )
}

/// A `TrainingResult` from its parts (also used by the parent of worker
/// processes, from the policy rank 0 saved).
pub(crate) fn build_result(
    py: Python<'_>,
    case: &Arc<cobre::Case>,
    policy: cobre::Policy,
    records: Vec<cobre::IterationRecord>,
    termination_reason: String,
    wall_time_ms: f64,
    workers: Option<Py<PyAny>>,
) -> PyResult<TrainingResult> {
    let last = records.last().copied().unwrap_or_default();
    let lp_solves = records.iter().map(|x| x.lp_solves).sum();
    let total_cuts = policy.num_cuts();
    let records = Arc::new(records);
    let policy = Policy::trained(Arc::clone(case), policy, Arc::clone(&records));
    Ok(TrainingResult {
        policy: Py::new(py, policy)?,
        iterations: last.iteration,
        final_lower_bound: if last.iteration == 0 {
            f64::NAN
        } else {
            last.lower_bound
        },
        final_upper_bound: if last.iteration == 0 {
            f64::NAN
        } else {
            last.upper_bound
        },
        final_ci_95: last.ci_95,
        upper_bound_kind: last.upper_bound_kind.as_str(),
        lower_bound_position: last.lower_bound_position().map(|p| p.as_str()),
        final_gap: last.gap.filter(|_| last.iteration > 0),
        bound_note: last.bound_note(),
        termination_reason,
        total_cuts,
        wall_time_ms,
        lp_solves,
        workers,
        records,
        convergence: PyOnceLock::new(),
    })
}

/// Trains an SDDP policy for `case` (a `Case` or the path of a case
/// folder) in this process.
///
/// `config_overrides` changes settings for this call: keys of
/// `config.json`, deep-merged into it and validated with it
/// (`{"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 7}]}}`).
/// `threads` defaults to `cobre.get_threads()`. `progress_callback(event)`
/// is called once per iteration, at the iteration boundary, with a
/// `ProgressEvent`; returning `True` or raising `StopIteration` stops
/// training after that iteration (the result is returned normally,
/// `termination_reason == "callback"`); any other exception stops training
/// and is re-raised with the result so far as `exc.partial_result`.
///
/// The GIL is released while training (other Python threads keep running).
/// Ctrl-C (`KeyboardInterrupt`) stops at the next iteration boundary and is
/// re-raised with the policy trained so far in `exc.partial_result` (a
/// `TrainingResult`). `cobre.train` adds `num_workers`/`backend` on top.
#[pyfunction]
#[pyo3(signature = (case, config_overrides = None, progress_callback = None, *, threads = None))]
pub(crate) fn train(
    py: Python<'_>,
    case: &Bound<'_, PyAny>,
    config_overrides: Option<&Bound<'_, PyAny>>,
    progress_callback: Option<Py<PyAny>>,
    threads: Option<usize>,
) -> PyResult<TrainingResult> {
    crate::logging::refresh_level(py);
    let case = case_arg(py, case)?;
    let overrides = crate::options::parse(py, config_overrides)?;
    let (inner, _) = crate::options::effective_case(py, case.get(), overrides)?;
    let threads = threads_arg(py, threads)?;
    let callback = callback_arg(py, progress_callback)?;
    let mut observer = Observer {
        callback,
        worker_id: None,
        error: None,
        stopped_by_callback: false,
    };
    let outcome = guard(py, || {
        let obs = &mut observer;
        let case = &inner;
        Ok(py.detach(move || {
            let options = cobre::TrainingOptions {
                threads,
                observer: Some(obs),
                ..cobre::TrainingOptions::default()
            };
            cobre::train(case, options)
        }))
    })?;
    let trained = outcome.map_err(|e| to_py_err(py, &e))?;
    let result = result_object(py, &inner, trained, observer.stopped_by_callback)?;
    finish(py, result, observer.error.take())
}

/// `Ok(result)`, or the exception that stopped training carrying `result`
/// as `partial_result`.
pub(crate) fn finish<T: pyo3::PyClass + Into<pyo3::PyClassInitializer<T>>>(
    py: Python<'_>,
    result: T,
    error: Option<PyErr>,
) -> PyResult<T> {
    match error {
        None => Ok(result),
        Some(err) => {
            let value = err.value(py);
            let _ = value.setattr("partial_result", Py::new(py, result)?);
            if err.is_instance_of::<PyKeyboardInterrupt>(py) {
                let _ = value.setattr(
                    "args",
                    ("interrupted; the results so far are in exc.partial_result",),
                );
            }
            Err(err)
        }
    }
}

/// The `threads` argument: at least 1, `cobre.get_threads()` by default.
pub(crate) fn threads_arg(py: Python<'_>, threads: Option<usize>) -> PyResult<usize> {
    match threads {
        None => Ok(crate::threads::get()),
        Some(0) => Err(invalid_argument(py, "threads", "must be at least 1")),
        Some(n) => Ok(n),
    }
}

/// The `progress_callback` argument: callable or `None`.
pub(crate) fn callback_arg(py: Python<'_>, cb: Option<Py<PyAny>>) -> PyResult<Option<Py<PyAny>>> {
    match cb.filter(|c| !c.is_none(py)) {
        Some(c) if !c.bind(py).is_callable() => {
            Err(wrong_type(py, "progress_callback", "must be callable"))
        }
        other => Ok(other),
    }
}
