//! The stochastic model a run used, written when `exports.stochastic` is
//! set: `stochastic/inflow_seasonal_stats.parquet` (the statistics per
//! study stage, in the input layout, so the folder can seed another case),
//! `stochastic/inflow_model.parquet` (the inflow rows the LPs carry) and
//! `stochastic/noise_openings.parquet` (the backward opening tree). The
//! facade adds `stochastic/fit_report.json` when the model was fitted from
//! history.
//!
//! Like every table here, these builders take plain data; the facade reads
//! it off the engine's stochastic model.

use super::columns::Columns;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// Schema name of `inflow_seasonal_stats.parquet`.
pub const INFLOW_SEASONAL_STATS_SCHEMA: &str = "stochastic.inflow_seasonal_stats/1";
/// Schema name of `inflow_model.parquet`.
pub const INFLOW_MODEL_SCHEMA: &str = "stochastic.inflow_model/1";
/// Schema name of `noise_openings.parquet`.
pub const NOISE_OPENINGS_SCHEMA: &str = "stochastic.noise_openings/1";

/// The inflow model per study stage and hydro, in m³/s. Every per-entry
/// slice is row-major over `(stage, hydro)`; `psi` over
/// `(stage, hydro, lag)` with `order` lags.
#[derive(Debug, Clone, Copy)]
pub struct InflowModelTable<'a> {
    /// Study stage ids, in stage order.
    pub stage_ids: &'a [i32],
    /// Hydro ids, in model order.
    pub hydro_ids: &'a [i32],
    /// Lags per row (`L`).
    pub order: usize,
    /// Seasonal mean of the stage (NaN when unknown).
    pub means: &'a [f64],
    /// Seasonal standard deviation of the stage (NaN when unknown).
    pub stds: &'a [f64],
    /// Deterministic part of the inflow row.
    pub base: &'a [f64],
    /// Scale of the noise in the inflow row.
    pub sigma: &'a [f64],
    /// Lag coefficients of the inflow row.
    pub psi: &'a [f64],
}

impl InflowModelTable<'_> {
    fn check(&self) -> Result<(), ArrowError> {
        let cells = self.stage_ids.len() * self.hydro_ids.len();
        let sizes = [
            self.means.len(),
            self.stds.len(),
            self.base.len(),
            self.sigma.len(),
        ];
        if sizes.iter().any(|&n| n != cells) || self.psi.len() != cells * self.order {
            return Err(ArrowError::InvalidArgumentError(format!(
                "inflow model table: {} stages × {} hydros do not match the value arrays",
                self.stage_ids.len(),
                self.hydro_ids.len()
            )));
        }
        Ok(())
    }
}

/// `inflow_seasonal_stats.parquet`: `hydro_id, stage_id, mean_m3s,
/// std_m3s`, sorted by hydro then stage (the layout of the case file),
/// leaving out the stages whose statistics are unknown.
///
/// # Errors
/// [`ArrowError::InvalidArgumentError`] when the arrays do not match.
pub fn inflow_seasonal_stats_batch(t: &InflowModelTable<'_>) -> Result<RecordBatch, ArrowError> {
    t.check()?;
    let n = t.hydro_ids.len();
    let (mut hydro, mut stage, mut mean, mut std) = (vec![], vec![], vec![], vec![]);
    for (h, &hid) in t.hydro_ids.iter().enumerate() {
        for (s, &sid) in t.stage_ids.iter().enumerate() {
            let (m, d) = (t.means[s * n + h], t.stds[s * n + h]);
            if m.is_finite() && d.is_finite() {
                hydro.push(hid);
                stage.push(sid);
                mean.push(m);
                std.push(d);
            }
        }
    }
    Columns::default()
        .i32("hydro_id", hydro)
        .i32("stage_id", stage)
        .f64("mean_m3s", "m3/s", mean)
        .f64("std_m3s", "m3/s", std)
        .finish()
}

/// `inflow_model.parquet`: one row per (stage, hydro) with the inflow row
/// `z = base + Σ_k psi_k · lag_k + sigma · η` the stage LP carries:
/// `stage_id, hydro_id, base_m3s, sigma_m3s, psi_1 … psi_L`. `lag_k` is the
/// inflow `k` season periods back; `η` the standard-normal noise.
///
/// # Errors
/// [`ArrowError::InvalidArgumentError`] when the arrays do not match.
pub fn inflow_model_batch(t: &InflowModelTable<'_>) -> Result<RecordBatch, ArrowError> {
    t.check()?;
    let n = t.hydro_ids.len();
    let cells = t.stage_ids.len() * n;
    let stage = (0..cells).map(|c| t.stage_ids[c / n]).collect();
    let hydro = (0..cells).map(|c| t.hydro_ids[c % n]).collect();
    let mut cols = Columns::default()
        .i32("stage_id", stage)
        .i32("hydro_id", hydro)
        .f64("base_m3s", "m3/s", t.base.to_vec())
        .f64("sigma_m3s", "m3/s", t.sigma.to_vec());
    for k in 0..t.order {
        let psi = (0..cells).map(|c| t.psi[c * t.order + k]).collect();
        cols = cols.f64(&format!("psi_{}", k + 1), "1", psi);
    }
    cols.finish()
}

/// One noise position of the opening tree: what it drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoiseEntity<'a> {
    /// `inflow`, `load` or `ncs`.
    pub kind: &'a str,
    /// Id of the hydro, bus or non-controllable source.
    pub id: i32,
}

/// The opening tree: `openings[t]` openings at stage `stage_ids[t]`, each a
/// noise vector of `entities.len()` standard normals; `value(t, k)` is
/// opening `k` of stage `t`.
pub struct OpeningsTable<'a> {
    /// Study stage ids, in stage order.
    pub stage_ids: &'a [i32],
    /// Openings per stage.
    pub openings: &'a [usize],
    /// What each noise position drives.
    pub entities: &'a [NoiseEntity<'a>],
    /// The noise vector of an opening.
    pub value: &'a dyn Fn(usize, usize) -> &'a [f64],
}

/// `noise_openings.parquet`: `stage_id, opening_index, entity_index, value`
/// (the layout of 0.18's export), with `entity_kind` and `entity_id`
/// naming what `entity_index` drives.
///
/// # Errors
/// [`ArrowError::InvalidArgumentError`] when a noise vector's length is
/// not the number of entities.
pub fn noise_openings_batch(t: &OpeningsTable<'_>) -> Result<RecordBatch, ArrowError> {
    let dim = t.entities.len();
    let rows: usize = t.openings.iter().sum::<usize>() * dim;
    let mut stage = Vec::with_capacity(rows);
    let mut opening = Vec::with_capacity(rows);
    let mut entity = Vec::with_capacity(rows);
    let mut kind = Vec::with_capacity(rows);
    let mut id = Vec::with_capacity(rows);
    let mut value = Vec::with_capacity(rows);
    for (s, (&sid, &count)) in t.stage_ids.iter().zip(t.openings).enumerate() {
        for k in 0..count {
            let v = (t.value)(s, k);
            if v.len() != dim {
                return Err(ArrowError::InvalidArgumentError(format!(
                    "opening {k} of stage {sid} has {} values for {dim} noise entities",
                    v.len()
                )));
            }
            for (e, (x, ent)) in v.iter().zip(t.entities).enumerate() {
                stage.push(sid);
                opening.push(u32::try_from(k).unwrap_or(u32::MAX));
                entity.push(u32::try_from(e).unwrap_or(u32::MAX));
                kind.push(ent.kind);
                id.push(ent.id);
                value.push(*x);
            }
        }
    }
    Columns::default()
        .i32("stage_id", stage)
        .u32("opening_index", opening)
        .u32("entity_index", entity)
        .str("entity_kind", kind)
        .i32("entity_id", id)
        .f64("value", "1", value)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Float64Array, Int32Array, StringArray, UInt32Array};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Column `i` of `b` as `A`.
    fn column<A: Array + 'static>(b: &RecordBatch, i: usize) -> Result<&A, String> {
        b.column(i)
            .as_any()
            .downcast_ref::<A>()
            .ok_or_else(|| format!("column {i} has another type"))
    }

    fn table<'a>(means: &'a [f64], psi: &'a [f64]) -> InflowModelTable<'a> {
        InflowModelTable {
            stage_ids: &[0, 1],
            hydro_ids: &[7, 9],
            order: 2,
            means,
            stds: &[1.0, 2.0, 3.0, 4.0],
            base: &[10.0, 20.0, 30.0, 40.0],
            sigma: &[0.1, 0.2, 0.3, 0.4],
            psi,
        }
    }

    #[test]
    fn seasonal_stats_are_hydro_major_and_skip_unknown_stages() -> TestResult {
        let psi = [0.0; 8];
        let b = inflow_seasonal_stats_batch(&table(&[5.0, f64::NAN, 6.0, 8.0], &psi))?;
        assert_eq!(
            column::<Int32Array>(&b, 0)?.values().to_vec(),
            vec![7, 7, 9]
        );
        assert_eq!(
            column::<Int32Array>(&b, 1)?.values().to_vec(),
            vec![0, 1, 1]
        );
        let mean = column::<Float64Array>(&b, 2)?;
        assert_eq!(mean.values().to_vec(), vec![5.0, 6.0, 8.0]);
        Ok(())
    }

    #[test]
    fn inflow_model_rows_carry_one_column_per_lag() -> TestResult {
        let psi = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let b = inflow_model_batch(&table(&[0.0; 4], &psi))?;
        assert_eq!(b.num_rows(), 4);
        let names: Vec<String> = b
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(
            names,
            [
                "stage_id",
                "hydro_id",
                "base_m3s",
                "sigma_m3s",
                "psi_1",
                "psi_2"
            ]
        );
        let psi2 = column::<Float64Array>(&b, 5)?;
        assert_eq!(psi2.values().to_vec(), vec![2.0, 4.0, 6.0, 8.0]);
        Ok(())
    }

    #[test]
    fn mismatched_arrays_are_an_error_not_a_panic() {
        let psi = [0.0; 3];
        assert!(inflow_model_batch(&table(&[0.0; 4], &psi)).is_err());
    }

    #[test]
    fn openings_name_the_entity_each_value_drives() -> TestResult {
        let data = [[0.5, -1.0], [1.5, 2.0], [3.0, 4.0]];
        let value = |t: usize, k: usize| -> &[f64] { &data[t * 2 + k] };
        let entities = [
            NoiseEntity {
                kind: "inflow",
                id: 3,
            },
            NoiseEntity {
                kind: "load",
                id: 1,
            },
        ];
        let b = noise_openings_batch(&OpeningsTable {
            stage_ids: &[10, 11],
            openings: &[2, 1],
            entities: &entities,
            value: &value,
        })?;
        assert_eq!(b.num_rows(), 6);
        let opening = column::<UInt32Array>(&b, 1)?;
        assert_eq!(opening.values().to_vec(), vec![0, 0, 1, 1, 0, 0]);
        assert_eq!(column::<StringArray>(&b, 3)?.value(1), "load");
        let v = column::<Float64Array>(&b, 5)?;
        assert_eq!(v.values().to_vec(), vec![0.5, -1.0, 1.5, 2.0, 3.0, 4.0]);
        Ok(())
    }
}
