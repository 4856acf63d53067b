//! Initial conditions of a study.

use crate::{HydroId, ThermalId};
use chrono::NaiveDate;

/// Storage of one hydro at the start of the study.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct InitialStorage {
    /// The hydro.
    pub hydro: HydroId,
    /// Volume (hm³).
    pub value_hm3: f64,
}

/// An inflow observed over a period before the study start (m³/s).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct InflowObservation {
    /// The hydro.
    pub hydro: HydroId,
    /// First day (inclusive).
    pub start_date: NaiveDate,
    /// Last day (exclusive).
    pub end_date: NaiveDate,
    /// Average inflow over the period (m³/s).
    pub value_m3s: f64,
}

/// A release of an upstream plant before the study start (for travel times).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PastDefluence {
    /// The upstream hydro.
    pub hydro: HydroId,
    /// First day (inclusive).
    pub start_date: NaiveDate,
    /// Last day (exclusive).
    pub end_date: NaiveDate,
    /// Average release (m³/s).
    pub value_m3s: f64,
}

/// A thermal commitment decided before the study start.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PastCommitment {
    /// The thermal plant.
    pub thermal: ThermalId,
    /// First day (inclusive).
    pub start_date: NaiveDate,
    /// Last day (exclusive).
    pub end_date: NaiveDate,
    /// Committed power (MW).
    pub value_mw: f64,
}

/// The state of the system when the study begins.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct InitialConditions {
    /// Storage of operating hydros, sorted by hydro id.
    pub storage: Vec<InitialStorage>,
    /// Storage of hydros that are filling their dead volume, sorted by hydro id.
    pub filling_storage: Vec<InitialStorage>,
    /// Recent inflow observations, sorted by (hydro, start date).
    pub recent_observations: Vec<InflowObservation>,
    /// Past releases feeding travel-time arcs.
    pub past_defluences: Vec<PastDefluence>,
    /// Past thermal commitments.
    pub past_commitments: Vec<PastCommitment>,
}

impl InitialConditions {
    /// Initial storage of a hydro (operating or filling), if given.
    #[must_use]
    pub fn storage_of(&self, hydro: HydroId) -> Option<f64> {
        self.storage
            .iter()
            .chain(self.filling_storage.iter())
            .find(|s| s.hydro == hydro)
            .map(|s| s.value_hm3)
    }
}
