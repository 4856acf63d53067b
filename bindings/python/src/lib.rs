//! Python bindings of Cobre (the `cobre._cobre` extension module).

use pyo3::prelude::*;

/// The native extension module behind the `cobre` Python package.
#[pymodule]
fn _cobre(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
