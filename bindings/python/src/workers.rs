//! The native side of worker processes (`cobre.train(..., num_workers=N)`,
//! `cobre.simulate(..., num_workers=N)`; the orchestration is Python's,
//! `cobre/_workers.py`).
//!
//! Each worker process calls [`_run_worker`] with its rank: it joins the
//! group over TCP or shared memory (`cobre::communicator`), reads the case
//! (with the call's overrides) and runs its share with the GIL released.
//! In training, rank 0 saves the policy where the parent reads it back
//! ([`_training_result_from_worker`]); in simulation every rank streams
//! its own partitions to Parquet and/or sends its tables back as Arrow IPC
//! ([`_simulation_result_from_workers`]). Results are bit-identical to one
//! process: the communicator carries every exchange of the engine.

use crate::arrow::ArrowTable;
use crate::case::{load_with, Case};
use crate::errors::{guard, invalid_argument, to_py_err};
use crate::simulation::{entity_tables, SimulationResult, Sink};
use crate::training::{build_result, termination_name, threads_arg, Observer};
use cobre::arrow::array::RecordBatch;
use cobre::Communicator;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn item<'py, T: FromPyObjectOwned<'py>>(spec: &Bound<'py, PyDict>, key: &str) -> PyResult<T> {
    let py = spec.py();
    let v = spec
        .get_item(key)?
        .ok_or_else(|| invalid_argument(py, "worker spec", &format!("missing `{key}`")))?;
    v.extract()
        .map_err(|_| invalid_argument(py, "worker spec", &format!("bad `{key}`")))
}

fn opt_item<'py, T: FromPyObjectOwned<'py>>(
    spec: &Bound<'py, PyDict>,
    key: &str,
) -> PyResult<Option<T>> {
    match spec.get_item(key)? {
        Some(v) if !v.is_none() => Ok(Some(item(spec, key)?)),
        _ => Ok(None),
    }
}

use pyo3::conversion::FromPyObjectOwned;

/// Joins the worker group described by `spec` (GIL released).
fn connect(py: Python<'_>, spec: &Bound<'_, PyDict>) -> PyResult<Box<dyn Communicator>> {
    let backend: String = item(spec, "backend")?;
    let rank: usize = item(spec, "rank")?;
    let size: usize = item(spec, "size")?;
    let token: u64 = item(spec, "token")?;
    let timeout = Duration::from_secs_f64(item::<f64>(spec, "timeout_s")?.max(1.0));
    match backend.as_str() {
        "tcp" => {
            let config = cobre::communicator::TcpConfig {
                rank,
                size,
                coordinator: item(spec, "address")?,
                token,
                timeout,
            };
            let comm = guard(py, || {
                py.detach(|| cobre::communicator::TcpCommunicator::connect(&config))
                    .map_err(|e| to_py_err(py, &cobre::Error::from(e)))
            })?;
            Ok(Box::new(comm))
        }
        #[cfg(unix)]
        "shm" => {
            let config = cobre::communicator::ShmConfig {
                rank,
                size,
                name: item(spec, "name")?,
                token,
                timeout,
                slot_bytes: opt_item(spec, "slot_bytes")?
                    .unwrap_or(cobre::communicator::DEFAULT_SLOT_BYTES),
            };
            let comm = guard(py, || {
                py.detach(|| cobre::communicator::ShmCommunicator::connect(&config))
                    .map_err(|e| to_py_err(py, &cobre::Error::from(e)))
            })?;
            Ok(Box::new(comm))
        }
        other => Err(invalid_argument(
            py,
            "backend",
            &format!("`{other}` is not a worker backend here"),
        )),
    }
}

/// Runs one worker process's share of a training or a simulation (see the
/// module docs); called by `cobre._workers` in each worker process. Returns
/// a dict of what the parent needs from this rank.
#[pyfunction]
#[pyo3(signature = (spec, progress_callback = None))]
pub(crate) fn _run_worker<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PyDict>,
    progress_callback: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    crate::logging::refresh_level(py);
    let started = Instant::now();
    let task: String = item(spec, "task")?;
    let path: PathBuf = item(spec, "case")?;
    let overrides: Option<String> = opt_item(spec, "overrides")?;
    let overrides = overrides
        .map(|s| serde_json::from_str::<serde_json::Value>(&s))
        .transpose()
        .map_err(|e| invalid_argument(py, "overrides", &e.to_string()))?;
    let threads = threads_arg(py, opt_item(spec, "threads")?)?;
    let rank: usize = item(spec, "rank")?;
    let case = load_with(py, path, overrides)?;
    let comm = connect(py, spec)?;
    let out = PyDict::new(py);
    out.set_item("rank", rank)?;
    match task.as_str() {
        "train" => train_share(py, spec, &case, &*comm, threads, progress_callback, &out)?,
        "simulate" => simulate_share(py, spec, &case, &*comm, threads, progress_callback, &out)?,
        other => {
            return Err(invalid_argument(
                py,
                "task",
                &format!("unknown task `{other}`"),
            ))
        }
    }
    out.set_item("wall_time_ms", started.elapsed().as_secs_f64() * 1e3)?;
    Ok(out)
}

fn train_share(
    py: Python<'_>,
    spec: &Bound<'_, PyDict>,
    case: &Case,
    comm: &dyn Communicator,
    threads: usize,
    callback: Option<Py<PyAny>>,
    out: &Bound<'_, PyDict>,
) -> PyResult<()> {
    let rank = comm.rank();
    let mut observer = Observer {
        callback: crate::training::callback_arg(py, callback)?,
        worker_id: Some(rank as u64),
        error: None,
        stopped_by_callback: false,
    };
    let inner = Arc::clone(&case.inner);
    let trained = guard(py, || {
        let obs = &mut observer;
        let inner = &inner;
        Ok(py.detach(move || {
            cobre::train(
                inner,
                cobre::TrainingOptions {
                    threads,
                    observer: Some(obs),
                    stop: None,
                    communicator: Some(comm),
                },
            )
        }))
    })?
    .map_err(|e| to_py_err(py, &e))?;
    if let Some(e) = observer.error.take() {
        return Err(e);
    }
    out.set_item(
        "termination_reason",
        termination_name(trained.termination, observer.stopped_by_callback),
    )?;
    out.set_item("train_time_ms", trained.wall_time_s * 1e3)?;
    if rank == 0 {
        let dir: PathBuf = item(spec, "policy_out")?;
        let inner = Arc::clone(&case.inner);
        guard(py, || {
            py.detach(|| {
                let study = cobre::StudyModel::build(&inner.system, &inner.config)?;
                cobre::save_policy(&dir, &inner, &study, &trained.policy, &trained.records)
            })
            .map_err(|e| to_py_err(py, &e))
        })?;
    }
    Ok(())
}

fn simulate_share(
    py: Python<'_>,
    spec: &Bound<'_, PyDict>,
    case: &Case,
    comm: &dyn Communicator,
    threads: usize,
    callback: Option<Py<PyAny>>,
    out: &Bound<'_, PyDict>,
) -> PyResult<()> {
    let policy_dir: PathBuf = item(spec, "policy_dir")?;
    let output_dir: Option<PathBuf> = opt_item(spec, "output_dir")?;
    let keep: bool = item(spec, "in_memory")?;
    let per_block: usize = item::<usize>(spec, "scenarios_per_partition")?.max(1);
    let inner = Arc::clone(&case.inner);
    let total = usize::try_from(inner.config.simulation.num_scenarios).unwrap_or(0);
    let share = cobre::communicator::block_share(total, per_block, comm.rank(), comm.size()).len();
    let policy = {
        let inner = Arc::clone(&inner);
        guard(py, || {
            py.detach(move || {
                let study = cobre::StudyModel::build(&inner.system, &inner.config)?;
                cobre::load_policy(&policy_dir, &inner, &study).map(|s| s.policy)
            })
            .map_err(|e| to_py_err(py, &e))
        })?
    };
    let stop = cobre::StopFlag::new();
    let mut sink = Sink {
        keep: keep.then(|| Vec::with_capacity(share)),
        parquet: output_dir
            .as_ref()
            .map(|d| cobre::outputs::ParquetSink::new(d.clone(), total, per_block)),
        callback: crate::training::callback_arg(py, callback)?,
        stop: stop.clone(),
        error: None,
        total: share,
        done: 0,
        started: Instant::now(),
        worker_id: Some(comm.rank() as u64),
    };
    let summary = guard(py, || {
        let sink = &mut sink;
        let inner = &inner;
        let policy = &policy;
        Ok(py.detach(move || {
            cobre::simulate(
                inner,
                policy,
                cobre::SimulationOptions {
                    threads,
                    stop: Some(stop),
                    sink: Some(sink),
                    communicator: Some(comm),
                    scenarios_per_block: per_block,
                },
            )
        }))
    })?
    .map_err(|e| to_py_err(py, &e))?
    .summary;
    if let Some(e) = sink.error.take() {
        return Err(e);
    }
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(parquet) = sink.parquet.take() {
        let report = guard(py, || {
            py.detach(move || parquet.finish())
                .map_err(|e| to_py_err(py, &cobre::Error::from(e)))
        })?;
        files = report.files.into_iter().map(|f| f.path).collect();
    }
    let s = PyDict::new(py);
    s.set_item("num_scenarios", summary.num_scenarios)?;
    s.set_item("mean_cost", summary.mean_cost)?;
    s.set_item("std_cost", summary.std_cost)?;
    s.set_item("wall_time_s", summary.wall_time_s)?;
    s.set_item("interrupted", summary.interrupted)?;
    s.set_item("lp_solves", summary.solver.solves)?;
    out.set_item("summary", s)?;
    out.set_item("files", files)?;
    if let Some(scenarios) = sink.keep.take() {
        out.set_item("tables", ipc_tables(py, scenarios)?)?;
    }
    Ok(())
}

/// This rank's scenarios as one Arrow IPC stream per table (in
/// `SIMULATION_TABLES` order).
fn ipc_tables<'py>(
    py: Python<'py>,
    scenarios: Vec<cobre::ScenarioResult>,
) -> PyResult<Bound<'py, PyList>> {
    let tables = entity_tables(py, scenarios)?;
    let out = PyList::empty(py);
    for (_, t) in tables {
        let t = t.bind(py).get();
        let mut buf: Vec<u8> = Vec::new();
        {
            let mut w = cobre::arrow::ipc::writer::StreamWriter::try_new(&mut buf, &t.schema())
                .map_err(|e| invalid_argument(py, "arrow", &e.to_string()))?;
            for b in t.batches() {
                w.write(b)
                    .map_err(|e| invalid_argument(py, "arrow", &e.to_string()))?;
            }
            w.finish()
                .map_err(|e| invalid_argument(py, "arrow", &e.to_string()))?;
        }
        out.append(PyBytes::new(py, &buf))?;
    }
    Ok(out)
}

/// The `TrainingResult` of a multi-process training, from the policy rank
/// 0 saved in `policy_dir` (called by the parent process).
#[pyfunction]
pub(crate) fn _training_result_from_worker(
    py: Python<'_>,
    case: &Case,
    policy_dir: PathBuf,
    termination_reason: String,
    wall_time_ms: f64,
    workers: Py<PyAny>,
) -> PyResult<crate::training::TrainingResult> {
    let (policy, records, _) = {
        let inner = Arc::clone(&case.inner);
        guard(py, || {
            py.detach(move || crate::persist::load(&policy_dir, Some(&inner)))
                .map_err(|e| to_py_err(py, &e))
        })?
    };
    build_result(
        py,
        &case.inner,
        policy,
        records,
        termination_reason,
        wall_time_ms,
        Some(workers),
    )
}

/// The `SimulationResult` of a multi-process simulation from every rank's
/// part (called by the parent process): `summary` is rank 0's (the same on
/// every rank), `files` every rank's files in rank order, `tables` every
/// rank's IPC streams (or `None` when the tables were not kept).
#[pyfunction]
#[pyo3(signature = (summary, output_dir, files, tables))]
pub(crate) fn _simulation_result_from_workers(
    py: Python<'_>,
    summary: &Bound<'_, PyDict>,
    output_dir: Option<PathBuf>,
    files: Vec<PathBuf>,
    tables: Option<Vec<Vec<Vec<u8>>>>,
) -> PyResult<SimulationResult> {
    let s = cobre::SimulationSummary {
        num_scenarios: item(summary, "num_scenarios")?,
        mean_cost: item(summary, "mean_cost")?,
        std_cost: item(summary, "std_cost")?,
        wall_time_s: item(summary, "wall_time_s")?,
        interrupted: item(summary, "interrupted")?,
        ..cobre::SimulationSummary::default()
    };
    let built = match tables {
        None => None,
        Some(per_rank) => {
            let mut per_table: Vec<Vec<RecordBatch>> =
                vec![Vec::new(); cobre::outputs::SIMULATION_TABLES.len()];
            let mut schemas = vec![None; per_table.len()];
            for rank_tables in per_rank {
                for (k, bytes) in rank_tables.into_iter().enumerate() {
                    let reader = cobre::arrow::ipc::reader::StreamReader::try_new(
                        std::io::Cursor::new(bytes),
                        None,
                    )
                    .map_err(|e| invalid_argument(py, "arrow", &e.to_string()))?;
                    if let Some(slot) = schemas.get_mut(k) {
                        slot.get_or_insert(reader.schema());
                    }
                    for b in reader {
                        let b = b.map_err(|e| invalid_argument(py, "arrow", &e.to_string()))?;
                        if let Some(t) = per_table.get_mut(k) {
                            t.push(b);
                        }
                    }
                }
            }
            let mut out = Vec::new();
            for ((name, batches), schema) in cobre::outputs::SIMULATION_TABLES
                .iter()
                .zip(per_table)
                .zip(schemas)
            {
                let schema = match batches.first() {
                    Some(b) => b.schema(),
                    None => {
                        schema.unwrap_or_else(|| Arc::new(cobre::arrow::datatypes::Schema::empty()))
                    }
                };
                out.push((*name, Py::new(py, ArrowTable::new(schema, batches))?));
            }
            Some(out)
        }
    };
    Ok(SimulationResult::from_parts(
        py, &s, output_dir, files, built,
    ))
}

/// Removes a shared-memory segment left behind by a group that never
/// formed (the parent's cleanup after a failed start).
#[pyfunction]
pub(crate) fn _unlink_shm(name: &str) {
    #[cfg(unix)]
    cobre::communicator::unlink_shm(name);
    #[cfg(not(unix))]
    let _ = name;
}
