//! The columns of `cuts.parquet` and `bases.parquet` (policy format 1).
//!
//! `cuts.parquet`: one row per cut, ordered by `stage_index` then
//! `cut_index` (the order of the cut rows in the stage LP):
//! `stage_index` u32, `stage_id` i32, `cut_index` u32, `iteration` u64,
//! `scenario` u32, `active` bool, `intercept` f64 ($), then one f64 column
//! per state variable, named as in `policy.json → state[].name`
//! ($ per unit of the state variable).
//!
//! `bases.parquet`: one row per stage that has a basis: `stage_index` u32,
//! `col_status` binary, `row_status` binary (one HiGHS status code per
//! byte).

use super::columns::unit_field;
use super::policy_meta::PolicyMetadata;
use arrow::array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Float64Array, Int32Array, RecordBatch, UInt32Array,
    UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema};
use cobre_core::policy::{PolicyTable, StageBasis, StageCuts, StateVariable};
use std::sync::Arc;

/// The cuts of `table` as one record batch.
pub(crate) fn cuts_batch(table: &PolicyTable, stage_ids: &[i32]) -> Result<RecordBatch, String> {
    let n = table.n_state();
    let total = table.num_cuts();
    let mut stage_index = Vec::with_capacity(total);
    let mut stage_id = Vec::with_capacity(total);
    let mut cut_index = Vec::with_capacity(total);
    let mut iteration = Vec::with_capacity(total);
    let mut scenario = Vec::with_capacity(total);
    let mut active = Vec::with_capacity(total);
    let mut intercept = Vec::with_capacity(total);
    let mut coefs: Vec<Vec<f64>> = vec![Vec::with_capacity(total); n];
    for (t, s) in table.stages.iter().enumerate() {
        let id = stage_ids.get(t).copied().unwrap_or(s.stage_id);
        for j in 0..s.len() {
            stage_index.push(u32::try_from(t).map_err(|e| e.to_string())?);
            stage_id.push(id);
            cut_index.push(u32::try_from(j).map_err(|e| e.to_string())?);
            iteration.push(s.iteration.get(j).copied().unwrap_or(0));
            scenario.push(s.scenario.get(j).copied().unwrap_or(0));
            active.push(s.active.get(j).copied().unwrap_or(true));
            intercept.push(s.intercept.get(j).copied().unwrap_or(0.0));
            let row = s.coefficients.get(j * n..(j + 1) * n).unwrap_or(&[]);
            for (col, &v) in coefs.iter_mut().zip(row) {
                col.push(v);
            }
        }
    }
    let mut fields = vec![
        Field::new("stage_index", DataType::UInt32, false),
        Field::new("stage_id", DataType::Int32, false),
        Field::new("cut_index", DataType::UInt32, false),
        Field::new("iteration", DataType::UInt64, false),
        Field::new("scenario", DataType::UInt32, false),
        Field::new("active", DataType::Boolean, false),
        unit_field("intercept", DataType::Float64, "$"),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(stage_index)),
        Arc::new(Int32Array::from(stage_id)),
        Arc::new(UInt32Array::from(cut_index)),
        Arc::new(UInt64Array::from(iteration)),
        Arc::new(UInt32Array::from(scenario)),
        Arc::new(BooleanArray::from(active)),
        Arc::new(Float64Array::from(intercept)),
    ];
    for (v, col) in table.state.iter().zip(coefs) {
        fields.push(unit_field(
            &v.name(),
            DataType::Float64,
            &format!("$/{}", v.unit()),
        ));
        columns.push(Arc::new(Float64Array::from(col)));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| e.to_string())
}

/// The bases of `table` as one record batch.
pub(crate) fn bases_batch(table: &PolicyTable) -> Result<RecordBatch, String> {
    let mut idx = Vec::new();
    let mut cols: Vec<&[u8]> = Vec::new();
    let mut rows: Vec<&[u8]> = Vec::new();
    for (t, b) in table.bases.iter().enumerate() {
        if let Some(b) = b {
            idx.push(u32::try_from(t).map_err(|e| e.to_string())?);
            cols.push(&b.col_status);
            rows.push(&b.row_status);
        }
    }
    let schema = Schema::new(vec![
        Field::new("stage_index", DataType::UInt32, false),
        Field::new("col_status", DataType::Binary, false),
        Field::new("row_status", DataType::Binary, false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(UInt32Array::from(idx)),
            Arc::new(BinaryArray::from(cols)),
            Arc::new(BinaryArray::from(rows)),
        ],
    )
    .map_err(|e| e.to_string())
}

/// A non-null column of type `A` named `name`.
fn column<'a, A: Array + 'static>(b: &'a RecordBatch, name: &str) -> Result<&'a A, String> {
    let c = b
        .column_by_name(name)
        .ok_or_else(|| format!("column `{name}` is missing"))?;
    if c.null_count() > 0 {
        return Err(format!("column `{name}` has nulls"));
    }
    c.as_any()
        .downcast_ref::<A>()
        .ok_or_else(|| format!("column `{name}` has type {}", c.data_type()))
}

/// Rebuilds the stages' cuts from `cuts.parquet`'s batches.
pub(crate) fn read_cuts(
    batches: &[RecordBatch],
    meta: &PolicyMetadata,
    state: &[StateVariable],
) -> Result<Vec<StageCuts>, String> {
    let n = state.len();
    let mut stages: Vec<StageCuts> = meta
        .stages
        .iter()
        .map(|s| StageCuts {
            stage_id: s.stage_id,
            ..StageCuts::default()
        })
        .collect();
    for b in batches {
        let stage_index = column::<UInt32Array>(b, "stage_index")?;
        let cut_index = column::<UInt32Array>(b, "cut_index")?;
        let iteration = column::<UInt64Array>(b, "iteration")?;
        let scenario = column::<UInt32Array>(b, "scenario")?;
        let active = column::<BooleanArray>(b, "active")?;
        let intercept = column::<Float64Array>(b, "intercept")?;
        let coefs = state
            .iter()
            .map(|v| column::<Float64Array>(b, &v.name()))
            .collect::<Result<Vec<_>, _>>()?;
        for r in 0..b.num_rows() {
            let t = stage_index.value(r) as usize;
            let s = stages
                .get_mut(t)
                .ok_or_else(|| format!("row {r}: stage index {t} out of range"))?;
            if cut_index.value(r) as usize != s.len() {
                return Err(format!(
                    "row {r}: cut {} of stage {t} out of order",
                    cut_index.value(r)
                ));
            }
            s.intercept.push(intercept.value(r));
            s.iteration.push(iteration.value(r));
            s.scenario.push(scenario.value(r));
            s.active.push(active.value(r));
            s.coefficients.extend(coefs.iter().map(|c| c.value(r)));
        }
    }
    for (s, e) in stages.iter().zip(&meta.stages) {
        if s.len() != e.num_cuts || !s.is_consistent(n) {
            return Err(format!(
                "stage {}: {} cuts in the file, {} recorded",
                e.index,
                s.len(),
                e.num_cuts
            ));
        }
    }
    Ok(stages)
}

/// Rebuilds the per-stage bases from `bases.parquet`'s batches.
pub(crate) fn read_bases(
    batches: &[RecordBatch],
    n_stages: usize,
) -> Result<Vec<Option<StageBasis>>, String> {
    let mut out = vec![None; n_stages];
    for b in batches {
        let idx = column::<UInt32Array>(b, "stage_index")?;
        let cols = column::<BinaryArray>(b, "col_status")?;
        let rows = column::<BinaryArray>(b, "row_status")?;
        for r in 0..b.num_rows() {
            let t = idx.value(r) as usize;
            let slot = out
                .get_mut(t)
                .ok_or_else(|| format!("basis row {r}: stage index {t} out of range"))?;
            *slot = Some(StageBasis {
                col_status: cols.value(r).to_vec(),
                row_status: rows.value(r).to_vec(),
            });
        }
    }
    Ok(out)
}
