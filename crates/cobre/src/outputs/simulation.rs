//! The Parquet simulation sink: per-scenario results arrive from the
//! engine's bounded channel and leave as Hive-partitioned Parquet files,
//! `simulation/<entity>/scenario_block=<k>/part-0000.parquet`.
//!
//! Scenario `s` belongs to block `s / scenarios_per_partition`. Each open
//! block streams into one file per entity ([`ParquetStream`], atomic: the
//! files appear when the block is complete), rows in scenario order: a
//! scenario is written as soon as every scenario before it in its block
//! has been, and only those that arrive early wait in memory. Workers
//! claim scenarios in index order, so few wait: memory is flat in the
//! scenario count and in the block size (newave_mini: a scenario's tables
//! are about 7 MB in memory). Blocks make the file count manageable (one
//! file per scenario and entity would be 10 000 files for 2 000 scenarios
//! of five entities) and the layout deterministic: the same scenarios land
//! in the same file in the same order for any thread count.

use super::columns::Columns;
use arrow::record_batch::RecordBatch;
use cobre_io::output::{simulation_part, FileInfo, OutputError, ParquetStream};
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

/// A block being written.
struct OpenBlock {
    /// Next scenario to write (those before it are in the files).
    next: u32,
    /// One past the block's last scenario.
    end: u32,
    /// Scenarios that arrived before their turn, by scenario id.
    waiting: BTreeMap<u32, [RecordBatch; 7]>,
    /// One file per table of [`SIMULATION_TABLES`], opened by the block's
    /// first scenario.
    files: Vec<ParquetStream>,
}

/// Writes simulated scenarios as Hive-partitioned Parquet.
pub struct ParquetSink {
    output: PathBuf,
    per_block: usize,
    num_scenarios: usize,
    open: BTreeMap<usize, OpenBlock>,
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

    /// The scenario range of `block`.
    fn block_range(&self, block: usize) -> (u32, u32) {
        let start = block * self.per_block;
        let end = self.num_scenarios.min(start + self.per_block).max(start);
        let id = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        (id(start), id(end))
    }

    /// Appends one scenario's tables to `block`'s files (opening them
    /// with the first).
    fn append(&mut self, block: usize, tables: &[RecordBatch; 7]) -> Result<(), OutputError> {
        let output = &self.output;
        let Some(open) = self.open.get_mut(&block) else {
            return Ok(());
        };
        if open.files.is_empty() {
            for (table, batch) in SIMULATION_TABLES.iter().zip(tables) {
                let path = simulation_part(output, table, block as u64);
                open.files.push(ParquetStream::create(
                    &path,
                    &batch.schema(),
                    &format!("simulation.{table}/1"),
                )?);
            }
        }
        for (file, batch) in open.files.iter_mut().zip(tables) {
            file.write(batch)?;
        }
        self.scenarios_written += 1;
        Ok(())
    }

    /// Writes `block`'s waiting scenarios that are next in order (all of
    /// them, skipping the missing, when `flush_all`), and closes its files
    /// once the block is complete (or when `flush_all`).
    fn drain(&mut self, block: usize, flush_all: bool) -> Result<(), OutputError> {
        loop {
            let Some(open) = self.open.get_mut(&block) else {
                return Ok(());
            };
            let ready = if flush_all {
                open.waiting.pop_first()
            } else {
                open.waiting.remove_entry(&open.next)
            };
            let Some((s, tables)) = ready else { break };
            open.next = s + 1;
            self.append(block, &tables)?;
        }
        let Some(open) = self.open.get(&block) else {
            return Ok(());
        };
        if !flush_all && open.next < open.end {
            return Ok(());
        }
        if let Some(open) = self.open.remove(&block) {
            for (k, file) in open.files.into_iter().enumerate() {
                self.files.push(file.finish()?);
                self.parts.push((k, block as u64));
            }
            tracing::debug!(block, "simulation partition written");
        }
        Ok(())
    }

    /// Writes the blocks still open (a run cut short) and returns every
    /// file written.
    ///
    /// # Errors
    /// [`OutputError`] from the writer.
    pub fn finish(mut self) -> Result<SinkReport, OutputError> {
        let blocks: Vec<usize> = self.open.keys().copied().collect();
        for block in blocks {
            self.drain(block, true)?;
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
        let tables = scenario_batches(&result).map_err(|e| SddpError::Sink {
            message: e.to_string(),
        })?;
        drop(result);
        let (start, end) = self.block_range(block);
        let open = self.open.entry(block).or_insert_with(|| OpenBlock {
            next: start,
            end,
            waiting: BTreeMap::new(),
            files: Vec::new(),
        });
        open.waiting.insert(s, tables);
        let held: usize = self.open.values().map(|b| b.waiting.len()).sum();
        self.max_open_scenarios = self.max_open_scenarios.max(held);
        self.drain(block, false).map_err(|e| SddpError::Sink {
            message: e.to_string(),
        })
    }
}
