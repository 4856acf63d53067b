//! `manifest.json`: the provenance of a run's outputs, and the `_SUCCESS`
//! marker written after everything else.

use super::atomic::write_atomic;
use super::layout::{MANIFEST, SUCCESS};
use super::parquet::FileInfo;
use super::OutputError;
use std::collections::BTreeMap;
use std::path::Path;

/// The manifest format version this build writes.
pub const MANIFEST_FORMAT_VERSION: u32 = 1;

/// The case a run used.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ManifestCase {
    /// Case folder as given.
    pub path: String,
    /// `sha256:` fingerprint of every input file.
    pub fingerprint: String,
    /// Fingerprint without `config.json`.
    pub system_fingerprint: String,
    /// The input files hashed, in order.
    pub files: Vec<String>,
}

/// Policy handling of a run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ManifestPolicy {
    /// `fresh`, `warm_start` or `resume`.
    pub mode: String,
    /// Directory the starting policy was read from.
    pub loaded_from: Option<String>,
    /// Iterations of the starting policy.
    pub loaded_iterations: Option<u64>,
    /// Directory the trained policy was written to.
    pub saved_to: Option<String>,
    /// Checkpoints written during training.
    pub checkpoints: u64,
}

/// Training outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ManifestTraining {
    /// Last iteration number.
    pub iterations: u64,
    /// Why training stopped (`iteration_limit`, `interrupted`...).
    pub termination: String,
    /// Last lower bound ($).
    pub lower_bound: Option<f64>,
    /// Last upper bound estimate ($).
    pub upper_bound: Option<f64>,
    /// Its standard deviation ($).
    pub upper_bound_std: Option<f64>,
    /// Half-width of its 95 % confidence interval ($; 0 unless statistical).
    #[serde(default)]
    pub ci_95: Option<f64>,
    /// What the upper bound is: `statistical`, `single_sample` (one forward
    /// pass: an estimate, not a bound) or `exact`; absent in manifests
    /// written before the kinds existed.
    #[serde(default)]
    pub upper_bound_kind: Option<String>,
    /// Where the lower bound lies against the 95 % interval of a
    /// statistical upper bound: `below`, `inside` or `above`.
    #[serde(default)]
    pub lower_bound_position: Option<String>,
    /// Last relative gap, never negative; `null` when there is no bound
    /// (one forward pass).
    pub gap: Option<f64>,
    /// One sentence on what the bounds mean.
    #[serde(default)]
    pub bound_note: Option<String>,
    /// Cuts in the policy.
    pub cuts: u64,
    /// LP solves of the run.
    pub lp_solves: u64,
}

/// Simulation outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ManifestSimulation {
    /// Scenarios asked for.
    pub scenarios_requested: u64,
    /// Scenarios simulated and written.
    pub scenarios: u64,
    /// Scenarios per Hive partition (`scenario_block`).
    pub scenarios_per_partition: u64,
    /// Mean total cost ($).
    pub mean_cost: Option<f64>,
    /// Standard deviation of the total cost ($).
    pub std_cost: Option<f64>,
    /// Whether the run was cut short.
    pub interrupted: bool,
    /// LP solves.
    pub lp_solves: u64,
}

fn one() -> usize {
    1
}

/// Contents of `manifest.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT_VERSION`].
    pub format_version: u32,
    /// Version of Cobre that wrote it.
    pub cobre_version: String,
    /// When the run finished (RFC 3339, UTC).
    pub created_at: String,
    /// `complete`, or `interrupted` when training or simulation was stopped.
    pub status: String,
    /// The case.
    pub case: ManifestCase,
    /// Seed of the training scenario streams.
    pub seed: u64,
    /// Worker threads (of each process).
    pub threads: usize,
    /// Processes (MPI ranks) of the run; 1 for manifests written before
    /// distributed runs existed.
    #[serde(default = "one")]
    pub ranks: usize,
    /// The resolved configuration.
    pub config: serde_json::Value,
    /// Policy handling.
    pub policy: ManifestPolicy,
    /// Training outcome (absent when training did not run).
    pub training: Option<ManifestTraining>,
    /// Simulation outcome (absent when simulation did not run).
    pub simulation: Option<ManifestSimulation>,
    /// Wall time of each phase (s): `load`, `train`, `simulate`, `write`, `total`.
    pub timings_s: BTreeMap<String, f64>,
    /// Every output file, relative to the output directory.
    pub outputs: Vec<FileInfo>,
}

/// Writes `manifest.json` into `dir`, atomically.
///
/// # Errors
/// [`OutputError::Encode`] or [`OutputError::Io`].
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<FileInfo, OutputError> {
    let path = dir.join(MANIFEST);
    let json = serde_json::to_vec_pretty(manifest).map_err(|e| OutputError::encode(&path, e))?;
    let bytes = write_atomic(&path, &json)?;
    Ok(FileInfo {
        path,
        bytes,
        rows: 0,
    })
}

/// Reads `manifest.json` from `dir`.
///
/// # Errors
/// [`OutputError::NotFound`], [`OutputError::Io`] or
/// [`OutputError::Corrupted`].
pub fn read_manifest(dir: &Path) -> Result<Manifest, OutputError> {
    let path = dir.join(MANIFEST);
    let bytes = std::fs::read(&path).map_err(|e| OutputError::io("reading", &path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| OutputError::corrupted(&path, e.to_string()))
}

/// Writes the empty `_SUCCESS` marker: the last file of a complete run.
///
/// # Errors
/// [`OutputError::Io`].
pub fn write_success(dir: &Path) -> Result<(), OutputError> {
    write_atomic(dir.join(SUCCESS), b"").map(|_| ())
}
