//! Stage LP templates: one LP per stage, built once from the [`System`] and
//! then only patched (right-hand sides and bounds) per solve.
//!
//! The builder is organised by equipment family, each adding its columns,
//! rows and nonzeros to a shared accumulator: `state.rs` (state prefix and
//! inflow rows), `network.rs` (buses, lines, thermals), `hydro.rs` (hydro
//! plants, constant productivity or FPHA, with `production.rs` and
//! `fpha_fit.rs` resolving the model, `unit_groups.rs` for plants whose
//! unit groups sit on several buses), `diversion.rs`, `pumping.rs`,
//! `evaporation.rs`, `generic.rs` (user constraints, with `parameters.rs`
//! resolving their `@name` coefficients). A new family is one more module
//! called from [`build_stage`].
//!
//! Units: flows in m³/s, storage in hm³, power in MW; every objective
//! coefficient is a cost in $ divided by the cost scale `K`
//! ([`StageTemplate::cost_scale`]), flow and power costs multiplied by the
//! block hours. θ is in scaled $ and carries the discount factor of the
//! transition to the next stage.

mod builder;
mod diversion;
mod evaporation;
mod fold;
pub mod fpha_fit;
mod generic;
mod hydro;
mod layout;
mod network;
pub mod parameters;
mod patch;
pub mod production;
mod pumping;
mod state;
mod unit_groups;

pub use builder::IndexRange;
pub use fold::StateFold;
pub use hydro::HM3_PER_M3S_HOUR;
pub use layout::{Cell, CostCategory, SlackKind, SoftBound, StageLayout};
pub use parameters::ParameterTable;
pub use patch::StagePatch;
pub use production::{Production, ProductionTable};

use crate::scenario::ScenarioModel;
use crate::SddpError;
use builder::LpBuilder;
use cobre_core::config::InflowNonNegativity;
use cobre_core::{Stage, StudyConfig, System};
use cobre_solver::LpModel;

/// Default divisor of the objective coefficients (as the reference: θ and
/// cuts are then in millions of $, which keeps large systems well scaled).
pub const DEFAULT_COST_SCALE: f64 = 1e6;

/// Days per year used to turn an annual discount rate into a per-stage factor.
pub const DAYS_PER_YEAR: f64 = 365.25;

/// The LP of one stage, its layout, and its constants.
#[derive(Debug, Clone, PartialEq)]
pub struct StageTemplate {
    /// The LP the solver holds, without cut rows: the incoming-state
    /// columns are empty, their entries folded into the row bounds at each
    /// solve, and so are the columns fixed at a value no solve patches
    /// ([`StateFold`]; [`Self::full_model`] is the LP as formulated).
    pub model: LpModel,
    /// Index ranges.
    pub layout: StageLayout,
    /// The incoming-state entries taken out of [`Self::model`].
    pub fold: StateFold,
    /// Discount factor applied to θ (`1 / (1 + r)^(days/365.25)`).
    pub discount: f64,
    /// Divisor of every cost coefficient.
    pub cost_scale: f64,
}

impl StageTemplate {
    /// The LP as formulated, without cut rows: [`Self::model`] with the
    /// incoming-state entries back in their columns (fixed by their bounds
    /// to the incoming state, 0 in the template).
    #[must_use]
    pub fn full_model(&self) -> LpModel {
        self.fold.restore(&self.model)
    }
}

/// Settings of the template builder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TemplateOptions {
    /// Divisor of every cost coefficient (numerical conditioning).
    pub cost_scale: f64,
    /// Inflow non-negativity treatment.
    pub inflow_non_negativity: InflowNonNegativity,
}

impl TemplateOptions {
    /// Options from the study configuration ([`DEFAULT_COST_SCALE`] unless given).
    #[must_use]
    pub fn from_config(config: &StudyConfig) -> Self {
        Self {
            cost_scale: config
                .modeling
                .cost_scale_factor
                .filter(|k| k.is_finite() && *k > 0.0)
                .unwrap_or(DEFAULT_COST_SCALE),
            inflow_non_negativity: config.modeling.inflow_non_negativity,
        }
    }
}

/// Shared state of the family builders for one stage.
pub(crate) struct BuildCtx<'a> {
    pub(crate) system: &'a System,
    pub(crate) scenario: &'a ScenarioModel,
    pub(crate) production: &'a ProductionTable,
    pub(crate) parameters: &'a ParameterTable,
    pub(crate) stage: usize,
    pub(crate) stage_id: cobre_core::StageId,
    pub(crate) last_stage: bool,
    pub(crate) discount: f64,
    pub(crate) cost_scale: f64,
    pub(crate) inflow_penalty: bool,
    pub(crate) builder: LpBuilder,
    pub(crate) layout: StageLayout,
    pub(crate) categories: Vec<(usize, CostCategory)>,
}

/// Discount factor of the transition out of stage `t`.
#[must_use]
pub fn discount_factor(system: &System, t: usize) -> f64 {
    let rate = system.horizon().annual_discount_rate(t);
    let Some(stage) = system.horizon().stages.get(t) else {
        return 1.0;
    };
    if rate == 0.0 {
        return 1.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let years = stage.duration_days() as f64 / DAYS_PER_YEAR;
    (1.0 + rate).powf(-years)
}

/// Builds the template of stage `t`.
///
/// # Errors
/// [`SddpError`] when the case cannot be modelled.
pub fn build_stage(
    system: &System,
    scenario: &ScenarioModel,
    production: &ProductionTable,
    parameters: &ParameterTable,
    options: &TemplateOptions,
    t: usize,
) -> Result<StageTemplate, SddpError> {
    let stage: &Stage = system
        .horizon()
        .stages
        .get(t)
        .ok_or_else(|| SddpError::invalid(format!("stage {t}"), "no such stage"))?;
    if stage.blocks.is_empty() {
        return Err(SddpError::invalid(
            format!("{}", stage.id),
            "stage has no blocks",
        ));
    }
    if options.cost_scale.is_nan() || options.cost_scale <= 0.0 {
        return Err(SddpError::InvalidSetting {
            setting: "cost_scale",
            message: format!("must be positive, got {}", options.cost_scale),
        });
    }
    let n_stages = system.num_stages();
    let discount = discount_factor(system, t);
    let layout = StageLayout {
        stage: t,
        n_hydros: system.hydros().len(),
        n_lags: scenario.max_order(),
        n_blocks: stage.blocks.len(),
        n_buses: system.buses().len(),
        n_thermals: system.thermals().len(),
        n_lines: system.lines().len(),
        n_ncs: system.non_controllable_sources().len(),
        n_pumping: system.pumping_stations().len(),
        block_hours: stage.blocks.iter().map(|b| b.hours).collect(),
        ..StageLayout::default()
    };
    let mut ctx = BuildCtx {
        system,
        scenario,
        production,
        parameters,
        stage: t,
        stage_id: stage.id,
        last_stage: t + 1 == n_stages,
        discount,
        cost_scale: options.cost_scale,
        inflow_penalty: matches!(
            options.inflow_non_negativity,
            InflowNonNegativity::Penalty | InflowNonNegativity::TruncationWithPenalty
        ),
        builder: LpBuilder::new(),
        layout,
        categories: Vec::new(),
    };
    state::add_state_prefix(&mut ctx);
    network::add_network(&mut ctx);
    network::add_thermals(&mut ctx);
    network::add_ncs(&mut ctx);
    hydro::add_hydros(&mut ctx, stage)?;
    diversion::add_diversions(&mut ctx, stage);
    pumping::add_pumping(&mut ctx, stage);
    evaporation::add_evaporation(&mut ctx, stage);
    generic::add_generic_constraints(&mut ctx, stage)?;

    let BuildCtx {
        builder,
        mut layout,
        categories,
        ..
    } = ctx;
    layout.num_cols = builder.num_cols();
    layout.num_template_rows = builder.num_rows();
    layout.col_category = vec![CostCategory::None; layout.num_cols];
    for (col, cat) in categories {
        if let Some(c) = layout.col_category.get_mut(col) {
            *c = cat;
        }
    }
    let mut model = builder.finish();
    let constant = constant_columns(&model, &layout);
    let fold = StateFold::take(&mut model, &layout.state_in_cols, &constant);
    Ok(StageTemplate {
        model,
        layout,
        fold,
        discount,
        cost_scale: options.cost_scale,
    })
}

/// Columns fixed at one value in the template whose bounds no solve
/// patches (thermals without capacity, unused withdrawal slacks, the
/// storage of run-of-river plants, …), with that value: their terms are
/// constants, so the solver's copy holds them in the row bounds. A column
/// at a value other than 0 with an entry in the patched prefix keeps its
/// entries (the prefix's right-hand sides are rewritten at every solve).
fn constant_columns(model: &LpModel, layout: &StageLayout) -> Vec<(usize, f64)> {
    let mut patched = vec![false; model.num_cols];
    for c in layout
        .state_in_cols
        .iter()
        .copied()
        .chain(layout.ncs.range())
    {
        if let Some(p) = patched.get_mut(c) {
            *p = true;
        }
    }
    let prefix = layout.patch_len();
    (0..model.num_cols)
        .filter(|&c| {
            let (lo, hi) = (model.a_start[c], model.a_start[c + 1]);
            let v = model.col_lower[c];
            !patched[c]
                && v.is_finite()
                && model.col_upper[c] == v
                && hi > lo
                && (v == 0.0 || model.a_index[lo..hi].iter().all(|&r| r >= prefix))
        })
        .map(|c| (c, model.col_lower[c]))
        .collect()
}

/// Builds the templates of every stage.
///
/// # Errors
/// [`SddpError`] when the case cannot be modelled.
pub fn build_templates(
    system: &System,
    scenario: &ScenarioModel,
    options: &TemplateOptions,
) -> Result<Vec<StageTemplate>, SddpError> {
    let production = ProductionTable::resolve(system)?;
    let parameters = ParameterTable::resolve(system, &production)?;
    (0..system.num_stages())
        .map(|t| build_stage(system, scenario, &production, &parameters, options, t))
        .collect()
}
