//! The facade's validation entry points.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

fn case(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
    assert_eq!(err.kind(), "Validation");
    let report = err.report().unwrap();
    assert!(report.has_kind(cobre::FindingKind::MissingFile));
}

#[test]
fn every_error_kind_is_distinct() {
    let errors = [
        cobre::Error::Validation(Box::default()),
        cobre::Error::io("x", std::io::Error::other("boom")),
        cobre::Error::Solver {
            message: "s".into(),
            site: None,
            status: "infeasible".into(),
        },
        cobre::Error::Stochastic("s".into()),
        cobre::Error::Sddp("s".into()),
        cobre::Error::Interrupted,
    ];
    let mut kinds: Vec<&str> = errors.iter().map(cobre::Error::kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds.len(), errors.len());
}
