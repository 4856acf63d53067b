//! The bad-input corpus: shared cases copied to a temporary folder and broken
//! in one (or several) ways; each must yield the expected finding kind and
//! location — and never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod dimensional;
mod equipment;
mod graph;
mod real_model;
mod referential;
mod schema_json;
mod schema_parquet;
mod semantic;
mod structural;
mod unsupported;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{Field, Schema};
use cobre_io::{Finding, FindingKind, Layer, Severity, ValidationReport};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A writable copy of a shared case.
pub(crate) struct Fixture {
    dir: tempfile::TempDir,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

impl Fixture {
    /// Copies the shared case `name`.
    pub(crate) fn new(name: &str) -> Self {
        let src = PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
        )
        .join("../../../shared/cases")
        .join(name);
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&src, dir.path());
        Self { dir }
    }

    /// Path of a file of the copy.
    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The case folder.
    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Edits a JSON file in place.
    pub(crate) fn json(&self, rel: &str, f: impl FnOnce(&mut Value)) -> &Self {
        let p = self.path(rel);
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        f(&mut v);
        std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        self
    }

    /// Writes a file (creating its folder).
    pub(crate) fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Self {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
        self
    }

    /// Removes a file.
    pub(crate) fn remove(&self, rel: &str) -> &Self {
        std::fs::remove_file(self.path(rel)).unwrap();
        self
    }

    /// Reads a Parquet file as one batch.
    pub(crate) fn batch(&self, rel: &str) -> RecordBatch {
        let f = std::fs::File::open(self.path(rel)).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(f)
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
    }

    /// Writes a batch as a Parquet file.
    pub(crate) fn write_batch(&self, rel: &str, b: &RecordBatch) -> &Self {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let f = std::fs::File::create(p).unwrap();
        let mut w = ArrowWriter::try_new(f, b.schema(), None).unwrap();
        w.write(b).unwrap();
        w.close().unwrap();
        self
    }

    /// Rewrites a Parquet file through `f`.
    pub(crate) fn parquet(&self, rel: &str, f: impl FnOnce(RecordBatch) -> RecordBatch) -> &Self {
        let b = f(self.batch(rel));
        self.write_batch(rel, &b)
    }

    /// Runs the validation.
    pub(crate) fn validate(&self) -> ValidationReport {
        cobre_io::validate(self.root())
    }
}

/// Replaces (or appends) a column.
pub(crate) fn set_column(b: RecordBatch, name: &str, array: ArrayRef) -> RecordBatch {
    let mut fields: Vec<Arc<Field>> = Vec::new();
    let mut cols: Vec<ArrayRef> = Vec::new();
    let mut done = false;
    for (f, c) in b.schema().fields().iter().zip(b.columns()) {
        if f.name() == name {
            fields.push(Arc::new(Field::new(name, array.data_type().clone(), true)));
            cols.push(array.clone());
            done = true;
        } else {
            fields.push(f.clone());
            cols.push(c.clone());
        }
    }
    if !done {
        fields.push(Arc::new(Field::new(name, array.data_type().clone(), true)));
        cols.push(array);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap()
}

/// Removes a column.
pub(crate) fn drop_column(b: RecordBatch, name: &str) -> RecordBatch {
    let idx = b.schema().index_of(name).unwrap();
    let mut b = b;
    b.remove_column(idx);
    b
}

/// What a finding must match; unset parts match anything.
#[derive(Default, Clone)]
pub(crate) struct Want {
    pub(crate) kind: Option<FindingKind>,
    pub(crate) file: Option<&'static str>,
    pub(crate) field: Option<&'static str>,
    pub(crate) entity: Option<i64>,
    pub(crate) stage: Option<i32>,
    pub(crate) layer: Option<Layer>,
    pub(crate) severity: Option<Severity>,
}

impl Want {
    fn matches(&self, f: &Finding) -> bool {
        self.kind.is_none_or(|k| f.kind == k)
            && self
                .file
                .is_none_or(|x| f.context.file.as_deref() == Some(x))
            && self
                .field
                .is_none_or(|x| f.context.field.as_deref() == Some(x))
            && self.entity.is_none_or(|x| f.context.entity_id == Some(x))
            && self.stage.is_none_or(|x| f.context.stage_id == Some(x))
            && self.layer.is_none_or(|x| f.layer == x)
            && self.severity.is_none_or(|x| f.severity == x)
    }
}

/// A finding of `kind` in `file`.
pub(crate) fn want(kind: FindingKind, file: &'static str) -> Want {
    Want {
        kind: Some(kind),
        file: Some(file),
        ..Want::default()
    }
}

impl Want {
    pub(crate) fn field(mut self, f: &'static str) -> Self {
        self.field = Some(f);
        self
    }
    pub(crate) fn entity(mut self, id: i64) -> Self {
        self.entity = Some(id);
        self
    }
    pub(crate) fn stage(mut self, s: i32) -> Self {
        self.stage = Some(s);
        self
    }
    pub(crate) fn layer(mut self, l: Layer) -> Self {
        self.layer = Some(l);
        self
    }
    pub(crate) fn warning(mut self) -> Self {
        self.severity = Some(Severity::Warning);
        self
    }
}

/// Asserts that the report holds a finding matching `w` and returns it.
#[track_caller]
pub(crate) fn assert_has(r: &ValidationReport, w: Want) -> Finding {
    match r.findings.iter().find(|f| w.matches(f)) {
        Some(f) => f.clone(),
        None => panic!(
            "no finding matches kind={:?} file={:?} field={:?} entity={:?} stage={:?}; report:\n{r}",
            w.kind, w.file, w.field, w.entity, w.stage
        ),
    }
}

/// Asserts an error finding (the case is invalid) matching `w`.
#[track_caller]
pub(crate) fn assert_error(r: &ValidationReport, w: Want) -> Finding {
    assert!(!r.is_valid(), "the case should be invalid:\n{r}");
    let w = Want {
        severity: Some(Severity::Error),
        ..w
    };
    assert_has(r, w)
}

#[test]
fn a_case_with_several_independent_faults_reports_all_of_them() {
    let fx = Fixture::new("d04-transmission");
    fx.remove("penalties.json")
        .json("system/thermals.json", |v| {
            v["thermals"][0]["bus_id"] = 42.into()
        })
        .json("system/hydros.json", |v| {
            v["hydros"][0]["reservoir"]["min_storage_hm3"] = 1e9.into();
            v["hydros"][1]["foo"] = 1.into();
        })
        .json("system/lines.json", |v| {
            v["lines"][0]["capacity"]["direct_mw"] = (-5.0).into()
        })
        .json("config.json", |v| {
            v["training"]["selection"]["forward_passes"] = 0.into()
        })
        .parquet("scenarios/inflow_seasonal_stats.parquet", |b| {
            b.slice(0, b.num_rows() - 1)
        });
    let r = fx.validate();
    assert_eq!(r.layers_completed, Layer::ALL.to_vec());
    assert_error(&r, want(FindingKind::MissingFile, "penalties.json"));
    // (kind, file, field, entity id) of the faults located on an entity.
    let on_entities = [
        (
            FindingKind::MissingReference,
            "system/thermals.json",
            "bus_id",
            0,
        ),
        (
            FindingKind::CapacityViolation,
            "system/hydros.json",
            "min_storage_hm3",
            0,
        ),
        (FindingKind::SchemaViolation, "system/hydros.json", "foo", 1),
        (FindingKind::OutOfRange, "system/lines.json", "direct_mw", 0),
    ];
    for (kind, file, field, entity) in on_entities {
        assert_error(&r, want(kind, file).field(field).entity(entity));
    }
    assert_error(
        &r,
        want(FindingKind::OutOfRange, "config.json").field("forward_passes"),
    );
    assert_error(
        &r,
        want(
            FindingKind::CoverageMismatch,
            "scenarios/inflow_seasonal_stats.parquet",
        )
        .entity(1),
    );
    assert!(r.error_count() >= 7, "{r}");
}
