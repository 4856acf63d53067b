//! What of the 0.18 case format the solver models — the one table to edit
//! when the LP learns a feature.
//!
//! Every feature of the format that Cobre reads is either modelled (the
//! reader turns it into `cobre-core` data the solver uses) or refused with a
//! [`FindingKind::Unsupported`](crate::FindingKind::Unsupported) finding
//! naming the file and field — never silently ignored. [`CAPABILITIES`] lists
//! the features whose support is decided here; the readers call
//! [`Feature::refuse`] wherever a case uses one. To support a feature, set its
//! `supported` to `true` **and** make sure the reader carries the data into
//! the model (most refused features have no place in `cobre-core` yet).
//!
//! Features not listed are modelled unconditionally: buses with deficit
//! segments and excess, lines (capacity, losses, exchange cost, entry/exit),
//! thermals with per-stage `thermal_bounds`, hydros with constant
//! productivity or FPHA (precomputed or computed), reservoir/outflow/turbined
//! bounds, the downstream cascade, initial storage, evaporation, inflow
//! seasonal stats, AR coefficients, inflow history (PAR fitting), load stats
//! and factors, non-controllable sources with stats, factors and bounds,
//! generic constraints, hydro bounds (withdrawal), penalties with the whole
//! cascade, discount rates, CVaR, the iteration/time/bound-stalling stopping
//! rules, level-1/limited-memory cut selection, the in-sample/out-of-sample/
//! historical/external schemes, every inflow non-negativity method,
//! external scenarios, spatial correlation, exports.

use crate::report::{Finding, FindingContext, FindingKind, Layer, Sink};

/// One format feature whose support is decided in [`CAPABILITIES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Feature {
    /// `system/pumping_stations.json` (and `constraints/pumping_bounds.parquet`).
    PumpingStations,
    /// `system/energy_contracts.json` (and `constraints/contract_bounds.parquet`).
    EnergyContracts,
    /// `thermals[].anticipated_config` and `past_anticipated_commitments`.
    AnticipatedThermal,
    /// `post_study_stages.json`.
    PostStudyStages,
    /// `hydros[].filling`, `filling_storage`, `hydro_bounds.filling_inflow_m3s`.
    ReservoirFilling,
    /// `hydros[].diversion` and the diversion bounds.
    DiversionChannels,
    /// `hydros[].travel_time_hours` > 0.
    TravelTime,
    /// More than one unit group (or a group on another bus) per hydro.
    MultipleUnitGroups,
    /// `policy_graph.type = "cyclic"`.
    CyclicPolicyGraph,
    /// Explicit `policy_graph.nodes` / `transitions`.
    PolicyGraphNodes,
    /// `stages[].block_mode = "chronological"`.
    ChronologicalBlocks,
    /// Opening generation other than `saa`.
    NoiseSamplingMethods,
    /// The `linearized_head` production model.
    LinearizedHead,
    /// `selection_mode = "seasonal"` in `hydro_production_models.json`.
    SeasonalProductionModels,
    /// `fpha_plane_reduction` in `hydro_production_models.json`.
    FphaPlaneReduction,
    /// `upper_bound_evaluation.enabled = true`.
    UpperBoundEvaluation,
    /// `policy.boundary` (terminal cuts from another study).
    BoundaryPolicy,
    /// `policy.checkpointing` options other than `enabled`/`interval_iterations`.
    CheckpointOptions,
    /// `openings.source = "file"` and `scenarios/noise_openings.parquet`.
    UserNoiseOpenings,
    /// The `gap` stopping rule.
    GapStoppingRule,
    /// `selection.method = "enumerated"` (training or simulation).
    EnumeratedSelection,
    /// Cut selection `domination`/`dynamic`, `max_active_per_stage`,
    /// `row_activity_tolerance`.
    AdvancedCutSelection,
    /// HiGHS profiles and retry settings (`training.solver`, `simulation.solver`).
    SolverProfiles,
    /// `training.parallelism`.
    BackwardScheduler,
    /// A `historical_years` list that is not a contiguous range.
    HistoricalYearList,
    /// Correlation groups mixing entity types.
    MixedCorrelationGroups,
    /// `scenarios/inflow_annual_component.parquet`.
    AnnualComponentFile,
    /// `system/tailrace_curves.parquet`.
    TailraceCurvesFile,
    /// `constraints/hydro_unit_group_bounds.parquet`.
    UnitGroupBounds,
    /// Per-block rows (`block_id`) in thermal/hydro/line bounds files.
    PerBlockBounds,
    /// Spillage bounds in `hydro_bounds.parquet`.
    SpillageBounds,
    /// `@name` parameters, named expressions, `generic_parameters.json`.
    GenericParameters,
    /// An inline relation (`<=`, `>=`, `==`) inside a generic constraint expression.
    InlineConstraintBounds,
    /// Generic-constraint variables without a model counterpart (`hydro_inflow`,
    /// `pumping_*`, `contract_*`, `anticipated_decision`, useful volumes,
    /// curtailment, per-block storage, `bus=`/bus-pair addressing).
    GenericVariables,
    /// `constraints/exchange_factors.json`, `system/scalar_parameters.json`.
    WithdrawnFiles,
}

/// One row of the capability table.
#[derive(Debug, Clone, Copy)]
pub struct Capability {
    /// The feature.
    pub feature: Feature,
    /// File(s) and field(s) of the format where it appears.
    pub location: &'static str,
    /// Whether the solver models it.
    pub supported: bool,
    /// Why it is (not) supported, or what supporting it takes.
    pub reason: &'static str,
}

const fn no(feature: Feature, location: &'static str, reason: &'static str) -> Capability {
    Capability {
        feature,
        location,
        supported: false,
        reason,
    }
}

const fn yes(feature: Feature, location: &'static str, reason: &'static str) -> Capability {
    Capability {
        feature,
        location,
        supported: true,
        reason,
    }
}

/// The capability table.
pub const CAPABILITIES: &[Capability] = &[
    yes(Feature::PumpingStations, "system/pumping_stations.json", "pumped flow per block moves water between reservoirs and consumes power at a bus (lp/pumping.rs)"),
    no(Feature::EnergyContracts, "system/energy_contracts.json", "import/export contracts are not in the load balance; cobre-core has no contract entity"),
    no(Feature::AnticipatedThermal, "system/thermals.json: anticipated_config; initial_conditions.json: past_anticipated_commitments", "anticipated dispatch needs latch/carry state columns the LP does not build"),
    no(Feature::PostStudyStages, "post_study_stages.json", "only used with anticipated thermals"),
    no(Feature::ReservoirFilling, "system/hydros.json: filling; initial_conditions.json: filling_storage; hydro_bounds.parquet: filling_inflow_m3s", "pre-filling/filling phases (frozen storage, soft targets) are not modelled"),
    yes(Feature::DiversionChannels, "system/hydros.json: diversion; hydro_bounds.parquet: min/max_diversion_m3s", "diverted flow per block leaves the plant for the channel's target (or the system) outside the outflow (lp/diversion.rs)"),
    no(Feature::TravelTime, "system/hydros.json: travel_time_hours > 0", "transit buckets carried as state are not modelled; 0 or null is accepted"),
    yes(Feature::MultipleUnitGroups, "system/hydros.json: unit_groups (more than one)", "turbined flow and generation per (plant, bus) cell of unit groups (lp/unit_groups.rs)"),
    no(Feature::CyclicPolicyGraph, "stages.json: policy_graph.type = \"cyclic\"", "infinite-horizon graphs are not modelled"),
    yes(Feature::PolicyGraphNodes, "stages.json: policy_graph.nodes / transitions", "trees and finite-horizon graphs of nodes with transition probabilities (cuts per node); chain-dialect transitions must describe the chain"),
    no(Feature::ChronologicalBlocks, "stages.json: stages[].block_mode = \"chronological\"", "per-block water balances are not modelled"),
    no(Feature::NoiseSamplingMethods, "stages.json: stages[].sampling_method other than \"saa\"", "cobre-stochastic generates openings by SAA only"),
    no(Feature::LinearizedHead, "system/hydros.json: generation.model / hydro_production_models.json: model = \"linearized_head\"", "head-dependent linearisation is not modelled"),
    no(Feature::SeasonalProductionModels, "system/hydro_production_models.json: selection_mode = \"seasonal\"", "only stage-range selection is resolved"),
    no(Feature::FphaPlaneReduction, "system/hydro_production_models.json: fpha_plane_reduction", "plane merging of computed FPHA is not implemented"),
    no(Feature::UpperBoundEvaluation, "config.json: upper_bound_evaluation.enabled = true", "the inner-approximation upper bound is not implemented"),
    no(Feature::BoundaryPolicy, "config.json: policy.boundary", "terminal cuts from another study are not loaded"),
    no(Feature::CheckpointOptions, "config.json: policy.checkpointing.{initial_iteration, store_basis, compress}", "only the checkpoint interval is honoured"),
    no(Feature::UserNoiseOpenings, "config.json: scenario_source.openings.source = \"file\"; scenarios/noise_openings.parquet", "user-supplied opening trees are not read"),
    yes(Feature::GapStoppingRule, "config.json: training.stopping_rules[].type = \"gap\"", "fires on the exact gap of enumerated training (0.18 admits it only there)"),
    yes(Feature::EnumeratedSelection, "config.json: training/simulation.selection.method = \"enumerated\"", "every path of a tree of single-realisation nodes, with an exact upper bound"),
    yes(Feature::AdvancedCutSelection, "config.json: training.cut_selection (domination, dynamic, max_active_per_stage, row_activity_tolerance)", "every 0.18 method and key is implemented (cobre-sddp cut_selection.rs)"),
    no(Feature::SolverProfiles, "config.json: training.solver, simulation.solver", "HiGHS options from the case are not wired to cobre-solver"),
    yes(Feature::BackwardScheduler, "config.json: training.parallelism", "by_scenario and by_node set the backward work units"),
    no(Feature::HistoricalYearList, "config.json: scenario_source.historical_years (non-contiguous list)", "the model keeps a year range; contiguous lists are accepted"),
    no(Feature::MixedCorrelationGroups, "scenarios/correlation.json: correlation_groups[].entities of several types", "0.18 correlates same-type groups only"),
    no(Feature::AnnualComponentFile, "scenarios/inflow_annual_component.parquet", "user-given annual PAR components are not read (fitting from history is)"),
    yes(Feature::TailraceCurvesFile, "system/tailrace_curves.parquet", "tailrace families feed the computed FPHA fit, interpolated at the downstream plant's level"),
    yes(Feature::UnitGroupBounds, "constraints/hydro_unit_group_bounds.parquet", "per-stage and per-block limits of unit groups, summed per cell"),
    yes(Feature::PerBlockBounds, "constraints/{thermal,hydro,line}_bounds.parquet: block_id", "a row with a block_id overrides the stage-wide value of its block (thermal generation, hydro turbined/outflow/generation, line capacities)"),
    no(Feature::SpillageBounds, "constraints/hydro_bounds.parquet: min/max_spillage_m3s", "spillage bounds are not in cobre-core"),
    yes(Feature::GenericParameters, "constraints/generic_constraints.json: expressions, @name; generic_parameters.json", "parameters (given or computed from hydro data) multiply the terms they prefix; named expressions expand in place"),
    no(Feature::InlineConstraintBounds, "constraints/generic_constraints.json: expression with <=, >= or ==", "bounds come from generic_constraint_bounds.parquet"),
    no(Feature::GenericVariables, "constraints/generic_constraints.json: expression variables", "the variable has no counterpart in cobre-core's VariableRef"),
    no(Feature::WithdrawnFiles, "constraints/exchange_factors.json, system/scalar_parameters.json", "withdrawn inputs: use line_bounds.parquet / generic_parameters.json"),
];

impl Feature {
    /// The capability row of this feature.
    #[must_use]
    pub fn capability(self) -> Option<&'static Capability> {
        CAPABILITIES.iter().find(|c| c.feature == self)
    }

    /// Whether the solver models this feature.
    #[must_use]
    pub fn is_supported(self) -> bool {
        self.capability().is_some_and(|c| c.supported)
    }

    /// Records an `Unsupported` finding at `context` unless the feature is
    /// supported. Returns `true` when the feature is refused.
    pub(crate) fn refuse(self, sink: &mut Sink, context: FindingContext, what: &str) -> bool {
        let Some(cap) = self.capability() else {
            return false;
        };
        if cap.supported {
            return false;
        }
        sink.push(
            Finding::error(
                FindingKind::Unsupported,
                Layer::Schema,
                context,
                format!(
                    "{what} is not supported by this version of Cobre: {}",
                    cap.reason
                ),
            )
            .suggest(format!("remove it from the case ({})", cap.location)),
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_has_exactly_one_capability_row() {
        for (i, c) in CAPABILITIES.iter().enumerate() {
            let n = CAPABILITIES
                .iter()
                .filter(|d| d.feature == c.feature)
                .count();
            assert_eq!(n, 1, "row {i} ({:?}) is duplicated", c.feature);
            assert!(!c.reason.is_empty() && !c.location.is_empty());
        }
        assert_eq!(CAPABILITIES.len(), 35);
    }
}
