//! `cobre.simulate()`: a policy evaluated on sampled scenarios, with the GIL
//! released.
//!
//! Scenarios are solved on worker threads and delivered, one at a time, to
//! a sink running on the calling thread. With `output_dir` the sink streams
//! them to Hive-partitioned Parquet (a partition is written, and its
//! scenarios dropped, as soon as it is complete: memory stays bounded
//! whatever the number of scenarios); the per-entity tables are then read
//! back from those files when first asked for. Without `output_dir`, or
//! with `in_memory=True`, the sink keeps the scenarios and the tables are
//! built from them on first access (one record batch per scenario, built
//! once; Python then shares those buffers). Between scenarios the sink
//! re-acquires the GIL briefly to forward logs, run signal handlers
//! (Ctrl-C) and call the progress callback; either may raise the stop
//! flag, after which no new scenario starts.

use crate::arrow::{to_pyarrow, ArrowTable};
use crate::case::case_arg;
use crate::errors::{guard, invalid_argument, to_py_err};
use crate::policy::Policy;
use crate::progress::ProgressEvent;
use crate::training::{callback_arg, finish, threads_arg};
use cobre::arrow::array::RecordBatch;
use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The sink running on the calling thread (see the module docs).
pub(crate) struct Sink {
    /// Scenarios kept in memory (`None`: streamed only).
    pub(crate) keep: Option<Vec<cobre::ScenarioResult>>,
    pub(crate) parquet: Option<cobre::outputs::ParquetSink>,
    pub(crate) callback: Option<Py<PyAny>>,
    pub(crate) stop: cobre::StopFlag,
    pub(crate) error: Option<PyErr>,
    /// Scenarios this process simulates.
    pub(crate) total: usize,
    pub(crate) done: usize,
    pub(crate) started: Instant,
    pub(crate) worker_id: Option<u64>,
}

impl Sink {
    /// Between scenarios, with the GIL: logs, signals, callback.
    fn boundary(&mut self) {
        Python::attach(|py| {
            crate::logging::flush(py);
            if let Err(e) = py.check_signals() {
                self.error = Some(e);
                self.stop.request_stop();
                return;
            }
            let Some(cb) = &self.callback else { return };
            let event = ProgressEvent {
                worker_id: self.worker_id,
                ..ProgressEvent::simulation(
                    self.done,
                    self.total,
                    self.started.elapsed().as_secs_f64() * 1e3,
                )
            };
            match Py::new(py, event).and_then(|e| cb.call1(py, (e,))) {
                Ok(v) if v.bind(py).is_truthy().unwrap_or(false) => self.stop.request_stop(),
                Ok(_) => {}
                Err(e) if e.is_instance_of::<PyStopIteration>(py) => self.stop.request_stop(),
                Err(e) => {
                    self.error = Some(e);
                    self.stop.request_stop();
                }
            }
        });
    }
}

impl cobre::SimulationSink for Sink {
    fn accept(&mut self, result: cobre::ScenarioResult) -> Result<(), cobre::SddpError> {
        match (self.parquet.as_mut(), self.keep.as_mut()) {
            (Some(p), Some(k)) => {
                p.accept(result.clone())?;
                k.push(result);
            }
            (Some(p), None) => p.accept(result)?,
            (None, Some(k)) => k.push(result),
            (None, None) => {}
        }
        self.done += 1;
        self.boundary();
        Ok(())
    }
}

/// What `simulate()` returns: totals and the per-entity results.
#[pyclass(frozen, module = "cobre")]
pub struct SimulationResult {
    /// Scenarios simulated.
    #[pyo3(get)]
    scenarios: usize,
    /// Mean total discounted cost ($).
    #[pyo3(get)]
    mean_cost: f64,
    /// Sample standard deviation of the total cost ($).
    #[pyo3(get)]
    std_cost: f64,
    /// Wall time (ms).
    #[pyo3(get)]
    wall_time_ms: f64,
    /// Whether the run was cut short (callback or Ctrl-C).
    #[pyo3(get)]
    interrupted: bool,
    /// Directory the Parquet files were written under (`output_dir`), or None.
    #[pyo3(get)]
    output_directory: Option<PathBuf>,
    /// Parquet files written (absolute paths), empty without `output_dir`.
    #[pyo3(get)]
    output_files: Vec<PathBuf>,
    /// Whether the per-entity tables are held in memory (else they are
    /// read back from `output_files` when asked for).
    #[pyo3(get)]
    in_memory: bool,
    /// Scenario results until the tables are first asked for.
    raw: Mutex<Vec<cobre::ScenarioResult>>,
    tables: PyOnceLock<Vec<(&'static str, Py<ArrowTable>)>>,
}

impl SimulationResult {
    /// A result with its tables already built (multi-process runs).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_parts(
        py: Python<'_>,
        summary: &cobre::SimulationSummary,
        output_directory: Option<PathBuf>,
        output_files: Vec<PathBuf>,
        tables: Option<Vec<(&'static str, Py<ArrowTable>)>>,
    ) -> Self {
        let lock = PyOnceLock::new();
        let in_memory = tables.is_some();
        if let Some(t) = tables {
            let _ = lock.set(py, t);
        }
        Self {
            scenarios: summary.num_scenarios,
            mean_cost: summary.mean_cost,
            std_cost: summary.std_cost,
            wall_time_ms: summary.wall_time_s * 1e3,
            interrupted: summary.interrupted,
            output_directory,
            output_files,
            in_memory,
            raw: Mutex::new(Vec::new()),
            tables: lock,
        }
    }

    /// The entity tables: built from the kept scenarios, or read back from
    /// the Parquet files, on first use.
    fn all_tables(&self, py: Python<'_>) -> PyResult<&Vec<(&'static str, Py<ArrowTable>)>> {
        self.tables.get_or_try_init(py, || {
            if !self.in_memory {
                return Err(invalid_argument(
                    py,
                    "tables",
                    "the results were streamed to output_dir; read the tables with the \
                     named properties (costs, hydros, …), from output_files, or pass in_memory=True",
                ));
            }
            let raw = self
                .raw
                .lock()
                .map(|mut r| std::mem::take(&mut *r))
                .unwrap_or_default();
            entity_tables(py, raw)
        })
    }

    fn table<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        if !self.in_memory {
            // Read back from this table's Parquet partitions (pyarrow).
            let marker = format!(
                "{}simulation{}{name}{}",
                std::path::MAIN_SEPARATOR,
                std::path::MAIN_SEPARATOR,
                std::path::MAIN_SEPARATOR
            );
            let files: Vec<String> = self
                .output_files
                .iter()
                .map(|p| p.to_string_lossy().to_string())
                .filter(|p| p.contains(&marker))
                .collect();
            let pq = py.import("pyarrow.parquet")?;
            if files.is_empty() {
                return Err(invalid_argument(
                    py,
                    "table",
                    &format!("no {name} file was written"),
                ));
            }
            let tables: Vec<Bound<'_, PyAny>> = files
                .iter()
                .map(|f| pq.call_method1("read_table", (f,)))
                .collect::<PyResult<_>>()?;
            return py
                .import("pyarrow")?
                .call_method1("concat_tables", (tables,));
        }
        let t = self
            .all_tables(py)?
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| invalid_argument(py, "table", &format!("no table {name}")))?;
        to_pyarrow(t.1.bind(py).as_any())
    }
}

#[pymethods]
impl SimulationResult {
    /// The per-entity tables as `ArrowTable`s (no pyarrow needed):
    /// `costs` (per scenario and stage), `hydros`, `thermals`, `buses`,
    /// `lines`, `pumping_stations` and `hydro_bus_generation` (per
    /// scenario, stage, block and entity).
    #[getter]
    fn tables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, t) in self.all_tables(py)? {
            d.set_item(*name, t.clone_ref(py))?;
        }
        Ok(d)
    }

    /// Costs per scenario and stage, as a `pyarrow.Table` (zero-copy).
    #[getter]
    fn costs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.table(py, "costs")
    }

    /// Hydro results per scenario, stage, block and plant (`pyarrow.Table`).
    #[getter]
    fn hydros<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.table(py, "hydros")
    }

    /// Thermal results per scenario, stage, block and plant (`pyarrow.Table`).
    #[getter]
    fn thermals<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.table(py, "thermals")
    }

    /// Bus results per scenario, stage, block and bus (`pyarrow.Table`).
    #[getter]
    fn buses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.table(py, "buses")
    }

    /// Line results per scenario, stage, block and line (`pyarrow.Table`).
    #[getter]
    fn lines<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.table(py, "lines")
    }

    /// A matplotlib figure of the results: `kind="cost"` (histogram and
    /// percentiles of the total cost), `"storage"` (percentile fans of the
    /// largest reservoirs, or of `hydros=[ids]`), `"generation"` (mean
    /// generation by source and deficit per stage) or `"deficit"` (mean
    /// deficit per bus). Needs matplotlib (`pip install cobre[plot]`); drawn
    /// by `cobre.plotting.plot_simulation`, which receives the keyword
    /// arguments.
    #[pyo3(signature = (kind = "cost", **kwargs))]
    fn plot<'py>(
        slf: &Bound<'py, Self>,
        kind: &str,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("cobre.plotting")?
            .getattr("plot_simulation")?
            .call((slf, kind), kwargs)
    }

    /// Pumping results per scenario, stage, block and station (`pyarrow.Table`).
    #[getter]
    fn pumping_stations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.table(py, "pumping_stations")
    }

    /// Per-bus generation of plants whose unit groups sit on several buses,
    /// per scenario, stage and block (`pyarrow.Table`).
    #[getter]
    fn hydro_bus_generation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.table(py, "hydro_bus_generation")
    }

    fn __repr__(&self) -> String {
        format!(
            "SimulationResult(scenarios={}, mean_cost={}, std_cost={}, interrupted={}, in_memory={})",
            self.scenarios,
            self.mean_cost,
            self.std_cost,
            if self.interrupted { "True" } else { "False" },
            if self.in_memory { "True" } else { "False" }
        )
    }
}

/// Converts the scenarios, in scenario order, into one table per entity
/// kind (one record batch per scenario; Python shares these buffers).
pub(crate) fn entity_tables(
    py: Python<'_>,
    mut scenarios: Vec<cobre::ScenarioResult>,
) -> PyResult<Vec<(&'static str, Py<ArrowTable>)>> {
    scenarios.sort_by_key(|s| s.scenario);
    let mut columns: [Vec<RecordBatch>; 7] = Default::default();
    for s in &scenarios {
        let batches = cobre::outputs::scenario_batches(s)
            .map_err(|e| invalid_argument(py, "simulation results", &e.to_string()))?;
        for (k, b) in batches.into_iter().enumerate() {
            if let Some(c) = columns.get_mut(k) {
                c.push(b);
            }
        }
    }
    let mut out = Vec::with_capacity(columns.len());
    for (name, batches) in cobre::outputs::SIMULATION_TABLES.iter().zip(columns) {
        let schema = match batches.first() {
            Some(b) => b.schema(),
            None => Arc::new(cobre::arrow::datatypes::Schema::empty()),
        };
        out.push((*name, Py::new(py, ArrowTable::new(schema, batches))?));
    }
    Ok(out)
}

/// Simulates `policy` on the scenarios of `case` (a `Case` or the path
/// of a case folder) in this process.
///
/// `config_overrides` changes settings for this call (keys of
/// `config.json`, e.g. `{"simulation": {"selection": {"method": "sampled",
/// "num_scenarios": 37}}}`). With `output_dir`, the results stream to
/// Hive-partitioned Parquet under `output_dir/simulation/` (listed in
/// `output_files`) with bounded memory, and the tables are read back from
/// there when asked for; `in_memory=True` keeps them in memory too
/// (the default without `output_dir`). `progress_callback(event)` gets a
/// `ProgressEvent` after each scenario; returning `True` or raising
/// `StopIteration` stops starting new scenarios (`interrupted` is then
/// True). The GIL is released while simulating; Ctrl-C stops the run and
/// raises `KeyboardInterrupt` with the results so far in
/// `exc.partial_result`. `cobre.simulate` adds `num_workers`/`backend`.
#[pyfunction]
#[pyo3(signature = (case, policy, config_overrides = None, progress_callback = None,
                    output_dir = None, *, threads = None, in_memory = None,
                    scenarios_per_partition = 100))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn simulate(
    py: Python<'_>,
    case: &Bound<'_, PyAny>,
    policy: &Policy,
    config_overrides: Option<&Bound<'_, PyAny>>,
    progress_callback: Option<Py<PyAny>>,
    output_dir: Option<PathBuf>,
    threads: Option<usize>,
    in_memory: Option<bool>,
    scenarios_per_partition: usize,
) -> PyResult<SimulationResult> {
    crate::logging::refresh_level(py);
    let case = case_arg(py, case)?;
    let overrides = crate::options::parse(py, config_overrides)?;
    let (inner, _) = crate::options::effective_case(py, case.get(), overrides)?;
    let threads = threads_arg(py, threads)?;
    let callback = callback_arg(py, progress_callback)?;
    let keep = in_memory.unwrap_or(output_dir.is_none());
    let total = usize::try_from(inner.config.simulation.num_scenarios).unwrap_or(0);
    let per_partition = scenarios_per_partition.max(1);
    let stop = cobre::StopFlag::new();
    let mut sink = Sink {
        keep: keep.then(|| Vec::with_capacity(total)),
        parquet: output_dir
            .as_ref()
            .map(|d| cobre::outputs::ParquetSink::new(d.clone(), total, per_partition)),
        callback,
        stop: stop.clone(),
        error: None,
        total,
        done: 0,
        started: Instant::now(),
        worker_id: None,
    };
    let engine = Arc::clone(&policy.engine);
    let outcome = guard(py, || {
        let sink = &mut sink;
        let inner = &inner;
        Ok(py.detach(move || {
            let options = cobre::SimulationOptions {
                threads,
                stop: Some(stop),
                sink: Some(sink),
                communicator: None,
                scenarios_per_block: per_partition,
            };
            cobre::simulate(inner, &engine, options)
        }))
    })?;
    let summary = outcome.map_err(|e| to_py_err(py, &e))?.summary;
    let mut output_files = Vec::new();
    if let Some(parquet) = sink.parquet.take() {
        let report = guard(py, || {
            py.detach(move || parquet.finish())
                .map_err(|e| to_py_err(py, &cobre::Error::from(e)))
        })?;
        output_files = report.files.into_iter().map(|f| f.path).collect();
    }
    let result = SimulationResult {
        scenarios: summary.num_scenarios,
        mean_cost: summary.mean_cost,
        std_cost: summary.std_cost,
        wall_time_ms: summary.wall_time_s * 1e3,
        interrupted: summary.interrupted,
        output_directory: output_dir,
        output_files,
        in_memory: keep,
        raw: Mutex::new(sink.keep.take().unwrap_or_default()),
        tables: PyOnceLock::new(),
    };
    finish(py, result, sink.error.take())
}
