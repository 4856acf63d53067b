//! `cobre run CASE`: load, train with a live progress display, simulate,
//! write the outputs, print a summary.
//!
//! Started by an MPI launcher (`mpirun -np N cobre run CASE`, binary built
//! with the `mpi` feature) every process runs the study as one rank; only
//! rank 0 shows progress and prints the summary, the other ranks print
//! nothing but their own errors.

use crate::fmt::{count, money, percent, seconds, Table};
use crate::{bounds, init_logging, launch, validate, Exit, RunArgs};
use cobre::{
    CommStats, Communicator, Control, IterationRecord, LocalCommunicator, RunObserver, RunOptions,
    RunPhase, RunSummary, StopFlag, Timed,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// `cobre run`: alone, or as one rank of an MPI job when a launcher
/// started it.
pub(crate) fn start(args: &RunArgs, log_level: Option<&str>) -> Exit {
    match launch::launcher_size() {
        #[cfg(feature = "mpi")]
        Some(_) => run_mpi(args, log_level),
        #[cfg(not(feature = "mpi"))]
        Some((variable, size)) if size > 1 => {
            init_logging(log_level, 0);
            if launch::launcher_rank().unwrap_or(0) == 0 {
                eprintln!(
                    "error[MpiUnavailable]: started as one of {size} MPI processes ({variable}={size}), \
                     but this cobre was built without MPI support; rebuild with \
                     `cargo build --release -p cobre-cli --features mpi` or run it without mpirun"
                );
            }
            Exit::MpiUnavailable
        }
        _ => {
            init_logging(log_level, 0);
            run(args, &Timed::new(LocalCommunicator))
        }
    }
}

/// One rank of an MPI job: a failure on any rank ends the whole job with
/// its exit code (the other ranks may be waiting for it in a collective).
#[cfg(feature = "mpi")]
fn run_mpi(args: &RunArgs, log_level: Option<&str>) -> Exit {
    let Some(mpi) = crate::mpi::Mpi::init() else {
        init_logging(log_level, 0);
        eprintln!("error[Mpi]: the MPI library could not be initialised");
        return Exit::StudyFailed;
    };
    init_logging(log_level, mpi.rank());
    let comm = Timed::new(mpi);
    let exit = run(args, &comm);
    if comm.size() > 1 && !matches!(exit, Exit::Ok | Exit::Interrupted) {
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // Most failures reach every rank (each step ends with the ranks
        // agreeing on success): let rank 0 end the job, so that it is not
        // aborted from several ranks at once; a rank that failed alone, while
        // the others wait for it, ends it after that grace period.
        if comm.rank() != 0 {
            std::thread::sleep(std::time::Duration::from_secs(5));
        }
        comm.inner().abort(exit as i32);
    }
    exit
}

/// The settings changed on the command line (`--set`, `--scenarios`) as
/// one JSON object of `config.json` keys, `None` without any.
fn overrides(args: &RunArgs) -> Result<Option<serde_json::Value>, String> {
    use serde_json::{Map, Value};
    let mut root = Value::Object(Map::new());
    let mut any = false;
    if let Some(n) = args.scenarios {
        let patch = serde_json::json!({
            "simulation": {"selection": {"method": "sampled", "num_scenarios": n}}
        });
        cobre::overrides::merge_patch(&mut root, &patch);
        any = true;
    }
    for item in &args.set {
        let (key, raw) = item
            .split_once('=')
            .ok_or_else(|| format!("--set {item}: expected KEY=VALUE"))?;
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(format!("--set {item}: empty key"));
        }
        let value: Value =
            serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()));
        let mut patch = value;
        for part in key.rsplit('.') {
            let mut m = Map::new();
            m.insert(part.to_string(), patch);
            patch = Value::Object(m);
        }
        cobre::overrides::merge_patch(&mut root, &patch);
        any = true;
    }
    Ok(any.then_some(root))
}

/// Runs the study as rank `comm.rank()` of `comm.size()`.
pub(crate) fn run<C: Communicator>(args: &RunArgs, comm: &Timed<C>) -> Exit {
    let started = Instant::now();
    let lead = comm.rank() == 0;
    let overrides = match overrides(args) {
        Ok(o) => o,
        Err(message) => {
            if lead {
                eprintln!("error[InvalidArgument]: {message}");
            }
            return Exit::Usage;
        }
    };
    let loaded = match &overrides {
        Some(o) => cobre::load_case_with_overrides(&args.case, o),
        None => cobre::load_case(&args.case),
    };
    let case = match loaded {
        Ok(c) => c,
        Err(e) => return fail(args, &e, comm.rank()),
    };
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| default_output(&args.case));
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        usize::from,
    );
    let stop = StopFlag::new();
    install_ctrl_c(&stop, args.quiet || args.json || !lead);
    let mut options = RunOptions::new(&output);
    options.threads = threads;
    options.scenarios_per_partition = usize::try_from(args.scenarios_per_partition).unwrap_or(100);
    options.stop = Some(stop);

    let mut progress = Progress::new(lead && !(args.quiet || args.json), comm);
    if progress.enabled {
        println!(
            "cobre {}: {} ({} stages, {} hydros, {} thermals, {} buses), {}",
            env!("CARGO_PKG_VERSION"),
            args.case.display(),
            case.system.num_stages(),
            case.system.hydros().len(),
            case.system.thermals().len(),
            case.system.buses().len(),
            processes(comm.size(), threads)
        );
    }
    let result = cobre::run_study_with(&case, &options, &mut progress, comm);
    progress.finish();
    let summary = match result {
        Ok(s) => s,
        Err(e) => return fail(args, &e, comm.rank()),
    };
    let total_s = started.elapsed().as_secs_f64();
    let comm_stats = Communication {
        training: progress.training_comm.unwrap_or_else(|| comm.stats()),
        total: comm.stats(),
    };
    if lead && args.json {
        println!(
            "{}",
            summary_json(&summary, &args.case, threads, &comm_stats, total_s)
        );
    } else if lead && !args.quiet {
        print!(
            "{}",
            summary_table(&summary, &args.case, threads, &comm_stats, total_s)
        );
    }
    if summary.complete {
        Exit::Ok
    } else {
        if lead && !args.json {
            eprintln!(
                "interrupted: outputs so far are in {} (no _SUCCESS)",
                output.display()
            );
        }
        Exit::Interrupted
    }
}

/// `output/<case folder name>` under the current directory.
fn default_output(case: &Path) -> PathBuf {
    let name = case
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(ToOwned::to_owned))
        .or_else(|| case.file_name().map(ToOwned::to_owned))
        .unwrap_or_else(|| "case".into());
    PathBuf::from("output").join(name)
}

/// First Ctrl-C: stop at the next iteration or scenario boundary, keeping
/// what was computed. Second: leave at once (files are written atomically,
/// so nothing half-written is left under a final name).
fn install_ctrl_c(stop: &StopFlag, quiet: bool) {
    let flag = stop.clone();
    let presses = Arc::new(AtomicU32::new(0));
    let result = ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            flag.request_stop();
            if !quiet {
                eprintln!("\nstopping at the next iteration boundary (Ctrl-C again to abort)");
            }
        } else {
            std::process::exit(Exit::Interrupted as i32);
        }
    });
    if let Err(e) = result {
        tracing::warn!(error = %e, "Ctrl-C handler not installed");
    }
}

/// `N rank(s) × M thread(s)`, or `M thread(s)` for one process.
fn processes(ranks: usize, threads: usize) -> String {
    if ranks > 1 {
        format!("{ranks} ranks × {threads} thread(s)")
    } else {
        format!("{threads} thread(s)")
    }
}

fn fail(args: &RunArgs, e: &cobre::Error, rank: usize) -> Exit {
    if rank != 0 {
        // Rank 0 reports for the job; another rank adds only its own error.
        if !matches!(e, cobre::Error::Validation(_)) {
            eprintln!("rank {rank}: error[{}]: {e}", e.kind());
        }
    } else if args.json {
        let report = e.report().map(validate::to_json);
        println!(
            "{}",
            serde_json::json!({
                "status": "error",
                "kind": e.kind().as_str(),
                "message": e.to_string(),
                "validation": report,
            })
        );
    } else if let Some(report) = e.report() {
        eprint!(
            "{}",
            validate::render(&args.case.display().to_string(), report)
        );
    } else {
        eprintln!("error[{}]: {e}", e.kind());
    }
    Exit::of(e)
}

/// The live display: a progress bar on standard error (terminals only) and
/// convergence lines on standard output, about twenty per run. It also
/// notes the communicator's totals at the end of each iteration (so, once
/// training is over, those of training).
struct Progress<'a> {
    enabled: bool,
    bar: Option<ProgressBar>,
    every: u64,
    header_printed: bool,
    comm: &'a dyn Stats,
    training_comm: Option<CommStats>,
}

/// What [`Progress`] reads of the communicator.
trait Stats: Sync {
    fn stats(&self) -> CommStats;
}

impl<C: Communicator> Stats for Timed<C> {
    fn stats(&self) -> CommStats {
        Timed::stats(self)
    }
}

impl<'a> Progress<'a> {
    fn new(enabled: bool, comm: &'a dyn Stats) -> Self {
        Self {
            enabled,
            bar: None,
            every: 1,
            header_printed: false,
            comm,
            training_comm: None,
        }
    }

    fn new_bar(&mut self, len: Option<u64>, template: &str) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        if !self.enabled || !std::io::stderr().is_terminal() {
            return;
        }
        let bar = len.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        self.bar = Some(bar);
    }

    fn line(&self, text: &str) {
        match &self.bar {
            Some(b) => b.suspend(|| println!("{text}")),
            None => println!("{text}"),
        }
    }

    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

const HEADER: [&str; 7] = [
    "iteration",
    "lower bound",
    "upper bound",
    "± 95 %",
    "gap",
    "LB in 95 %",
    "time",
];

fn convergence_row(cells: [&str; 7]) -> String {
    let [a, b, c, d, e, f, g] = cells;
    format!("{a:>9}  {b:>18}  {c:>19}  {d:>14}  {e:>10}  {f:>10}  {g:>9}")
}

fn convergence_line(r: &IterationRecord) -> String {
    let time = seconds(r.wall_time_ms / 1e3);
    convergence_row([
        &r.iteration.to_string(),
        &money(Some(r.lower_bound)),
        &bounds::upper_cell(r.upper_bound_kind, r.upper_bound),
        &bounds::ci_cell(r.upper_bound_kind, r.ci_95),
        &bounds::gap_cell(r.gap),
        bounds::position_cell(r.lower_bound_position()),
        &time,
    ])
}

impl RunObserver for Progress<'_> {
    fn on_phase(&mut self, phase: RunPhase) {
        if !self.enabled {
            return;
        }
        match phase {
            RunPhase::Training { max_iterations } => {
                self.every = max_iterations.map_or(1, |m| m.div_ceil(20).max(1));
                self.new_bar(
                    max_iterations,
                    "training {bar:30} {pos}/{len} it  {msg}  [{elapsed}]",
                );
            }
            RunPhase::Simulation { scenarios } => {
                self.line(&format!("simulating {scenarios} scenario(s)"));
                self.new_bar(
                    u64::try_from(scenarios).ok(),
                    "simulation {bar:30} {pos}/{len} scenarios  [{elapsed}, eta {eta}]",
                );
            }
            _ => {}
        }
    }

    fn on_iteration(&mut self, r: &IterationRecord) -> Control {
        self.training_comm = Some(self.comm.stats());
        if !self.enabled {
            return Control::Continue;
        }
        if !self.header_printed {
            self.line(&format!("note: {}", r.upper_bound_kind.note()));
            self.line(&convergence_row(HEADER));
            self.header_printed = true;
        }
        if let Some(b) = &self.bar {
            b.set_position(r.iteration);
            b.set_message(format!(
                "LB {}  UB {}  gap {}",
                money(Some(r.lower_bound)),
                bounds::upper_text(Some(r.upper_bound_kind), Some(r.upper_bound), Some(r.ci_95)),
                bounds::gap_cell(r.gap)
            ));
        }
        let due = r.iteration == 1 || r.iteration % self.every == 0;
        let last = self
            .bar
            .as_ref()
            .and_then(ProgressBar::length)
            .is_some_and(|l| r.iteration >= l);
        if due || last {
            self.line(&convergence_line(r));
        }
        Control::Continue
    }

    fn on_scenario(&mut self, done: usize, total: usize) {
        if let Some(b) = &self.bar {
            b.set_length(u64::try_from(total).unwrap_or(u64::MAX));
            b.set_position(u64::try_from(done).unwrap_or(u64::MAX));
        }
    }
}

/// Rank 0's time inside the communicator: during training, and in all.
struct Communication {
    training: CommStats,
    total: CommStats,
}

/// Share of training wall time spent inside the communicator (rank 0).
fn training_share(s: &RunSummary, c: &Communication) -> Option<f64> {
    let wall = s.training.as_ref()?.wall_time_s;
    (wall > 0.0).then(|| c.training.seconds / wall)
}

fn stats_json(s: &CommStats) -> serde_json::Value {
    serde_json::json!({
        "calls": s.calls,
        "seconds": s.seconds,
        "bytes_sent": s.bytes_sent,
        "bytes_received": s.bytes_received,
    })
}

fn summary_table(
    s: &RunSummary,
    case: &Path,
    threads: usize,
    comm: &Communication,
    total_s: f64,
) -> String {
    let mut t = Table::default();
    t.row("case", case.display().to_string());
    if let Some(tr) = &s.training {
        let last = tr.records.last();
        t.row(
            "iterations",
            format!("{} ({})", tr.iterations(), tr.termination.as_str()),
        );
        let kind = last.map(|r| r.upper_bound_kind);
        t.row("lower bound", money(last.map(|r| r.lower_bound)));
        t.row(
            "upper bound",
            bounds::upper_text(kind, last.map(|r| r.upper_bound), last.map(|r| r.ci_95)),
        );
        if let Some(p) = last.and_then(IterationRecord::lower_bound_position) {
            t.row("lower bound in 95 %", p.as_str());
        }
        t.row("gap", bounds::gap_text(kind, last.and_then(|r| r.gap)));
        if let Some(r) = last {
            t.row("bounds", r.bound_note());
        }
        t.row("cuts", count(tr.policy.num_cuts() as u64));
        t.row(
            "LP solves",
            format!(
                "{} in {} of training",
                count(tr.solver.solves),
                seconds(tr.wall_time_s)
            ),
        );
    } else {
        t.row("training", "skipped (training.enabled = false)");
    }
    match &s.manifest.simulation {
        Some(sim) => {
            t.row(
                "simulation",
                format!(
                    "{} scenario(s){}",
                    count(sim.scenarios),
                    if sim.interrupted { ", interrupted" } else { "" }
                ),
            );
            t.row("mean cost", money(sim.mean_cost));
            t.row("cost std", money(sim.std_cost));
        }
        None => {
            t.row("simulation", "skipped");
        }
    }
    t.row(
        "outputs",
        format!(
            "{} ({})",
            s.output_dir.display(),
            if s.complete { "complete" } else { "incomplete" }
        ),
    );
    t.row("policy", s.policy_dir.display().to_string());
    t.row("processes", processes(s.ranks, threads));
    t.row("LP solver", cobre::lp_solver());
    if s.ranks > 1 {
        t.row(
            "communication",
            format!(
                "{} in {} collective(s) during training ({} of it), {} in all",
                seconds(comm.training.seconds),
                count(comm.training.calls),
                percent(training_share(s, comm)),
                seconds(comm.total.seconds),
            ),
        );
    }
    t.row("wall time", seconds(total_s));
    t.render("summary")
}

fn summary_json(
    s: &RunSummary,
    case: &Path,
    threads: usize,
    comm: &Communication,
    total_s: f64,
) -> serde_json::Value {
    let m = &s.manifest;
    serde_json::json!({
        "status": if s.complete { "complete" } else { "interrupted" },
        "case": case.display().to_string(),
        "output_dir": s.output_dir.display().to_string(),
        "policy_dir": s.policy_dir.display().to_string(),
        "ranks": s.ranks,
        "threads": threads,
        "lp_solver": cobre::lp_solver(),
        "communication": {
            "training": stats_json(&comm.training),
            "total": stats_json(&comm.total),
            "training_share": training_share(s, comm),
        },
        "seed": m.seed,
        "training": m.training,
        "simulation": m.simulation,
        "timings_s": m.timings_s,
        "files": m.outputs.len(),
        "wall_time_s": total_s,
    })
}
