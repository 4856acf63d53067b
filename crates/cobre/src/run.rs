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

use crate::outputs::policy::{load_with, save_with, Checkpointer, SavedPolicy};
use crate::outputs::simulation::ParquetSink;
use crate::outputs::write_table;
use crate::ranks::{agree, simulation_files};
use crate::Error;
use cobre_core::config::PolicyMode;
use cobre_core::Case;
use cobre_io::output::{
    case_fingerprint, convergence_batch, layout, prepare_output_dir, resolve_policy_dir,
    solver_stats_batch, timestamp_now, visited_states_batch, write_manifest, write_success,
    CaseFingerprint, FileInfo, Manifest, ManifestCase, ManifestPolicy, ManifestSimulation,
    ManifestTraining, VisitedPool, CONVERGENCE_SCHEMA, MANIFEST_FORMAT_VERSION,
    SOLVER_STATS_SCHEMA, VISITED_STATES_SCHEMA,
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

/// Rank 0's training outputs: the convergence and solver tables, then the
/// policy.
fn write_training(
    out: &Path,
    policy_dir: &Path,
    fingerprint: &CaseFingerprint,
    seed: u64,
    study: &StudyModel,
    result: &TrainingResult,
) -> Result<Vec<FileInfo>, Error> {
    let mut files = vec![
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
    if !result.visited.is_empty() {
        let stage_ids = study.pool_stage_ids();
        let pools: Vec<VisitedPool<'_>> = result
            .visited
            .iter()
            .enumerate()
            .map(|(p, v)| VisitedPool {
                stage_id: stage_ids.get(p).copied().unwrap_or(-1),
                iteration: &v.iteration,
                states: &v.states,
            })
            .collect();
        let variables: Vec<(String, &str)> = study
            .state_description()
            .iter()
            .map(|v| (v.name(), v.unit()))
            .collect();
        files.push(write_table(
            out,
            layout::VISITED_STATES,
            visited_states_batch(&pools, &variables),
            VISITED_STATES_SCHEMA,
        )?);
    }
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
pub fn run_study_with(
    case: &Case,
    options: &RunOptions,
    observer: &mut dyn RunObserver,
    comm: &dyn Communicator,
) -> Result<RunSummary, Error> {
    let mut run = StudyRun::prepare(case, options, comm)?;
    let trained = run.train(observer)?;
    let simulation = run.simulate(observer, trained.policy())?;
    run.finish(trained.into_training(), simulation)
}

/// A study between the steps of [`run_study_with`]: what `prepare` set up
/// and what the later steps add to the manifest.
struct StudyRun<'a> {
    case: &'a Case,
    options: &'a RunOptions,
    comm: &'a dyn Communicator,
    started: Instant,
    /// Whether this process is rank 0, the one that writes shared files.
    lead: bool,
    fingerprint: CaseFingerprint,
    policy_dir: PathBuf,
    study: StudyModel,
    /// The policy a warm start or resume starts from.
    saved: Option<SavedPolicy>,
    manifest_policy: ManifestPolicy,
    timings: BTreeMap<String, f64>,
    outputs: Vec<FileInfo>,
    /// Whether a step was cut short (no `_SUCCESS`).
    interrupted: bool,
}

/// The policy a run simulates: trained by it, or given (loaded, or no cuts).
enum Trained {
    Ran(Box<TrainingResult>),
    Given(Policy),
}

impl Trained {
    fn policy(&self) -> &Policy {
        match self {
            Self::Ran(result) => &result.policy,
            Self::Given(policy) => policy,
        }
    }

    fn into_training(self) -> Option<TrainingResult> {
        match self {
            Self::Ran(result) => Some(*result),
            Self::Given(_) => None,
        }
    }
}

/// What the simulation step leaves for the summary.
#[derive(Default)]
struct Simulated {
    manifest: Option<ManifestSimulation>,
    scenarios: usize,
    mean_cost: Option<f64>,
}

impl<'a> StudyRun<'a> {
    /// Prepares the output folder (rank 0), builds the study and loads the
    /// starting policy of a warm start or resume.
    fn prepare(
        case: &'a Case,
        options: &'a RunOptions,
        comm: &'a dyn Communicator,
    ) -> Result<Self, Error> {
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
        let mut timings = BTreeMap::new();
        timings.insert("load".to_string(), t.elapsed().as_secs_f64());
        // Rank 0 writes; every rank learns the outcome through `agree`.
        let export = || -> Result<Vec<FileInfo>, Error> {
            let mut files = Vec::new();
            if config.exports.stochastic {
                files = crate::outputs::write_stochastic(out, case, study.scenario().model())?;
            }
            if config.exports.fpha_deviation_points {
                files.push(crate::outputs::write_fpha_deviation_points(out, case)?);
            }
            Ok(files)
        };
        let exported = if lead { export() } else { Ok(Vec::new()) };
        let outputs = agree(comm, "exporting the stochastic model", exported)?;
        let mode_name = match mode {
            PolicyMode::Fresh => "fresh",
            PolicyMode::WarmStart => "warm_start",
            PolicyMode::Resume => "resume",
        };
        let manifest_policy = ManifestPolicy {
            mode: mode_name.into(),
            loaded_from: saved.as_ref().map(|s| s.dir.display().to_string()),
            loaded_iterations: saved.as_ref().map(|s| s.metadata.iterations),
            saved_to: None,
            checkpoints: 0,
        };
        Ok(Self {
            case,
            options,
            comm,
            started,
            lead,
            fingerprint,
            policy_dir,
            study,
            saved,
            manifest_policy,
            timings,
            outputs,
            interrupted: false,
        })
    }

    /// The policy to simulate: trained (with checkpoints, then written with
    /// the training outputs by rank 0), else the loaded one, else no cuts.
    fn train(&mut self, observer: &mut dyn RunObserver) -> Result<Trained, Error> {
        let config = &self.case.config;
        // The loaded policy is only needed from here on: moved, not copied.
        let saved = self.saved.take();
        if !config.training.enabled {
            let policy = if let Some(s) = saved {
                s.policy
            } else {
                tracing::warn!(
                    "training is disabled and no policy is loaded: simulating without cuts"
                );
                let n = self.study.n_state();
                let pools = (0..self.study.num_pools())
                    .map(|_| cobre_sddp::CutPool::new(n))
                    .collect();
                Policy::new(
                    pools,
                    self.study.ids().hydros.len(),
                    self.study.scenario().max_order(),
                )
            };
            return Ok(Trained::Given(policy));
        }
        let (comm, lead) = (self.comm, self.lead);
        let t = Instant::now();
        let seed = config.seed();
        let settings = TrainingSettings {
            threads: self.options.threads,
            ..TrainingSettings::from_config(config)
        };
        let start = saved.map(|s| match config.policy.mode {
            PolicyMode::Resume => TrainingStart::resume(s.policy, s.records),
            _ => TrainingStart::warm_start(s.policy),
        });
        let mut checkpointer =
            config
                .policy
                .checkpoint_interval
                .filter(|_| lead)
                .map(|n| Checkpointer {
                    dir: self.policy_dir.clone(),
                    fingerprint: &self.fingerprint,
                    seed,
                    study: &self.study,
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
            stop: self.options.stop.clone(),
            start: start.as_ref(),
            checkpoint: checkpointer
                .as_mut()
                .map(|c| c as &mut dyn cobre_sddp::CheckpointSink),
            communicator: Some(comm),
        };
        let result = train(&self.study, &settings, hooks).map_err(Error::from);
        let result = agree(comm, "training", result)?;
        // Rank 0 wrote the checkpoints; every rank's summary counts them.
        let checkpoints = checkpointer.map_or(0, |c| c.written);
        self.manifest_policy.checkpoints =
            comm.share(Some(&checkpoints), 0).map_err(Error::from)?;
        self.interrupted |= result.termination == TerminationReason::StopFlag;
        self.timings
            .insert("train".to_string(), t.elapsed().as_secs_f64());
        let t = Instant::now();
        let out = self.options.output_dir.as_path();
        let written = if lead {
            write_training(
                out,
                &self.policy_dir,
                &self.fingerprint,
                seed,
                &self.study,
                &result,
            )
        } else {
            Ok(Vec::new())
        };
        self.outputs
            .extend(agree(comm, "writing the training outputs", written)?);
        self.manifest_policy.saved_to = Some(self.policy_dir.display().to_string());
        self.timings
            .insert("write_training".to_string(), t.elapsed().as_secs_f64());
        Ok(Trained::Ran(Box::new(result)))
    }

    /// Simulates `policy` (this rank's share of whole partitions, streamed
    /// to Parquet) unless simulation is off or training was cut short.
    fn simulate(
        &mut self,
        observer: &mut dyn RunObserver,
        policy: &Policy,
    ) -> Result<Simulated, Error> {
        let config = &self.case.config;
        if !config.simulation.enabled || self.interrupted {
            return Ok(Simulated::default());
        }
        let (comm, lead) = (self.comm, self.lead);
        let out = self.options.output_dir.as_path();
        let t = Instant::now();
        let mut settings = SimulationSettings {
            threads: self.options.threads,
            ..SimulationSettings::from_config(config)
        };
        // Enumerated selection simulates every path of the policy graph.
        settings.num_scenarios = cobre_sddp::simulation::scenario_count(&self.study, &settings);
        let per_partition = self.options.scenarios_per_partition.max(1);
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
            stop: self.options.stop.as_ref(),
            communicator: Some(comm),
            scenarios_per_block: per_partition,
        };
        let summary = simulate_with(&self.study, policy, &settings, &mut observed, hooks)
            .map_err(Error::from);
        // Every rank closes its own partitions, then rank 0 learns them all.
        let report = summary.and_then(|summary| Ok((summary, sink.finish()?)));
        let (summary, report) = agree(comm, "simulating", report)?;
        tracing::debug!(
            max_open_scenarios = report.max_open_scenarios,
            "simulation writer done"
        );
        self.outputs.extend(simulation_files(comm, out, &report)?);
        self.interrupted |= summary.interrupted;
        let mean_cost = finite(summary.mean_cost);
        self.timings
            .insert("simulate".to_string(), t.elapsed().as_secs_f64());
        Ok(Simulated {
            manifest: Some(ManifestSimulation {
                scenarios_requested: settings.num_scenarios as u64,
                scenarios: summary.num_scenarios as u64,
                scenarios_per_partition: per_partition as u64,
                mean_cost,
                std_cost: finite(summary.std_cost),
                interrupted: summary.interrupted,
                lp_solves: summary.solver.solves,
            }),
            scenarios: summary.num_scenarios,
            mean_cost,
        })
    }

    /// Writes the manifest, then `_SUCCESS` when nothing was cut short
    /// (rank 0, after every rank has finished), and sums the run up.
    fn finish(
        mut self,
        training: Option<TrainingResult>,
        simulated: Simulated,
    ) -> Result<RunSummary, Error> {
        let out = self.options.output_dir.as_path();
        let interrupted = self.interrupted;
        self.timings
            .insert("total".to_string(), self.started.elapsed().as_secs_f64());
        let manifest = self.manifest(training.as_ref(), simulated.manifest);
        // Every rank has finished (the simulation's exchange is the
        // barrier): rank 0 writes the manifest, then `_SUCCESS`, last.
        let finished = if self.lead {
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
        agree(self.comm, "writing the manifest", finished)?;
        tracing::info!(
            output = %out.display(),
            complete = !interrupted,
            "study finished"
        );
        Ok(RunSummary {
            output_dir: out.to_path_buf(),
            policy_dir: self.policy_dir,
            complete: !interrupted,
            ranks: self.comm.size(),
            training,
            simulated_scenarios: simulated.scenarios,
            mean_cost: simulated.mean_cost,
            manifest,
        })
    }

    /// The manifest of the run.
    fn manifest(
        &mut self,
        training: Option<&TrainingResult>,
        simulation: Option<ManifestSimulation>,
    ) -> Manifest {
        let config = &self.case.config;
        let out = self.options.output_dir.as_path();
        let fingerprint = &self.fingerprint;
        let last = training.and_then(|r| r.records.last().copied());
        Manifest {
            format_version: MANIFEST_FORMAT_VERSION,
            cobre_version: env!("CARGO_PKG_VERSION").into(),
            created_at: timestamp_now(),
            status: if self.interrupted {
                "interrupted"
            } else {
                "complete"
            }
            .into(),
            case: ManifestCase {
                path: self.case.root.display().to_string(),
                fingerprint: fingerprint.case.clone(),
                system_fingerprint: fingerprint.system.clone(),
                files: fingerprint.files.clone(),
            },
            seed: config.seed(),
            threads: self.options.threads,
            ranks: self.comm.size(),
            config: serde_json::to_value(config).unwrap_or(serde_json::Value::Null),
            policy: self.manifest_policy.clone(),
            training: training.map(|r| ManifestTraining {
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
            timings_s: std::mem::take(&mut self.timings),
            outputs: std::mem::take(&mut self.outputs)
                .into_iter()
                .map(|f| relative(f, out))
                .collect(),
        }
    }
}
