//! Reading Parquet files into checked columns.
//!
//! Each Parquet input is described by a [`TableSpec`]: its columns, their
//! types, whether the column must exist and whether it may hold nulls.
//! [`read`] decodes the file (from bytes already loaded by the structural
//! layer), checks the schema (missing columns, wrong types, unknown columns),
//! and every value (nulls where not allowed, NaN and infinities), reporting
//! all problems, and returns the columns as plain vectors of `Option`s.

use crate::report::{Finding, FindingContext, FindingKind, Layer, Severity, Sink};
use crate::util::did_you_mean;
use arrow::array::{Array, Date32Array, Float64Array, Int32Array};
use arrow::datatypes::{DataType, Schema};
use bytes::Bytes;
use chrono::NaiveDate;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::BTreeMap;

/// Column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColType {
    /// Int32.
    I32,
    /// Float64.
    F64,
    /// Date32.
    Date,
}

impl ColType {
    fn name(self) -> &'static str {
        match self {
            ColType::I32 => "Int32",
            ColType::F64 => "Float64",
            ColType::Date => "Date32",
        }
    }

    fn matches(self, dt: &DataType) -> bool {
        matches!(
            (self, dt),
            (ColType::I32, DataType::Int32)
                | (ColType::F64, DataType::Float64)
                | (ColType::Date, DataType::Date32)
        )
    }
}

/// One column of a table spec.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col {
    pub name: &'static str,
    pub ty: ColType,
    /// The column must exist.
    pub required: bool,
    /// Null cells are allowed.
    pub nullable: bool,
}

/// A required, non-null column.
pub(crate) const fn key(name: &'static str, ty: ColType) -> Col {
    Col {
        name,
        ty,
        required: true,
        nullable: false,
    }
}

/// An optional column whose cells may be null.
pub(crate) const fn opt(name: &'static str, ty: ColType) -> Col {
    Col {
        name,
        ty,
        required: false,
        nullable: true,
    }
}

/// The columns of one Parquet input file.
#[derive(Debug)]
pub(crate) struct TableSpec {
    pub file: &'static str,
    pub columns: &'static [Col],
}

#[derive(Debug)]
enum Data {
    I32(Vec<Option<i32>>),
    F64(Vec<Option<f64>>),
    Date(Vec<Option<NaiveDate>>),
}

/// A decoded, checked table.
#[derive(Debug)]
pub(crate) struct Table {
    pub file: &'static str,
    pub rows: usize,
    cols: BTreeMap<&'static str, Data>,
}

impl Table {
    /// An Int32 cell (None when null, absent or rejected).
    pub(crate) fn i32(&self, name: &str, row: usize) -> Option<i32> {
        match self.cols.get(name) {
            Some(Data::I32(v)) => v.get(row).copied().flatten(),
            _ => None,
        }
    }

    /// A Float64 cell (None when null or absent). Non-finite values were
    /// reported while decoding and are kept, so the row still counts for
    /// coverage; no case with them is ever assembled.
    pub(crate) fn f64(&self, name: &str, row: usize) -> Option<f64> {
        match self.cols.get(name) {
            Some(Data::F64(v)) => v.get(row).copied().flatten(),
            _ => None,
        }
    }

    /// A Date32 cell.
    pub(crate) fn date(&self, name: &str, row: usize) -> Option<NaiveDate> {
        match self.cols.get(name) {
            Some(Data::Date(v)) => v.get(row).copied().flatten(),
            _ => None,
        }
    }

    /// Whether any cell of the column is non-null.
    pub(crate) fn any_value(&self, name: &str) -> bool {
        match self.cols.get(name) {
            Some(Data::I32(v)) => v.iter().any(Option::is_some),
            Some(Data::F64(v)) => v.iter().any(Option::is_some),
            Some(Data::Date(v)) => v.iter().any(Option::is_some),
            None => false,
        }
    }
}

/// Per-(column, problem) cap on individual row findings.
const MAX_ROW_FINDINGS: usize = 10;

/// Reports problems of individual cells of one file, at most
/// [`MAX_ROW_FINDINGS`] per (column, problem) and a summary of the rest.
struct RowIssues<'s> {
    sink: &'s mut Sink,
    file: &'static str,
    counts: BTreeMap<(&'static str, FindingKind), usize>,
}

impl<'s> RowIssues<'s> {
    fn new(sink: &'s mut Sink, file: &'static str) -> Self {
        Self {
            sink,
            file,
            counts: BTreeMap::new(),
        }
    }

    /// Counts a problem of `row` in `col` and reports it while under the cap.
    fn report(&mut self, col: &'static str, kind: FindingKind, row: usize, msg: String) {
        let count = self.counts.entry((col, kind)).or_insert(0);
        *count += 1;
        if *count <= MAX_ROW_FINDINGS {
            self.sink.push(Finding::error(
                kind,
                Layer::Schema,
                FindingContext::file(self.file).field(col).row(row),
                msg,
            ));
        }
    }

    /// A null cell at `row`: a problem when the column is not nullable.
    fn null(&mut self, col: &Col, row: usize) {
        if !col.nullable {
            self.report(
                col.name,
                FindingKind::SchemaViolation,
                row,
                format!("null in non-nullable column `{}`", col.name),
            );
        }
    }

    /// Reports, per (column, problem), how many findings the cap left out.
    fn finish(self) {
        for ((col, kind), count) in self.counts {
            if count > MAX_ROW_FINDINGS {
                self.sink.push(Finding::error(
                    kind,
                    Layer::Schema,
                    FindingContext::file(self.file).field(col),
                    format!(
                        "{} more row(s) of column `{col}` have the same problem",
                        count - MAX_ROW_FINDINGS
                    ),
                ));
            }
        }
    }

    /// The column `array` as an `A`, or a decode error naming `type_name`.
    fn downcast<'a, A: Array + 'static>(
        &mut self,
        array: &'a dyn Array,
        col: &Col,
        type_name: &str,
    ) -> Option<&'a A> {
        let a = array.as_any().downcast_ref::<A>();
        if a.is_none() {
            let detail = format!("column `{}` is not {type_name}", col.name);
            decode_error(self.sink, self.file, &detail);
        }
        a
    }

    /// Appends the cells of one batch's column to `data`, checking each;
    /// `first_row` is the file row of the batch's first row. `None` when the
    /// column does not have its declared type (reported).
    fn decode(
        &mut self,
        array: &dyn Array,
        col: &Col,
        data: &mut Data,
        first_row: usize,
    ) -> Option<()> {
        let n = array.len();
        match data {
            Data::I32(out) => {
                let a = self.downcast::<Int32Array>(array, col, "Int32")?;
                for i in 0..n {
                    if a.is_null(i) {
                        self.null(col, first_row + i);
                        out.push(None);
                    } else {
                        out.push(Some(a.value(i)));
                    }
                }
            }
            Data::F64(out) => {
                let a = self.downcast::<Float64Array>(array, col, "Float64")?;
                for i in 0..n {
                    out.push(self.f64_cell(a, i, col, first_row + i));
                }
            }
            Data::Date(out) => {
                let a = self.downcast::<Date32Array>(array, col, "Date32")?;
                for i in 0..n {
                    if a.is_null(i) {
                        self.null(col, first_row + i);
                        out.push(None);
                    } else {
                        let d = date_from_days(a.value(i));
                        if d.is_none() {
                            self.report(
                                col.name,
                                FindingKind::OutOfRange,
                                first_row + i,
                                format!("`{}` holds an out-of-range date", col.name),
                            );
                        }
                        out.push(d);
                    }
                }
            }
        }
        Some(())
    }

    /// One Float64 cell. A reported null of a non-nullable column is kept as
    /// NaN (the row's key is valid), and a reported non-finite value is kept
    /// as is, so that coverage checks still see the row.
    fn f64_cell(&mut self, a: &Float64Array, i: usize, col: &Col, row: usize) -> Option<f64> {
        if a.is_null(i) {
            self.null(col, row);
            return if col.nullable { None } else { Some(f64::NAN) };
        }
        let v = a.value(i);
        if !v.is_finite() {
            self.report(
                col.name,
                FindingKind::OutOfRange,
                row,
                format!("`{}` = {v} is not a finite number", col.name),
            );
        }
        Some(v)
    }
}

fn date_from_days(days: i32) -> Option<NaiveDate> {
    // 719_163 = days from 0001-01-01 (CE day 1) to 1970-01-01.
    days.checked_add(719_163)
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

fn decode_error(sink: &mut Sink, file: &'static str, detail: &str) {
    sink.push(
        Finding::error(
            FindingKind::ParseError,
            Layer::Schema,
            FindingContext::file(file),
            format!("cannot decode the Parquet file: {detail}"),
        )
        .suggest("re-export the file with pyarrow/polars (uncompressed, Snappy or ZSTD)"),
    );
}

/// Decodes and checks one Parquet file. Returns `None` when the file cannot be
/// decoded or a required column is missing or mistyped.
pub(crate) fn read(spec: &TableSpec, bytes: Bytes, sink: &mut Sink) -> Option<Table> {
    // The decoder is third-party code fed with user bytes: a panic inside it
    // is contained here and reported as a parse error.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut local = Sink::default();
        let t = read_inner(spec, bytes, &mut local);
        (t, local)
    }));
    match outcome {
        Ok((t, local)) => {
            for f in local.into_findings() {
                sink.push(f);
            }
            t
        }
        Err(_) => {
            decode_error(sink, spec.file, "the Parquet decoder failed on this input");
            None
        }
    }
}

/// Checks the file's schema against the spec: reports mistyped and missing
/// columns, then unknown ones. Returns the usable spec columns, or `None`
/// when a required column is missing or mistyped.
fn check_schema(spec: &TableSpec, schema: &Schema, sink: &mut Sink) -> Option<Vec<Col>> {
    let file = spec.file;
    let known: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    let mut fatal = false;
    let mut present: Vec<Col> = Vec::new();
    for col in spec.columns {
        match schema.field_with_name(col.name) {
            Ok(field) => {
                if col.ty.matches(field.data_type()) {
                    present.push(*col);
                } else {
                    sink.push(
                        Finding::error(
                            FindingKind::TypeMismatch,
                            Layer::Schema,
                            FindingContext::file(file).field(col.name),
                            format!(
                                "column `{}` has type {} but {} is required",
                                col.name,
                                field.data_type(),
                                col.ty.name()
                            ),
                        )
                        .suggest(format!(
                            "cast `{}` to {}",
                            col.name,
                            col.ty.name()
                        )),
                    );
                    fatal |= col.required;
                }
            }
            Err(_) if col.required => {
                sink.push(
                    Finding::error(
                        FindingKind::SchemaViolation,
                        Layer::Schema,
                        FindingContext::file(file).field(col.name),
                        format!("missing required column `{}`", col.name),
                    )
                    .suggest(format!(
                        "add a {} column `{}`",
                        col.ty.name(),
                        col.name
                    )),
                );
                fatal = true;
            }
            Err(_) => {}
        }
    }
    for field in schema.fields() {
        let name = field.name().as_str();
        if !known.contains(&name) {
            sink.push(
                Finding::new(
                    Severity::Warning,
                    FindingKind::SchemaViolation,
                    Layer::Schema,
                    FindingContext::file(file).field(name),
                    format!("unknown column `{name}` is ignored"),
                )
                .suggest(did_you_mean(name, &known)),
            );
        }
    }
    (!fatal).then_some(present)
}

fn read_inner(spec: &TableSpec, bytes: Bytes, sink: &mut Sink) -> Option<Table> {
    let file = spec.file;
    let builder = match ParquetRecordBatchReaderBuilder::try_new(bytes) {
        Ok(b) => b,
        Err(e) => {
            decode_error(sink, file, &e.to_string());
            return None;
        }
    };
    let schema = builder.schema().clone();
    let present = check_schema(spec, &schema, sink)?;
    let reader = match builder.build() {
        Ok(r) => r,
        Err(e) => {
            decode_error(sink, file, &e.to_string());
            return None;
        }
    };
    let mut cols: BTreeMap<&'static str, Data> = present
        .iter()
        .map(|c| {
            let d = match c.ty {
                ColType::I32 => Data::I32(Vec::new()),
                ColType::F64 => Data::F64(Vec::new()),
                ColType::Date => Data::Date(Vec::new()),
            };
            (c.name, d)
        })
        .collect();
    let mut issues = RowIssues::new(sink, file);
    let mut rows = 0usize;
    for batch in reader {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                decode_error(issues.sink, file, &e.to_string());
                return None;
            }
        };
        for col in &present {
            let Some(array) = batch.column_by_name(col.name) else {
                decode_error(
                    issues.sink,
                    file,
                    &format!("column `{}` vanished", col.name),
                );
                return None;
            };
            let Some(data) = cols.get_mut(col.name) else {
                continue;
            };
            issues.decode(array.as_ref(), col, data, rows)?;
        }
        rows += batch.num_rows();
    }
    issues.finish();
    Some(Table { file, rows, cols })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_from_days_maps_the_epoch() {
        assert_eq!(date_from_days(0), NaiveDate::from_ymd_opt(1970, 1, 1));
        assert_eq!(date_from_days(i32::MAX), None);
    }
}
