use super::ServiceWindow;
use crate::{BusId, LineId};

/// A transmission line between two buses, with independent limits per direction.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Line {
    /// Identifier.
    pub id: LineId,
    /// Human-readable name.
    pub name: String,
    /// Bus the direct flow leaves.
    pub source_bus: BusId,
    /// Bus the direct flow reaches.
    pub target_bus: BusId,
    /// Maximum flow from source to target (MW).
    pub direct_capacity_mw: f64,
    /// Maximum flow from target to source (MW).
    pub reverse_capacity_mw: f64,
    /// Losses as a percentage of the flow (0–100).
    pub losses_percent: f64,
    /// Exchange (wheeling) cost after the cascade ($/MWh).
    pub exchange_cost_per_mwh: f64,
    /// Stages in service.
    pub service: ServiceWindow,
    /// Date the line enters service (informational).
    pub operational_start_date: Option<chrono::NaiveDate>,
}

impl Line {
    /// Fraction of the flow delivered at the receiving end (`1 - losses/100`).
    #[must_use]
    pub fn efficiency(&self) -> f64 {
        1.0 - self.losses_percent / 100.0
    }
}
