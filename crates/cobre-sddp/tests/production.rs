//! Hydro production models resolved for the stage LPs: FPHA hyperplanes
//! fitted from the reservoir geometry, precomputed planes per stage, and
//! constant productivities.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cobre_sddp::lp::{Production, ProductionTable};
use std::path::PathBuf;

fn case(name: &str) -> cobre_core::Case {
    let dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../../shared/cases")
    .join(name);
    cobre_io::load_case(dir).unwrap()
}

fn planes(table: &ProductionTable, t: usize) -> Vec<[f64; 4]> {
    match table.get(t, 0).unwrap() {
        Production::Fpha(p) => p
            .iter()
            .map(|p| [p.gamma_0, p.gamma_v, p.gamma_q, p.gamma_s])
            .collect(),
        other => panic!("expected FPHA, got {other:?}"),
    }
}

#[test]
fn planes_fitted_from_geometry_are_those_of_the_reference() {
    // d07's planes as Cobre 0.18 exports them (hydro_models/fpha_hyperplanes.parquet):
    // (γ0, γv, γq, γs), the same at both stages.
    let reference = [
        [0.0, 0.169_931_496_163_960_55, 0.424_828_740_409_901_3, 0.0],
        [0.0, 0.127_448_622_122_970_4, 0.467_311_614_450_891_5, 0.0],
        [0.0, 0.084_965_748_081_980_3, 0.552_277_362_532_871_5, 0.0],
        [0.0, 0.042_482_874_040_990_02, 0.679_725_984_655_842_4, 0.0],
        [0.0, 0.0, 0.849_657_480_819_802_7, 0.0],
    ];
    let c = case("d07-fpha-computed");
    let table = ProductionTable::resolve(&c.system).unwrap();
    for t in 0..2 {
        let got = planes(&table, t);
        assert_eq!(got.len(), reference.len(), "stage {t}: {got:?}");
        for r in &reference {
            assert!(
                got.iter()
                    .any(|g| g.iter().zip(r).all(|(a, b)| (a - b).abs() < 1e-9)),
                "stage {t}: plane {r:?} missing from {got:?}"
            );
        }
    }
}

#[test]
fn precomputed_planes_use_the_stage_rows_or_the_all_stages_rows() {
    // d05 gives planes per stage, d06 one set for every stage.
    for name in ["d05-fpha-constant-head", "d06-fpha-variable-head"] {
        let c = case(name);
        let table = ProductionTable::resolve(&c.system).unwrap();
        let rows = &c.system.hydro_models().fpha_planes;
        for (t, stage) in c.system.horizon().stages.iter().enumerate() {
            let expected = rows.iter().filter(|p| p.stage == Some(stage.id)).count();
            let expected = if expected == 0 {
                rows.iter().filter(|p| p.stage.is_none()).count()
            } else {
                expected
            };
            assert_eq!(planes(&table, t).len(), expected, "{name} stage {t}");
        }
    }
}

#[test]
fn constant_productivity_changes_by_stage_range() {
    let c = case("d24-productivity-override");
    let table = ProductionTable::resolve(&c.system).unwrap();
    let rho: Vec<f64> = (0..c.system.num_stages())
        .map(|t| match table.get(t, 0).unwrap() {
            Production::Constant(r) => *r,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(rho, vec![0.8, 1.2]);
}
