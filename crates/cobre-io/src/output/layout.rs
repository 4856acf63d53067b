//! The layout of an output directory and the checks on where a run may
//! write.
//!
//! ```text
//! <output>/
//!   manifest.json
//!   _SUCCESS                                  written last
//!   training/convergence.parquet
//!   training/solver_stats.parquet
//!   simulation/<entity>/scenario_block=<k>/part-0000.parquet
//!   stochastic/                               with `exports.stochastic`
//!   hydro_models/                             with `exports.fpha_deviation_points`
//!   policy/                                   (default `policy.path`)
//! ```

use super::atomic::sync_dir;
use super::OutputError;
use std::path::{Component, Path, PathBuf};

/// Marker of a complete run.
pub const SUCCESS: &str = "_SUCCESS";
/// Manifest file.
pub const MANIFEST: &str = "manifest.json";
/// Training outputs folder.
pub const TRAINING_DIR: &str = "training";
/// Simulation outputs folder.
pub const SIMULATION_DIR: &str = "simulation";
/// The stochastic model a run used (`exports.stochastic`).
pub const STOCHASTIC_DIR: &str = "stochastic";
/// Seasonal statistics of the inflows, per study stage.
pub const INFLOW_SEASONAL_STATS: &str = "stochastic/inflow_seasonal_stats.parquet";
/// The compiled inflow rows, per study stage and hydro.
pub const INFLOW_MODEL: &str = "stochastic/inflow_model.parquet";
/// The backward opening tree.
pub const NOISE_OPENINGS: &str = "stochastic/noise_openings.parquet";
/// The PAR(p) fit from history, when the case gave no coefficients.
pub const FIT_REPORT: &str = "stochastic/fit_report.json";
/// Derived hydro models (`exports.fpha_deviation_points`).
pub const HYDRO_MODELS_DIR: &str = "hydro_models";
/// The computed FPHA planes against the production function, per grid point.
pub const FPHA_DEVIATION_POINTS: &str = "hydro_models/fpha_deviation_points.parquet";
/// Per-iteration convergence records.
pub const CONVERGENCE: &str = "training/convergence.parquet";
/// Per-iteration LP statistics.
pub const SOLVER_STATS: &str = "training/solver_stats.parquet";
/// The forward passes' trial states (`exports.states`).
pub const VISITED_STATES: &str = "training/visited_states.parquet";
/// Name of the Hive partition key of simulation outputs.
pub const PARTITION_KEY: &str = "scenario_block";

/// Path of partition `block` of simulation table `entity`:
/// `simulation/<entity>/scenario_block=<block, 4 digits>/part-0000.parquet`.
#[must_use]
pub fn simulation_part(output: &Path, entity: &str, block: u64) -> PathBuf {
    output
        .join(SIMULATION_DIR)
        .join(entity)
        .join(format!("{PARTITION_KEY}={block:04}"))
        .join("part-0000.parquet")
}

/// Makes `dir` ready for a new run: removes `_SUCCESS` first (so the
/// directory stops looking complete at once), then the previous run's
/// `manifest.json`, `training/`, `simulation/`, `stochastic/` and
/// `hydro_models/`. Nothing else is touched.
///
/// # Errors
/// [`OutputError::Io`].
pub fn prepare_output_dir(dir: &Path) -> Result<(), OutputError> {
    super::atomic::create_dir_all(dir)?;
    for file in [SUCCESS, MANIFEST] {
        let p = dir.join(file);
        if p.exists() {
            std::fs::remove_file(&p).map_err(|e| OutputError::io("removing", &p, e))?;
        }
    }
    sync_dir(dir)?;
    for sub in [
        TRAINING_DIR,
        SIMULATION_DIR,
        STOCHASTIC_DIR,
        HYDRO_MODELS_DIR,
    ] {
        let p = dir.join(sub);
        if p.exists() {
            std::fs::remove_dir_all(&p).map_err(|e| OutputError::io("removing", &p, e))?;
        }
    }
    Ok(())
}

/// `path` with `.` and `..` resolved lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Resolves `policy.path` against the output directory (an absolute path
/// is used as is) and refuses a directory whose replacement would destroy
/// other outputs: empty, `.`, `..`, the output directory or one of its
/// ancestors, or anything under `training/`, `simulation/`, `stochastic/` or
/// `hydro_models/`.
///
/// # Errors
/// [`OutputError::InvalidPath`].
pub fn resolve_policy_dir(output: &Path, path: &str) -> Result<PathBuf, OutputError> {
    let refuse = |message: &str| OutputError::InvalidPath {
        path: PathBuf::from(path),
        message: message.into(),
    };
    if path.trim().is_empty() {
        return Err(refuse("the policy path is empty"));
    }
    let out = normalize(output);
    let dir = normalize(&output.join(path));
    if out.starts_with(&dir) {
        return Err(refuse(
            "a policy write replaces its whole directory: it cannot be the output directory or one of its parents",
        ));
    }
    for sub in [
        TRAINING_DIR,
        SIMULATION_DIR,
        STOCHASTIC_DIR,
        HYDRO_MODELS_DIR,
    ] {
        if dir.starts_with(out.join(sub)) {
            return Err(refuse(&format!(
                "`{sub}/` is cleared by every run; choose another policy directory"
            )));
        }
    }
    if dir.file_name().is_none() {
        return Err(refuse("the policy path names no directory"));
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn policy_dir_resolves_against_the_output_directory() {
        let out = Path::new("/tmp/run/out");
        assert_eq!(
            resolve_policy_dir(out, "./policy").unwrap(),
            PathBuf::from("/tmp/run/out/policy")
        );
        assert_eq!(
            resolve_policy_dir(out, "/data/p").unwrap(),
            PathBuf::from("/data/p")
        );
        assert_eq!(
            resolve_policy_dir(out, "../p").unwrap(),
            PathBuf::from("/tmp/run/p")
        );
    }

    #[test]
    fn policy_dir_that_would_destroy_outputs_is_refused() {
        let out = Path::new("/tmp/run/out");
        for bad in ["", ".", "..", "./", "/tmp", "training", "simulation/hydros"] {
            assert!(
                matches!(
                    resolve_policy_dir(out, bad),
                    Err(OutputError::InvalidPath { .. })
                ),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn preparing_removes_the_success_marker_and_old_results_only() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join(SUCCESS), "").unwrap();
        std::fs::create_dir_all(d.join("simulation/hydros")).unwrap();
        std::fs::create_dir_all(d.join("policy")).unwrap();
        std::fs::write(d.join("notes.txt"), "keep").unwrap();
        prepare_output_dir(d).unwrap();
        assert!(!d.join(SUCCESS).exists());
        assert!(!d.join("simulation").exists());
        assert!(d.join("policy").exists());
        assert!(d.join("notes.txt").exists());
    }
}
