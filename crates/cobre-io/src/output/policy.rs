//! The on-disk policy format, version [`POLICY_FORMAT_VERSION`].
//!
//! ```text
//! policy/
//!   policy.json      metadata: format, version, fingerprints, state description,
//!                    stages, iterations, and the SHA-256 of every data file
//!   cuts.parquet     one row per cut (see `docs/outputs.md`)
//!   bases.parquet    one row per stage with a warm-start basis (optional)
//!   <attachments>    e.g. convergence.parquet, the training history to resume
//! ```
//!
//! A policy directory is replaced as a whole: every file is written into a
//! hidden staging directory beside it, which is then swapped in by two
//! renames (old → `.<name>.old-…`, staging → `<name>`), so a reader sees the
//! old policy or the new one, never a mix. Should a process die between the
//! two renames, [`read_policy`] finds the old one. Every data file is
//! checked against the size and SHA-256 recorded in `policy.json` before it
//! is decoded: a truncated or modified file is [`OutputError::Corrupted`].

use super::atomic::{create_dir_all, sync_dir, temp_path_for, write_atomic};
use super::cuts::{bases_batch, cuts_batch, read_bases, read_cuts};
use super::fingerprint::{sha256_hex, CaseFingerprint};
use super::parquet::{decode_parquet, write_parquet};
pub use super::policy_meta::{FileEntry, PolicyMetadata, StageEntry, StateEntry};
use super::{timestamp_now, OutputError};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use cobre_core::policy::{PolicyTable, StateVariable};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Value of `policy.json → format`.
pub const POLICY_FORMAT: &str = "cobre-policy";
/// The policy format version this build writes and reads.
pub const POLICY_FORMAT_VERSION: u32 = 1;
/// Metadata file name.
pub const POLICY_JSON: &str = "policy.json";
/// Cuts file name.
pub const CUTS_FILE: &str = "cuts.parquet";
/// Bases file name.
pub const BASES_FILE: &str = "bases.parquet";

/// What the caller knows about a policy beyond its table.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInfo<'a> {
    /// Fingerprints of the case.
    pub fingerprint: &'a CaseFingerprint,
    /// Stage ids, in order (one per stage of the table).
    pub stage_ids: &'a [i32],
    /// Lower bound at the last iteration ($).
    pub lower_bound: Option<f64>,
    /// Seed of the training scenario streams.
    pub seed: Option<u64>,
}

/// An extra Parquet file stored with the policy (checksummed like the cuts).
#[derive(Debug, Clone)]
pub struct Attachment<'a> {
    /// File name inside the policy directory (`convergence.parquet`).
    pub name: &'a str,
    /// Schema name recorded in the file.
    pub schema_name: &'a str,
    /// Arrow schema.
    pub schema: SchemaRef,
    /// Rows.
    pub batches: &'a [RecordBatch],
}

/// A policy read back.
#[derive(Debug, Clone)]
pub struct LoadedPolicy {
    /// Directory it was read from (possibly the recovered old copy).
    pub dir: PathBuf,
    /// `policy.json`.
    pub metadata: PolicyMetadata,
    /// The cuts, state description and bases.
    pub table: PolicyTable,
}

/// Writes `table` as a policy directory `dir`, replacing any previous one.
///
/// # Errors
/// [`OutputError::InvalidPath`] for a table inconsistent with its state,
/// [`OutputError::Io`] or [`OutputError::Encode`]; the previous policy (if
/// any) stays in place on failure.
pub fn write_policy(
    dir: &Path,
    info: &PolicyInfo<'_>,
    table: &PolicyTable,
    attachments: &[Attachment<'_>],
) -> Result<PolicyMetadata, OutputError> {
    let n_state = table.n_state();
    if let Some((t, _)) = table
        .stages
        .iter()
        .enumerate()
        .find(|(_, s)| !s.is_consistent(n_state))
    {
        return Err(OutputError::InvalidPath {
            path: dir.to_path_buf(),
            message: format!("stage {t}: cut columns inconsistent with {n_state} state variables"),
        });
    }
    let staging = temp_path_for(dir, "staging");
    create_dir_all(&staging)?;
    let result = write_contents(&staging, info, table, attachments).and_then(|meta| {
        swap_in(&staging, dir)?;
        Ok(meta)
    });
    if result.is_err() && staging.exists() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn write_contents(
    staging: &Path,
    info: &PolicyInfo<'_>,
    table: &PolicyTable,
    attachments: &[Attachment<'_>],
) -> Result<PolicyMetadata, OutputError> {
    let mut files = BTreeMap::new();
    let mut record =
        |name: &str, schema: &SchemaRef, batches: &[RecordBatch], schema_name: &str| {
            let path = staging.join(name);
            let written = write_parquet(&path, schema, batches, schema_name)?;
            let bytes = std::fs::read(&path).map_err(|e| OutputError::io("reading", &path, e))?;
            files.insert(
                name.to_string(),
                FileEntry {
                    bytes: written.bytes,
                    sha256: sha256_hex(&bytes),
                    rows: written.rows,
                },
            );
            Ok::<(), OutputError>(())
        };
    let cuts = cuts_batch(table, info.stage_ids).map_err(|m| OutputError::encode(staging, m))?;
    record(
        CUTS_FILE,
        &cuts.schema(),
        std::slice::from_ref(&cuts),
        "policy.cuts/1",
    )?;
    if table.bases.iter().any(Option::is_some) {
        let bases = bases_batch(table).map_err(|m| OutputError::encode(staging, m))?;
        record(
            BASES_FILE,
            &bases.schema(),
            std::slice::from_ref(&bases),
            "policy.bases/1",
        )?;
    }
    for a in attachments {
        record(a.name, &a.schema, a.batches, a.schema_name)?;
    }
    let metadata = PolicyMetadata {
        format: POLICY_FORMAT.into(),
        format_version: POLICY_FORMAT_VERSION,
        cobre_version: env!("CARGO_PKG_VERSION").into(),
        created_at: timestamp_now(),
        case_fingerprint: info.fingerprint.case.clone(),
        system_fingerprint: info.fingerprint.system.clone(),
        iterations: table.iterations,
        lower_bound: info.lower_bound.filter(|v| v.is_finite()),
        seed: info.seed,
        state: table
            .state
            .iter()
            .enumerate()
            .map(|(i, v)| StateEntry::new(i, v))
            .collect(),
        stages: table
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| StageEntry {
                index: i,
                stage_id: info.stage_ids.get(i).copied().unwrap_or(s.stage_id),
                num_cuts: s.len(),
            })
            .collect(),
        files,
    };
    let json_path = staging.join(POLICY_JSON);
    let json =
        serde_json::to_vec_pretty(&metadata).map_err(|e| OutputError::encode(&json_path, e))?;
    write_atomic(&json_path, &json)?;
    sync_dir(staging)?;
    Ok(metadata)
}

/// Replaces `dir` by `staging` with two renames.
fn swap_in(staging: &Path, dir: &Path) -> Result<(), OutputError> {
    let old = temp_path_for(dir, "old");
    let had_old = dir.exists();
    if had_old {
        std::fs::rename(dir, &old).map_err(|e| OutputError::io("renaming", dir, e))?;
    }
    if let Err(e) = std::fs::rename(staging, dir) {
        if had_old {
            let _ = std::fs::rename(&old, dir);
        }
        return Err(OutputError::io("renaming into", dir, e));
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent)?;
    }
    if had_old {
        if let Err(e) = std::fs::remove_dir_all(&old) {
            tracing::warn!(path = %old.display(), error = %e, "could not remove the previous policy");
        }
    }
    Ok(())
}

/// The directory to read: `dir`, or the old copy a swap interrupted
/// between its two renames left beside it.
fn locate(dir: &Path) -> Result<PathBuf, OutputError> {
    if dir.join(POLICY_JSON).is_file() {
        return Ok(dir.to_path_buf());
    }
    let name = dir
        .file_name()
        .map(|n| format!(".{}.old-", n.to_string_lossy()))
        .unwrap_or_default();
    let parent = dir.parent().unwrap_or(Path::new("."));
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| !name.is_empty() && e.file_name().to_string_lossy().starts_with(&name))
        .map(|e| e.path())
        .filter(|p| p.join(POLICY_JSON).is_file())
        .collect();
    candidates.sort();
    match candidates.pop() {
        Some(old) => {
            tracing::warn!(
                path = %old.display(),
                "the policy directory was being replaced when a run stopped; reading the previous policy"
            );
            Ok(old)
        }
        None => Err(OutputError::NotFound {
            path: dir.join(POLICY_JSON),
        }),
    }
}

/// Reads one data file of a policy, checked against `policy.json`.
///
/// # Errors
/// [`OutputError::NotFound`] when the metadata does not list it,
/// [`OutputError::Corrupted`] when its size or checksum differ or it does
/// not decode.
pub fn read_policy_file(
    loaded_dir: &Path,
    metadata: &PolicyMetadata,
    name: &str,
) -> Result<Vec<RecordBatch>, OutputError> {
    let path = loaded_dir.join(name);
    let Some(entry) = metadata.files.get(name) else {
        return Err(OutputError::NotFound { path });
    };
    let bytes = std::fs::read(&path).map_err(|e| OutputError::io("reading", &path, e))?;
    if bytes.len() as u64 != entry.bytes {
        return Err(OutputError::corrupted(
            &path,
            format!(
                "{} bytes on disk, {} recorded in {POLICY_JSON} (truncated?)",
                bytes.len(),
                entry.bytes
            ),
        ));
    }
    if sha256_hex(&bytes) != entry.sha256 {
        return Err(OutputError::corrupted(
            &path,
            format!("its SHA-256 differs from the one recorded in {POLICY_JSON}"),
        ));
    }
    decode_parquet(&path, bytes)
}

/// Reads a policy directory.
///
/// # Errors
/// [`OutputError::NotFound`] without a policy, [`OutputError::Corrupted`]
/// for an unreadable, truncated or modified file,
/// [`OutputError::UnsupportedVersion`] for another format version.
pub fn read_policy(dir: &Path) -> Result<LoadedPolicy, OutputError> {
    let dir = locate(dir)?;
    let json_path = dir.join(POLICY_JSON);
    let bytes = std::fs::read(&json_path).map_err(|e| OutputError::io("reading", &json_path, e))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| OutputError::corrupted(&json_path, format!("invalid JSON: {e}")))?;
    let format = value.get("format").and_then(serde_json::Value::as_str);
    if format != Some(POLICY_FORMAT) {
        return Err(OutputError::corrupted(
            &json_path,
            format!("`format` is {format:?}, expected \"{POLICY_FORMAT}\""),
        ));
    }
    let version = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| OutputError::corrupted(&json_path, "no `format_version`"))?;
    if version != u64::from(POLICY_FORMAT_VERSION) {
        return Err(OutputError::UnsupportedVersion {
            path: json_path,
            found: u32::try_from(version).unwrap_or(u32::MAX),
            supported: POLICY_FORMAT_VERSION,
        });
    }
    let metadata: PolicyMetadata = serde_json::from_value(value)
        .map_err(|e| OutputError::corrupted(&json_path, e.to_string()))?;
    let state = metadata
        .state
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.variable().filter(|_| s.index == i).ok_or_else(|| {
                OutputError::corrupted(&json_path, format!("state entry {i} is malformed"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cuts_path = dir.join(CUTS_FILE);
    let cuts = read_policy_file(&dir, &metadata, CUTS_FILE)?;
    let stages =
        read_cuts(&cuts, &metadata, &state).map_err(|m| OutputError::corrupted(&cuts_path, m))?;
    let bases = if metadata.files.contains_key(BASES_FILE) {
        let batches = read_policy_file(&dir, &metadata, BASES_FILE)?;
        read_bases(&batches, metadata.stages.len())
            .map_err(|m| OutputError::corrupted(&dir.join(BASES_FILE), m))?
    } else {
        vec![None; metadata.stages.len()]
    };
    let table = PolicyTable {
        state,
        stages,
        bases,
        iterations: metadata.iterations,
    };
    Ok(LoadedPolicy {
        dir,
        metadata,
        table,
    })
}

/// Checks that a loaded policy fits a case: same system fingerprint, same
/// state description, same stages. A differing `config.json` alone is
/// accepted (and logged).
///
/// # Errors
/// [`OutputError::Incompatible`] naming the first difference.
pub fn check_policy_fits(
    loaded: &LoadedPolicy,
    fingerprint: &CaseFingerprint,
    state: &[StateVariable],
    stage_ids: &[i32],
) -> Result<(), OutputError> {
    let m = &loaded.metadata;
    let refuse = |message: String| OutputError::Incompatible {
        path: loaded.dir.clone(),
        message,
    };
    if m.system_fingerprint != fingerprint.system {
        return Err(refuse(format!(
            "it was trained on another case (system fingerprint {} in the policy, {} for this case); \
             train afresh with `policy.mode = \"fresh\"`",
            m.system_fingerprint, fingerprint.system
        )));
    }
    if loaded.table.state.len() != state.len() {
        return Err(refuse(format!(
            "{} state variables in the policy, {} in the case",
            loaded.table.state.len(),
            state.len()
        )));
    }
    if let Some((i, (a, b))) = loaded
        .table
        .state
        .iter()
        .zip(state)
        .enumerate()
        .find(|(_, (a, b))| a != b)
    {
        return Err(refuse(format!(
            "state variable {i} is {} in the policy and {} in the case",
            a.name(),
            b.name()
        )));
    }
    let ids: Vec<i32> = m.stages.iter().map(|s| s.stage_id).collect();
    if ids != stage_ids {
        return Err(refuse(format!(
            "stages {ids:?} in the policy, {stage_ids:?} in the case"
        )));
    }
    if m.case_fingerprint != fingerprint.case {
        tracing::info!(
            "config.json differs from the run that saved the policy in {}; the model is the same",
            loaded.dir.display()
        );
    }
    Ok(())
}
