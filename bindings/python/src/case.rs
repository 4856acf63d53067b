//! `cobre.load_case`, `cobre.CaseLoader`, `cobre.validate` and the `Case`
//! object.

use crate::convert::to_py;
use crate::errors::{guard, guard_result};
use crate::model::{Bus, Hydro, Line, NonControllableSource, Stage, Thermal, ValidationResult};
use crate::stochastic::{OpeningTree, PARModel};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// A loaded, validated case: the system, the study settings and where it
/// came from. Read-only.
#[pyclass(frozen, module = "cobre")]
pub struct Case {
    pub(crate) inner: Arc<cobre::Case>,
    /// The `config_overrides` the case was loaded with (merged into its
    /// `config.json`), if any.
    pub(crate) overrides: Option<serde_json::Value>,
    stochastic: OnceLock<Arc<cobre::stochastic::StochasticModel>>,
    config: PyOnceLock<Py<PyAny>>,
}

impl Case {
    pub(crate) fn new(case: cobre::Case, overrides: Option<serde_json::Value>) -> Self {
        Self {
            inner: Arc::new(case),
            overrides,
            stochastic: OnceLock::new(),
            config: PyOnceLock::new(),
        }
    }

    /// The stochastic model of the case, built on first use (GIL released).
    pub(crate) fn stochastic_model(
        &self,
        py: Python<'_>,
    ) -> PyResult<Arc<cobre::stochastic::StochasticModel>> {
        if let Some(m) = self.stochastic.get() {
            return Ok(Arc::clone(m));
        }
        let case = Arc::clone(&self.inner);
        let built = guard_result(py, || {
            py.detach(move || cobre::stochastic::build_stochastic_model(&case))
        })?;
        Ok(Arc::clone(self.stochastic.get_or_init(|| Arc::new(built))))
    }

    fn entities<'py, E, P: pyo3::PyClass + Into<pyo3::PyClassInitializer<P>>>(
        py: Python<'py>,
        items: &[E],
        f: impl Fn(Python<'py>, &E) -> PyResult<P>,
    ) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for e in items {
            out.append(Bound::new(py, f(py, e)?)?)?;
        }
        Ok(out)
    }
}

#[pymethods]
impl Case {
    /// Folder the case was read from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.inner.root.clone()
    }

    /// The study settings after defaults, as a read-only mapping, in
    /// Cobre's own layout rather than `config.json`'s (for instance
    /// `training.forward_passes`, not `training.selection.forward_passes`):
    /// for reading, not for passing back as `config_overrides`.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let obj = self.config.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            let d = to_py(py, &self.inner.config)?;
            let proxy = py
                .import("types")?
                .getattr("MappingProxyType")?
                .call1((d,))?;
            Ok(proxy.unbind())
        })?;
        Ok(obj.bind(py).clone())
    }

    /// Study stages, in order (list of `Stage`).
    #[getter]
    fn stages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        Self::entities(py, &self.inner.system.horizon().stages, Stage::new)
    }

    /// Hydro plants, sorted by id (list of `Hydro`).
    #[getter]
    fn hydros<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        Self::entities(py, self.inner.system.hydros(), Hydro::new)
    }

    /// Thermal plants, sorted by id (list of `Thermal`).
    #[getter]
    fn thermals<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        Self::entities(py, self.inner.system.thermals(), Thermal::new)
    }

    /// Buses, sorted by id (list of `Bus`).
    #[getter]
    fn buses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        Self::entities(py, self.inner.system.buses(), Bus::new)
    }

    /// Transmission lines, sorted by id (list of `Line`).
    #[getter]
    fn lines<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        Self::entities(py, self.inner.system.lines(), Line::new)
    }

    /// Non-controllable sources, sorted by id (list of `NonControllableSource`).
    #[getter]
    fn non_controllable_sources<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        Self::entities(
            py,
            self.inner.system.non_controllable_sources(),
            NonControllableSource::new,
        )
    }

    /// Number of study stages.
    #[getter]
    fn n_stages(&self) -> usize {
        self.inner.system.num_stages()
    }

    /// The topology by id: `{"cascade": {"downstream": {hydro: hydro|None},
    /// "upstream": {hydro: [hydro]}, "topological_order": [hydro]},
    /// "network": {"buses": {bus: {"thermals": [...], "hydros": [...],
    /// "non_controllable_sources": [...], "lines_from": [...],
    /// "lines_to": [...]}}, "lines": {line: (source_bus, target_bus)}}}`.
    #[getter]
    fn topology<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        topology(py, &self.inner.system)
    }

    /// The PAR(p) inflow model of the case (built on first use).
    #[getter]
    fn par_model(&self, py: Python<'_>) -> PyResult<PARModel> {
        let model = self.stochastic_model(py)?;
        let case = Arc::clone(&self.inner);
        let summary = guard(py, || {
            Ok(py.detach(move || cobre::stochastic::par_summary(&case, &model)))
        })?;
        Ok(PARModel::new(summary))
    }

    /// The backward-pass opening tree of the case (built on first use).
    #[getter]
    fn opening_tree(&self, py: Python<'_>) -> PyResult<OpeningTree> {
        let model = self.stochastic_model(py)?;
        let ids = self
            .inner
            .system
            .horizon()
            .stages
            .iter()
            .map(|s| s.id.0)
            .collect();
        Ok(OpeningTree::new(model, ids))
    }

    fn __repr__(&self) -> String {
        let s = &self.inner.system;
        format!(
            "Case(path={}, stages={}, hydros={}, thermals={}, buses={}, lines={})",
            crate::convert::PyRepr::py_repr(&self.inner.root.display().to_string()),
            s.num_stages(),
            s.hydros().len(),
            s.thermals().len(),
            s.buses().len(),
            s.lines().len()
        )
    }
}

fn topology<'py>(py: Python<'py>, s: &cobre::System) -> PyResult<Bound<'py, PyDict>> {
    let hid = |i: usize| s.hydros().get(i).map(|h| h.id.0);
    let ids = |v: &[usize], f: &dyn Fn(usize) -> Option<i32>| -> Vec<i32> {
        v.iter().filter_map(|&i| f(i)).collect()
    };
    let cascade = s.cascade();
    let down = PyDict::new(py);
    let up = PyDict::new(py);
    for (i, h) in s.hydros().iter().enumerate() {
        down.set_item(
            h.id.0,
            cascade.downstream.get(i).copied().flatten().and_then(hid),
        )?;
        up.set_item(
            h.id.0,
            ids(cascade.upstream.get(i).map_or(&[], Vec::as_slice), &hid),
        )?;
    }
    let c = PyDict::new(py);
    c.set_item("downstream", down)?;
    c.set_item("upstream", up)?;
    c.set_item("topological_order", ids(&cascade.topological_order, &hid))?;

    let net = s.network();
    let tid = |i: usize| s.thermals().get(i).map(|t| t.id.0);
    let nid = |i: usize| s.non_controllable_sources().get(i).map(|r| r.id.0);
    let lid = |i: usize| s.lines().get(i).map(|l| l.id.0);
    let slice = |v: &Vec<Vec<usize>>, b: usize| v.get(b).cloned().unwrap_or_default();
    let buses = PyDict::new(py);
    for (b, bus) in s.buses().iter().enumerate() {
        let d = PyDict::new(py);
        d.set_item("thermals", ids(&slice(&net.thermals_at, b), &tid))?;
        let mut hydros: Vec<i32> = net
            .hydro_groups_at
            .get(b)
            .map(|v| v.iter().filter_map(|&(h, _)| hid(h)).collect())
            .unwrap_or_default();
        hydros.dedup();
        d.set_item("hydros", hydros)?;
        d.set_item(
            "non_controllable_sources",
            ids(&slice(&net.ncs_at, b), &nid),
        )?;
        d.set_item("lines_from", ids(&slice(&net.lines_from, b), &lid))?;
        d.set_item("lines_to", ids(&slice(&net.lines_to, b), &lid))?;
        buses.set_item(bus.id.0, d)?;
    }
    let lines = PyDict::new(py);
    for l in s.lines() {
        lines.set_item(l.id.0, (l.source_bus.0, l.target_bus.0))?;
    }
    let n = PyDict::new(py);
    n.set_item("buses", buses)?;
    n.set_item("lines", lines)?;
    let out = PyDict::new(py);
    out.set_item("cascade", c)?;
    out.set_item("network", n)?;
    Ok(out)
}

/// Reads and validates the case folder at `path` (the GIL is released).
pub(crate) fn load(py: Python<'_>, path: PathBuf) -> PyResult<Case> {
    load_with(py, path, None)
}

/// Reads the case folder at `path` with `overrides` merged into its
/// `config.json`.
pub(crate) fn load_with(
    py: Python<'_>,
    path: PathBuf,
    overrides: Option<serde_json::Value>,
) -> PyResult<Case> {
    crate::logging::refresh_level(py);
    let o2 = overrides.clone();
    let case = guard_result(py, || {
        py.detach(move || match &o2 {
            Some(o) => cobre::load_case_with_overrides(path, o),
            None => cobre::load_case(path),
        })
    })?;
    Ok(Case::new(case, overrides))
}

/// A `Case` argument that may also be given as the path of a case folder
/// (read and validated then).
pub(crate) fn case_arg(py: Python<'_>, case: &Bound<'_, PyAny>) -> PyResult<Py<Case>> {
    if let Ok(c) = case.cast::<Case>() {
        return Ok(c.clone().unbind());
    }
    let path: PathBuf = case.extract().map_err(|_| {
        crate::errors::wrong_type(py, "case", "must be a Case or the path of a case folder")
    })?;
    Py::new(py, load(py, path)?)
}

/// Loads cases: `CaseLoader.load(path)` (the same as `cobre.load_case`).
#[pyclass(frozen, module = "cobre")]
pub struct CaseLoader;

#[pymethods]
impl CaseLoader {
    /// Reads and validates the case folder at `path` and returns a `Case`.
    ///
    /// Raises `ValidationError` (with every finding) when the case has
    /// errors; the GIL is released while reading.
    #[staticmethod]
    #[pyo3(name = "load")]
    fn load_py(py: Python<'_>, path: PathBuf) -> PyResult<Case> {
        load(py, path)
    }
}

/// Reads and validates the case folder at `path` and returns a `Case`.
///
/// `config_overrides` (keys of `config.json`) are deep-merged into the
/// case's `config.json` first and validated with it. Raises
/// `ValidationError` (with every finding) when the case has errors; the
/// GIL is released while reading.
#[pyfunction]
#[pyo3(signature = (path, config_overrides = None))]
pub(crate) fn load_case(
    py: Python<'_>,
    path: PathBuf,
    config_overrides: Option<&Bound<'_, PyAny>>,
) -> PyResult<Case> {
    let overrides = crate::options::parse(py, config_overrides)?;
    load_with(py, path, overrides)
}

/// Validates the case folder at `path`: every finding of every layer, never
/// raising for problems of the case itself. Returns a `ValidationResult`.
#[pyfunction]
pub(crate) fn validate(py: Python<'_>, path: PathBuf) -> PyResult<ValidationResult> {
    crate::logging::refresh_level(py);
    let report = guard(py, || Ok(py.detach(move || cobre::validate(path))))?;
    ValidationResult::new(py, &report)
}
