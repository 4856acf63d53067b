//! Hydro production models: which model applies at which stage, FPHA planes,
//! reservoir geometry and productivity overrides.

use crate::{HydroId, StageId};

/// FPHA hyperplane source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FphaSource {
    /// Planes given in `system/fpha_hyperplanes.parquet`.
    Precomputed,
    /// Planes fitted from `system/hydro_geometry.parquet`.
    Computed,
}

/// Settings of the FPHA model of a stage range.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FphaConfig {
    /// Where the planes come from.
    pub source: FphaSource,
    /// Volume discretisation points for computed planes.
    pub volume_points: Option<u32>,
    /// Turbined flow discretisation points for computed planes.
    pub turbine_points: Option<u32>,
    /// Spillage discretisation points for computed planes.
    pub spillage_points: Option<u32>,
    /// Maximum number of planes kept per hydro.
    pub max_planes: Option<u32>,
    /// Volume fitting window (hm³), when given explicitly.
    pub fitting_window_hm3: Option<(Option<f64>, Option<f64>)>,
    /// Volume fitting window as fractions of the operating range (0 = minimum
    /// storage, 1 = maximum), when given.
    pub fitting_window_percentile: Option<(Option<f64>, Option<f64>)>,
}

/// Reference operating volume of a linearised model.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum ReferenceVolume {
    /// Absolute volume (hm³).
    Hm3(f64),
    /// Fraction of the operating range (0 = minimum storage, 1 = maximum).
    Percentile(f64),
}

/// The production model in force at a stage.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum ProductionModelKind {
    /// `power = productivity × turbined`. `None` productivity means "derive it"
    /// (from `hydro_energy_productivity.parquet`).
    ConstantProductivity {
        /// Productivity (MW per m³/s), when given.
        productivity_mw_per_m3s: Option<f64>,
    },
    /// Head-dependent productivity linearised at a reference volume.
    LinearizedHead {
        /// Productivity (MW per m³/s), when given.
        productivity_mw_per_m3s: Option<f64>,
        /// Reference volume, when given.
        reference_volume: Option<ReferenceVolume>,
    },
    /// Hyperplane approximation of the production function.
    Fpha {
        /// FPHA settings.
        config: FphaConfig,
        /// Reference volume, when given.
        reference_volume: Option<ReferenceVolume>,
    },
}

/// One entry of `hydro_production_models.json`: a model over a stage range.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProductionModelRange {
    /// First stage (inclusive).
    pub start_stage: StageId,
    /// Last stage (inclusive); `None` = until the end.
    pub end_stage: Option<StageId>,
    /// The model.
    pub model: ProductionModelKind,
}

/// How a hydro's production model is chosen per stage.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum ProductionModelSelection {
    /// By stage ranges.
    StageRanges(Vec<ProductionModelRange>),
    /// By season, with a default.
    Seasonal {
        /// Model for seasons not listed.
        default: ProductionModelKind,
        /// `(season id, model)` pairs.
        seasons: Vec<(i32, ProductionModelKind)>,
    },
}

/// The production model configuration of one hydro.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HydroProductionModel {
    /// The hydro.
    pub hydro: HydroId,
    /// Selection rule.
    pub selection: ProductionModelSelection,
}

/// A hyperplane of the FPHA: `g ≤ γ0 + γv·v + γq·q + γs·s` (scaled by κ).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FphaPlane {
    /// The hydro.
    pub hydro: HydroId,
    /// The stage, or `None` for every stage.
    pub stage: Option<StageId>,
    /// Plane id.
    pub plane_id: i32,
    /// Intercept (MW).
    pub gamma_0: f64,
    /// Storage coefficient (MW/hm³).
    pub gamma_v: f64,
    /// Turbined flow coefficient (MW per m³/s).
    pub gamma_q: f64,
    /// Spillage coefficient (MW per m³/s).
    pub gamma_s: f64,
    /// Correction factor κ, when given.
    pub kappa: Option<f64>,
}

/// One point of a reservoir's volume–height–area curve.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GeometryPoint {
    /// The hydro.
    pub hydro: HydroId,
    /// Volume (hm³).
    pub volume_hm3: f64,
    /// Upstream water level (m).
    pub height_m: f64,
    /// Lake area (km²).
    pub area_km2: f64,
}

/// A row of `hydro_energy_productivity.parquet`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EnergyProductivity {
    /// The hydro.
    pub hydro: HydroId,
    /// The stage, or `None` for every stage.
    pub stage: Option<StageId>,
    /// Equivalent productivity (MW per m³/s).
    pub equivalent_productivity: Option<f64>,
    /// Reference outflow (m³/s).
    pub reference_outflow_m3s: Option<f64>,
    /// Specific productivity (MW per (m³/s·m)).
    pub specific_productivity: Option<f64>,
}

/// One piece of a tailrace family: `h(Q) = Σ c_i·Q^i` (degree ≤ 4) for a
/// total outflow `Q` in `[outflow_min_m3s, outflow_max_m3s]`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TailraceSegment {
    /// Lower end of the segment's outflow range (m³/s).
    pub outflow_min_m3s: f64,
    /// Upper end of the segment's outflow range (m³/s).
    pub outflow_max_m3s: f64,
    /// Coefficients `c_0 … c_4` in ascending power order (m, m per (m³/s)^i).
    pub coefficients: [f64; 5],
}

impl TailraceSegment {
    /// The segment's polynomial at `q` (no range check).
    #[must_use]
    pub fn eval(&self, q: f64) -> f64 {
        let [a0, a1, a2, a3, a4] = self.coefficients;
        (((a4 * q + a3) * q + a2) * q + a1) * q + a0
    }
}

/// A tailrace curve of `system/tailrace_curves.parquet`: a piecewise
/// quartic in total outflow, valid for one downstream water level (the
/// backwater of the plant below). A plant with several families gets its
/// tailrace by interpolating between the two families that bracket the
/// downstream level.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TailraceFamily {
    /// The hydro.
    pub hydro: HydroId,
    /// Family id (unique within the hydro).
    pub family_id: i32,
    /// Downstream water level the family is calibrated for (m); required
    /// when the hydro has more than one family.
    pub downstream_reference_level_m: Option<f64>,
    /// Contiguous segments in ascending outflow order.
    pub segments: Vec<TailraceSegment>,
}

impl TailraceFamily {
    /// Tailrace level (m) at total outflow `q` (m³/s), the outflow clamped
    /// to the family's range.
    #[must_use]
    pub fn level_at(&self, q: f64) -> f64 {
        let (Some(first), Some(last)) = (self.segments.first(), self.segments.last()) else {
            return 0.0;
        };
        let q = q.clamp(
            first.outflow_min_m3s,
            last.outflow_max_m3s.max(first.outflow_min_m3s),
        );
        let i = self
            .segments
            .partition_point(|s| s.outflow_max_m3s <= q)
            .min(self.segments.len() - 1);
        self.segments.get(i).map_or(0.0, |s| s.eval(q))
    }
}

/// All hydro production data of a case.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct HydroModelInputs {
    /// `hydro_production_models.json`, sorted by hydro id.
    pub production_models: Vec<HydroProductionModel>,
    /// `fpha_hyperplanes.parquet`, sorted by (hydro, stage, plane).
    pub fpha_planes: Vec<FphaPlane>,
    /// `hydro_geometry.parquet`, sorted by (hydro, volume).
    pub geometry: Vec<GeometryPoint>,
    /// `hydro_energy_productivity.parquet`, sorted by (hydro, stage).
    pub energy_productivity: Vec<EnergyProductivity>,
    /// `tailrace_curves.parquet`, per hydro sorted by (downstream level,
    /// family id).
    pub tailrace_families: Vec<TailraceFamily>,
}
