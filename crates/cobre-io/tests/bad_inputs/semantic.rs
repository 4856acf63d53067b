//! Layer 5: bounds ordering, physics, penalties, stages and settings.

use super::{assert_error, assert_has, set_column, want, Fixture};
use arrow::array::Float64Array;
use cobre_io::{FindingKind::*, Layer};
use serde_json::json;
use std::sync::Arc;

#[test]
fn min_storage_above_max_is_a_capacity_violation() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["reservoir"]["min_storage_hm3"] = json!(1e6)
    });
    assert_error(
        &fx.validate(),
        want(CapacityViolation, "system/hydros.json")
            .field("min_storage_hm3")
            .entity(0)
            .layer(Layer::Semantic),
    );
}

#[test]
fn thermal_min_above_max_is_a_capacity_violation() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("system/thermals.json", |v| {
        v["thermals"][0]["generation"]["min_mw"] = json!(1e6)
    });
    assert_error(
        &fx.validate(),
        want(CapacityViolation, "system/thermals.json")
            .field("min_mw")
            .entity(0),
    );
}

#[test]
fn min_outflow_above_max_outflow_is_a_capacity_violation() {
    let fx = Fixture::new("d21-min-outflow-regression");
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["outflow"]["max_outflow_m3s"] = json!(1.0)
    });
    assert_error(
        &fx.validate(),
        want(CapacityViolation, "system/hydros.json")
            .field("min_outflow_m3s")
            .entity(0),
    );
}

#[test]
fn a_per_stage_minimum_above_the_maximum_is_a_capacity_violation_at_that_stage() {
    let fx = Fixture::new("d27-per-stage-thermal-cost");
    fx.parquet("constraints/thermal_bounds.parquet", |b| {
        let v: Vec<f64> = vec![1e6; b.num_rows()];
        set_column(b, "min_generation_mw", Arc::new(Float64Array::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(CapacityViolation, "constraints/thermal_bounds.parquet")
            .field("min_generation_mw")
            .entity(0)
            .stage(1),
    );
}

#[test]
fn a_cyclic_cascade_is_a_physical_constraint() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    fx.json("system/hydros.json", |v| {
        v["hydros"][1]["downstream_id"] = json!(0)
    });
    let f = assert_error(
        &fx.validate(),
        want(PhysicalConstraint, "system/hydros.json").field("downstream_id"),
    );
    assert!(f.message.contains("cycle"), "{f}");
}

#[test]
fn a_hydro_flowing_into_itself_is_a_physical_constraint() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["downstream_id"] = json!(0)
    });
    assert_error(
        &fx.validate(),
        want(PhysicalConstraint, "system/hydros.json")
            .field("downstream_id")
            .entity(0),
    );
}

#[test]
fn initial_storage_above_the_reservoir_is_a_physical_constraint() {
    let fx = Fixture::new("d02-single-hydro");
    fx.json("initial_conditions.json", |v| {
        v["storage"][0]["value_hm3"] = json!(1e9)
    });
    assert_error(
        &fx.validate(),
        want(PhysicalConstraint, "initial_conditions.json")
            .field("value_hm3")
            .entity(0),
    );
}

#[test]
fn an_operating_hydro_without_initial_storage_is_a_physical_constraint() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    fx.json("initial_conditions.json", |v| {
        v["storage"].as_array_mut().unwrap().remove(1);
    });
    assert_error(
        &fx.validate(),
        want(PhysicalConstraint, "initial_conditions.json")
            .field("storage")
            .entity(1),
    );
}

#[test]
fn zero_forward_passes_are_out_of_range() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("config.json", |v| {
        v["training"]["selection"]["forward_passes"] = json!(0)
    });
    assert_error(
        &fx.validate(),
        want(OutOfRange, "config.json").field("forward_passes"),
    );
}

#[test]
fn no_stopping_rule_is_incompatible() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("config.json", |v| {
        v["training"]["stopping_rules"] = json!([])
    });
    assert_error(
        &fx.validate(),
        want(IncompatibleSettings, "config.json").field("stopping_rules"),
    );
}

#[test]
fn a_time_limit_alone_is_incompatible() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("config.json", |v| {
        v["training"]["stopping_rules"] = json!([{"type": "time_limit", "seconds": 60}])
    });
    assert_error(
        &fx.validate(),
        want(IncompatibleSettings, "config.json").field("stopping_rules"),
    );
}

#[test]
fn an_iteration_limit_of_zero_is_out_of_range() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("config.json", |v| {
        v["training"]["stopping_rules"][0]["limit"] = json!(0)
    });
    assert_error(
        &fx.validate(),
        want(OutOfRange, "config.json").field("limit"),
    );
}

#[test]
fn a_simulation_of_zero_scenarios_is_incompatible() {
    let fx = Fixture::new("d25-discount-rate");
    fx.json("config.json", |v| {
        v["simulation"]["selection"]["num_scenarios"] = json!(0)
    });
    assert_error(
        &fx.validate(),
        want(IncompatibleSettings, "config.json").field("num_scenarios"),
    );
}

#[test]
fn an_external_scheme_without_its_library_is_incompatible() {
    let fx = Fixture::new("d28-decomp-weekly-monthly");
    fx.remove("scenarios/external_inflow_scenarios.parquet");
    assert_error(
        &fx.validate(),
        want(IncompatibleSettings, "config.json").field("scheme"),
    );
}

#[test]
fn a_historical_scheme_without_history_is_incompatible() {
    let fx = Fixture::new("1dtoy");
    fx.json("config.json", |v| {
        v["training"]["scenario_source"]["inflow"]["scheme"] = json!("historical")
    });
    assert_error(
        &fx.validate(),
        want(IncompatibleSettings, "config.json").field("scheme"),
    );
}

#[test]
fn decreasing_deficit_costs_are_a_penalty_consistency_error() {
    let fx = Fixture::new("d09-multi-deficit");
    fx.json("system/buses.json", |v| {
        v["buses"][0]["deficit_segments"][1]["cost"] = json!(100.0)
    });
    assert_error(
        &fx.validate(),
        want(PenaltyConsistency, "system/buses.json")
            .field("cost")
            .entity(0),
    );
}

#[test]
fn penalty_ordering_is_a_warning() {
    let fx = Fixture::new("d02-single-hydro");
    let r = fx.validate();
    assert!(r.is_valid());
    assert_has(
        &r,
        want(PenaltyConsistency, "penalties.json")
            .entity(0)
            .warning(),
    );
}

#[test]
fn a_line_from_a_bus_to_itself_is_a_physical_constraint() {
    let fx = Fixture::new("d04-transmission");
    fx.json("system/lines.json", |v| {
        v["lines"][0]["target_bus_id"] = json!(0)
    });
    assert_error(
        &fx.validate(),
        want(PhysicalConstraint, "system/lines.json").entity(0),
    );
}

#[test]
fn an_asymmetric_correlation_matrix_is_a_physical_constraint() {
    let fx = Fixture::new("d19-multi-hydro-par");
    fx.write(
        "scenarios/correlation.json",
        json!({"method": "spectral", "profiles": {"default": {"correlation_groups": [
            {"name": "g", "entities": [{"type": "inflow", "id": 0}, {"type": "inflow", "id": 1}],
             "matrix": [[1.0, 0.5], [0.2, 1.0]]}]}}})
        .to_string(),
    );
    assert_error(
        &fx.validate(),
        want(PhysicalConstraint, "scenarios/correlation.json").field("matrix"),
    );
}

#[test]
fn a_valid_correlation_file_loads() {
    let fx = Fixture::new("d19-multi-hydro-par");
    fx.write(
        "scenarios/correlation.json",
        json!({"method": "spectral", "profiles": {"default": {"correlation_groups": [
            {"name": "g", "entities": [{"type": "inflow", "id": 0}, {"type": "inflow", "id": 1}],
             "matrix": [[1.0, 0.5], [0.5, 1.0]]}]}}, "schedule": [{"stage_id": 1, "profile_name": "default"}]})
        .to_string(),
    );
    let c = cobre_io::load_case(fx.root()).unwrap();
    let corr = c.system.scenarios().correlation.as_ref().unwrap();
    assert_eq!(corr.profiles["default"].matrix, vec![1.0, 0.5, 0.5, 1.0]);
}

#[test]
fn a_generic_lower_bound_above_the_upper_is_a_capacity_violation() {
    let fx = Fixture::new("d13-generic-constraint");
    fx.parquet("constraints/generic_constraint_bounds.parquet", |b| {
        let v: Vec<f64> = vec![50.0; b.num_rows()];
        set_column(b, "bound_lower", Arc::new(Float64Array::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(
            CapacityViolation,
            "constraints/generic_constraint_bounds.parquet",
        )
        .entity(1)
        .stage(0),
    );
}

#[test]
fn a_geometry_curve_with_falling_height_is_a_physical_constraint() {
    let fx = Fixture::new("d07-fpha-computed");
    fx.parquet("system/hydro_geometry.parquet", |b| {
        let v: Vec<f64> = vec![400.0, 390.0, 380.0, 370.0, 360.0];
        set_column(b, "height_m", Arc::new(Float64Array::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(PhysicalConstraint, "system/hydro_geometry.parquet")
            .field("height_m")
            .entity(0),
    );
}

#[test]
fn a_pre_study_stage_inside_the_study_is_a_stage_mismatch() {
    let fx = Fixture::new("d16-par1-lag-shift");
    fx.json("stages.json", |v| {
        v["pre_study_stages"][0]["start_date"] = json!("2024-01-10");
        v["pre_study_stages"][0]["end_date"] = json!("2024-02-01");
    });
    assert_error(
        &fx.validate(),
        want(StageMismatch, "stages.json").entity(-1),
    );
}

#[test]
fn stage_gaps_are_warnings() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("stages.json", |v| {
        v["stages"][1]["start_date"] = json!("2024-02-10")
    });
    let r = fx.validate();
    assert!(r.is_valid(), "{r}");
    assert_has(&r, want(StageMismatch, "stages.json").entity(1).warning());
}

#[test]
fn thermal_plants_without_capacity_in_any_stage_are_a_warning() {
    let thermals = "system/thermals.json";
    let fx = Fixture::new("d01-thermal-dispatch");
    let before = fx.validate();
    assert!(!before
        .of_kind(PhysicalConstraint)
        .any(|f| f.context.file.as_deref() == Some(thermals)));
    fx.json(thermals, |v| {
        for t in v["thermals"].as_array_mut().unwrap() {
            t["generation"]["max_mw"] = json!(0.0);
        }
    });
    let r = fx.validate();
    assert!(r.is_valid());
    let f = assert_has(
        &r,
        want(PhysicalConstraint, thermals).field("max_mw").warning(),
    );
    assert!(
        f.message.contains("can generate in any stage"),
        "{}",
        f.message
    );
}
