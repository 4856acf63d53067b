//! Layer 2, Parquet: column names, types, nulls, non-finite numbers, ranges.

use super::{assert_error, assert_has, drop_column, set_column, want, Fixture};
use arrow::array::{Float64Array, Int32Array, Int64Array, StringArray};
use cobre_io::{FindingKind::*, Layer};
use std::sync::Arc;

const STATS: &str = "scenarios/inflow_seasonal_stats.parquet";

#[test]
fn nan_in_a_numeric_column_is_out_of_range_with_the_row() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    fx.parquet(STATS, |b| {
        let mut v: Vec<f64> = (0..b.num_rows()).map(|_| 10.0).collect();
        v[2] = f64::NAN;
        set_column(b, "mean_m3s", Arc::new(Float64Array::from(v)))
    });
    let f = assert_error(
        &fx.validate(),
        want(OutOfRange, STATS)
            .field("mean_m3s")
            .layer(Layer::Schema),
    );
    assert_eq!(f.context.row, Some(2));
}

#[test]
fn infinity_in_a_numeric_column_is_out_of_range() {
    let fx = Fixture::new("d04-transmission");
    fx.parquet("scenarios/load_seasonal_stats.parquet", |b| {
        let mut v: Vec<f64> = vec![0.0; b.num_rows()];
        v[0] = f64::INFINITY;
        set_column(b, "std_mw", Arc::new(Float64Array::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(OutOfRange, "scenarios/load_seasonal_stats.parquet").field("std_mw"),
    );
}

#[test]
fn a_float_stage_id_column_is_a_type_mismatch() {
    let fx = Fixture::new("d02-single-hydro");
    fx.parquet(STATS, |b| {
        let v: Vec<f64> = (0..b.num_rows()).map(|i| i as f64).collect();
        set_column(b, "stage_id", Arc::new(Float64Array::from(v)))
    });
    assert_error(&fx.validate(), want(TypeMismatch, STATS).field("stage_id"));
}

#[test]
fn an_int64_id_column_is_a_type_mismatch() {
    let fx = Fixture::new("d02-single-hydro");
    fx.parquet(STATS, |b| {
        let v: Vec<i64> = vec![0; b.num_rows()];
        set_column(b, "hydro_id", Arc::new(Int64Array::from(v)))
    });
    assert_error(&fx.validate(), want(TypeMismatch, STATS).field("hydro_id"));
}

#[test]
fn a_string_value_column_is_a_type_mismatch() {
    let fx = Fixture::new("d27-per-stage-thermal-cost");
    fx.parquet("constraints/thermal_bounds.parquet", |b| {
        let v: Vec<&str> = vec!["120"; b.num_rows()];
        set_column(b, "cost_per_mwh", Arc::new(StringArray::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(TypeMismatch, "constraints/thermal_bounds.parquet").field("cost_per_mwh"),
    );
}

#[test]
fn a_missing_required_column_is_a_schema_violation() {
    let fx = Fixture::new("d02-single-hydro");
    fx.parquet(STATS, |b| drop_column(b, "std_m3s"));
    assert_error(
        &fx.validate(),
        want(SchemaViolation, STATS).field("std_m3s"),
    );
}

#[test]
fn a_null_in_a_key_column_is_a_schema_violation() {
    let fx = Fixture::new("d03-two-hydro-cascade");
    fx.parquet(STATS, |b| {
        let mut v: Vec<Option<i32>> = (0..b.num_rows()).map(|_| Some(0)).collect();
        v[1] = None;
        set_column(b, "hydro_id", Arc::new(Int32Array::from(v)))
    });
    let f = assert_error(
        &fx.validate(),
        want(SchemaViolation, STATS).field("hydro_id"),
    );
    assert_eq!(f.context.row, Some(1));
}

#[test]
fn a_negative_standard_deviation_is_out_of_range() {
    let fx = Fixture::new("d02-single-hydro");
    fx.parquet(STATS, |b| {
        let v: Vec<f64> = vec![-1.0; b.num_rows()];
        set_column(b, "std_m3s", Arc::new(Float64Array::from(v)))
    });
    assert_error(&fx.validate(), want(OutOfRange, STATS).field("std_m3s"));
}

#[test]
fn an_unknown_column_is_a_warning_and_the_case_still_loads() {
    let fx = Fixture::new("d02-single-hydro");
    fx.parquet(STATS, |b| {
        let v: Vec<f64> = vec![1.0; b.num_rows()];
        set_column(b, "mean_m3", Arc::new(Float64Array::from(v)))
    });
    let r = fx.validate();
    assert!(r.is_valid(), "{r}");
    let f = assert_has(&r, want(SchemaViolation, STATS).field("mean_m3").warning());
    assert!(f.suggestion.as_deref().unwrap_or("").contains("mean_m3s"));
}

#[test]
fn a_negative_penalty_override_is_out_of_range() {
    let fx = Fixture::new("d04-transmission");
    fx.write_batch(
        "constraints/penalty_overrides_line.parquet",
        &arrow::array::RecordBatch::try_from_iter([
            ("line_id", Arc::new(Int32Array::from(vec![0])) as _),
            ("stage_id", Arc::new(Int32Array::from(vec![0])) as _),
            (
                "exchange_cost",
                Arc::new(Float64Array::from(vec![-1.0])) as _,
            ),
        ])
        .unwrap(),
    );
    assert_error(
        &fx.validate(),
        want(OutOfRange, "constraints/penalty_overrides_line.parquet").field("exchange_cost"),
    );
}

#[test]
fn an_ar_lag_of_zero_is_out_of_range() {
    let fx = Fixture::new("d16-par1-lag-shift");
    fx.parquet("scenarios/inflow_ar_coefficients.parquet", |b| {
        let v: Vec<i32> = vec![0; b.num_rows()];
        set_column(b, "lag", Arc::new(Int32Array::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(OutOfRange, "scenarios/inflow_ar_coefficients.parquet").field("lag"),
    );
}

#[test]
fn a_negative_availability_in_ncs_bounds_is_out_of_range() {
    let fx = Fixture::new("d15-non-controllable-source");
    fx.write_batch(
        "constraints/ncs_bounds.parquet",
        &arrow::array::RecordBatch::try_from_iter([
            ("ncs_id", Arc::new(Int32Array::from(vec![0])) as _),
            ("stage_id", Arc::new(Int32Array::from(vec![0])) as _),
            (
                "available_generation_mw",
                Arc::new(Float64Array::from(vec![-5.0])) as _,
            ),
        ])
        .unwrap(),
    );
    assert_error(
        &fx.validate(),
        want(OutOfRange, "constraints/ncs_bounds.parquet").field("available_generation_mw"),
    );
}

#[test]
fn an_ncs_mean_above_one_is_out_of_range() {
    let fx = Fixture::new("d15-non-controllable-source");
    fx.parquet("scenarios/non_controllable_stats.parquet", |b| {
        let v: Vec<f64> = vec![1.5; b.num_rows()];
        set_column(b, "mean", Arc::new(Float64Array::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(OutOfRange, "scenarios/non_controllable_stats.parquet").field("mean"),
    );
}

#[test]
fn many_bad_rows_are_capped_with_a_summary() {
    let fx = Fixture::new("4ree");
    fx.parquet(STATS, |b| {
        let v: Vec<f64> = vec![f64::NAN; b.num_rows()];
        set_column(b, "mean_m3s", Arc::new(Float64Array::from(v)))
    });
    let r = fx.validate();
    let n = r
        .of_kind(OutOfRange)
        .filter(|f| f.context.file.as_deref() == Some(STATS))
        .count();
    assert_eq!(n, 11, "{r}");
    assert!(r.findings.iter().any(|f| f.message.contains("38 more row")));
}
