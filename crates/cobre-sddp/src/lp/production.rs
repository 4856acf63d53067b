//! How each hydro turns water into power at each stage: a constant
//! productivity, or FPHA hyperplanes (precomputed or fitted from the
//! geometry), resolved once for the whole horizon (docs/formulation.md §9).

use super::fpha_fit::{fit_planes, FphaFit, Plane, TailraceSource};
use crate::SddpError;
use cobre_core::hydro_models::{
    FphaConfig, FphaSource, GeometryPoint, ProductionModelKind, ProductionModelSelection,
    ReferenceVolume, TailraceFamily,
};
use cobre_core::{Hydro, HydroId, Stage, System};

/// Planes fitted so far: `(hydro, model entry, downstream level bits, planes)`
/// (stages sharing an entry and a downstream level share one fit).
type Fitted = Vec<(usize, usize, Option<u64>, Option<FphaFit>)>;

/// Share of the operating range of the reference volume when no entry gives
/// one (0.18's default).
pub const DEFAULT_REFERENCE_FRACTION: f64 = 0.65;

/// The geometry points of a hydro, sorted by volume.
fn geometry_of(system: &System, hydro: HydroId) -> Vec<GeometryPoint> {
    system
        .hydro_models()
        .geometry
        .iter()
        .filter(|g| g.hydro == hydro)
        .copied()
        .collect()
}

/// Reference volume (hm³) of hydro `h` at `stage`: the `reference_volume`
/// of the production-model entry covering the stage (absolute, or a
/// fraction of the operating range), else 65 % of the range.
#[must_use]
pub fn reference_volume_hm3(system: &System, h: usize, stage: &Stage) -> Option<f64> {
    let hydro = system.hydros().get(h)?;
    let given = match model_at(system, h, stage) {
        Some((
            _,
            ProductionModelKind::Fpha {
                reference_volume, ..
            }
            | ProductionModelKind::LinearizedHead {
                reference_volume, ..
            },
        )) => *reference_volume,
        _ => None,
    };
    let (lo, hi) = (hydro.min_storage_hm3, hydro.max_storage_hm3);
    Some(match given {
        Some(ReferenceVolume::Hm3(v)) => v,
        Some(ReferenceVolume::Percentile(p)) => lo + p * (hi - lo),
        None => lo + DEFAULT_REFERENCE_FRACTION * (hi - lo),
    })
}

/// Piecewise-linear forebay level (m) of a geometry table at `v`, clamped.
#[must_use]
pub fn forebay_level(geometry: &[GeometryPoint], v: f64) -> Option<f64> {
    let first = geometry.first()?;
    let last = geometry.last()?;
    if geometry.len() == 1 || v <= first.volume_hm3 {
        return Some(first.height_m);
    }
    if v >= last.volume_hm3 {
        return Some(last.height_m);
    }
    let i = geometry
        .partition_point(|p| p.volume_hm3 <= v)
        .clamp(1, geometry.len() - 1);
    let (a, b) = (geometry.get(i - 1)?, geometry.get(i)?);
    let dv = b.volume_hm3 - a.volume_hm3;
    Some(if dv > 0.0 {
        a.height_m + (b.height_m - a.height_m) * (v - a.volume_hm3) / dv
    } else {
        b.height_m
    })
}

/// The forebay level (m) of the plant `hydro` discharges into, at its
/// reference volume for `stage`: the backwater level keying `hydro`'s
/// tailrace families. `None` without a downstream plant or its geometry.
fn downstream_level(system: &System, hydro: &Hydro, stage: &Stage) -> Option<f64> {
    let d = hydro.downstream?;
    let pos = system.hydros().iter().position(|x| x.id == d)?;
    let geometry = geometry_of(system, d);
    forebay_level(&geometry, reference_volume_hm3(system, pos, stage)?)
}

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
    /// The FPHA fits computed from geometry (`None`: a degenerate plant).
    fits: Vec<Option<FphaFit>>,
    /// `[stage][hydro]`: the fit in `fits` the model of that stage uses.
    fit_of: Vec<Vec<Option<usize>>>,
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
        let mut fitted: Fitted = Vec::new();
        let mut per_stage = Vec::with_capacity(system.num_stages());
        let mut fit_of = Vec::with_capacity(system.num_stages());
        for stage in &system.horizon().stages {
            let mut row = Vec::with_capacity(system.hydros().len());
            let mut fits = Vec::with_capacity(system.hydros().len());
            for h in 0..system.hydros().len() {
                let mut used = None;
                row.push(resolve_one(system, h, stage, &mut fitted, &mut used)?);
                fits.push(used);
            }
            per_stage.push(row);
            fit_of.push(fits);
        }
        Ok(Self {
            per_stage,
            fits: fitted.into_iter().map(|(_, _, _, fit)| fit).collect(),
            fit_of,
        })
    }

    /// The FPHA fit computed from geometry that hydro `h` uses at stage `t`
    /// (`None` for other models and for degenerate plants).
    #[must_use]
    pub fn computed_fit(&self, t: usize, h: usize) -> Option<&FphaFit> {
        let i = self.fit_of.get(t)?.get(h).copied().flatten()?;
        self.fits.get(i)?.as_ref()
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
    fitted: &mut Fitted,
    used: &mut Option<usize>,
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
            return fpha(system, h, stage, entry, config, fitted, used);
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
    fitted: &mut Fitted,
    used: &mut Option<usize>,
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
            let families: Vec<&TailraceFamily> = system
                .hydro_models()
                .tailrace_families
                .iter()
                .filter(|f| f.hydro == hydro.id)
                .collect();
            let level = if families.is_empty() {
                None
            } else {
                downstream_level(system, hydro, stage)
            };
            let key = level.map(f64::to_bits);
            if let Some(i) = fitted
                .iter()
                .position(|f| f.0 == h && f.1 == entry && f.2 == key)
            {
                *used = Some(i);
                fitted[i]
                    .3
                    .as_ref()
                    .map(|f| f.planes.clone())
                    .unwrap_or_default()
            } else {
                let geometry = geometry_of(system, hydro.id);
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
                let tailrace = if families.is_empty() {
                    TailraceSource::Entity(hydro.tailrace.as_ref())
                } else {
                    TailraceSource::Families {
                        families: &families,
                        downstream_level_m: level,
                    }
                };
                let fit = fit_planes(hydro, config, &geometry, mean, tailrace);
                match &fit {
                    Some(f) => tracing::info!(
                        hydro = hydro.id.0,
                        planes = f.planes.len(),
                        "FPHA planes fitted from the reservoir geometry"
                    ),
                    None => tracing::warn!(
                        hydro = hydro.id.0,
                        "degenerate plant (no geometry, turbine or generation capacity, or no \
                         production on the fitting grid): FPHA produces nothing"
                    ),
                }
                let planes = fit.as_ref().map(|f| f.planes.clone()).unwrap_or_default();
                *used = Some(fitted.len());
                fitted.push((h, entry, key, fit));
                planes
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
