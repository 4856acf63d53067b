//! The one place where Rust errors become Python exceptions, and the panic
//! guard around every entry point.
//!
//! The class comes from the error's [`cobre::ErrorKind`] through one
//! `match` ([`class_of`]); the exception's `kind` is the kind's registry
//! name (`"SchemaViolation"`, `"SolverFailure"`, `"WorkerFailed"`…), and
//! its attributes come from the error's typed fields (the validation
//! report, the solve site, the path), never from its message.
//!
//! | kinds                                                         | class             |
//! |---------------------------------------------------------------|-------------------|
//! | validation kinds, `Unsupported`, `PolicyIncompatible`, `IncompatibleRuns` | `ValidationError` |
//! | `SolverFailure`                                               | `SolverError`     |
//! | `IoError`, `MissingFile`*, `OutputCorrupted`, `OutputNotFound`, `CheckpointFailed` | `cobre.IOError` |
//! | `WorkerFailed`, `MpiError`                                    | `WorkerError`     |
//! | `Interrupted`, `Internal`, a panic (`InternalPanic`)          | `CobreError`      |
//!
//! (*) a missing input file is a finding of a `ValidationError` report; as
//! an error of its own it is an `IOError`.
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

/// A `ValidationError(kind="OutOfRange")` for a bad argument value.
pub(crate) fn invalid_argument(py: Python<'_>, argument: &str, message: &str) -> PyErr {
    argument_error(py, "OutOfRange", argument, message)
}

/// A `ValidationError(kind="TypeMismatch")` for an argument of the wrong
/// type.
pub(crate) fn wrong_type(py: Python<'_>, argument: &str, message: &str) -> PyErr {
    argument_error(py, "TypeMismatch", argument, message)
}

fn argument_error(py: Python<'_>, kind: &str, argument: &str, message: &str) -> PyErr {
    let ctx = PyDict::new(py);
    let _ = ctx.set_item("argument", argument);
    make(
        py,
        Class::Validation,
        kind,
        &format!("{argument}: {message}"),
        Some(ctx),
        |_| Ok(()),
    )
}

/// The Python class of an error kind: the one mapping.
pub(crate) fn class_of(kind: cobre::ErrorKind) -> Class {
    use cobre::{ErrorKind as K, FindingKind};
    match kind {
        K::Validation(FindingKind::MissingFile)
        | K::IoError
        | K::OutputCorrupted
        | K::OutputNotFound
        | K::CheckpointFailed => Class::Io,
        K::SolverFailure => Class::Solver,
        K::WorkerFailed | K::MpiError => Class::Worker,
        K::Interrupted | K::Internal => Class::Cobre,
        // Validation kinds and the settings/policy kinds; also any kind
        // added later (the enum is non-exhaustive).
        _ => Class::Validation,
    }
}

/// Maps an error of the facade to its Python exception.
pub(crate) fn to_py_err(py: Python<'_>, err: &cobre::Error) -> PyErr {
    let message = err.to_string();
    let kind = err.kind();
    if let Some(report) = err.report() {
        return validation_error(py, report, &message);
    }
    let ctx = PyDict::new(py);
    if let Some(path) = err.path() {
        let _ = ctx.set_item("path", path.to_string_lossy());
    }
    let class = class_of(kind);
    let site = err.solve_site();
    let status = err.solver_status();
    let worker = match err {
        cobre::Error::Worker {
            rank, exit_code, ..
        } => Some((*rank, *exit_code)),
        _ => None,
    };
    if let Some(s) = &site {
        let _ = ctx.set_item("phase", s.phase.to_string());
        let _ = ctx.set_item("stage", s.stage);
        let _ = ctx.set_item("iteration", s.iteration);
        let _ = ctx.set_item("scenario", s.scenario);
        if let Some(opening) = s.opening {
            let _ = ctx.set_item("opening", opening);
        }
    }
    make(
        py,
        class,
        kind.as_str(),
        &message,
        Some(ctx),
        |e| match class {
            Class::Io => {
                e.setattr(
                    "filename",
                    err.path().map(|p| p.to_string_lossy().to_string()),
                )?;
                e.setattr("errno", err.os_error())?;
                Ok(())
            }
            Class::Solver => {
                e.setattr("stage", site.map(|s| s.stage))?;
                e.setattr("iteration", site.map(|s| s.iteration))?;
                e.setattr("scenario", site.map(|s| s.scenario))?;
                e.setattr("solver_status", status.clone())
            }
            Class::Worker => {
                e.setattr("rank", worker.map(|w| w.0))?;
                e.setattr("exit_code", worker.and_then(|w| w.1))
            }
            _ => Ok(()),
        },
    )
}

/// `ValidationError` carrying every finding of `report`.
pub(crate) fn validation_error(
    py: Python<'_>,
    report: &cobre::ValidationReport,
    message: &str,
) -> PyErr {
    let first = report.errors().next();
    let kind = first.map_or("SchemaViolation", |f| f.kind.as_str());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_the_class_of_its_family() {
        use cobre::{ErrorKind as K, FindingKind};
        let cases = [
            (
                K::Validation(FindingKind::SchemaViolation),
                "ValidationError",
            ),
            (
                K::Validation(FindingKind::IncompatibleSettings),
                "ValidationError",
            ),
            (
                K::Validation(FindingKind::PhysicalConstraint),
                "ValidationError",
            ),
            (K::PolicyIncompatible, "ValidationError"),
            (K::Validation(FindingKind::Unsupported), "ValidationError"),
            (K::SolverFailure, "SolverError"),
            (K::IoError, "IOError"),
            (K::OutputCorrupted, "IOError"),
            (K::OutputNotFound, "IOError"),
            (K::WorkerFailed, "WorkerError"),
            (K::Interrupted, "CobreError"),
            (K::Internal, "CobreError"),
        ];
        for (kind, class) in cases {
            assert_eq!(class_of(kind).name(), class, "{kind}");
        }
    }
}
