//! Arrow tables handed to Python through the Arrow C stream interface
//! (the PyCapsule protocol `__arrow_c_stream__`), without copying: the
//! exported arrays point at the Rust buffers, which stay alive until the
//! consumer (pyarrow, polars, ...) releases them.

use cobre::arrow::array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use cobre::arrow::datatypes::SchemaRef;
use cobre::arrow::ffi_stream::FFI_ArrowArrayStream;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict};

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

    /// Columns as NumPy arrays (copied; no pyarrow needed): a dict from
    /// column name to a 1-D array (`float64`, `int32`, `uint32`, `uint64`,
    /// `bool`; nulls of a float column are NaN) or, for a text column, a
    /// list of `str | None`. `columns` picks and orders them (default: all).
    #[pyo3(signature = (columns = None))]
    fn to_numpy<'py>(
        &self,
        py: Python<'py>,
        columns: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let names = columns.unwrap_or_else(|| self.column_names());
        let out = PyDict::new(py);
        for name in &names {
            let Ok(index) = self.schema.index_of(name) else {
                return Err(pyo3::exceptions::PyKeyError::new_err(format!(
                    "no column `{name}` (columns: {})",
                    self.column_names().join(", ")
                )));
            };
            out.set_item(name, column_to_py(py, &self.batches, index)?)?;
        }
        Ok(out)
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

/// Column `index` of every batch, concatenated, as a NumPy array (or a
/// list of strings).
fn column_to_py<'py>(
    py: Python<'py>,
    batches: &[RecordBatch],
    index: usize,
) -> PyResult<Bound<'py, PyAny>> {
    use cobre::arrow::array::{
        Array, BooleanArray, Float64Array, Int32Array, StringArray, UInt32Array, UInt64Array,
    };
    use numpy::PyArray1;
    fn gather<A: Array + 'static, T>(
        batches: &[RecordBatch],
        index: usize,
        value: impl Fn(&A, usize) -> T,
    ) -> Option<Vec<T>> {
        let mut out = Vec::new();
        for b in batches {
            let a = b.column(index).as_any().downcast_ref::<A>()?;
            out.extend((0..a.len()).map(|i| value(a, i)));
        }
        Some(out)
    }
    let Some(first) = batches.first() else {
        return Ok(PyArray1::<f64>::zeros(py, 0, false).into_any());
    };
    let dt = first.schema().field(index).data_type().clone();
    let unsupported = || {
        pyo3::exceptions::PyTypeError::new_err(format!("column type {dt} has no NumPy form here"))
    };
    use cobre::arrow::datatypes::DataType as D;
    Ok(match dt {
        D::Float64 => PyArray1::from_vec(
            py,
            gather::<Float64Array, f64>(batches, index, |a, i| {
                if a.is_null(i) {
                    f64::NAN
                } else {
                    a.value(i)
                }
            })
            .ok_or_else(unsupported)?,
        )
        .into_any(),
        D::Int32 => PyArray1::from_vec(
            py,
            gather::<Int32Array, i32>(batches, index, |a, i| a.value(i)).ok_or_else(unsupported)?,
        )
        .into_any(),
        D::UInt32 => PyArray1::from_vec(
            py,
            gather::<UInt32Array, u32>(batches, index, |a, i| a.value(i))
                .ok_or_else(unsupported)?,
        )
        .into_any(),
        D::UInt64 => PyArray1::from_vec(
            py,
            gather::<UInt64Array, u64>(batches, index, |a, i| a.value(i))
                .ok_or_else(unsupported)?,
        )
        .into_any(),
        D::Boolean => PyArray1::from_vec(
            py,
            gather::<BooleanArray, bool>(batches, index, |a, i| a.value(i))
                .ok_or_else(unsupported)?,
        )
        .into_any(),
        D::Utf8 => {
            let v = gather::<StringArray, Option<String>>(batches, index, |a, i| {
                (!a.is_null(i)).then(|| a.value(i).to_owned())
            })
            .ok_or_else(unsupported)?;
            pyo3::types::PyList::new(py, v)?.into_any()
        }
        _ => return Err(unsupported()),
    })
}
