//! `system/pumping_stations.json`, `constraints/pumping_bounds.parquet` and
//! `constraints/hydro_unit_group_bounds.parquet`.
//!
//! Both bounds files hold overrides keyed by `(entity, stage)` with an
//! optional `block_id`: a row without a block applies to the whole stage,
//! a row with one to that block only (it wins over the stage row).

use super::entities::{registry, Svc};
use super::{non_negative_cell, table_of, Registry, Src};
use crate::files::{name, CaseFiles};
use crate::json::Obj;
use crate::report::{FindingKind, Sink};
use crate::tables::{key, opt, ColType, Table, TableSpec};
use cobre_core::{
    BusId, HydroId, PumpingBound, PumpingStation, PumpingStationId, StageId, UnitGroupBound,
};

/// A pumping station as read.
#[derive(Debug, Clone)]
pub(crate) struct RawPumping {
    pub station: PumpingStation,
    pub svc: Svc,
}

/// What the pumping and unit-group files hold.
#[derive(Debug, Default)]
pub(crate) struct PumpingData {
    /// `system/pumping_stations.json`.
    pub stations: Option<Registry<RawPumping>>,
    /// `constraints/pumping_bounds.parquet`, with row numbers.
    pub bounds: Src<Vec<(usize, PumpingBound)>>,
    /// `constraints/hydro_unit_group_bounds.parquet`, with row numbers.
    pub unit_group_bounds: Src<Vec<(usize, UnitGroupBound)>>,
}

static PUMPING_BOUNDS: TableSpec = TableSpec {
    file: name::PUMPING_BOUNDS,
    columns: &[
        key("pumping_station_id", ColType::I32),
        key("stage_id", ColType::I32),
        opt("block_id", ColType::I32),
        opt("min_m3s", ColType::F64),
        opt("max_m3s", ColType::F64),
    ],
};

static UNIT_GROUP_BOUNDS: TableSpec = TableSpec {
    file: name::UNIT_GROUP_BOUNDS,
    columns: &[
        key("hydro_id", ColType::I32),
        key("hydro_unit_group_id", ColType::I32),
        key("stage_id", ColType::I32),
        opt("block_id", ColType::I32),
        opt("min_turbined_m3s", ColType::F64),
        opt("max_turbined_m3s", ColType::F64),
        opt("min_generation_mw", ColType::F64),
        opt("max_generation_mw", ColType::F64),
    ],
};

fn read_station(o: &mut Obj<'_, '_>, id: i32) -> Option<RawPumping> {
    let name = o.req_str("name");
    let date = o.req_date("operational_start_date");
    let bus = o.req_i32("bus_id");
    let source = o.req_i32("source_hydro_id");
    let destination = o.req_i32("destination_hydro_id");
    let c = o.req_f64("consumption_mw_per_m3s");
    let consumption = o.min("consumption_mw_per_m3s", c, 0.0, false);
    let flow = o.req_obj("flow", &["min_m3s", "max_m3s"]).map(|mut f| {
        let a = f.req_f64("min_m3s");
        let b = f.req_f64("max_m3s");
        (
            f.min("min_m3s", a, 0.0, false),
            f.min("max_m3s", b, 0.0, false),
        )
    });
    let svc = Svc::read(o);
    let (min, max) = flow?;
    if let (Some(s), Some(d)) = (source, destination) {
        if s == d {
            o.error(
                FindingKind::PhysicalConstraint,
                "destination_hydro_id",
                format!(
                    "pumping station {id} takes water from hydro {s} and pumps it back into it"
                ),
            );
        }
    }
    Some(RawPumping {
        station: PumpingStation {
            id: PumpingStationId(id),
            name: name?.to_string(),
            bus: BusId(bus?),
            source: HydroId(source?),
            destination: HydroId(destination?),
            consumption_mw_per_m3s: consumption?,
            min_flow_m3s: min?,
            max_flow_m3s: max?,
            service: svc.window(),
            operational_start_date: Some(date?),
        },
        svc,
    })
}

/// A row of `pumping_bounds.parquet`.
fn pumping_bound(t: &Table, r: usize, sink: &mut Sink) -> Option<PumpingBound> {
    let min_m3s = non_negative_cell(t, "min_m3s", r, sink);
    let max_m3s = non_negative_cell(t, "max_m3s", r, sink);
    Some(PumpingBound {
        station: PumpingStationId(t.i32("pumping_station_id", r)?),
        stage: StageId(t.i32("stage_id", r)?),
        block: t.i32("block_id", r),
        min_m3s,
        max_m3s,
    })
}

/// A row of `hydro_unit_group_bounds.parquet`.
fn unit_group_bound(t: &Table, r: usize, sink: &mut Sink) -> Option<UnitGroupBound> {
    let min_q = non_negative_cell(t, "min_turbined_m3s", r, sink);
    let max_q = non_negative_cell(t, "max_turbined_m3s", r, sink);
    let min_g = non_negative_cell(t, "min_generation_mw", r, sink);
    let max_g = non_negative_cell(t, "max_generation_mw", r, sink);
    Some(UnitGroupBound {
        hydro: HydroId(t.i32("hydro_id", r)?),
        group: t.i32("hydro_unit_group_id", r)?,
        stage: StageId(t.i32("stage_id", r)?),
        block: t.i32("block_id", r),
        min_turbined_m3s: min_q,
        max_turbined_m3s: max_q,
        min_generation_mw: min_g,
        max_generation_mw: max_g,
    })
}

/// Reads the pumping stations and the two bounds files.
pub(crate) fn read(files: &CaseFiles, sink: &mut Sink) -> PumpingData {
    let stations = files.exists(name::PUMPING).then(|| {
        registry(
            files,
            name::PUMPING,
            "pumping_stations",
            "pumping station",
            &[
                "id",
                "name",
                "operational_start_date",
                "bus_id",
                "source_hydro_id",
                "destination_hydro_id",
                "consumption_mw_per_m3s",
                "flow",
                "entry_stage_id",
                "exit_stage_id",
            ],
            sink,
            read_station,
        )
    });
    let bounds = table_of(files, &PUMPING_BOUNDS, sink).map_rows(|t, r| pumping_bound(t, r, sink));
    let unit_group_bounds =
        table_of(files, &UNIT_GROUP_BOUNDS, sink).map_rows(|t, r| unit_group_bound(t, r, sink));
    PumpingData {
        stations,
        bounds,
        unit_group_bounds,
    }
}
