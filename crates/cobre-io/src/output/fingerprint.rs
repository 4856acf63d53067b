//! Case fingerprints: a SHA-256 over the bytes of a case's input files, in
//! canonical order, so that outputs and policies can name the case they
//! come from.
//!
//! The files hashed are those of the 0.18 layout that exist in the case
//! folder (other files, such as an `output/` folder inside the case, do not
//! count), in byte order of their `/`-separated relative paths. Each file
//! contributes its relative path, a NUL byte, its length as 8 little-endian
//! bytes, and its bytes. Two fingerprints are kept:
//!
//! * `case` — every input file (provenance in `manifest.json`);
//! * `system` — every input file except `config.json`, i.e. the model
//!   without the run settings. A saved policy fits a case when the system
//!   fingerprints agree: iteration limits, simulation settings or the
//!   policy mode itself may change between the run that saved a policy and
//!   the one that loads it.

use super::OutputError;
use crate::files::{name, FILES};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The fingerprints of a case folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaseFingerprint {
    /// `sha256:<hex>` over every input file.
    pub case: String,
    /// `sha256:<hex>` over every input file but `config.json`.
    pub system: String,
    /// Relative paths of the files hashed, in hashing order.
    pub files: Vec<String>,
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(7 + 2 * digest.len());
    s.push_str("sha256:");
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// SHA-256 of `bytes` as `sha256:<hex>`.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Fingerprints the case folder `root`.
///
/// # Errors
/// [`OutputError::NotFound`] when `config.json` is missing (not a case
/// folder), [`OutputError::Io`] when a file cannot be read.
pub fn case_fingerprint(root: &Path) -> Result<CaseFingerprint, OutputError> {
    let mut rels: Vec<&'static str> = FILES
        .iter()
        .map(|f| f.rel)
        .filter(|rel| root.join(rel).is_file())
        .collect();
    rels.sort_unstable();
    rels.dedup();
    if !rels.contains(&name::CONFIG) {
        return Err(OutputError::NotFound {
            path: root.join(name::CONFIG),
        });
    }
    let mut case = Sha256::new();
    let mut system = Sha256::new();
    for rel in &rels {
        let path = root.join(rel);
        let bytes = std::fs::read(&path).map_err(|e| OutputError::io("reading", &path, e))?;
        let len = (bytes.len() as u64).to_le_bytes();
        let feed = |h: &mut Sha256| {
            h.update(rel.as_bytes());
            h.update([0u8]);
            h.update(len);
            h.update(&bytes);
        };
        feed(&mut case);
        if *rel != name::CONFIG {
            feed(&mut system);
        }
    }
    Ok(CaseFingerprint {
        case: hex(&case.finalize()),
        system: hex(&system.finalize()),
        files: rels.iter().map(|s| (*s).to_string()).collect(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn case_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("system")).unwrap();
        std::fs::write(dir.path().join("config.json"), "{}").unwrap();
        std::fs::write(dir.path().join("stages.json"), "{\"stages\":[]}").unwrap();
        std::fs::write(dir.path().join("system/hydros.json"), "{}").unwrap();
        dir
    }

    #[test]
    fn fingerprint_is_stable_and_ignores_unknown_files() {
        let dir = case_dir();
        let a = case_fingerprint(dir.path()).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        std::fs::create_dir_all(dir.path().join("output")).unwrap();
        std::fs::write(dir.path().join("output/_SUCCESS"), "").unwrap();
        let b = case_fingerprint(dir.path()).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.files,
            ["config.json", "stages.json", "system/hydros.json"]
        );
        assert!(a.case.starts_with("sha256:") && a.case.len() == 7 + 64);
    }

    #[test]
    fn config_changes_the_case_fingerprint_but_not_the_system_one() {
        let dir = case_dir();
        let a = case_fingerprint(dir.path()).unwrap();
        std::fs::write(dir.path().join("config.json"), "{\"x\":1}").unwrap();
        let b = case_fingerprint(dir.path()).unwrap();
        assert_ne!(a.case, b.case);
        assert_eq!(a.system, b.system);
        std::fs::write(dir.path().join("system/hydros.json"), "{ }").unwrap();
        let c = case_fingerprint(dir.path()).unwrap();
        assert_ne!(b.system, c.system);
    }

    #[test]
    fn folder_without_config_is_not_a_case() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            case_fingerprint(dir.path()),
            Err(OutputError::NotFound { .. })
        ));
    }
}
