//! Arrow tables handed to Python through the Arrow C stream interface
//! (the PyCapsule protocol `__arrow_c_stream__`), without copying: the
//! exported arrays point at the Rust buffers, which stay alive until the
//! consumer (pyarrow, polars, ...) releases them.

use cobre::arrow::array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use cobre::arrow::datatypes::SchemaRef;
use cobre::arrow::ffi_stream::FFI_ArrowArrayStream;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// An immutable Arrow table owned by Rust.
///
/// Any library speaking the Arrow PyCapsule protocol reads it without a
/// copy: `pyarrow.table(t)`, `polars.DataFrame(t)`, `duckdb`, ... The
/// helpers `to_pyarrow()`, `to_pandas()` and `to_polars()` import the
/// library on demand (none of them is needed to `import cobre`).
#[pyclass(frozen, module = "cobre")]
pub struct ArrowTable {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl ArrowTable {
    /// A table of `batches` sharing `schema`.
    pub(crate) fn new(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        Self { schema, batches }
    }

    /// The table's schema.
    pub(crate) fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The table's record batches.
    pub(crate) fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }
}

/// A `pyarrow.Table` viewing `obj` (an object with `__arrow_c_stream__`).
pub(crate) fn to_pyarrow<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = obj.py();
    let pa = py.import("pyarrow").map_err(|e| {
        pyo3::exceptions::PyImportError::new_err(format!(
            "pyarrow>=14 is needed for Arrow tables ({e}); install it with \
             `pip install cobre[arrow]`, or pass the object to any library \
             reading `__arrow_c_stream__` (polars, duckdb, ...)"
        ))
    })?;
    match pa.call_method1("table", (obj,)) {
        Ok(t) => Ok(t),
        Err(_) => {
            // pyarrow 14: no `table(stream)` yet, but the capsule importer.
            let capsule = obj.call_method0("__arrow_c_stream__")?;
            pa.getattr("RecordBatchReader")?
                .call_method1("_import_from_c_capsule", (capsule,))?
                .call_method0("read_all")
        }
    }
}

#[pymethods]
impl ArrowTable {
    /// Exports the table as an Arrow C stream in a PyCapsule named
    /// `"arrow_array_stream"` (zero-copy). `requested_schema` is accepted
    /// for protocol compatibility and ignored (the schema is fixed).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new(
            self.batches.clone().into_iter().map(Ok),
            self.schema.clone(),
        );
        let reader: Box<dyn RecordBatchReader + Send> = Box::new(reader);
        let stream = FFI_ArrowArrayStream::new(reader);
        // The capsule owns the stream: a consumer moves it out (leaving a
        // released stream behind); otherwise dropping it releases it.
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// Number of rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// Column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Number of record batches (chunks).
    #[getter]
    fn num_batches(&self) -> usize {
        self.batches.len()
    }

    /// The table as a `pyarrow.Table` (zero-copy; needs pyarrow).
    fn to_pyarrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        to_pyarrow(slf.as_any())
    }

    /// The table as a `pandas.DataFrame` (through pyarrow).
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        to_pyarrow(slf.as_any())?.call_method0("to_pandas")
    }

    /// The table as a `polars.DataFrame` (zero-copy; needs polars only).
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("polars")?
            .getattr("DataFrame")?
            .call1((slf,))
    }

    fn __len__(&self) -> usize {
        self.num_rows()
    }

    fn __repr__(&self) -> String {
        format!(
            "ArrowTable(rows={}, columns={:?})",
            self.num_rows(),
            self.column_names()
        )
    }
}
