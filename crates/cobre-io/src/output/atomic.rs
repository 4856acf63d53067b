//! Atomic files: written under a hidden temporary name in the destination's
//! directory, flushed and fsynced, then renamed over the final name (and the
//! directory fsynced), so a reader never sees a half-written file under a
//! final name, whatever happens to the process.
//!
//! Temporary names start with a dot and end in `.tmp-<pid>-<n>`: Hive-style
//! dataset readers (pyarrow, polars, Spark) skip them, and so do globs on
//! `*.parquet`. A writer dropped without [`AtomicFile::commit`] removes its
//! temporary file; a killed process may leave one behind, never a final name.

use super::OutputError;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A hidden temporary path beside `dest`, unique in this process.
pub(crate) fn temp_path_for(dest: &Path, what: &str) -> PathBuf {
    let name = dest
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dest.with_file_name(format!(".{name}.{what}-{}-{n}", std::process::id()))
}

/// Creates `dir` and its parents.
///
/// # Errors
/// [`OutputError::Io`].
pub fn create_dir_all(dir: &Path) -> Result<(), OutputError> {
    fs::create_dir_all(dir).map_err(|e| OutputError::io("creating directory", dir, e))
}

/// Flushes a directory's entries (renames, creations) to disk.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), OutputError> {
    #[cfg(unix)]
    {
        let d = File::open(dir).map_err(|e| OutputError::io("opening directory", dir, e))?;
        d.sync_all()
            .map_err(|e| OutputError::io("syncing directory", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// A file being written atomically to its destination.
#[derive(Debug)]
pub struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `dest` (its directory is created when missing).
    ///
    /// # Errors
    /// [`OutputError::Io`] when the directory or the temporary file cannot
    /// be created.
    pub fn create(dest: impl Into<PathBuf>) -> Result<Self, OutputError> {
        let dest = dest.into();
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_dir_all(dir)?;
        }
        let tmp = temp_path_for(&dest, "tmp");
        let file = File::create(&tmp).map_err(|e| OutputError::io("creating", &tmp, e))?;
        Ok(Self {
            dest,
            tmp,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The final path.
    #[must_use]
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Flushes, fsyncs, renames the file to its final name and fsyncs the
    /// directory. Returns the file's size in bytes.
    ///
    /// # Errors
    /// [`OutputError::Io`]; the temporary file is removed.
    pub fn commit(mut self) -> Result<u64, OutputError> {
        let Some(writer) = self.writer.take() else {
            return Err(OutputError::io(
                "committing",
                &self.dest,
                std::io::Error::other("already committed"),
            ));
        };
        let file = writer
            .into_inner()
            .map_err(|e| OutputError::io("writing", &self.tmp, e.into_error()))?;
        file.sync_all()
            .map_err(|e| OutputError::io("syncing", &self.tmp, e))?;
        let bytes = file
            .metadata()
            .map_err(|e| OutputError::io("inspecting", &self.tmp, e))?
            .len();
        drop(file);
        fs::rename(&self.tmp, &self.dest)
            .map_err(|e| OutputError::io("renaming into", &self.dest, e))?;
        if let Some(dir) = self.dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            sync_dir(dir)?;
        }
        Ok(bytes)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.writer.as_mut() {
            Some(w) => w.write(buf),
            None => Err(std::io::Error::other("atomic file already committed")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.writer.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            // Not committed: the temporary file must not outlive us.
            if let Err(e) = fs::remove_file(&self.tmp) {
                tracing::debug!(path = %self.tmp.display(), error = %e, "removing an abandoned temporary file");
            }
        }
    }
}

/// Writes `bytes` to `dest` atomically; returns the size written.
///
/// # Errors
/// [`OutputError::Io`].
pub fn write_atomic(dest: impl Into<PathBuf>, bytes: &[u8]) -> Result<u64, OutputError> {
    let mut f = AtomicFile::create(dest)?;
    let tmp = f.tmp.clone();
    f.write_all(bytes)
        .map_err(|e| OutputError::io("writing", &tmp, e))?;
    f.commit()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn committed_file_appears_under_its_final_name_only() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("sub/a.json");
        let n = write_atomic(&dest, b"{\"a\":1}").unwrap();
        assert_eq!(n, 7);
        assert_eq!(fs::read(&dest).unwrap(), b"{\"a\":1}");
        assert_eq!(names(&dir.path().join("sub")), ["a.json"]);
    }

    #[test]
    fn uncommitted_file_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("b.parquet");
        {
            let mut f = AtomicFile::create(&dest).unwrap();
            f.write_all(b"half").unwrap();
            assert_eq!(names(dir.path()).len(), 1);
            assert!(names(dir.path())[0].starts_with(".b.parquet.tmp-"));
        }
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn commit_replaces_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("c.txt");
        write_atomic(&dest, b"old").unwrap();
        write_atomic(&dest, b"new!").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new!");
        assert_eq!(names(dir.path()), ["c.txt"]);
    }
}
