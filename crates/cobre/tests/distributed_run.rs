//! `run_study_with` on several in-process ranks writing one output folder:
//! the same files as one process, byte for byte (the policy's cuts and
//! bases, every simulation partition), rank 0 alone writing the shared
//! files, a warm start from a distributed run's policy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cobre::config::{PolicyMode, StoppingRuleConfig};
use cobre::{run_study_with, Case, Communicator, InProcess, NoRunObserver, RunOptions, RunSummary};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn toy(iterations: u32, forward_passes: u32, scenarios: u32) -> Case {
    let dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../../shared/cases/1dtoy");
    let mut case = cobre::load_case(dir).unwrap();
    case.config.training.stopping_rules =
        vec![StoppingRuleConfig::IterationLimit { limit: iterations }];
    case.config.training.forward_passes = forward_passes;
    case.config.simulation.num_scenarios = scenarios;
    case
}

fn options(out: &Path) -> RunOptions {
    RunOptions {
        scenarios_per_partition: 7,
        ..RunOptions::new(out)
    }
}

/// Runs the study on `ranks` in-process ranks (one thread each).
fn run_on(ranks: usize, case: &Case, out: &Path) -> Vec<RunSummary> {
    let group = InProcess::group(ranks);
    std::thread::scope(|s| {
        let handles: Vec<_> = group
            .iter()
            .map(|c| {
                s.spawn(move || {
                    let comm: &dyn Communicator = c;
                    run_study_with(case, &options(out), &mut NoRunObserver, comm).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Every file under `dir` (relative path → bytes).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn two_and_three_ranks_write_the_same_outputs_as_one_process() {
    let case = toy(15, 5, 40);
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    let one = run_on(1, &case, &single);
    let reference = files(&single);
    assert!(reference.contains_key("_SUCCESS"));
    for ranks in [2, 3] {
        let out = tmp.path().join(format!("ranks{ranks}"));
        let summaries = run_on(ranks, &case, &out);
        let got = files(&out);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            reference.keys().collect::<Vec<_>>(),
            "{ranks} ranks: the same files"
        );
        for (path, bytes) in &reference {
            // Timings and creation times differ; everything else is equal.
            let timed = path.ends_with("convergence.parquet")
                || path.ends_with("solver_stats.parquet")
                || path.ends_with(".json");
            if !timed {
                assert!(bytes == &got[path], "{ranks} ranks: {path} differs");
            }
        }
        for s in &summaries {
            assert_eq!(s.ranks, ranks);
            assert!(s.complete);
            assert_eq!(s.simulated_scenarios, 40);
            assert_eq!(
                s.mean_cost.map(f64::to_bits),
                one[0].mean_cost.map(f64::to_bits)
            );
            let (a, b) = (
                s.training.as_ref().unwrap(),
                one[0].training.as_ref().unwrap(),
            );
            assert_eq!(a.lower_bound().to_bits(), b.lower_bound().to_bits());
            assert_eq!(a.solver.solves, b.solver.solves);
        }
        let m = cobre::read_run(&out).unwrap().manifest;
        assert_eq!(m.ranks, ranks);
        let paths = |m: &cobre::outputs::Manifest| {
            m.outputs.iter().map(|f| f.path.clone()).collect::<Vec<_>>()
        };
        assert_eq!(
            paths(&m),
            paths(&one[0].manifest),
            "{ranks} ranks: manifest files"
        );
        let sim = m.simulation.unwrap();
        assert_eq!(
            sim.lp_solves,
            one[0].manifest.simulation.as_ref().unwrap().lp_solves
        );
    }
}

#[test]
fn a_distributed_warm_start_continues_from_the_saved_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let first = run_on(2, &toy(6, 3, 14), &out);
    let mut case = toy(3, 3, 14);
    case.config.policy.mode = PolicyMode::WarmStart;
    let second = run_on(2, &case, &out);
    let lb = |s: &RunSummary| s.training.as_ref().unwrap().records[0].lower_bound;
    assert!(lb(&second[0]) >= first[0].training.as_ref().unwrap().lower_bound() - 1e-6);
    assert_eq!(lb(&second[0]).to_bits(), lb(&second[1]).to_bits());
}
