//! `PARModel`, `OpeningTree` and `sample_noise`: the stochastic model as
//! NumPy arrays that view Rust memory.

use crate::convert::view;
use crate::errors::{guard, guard_result, invalid_argument};
use numpy::ndarray::Array2;
use numpy::{PyArray, PyArray1, PyArray2, PyArray3, PyArrayLike2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

/// The PAR(p) inflow model as the solver uses it, per study stage ("season"
/// = study stage, as compiled for the stage LPs). Arrays are read-only NumPy
/// views of Rust memory (their `.base` is this object).
///
/// The inflow of hydro `h` at stage `t` is
/// `z = intercepts[t, h] + Σ_k ar_coefficients[t, h, k] · lag_k + noise_std[t, h] · η_h`
/// (m³/s), `lag_1` being the previous stage's inflow, and `η` standard
/// normal noise with correlation `correlation_matrix`.
#[pyclass(frozen, module = "cobre")]
pub struct PARModel {
    inner: Arc<cobre::stochastic::ParSummary>,
}

impl PARModel {
    pub(crate) fn new(summary: cobre::stochastic::ParSummary) -> Self {
        Self {
            inner: Arc::new(summary),
        }
    }
}

#[pymethods]
impl PARModel {
    /// Largest lag order over hydros and stages.
    #[getter]
    fn order(&self) -> usize {
        self.inner.order
    }

    /// Number of modelled entities (hydros).
    #[getter]
    fn n_entities(&self) -> usize {
        self.inner.n_entities
    }

    /// Number of seasons (study stages).
    #[getter]
    fn n_seasons(&self) -> usize {
        self.inner.n_seasons
    }

    /// Hydro ids in entity order.
    #[getter]
    fn hydro_ids(&self) -> Vec<i32> {
        self.inner.hydro_ids.clone()
    }

    /// Stage ids in season order.
    #[getter]
    fn stage_ids(&self) -> Vec<i32> {
        self.inner.stage_ids.clone()
    }

    /// Seasonal mean inflow (m³/s), shape `(n_seasons, n_entities)`.
    #[getter]
    fn seasonal_means<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let s = Arc::clone(&slf.get().inner);
        view(
            slf.into_any(),
            &s.seasonal_means,
            (s.n_seasons, s.n_entities),
        )
    }

    /// Seasonal standard deviation of the inflow (m³/s), `(n_seasons, n_entities)`.
    #[getter]
    fn seasonal_stds<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let s = Arc::clone(&slf.get().inner);
        view(
            slf.into_any(),
            &s.seasonal_stds,
            (s.n_seasons, s.n_entities),
        )
    }

    /// Lag coefficients (original units), `(n_seasons, n_entities, order)`.
    #[getter]
    fn ar_coefficients<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyArray3<f64>>> {
        let s = Arc::clone(&slf.get().inner);
        view(
            slf.into_any(),
            &s.ar_coefficients,
            (s.n_seasons, s.n_entities, s.order),
        )
    }

    /// Deterministic part of the inflow (m³/s), `(n_seasons, n_entities)`.
    #[getter]
    fn intercepts<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let s = Arc::clone(&slf.get().inner);
        view(slf.into_any(), &s.intercepts, (s.n_seasons, s.n_entities))
    }

    /// Noise scale (m³/s), `(n_seasons, n_entities)`.
    #[getter]
    fn noise_std<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let s = Arc::clone(&slf.get().inner);
        view(slf.into_any(), &s.noise_std, (s.n_seasons, s.n_entities))
    }

    /// Spatial correlation of the inflow noise, `(n_entities, n_entities)`.
    #[getter]
    fn correlation_matrix<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let s = Arc::clone(&slf.get().inner);
        view(
            slf.into_any(),
            &s.correlation_matrix,
            (s.n_entities, s.n_entities),
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "PARModel(order={}, n_entities={}, n_seasons={})",
            self.inner.order, self.inner.n_entities, self.inner.n_seasons
        )
    }
}

/// The backward-pass opening tree: the fixed noise vectors evaluated at
/// every stage, standard normal and correlated.
///
/// `data` has shape `(n_stages, max_openings, n_noise_entities)` (C order,
/// stage-major, the layout cobre-stochastic documents); a stage with fewer
/// openings than `max_openings` has NaN rows past `openings[t]`. Entities
/// are the inflows of every hydro, then loads, then non-controllable
/// sources (`noise_layout`).
#[pyclass(frozen, module = "cobre")]
pub struct OpeningTree {
    model: Arc<cobre::stochastic::StochasticModel>,
    stage_ids: Vec<i32>,
}

impl OpeningTree {
    pub(crate) fn new(model: Arc<cobre::stochastic::StochasticModel>, stage_ids: Vec<i32>) -> Self {
        Self { model, stage_ids }
    }
}

#[pymethods]
impl OpeningTree {
    /// The noise vectors, a read-only view of Rust memory (no copy),
    /// shape `(n_stages, max_openings, n_noise_entities)`.
    #[getter]
    fn data<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyArray3<f64>>> {
        let m = Arc::clone(&slf.get().model);
        let tree = m.opening_tree();
        let [a, b, c] = tree.shape();
        view(slf.into_any(), tree.data(), (a, b, c))
    }

    /// `(n_stages, max_openings, n_noise_entities)`.
    #[getter]
    fn shape(&self) -> (usize, usize, usize) {
        let [a, b, c] = self.model.opening_tree().shape();
        (a, b, c)
    }

    /// Number of valid openings of each stage.
    #[getter]
    fn openings(&self) -> Vec<usize> {
        let tree = self.model.opening_tree();
        (0..tree.num_stages()).map(|t| tree.openings(t)).collect()
    }

    /// Stage ids, in stage order.
    #[getter]
    fn stage_ids(&self) -> Vec<i32> {
        self.stage_ids.clone()
    }

    /// Where each class of noise sits in an opening vector:
    /// `{"inflow": (start, stop), "load": (start, stop), "ncs": (start, stop)}`.
    #[getter]
    fn noise_layout<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let l = self.model.noise_layout();
        let d = PyDict::new(py);
        d.set_item("inflow", (l.inflow.start, l.inflow.end))?;
        d.set_item("load", (l.load.start, l.load.end))?;
        d.set_item("ncs", (l.ncs.start, l.ncs.end))?;
        Ok(d)
    }

    /// Seed the tree was generated from.
    #[getter]
    fn seed(&self) -> u64 {
        self.model.tree_seed()
    }

    /// Opening `k` of stage index `stage`, a read-only view (no copy).
    fn opening<'py>(
        slf: Bound<'py, Self>,
        stage: usize,
        k: usize,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let py = slf.py();
        let m = Arc::clone(&slf.get().model);
        let tree = m.opening_tree();
        if stage >= tree.num_stages() || k >= tree.openings(stage) {
            return Err(invalid_argument(
                py,
                "k",
                &format!("stage {stage} has no opening {k}"),
            ));
        }
        let [_, max_k, dim] = tree.shape();
        let start = (stage * max_k + k) * dim;
        let data = tree.data().get(start..start + dim).unwrap_or(&[]);
        view(slf.into_any(), data, dim)
    }

    fn __repr__(&self) -> String {
        let [a, b, c] = self.model.opening_tree().shape();
        format!("OpeningTree(n_stages={a}, max_openings={b}, n_noise_entities={c})")
    }
}

/// Draws `n` vectors of correlated standard-normal noise.
///
/// `correlation` is a `(d, d)` correlation matrix (symmetric, unit
/// diagonal; an indefinite one is repaired to the nearest correlation
/// matrix with a warning) or an int `d` for independent noise. Returns a new
/// `(n, d)` float64 array handed over from Rust without a copy. The same
/// seed always gives the same draws. The GIL is released while sampling.
#[pyfunction]
#[pyo3(signature = (n, correlation, seed = 0))]
pub(crate) fn sample_noise<'py>(
    py: Python<'py>,
    n: usize,
    correlation: &Bound<'py, PyAny>,
    seed: u64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let matrix: Vec<f64> = if let Ok(d) = correlation.extract::<usize>() {
        let mut m = vec![0.0; d * d];
        for i in 0..d {
            m[i * d + i] = 1.0;
        }
        m
    } else {
        let arr: PyArrayLike2<'py, f64, numpy::AllowTypeChange> =
            correlation.extract().map_err(|_| {
                invalid_argument(py, "correlation", "must be a (d, d) matrix or an int")
            })?;
        let shape = arr.shape();
        if shape.len() != 2 || shape[0] != shape[1] {
            return Err(invalid_argument(
                py,
                "correlation",
                &format!("must be square, got shape {shape:?}"),
            ));
        }
        arr.as_array().iter().copied().collect()
    };
    let dim = (0..=matrix.len())
        .find(|d| d * d >= matrix.len())
        .unwrap_or(0);
    let out = guard_result(py, || {
        py.detach(move || cobre::stochastic::sample_noise(n, &matrix, seed))
    })?;
    guard(py, || {
        let a = Array2::from_shape_vec((n, dim), out)
            .map_err(|e| invalid_argument(py, "n", &e.to_string()))?;
        Ok(PyArray::from_owned_array(py, a))
    })
}
