//! Cobre: stochastic dual dynamic programming (SDDP) for hydrothermal
//! dispatch.
//!
//! This crate is the one public Rust API of Cobre. It re-exports the data
//! model and exposes the steps of a study as plain functions.
//!
//! # Loading a case
//!
//! A case is a folder in the Cobre 0.18 layout (`config.json`, `stages.json`,
//! `penalties.json`, `initial_conditions.json`, `system/`, `scenarios/`,
//! `constraints/`). [`validate`] reports every problem of a case at once;
//! [`load_case`] returns the validated [`Case`] or an [`Error::Validation`]
//! carrying the same report.
//!
//! ```no_run
//! let report = cobre::validate("cases/1dtoy");
//! if !report.is_valid() {
//!     for finding in report.errors() {
//!         eprintln!("{finding}");
//!     }
//! }
//! let case = cobre::load_case("cases/1dtoy")?;
//! println!("{} hydros, {} stages", case.system.hydros().len(), case.system.num_stages());
//! # Ok::<(), cobre::Error>(())
//! ```
//!
//! Each [`Finding`] has a [`Severity`], a stable [`FindingKind`] (the
//! structured-output registry: `MissingFile`, `SchemaViolation`,
//! `MissingReference`, …, plus `Unsupported` for features of the format this
//! version does not model — see [`CAPABILITIES`]), the validation [`Layer`]
//! that found it, a message, a [`FindingContext`] (file, path, entity, field,
//! stage, row) and an optional suggestion.
//!
//! # Settings for one run
//!
//! [`load_case_with_overrides`] deep-merges a JSON object into the case's
//! `config.json` before reading it (JSON Merge Patch), so changed settings
//! are validated exactly as the file is: an unknown key is a
//! `SchemaViolation` naming its path, with a suggestion. The command line
//! (`--set`), Python (`config_overrides`) and [`run_study`] all take
//! settings this way.
//!
//! # Errors
//!
//! Every fallible function returns [`Error`], which keeps each crate's
//! typed error (reach the chain with `std::error::Error::source`);
//! [`Error::kind`] gives its stable [`ErrorKind`], the kinds of the error
//! registry of the structured-output specification.
//!
//! # The model
//!
//! Every type of `cobre-core` is re-exported at the crate root ([`System`],
//! [`Hydro`], [`Stage`], [`StudyConfig`], …); the modules of the model are
//! reachable as `cobre::config`, `cobre::entities`, `cobre::scenario`, ….

mod engine;
mod error;
pub mod outputs;
mod ranks;
mod run;
pub mod stochastic;

pub use cobre_core::*;
pub use cobre_io::overrides;
pub use cobre_io::{
    Capability, Feature, Finding, FindingContext, FindingKind, Layer, Severity, ValidationReport,
    CAPABILITIES,
};
pub use engine::{
    simulate, train, Control, IterationRecord, LowerBoundPosition, Phase, Policy, ScenarioResult,
    SddpError, SimulationOptions, SimulationResult, SimulationSink, SimulationSummary, SolveSite,
    StopFlag, StudyModel, TerminationReason, TrainingObserver, TrainingOptions, TrainingResult,
    UpperBoundKind, WorkerStats,
};
pub use error::{Error, ErrorKind};
pub use outputs::{load_policy, read_run, save_policy, RunReport, SavedPolicy};
pub use run::{
    run_study, run_study_observed, run_study_with, NoRunObserver, RunObserver, RunOptions,
    RunPhase, RunSummary,
};

/// The seam between the processes of a distributed run
/// ([`run_study_with`]): implement [`Communicator`] over a transport (the
/// command line's MPI backend does); [`LocalCommunicator`] is one process,
/// [`InProcess`] several ranks as threads, [`Timed`] measures another one.
pub use cobre_sddp::{
    CommStats, Communicator, Gathered, Group, InProcess, LocalCommunicator, Timed,
};

/// The other backends of [`Communicator`]: processes over TCP sockets
/// (one or several hosts) and over POSIX shared memory (one host), and
/// the typed encode/decode layer every backend carries.
pub mod communicator {
    #[cfg(unix)]
    pub use cobre_sddp::communicator::shm::{
        unlink as unlink_shm, ShmCommunicator, ShmConfig, DEFAULT_SLOT_BYTES,
    };
    pub use cobre_sddp::communicator::tcp::{TcpCommunicator, TcpConfig};
    pub use cobre_sddp::communicator::{block_share, share, Collectives, Reader, Wire, WireError};
}

/// Arrow (`arrow-rs`), re-exported so that callers (the Python binding) build
/// and exchange record batches with the same version as the engine.
pub use arrow;

use std::path::Path;

/// The LP solver this build links, e.g. `"HiGHS 1.15.0 (patched)"`:
/// "patched" when HiGHS was built with the project's `scripts/highs.patch`
/// (what `scripts/env.sh` sets up), "unpatched" for the HiGHS that
/// `highs-sys` builds by itself (or another one pkg-config found). Results
/// are the same; the patched one spends less time per solve.
#[must_use]
pub fn lp_solver() -> String {
    let build = if cobre_solver::HighsSolver::highs_patched() {
        "patched"
    } else {
        "unpatched"
    };
    format!(
        "HiGHS {} ({build})",
        cobre_solver::HighsSolver::highs_version()
    )
}

/// Validates the case folder at `path`: every finding of every layer.
/// Never panics on bad input.
#[must_use]
pub fn validate(path: impl AsRef<Path>) -> ValidationReport {
    cobre_io::validate(path)
}

/// Reads and validates the case folder at `path`.
///
/// # Errors
/// [`Error::Validation`] with the full report when any finding is an error.
pub fn load_case(path: impl AsRef<Path>) -> Result<Case, Error> {
    Ok(cobre_io::load_case(path)?)
}

/// Reads and validates the case folder at `path` with `overrides` (a JSON
/// object of `config.json` keys) deep-merged into its `config.json` first:
/// objects merge key by key, other values replace, `null` removes a key.
/// The merged settings go through the same validation as the file.
///
/// # Errors
/// [`Error::Validation`] with the full report when any finding is an error
/// (a finding about an override names its key path in `config.json`).
pub fn load_case_with_overrides(
    path: impl AsRef<Path>,
    overrides: &serde_json::Value,
) -> Result<Case, Error> {
    let (case, report) = cobre_io::load_case_with_overrides(path, overrides)?;
    for w in report.warnings() {
        tracing::warn!("{w}");
    }
    Ok(case)
}

/// Validates the case folder at `path` with `overrides` merged into its
/// `config.json` (see [`load_case_with_overrides`]). Never panics.
#[must_use]
pub fn validate_with_overrides(
    path: impl AsRef<Path>,
    overrides: &serde_json::Value,
) -> ValidationReport {
    cobre_io::validate_with_overrides(path, overrides)
}
