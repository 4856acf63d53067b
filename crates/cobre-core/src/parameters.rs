//! Scalar parameters of generic constraints (`constraints/generic_parameters.json`):
//! named coefficients, given or computed from hydro data, that an
//! expression uses as `@name * variable`.

use crate::{HydroId, StageId};

/// A quantity computed from the data of one hydro plant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "tag", content = "hydro_id")]
pub enum ComputedParameter {
    /// Equivalent productivity `ρ_eq` (MW per m³/s) at the reference point.
    EquivalentProductivity(HydroId),
    /// `ρ_eq` summed over the plant and every plant downstream of it.
    AccumulatedProductivity(HydroId),
    /// Reference volume (hm³).
    ReferenceVolume(HydroId),
    /// Reference turbined flow (m³/s).
    ReferenceTurbine(HydroId),
    /// Minimum storage (hm³).
    MinStorage(HydroId),
    /// Maximum storage (hm³).
    MaxStorage(HydroId),
    /// Specific productivity `ρ_esp` (MW per m³/s per m).
    SpecificProductivity(HydroId),
    /// `ρ_eq` evaluated with the forebay level averaged over the storage range.
    IntegratedEquivalentProductivity(HydroId),
    /// The integrated `ρ_eq` summed down the cascade.
    IntegratedAccumulatedProductivity(HydroId),
    /// Integrated accumulated productivity × (maximum − minimum storage).
    MaxStoredEnergy(HydroId),
}

impl ComputedParameter {
    /// The hydro the quantity is computed for.
    #[must_use]
    pub fn hydro(self) -> HydroId {
        match self {
            Self::EquivalentProductivity(h)
            | Self::AccumulatedProductivity(h)
            | Self::ReferenceVolume(h)
            | Self::ReferenceTurbine(h)
            | Self::MinStorage(h)
            | Self::MaxStorage(h)
            | Self::SpecificProductivity(h)
            | Self::IntegratedEquivalentProductivity(h)
            | Self::IntegratedAccumulatedProductivity(h)
            | Self::MaxStoredEnergy(h) => h,
        }
    }
}

/// How a parameter's value is given.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterValue {
    /// One value for every stage.
    Constant(f64),
    /// One value per study stage.
    PerStage(Vec<(StageId, f64)>),
    /// One value per season.
    Seasonal(Vec<(i32, f64)>),
    /// One value per (stage, block id).
    PerStageBlock(Vec<(StageId, i32, f64)>),
    /// Computed from hydro data.
    Computed(ComputedParameter),
    /// The product of other parameters (positions in the parameter list):
    /// what a term `@a * @b * x` multiplies its variable by.
    Product(Vec<u32>),
}

/// One scalar parameter.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScalarParameter {
    /// Identifier (`None` for a product made up by the reader).
    pub id: Option<i32>,
    /// Name (`@name` in expressions).
    pub name: String,
    /// Value.
    pub value: ParameterValue,
}
