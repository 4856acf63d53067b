//! Small constructors for hand-built systems (tests, examples, benchmarks).

use crate::entities::{
    Bus, DeficitSegment, Hydro, HydroGenerationModel, Line, ServiceWindow, Thermal, UnitGroup,
};
use crate::{BusId, HydroId, HydroPenalties, LineId, ThermalId};

/// A bus with one unbounded deficit segment at `deficit_cost` $/MWh.
#[must_use]
pub fn bus(id: i32, deficit_cost: f64) -> Bus {
    Bus {
        id: BusId(id),
        name: format!("B{id}"),
        deficit_segments: vec![DeficitSegment {
            depth_mw: None,
            cost_per_mwh: deficit_cost,
        }],
        excess_cost_per_mwh: 0.0,
        operational_start_date: None,
    }
}

/// A thermal plant on `bus` with `[0, max_mw]` and `cost` $/MWh.
#[must_use]
pub fn thermal(id: i32, bus: i32, max_mw: f64, cost: f64) -> Thermal {
    Thermal {
        id: ThermalId(id),
        name: format!("T{id}"),
        bus: BusId(bus),
        min_generation_mw: 0.0,
        max_generation_mw: max_mw,
        cost_per_mwh: cost,
        service: ServiceWindow::default(),
        anticipated: None,
        operational_start_date: None,
    }
}

/// A line `source → target` with the same capacity in both directions.
#[must_use]
pub fn line(id: i32, source: i32, target: i32, capacity_mw: f64) -> Line {
    Line {
        id: LineId(id),
        name: format!("L{id}"),
        source_bus: BusId(source),
        target_bus: BusId(target),
        direct_capacity_mw: capacity_mw,
        reverse_capacity_mw: capacity_mw,
        losses_percent: 0.0,
        exchange_cost_per_mwh: 0.0,
        service: ServiceWindow::default(),
        operational_start_date: None,
    }
}

/// A constant-productivity hydro on `bus` with storage in `[0, max_storage_hm3]`
/// and turbined flow in `[0, max_turbined_m3s]` (generation bounded accordingly
/// at productivity 1).
#[must_use]
pub fn hydro(
    id: i32,
    bus: i32,
    downstream: Option<i32>,
    max_storage_hm3: f64,
    max_turbined_m3s: f64,
) -> Hydro {
    Hydro {
        id: HydroId(id),
        name: format!("H{id}"),
        downstream: downstream.map(HydroId),
        travel_time_hours: None,
        min_storage_hm3: 0.0,
        max_storage_hm3,
        min_outflow_m3s: 0.0,
        max_outflow_m3s: None,
        generation_model: HydroGenerationModel::ConstantProductivity,
        min_turbined_m3s: 0.0,
        max_turbined_m3s,
        min_generation_mw: 0.0,
        max_generation_mw: max_turbined_m3s,
        unit_groups: vec![UnitGroup {
            id: 0,
            name: format!("H{id}G0"),
            bus: BusId(bus),
            min_generation_mw: 0.0,
            max_generation_mw: max_turbined_m3s,
            min_turbined_m3s: 0.0,
            max_turbined_m3s,
        }],
        diversion: None,
        efficiency: None,
        evaporation: None,
        filling: None,
        hydraulic_losses: None,
        tailrace: None,
        specific_productivity: None,
        penalties: HydroPenalties::zero(),
        service: ServiceWindow::default(),
        operational_start_date: None,
    }
}
