//! The facade's validation entry points.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

fn case(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../../shared/cases")
        .join(name)
}

#[test]
fn load_case_returns_the_validated_case() {
    let c = cobre::load_case(case("1dtoy")).unwrap();
    assert_eq!(c.system.num_stages(), 4);
    assert_eq!(c.system.hydros().len(), 1);
}

#[test]
fn validate_of_a_good_case_has_no_error_and_runs_every_layer() {
    let r = cobre::validate(case("d03-two-hydro-cascade"));
    assert!(r.is_valid(), "{r}");
    assert_eq!(r.layers_completed, cobre::Layer::ALL.to_vec());
}

#[test]
fn load_case_of_a_missing_folder_is_a_validation_error_with_a_stable_kind() {
    let err = cobre::load_case(case("no-such-case")).unwrap_err();
    assert_eq!(
        err.kind(),
        cobre::ErrorKind::Validation(cobre::FindingKind::MissingFile)
    );
    let report = err.report().unwrap();
    assert!(report.has_kind(cobre::FindingKind::MissingFile));
}

#[test]
fn error_kinds_come_from_the_registry_and_are_distinct() {
    let errors = [
        cobre::Error::io("x", std::io::Error::other("boom")),
        cobre::Error::Engine(cobre::SddpError::ThreadPool {
            threads: 1,
            message: "s".into(),
        }),
        cobre::Error::Engine(cobre::SddpError::Communicator {
            message: "s".into(),
        }),
        cobre::Error::Worker {
            rank: 1,
            exit_code: Some(-9),
            message: "killed".into(),
        },
        cobre::Error::Interrupted,
    ];
    let kinds: Vec<&str> = errors.iter().map(|e| e.kind().as_str()).collect();
    assert_eq!(
        kinds,
        [
            "IoError",
            "Internal",
            "WorkerFailed",
            "WorkerFailed",
            "Interrupted"
        ]
    );
}

#[test]
fn overrides_are_merged_into_config_json_and_validated_as_the_file() {
    let loaded = cobre::load_case_with_overrides(
        case("d03-two-hydro-cascade"),
        &serde_json::json!({
            "training": {"stopping_rules": [{"type": "iteration_limit", "limit": 7}]},
            "simulation": {"selection": {"method": "sampled", "num_scenarios": 37}}
        }),
    )
    .unwrap();
    assert_eq!(
        loaded.config.training.stopping_rules,
        vec![cobre::config::StoppingRuleConfig::IterationLimit { limit: 7 }]
    );
    assert_eq!(loaded.config.simulation.num_scenarios, 37);
    let err = cobre::load_case_with_overrides(
        case("d03-two-hydro-cascade"),
        &serde_json::json!({"training": {"stoping_rules": []}}),
    )
    .unwrap_err();
    assert_eq!(
        err.kind(),
        cobre::ErrorKind::Validation(cobre::FindingKind::SchemaViolation)
    );
    let f = err.report().unwrap().errors().next().unwrap();
    assert_eq!(f.context.path.as_deref(), Some("training.stoping_rules"));
    assert!(
        f.suggestion
            .as_deref()
            .unwrap_or("")
            .contains("stopping_rules"),
        "{f}"
    );
}
