//! The parts of the 0.18 model that the real decks use (issue 14): per-block
//! bounds, tailrace families, generic parameters, productivity 0, one-point
//! geometry, the cut-selection and scheduler keys. Good uses validate; bad
//! ones name the file and field.

use super::{assert_error, assert_has, set_column, want, Fixture};
use arrow::array::{Float64Array, Int32Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use cobre_io::FindingKind::{
    CoverageMismatch, DuplicateId, IncompatibleSettings, MissingReference, OutOfRange,
    PhysicalConstraint, SchemaViolation, StageMismatch,
};
use serde_json::json;
use std::sync::Arc;

#[track_caller]
fn assert_valid(fx: &Fixture) {
    let r = fx.validate();
    assert!(r.is_valid(), "the case should be valid:\n{r}");
}

fn parameters(entries: serde_json::Value) -> String {
    json!({ "scalar_parameters": entries }).to_string()
}

#[test]
fn a_parameter_multiplies_a_variable_and_an_unknown_one_is_an_error() {
    let fx = Fixture::new("d13-generic-constraint");
    fx.json("constraints/generic_constraints.json", |v| {
        v["constraints"][0]["expression"] = json!("@rho * thermal_generation(0)")
    });
    assert_error(
        &fx.validate(),
        want(SchemaViolation, "constraints/generic_constraints.json").field("expression"),
    );
    fx.write(
        "constraints/generic_parameters.json",
        parameters(json!([{"id": 0, "name": "rho", "kind": "constant", "value": 2.0}])),
    );
    assert_valid(&fx);
    // A named expression expands in place.
    fx.json("constraints/generic_constraints.json", |v| {
        v["expressions"] = json!([{"name": "t0", "expression": "@rho * thermal_generation(0)"}]);
        v["constraints"][0]["expression"] = json!("0.5 * @t0");
    });
    assert_valid(&fx);
}

#[test]
fn bad_parameter_files_name_the_entry() {
    let fx = Fixture::new("d13-generic-constraint");
    fx.write(
        "constraints/generic_parameters.json",
        parameters(json!([
            {"id": 0, "name": "a", "kind": "constant", "value": 1.0, "values": [[0, 1.0]]},
            {"id": 1, "name": "a", "kind": "constant", "value": 2.0},
            {"id": 2, "name": "c", "kind": "per_stage", "values": [[0, 1.0]]},
            {"id": 3, "name": "d", "kind": "computed",
             "computed_spec": {"tag": "accumulated_productivity", "hydro_id": 99}}
        ])),
    );
    let r = fx.validate();
    assert_has(
        &r,
        want(IncompatibleSettings, "constraints/generic_parameters.json").field("values"),
    );
    assert_has(
        &r,
        want(DuplicateId, "constraints/generic_parameters.json").field("name"),
    );
    assert_has(
        &r,
        want(CoverageMismatch, "constraints/generic_parameters.json").field("values"),
    );
    assert_error(
        &r,
        want(MissingReference, "constraints/generic_parameters.json").entity(99),
    );
}

fn with_block(b: RecordBatch, block: i32) -> RecordBatch {
    let v: Vec<i32> = vec![block; b.num_rows()];
    set_column(b, "block_id", Arc::new(Int32Array::from(v)))
}

#[test]
fn per_block_thermal_rows_take_generation_limits_but_not_the_cost() {
    let fx = Fixture::new("d27-per-stage-thermal-cost");
    fx.parquet("constraints/thermal_bounds.parquet", |b| with_block(b, 0));
    assert_error(
        &fx.validate(),
        want(IncompatibleSettings, "constraints/thermal_bounds.parquet").field("cost_per_mwh"),
    );
    // A per-block generation limit beside the stage-wide cost is fine.
    let schema = Arc::new(Schema::new(vec![
        Field::new("thermal_id", DataType::Int32, false),
        Field::new("stage_id", DataType::Int32, false),
        Field::new("block_id", DataType::Int32, true),
        Field::new("max_generation_mw", DataType::Float64, true),
        Field::new("cost_per_mwh", DataType::Float64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int32Array::from(vec![0, 0])),
            Arc::new(Int32Array::from(vec![1, 1])),
            Arc::new(Int32Array::from(vec![None, Some(0)])),
            Arc::new(Float64Array::from(vec![None, Some(5.0)])),
            Arc::new(Float64Array::from(vec![Some(120.0), None])),
        ],
    )
    .unwrap();
    fx.write_batch("constraints/thermal_bounds.parquet", &batch);
    assert_valid(&fx);
    // Block 7 does not exist; the same block twice is a duplicate.
    let bad = RecordBatch::try_new(
        batch.schema(),
        vec![
            Arc::new(Int32Array::from(vec![0, 0, 0])),
            Arc::new(Int32Array::from(vec![1, 1, 1])),
            Arc::new(Int32Array::from(vec![Some(7), Some(0), Some(0)])),
            Arc::new(Float64Array::from(vec![Some(5.0), Some(5.0), Some(6.0)])),
            Arc::new(Float64Array::from(vec![None, None, None])),
        ],
    )
    .unwrap();
    fx.write_batch("constraints/thermal_bounds.parquet", &bad);
    let r = fx.validate();
    assert_has(
        &r,
        want(StageMismatch, "constraints/thermal_bounds.parquet").field("block_id"),
    );
    assert_has(&r, want(DuplicateId, "constraints/thermal_bounds.parquet"));
}

#[test]
fn per_block_hydro_rows_refuse_stage_only_columns() {
    let fx = Fixture::new("d11-water-withdrawal");
    fx.parquet("constraints/hydro_bounds.parquet", |b| with_block(b, 0));
    assert_error(
        &fx.validate(),
        want(IncompatibleSettings, "constraints/hydro_bounds.parquet")
            .field("water_withdrawal_m3s"),
    );
}

fn productivity(v: f64) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("hydro_id", DataType::Int32, false),
        Field::new("stage_id", DataType::Int32, true),
        Field::new(
            "equivalent_productivity_mw_per_m3s",
            DataType::Float64,
            true,
        ),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int32Array::from(vec![0])),
            Arc::new(Int32Array::from(vec![None::<i32>])),
            Arc::new(Float64Array::from(vec![v])),
        ],
    )
    .unwrap()
}

#[test]
fn a_productivity_of_zero_is_accepted_and_a_negative_one_is_not() {
    let fx = Fixture::new("d24-productivity-override");
    fx.json("system/hydro_production_models.json", |v| {
        for r in v["production_models"][0]["stage_ranges"]
            .as_array_mut()
            .unwrap()
        {
            r.as_object_mut().unwrap().remove("productivity_mw_per_m3s");
        }
    });
    fx.write_batch(
        "system/hydro_energy_productivity.parquet",
        &productivity(-1.0),
    );
    assert_error(
        &fx.validate(),
        want(OutOfRange, "system/hydro_energy_productivity.parquet")
            .field("equivalent_productivity_mw_per_m3s"),
    );
    fx.write_batch(
        "system/hydro_energy_productivity.parquet",
        &productivity(0.0),
    );
    let r = fx.validate();
    assert!(r.is_valid(), "productivity 0 must be accepted:\n{r}");
    // The plant can turbine: a warning says its water generates nothing.
    assert_has(
        &r,
        want(PhysicalConstraint, "system/hydro_production_models.json").warning(),
    );
}

#[test]
fn a_computed_fpha_takes_one_geometry_point_and_needs_at_least_one() {
    let fx = Fixture::new("d07-fpha-computed");
    fx.parquet("system/hydro_geometry.parquet", |b| b.slice(0, 1));
    assert_valid(&fx);
    fx.parquet("system/hydro_geometry.parquet", |b| b.slice(0, 0));
    assert_error(
        &fx.validate(),
        want(CoverageMismatch, "system/hydro_geometry.parquet").entity(0),
    );
}

fn tailrace(gap: f64, levels: [Option<f64>; 2]) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("hydro_id", DataType::Int32, false),
        Field::new("family_id", DataType::Int32, false),
        Field::new("downstream_reference_level_m", DataType::Float64, true),
        Field::new("segment_id", DataType::Int32, false),
        Field::new("outflow_min_m3s", DataType::Float64, false),
        Field::new("outflow_max_m3s", DataType::Float64, false),
        Field::new("coefficient_0", DataType::Float64, false),
        Field::new("coefficient_1", DataType::Float64, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int32Array::from(vec![0, 0, 0])),
            Arc::new(Int32Array::from(vec![1, 1, 2])),
            Arc::new(Float64Array::from(vec![levels[0], levels[0], levels[1]])),
            Arc::new(Int32Array::from(vec![1, 2, 1])),
            Arc::new(Float64Array::from(vec![0.0, 100.0 + gap, 0.0])),
            Arc::new(Float64Array::from(vec![100.0, 1000.0, 1000.0])),
            Arc::new(Float64Array::from(vec![300.0, 301.0, 305.0])),
            Arc::new(Float64Array::from(vec![Some(0.01), Some(0.0), None])),
        ],
    )
    .unwrap()
}

#[test]
fn tailrace_families_must_be_contiguous_and_keyed_for_a_computed_fpha() {
    let fx = Fixture::new("d07-fpha-computed");
    fx.write_batch(
        "system/tailrace_curves.parquet",
        &tailrace(0.0, [Some(300.0), Some(310.0)]),
    );
    assert_valid(&fx);
    fx.write_batch(
        "system/tailrace_curves.parquet",
        &tailrace(5.0, [Some(300.0), Some(310.0)]),
    );
    assert_error(
        &fx.validate(),
        want(PhysicalConstraint, "system/tailrace_curves.parquet").entity(0),
    );
    fx.write_batch(
        "system/tailrace_curves.parquet",
        &tailrace(0.0, [Some(300.0), None]),
    );
    assert_error(
        &fx.validate(),
        want(PhysicalConstraint, "system/tailrace_curves.parquet").entity(0),
    );
    // Curves for a plant that no FPHA reads are only a warning.
    fx.json("system/hydro_production_models.json", |v| {
        v["production_models"] = json!([])
    });
    fx.json("system/hydros.json", |v| {
        v["hydros"][0]["generation"]["model"] = json!("constant_productivity")
    });
    let r = fx.validate();
    assert_has(
        &r,
        want(PhysicalConstraint, "system/tailrace_curves.parquet").warning(),
    );
}

#[test]
fn cut_selection_and_scheduler_keys_are_read_and_range_checked() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("config.json", |v| {
        v["training"]["cut_selection"] = json!({
            "row_activity_tolerance": 1e-6,
            "max_active_per_stage": 50,
            "selection": {"method": "domination", "domination_tolerance": 1e-8, "check_frequency": 2}
        });
        v["training"]["parallelism"] =
            json!({"backward_scheduler": {"method": "by_node", "block_size": 2}});
    });
    assert_valid(&fx);
    fx.json("config.json", |v| {
        v["training"]["cut_selection"]["selection"] =
            json!({"method": "dynamic", "candidate_recency": 0});
        v["training"]["parallelism"]["backward_scheduler"]["block_size"] = json!(0);
    });
    let r = fx.validate();
    assert_has(
        &r,
        want(OutOfRange, "config.json").field("candidate_recency"),
    );
    assert_error(&r, want(OutOfRange, "config.json").field("block_size"));
}
