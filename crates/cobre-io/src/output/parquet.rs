//! Parquet files of Arrow record batches, written atomically and read back
//! without ever panicking on a bad file.

use super::atomic::AtomicFile;
use super::OutputError;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::path::{Path, PathBuf};

/// Key of the Parquet key-value metadata entry naming the file's schema
/// (`cobre.schema`), e.g. `simulation.hydros/2`.
pub const SCHEMA_KEY: &str = "cobre.schema";

/// A file written: where, how big, how many rows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileInfo {
    /// Path (as given to the writer).
    pub path: PathBuf,
    /// Size in bytes.
    pub bytes: u64,
    /// Number of rows (0 for non-tabular files).
    pub rows: u64,
}

fn properties(schema_name: &str) -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(vec![KeyValue::new(
            SCHEMA_KEY.to_string(),
            schema_name.to_string(),
        )]))
        .build()
}

/// Writes `batches` (all of schema `schema`) to the Parquet file `dest`,
/// atomically, tagging it with `schema_name` under [`SCHEMA_KEY`].
///
/// # Errors
/// [`OutputError::Io`] or [`OutputError::Encode`]; nothing is left under
/// `dest` on failure.
pub fn write_parquet(
    dest: &Path,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    schema_name: &str,
) -> Result<FileInfo, OutputError> {
    let mut stream = ParquetStream::create(dest, schema, schema_name)?;
    for b in batches {
        stream.write(b)?;
    }
    stream.finish()
}

/// A Parquet file written batch by batch, for producers that cannot hold
/// all their rows at once: the file appears at its destination only when
/// [`Self::finish`] succeeds (dropped before that, it leaves nothing). The
/// bytes are those [`write_parquet`] writes for the same batches.
pub struct ParquetStream {
    dest: PathBuf,
    writer: ArrowWriter<AtomicFile>,
    rows: u64,
}

impl ParquetStream {
    /// Opens the temporary file of `dest` for batches of `schema`, tagged
    /// with `schema_name` under [`SCHEMA_KEY`].
    ///
    /// # Errors
    /// [`OutputError::Io`] or [`OutputError::Encode`].
    pub fn create(dest: &Path, schema: &SchemaRef, schema_name: &str) -> Result<Self, OutputError> {
        let file = AtomicFile::create(dest)?;
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(properties(schema_name)))
            .map_err(|e| OutputError::encode(dest, e))?;
        Ok(Self {
            dest: dest.to_path_buf(),
            writer,
            rows: 0,
        })
    }

    /// Appends one batch.
    ///
    /// # Errors
    /// [`OutputError::Encode`] (a batch of another schema, or an I/O error
    /// of the temporary file).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), OutputError> {
        self.writer
            .write(batch)
            .map_err(|e| OutputError::encode(&self.dest, e))?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Closes the file and moves it to its destination.
    ///
    /// # Errors
    /// [`OutputError::Io`] or [`OutputError::Encode`]; nothing is left under
    /// the destination on failure.
    pub fn finish(self) -> Result<FileInfo, OutputError> {
        let file = self
            .writer
            .into_inner()
            .map_err(|e| OutputError::encode(&self.dest, e))?;
        let bytes = file.commit()?;
        Ok(FileInfo {
            path: self.dest,
            bytes,
            rows: self.rows,
        })
    }
}

/// Reads a whole Parquet file.
///
/// # Errors
/// [`OutputError::NotFound`], [`OutputError::Io`], or
/// [`OutputError::Corrupted`] for anything that is not a readable Parquet
/// file.
pub fn read_parquet(path: &Path) -> Result<Vec<RecordBatch>, OutputError> {
    let bytes = std::fs::read(path).map_err(|e| OutputError::io("reading", path, e))?;
    decode_parquet(path, bytes)
}

/// Decodes Parquet bytes read from `path`.
///
/// The decoder runs under `catch_unwind`: a decoder panic on hostile bytes
/// becomes [`OutputError::Corrupted`], never a panic of the caller.
///
/// # Errors
/// [`OutputError::Corrupted`].
pub fn decode_parquet(path: &Path, bytes: Vec<u8>) -> Result<Vec<RecordBatch>, OutputError> {
    if bytes.len() < 12 || !bytes.starts_with(b"PAR1") || !bytes.ends_with(b"PAR1") {
        return Err(OutputError::corrupted(
            path,
            format!(
                "not a complete Parquet file ({} bytes, missing the PAR1 magic)",
                bytes.len()
            ),
        ));
    }
    let data = Bytes::from(bytes);
    let decoded = std::panic::catch_unwind(move || -> Result<Vec<RecordBatch>, String> {
        let reader = ParquetRecordBatchReaderBuilder::try_new(data)
            .map_err(|e| e.to_string())?
            .build()
            .map_err(|e| e.to_string())?;
        reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())
    });
    match decoded {
        Ok(Ok(batches)) => Ok(batches),
        Ok(Err(message)) => Err(OutputError::corrupted(path, message)),
        Err(_) => Err(OutputError::corrupted(path, "the Parquet decoder failed")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use arrow::array::{Float64Array, Int32Array};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    fn batch() -> (SchemaRef, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int32, false),
            Field::new("value", DataType::Float64, false),
        ]));
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int32Array::from(vec![1, 2, 3])),
                Arc::new(Float64Array::from(vec![0.5, f64::MAX, -1e-300])),
            ],
        )
        .unwrap();
        (schema, b)
    }

    #[test]
    fn parquet_round_trip_keeps_every_value() {
        let dir = tempfile::tempdir().unwrap();
        let (schema, b) = batch();
        let path = dir.path().join("t.parquet");
        let info = write_parquet(&path, &schema, &[b.clone(), b.clone()], "test/1").unwrap();
        assert_eq!(info.rows, 6);
        let back = read_parquet(&path).unwrap();
        let rows: usize = back.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, 6);
        assert_eq!(back[0].slice(0, 3), b);
    }

    #[test]
    fn truncated_or_garbled_parquet_is_reported_corrupted() {
        let dir = tempfile::tempdir().unwrap();
        let (schema, b) = batch();
        let path = dir.path().join("t.parquet");
        write_parquet(&path, &schema, &[b], "test/1").unwrap();
        let bytes = std::fs::read(&path).unwrap();
        for cut in [0, 4, bytes.len() / 2, bytes.len() - 1] {
            let e = decode_parquet(&path, bytes[..cut].to_vec()).unwrap_err();
            assert!(e.is_corrupted(), "{e}");
        }
        for i in (4..bytes.len() - 4).step_by(7) {
            let mut bad = bytes.clone();
            bad[i] ^= 0x5a;
            // Either decodes (a flipped data byte) or is reported; never panics.
            if let Err(e) = decode_parquet(&path, bad) {
                assert!(e.is_corrupted(), "{e}");
            }
        }
    }
}
