//! Closed-form cases of the stage-LP families of DECOMP decks: pumping
//! stations, diversion channels and plants whose unit groups sit on
//! several buses. One stage of 730 h (c = 2.628 hm³ per m³/s), thermal at
//! 100 $/MWh, no cost on water: the optimum is a short hand calculation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cobre_core::entities::{Diversion, UnitGroup};
use cobre_core::initial::InitialStorage;
use cobre_core::testing::{bus, hydro, thermal};
use cobre_core::{
    BlockTable, BusId, HydroBlockOverride, HydroId, PumpingStation, PumpingStationId,
    ServiceWindow, StageId, System, SystemParts, UnitGroupBound,
};
use common::*;

fn one_stage(parts: &mut SystemParts) {
    parts.horizon.stages = vec![stage(0, &[730.0], 1)];
}

#[test]
fn a_pump_lifts_water_to_a_turbine_for_the_net_energy_it_yields() {
    // B (200 hm³, no turbine) feeds A (empty, ρ = 1) through a 40 m³/s pump
    // drawing 0.5 MW per m³/s: A turbines what is pumped, the net 20 MW
    // displaces thermal. Cost = (50 − 40 + 0.5·40)·100·730.
    let mut a = hydro(0, 0, None, 300.0, 100.0);
    a.max_generation_mw = 100.0;
    let mut b = hydro(1, 0, None, 300.0, 0.0);
    b.max_generation_mw = 0.0;
    let mut parts = SystemParts {
        buses: vec![bus(0, 1000.0)],
        thermals: vec![thermal(0, 0, 100.0, 100.0)],
        hydros: vec![a, b],
        pumping_stations: vec![PumpingStation {
            id: PumpingStationId(0),
            name: "P".into(),
            bus: BusId(0),
            source: HydroId(1),
            destination: HydroId(0),
            consumption_mw_per_m3s: 0.5,
            min_flow_m3s: 0.0,
            max_flow_m3s: 40.0,
            service: ServiceWindow::default(),
            operational_start_date: None,
        }],
        ..SystemParts::default()
    };
    one_stage(&mut parts);
    parts.scenarios.load_stats = vec![load(0, 0, 50.0, 0.0)];
    parts.scenarios.inflow_stats = vec![inflow(0, 0, 0.0, 0.0), inflow(1, 0, 0.0, 0.0)];
    parts.hydro_models.energy_productivity = vec![productivity(0, 1.0), productivity(1, 0.0)];
    parts.initial_conditions.storage = vec![
        InitialStorage {
            hydro: HydroId(0),
            value_hm3: 0.0,
        },
        InitialStorage {
            hydro: HydroId(1),
            value_hm3: 200.0,
        },
    ];
    let lb = lower_bound(&System::new(parts).unwrap());
    let expected = (50.0 - 40.0 + 0.5 * 40.0) * 100.0 * 730.0;
    assert!(rel(lb, expected) < 1e-9, "{lb} vs {expected}");
}

/// A (no turbine, no storage, 30 m³/s) spills into B (ρ = 1) and diverts
/// at most `channel` m³/s into C (ρ = 2); neither stores.
fn diversion_system(channel: f64, bound: Option<(f64, f64)>) -> System {
    let mut a = hydro(0, 0, Some(1), 0.0, 0.0);
    a.max_generation_mw = 0.0;
    a.diversion = Some(Diversion {
        downstream: HydroId(2),
        max_flow_m3s: channel,
    });
    let b = hydro(1, 0, None, 0.0, 100.0);
    let mut c = hydro(2, 0, None, 0.0, 100.0);
    c.max_generation_mw = 200.0;
    let mut parts = SystemParts {
        buses: vec![bus(0, 1000.0)],
        thermals: vec![thermal(0, 0, 200.0, 100.0)],
        hydros: vec![a, b, c],
        ..SystemParts::default()
    };
    one_stage(&mut parts);
    parts.scenarios.load_stats = vec![load(0, 0, 100.0, 0.0)];
    parts.scenarios.inflow_stats = (0..3)
        .map(|h| inflow(h, 0, if h == 0 { 30.0 } else { 0.0 }, 0.0))
        .collect();
    parts.hydro_models.energy_productivity = vec![
        productivity(0, 0.0),
        productivity(1, 1.0),
        productivity(2, 2.0),
    ];
    parts.initial_conditions.storage = (0..3)
        .map(|h| InitialStorage {
            hydro: HydroId(h),
            value_hm3: 0.0,
        })
        .collect();
    let mut system_parts = parts;
    if let Some((lo, hi)) = bound {
        let mut sys = System::new(system_parts.clone()).unwrap();
        let mut bounds = sys.bounds().clone();
        if let Some(hb) = bounds.hydro.get_mut(0, 0) {
            hb.min_diversion_m3s = lo;
            hb.max_diversion_m3s = Some(hi);
        }
        system_parts.bounds = bounds;
        sys = System::new(system_parts).unwrap();
        return sys;
    }
    System::new(system_parts).unwrap()
}

#[test]
fn a_diversion_channel_sends_water_to_its_target_not_downstream() {
    // Divert 10 into C (20 MW), spill 20 into B (20 MW): thermal 60 MW.
    let lb = lower_bound(&diversion_system(10.0, None));
    let expected = 60.0 * 100.0 * 730.0;
    assert!(rel(lb, expected) < 1e-9, "{lb} vs {expected}");
}

#[test]
fn diversion_bounds_override_the_channel_and_force_a_minimum() {
    // Bound [0, 25] over a 10 m³/s channel: divert 25 (50 MW), spill 5 (5 MW).
    let lb = lower_bound(&diversion_system(10.0, Some((0.0, 25.0))));
    assert!(rel(lb, 45.0 * 100.0 * 730.0) < 1e-9, "{lb}");
    // A forced minimum of 30 with C's turbine at 100: all water to C, 60 MW.
    let lb = lower_bound(&diversion_system(10.0, Some((30.0, 30.0))));
    assert!(rel(lb, 40.0 * 100.0 * 730.0) < 1e-9, "{lb}");
}

/// One plant (ρ = 1, no storage, 50 m³/s) with a group of 10 MW on bus 0
/// and one of 30 MW on bus 1; 20 MW of load on each bus, no line, thermal
/// at 100 $/MWh on each bus.
fn two_bus_plant(group_bound: Option<f64>) -> System {
    let mut h = hydro(0, 0, None, 0.0, 40.0);
    h.max_generation_mw = 40.0;
    let group = |id: i32, bus: i32, cap: f64| UnitGroup {
        id,
        name: format!("G{id}"),
        bus: BusId(bus),
        min_generation_mw: 0.0,
        max_generation_mw: cap,
        min_turbined_m3s: 0.0,
        max_turbined_m3s: cap,
    };
    h.unit_groups = vec![group(0, 0, 10.0), group(1, 1, 30.0)];
    let mut parts = SystemParts {
        buses: vec![bus(0, 1000.0), bus(1, 1000.0)],
        thermals: vec![thermal(0, 0, 100.0, 100.0), thermal(1, 1, 100.0, 100.0)],
        hydros: vec![h],
        ..SystemParts::default()
    };
    one_stage(&mut parts);
    parts.scenarios.load_stats = vec![load(0, 0, 20.0, 0.0), load(1, 0, 20.0, 0.0)];
    parts.scenarios.inflow_stats = vec![inflow(0, 0, 50.0, 0.0)];
    parts.hydro_models.energy_productivity = vec![productivity(0, 1.0)];
    parts.initial_conditions.storage = vec![InitialStorage {
        hydro: HydroId(0),
        value_hm3: 0.0,
    }];
    parts.unit_group_bounds = group_bound
        .map(|g| UnitGroupBound {
            hydro: HydroId(0),
            group: 1,
            stage: StageId(0),
            block: None,
            min_turbined_m3s: None,
            max_turbined_m3s: None,
            min_generation_mw: None,
            max_generation_mw: Some(g),
        })
        .into_iter()
        .collect();
    System::new(parts).unwrap()
}

#[test]
fn a_plant_on_two_buses_generates_at_each_within_its_groups() {
    // Bus 0: hydro 10 + thermal 10; bus 1: hydro 20. Thermal 10 MW.
    let lb = lower_bound(&two_bus_plant(None));
    assert!(rel(lb, 10.0 * 100.0 * 730.0) < 1e-9, "{lb}");
}

#[test]
fn unit_group_bounds_override_a_group_per_stage() {
    // Group 1 limited to 5 MW: thermal 10 on bus 0 and 15 on bus 1.
    let lb = lower_bound(&two_bus_plant(Some(5.0)));
    assert!(rel(lb, 25.0 * 100.0 * 730.0) < 1e-9, "{lb}");
}

/// A per-block row of `hydro_bounds.parquet` opens a diversion its stage
/// values leave closed, at its block only. A (no turbine, no storage, no
/// channel, 30 m³/s) spills into B (ρ = 1); blocks of 230 h and 500 h,
/// 100 MW of load, thermal at 100 $/MWh. Block 0 forces 10 m³/s out of the
/// system: B turbines 30·730 − 10·230 = 19 600 MWh, the thermal 53 400 MWh.
#[test]
fn a_per_block_diversion_row_diverts_at_its_block_only() {
    let mut a = hydro(0, 0, Some(1), 0.0, 0.0);
    a.max_generation_mw = 0.0;
    let b = hydro(1, 0, None, 0.0, 100.0);
    let mut parts = SystemParts {
        buses: vec![bus(0, 1000.0)],
        thermals: vec![thermal(0, 0, 100.0, 100.0)],
        hydros: vec![a, b],
        ..SystemParts::default()
    };
    parts.horizon.stages = vec![stage(0, &[230.0, 500.0], 1)];
    parts.scenarios.load_stats = vec![load(0, 0, 100.0, 0.0)];
    parts.scenarios.inflow_stats = vec![inflow(0, 0, 30.0, 0.0), inflow(1, 0, 0.0, 0.0)];
    parts.hydro_models.energy_productivity = vec![productivity(0, 0.0), productivity(1, 1.0)];
    parts.initial_conditions.storage = (0..2)
        .map(|h| InitialStorage {
            hydro: HydroId(h),
            value_hm3: 0.0,
        })
        .collect();
    let base = System::new(parts.clone()).unwrap();
    assert_eq!(
        base.bounds().hydro.get(0, 0).unwrap().max_diversion_m3s,
        None
    );
    parts.bounds.hydro = base.bounds().hydro.clone();
    parts.bounds.hydro_blocks = BlockTable::new(vec![(
        (0, 0, 0),
        HydroBlockOverride {
            min_diversion_m3s: Some(10.0),
            max_diversion_m3s: Some(10.0),
            ..HydroBlockOverride::default()
        },
    )]);
    let lb = lower_bound(&System::new(parts).unwrap());
    let expected = (73_000.0 - (30.0 * 730.0 - 10.0 * 230.0)) * 100.0;
    assert!(rel(lb, expected) < 1e-9, "{lb} vs {expected}");
}
