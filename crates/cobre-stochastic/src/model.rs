//! [`StochasticModel`]: everything random about a study, built once.

use crate::calendar::{Period, Timeline};
use crate::correlation::Correlation;
use crate::history::average_over;
use crate::history::FitReport;
use crate::inflow_build::{build_inflow_model, hydro_records};
use crate::lag_chain::LagChain;
use crate::noise::{BlockQuantity, NoiseClass, NoiseLayout};
use crate::par::{InflowModel, InflowStage};
use crate::tree::OpeningTree;
use crate::StochasticError;
use cobre_core::config::{InflowNonNegativity, SamplingScheme};
use cobre_core::scenario::{CorrelatedEntity, ExternalValue, HistoricalInflow};
use cobre_core::stage::Horizon;
use cobre_core::{StageId, StudyConfig, System};
use std::collections::BTreeMap;

/// Seed used when the case gives none (as Cobre 0.18).
pub const DEFAULT_SEED: u64 = 42;

/// Values of an external scenario library of one class: per stage, the
/// scenarios present and their values per entity (NaN where missing).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ExternalTable {
    /// `[t]` → number of scenarios.
    pub counts: Vec<usize>,
    /// `[t][k][e]` flattened per stage.
    pub values: Vec<Vec<f64>>,
    /// Entities per row.
    pub entities: usize,
}

impl ExternalTable {
    fn new<Id: Copy>(
        system: &System,
        rows: &[ExternalValue<Id>],
        entities: usize,
        pos: impl Fn(Id) -> Option<usize>,
    ) -> Option<Self> {
        if rows.is_empty() {
            return None;
        }
        let index: BTreeMap<StageId, usize> = system
            .horizon()
            .stages
            .iter()
            .map(|s| (s.id, s.index))
            .collect();
        let ns = index.len();
        let mut ids: Vec<Vec<u32>> = vec![Vec::new(); ns];
        for r in rows {
            if let Some(&t) = index.get(&r.stage) {
                ids[t].push(r.scenario);
            }
        }
        for v in &mut ids {
            v.sort_unstable();
            v.dedup();
        }
        let mut values: Vec<Vec<f64>> = ids
            .iter()
            .map(|v| vec![f64::NAN; v.len() * entities])
            .collect();
        for r in rows {
            if let (Some(&t), Some(e)) = (index.get(&r.stage), pos(r.entity)) {
                if let Ok(k) = ids[t].binary_search(&r.scenario) {
                    values[t][k * entities + e] = r.value;
                }
            }
        }
        Some(Self {
            counts: ids.iter().map(Vec::len).collect(),
            values,
            entities,
        })
    }

    /// Row of scenario `k` (cycled over the stage's count) at stage `t`.
    pub(crate) fn row(&self, t: usize, k: usize) -> Option<&[f64]> {
        let n = *self.counts.get(t)?;
        if n == 0 {
            return None;
        }
        let k = k % n;
        Some(&self.values[t][k * self.entities..(k + 1) * self.entities])
    }
}

/// The stochastic model of a study: PAR inflows, loads and NCS availability,
/// correlation, the opening tree, and the data the forward samplers replay.
/// Immutable after [`StochasticModel::build`]; `Send + Sync`.
#[derive(Debug, Clone)]
pub struct StochasticModel {
    pub(crate) inflow: InflowModel,
    pub(crate) layout: NoiseLayout,
    pub(crate) loads: BlockQuantity,
    pub(crate) ncs: BlockQuantity,
    /// `[t][r]` available NCS capacity (MW).
    pub(crate) ncs_capacity: Vec<f64>,
    pub(crate) correlation: Correlation,
    pub(crate) tree: OpeningTree,
    pub(crate) timeline: Timeline,
    pub(crate) lag_chain: LagChain,
    pub(crate) tree_seed: u64,
    pub(crate) scenario_seed: u64,
    pub(crate) fit: Option<FitReport>,
    pub(crate) external_inflow: Option<ExternalTable>,
    pub(crate) external_load: Option<ExternalTable>,
    pub(crate) external_ncs: Option<ExternalTable>,
    pub(crate) history: Vec<HistoricalInflow>,
    pub(crate) hydro_ids: Vec<cobre_core::HydroId>,
}

impl StochasticModel {
    /// Builds the model of a case: fits PAR models from history when the case
    /// gives no coefficients, compiles the inflow rows, factors the
    /// correlation profiles and generates the opening tree from the case seed
    /// (`training.tree_seed`, else [`DEFAULT_SEED`], as in Cobre 0.18).
    ///
    /// # Errors
    /// A [`StochasticError`] naming the entity/stage whose data is invalid.
    pub fn build(system: &System, config: &StudyConfig) -> Result<Self, StochasticError> {
        let horizon = system.horizon();
        let timeline = Timeline::new(horizon);
        let (inflow, fit) = build_inflow_model(system, config, &timeline)?;
        let n_h = system.hydros().len();
        let lag_chain = build_lag_chain(system, &timeline, inflow.max_order());
        let scen = system.scenarios();
        let (loads, ncs, layout) = block_quantities(system)?;
        let stage_ids: Vec<StageId> = horizon.stages.iter().map(|s| s.id).collect();
        let estimated = fit.as_ref().and_then(|f| estimated_correlation(f, horizon));
        let correlation = Correlation::build(
            scen.correlation.as_ref(),
            estimated
                .as_ref()
                .map(|(m, b)| (m.as_slice(), b.as_slice())),
            &correlated_entities(system, &loads, &ncs),
            &stage_ids,
        )?;
        let tree_seed = config.training.tree_seed.unwrap_or(DEFAULT_SEED);
        let external_inflow = ExternalTable::new(system, &scen.external_inflows, n_h, |id| {
            system.hydro_position(id)
        });
        let external_load =
            ExternalTable::new(system, &scen.external_loads, system.buses().len(), |id| {
                system.bus_position(id)
            });
        let external_ncs = ExternalTable::new(
            system,
            &scen.external_ncs,
            system.non_controllable_sources().len(),
            |id| system.ncs_position(id),
        );
        // Training from external scenarios: a stage has no more openings
        // than scenarios (0.18 clamps the tree to the library).
        let source = &config.training.scenario_source;
        let clamp = [
            (source.inflow, &external_inflow),
            (source.load, &external_load),
            (source.ncs, &external_ncs),
        ]
        .into_iter()
        .find_map(|(scheme, table)| {
            (scheme == SamplingScheme::External)
                .then_some(table.as_ref())
                .flatten()
        });
        let tree = OpeningTree::generate(
            tree_seed,
            stage_openings(system, clamp),
            &timeline.noise_keys,
            layout.len(),
            &correlation,
        );
        tracing::info!(
            hydros = n_h,
            stochastic_loads = layout.load.len(),
            stochastic_ncs = layout.ncs.len(),
            lags = inflow.max_order(),
            stages = horizon.stages.len(),
            fitted = fit.is_some(),
            "stochastic model built"
        );
        Ok(Self {
            external_inflow,
            external_load,
            external_ncs,
            history: scen.inflow_history.clone(),
            hydro_ids: system.hydros().iter().map(|h| h.id).collect(),
            inflow,
            layout,
            loads,
            ncs,
            ncs_capacity: ncs_capacity(system),
            correlation,
            tree,
            timeline,
            lag_chain,
            tree_seed,
            scenario_seed: config
                .training
                .scenario_source
                .seed
                .or(config.training.tree_seed)
                .unwrap_or(DEFAULT_SEED),
            fit,
        })
    }

    /// Number of hydros (`n_h`).
    #[must_use]
    pub fn num_hydros(&self) -> usize {
        self.inflow.num_hydros()
    }

    /// `L`: number of inflow lags carried as state (0 without AR terms).
    #[must_use]
    pub fn max_order(&self) -> usize {
        self.inflow.max_order()
    }

    /// Number of study stages.
    #[must_use]
    pub fn num_stages(&self) -> usize {
        self.tree.num_stages()
    }

    /// Coefficients of stage `stage`'s inflow rows (m³/s).
    #[must_use]
    pub fn inflow_stage(&self, stage: usize) -> InflowStage<'_> {
        self.inflow.stage(stage)
    }

    /// Lags at the study start, `n_h × L` (slot `k` = the mean inflow of the
    /// `k + 1`-th season period before the first stage's).
    #[must_use]
    pub fn initial_lags(&self) -> &[f64] {
        self.inflow.initial_lags()
    }

    /// The compiled inflow model (hot-path helpers).
    #[must_use]
    pub fn inflow_model(&self) -> &InflowModel {
        &self.inflow
    }

    /// Length of a noise vector.
    #[must_use]
    pub fn num_noise_entities(&self) -> usize {
        self.layout.len()
    }

    /// Where each class sits in a noise vector.
    #[must_use]
    pub fn noise_layout(&self) -> NoiseLayout {
        self.layout.clone()
    }

    /// What each position of a noise vector drives: its class and the
    /// entity's position in the system's list of that class (hydros,
    /// buses, non-controllable sources), in noise-vector order.
    #[must_use]
    pub fn noise_entities(&self) -> Vec<(NoiseClass, usize)> {
        let mut out: Vec<(NoiseClass, usize)> = (0..self.layout.inflow.len())
            .map(|h| (NoiseClass::Inflow, h))
            .collect();
        out.resize(self.layout.len(), (NoiseClass::Inflow, usize::MAX));
        for (class, q) in [
            (NoiseClass::Load, &self.loads),
            (NoiseClass::Ncs, &self.ncs),
        ] {
            for (e, at) in q.noise_index.iter().enumerate() {
                if let Some(slot) = at.and_then(|i| out.get_mut(i)) {
                    *slot = (class, e);
                }
            }
        }
        out
    }

    /// The opening tree.
    #[must_use]
    pub fn opening_tree(&self) -> &OpeningTree {
        &self.tree
    }

    /// Noise group of a stage: the first stage sharing its draw (itself for
    /// one stage per season period).
    #[must_use]
    pub fn noise_group(&self, stage: usize) -> usize {
        self.timeline
            .noise_groups
            .get(stage)
            .copied()
            .unwrap_or(stage)
    }

    /// Noise key of a stage: the `stage` field of its random-stream
    /// addresses (the id of the first stage of its noise group).
    #[must_use]
    pub fn noise_key(&self, stage: usize) -> u32 {
        self.timeline
            .noise_keys
            .get(stage)
            .copied()
            .unwrap_or(stage as u32)
    }

    /// Seed of the opening tree.
    #[must_use]
    pub fn tree_seed(&self) -> u64 {
        self.tree_seed
    }

    /// The model fitted from history, when the case gave no coefficients.
    #[must_use]
    pub fn fit_report(&self) -> Option<&FitReport> {
        self.fit.as_ref()
    }

    /// The study's inflow non-negativity treatment.
    #[must_use]
    pub fn non_negativity(&self) -> InflowNonNegativity {
        self.inflow.non_negativity
    }

    /// Realised demand of bus `bus`, block `block` at `stage` given the
    /// stage's noise vector (MW); deterministic buses: mean × block factor.
    #[must_use]
    pub fn load_mw(&self, stage: usize, bus: usize, block: usize, noise: &[f64]) -> f64 {
        match self.loads.value(stage, bus, block, noise) {
            (Some(v), f) => v.max(0.0) * f,
            (None, _) => 0.0,
        }
    }

    /// Available power of NCS `ncs`, block `block` at `stage` (MW).
    #[must_use]
    pub fn ncs_available_mw(&self, stage: usize, ncs: usize, block: usize, noise: &[f64]) -> f64 {
        let n = self.ncs.entities;
        let cap = self
            .ncs_capacity
            .get(stage * n + ncs)
            .copied()
            .unwrap_or(0.0);
        match self.ncs.value(stage, ncs, block, noise) {
            (Some(v), f) => v.clamp(0.0, 1.0) * cap * f,
            (None, f) => cap * f,
        }
    }

    /// Realised inflows of `stage` (see [`InflowModel::inflow`]).
    pub fn inflow(&self, stage: usize, lags: &[f64], eta: &[f64], out: &mut [f64]) {
        self.inflow.inflow(stage, lags, eta, out);
    }

    /// Inflow-row right-hand side (see [`InflowModel::inflow_rhs`]).
    pub fn inflow_rhs(&self, stage: usize, lags: &[f64], eta: &[f64], out: &mut [f64]) {
        self.inflow.inflow_rhs(stage, lags, eta, out);
    }

    /// How the lag state moves from stage to stage ([`crate::lag_chain`]):
    /// [`LagChain::advance`] gives the lags after a stage.
    #[must_use]
    pub fn lag_chain(&self) -> &LagChain {
        &self.lag_chain
    }

    /// The external scenario library of `class`, if the case has one.
    pub(crate) fn external_table(&self, class: NoiseClass) -> Option<&ExternalTable> {
        match class {
            NoiseClass::Inflow => self.external_inflow.as_ref(),
            NoiseClass::Load => self.external_load.as_ref(),
            NoiseClass::Ncs => self.external_ncs.as_ref(),
        }
    }

    /// Correlates `x[rows]` in place with stage `stage`'s factor.
    pub(crate) fn correlate(&self, stage: usize, x: &mut [f64], rows: std::ops::Range<usize>) {
        self.correlation.apply(stage, x, rows);
    }
}

/// The load and NCS quantities of a study (after checking their statistics)
/// and where every class sits in a noise vector: inflows, then stochastic
/// loads, then stochastic NCS.
fn block_quantities(
    system: &System,
) -> Result<(BlockQuantity, BlockQuantity, NoiseLayout), StochasticError> {
    let scen = system.scenarios();
    for s in scen
        .load_stats
        .iter()
        .map(|s| (s.mean, s.std))
        .chain(scen.ncs_stats.iter().map(|s| (s.mean, s.std)))
    {
        if !s.0.is_finite() || s.1.is_nan() || s.1 < 0.0 {
            return Err(StochasticError::invalid(
                "load / non-controllable statistics",
                format!("mean {} / std {} must be finite with std ≥ 0", s.0, s.1),
            ));
        }
    }
    let n_h = system.hydros().len();
    let loads = BlockQuantity::new(
        system,
        system.buses().len(),
        &scen.load_stats,
        &scen.load_factors,
        |id| system.bus_position(id),
        n_h,
    );
    let n_l = loads.num_stochastic();
    let ncs = BlockQuantity::new(
        system,
        system.non_controllable_sources().len(),
        &scen.ncs_stats,
        &scen.ncs_factors,
        |id| system.ncs_position(id),
        n_h + n_l,
    );
    let n_r = ncs.num_stochastic();
    let layout = NoiseLayout {
        inflow: 0..n_h,
        load: n_h..n_h + n_l,
        ncs: n_h + n_l..n_h + n_l + n_r,
    };
    Ok((loads, ncs, layout))
}

/// The entity of each noise-vector entry, in noise order.
fn correlated_entities(
    system: &System,
    loads: &BlockQuantity,
    ncs: &BlockQuantity,
) -> Vec<CorrelatedEntity> {
    let mut entities: Vec<CorrelatedEntity> = system
        .hydros()
        .iter()
        .map(|h| CorrelatedEntity::Inflow(h.id))
        .collect();
    for (b, bus) in system.buses().iter().enumerate() {
        if loads.noise_index[b].is_some() {
            entities.push(CorrelatedEntity::Load(bus.id));
        }
    }
    for (r, src) in system.non_controllable_sources().iter().enumerate() {
        if ncs.noise_index[r].is_some() {
            entities.push(CorrelatedEntity::Ncs(src.id));
        }
    }
    entities
}

/// Estimated correlation of a fitted model: the pooled matrix, then one per
/// season that has enough residual pairs; each stage takes its season's
/// (index into the matrices), else the pooled one (index 0). `None` without
/// a pooled matrix.
fn estimated_correlation(
    fit: &FitReport,
    horizon: &Horizon,
) -> Option<(Vec<Vec<f64>>, Vec<usize>)> {
    let pooled = fit.residual_correlation.clone()?;
    let mut matrices = vec![pooled];
    matrices.extend(fit.seasonal_correlation.iter().map(|(_, c)| c.clone()));
    let by_stage = horizon
        .stages
        .iter()
        .map(|s| {
            s.season
                .and_then(|season| fit.seasonal_correlation.iter().position(|x| x.0 == season))
                .map_or(0, |i| i + 1)
        })
        .collect();
    Some((matrices, by_stage))
}

/// Openings of each stage (at least 1), no more than the stage's scenarios
/// in `clamp`, the external library training replays (when it has some).
fn stage_openings(system: &System, clamp: Option<&ExternalTable>) -> Vec<usize> {
    system
        .horizon()
        .stages
        .iter()
        .enumerate()
        .map(|(t, s)| {
            let n = s.num_openings.max(1);
            match clamp.and_then(|c| c.counts.get(t)) {
                Some(&c) if c > 0 => n.min(c),
                _ => n,
            }
        })
        .collect()
}

/// `[t][r]` available capacity of each NCS (MW): the stage's bound, else the
/// source's maximum generation.
fn ncs_capacity(system: &System) -> Vec<f64> {
    let srcs = system.non_controllable_sources();
    let n_stages = system.horizon().stages.len();
    let mut capacity = vec![0.0; n_stages * srcs.len()];
    for t in 0..n_stages {
        for (r, src) in srcs.iter().enumerate() {
            capacity[t * srcs.len() + r] = system
                .bounds()
                .ncs
                .get(t, r)
                .map_or(src.max_generation_mw, |b| b.available_mw);
        }
    }
    capacity
}

/// The lag chain of a study: the transitions of its stages and, per hydro,
/// the accumulator seed from observations inside the first stage's season
/// period before the study starts (a study starting mid-month).
fn build_lag_chain(system: &System, timeline: &Timeline, max_order: usize) -> LagChain {
    let (Some(&first), Some(&stage0)) = (
        timeline.season_periods.first(),
        timeline.stage_dates.first(),
    ) else {
        return LagChain::uniform(system.hydros().len(), max_order, 0);
    };
    let before = Period {
        start: first.start,
        end: stage0.start.min(first.end),
    };
    let obs = &system.initial_conditions().recent_observations;
    let history = &system.scenarios().inflow_history;
    LagChain::build(
        system.horizon(),
        timeline,
        system.hydros().len(),
        max_order,
        |h| {
            if before.days() == 0 || first.days() == 0 {
                return (0.0, 0.0);
            }
            let (recent, past) = hydro_records(obs, history, system.hydros()[h].id);
            let covered = |r: &[(Period, f64)]| r.iter().any(|(p, _)| p.overlap_days(&before) > 0);
            let records = if covered(&recent) { recent } else { past };
            let Some(mean) = average_over(records.iter().copied(), &before) else {
                return (0.0, 0.0);
            };
            let days: i64 = records.iter().map(|(p, _)| p.overlap_days(&before)).sum();
            let share = days.min(before.days()) as f64 / first.days() as f64;
            tracing::debug!(
                hydro = system.hydros()[h].id.0,
                share,
                "the study starts inside a season period: observations seed the lag accumulator"
            );
            (mean * share, share)
        },
    )
}
