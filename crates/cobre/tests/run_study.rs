//! `run_study` end to end on the shared `1dtoy` case: the output layout,
//! Parquet round trips, policy save/load, warm start, resume, corrupted and
//! foreign policies, and a run killed mid-simulation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use arrow::array::{Array, UInt32Array};
use cobre::config::{PolicyMode, StoppingRuleConfig};
use cobre::outputs::{layout, read_manifest, SIMULATION_TABLES};
use cobre::{load_policy, run_study, save_policy, Case, RunOptions};
use cobre_io::output::read_parquet;
use cobre_sddp::{simulate, MemorySink, SimulationSettings, StudyModel};
use std::path::{Path, PathBuf};

fn case_dir(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../../shared/cases")
        .join(name)
}

/// 1dtoy with `iterations` iterations and `scenarios` simulated scenarios.
fn toy(iterations: u32, scenarios: u32) -> Case {
    let mut case = cobre::load_case(case_dir("1dtoy")).unwrap();
    case.config.training.stopping_rules =
        vec![StoppingRuleConfig::IterationLimit { limit: iterations }];
    case.config.simulation.num_scenarios = scenarios;
    case
}

fn options(out: &Path, per_partition: usize) -> RunOptions {
    RunOptions {
        scenarios_per_partition: per_partition,
        ..RunOptions::new(out)
    }
}

/// Every file under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

/// Column `name` of `b`, of Arrow primitive type `T`.
fn col<T: arrow::datatypes::ArrowPrimitiveType>(
    b: &arrow::record_batch::RecordBatch,
    name: &str,
) -> Vec<T::Native> {
    b.column_by_name(name)
        .unwrap()
        .as_any()
        .downcast_ref::<arrow::array::PrimitiveArray<T>>()
        .unwrap()
        .values()
        .to_vec()
}

fn f64_col(b: &arrow::record_batch::RecordBatch, name: &str) -> Vec<f64> {
    col::<arrow::datatypes::Float64Type>(b, name)
}

fn u64_col(b: &arrow::record_batch::RecordBatch, name: &str) -> Vec<u64> {
    col::<arrow::datatypes::UInt64Type>(b, name)
}

fn u32_col(b: &arrow::record_batch::RecordBatch, name: &str) -> Vec<u32> {
    col::<arrow::datatypes::UInt32Type>(b, name)
}

#[test]
fn run_writes_every_output_with_success_last() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let case = toy(10, 25);
    let summary = run_study(&case, &options(&out, 10)).unwrap();
    assert!(summary.complete);
    assert_eq!(summary.simulated_scenarios, 25);
    let files = tree(&out);
    for f in [
        "_SUCCESS",
        "manifest.json",
        layout::CONVERGENCE,
        layout::SOLVER_STATS,
    ] {
        assert!(files.contains(&f.to_string()), "{f} missing in {files:?}");
    }
    for table in SIMULATION_TABLES {
        for block in 0..3 {
            let f = format!("simulation/{table}/scenario_block={block:04}/part-0000.parquet");
            assert!(files.contains(&f), "{f} missing");
        }
    }
    for f in [
        "policy/policy.json",
        "policy/cuts.parquet",
        "policy/convergence.parquet",
    ] {
        assert!(files.contains(&f.to_string()), "{f} missing");
    }
    assert!(
        files
            .iter()
            .all(|f| !f.split('/').any(|c| c.starts_with('.'))),
        "temporary files left: {files:?}"
    );

    let conv = read_parquet(&out.join(layout::CONVERGENCE)).unwrap();
    assert_eq!(conv[0].num_rows(), 10);
    let lb = f64_col(&conv[0], "lower_bound");
    assert_eq!(
        lb.last().unwrap().to_bits(),
        summary.training.as_ref().unwrap().lower_bound().to_bits()
    );

    let m = read_manifest(&out).unwrap();
    assert_eq!(m.status, "complete");
    assert!(m.case.fingerprint.starts_with("sha256:"));
    assert_eq!(m.training.as_ref().unwrap().iterations, 10);
    assert_eq!(m.simulation.as_ref().unwrap().scenarios, 25);
    assert_eq!(m.policy.mode, "fresh");
    assert_eq!(m.config["training"]["forward_passes"], 1);
    // Every output file is listed with its real size.
    for f in &m.outputs {
        let len = std::fs::metadata(out.join(&f.path)).unwrap().len();
        assert_eq!(len, f.bytes, "{}", f.path.display());
    }
    assert_eq!(m.outputs.len(), 2 + 7 * 3);
}

#[test]
fn simulation_parquet_round_trips_the_engine_results() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let case = toy(8, 12);
    run_study(&case, &options(&out, 5)).unwrap();

    // The same policy simulated into memory.
    let study = StudyModel::build(&case.system, &case.config).unwrap();
    let saved = load_policy(out.join("policy"), &case, &study).unwrap();
    let settings = SimulationSettings {
        num_scenarios: 12,
        ..SimulationSettings::from_config(&case.config)
    };
    let mut mem = MemorySink::default();
    simulate(&study, &saved.policy, &settings, &mut mem, None).unwrap();

    let mut rows = Vec::new();
    for block in 0..3 {
        let p = layout_part(&out, "hydros", block);
        rows.extend(read_parquet(&p).unwrap());
    }
    let mut storage = Vec::new();
    let mut scen = Vec::new();
    for b in &rows {
        storage.extend(f64_col(b, "storage_final_hm3"));
        let s = b.column_by_name("scenario_id").unwrap();
        scen.extend(
            s.as_any()
                .downcast_ref::<UInt32Array>()
                .unwrap()
                .values()
                .iter()
                .copied(),
        );
    }
    let expected: Vec<f64> = mem
        .scenarios
        .iter()
        .flat_map(|s| s.hydros.storage_final_hm3.clone())
        .collect();
    let expected_scen: Vec<u32> = mem
        .scenarios
        .iter()
        .flat_map(|s| vec![s.scenario; s.hydros.stage_id.len()])
        .collect();
    assert_eq!(scen, expected_scen, "rows sorted by scenario");
    assert_eq!(storage.len(), expected.len());
    for (a, b) in storage.iter().zip(&expected) {
        assert_eq!(a.to_bits(), b.to_bits());
    }
    // Costs: one row per (scenario, stage), with the unit in the metadata.
    let costs = read_parquet(&layout_part(&out, "costs", 0)).unwrap();
    let field = costs[0]
        .schema()
        .field_with_name("immediate_cost")
        .unwrap()
        .clone();
    assert_eq!(field.metadata().get("unit").map(String::as_str), Some("$"));
    let n: usize = costs.iter().map(|b| b.num_rows()).sum();
    assert_eq!(n, 5 * case.system.num_stages());
}

fn layout_part(out: &Path, table: &str, block: u64) -> PathBuf {
    cobre_io::output::simulation_part(out, table, block)
}

#[test]
fn saved_policy_reloads_bit_for_bit_with_its_history() {
    let tmp = tempfile::tempdir().unwrap();
    let case = toy(6, 1);
    let study = StudyModel::build(&case.system, &case.config).unwrap();
    let settings = cobre_sddp::TrainingSettings::from_config(&case.config);
    let r = cobre_sddp::train(&study, &settings, cobre_sddp::TrainingHooks::default()).unwrap();
    let dir = tmp.path().join("p");
    let meta = save_policy(&dir, &case, &study, &r.policy, &r.records).unwrap();
    assert_eq!(meta.format_version, cobre::outputs::POLICY_FORMAT_VERSION);
    let back = load_policy(&dir, &case, &study).unwrap();
    assert_eq!(back.policy, r.policy);
    assert_eq!(back.records, r.records);
    assert_eq!(back.metadata.iterations, 6);
}

#[test]
fn warm_start_run_begins_at_the_saved_lower_bound() {
    let tmp = tempfile::tempdir().unwrap();
    let first = run_study(&toy(60, 1), &options(&tmp.path().join("a"), 10)).unwrap();
    let lb = first.training.as_ref().unwrap().lower_bound();

    let mut case = toy(1, 1);
    case.config.policy.mode = PolicyMode::WarmStart;
    case.config.policy.path = first.policy_dir.display().to_string();
    let second = run_study(&case, &options(&tmp.path().join("b"), 10)).unwrap();
    let rec = second.training.as_ref().unwrap().records[0];
    assert_eq!(rec.iteration, 1);
    assert!(
        rec.lower_bound >= lb * (1.0 - 1e-9) && (rec.lower_bound - lb).abs() <= 1e-3 * lb.abs(),
        "warm start at {} vs saved {lb}",
        rec.lower_bound
    );
    let m = read_manifest(&tmp.path().join("b")).unwrap();
    assert_eq!(m.policy.mode, "warm_start");
    assert_eq!(m.policy.loaded_iterations, Some(60));
}

#[test]
fn resume_run_continues_iterations_from_a_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut case = toy(5, 1);
    case.config.policy.checkpoint_interval = Some(2);
    let first = run_study(&case, &options(&out, 10)).unwrap();
    let m = read_manifest(&out).unwrap();
    assert_eq!(m.policy.checkpoints, 2);
    assert_eq!(first.training.unwrap().iterations(), 5);

    case.config.policy.mode = PolicyMode::Resume;
    case.config.training.stopping_rules = vec![StoppingRuleConfig::IterationLimit { limit: 8 }];
    run_study(&case, &options(&out, 10)).unwrap();
    let conv = read_parquet(&out.join(layout::CONVERGENCE)).unwrap();
    let it = u64_col(&conv[0], "iteration");
    assert_eq!(it, (1..=8).collect::<Vec<u64>>());
    assert!(out.join("_SUCCESS").exists());
}

#[test]
fn truncated_or_corrupted_policy_is_an_output_corrupted_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_study(&toy(3, 1), &options(&out, 10)).unwrap();
    let mut case = toy(3, 1);
    case.config.policy.mode = PolicyMode::WarmStart;
    let cuts = out.join("policy/cuts.parquet");
    let bytes = std::fs::read(&cuts).unwrap();
    std::fs::write(&cuts, &bytes[..bytes.len() / 2]).unwrap();
    let e = run_study(&case, &options(&out, 10)).unwrap_err();
    assert_eq!(e.kind().as_str(), "OutputCorrupted", "{e}");
    // The failed run did not leave a success marker behind.
    assert!(!out.join("_SUCCESS").exists());

    std::fs::write(&cuts, &bytes).unwrap();
    let json = out.join("policy/policy.json");
    std::fs::write(&json, b"{\"format\": \"cobre-policy\", \"format_ver").unwrap();
    let e = run_study(&case, &options(&out, 10)).unwrap_err();
    assert_eq!(e.kind().as_str(), "OutputCorrupted", "{e}");
}

#[test]
fn policy_of_another_case_is_refused_with_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let first = run_study(&toy(3, 1), &options(&tmp.path().join("a"), 10)).unwrap();
    let mut other = cobre::load_case(case_dir("d02-single-hydro")).unwrap();
    other.config.policy.mode = PolicyMode::WarmStart;
    other.config.policy.path = first.policy_dir.display().to_string();
    let e = run_study(&other, &options(&tmp.path().join("b"), 10)).unwrap_err();
    assert_eq!(e.kind().as_str(), "PolicyIncompatible", "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("another case") && msg.contains("sha256:"),
        "{msg}"
    );
}

#[test]
fn policy_path_over_the_outputs_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut case = toy(1, 1);
    case.config.policy.path = ".".into();
    let e = run_study(&case, &options(&tmp.path().join("out"), 10)).unwrap_err();
    assert_eq!(e.kind().as_str(), "IoError");
    assert!(e.to_string().contains("output directory"), "{e}");
}

const KILL_ENV: &str = "COBRE_KILL_TEST_OUTPUT";

/// Not a test on its own: the child process of
/// `killed_run_leaves_no_success_and_no_partial_file`.
#[test]
#[ignore = "child process of the kill test"]
fn child_run_for_kill_test() {
    let Ok(out) = std::env::var(KILL_ENV) else {
        return;
    };
    let case = toy(3, 1_000_000);
    let _ = run_study(&case, &options(Path::new(&out), 20));
}

#[test]
fn killed_run_leaves_no_success_and_no_partial_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // A stale marker from an earlier run must disappear at once.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("_SUCCESS"), "").unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_run_for_kill_test",
            "--ignored",
            "--nocapture",
        ])
        .env(KILL_ENV, &out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let first_part = cobre_io::output::simulation_part(&out, "hydros", 2);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    while !first_part.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the child never simulated"
        );
        assert!(child.try_wait().unwrap().is_none(), "the child ended early");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let files = tree(&out);
    assert!(!files.contains(&"_SUCCESS".to_string()), "{files:?}");
    assert!(!files.contains(&"manifest.json".to_string()));
    // Every file under a final name is complete; only hidden temporaries
    // may be partial.
    let mut parts = 0;
    for f in &files {
        let hidden = f.split('/').any(|c| c.starts_with('.'));
        if f.ends_with(".parquet") && !hidden {
            read_parquet(&out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            parts += 1;
        }
        assert!(
            hidden || f.ends_with(".parquet") || f.ends_with(".json"),
            "{f}"
        );
    }
    assert!(parts >= 3 * 5, "{parts} parts");
    let case = toy(3, 1);
    let study = StudyModel::build(&case.system, &case.config).unwrap();
    load_policy(out.join("policy"), &case, &study).unwrap();
}

/// Writes a run's outputs to `$COBRE_OUTPUT_FIXTURE` for
/// `python-tests/test_outputs.py` (does nothing without it).
#[test]
#[ignore = "fixture generator for the Python tests"]
fn write_python_fixture() {
    let Ok(out) = std::env::var("COBRE_OUTPUT_FIXTURE") else {
        return;
    };
    let summary = run_study(&toy(10, 30), &options(Path::new(&out), 10)).unwrap();
    assert!(summary.complete);
}

/// Shared case `name` trained `iterations` iterations, simulation off.
fn training_only(name: &str, iterations: u32) -> Case {
    let mut case = cobre::load_case(case_dir(name)).unwrap();
    case.config.training.stopping_rules =
        vec![StoppingRuleConfig::IterationLimit { limit: iterations }];
    case.config.simulation.enabled = false;
    case
}

fn i32_col(b: &arrow::record_batch::RecordBatch, name: &str) -> Vec<i32> {
    col::<arrow::datatypes::Int32Type>(b, name)
}

/// `exports.stochastic` on d12 (PAR(p)-A fitted from history): the four
/// files hold exactly the model the engine trained with, and a later run
/// without the flag leaves no stale `stochastic/` behind.
#[test]
fn stochastic_export_writes_the_model_the_run_used() {
    let mut case = training_only("d12-par-annual", 2);
    case.config.exports.stochastic = true;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    run_study(&case, &options(out, 100)).unwrap();
    let files = tree(&out.join("stochastic"));
    assert_eq!(
        files,
        [
            "fit_report.json",
            "inflow_model.parquet",
            "inflow_seasonal_stats.parquet",
            "noise_openings.parquet"
        ]
    );
    let manifest = read_manifest(out).unwrap();
    assert!(manifest
        .outputs
        .iter()
        .any(|f| f.path == Path::new(layout::NOISE_OPENINGS)));

    let model = cobre::stochastic::build_stochastic_model(&case).unwrap();
    let n = model.num_hydros();
    let order = model.max_order();
    assert!(order > 0, "d12 fits lags");
    let rows = &read_parquet(&out.join(layout::INFLOW_MODEL)).unwrap()[0];
    assert_eq!(rows.num_rows(), model.num_stages() * n);
    let base = f64_col(rows, "base_m3s");
    let sigma = f64_col(rows, "sigma_m3s");
    for t in 0..model.num_stages() {
        let st = model.inflow_stage(t);
        for h in 0..n {
            assert_eq!(base[t * n + h].to_bits(), st.base[h].to_bits());
            assert_eq!(sigma[t * n + h].to_bits(), st.sigma[h].to_bits());
            for k in 0..order {
                let psi = f64_col(rows, &format!("psi_{}", k + 1));
                assert_eq!(psi[t * n + h].to_bits(), st.psi[h * order + k].to_bits());
            }
        }
    }

    let tree_rows = &read_parquet(&out.join(layout::NOISE_OPENINGS)).unwrap()[0];
    let value = f64_col(tree_rows, "value");
    let tree = model.opening_tree();
    let expected: Vec<f64> = (0..tree.num_stages())
        .flat_map(|t| (0..tree.openings(t)).flat_map(move |k| tree.opening(t, k).to_vec()))
        .collect();
    assert_eq!(value, expected);

    let stats = &read_parquet(&out.join(layout::INFLOW_SEASONAL_STATS)).unwrap()[0];
    let fit = model.fit_report().unwrap();
    let first = &fit.hydros[0];
    let season = case.system.horizon().stages[0].season.unwrap();
    let fitted = &first.seasons.iter().find(|(s, _)| *s == season).unwrap().1;
    assert_eq!(i32_col(stats, "hydro_id")[0], first.hydro.0);
    assert_eq!(f64_col(stats, "mean_m3s")[0], fitted.mean);
    assert_eq!(f64_col(stats, "std_m3s")[0], fitted.std);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(layout::FIT_REPORT)).unwrap()).unwrap();
    assert_eq!(report["annual"], serde_json::json!(true));
    assert_eq!(
        report["hydros"][0]["seasons"].as_array().unwrap().len(),
        first.seasons.len()
    );

    case.config.exports.stochastic = false;
    run_study(&case, &options(out, 100)).unwrap();
    assert!(
        !out.join("stochastic").exists(),
        "a run without the flag clears the old export"
    );
}

/// A case with its own coefficients (1dtoy) has nothing fitted: no
/// `fit_report.json`, the three tables only.
#[test]
fn stochastic_export_of_a_case_without_history_has_no_fit_report() {
    let mut case = toy(1, 0);
    case.config.simulation.enabled = false;
    case.config.exports.stochastic = true;
    let dir = tempfile::tempdir().unwrap();
    run_study(&case, &options(dir.path(), 100)).unwrap();
    assert_eq!(
        tree(&dir.path().join("stochastic")),
        [
            "inflow_model.parquet",
            "inflow_seasonal_stats.parquet",
            "noise_openings.parquet"
        ]
    );
}

/// The violation columns of `simulation/hydros`, priced with the case's
/// penalties and hours, add up to the violation costs of
/// `simulation/costs` (hydro bounds, withdrawal, inflow slack,
/// evaporation), stage by stage, on cases that violate each of them.
#[test]
fn hydro_violation_columns_price_to_the_violation_costs() {
    let mut seen = [0.0f64; 4];
    for name in [
        "d20-operational-violations",
        "d22-per-block-min-outflow",
        "d23-bidirectional-withdrawal",
        "d08-evaporation",
        "d10-inflow-nonnegativity",
    ] {
        let mut case = cobre::load_case(case_dir(name)).unwrap();
        case.config.simulation.enabled = true;
        case.config.simulation.num_scenarios = 3;
        let dir = tempfile::tempdir().unwrap();
        run_study(&case, &options(dir.path(), 100)).unwrap();
        let part = |t: &str| {
            read_parquet(&layout_part(dir.path(), t, 0))
                .unwrap()
                .remove(0)
        };
        let (hy, costs) = (part("hydros"), part("costs"));
        let stages = &case.system.horizon().stages;
        let hydros = case.system.hydros();
        let stage_ids = i32_col(&hy, "stage_id");
        let block = u32_col(&hy, "block");
        let (hy_scen, hy_id) = (u32_col(&hy, "scenario_id"), i32_col(&hy, "hydro_id"));
        let col = |n: &str| f64_col(&hy, n);
        let (tv, ovb, ova, gv) = (
            col("turbined_slack_m3s"),
            col("outflow_slack_below_m3s"),
            col("outflow_slack_above_m3s"),
            col("generation_slack_mw"),
        );
        let (wp, wn, inf, ep, en) = (
            col("water_withdrawal_violation_pos_m3s"),
            col("water_withdrawal_violation_neg_m3s"),
            col("inflow_nonnegativity_slack_m3s"),
            col("evaporation_violation_pos_m3s"),
            col("evaporation_violation_neg_m3s"),
        );
        let (c_scen, c_stage) = (u32_col(&costs, "scenario_id"), i32_col(&costs, "stage_id"));
        for (row, (&s, &sid)) in c_scen.iter().zip(&c_stage).enumerate() {
            let t = stages.iter().position(|st| st.id.0 == sid).unwrap();
            let hours: Vec<f64> = stages[t].blocks.iter().map(|b| b.hours).collect();
            let total: f64 = hours.iter().sum();
            let mut expect = [0.0f64; 4];
            for i in 0..hy_id.len() {
                if hy_scen[i] != s || stage_ids[i] != sid {
                    continue;
                }
                let h = hydros.iter().position(|x| x.id.0 == hy_id[i]).unwrap();
                let pen = case
                    .system
                    .penalties()
                    .hydro(t, h)
                    .copied()
                    .unwrap_or(hydros[h].penalties);
                let tau = hours[block[i] as usize];
                expect[0] += tau
                    * (pen.turbined_violation_below_cost * tv[i]
                        + pen.outflow_violation_below_cost * ovb[i]
                        + pen.outflow_violation_above_cost * ova[i]
                        + pen.generation_violation_below_cost * gv[i]);
                if block[i] == 0 {
                    // Stage-level slacks repeat on every block's row.
                    expect[1] += total
                        * (pen.water_withdrawal_violation_pos_cost * wp[i]
                            + pen.water_withdrawal_violation_neg_cost * wn[i]);
                    expect[2] += total * pen.inflow_nonnegativity_cost * inf[i];
                    expect[3] += total
                        * (pen.evaporation_violation_pos_cost * ep[i]
                            + pen.evaporation_violation_neg_cost * en[i]);
                }
            }
            let got = [
                f64_col(&costs, "hydro_violation_cost")[row],
                f64_col(&costs, "withdrawal_violation_cost")[row],
                f64_col(&costs, "inflow_penalty_cost")[row],
                f64_col(&costs, "evaporation_violation_cost")[row],
            ];
            for k in 0..4 {
                let tol = 1e-6 * got[k].abs().max(1.0);
                assert!(
                    (got[k] - expect[k]).abs() <= tol,
                    "{name} scenario {s} stage {sid} cost {k}: {} in costs, {} from the columns",
                    got[k],
                    expect[k]
                );
                seen[k] += got[k].abs();
            }
        }
    }
    // Hydro bounds and withdrawal are violated by these cases, so the
    // identity is checked on non-zero costs.
    assert!(
        seen[0] > 0.0 && seen[1] > 0.0,
        "violations exercised: {seen:?}"
    );
}

/// `exports.states`: one row per stage, forward pass and iteration, named
/// as the policy's state variables, each state inside the storage bounds,
/// and the same rows whatever the thread count.
#[test]
fn visited_states_export_holds_every_forward_trial_state() {
    let mut case = toy(4, 0);
    case.config.simulation.enabled = false;
    case.config.training.forward_passes = 3;
    case.config.exports.states = true;
    let run = |threads: usize| {
        let dir = tempfile::tempdir().unwrap();
        let opts = RunOptions {
            threads,
            ..options(dir.path(), 100)
        };
        run_study(&case, &opts).unwrap();
        let b = read_parquet(&dir.path().join(layout::VISITED_STATES))
            .unwrap()
            .remove(0);
        (dir, b)
    };
    let (dir, b) = run(1);
    let stages = case.system.horizon().stages.len();
    assert_eq!(b.num_rows(), 4 * 3 * stages);
    let iteration = u64_col(&b, "iteration");
    for it in 1..=4u64 {
        assert_eq!(iteration.iter().filter(|&&i| i == it).count(), 3 * stages);
    }
    let policy: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("policy").join("policy.json")).unwrap(),
    )
    .unwrap();
    let names: Vec<String> = policy["state"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    let fields: Vec<String> = b
        .schema()
        .fields()
        .iter()
        .skip(3)
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(fields, names);
    let hydro = &case.system.hydros()[0];
    let storage = f64_col(&b, &names[0]);
    assert!(storage
        .iter()
        .all(|&v| v >= hydro.min_storage_hm3 - 1e-6 && v <= hydro.max_storage_hm3 + 1e-6));
    assert!(
        storage.iter().any(|&v| (v - storage[0]).abs() > 1e-6),
        "states vary"
    );
    let (_dir2, b2) = run(2);
    assert_eq!(
        f64_col(&b2, &names[0]),
        storage,
        "bit-identical on 2 threads"
    );

    case.config.exports.states = false;
    let dir = tempfile::tempdir().unwrap();
    run_study(&case, &options(dir.path(), 100)).unwrap();
    assert!(!dir.path().join(layout::VISITED_STATES).exists());
}

/// `exports.fpha_deviation_points` on d07 (FPHA planes computed from
/// geometry): one row per stage and grid point, and the fitted values are
/// the least-squares scaled envelope the LP uses — their residuals are
/// orthogonal to them (`Σ fitted · deviation = 0`).
#[test]
fn fpha_deviation_points_are_the_least_squares_envelope_of_the_grid() {
    let mut case = training_only("d07-fpha-computed", 1);
    case.config.exports.fpha_deviation_points = true;
    let dir = tempfile::tempdir().unwrap();
    run_study(&case, &options(dir.path(), 100)).unwrap();
    let b = read_parquet(&dir.path().join(layout::FPHA_DEVIATION_POINTS))
        .unwrap()
        .remove(0);
    let stages = case.system.horizon().stages.len();
    assert_eq!(b.num_rows(), stages * 25, "5 × 5 grid per stage");
    let (fitted, production, deviation) = (
        f64_col(&b, "fitted_mw"),
        f64_col(&b, "production_mw"),
        f64_col(&b, "deviation_mw"),
    );
    let scale: f64 = fitted.iter().map(|f| f * f).sum();
    let orth: f64 = fitted.iter().zip(&deviation).map(|(f, d)| f * d).sum();
    assert!(
        orth.abs() <= 1e-9 * scale,
        "Σ fitted·deviation = {orth} (Σ fitted² = {scale})"
    );
    assert!(
        deviation.iter().any(|d| d.abs() > 1e-6),
        "the planes are an approximation"
    );
    for ((f, p), d) in fitted.iter().zip(&production).zip(&deviation) {
        assert_eq!(*d, f - p);
    }
}
