//! Saving and loading policies in the facade: the engine's [`Policy`] and
//! its training history to and from a policy directory (`cobre-io`'s
//! versioned format), checked against the case.

use crate::Error;
use cobre_core::Case;
use cobre_io::output::{
    case_fingerprint, check_policy_fits, convergence_batch, read_policy, read_policy_file,
    records_from_batches, write_policy, Attachment, CaseFingerprint, OutputError, PolicyInfo,
    PolicyMetadata, CONVERGENCE_SCHEMA,
};
use cobre_sddp::{CheckpointSink, IterationRecord, Policy, SddpError, StudyModel};
use std::path::{Path, PathBuf};

/// File of the training history inside a policy directory.
pub const HISTORY_FILE: &str = "convergence.parquet";

/// A policy read back from disk, checked against a case.
#[derive(Debug, Clone)]
pub struct SavedPolicy {
    /// The cuts (in $) and warm-start bases.
    pub policy: Policy,
    /// Training history up to the save (empty when none was stored).
    pub records: Vec<IterationRecord>,
    /// `policy.json`.
    pub metadata: PolicyMetadata,
    /// Directory it was read from.
    pub dir: PathBuf,
}

pub(crate) fn save_with(
    dir: &Path,
    fingerprint: &CaseFingerprint,
    seed: u64,
    study: &StudyModel,
    policy: &Policy,
    records: &[IterationRecord],
) -> Result<PolicyMetadata, OutputError> {
    let iterations = records.last().map_or(0, |r| r.iteration);
    let table = policy.to_table(study, iterations);
    let history = convergence_batch(records).map_err(|e| OutputError::Encode {
        path: dir.join(HISTORY_FILE),
        message: e.to_string(),
    })?;
    let pool_stages = study.pool_stage_ids();
    let info = PolicyInfo {
        fingerprint,
        stage_ids: &pool_stages,
        lower_bound: records.last().map(|r| r.lower_bound),
        seed: Some(seed),
    };
    let attachment = Attachment {
        name: HISTORY_FILE,
        schema_name: CONVERGENCE_SCHEMA,
        schema: history.schema(),
        batches: std::slice::from_ref(&history),
    };
    write_policy(dir, &info, &table, &[attachment])
}

pub(crate) fn load_with(
    dir: &Path,
    fingerprint: &CaseFingerprint,
    study: &StudyModel,
) -> Result<SavedPolicy, Error> {
    let loaded = read_policy(dir)?;
    check_policy_fits(
        &loaded,
        fingerprint,
        &study.state_description(),
        &study.pool_stage_ids(),
    )?;
    let policy = Policy::from_table(&loaded.table).map_err(|e| {
        Error::from(OutputError::Corrupted {
            path: loaded.dir.clone(),
            message: e.to_string(),
        })
    })?;
    let records = if loaded.metadata.files.contains_key(HISTORY_FILE) {
        let batches = read_policy_file(&loaded.dir, &loaded.metadata, HISTORY_FILE)?;
        records_from_batches(&batches, &loaded.dir.join(HISTORY_FILE))?
    } else {
        Vec::new()
    };
    Ok(SavedPolicy {
        policy,
        records,
        metadata: loaded.metadata,
        dir: loaded.dir,
    })
}

/// Saves `policy` (trained on `case`, prepared as `study`) with its
/// training history into the policy directory `dir`, replacing any policy
/// there. Every file is written atomically and the directory is swapped in
/// whole.
///
/// # Errors
/// [`Error::Output`] when the case folder cannot be fingerprinted or a
/// file cannot be written.
pub fn save_policy(
    dir: impl AsRef<Path>,
    case: &Case,
    study: &StudyModel,
    policy: &Policy,
    records: &[IterationRecord],
) -> Result<PolicyMetadata, Error> {
    let fp = case_fingerprint(&case.root)?;
    Ok(save_with(
        dir.as_ref(),
        &fp,
        case.config.seed(),
        study,
        policy,
        records,
    )?)
}

/// Loads the policy in `dir` for `case` (prepared as `study`).
///
/// # Errors
/// [`Error::Output`]: kind `OutputCorrupted` for a truncated, modified or
/// unreadable policy (or an unknown format version), `PolicyIncompatible`
/// for a policy trained on another case (another system fingerprint, state
/// description or stage list), `Io` when it is missing.
pub fn load_policy(
    dir: impl AsRef<Path>,
    case: &Case,
    study: &StudyModel,
) -> Result<SavedPolicy, Error> {
    let fp = case_fingerprint(&case.root)?;
    load_with(dir.as_ref(), &fp, study)
}

/// Writes a checkpoint every `interval` iterations.
pub(crate) struct Checkpointer<'a> {
    pub dir: PathBuf,
    pub fingerprint: &'a CaseFingerprint,
    pub seed: u64,
    pub study: &'a StudyModel,
    pub interval: u64,
    pub written: u64,
}

impl CheckpointSink for Checkpointer<'_> {
    fn due(&self, iteration: u64) -> bool {
        self.interval > 0 && iteration % self.interval == 0
    }

    fn save(&mut self, policy: &Policy, records: &[IterationRecord]) -> Result<(), SddpError> {
        save_with(
            &self.dir,
            self.fingerprint,
            self.seed,
            self.study,
            policy,
            records,
        )
        .map_err(|e| SddpError::Sink {
            message: format!("writing a policy checkpoint: {e}"),
        })?;
        self.written += 1;
        tracing::info!(
            iteration = records.last().map_or(0, |r| r.iteration),
            dir = %self.dir.display(),
            "policy checkpoint written"
        );
        Ok(())
    }
}
