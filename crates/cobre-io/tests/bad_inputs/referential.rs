//! Layer 3: references that do not resolve, repeated ids and keys.

use super::{assert_error, set_column, want, Fixture};
use arrow::array::{Int32Array, RecordBatch};
use cobre_io::{FindingKind::*, Layer};
use serde_json::json;
use std::sync::Arc;

#[test]
fn an_unknown_bus_of_a_thermal_is_a_missing_reference() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("system/thermals.json", |v| {
        v["thermals"][1]["bus_id"] = json!(9)
    });
    let f = assert_error(
        &fx.validate(),
        want(MissingReference, "system/thermals.json")
            .field("bus_id")
            .entity(1)
            .layer(Layer::Referential),
    );
    assert!(f.suggestion.as_deref().unwrap_or("").contains('0'));
}

#[test]
fn an_unknown_target_bus_of_a_line_is_a_missing_reference() {
    let fx = Fixture::new("d04-transmission");
    fx.json("system/lines.json", |v| {
        v["lines"][0]["target_bus_id"] = json!(7)
    });
    assert_error(
        &fx.validate(),
        want(MissingReference, "system/lines.json")
            .field("target_bus_id")
            .entity(0),
    );
}

#[test]
fn an_unknown_bus_of_a_unit_group_is_a_missing_reference() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["unit_groups"][0]["bus_id"] = json!(3)
    });
    assert_error(
        &fx.validate(),
        want(MissingReference, "system/hydros.json")
            .field("unit_groups.bus_id")
            .entity(0),
    );
}

#[test]
fn an_unknown_downstream_hydro_is_a_missing_reference() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["downstream_id"] = json!(5)
    });
    assert_error(
        &fx.validate(),
        want(MissingReference, "system/hydros.json")
            .field("downstream_id")
            .entity(0),
    );
}

#[test]
fn a_duplicate_hydro_id_is_a_duplicate_id() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    fx.json("system/hydros.json", |v| {
        v["hydros"][1]["id"] = json!(0);
        v["hydros"][0]["downstream_id"] = json!(null);
    });
    assert_error(
        &fx.validate(),
        want(DuplicateId, "system/hydros.json").entity(0),
    );
}

#[test]
fn a_duplicate_thermal_id_is_a_duplicate_id() {
    let fx = Fixture::new("4ree");
    fx.json("system/thermals.json", |v| {
        v["thermals"][7]["id"] = v["thermals"][3]["id"].clone()
    });
    let r = fx.validate();
    let f = assert_error(&r, want(DuplicateId, "system/thermals.json"));
    assert_eq!(f.context.entity_kind.as_deref(), Some("thermal"));
}

#[test]
fn a_duplicate_stage_id_is_a_duplicate_id() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("stages.json", |v| v["stages"][1]["id"] = json!(0));
    assert_error(&fx.validate(), want(DuplicateId, "stages.json").entity(0));
}

#[test]
fn initial_storage_for_a_hydro_that_does_not_exist_is_a_missing_reference() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("initial_conditions.json", |v| {
        v["storage"]
            .as_array_mut()
            .unwrap()
            .push(json!({"hydro_id": 7, "value_hm3": 1.0}));
    });
    assert_error(
        &fx.validate(),
        want(MissingReference, "initial_conditions.json")
            .field("storage.hydro_id")
            .entity(7),
    );
}

#[test]
fn two_initial_storages_for_one_hydro_are_a_duplicate_id() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("initial_conditions.json", |v| {
        v["storage"]
            .as_array_mut()
            .unwrap()
            .push(json!({"hydro_id": 0, "value_hm3": 1.0}));
    });
    assert_error(
        &fx.validate(),
        want(DuplicateId, "initial_conditions.json").entity(0),
    );
}

#[test]
fn an_unknown_hydro_in_inflow_stats_is_one_missing_reference_naming_its_rows() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    fx.parquet("scenarios/inflow_seasonal_stats.parquet", |b| {
        let v: Vec<i32> = (0..b.num_rows())
            .map(|i| if i < 3 { 0 } else { 9 })
            .collect();
        set_column(b, "hydro_id", Arc::new(Int32Array::from(v)))
    });
    let r = fx.validate();
    let f = assert_error(
        &r,
        want(MissingReference, "scenarios/inflow_seasonal_stats.parquet")
            .field("hydro_id")
            .entity(9),
    );
    assert_eq!(f.context.row, Some(3));
    assert!(f.message.contains("rows 3, 4, 5"), "{f}");
}

#[test]
fn a_repeated_hydro_stage_row_is_a_duplicate_id() {
    let fx = Fixture::new("d02-single-hydro");
    fx.parquet("scenarios/inflow_seasonal_stats.parquet", |b| {
        let v: Vec<i32> = vec![0; b.num_rows()];
        set_column(b, "stage_id", Arc::new(Int32Array::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(DuplicateId, "scenarios/inflow_seasonal_stats.parquet"),
    );
}

#[test]
fn an_unknown_thermal_in_a_constraint_expression_is_a_missing_reference() {
    let fx = Fixture::new("d13-generic-constraint");
    fx.json("constraints/generic_constraints.json", |v| {
        v["constraints"][0]["expression"] = json!("thermal_generation(9)")
    });
    assert_error(
        &fx.validate(),
        want(MissingReference, "constraints/generic_constraints.json")
            .field("expression")
            .entity(1),
    );
}

#[test]
fn bounds_of_an_unknown_generic_constraint_are_a_missing_reference() {
    let fx = Fixture::new("d13-generic-constraint");
    fx.parquet("constraints/generic_constraint_bounds.parquet", |b| {
        let v: Vec<i32> = vec![4; b.num_rows()];
        set_column(b, "constraint_id", Arc::new(Int32Array::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(
            MissingReference,
            "constraints/generic_constraint_bounds.parquet",
        )
        .field("constraint_id")
        .entity(4),
    );
}

#[test]
fn a_production_model_of_an_unknown_hydro_is_a_missing_reference() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("system/hydro_production_models.json", |v| {
        let mut e = v["production_models"][0].clone();
        e["hydro_id"] = json!(3);
        v["production_models"].as_array_mut().unwrap().push(e);
    });
    assert_error(
        &fx.validate(),
        want(MissingReference, "system/hydro_production_models.json").entity(3),
    );
}

#[test]
fn a_season_missing_from_the_definitions_is_a_missing_reference() {
    let fx = Fixture::new("d12-par-annual");
    fx.json("stages.json", |v| {
        v["season_definitions"]["seasons"]
            .as_array_mut()
            .unwrap()
            .retain(|s| s["id"] != json!(5));
    });
    assert_error(
        &fx.validate(),
        want(MissingReference, "stages.json")
            .field("season_id")
            .entity(5),
    );
}

#[test]
fn a_penalty_override_of_an_unknown_line_is_a_missing_reference() {
    let fx = Fixture::new("d04-transmission");
    fx.write_batch(
        "constraints/penalty_overrides_line.parquet",
        &RecordBatch::try_from_iter([
            ("line_id", Arc::new(Int32Array::from(vec![5])) as _),
            ("stage_id", Arc::new(Int32Array::from(vec![0])) as _),
        ])
        .unwrap(),
    );
    assert_error(
        &fx.validate(),
        want(
            MissingReference,
            "constraints/penalty_overrides_line.parquet",
        )
        .entity(5),
    );
}

#[test]
fn a_load_factor_of_an_unknown_bus_is_a_missing_reference() {
    let fx = Fixture::new("d14-block-factors");
    fx.json("scenarios/load_factors.json", |v| {
        v["load_factors"][1]["bus_id"] = json!(4)
    });
    assert_error(
        &fx.validate(),
        want(MissingReference, "scenarios/load_factors.json")
            .field("bus_id")
            .entity(4),
    );
}

#[test]
fn a_broken_entity_does_not_cascade_into_missing_references() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("system/buses.json", |v| v["buses"][0]["name"] = json!(1));
    let r = fx.validate();
    assert_error(
        &r,
        want(TypeMismatch, "system/buses.json")
            .field("name")
            .entity(0),
    );
    assert!(!r.has_kind(MissingReference), "{r}");
}
