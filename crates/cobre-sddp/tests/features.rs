//! One small closed-form case per model feature of the real decks
//! (issue 14): per-block bounds, plants of productivity 0, computed FPHA of
//! a run-of-river plant with tailrace families, generic-constraint
//! parameters, and the backward scheduler. Each is deterministic and small
//! enough that its optimum is written down by hand.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use cobre_core::constraints::StageTable;
use cobre_core::entities::{EfficiencyModel, HydroGenerationModel};
use cobre_core::hydro_models::{
    FphaConfig, FphaSource, GeometryPoint, HydroProductionModel, ProductionModelKind,
    ProductionModelRange, ProductionModelSelection, TailraceFamily, TailraceSegment,
};
use cobre_core::testing::{bus, hydro, line, thermal};
use cobre_core::{
    BlockTable, ComputedParameter, ConstraintId, GenericConstraint, GenericConstraintBound,
    HydroBlockOverride, HydroId, LineBlockOverride, LineStageBounds, LinearTerm, ParameterValue,
    ScalarParameter, StageId, System, SystemParts, ThermalBlockOverride, ThermalStageBounds,
    VariableRef,
};
use cobre_sddp::{train, OpeningsPerItem, StudyModel, TrainingHooks, TrainingSettings};
use common::*;

/// Two blocks (10 h, 20 h), 10 MW of load on bus 1 in both; bus 0 has a
/// 10 $/MWh thermal, bus 1 a 50 $/MWh one, joined by a 10 MW line. Block 1
/// rows cut the line to 3 MW and the cheap thermal to 8 MW:
/// block 0: 10 MW × 10 h × 10 $ = 1000; block 1: 3 MW cheap (600) + 7 MW
/// dear (7000). Total 8600 (9000 without the per-block rows would be
/// 10 × 30 × 10 = 3000).
#[test]
fn per_block_bounds_override_their_block_only() {
    let mut parts = SystemParts {
        buses: vec![bus(0, 1000.0), bus(1, 1000.0)],
        lines: vec![line(0, 0, 1, 10.0)],
        thermals: vec![thermal(0, 0, 100.0, 10.0), thermal(1, 1, 100.0, 50.0)],
        ..SystemParts::default()
    };
    parts.horizon.stages = vec![stage(0, &[10.0, 20.0], 1)];
    parts.scenarios.load_stats = vec![load(0, 0, 0.0, 0.0), load(1, 0, 10.0, 0.0)];
    let base = System::new(parts.clone()).unwrap();
    assert!(rel(lower_bound(&base), 3000.0) < 1e-9);

    parts.bounds.thermal = StageTable::from_base(
        1,
        &[
            ThermalStageBounds {
                min_generation_mw: 0.0,
                max_generation_mw: 100.0,
                cost_per_mwh: 10.0,
            },
            ThermalStageBounds {
                min_generation_mw: 0.0,
                max_generation_mw: 100.0,
                cost_per_mwh: 50.0,
            },
        ],
    );
    parts.bounds.line = StageTable::from_base(
        1,
        &[LineStageBounds {
            direct_capacity_mw: 10.0,
            reverse_capacity_mw: 10.0,
        }],
    );
    parts.bounds.line_blocks = BlockTable::new(vec![(
        (0, 0, 1),
        LineBlockOverride {
            direct_capacity_mw: Some(3.0),
            reverse_capacity_mw: None,
        },
    )]);
    parts.bounds.thermal_blocks = BlockTable::new(vec![(
        (0, 0, 1),
        ThermalBlockOverride {
            min_generation_mw: None,
            max_generation_mw: Some(8.0),
        },
    )]);
    let lb = lower_bound(&System::new(parts).unwrap());
    eprintln!("per-block bounds: {lb}");
    assert!(rel(lb, 8600.0) < 1e-9, "{lb}");
}

/// A hydro of productivity 1 turbines at most 10 m³/s, 2 m³/s in block 1
/// (a per-block `max_turbined_m3s`); 10 MW of load, deficit at 1000 $/MWh:
/// 8 MW × 20 h × 1000 $ = 160 000.
#[test]
fn per_block_hydro_bounds_limit_the_turbines_of_their_block() {
    let mut parts = SystemParts {
        buses: vec![bus(0, 1000.0)],
        hydros: vec![hydro(0, 0, None, 1000.0, 10.0)],
        ..SystemParts::default()
    };
    parts.horizon.stages = vec![stage(0, &[10.0, 20.0], 1)];
    parts.scenarios.load_stats = vec![load(0, 0, 10.0, 0.0)];
    parts.scenarios.inflow_stats = vec![inflow(0, 0, 100.0, 0.0)];
    let base = System::new(parts.clone()).unwrap();
    parts.bounds.hydro = base.bounds().hydro.clone();
    parts.bounds.hydro_blocks = BlockTable::new(vec![(
        (0, 0, 1),
        HydroBlockOverride {
            max_turbined_m3s: Some(2.0),
            ..HydroBlockOverride::default()
        },
    )]);
    let lb = lower_bound(&System::new(parts).unwrap());
    assert!(rel(lb, 160_000.0) < 1e-9, "{lb}");
}

/// One bus, a 10 $/MWh thermal of `thermal_mw` and plant 0 (no storage)
/// above plant 1, over one stage of 100 h.
fn two_plant_cascade(thermal_mw: f64) -> SystemParts {
    let mut parts = SystemParts {
        buses: vec![bus(0, 1000.0)],
        thermals: vec![thermal(0, 0, thermal_mw, 10.0)],
        hydros: vec![
            hydro(0, 0, Some(1), 0.0, 100.0),
            hydro(1, 0, None, 0.0, 100.0),
        ],
        ..SystemParts::default()
    };
    parts.horizon.stages = vec![stage(0, &[100.0], 1)];
    parts
}

/// A reservoir of productivity 0 (it stores and passes water, generates
/// nothing) feeds a run-of-river plant of productivity 1: the 30 m³/s it
/// releases become 30 MW downstream; the thermal covers the other 20 MW of
/// the 50 MW load: 20 MW × 100 h × 10 $ = 20 000.
#[test]
fn a_plant_of_productivity_zero_passes_its_water_downstream() {
    let mut parts = two_plant_cascade(100.0);
    parts.scenarios.load_stats = vec![load(0, 0, 50.0, 0.0)];
    parts.scenarios.inflow_stats = vec![inflow(0, 0, 30.0, 0.0), inflow(1, 0, 0.0, 0.0)];
    parts.hydro_models.energy_productivity = vec![productivity(0, 0.0), productivity(1, 1.0)];
    let lb = lower_bound(&System::new(parts).unwrap());
    assert!(rel(lb, 20_000.0) < 1e-9, "{lb}");
}

fn computed_fpha(hydro: i32) -> HydroProductionModel {
    HydroProductionModel {
        hydro: HydroId(hydro),
        selection: ProductionModelSelection::StageRanges(vec![ProductionModelRange {
            start_stage: StageId(0),
            end_stage: None,
            model: ProductionModelKind::Fpha {
                config: FphaConfig {
                    source: FphaSource::Computed,
                    volume_points: None,
                    turbine_points: None,
                    spillage_points: None,
                    max_planes: None,
                    fitting_window_hm3: None,
                    fitting_window_percentile: None,
                },
                reference_volume: None,
            },
        }]),
    }
}

fn constant_family(hydro: i32, family_id: i32, level: f64, height: f64) -> TailraceFamily {
    TailraceFamily {
        hydro: HydroId(hydro),
        family_id,
        downstream_reference_level_m: Some(level),
        segments: vec![TailraceSegment {
            outflow_min_m3s: 0.0,
            outflow_max_m3s: 1e6,
            coefficients: [height, 0.0, 0.0, 0.0, 0.0],
        }],
    }
}

/// A run-of-river FPHA plant computed from one geometry point (forebay
/// 100 m) whose tailrace families are 5 m at a downstream level of 10 m and
/// 9 m at 20 m; the plant below has one geometry point at 15 m, so the
/// tailrace is their blend, 7 m: the production function is linear,
/// `9.81e-3 · 0.9 · 93 · q` MW. 50 m³/s make 41.05485 MW of the 100 MW
/// load; the 10 $/MWh thermal the rest over 100 h.
#[test]
fn computed_fpha_of_a_run_of_river_plant_reads_the_blended_tailrace() {
    let mut up = hydro(0, 0, Some(1), 0.0, 50.0);
    up.generation_model = HydroGenerationModel::Fpha;
    up.max_generation_mw = 1000.0;
    up.efficiency = Some(EfficiencyModel::Constant(0.9));
    let down = hydro(1, 0, None, 0.0, 0.0);
    let mut parts = SystemParts {
        buses: vec![bus(0, 1000.0)],
        thermals: vec![thermal(0, 0, 200.0, 10.0)],
        hydros: vec![up, down],
        ..SystemParts::default()
    };
    parts.horizon.stages = vec![stage(0, &[100.0], 1)];
    parts.scenarios.load_stats = vec![load(0, 0, 100.0, 0.0)];
    parts.scenarios.inflow_stats = vec![inflow(0, 0, 50.0, 0.0), inflow(1, 0, 0.0, 0.0)];
    let point = |h: i32, height: f64| GeometryPoint {
        hydro: HydroId(h),
        volume_hm3: 0.0,
        height_m: height,
        area_km2: 0.0,
    };
    parts.hydro_models.production_models = vec![computed_fpha(0)];
    parts.hydro_models.geometry = vec![point(0, 100.0), point(1, 15.0)];
    parts.hydro_models.tailrace_families = vec![
        constant_family(0, 1, 10.0, 5.0),
        constant_family(0, 2, 20.0, 9.0),
    ];
    parts.hydro_models.energy_productivity = vec![productivity(1, 1.0)];
    let lb = lower_bound(&System::new(parts).unwrap());
    let hydro_mw = 9.81e-3 * 0.9 * 93.0 * 50.0;
    let expected = (100.0 - hydro_mw) * 100.0 * 10.0;
    eprintln!("computed run-of-river FPHA: {lb} (closed form {expected})");
    assert!(rel(lb, expected) < 1e-9, "{lb} vs {expected}");
}

/// `@acum0 * hydro_turbined(0) <= 50` and `@acum1 * hydro_turbined(1) <= 30`
/// with the accumulated productivities computed from the cascade (plant 0,
/// ρ = 2, above plant 1, ρ = 3: 5 and 3) cap both turbined flows at
/// 10 m³/s: 2·10 + 3·10 = 50 MW of the 100 MW load; the thermal makes the
/// rest: 50 MW × 100 h × 10 $ = 50 000.
#[test]
fn computed_parameters_multiply_generic_constraint_terms() {
    let mut parts = two_plant_cascade(200.0);
    for h in &mut parts.hydros {
        h.max_generation_mw = 1000.0;
    }
    parts.scenarios.load_stats = vec![load(0, 0, 100.0, 0.0)];
    parts.scenarios.inflow_stats = vec![inflow(0, 0, 200.0, 0.0), inflow(1, 0, 0.0, 0.0)];
    parts.hydro_models.energy_productivity = vec![productivity(0, 2.0), productivity(1, 3.0)];
    parts.generic_parameters = vec![
        ScalarParameter {
            id: Some(0),
            name: "acum0".into(),
            value: ParameterValue::Computed(ComputedParameter::AccumulatedProductivity(HydroId(0))),
        },
        ScalarParameter {
            id: Some(1),
            name: "acum1".into(),
            value: ParameterValue::Computed(ComputedParameter::AccumulatedProductivity(HydroId(1))),
        },
    ];
    let cap = |id: i32, h: i32, p: u32| GenericConstraint {
        id: ConstraintId(id),
        name: format!("cap{id}"),
        description: None,
        expression: String::new(),
        terms: vec![LinearTerm {
            coefficient: 1.0,
            variable: VariableRef::HydroTurbined(HydroId(h)),
            block: None,
            parameter: Some(p),
        }],
        constant: 0.0,
        slack_penalty: None,
    };
    parts.generic_constraints = vec![cap(0, 0, 0), cap(1, 1, 1)];
    let bound = |id: i32, upper: f64| GenericConstraintBound {
        constraint: ConstraintId(id),
        stage: StageId(0),
        block: None,
        lower: None,
        upper: Some(upper),
    };
    parts.generic_constraint_bounds = vec![bound(0, 50.0), bound(1, 30.0)];
    let lb = lower_bound(&System::new(parts).unwrap());
    assert!(rel(lb, 50_000.0) < 1e-9, "{lb}");
}

/// The backward scheduler changes how the work is split, not the bound
/// training converges to.
#[test]
fn backward_schedulers_converge_to_the_same_bound() {
    let system = stochastic_system(3, 4);
    let cfg = config(60, 2);
    let study = StudyModel::build(&system, &cfg).unwrap();
    let run = |o: Option<OpeningsPerItem>| {
        let settings = TrainingSettings {
            openings_per_item: o,
            ..TrainingSettings::from_config(&cfg)
        };
        train(&study, &settings, TrainingHooks::default())
            .unwrap()
            .lower_bound()
    };
    let default = run(None);
    for o in [
        OpeningsPerItem::All,
        OpeningsPerItem::Half,
        OpeningsPerItem::Fixed(1),
    ] {
        let lb = run(Some(o));
        eprintln!("{o:?}: {lb} vs {default}");
        assert!(rel(lb, default) < 1e-6, "{o:?}: {lb} vs {default}");
    }
}
