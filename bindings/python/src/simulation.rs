//! `cobre.simulate()`: a policy evaluated on sampled scenarios, with the GIL
//! released; per-entity results as Arrow tables, optionally written as
//! Parquet too.
//!
//! Scenarios are solved on worker threads and delivered, one at a time, to
//! a sink running on the calling thread. The sink keeps each scenario's
//! columns (and passes them on to the facade's Parquet sink when
//! `output_dir` is given) and, between
//! scenarios, re-acquires the GIL briefly to forward logs, run signal
//! handlers (Ctrl-C) and call the progress callback; either may raise the
//! stop flag, after which no new scenario starts. The columns become Arrow
//! tables on first access to a table (one record batch per scenario, built
//! once; Python then shares those buffers).

use crate::arrow::{to_pyarrow, ArrowTable};
use crate::case::Case;
use crate::errors::{guard, invalid_argument, to_py_err};
use crate::options::{Overrides, Phase};
use crate::policy::Policy;
use cobre::arrow::array::RecordBatch;
use pyo3::exceptions::{PyKeyboardInterrupt, PyStopIteration};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The sink running on the calling thread (see the module docs).
struct Sink {
    scenarios: Vec<cobre::ScenarioResult>,
    parquet: Option<cobre::outputs::ParquetSink>,
    callback: Option<Py<PyAny>>,
    stop: cobre::StopFlag,
    error: Option<PyErr>,
    total: usize,
}

impl Sink {
    /// Between scenarios, with the GIL: logs, signals, callback.
    fn boundary(&mut self, scenario: u32) {
        Python::attach(|py| {
            crate::logging::flush(py);
            if let Err(e) = py.check_signals() {
                self.error = Some(e);
                self.stop.request_stop();
                return;
            }
            let Some(cb) = &self.callback else { return };
            let info = PyDict::new(py);
            let outcome = info
                .set_item("scenario", scenario)
                .and_then(|()| info.set_item("completed", self.scenarios.len()))
                .and_then(|()| info.set_item("total", self.total))
                .and_then(|()| cb.call1(py, (info,)));
            match outcome {
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
        let id = result.scenario;
        if let Some(p) = self.parquet.as_mut() {
            p.accept(result.clone())?;
        }
        self.scenarios.push(result);
        self.boundary(id);
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
    /// Scenario results until the tables are first asked for.
    raw: Mutex<Vec<cobre::ScenarioResult>>,
    tables: PyOnceLock<Vec<(&'static str, Py<ArrowTable>)>>,
}

impl SimulationResult {
    /// The entity tables, converted from the scenario results on first use.
    fn all_tables(&self, py: Python<'_>) -> PyResult<&Vec<(&'static str, Py<ArrowTable>)>> {
        self.tables.get_or_try_init(py, || {
            let raw = self
                .raw
                .lock()
                .map(|mut r| std::mem::take(&mut *r))
                .unwrap_or_default();
            entity_tables(py, raw)
        })
    }

    fn table<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
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
    /// `lines` (per scenario, stage, block and entity).
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
            "SimulationResult(scenarios={}, mean_cost={}, std_cost={}, interrupted={})",
            self.scenarios,
            self.mean_cost,
            self.std_cost,
            if self.interrupted { "True" } else { "False" }
        )
    }
}

/// Converts the scenarios, in scenario order, into one table per entity
/// kind (one record batch per scenario; Python shares these buffers).
fn entity_tables(
    py: Python<'_>,
    mut scenarios: Vec<cobre::ScenarioResult>,
) -> PyResult<Vec<(&'static str, Py<ArrowTable>)>> {
    scenarios.sort_by_key(|s| s.scenario);
    let mut columns: [Vec<RecordBatch>; 7] = Default::default();
    for s in &scenarios {
        let batches = cobre::outputs::scenario_batches(s)
            .map_err(|m| invalid_argument(py, "simulation results", &m))?;
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

/// Simulates `policy` on the scenarios of `case`.
///
/// `config_overrides` changes settings for this call (`threads`,
/// `num_scenarios`, `seed`; flat or under `"simulation"`). With
/// `output_dir`, the results are also written as Hive-partitioned Parquet
/// under `output_dir/simulation/` (listed in `output_files`).
/// `progress_callback(info)` is called after each scenario with
/// `{"scenario", "completed", "total"}`; returning `True` or raising
/// `StopIteration` stops starting new scenarios (`interrupted` is then
/// True). The GIL is released while simulating; Ctrl-C stops the run and
/// raises `KeyboardInterrupt` with the results so far in
/// `exc.partial_result`.
#[pyfunction]
#[pyo3(signature = (case, policy, config_overrides = None, progress_callback = None, output_dir = None))]
pub(crate) fn simulate(
    py: Python<'_>,
    case: &Case,
    policy: &Policy,
    config_overrides: Option<&Bound<'_, PyAny>>,
    progress_callback: Option<Py<PyAny>>,
    output_dir: Option<PathBuf>,
) -> PyResult<SimulationResult> {
    crate::logging::refresh_level(py);
    let o = Overrides::parse(py, config_overrides, Phase::Simulation)?;
    if let Some(cb) = &progress_callback {
        if !cb.bind(py).is_callable() {
            return Err(invalid_argument(
                py,
                "progress_callback",
                "must be callable",
            ));
        }
    }
    let total = o.num_scenarios.unwrap_or_else(|| {
        usize::try_from(case.inner.config.simulation.num_scenarios).unwrap_or(0)
    });
    let stop = cobre::StopFlag::new();
    let mut sink = Sink {
        scenarios: Vec::with_capacity(total),
        parquet: output_dir
            .as_ref()
            .map(|d| cobre::outputs::ParquetSink::new(d.clone(), total, 100)),
        callback: progress_callback.filter(|c| !c.is_none(py)),
        stop: stop.clone(),
        error: None,
        total,
    };
    let inner = Arc::clone(&case.inner);
    let engine = Arc::clone(&policy.engine);
    let outcome = guard(py, || {
        let sink = &mut sink;
        Ok(py.detach(move || {
            let options = cobre::SimulationOptions {
                threads: o.threads,
                num_scenarios: o.num_scenarios,
                seed: o.seed,
                stop: Some(stop),
                sink: Some(sink),
            };
            cobre::simulate(&inner, &engine, options)
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
        raw: Mutex::new(std::mem::take(&mut sink.scenarios)),
        tables: PyOnceLock::new(),
    };
    match sink.error.take() {
        None => Ok(result),
        Some(err) => {
            let value = err.value(py);
            let _ = value.setattr("partial_result", Py::new(py, result)?);
            if err.is_instance_of::<PyKeyboardInterrupt>(py) {
                let _ = value.setattr(
                    "args",
                    ("simulation interrupted; the results so far are in exc.partial_result",),
                );
            }
            Err(err)
        }
    }
}
