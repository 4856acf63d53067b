//! The bridge from Rust `tracing` events to Python's `logging`.
//!
//! Events can come from any thread (rayon workers of a training run) and
//! most of them while the GIL is released, so they are never sent to Python
//! directly: a `tracing` layer formats each enabled event and pushes it to a
//! bounded buffer (a plain mutex, never the GIL, so it cannot deadlock).
//! The buffer is flushed into `logging.getLogger("cobre")` (child loggers
//! `cobre.<crate>` named after the event's target) by the thread that holds
//! the GIL: at the end of every entry point and at each training iteration
//! boundary.
//!
//! Levels map as ERROR→40, WARN→30, INFO→20, DEBUG→10, TRACE→5. Events
//! below the effective level of the `cobre` logger (read at each flush and
//! at the start of long calls) are dropped before formatting.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Mutex;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Records kept between flushes; older ones are dropped past this.
const CAPACITY: usize = 10_000;

/// Python level below which events are not even formatted.
static MIN_LEVEL: AtomicI32 = AtomicI32::new(30);
/// Records dropped because the buffer was full.
static DROPPED: AtomicU64 = AtomicU64::new(0);
static BUFFER: Mutex<Vec<Record>> = Mutex::new(Vec::new());
static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

struct Record {
    level: i32,
    target: String,
    message: String,
}

fn python_level(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

/// Formats the `message` field first, then `key=value` for the others.
#[derive(Default)]
struct Formatter {
    message: String,
    fields: String,
}

impl Visit for Formatter {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

/// The layer that buffers events for Python.
struct PythonLayer;

impl<S: Subscriber> Layer<S> for PythonLayer {
    fn register_callsite(
        &self,
        _metadata: &'static Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        // The threshold changes at run time: ask again at every event.
        tracing::subscriber::Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        python_level(metadata.level()) >= MIN_LEVEL.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut f = Formatter::default();
        event.record(&mut f);
        let mut message = f.message;
        message.push_str(&f.fields);
        let record = Record {
            level: python_level(event.metadata().level()),
            target: event.metadata().target().to_string(),
            message,
        };
        if let Ok(mut buf) = BUFFER.lock() {
            if buf.len() >= CAPACITY {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            } else {
                buf.push(record);
            }
        }
    }
}

/// Installs the layer as the process-wide subscriber (once; does nothing
/// if the host already installed one) and reads the initial level.
pub(crate) fn install(py: Python<'_>) {
    let _ =
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(PythonLayer));
    refresh_level(py);
}

fn logger(py: Python<'_>) -> Option<&Bound<'_, PyAny>> {
    LOGGER
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py
                .import("logging")?
                .call_method1("getLogger", ("cobre",))?
                .unbind())
        })
        .ok()
        .map(|l| l.bind(py))
}

/// Reads the effective level of the `cobre` logger into the filter.
pub(crate) fn refresh_level(py: Python<'_>) {
    if let Some(level) = logger(py)
        .and_then(|l| l.call_method0("getEffectiveLevel").ok())
        .and_then(|v| v.extract::<i32>().ok())
    {
        MIN_LEVEL.store(level, Ordering::Relaxed);
    }
}

/// `cobre_sddp::training` → `cobre.sddp.training`; other crates keep their name.
fn logger_name(target: &str) -> String {
    let mut parts = target.split("::");
    let head = parts.next().unwrap_or("cobre");
    let head = head.strip_prefix("cobre_").unwrap_or(head);
    let mut name = if head == "cobre" {
        "cobre".to_string()
    } else {
        format!("cobre.{head}")
    };
    for p in parts {
        name.push('.');
        name.push_str(p);
    }
    name
}

/// Sends the buffered records to Python's `logging` (needs the GIL).
pub(crate) fn flush(py: Python<'_>) {
    let records = match BUFFER.lock() {
        Ok(mut buf) if !buf.is_empty() => std::mem::take(&mut *buf),
        _ => Vec::new(),
    };
    let dropped = DROPPED.swap(0, Ordering::Relaxed);
    if records.is_empty() && dropped == 0 {
        return;
    }
    let Ok(logging) = py.import("logging") else {
        return;
    };
    for r in records {
        if let Ok(l) = logging.call_method1("getLogger", (logger_name(&r.target),)) {
            let _ = l.call_method1("log", (r.level, "%s", r.message));
        }
    }
    if dropped > 0 {
        if let Some(l) = logger(py) {
            let _ = l.call_method1(
                "warning",
                ("%d log records were dropped (buffer full)", dropped),
            );
        }
    }
    refresh_level(py);
}

/// Sends buffered log records to `logging` now (they are also sent at the
/// end of every call and at each training iteration).
#[pyfunction]
pub(crate) fn flush_logs(py: Python<'_>) {
    refresh_level(py);
    flush(py);
}
