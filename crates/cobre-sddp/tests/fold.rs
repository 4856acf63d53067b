//! The LP the solver holds (incoming state and constant columns folded into
//! the row bounds, `lp::StateFold`) has the optimum of the LP as formulated
//! (`StageTemplate::full_model`, the incoming state fixed by its columns'
//! bounds), for every stage of every conformance case; the cut
//! coefficients, the formulated LP's reduced costs of those columns, are
//! what the folded solve computes from its row duals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cobre_sddp::lp::{StagePatch, StageTemplate};
use cobre_sddp::{ScenarioModel, StudyModel};
use cobre_solver::{HighsSolver, LpSolver, SolverOptions};
use std::path::PathBuf;

mod common;

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/cases")
}

/// Objective and reduced costs of the incoming-state columns of the LP as
/// formulated, under the patch's state, right-hand sides and availability.
fn formulated(tpl: &StageTemplate, patch: &StagePatch) -> (f64, Vec<f64>) {
    let layout = &tpl.layout;
    let mut lp = HighsSolver::new().unwrap();
    lp.load_model(&tpl.full_model()).unwrap();
    let state = patch.state_values();
    lp.set_col_bounds(&layout.state_in_cols, state, state)
        .unwrap();
    let rows: Vec<usize> = (0..patch.values().len()).collect();
    lp.set_row_bounds(&rows, patch.values(), patch.values())
        .unwrap();
    let ncs: Vec<usize> = layout.ncs.range().collect();
    if !ncs.is_empty() {
        let up = patch.ncs_available();
        let lo: Vec<f64> = up
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                let must = layout.ncs_must_run[i % layout.n_ncs.max(1)];
                if must {
                    a
                } else {
                    0.0
                }
            })
            .collect();
        lp.set_col_bounds(&ncs, &lo, up).unwrap();
    }
    lp.solve().unwrap();
    let mut d = vec![0.0; lp.num_cols()];
    lp.reduced_costs_into(&mut d);
    let obj = lp.objective_value();
    (obj, layout.state_in_cols.iter().map(|&c| d[c]).collect())
}

/// Compares every stage of case `name` at the initial state and opening 0;
/// returns the number of state slopes compared.
fn check_case(name: &str) -> usize {
    let case = cobre_io::load_case(cases_dir().join(name)).unwrap();
    let study = StudyModel::build(&case.system, &case.config).unwrap();
    let sc: &ScenarioModel = study.scenario();
    let x = study.initial_state().to_vec();
    let mut compared = 0;
    for (t, tpl) in study.templates().iter().enumerate() {
        let mut patch = StagePatch::new(tpl);
        patch.fill(tpl, sc, &x, sc.opening(t, 0));
        let (obj_f, d_f) = formulated(tpl, &patch);
        let (obj_s, d_s) = common::solve_folded(tpl, &patch, SolverOptions::default());
        let scale = obj_f.abs().max(1.0);
        assert!(
            (obj_f - obj_s).abs() <= 1e-7 * scale,
            "{name} stage {t}: formulated {obj_f} against folded {obj_s}"
        );
        for (j, (a, b)) in d_f.iter().zip(&d_s).enumerate() {
            assert!(
                (a - b).abs() <= 1e-6 * a.abs().max(1.0),
                "{name} stage {t} state component {j}: reduced cost {a}, folded slope {b}"
            );
            compared += 1;
        }
    }
    compared
}

#[test]
fn folded_stage_lps_have_the_optimum_of_the_formulated_ones() {
    let mut names: Vec<String> = std::fs::read_dir(cases_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("config.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 20, "conformance cases found: {names:?}");
    let compared: usize = names.iter().map(|n| check_case(n)).sum();
    assert!(compared > 500, "{compared} state slopes compared");
}
