//! The real NEWAVE deck of `../shared/cases-real/newave_mini` (converted by
//! cobre-bridge 0.18, 159 hydros, 113 stages) validates and trains: one
//! iteration with one forward pass, no simulation (the full 5-iteration run
//! is `scripts/bench_real.sh`). The figure it is held to comes from Cobre
//! 0.18 on the same deck, seeds and settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::path::PathBuf;

fn deck(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/cases-real")
        .join(name)
}

/// Lower bound of Cobre 0.18 after 1 iteration with 1 forward pass
/// (otherwise the deck's own settings: seed 42, out-of-sample inflows,
/// 3 openings), measured with `cobre-python==0.18.0`.
const REFERENCE_LB_1X1: f64 = 13_027_938_775.707_535;

#[test]
fn newave_mini_validates_without_errors() {
    let dir = deck("newave_mini");
    if !dir.exists() {
        eprintln!("skipped: {} is not there", dir.display());
        return;
    }
    let report = cobre::validate(&dir);
    let errors: Vec<String> = report.errors().map(|f| f.to_string()).collect();
    assert!(errors.is_empty(), "{} errors: {errors:#?}", errors.len());
}

/// One iteration with one forward pass, no simulation: trains end to end
/// (every stage LP feasible) with a finite positive bound.
#[test]
fn newave_mini_trains_one_iteration_end_to_end() {
    let dir = deck("newave_mini");
    if !dir.exists() {
        eprintln!("skipped: {} is not there", dir.display());
        return;
    }
    let case = cobre::load_case_with_overrides(&dir, &one_iteration()).unwrap();
    let trained = cobre::train(
        &case,
        cobre::TrainingOptions {
            threads: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let lb = trained.lower_bound();
    assert!(lb.is_finite() && lb > 1e9, "lower bound {lb}");
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

#[test]
#[ignore = "open (issue 14): one iteration gives 6.63e9 against 0.18's 1.30e10; \
            run with --ignored while reproducing the reference's inflow model"]
fn newave_mini_trains_one_iteration_near_the_reference_bound() {
    let dir = deck("newave_mini");
    if !dir.exists() {
        eprintln!("skipped: {} is not there", dir.display());
        return;
    }
    let case = cobre::load_case_with_overrides(&dir, &one_iteration()).unwrap();
    let trained = cobre::train(
        &case,
        cobre::TrainingOptions {
            threads: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let lb = trained.lower_bound();
    let rel = (lb - REFERENCE_LB_1X1).abs() / REFERENCE_LB_1X1;
    eprintln!("newave_mini 1×1: lower bound {lb} (0.18: {REFERENCE_LB_1X1}, rel. {rel:.2e})");
    assert!(lb.is_finite() && lb > 0.0);
    assert!(rel < 0.01, "lower bound {lb} is {rel:.3e} away from 0.18's");
}
