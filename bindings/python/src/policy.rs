//! `Policy`: a trained future-cost function, its cuts as NumPy views of
//! Rust memory, and its evaluation at states.

use crate::case::Case;
use crate::convert::view;
use crate::errors::{guard, guard_result, invalid_argument};
use crate::persist;
use numpy::{PyArray1, PyArrayLike1, PyArrayLike2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// A trained policy: the cuts of every stage,
/// `θ_t ≥ intercept + coefficients · x` where `x` is the state leaving
/// stage `t` (storage of every hydro in hm³, then inflow lags in m³/s; see
/// `state_variables`), in $ (undiscounted).
///
/// Stages are addressed by index (0-based). Arrays returned by `cuts()` are
/// read-only views of the Rust buffers (no copy; `.base` is this object).
#[pyclass(frozen, module = "cobre")]
pub struct Policy {
    /// The engine's policy (what `simulate` uses).
    pub(crate) engine: Arc<cobre::Policy>,
    /// The case it was trained on or loaded for, when known.
    pub(crate) case: Option<Arc<cobre::Case>>,
    /// Training history (for saving and resuming).
    records: Arc<Vec<cobre::IterationRecord>>,
    /// The plain-data view of the cuts, built on first use.
    table: OnceLock<Arc<cobre::PolicyTable>>,
}

impl Policy {
    /// A policy just trained on `case`.
    pub(crate) fn trained(
        case: Arc<cobre::Case>,
        policy: cobre::Policy,
        records: Arc<Vec<cobre::IterationRecord>>,
    ) -> Self {
        Self {
            engine: Arc::new(policy),
            case: Some(case),
            records,
            table: OnceLock::new(),
        }
    }

    /// The plain-data table of the cuts (built once).
    pub(crate) fn table(&self, py: Python<'_>) -> PyResult<Arc<cobre::PolicyTable>> {
        if let Some(t) = self.table.get() {
            return Ok(Arc::clone(t));
        }
        let Some(case) = self.case.clone() else {
            return Err(invalid_argument(
                py,
                "policy",
                "the policy has no case to describe its state",
            ));
        };
        let engine = Arc::clone(&self.engine);
        let iterations = self.records.last().map_or(0, |r| r.iteration);
        let table = guard_result(py, || {
            py.detach(move || {
                let study = cobre::StudyModel::build(&case.system, &case.config)?;
                Ok::<_, cobre::Error>(engine.to_table(&study, iterations))
            })
        })?;
        Ok(Arc::clone(self.table.get_or_init(|| Arc::new(table))))
    }

    fn stage_cuts<'a>(
        py: Python<'_>,
        table: &'a cobre::PolicyTable,
        stage: usize,
    ) -> PyResult<&'a cobre::StageCuts> {
        table.stages.get(stage).ok_or_else(|| {
            invalid_argument(
                py,
                "stage",
                &format!(
                    "stage index {stage} out of range (the policy has {} stages)",
                    table.stages.len()
                ),
            )
        })
    }
}

/// Future cost at `x` under `cuts`: `max(0, max_j α_j + π_j·x)` over the
/// active cuts (θ is non-negative in the stage LP).
#[inline]
fn future_cost(cuts: &cobre::StageCuts, n: usize, x: &[f64]) -> f64 {
    let mut best = 0.0_f64;
    for (j, (&alpha, &active)) in cuts.intercept.iter().zip(&cuts.active).enumerate() {
        if !active {
            continue;
        }
        let Some(pi) = cuts.coefficients.get(j * n..(j + 1) * n) else {
            break;
        };
        let v = alpha + pi.iter().zip(x).map(|(a, b)| a * b).sum::<f64>();
        if v > best {
            best = v;
        }
    }
    best
}

/// Evaluates `states` (row-major `(m, n)`) into `out` on `threads` threads.
fn evaluate_rows(
    cuts: &cobre::StageCuts,
    n: usize,
    states: &[f64],
    out: &mut [f64],
    threads: usize,
) {
    let m = out.len();
    let threads = threads.clamp(1, m.max(1));
    if threads == 1 || m < 1024 {
        for (o, x) in out.iter_mut().zip(states.chunks_exact(n.max(1))) {
            *o = future_cost(cuts, n, x);
        }
        return;
    }
    let rows = m.div_ceil(threads);
    std::thread::scope(|s| {
        for (o, x) in out.chunks_mut(rows).zip(states.chunks(rows * n.max(1))) {
            s.spawn(move || {
                for (o, x) in o.iter_mut().zip(x.chunks_exact(n.max(1))) {
                    *o = future_cost(cuts, n, x);
                }
            });
        }
    });
}

/// A stage index argument: an `int` (not a `bool`) in `0..n`.
fn stage_index(stage: &Bound<'_, PyAny>, n: usize) -> PyResult<usize> {
    use pyo3::types::{PyBool, PyInt};
    if !stage.is_instance_of::<PyInt>() || stage.is_instance_of::<PyBool>() {
        let type_name = stage
            .get_type()
            .name()
            .map_or_else(|_| "?".to_string(), |t| t.to_string());
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "stage must be an int, not {type_name}"
        )));
    }
    let out_of_range = || {
        pyo3::exceptions::PyIndexError::new_err(format!(
            "stage {stage} out of range: the policy has stages 0..{n}"
        ))
    };
    let i: i64 = stage.extract().map_err(|_| out_of_range())?;
    usize::try_from(i)
        .ok()
        .filter(|&i| i < n)
        .ok_or_else(out_of_range)
}

#[pymethods]
impl Policy {
    /// Reads a policy directory written by `save()` or by a run.
    ///
    /// With `case`, the policy is checked against it (same system, state and
    /// stages; `PolicyIncompatible` otherwise) and can be saved again;
    /// without, it is read as is (`simulate` still checks its dimensions).
    /// A truncated or modified file raises `cobre.IOError(kind="OutputCorrupted")`.
    #[staticmethod]
    #[pyo3(signature = (path, case = None))]
    fn load(py: Python<'_>, path: PathBuf, case: Option<&Case>) -> PyResult<Self> {
        let case = case.map(|c| Arc::clone(&c.inner));
        let c2 = case.clone();
        let (engine, records, table) = guard_result(py, || {
            py.detach(move || persist::load(&path, c2.as_deref()))
        })?;
        let lock = OnceLock::new();
        if let Some(t) = table {
            let _ = lock.set(Arc::new(t));
        }
        Ok(Self {
            engine: Arc::new(engine),
            case,
            records: Arc::new(records),
            table: lock,
        })
    }

    /// Writes the policy (cuts, warm-start bases, training history) to the
    /// directory `path`, atomically replacing any policy there. `case`
    /// defaults to the case the policy was trained on or loaded for.
    #[pyo3(signature = (path, case = None))]
    fn save(&self, py: Python<'_>, path: PathBuf, case: Option<&Case>) -> PyResult<()> {
        let Some(case) = case
            .map(|c| Arc::clone(&c.inner))
            .or_else(|| self.case.clone())
        else {
            return Err(invalid_argument(
                py,
                "case",
                "this policy was loaded without a case: pass the case it belongs to",
            ));
        };
        let engine = Arc::clone(&self.engine);
        let records = Arc::clone(&self.records);
        guard_result(py, || {
            py.detach(move || persist::save(&path, &case, &engine, &records))
        })
    }

    /// Number of stages.
    #[getter]
    fn n_stages(&self) -> usize {
        self.engine.num_stages()
    }

    /// State dimension (storages, then inflow lags).
    #[getter]
    fn n_state(&self) -> usize {
        self.engine.n_hydros() * (1 + self.engine.n_lags())
    }

    /// Name of each state component (`storage[hydro=3]`, `inflow_lag1[hydro=3]`).
    #[getter]
    fn state_variables(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        Ok(self
            .table(py)?
            .state
            .iter()
            .map(cobre::StateVariable::name)
            .collect())
    }

    /// Total number of cuts.
    #[getter]
    fn num_cuts(&self) -> usize {
        self.engine.num_cuts()
    }

    /// Training iterations that produced the policy.
    #[getter]
    fn iterations(&self) -> u64 {
        self.records.last().map_or_else(
            || self.table.get().map_or(0, |t| t.iterations),
            |r| r.iteration,
        )
    }

    /// A summary dict: `n_stages`, `n_state`, `state_variables`, `iterations`,
    /// `total_cuts`, `active_cuts`, `cuts_per_stage`, `stage_ids`.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let t = self.table(py)?;
        let d = PyDict::new(py);
        d.set_item("n_stages", t.stages.len())?;
        d.set_item("n_state", t.n_state())?;
        d.set_item("state_variables", self.state_variables(py)?)?;
        d.set_item("iterations", self.iterations())?;
        d.set_item("total_cuts", t.num_cuts())?;
        let active: usize = t
            .stages
            .iter()
            .map(|s| s.active.iter().filter(|a| **a).count())
            .sum();
        d.set_item("active_cuts", active)?;
        d.set_item(
            "cuts_per_stage",
            t.stages
                .iter()
                .map(cobre::StageCuts::len)
                .collect::<Vec<_>>(),
        )?;
        d.set_item(
            "stage_ids",
            t.stages.iter().map(|s| s.stage_id).collect::<Vec<_>>(),
        )?;
        Ok(d)
    }

    /// The cuts of stage index `stage` as NumPy arrays viewing Rust memory
    /// (read-only, no copy; `.base` is this policy): `intercepts` `(n,)`,
    /// `coefficients` `(n, n_state)`, `active` `(n,)` bool, `iteration`
    /// `(n,)` uint64, `scenario` `(n,)` uint32.
    ///
    /// `stage` is an `int` in `0..n_stages` (`IndexError` outside,
    /// `TypeError` for anything but an `int`).
    fn cuts<'py>(slf: Bound<'py, Self>, stage: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let py = slf.py();
        let table = slf.get().table(py)?;
        let stage = stage_index(stage, table.stages.len())?;
        let c = Self::stage_cuts(py, &table, stage)?;
        let n = c.len();
        let d = PyDict::new(py);
        let owner = slf.as_any();
        d.set_item("intercepts", view(owner.clone(), &c.intercept, n)?)?;
        d.set_item(
            "coefficients",
            view(owner.clone(), &c.coefficients, (n, table.n_state()))?,
        )?;
        d.set_item("active", view(owner.clone(), &c.active, n)?)?;
        d.set_item("iteration", view(owner.clone(), &c.iteration, n)?)?;
        d.set_item("scenario", view(owner.clone(), &c.scenario, n)?)?;
        Ok(d)
    }

    /// Future cost after stage index `stage` at the state `state` (length
    /// `n_state`): `max(0, max_j intercept_j + coefficients_j · state)` over
    /// the active cuts (the value of θ in the stage LP).
    #[pyo3(signature = (state, stage = 0))]
    fn evaluate(
        &self,
        py: Python<'_>,
        state: PyArrayLike1<'_, f64, numpy::AllowTypeChange>,
        stage: usize,
    ) -> PyResult<f64> {
        let table = self.table(py)?;
        let c = Self::stage_cuts(py, &table, stage)?;
        let n = table.n_state();
        let x = state.as_array();
        if x.len() != n {
            return Err(invalid_argument(
                py,
                "state",
                &format!("length {} but the state has {n} components", x.len()),
            ));
        }
        match x.as_slice() {
            Some(s) => Ok(future_cost(c, n, s)),
            None => Ok(future_cost(c, n, &x.to_vec())),
        }
    }

    /// `evaluate` at every row of `states`, an `(m, n_state)` array; returns
    /// a new `(m,)` array. The GIL is released and rows are split over
    /// `cobre.get_threads()` threads.
    #[pyo3(signature = (states, stage = 0))]
    fn evaluate_batch<'py>(
        &self,
        py: Python<'py>,
        states: PyArrayLike2<'py, f64, numpy::AllowTypeChange>,
        stage: usize,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let table = self.table(py)?;
        let n = table.n_state();
        let shape = states.shape().to_vec();
        if shape.get(1).copied() != Some(n) {
            return Err(invalid_argument(
                py,
                "states",
                &format!("shape {shape:?} but the state has {n} components"),
            ));
        }
        Self::stage_cuts(py, &table, stage)?;
        let m = shape.first().copied().unwrap_or(0);
        let view = states.as_array();
        let owned;
        let slice = match view.as_slice() {
            Some(s) => s,
            None => {
                owned = view.iter().copied().collect::<Vec<f64>>();
                &owned
            }
        };
        let threads = crate::threads::get();
        let out = guard(py, || {
            Ok(py.detach(|| {
                let mut out = vec![0.0; m];
                if let Some(c) = table.stages.get(stage) {
                    evaluate_rows(c, n, slice, &mut out, threads);
                }
                out
            }))
        })?;
        Ok(PyArray1::from_vec(py, out))
    }

    fn __repr__(&self) -> String {
        format!(
            "Policy(n_stages={}, n_state={}, cuts={}, iterations={})",
            self.n_stages(),
            self.n_state(),
            self.num_cuts(),
            self.iterations()
        )
    }
}
