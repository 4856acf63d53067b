//! Cobre SDDP engine: stage LPs, training, simulation, cuts, stopping rules.
//!
//! ```text
//! System + StudyConfig ──StudyModel::build──▶ StudyModel (stochastic process + stage LP templates)
//! StudyModel ──train──▶ TrainingResult (Policy + convergence records)
//! StudyModel + Policy ──simulate──▶ per-scenario results to a SimulationSink
//! ```
//!
//! * [`lp`] builds one LP per stage, once, with a documented column/row
//!   layout ([`lp::StageLayout`]); per solve only right-hand sides are
//!   patched. The formulation follows `docs/formulation.md`.
//! * [`train`] runs forward passes, backward passes and the lower-bound
//!   evaluation on a rayon pool; every worker thread owns a solver per
//!   stage and every work item starts from its own deterministic basis, so
//!   bounds and cuts are bit-identical for any thread count; through a
//!   [`Communicator`] the same holds for any number of processes.
//! * [`simulate`] evaluates a [`Policy`] on sampled scenarios and streams
//!   columnar per-scenario results to a [`SimulationSink`].
//! * Variation points are small traits: [`stopping::StoppingRule`],
//!   [`risk::RiskMeasure`], [`cut_selection::CutSelection`],
//!   [`Communicator`], [`TrainingObserver`].

mod active_set;
mod backward;
mod backward_sampled;
pub mod bounds;
pub mod communicator;
pub mod config;
pub mod cut_selection;
pub mod cuts;
mod enumerated;
mod error;
mod exchange;
mod forward;
pub mod graph;
pub mod lp;
pub mod policy;
mod policy_table;
pub mod progress;
pub mod risk;
pub mod scenario;
pub mod simulation;
pub mod stopping;
pub mod study;
#[cfg(test)]
mod test_support;
pub mod training;
pub mod warm_start;
mod workspace;

pub use bounds::{LowerBoundPosition, UpperBound, UpperBoundKind};
pub use communicator::{
    CommStats, Communicator, Gathered, Group, InProcess, LocalCommunicator, Timed,
};
pub use config::{OpeningsPerItem, SimulationSettings, TrainingSettings};
pub use cuts::{Cut, CutPool};
pub use error::{Phase, SddpError, SolveSite};
pub use policy::Policy;
pub use progress::{Control, IterationRecord, StopFlag, TerminationReason, TrainingObserver};
pub use scenario::{Sampler, SamplerPhase, ScenarioModel};
pub use simulation::{
    simulate, simulate_with, MemorySink, ScenarioResult, SimulationHooks, SimulationSink,
    SimulationSummary,
};
pub use stopping::RuleKind;
pub use study::{EntityIds, StudyModel};
pub use training::{train, PhaseStats, Trainer, TrainingHooks, TrainingResult, VisitedStates};
pub use warm_start::{CheckpointSink, TrainingStart};
pub use workspace::{SolverInstances, WorkerStats, PER_STAGE_LIMIT};
