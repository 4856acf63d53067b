//! The error type of the output writers and readers.

use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why an output (result file, manifest, policy) could not be written or
/// read back.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OutputError {
    /// A file-system operation failed.
    #[error("{op} `{path}`: {source}")]
    Io {
        /// What was being done (`"creating"`, `"renaming"`...).
        op: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Encoding a file failed (Parquet, Arrow or JSON writer).
    #[error("encoding `{path}`: {message}")]
    Encode {
        /// The file being written.
        path: PathBuf,
        /// The encoder's message.
        message: String,
    },
    /// A file exists but is truncated, corrupted, or not what it claims.
    #[error("`{path}` is corrupted or truncated: {message}")]
    Corrupted {
        /// The bad file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A file of a format version this build cannot read.
    #[error("`{path}` has format version {found}; this build reads version {supported}")]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// A saved policy does not belong to the case it is used with.
    #[error("the policy in `{path}` does not fit this case: {message}")]
    Incompatible {
        /// The policy directory.
        path: PathBuf,
        /// Why (with both fingerprints or the first differing state variable).
        message: String,
    },
    /// An expected file or directory does not exist.
    #[error("`{path}` not found")]
    NotFound {
        /// The missing path.
        path: PathBuf,
    },
    /// An output path that must not be used (it would overwrite the output
    /// directory, an input, or another output).
    #[error("invalid output path `{path}`: {message}")]
    InvalidPath {
        /// The path.
        path: PathBuf,
        /// Why it is refused.
        message: String,
    },
}

impl OutputError {
    /// An I/O error with its operation and path.
    pub(crate) fn io(op: &'static str, path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound && op == "reading" {
            return Self::NotFound {
                path: path.to_path_buf(),
            };
        }
        Self::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    /// A corrupted-file error.
    pub(crate) fn corrupted(path: &Path, message: impl Into<String>) -> Self {
        Self::Corrupted {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    /// An encoder error.
    pub(crate) fn encode(path: &Path, message: impl ToString) -> Self {
        Self::Encode {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }

    /// Whether the error means a file is corrupted, truncated or of an
    /// unknown version (as opposed to missing, unwritable or incompatible).
    #[must_use]
    pub fn is_corrupted(&self) -> bool {
        matches!(
            self,
            Self::Corrupted { .. } | Self::UnsupportedVersion { .. }
        )
    }
}
