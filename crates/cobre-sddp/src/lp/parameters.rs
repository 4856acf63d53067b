//! Values of the generic-constraint parameters (`generic_parameters.json`)
//! at every stage and block, resolved once for the whole horizon
//! (docs/formulation.md §10.1).
//!
//! Computed parameters follow Cobre 0.18's energy conversion:
//!
//! * `equivalent_productivity` `ρ_eq`: for an FPHA plant (by its
//!   `hydros.json` model) the `equivalent_productivity_mw_per_m3s` of
//!   `hydro_energy_productivity.parquet`, else `ρ_esp · h_eq` with
//!   `h_eq = h_fb(V_ref) − h_tail(Q_ref) − losses` (`V_ref` the reference
//!   volume, `Q_ref` the maximum turbined flow, the plant's own `tailrace`);
//!   for any other plant its constant productivity at the stage;
//! * `accumulated_productivity`: `ρ_eq` summed over the plant and every
//!   plant downstream of it;
//! * the `integrated_*` variants use the forebay level averaged over the
//!   storage range `[V_min, V_max]` instead of `h_fb(V_ref)` (the override,
//!   when given, is kept as is); `max_stored_energy` is the integrated
//!   accumulated productivity times `V_max − V_min`;
//! * `reference_volume`, `reference_turbine` (the parquet
//!   `reference_outflow_m3s`, else the maximum turbined flow),
//!   `min_storage`, `max_storage`, `specific_productivity` (the parquet
//!   value, else the plant's).

use super::production::{forebay_level, reference_volume_hm3, Production, ProductionTable};
use crate::SddpError;
use cobre_core::entities::{HydraulicLosses, HydroGenerationModel, TailraceModel};
use cobre_core::hydro_models::{EnergyProductivity, GeometryPoint};
use cobre_core::{ComputedParameter, Hydro, ParameterValue, Stage, System};

/// `[parameter][stage][block]` values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParameterTable {
    values: Vec<Vec<Vec<f64>>>,
}

impl ParameterTable {
    /// Resolves every parameter of the system at every stage and block.
    ///
    /// # Errors
    /// [`SddpError::InvalidInput`] when a computed quantity has no source
    /// (an FPHA plant without `ρ_eq` or `ρ_esp`, a non-positive equivalent
    /// head, a missing stage or block value).
    pub fn resolve(system: &System, production: &ProductionTable) -> Result<Self, SddpError> {
        let params = system.generic_parameters();
        let mut values: Vec<Vec<Vec<f64>>> = Vec::with_capacity(params.len());
        let energy = EnergyTable::build(system, production, params)?;
        for p in params {
            let mut per_stage = Vec::with_capacity(system.num_stages());
            for (t, stage) in system.horizon().stages.iter().enumerate() {
                let mut per_block = Vec::with_capacity(stage.blocks.len());
                for block in &stage.blocks {
                    per_block.push(value(system, &energy, &values, p, t, stage, block.id)?);
                }
                per_stage.push(per_block);
            }
            values.push(per_stage);
        }
        Ok(Self { values })
    }

    /// The value of parameter `p` at stage `t`, block `k` (1 for an unknown
    /// parameter, which validation rules out).
    #[must_use]
    pub fn get(&self, p: u32, t: usize, k: usize) -> f64 {
        self.values
            .get(p as usize)
            .and_then(|s| s.get(t))
            .and_then(|b| b.get(k).or_else(|| b.first()))
            .copied()
            .unwrap_or(1.0)
    }
}

fn invalid(name: &str, msg: impl Into<String>) -> SddpError {
    SddpError::invalid(format!("generic parameter `{name}`"), msg)
}

/// The value of one parameter (earlier parameters already in `done`, for
/// products, which always come after their factors).
fn value(
    system: &System,
    energy: &EnergyTable,
    done: &[Vec<Vec<f64>>],
    p: &cobre_core::ScalarParameter,
    t: usize,
    stage: &Stage,
    block: i32,
) -> Result<f64, SddpError> {
    let missing = || invalid(&p.name, format!("no value for stage {}", stage.id));
    Ok(match &p.value {
        ParameterValue::Constant(v) => *v,
        ParameterValue::PerStage(v) => v
            .iter()
            .find(|(s, _)| *s == stage.id)
            .map(|x| x.1)
            .ok_or_else(missing)?,
        ParameterValue::Seasonal(v) => v
            .iter()
            .find(|(s, _)| stage.season.is_some_and(|x| x.0 == *s))
            .map(|x| x.1)
            .ok_or_else(missing)?,
        ParameterValue::PerStageBlock(v) => v
            .iter()
            .find(|(s, b, _)| *s == stage.id && *b == block)
            .map(|x| x.2)
            .ok_or_else(missing)?,
        ParameterValue::Computed(c) => energy.computed(system, *c, t, stage)?,
        ParameterValue::Product(parts) => {
            let k = stage.blocks.iter().position(|b| b.id == block).unwrap_or(0);
            parts
                .iter()
                .map(|&i| {
                    done.get(i as usize)
                        .and_then(|s| s.get(t))
                        .and_then(|b| b.get(k))
                        .copied()
                        .ok_or_else(|| invalid(&p.name, "a factor is not resolved before it"))
                })
                .product::<Result<f64, _>>()?
        }
    })
}

/// Per `(hydro, stage)` own terms of the energy conversion, for the hydros
/// some computed parameter needs (its own, or one upstream of it).
struct EnergyTable {
    /// `[hydro][stage]` `ρ_eq` (NaN: not needed).
    own: Vec<Vec<f64>>,
    /// `[hydro][stage]` integrated `ρ_eq`.
    mean: Vec<Vec<f64>>,
}

/// The row of `hydro_energy_productivity.parquet` for a hydro at a stage:
/// the stage's own row, else the all-stage row.
fn productivity_row<'a>(
    system: &'a System,
    hydro: &Hydro,
    stage: &Stage,
) -> (
    Option<&'a EnergyProductivity>,
    Option<&'a EnergyProductivity>,
) {
    let rows = &system.hydro_models().energy_productivity;
    let of_stage = rows
        .iter()
        .find(|e| e.hydro == hydro.id && e.stage == Some(stage.id));
    let all = rows
        .iter()
        .find(|e| e.hydro == hydro.id && e.stage.is_none());
    (of_stage, all)
}

fn tailrace_level(model: Option<&TailraceModel>, q: f64) -> f64 {
    match model {
        None => 0.0,
        Some(TailraceModel::Polynomial(c)) => c.iter().rev().fold(0.0, |acc, &ci| acc * q + ci),
        Some(TailraceModel::Piecewise(points)) => {
            let (Some(first), Some(last)) = (points.first(), points.last()) else {
                return 0.0;
            };
            if points.len() == 1 || q <= first.0 {
                return first.1;
            }
            if q >= last.0 {
                return last.1;
            }
            let i = points
                .partition_point(|p| p.0 <= q)
                .clamp(1, points.len() - 1);
            let (a, b) = (points[i - 1], points[i]);
            if b.0 > a.0 {
                a.1 + (b.1 - a.1) * (q - a.0) / (b.0 - a.0)
            } else {
                b.1
            }
        }
    }
}

/// Equivalent head `h_fb − h_tail(Q_ref) − losses` for a forebay level.
fn equivalent_head(hydro: &Hydro, forebay: f64, q_ref: f64) -> f64 {
    let tail = tailrace_level(hydro.tailrace.as_ref(), q_ref);
    let gross = forebay - tail;
    let loss = match hydro.hydraulic_losses {
        None => 0.0,
        Some(HydraulicLosses::Factor(f)) => f * gross,
        Some(HydraulicLosses::ConstantMeters(m)) => m,
    };
    gross - loss
}

/// The forebay level averaged over `[lo, hi]` (the integral of the
/// piecewise-linear curve over the range, divided by its width).
fn mean_forebay(geometry: &[GeometryPoint], lo: f64, hi: f64) -> Option<f64> {
    let first = geometry.first()?;
    let last = geometry.last()?;
    let lo = lo.clamp(first.volume_hm3, last.volume_hm3);
    let hi = hi.clamp(first.volume_hm3, last.volume_hm3);
    if geometry.len() == 1 || hi <= lo {
        return forebay_level(geometry, lo);
    }
    // Breakpoints of the curve inside (lo, hi), with both ends.
    let mut xs = vec![lo];
    xs.extend(
        geometry
            .iter()
            .map(|p| p.volume_hm3)
            .filter(|v| *v > lo && *v < hi),
    );
    xs.push(hi);
    let mut integral = 0.0;
    for w in xs.windows(2) {
        let (a, b) = (w[0], w[1]);
        integral += 0.5 * (forebay_level(geometry, a)? + forebay_level(geometry, b)?) * (b - a);
    }
    Some(integral / (hi - lo))
}

impl EnergyTable {
    fn build(
        system: &System,
        production: &ProductionTable,
        params: &[cobre_core::ScalarParameter],
    ) -> Result<Self, SddpError> {
        let n = system.hydros().len();
        let ns = system.num_stages();
        // Hydros whose own terms are needed: every hydro downstream of (and
        // including) one that a productivity parameter names.
        let mut needed = vec![false; n];
        for p in params {
            if let ParameterValue::Computed(c) = &p.value {
                let mut at = system.hydro_position(c.hydro());
                while let Some(h) = at {
                    if needed.get(h).copied().unwrap_or(true) {
                        break;
                    }
                    needed[h] = true;
                    at = system.cascade().downstream.get(h).copied().flatten();
                }
            }
        }
        let mut own = vec![vec![f64::NAN; ns]; n];
        let mut mean = vec![vec![f64::NAN; ns]; n];
        for (h, hydro) in system.hydros().iter().enumerate() {
            if !needed[h] {
                continue;
            }
            let geometry: Vec<GeometryPoint> = system
                .hydro_models()
                .geometry
                .iter()
                .filter(|g| g.hydro == hydro.id)
                .copied()
                .collect();
            for (t, stage) in system.horizon().stages.iter().enumerate() {
                let (of_stage, all) = productivity_row(system, hydro, stage);
                let given = |f: fn(&EnergyProductivity) -> Option<f64>| {
                    of_stage.and_then(f).or(all.and_then(f))
                };
                let rho_given = given(|e| e.equivalent_productivity);
                let rho_esp = given(|e| e.specific_productivity).or(hydro.specific_productivity);
                let q_ref = hydro.max_turbined_m3s;
                let v_ref = reference_volume_hm3(system, h, stage).unwrap_or(hydro.min_storage_hm3);
                let name = format!("{}", hydro.id);
                let rho = if hydro.generation_model == HydroGenerationModel::Fpha {
                    match (rho_given, rho_esp, forebay_level(&geometry, v_ref)) {
                        (Some(r), _, _) => r,
                        (None, Some(esp), Some(fb)) => {
                            let head = equivalent_head(hydro, fb, q_ref);
                            if head <= 0.0 {
                                return Err(SddpError::invalid(name, format!(
                                    "non-positive equivalent head {head} m at the reference volume: its equivalent productivity cannot be computed")));
                            }
                            esp * head
                        }
                        _ => {
                            return Err(SddpError::invalid(name, format!(
                                "an FPHA plant needs `equivalent_productivity_mw_per_m3s`, or a specific productivity and geometry, for its equivalent productivity at stage {}",
                                stage.id)))
                        }
                    }
                } else {
                    match production.get(t, h) {
                        Some(Production::Constant(r)) => *r,
                        _ => 0.0,
                    }
                };
                let integrated = match (rho_given, rho_esp, geometry.is_empty()) {
                    (None, Some(esp), false) if hydro.max_storage_hm3 > hydro.min_storage_hm3 => {
                        let fb =
                            mean_forebay(&geometry, hydro.min_storage_hm3, hydro.max_storage_hm3)
                                .unwrap_or(0.0);
                        let head = equivalent_head(hydro, fb, q_ref);
                        if head <= 0.0 {
                            return Err(SddpError::invalid(name, format!(
                                "non-positive mean equivalent head {head} m over the storage range")));
                        }
                        esp * head
                    }
                    _ => rho,
                };
                own[h][t] = rho;
                mean[h][t] = integrated;
            }
        }
        Ok(Self { own, mean })
    }

    /// Sum of `grid[·][t]` over `h` and every plant downstream of it.
    fn accumulated(system: &System, grid: &[Vec<f64>], h: usize, t: usize) -> f64 {
        let mut total = 0.0;
        let mut at = Some(h);
        let mut guard = 0;
        while let Some(x) = at {
            total += grid.get(x).and_then(|r| r.get(t)).copied().unwrap_or(0.0);
            at = system.cascade().downstream.get(x).copied().flatten();
            guard += 1;
            if guard > grid.len() {
                break;
            }
        }
        total
    }

    fn computed(
        &self,
        system: &System,
        c: ComputedParameter,
        t: usize,
        stage: &Stage,
    ) -> Result<f64, SddpError> {
        let hid = c.hydro();
        let h = system
            .hydro_position(hid)
            .ok_or_else(|| SddpError::invalid(format!("{hid}"), "no such hydro"))?;
        let hydro = &system.hydros()[h];
        let (of_stage, all) = productivity_row(system, hydro, stage);
        let given =
            |f: fn(&EnergyProductivity) -> Option<f64>| of_stage.and_then(f).or(all.and_then(f));
        let at = |grid: &[Vec<f64>]| grid.get(h).and_then(|r| r.get(t)).copied().unwrap_or(0.0);
        Ok(match c {
            ComputedParameter::EquivalentProductivity(_) => at(&self.own),
            ComputedParameter::AccumulatedProductivity(_) => {
                Self::accumulated(system, &self.own, h, t)
            }
            ComputedParameter::IntegratedEquivalentProductivity(_) => at(&self.mean),
            ComputedParameter::IntegratedAccumulatedProductivity(_) => {
                Self::accumulated(system, &self.mean, h, t)
            }
            ComputedParameter::MaxStoredEnergy(_) => {
                Self::accumulated(system, &self.mean, h, t)
                    * (hydro.max_storage_hm3 - hydro.min_storage_hm3)
            }
            ComputedParameter::ReferenceVolume(_) => {
                reference_volume_hm3(system, h, stage).unwrap_or(hydro.min_storage_hm3)
            }
            ComputedParameter::ReferenceTurbine(_) => {
                given(|e| e.reference_outflow_m3s).unwrap_or(hydro.max_turbined_m3s)
            }
            ComputedParameter::MinStorage(_) => hydro.min_storage_hm3,
            ComputedParameter::MaxStorage(_) => hydro.max_storage_hm3,
            ComputedParameter::SpecificProductivity(_) => given(|e| e.specific_productivity)
                .or(hydro.specific_productivity)
                .ok_or_else(|| {
                    SddpError::invalid(
                        format!("{hid}"),
                        "no specific productivity (hydros.json or hydro_energy_productivity.parquet)",
                    )
                })?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cobre_core::HydroId;

    fn point(v: f64, h: f64) -> GeometryPoint {
        GeometryPoint {
            hydro: HydroId(0),
            volume_hm3: v,
            height_m: h,
            area_km2: 0.0,
        }
    }

    #[test]
    fn mean_forebay_integrates_the_piecewise_linear_curve() {
        let g = [
            point(0.0, 10.0),
            point(100.0, 20.0),
            point(300.0, 50.0),
            point(1000.0, 80.0),
        ];
        let expected = (0.5 * (10.0 + 20.0) * 100.0
            + 0.5 * (20.0 + 50.0) * 200.0
            + 0.5 * (50.0 + 80.0) * 700.0)
            / 1000.0;
        assert!((mean_forebay(&g, -5.0, 5000.0).unwrap() - expected).abs() < 1e-12);
        assert!((mean_forebay(&g, 100.0, 300.0).unwrap() - 35.0).abs() < 1e-12);
        assert_eq!(mean_forebay(&g[..1], 0.0, 50.0), Some(10.0));
    }
}
