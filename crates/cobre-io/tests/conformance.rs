//! Every shared conformance case (`/work/shared/cases`) either loads — with
//! its entity, stage and block counts and a few resolved values checked — or
//! is refused with `Unsupported` naming exactly what is missing.
//!
//! All 30 shared cases currently load; `REFUSED` lists the cases refused as
//! unsupported (empty today) and shrinks as features land.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cobre_core::hydro_models::{ProductionModelKind, ProductionModelSelection};
use cobre_core::{BusId, Case, HydroId, LineId, NcsId, ThermalId};
use cobre_io::{FindingKind, Severity};
use std::path::PathBuf;

fn case_dir(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../../shared/cases")
        .join(name)
}

/// Cases refused as unsupported, with the `(file, field)` of every
/// `Unsupported` finding expected. Empty: every shared case loads.
const REFUSED: &[(&str, &[(&str, &str)])] = &[];

/// Entity, stage and block counts of a case.
struct Counts {
    buses: usize,
    lines: usize,
    thermals: usize,
    hydros: usize,
    ncs: usize,
    stages: usize,
    blocks: usize,
}

fn load(name: &str, n: &Counts) -> Case {
    let (case, report) = cobre_io::load_case_with_report(case_dir(name))
        .unwrap_or_else(|e| panic!("{name} must load: {e}"));
    assert!(
        report.warnings().all(|w| w.severity == Severity::Warning),
        "{name}"
    );
    let s = &case.system;
    assert_eq!(s.buses().len(), n.buses, "{name}: buses");
    assert_eq!(s.lines().len(), n.lines, "{name}: lines");
    assert_eq!(s.thermals().len(), n.thermals, "{name}: thermals");
    assert_eq!(s.hydros().len(), n.hydros, "{name}: hydros");
    assert_eq!(s.non_controllable_sources().len(), n.ncs, "{name}: ncs");
    assert_eq!(s.num_stages(), n.stages, "{name}: stages");
    let blocks: usize = s.horizon().stages.iter().map(|st| st.blocks.len()).sum();
    assert_eq!(blocks, n.blocks, "{name}: blocks");
    // Canonical order and stage indices.
    for (i, st) in s.horizon().stages.iter().enumerate() {
        assert_eq!(st.index, i, "{name}: stage index");
    }
    assert_eq!(
        s.penalties().num_stages,
        n.stages,
        "{name}: penalty table stages"
    );
    assert_eq!(
        s.bounds().thermal.num_entities(),
        n.thermals,
        "{name}: thermal bounds"
    );
    case
}

macro_rules! counts {
    ($b:expr, $l:expr, $t:expr, $h:expr, $n:expr, $s:expr, $k:expr) => {
        Counts {
            buses: $b,
            lines: $l,
            thermals: $t,
            hydros: $h,
            ncs: $n,
            stages: $s,
            blocks: $k,
        }
    };
}

fn hydro_pos(c: &Case, id: i32) -> usize {
    c.system.hydro_position(HydroId(id)).unwrap()
}

fn productivity(c: &Case, hydro: i32, stage: i32) -> Option<f64> {
    let m = c
        .system
        .hydro_models()
        .production_models
        .iter()
        .find(|m| m.hydro == HydroId(hydro))?;
    let ProductionModelSelection::StageRanges(ranges) = &m.selection else {
        return None;
    };
    ranges
        .iter()
        .find(|r| r.start_stage.0 <= stage && r.end_stage.is_none_or(|e| stage <= e.0))
        .and_then(|r| match r.model {
            ProductionModelKind::ConstantProductivity {
                productivity_mw_per_m3s,
            } => productivity_mw_per_m3s,
            _ => None,
        })
}

#[test]
fn case_1dtoy_loads() {
    let c = load("1dtoy", &counts!(1, 0, 2, 1, 0, 4, 4));
    let h = &c.system.hydros()[0];
    assert_eq!(h.penalties.spillage_cost, 0.01);
    // The bus's own single segment overrides the global two-segment list.
    assert_eq!(c.system.buses()[0].deficit_segments.len(), 1);
    assert_eq!(c.system.buses()[0].deficit_segments[0].cost_per_mwh, 1000.0);
    assert_eq!(c.system.horizon().policy_graph.annual_discount_rate, 0.12);
    assert_eq!(c.system.horizon().stages[0].num_openings, 10);
    assert_eq!(
        c.system.initial_conditions().storage_of(HydroId(0)),
        Some(83.222)
    );
    assert_eq!(c.config.training.forward_passes, 1);
    assert_eq!(c.config.simulation.num_scenarios, 100);
    assert_eq!(c.config.training.scenario_source.seed, Some(42));
}

#[test]
fn case_4ree_loads() {
    let c = load("4ree", &counts!(5, 5, 126, 4, 0, 12, 12));
    let l0 = c.system.line_position(LineId(0)).unwrap();
    assert_eq!(c.system.lines()[l0].direct_capacity_mw, 7500.0);
    assert_eq!(c.system.lines()[l0].reverse_capacity_mw, 5470.0);
    assert_eq!(
        c.system
            .bounds()
            .line
            .get(11, l0)
            .unwrap()
            .direct_capacity_mw,
        7500.0
    );
    assert_eq!(c.system.penalties().line_exchange_cost(0, l0), Some(0.1));
    assert_eq!(c.system.penalties().hydro(5, 0).unwrap().spillage_cost, 1.0);
    assert_eq!(c.system.scenarios().inflow_stats.len(), 48);
    assert_eq!(c.system.scenarios().load_stats.len(), 60);
    assert_eq!(c.config.training.forward_passes, 4);
    let t0 = c.system.thermal_position(ThermalId(0)).unwrap();
    assert_eq!(c.system.thermals()[t0].cost_per_mwh, 23.21);
}

#[test]
fn case_d01_thermal_dispatch_loads() {
    let c = load("d01-thermal-dispatch", &counts!(1, 0, 2, 0, 0, 2, 2));
    assert_eq!(c.system.thermals()[0].cost_per_mwh, 5.0);
    assert!(c.system.scenarios().inflow_stats.is_empty());
}

#[test]
fn case_d02_single_hydro_loads() {
    let c = load("d02-single-hydro", &counts!(1, 0, 1, 1, 0, 2, 2));
    assert_eq!(productivity(&c, 0, 0), Some(1.0));
    assert!(c.system.hydros()[0].downstream.is_none());
}

#[test]
fn case_d03_two_hydro_cascade_loads() {
    let c = load("d03-two-hydro-cascade", &counts!(1, 0, 1, 2, 0, 3, 3));
    let (h0, h1) = (hydro_pos(&c, 0), hydro_pos(&c, 1));
    assert_eq!(c.system.hydros()[h0].downstream, Some(HydroId(1)));
    assert_eq!(c.system.cascade().downstream[h0], Some(h1));
    assert_eq!(c.system.cascade().upstream[h1], vec![h0]);
    assert_eq!(
        c.system.initial_conditions().storage_of(HydroId(1)),
        Some(50.0)
    );
    // Inflow non-negativity cost: not in penalties.json → documented default.
    assert_eq!(
        c.system
            .penalties()
            .hydro(2, h1)
            .unwrap()
            .inflow_nonnegativity_cost,
        1000.0
    );
}

#[test]
fn case_d04_transmission_loads() {
    let c = load("d04-transmission", &counts!(2, 1, 1, 2, 0, 2, 2));
    let l = &c.system.lines()[0];
    assert_eq!((l.source_bus, l.target_bus), (BusId(0), BusId(1)));
    assert_eq!(l.direct_capacity_mw, 15.0);
    assert_eq!(l.exchange_cost_per_mwh, 0.01);
    assert_eq!(c.system.network().lines_from[0], vec![0]);
}

#[test]
fn case_d05_fpha_constant_head_loads() {
    let c = load("d05-fpha-constant-head", &counts!(1, 0, 1, 1, 0, 2, 2));
    let hm = c.system.hydro_models();
    assert_eq!(hm.fpha_planes.len(), 2);
    assert_eq!(hm.fpha_planes[0].gamma_q, 1.0);
    assert_eq!(hm.energy_productivity.len(), 1);
}

#[test]
fn case_d06_fpha_variable_head_loads() {
    let c = load("d06-fpha-variable-head", &counts!(1, 0, 1, 1, 0, 2, 2));
    let planes = &c.system.hydro_models().fpha_planes;
    assert_eq!(planes.len(), 2);
    assert!(planes.iter().all(|p| p.stage.is_none()));
}

#[test]
fn case_d07_fpha_computed_loads() {
    let c = load("d07-fpha-computed", &counts!(1, 0, 1, 1, 0, 2, 2));
    assert_eq!(c.system.hydro_models().geometry.len(), 5);
    let h = &c.system.hydros()[0];
    assert!(h.tailrace.is_some() && h.hydraulic_losses.is_some() && h.efficiency.is_some());
}

#[test]
fn case_d08_evaporation_loads() {
    let c = load("d08-evaporation", &counts!(1, 0, 1, 1, 0, 2, 2));
    let e = c.system.hydros()[0].evaporation.as_ref().unwrap();
    assert_eq!(e.coefficients_mm[0], 100.0);
    assert_eq!(c.system.hydro_models().geometry.len(), 3);
}

#[test]
fn case_d09_multi_deficit_loads() {
    let c = load("d09-multi-deficit", &counts!(1, 0, 1, 0, 0, 2, 2));
    let segs = &c.system.buses()[0].deficit_segments;
    assert_eq!(segs.len(), 2);
    assert_eq!(segs[0].depth_mw, Some(10.0));
    assert_eq!(segs[1].cost_per_mwh, 5000.0);
}

#[test]
fn case_d10_inflow_nonnegativity_loads() {
    let c = load("d10-inflow-nonnegativity", &counts!(1, 0, 1, 1, 0, 2, 2));
    assert_eq!(
        c.system.hydros()[0].penalties.inflow_nonnegativity_cost,
        500.0
    );
    assert_eq!(
        c.config.modeling.inflow_non_negativity,
        cobre_core::config::InflowNonNegativity::Penalty
    );
}

#[test]
fn case_d11_water_withdrawal_loads() {
    let c = load("d11-water-withdrawal", &counts!(1, 0, 1, 1, 0, 2, 2));
    assert_eq!(
        c.system
            .bounds()
            .hydro
            .get(1, 0)
            .unwrap()
            .water_withdrawal_m3s,
        10.0
    );
    // Bus without deficit segments: the global list applies.
    assert_eq!(
        c.system.buses()[0].deficit_segments[0].cost_per_mwh,
        50000.0
    );
}

#[test]
fn case_d12_par_annual_loads() {
    let c = load("d12-par-annual", &counts!(1, 0, 1, 2, 0, 24, 24));
    assert_eq!(c.system.scenarios().inflow_history.len(), 720);
    assert!(c.system.scenarios().inflow_stats.is_empty());
    assert_eq!(c.system.horizon().pre_study_stages.len(), 2);
    assert_eq!(
        c.system.horizon().seasons.as_ref().unwrap().seasons.len(),
        12
    );
    assert!(c.config.exports.stochastic);
    assert_eq!(c.config.estimation.min_observations_per_season, 4);
}

#[test]
fn case_d13_generic_constraint_loads() {
    let c = load("d13-generic-constraint", &counts!(1, 0, 1, 0, 0, 2, 2));
    let g = &c.system.generic_constraints()[0];
    assert_eq!(g.slack_penalty, Some(5000.0));
    assert_eq!(
        g.terms[0].variable,
        cobre_core::VariableRef::ThermalGeneration(ThermalId(0))
    );
    let b = c.system.generic_constraint_bounds();
    assert_eq!(b.len(), 2);
    assert_eq!(
        (b[0].lower, b[0].upper, b[0].block),
        (None, Some(10.0), None)
    );
}

#[test]
fn case_d14_block_factors_loads() {
    let c = load("d14-block-factors", &counts!(1, 0, 2, 0, 0, 2, 4));
    let f = &c.system.scenarios().load_factors;
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].factors, vec![(0, 0.8), (1, 1.2)]);
}

#[test]
fn case_d15_non_controllable_source_loads() {
    let c = load("d15-non-controllable-source", &counts!(1, 0, 1, 0, 1, 2, 2));
    let n = &c.system.non_controllable_sources()[0];
    // Entity-level curtailment cost overrides the global 0.005.
    assert_eq!(n.curtailment_cost_per_mwh, 0.001);
    assert_eq!(c.system.penalties().ncs_curtailment_cost(1, 0), Some(0.001));
    assert_eq!(c.system.bounds().ncs.get(0, 0).unwrap().available_mw, 100.0);
    assert_eq!(c.system.scenarios().ncs_stats[0].entity, NcsId(0));
}

#[test]
fn case_d16_par1_lag_shift_loads() {
    let c = load("d16-par1-lag-shift", &counts!(1, 0, 1, 1, 0, 3, 3));
    assert_eq!(c.system.scenarios().ar_coefficients.len(), 3);
    assert_eq!(c.system.scenarios().inflow_stats[0].stage.0, -1);
    assert_eq!(c.system.initial_conditions().recent_observations.len(), 1);
}

#[test]
fn case_d19_multi_hydro_par_loads() {
    let c = load("d19-multi-hydro-par", &counts!(1, 0, 1, 2, 0, 3, 3));
    let ar = &c.system.scenarios().ar_coefficients;
    assert_eq!(ar.len(), 12);
    assert_eq!((ar[1].lag, ar[1].coefficient), (2, 0.3));
}

#[test]
fn case_d20_operational_violations_loads() {
    let c = load("d20-operational-violations", &counts!(1, 0, 0, 1, 0, 2, 2));
    assert_eq!(
        c.system.hydros()[0].penalties.outflow_violation_below_cost,
        5000.0
    );
}

#[test]
fn case_d21_min_outflow_regression_loads() {
    let c = load("d21-min-outflow-regression", &counts!(1, 0, 1, 1, 0, 2, 2));
    assert!(c.system.hydros()[0].min_outflow_m3s > 0.0);
}

#[test]
fn case_d22_per_block_min_outflow_loads() {
    let c = load("d22-per-block-min-outflow", &counts!(1, 0, 1, 1, 0, 2, 6));
    assert_eq!(c.system.horizon().stages[0].blocks[0].hours, 200.0);
}

#[test]
fn case_d23_bidirectional_withdrawal_loads() {
    let c = load(
        "d23-bidirectional-withdrawal",
        &counts!(1, 0, 1, 1, 0, 2, 2),
    );
    let p = c.system.penalties().hydro(0, 0).unwrap();
    assert_eq!(p.water_withdrawal_violation_pos_cost, 1.0);
    assert_eq!(p.water_withdrawal_violation_neg_cost, 10000.0);
    assert_eq!(p.spillage_cost, 1000.0);
    assert_eq!(
        c.system
            .bounds()
            .hydro
            .get(0, 0)
            .unwrap()
            .water_withdrawal_m3s,
        5.0
    );
}

#[test]
fn case_d24_productivity_override_loads() {
    let c = load("d24-productivity-override", &counts!(1, 0, 1, 1, 0, 2, 2));
    assert_eq!(productivity(&c, 0, 0), Some(0.8));
    assert_eq!(productivity(&c, 0, 1), Some(1.2));
}

#[test]
fn case_d25_discount_rate_loads() {
    let c = load("d25-discount-rate", &counts!(1, 0, 1, 1, 0, 2, 2));
    assert_eq!(c.system.horizon().annual_discount_rate(1), 0.12);
    assert!(c.config.simulation.enabled);
}

#[test]
fn case_d26_estimated_par2_loads() {
    let c = load("d26-estimated-par2", &counts!(1, 0, 1, 1, 0, 12, 12));
    assert_eq!(c.system.scenarios().inflow_history.len(), 480);
    assert_eq!(c.config.estimation.max_order, 3);
}

#[test]
fn case_d27_per_stage_thermal_cost_loads() {
    let c = load("d27-per-stage-thermal-cost", &counts!(1, 0, 2, 0, 0, 2, 2));
    let t0 = c.system.thermal_position(ThermalId(0)).unwrap();
    let tb = &c.system.bounds().thermal;
    assert_eq!(tb.get(0, t0).unwrap().cost_per_mwh, 50.0);
    assert_eq!(tb.get(1, t0).unwrap().cost_per_mwh, 120.0);
}

#[test]
fn case_d28_decomp_weekly_monthly_loads() {
    let c = load("d28-decomp-weekly-monthly", &counts!(1, 0, 1, 1, 0, 6, 6));
    assert_eq!(c.system.scenarios().external_inflows.len(), 10);
    assert_eq!(
        c.config.training.scenario_source.inflow,
        cobre_core::config::SamplingScheme::External
    );
    assert!(c.system.scenarios().load_stats.is_empty());
}

#[test]
fn case_d29_weekly_par_noise_sharing_loads() {
    let c = load(
        "d29-weekly-par-noise-sharing",
        &counts!(1, 0, 0, 1, 0, 4, 4),
    );
    let stages = &c.system.horizon().stages;
    assert!(stages.iter().all(|s| s.season == stages[0].season));
}

#[test]
fn case_d30_multi_resolution_monthly_quarterly_loads() {
    let c = load(
        "d30-multi-resolution-monthly-quarterly",
        &counts!(1, 0, 0, 1, 0, 10, 10),
    );
    assert_eq!(
        c.system.horizon().seasons.as_ref().unwrap().cycle,
        cobre_core::stage::SeasonCycle::Custom
    );
    assert_eq!(c.system.scenarios().ar_coefficients.len(), 10);
}

#[test]
fn case_ar_no_seasons_loads_with_stage_periods_as_seasons() {
    let c = load("ar-no-seasons", &counts!(3, 3, 8, 3, 0, 6, 6));
    assert!(c.system.horizon().seasons.is_none());
    assert!(c.system.horizon().stages.iter().all(|s| s.season.is_some()));
    assert_eq!(c.system.scenarios().ar_coefficients.len(), 18);
}

#[test]
fn every_shared_case_is_covered_by_a_test() {
    let root = case_dir("");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    let this = include_str!("conformance.rs");
    for n in &names {
        assert!(
            this.contains(&format!("\"{n}\"")),
            "shared case {n} has no conformance test"
        );
    }
    assert_eq!(names.len(), 31);
}

#[test]
fn refused_cases_name_exactly_what_is_unsupported() {
    for (name, expected) in REFUSED {
        let r = cobre_io::validate(case_dir(name));
        let mut got: Vec<(String, String)> = r
            .of_kind(FindingKind::Unsupported)
            .map(|f| {
                (
                    f.context.file.clone().unwrap_or_default(),
                    f.context.field.clone().unwrap_or_default(),
                )
            })
            .collect();
        got.sort();
        let mut want: Vec<(String, String)> = expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        want.sort();
        assert_eq!(got, want, "{name}");
        assert_eq!(
            r.error_count(),
            got.len(),
            "{name}: only Unsupported errors"
        );
    }
}
