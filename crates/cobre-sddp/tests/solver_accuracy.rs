//! The default solver options reach the optimum of a production-size stage
//! LP: on the converted NEWAVE deck (`../shared/cases-real/newave_mini`,
//! 4,432 rows of which 3,492 are hydro production planes), the default
//! max-value scaling with its tight dual tolerance gives the objective and
//! cut slopes of an equilibrated solve. With HiGHS' default dual tolerance
//! (1e-7) the same scaling stops 1.5e-6 to 3e-6 (relative) above the
//! optimum, which this test would catch.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cobre_sddp::lp::StagePatch;
use cobre_sddp::StudyModel;
use cobre_solver::{Scaling, SolverOptions};
use std::path::PathBuf;

mod common;

/// Objective and state slopes of stage `t`'s LP at the initial state and
/// opening 0, from a cold start.
fn solve_stage(study: &StudyModel, t: usize, options: SolverOptions) -> (f64, Vec<f64>) {
    let tpl = &study.templates()[t];
    let sc = study.scenario();
    let mut patch = StagePatch::new(tpl);
    patch.fill(tpl, sc, study.initial_state(), sc.opening(t, 0));
    common::solve_folded(tpl, &patch, options)
}

#[test]
fn default_options_reach_the_equilibrated_optimum_on_the_newave_stage_lp() {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/cases-real/newave_mini");
    if !dir.exists() {
        eprintln!("skipped: {} is not there", dir.display());
        return;
    }
    let case = cobre_io::load_case(&dir).unwrap();
    let study = StudyModel::build(&case.system, &case.config).unwrap();
    assert_eq!(SolverOptions::default().scaling, Scaling::MaxValue);
    for t in [0, 12] {
        let (q_ref, d_ref) = solve_stage(
            &study,
            t,
            SolverOptions {
                scaling: Scaling::Equilibration,
                ..SolverOptions::default()
            },
        );
        let (q, d) = solve_stage(&study, t, SolverOptions::default());
        let rel = (q - q_ref).abs() / q_ref.abs();
        assert!(
            rel <= 2e-7,
            "stage {t}: objective {q} against equilibration's {q_ref} (relative {rel:.2e})"
        );
        let scale = d_ref.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for (j, (a, b)) in d.iter().zip(&d_ref).enumerate() {
            assert!(
                (a - b).abs() <= 1e-6 * scale,
                "stage {t} state component {j}: slope {a} against equilibration's {b}"
            );
        }
    }
}
