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

use arrow::record_batch::RecordBatch;
use cobre_io::output::{
    scenario_batches, simulation_part, FileInfo, OutputError, ParquetStream, SIMULATION_SCHEMAS,
    SIMULATION_TABLES,
};
use cobre_sddp::{ScenarioResult, SddpError, SimulationSink};
use std::collections::BTreeMap;
use std::path::PathBuf;

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
            for ((table, schema), batch) in
                SIMULATION_TABLES.iter().zip(SIMULATION_SCHEMAS).zip(tables)
            {
                let path = simulation_part(output, table, block as u64);
                open.files
                    .push(ParquetStream::create(&path, &batch.schema(), schema)?);
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
