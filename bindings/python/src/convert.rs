//! Conversions of plain Rust data to Python objects: serde values to
//! dicts/lists, and zero-copy NumPy views of Rust-owned buffers.

use numpy::ndarray::{ArrayView, Dimension, IntoDimension};
use numpy::{Element, PyArray, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

/// A serde value as a Python object (dicts, lists, str, int, float, bool, None).
pub(crate) fn value_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(a) => {
            let list = PyList::empty(py);
            for x in a {
                list.append(value_to_py(py, x)?)?;
            }
            list.into_any()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, value_to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// Any serializable value as a Python object.
pub(crate) fn to_py<'py, T: serde::Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let v = serde_json::to_value(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    value_to_py(py, &v)
}

/// The context of a validation finding as a dict (only the fields set),
/// plus its layer.
pub(crate) fn finding_context<'py>(
    py: Python<'py>,
    f: &cobre::Finding,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let c = &f.context;
    if let Some(v) = &c.file {
        d.set_item("file", v)?;
    }
    if let Some(v) = &c.path {
        d.set_item("path", v)?;
    }
    if let Some(v) = &c.entity_kind {
        d.set_item("entity_kind", v)?;
    }
    if let Some(v) = c.entity_id {
        d.set_item("entity_id", v)?;
    }
    if let Some(v) = &c.field {
        d.set_item("field", v)?;
    }
    if let Some(v) = c.stage_id {
        d.set_item("stage_id", v)?;
    }
    if let Some(v) = c.row {
        d.set_item("row", v)?;
    }
    if let Some(v) = c.line {
        d.set_item("line", v)?;
    }
    d.set_item("layer", f.layer.as_str())?;
    Ok(d)
}

/// A read-only NumPy array viewing `data` (row-major, shape `shape`)
/// without copying. `owner` must keep `data` alive and unchanged for as
/// long as it lives: the array holds a reference to it (`arr.base`).
///
/// # Errors
/// `ValueError` when the shape does not match the buffer length.
pub(crate) fn view<'py, T: Element, D: IntoDimension>(
    owner: Bound<'py, PyAny>,
    data: &[T],
    shape: D,
) -> PyResult<Bound<'py, PyArray<T, D::Dim>>>
where
    D::Dim: Dimension,
{
    let v = ArrayView::from_shape(shape, data)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    // SAFETY: `owner` owns the immutable buffer behind `data`; the array
    // keeps `owner` alive through its base pointer, and is made read-only
    // below so Python cannot write into Rust memory.
    let arr = unsafe { PyArray::borrow_from_array(&v, owner) };
    set_read_only(&arr);
    Ok(arr)
}

/// Clears the WRITEABLE flag of an array (NumPy's `PyArray_CLEARFLAGS`).
pub(crate) fn set_read_only<T: Element, D: Dimension>(arr: &Bound<'_, PyArray<T, D>>) {
    // SAFETY: `as_array_ptr` is a valid array object pointer while `arr`
    // lives; the flags field is plain data owned by NumPy.
    unsafe {
        let p = arr.as_array_ptr();
        (*p).fields.flags &= !numpy::npyffi::NPY_ARRAY_WRITEABLE;
    }
}
