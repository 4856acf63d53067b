use super::ServiceWindow;
use crate::{BusId, HydroId, PumpingStationId};

/// A pumping station: moves water from a source reservoir to a destination
/// reservoir, consuming power at a bus (`consumption_mw_per_m3s` MW per
/// m³/s pumped). Its flow is bounded per block; it has no cost of its own
/// (the energy it consumes is priced by the bus it draws from).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PumpingStation {
    /// Identifier.
    pub id: PumpingStationId,
    /// Human-readable name.
    pub name: String,
    /// Bus the consumed power is drawn from.
    pub bus: BusId,
    /// Hydro whose reservoir the water is taken from.
    pub source: HydroId,
    /// Hydro whose reservoir the water is pumped into.
    pub destination: HydroId,
    /// Power consumed per unit of pumped flow (MW per m³/s).
    pub consumption_mw_per_m3s: f64,
    /// Minimum pumped flow (m³/s).
    pub min_flow_m3s: f64,
    /// Maximum pumped flow (m³/s).
    pub max_flow_m3s: f64,
    /// Stages in service.
    pub service: ServiceWindow,
    /// Date the station enters service (informational).
    pub operational_start_date: Option<chrono::NaiveDate>,
}
