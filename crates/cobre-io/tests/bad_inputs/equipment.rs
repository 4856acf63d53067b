//! Pumping stations, diversion channels and unit groups: accepted as 0.18
//! accepts them, refused with the rules 0.18 applies.

use super::{assert_error, want, Fixture};
use arrow::array::{ArrayRef, Float64Array, Int32Array, RecordBatch};
use cobre_io::FindingKind::{CapacityViolation, MissingReference, StageMismatch};
use serde_json::json;
use std::sync::Arc;

fn with_station(fx: &Fixture, source: i32, destination: i32) {
    fx.write(
        "system/pumping_stations.json",
        json!({"pumping_stations": [{"id": 0, "name": "P", "operational_start_date": "2020-01-01",
            "bus_id": 0, "source_hydro_id": source, "destination_hydro_id": destination,
            "consumption_mw_per_m3s": 0.5, "flow": {"min_m3s": 0.0, "max_m3s": 10.0}}]})
        .to_string(),
    );
}

fn pumping_bounds(stage: i32, block: Option<i32>, max: f64) -> RecordBatch {
    let col = |v: Vec<Option<i32>>| Arc::new(Int32Array::from(v)) as ArrayRef;
    RecordBatch::try_from_iter([
        ("pumping_station_id", col(vec![Some(0)])),
        ("stage_id", col(vec![Some(stage)])),
        ("block_id", col(vec![block])),
        (
            "min_m3s",
            Arc::new(Float64Array::from(vec![None::<f64>])) as ArrayRef,
        ),
        (
            "max_m3s",
            Arc::new(Float64Array::from(vec![Some(max)])) as ArrayRef,
        ),
    ])
    .unwrap()
}

#[test]
fn a_pumping_station_with_bounds_is_valid() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    with_station(&fx, 1, 0);
    fx.write_batch(
        "constraints/pumping_bounds.parquet",
        &pumping_bounds(0, Some(0), 5.0),
    );
    let r = fx.validate();
    assert!(r.is_valid(), "{:?}", r.errors().collect::<Vec<_>>());
}

#[test]
fn a_pumping_station_naming_an_unknown_hydro_is_a_missing_reference() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    with_station(&fx, 7, 0);
    assert_error(
        &fx.validate(),
        want(MissingReference, "system/pumping_stations.json").field("source_hydro_id"),
    );
}

#[test]
fn a_pumping_bound_on_an_unknown_block_is_a_stage_mismatch() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    with_station(&fx, 1, 0);
    fx.write_batch(
        "constraints/pumping_bounds.parquet",
        &pumping_bounds(0, Some(4), 5.0),
    );
    assert_error(
        &fx.validate(),
        want(StageMismatch, "constraints/pumping_bounds.parquet").field("block_id"),
    );
}

#[test]
fn a_diversion_channel_to_a_known_plant_is_valid() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["diversion"] = json!({"downstream_id": 1, "max_flow_m3s": 5.0})
    });
    assert!(fx.validate().is_valid());
}

#[test]
fn a_diversion_to_an_unknown_plant_is_a_missing_reference() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["diversion"] = json!({"downstream_id": 9, "max_flow_m3s": 5.0})
    });
    assert_error(
        &fx.validate(),
        want(MissingReference, "system/hydros.json").field("diversion.downstream_id"),
    );
}

#[test]
fn unit_groups_on_two_buses_within_the_plant_are_valid() {
    let fx = Fixture::new("d04-transmission");
    fx.json("system/hydros.json", |v| {
        let mut g0 = v["hydros"][0]["unit_groups"][0].clone();
        g0["max_generation_mw"] = json!(25.0);
        g0["max_turbined_m3s"] = json!(25.0);
        let mut g1 = g0.clone();
        g1["id"] = json!(1);
        g1["bus_id"] = json!(1);
        v["hydros"][0]["unit_groups"] = json!([g0, g1]);
    });
    assert!(fx.validate().is_valid());
}

#[test]
fn unit_groups_larger_than_their_plant_are_refused() {
    let fx = Fixture::new("d04-transmission");
    fx.json("system/hydros.json", |v| {
        let g0 = v["hydros"][0]["unit_groups"][0].clone();
        let mut g1 = g0.clone();
        g1["id"] = json!(1);
        g1["bus_id"] = json!(1);
        v["hydros"][0]["unit_groups"] = json!([g0, g1]);
    });
    assert_error(
        &fx.validate(),
        want(CapacityViolation, "system/hydros.json")
            .field("unit_groups")
            .entity(0),
    );
}

#[test]
fn a_unit_group_bound_on_an_unknown_group_is_a_missing_reference() {
    let fx = Fixture::new("d02-single-hydro");
    let col = |v: Vec<i32>| Arc::new(Int32Array::from(v)) as ArrayRef;
    let b = RecordBatch::try_from_iter([
        ("hydro_id", col(vec![0])),
        ("hydro_unit_group_id", col(vec![3])),
        ("stage_id", col(vec![0])),
        (
            "max_generation_mw",
            Arc::new(Float64Array::from(vec![10.0])) as ArrayRef,
        ),
    ])
    .unwrap();
    fx.write_batch("constraints/hydro_unit_group_bounds.parquet", &b);
    assert_error(
        &fx.validate(),
        want(
            MissingReference,
            "constraints/hydro_unit_group_bounds.parquet",
        )
        .field("hydro_unit_group_id"),
    );
}
