use super::ServiceWindow;
use crate::{BusId, NcsId};

/// A non-controllable source (wind, solar, small hydro): available generation
/// that can only be curtailed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NonControllableSource {
    /// Identifier.
    pub id: NcsId,
    /// Human-readable name.
    pub name: String,
    /// Bus the generation is injected into.
    pub bus: BusId,
    /// Installed capacity (MW).
    pub max_generation_mw: f64,
    /// Whether the LP may curtail the source.
    pub allow_curtailment: bool,
    /// Curtailment cost after the cascade ($/MWh).
    pub curtailment_cost_per_mwh: f64,
    /// Stages in service.
    pub service: ServiceWindow,
    /// Date the source enters service (informational).
    pub operational_start_date: Option<chrono::NaiveDate>,
}
