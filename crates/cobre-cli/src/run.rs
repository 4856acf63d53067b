//! `cobre run CASE`: load, train with a live progress display, simulate,
//! write the outputs, print a summary.

use crate::fmt::{count, money, percent, seconds, Table};
use crate::{validate, Exit, RunArgs};
use cobre::{Control, IterationRecord, RunObserver, RunOptions, RunPhase, RunSummary, StopFlag};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

pub(crate) fn run(args: &RunArgs) -> Exit {
    let started = Instant::now();
    let case = match cobre::load_case(&args.case) {
        Ok(c) => c,
        Err(e) => return fail(args, &e),
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
    install_ctrl_c(&stop, args.quiet || args.json);
    let mut options = RunOptions::new(&output);
    options.threads = threads;
    options.num_scenarios = args.scenarios;
    options.stop = Some(stop);

    let mut progress = Progress::new(!(args.quiet || args.json));
    if progress.enabled {
        println!(
            "cobre {}: {} ({} stages, {} hydros, {} thermals, {} buses), {} thread(s)",
            env!("CARGO_PKG_VERSION"),
            args.case.display(),
            case.system.num_stages(),
            case.system.hydros().len(),
            case.system.thermals().len(),
            case.system.buses().len(),
            threads
        );
    }
    let result = cobre::run_study_observed(&case, &options, &mut progress);
    progress.finish();
    let summary = match result {
        Ok(s) => s,
        Err(e) => return fail(args, &e),
    };
    let total_s = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", summary_json(&summary, &args.case, threads, total_s));
    } else if !args.quiet {
        print!("{}", summary_table(&summary, &args.case, threads, total_s));
    }
    if summary.complete {
        Exit::Ok
    } else {
        if !args.json {
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

fn fail(args: &RunArgs, e: &cobre::Error) -> Exit {
    if args.json {
        let report = e.report().map(validate::to_json);
        println!(
            "{}",
            serde_json::json!({
                "status": "error",
                "kind": e.kind(),
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
/// convergence lines on standard output, about twenty per run.
struct Progress {
    enabled: bool,
    bar: Option<ProgressBar>,
    every: u64,
    header_printed: bool,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            bar: None,
            every: 1,
            header_printed: false,
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

fn convergence_line(r: &IterationRecord) -> String {
    format!(
        "{:>9}  {:>18}  {:>18}  {:>14}  {:>10}  {:>9}",
        r.iteration,
        money(Some(r.lower_bound)),
        money(Some(r.upper_bound)),
        money(Some(r.ci_95)),
        percent(Some(r.gap)),
        seconds(r.wall_time_ms / 1e3),
    )
}

impl RunObserver for Progress {
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
        if !self.enabled {
            return Control::Continue;
        }
        if !self.header_printed {
            self.line(&format!(
                "{:>9}  {:>18}  {:>18}  {:>14}  {:>10}  {:>9}",
                "iteration", "lower bound", "upper bound", "± 95 % CI", "gap", "time"
            ));
            self.header_printed = true;
        }
        if let Some(b) = &self.bar {
            b.set_position(r.iteration);
            b.set_message(format!(
                "LB {}  UB {} ± {}  gap {}",
                money(Some(r.lower_bound)),
                money(Some(r.upper_bound)),
                money(Some(r.ci_95)),
                percent(Some(r.gap))
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

    fn on_scenario(&mut self, done: usize, _total: usize) {
        if let Some(b) = &self.bar {
            b.set_position(u64::try_from(done).unwrap_or(u64::MAX));
        }
    }
}

fn summary_table(s: &RunSummary, case: &Path, threads: usize, total_s: f64) -> String {
    let mut t = Table::default();
    t.row("case", case.display().to_string());
    if let Some(tr) = &s.training {
        let last = tr.records.last();
        t.row(
            "iterations",
            format!("{} ({})", tr.iterations(), tr.termination.as_str()),
        );
        t.row("lower bound", money(last.map(|r| r.lower_bound)));
        t.row(
            "upper bound",
            format!(
                "{} ± {} (95 % CI)",
                money(last.map(|r| r.upper_bound)),
                money(last.map(|r| r.ci_95))
            ),
        );
        t.row("gap", percent(last.map(|r| r.gap)));
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
    t.row("threads", threads.to_string());
    t.row("wall time", seconds(total_s));
    t.render("summary")
}

fn summary_json(s: &RunSummary, case: &Path, threads: usize, total_s: f64) -> serde_json::Value {
    let m = &s.manifest;
    serde_json::json!({
        "status": if s.complete { "complete" } else { "interrupted" },
        "case": case.display().to_string(),
        "output_dir": s.output_dir.display().to_string(),
        "policy_dir": s.policy_dir.display().to_string(),
        "threads": threads,
        "seed": m.seed,
        "training": m.training,
        "simulation": m.simulation,
        "timings_s": m.timings_s,
        "files": m.outputs.len(),
        "wall_time_s": total_s,
    })
}
