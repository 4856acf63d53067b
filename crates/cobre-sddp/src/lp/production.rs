//! How each hydro turns water into power at each stage: a constant
//! productivity, or FPHA hyperplanes (precomputed or fitted from the
//! geometry), resolved once for the whole horizon (docs/formulation.md §9).

use super::fpha_fit::{fit_planes, Plane};
use crate::SddpError;
use cobre_core::hydro_models::{
    FphaConfig, FphaSource, ProductionModelKind, ProductionModelSelection,
};
use cobre_core::{Stage, System};

/// The production model of one hydro at one stage.
#[derive(Debug, Clone, PartialEq)]
pub enum Production {
    /// `power = ρ · turbined` (MW per m³/s).
    Constant(f64),
    /// `power ≤ γ0 + γv·(v_in + v)/2 + γq·q + γs·s` for every plane.
    Fpha(Vec<Plane>),
}

/// `[stage][hydro]` production models of a study.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductionTable {
    per_stage: Vec<Vec<Production>>,
}

impl ProductionTable {
    /// Resolves every (stage, hydro). Computed FPHA planes are fitted once
    /// per production-model entry and shared by the stages it covers.
    ///
    /// # Errors
    /// [`SddpError::Unsupported`] for the linearised-head model with no
    /// productivity, [`SddpError::InvalidInput`] for a hydro without a
    /// productivity or an FPHA without planes.
    pub fn resolve(system: &System) -> Result<Self, SddpError> {
        let mut fitted: Vec<(usize, usize, Option<Vec<Plane>>)> = Vec::new();
        let mut per_stage = Vec::with_capacity(system.num_stages());
        for stage in &system.horizon().stages {
            let mut row = Vec::with_capacity(system.hydros().len());
            for h in 0..system.hydros().len() {
                row.push(resolve_one(system, h, stage, &mut fitted)?);
            }
            per_stage.push(row);
        }
        Ok(Self { per_stage })
    }

    /// The model of hydro `h` at stage `t`.
    #[must_use]
    pub fn get(&self, t: usize, h: usize) -> Option<&Production> {
        self.per_stage.get(t).and_then(|r| r.get(h))
    }
}

/// The production-model entry of hydro `h` in force at `stage`, with its
/// position in the hydro's list (for caching fitted planes).
fn model_at<'a>(
    system: &'a System,
    h: usize,
    stage: &Stage,
) -> Option<(usize, &'a ProductionModelKind)> {
    let hydro = system.hydros().get(h)?;
    let entry = system
        .hydro_models()
        .production_models
        .iter()
        .find(|m| m.hydro == hydro.id)?;
    match &entry.selection {
        ProductionModelSelection::StageRanges(ranges) => ranges
            .iter()
            .enumerate()
            .find(|(_, r)| r.start_stage <= stage.id && r.end_stage.is_none_or(|e| stage.id <= e))
            .map(|(i, r)| (i, &r.model)),
        ProductionModelSelection::Seasonal { default, seasons } => Some(
            seasons
                .iter()
                .enumerate()
                .find(|(_, (s, _))| stage.season.is_some_and(|ss| ss.0 == *s))
                .map_or((usize::MAX, default), |(i, (_, m))| (i, m)),
        ),
    }
}

fn resolve_one(
    system: &System,
    h: usize,
    stage: &Stage,
    fitted: &mut Vec<(usize, usize, Option<Vec<Plane>>)>,
) -> Result<Production, SddpError> {
    let Some(hydro) = system.hydros().get(h) else {
        return Err(SddpError::invalid(format!("hydro {h}"), "no such hydro"));
    };
    let model = model_at(system, h, stage);
    let given = match model {
        Some((
            _,
            ProductionModelKind::ConstantProductivity {
                productivity_mw_per_m3s,
            }
            | ProductionModelKind::LinearizedHead {
                productivity_mw_per_m3s,
                ..
            },
        )) => *productivity_mw_per_m3s,
        Some((entry, ProductionModelKind::Fpha { config, .. })) => {
            return fpha(system, h, stage, entry, config, fitted);
        }
        None => None,
    };
    if let Some(p) = given {
        return Ok(Production::Constant(p));
    }
    let table = &system.hydro_models().energy_productivity;
    let from_table = table
        .iter()
        .find(|e| e.hydro == hydro.id && e.stage == Some(stage.id))
        .or_else(|| {
            table
                .iter()
                .find(|e| e.hydro == hydro.id && e.stage.is_none())
        })
        .and_then(|e| e.equivalent_productivity);
    if let Some(p) = from_table {
        return Ok(Production::Constant(p));
    }
    if hydro.max_turbined_m3s > 0.0 && hydro.max_generation_mw.is_finite() {
        tracing::debug!(
            hydro = hydro.id.0,
            "no productivity given: using max generation / max turbined flow"
        );
        return Ok(Production::Constant(
            hydro.max_generation_mw / hydro.max_turbined_m3s,
        ));
    }
    Err(SddpError::invalid(
        format!("{}", hydro.id),
        "no productivity: give a constant_productivity model or an equivalent productivity",
    ))
}

fn fpha(
    system: &System,
    h: usize,
    stage: &Stage,
    entry: usize,
    config: &FphaConfig,
    fitted: &mut Vec<(usize, usize, Option<Vec<Plane>>)>,
) -> Result<Production, SddpError> {
    let Some(hydro) = system.hydros().get(h) else {
        return Err(SddpError::invalid(format!("hydro {h}"), "no such hydro"));
    };
    let planes = match config.source {
        FphaSource::Precomputed => {
            let all = &system.hydro_models().fpha_planes;
            let of_stage: Vec<_> = all
                .iter()
                .filter(|p| p.hydro == hydro.id && p.stage == Some(stage.id))
                .collect();
            let chosen = if of_stage.is_empty() {
                all.iter()
                    .filter(|p| p.hydro == hydro.id && p.stage.is_none())
                    .collect()
            } else {
                of_stage
            };
            chosen
                .into_iter()
                .map(|p| Plane {
                    gamma_0: p.kappa.unwrap_or(1.0) * p.gamma_0,
                    gamma_v: p.gamma_v,
                    gamma_q: p.gamma_q,
                    gamma_s: p.gamma_s,
                })
                .collect()
        }
        FphaSource::Computed => {
            if let Some((_, _, planes)) = fitted.iter().find(|f| f.0 == h && f.1 == entry) {
                planes.clone().unwrap_or_default()
            } else {
                let geometry: Vec<_> = system
                    .hydro_models()
                    .geometry
                    .iter()
                    .filter(|g| g.hydro == hydro.id)
                    .copied()
                    .collect();
                let history: Vec<f64> = system
                    .scenarios()
                    .inflow_history
                    .iter()
                    .filter(|o| o.hydro == hydro.id)
                    .map(|o| o.value_m3s)
                    .collect();
                #[allow(clippy::cast_precision_loss)]
                let mean = (!history.is_empty())
                    .then(|| history.iter().sum::<f64>() / history.len() as f64);
                let planes = fit_planes(hydro, config, &geometry, mean);
                match &planes {
                    Some(p) => tracing::info!(
                        hydro = hydro.id.0,
                        planes = p.len(),
                        "FPHA planes fitted from the reservoir geometry"
                    ),
                    None => tracing::warn!(
                        hydro = hydro.id.0,
                        "degenerate plant (no turbine or generation capacity, or < 2 geometry \
                         points): FPHA produces nothing"
                    ),
                }
                fitted.push((h, entry, planes.clone()));
                planes.unwrap_or_default()
            }
        }
    };
    if planes.is_empty() && matches!(config.source, FphaSource::Precomputed) {
        return Err(SddpError::invalid(
            format!("{}", hydro.id),
            format!(
                "FPHA model at stage {} has no hyperplane in system/fpha_hyperplanes.parquet",
                stage.id
            ),
        ));
    }
    if planes.is_empty() {
        return Ok(Production::Constant(0.0));
    }
    Ok(Production::Fpha(planes))
}
