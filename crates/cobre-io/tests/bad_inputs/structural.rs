//! Layer 1: files missing, unreadable, of the wrong kind.

use super::{assert_error, assert_has, want, Fixture};
use cobre_io::{FindingKind::*, Layer};

#[test]
fn missing_config_is_a_missing_file() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.remove("config.json");
    let r = fx.validate();
    assert_error(
        &r,
        want(MissingFile, "config.json").layer(Layer::Structural),
    );
}

#[test]
fn missing_buses_is_a_missing_file() {
    let fx = Fixture::new("d02-single-hydro");
    fx.remove("system/buses.json");
    assert_error(&fx.validate(), want(MissingFile, "system/buses.json"));
}

#[test]
fn missing_stages_is_a_missing_file_and_later_layers_still_run() {
    let fx = Fixture::new("d02-single-hydro");
    fx.remove("stages.json");
    let r = fx.validate();
    assert_error(&r, want(MissingFile, "stages.json"));
    assert_eq!(r.layers_completed, Layer::ALL.to_vec());
}

#[test]
fn a_directory_where_a_file_belongs_is_a_parse_error() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.remove("config.json");
    std::fs::create_dir(fx.path("config.json")).unwrap();
    let f = assert_error(
        &fx.validate(),
        want(ParseError, "config.json").layer(Layer::Structural),
    );
    assert!(f.message.contains("directory"), "{f}");
}

#[test]
fn a_directory_where_a_parquet_file_belongs_is_a_parse_error() {
    let fx = Fixture::new("d02-single-hydro");
    fx.remove("scenarios/load_seasonal_stats.parquet");
    std::fs::create_dir(fx.path("scenarios/load_seasonal_stats.parquet")).unwrap();
    assert_error(
        &fx.validate(),
        want(ParseError, "scenarios/load_seasonal_stats.parquet"),
    );
}

#[test]
fn an_empty_json_file_is_a_parse_error() {
    let fx = Fixture::new("d02-single-hydro");
    fx.write("penalties.json", "");
    let f = assert_error(&fx.validate(), want(ParseError, "penalties.json"));
    assert!(f.message.contains("empty"), "{f}");
}

#[test]
fn an_empty_parquet_file_is_a_parse_error() {
    let fx = Fixture::new("d02-single-hydro");
    fx.write("scenarios/inflow_seasonal_stats.parquet", "");
    assert_error(
        &fx.validate(),
        want(ParseError, "scenarios/inflow_seasonal_stats.parquet"),
    );
}

#[test]
fn non_utf8_bytes_are_a_parse_error_with_the_line() {
    let fx = Fixture::new("d02-single-hydro");
    let mut bytes = std::fs::read(fx.path("system/hydros.json")).unwrap();
    bytes.splice(10..10, [0xff, 0xfe, 0x80]);
    fx.write("system/hydros.json", bytes);
    let f = assert_error(
        &fx.validate(),
        want(ParseError, "system/hydros.json").layer(Layer::Structural),
    );
    assert!(f.context.line.is_some(), "{f:?}");
}

#[test]
fn a_truncated_parquet_file_is_a_parse_error() {
    let fx = Fixture::new("d02-single-hydro");
    let bytes = std::fs::read(fx.path("scenarios/inflow_seasonal_stats.parquet")).unwrap();
    fx.write(
        "scenarios/inflow_seasonal_stats.parquet",
        &bytes[..bytes.len() / 2],
    );
    assert_error(
        &fx.validate(),
        want(ParseError, "scenarios/inflow_seasonal_stats.parquet"),
    );
}

#[test]
fn text_in_a_parquet_file_is_a_parse_error() {
    let fx = Fixture::new("d27-per-stage-thermal-cost");
    fx.write(
        "constraints/thermal_bounds.parquet",
        "thermal_id,stage_id\n0,1\n",
    );
    assert_error(
        &fx.validate(),
        want(ParseError, "constraints/thermal_bounds.parquet"),
    );
}

#[test]
fn a_corrupted_parquet_footer_is_a_parse_error() {
    let fx = Fixture::new("d04-transmission");
    let mut bytes = std::fs::read(fx.path("scenarios/load_seasonal_stats.parquet")).unwrap();
    let n = bytes.len();
    for b in &mut bytes[n - 40..n - 8] {
        *b = 0xAB;
    }
    fx.write("scenarios/load_seasonal_stats.parquet", bytes);
    assert_error(
        &fx.validate(),
        want(ParseError, "scenarios/load_seasonal_stats.parquet"),
    );
}

#[test]
fn a_misspelled_optional_file_is_a_warning_naming_the_right_name() {
    let fx = Fixture::new("d14-block-factors");
    std::fs::rename(
        fx.path("scenarios/load_factors.json"),
        fx.path("scenarios/load_factor.json"),
    )
    .unwrap();
    let r = fx.validate();
    let f = assert_has(
        &r,
        want(SchemaViolation, "scenarios/load_factor.json").warning(),
    );
    assert!(
        f.suggestion
            .as_deref()
            .unwrap_or("")
            .contains("scenarios/load_factors.json"),
        "{f}"
    );
}

#[test]
fn a_missing_case_folder_is_a_missing_file() {
    let r = cobre_io::validate("/nonexistent/cobre/case");
    assert_error(&r, want(MissingFile, "."));
}

#[test]
fn a_file_given_as_case_folder_is_a_parse_error() {
    let fx = Fixture::new("d01-thermal-dispatch");
    let r = cobre_io::validate(fx.path("config.json"));
    assert_error(&r, want(ParseError, "."));
}
