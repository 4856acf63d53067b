//! The `cobre` command-line program: validate a case, run a study (train,
//! simulate, write the outputs), summarise an output folder.
//!
//! Exit codes (also in `cobre --help` and `docs/cli.md`):
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the case is invalid (validation errors, listed) |
//! | 2 | bad command line |
//! | 3 | the study failed (LP solver, stochastic model, SDDP settings) |
//! | 4 | outputs or policy: cannot be written or read, corrupted, incompatible, or an incomplete run folder (`report`) |
//! | 5 | started by an MPI launcher as one of several processes, but built without the `mpi` feature |
//! | 130 | interrupted (Ctrl-C); what was computed is written, without `_SUCCESS` |

// A command-line program: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bounds;
mod fmt;
mod html;
mod launch;
#[cfg(feature = "mpi")]
mod mpi;
mod report;
mod run;
mod validate;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    the case is invalid (every finding is listed)
  2    bad command line
  3    the study failed (LP solver, stochastic model, SDDP settings)
  4    outputs or policy could not be written or read (corrupted, incompatible,
       or an incomplete run folder for `report`)
  5    started by mpirun (or another MPI launcher) as one of several
       processes, but this binary was built without the `mpi` feature
  130  interrupted (Ctrl-C): what was computed is written, without _SUCCESS";

/// Cobre: SDDP hydrothermal dispatch.
#[derive(Debug, Parser)]
#[command(name = "cobre", version, about, after_help = EXIT_CODES)]
struct Cli {
    /// Log level of the library's events on standard error (error, warn,
    /// info, debug, trace); `COBRE_LOG` or `RUST_LOG` set it too.
    #[arg(long, global = true, value_name = "LEVEL")]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a policy, simulate it and write the outputs (also as one rank
    /// of `mpirun -np N cobre run CASE` with the `mpi` feature).
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// Check a case folder and list every finding, grouped by layer.
    #[command(after_help = EXIT_CODES)]
    Validate(ValidateArgs),
    /// Summarise the output folder of a run (`--html FILE`: with charts).
    #[command(after_help = EXIT_CODES)]
    Report(ReportArgs),
}

/// Arguments of `cobre run`.
#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Case folder (Cobre 0.18 layout).
    case: PathBuf,
    /// Output folder [default: output/<case folder name>].
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Worker threads of each process [default: the cores available to the
    /// process]. Results do not depend on it.
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Simulated scenarios: short for
    /// `--set simulation.selection='{"method":"sampled","num_scenarios":N}'`.
    #[arg(long, value_name = "N")]
    scenarios: Option<usize>,
    /// Changes a setting of `config.json` for this run: a dotted key path
    /// and a JSON value (a bare word is taken as a string), e.g.
    /// `--set training.stopping_rules='[{"type":"iteration_limit","limit":5}]'`.
    /// Repeatable; checked by the same validation as the file.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Scenarios per simulation output partition (`scenario_block`); with
    /// several MPI ranks each rank simulates whole partitions.
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..))]
    scenarios_per_partition: u32,
    /// No progress display and no summary (errors are still printed).
    #[arg(short, long, conflicts_with = "json")]
    quiet: bool,
    /// Print the summary as one JSON object on standard output, no progress.
    #[arg(long)]
    json: bool,
}

/// Arguments of `cobre validate`.
#[derive(Debug, clap::Args)]
struct ValidateArgs {
    /// Case folder.
    case: PathBuf,
    /// Print the report as JSON on standard output.
    #[arg(long)]
    json: bool,
    /// Print only the error count.
    #[arg(short, long, conflicts_with = "json")]
    quiet: bool,
}

/// Arguments of `cobre report`.
#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// Output folder of a run.
    output: PathBuf,
    /// Print the report as JSON on standard output.
    #[arg(long)]
    json: bool,
    /// Also write the charts (bounds, times, cuts, simulated cost, storage
    /// fans, generation and deficit) as one self-contained HTML file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

/// The exit codes of the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    Ok = 0,
    InvalidCase = 1,
    Usage = 2,
    StudyFailed = 3,
    Output = 4,
    #[cfg_attr(feature = "mpi", allow(dead_code))]
    MpiUnavailable = 5,
    Interrupted = 130,
}

impl Exit {
    /// The exit code of a facade error: reading or writing files (also a
    /// simulation output that cannot be written, which the engine reports
    /// through its sink) is [`Self::Output`].
    pub(crate) fn of(e: &cobre::Error) -> Self {
        use cobre::ErrorKind as K;
        match e {
            cobre::Error::Validation(_) => Self::InvalidCase,
            cobre::Error::Interrupted => Self::Interrupted,
            cobre::Error::Io { .. } | cobre::Error::Output(_) => Self::Output,
            _ if matches!(
                e.kind(),
                K::IoError | K::OutputCorrupted | K::OutputNotFound | K::CheckpointFailed
            ) =>
            {
                Self::Output
            }
            _ => Self::StudyFailed,
        }
    }
}

/// Logging to standard error; ranks other than 0 of an MPI job log only
/// errors unless a level is asked for.
pub(crate) fn init_logging(level: Option<&str>, rank: usize) {
    use tracing_subscriber::EnvFilter;
    let default = if rank == 0 { "warn" } else { "error" };
    let filter = level
        .map(str::to_owned)
        .or_else(|| std::env::var("COBRE_LOG").ok())
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| default.to_owned());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = cli.log_level.as_deref();
    let exit = match cli.command {
        Command::Run(a) => run::start(&a, level),
        Command::Validate(a) => {
            init_logging(level, 0);
            validate::validate(&a)
        }
        Command::Report(a) => {
            init_logging(level, 0);
            report::report(&a)
        }
    };
    ExitCode::from(exit as u8)
}

#[cfg(test)]
mod exit_tests {
    use super::Exit;

    #[test]
    fn an_output_the_simulation_cannot_write_exits_with_the_output_code() {
        let sink = cobre::Error::Engine(cobre::SddpError::Sink {
            message: "disk full".into(),
        });
        assert_eq!(sink.kind(), cobre::ErrorKind::IoError);
        assert_eq!(Exit::of(&sink), Exit::Output);
        let internal = cobre::Error::Engine(cobre::SddpError::InvalidSetting {
            setting: "stopping_rules",
            message: "x".into(),
        });
        assert_eq!(Exit::of(&internal), Exit::StudyFailed);
        assert_eq!(Exit::of(&cobre::Error::Interrupted), Exit::Interrupted);
    }
}
