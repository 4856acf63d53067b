//! `mpirun -np 2 cobre run` against one process: the same lower bounds,
//! cuts, bases and simulation files, byte for byte, for several rank ×
//! thread combinations.
//!
//! Runs when the binary is built with the `mpi` feature
//! (`cargo test -p cobre-cli --features mpi --test mpi`, as
//! `scripts/test.sh` does) and `mpirun` is on the PATH; otherwise every test
//! prints why it is skipped and passes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use common::{edited_copy, shared_case};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why the MPI runs cannot happen here, if they cannot.
fn skip_reason() -> Option<String> {
    if !cfg!(feature = "mpi") {
        return Some("cobre-cli built without the `mpi` feature".into());
    }
    match Command::new("mpirun").arg("--version").output() {
        Ok(o) if o.status.success() => None,
        _ => Some("no working `mpirun` on the PATH".into()),
    }
}

macro_rules! skip_unless_mpi {
    () => {
        if let Some(why) = skip_reason() {
            eprintln!("skipped: {why}");
            return;
        }
    };
}

/// `mpirun -np RANKS cobre run CASE -o OUT --threads THREADS --json …`,
/// or the binary alone when `ranks` is 0; returns the JSON summary.
fn run(ranks: usize, threads: usize, case: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let bin = env!("CARGO_BIN_EXE_cobre");
    let mut cmd = if ranks == 0 {
        Command::new(bin)
    } else {
        let mut c = Command::new("mpirun");
        c.args(["-np", &ranks.to_string(), bin]);
        c
    };
    // OpenMPI: as root in CI, more ranks than cores.
    cmd.env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .arg("run")
        .arg(case)
        .arg("-o")
        .arg(out)
        .args(["--threads", &threads.to_string(), "--json"])
        .args(extra);
    let o = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{ranks} rank(s) × {threads} thread(s) on {}: {}\n{stdout}\n{}",
        case.display(),
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    // Rank 0 alone prints: exactly one JSON object.
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one summary line expected:\n{stdout}");
    serde_json::from_str(lines[0]).unwrap()
}

/// Every file under `dir`, relative path → bytes.
fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Asserts that run `b` produced what run `a` did: convergence bounds and
/// LP work bit for bit, the policy's cuts and bases and every simulation
/// file byte for byte.
fn assert_same_outputs(a: &Path, b: &Path, what: &str) {
    let (ra, rb) = (cobre::read_run(a).unwrap(), cobre::read_run(b).unwrap());
    assert!(ra.complete && rb.complete, "{what}: both runs complete");
    assert_eq!(
        ra.convergence.len(),
        rb.convergence.len(),
        "{what}: iterations"
    );
    for (x, y) in ra.convergence.iter().zip(&rb.convergence) {
        assert!(x.same_results(y), "{what}: {x:?} against {y:?}");
    }
    for file in ["policy/cuts.parquet", "policy/bases.parquet"] {
        let (fa, fb) = (std::fs::read(a.join(file)), std::fs::read(b.join(file)));
        match (fa, fb) {
            (Ok(fa), Ok(fb)) => assert!(fa == fb, "{what}: {file} differs"),
            (Err(_), Err(_)) => {}
            _ => panic!("{what}: {file} in one run only"),
        }
    }
    let (sa, sb) = (
        files_under(&a.join("simulation")),
        files_under(&b.join("simulation")),
    );
    assert_eq!(
        sa.keys().collect::<Vec<_>>(),
        sb.keys().collect::<Vec<_>>(),
        "{what}: simulation files"
    );
    for (path, bytes) in &sa {
        assert!(bytes == &sb[path], "{what}: {} differs", path.display());
    }
    let (ma, mb) = (&ra.manifest, &rb.manifest);
    assert_eq!(
        ma.simulation
            .as_ref()
            .map(|s| (s.scenarios, s.mean_cost.map(f64::to_bits), s.lp_solves)),
        mb.simulation
            .as_ref()
            .map(|s| (s.scenarios, s.mean_cost.map(f64::to_bits), s.lp_solves)),
        "{what}: simulation summary"
    );
    let files =
        |m: &cobre::outputs::Manifest| m.outputs.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
    assert_eq!(files(ma), files(mb), "{what}: manifest file list");
}

/// A copy of a shared case in `dir` with `config.json` edited by `edit`.
fn edited_case(name: &str, dir: &Path, edit: impl Fn(&mut serde_json::Value)) -> PathBuf {
    edited_copy(&shared_case(name), &dir.join(name), "config.json", edit)
}

/// Runs `case` as 1 process × 1 thread (the reference), then every
/// `(ranks, threads)` of `combos`, comparing each with the reference.
fn check(case: &Path, combos: &[(usize, usize)], extra: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("reference");
    let summary = run(0, 1, case, &reference, extra);
    assert_eq!(summary["ranks"], 1);
    for &(ranks, threads) in combos {
        let out = tmp.path().join(format!("np{ranks}-t{threads}"));
        let summary = run(ranks, threads, case, &out, extra);
        assert_eq!(summary["status"], "complete");
        assert_eq!(summary["ranks"], ranks.max(1));
        assert_eq!(summary["threads"], threads);
        let manifest = cobre::read_run(&out).unwrap().manifest;
        assert_eq!(manifest.ranks, ranks.max(1));
        assert_same_outputs(
            &reference,
            &out,
            &format!("{}: {ranks} rank(s) × {threads} thread(s)", case.display()),
        );
    }
}

#[test]
fn one_dimensional_toy_case_is_bit_identical_on_two_ranks() {
    skip_unless_mpi!();
    // 3 forward passes (uneven split) and 10 scenarios per partition, so
    // both ranks train and simulate.
    let tmp = tempfile::tempdir().unwrap();
    let case = edited_case("1dtoy", tmp.path(), |v| {
        v["training"]["selection"]["forward_passes"] = serde_json::json!(3);
        v["training"]["stopping_rules"][0]["limit"] = serde_json::json!(40);
    });
    check(
        &case,
        &[(2, 1), (0, 2), (1, 1), (2, 2)],
        &["--scenarios-per-partition", "10"],
    );
}

#[test]
fn one_dimensional_toy_case_as_shared_trains_identically_with_an_idle_rank() {
    skip_unless_mpi!();
    // The shared case unchanged: one forward pass, so rank 1 owns no trial
    // state and only takes lower-bound openings and simulation partitions.
    check(
        &shared_case("1dtoy"),
        &[(2, 1)],
        &["--scenarios-per-partition", "25"],
    );
}

#[test]
fn four_region_case_is_bit_identical_on_two_ranks() {
    skip_unless_mpi!();
    let tmp = tempfile::tempdir().unwrap();
    let case = edited_case("4ree", tmp.path(), |v| {
        v["training"]["stopping_rules"][0]["limit"] = serde_json::json!(12);
    });
    check(
        &case,
        &[(2, 1), (0, 2)],
        &["--scenarios", "40", "--scenarios-per-partition", "10"],
    );
}

#[test]
fn deterministic_single_hydro_case_is_bit_identical_on_two_ranks() {
    skip_unless_mpi!();
    check(&shared_case("d02-single-hydro"), &[(2, 1), (0, 2)], &[]);
}

#[test]
fn without_the_mpi_environment_the_mpi_binary_runs_alone() {
    skip_unless_mpi!();
    let tmp = tempfile::tempdir().unwrap();
    let summary = run(
        0,
        1,
        &shared_case("d02-single-hydro"),
        &tmp.path().join("o"),
        &[],
    );
    assert_eq!(summary["ranks"], 1);
}

#[test]
fn a_time_limit_stop_is_taken_by_every_rank_at_the_same_iteration() {
    skip_unless_mpi!();
    // Rank 0 decides the stop by its own clock and broadcasts it: both
    // ranks leave the loop after the same iteration (a rank that went on
    // alone would hang in the next exchange), and the run completes with
    // the time limit as its reason.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("np2");
    let summary = run(
        2,
        1,
        &shared_case("1dtoy"),
        &out,
        &[
            "--set",
            r#"training.stopping_rules=[{"type":"iteration_limit","limit":100000},{"type":"time_limit","seconds":1.5}]"#,
            "--scenarios-per-partition",
            "25",
        ],
    );
    assert_eq!(summary["status"], "complete");
    assert_eq!(summary["ranks"], 2);
    let run = cobre::read_run(&out).unwrap();
    let training = run.manifest.training.unwrap();
    assert_eq!(training.termination, "time_limit");
    assert!(training.iterations >= 1 && training.iterations < 100_000);
    assert_eq!(run.convergence.len() as u64, training.iterations);
}
