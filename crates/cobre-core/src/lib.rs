//! The Cobre data model: the entities of a hydrothermal system, the study
//! horizon, penalties, initial conditions, scenario inputs and topology.
//!
//! This crate is plain data and never does I/O: `cobre-io` reads case folders
//! into these types, `cobre-stochastic` and `cobre-sddp` consume them.
//!
//! A [`System`] is assembled from [`SystemParts`] by [`System::new`], which puts
//! every entity list in canonical order (sorted by id), checks references and
//! builds the hydro [`Cascade`] and the electrical [`Network`]. Entities are
//! then addressed by their position in those sorted lists.
//!
//! Names carry units: `max_storage_hm3`, `cost_per_mwh`, `inflow_m3s`.

pub mod config;
pub mod constraints;
pub mod entities;
mod error;
pub mod hydro_models;
mod ids;
pub mod initial;
pub mod parameters;
pub mod penalties;
pub mod policy;
pub mod records;
pub mod scenario;
pub mod stage;
mod system;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod topology;

pub use config::StudyConfig;
pub use constraints::{
    resolve_override, BlockTable, GenericConstraint, GenericConstraintBound, HydroBlockOverride,
    HydroStageBounds, LineBlockOverride, LineStageBounds, LinearTerm, NcsStageBounds, PumpingBound,
    StageBounds, StageTable, ThermalBlockOverride, ThermalStageBounds, UnitGroupBound, VariableRef,
};
pub use entities::{
    Bus, DeficitSegment, Hydro, Line, NonControllableSource, PumpingStation, ServiceWindow, Thermal,
};
pub use error::CoreError;
pub use ids::{
    BusId, ConstraintId, HydroId, LineId, NcsId, PumpingStationId, SeasonId, StageId, ThermalId,
};
pub use initial::InitialConditions;
pub use parameters::{ComputedParameter, ParameterValue, ScalarParameter};
pub use penalties::{BusStagePenalties, GlobalPenalties, HydroPenalties, PenaltyTable};
pub use policy::{PolicyTable, StageBasis, StageCuts, StateVariable};
pub use scenario::ScenarioInputs;
pub use stage::{Block, GraphNode, GraphTransition, Horizon, PolicyGraph, RiskMeasure, Stage};
pub use system::{Case, System, SystemParts};
pub use topology::{Cascade, Network};
