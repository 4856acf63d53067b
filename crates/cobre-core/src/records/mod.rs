//! What a run produces, as plain data: the record of every training
//! iteration ([`IterationRecord`], with the kinds of its bounds) and the
//! columnar results of every simulated scenario ([`ScenarioResult`]).
//!
//! The engine (`cobre-sddp`) fills them; `cobre-io::output` owns their
//! Arrow/Parquet schemas. Neither needs the other.

mod iteration;
mod scenario;

pub use iteration::{
    bound_note, relative_gap, IterationRecord, LowerBoundPosition, UpperBoundKind,
};
pub use scenario::{
    BusResults, CellResults, CostCategory, HydroResults, LineResults, PumpingResults,
    ScenarioResult, StageCosts, ThermalResults,
};
