//! The policy format: write, read back, compare; corrupted, truncated,
//! foreign and interrupted policies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use arrow::array::{Float64Array, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use cobre_core::policy::{PolicyTable, StageBasis, StageCuts, StateVariable};
use cobre_io::output::{
    check_policy_fits, read_policy, read_policy_file, write_policy, Attachment, CaseFingerprint,
    OutputError, PolicyInfo, BASES_FILE, CUTS_FILE, POLICY_JSON,
};
use std::path::Path;
use std::sync::Arc;

fn fingerprint(system: &str) -> CaseFingerprint {
    CaseFingerprint {
        case: format!("sha256:case-{system}"),
        system: format!("sha256:{system}"),
        files: vec!["config.json".into()],
    }
}

fn table() -> PolicyTable {
    let state = StateVariable::describe(&[4, 9], 1);
    let n = state.len();
    let stage = |id: i32, cuts: usize| StageCuts {
        stage_id: id,
        intercept: (0..cuts).map(|j| 1e9 + j as f64 * 0.1).collect(),
        coefficients: (0..cuts * n)
            .map(|k| -(k as f64).sqrt() * 1e3 + f64::EPSILON)
            .collect(),
        iteration: (0..cuts).map(|j| 1 + j as u64 / 2).collect(),
        scenario: (0..cuts).map(|j| (j % 2) as u32).collect(),
        active: (0..cuts).map(|j| j != 1).collect(),
    };
    PolicyTable {
        state,
        stages: vec![stage(10, 6), stage(11, 4), stage(12, 0)],
        bases: vec![
            Some(StageBasis {
                col_status: vec![0, 1, 2, 3, 1],
                row_status: vec![1, 1, 0],
            }),
            None,
            Some(StageBasis::default()),
        ],
        iterations: 3,
    }
}

fn write(dir: &Path, t: &PolicyTable) {
    let fp = fingerprint("A");
    let info = PolicyInfo {
        fingerprint: &fp,
        stage_ids: &[10, 11, 12],
        lower_bound: Some(123.5),
        seed: Some(7),
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("iteration", DataType::UInt64, false),
        Field::new("lower_bound", DataType::Float64, false),
    ]));
    let conv = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(UInt64Array::from(vec![1, 2, 3])),
            Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0])),
        ],
    )
    .unwrap();
    let att = Attachment {
        name: "convergence.parquet",
        schema_name: "training.convergence/1",
        schema,
        batches: &[conv],
    };
    write_policy(dir, &info, t, &[att]).unwrap();
}

#[test]
fn policy_round_trip_is_bit_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("policy");
    let t = table();
    write(&dir, &t);
    let loaded = read_policy(&dir).unwrap();
    assert_eq!(loaded.table, t);
    for (a, b) in loaded.table.stages.iter().zip(&t.stages) {
        for (x, y) in a.coefficients.iter().zip(&b.coefficients) {
            assert_eq!(x.to_bits(), y.to_bits());
        }
    }
    assert_eq!(loaded.metadata.format_version, 1);
    assert_eq!(loaded.metadata.lower_bound, Some(123.5));
    assert_eq!(loaded.metadata.state[2].name, "inflow_lag1[hydro=4]");
    let conv = read_policy_file(&loaded.dir, &loaded.metadata, "convergence.parquet").unwrap();
    assert_eq!(conv[0].num_rows(), 3);
    // Only the policy directory: no staging or old copies left beside it.
    let names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn rewriting_a_policy_replaces_it_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("policy");
    write(&dir, &table());
    let mut t2 = table();
    t2.stages[0].intercept[0] = -5.0;
    t2.bases = vec![None, None, None];
    t2.iterations = 9;
    write(&dir, &t2);
    let loaded = read_policy(&dir).unwrap();
    assert_eq!(loaded.table, t2);
    assert!(!dir.join(BASES_FILE).exists());
}

#[test]
fn truncated_or_modified_cut_file_is_corrupted_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("policy");
    write(&dir, &table());
    let cuts = dir.join(CUTS_FILE);
    let bytes = std::fs::read(&cuts).unwrap();
    for len in [0, 3, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&cuts, &bytes[..len]).unwrap();
        let e = read_policy(&dir).unwrap_err();
        assert!(e.is_corrupted(), "{e}");
    }
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 3] ^= 1;
    std::fs::write(&cuts, &flipped).unwrap();
    assert!(read_policy(&dir).unwrap_err().is_corrupted());
}

#[test]
fn truncated_or_garbage_metadata_is_corrupted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("policy");
    write(&dir, &table());
    let json = dir.join(POLICY_JSON);
    let bytes = std::fs::read(&json).unwrap();
    for bad in [
        &bytes[..bytes.len() / 2],
        b"",
        b"\xff\xfe garbage",
        b"{\"format\":\"cobre-policy\",\"format_version\":1}",
    ] {
        std::fs::write(&json, bad).unwrap();
        let e = read_policy(&dir).unwrap_err();
        assert!(e.is_corrupted(), "{e}");
    }
}

#[test]
fn future_format_version_is_refused_by_version() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("policy");
    write(&dir, &table());
    let json = dir.join(POLICY_JSON);
    let text = std::fs::read_to_string(&json).unwrap();
    std::fs::write(
        &json,
        text.replace("\"format_version\": 1", "\"format_version\": 2"),
    )
    .unwrap();
    match read_policy(&dir) {
        Err(OutputError::UnsupportedVersion {
            found: 2,
            supported: 1,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_policy_is_not_found() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(matches!(
        read_policy(&tmp.path().join("nothing")),
        Err(OutputError::NotFound { .. })
    ));
}

#[test]
fn policy_of_another_case_is_refused_with_both_fingerprints() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("policy");
    let t = table();
    write(&dir, &t);
    let loaded = read_policy(&dir).unwrap();
    check_policy_fits(&loaded, &fingerprint("A"), &t.state, &[10, 11, 12]).unwrap();
    // Another config.json over the same system is fine.
    let mut other_config = fingerprint("A");
    other_config.case = "sha256:other".into();
    check_policy_fits(&loaded, &other_config, &t.state, &[10, 11, 12]).unwrap();

    let e = check_policy_fits(&loaded, &fingerprint("B"), &t.state, &[10, 11, 12]).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, OutputError::Incompatible { .. }));
    assert!(
        msg.contains("sha256:A") && msg.contains("sha256:B"),
        "{msg}"
    );

    let other_state = StateVariable::describe(&[4, 8], 1);
    let e = check_policy_fits(&loaded, &fingerprint("A"), &other_state, &[10, 11, 12]).unwrap_err();
    assert!(e.to_string().contains("storage[hydro=8]"), "{e}");
    let e = check_policy_fits(&loaded, &fingerprint("A"), &t.state, &[10, 11]).unwrap_err();
    assert!(matches!(e, OutputError::Incompatible { .. }));
}

#[test]
fn swap_interrupted_between_renames_reads_the_previous_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("policy");
    let t = table();
    write(&dir, &t);
    // What a crash after `policy → .policy.old-*` and before
    // `staging → policy` leaves.
    std::fs::rename(&dir, tmp.path().join(".policy.old-1-0")).unwrap();
    let loaded = read_policy(&dir).unwrap();
    assert_eq!(loaded.table, t);
}
