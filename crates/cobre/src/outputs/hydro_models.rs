//! `exports.fpha_deviation_points`: the FPHA planes computed from geometry
//! against the production function, at every point of their fitting grid,
//! for every (hydro, stage) that uses them.

use crate::{Case, Error};
use cobre_io::output::{
    fpha_deviation_batch, layout, FileInfo, FphaDeviationRows, FPHA_DEVIATION_SCHEMA,
};
use cobre_sddp::lp::ProductionTable;
use std::path::Path;

/// Writes `hydro_models/fpha_deviation_points.parquet` under `out`
/// (atomically; no rows when no plant fits its planes from geometry).
///
/// # Errors
/// [`Error::Engine`] when the production models cannot be resolved,
/// [`Error::Output`] when the file cannot be written.
pub fn write_fpha_deviation_points(out: &Path, case: &Case) -> Result<FileInfo, Error> {
    let table = ProductionTable::resolve(&case.system)?;
    let mut rows = FphaDeviationRows::default();
    for (t, stage) in case.system.horizon().stages.iter().enumerate() {
        for (h, hydro) in case.system.hydros().iter().enumerate() {
            let Some(fit) = table.computed_fit(t, h) else {
                continue;
            };
            for &[v, q, phi] in &fit.samples {
                rows.hydro_id.push(hydro.id.0);
                rows.stage_id.push(stage.id.0);
                rows.volume_hm3.push(v);
                rows.turbined_m3s.push(q);
                rows.production_mw.push(phi);
                rows.fitted_mw.push(fit.envelope(v, q));
            }
        }
    }
    super::write_table(
        out,
        layout::FPHA_DEVIATION_POINTS,
        fpha_deviation_batch(&rows),
        FPHA_DEVIATION_SCHEMA,
    )
}
