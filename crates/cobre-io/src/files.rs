//! The input files of a case folder and the structural layer.
//!
//! [`FILES`] is the one list of every file the 0.18 layout knows. The
//! structural layer ([`check_structure`]) looks at each of them once: a
//! required file must exist; an existing file must be a regular, non-empty,
//! readable file; JSON must be UTF-8; Parquet must carry the `PAR1` magic. The
//! bytes read here are what the schema layer parses.

use crate::report::{Finding, FindingContext, FindingKind, Layer, Severity, Sink};
use crate::util::did_you_mean;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// File names, relative to the case folder.
pub(crate) mod name {
    pub const CONFIG: &str = "config.json";
    pub const STAGES: &str = "stages.json";
    pub const PENALTIES: &str = "penalties.json";
    pub const INITIAL: &str = "initial_conditions.json";
    pub const POST_STUDY: &str = "post_study_stages.json";
    pub const BUSES: &str = "system/buses.json";
    pub const LINES: &str = "system/lines.json";
    pub const THERMALS: &str = "system/thermals.json";
    pub const HYDROS: &str = "system/hydros.json";
    pub const NCS: &str = "system/non_controllable_sources.json";
    pub const PUMPING: &str = "system/pumping_stations.json";
    pub const CONTRACTS: &str = "system/energy_contracts.json";
    pub const PRODUCTION_MODELS: &str = "system/hydro_production_models.json";
    pub const FPHA: &str = "system/fpha_hyperplanes.parquet";
    pub const GEOMETRY: &str = "system/hydro_geometry.parquet";
    pub const PRODUCTIVITY: &str = "system/hydro_energy_productivity.parquet";
    pub const TAILRACE_CURVES: &str = "system/tailrace_curves.parquet";
    pub const SCALAR_PARAMETERS: &str = "system/scalar_parameters.json";
    pub const INFLOW_STATS: &str = "scenarios/inflow_seasonal_stats.parquet";
    pub const AR: &str = "scenarios/inflow_ar_coefficients.parquet";
    pub const HISTORY: &str = "scenarios/inflow_history.parquet";
    pub const ANNUAL: &str = "scenarios/inflow_annual_component.parquet";
    pub const LOAD_STATS: &str = "scenarios/load_seasonal_stats.parquet";
    pub const LOAD_FACTORS: &str = "scenarios/load_factors.json";
    pub const NCS_STATS: &str = "scenarios/non_controllable_stats.parquet";
    pub const NCS_FACTORS: &str = "scenarios/non_controllable_factors.json";
    pub const CORRELATION: &str = "scenarios/correlation.json";
    pub const EXTERNAL_INFLOW: &str = "scenarios/external_inflow_scenarios.parquet";
    pub const EXTERNAL_LOAD: &str = "scenarios/external_load_scenarios.parquet";
    pub const EXTERNAL_NCS: &str = "scenarios/external_ncs_scenarios.parquet";
    pub const NOISE_OPENINGS: &str = "scenarios/noise_openings.parquet";
    pub const THERMAL_BOUNDS: &str = "constraints/thermal_bounds.parquet";
    pub const HYDRO_BOUNDS: &str = "constraints/hydro_bounds.parquet";
    pub const LINE_BOUNDS: &str = "constraints/line_bounds.parquet";
    pub const NCS_BOUNDS: &str = "constraints/ncs_bounds.parquet";
    pub const PUMPING_BOUNDS: &str = "constraints/pumping_bounds.parquet";
    pub const CONTRACT_BOUNDS: &str = "constraints/contract_bounds.parquet";
    pub const UNIT_GROUP_BOUNDS: &str = "constraints/hydro_unit_group_bounds.parquet";
    pub const EXCHANGE_FACTORS: &str = "constraints/exchange_factors.json";
    pub const GENERIC: &str = "constraints/generic_constraints.json";
    pub const GENERIC_BOUNDS: &str = "constraints/generic_constraint_bounds.parquet";
    pub const GENERIC_PARAMETERS: &str = "constraints/generic_parameters.json";
    pub const PENALTY_BUS: &str = "constraints/penalty_overrides_bus.parquet";
    pub const PENALTY_LINE: &str = "constraints/penalty_overrides_line.parquet";
    pub const PENALTY_HYDRO: &str = "constraints/penalty_overrides_hydro.parquet";
    pub const PENALTY_NCS: &str = "constraints/penalty_overrides_ncs.parquet";
}

/// JSON or Parquet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Parquet,
}

/// One input file of the layout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileSpec {
    pub rel: &'static str,
    pub required: bool,
    pub format: Format,
}

const fn req(rel: &'static str) -> FileSpec {
    FileSpec {
        rel,
        required: true,
        format: Format::Json,
    }
}
const fn json(rel: &'static str) -> FileSpec {
    FileSpec {
        rel,
        required: false,
        format: Format::Json,
    }
}
const fn pq(rel: &'static str) -> FileSpec {
    FileSpec {
        rel,
        required: false,
        format: Format::Parquet,
    }
}

/// Every file of the 0.18 layout.
pub(crate) const FILES: &[FileSpec] = &[
    req(name::CONFIG),
    req(name::STAGES),
    req(name::PENALTIES),
    req(name::INITIAL),
    json(name::POST_STUDY),
    req(name::BUSES),
    req(name::LINES),
    req(name::THERMALS),
    req(name::HYDROS),
    json(name::NCS),
    json(name::PUMPING),
    json(name::CONTRACTS),
    json(name::PRODUCTION_MODELS),
    pq(name::FPHA),
    pq(name::GEOMETRY),
    pq(name::PRODUCTIVITY),
    pq(name::TAILRACE_CURVES),
    json(name::SCALAR_PARAMETERS),
    pq(name::INFLOW_STATS),
    pq(name::AR),
    pq(name::HISTORY),
    pq(name::ANNUAL),
    pq(name::LOAD_STATS),
    json(name::LOAD_FACTORS),
    pq(name::NCS_STATS),
    json(name::NCS_FACTORS),
    json(name::CORRELATION),
    pq(name::EXTERNAL_INFLOW),
    pq(name::EXTERNAL_LOAD),
    pq(name::EXTERNAL_NCS),
    pq(name::NOISE_OPENINGS),
    pq(name::THERMAL_BOUNDS),
    pq(name::HYDRO_BOUNDS),
    pq(name::LINE_BOUNDS),
    pq(name::NCS_BOUNDS),
    pq(name::PUMPING_BOUNDS),
    pq(name::CONTRACT_BOUNDS),
    pq(name::UNIT_GROUP_BOUNDS),
    json(name::EXCHANGE_FACTORS),
    json(name::GENERIC),
    pq(name::GENERIC_BOUNDS),
    json(name::GENERIC_PARAMETERS),
    pq(name::PENALTY_BUS),
    pq(name::PENALTY_LINE),
    pq(name::PENALTY_HYDRO),
    pq(name::PENALTY_NCS),
];

/// What the structural layer found for one file.
#[derive(Debug, Clone)]
pub(crate) enum FileState {
    /// Not in the folder.
    Absent,
    /// Present but not usable (reported).
    Broken,
    /// JSON text.
    Json(String),
    /// Parquet bytes.
    Parquet(Bytes),
}

/// The files of a case after the structural layer.
#[derive(Debug, Default)]
pub(crate) struct CaseFiles {
    states: BTreeMap<&'static str, FileState>,
}

impl CaseFiles {
    /// The state of a file (`Absent` for names not in the layout).
    pub(crate) fn state(&self, rel: &str) -> &FileState {
        self.states.get(rel).unwrap_or(&FileState::Absent)
    }

    /// Whether the file exists in the folder (readable or not).
    pub(crate) fn exists(&self, rel: &str) -> bool {
        !matches!(self.state(rel), FileState::Absent)
    }

    /// Deep-merges `patch` into `config.json`'s text (see
    /// [`crate::overrides`]); a patch that is not an object, or a file
    /// that is not valid JSON, is left to the reader to report.
    pub(crate) fn merge_config(&mut self, patch: &serde_json::Value, sink: &mut Sink) {
        if !patch.is_object() {
            sink.push(
                Finding::error(
                    FindingKind::TypeMismatch,
                    Layer::Structural,
                    FindingContext::file(name::CONFIG),
                    format!(
                        "the settings overrides must be an object (keys of config.json), found {}",
                        crate::json::type_name(patch)
                    ),
                )
                .suggest("pass a dict such as {\"training\": {\"stopping_rules\": [...]}}"),
            );
            return;
        }
        let Some(FileState::Json(text)) = self.states.get(name::CONFIG) else {
            return;
        };
        let Ok(mut value) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        crate::overrides::merge_patch(&mut value, patch);
        self.states
            .insert(name::CONFIG, FileState::Json(value.to_string()));
    }
}

fn parse_error(sink: &mut Sink, rel: &str, msg: String, hint: &str) {
    sink.push(
        Finding::error(
            FindingKind::ParseError,
            Layer::Structural,
            FindingContext::file(rel),
            msg,
        )
        .suggest(hint),
    );
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes
        .get(..offset)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

/// Why a case file's bytes could not be loaded.
enum LoadError {
    /// The file does not exist.
    Missing,
    /// The path cannot be read as a file: the message and the hint to report.
    Broken(String, &'static str),
}

/// The bytes of the case file `spec`, when it exists and is a readable,
/// non-empty file.
fn load(root: &Path, spec: &FileSpec) -> Result<Vec<u8>, LoadError> {
    let path = root.join(spec.rel);
    let meta = std::fs::metadata(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            LoadError::Missing
        } else {
            LoadError::Broken(
                format!("cannot access `{}`: {e}", spec.rel),
                "check the file permissions",
            )
        }
    })?;
    if meta.is_dir() {
        return Err(LoadError::Broken(
            format!("`{}` is a directory, a file is expected", spec.rel),
            "replace the directory by the file",
        ));
    }
    let bytes = std::fs::read(&path).map_err(|e| {
        LoadError::Broken(
            format!("cannot read `{}`: {e}", spec.rel),
            "check the file permissions",
        )
    })?;
    if bytes.is_empty() {
        return Err(LoadError::Broken(
            format!("`{}` is empty", spec.rel),
            "write the file's content, or remove the file if it is optional",
        ));
    }
    Ok(bytes)
}

fn check_file(root: &Path, spec: &FileSpec, sink: &mut Sink) -> FileState {
    let bytes = match load(root, spec) {
        Ok(bytes) => bytes,
        Err(LoadError::Missing) => {
            if spec.required {
                sink.push(
                    Finding::error(
                        FindingKind::MissingFile,
                        Layer::Structural,
                        FindingContext::file(spec.rel),
                        format!("required file `{}` is missing", spec.rel),
                    )
                    .suggest(format!("create `{}` in the case folder", spec.rel)),
                );
            }
            return FileState::Absent;
        }
        Err(LoadError::Broken(msg, hint)) => {
            parse_error(sink, spec.rel, msg, hint);
            return FileState::Broken;
        }
    };
    match spec.format {
        Format::Json => match String::from_utf8(bytes) {
            Ok(text) => FileState::Json(text),
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                let line = line_of(e.as_bytes(), offset);
                sink.push(
                    Finding::error(
                        FindingKind::ParseError,
                        Layer::Structural,
                        FindingContext::file(spec.rel).line(line),
                        format!(
                            "`{}` is not valid UTF-8 (invalid byte at offset {offset}, line {line})",
                            spec.rel
                        ),
                    )
                    .suggest("save the file as UTF-8"),
                );
                FileState::Broken
            }
        },
        Format::Parquet => {
            let magic = b"PAR1";
            if bytes.len() < 12 || !bytes.starts_with(magic) || !bytes.ends_with(magic) {
                parse_error(
                    sink,
                    spec.rel,
                    format!(
                        "`{}` is not a Parquet file (bad magic bytes or truncated)",
                        spec.rel
                    ),
                    "write the file with a Parquet writer (pyarrow, polars)",
                );
                return FileState::Broken;
            }
            FileState::Parquet(Bytes::from(bytes))
        }
    }
}

/// Directories whose content the layout defines.
const SUBDIRS: [&str; 3] = ["system", "scenarios", "constraints"];

fn unknown_files(root: &Path, sink: &mut Sink) {
    let known: Vec<&str> = FILES.iter().map(|f| f.rel).collect();
    let mut dirs: Vec<(String, PathBuf)> = vec![(String::new(), root.to_path_buf())];
    dirs.extend(SUBDIRS.iter().map(|d| (format!("{d}/"), root.join(d))));
    for (prefix, dir) in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json") || n.ends_with(".parquet"))
            .collect();
        names.sort();
        for n in names {
            let rel = format!("{prefix}{n}");
            if !known.contains(&rel.as_str()) {
                sink.push(
                    Finding::new(
                        Severity::Warning,
                        FindingKind::SchemaViolation,
                        Layer::Structural,
                        FindingContext::file(rel.clone()),
                        format!("`{rel}` is not part of the case format and is ignored"),
                    )
                    .suggest(did_you_mean(&rel, &known)),
                );
            }
        }
    }
}

/// Layer 1: looks at every file of the layout under `root`.
pub(crate) fn check_structure(root: &Path, sink: &mut Sink) -> CaseFiles {
    let mut files = CaseFiles::default();
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            parse_error(
                sink,
                ".",
                format!("`{}` is not a directory", root.display()),
                "pass the path of the case folder",
            );
            return files;
        }
        Err(e) => {
            sink.push(
                Finding::error(
                    FindingKind::MissingFile,
                    Layer::Structural,
                    FindingContext::file("."),
                    format!("case folder `{}` cannot be opened: {e}", root.display()),
                )
                .suggest("check the path of the case folder"),
            );
            return files;
        }
    }
    for spec in FILES {
        let state = check_file(root, spec, sink);
        files.states.insert(spec.rel, state);
    }
    unknown_files(root, sink);
    files
}
