//! Training records as Arrow batches: `training/convergence.parquet`,
//! `training/solver_stats.parquet`, and back (to resume).

use super::columns::{column, nullable_column, Columns};
use super::OutputError;
use arrow::array::{Array, Float64Array, StringArray, UInt64Array};
use arrow::record_batch::RecordBatch;
use cobre_core::records::{relative_gap, IterationRecord, UpperBoundKind};
use std::path::Path;

/// Schema name of `convergence.parquet`.
pub const CONVERGENCE_SCHEMA: &str = "training.convergence/1";
/// Schema name of `solver_stats.parquet`.
pub const SOLVER_STATS_SCHEMA: &str = "training.solver_stats/1";
/// Schema name of `visited_states.parquet`.
pub const VISITED_STATES_SCHEMA: &str = "training.visited_states/1";

/// The states the forward passes visited at one stage (one cut pool).
#[derive(Debug, Clone, Copy)]
pub struct VisitedPool<'a> {
    /// Stage id of the pool.
    pub stage_id: i32,
    /// Iteration of each state.
    pub iteration: &'a [u64],
    /// The states, one value per state variable each, flat.
    pub states: &'a [f64],
}

/// `visited_states.parquet` (`exports.states`): one row per visited
/// state: `stage_index` (pool), `stage_id`, `iteration`, then one column
/// per state variable, named and in the unit of `variables`
/// (`(name, unit)`, as in the policy's `state[]`).
///
/// # Errors
/// An Arrow error when a pool's states do not hold one vector per
/// iteration entry.
pub fn visited_states_batch(
    pools: &[VisitedPool<'_>],
    variables: &[(String, &str)],
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let n = variables.len();
    let rows: usize = pools.iter().map(|p| p.iteration.len()).sum();
    let mut stage_index = Vec::with_capacity(rows);
    let mut stage_id = Vec::with_capacity(rows);
    let mut iteration = Vec::with_capacity(rows);
    let mut values: Vec<Vec<f64>> = vec![Vec::with_capacity(rows); n];
    for (p, pool) in pools.iter().enumerate() {
        if pool.states.len() != pool.iteration.len() * n {
            return Err(arrow::error::ArrowError::InvalidArgumentError(format!(
                "visited states of stage {}: {} values for {} states of {n} variables",
                pool.stage_id,
                pool.states.len(),
                pool.iteration.len()
            )));
        }
        for (i, &it) in pool.iteration.iter().enumerate() {
            stage_index.push(u32::try_from(p).unwrap_or(u32::MAX));
            stage_id.push(pool.stage_id);
            iteration.push(it);
            for (col, &v) in values.iter_mut().zip(&pool.states[i * n..(i + 1) * n]) {
                col.push(v);
            }
        }
    }
    let mut cols = Columns::default()
        .u32("stage_index", stage_index)
        .i32("stage_id", stage_id)
        .u64("iteration", "", iteration);
    for ((name, unit), v) in variables.iter().zip(values) {
        cols = cols.f64(name, unit, v);
    }
    cols.finish()
}

/// One value per record.
fn each<T>(records: &[IterationRecord], value: fn(&IterationRecord) -> T) -> Vec<T> {
    records.iter().map(value).collect()
}

/// One row per iteration: bounds, times, LP work and cuts.
///
/// # Errors
/// An Arrow error when the columns do not form a batch (a bug).
pub fn convergence_batch(
    records: &[IterationRecord],
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let cuts_total: Vec<u64> = records
        .iter()
        .scan(0u64, |acc, r| {
            *acc += r.cuts_added;
            Some(*acc)
        })
        .collect();
    Columns::default()
        .u64("iteration", "", each(records, |r| r.iteration))
        .f64("lower_bound", "$", each(records, |r| r.lower_bound))
        .f64("upper_bound", "$", each(records, |r| r.upper_bound))
        .f64("upper_bound_std", "$", each(records, |r| r.upper_bound_std))
        .f64("ci_95", "$", each(records, |r| r.ci_95))
        .str(
            "upper_bound_kind",
            records
                .iter()
                .map(|r| r.upper_bound_kind.as_str())
                .collect(),
        )
        .opt_str(
            "lower_bound_position",
            records
                .iter()
                .map(|r| r.lower_bound_position().map(|p| p.as_str()))
                .collect(),
        )
        .opt_f64("gap", "1", records.iter().map(|r| r.gap).collect())
        .f64("wall_time_ms", "ms", each(records, |r| r.wall_time_ms))
        .f64(
            "iteration_time_ms",
            "ms",
            each(records, |r| r.iteration_time_ms),
        )
        .u64("lp_solves", "", each(records, |r| r.lp_solves))
        .u64("cuts_added", "", each(records, |r| r.cuts_added))
        .u64("cuts_total", "", cuts_total)
        .f64("solver_time_ms", "ms", each(records, |r| r.solver_time_ms))
        .u64(
            "simplex_iterations",
            "",
            each(records, |r| r.simplex_iterations),
        )
        .finish()
}

/// One row per iteration: the LP solver's work.
///
/// # Errors
/// An Arrow error when the columns do not form a batch (a bug).
pub fn solver_stats_batch(
    records: &[IterationRecord],
) -> Result<RecordBatch, arrow::error::ArrowError> {
    #[allow(clippy::cast_precision_loss)]
    let per_solve = |num: f64, solves: u64| {
        if solves == 0 {
            0.0
        } else {
            num / solves as f64
        }
    };
    let simplex = each(records, |r| r.simplex_iterations);
    let iteration_ms = each(records, |r| r.iteration_time_ms);
    let solve_us = records
        .iter()
        .map(|r| per_solve(r.solver_time_ms * 1e3, r.lp_solves))
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let simplex_per_solve = records
        .iter()
        .map(|r| per_solve(r.simplex_iterations as f64, r.lp_solves))
        .collect();
    Columns::default()
        .u64("iteration", "", each(records, |r| r.iteration))
        .u64("lp_solves", "", each(records, |r| r.lp_solves))
        .u64("simplex_iterations", "", simplex)
        .f64("solver_time_ms", "ms", each(records, |r| r.solver_time_ms))
        .f64("iteration_time_ms", "ms", iteration_ms)
        .f64("solve_time_us", "us", solve_us)
        .f64("simplex_iterations_per_solve", "1", simplex_per_solve)
        .finish()
}

/// Records from the batches of the `convergence.parquet` at `path`
/// (missing optional columns read as zero). Files written before
/// `upper_bound_kind` existed get the kind their spread tells (no spread:
/// one forward pass) and the gap of that kind.
///
/// # Errors
/// [`OutputError::Corrupted`] (naming `path`) for a missing or mistyped
/// required column or an unknown bound kind.
pub fn records_from_batches(
    batches: &[RecordBatch],
    path: &Path,
) -> Result<Vec<IterationRecord>, OutputError> {
    decode_records(batches).map_err(|message| OutputError::Corrupted {
        path: path.to_path_buf(),
        message,
    })
}

fn decode_records(batches: &[RecordBatch]) -> Result<Vec<IterationRecord>, String> {
    let mut out = Vec::new();
    for b in batches {
        let req_f = |name: &str| {
            column::<Float64Array>(b, name)
                .ok_or_else(|| format!("column `{name}` missing or mistyped"))
        };
        let it = column::<UInt64Array>(b, "iteration")
            .ok_or_else(|| "column `iteration` missing or mistyped".to_string())?;
        let lb = req_f("lower_bound")?;
        let ub = req_f("upper_bound")?;
        let opt_f =
            |name: &str, i: usize| column::<Float64Array>(b, name).map_or(0.0, |c| c.value(i));
        let opt_u = |name: &str, i: usize| column::<UInt64Array>(b, name).map_or(0, |c| c.value(i));
        let kinds = nullable_column::<StringArray>(b, "upper_bound_kind");
        let gaps = nullable_column::<Float64Array>(b, "gap");
        for i in 0..b.num_rows() {
            let mut r = IterationRecord {
                iteration: it.value(i),
                lower_bound: lb.value(i),
                upper_bound: ub.value(i),
                upper_bound_std: opt_f("upper_bound_std", i),
                ci_95: opt_f("ci_95", i),
                upper_bound_kind: UpperBoundKind::Statistical,
                gap: None,
                wall_time_ms: opt_f("wall_time_ms", i),
                iteration_time_ms: opt_f("iteration_time_ms", i),
                lp_solves: opt_u("lp_solves", i),
                cuts_added: opt_u("cuts_added", i),
                solver_time_ms: opt_f("solver_time_ms", i),
                simplex_iterations: opt_u("simplex_iterations", i),
            };
            match kinds.filter(|k| !k.is_null(i)) {
                Some(k) => {
                    let name = k.value(i);
                    r.upper_bound_kind = UpperBoundKind::parse(name)
                        .ok_or_else(|| format!("unknown upper_bound_kind `{name}`"))?;
                    r.gap = gaps.filter(|g| !g.is_null(i)).map(|g| g.value(i));
                }
                None => {
                    // Written before bound kinds: tell the kind by the spread.
                    if r.upper_bound_std == 0.0 {
                        r.upper_bound_kind = UpperBoundKind::SingleSample;
                    }
                    r.gap = relative_gap(r.upper_bound_kind, r.lower_bound, r.upper_bound, r.ci_95);
                }
            }
            out.push(r);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convergence_records_round_trip_through_a_batch() {
        let recs: Vec<IterationRecord> = (1..=3)
            .map(|i| IterationRecord {
                iteration: i,
                lower_bound: 10.0 * i as f64,
                upper_bound: 11.5 * i as f64,
                upper_bound_std: 0.25,
                ci_95: 0.5,
                upper_bound_kind: if i == 2 {
                    UpperBoundKind::SingleSample
                } else {
                    UpperBoundKind::Statistical
                },
                gap: (i != 2).then_some(0.01),
                wall_time_ms: 3.0 * i as f64,
                iteration_time_ms: 3.0,
                lp_solves: 40,
                cuts_added: 9,
                solver_time_ms: 1.5,
                simplex_iterations: 77,
            })
            .collect();
        let b = convergence_batch(&recs).unwrap();
        assert_eq!(
            records_from_batches(std::slice::from_ref(&b), Path::new("c.parquet")).unwrap(),
            recs
        );
        let kinds = nullable_column::<StringArray>(&b, "upper_bound_kind").unwrap();
        assert_eq!(kinds.value(1), "single_sample");
        let positions = nullable_column::<StringArray>(&b, "lower_bound_position").unwrap();
        assert_eq!(positions.value(0), "below");
        assert!(positions.is_null(1));
        let gaps = nullable_column::<Float64Array>(&b, "gap").unwrap();
        assert!(gaps.is_null(1) && gaps.value(0) == 0.01);
        let total = column::<UInt64Array>(&b, "cuts_total").unwrap();
        assert_eq!(total.values().to_vec(), vec![9, 18, 27]);
        let s = solver_stats_batch(&recs).unwrap();
        assert_eq!(s.num_rows(), 3);
    }
}
