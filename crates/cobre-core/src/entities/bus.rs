use crate::BusId;

/// One segment of a bus's piecewise-linear deficit (unserved energy) cost.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DeficitSegment {
    /// Width of the segment in MW; `None` for the unbounded last segment.
    pub depth_mw: Option<f64>,
    /// Cost of unserved energy in this segment ($/MWh).
    pub cost_per_mwh: f64,
}

/// An electrical bus: where load is served and energy is balanced.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Bus {
    /// Identifier.
    pub id: BusId,
    /// Human-readable name.
    pub name: String,
    /// Deficit segments after the cascade (entity override, else global default),
    /// ordered as given; every segment but the last has a finite depth.
    pub deficit_segments: Vec<DeficitSegment>,
    /// Cost of excess (spilled) energy ($/MWh), from the global penalties.
    pub excess_cost_per_mwh: f64,
    /// Date the bus enters service (informational).
    pub operational_start_date: Option<chrono::NaiveDate>,
}
