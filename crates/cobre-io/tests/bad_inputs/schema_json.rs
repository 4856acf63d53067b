//! Layer 2, JSON: syntax, types, required/unknown fields, enums, ranges.

use super::{assert_error, want, Fixture};
use cobre_io::{FindingKind::*, Layer};
use serde_json::json;

#[test]
fn truncated_json_is_a_parse_error_with_the_line() {
    let fx = Fixture::new("d01-thermal-dispatch");
    let text = std::fs::read_to_string(fx.path("config.json")).unwrap();
    fx.write("config.json", &text[..text.len() / 2]);
    let f = assert_error(
        &fx.validate(),
        want(ParseError, "config.json").layer(Layer::Schema),
    );
    assert!(f.context.line.is_some());
}

#[test]
fn a_string_where_a_name_must_be_is_a_type_mismatch() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("system/hydros.json", |v| v["hydros"][0]["name"] = json!(5));
    assert_error(
        &fx.validate(),
        want(TypeMismatch, "system/hydros.json")
            .field("name")
            .entity(0),
    );
}

#[test]
fn a_string_where_a_number_must_be_is_a_type_mismatch() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("system/thermals.json", |v| {
        v["thermals"][1]["cost_per_mwh"] = json!("cheap")
    });
    assert_error(
        &fx.validate(),
        want(TypeMismatch, "system/thermals.json")
            .field("cost_per_mwh")
            .entity(1),
    );
}

#[test]
fn a_fractional_id_is_a_type_mismatch() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("system/thermals.json", |v| {
        v["thermals"][0]["bus_id"] = json!(0.5)
    });
    assert_error(
        &fx.validate(),
        want(TypeMismatch, "system/thermals.json")
            .field("bus_id")
            .entity(0),
    );
}

#[test]
fn an_unknown_field_is_a_schema_violation_with_a_suggestion() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["reservoir"]["max_storag_hm3"] = json!(3)
    });
    let f = assert_error(
        &fx.validate(),
        want(SchemaViolation, "system/hydros.json")
            .field("max_storag_hm3")
            .entity(0),
    );
    assert!(
        f.suggestion
            .as_deref()
            .unwrap_or("")
            .contains("max_storage_hm3"),
        "{f}"
    );
}

#[test]
fn an_unknown_top_level_config_key_is_a_schema_violation() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("config.json", |v| v["cuts"] = json!({}));
    assert_error(
        &fx.validate(),
        want(SchemaViolation, "config.json").field("cuts"),
    );
}

#[test]
fn a_missing_required_field_is_a_schema_violation() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("system/thermals.json", |v| {
        v["thermals"][0]
            .as_object_mut()
            .unwrap()
            .remove("cost_per_mwh");
    });
    assert_error(
        &fx.validate(),
        want(SchemaViolation, "system/thermals.json")
            .field("cost_per_mwh")
            .entity(0),
    );
}

#[test]
fn a_missing_training_selection_is_a_schema_violation() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("config.json", |v| {
        v["training"].as_object_mut().unwrap().remove("selection");
    });
    assert_error(
        &fx.validate(),
        want(SchemaViolation, "config.json").field("selection"),
    );
}

#[test]
fn an_unknown_non_negativity_method_is_an_invalid_enum() {
    let fx = Fixture::new("d10-inflow-nonnegativity");
    fx.json("config.json", |v| {
        v["modeling"]["inflow_non_negativity"]["method"] = json!("clip")
    });
    assert_error(
        &fx.validate(),
        want(InvalidEnum, "config.json").field("method"),
    );
}

#[test]
fn an_unknown_policy_graph_type_is_an_invalid_enum() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("stages.json", |v| {
        v["policy_graph"]["type"] = json!("finite")
    });
    let f = assert_error(
        &fx.validate(),
        want(InvalidEnum, "stages.json").field("type"),
    );
    assert!(f
        .suggestion
        .as_deref()
        .unwrap_or("")
        .contains("finite_horizon"));
}

#[test]
fn an_unknown_stopping_rule_type_is_an_invalid_enum() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("config.json", |v| {
        v["training"]["stopping_rules"][0]["type"] = json!("iterations")
    });
    assert_error(
        &fx.validate(),
        want(InvalidEnum, "config.json").field("type"),
    );
}

#[test]
fn a_negative_line_capacity_is_out_of_range() {
    let fx = Fixture::new("d04-transmission");
    fx.json("system/lines.json", |v| {
        v["lines"][0]["capacity"]["reverse_mw"] = json!(-1.0)
    });
    assert_error(
        &fx.validate(),
        want(OutOfRange, "system/lines.json")
            .field("reverse_mw")
            .entity(0),
    );
}

#[test]
fn a_negative_thermal_capacity_is_out_of_range() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("system/thermals.json", |v| {
        v["thermals"][1]["generation"]["max_mw"] = json!(-10.0)
    });
    assert_error(
        &fx.validate(),
        want(OutOfRange, "system/thermals.json")
            .field("max_mw")
            .entity(1),
    );
}

#[test]
fn losses_of_150_percent_are_out_of_range() {
    let fx = Fixture::new("d04-transmission");
    fx.json("system/lines.json", |v| {
        v["lines"][0]["losses_percent"] = json!(150.0)
    });
    assert_error(
        &fx.validate(),
        want(OutOfRange, "system/lines.json")
            .field("losses_percent")
            .entity(0),
    );
}

#[test]
fn a_zero_spillage_penalty_is_out_of_range() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("penalties.json", |v| {
        v["hydro"]["spillage_cost"] = json!(0.0)
    });
    assert_error(
        &fx.validate(),
        want(OutOfRange, "penalties.json").field("spillage_cost"),
    );
}

#[test]
fn a_capped_last_deficit_segment_is_a_schema_violation() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("penalties.json", |v| {
        v["bus"]["deficit_segments"][0]["depth_mw"] = json!(50.0)
    });
    assert_error(
        &fx.validate(),
        want(SchemaViolation, "penalties.json").field("depth_mw"),
    );
}

#[test]
fn zero_block_hours_are_out_of_range() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("stages.json", |v| {
        v["stages"][1]["blocks"][0]["hours"] = json!(0)
    });
    assert_error(
        &fx.validate(),
        want(OutOfRange, "stages.json").field("hours").entity(1),
    );
}

#[test]
fn non_contiguous_block_ids_are_a_schema_violation() {
    let fx = Fixture::new("d14-block-factors");
    fx.json("stages.json", |v| {
        v["stages"][0]["blocks"][1]["id"] = json!(5)
    });
    assert_error(
        &fx.validate(),
        want(SchemaViolation, "stages.json")
            .field("blocks")
            .entity(0),
    );
}

#[test]
fn zero_openings_are_out_of_range() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("stages.json", |v| v["stages"][0]["num_openings"] = json!(0));
    assert_error(
        &fx.validate(),
        want(OutOfRange, "stages.json")
            .field("num_openings")
            .entity(0),
    );
}

#[test]
fn an_invalid_date_is_a_type_mismatch() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("stages.json", |v| {
        v["stages"][0]["start_date"] = json!("2024-13-45")
    });
    assert_error(
        &fx.validate(),
        want(TypeMismatch, "stages.json")
            .field("start_date")
            .entity(0),
    );
}

#[test]
fn an_end_date_before_the_start_is_a_stage_mismatch() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("stages.json", |v| {
        v["stages"][0]["end_date"] = json!("2023-12-01")
    });
    assert_error(
        &fx.validate(),
        want(StageMismatch, "stages.json")
            .field("end_date")
            .entity(0),
    );
}

#[test]
fn a_cvar_alpha_above_one_is_out_of_range() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("stages.json", |v| {
        v["stages"][0]["risk_measure"] = json!({"cvar": {"alpha": 1.5, "lambda": 0.5}})
    });
    assert_error(
        &fx.validate(),
        want(OutOfRange, "stages.json").field("alpha").entity(0),
    );
}

#[test]
fn eleven_evaporation_coefficients_are_a_schema_violation() {
    let fx = Fixture::new("d08-evaporation");
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["evaporation"]["coefficients_mm"]
            .as_array_mut()
            .unwrap()
            .pop();
    });
    assert_error(
        &fx.validate(),
        want(SchemaViolation, "system/hydros.json")
            .field("coefficients_mm")
            .entity(0),
    );
}

#[test]
fn a_hydro_without_unit_groups_is_a_schema_violation() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["unit_groups"] = json!([])
    });
    assert_error(
        &fx.validate(),
        want(SchemaViolation, "system/hydros.json")
            .field("unit_groups")
            .entity(0),
    );
}

#[test]
fn an_unparsable_expression_is_a_schema_violation() {
    let fx = Fixture::new("d13-generic-constraint");
    fx.json("constraints/generic_constraints.json", |v| {
        v["constraints"][0]["expression"] = json!("thermal_generation(0")
    });
    assert_error(
        &fx.validate(),
        want(SchemaViolation, "constraints/generic_constraints.json")
            .field("expression")
            .entity(1),
    );
}

#[test]
fn an_unknown_expression_variable_suggests_the_right_one() {
    let fx = Fixture::new("d13-generic-constraint");
    fx.json("constraints/generic_constraints.json", |v| {
        v["constraints"][0]["expression"] = json!("thermal_generaton(0)")
    });
    let f = assert_error(
        &fx.validate(),
        want(SchemaViolation, "constraints/generic_constraints.json").field("expression"),
    );
    assert!(f.message.contains("thermal_generation"), "{f}");
}

#[test]
fn an_enabled_slack_without_penalty_is_a_schema_violation() {
    let fx = Fixture::new("d13-generic-constraint");
    fx.json("constraints/generic_constraints.json", |v| {
        v["constraints"][0]["slack"]
            .as_object_mut()
            .unwrap()
            .remove("penalty");
    });
    assert_error(
        &fx.validate(),
        want(SchemaViolation, "constraints/generic_constraints.json")
            .field("penalty")
            .entity(1),
    );
}

#[test]
fn an_fpha_range_without_fpha_config_is_a_schema_violation() {
    let fx = Fixture::new("d05-fpha-constant-head");
    fx.json("system/hydro_production_models.json", |v| {
        v["production_models"][0]["stage_ranges"][0]
            .as_object_mut()
            .unwrap()
            .remove("fpha_config");
    });
    assert_error(
        &fx.validate(),
        want(SchemaViolation, "system/hydro_production_models.json")
            .field("fpha_config")
            .entity(0),
    );
}

#[test]
fn a_negative_initial_storage_is_out_of_range() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("initial_conditions.json", |v| {
        v["storage"][0]["value_hm3"] = json!(-3.0)
    });
    assert_error(
        &fx.validate(),
        want(OutOfRange, "initial_conditions.json")
            .field("value_hm3")
            .entity(0),
    );
}

#[test]
fn an_array_where_an_object_must_be_is_a_type_mismatch() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("penalties.json", |v| v["hydro"] = json!([1, 2]));
    assert_error(&fx.validate(), want(TypeMismatch, "penalties.json"));
}

#[test]
fn a_json_root_that_is_not_an_object_is_a_type_mismatch() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.write("initial_conditions.json", "[]");
    assert_error(
        &fx.validate(),
        want(TypeMismatch, "initial_conditions.json"),
    );
}
