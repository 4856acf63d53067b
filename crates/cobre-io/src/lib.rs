//! Cobre case reader and its layered validation.
//!
//! A case is a folder in the Cobre 0.18 layout (`config.json`, `stages.json`,
//! `penalties.json`, `initial_conditions.json`, `system/`, `scenarios/`,
//! `constraints/`). [`load_case`] reads it into a [`cobre_core::Case`];
//! [`validate`] reports every problem of the case at once, without building
//! anything.
//!
//! # Validation layers
//!
//! Validation runs five [`Layer`]s in order. Each collects **all** of its
//! findings before the next starts, and a later layer only looks at what the
//! earlier ones could read (an unreadable file, or an entity with a broken
//! field, is skipped by the checks that need it, so one mistake does not
//! cascade into many):
//!
//! 1. **structural** — required files present; every file regular, non-empty,
//!    readable; JSON files UTF-8; Parquet files with the `PAR1` magic;
//! 2. **schema** — JSON syntax, types, required and unknown fields, enum
//!    values and value ranges; Parquet column names, types, nulls and
//!    non-finite numbers; features the solver does not model
//!    ([`capabilities`]);
//! 3. **referential** — every id reference resolves; no duplicate ids or keys;
//! 4. **dimensional** — stage × entity coverage where the format requires it;
//!    stage and block ids exist;
//! 5. **semantic** — bound ordering, initial storage, penalty ordering,
//!    acyclic cascade, stage dates, settings.
//!
//! Each [`Finding`] carries a [`Severity`], a [`FindingKind`] from the
//! structured-output error registry (plus `Unsupported`), its [`Layer`], a
//! message, a [`FindingContext`] (file, path, entity, field, stage, row) and
//! an optional suggestion.
//!
//! ```no_run
//! let report = cobre_io::validate("cases/1dtoy");
//! for finding in report.errors() {
//!     eprintln!("{finding}");
//! }
//! let case = cobre_io::load_case("cases/1dtoy")?;
//! assert_eq!(case.system.num_stages(), 4);
//! # Ok::<(), cobre_io::LoadError>(())
//! ```

mod assemble;
pub mod capabilities;
mod error;
mod files;
mod json;
pub mod output;
pub mod overrides;
mod reader;
mod report;
mod tables;
mod util;
mod validation;

pub use capabilities::{Capability, Feature, CAPABILITIES};
pub use error::LoadError;
pub use report::{Finding, FindingContext, FindingKind, Layer, Severity, ValidationReport};

use cobre_core::Case;
use report::Sink;
use std::path::Path;

fn close_layer(report: &mut ValidationReport, sink: Sink, layer: Layer) {
    let findings = sink.into_findings();
    tracing::debug!(
        layer = layer.as_str(),
        findings = findings.len(),
        "validation layer done"
    );
    report.findings.extend(findings);
    report.layers_completed.push(layer);
}

/// Runs every layer, with `overrides` merged into `config.json` first;
/// builds the case when no error was found.
fn run(root: &Path, overrides: Option<&serde_json::Value>) -> (Option<Case>, ValidationReport) {
    let mut report = ValidationReport::default();

    let mut sink = Sink::default();
    let mut files = files::check_structure(root, &mut sink);
    if let Some(patch) = overrides {
        files.merge_config(patch, &mut sink);
    }
    close_layer(&mut report, sink, Layer::Structural);

    let mut sink = Sink::default();
    let data = reader::read_all(&files, &mut sink);
    close_layer(&mut report, sink, Layer::Schema);

    let mut sink = Sink::default();
    validation::referential::check(&data, &mut sink);
    close_layer(&mut report, sink, Layer::Referential);

    let mut sink = Sink::default();
    validation::dimensional::check(&data, &files, &mut sink);
    close_layer(&mut report, sink, Layer::Dimensional);

    let mut sink = Sink::default();
    validation::semantic::check(&data, &mut sink);
    close_layer(&mut report, sink, Layer::Semantic);

    if !report.is_valid() {
        return (None, report);
    }
    match assemble::build(root, data) {
        Ok(case) => (Some(case), report),
        Err(finding) => {
            report.findings.push(*finding);
            (None, report)
        }
    }
}

/// Validates the case folder at `case_dir`: every finding of every layer.
///
/// Never panics on bad input; an unreadable folder is itself a finding.
#[must_use]
pub fn validate(case_dir: impl AsRef<Path>) -> ValidationReport {
    run(case_dir.as_ref(), None).1
}

/// [`validate`] with `overrides` deep-merged into `config.json` first
/// ([`overrides::merge_patch`]): the merged settings are checked by the
/// same validator, and findings about them name their path in
/// `config.json`.
#[must_use]
pub fn validate_with_overrides(
    case_dir: impl AsRef<Path>,
    overrides: &serde_json::Value,
) -> ValidationReport {
    run(case_dir.as_ref(), Some(overrides)).1
}

/// [`load_case_with_report`] with `overrides` deep-merged into
/// `config.json` first (see [`validate_with_overrides`]).
///
/// # Errors
/// [`LoadError::Invalid`] with the full report when any finding is an error.
pub fn load_case_with_overrides(
    case_dir: impl AsRef<Path>,
    overrides: &serde_json::Value,
) -> Result<(Case, ValidationReport), LoadError> {
    match run(case_dir.as_ref(), Some(overrides)) {
        (Some(case), report) => Ok((case, report)),
        (None, report) => Err(LoadError::Invalid(Box::new(report))),
    }
}

/// Reads and validates the case folder at `case_dir`, returning the case and
/// the report (which may hold warnings).
///
/// # Errors
/// [`LoadError::Invalid`] with the full report when any finding is an error.
pub fn load_case_with_report(
    case_dir: impl AsRef<Path>,
) -> Result<(Case, ValidationReport), LoadError> {
    match run(case_dir.as_ref(), None) {
        (Some(case), report) => Ok((case, report)),
        (None, report) => Err(LoadError::Invalid(Box::new(report))),
    }
}

/// Reads and validates the case folder at `case_dir`. Warnings are logged
/// through `tracing`.
///
/// # Errors
/// [`LoadError::Invalid`] with the full report when any finding is an error.
pub fn load_case(case_dir: impl AsRef<Path>) -> Result<Case, LoadError> {
    let (case, report) = load_case_with_report(case_dir)?;
    for w in report.warnings() {
        tracing::warn!("{w}");
    }
    Ok(case)
}
