use super::ServiceWindow;
use crate::{BusId, ThermalId};

/// Anticipated (committed ahead) dispatch settings of a thermal plant.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AnticipatedDispatch {
    /// Number of stages of anticipation.
    pub lead_stages: u32,
    /// Physical lead time (hours).
    pub lead_time_hours: f64,
}

/// A thermal plant: dispatchable generation at a linear cost.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Thermal {
    /// Identifier.
    pub id: ThermalId,
    /// Human-readable name.
    pub name: String,
    /// Bus the generation is injected into.
    pub bus: BusId,
    /// Minimum generation (MW).
    pub min_generation_mw: f64,
    /// Maximum generation (MW).
    pub max_generation_mw: f64,
    /// Marginal cost ($/MWh).
    pub cost_per_mwh: f64,
    /// Stages in service.
    pub service: ServiceWindow,
    /// Anticipated dispatch, when configured (not modelled by the LP yet).
    pub anticipated: Option<AnticipatedDispatch>,
    /// Date the plant enters service (informational).
    pub operational_start_date: Option<chrono::NaiveDate>,
}
