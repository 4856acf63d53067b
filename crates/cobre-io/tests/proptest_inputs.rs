//! Property tests: arbitrary bytes and randomly mutated valid files fed to the
//! JSON and Parquet entry points never make validation panic, and a broken
//! file always yields at least one error naming it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn copy_case(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.path().is_dir() {
                copy(&e.path(), &to.join(e.file_name()));
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }
    let src = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../../shared/cases")
    .join(name);
    let dir = tempfile::tempdir().unwrap();
    copy(&src, dir.path());
    dir
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Writes `bytes` as `rel`, validates, and checks the report is well formed.
fn check(dir: &Path, rel: &str, bytes: &[u8]) -> cobre_io::ValidationReport {
    std::fs::write(dir.join(rel), bytes).unwrap();
    let r = cobre_io::validate(dir);
    assert_eq!(r.layers_completed.len(), 5);
    r
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        "[a-z_]{0,12}".prop_map(Value::from),
        Just(Value::Array(vec![])),
        Just(serde_json::json!({"x": 1})),
    ]
}

/// Every path (object key or array index) of a JSON value.
fn paths(v: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                prefix.push(Value::from(k.clone()));
                out.push(prefix.clone());
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                prefix.push(Value::from(i));
                out.push(prefix.clone());
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    let mut cur = v;
    for p in path {
        cur = match p {
            Value::String(k) => cur.get_mut(k.as_str())?,
            Value::Number(i) => cur.get_mut(usize::try_from(i.as_u64()?).ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Applies one mutation (replace, delete or add a field) at path `pick`.
fn mutate(v: &mut Value, pick: usize, op: u8, new: Value) {
    let mut all = Vec::new();
    paths(v, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return;
    }
    let path = all[pick % all.len()].clone();
    match op % 3 {
        0 => {
            if let Some(x) = at(v, &path) {
                *x = new;
            }
        }
        1 => {
            let (last, parent) = path.split_last().unwrap();
            if let Some(p) = at(v, parent) {
                match (p, last) {
                    (Value::Object(m), Value::String(k)) => {
                        m.remove(k);
                    }
                    (Value::Array(a), Value::Number(i)) => {
                        let i = usize::try_from(i.as_u64().unwrap()).unwrap();
                        if i < a.len() {
                            a.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {
            if let Some(Value::Object(m)) = at(v, &path) {
                m.insert("unexpected_field".into(), new);
            }
        }
    }
}

const JSON_FILES: [&str; 6] = [
    "config.json",
    "stages.json",
    "penalties.json",
    "initial_conditions.json",
    "system/hydros.json",
    "system/hydro_production_models.json",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_in_a_json_file_never_panic(file in 0..JSON_FILES.len(), bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let dir = copy_case("d03-two-hydro-cascade");
        let rel = JSON_FILES[file];
        let r = check(dir.path(), rel, &bytes);
        prop_assert!(!r.is_valid());
        prop_assert!(r.errors().any(|f| f.context.file.as_deref() == Some(rel)), "{}", r);
    }

    #[test]
    fn mutated_json_never_panics(file in 0..JSON_FILES.len(), pick in any::<usize>(), op in any::<u8>(), new in leaf()) {
        let dir = copy_case("d03-two-hydro-cascade");
        let rel = JSON_FILES[file];
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join(rel)).unwrap()).unwrap();
        mutate(&mut v, pick, op, new);
        let _ = check(dir.path(), rel, serde_json::to_string(&v).unwrap().as_bytes());
        // Loading agrees with validation.
        prop_assert_eq!(cobre_io::load_case(dir.path()).is_ok(), cobre_io::validate(dir.path()).is_valid());
    }

    #[test]
    fn arbitrary_expressions_never_panic(expr in "[a-z_()0-9,.*+@<=> -]{0,40}") {
        let dir = copy_case("d13-generic-constraint");
        let rel = "constraints/generic_constraints.json";
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join(rel)).unwrap()).unwrap();
        v["constraints"][0]["expression"] = Value::from(expr);
        let _ = check(dir.path(), rel, serde_json::to_string(&v).unwrap().as_bytes());
    }
}

const PARQUET_FILES: [&str; 4] = [
    "scenarios/inflow_seasonal_stats.parquet",
    "scenarios/load_seasonal_stats.parquet",
    "system/fpha_hyperplanes.parquet",
    "system/hydro_energy_productivity.parquet",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_in_a_parquet_file_never_panic(file in 0..PARQUET_FILES.len(), bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let dir = copy_case("d05-fpha-constant-head");
        let rel = PARQUET_FILES[file];
        let r = check(dir.path(), rel, &bytes);
        prop_assert!(r.errors().any(|f| f.context.file.as_deref() == Some(rel)), "{}", r);
    }

    #[test]
    fn corrupted_parquet_never_panics(
        file in 0..PARQUET_FILES.len(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        keep_magic in any::<bool>(),
    ) {
        let dir = copy_case("d05-fpha-constant-head");
        let rel = PARQUET_FILES[file];
        let mut bytes = std::fs::read(dir.path().join(rel)).unwrap();
        let n = bytes.len();
        for (pos, val) in flips {
            let p = if keep_magic && n > 8 { 4 + pos % (n - 8) } else { pos % n };
            bytes[p] = val;
        }
        let _ = check(dir.path(), rel, &bytes);
    }

    #[test]
    fn truncated_parquet_is_always_an_error(file in 0..PARQUET_FILES.len(), cut in any::<usize>()) {
        let dir = copy_case("d05-fpha-constant-head");
        let rel = PARQUET_FILES[file];
        let bytes = std::fs::read(dir.path().join(rel)).unwrap();
        let len = cut % bytes.len();
        let r = check(dir.path(), rel, &bytes[..len]);
        prop_assert!(r.errors().any(|f| f.context.file.as_deref() == Some(rel)), "{}", r);
    }
}
