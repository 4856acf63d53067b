//! The one place where Rust errors become Python exceptions, and the panic
//! guard around every entry point.
//!
//! | Rust                                   | Python class            | `kind`                         |
//! |----------------------------------------|-------------------------|--------------------------------|
//! | `Error::Validation(report)`            | `ValidationError`       | first error finding's kind     |
//! | `Error::Stochastic(_)`                 | `ValidationError`       | `"Stochastic"`                 |
//! | `Error::Io { path, source }`           | `cobre.IOError`         | `"Io"` (`filename`, `errno`)   |
//! | `Error::Solver { .. }`                 | `SolverError`           | `"Solver"`                     |
//! | `Error::Sddp(_)`                       | `SolverError`           | `"Sddp"`                       |
//! | `Error::Interrupted`                   | `CobreError`            | `"Interrupted"`                |
//! | any later variant                      | `CobreError`            | its `kind()`                   |
//! | a panic                                | `CobreError`            | `"InternalPanic"`              |
//! | bad argument values (binding)          | `ValidationError`       | `"InvalidArgument"`            |
//!
//! The exception classes live in `cobre/errors.py` (they need multiple
//! inheritance: `ValidationError(CobreError, ValueError)`, ...).

use crate::convert::finding_context;
use crate::model::Finding;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyType};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The Python exception classes of `cobre.errors`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Class {
    /// `CobreError`.
    Cobre,
    /// `ValidationError`.
    Validation,
    /// `SolverError`.
    Solver,
    /// `cobre.IOError`.
    Io,
    /// `WorkerError`.
    Worker,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Cobre => "CobreError",
            Class::Validation => "ValidationError",
            Class::Solver => "SolverError",
            Class::Io => "IOError",
            Class::Worker => "WorkerError",
        }
    }

    fn cell(self) -> &'static PyOnceLock<Py<PyType>> {
        static COBRE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        static VALIDATION: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        static SOLVER: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        static IO: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        static WORKER: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        match self {
            Class::Cobre => &COBRE,
            Class::Validation => &VALIDATION,
            Class::Solver => &SOLVER,
            Class::Io => &IO,
            Class::Worker => &WORKER,
        }
    }

    /// The class object (imported once from `cobre.errors`).
    pub(crate) fn get(self, py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
        self.cell().import(py, "cobre.errors", self.name())
    }
}

/// An exception of `class` with `message`, `kind`, `context` and extra
/// attributes.
pub(crate) fn make(
    py: Python<'_>,
    class: Class,
    kind: &str,
    message: &str,
    context: Option<Bound<'_, PyDict>>,
    fill: impl FnOnce(&Bound<'_, PyAny>) -> PyResult<()>,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let exc = class.get(py)?.call1((message,))?;
        exc.setattr("kind", kind)?;
        exc.setattr("context", context.unwrap_or_else(|| PyDict::new(py)))?;
        fill(&exc)?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// A `ValidationError(kind="InvalidArgument")` for a bad argument value.
pub(crate) fn invalid_argument(py: Python<'_>, argument: &str, message: &str) -> PyErr {
    let ctx = PyDict::new(py);
    let _ = ctx.set_item("argument", argument);
    make(
        py,
        Class::Validation,
        "InvalidArgument",
        &format!("{argument}: {message}"),
        Some(ctx),
        |_| Ok(()),
    )
}

/// Maps an error of the facade to its Python exception.
pub(crate) fn to_py_err(py: Python<'_>, err: &cobre::Error) -> PyErr {
    let message = err.to_string();
    match err {
        cobre::Error::Validation(report) => validation_error(py, report, &message),
        cobre::Error::Io { path, source } => {
            let ctx = PyDict::new(py);
            let _ = ctx.set_item("path", path.to_string_lossy());
            make(py, Class::Io, err.kind(), &message, Some(ctx), |e| {
                e.setattr("filename", path.to_string_lossy())?;
                e.setattr("errno", source.raw_os_error())?;
                e.setattr("strerror", source.to_string())
            })
        }
        cobre::Error::Stochastic(_) => make(
            py,
            Class::Validation,
            err.kind(),
            &message,
            None,
            |_| Ok(()),
        ),
        cobre::Error::Output(out) => output_error(py, err.kind(), &message, out),
        cobre::Error::Solver { site, status, .. } => {
            solver_error(py, err.kind(), &message, site.as_ref(), status)
        }
        cobre::Error::Sddp(text) => {
            // The facade flattens the engine's error to its text; its
            // leading words name the engine's error variant.
            let starts = |p: &[&str]| p.iter().any(|x| text.starts_with(x));
            if starts(&[
                "invalid input",
                "invalid setting",
                "unsupported feature",
                "policy does not match",
            ]) {
                make(
                    py,
                    Class::Validation,
                    err.kind(),
                    &message,
                    None,
                    |_| Ok(()),
                )
            } else if starts(&["could not start", "communicator", "simulation sink failed"]) {
                make(py, Class::Worker, err.kind(), &message, None, |_| Ok(()))
            } else {
                solver_error(py, err.kind(), &message, None, text)
            }
        }
        _ => make(py, Class::Cobre, err.kind(), &message, None, |_| Ok(())),
    }
}

/// An output or policy file error: `PolicyIncompatible` is a
/// `ValidationError`, everything else (`Io`, `OutputCorrupted`) a
/// `cobre.IOError` naming the file.
fn output_error(
    py: Python<'_>,
    kind: &str,
    message: &str,
    e: &cobre::outputs::OutputError,
) -> PyErr {
    use cobre::outputs::OutputError as O;
    let (path, errno) = match e {
        O::Io { path, source, .. } => (Some(path), source.raw_os_error()),
        O::NotFound { path } => (Some(path), Some(2)),
        O::Encode { path, .. }
        | O::Corrupted { path, .. }
        | O::UnsupportedVersion { path, .. }
        | O::Incompatible { path, .. }
        | O::InvalidPath { path, .. } => (Some(path), None),
        _ => (None, None),
    };
    let ctx = PyDict::new(py);
    if let Some(p) = path {
        let _ = ctx.set_item("path", p.to_string_lossy());
    }
    if matches!(e, O::Incompatible { .. }) {
        return make(py, Class::Validation, kind, message, Some(ctx), |_| Ok(()));
    }
    make(py, Class::Io, kind, message, Some(ctx), |exc| {
        exc.setattr("filename", path.map(|p| p.to_string_lossy().to_string()))?;
        exc.setattr("errno", errno)
    })
}

/// The number after `word ` in the solve site of an engine message
/// (`"LP solve failed (forward pass, iteration 3, stage 2, scenario 0): …"`).
/// `SolverError` with the solve site (phase, stage, iteration, scenario,
/// opening) and the solver's status.
fn solver_error(
    py: Python<'_>,
    kind: &str,
    message: &str,
    site: Option<&cobre::SolveSite>,
    status: &str,
) -> PyErr {
    let ctx = PyDict::new(py);
    if let Some(site) = site {
        let _ = ctx.set_item("phase", site.phase.to_string());
        let _ = ctx.set_item("stage", site.stage);
        let _ = ctx.set_item("iteration", site.iteration);
        let _ = ctx.set_item("scenario", site.scenario);
        if let Some(opening) = site.opening {
            let _ = ctx.set_item("opening", opening);
        }
    }
    make(py, Class::Solver, kind, message, Some(ctx), |e| {
        e.setattr("stage", site.map(|s| s.stage))?;
        e.setattr("iteration", site.map(|s| s.iteration))?;
        e.setattr("scenario", site.map(|s| s.scenario))?;
        e.setattr("solver_status", status)
    })
}

/// `ValidationError` carrying every finding of `report`.
pub(crate) fn validation_error(
    py: Python<'_>,
    report: &cobre::ValidationReport,
    message: &str,
) -> PyErr {
    let first = report.errors().next();
    let kind = first.map_or("Validation", |f| f.kind.as_str());
    let context = first.and_then(|f| finding_context(py, f).ok());
    let suggestion = first.and_then(|f| f.suggestion.clone());
    let message = first.map_or_else(
        || message.to_string(),
        |f| match (&f.context.file, &f.context.path) {
            (Some(file), Some(path)) => format!("{file}:{path}: {}", f.message),
            (Some(file), None) => format!("{file}: {}", f.message),
            _ => f.message.clone(),
        },
    );
    let count = report.error_count();
    let message = if count > 1 {
        format!("{message} (and {} more error(s))", count - 1)
    } else {
        message
    };
    make(py, Class::Validation, kind, &message, context, |e| {
        let all = PyList::empty(py);
        let errors = PyList::empty(py);
        let warnings = PyList::empty(py);
        for f in &report.findings {
            let obj = Bound::new(py, Finding::from(f))?;
            all.append(&obj)?;
            if f.is_error() {
                errors.append(&obj)?;
            } else {
                warnings.append(&obj)?;
            }
        }
        e.setattr("findings", all)?;
        e.setattr("errors", errors)?;
        e.setattr("warnings", warnings)?;
        e.setattr("suggestion", suggestion)
    })
}

/// Text of a panic payload.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_string())
}

/// Runs an entry point, turning a Rust panic into
/// `CobreError(kind="InternalPanic")` instead of an abort or a
/// `PanicException`, and forwarding buffered log records to Python.
pub(crate) fn guard<'py, T>(py: Python<'py>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    let out = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = panic_message(payload.as_ref());
            Err(make(
                py,
                Class::Cobre,
                "InternalPanic",
                &format!("internal error (a bug in Cobre, please report it): {msg}"),
                None,
                |_| Ok(()),
            ))
        }
    };
    crate::logging::flush(py);
    out
}

/// [`guard`] for calls returning the facade's `Result`.
pub(crate) fn guard_result<T>(
    py: Python<'_>,
    f: impl FnOnce() -> Result<T, cobre::Error>,
) -> PyResult<T> {
    guard(py, || f().map_err(|e| to_py_err(py, &e)))
}

/// Raises the exception the mapping gives for a facade error of `kind`
/// (`"Validation"`, `"Io"`, `"Solver"`, `"Stochastic"`, `"Sddp"`,
/// `"Interrupted"`), or panics for `"Panic"`: lets the test suite check
/// the mapping and the panic guard. Not part of the public API.
#[pyfunction]
pub(crate) fn _raise_for_tests(py: Python<'_>, kind: &str) -> PyResult<()> {
    let kind = kind.to_string();
    guard_result(py, move || {
        Err(match kind.as_str() {
            "Validation" => {
                cobre::Error::Validation(Box::new(cobre::validate("/nonexistent/cobre/case")))
            }
            "Io" => cobre::Error::io(
                "/nonexistent/file",
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ),
            "Solver" => cobre::Error::Solver {
                message: "LP solve failed (backward pass, iteration 3, stage 2, scenario 1, \
                          opening 4): infeasible"
                    .into(),
                site: Some(cobre::SolveSite {
                    phase: cobre::Phase::Backward,
                    iteration: 3,
                    stage: 2,
                    scenario: 1,
                    opening: Some(4),
                }),
                status: "infeasible".into(),
            },
            "Stochastic" => cobre::Error::Stochastic("bad correlation".into()),
            "Sddp" => cobre::Error::Sddp("engine failure".into()),
            "Worker" => cobre::Error::Sddp("could not start 0 worker threads: none".into()),
            "Setting" => cobre::Error::Sddp("invalid setting `threads`: must be at least 1".into()),
            "Interrupted" => cobre::Error::Interrupted,
            other => panic!("deliberate panic for the test suite ({other})"),
        })
    })
}
