//! The Parquet simulation sink: per-scenario results arrive from the
//! engine's bounded channel and leave as Hive-partitioned Parquet files,
//! `simulation/<entity>/scenario_block=<k>/part-0000.parquet`.
//!
//! Scenario `s` belongs to block `s / scenarios_per_partition`. A block is
//! written (one atomic file per entity, rows sorted by scenario) as soon
//! as all its scenarios have arrived, and dropped from memory; only the
//! blocks still being filled are held. Workers take contiguous runs of
//! scenarios, so a few blocks are open at a time whatever the number of
//! scenarios: memory is flat in the scenario count. Blocks make the file
//! count manageable (one file per scenario and entity would be 10 000
//! files for 2 000 scenarios of five entities) and the layout
//! deterministic: the same scenarios land in the same file in the same
//! order for any thread count.

use super::columns::Columns;
use arrow::record_batch::RecordBatch;
use cobre_io::output::{simulation_part, write_parquet, FileInfo, OutputError};
use cobre_sddp::{ScenarioResult, SddpError, SimulationSink};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The entity tables of the simulation output, in writing order.
pub const SIMULATION_TABLES: [&str; 7] = [
    "costs",
    "hydros",
    "thermals",
    "buses",
    "lines",
    "pumping_stations",
    "hydro_bus_generation",
];

fn repeat(s: u32, n: usize) -> Vec<u32> {
    vec![s; n]
}

/// The tables of one scenario, in [`SIMULATION_TABLES`] order.
///
/// # Errors
/// An Arrow error when the columns do not form a batch (a bug).
pub fn scenario_batches(r: &ScenarioResult) -> Result<[RecordBatch; 7], arrow::error::ArrowError> {
    let s = r.scenario;
    let c = &r.costs;
    let costs = Columns::default()
        .u32("scenario_id", repeat(s, c.stage_id.len()))
        .i32("stage_id", c.stage_id.clone())
        .i32("node_id", r.node_ids.clone())
        .f64("probability", "1", vec![r.probability; c.stage_id.len()])
        .f64("immediate_cost", "$", c.immediate_cost.clone())
        .f64("future_cost", "$", c.future_cost.clone())
        .f64("discount_factor", "1", c.discount_factor.clone())
        .f64("thermal_cost", "$", c.thermal_cost.clone())
        .f64("deficit_cost", "$", c.deficit_cost.clone())
        .f64("excess_cost", "$", c.excess_cost.clone())
        .f64("exchange_cost", "$", c.exchange_cost.clone())
        .f64("spillage_cost", "$", c.spillage_cost.clone())
        .f64("turbined_cost", "$", c.turbined_cost.clone())
        .f64("hydro_violation_cost", "$", c.hydro_violation_cost.clone())
        .f64("inflow_penalty_cost", "$", c.inflow_penalty_cost.clone())
        .f64(
            "withdrawal_violation_cost",
            "$",
            c.withdrawal_violation_cost.clone(),
        )
        .f64(
            "evaporation_violation_cost",
            "$",
            c.evaporation_violation_cost.clone(),
        )
        .f64(
            "generic_violation_cost",
            "$",
            c.generic_violation_cost.clone(),
        )
        .f64("curtailment_cost", "$", c.curtailment_cost.clone())
        .f64("diversion_cost", "$", c.diversion_cost.clone())
        .finish()?;
    let h = &r.hydros;
    let hydros = Columns::default()
        .u32("scenario_id", repeat(s, h.stage_id.len()))
        .i32("stage_id", h.stage_id.clone())
        .u32("block", h.block.clone())
        .i32("hydro_id", h.hydro_id.clone())
        .f64("storage_initial_hm3", "hm3", h.storage_initial_hm3.clone())
        .f64("storage_final_hm3", "hm3", h.storage_final_hm3.clone())
        .f64("inflow_m3s", "m3/s", h.inflow_m3s.clone())
        .f64("turbined_m3s", "m3/s", h.turbined_m3s.clone())
        .f64("spillage_m3s", "m3/s", h.spillage_m3s.clone())
        .f64("outflow_m3s", "m3/s", h.outflow_m3s.clone())
        .f64("diverted_m3s", "m3/s", h.diverted_m3s.clone())
        .f64("generation_mw", "MW", h.generation_mw.clone())
        .f64(
            "water_value_per_hm3",
            "$/hm3",
            h.water_value_per_hm3.clone(),
        )
        .finish()?;
    let t = &r.thermals;
    let thermals = Columns::default()
        .u32("scenario_id", repeat(s, t.stage_id.len()))
        .i32("stage_id", t.stage_id.clone())
        .u32("block", t.block.clone())
        .i32("thermal_id", t.thermal_id.clone())
        .f64("generation_mw", "MW", t.generation_mw.clone())
        .f64("generation_cost", "$", t.generation_cost.clone())
        .finish()?;
    let b = &r.buses;
    let buses = Columns::default()
        .u32("scenario_id", repeat(s, b.stage_id.len()))
        .i32("stage_id", b.stage_id.clone())
        .u32("block", b.block.clone())
        .i32("bus_id", b.bus_id.clone())
        .f64("load_mw", "MW", b.load_mw.clone())
        .f64("deficit_mw", "MW", b.deficit_mw.clone())
        .f64("excess_mw", "MW", b.excess_mw.clone())
        .f64("marginal_cost", "$/MWh", b.marginal_cost.clone())
        .finish()?;
    let l = &r.lines;
    let lines = Columns::default()
        .u32("scenario_id", repeat(s, l.stage_id.len()))
        .i32("stage_id", l.stage_id.clone())
        .u32("block", l.block.clone())
        .i32("line_id", l.line_id.clone())
        .f64("direct_mw", "MW", l.direct_mw.clone())
        .f64("reverse_mw", "MW", l.reverse_mw.clone())
        .f64("net_mw", "MW", l.net_mw.clone())
        .finish()?;
    let p = &r.pumping;
    let pumping = Columns::default()
        .u32("scenario_id", repeat(s, p.stage_id.len()))
        .i32("stage_id", p.stage_id.clone())
        .u32("block", p.block.clone())
        .i32("pumping_station_id", p.station_id.clone())
        .f64("pumped_m3s", "m3/s", p.pumped_m3s.clone())
        .f64("power_mw", "MW", p.power_mw.clone())
        .finish()?;
    let g = &r.cells;
    let cells = Columns::default()
        .u32("scenario_id", repeat(s, g.stage_id.len()))
        .i32("stage_id", g.stage_id.clone())
        .u32("block", g.block.clone())
        .i32("hydro_id", g.hydro_id.clone())
        .i32("bus_id", g.bus_id.clone())
        .f64("turbined_m3s", "m3/s", g.turbined_m3s.clone())
        .f64("generation_mw", "MW", g.generation_mw.clone())
        .finish()?;
    Ok([costs, hydros, thermals, buses, lines, pumping, cells])
}

/// Scenarios of one block received so far, by scenario id.
type Block = BTreeMap<u32, [RecordBatch; 7]>;

/// Writes simulated scenarios as Hive-partitioned Parquet.
pub struct ParquetSink {
    output: PathBuf,
    per_block: usize,
    num_scenarios: usize,
    open: BTreeMap<usize, Block>,
    files: Vec<FileInfo>,
    parts: Vec<(usize, u64)>,
    scenarios_written: usize,
    max_open_scenarios: usize,
}

impl ParquetSink {
    /// A sink writing under `output/simulation/` for a run of
    /// `num_scenarios` scenarios, `per_block` scenarios per partition.
    #[must_use]
    pub fn new(output: impl Into<PathBuf>, num_scenarios: usize, per_block: usize) -> Self {
        Self {
            output: output.into(),
            per_block: per_block.max(1),
            num_scenarios,
            open: BTreeMap::new(),
            files: Vec::new(),
            parts: Vec::new(),
            scenarios_written: 0,
            max_open_scenarios: 0,
        }
    }

    fn block_len(&self, block: usize) -> usize {
        let start = block * self.per_block;
        self.num_scenarios.saturating_sub(start).min(self.per_block)
    }

    fn write_block(&mut self, block: usize, scenarios: Block) -> Result<(), OutputError> {
        for (k, table) in SIMULATION_TABLES.iter().enumerate() {
            let batches: Vec<RecordBatch> = scenarios
                .values()
                .filter_map(|b| b.get(k).cloned())
                .collect();
            let Some(first) = batches.first() else {
                continue;
            };
            let path = simulation_part(&self.output, table, block as u64);
            let info = write_parquet(
                &path,
                &first.schema(),
                &batches,
                &format!("simulation.{table}/1"),
            )?;
            self.files.push(info);
            self.parts.push((k, block as u64));
        }
        self.scenarios_written += scenarios.len();
        tracing::debug!(
            block,
            scenarios = scenarios.len(),
            "simulation partition written"
        );
        Ok(())
    }

    /// Writes the blocks still open (a run cut short) and returns every
    /// file written.
    ///
    /// # Errors
    /// [`OutputError`] from the writer.
    pub fn finish(mut self) -> Result<SinkReport, OutputError> {
        let open = std::mem::take(&mut self.open);
        for (block, scenarios) in open {
            self.write_block(block, scenarios)?;
        }
        Ok(SinkReport {
            files: self.files,
            parts: self.parts,
            scenarios: self.scenarios_written,
            max_open_scenarios: self.max_open_scenarios,
        })
    }
}

/// What a [`ParquetSink`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkReport {
    /// Files written.
    pub files: Vec<FileInfo>,
    /// For each file, its table (index into [`SIMULATION_TABLES`]) and
    /// partition (`scenario_block`).
    pub parts: Vec<(usize, u64)>,
    /// Scenarios written.
    pub scenarios: usize,
    /// Most scenarios ever held in memory at once.
    pub max_open_scenarios: usize,
}

impl SimulationSink for ParquetSink {
    fn accept(&mut self, result: ScenarioResult) -> Result<(), SddpError> {
        let s = result.scenario;
        let block = s as usize / self.per_block;
        let batches = scenario_batches(&result).map_err(|e| SddpError::Sink {
            message: e.to_string(),
        })?;
        drop(result);
        let entry = self.open.entry(block).or_default();
        entry.insert(s, batches);
        let complete = entry.len() >= self.block_len(block);
        let held: usize = self.open.values().map(BTreeMap::len).sum();
        self.max_open_scenarios = self.max_open_scenarios.max(held);
        if complete {
            if let Some(scenarios) = self.open.remove(&block) {
                self.write_block(block, scenarios)
                    .map_err(|e| SddpError::Sink {
                        message: e.to_string(),
                    })?;
            }
        }
        Ok(())
    }
}
