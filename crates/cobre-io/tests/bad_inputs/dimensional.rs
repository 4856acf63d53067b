//! Layer 4: stage × entity coverage, stage and block ids.

use super::{assert_error, set_column, want, Fixture};
use arrow::array::{Float64Array, Int32Array, RecordBatch};
use cobre_io::{FindingKind::*, Layer};
use serde_json::json;
use std::sync::Arc;

#[test]
fn a_stage_missing_from_inflow_stats_is_a_coverage_mismatch() {
    let fx = Fixture::new("d02-single-hydro");
    fx.parquet("scenarios/inflow_seasonal_stats.parquet", |b| b.slice(0, 1));
    assert_error(
        &fx.validate(),
        want(CoverageMismatch, "scenarios/inflow_seasonal_stats.parquet")
            .entity(0)
            .stage(1)
            .layer(Layer::Dimensional),
    );
}

#[test]
fn a_stage_missing_from_load_stats_is_a_coverage_mismatch() {
    let fx = Fixture::new("4ree");
    fx.parquet("scenarios/load_seasonal_stats.parquet", |b| {
        b.slice(0, b.num_rows() - 1)
    });
    assert_error(
        &fx.validate(),
        want(CoverageMismatch, "scenarios/load_seasonal_stats.parquet"),
    );
}

#[test]
fn a_thermal_bound_for_an_unknown_stage_is_a_stage_mismatch() {
    let fx = Fixture::new("d27-per-stage-thermal-cost");
    fx.parquet("constraints/thermal_bounds.parquet", |b| {
        let v: Vec<i32> = vec![9; b.num_rows()];
        set_column(b, "stage_id", Arc::new(Int32Array::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(StageMismatch, "constraints/thermal_bounds.parquet")
            .field("stage_id")
            .stage(9),
    );
}

#[test]
fn a_load_factor_for_a_block_the_stage_lacks_is_a_stage_mismatch() {
    let fx = Fixture::new("d14-block-factors");
    fx.json("scenarios/load_factors.json", |v| {
        v["load_factors"][0]["block_factors"]
            .as_array_mut()
            .unwrap()
            .push(json!({"block_id": 7, "factor": 1.0}));
    });
    assert_error(
        &fx.validate(),
        want(StageMismatch, "scenarios/load_factors.json")
            .field("block_id")
            .stage(0),
    );
}

#[test]
fn ar_coefficients_without_seasonal_stats_are_a_coverage_mismatch() {
    let fx = Fixture::new("d16-par1-lag-shift");
    fx.remove("scenarios/inflow_seasonal_stats.parquet");
    assert_error(
        &fx.validate(),
        want(CoverageMismatch, "scenarios/inflow_ar_coefficients.parquet"),
    );
}

#[test]
fn a_gap_in_ar_lags_is_a_coverage_mismatch() {
    let fx = Fixture::new("d19-multi-hydro-par");
    fx.parquet("scenarios/inflow_ar_coefficients.parquet", |b| {
        let v: Vec<i32> = (0..b.num_rows())
            .map(|i| {
                if i == 0 {
                    3
                } else if i % 2 == 0 {
                    1
                } else {
                    2
                }
            })
            .collect();
        set_column(b, "lag", Arc::new(Int32Array::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(CoverageMismatch, "scenarios/inflow_ar_coefficients.parquet")
            .entity(0)
            .stage(0),
    );
}

#[test]
fn ar_terms_on_a_stage_without_season_are_a_stage_mismatch() {
    let fx = Fixture::new("d16-par1-lag-shift");
    fx.json("stages.json", |v| {
        v["stages"][1].as_object_mut().unwrap().remove("season_id");
    });
    assert_error(
        &fx.validate(),
        want(StageMismatch, "stages.json")
            .field("season_id")
            .entity(1),
    );
}

#[test]
fn a_hydro_without_productivity_is_a_coverage_mismatch() {
    let fx = Fixture::new("d02-single-hydro");
    fx.remove("system/hydro_production_models.json");
    assert_error(
        &fx.validate(),
        want(CoverageMismatch, "system/hydro_production_models.json")
            .entity(0)
            .stage(0),
    );
}

#[test]
fn productivity_from_two_sources_is_incompatible() {
    let fx = Fixture::new("d02-single-hydro");
    fx.write_batch(
        "system/hydro_energy_productivity.parquet",
        &RecordBatch::try_from_iter([
            ("hydro_id", Arc::new(Int32Array::from(vec![0])) as _),
            (
                "equivalent_productivity_mw_per_m3s",
                Arc::new(Float64Array::from(vec![1.0])) as _,
            ),
        ])
        .unwrap(),
    );
    assert_error(
        &fx.validate(),
        want(IncompatibleSettings, "system/hydro_production_models.json").entity(0),
    );
}

#[test]
fn a_precomputed_fpha_stage_without_planes_is_a_coverage_mismatch() {
    let fx = Fixture::new("d05-fpha-constant-head");
    fx.parquet("system/fpha_hyperplanes.parquet", |b| b.slice(0, 1));
    assert_error(
        &fx.validate(),
        want(CoverageMismatch, "system/fpha_hyperplanes.parquet")
            .entity(0)
            .stage(1),
    );
}

#[test]
fn computed_fpha_without_geometry_is_a_coverage_mismatch() {
    let fx = Fixture::new("d07-fpha-computed");
    fx.remove("system/hydro_geometry.parquet");
    assert_error(
        &fx.validate(),
        want(CoverageMismatch, "system/hydro_geometry.parquet").entity(0),
    );
}

#[test]
fn an_external_library_missing_a_stage_is_a_coverage_mismatch() {
    let fx = Fixture::new("d28-decomp-weekly-monthly");
    fx.parquet("scenarios/external_inflow_scenarios.parquet", |b| {
        b.slice(0, 5)
    });
    assert_error(
        &fx.validate(),
        want(
            CoverageMismatch,
            "scenarios/external_inflow_scenarios.parquet",
        )
        .stage(5),
    );
}

#[test]
fn overlapping_production_ranges_are_a_stage_mismatch() {
    let fx = Fixture::new("d24-productivity-override");
    fx.json("system/hydro_production_models.json", |v| {
        v["production_models"][0]["stage_ranges"][0]["end_stage_id"] = json!(1);
    });
    assert_error(
        &fx.validate(),
        want(StageMismatch, "system/hydro_production_models.json")
            .entity(0)
            .stage(1),
    );
}

#[test]
fn a_generic_bound_for_a_missing_block_is_a_stage_mismatch() {
    let fx = Fixture::new("d13-generic-constraint");
    fx.parquet("constraints/generic_constraint_bounds.parquet", |b| {
        let v: Vec<i32> = vec![3; b.num_rows()];
        set_column(b, "block_id", Arc::new(Int32Array::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(
            StageMismatch,
            "constraints/generic_constraint_bounds.parquet",
        )
        .field("block_id")
        .entity(1),
    );
}

#[test]
fn an_inflow_stat_for_an_unknown_stage_is_a_stage_mismatch() {
    let fx = Fixture::new("d16-par1-lag-shift");
    fx.parquet("scenarios/inflow_seasonal_stats.parquet", |b| {
        let v: Vec<i32> = vec![-7, 0, 1, 2];
        set_column(b, "stage_id", Arc::new(Int32Array::from(v)))
    });
    assert_error(
        &fx.validate(),
        want(StageMismatch, "scenarios/inflow_seasonal_stats.parquet").stage(-7),
    );
}
