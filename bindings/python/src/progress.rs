//! `cobre.ProgressEvent`: what a progress callback receives, in training
//! (one per iteration) and in simulation (one per scenario).

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A progress event of training or simulation.
///
/// Training events carry the iteration's bounds and times; simulation
/// events carry scenario counts; the fields of the other phase are `None`.
/// `worker_id` is the rank of the worker process that sent the event in a
/// multi-process run (`None` in one process).
#[pyclass(frozen, module = "cobre", get_all)]
#[derive(Debug, Clone, Default)]
pub struct ProgressEvent {
    /// `"training"` or `"simulation"`.
    pub phase: String,
    /// Iteration (1-based); `None` in simulation.
    pub iteration: Option<u64>,
    /// Lower bound after the iteration ($); `None` in simulation.
    pub lower_bound: Option<f64>,
    /// Upper bound estimate (mean forward cost, $); `None` in simulation.
    pub upper_bound: Option<f64>,
    /// Standard deviation of the forward costs ($); `None` in simulation.
    pub upper_bound_std: Option<f64>,
    /// Half-width of the 95 % interval of the upper bound ($); `None` in
    /// simulation.
    pub ci_95: Option<f64>,
    /// What the upper bound is: `"statistical"`, `"single_sample"` (one
    /// forward pass: an estimate, not a bound) or `"exact"`; `None` in
    /// simulation.
    pub upper_bound_kind: Option<String>,
    /// Where the lower bound lies against the upper bound's interval
    /// (`"below"`, `"inside"`, `"above"`), when that is defined.
    pub lower_bound_position: Option<String>,
    /// One sentence saying what the bounds mean; `None` in simulation.
    pub bound_note: Option<String>,
    /// Relative gap, never negative; `None` in simulation or when there is
    /// no bound to measure it to (see `upper_bound_kind`).
    pub gap: Option<f64>,
    /// Wall time since the phase started (ms).
    pub wall_time_ms: f64,
    /// Time of this iteration (ms); `None` in simulation.
    pub iteration_time_ms: Option<f64>,
    /// Scenarios simulated so far (by this worker); `None` in training.
    pub scenarios_complete: Option<u64>,
    /// Scenarios to simulate (by this worker); `None` in training.
    pub scenarios_total: Option<u64>,
    /// Rank of the worker process that sent the event, `None` in one process.
    pub worker_id: Option<u64>,
}

impl ProgressEvent {
    /// The event of a finished training iteration.
    pub(crate) fn training(r: &cobre::IterationRecord) -> Self {
        Self {
            phase: "training".into(),
            iteration: Some(r.iteration),
            lower_bound: Some(r.lower_bound),
            upper_bound: Some(r.upper_bound),
            upper_bound_std: Some(r.upper_bound_std),
            ci_95: Some(r.ci_95),
            upper_bound_kind: Some(r.upper_bound_kind.as_str().to_owned()),
            lower_bound_position: r.lower_bound_position().map(|p| p.as_str().to_owned()),
            bound_note: Some(r.bound_note().to_owned()),
            gap: r.gap,
            wall_time_ms: r.wall_time_ms,
            iteration_time_ms: Some(r.iteration_time_ms),
            ..Self::default()
        }
    }

    /// The event of a simulated scenario.
    pub(crate) fn simulation(complete: usize, total: usize, wall_time_ms: f64) -> Self {
        Self {
            phase: "simulation".into(),
            wall_time_ms,
            scenarios_complete: Some(complete as u64),
            scenarios_total: Some(total as u64),
            ..Self::default()
        }
    }
}

#[pymethods]
impl ProgressEvent {
    /// Builds an event (every field but `phase` is keyword-only and
    /// optional); the library creates them, this serves re-creating one
    /// from `to_dict()`.
    #[new]
    #[pyo3(signature = (phase, *, iteration = None, lower_bound = None, upper_bound = None,
                        upper_bound_std = None, ci_95 = None, upper_bound_kind = None,
                        lower_bound_position = None, bound_note = None,
                        gap = None, wall_time_ms = 0.0, iteration_time_ms = None,
                        scenarios_complete = None, scenarios_total = None, worker_id = None))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        phase: String,
        iteration: Option<u64>,
        lower_bound: Option<f64>,
        upper_bound: Option<f64>,
        upper_bound_std: Option<f64>,
        ci_95: Option<f64>,
        upper_bound_kind: Option<String>,
        lower_bound_position: Option<String>,
        bound_note: Option<String>,
        gap: Option<f64>,
        wall_time_ms: f64,
        iteration_time_ms: Option<f64>,
        scenarios_complete: Option<u64>,
        scenarios_total: Option<u64>,
        worker_id: Option<u64>,
    ) -> PyResult<Self> {
        if phase != "training" && phase != "simulation" {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "phase must be \"training\" or \"simulation\", not {phase:?}"
            )));
        }
        Ok(Self {
            phase,
            iteration,
            lower_bound,
            upper_bound,
            upper_bound_std,
            ci_95,
            upper_bound_kind,
            lower_bound_position,
            bound_note,
            gap,
            wall_time_ms,
            iteration_time_ms,
            scenarios_complete,
            scenarios_total,
            worker_id,
        })
    }

    /// The event as a plain dict (every field).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("phase", &self.phase)?;
        d.set_item("iteration", self.iteration)?;
        d.set_item("lower_bound", self.lower_bound)?;
        d.set_item("upper_bound", self.upper_bound)?;
        d.set_item("upper_bound_std", self.upper_bound_std)?;
        d.set_item("ci_95", self.ci_95)?;
        d.set_item("upper_bound_kind", &self.upper_bound_kind)?;
        d.set_item("lower_bound_position", &self.lower_bound_position)?;
        d.set_item("bound_note", &self.bound_note)?;
        d.set_item("gap", self.gap)?;
        d.set_item("wall_time_ms", self.wall_time_ms)?;
        d.set_item("iteration_time_ms", self.iteration_time_ms)?;
        d.set_item("scenarios_complete", self.scenarios_complete)?;
        d.set_item("scenarios_total", self.scenarios_total)?;
        d.set_item("worker_id", self.worker_id)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let opt = |v: Option<String>| v.unwrap_or_else(|| "None".into());
        let worker = opt(self.worker_id.map(|w| w.to_string()));
        if self.phase == "training" {
            format!(
                "ProgressEvent(phase='training', iteration={}, lower_bound={}, upper_bound={}, gap={}, worker_id={worker})",
                opt(self.iteration.map(|v| v.to_string())),
                opt(self.lower_bound.map(|v| v.to_string())),
                opt(self.upper_bound.map(|v| v.to_string())),
                opt(self.gap.map(|v| v.to_string())),
            )
        } else {
            format!(
                "ProgressEvent(phase='simulation', scenarios_complete={}, scenarios_total={}, worker_id={worker})",
                opt(self.scenarios_complete.map(|v| v.to_string())),
                opt(self.scenarios_total.map(|v| v.to_string())),
            )
        }
    }
}
