use super::ServiceWindow;
use crate::{BusId, HydroId, HydroPenalties, StageId};

/// A turbine group of a hydro plant: the bus its generation feeds and its envelope.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UnitGroup {
    /// Identifier, unique within the plant.
    pub id: i32,
    /// Human-readable name.
    pub name: String,
    /// Bus the group's generation is injected into.
    pub bus: BusId,
    /// Minimum generation (MW).
    pub min_generation_mw: f64,
    /// Maximum generation (MW).
    pub max_generation_mw: f64,
    /// Minimum turbined flow (m³/s).
    pub min_turbined_m3s: f64,
    /// Maximum turbined flow (m³/s).
    pub max_turbined_m3s: f64,
}

/// The production model named in `hydros.json` (the per-stage choice and its
/// coefficients come from `hydro_production_models.json`, see
/// [`crate::ProductionModelKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HydroGenerationModel {
    /// `power = productivity × turbined flow`.
    ConstantProductivity,
    /// Head-dependent productivity linearised around an operating point.
    LinearizedHead,
    /// Hydro production function approximated by hyperplanes.
    Fpha,
}

/// A diversion channel taking water from a plant's reservoir to another plant.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Diversion {
    /// Plant receiving the diverted water.
    pub downstream: HydroId,
    /// Channel capacity (m³/s).
    pub max_flow_m3s: f64,
}

/// Turbine efficiency model.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum EfficiencyModel {
    /// A constant efficiency fraction in (0, 1].
    Constant(f64),
}

/// Hydraulic (penstock) losses.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum HydraulicLosses {
    /// Losses proportional to the gross head (dimensionless factor).
    Factor(f64),
    /// A fixed head loss (m).
    ConstantMeters(f64),
}

/// Tailrace (downstream water level) as a function of total outflow.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum TailraceModel {
    /// Polynomial in outflow, coefficients in ascending power order.
    Polynomial(Vec<f64>),
    /// Piecewise-linear curve through `(outflow m³/s, height m)` points.
    Piecewise(Vec<(f64, f64)>),
}

/// Reservoir evaporation data.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EvaporationData {
    /// Evaporation coefficient per calendar month (mm/month), January first.
    pub coefficients_mm: [f64; 12],
    /// Linearisation reference volume per calendar month (hm³), when given.
    pub reference_volumes_hm3: Option<[f64; 12]>,
}

/// Reservoir filling (dead-volume filling) configuration.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FillingConfig {
    /// Stage at which filling begins (inclusive).
    pub start_stage: StageId,
    /// Minimum accumulation rate during filling (m³/s).
    pub min_rate_m3s: f64,
}

/// A hydro plant with its reservoir.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hydro {
    /// Identifier.
    pub id: HydroId,
    /// Human-readable name.
    pub name: String,
    /// Plant receiving this plant's turbined and spilled water, if any.
    pub downstream: Option<HydroId>,
    /// Travel time of released water to the downstream plant (hours).
    pub travel_time_hours: Option<f64>,
    /// Minimum (dead) storage (hm³).
    pub min_storage_hm3: f64,
    /// Maximum storage (hm³).
    pub max_storage_hm3: f64,
    /// Minimum total outflow (m³/s).
    pub min_outflow_m3s: f64,
    /// Maximum total outflow (m³/s); `None` = unbounded.
    pub max_outflow_m3s: Option<f64>,
    /// Production model named in `hydros.json`.
    pub generation_model: HydroGenerationModel,
    /// Minimum turbined flow (m³/s).
    pub min_turbined_m3s: f64,
    /// Maximum turbined flow (m³/s).
    pub max_turbined_m3s: f64,
    /// Minimum generation (MW).
    pub min_generation_mw: f64,
    /// Maximum generation (MW).
    pub max_generation_mw: f64,
    /// Turbine groups; each names the bus its share of generation feeds.
    pub unit_groups: Vec<UnitGroup>,
    /// Diversion channel, when present.
    pub diversion: Option<Diversion>,
    /// Turbine efficiency, when given.
    pub efficiency: Option<EfficiencyModel>,
    /// Evaporation data, when given.
    pub evaporation: Option<EvaporationData>,
    /// Filling configuration, when given.
    pub filling: Option<FillingConfig>,
    /// Hydraulic losses, when given.
    pub hydraulic_losses: Option<HydraulicLosses>,
    /// Tailrace model, when given.
    pub tailrace: Option<TailraceModel>,
    /// Specific productivity (MW per (m³/s · m)), when given.
    pub specific_productivity: Option<f64>,
    /// Penalties after the global default and the entity override.
    pub penalties: HydroPenalties,
    /// Stages in service.
    pub service: ServiceWindow,
    /// Date the plant enters service (informational).
    pub operational_start_date: Option<chrono::NaiveDate>,
}

impl Hydro {
    /// The bus of the plant's first unit group: where a single-bus plant's
    /// generation is injected.
    #[must_use]
    pub fn main_bus(&self) -> Option<BusId> {
        self.unit_groups.first().map(|g| g.bus)
    }
}
