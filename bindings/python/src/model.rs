//! Read-only Python views of the case entities and validation findings.
//!
//! Each entity is a small frozen object with the fields most scripts need
//! (names carry units); `to_dict()` gives every field of the Rust record.

use crate::convert::PyRepr;
use crate::convert::{finding_context, to_py};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

/// `datetime.date` of a calendar date.
pub(crate) fn date<'py>(py: Python<'py>, d: chrono::NaiveDate) -> PyResult<Bound<'py, PyAny>> {
    use chrono::Datelike;
    py.import("datetime")?
        .getattr("date")?
        .call1((d.year(), d.month(), d.day()))
}

/// Implements `to_dict()` and `__repr__` over the stored record.
macro_rules! record_methods {
    ($ty:ident, $($field:ident),+) => {
        #[pymethods]
        impl $ty {
            /// Every field of the record as a dict (a fresh copy).
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.record.bind(py).call_method0("copy")
            }

            fn __repr__(&self) -> String {
                let mut s = format!("{}(", stringify!($ty));
                $( s.push_str(&format!(
                    "{}={}, ",
                    stringify!($field),
                    crate::convert::PyRepr::py_repr(&self.$field)
                )); )+
                s.truncate(s.len() - 2);
                s.push(')');
                s
            }
        }
    };
}

/// A hydro plant and its reservoir.
#[pyclass(frozen, module = "cobre")]
pub struct Hydro {
    /// Identifier.
    #[pyo3(get)]
    pub id: i32,
    /// Name.
    #[pyo3(get)]
    pub name: String,
    /// Bus of the first unit group (where generation is injected).
    #[pyo3(get)]
    pub bus_id: Option<i32>,
    /// Plant receiving the turbined and spilled water, if any.
    #[pyo3(get)]
    pub downstream_id: Option<i32>,
    /// Minimum storage (hm³).
    #[pyo3(get)]
    pub min_storage_hm3: f64,
    /// Maximum storage (hm³).
    #[pyo3(get)]
    pub max_storage_hm3: f64,
    /// Minimum turbined flow (m³/s).
    #[pyo3(get)]
    pub min_turbined_m3s: f64,
    /// Maximum turbined flow (m³/s).
    #[pyo3(get)]
    pub max_turbined_m3s: f64,
    /// Minimum total outflow (m³/s).
    #[pyo3(get)]
    pub min_outflow_m3s: f64,
    /// Maximum total outflow (m³/s), `None` when unbounded.
    #[pyo3(get)]
    pub max_outflow_m3s: Option<f64>,
    /// Minimum generation (MW).
    #[pyo3(get)]
    pub min_generation_mw: f64,
    /// Maximum generation (MW).
    #[pyo3(get)]
    pub max_generation_mw: f64,
    /// Production model (`constant_productivity`, `linearized_head`, `fpha`).
    #[pyo3(get)]
    pub generation_model: String,
    record: Py<PyAny>,
}
record_methods!(Hydro, id, name, bus_id, downstream_id, max_storage_hm3);

/// A thermal plant.
#[pyclass(frozen, module = "cobre")]
pub struct Thermal {
    /// Identifier.
    #[pyo3(get)]
    pub id: i32,
    /// Name.
    #[pyo3(get)]
    pub name: String,
    /// Bus of the plant.
    #[pyo3(get)]
    pub bus_id: i32,
    /// Minimum generation (MW).
    #[pyo3(get)]
    pub min_generation_mw: f64,
    /// Maximum generation (MW).
    #[pyo3(get)]
    pub max_generation_mw: f64,
    /// Marginal cost ($/MWh).
    #[pyo3(get)]
    pub cost_per_mwh: f64,
    record: Py<PyAny>,
}
record_methods!(Thermal, id, name, bus_id, max_generation_mw, cost_per_mwh);

/// An electrical bus.
#[pyclass(frozen, module = "cobre")]
pub struct Bus {
    /// Identifier.
    #[pyo3(get)]
    pub id: i32,
    /// Name.
    #[pyo3(get)]
    pub name: String,
    /// Deficit segments as `(depth_mw or None, cost_per_mwh)` tuples.
    #[pyo3(get)]
    pub deficit_segments: Vec<(Option<f64>, f64)>,
    /// Cost of excess energy ($/MWh).
    #[pyo3(get)]
    pub excess_cost_per_mwh: f64,
    record: Py<PyAny>,
}
record_methods!(Bus, id, name, deficit_segments);

/// A transmission line.
#[pyclass(frozen, module = "cobre")]
pub struct Line {
    /// Identifier.
    #[pyo3(get)]
    pub id: i32,
    /// Name.
    #[pyo3(get)]
    pub name: String,
    /// Bus the direct flow leaves.
    #[pyo3(get)]
    pub source_bus_id: i32,
    /// Bus the direct flow reaches.
    #[pyo3(get)]
    pub target_bus_id: i32,
    /// Maximum direct flow (MW).
    #[pyo3(get)]
    pub direct_capacity_mw: f64,
    /// Maximum reverse flow (MW).
    #[pyo3(get)]
    pub reverse_capacity_mw: f64,
    /// Losses (% of the flow).
    #[pyo3(get)]
    pub losses_percent: f64,
    /// Exchange cost ($/MWh).
    #[pyo3(get)]
    pub exchange_cost_per_mwh: f64,
    record: Py<PyAny>,
}
record_methods!(Line, id, name, source_bus_id, target_bus_id);

/// A non-controllable source (wind, solar, ...).
#[pyclass(frozen, module = "cobre")]
pub struct NonControllableSource {
    /// Identifier.
    #[pyo3(get)]
    pub id: i32,
    /// Name.
    #[pyo3(get)]
    pub name: String,
    /// Bus of the source.
    #[pyo3(get)]
    pub bus_id: i32,
    /// Installed capacity (MW).
    #[pyo3(get)]
    pub max_generation_mw: f64,
    /// Whether the LP may curtail it.
    #[pyo3(get)]
    pub allow_curtailment: bool,
    /// Curtailment cost ($/MWh).
    #[pyo3(get)]
    pub curtailment_cost_per_mwh: f64,
    record: Py<PyAny>,
}
record_methods!(NonControllableSource, id, name, bus_id, max_generation_mw);

/// A study stage.
#[pyclass(frozen, module = "cobre")]
pub struct Stage {
    /// Position in the study (0-based).
    #[pyo3(get)]
    pub index: usize,
    /// Identifier.
    #[pyo3(get)]
    pub id: i32,
    /// First day (`datetime.date`).
    #[pyo3(get)]
    pub start_date: Py<PyAny>,
    /// Day after the last (`datetime.date`, exclusive).
    #[pyo3(get)]
    pub end_date: Py<PyAny>,
    /// Season id, if the stage has one.
    #[pyo3(get)]
    pub season_id: Option<i32>,
    /// Number of backward openings.
    #[pyo3(get)]
    pub num_openings: usize,
    /// Load blocks as `(id, name, hours)` tuples.
    #[pyo3(get)]
    pub blocks: Vec<(i32, String, f64)>,
    /// Hours of the stage (sum over blocks).
    #[pyo3(get)]
    pub total_hours: f64,
    record: Py<PyAny>,
}
record_methods!(Stage, index, id, season_id, num_openings, total_hours);

impl Hydro {
    pub(crate) fn new(py: Python<'_>, h: &cobre::Hydro) -> PyResult<Self> {
        let record = to_py(py, h)?;
        let model = record
            .get_item("generation_model")
            .and_then(|v| v.extract::<String>())
            .unwrap_or_default();
        Ok(Self {
            id: h.id.0,
            name: h.name.clone(),
            bus_id: h.main_bus().map(|b| b.0),
            downstream_id: h.downstream.map(|d| d.0),
            min_storage_hm3: h.min_storage_hm3,
            max_storage_hm3: h.max_storage_hm3,
            min_turbined_m3s: h.min_turbined_m3s,
            max_turbined_m3s: h.max_turbined_m3s,
            min_outflow_m3s: h.min_outflow_m3s,
            max_outflow_m3s: h.max_outflow_m3s,
            min_generation_mw: h.min_generation_mw,
            max_generation_mw: h.max_generation_mw,
            generation_model: model,
            record: record.unbind(),
        })
    }
}

impl Thermal {
    pub(crate) fn new(py: Python<'_>, t: &cobre::Thermal) -> PyResult<Self> {
        Ok(Self {
            id: t.id.0,
            name: t.name.clone(),
            bus_id: t.bus.0,
            min_generation_mw: t.min_generation_mw,
            max_generation_mw: t.max_generation_mw,
            cost_per_mwh: t.cost_per_mwh,
            record: to_py(py, t)?.unbind(),
        })
    }
}

impl Bus {
    pub(crate) fn new(py: Python<'_>, b: &cobre::Bus) -> PyResult<Self> {
        Ok(Self {
            id: b.id.0,
            name: b.name.clone(),
            deficit_segments: b
                .deficit_segments
                .iter()
                .map(|s| (s.depth_mw, s.cost_per_mwh))
                .collect(),
            excess_cost_per_mwh: b.excess_cost_per_mwh,
            record: to_py(py, b)?.unbind(),
        })
    }
}

impl Line {
    pub(crate) fn new(py: Python<'_>, l: &cobre::Line) -> PyResult<Self> {
        Ok(Self {
            id: l.id.0,
            name: l.name.clone(),
            source_bus_id: l.source_bus.0,
            target_bus_id: l.target_bus.0,
            direct_capacity_mw: l.direct_capacity_mw,
            reverse_capacity_mw: l.reverse_capacity_mw,
            losses_percent: l.losses_percent,
            exchange_cost_per_mwh: l.exchange_cost_per_mwh,
            record: to_py(py, l)?.unbind(),
        })
    }
}

impl NonControllableSource {
    pub(crate) fn new(py: Python<'_>, r: &cobre::NonControllableSource) -> PyResult<Self> {
        Ok(Self {
            id: r.id.0,
            name: r.name.clone(),
            bus_id: r.bus.0,
            max_generation_mw: r.max_generation_mw,
            allow_curtailment: r.allow_curtailment,
            curtailment_cost_per_mwh: r.curtailment_cost_per_mwh,
            record: to_py(py, r)?.unbind(),
        })
    }
}

impl Stage {
    pub(crate) fn new(py: Python<'_>, s: &cobre::Stage) -> PyResult<Self> {
        Ok(Self {
            index: s.index,
            id: s.id.0,
            start_date: date(py, s.start_date)?.unbind(),
            end_date: date(py, s.end_date)?.unbind(),
            season_id: s.season.map(|x| x.0),
            num_openings: s.num_openings,
            blocks: s
                .blocks
                .iter()
                .map(|b| (b.id, b.name.clone(), b.hours))
                .collect(),
            total_hours: s.total_hours(),
            record: to_py(py, s)?.unbind(),
        })
    }
}

/// One finding of the validation: what is wrong (or worth knowing) and where.
#[pyclass(frozen, module = "cobre")]
pub struct Finding {
    /// `"error"` or `"warning"`.
    #[pyo3(get)]
    pub severity: &'static str,
    /// Registry kind (`"MissingFile"`, `"SchemaViolation"`, ...).
    #[pyo3(get)]
    pub kind: &'static str,
    /// Validation layer that found it (`"structural"`, `"schema"`, ...).
    #[pyo3(get)]
    pub layer: &'static str,
    /// Human-readable description.
    #[pyo3(get)]
    pub message: String,
    /// What to check or change, if a specific hint applies.
    #[pyo3(get)]
    pub suggestion: Option<String>,
    inner: cobre::Finding,
}

impl From<&cobre::Finding> for Finding {
    fn from(f: &cobre::Finding) -> Self {
        Self {
            severity: if f.is_error() { "error" } else { "warning" },
            kind: f.kind.as_str(),
            layer: f.layer.as_str(),
            message: f.message.clone(),
            suggestion: f.suggestion.clone(),
            inner: f.clone(),
        }
    }
}

#[pymethods]
impl Finding {
    /// Location: file, path, entity_kind, entity_id, field, stage_id, row,
    /// line (only those that apply) and layer.
    #[getter]
    fn context<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        finding_context(py, &self.inner)
    }

    /// Every field as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("severity", self.severity)?;
        d.set_item("kind", self.kind)?;
        d.set_item("layer", self.layer)?;
        d.set_item("message", &self.message)?;
        d.set_item("context", self.context(py)?)?;
        d.set_item("suggestion", &self.suggestion)?;
        Ok(d)
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "Finding(severity={}, kind={}, message={})",
            self.severity.py_repr(),
            self.kind.py_repr(),
            self.message.py_repr()
        )
    }
}

/// The result of `cobre.validate(path)`: every finding of every layer.
#[pyclass(frozen, module = "cobre")]
pub struct ValidationResult {
    /// Whether the case has no error (warnings allowed).
    #[pyo3(get)]
    pub valid: bool,
    /// Error findings (list of `Finding`).
    #[pyo3(get)]
    pub errors: Py<PyList>,
    /// Warning findings (list of `Finding`).
    #[pyo3(get)]
    pub warnings: Py<PyList>,
    /// Layers that ran to completion, in order.
    #[pyo3(get)]
    pub layers_completed: Vec<&'static str>,
}

impl ValidationResult {
    pub(crate) fn new(py: Python<'_>, report: &cobre::ValidationReport) -> PyResult<Self> {
        let errors = PyList::empty(py);
        let warnings = PyList::empty(py);
        for f in &report.findings {
            let obj = Bound::new(py, Finding::from(f))?;
            if f.is_error() {
                errors.append(obj)?;
            } else {
                warnings.append(obj)?;
            }
        }
        Ok(Self {
            valid: report.is_valid(),
            errors: errors.unbind(),
            warnings: warnings.unbind(),
            layers_completed: report.layers_completed.iter().map(|l| l.as_str()).collect(),
        })
    }
}

#[pymethods]
impl ValidationResult {
    /// Every finding, errors first.
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let all = PyList::empty(py);
        for x in self
            .errors
            .bind(py)
            .iter()
            .chain(self.warnings.bind(py).iter())
        {
            all.append(x)?;
        }
        Ok(all)
    }

    fn __bool__(&self) -> bool {
        self.valid
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "ValidationResult(valid={}, errors={}, warnings={})",
            if self.valid { "True" } else { "False" },
            self.errors.bind(py).len(),
            self.warnings.bind(py).len()
        )
    }

    /// `(valid, errors, warnings, layers_completed)` as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("valid", self.valid)?;
        let dicts = |l: &Py<PyList>| -> PyResult<Bound<'py, PyList>> {
            let out = PyList::empty(py);
            for f in l.bind(py).iter() {
                out.append(f.call_method0("to_dict")?)?;
            }
            Ok(out)
        };
        d.set_item("errors", dicts(&self.errors)?)?;
        d.set_item("warnings", dicts(&self.warnings)?)?;
        d.set_item(
            "layers_completed",
            PyTuple::new(py, &self.layers_completed)?,
        )?;
        Ok(d)
    }
}
