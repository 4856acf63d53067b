//! Scenario inputs as read from `scenarios/`: the raw material of the
//! stochastic model (`cobre-stochastic` turns it into PAR models, noise and
//! opening trees).
//!
//! Records are kept as given, sorted canonically (by entity id, then stage id,
//! then lag/date), so the content never depends on row order in the files.

use crate::{BusId, HydroId, NcsId, StageId};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Seasonal mean and standard deviation of a quantity at a stage.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SeasonalStat<Id> {
    /// The entity.
    pub entity: Id,
    /// The stage (study or pre-study).
    pub stage: StageId,
    /// Mean (m³/s for inflows, MW for loads, a factor for NCS).
    pub mean: f64,
    /// Standard deviation, same unit.
    pub std: f64,
}

/// One autoregressive coefficient of a hydro's PAR(p) model.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ArCoefficient {
    /// The hydro.
    pub hydro: HydroId,
    /// The stage the coefficient applies to.
    pub stage: StageId,
    /// Lag (1-based).
    pub lag: u32,
    /// Coefficient of the standardised lagged inflow.
    pub coefficient: f64,
    /// Ratio of the residual standard deviation to the seasonal standard deviation.
    pub residual_std_ratio: f64,
}

/// One historical inflow observation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct HistoricalInflow {
    /// The hydro.
    pub hydro: HydroId,
    /// First day of the period (inclusive).
    pub start_date: NaiveDate,
    /// Last day of the period (exclusive).
    pub end_date: NaiveDate,
    /// Average inflow (m³/s).
    pub value_m3s: f64,
}

/// One value of an externally supplied scenario.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ExternalValue<Id> {
    /// The stage.
    pub stage: StageId,
    /// Scenario index in the external library.
    pub scenario: u32,
    /// The entity.
    pub entity: Id,
    /// The value (m³/s, MW or factor).
    pub value: f64,
}

/// Per-block scaling factors of an entity at a stage.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BlockFactors<Id> {
    /// The entity.
    pub entity: Id,
    /// The stage.
    pub stage: StageId,
    /// `(block id, factor)` pairs.
    pub factors: Vec<(i32, f64)>,
}

/// A named spatial correlation matrix.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CorrelationProfile {
    /// Entity names (e.g. hydro ids) in matrix order.
    pub entities: Vec<CorrelatedEntity>,
    /// Row-major square matrix.
    pub matrix: Vec<f64>,
}

/// An entity taking part in a correlation profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum CorrelatedEntity {
    /// A hydro's inflow.
    Inflow(HydroId),
    /// A bus's load.
    Load(BusId),
    /// A non-controllable source's availability.
    Ncs(NcsId),
}

/// Spatial correlation: named profiles and which stage uses which.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct CorrelationInput {
    /// Profiles by name.
    pub profiles: BTreeMap<String, CorrelationProfile>,
    /// Stage → profile name; stages not listed use the profile named
    /// `"default"` if present, else independence.
    pub schedule: BTreeMap<StageId, String>,
}

/// All scenario inputs of a case.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct ScenarioInputs {
    /// `inflow_seasonal_stats.parquet`.
    pub inflow_stats: Vec<SeasonalStat<HydroId>>,
    /// `inflow_ar_coefficients.parquet`.
    pub ar_coefficients: Vec<ArCoefficient>,
    /// `inflow_history.parquet`.
    pub inflow_history: Vec<HistoricalInflow>,
    /// `load_seasonal_stats.parquet`.
    pub load_stats: Vec<SeasonalStat<BusId>>,
    /// `load_factors.json`.
    pub load_factors: Vec<BlockFactors<BusId>>,
    /// `non_controllable_stats.parquet` (availability factor statistics).
    pub ncs_stats: Vec<SeasonalStat<NcsId>>,
    /// `non_controllable_factors.json`.
    pub ncs_factors: Vec<BlockFactors<NcsId>>,
    /// `external_inflow_scenarios.parquet`.
    pub external_inflows: Vec<ExternalValue<HydroId>>,
    /// `external_load_scenarios.parquet`.
    pub external_loads: Vec<ExternalValue<BusId>>,
    /// `external_ncs_scenarios.parquet`.
    pub external_ncs: Vec<ExternalValue<NcsId>>,
    /// `correlation.json`.
    pub correlation: Option<CorrelationInput>,
}
