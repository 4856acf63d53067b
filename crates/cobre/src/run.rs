//! `run_study`: the one orchestration entry point of a study, shared by the
//! command line and Python.
//!
//! ```text
//! prepare <output> (remove _SUCCESS, manifest.json, training/, simulation/)
//! load the starting policy (policy.mode = warm_start | resume), check it fits
//! train (checkpoints every policy.checkpointing.interval_iterations)
//!   → training/convergence.parquet, training/solver_stats.parquet, <policy>/
//! simulate, streaming to simulation/<entity>/scenario_block=<k>/part-0000.parquet
//! manifest.json, then _SUCCESS (only when nothing was cut short)
//! ```
//!
//! [`run_study_with`] runs the same on every process of a distributed run
//! (the command line's MPI ranks): every rank trains (the same policy on
//! every rank) and simulates its share of whole output partitions into its
//! own files; rank 0 alone prepares the folder, writes the training outputs,
//! the policy, the checkpoints, the manifest and `_SUCCESS`, the last two
//! after every rank has finished its simulation. Each step ends with every
//! rank learning whether every other one succeeded, so a failure on one
//! rank fails the run on all of them.

use crate::outputs::policy::{load_with, save_with, Checkpointer};
use crate::outputs::simulation::ParquetSink;
use crate::outputs::training::{
    convergence_batch, solver_stats_batch, CONVERGENCE_SCHEMA, SOLVER_STATS_SCHEMA,
};
use crate::ranks::{agree, simulation_files};
use crate::Error;
use cobre_core::config::PolicyMode;
use cobre_core::Case;
use cobre_io::output::{
    case_fingerprint, layout, prepare_output_dir, resolve_policy_dir, timestamp_now,
    write_manifest, write_parquet, write_success, FileInfo, Manifest, ManifestCase, ManifestPolicy,
    ManifestSimulation, ManifestTraining, OutputError, MANIFEST_FORMAT_VERSION,
};
use cobre_sddp::communicator::{block_share, Collectives};
use cobre_sddp::{
    simulate_with, train, Communicator, Control, IterationRecord, LocalCommunicator, Policy,
    ScenarioResult, SddpError, SimulationHooks, SimulationSettings, SimulationSink, StopFlag,
    StudyModel, TerminationReason, TrainingHooks, TrainingObserver, TrainingResult,
    TrainingSettings, TrainingStart,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How to run a study (what the case's `config.json` does not say).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Output directory (created when missing).
    pub output_dir: PathBuf,
    /// Worker threads (≥ 1) of each process; results do not depend on it.
    pub threads: usize,
    /// Scenarios per simulation partition (`scenario_block`).
    pub scenarios_per_partition: usize,
    /// Raised by another thread to stop at the next iteration or scenario.
    pub stop: Option<StopFlag>,
}

impl RunOptions {
    /// Defaults: one thread, 100 scenarios per partition.
    #[must_use]
    pub fn new(output_dir: impl Into<PathBuf>) -> Self {
        Self {
            output_dir: output_dir.into(),
            threads: 1,
            scenarios_per_partition: 100,
            stop: None,
        }
    }
}

/// The phases of a run, announced to a [`RunObserver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunPhase {
    /// Training starts; `max_iterations` is the iteration limit of the case
    /// (the limit that always ends training).
    Training {
        /// Iteration limit, when the case sets one.
        max_iterations: Option<u64>,
    },
    /// Simulation of `scenarios` scenarios starts.
    Simulation {
        /// Scenarios to simulate.
        scenarios: usize,
    },
}

/// What a caller of [`run_study_observed`] sees while a study runs (the
/// command line's progress display). Every method has a no-op default.
pub trait RunObserver: Send {
    /// A phase starts.
    fn on_phase(&mut self, _phase: RunPhase) {}
    /// A training iteration finished; may ask training to stop.
    fn on_iteration(&mut self, _record: &IterationRecord) -> Control {
        Control::Continue
    }
    /// `done` of `total` scenarios are simulated and handed to the writer
    /// (this process's share of them in a distributed run).
    fn on_scenario(&mut self, _done: usize, _total: usize) {}
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRunObserver;

impl RunObserver for NoRunObserver {}

struct IterationsTo<'a>(&'a mut dyn RunObserver);

impl TrainingObserver for IterationsTo<'_> {
    fn on_iteration(&mut self, record: &IterationRecord) -> Control {
        self.0.on_iteration(record)
    }
}

struct ObservedSink<'a> {
    inner: &'a mut ParquetSink,
    observer: &'a mut dyn RunObserver,
    done: usize,
    total: usize,
}

impl SimulationSink for ObservedSink<'_> {
    fn accept(&mut self, result: ScenarioResult) -> Result<(), SddpError> {
        self.inner.accept(result)?;
        self.done += 1;
        self.observer.on_scenario(self.done, self.total);
        Ok(())
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// Where the outputs are.
    pub output_dir: PathBuf,
    /// Where the policy was saved.
    pub policy_dir: PathBuf,
    /// Whether everything ran to the end (`_SUCCESS` written).
    pub complete: bool,
    /// Processes (ranks) of the run.
    pub ranks: usize,
    /// Training outcome, when training ran.
    pub training: Option<TrainingResult>,
    /// Scenarios simulated.
    pub simulated_scenarios: usize,
    /// Mean total cost of the simulated scenarios ($).
    pub mean_cost: Option<f64>,
    /// The manifest written.
    pub manifest: Manifest,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn relative(info: FileInfo, root: &Path) -> FileInfo {
    FileInfo {
        path: info
            .path
            .strip_prefix(root)
            .map(Path::to_path_buf)
            .unwrap_or(info.path),
        ..info
    }
}

fn write_table(
    out: &Path,
    rel: &str,
    batch: Result<arrow::record_batch::RecordBatch, arrow::error::ArrowError>,
    schema_name: &str,
) -> Result<FileInfo, Error> {
    let path = out.join(rel);
    let batch = batch.map_err(|e| OutputError::Encode {
        path: path.clone(),
        message: e.to_string(),
    })?;
    Ok(write_parquet(
        &path,
        &batch.schema(),
        std::slice::from_ref(&batch),
        schema_name,
    )?)
}

/// Rank 0's training outputs: the convergence and solver tables, then the
/// policy.
fn write_training(
    out: &Path,
    policy_dir: &Path,
    fingerprint: &cobre_io::output::CaseFingerprint,
    seed: u64,
    study: &StudyModel,
    result: &TrainingResult,
) -> Result<Vec<FileInfo>, Error> {
    let files = vec![
        write_table(
            out,
            layout::CONVERGENCE,
            convergence_batch(&result.records),
            CONVERGENCE_SCHEMA,
        )?,
        write_table(
            out,
            layout::SOLVER_STATS,
            solver_stats_batch(&result.records),
            SOLVER_STATS_SCHEMA,
        )?,
    ];
    save_with(
        policy_dir,
        fingerprint,
        seed,
        study,
        &result.policy,
        &result.records,
    )?;
    Ok(files)
}

/// Runs a study: train (respecting `policy.mode` and checkpoints), write
/// the training outputs and the policy, simulate streaming to Parquet,
/// write the manifest, then `_SUCCESS`.
///
/// A run stopped through [`RunOptions::stop`] still writes what it has
/// (training outputs, policy, the simulated partitions, a manifest with
/// `status = "interrupted"`) but no `_SUCCESS`, and returns with
/// `complete = false`.
///
/// # Errors
/// [`Error::Output`] for an unusable output or policy path, a policy that
/// is corrupted (`OutputCorrupted`) or from another case
/// (`PolicyIncompatible`), or a file that cannot be written;
/// [`Error::Engine`] when training or simulation fails.
pub fn run_study(case: &Case, options: &RunOptions) -> Result<RunSummary, Error> {
    run_study_observed(case, options, &mut NoRunObserver)
}

/// [`run_study`], reporting its phases, iterations and simulated scenarios
/// to `observer` (which may stop training early, like a stopping rule: the
/// run then goes on to simulate and completes).
///
/// # Errors
/// As [`run_study`].
pub fn run_study_observed(
    case: &Case,
    options: &RunOptions,
    observer: &mut dyn RunObserver,
) -> Result<RunSummary, Error> {
    run_study_with(case, options, observer, &LocalCommunicator)
}

/// [`run_study_observed`] as one process (`comm.rank()` of `comm.size()`)
/// of a distributed run: call it on every process with the same case and
/// options. The output folder must be one folder seen by every process (a
/// shared file system across machines). Results are bit-identical to one
/// process's for any number of processes and threads.
///
/// Only rank 0 calls `observer`'s `on_phase` and `on_iteration`;
/// `on_scenario` counts each rank's own share. Every rank returns the same
/// summary.
///
/// # Errors
/// As [`run_study`]; when a step fails on one rank, every rank returns an
/// error (the others' naming the failed rank).
#[allow(clippy::too_many_lines)]
pub fn run_study_with(
    case: &Case,
    options: &RunOptions,
    observer: &mut dyn RunObserver,
    comm: &dyn Communicator,
) -> Result<RunSummary, Error> {
    let started = Instant::now();
    let lead = comm.rank() == 0;
    let out = options.output_dir.as_path();
    let config = &case.config;
    let fingerprint = case_fingerprint(&case.root)?;
    let policy_dir = resolve_policy_dir(out, &config.policy.path)?;
    agree(
        comm,
        "preparing the output folder",
        if lead {
            prepare_output_dir(out).map_err(Error::from)
        } else {
            Ok(())
        },
    )?;
    let mut timings = BTreeMap::new();
    let mut outputs: Vec<FileInfo> = Vec::new();

    let t = Instant::now();
    let study = StudyModel::build(&case.system, config).map_err(Error::from);
    let study = agree(comm, "building the study", study)?;
    let mode = config.policy.mode;
    let saved = match mode {
        PolicyMode::Fresh => None,
        PolicyMode::WarmStart | PolicyMode::Resume => Some(agree(
            comm,
            "loading the policy",
            load_with(&policy_dir, &fingerprint, &study),
        )?),
    };
    timings.insert("load".to_string(), t.elapsed().as_secs_f64());
    let mode_name = match mode {
        PolicyMode::Fresh => "fresh",
        PolicyMode::WarmStart => "warm_start",
        PolicyMode::Resume => "resume",
    };
    let mut manifest_policy = ManifestPolicy {
        mode: mode_name.into(),
        loaded_from: saved.as_ref().map(|s| s.dir.display().to_string()),
        loaded_iterations: saved.as_ref().map(|s| s.metadata.iterations),
        saved_to: None,
        checkpoints: 0,
    };

    // Training.
    let t = Instant::now();
    let seed = config.seed();
    let mut interrupted = false;
    let mut training = None;
    let policy: Policy = if config.training.enabled {
        let settings = TrainingSettings {
            threads: options.threads,
            ..TrainingSettings::from_config(config)
        };
        let start = saved.as_ref().map(|s| match mode {
            PolicyMode::Resume => TrainingStart::resume(s.policy.clone(), s.records.clone()),
            _ => TrainingStart::warm_start(s.policy.clone()),
        });
        let mut checkpointer =
            config
                .policy
                .checkpoint_interval
                .filter(|_| lead)
                .map(|n| Checkpointer {
                    dir: policy_dir.clone(),
                    fingerprint: &fingerprint,
                    seed,
                    study: &study,
                    interval: u64::from(n),
                    written: 0,
                });
        if lead {
            observer.on_phase(RunPhase::Training {
                max_iterations: settings.iteration_limit(),
            });
        }
        let mut iterations_to = IterationsTo(&mut *observer);
        let hooks = TrainingHooks {
            observer: Some(&mut iterations_to),
            stop: options.stop.clone(),
            start: start.as_ref(),
            checkpoint: checkpointer
                .as_mut()
                .map(|c| c as &mut dyn cobre_sddp::CheckpointSink),
            communicator: Some(comm),
        };
        let result = train(&study, &settings, hooks).map_err(Error::from);
        let result = agree(comm, "training", result)?;
        manifest_policy.checkpoints = checkpointer.map_or(0, |c| c.written);
        // Rank 0 wrote the checkpoints; every rank's summary counts them.
        manifest_policy.checkpoints = comm
            .share(Some(&manifest_policy.checkpoints), 0)
            .map_err(Error::from)?;
        interrupted |= result.termination == TerminationReason::StopFlag;
        timings.insert("train".to_string(), t.elapsed().as_secs_f64());
        let t = Instant::now();
        let written = if lead {
            write_training(out, &policy_dir, &fingerprint, seed, &study, &result)
        } else {
            Ok(Vec::new())
        };
        outputs.extend(agree(comm, "writing the training outputs", written)?);
        manifest_policy.saved_to = Some(policy_dir.display().to_string());
        timings.insert("write_training".to_string(), t.elapsed().as_secs_f64());
        let policy = result.policy.clone();
        training = Some(result);
        policy
    } else if let Some(s) = &saved {
        s.policy.clone()
    } else {
        tracing::warn!("training is disabled and no policy is loaded: simulating without cuts");
        let n = study.n_state();
        let pools = (0..study.num_pools())
            .map(|_| cobre_sddp::CutPool::new(n))
            .collect();
        Policy::new(
            pools,
            study.ids().hydros.len(),
            study.scenario().max_order(),
        )
    };

    // Simulation.
    let mut simulation = None;
    let mut simulated = 0;
    let mut mean_cost = None;
    if config.simulation.enabled && !interrupted {
        let t = Instant::now();
        let mut settings = SimulationSettings {
            threads: options.threads,
            ..SimulationSettings::from_config(config)
        };
        // Enumerated selection simulates every path of the policy graph.
        settings.num_scenarios = cobre_sddp::simulation::scenario_count(&study, &settings);
        let per_partition = options.scenarios_per_partition.max(1);
        let mut sink = ParquetSink::new(out, settings.num_scenarios, per_partition);
        if lead {
            observer.on_phase(RunPhase::Simulation {
                scenarios: settings.num_scenarios,
            });
        }
        let partitions = settings.num_scenarios.div_ceil(per_partition);
        if lead && partitions < comm.size() {
            tracing::warn!(
                partitions,
                ranks = comm.size(),
                "fewer simulation partitions than ranks: some ranks simulate nothing \
                 (lower the scenarios per partition)"
            );
        }
        let share = block_share(
            settings.num_scenarios,
            per_partition,
            comm.rank(),
            comm.size(),
        );
        let mut observed = ObservedSink {
            inner: &mut sink,
            observer: &mut *observer,
            done: 0,
            total: share.len(),
        };
        let hooks = SimulationHooks {
            stop: options.stop.as_ref(),
            communicator: Some(comm),
            scenarios_per_block: per_partition,
        };
        let summary =
            simulate_with(&study, &policy, &settings, &mut observed, hooks).map_err(Error::from);
        // Every rank closes its own partitions, then rank 0 learns them all.
        let report = summary.and_then(|summary| Ok((summary, sink.finish()?)));
        let (summary, report) = agree(comm, "simulating", report)?;
        tracing::debug!(
            max_open_scenarios = report.max_open_scenarios,
            "simulation writer done"
        );
        outputs.extend(simulation_files(comm, out, &report)?);
        interrupted |= summary.interrupted;
        simulated = summary.num_scenarios;
        mean_cost = finite(summary.mean_cost);
        simulation = Some(ManifestSimulation {
            scenarios_requested: settings.num_scenarios as u64,
            scenarios: summary.num_scenarios as u64,
            scenarios_per_partition: per_partition as u64,
            mean_cost,
            std_cost: finite(summary.std_cost),
            interrupted: summary.interrupted,
            lp_solves: summary.solver.solves,
        });
        timings.insert("simulate".to_string(), t.elapsed().as_secs_f64());
    } else if config.simulation.enabled {
        interrupted = true;
    }

    timings.insert("total".to_string(), started.elapsed().as_secs_f64());
    let last = training.as_ref().and_then(|r| r.records.last().copied());
    let manifest = Manifest {
        format_version: MANIFEST_FORMAT_VERSION,
        cobre_version: env!("CARGO_PKG_VERSION").into(),
        created_at: timestamp_now(),
        status: if interrupted {
            "interrupted"
        } else {
            "complete"
        }
        .into(),
        case: ManifestCase {
            path: case.root.display().to_string(),
            fingerprint: fingerprint.case.clone(),
            system_fingerprint: fingerprint.system.clone(),
            files: fingerprint.files.clone(),
        },
        seed,
        threads: options.threads,
        ranks: comm.size(),
        config: serde_json::to_value(config).unwrap_or(serde_json::Value::Null),
        policy: manifest_policy,
        training: training.as_ref().map(|r| ManifestTraining {
            iterations: r.iterations(),
            termination: r.termination.as_str().into(),
            lower_bound: last.and_then(|l| finite(l.lower_bound)),
            upper_bound: last.and_then(|l| finite(l.upper_bound)),
            upper_bound_std: last.and_then(|l| finite(l.upper_bound_std)),
            ci_95: last.and_then(|l| finite(l.ci_95)),
            upper_bound_kind: last.map(|l| l.upper_bound_kind.as_str().into()),
            lower_bound_position: last
                .and_then(|l| l.lower_bound_position())
                .map(|p| p.as_str().into()),
            gap: last.and_then(|l| l.gap.and_then(finite)),
            bound_note: last.map(|l| l.bound_note().into()),
            cuts: r.policy.num_cuts() as u64,
            lp_solves: r.solver.solves,
        }),
        simulation,
        timings_s: timings,
        outputs: outputs.into_iter().map(|f| relative(f, out)).collect(),
    };
    // Every rank has finished (the simulation's exchange above is the
    // barrier): rank 0 writes the manifest, then `_SUCCESS`, last.
    let finished = if lead {
        write_manifest(out, &manifest)
            .and_then(|_| {
                if interrupted {
                    Ok(())
                } else {
                    write_success(out)
                }
            })
            .map_err(Error::from)
    } else {
        Ok(())
    };
    agree(comm, "writing the manifest", finished)?;
    tracing::info!(
        output = %out.display(),
        complete = !interrupted,
        "study finished"
    );
    Ok(RunSummary {
        output_dir: out.to_path_buf(),
        policy_dir,
        complete: !interrupted,
        ranks: comm.size(),
        training,
        simulated_scenarios: simulated,
        mean_cost,
        manifest,
    })
}
