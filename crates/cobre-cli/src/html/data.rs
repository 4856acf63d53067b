//! What the report draws, read from an output folder: the convergence
//! records and manifest ([`cobre::read_run`]), the cuts per stage (the
//! saved policy), and summaries of the simulation tables (their Parquet
//! partitions, listed by the manifest). Names, block hours and reservoir
//! sizes come from the case folder when it is still there and unchanged.

use super::stats::{fan, mean_std, sorted_finite};
use cobre::arrow::array::{Array, Float64Array, Int32Array, UInt32Array};
use cobre::arrow::record_batch::RecordBatch;
use cobre::RunReport;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Cuts of one stage of the saved policy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StageCuts {
    /// Stage id.
    pub stage_id: i32,
    /// Cuts in the pool.
    pub total: usize,
    /// Cuts still in the LPs (cut selection drops the others).
    pub active: usize,
}

/// A reservoir's storage at the end of each stage, as [`super::stats::FAN`]
/// percentiles over the simulated scenarios.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StorageFan {
    /// Hydro id.
    pub hydro_id: i32,
    /// Display name.
    pub name: String,
    /// Maximum storage (hm³) from the case, or the largest simulated one.
    pub size_hm3: f64,
    /// Percentiles per stage, in [`SimData::stage_ids`] order.
    pub per_stage: Vec<[f64; 5]>,
}

/// A named series with one value per stage.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StageSeries {
    /// Legend label.
    pub name: String,
    /// Values in [`SimData::stage_ids`] order.
    pub values: Vec<f64>,
}

/// Summaries of the simulation tables.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct SimData {
    /// Scenarios found in the cost table.
    pub scenarios: usize,
    /// Total discounted cost of each scenario (`Σ discount_factor ·
    /// immediate_cost`), by scenario id.
    pub total_cost: Vec<f64>,
    /// Stage ids, sorted.
    pub stage_ids: Vec<i32>,
    /// Storage fans, largest reservoir first (run-of-river plants left out).
    pub storage: Vec<StorageFan>,
    /// Mean generation by source per stage (MW, averaged over blocks by
    /// their hours when the case is known, else evenly).
    pub generation: Vec<StageSeries>,
    /// Mean deficit per bus per stage (MW, averaged like generation).
    pub deficit: Vec<StageSeries>,
}

/// Everything the report shows.
#[derive(Debug)]
pub(crate) struct ReportData {
    /// Manifest, convergence, completeness.
    pub run: RunReport,
    /// Cuts per stage of the saved policy, when it could be read.
    pub cuts: Option<Vec<StageCuts>>,
    /// Simulation summaries, when the run simulated.
    pub sim: Option<SimData>,
    /// Whether names and block hours come from the case folder.
    pub case_known: bool,
    /// Things that could not be read (shown in the report, never fatal).
    pub notes: Vec<String>,
}

/// Names, sizes and block hours from the case, when it is still there.
#[derive(Debug, Default)]
struct CaseInfo {
    hydros: BTreeMap<i32, (String, f64)>,
    buses: BTreeMap<i32, String>,
    /// Block hours per stage id.
    hours: BTreeMap<i32, Vec<f64>>,
}

/// Reads `dir` (an output folder).
///
/// # Errors
/// The [`cobre::Error`] of [`cobre::read_run`] (no manifest, corrupted
/// convergence file); what else cannot be read becomes a note.
pub(crate) fn read(dir: &Path) -> Result<ReportData, cobre::Error> {
    let run = cobre::read_run(dir)?;
    let mut notes = Vec::new();
    let case = case_info(&run, &mut notes);
    let cuts = match policy_dir(&run) {
        Some(p) => match cobre::outputs::read_policy(&p) {
            Ok(loaded) => Some(
                loaded
                    .table
                    .stages
                    .iter()
                    .map(|s| StageCuts {
                        stage_id: s.stage_id,
                        total: s.active.len(),
                        active: s.active.iter().filter(|a| **a).count(),
                    })
                    .collect(),
            ),
            Err(e) => {
                notes.push(format!("policy not read ({}): {e}", p.display()));
                None
            }
        },
        None => None,
    };
    let sim = if run.manifest.simulation.is_some() {
        match simulation(&run, case.as_ref()) {
            Ok(s) => Some(s),
            Err(e) => {
                notes.push(format!("simulation tables not read: {e}"));
                None
            }
        }
    } else {
        None
    };
    Ok(ReportData {
        run,
        cuts,
        sim,
        case_known: case.is_some(),
        notes,
    })
}

/// The saved policy's folder: `policy.path` of the run's configuration
/// under the output folder (where the run put it), else the path recorded
/// (relative to where the run was started).
fn policy_dir(run: &RunReport) -> Option<PathBuf> {
    let saved = PathBuf::from(run.manifest.policy.saved_to.as_deref()?);
    let configured = run
        .manifest
        .config
        .get("policy")
        .and_then(|p| p.get("path"))
        .and_then(serde_json::Value::as_str)
        .map(|p| run.output_dir.join(p));
    configured
        .into_iter()
        .chain([saved])
        .find(|p| p.join("policy.json").is_file())
}

/// The case of the run, when its folder is still there with the same
/// fingerprint (a changed case would put wrong names on the charts).
fn case_info(run: &RunReport, notes: &mut Vec<String>) -> Option<CaseInfo> {
    let path = PathBuf::from(&run.manifest.case.path);
    if !path.is_dir() {
        notes.push(format!(
            "case folder {} not found: entities are shown by id, blocks weighted evenly",
            path.display()
        ));
        return None;
    }
    let same = cobre::outputs::case_fingerprint(&path)
        .is_ok_and(|f| f.case == run.manifest.case.fingerprint);
    if !same {
        notes.push(format!(
            "case folder {} changed since the run: entities are shown by id, blocks weighted evenly",
            path.display()
        ));
        return None;
    }
    let case = match cobre::load_case(&path) {
        Ok(c) => c,
        Err(e) => {
            notes.push(format!("case folder {} not loaded: {e}", path.display()));
            return None;
        }
    };
    let s = &case.system;
    Some(CaseInfo {
        hydros: s
            .hydros()
            .iter()
            .map(|h| (h.id.get(), (h.name.clone(), h.max_storage_hm3)))
            .collect(),
        buses: s
            .buses()
            .iter()
            .map(|b| (b.id.get(), b.name.clone()))
            .collect(),
        hours: s
            .horizon()
            .stages
            .iter()
            .map(|st| (st.id.get(), st.blocks.iter().map(|b| b.hours).collect()))
            .collect(),
    })
}

/// The batches of every partition of simulation table `table`, in the
/// manifest's order.
fn table(run: &RunReport, table: &str) -> Result<Vec<RecordBatch>, cobre::Error> {
    let prefix = format!("simulation/{table}/");
    let mut out = Vec::new();
    for f in &run.manifest.outputs {
        if f.path.starts_with(&prefix) {
            out.extend(cobre::outputs::read_parquet(&run.output_dir.join(&f.path))?);
        }
    }
    Ok(out)
}

fn f64_col<'a>(b: &'a RecordBatch, name: &str) -> Result<&'a Float64Array, String> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<Float64Array>())
        .ok_or_else(|| format!("column `{name}` missing or not Float64"))
}

fn i32_col<'a>(b: &'a RecordBatch, name: &str) -> Result<&'a Int32Array, String> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<Int32Array>())
        .ok_or_else(|| format!("column `{name}` missing or not Int32"))
}

fn u32_col<'a>(b: &'a RecordBatch, name: &str) -> Result<&'a UInt32Array, String> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<UInt32Array>())
        .ok_or_else(|| format!("column `{name}` missing or not UInt32"))
}

/// Sums of a per-block column over scenarios, by `(key, stage, block)`.
type BlockSums = BTreeMap<(i32, i32, u32), f64>;

/// Adds column `value` of `batches` into `sums`, keyed by `key_col` (or
/// one key 0 when `None`), stage and block.
fn add_block_sums(
    batches: &[RecordBatch],
    key_col: Option<&str>,
    value: &str,
    sums: &mut BlockSums,
) -> Result<(), String> {
    for b in batches {
        let stage = i32_col(b, "stage_id")?;
        let block = u32_col(b, "block")?;
        let key = key_col.map(|k| i32_col(b, k)).transpose()?;
        let v = f64_col(b, value)?;
        for i in 0..b.num_rows() {
            let k = key.map_or(0, |c| c.value(i));
            *sums
                .entry((k, stage.value(i), block.value(i)))
                .or_insert(0.0) += v.value(i);
        }
    }
    Ok(())
}

/// Per key, the mean over scenarios of the hour-weighted block average per
/// stage, in `stage_ids` order.
fn stage_means(
    sums: &BlockSums,
    stage_ids: &[i32],
    scenarios: usize,
    hours: &BTreeMap<i32, Vec<f64>>,
) -> BTreeMap<i32, Vec<f64>> {
    let mut acc: BTreeMap<i32, Vec<(f64, f64)>> = BTreeMap::new();
    for (&(key, stage, block), &sum) in sums {
        let Ok(pos) = stage_ids.binary_search(&stage) else {
            continue;
        };
        let w = hours
            .get(&stage)
            .and_then(|h| h.get(block as usize))
            .copied()
            .unwrap_or(1.0);
        let row = acc
            .entry(key)
            .or_insert_with(|| vec![(0.0, 0.0); stage_ids.len()]);
        if let Some(cell) = row.get_mut(pos) {
            cell.0 += w * sum;
            cell.1 += w;
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let n = scenarios.max(1) as f64;
    acc.into_iter()
        .map(|(k, row)| {
            let v = row
                .into_iter()
                .map(|(s, w)| if w > 0.0 { s / w / n } else { 0.0 })
                .collect();
            (k, v)
        })
        .collect()
}

/// The simulation's charts: cost per scenario, storage fans, generation
/// by source and deficit per bus.
fn simulation(run: &RunReport, case: Option<&CaseInfo>) -> Result<SimData, String> {
    let err = |e: cobre::Error| e.to_string();
    let empty = CaseInfo::default();
    let case = case.unwrap_or(&empty);
    let (totals, stages) = scenario_costs(&table(run, "costs").map_err(err)?)?;
    let scenarios = totals.len();
    let hydros = table(run, "hydros").map_err(err)?;
    let fans = storage_fans(&hydros, &stages, case)?;

    // Generation by source, deficit per bus.
    let mut hydro_gen = BlockSums::new();
    add_block_sums(&hydros, None, "generation_mw", &mut hydro_gen)?;
    drop(hydros);
    let mut thermal_gen = BlockSums::new();
    add_block_sums(
        &table(run, "thermals").map_err(err)?,
        None,
        "generation_mw",
        &mut thermal_gen,
    )?;
    let mut deficit = BlockSums::new();
    add_block_sums(
        &table(run, "buses").map_err(err)?,
        Some("bus_id"),
        "deficit_mw",
        &mut deficit,
    )?;
    let mean = |sums: &BlockSums| stage_means(sums, &stages, scenarios, &case.hours);
    let total_deficit: BlockSums = deficit.iter().fold(BlockSums::new(), |mut acc, (k, v)| {
        *acc.entry((0, k.1, k.2)).or_insert(0.0) += v;
        acc
    });
    let mut generation = Vec::new();
    for (name, sums) in [
        ("hydro", &hydro_gen),
        ("thermal", &thermal_gen),
        ("deficit", &total_deficit),
    ] {
        if let Some(values) = mean(sums).remove(&0) {
            generation.push(StageSeries {
                name: name.to_owned(),
                values,
            });
        }
    }
    let deficit = mean(&deficit)
        .into_iter()
        .map(|(bus, values)| StageSeries {
            name: case
                .buses
                .get(&bus)
                .map_or_else(|| format!("bus {bus}"), Clone::clone),
            values,
        })
        .collect();
    Ok(SimData {
        scenarios,
        total_cost: totals.into_values().collect(),
        stage_ids: stages,
        storage: fans,
        generation,
        deficit,
    })
}

/// Total discounted cost per scenario, and the stage ids (ascending) of
/// the `costs` table.
fn scenario_costs(costs: &[RecordBatch]) -> Result<(BTreeMap<u32, f64>, Vec<i32>), String> {
    let mut totals: BTreeMap<u32, f64> = BTreeMap::new();
    let mut stages: Vec<i32> = Vec::new();
    for b in costs {
        let sc = u32_col(b, "scenario_id")?;
        let st = i32_col(b, "stage_id")?;
        let cost = f64_col(b, "immediate_cost")?;
        let disc = f64_col(b, "discount_factor")?;
        for i in 0..b.num_rows() {
            *totals.entry(sc.value(i)).or_insert(0.0) += disc.value(i) * cost.value(i);
            stages.push(st.value(i));
        }
    }
    stages.sort_unstable();
    stages.dedup();
    Ok((totals, stages))
}

/// The storage fan of every hydro with a reservoir, largest first: its
/// end-of-stage storage per stage, one value per scenario (every block row
/// of a stage carries the same end storage: block 0).
fn storage_fans(
    hydros: &[RecordBatch],
    stages: &[i32],
    case: &CaseInfo,
) -> Result<Vec<StorageFan>, String> {
    let mut storage: BTreeMap<i32, Vec<Vec<f64>>> = BTreeMap::new();
    for b in hydros {
        let st = i32_col(b, "stage_id")?;
        let block = u32_col(b, "block")?;
        let id = i32_col(b, "hydro_id")?;
        let v = f64_col(b, "storage_final_hm3")?;
        for i in 0..b.num_rows() {
            if block.value(i) != 0 {
                continue;
            }
            let Ok(pos) = stages.binary_search(&st.value(i)) else {
                continue;
            };
            let row = storage
                .entry(id.value(i))
                .or_insert_with(|| vec![Vec::new(); stages.len()]);
            if let Some(cell) = row.get_mut(pos) {
                cell.push(v.value(i));
            }
        }
    }
    let mut fans: Vec<StorageFan> = storage
        .into_iter()
        .filter_map(|(id, per_stage)| {
            let all: Vec<f64> = per_stage.iter().flatten().copied().collect();
            let max_seen = sorted_finite(&all).last().copied().unwrap_or(0.0);
            let (name, size) = case.hydros.get(&id).map_or_else(
                || (format!("hydro {id}"), max_seen),
                |(n, s)| (n.clone(), *s),
            );
            // Run-of-river plants: nothing to draw.
            (max_seen > 0.0 || size > 0.0).then(|| StorageFan {
                hydro_id: id,
                name,
                size_hm3: size,
                per_stage: per_stage.iter().map(|v| fan(v)).collect(),
            })
        })
        .collect();
    fans.sort_by(|a, b| {
        b.size_hm3
            .total_cmp(&a.size_hm3)
            .then(a.hydro_id.cmp(&b.hydro_id))
    });
    Ok(fans)
}

/// Mean and standard deviation of the simulated total cost.
pub(crate) fn cost_moments(sim: &SimData) -> Option<(f64, f64)> {
    mean_std(&sim.total_cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_means_weight_blocks_by_hours_and_divide_by_scenarios() {
        let mut sums = BlockSums::new();
        // Two scenarios summed: block 0 (100 h) 20 MW, block 1 (300 h) 60 MW.
        sums.insert((7, 1, 0), 20.0);
        sums.insert((7, 1, 1), 60.0);
        let hours = BTreeMap::from([(1, vec![100.0, 300.0])]);
        let m = stage_means(&sums, &[1, 2], 2, &hours);
        // (100·20 + 300·60) / 400 / 2 scenarios = 25 MW.
        assert_eq!(m[&7], vec![25.0, 0.0]);
        // Without hours, blocks count evenly: (20 + 60) / 2 / 2 = 20 MW.
        let even = stage_means(&sums, &[1], 2, &BTreeMap::new());
        assert_eq!(even[&7], vec![20.0]);
    }
}
