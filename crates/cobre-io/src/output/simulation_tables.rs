//! The tables of one simulated scenario as Arrow batches, one per entity
//! kind of `simulation/<entity>/` (units in the field metadata).

use super::columns::Columns;
use arrow::record_batch::RecordBatch;
use cobre_core::records::ScenarioResult;

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

/// Schema name and version of each table of [`SIMULATION_TABLES`] (the
/// `cobre.schema` metadata of its files).
pub const SIMULATION_SCHEMAS: [&str; 7] = [
    "simulation.costs/1",
    "simulation.hydros/2",
    "simulation.thermals/1",
    "simulation.buses/1",
    "simulation.lines/1",
    "simulation.pumping_stations/1",
    "simulation.hydro_bus_generation/1",
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
    Ok([
        costs_batch(s, r)?,
        hydros_batch(s, r)?,
        thermals_batch(s, r)?,
        buses_batch(s, r)?,
        lines_batch(s, r)?,
        pumping_batch(s, r)?,
        cells_batch(s, r)?,
    ])
}

/// Scenario `s`'s costs (one row per stage) table.
fn costs_batch(s: u32, r: &ScenarioResult) -> Result<RecordBatch, arrow::error::ArrowError> {
    let c = &r.costs;
    Columns::default()
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
        .finish()
}

/// Scenario `s`'s hydro rows table.
fn hydros_batch(s: u32, r: &ScenarioResult) -> Result<RecordBatch, arrow::error::ArrowError> {
    let h = &r.hydros;
    Columns::default()
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
        .f64("evaporation_m3s", "m3/s", h.evaporation_m3s.clone())
        .f64("turbined_slack_m3s", "m3/s", h.turbined_slack_m3s.clone())
        .f64(
            "outflow_slack_below_m3s",
            "m3/s",
            h.outflow_slack_below_m3s.clone(),
        )
        .f64(
            "outflow_slack_above_m3s",
            "m3/s",
            h.outflow_slack_above_m3s.clone(),
        )
        .f64("generation_slack_mw", "MW", h.generation_slack_mw.clone())
        .f64(
            "evaporation_violation_pos_m3s",
            "m3/s",
            h.evaporation_violation_pos_m3s.clone(),
        )
        .f64(
            "evaporation_violation_neg_m3s",
            "m3/s",
            h.evaporation_violation_neg_m3s.clone(),
        )
        .f64(
            "inflow_nonnegativity_slack_m3s",
            "m3/s",
            h.inflow_nonnegativity_slack_m3s.clone(),
        )
        .f64(
            "water_withdrawal_violation_pos_m3s",
            "m3/s",
            h.water_withdrawal_violation_pos_m3s.clone(),
        )
        .f64(
            "water_withdrawal_violation_neg_m3s",
            "m3/s",
            h.water_withdrawal_violation_neg_m3s.clone(),
        )
        .finish()
}

/// Scenario `s`'s thermal rows table.
fn thermals_batch(s: u32, r: &ScenarioResult) -> Result<RecordBatch, arrow::error::ArrowError> {
    let t = &r.thermals;
    Columns::default()
        .u32("scenario_id", repeat(s, t.stage_id.len()))
        .i32("stage_id", t.stage_id.clone())
        .u32("block", t.block.clone())
        .i32("thermal_id", t.thermal_id.clone())
        .f64("generation_mw", "MW", t.generation_mw.clone())
        .f64("generation_cost", "$", t.generation_cost.clone())
        .finish()
}

/// Scenario `s`'s bus rows table.
fn buses_batch(s: u32, r: &ScenarioResult) -> Result<RecordBatch, arrow::error::ArrowError> {
    let b = &r.buses;
    Columns::default()
        .u32("scenario_id", repeat(s, b.stage_id.len()))
        .i32("stage_id", b.stage_id.clone())
        .u32("block", b.block.clone())
        .i32("bus_id", b.bus_id.clone())
        .f64("load_mw", "MW", b.load_mw.clone())
        .f64("deficit_mw", "MW", b.deficit_mw.clone())
        .f64("excess_mw", "MW", b.excess_mw.clone())
        .f64("marginal_cost", "$/MWh", b.marginal_cost.clone())
        .finish()
}

/// Scenario `s`'s line rows table.
fn lines_batch(s: u32, r: &ScenarioResult) -> Result<RecordBatch, arrow::error::ArrowError> {
    let l = &r.lines;
    Columns::default()
        .u32("scenario_id", repeat(s, l.stage_id.len()))
        .i32("stage_id", l.stage_id.clone())
        .u32("block", l.block.clone())
        .i32("line_id", l.line_id.clone())
        .f64("direct_mw", "MW", l.direct_mw.clone())
        .f64("reverse_mw", "MW", l.reverse_mw.clone())
        .f64("net_mw", "MW", l.net_mw.clone())
        .finish()
}

/// Scenario `s`'s pumping-station rows table.
fn pumping_batch(s: u32, r: &ScenarioResult) -> Result<RecordBatch, arrow::error::ArrowError> {
    let p = &r.pumping;
    Columns::default()
        .u32("scenario_id", repeat(s, p.stage_id.len()))
        .i32("stage_id", p.stage_id.clone())
        .u32("block", p.block.clone())
        .i32("pumping_station_id", p.station_id.clone())
        .f64("pumped_m3s", "m3/s", p.pumped_m3s.clone())
        .f64("power_mw", "MW", p.power_mw.clone())
        .finish()
}

/// Scenario `s`'s FPHA cell rows table.
fn cells_batch(s: u32, r: &ScenarioResult) -> Result<RecordBatch, arrow::error::ArrowError> {
    let g = &r.cells;
    Columns::default()
        .u32("scenario_id", repeat(s, g.stage_id.len()))
        .i32("stage_id", g.stage_id.clone())
        .u32("block", g.block.clone())
        .i32("hydro_id", g.hydro_id.clone())
        .i32("bus_id", g.bus_id.clone())
        .f64("turbined_m3s", "m3/s", g.turbined_m3s.clone())
        .f64("generation_mw", "MW", g.generation_mw.clone())
        .finish()
}
