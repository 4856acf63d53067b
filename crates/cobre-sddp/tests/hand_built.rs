//! Training on small hand-built systems with known optima.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use cobre_core::initial::InitialStorage;
use cobre_core::testing::{bus, hydro, thermal};
use cobre_core::{HydroId, System, SystemParts};
use cobre_sddp::{train, StudyModel, TrainingHooks, TrainingSettings};
use common::*;

fn d01_like() -> System {
    let mut parts = SystemParts {
        buses: vec![bus(0, 1000.0)],
        thermals: vec![thermal(0, 0, 15.0, 5.0), thermal(1, 0, 15.0, 10.0)],
        ..SystemParts::default()
    };
    parts.horizon.stages = vec![stage(0, &[730.0], 1), stage(1, &[730.0], 1)];
    parts.scenarios.load_stats = vec![load(0, 0, 20.0, 0.0), load(0, 1, 20.0, 0.0)];
    System::new(parts).unwrap()
}

#[test]
fn thermal_merit_order_reaches_the_closed_form_cost() {
    let system = d01_like();
    let cfg = config(10, 1);
    let study = StudyModel::build(&system, &cfg).unwrap();
    let settings = TrainingSettings::from_config(&cfg);
    let r = train(&study, &settings, TrainingHooks::default()).unwrap();
    assert_eq!(r.iterations(), 10);
    assert!(
        rel(r.lower_bound(), 182_500.0) < 1e-9,
        "{}",
        r.lower_bound()
    );
}

#[test]
fn single_reservoir_carries_water_value_across_stages() {
    // d02: one hydro (productivity 1), thermal 100 MW at 50 $/MWh, load 75/75?
    let mut parts = SystemParts {
        buses: vec![bus(0, 1000.0)],
        thermals: vec![thermal(0, 0, 100.0, 50.0)],
        hydros: vec![hydro(0, 0, None, 200.0, 50.0)],
        ..SystemParts::default()
    };
    parts.horizon.stages = vec![stage(0, &[730.0], 1), stage(1, &[730.0], 1)];
    parts.scenarios.load_stats = vec![load(0, 0, 80.0, 0.0), load(0, 1, 80.0, 0.0)];
    parts.scenarios.inflow_stats = vec![inflow(0, 0, 40.0, 0.0), inflow(0, 1, 10.0, 0.0)];
    parts.initial_conditions.storage = vec![InitialStorage {
        hydro: HydroId(0),
        value_hm3: 100.0,
    }];
    let system = System::new(parts).unwrap();
    let cfg = config(10, 1);
    let r = train_study(&system, &cfg).1;
    // Water available: 100 + 2.628·(40 + 10) = 231.4 hm³ ≥ 2 stages at 50 m³/s
    // would need 262.8; so hydro = 231.4/2.628 = 88.05 m³/s·stages in total,
    // thermal = 160 − 88.05 MW·stages at 50 $/MWh · 730 h.
    let hydro_total = 231.4 / 2.628;
    let expected = (160.0 - hydro_total) * 50.0 * 730.0;
    assert!(
        rel(r.lower_bound(), expected) < 1e-9,
        "{} vs {expected}",
        r.lower_bound()
    );
    let last = r.records.last().unwrap();
    assert!(last.gap.is_some_and(|g| g < 1e-9), "{last:?}");
}
