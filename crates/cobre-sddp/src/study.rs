//! A study prepared for the engine: the stochastic process, the stage LP
//! templates and the initial state, built once from a case and shared by
//! training and simulation.

use crate::graph::NodeGraph;
use crate::lp::{build_templates, StageTemplate, TemplateOptions};
use crate::risk::{self, RiskMeasure};
use crate::scenario::ScenarioModel;
use crate::SddpError;
use cobre_core::{StudyConfig, System};

/// Entity ids in the canonical order of the LP (for labelling results).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityIds {
    /// Hydro ids.
    pub hydros: Vec<i32>,
    /// Thermal ids.
    pub thermals: Vec<i32>,
    /// Bus ids.
    pub buses: Vec<i32>,
    /// Line ids.
    pub lines: Vec<i32>,
    /// Stage ids.
    pub stages: Vec<i32>,
    /// Pumping station ids.
    pub pumping: Vec<i32>,
}

/// Everything the engine needs about a case, built once.
#[derive(Debug)]
pub struct StudyModel {
    pub(crate) templates: Vec<StageTemplate>,
    pub(crate) scenario: ScenarioModel,
    pub(crate) initial_state: Vec<f64>,
    pub(crate) risk: Vec<Box<dyn RiskMeasure>>,
    pub(crate) ids: EntityIds,
    pub(crate) graph: NodeGraph,
    /// Power drawn per m³/s by each pumping station (MW per m³/s).
    pub(crate) pumping_consumption: Vec<f64>,
}

impl StudyModel {
    /// Builds the stochastic model and every stage LP of a case.
    ///
    /// # Errors
    /// [`SddpError`] when the case uses something the engine cannot model.
    pub fn build(system: &System, config: &StudyConfig) -> Result<Self, SddpError> {
        let scenario = ScenarioModel::build(system, config)?;
        Self::with_scenario(system, config, scenario)
    }

    /// Builds the stage LPs of a case for a given stochastic model.
    ///
    /// # Errors
    /// [`SddpError`] when the case uses something the engine cannot model,
    /// or when the model does not fit the system.
    pub fn with_scenario(
        system: &System,
        config: &StudyConfig,
        scenario: ScenarioModel,
    ) -> Result<Self, SddpError> {
        if system.num_stages() == 0 {
            return Err(SddpError::invalid("stages", "the study has no stage"));
        }
        if scenario.num_stages() != system.num_stages()
            || scenario.num_hydros() != system.hydros().len()
            || scenario.num_buses() != system.buses().len()
        {
            return Err(SddpError::Stochastic {
                source: cobre_stochastic::StochasticError::InvalidInput {
                    what: "stochastic model".into(),
                    message: "it does not match the system's dimensions".into(),
                },
            });
        }
        for h in system.hydros() {
            if h.travel_time_hours.is_some_and(|t| t > 0.0) {
                return Err(SddpError::Unsupported {
                    feature: format!("travel time on {}", h.id),
                });
            }
        }
        let options = TemplateOptions::from_config(config);
        warn_if_truncated_lags(options.inflow_non_negativity, scenario.max_order());
        let templates = build_templates(system, &scenario, &options)?;
        for (stage, t) in templates.iter().enumerate() {
            tracing::debug!(
                stage,
                rows = t.model.num_rows,
                cols = t.model.num_cols,
                nonzeros = t.model.num_nonzeros(),
                folded = t.fold.num_entries(),
                "stage LP built (without cuts; `folded` non-zeros of fixed columns in the row bounds)"
            );
        }
        let span = |f: fn(&StageTemplate) -> usize| {
            let v = templates.iter().map(f);
            (v.clone().min().unwrap_or(0), v.max().unwrap_or(0))
        };
        let (rows, cols, nnz, folded) = (
            span(|t| t.model.num_rows),
            span(|t| t.model.num_cols),
            span(|t| t.model.num_nonzeros()),
            span(|t| t.fold.num_entries()),
        );
        tracing::info!(
            stages = templates.len(),
            "stage LPs built (without cuts): rows {}–{}, columns {}–{}, non-zeros {}–{} \
             (and {}–{} of fixed columns, folded into the row bounds)",
            rows.0,
            rows.1,
            cols.0,
            cols.1,
            nnz.0,
            nnz.1,
            folded.0,
            folded.1
        );
        let n = system.hydros().len();
        let l_max = scenario.max_order();
        let mut initial_state = Vec::with_capacity(n * (1 + l_max));
        for h in system.hydros() {
            initial_state.push(system.initial_conditions().storage_of(h.id).unwrap_or(0.0));
        }
        initial_state.extend_from_slice(scenario.initial_lags());
        let risk = system
            .horizon()
            .stages
            .iter()
            .map(|s| risk::from_config(s.risk_measure))
            .collect::<Result<Vec<_>, _>>()?;
        let graph = NodeGraph::build(system, &scenario, &config.training.scenario_source)?;
        let ids = EntityIds {
            hydros: system.hydros().iter().map(|h| h.id.0).collect(),
            thermals: system.thermals().iter().map(|t| t.id.0).collect(),
            buses: system.buses().iter().map(|b| b.id.0).collect(),
            lines: system.lines().iter().map(|l| l.id.0).collect(),
            stages: system.horizon().stages.iter().map(|s| s.id.0).collect(),
            pumping: system.pumping_stations().iter().map(|p| p.id.0).collect(),
        };
        let pumping_consumption = system
            .pumping_stations()
            .iter()
            .map(|p| p.consumption_mw_per_m3s)
            .collect();
        Ok(Self {
            templates,
            scenario,
            initial_state,
            risk,
            ids,
            graph,
            pumping_consumption,
        })
    }

    /// Stage LP templates.
    #[must_use]
    pub fn templates(&self) -> &[StageTemplate] {
        &self.templates
    }

    /// The policy graph (the chain of the stages without explicit nodes).
    #[must_use]
    pub fn graph(&self) -> &NodeGraph {
        &self.graph
    }

    /// The LP template of cut pool `p` (its stage's).
    #[must_use]
    pub fn pool_template(&self, p: usize) -> Option<&StageTemplate> {
        self.graph
            .pool_stage()
            .get(p)
            .and_then(|&t| self.templates.get(t))
    }

    /// Stage id of every cut pool (the stage ids, for the chain): the
    /// stages of a saved policy.
    #[must_use]
    pub fn pool_stage_ids(&self) -> Vec<i32> {
        self.graph
            .pool_stage()
            .iter()
            .map(|&t| self.ids.stages.get(t).copied().unwrap_or(0))
            .collect()
    }

    /// Number of cut pools (the stages, for the chain).
    #[must_use]
    pub fn num_pools(&self) -> usize {
        self.graph.num_pools()
    }

    /// The stochastic process.
    #[must_use]
    pub fn scenario(&self) -> &ScenarioModel {
        &self.scenario
    }

    /// Initial state (storage, then lags).
    #[must_use]
    pub fn initial_state(&self) -> &[f64] {
        &self.initial_state
    }

    /// Number of stages.
    #[must_use]
    pub fn num_stages(&self) -> usize {
        self.templates.len()
    }

    /// State dimension.
    #[must_use]
    pub fn n_state(&self) -> usize {
        self.initial_state.len()
    }

    /// Entity ids in LP order.
    #[must_use]
    pub fn ids(&self) -> &EntityIds {
        &self.ids
    }

    /// Cumulative discount factor `Δ_t` of each stage (`Δ_0 = 1`).
    #[must_use]
    pub fn cumulative_discount(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.templates.len());
        let mut d = 1.0;
        for tpl in &self.templates {
            out.push(d);
            d *= tpl.discount;
        }
        out
    }
}

/// Truncation makes a stage's inflow `max(0, b + ψ·lags + σ·η)`: its cost is
/// not convex in the lags, and the cuts (which take the untruncated slope
/// `ψ·π` at a truncated trial point) can lie above it where the lags are
/// lower. The lower bound is then not a bound: it can exceed the policy's
/// cost (on the NEWAVE deck, nine times the forward passes' mean,
/// docs/formulation.md §8). Said once per study, at build.
fn warn_if_truncated_lags(method: cobre_core::config::InflowNonNegativity, max_order: usize) {
    use cobre_core::config::InflowNonNegativity as M;
    if max_order > 0 && matches!(method, M::Truncation | M::TruncationWithPenalty) {
        tracing::warn!(
            lags = max_order,
            "inflow non-negativity by truncation with lagged inflows: the future cost is not \
             convex in the lags where inflows are truncated, so cuts can overestimate it and the \
             lower bound may exceed the policy's cost; `penalty` keeps the bound valid"
        );
    }
}
