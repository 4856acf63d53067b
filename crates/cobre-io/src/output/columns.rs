//! A small builder of Arrow record batches whose fields carry their unit
//! in the field metadata (`unit`), so pyarrow and polars users see it too,
//! and typed column lookups for reading them back. Every table Cobre
//! writes is built with it.

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, StringArray, UInt32Array, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use std::collections::HashMap;
use std::sync::Arc;

/// Columns being assembled into one batch.
#[derive(Default)]
pub struct Columns {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

/// A non-null field named `name` with its `unit` in the metadata (none
/// when `unit` is empty).
pub fn unit_field(name: &str, dt: DataType, unit: &str) -> Field {
    nullable_field(name, dt, unit, false)
}

fn nullable_field(name: &str, dt: DataType, unit: &str, nullable: bool) -> Field {
    let f = Field::new(name, dt, nullable);
    if unit.is_empty() {
        f
    } else {
        f.with_metadata(HashMap::from([("unit".to_string(), unit.to_string())]))
    }
}

impl Columns {
    /// A Float64 column in `unit`.
    pub fn f64(mut self, name: &str, unit: &str, v: Vec<f64>) -> Self {
        self.fields.push(unit_field(name, DataType::Float64, unit));
        self.arrays.push(Arc::new(Float64Array::from(v)));
        self
    }

    /// A Float64 column whose `None` values are nulls.
    pub fn opt_f64(mut self, name: &str, unit: &str, v: Vec<Option<f64>>) -> Self {
        self.fields
            .push(nullable_field(name, DataType::Float64, unit, true));
        self.arrays.push(Arc::new(Float64Array::from(v)));
        self
    }

    /// A Utf8 column.
    pub fn str(mut self, name: &str, v: Vec<&str>) -> Self {
        self.fields.push(unit_field(name, DataType::Utf8, ""));
        self.arrays.push(Arc::new(StringArray::from(v)));
        self
    }

    /// A Utf8 column whose `None` values are nulls.
    pub fn opt_str(mut self, name: &str, v: Vec<Option<&str>>) -> Self {
        self.fields
            .push(nullable_field(name, DataType::Utf8, "", true));
        self.arrays.push(Arc::new(StringArray::from(v)));
        self
    }

    /// An Int32 column.
    pub fn i32(mut self, name: &str, v: Vec<i32>) -> Self {
        self.fields.push(unit_field(name, DataType::Int32, ""));
        self.arrays.push(Arc::new(Int32Array::from(v)));
        self
    }

    /// A UInt32 column.
    pub fn u32(mut self, name: &str, v: Vec<u32>) -> Self {
        self.fields.push(unit_field(name, DataType::UInt32, ""));
        self.arrays.push(Arc::new(UInt32Array::from(v)));
        self
    }

    /// A UInt64 column in `unit`.
    pub fn u64(mut self, name: &str, unit: &str, v: Vec<u64>) -> Self {
        self.fields.push(unit_field(name, DataType::UInt64, unit));
        self.arrays.push(Arc::new(UInt64Array::from(v)));
        self
    }

    /// A Boolean column.
    pub fn bool(mut self, name: &str, v: Vec<bool>) -> Self {
        self.fields.push(unit_field(name, DataType::Boolean, ""));
        self.arrays.push(Arc::new(BooleanArray::from(v)));
        self
    }

    /// The batch (every column must have the same length).
    pub fn finish(self) -> Result<RecordBatch, arrow::error::ArrowError> {
        let schema: SchemaRef = Arc::new(Schema::new(self.fields));
        RecordBatch::try_new(schema, self.arrays)
    }
}

/// A non-null column of type `A` named `name`, or `None`.
pub fn column<'a, A: arrow::array::Array + 'static>(
    b: &'a RecordBatch,
    name: &str,
) -> Option<&'a A> {
    b.column_by_name(name)
        .filter(|c| c.null_count() == 0)
        .and_then(|c| c.as_any().downcast_ref::<A>())
}

/// A column of type `A` named `name`, nulls allowed, or `None`.
pub fn nullable_column<'a, A: arrow::array::Array + 'static>(
    b: &'a RecordBatch,
    name: &str,
) -> Option<&'a A> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<A>())
}
