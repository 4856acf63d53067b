//! Features of the format the solver does not model: refused with
//! `Unsupported`, naming the file and the field.

use super::{assert_error, set_column, want, Fixture};
use arrow::array::{Float64Array, Int32Array, RecordBatch};
use cobre_io::FindingKind::Unsupported;
use serde_json::json;
use std::sync::Arc;

#[test]
fn travel_time_is_unsupported() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["travel_time_hours"] = json!(10.0)
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "system/hydros.json")
            .field("travel_time_hours")
            .entity(0),
    );
}

#[test]
fn a_zero_travel_time_is_accepted() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["travel_time_hours"] = json!(0.0)
    });
    assert!(fx.validate().is_valid());
}

#[test]
fn a_cyclic_policy_graph_is_unsupported() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("stages.json", |v| {
        v["policy_graph"]["type"] = json!("cyclic")
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "stages.json").field("type"),
    );
}

#[test]
fn chronological_blocks_are_unsupported() {
    let fx = Fixture::new("d14-block-factors");
    fx.json("stages.json", |v| {
        v["stages"][1]["block_mode"] = json!("chronological")
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "stages.json")
            .field("block_mode")
            .entity(1),
    );
}

#[test]
fn non_saa_sampling_is_unsupported() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("stages.json", |v| {
        v["stages"][0]["sampling_method"] = json!("lhs")
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "stages.json")
            .field("sampling_method")
            .entity(0),
    );
}

#[test]
fn anticipated_thermals_are_unsupported() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("system/thermals.json", |v| {
        v["thermals"][1]["anticipated_config"] = json!({"lead_stages": 1})
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "system/thermals.json")
            .field("anticipated_config")
            .entity(1),
    );
}

#[test]
fn energy_contracts_are_unsupported() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.write(
        "system/energy_contracts.json",
        json!({"contracts": [{"id": 0, "name": "C", "operational_start_date": "2020-01-01", "bus_id": 0,
            "type": "import", "price_per_mwh": 1.0, "limits": {"min_mw": 0.0, "max_mw": 1.0}}]})
        .to_string(),
    );
    assert_error(
        &fx.validate(),
        want(Unsupported, "system/energy_contracts.json"),
    );
}

#[test]
fn upper_bound_evaluation_is_unsupported() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("config.json", |v| {
        v["upper_bound_evaluation"] = json!({"enabled": true})
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "config.json").field("enabled"),
    );
}

#[test]
fn the_linearized_head_model_is_unsupported() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("system/hydro_production_models.json", |v| {
        v["production_models"][0]["stage_ranges"][0]["model"] = json!("linearized_head");
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "system/hydro_production_models.json")
            .field("model")
            .entity(0),
    );
}

#[test]
fn seasonal_production_models_are_unsupported() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("system/hydro_production_models.json", |v| {
        v["production_models"][0] = json!({"hydro_id": 0, "selection_mode": "seasonal",
            "default_model": "constant_productivity", "seasons": []});
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "system/hydro_production_models.json")
            .field("selection_mode")
            .entity(0),
    );
}

#[test]
fn reservoir_filling_is_unsupported() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["filling"] = json!({"start_stage_id": 0})
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "system/hydros.json")
            .field("filling")
            .entity(0),
    );
}

#[test]
fn inline_constraint_relations_are_unsupported() {
    let fx = Fixture::new("d13-generic-constraint");
    fx.json("constraints/generic_constraints.json", |v| {
        v["constraints"][0]["expression"] = json!("thermal_generation(0) <= 10")
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "constraints/generic_constraints.json")
            .field("expression")
            .entity(1),
    );
}

#[test]
fn a_non_contiguous_historical_year_list_is_unsupported() {
    let fx = Fixture::new("d26-estimated-par2");
    fx.json("config.json", |v| {
        v["training"]["scenario_source"] = json!({"seed": 1, "historical_years": [1990, 1995]});
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "config.json").field("historical_years"),
    );
}

#[test]
fn spillage_bounds_are_unsupported() {
    let fx = Fixture::new("d11-water-withdrawal");
    fx.parquet("constraints/hydro_bounds.parquet", |b| {
        let v: Vec<f64> = vec![1.0; b.num_rows()];
        set_column(b, "max_spillage_m3s", Arc::new(Float64Array::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "constraints/hydro_bounds.parquet").field("max_spillage_m3s"),
    );
}

#[test]
fn user_noise_openings_are_unsupported() {
    let fx = Fixture::new("1dtoy");
    fx.json("config.json", |v| {
        v["training"]["scenario_source"]["openings"] = json!({"source": "file"})
    });
    fx.write_batch(
        "scenarios/noise_openings.parquet",
        &RecordBatch::try_from_iter([("stage_id", Arc::new(Int32Array::from(vec![0])) as _)])
            .unwrap(),
    );
    let r = fx.validate();
    assert_error(&r, want(Unsupported, "config.json").field("source"));
    assert_error(&r, want(Unsupported, "scenarios/noise_openings.parquet"));
}

#[test]
fn filling_storage_is_unsupported() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("initial_conditions.json", |v| {
        v["filling_storage"] = json!([{"hydro_id": 0, "value_hm3": 1.0}])
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "initial_conditions.json").field("filling_storage"),
    );
}

#[test]
fn solver_profiles_are_unsupported() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("config.json", |v| {
        v["training"]["solver"] = json!({"retry_max_attempts": 3})
    });
    assert_error(
        &fx.validate(),
        want(Unsupported, "config.json").field("solver"),
    );
}
