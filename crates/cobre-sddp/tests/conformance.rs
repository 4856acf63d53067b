//! The conformance suite: every shared case the engine models ends at its
//! analytical cost (docs: `../shared/cases/README.md`) with a closed gap.
//!
//! Cases are read in place from `../../../shared/cases` (never copied).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use cobre_sddp::{
    train, StudyModel, TrainingHooks, TrainingResult, TrainingSettings, UpperBoundKind,
};
use std::path::PathBuf;

fn case_dir(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../../shared/cases")
        .join(name)
}

fn train_case(name: &str) -> TrainingResult {
    let case = cobre_io::load_case(case_dir(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let study =
        StudyModel::build(&case.system, &case.config).unwrap_or_else(|e| panic!("{name}: {e}"));
    let settings = TrainingSettings::from_config(&case.config);
    train(&study, &settings, TrainingHooks::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn check(name: &str, expected: f64, tolerance: f64) {
    let r = train_case(name);
    let lb = r.lower_bound();
    let rel = (lb - expected).abs() / expected.abs().max(1.0);
    let last = r.records.last().unwrap();
    eprintln!(
        "{name}: expected {expected}, lower bound {lb}, rel. error {rel:.3e}, gap {:?}",
        last.gap
    );
    assert!(
        rel <= tolerance,
        "{name}: lower bound {lb} vs {expected} (rel. {rel:.3e})"
    );
    // One scenario: the forward pass prices the policy exactly.
    assert_eq!(last.upper_bound_kind, UpperBoundKind::Exact, "{name}");
    assert!(
        last.gap.is_some_and(|g| g < 1e-6),
        "{name}: gap {:?} at the last iteration",
        last.gap
    );
}

/// The stochastic cases price the draws of the case's random streams; ours
/// are those of Cobre 0.18 (`cobre_stochastic::rng`), so their reference
/// lower bounds apply (tolerances of `../shared/cases/README.md`).
#[test]
fn d19_multi_hydro_par_matches_the_reference_bound() {
    check("d19-multi-hydro-par", 1_334_568.013_586_833_1, 1e-4);
}

#[test]
fn d26_estimated_par2_reaches_the_reference_bound() {
    check("d26-estimated-par2", 50_625_314.970_196_81, 1e-4);
}

macro_rules! conformance {
    ($($test:ident: $case:literal => $expected:expr, $tol:expr;)*) => {
        $(
            #[test]
            fn $test() {
                check($case, $expected, $tol);
            }
        )*
    };
}

conformance! {
    d01_thermal_dispatch_reaches_merit_order_cost: "d01-thermal-dispatch" => 182_500.0, 1e-6;
    d02_single_hydro_reaches_closed_form: "d02-single-hydro" => 23_640_785.0 / 9.0, 1e-6;
    d03_two_hydro_cascade_reaches_closed_form: "d03-two-hydro-cascade" => 1_391_697.766_666_667_3, 1e-6;
    d04_transmission_reaches_closed_form: "d04-transmission" => 5_264_062_704.0 / 657.0, 1e-6;
    d05_fpha_constant_head_reaches_closed_form: "d05-fpha-constant-head" => 23_635_000.0 / 9.0, 1e-6;
    d06_fpha_variable_head_reaches_closed_form: "d06-fpha-variable-head" => 732_952_154.0 / 225.0, 1e-6;
    // No closed form: the planes are fitted from the geometry; the reference's bound.
    d07_fpha_computed_matches_reference: "d07-fpha-computed" => 3_657_537.696_594_756_6, 1e-6;
    d08_evaporation_reaches_closed_form: "d08-evaporation" => 2_628_380.531_119_177, 1e-6;
    d09_multi_deficit_reaches_closed_form: "d09-multi-deficit" => 80_738_000.0, 1e-6;
    d10_inflow_nonnegativity_reaches_closed_form: "d10-inflow-nonnegativity" => 28_562_500.0 / 9.0, 1e-6;
    d11_water_withdrawal_reaches_closed_form: "d11-water-withdrawal" => 3_930_694_344.0 / 657.0, 1e-6;
    d13_generic_constraint_reaches_closed_form: "d13-generic-constraint" => 15_330_000.0, 1e-6;
    d14_block_factors_reach_closed_form: "d14-block-factors" => 176_900.0, 1e-6;
    d15_non_controllable_source_reaches_closed_form: "d15-non-controllable-source" => 437_927.0, 1e-6;
    d16_par1_lag_shift_reaches_closed_form: "d16-par1-lag-shift" => 7_759_078.75, 1e-6;
    d20_operational_violations_reach_closed_form: "d20-operational-violations" => 195_744_837.222_222_24, 1e-6;
    d21_min_outflow_reaches_closed_form: "d21-min-outflow-regression" => 285_716_271.0, 1e-6;
    d22_per_block_min_outflow_reaches_closed_form: "d22-per-block-min-outflow" => 140_376_826.555_555_58, 1e-6;
    d23_bidirectional_withdrawal_matches_reference: "d23-bidirectional-withdrawal" => 8_795_403.111_111_11, 1e-6;
    d24_productivity_override_reaches_closed_form: "d24-productivity-override" => 23_950_785.0 / 9.0, 1e-6;
    d25_discount_rate_reaches_closed_form: "d25-discount-rate" => 2_612_094.703_543_594_6, 1e-6;
    d27_per_stage_thermal_cost_reaches_closed_form: "d27-per-stage-thermal-cost" => 10_950_000.0, 1e-6;
}

/// Each phase's wall time is measured once per iteration: all positive,
/// and together no more than the whole training's wall time.
#[test]
fn phase_wall_times_are_positive_and_within_the_training_time() {
    let r = train_case("d19-multi-hydro-par");
    let p = &r.phases;
    let walls = [p.forward_wall_s, p.backward_wall_s, p.lower_bound_wall_s];
    assert!(walls.iter().all(|&w| w > 0.0), "{walls:?}");
    assert!(
        walls.iter().sum::<f64>() <= r.wall_time_s,
        "{walls:?} vs {}",
        r.wall_time_s
    );
}
