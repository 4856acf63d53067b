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

/// A value written as Python writes its `repr` (`None`, `True`, `'text'`,
/// `1.0`, `[…]`), for the `__repr__` of the classes: no Rust `Some(…)`.
pub(crate) trait PyRepr {
    /// The Python `repr` of the value.
    fn py_repr(&self) -> String;
}

macro_rules! repr_display {
    ($($t:ty),*) => {$(
        impl PyRepr for $t {
            fn py_repr(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
repr_display!(i32, i64, u32, u64, usize);

impl PyRepr for f64 {
    fn py_repr(&self) -> String {
        if self.is_nan() {
            "nan".into()
        } else if self.is_infinite() {
            if *self > 0.0 {
                "inf".into()
            } else {
                "-inf".into()
            }
        } else if self.fract() == 0.0 && self.abs() < 1e16 {
            format!("{self:.1}")
        } else {
            format!("{self}")
        }
    }
}

impl PyRepr for bool {
    fn py_repr(&self) -> String {
        if *self {
            "True".into()
        } else {
            "False".into()
        }
    }
}

impl PyRepr for str {
    fn py_repr(&self) -> String {
        format!("'{}'", self.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

impl PyRepr for String {
    fn py_repr(&self) -> String {
        self.as_str().py_repr()
    }
}

impl PyRepr for &str {
    fn py_repr(&self) -> String {
        (*self).py_repr()
    }
}

impl<T: PyRepr> PyRepr for Option<T> {
    fn py_repr(&self) -> String {
        self.as_ref().map_or_else(|| "None".into(), PyRepr::py_repr)
    }
}

impl<T: PyRepr> PyRepr for Vec<T> {
    fn py_repr(&self) -> String {
        let items: Vec<String> = self.iter().map(PyRepr::py_repr).collect();
        format!("[{}]", items.join(", "))
    }
}

impl<A: PyRepr, B: PyRepr> PyRepr for (A, B) {
    fn py_repr(&self) -> String {
        format!("({}, {})", self.0.py_repr(), self.1.py_repr())
    }
}

#[cfg(test)]
mod repr_tests {
    use super::PyRepr;

    #[test]
    fn reprs_read_as_python() {
        assert_eq!(Some(3i32).py_repr(), "3");
        assert_eq!(None::<i32>.py_repr(), "None");
        assert_eq!(2.0f64.py_repr(), "2.0");
        assert_eq!(0.25f64.py_repr(), "0.25");
        assert_eq!("it's".py_repr(), "'it\\'s'");
        assert_eq!(vec![(None::<f64>, 1.5f64)].py_repr(), "[(None, 1.5)]");
    }
}
