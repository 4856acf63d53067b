//! Every output writer: atomic files, Parquet tables, the Hive-partitioned
//! simulation layout, `manifest.json`, `_SUCCESS`, case fingerprints and
//! the on-disk policy format.
//!
//! The rule for every file: written under a hidden temporary name in its
//! final directory, fsynced, renamed ([`AtomicFile`]). A run that dies
//! leaves at most hidden temporary files, never a file under a final name
//! that is not complete, and `_SUCCESS` only after everything else.
//!
//! This module knows Arrow record batches and plain data
//! ([`cobre_core::policy::PolicyTable`]); it never sees engine types: the
//! facade converts engine results into batches.

mod atomic;
pub mod columns;
mod cuts;
mod error;
mod fingerprint;
mod hydro_models;
pub mod layout;
mod manifest;
mod parquet;
mod policy;
mod policy_meta;
mod simulation_tables;
mod stochastic;
mod training;

pub use atomic::{create_dir_all, write_atomic, AtomicFile};
pub use error::OutputError;
pub use fingerprint::{case_fingerprint, sha256_hex, CaseFingerprint};
pub use hydro_models::{fpha_deviation_batch, FphaDeviationRows, FPHA_DEVIATION_SCHEMA};
pub use layout::{prepare_output_dir, resolve_policy_dir, simulation_part};
pub use manifest::{
    read_manifest, write_manifest, write_success, Manifest, ManifestCase, ManifestPolicy,
    ManifestSimulation, ManifestTraining, MANIFEST_FORMAT_VERSION,
};
pub use parquet::{
    decode_parquet, read_parquet, write_parquet, FileInfo, ParquetStream, SCHEMA_KEY,
};
pub use policy::{
    check_policy_fits, read_policy, read_policy_file, write_policy, Attachment, FileEntry,
    LoadedPolicy, PolicyInfo, PolicyMetadata, StageEntry, StateEntry, BASES_FILE, CUTS_FILE,
    POLICY_FORMAT, POLICY_FORMAT_VERSION, POLICY_JSON,
};
pub use simulation_tables::{scenario_batches, SIMULATION_SCHEMAS, SIMULATION_TABLES};
pub use stochastic::{
    inflow_model_batch, inflow_seasonal_stats_batch, noise_openings_batch, InflowModelTable,
    NoiseEntity, OpeningsTable, INFLOW_MODEL_SCHEMA, INFLOW_SEASONAL_STATS_SCHEMA,
    NOISE_OPENINGS_SCHEMA,
};
pub use training::{
    convergence_batch, records_from_batches, solver_stats_batch, visited_states_batch, VisitedPool,
    CONVERGENCE_SCHEMA, SOLVER_STATS_SCHEMA, VISITED_STATES_SCHEMA,
};

/// The current time as RFC 3339 UTC with milliseconds.
#[must_use]
pub fn timestamp_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(now.as_secs()).unwrap_or(0);
    chrono::DateTime::<chrono::Utc>::from_timestamp(secs, now.subsec_nanos())
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}
