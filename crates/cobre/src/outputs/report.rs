//! Reading back the output folder of a finished (or cut-short) run, for
//! `cobre report` and for scripts.

use crate::Error;
use cobre_io::output::{layout, read_manifest, read_parquet, records_from_batches, Manifest};
use cobre_sddp::IterationRecord;
use std::path::{Path, PathBuf};

/// What an output folder holds.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The folder.
    pub output_dir: PathBuf,
    /// Whether `_SUCCESS` is present (the run completed).
    pub complete: bool,
    /// `manifest.json`.
    pub manifest: Manifest,
    /// `training/convergence.parquet`, when training ran.
    pub convergence: Vec<IterationRecord>,
    /// Output files listed by the manifest but absent from the folder.
    pub missing_files: Vec<PathBuf>,
}

/// Reads the output folder `dir`: its manifest, its convergence records and
/// whether every file the manifest lists is present.
///
/// # Errors
/// [`Error::Output`]: `NotFound`/`Io` when there is no manifest,
/// `OutputCorrupted` when the manifest or the convergence file cannot be
/// decoded.
pub fn read_run(dir: impl AsRef<Path>) -> Result<RunReport, Error> {
    let dir = dir.as_ref();
    let manifest = read_manifest(dir)?;
    let conv_path = dir.join(layout::CONVERGENCE);
    let convergence = if conv_path.exists() {
        let batches = read_parquet(&conv_path)?;
        records_from_batches(&batches, &conv_path)?
    } else {
        Vec::new()
    };
    let missing_files = manifest
        .outputs
        .iter()
        .map(|f| dir.join(&f.path))
        .filter(|p| !p.exists())
        .collect();
    Ok(RunReport {
        output_dir: dir.to_path_buf(),
        complete: dir.join(layout::SUCCESS).exists(),
        manifest,
        convergence,
        missing_files,
    })
}
