//! The Parquet simulation sink and policy save/load for the facade. The
//! on-disk formats and every Arrow schema live in `cobre_io::output`; this
//! module connects them to the engine.

mod hydro_models;
pub mod policy;
mod report;
pub mod simulation;
pub mod stochastic;

pub use cobre_io::output::{
    case_fingerprint, convergence_batch, layout, read_manifest, read_parquet, read_policy,
    scenario_batches, CaseFingerprint, FileInfo, LoadedPolicy, Manifest, OutputError,
    PolicyMetadata, POLICY_FORMAT_VERSION, SIMULATION_TABLES,
};
pub use hydro_models::write_fpha_deviation_points;
pub use policy::{load_policy, save_policy, SavedPolicy, HISTORY_FILE};
pub use report::{read_run, RunReport};
pub use simulation::{ParquetSink, SinkReport};
pub use stochastic::write_stochastic;

/// Writes the batch `batch` (or the error that building it gave) to the
/// Parquet file `out/rel`, atomically, tagged `schema_name`.
pub(crate) fn write_table(
    out: &std::path::Path,
    rel: &str,
    batch: Result<arrow::record_batch::RecordBatch, arrow::error::ArrowError>,
    schema_name: &str,
) -> Result<FileInfo, crate::Error> {
    let path = out.join(rel);
    let batch = batch.map_err(|e| OutputError::Encode {
        path: path.clone(),
        message: e.to_string(),
    })?;
    Ok(cobre_io::output::write_parquet(
        &path,
        &batch.schema(),
        std::slice::from_ref(&batch),
        schema_name,
    )?)
}
