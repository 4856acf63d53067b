//! The real NEWAVE deck of `../shared/cases-real/newave_mini` (converted by
//! cobre-bridge 0.18, 159 hydros, 113 stages) validates and trains: one
//! iteration with one forward pass, no simulation (the full 5-iteration run
//! is `scripts/bench_real.sh`). The figure it is held to comes from Cobre
//! 0.18 on the same deck, seeds and settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::path::PathBuf;

fn deck(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../../shared/cases-real")
        .join(name)
}

/// Lower bound of Cobre 0.18 after 1 iteration with 1 forward pass
/// (otherwise the deck's own settings: seed 42, out-of-sample inflows,
/// 3 openings), measured with `cobre-python==0.18.0`.
const REFERENCE_LB_1X1: f64 = 13_027_938_775.707_535;

/// The folder of a real deck, or `None` (the test is skipped) when the
/// shared decks are not there.
fn present(name: &str) -> Option<PathBuf> {
    let dir = deck(name);
    if dir.exists() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is not there", dir.display());
        None
    }
}

fn assert_valid(name: &str) {
    let Some(dir) = present(name) else { return };
    let report = cobre::validate(&dir);
    let errors: Vec<String> = report.errors().map(|f| f.to_string()).collect();
    assert!(errors.is_empty(), "{} errors: {errors:#?}", errors.len());
}

#[test]
fn newave_mini_validates_without_errors() {
    assert_valid("newave_mini");
}

#[test]
fn decomp_mini_validates_without_errors() {
    assert_valid("decomp_mini");
}

/// The deck's settings with one iteration of one forward pass and no
/// simulation, through the same overrides the CLI and Python use.
fn one_iteration() -> serde_json::Value {
    serde_json::json!({
        "training": {
            "selection": {"forward_passes": 1},
            "stopping_rules": [{"type": "iteration_limit", "limit": 1}]
        },
        "simulation": {"enabled": false}
    })
}

/// newave_mini trained for one iteration of one forward pass on 2 threads.
fn newave_one_iteration() -> Option<cobre::TrainingResult> {
    let dir = present("newave_mini")?;
    let case = cobre::load_case_with_overrides(&dir, &one_iteration()).unwrap();
    let options = cobre::TrainingOptions {
        threads: 2,
        ..Default::default()
    };
    Some(cobre::train(&case, options).unwrap())
}

/// One iteration with one forward pass, no simulation: every stage LP is
/// feasible and the bound is within 1 % of 0.18's (0.76 % measured).
#[test]
fn newave_mini_trains_one_iteration_near_the_reference_bound() {
    let Some(trained) = newave_one_iteration() else {
        return;
    };
    let lb = trained.lower_bound();
    let rel = (lb - REFERENCE_LB_1X1).abs() / REFERENCE_LB_1X1;
    eprintln!("newave_mini 1×1: lower bound {lb} (0.18: {REFERENCE_LB_1X1}, rel. {rel:.2e})");
    assert!(rel < 0.01, "lower bound {lb} is {rel:.3e} away from 0.18's");
}

/// decomp_mini's own settings (enumerated tree, gap rule at 0.1 %), no
/// simulation: training ends by the gap rule on an exact upper bound.
fn decomp_trained() -> Option<cobre::TrainingResult> {
    let dir = present("decomp_mini")?;
    let overrides = serde_json::json!({"simulation": {"enabled": false}});
    let case = cobre::load_case_with_overrides(&dir, &overrides).unwrap();
    let options = cobre::TrainingOptions {
        threads: 2,
        ..Default::default()
    };
    Some(cobre::train(&case, options).unwrap())
}

/// Cobre 0.18's converged lower bound on decomp_mini (README of the decks).
const REFERENCE_DECOMP_LB: f64 = 871_737_113.199_6;

/// One training serves both checks (it takes a few seconds): the stop by the
/// gap rule on the exact bound, and the bound itself against 0.18's.
#[test]
fn decomp_mini_stops_by_the_gap_rule_at_the_reference_bound() {
    let Some(trained) = decomp_trained() else {
        return;
    };
    assert_eq!(trained.termination.as_str(), "gap");
    let last = trained.records.last().unwrap();
    assert_eq!(last.upper_bound_kind, cobre::UpperBoundKind::Exact);
    let gap = last.gap.unwrap();
    assert!(gap <= 1e-3, "stopped at a gap of {gap}");
    assert!(last.upper_bound >= last.lower_bound * (1.0 - 1e-9));
    let lb = trained.lower_bound();
    let rel = (lb - REFERENCE_DECOMP_LB).abs() / REFERENCE_DECOMP_LB;
    eprintln!("decomp_mini: lower bound {lb} (0.18: {REFERENCE_DECOMP_LB}, rel. {rel:.2e})");
    assert!(rel < 1e-4, "lower bound {lb} is {rel:.3e} away from 0.18's");
}
