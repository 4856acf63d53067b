//! Cut selection takes cuts out of the LPs without changing what training
//! converges to: every solution is checked against the cuts left out and a
//! violated one comes back, so the lower bound still reaches the extensive
//! form, and results stay independent of the thread count.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use cobre_core::config::CutSelectionConfig;
use cobre_sddp::{train, StudyModel, TrainingHooks, TrainingResult, TrainingSettings};
use common::*;

fn run(selection: CutSelectionConfig, threads: usize) -> TrainingResult {
    run_with(selection, None, threads)
}

fn run_with(selection: CutSelectionConfig, window: Option<u64>, threads: usize) -> TrainingResult {
    let system = stochastic_system(3, 5);
    let cfg = config(200, 2);
    let study = StudyModel::build(&system, &cfg).unwrap();
    let settings = TrainingSettings {
        threads,
        cut_selection: selection,
        active_cut_window: window,
        ..TrainingSettings::from_config(&cfg)
    };
    train(&study, &settings, TrainingHooks::default()).unwrap()
}

const LEVEL1: CutSelectionConfig = CutSelectionConfig::Level1 {
    check_frequency: 5,
    tie_tolerance: 1e-10,
};
const LML1: CutSelectionConfig = CutSelectionConfig::Lml1 {
    check_frequency: 5,
    tie_tolerance: 1e-10,
};

#[test]
fn selection_leaves_the_converged_lower_bound_unchanged_and_drops_cuts() {
    let all = run(CutSelectionConfig::None, 1);
    let total: usize = all.active_cuts.iter().sum();
    assert_eq!(total, all.policy.num_cuts());
    for (name, rule, window) in [
        ("level1", LEVEL1, None),
        ("lml1", LML1, None),
        ("window", CutSelectionConfig::None, Some(5)),
        ("window + lml1", LML1, Some(5)),
    ] {
        let r = run_with(rule, window, 1);
        let active: usize = r.active_cuts.iter().sum();
        let rel = (r.lower_bound() - all.lower_bound()).abs() / all.lower_bound().abs();
        eprintln!(
            "{name}: lower bound {} vs {} (rel. {rel:.2e}), {active} of {} cuts in the LPs",
            r.lower_bound(),
            all.lower_bound(),
            r.policy.num_cuts()
        );
        assert!(rel < 1e-6, "{name}: lower bound moved by {rel:e}");
        assert!(active < r.policy.num_cuts(), "{name}: no cut was dropped");
        // Every cut stays in the policy.
        assert_eq!(r.policy.num_cuts(), all.policy.num_cuts());
    }
}

#[test]
fn selection_results_do_not_depend_on_the_thread_count() {
    let one = run(LML1, 1);
    let two = run(LML1, 2);
    for (a, b) in one.records.iter().zip(&two.records) {
        assert_eq!(a.lower_bound.to_bits(), b.lower_bound.to_bits());
        assert_eq!(a.upper_bound.to_bits(), b.upper_bound.to_bits());
    }
    assert_eq!(one.active_cuts, two.active_cuts);
}
