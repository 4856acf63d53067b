//! `config_overrides`: the dict of `train()` and `simulate()` that changes
//! settings of the case for one call, checked key by key.
//!
//! Keys may be given flat or nested under `"training"` / `"simulation"`
//! (the sections of `config.json`):
//!
//! | key                                   | call     | meaning                              |
//! |---------------------------------------|----------|--------------------------------------|
//! | `threads`                             | both     | worker threads (default `get_threads()`) |
//! | `max_iterations` (`iteration_limit`)  | train    | replaces the stopping rules          |
//! | `time_limit_s`                        | train    | adds a wall-time limit (s)           |
//! | `forward_passes`                      | train    | forward scenarios per iteration      |
//! | `seed`                                | both     | seed of the phase's sampling         |
//! | `num_scenarios`                       | simulate | simulated scenarios                  |
//!
//! An unknown key or a value of the wrong type raises
//! `ValidationError(kind="InvalidArgument")` naming it.

use crate::errors::invalid_argument;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Which call the overrides are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// `train()`.
    Training,
    /// `simulate()`.
    Simulation,
}

/// Overrides after parsing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    /// Worker threads.
    pub threads: usize,
    /// Iteration limit replacing the stopping rules.
    pub max_iterations: Option<u32>,
    /// Wall-time limit (s).
    pub time_limit_s: Option<f64>,
    /// Forward passes per iteration.
    pub forward_passes: Option<u32>,
    /// Sampling seed.
    pub seed: Option<u64>,
    /// Simulated scenarios.
    pub num_scenarios: Option<usize>,
}

impl Overrides {
    /// Parses `config_overrides` for `phase`.
    pub(crate) fn parse(
        py: Python<'_>,
        dict: Option<&Bound<'_, PyAny>>,
        phase: Phase,
    ) -> PyResult<Self> {
        let mut out = Overrides {
            threads: crate::threads::get(),
            ..Overrides::default()
        };
        if let Some(d) = dict.filter(|d| !d.is_none()) {
            let d = d.cast::<PyDict>().map_err(|_| {
                invalid_argument(py, "config_overrides", "must be a dict (or None)")
            })?;
            out.apply(py, d, phase, "config_overrides")?;
        }
        Ok(out)
    }

    fn apply(
        &mut self,
        py: Python<'_>,
        d: &Bound<'_, PyDict>,
        phase: Phase,
        prefix: &str,
    ) -> PyResult<()> {
        for (k, v) in d.iter() {
            let key: String = k
                .extract()
                .map_err(|_| invalid_argument(py, prefix, "keys must be strings"))?;
            let path = format!("{prefix}[{key:?}]");
            let bad = |what: &str| invalid_argument(py, &path, what);
            let int = |v: &Bound<'_, PyAny>| -> PyResult<u64> {
                v.extract::<u64>()
                    .map_err(|_| bad("must be a non-negative integer"))
            };
            match (key.as_str(), phase) {
                ("training", Phase::Training) | ("simulation", Phase::Simulation) => {
                    let sub = v.cast::<PyDict>().map_err(|_| bad("must be a dict"))?;
                    self.apply(py, sub, phase, &path)?;
                }
                ("training", Phase::Simulation) | ("simulation", Phase::Training) => {}
                ("threads", _) => {
                    let n = int(&v)?;
                    self.threads = usize::try_from(n).map_err(|_| bad("too large"))?.max(1);
                }
                ("seed", _) => self.seed = Some(int(&v)?),
                ("max_iterations" | "iteration_limit", Phase::Training) => {
                    let n = int(&v)?;
                    if n == 0 {
                        return Err(bad("must be at least 1"));
                    }
                    self.max_iterations = Some(u32::try_from(n).map_err(|_| bad("too large"))?);
                }
                ("time_limit_s", Phase::Training) => {
                    let s: f64 = v.extract().map_err(|_| bad("must be a number"))?;
                    if !(s.is_finite() && s > 0.0) {
                        return Err(bad("must be a positive number of seconds"));
                    }
                    self.time_limit_s = Some(s);
                }
                ("forward_passes", Phase::Training) => {
                    let n = int(&v)?;
                    if n == 0 {
                        return Err(bad("must be at least 1"));
                    }
                    self.forward_passes = Some(u32::try_from(n).map_err(|_| bad("too large"))?);
                }
                ("num_scenarios", Phase::Simulation) => {
                    self.num_scenarios =
                        Some(usize::try_from(int(&v)?).map_err(|_| bad("too large"))?);
                }
                _ => {
                    return Err(bad(
                        "unknown setting; known: threads, seed, max_iterations, time_limit_s, \
                         forward_passes (train), num_scenarios (simulate)",
                    ))
                }
            }
        }
        Ok(())
    }
}
