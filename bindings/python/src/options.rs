//! `config_overrides`: settings changed for one call, as keys of
//! `config.json` (`{"training": {"stopping_rules": [...]}}`).
//!
//! The dict becomes a JSON value here and is deep-merged into the case's
//! `config.json` by the facade (`cobre::load_case_with_overrides`): the
//! merged settings are validated by the same validator that reads the
//! file, so an unknown key path is a `ValidationError` naming it, with a
//! suggestion. Only the conversion from Python values is checked here (a
//! dict, or any other mapping such as a `types.MappingProxyType`, with
//! string keys; lists, numbers, strings, booleans, `None`).

use crate::case::Case;
use crate::errors::{guard_result, make, Class};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Number, Value};
use std::sync::Arc;

/// A `ValidationError(kind="TypeMismatch")` at `path` of the overrides.
fn type_error(py: Python<'_>, path: &str, message: &str) -> PyErr {
    let ctx = PyDict::new(py);
    let _ = ctx.set_item("argument", "config_overrides");
    let _ = ctx.set_item("path", path);
    make(
        py,
        Class::Validation,
        "TypeMismatch",
        &format!("config_overrides{path}: {message}"),
        Some(ctx),
        |_| Ok(()),
    )
}

/// Converts a Python value of the overrides to JSON.
fn to_json(py: Python<'_>, v: &Bound<'_, PyAny>, path: &str) -> PyResult<Value> {
    if v.is_none() {
        return Ok(Value::Null);
    }
    if v.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        if let Ok(i) = v.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = v.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(type_error(py, path, "integer out of range"));
    }
    if v.is_instance_of::<PyFloat>() {
        let f: f64 = v.extract()?;
        return Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| type_error(py, path, "must be a finite number"));
    }
    if v.is_instance_of::<PyString>() {
        return Ok(Value::String(v.extract()?));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        return object_to_json(py, d.iter(), path);
    }
    if let Ok(mapping) = v.cast::<PyMapping>() {
        let items = mapping.items()?;
        let pairs = items
            .iter()
            .map(|pair| pair.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>())
            .collect::<PyResult<Vec<_>>>()?;
        return object_to_json(py, pairs.into_iter(), path);
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, item) in v.try_iter()?.enumerate() {
            out.push(to_json(py, &item?, &format!("{path}[{i}]"))?);
        }
        return Ok(Value::Array(out));
    }
    let type_name = v
        .get_type()
        .name()
        .map_or_else(|_| "?".to_string(), |n| n.to_string());
    Err(type_error(
        py,
        path,
        &format!("a {type_name} is not a JSON value (use dicts, lists, numbers, strings, booleans, None)"),
    ))
}

/// The key-value pairs of a dict or another mapping as a JSON object.
fn object_to_json<'py>(
    py: Python<'py>,
    pairs: impl Iterator<Item = (Bound<'py, PyAny>, Bound<'py, PyAny>)>,
    path: &str,
) -> PyResult<Value> {
    let mut m = Map::new();
    for (k, item) in pairs {
        let key: String = k
            .extract()
            .map_err(|_| type_error(py, path, "keys must be strings"))?;
        let sub = format!("{path}[{key:?}]");
        m.insert(key, to_json(py, &item, &sub)?);
    }
    Ok(Value::Object(m))
}

/// `config_overrides` as a JSON object, `None` for `None` or `{}`.
pub(crate) fn parse(
    py: Python<'_>,
    overrides: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Value>> {
    let Some(o) = overrides.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if o.cast::<PyMapping>().is_err() {
        return Err(type_error(
            py,
            "",
            "must be a dict (or another mapping) of config.json keys, or None",
        ));
    }
    match to_json(py, o, "")? {
        Value::Object(m) if m.is_empty() => Ok(None),
        v => Ok(Some(v)),
    }
}

/// The case to run: `case` itself, or, with overrides, the case's folder
/// read again with them merged into its `config.json` (on top of the
/// overrides `case` was loaded with). Reading happens with the GIL
/// released.
pub(crate) fn effective_case(
    py: Python<'_>,
    case: &Case,
    overrides: Option<Value>,
) -> PyResult<(Arc<cobre::Case>, Option<Value>)> {
    let Some(patch) = overrides else {
        return Ok((Arc::clone(&case.inner), case.overrides.clone()));
    };
    let mut merged = case
        .overrides
        .clone()
        .unwrap_or_else(|| Value::Object(Map::new()));
    cobre::overrides::merge_patch(&mut merged, &patch);
    let root = case.inner.root.clone();
    let m2 = merged.clone();
    let loaded = guard_result(py, || {
        py.detach(move || cobre::load_case_with_overrides(&root, &m2))
    })?;
    Ok((Arc::new(loaded), Some(merged)))
}
