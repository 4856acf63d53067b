//! Engine results as Arrow record batches, the Parquet simulation sink,
//! and policy save/load for the facade. The on-disk formats themselves
//! live in `cobre_io::output`; this module only converts.

mod columns;
pub mod policy;
mod report;
pub mod simulation;
pub(crate) mod training;

pub use cobre_io::output::{
    case_fingerprint, layout, read_manifest, read_parquet, read_policy, CaseFingerprint, FileInfo,
    LoadedPolicy, Manifest, OutputError, PolicyMetadata, POLICY_FORMAT_VERSION,
};
pub use policy::{load_policy, save_policy, SavedPolicy, HISTORY_FILE};
pub use report::{read_run, RunReport};
pub use simulation::{scenario_batches, ParquetSink, SinkReport, SIMULATION_TABLES};
pub use training::convergence_batch;
