//! Reading Parquet files into checked columns.
//!
//! Each Parquet input is described by a [`TableSpec`]: its columns, their
//! types, whether the column must exist and whether it may hold nulls.
//! [`read`] decodes the file (from bytes already loaded by the structural
//! layer), checks the schema (missing columns, wrong types, unknown columns),
//! and every value (nulls where not allowed, NaN and infinities), reporting
//! all problems, and returns the columns as plain vectors of `Option`s.

use crate::report::{Finding, FindingContext, FindingKind, Layer, Sink};
use crate::util::did_you_mean;
use arrow::array::{Array, Date32Array, Float64Array, Int32Array};
use arrow::datatypes::DataType;
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

struct RowIssues {
    count: usize,
}

fn row_issue(
    sink: &mut Sink,
    issues: &mut BTreeMap<(&'static str, FindingKind), RowIssues>,
    file: &'static str,
    col: &'static str,
    kind: FindingKind,
    row: usize,
    msg: String,
) {
    let e = issues.entry((col, kind)).or_insert(RowIssues { count: 0 });
    e.count += 1;
    if e.count <= MAX_ROW_FINDINGS {
        sink.push(Finding::error(
            kind,
            Layer::Schema,
            FindingContext::file(file).field(col).row(row),
            msg,
        ));
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
                Finding::warning(
                    FindingKind::SchemaViolation,
                    Layer::Schema,
                    FindingContext::file(file).field(name),
                    format!("unknown column `{name}` is ignored"),
                )
                .suggest(did_you_mean(name, &known)),
            );
        }
    }
    if fatal {
        return None;
    }
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
    let mut issues = BTreeMap::new();
    let mut rows = 0usize;
    for batch in reader {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                decode_error(sink, file, &e.to_string());
                return None;
            }
        };
        let n = batch.num_rows();
        for col in &present {
            let Some(array) = batch.column_by_name(col.name) else {
                decode_error(sink, file, &format!("column `{}` vanished", col.name));
                return None;
            };
            let Some(data) = cols.get_mut(col.name) else {
                continue;
            };
            match data {
                Data::I32(out) => {
                    let Some(a) = array.as_any().downcast_ref::<Int32Array>() else {
                        decode_error(sink, file, &format!("column `{}` is not Int32", col.name));
                        return None;
                    };
                    for i in 0..n {
                        if a.is_null(i) {
                            if !col.nullable {
                                row_issue(
                                    sink,
                                    &mut issues,
                                    file,
                                    col.name,
                                    FindingKind::SchemaViolation,
                                    rows + i,
                                    format!("null in non-nullable column `{}`", col.name),
                                );
                            }
                            out.push(None);
                        } else {
                            out.push(Some(a.value(i)));
                        }
                    }
                }
                Data::F64(out) => {
                    let Some(a) = array.as_any().downcast_ref::<Float64Array>() else {
                        decode_error(sink, file, &format!("column `{}` is not Float64", col.name));
                        return None;
                    };
                    for i in 0..n {
                        if a.is_null(i) {
                            if col.nullable {
                                out.push(None);
                            } else {
                                row_issue(
                                    sink,
                                    &mut issues,
                                    file,
                                    col.name,
                                    FindingKind::SchemaViolation,
                                    rows + i,
                                    format!("null in non-nullable column `{}`", col.name),
                                );
                                // Reported: keep the row (its key is valid) as NaN.
                                out.push(Some(f64::NAN));
                            }
                        } else {
                            let v = a.value(i);
                            if v.is_finite() {
                                out.push(Some(v));
                            } else {
                                row_issue(
                                    sink,
                                    &mut issues,
                                    file,
                                    col.name,
                                    FindingKind::OutOfRange,
                                    rows + i,
                                    format!("`{}` = {v} is not a finite number", col.name),
                                );
                                // Reported: kept so that coverage checks see the row.
                                out.push(Some(v));
                            }
                        }
                    }
                }
                Data::Date(out) => {
                    let Some(a) = array.as_any().downcast_ref::<Date32Array>() else {
                        decode_error(sink, file, &format!("column `{}` is not Date32", col.name));
                        return None;
                    };
                    for i in 0..n {
                        if a.is_null(i) {
                            if !col.nullable {
                                row_issue(
                                    sink,
                                    &mut issues,
                                    file,
                                    col.name,
                                    FindingKind::SchemaViolation,
                                    rows + i,
                                    format!("null in non-nullable column `{}`", col.name),
                                );
                            }
                            out.push(None);
                        } else {
                            let d = date_from_days(a.value(i));
                            if d.is_none() {
                                row_issue(
                                    sink,
                                    &mut issues,
                                    file,
                                    col.name,
                                    FindingKind::OutOfRange,
                                    rows + i,
                                    format!("`{}` holds an out-of-range date", col.name),
                                );
                            }
                            out.push(d);
                        }
                    }
                }
            }
        }
        rows += n;
    }
    for ((col, kind), RowIssues { count }) in issues {
        if count > MAX_ROW_FINDINGS {
            sink.push(Finding::error(
                kind,
                Layer::Schema,
                FindingContext::file(file).field(col),
                format!(
                    "{} more row(s) of column `{col}` have the same problem",
                    count - MAX_ROW_FINDINGS
                ),
            ));
        }
    }
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
