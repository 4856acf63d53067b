//! Cases, folders and commands shared by the command-line tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// `examples/NAME` of the repository.
pub fn example(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

/// `shared/cases/NAME` beside the repository.
pub fn shared_case(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../../shared/cases")
        .join(name)
}

/// The `cobre` binary under test.
pub fn cobre() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("cobre").unwrap()
}

/// `cobre run CASE -o OUT`, more arguments to follow.
pub fn cobre_run(case: &Path, out: &Path) -> assert_cmd::Command {
    let mut cmd = cobre();
    cmd.arg("run").arg(case).arg("-o").arg(out);
    cmd
}

/// Copies the folder `from` into `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

/// A copy of the case folder `from` at `to`, its JSON file `file` (a
/// path inside the case) rewritten after `edit`.
pub fn edited_copy(
    from: &Path,
    to: &Path,
    file: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> PathBuf {
    copy_dir(from, to);
    let path = to.join(file);
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    to.to_path_buf()
}
