//! `hydro_models/fpha_deviation_points.parquet` (`exports.fpha_deviation_points`):
//! how far the FPHA planes computed from geometry are from the production
//! function they approximate, at every point of the fitting grid.

use super::columns::Columns;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// Schema name of `fpha_deviation_points.parquet`.
pub const FPHA_DEVIATION_SCHEMA: &str = "hydro_models.fpha_deviation_points/1";

/// The rows of `fpha_deviation_points.parquet`, one entry per row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FphaDeviationRows {
    /// Hydro id.
    pub hydro_id: Vec<i32>,
    /// Stage id.
    pub stage_id: Vec<i32>,
    /// Storage of the grid point (hm³).
    pub volume_hm3: Vec<f64>,
    /// Turbined flow of the grid point (m³/s).
    pub turbined_m3s: Vec<f64>,
    /// Production function at the point, spillage 0, capped at the maximum
    /// generation (MW).
    pub production_mw: Vec<f64>,
    /// The planes' envelope at the point (MW).
    pub fitted_mw: Vec<f64>,
}

/// `fpha_deviation_points.parquet`: the rows with `deviation_mw =
/// fitted_mw − production_mw` (positive where the planes promise more
/// than the plant produces).
///
/// # Errors
/// An Arrow error when the columns differ in length.
pub fn fpha_deviation_batch(rows: &FphaDeviationRows) -> Result<RecordBatch, ArrowError> {
    let deviation = rows
        .fitted_mw
        .iter()
        .zip(&rows.production_mw)
        .map(|(f, p)| f - p)
        .collect();
    Columns::default()
        .i32("hydro_id", rows.hydro_id.clone())
        .i32("stage_id", rows.stage_id.clone())
        .f64("volume_hm3", "hm3", rows.volume_hm3.clone())
        .f64("turbined_m3s", "m3/s", rows.turbined_m3s.clone())
        .f64("production_mw", "MW", rows.production_mw.clone())
        .f64("fitted_mw", "MW", rows.fitted_mw.clone())
        .f64("deviation_mw", "MW", deviation)
        .finish()
}
