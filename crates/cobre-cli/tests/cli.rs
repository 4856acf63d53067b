//! The `cobre` program as a user runs it: exit codes, `validate` listing
//! every finding, `run` writing its outputs, `report`, Ctrl-C.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

/// A copy of `examples/tiny` with three independent faults: an unknown
/// field, a negative capacity and a unit group on a bus that does not
/// exist.
fn broken_case(dir: &Path) -> PathBuf {
    let to = dir.join("broken");
    edited_copy(&example("tiny"), &to, "system/hydros.json", |v| {
        let h = &mut v["hydros"][0];
        h["colour"] = serde_json::json!("blue");
        h["reservoir"]["max_storage_hm3"] = serde_json::json!(-5.0);
        h["unit_groups"][0]["bus_id"] = serde_json::json!(99);
    })
}

#[test]
fn validate_accepts_a_good_case_with_exit_code_zero() {
    cobre()
        .args(["validate"])
        .arg(example("tiny"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("valid — 0 error(s)"));
}

#[test]
fn validate_lists_every_finding_of_a_broken_case_grouped_by_layer() {
    let tmp = tempfile::tempdir().unwrap();
    let case = broken_case(tmp.path());
    let out = cobre().arg("validate").arg(&case).assert().code(1);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("schema ("), "{text}");
    assert!(text.contains("colour"), "unknown field not listed:\n{text}");
    assert!(
        text.contains("max_storage_hm3"),
        "negative capacity not listed:\n{text}"
    );
    assert!(text.contains("99"), "dangling bus not listed:\n{text}");
    assert!(text.contains("INVALID"), "{text}");
}

#[test]
fn validate_json_reports_kinds_and_contexts() {
    let tmp = tempfile::tempdir().unwrap();
    let case = broken_case(tmp.path());
    let out = cobre()
        .args(["validate", "--json"])
        .arg(&case)
        .assert()
        .code(1);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["valid"], false);
    let errors = v["errors"].as_array().unwrap();
    assert!(errors.len() >= 3, "{errors:?}");
    for e in errors {
        assert!(e["kind"].is_string() && e["message"].is_string());
        assert!(e["context"]["file"].is_string(), "{e}");
    }
    let kinds: Vec<&str> = errors.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for kind in ["SchemaViolation", "OutOfRange", "MissingReference"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let unknown = errors
        .iter()
        .find(|e| e["kind"] == "SchemaViolation")
        .unwrap();
    assert_eq!(unknown["context"]["file"], "system/hydros.json");
    assert_eq!(unknown["context"]["field"], "colour");
    assert_eq!(unknown["context"]["entity_id"], 0);
    assert!(unknown["suggestion"].is_string());
}

#[test]
fn run_on_an_invalid_case_exits_one_and_lists_the_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let case = broken_case(tmp.path());
    cobre_run(&case, &tmp.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("colour").and(predicate::str::contains("INVALID")));
    assert!(!tmp.path().join("out/_SUCCESS").exists());
}

#[test]
fn run_on_a_missing_folder_is_an_invalid_case() {
    cobre()
        .args(["run", "/nonexistent/cobre-case", "-o", "/tmp/unused"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("MissingFile"));
}

#[test]
fn bad_command_line_exits_two() {
    cobre().arg("frobnicate").assert().code(2);
    cobre().args(["run"]).assert().code(2);
    cobre()
        .args(["run", "x", "--threads", "0"])
        .assert()
        .code(2);
}

#[test]
fn run_writes_outputs_prints_convergence_and_a_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let assert = cobre_run(&shared_case("d02-single-hydro"), &out)
        .args(["--threads", "2"])
        .assert()
        .code(0);
    let text = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("lower bound") && text.contains("upper bound"),
        "{text}"
    );
    // The closed-form cost of d02, 23 640 785 / 9, as the summary prints it.
    assert!(text.contains("2,626,754"), "{text}");
    assert!(
        text.contains("summary") && text.contains("complete"),
        "{text}"
    );
    for f in [
        "_SUCCESS",
        "manifest.json",
        "training/convergence.parquet",
        "policy",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
}

#[test]
fn run_json_is_one_machine_readable_object() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let assert = cobre_run(&example("tiny"), &out)
        .args(["--json", "--threads", "1", "--scenarios", "3"])
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(v["status"], "complete");
    assert!(v["training"]["lower_bound"].is_number());
    assert_eq!(v["simulation"]["scenarios"], 3);
    assert_eq!(v["threads"], 1);
}

#[test]
fn set_changes_a_setting_of_config_json_and_a_wrong_key_path_is_an_invalid_case() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let assert = cobre_run(&example("tiny"), &out)
        .args(["--json", "--threads", "1"])
        .args([
            "--set",
            r#"training.stopping_rules=[{"type":"iteration_limit","limit":2}]"#,
        ])
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(v["training"]["iterations"], 2);
    cobre_run(&example("tiny"), &tmp.path().join("out2"))
        .args(["--set", "training.stoping_rules=[]"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("training.stoping_rules"));
    cobre()
        .arg("run")
        .arg(example("tiny"))
        .args(["--set", "no_equals_sign"])
        .assert()
        .code(2);
}

#[test]
fn quiet_run_prints_nothing_on_success() {
    let tmp = tempfile::tempdir().unwrap();
    cobre_run(&example("tiny"), &tmp.path().join("out"))
        .arg("--quiet")
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty());
}

#[test]
fn run_into_an_unusable_output_path_exits_four() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    cobre_run(&example("tiny"), &file).assert().code(4);
}

#[test]
fn report_summarises_a_run_and_flags_an_incomplete_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    cobre_run(&example("tiny"), &out)
        .arg("--quiet")
        .assert()
        .code(0);
    cobre()
        .arg("report")
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("status").and(predicate::str::contains("complete")));
    let json = cobre()
        .args(["report", "--json"])
        .arg(&out)
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&json.get_output().stdout).unwrap();
    assert_eq!(v["status"], "complete");
    assert!(!v["convergence"].as_array().unwrap().is_empty());

    std::fs::remove_file(out.join("_SUCCESS")).unwrap();
    cobre()
        .arg("report")
        .arg(&out)
        .assert()
        .code(4)
        .stdout(predicate::str::contains("incomplete"));
    cobre()
        .arg("report")
        .arg(tmp.path().join("nothing-here"))
        .assert()
        .code(4);
}

#[test]
fn ctrl_c_stops_the_run_with_exit_code_130_and_no_success_marker() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let bin = assert_cmd::cargo::cargo_bin("cobre");
    let mut child = std::process::Command::new(bin)
        .arg("run")
        .arg(shared_case("4ree"))
        .arg("-o")
        .arg(&out)
        .args(["--quiet", "--threads", "1"])
        .spawn()
        .unwrap();
    // Wait for training to be under way (the manifest of a previous run
    // is never there: the folder is new).
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(!out.join("_SUCCESS").exists());
    // What was trained so far is kept, and says it was interrupted.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["status"], "interrupted");
    assert!(out.join("training/convergence.parquet").exists());
}

#[test]
fn started_by_mpirun_as_one_of_several_processes_without_mpi_support_exits_5() {
    if cfg!(feature = "mpi") {
        return; // this binary does support MPI (tests/mpi.rs covers it)
    }
    let tmp = tempfile::tempdir().unwrap();
    cobre()
        .env("OMPI_COMM_WORLD_SIZE", "2")
        .env("OMPI_COMM_WORLD_RANK", "0")
        .args(["run", "-o"])
        .arg(tmp.path().join("out"))
        .arg(example("tiny"))
        .assert()
        .code(5)
        .stderr(predicate::str::contains("without MPI support"));
    assert!(!tmp.path().join("out").exists(), "nothing written");
    // A launcher's job of one process is just one process.
    cobre()
        .env("PMI_SIZE", "1")
        .args(["run", "--quiet", "-o"])
        .arg(tmp.path().join("alone"))
        .arg(example("tiny"))
        .assert()
        .success();
}
