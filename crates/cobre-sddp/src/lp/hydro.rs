//! Hydro plants: turbined and spilled flow, constant-productivity
//! generation, the water balance with the hm³ ↔ m³/s conversion, soft
//! turbined/generation/outflow bounds with priced slacks, the inflow
//! non-negativity slack and the withdrawal slacks (docs/formulation.md §6).
//!
//! Water balance of hydro `h` (hm³), with `c_k = 0.0036·τ_k` and
//! `ζ = Σ_k c_k`:
//! `v_h − v_in_h − ζ·z_h + Σ_k c_k (q_hk + s_hk) − Σ_{u ∈ up(h)} Σ_k c_k (q_uk + s_uk)
//!  − ζ·σ^inf_h − ζ·ω⁻_h + ζ·ω⁺_h = −ζ·W_h`.

use super::layout::{CostCategory, SlackKind, SoftBound};
use super::BuildCtx;
use crate::SddpError;
use cobre_core::hydro_models::{ProductionModelKind, ProductionModelSelection};
use cobre_core::{Stage, System};

/// hm³ per (m³/s · h).
pub const HM3_PER_M3S_HOUR: f64 = 0.0036;

/// Productivity (MW per m³/s) of hydro `h` at a stage.
///
/// # Errors
/// [`SddpError::Unsupported`] for a production model the LP does not model yet.
pub fn productivity(system: &System, h: usize, stage: &Stage) -> Result<f64, SddpError> {
    let Some(hydro) = system.hydros().get(h) else {
        return Err(SddpError::invalid(format!("hydro {h}"), "no such hydro"));
    };
    let model = system
        .hydro_models()
        .production_models
        .iter()
        .find(|m| m.hydro == hydro.id)
        .and_then(|m| match &m.selection {
            ProductionModelSelection::StageRanges(ranges) => ranges
                .iter()
                .find(|r| r.start_stage <= stage.id && r.end_stage.is_none_or(|e| stage.id <= e))
                .map(|r| &r.model),
            ProductionModelSelection::Seasonal { default, seasons } => Some(
                seasons
                    .iter()
                    .find(|(s, _)| stage.season.is_some_and(|ss| ss.0 == *s))
                    .map_or(default, |(_, m)| m),
            ),
        });
    let given = match model {
        Some(
            ProductionModelKind::ConstantProductivity {
                productivity_mw_per_m3s,
            }
            | ProductionModelKind::LinearizedHead {
                productivity_mw_per_m3s,
                ..
            },
        ) => *productivity_mw_per_m3s,
        Some(ProductionModelKind::Fpha { .. }) => {
            return Err(SddpError::Unsupported {
                feature: format!("FPHA production model ({})", hydro.id),
            })
        }
        None => None,
    };
    if let Some(p) = given {
        return Ok(p);
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
        return Ok(p);
    }
    if hydro.max_turbined_m3s > 0.0 && hydro.max_generation_mw.is_finite() {
        tracing::debug!(
            hydro = hydro.id.0,
            "no productivity given: using max generation / max turbined flow"
        );
        return Ok(hydro.max_generation_mw / hydro.max_turbined_m3s);
    }
    Err(SddpError::invalid(
        format!("{}", hydro.id),
        "no productivity: give a constant_productivity model or an equivalent productivity",
    ))
}

/// Adds hydro columns, water balance rows and soft-bound rows.
///
/// # Errors
/// From [`productivity`].
pub(super) fn add_hydros(ctx: &mut BuildCtx<'_>, stage: &Stage) -> Result<(), SddpError> {
    let t = ctx.stage;
    let n = ctx.layout.n_hydros;
    let nk = ctx.layout.n_blocks;
    let system = ctx.system;
    let scale = ctx.cost_scale;
    let hours = ctx.layout.block_hours.clone();
    let zeta: f64 = hours.iter().map(|h| HM3_PER_M3S_HOUR * h).sum();
    let total_hours: f64 = hours.iter().sum();

    ctx.layout.turbined = ctx.builder.add_cols(nk * n, 0.0, 0.0, 0.0);
    ctx.layout.spillage = ctx.builder.add_cols(nk * n, 0.0, f64::INFINITY, 0.0);
    ctx.layout.row_water = ctx.builder.add_rows(n, 0.0, 0.0);
    ctx.layout.productivity = vec![0.0; n];
    ctx.layout.hydro_bus = vec![0; n];

    for (h, hydro) in system.hydros().iter().enumerate() {
        let rho = productivity(system, h, stage)?;
        let bus = hydro
            .main_bus()
            .and_then(|b| system.bus_position(b))
            .ok_or_else(|| SddpError::invalid(format!("{}", hydro.id), "no unit group bus"))?;
        ctx.layout.productivity[h] = rho;
        ctx.layout.hydro_bus[h] = bus;
        let hb = system.bounds().hydro.get(t, h).copied().ok_or_else(|| {
            SddpError::invalid(format!("{}", hydro.id), "no resolved bounds for the stage")
        })?;
        let pen = system
            .penalties()
            .hydro(t, h)
            .copied()
            .unwrap_or(hydro.penalties);
        let active = hydro.service.is_active(stage.id);
        let mut q_max = hb.max_turbined_m3s;
        if rho > 0.0 && hb.max_generation_mw.is_finite() {
            q_max = q_max.min(hb.max_generation_mw / rho);
        }
        if !active {
            q_max = 0.0;
        }

        // Water balance.
        let wrow = ctx.layout.row_water.at(h);
        let rhs = -zeta * hb.water_withdrawal_m3s;
        ctx.builder.set_row_bounds(wrow, rhs, rhs);
        ctx.builder.add_entry(wrow, ctx.layout.storage.at(h), 1.0);
        ctx.builder
            .add_entry(wrow, ctx.layout.storage_in.at(h), -1.0);
        ctx.builder.add_entry(wrow, ctx.layout.inflow.at(h), -zeta);

        for (k, &tau) in hours.iter().enumerate() {
            let c = HM3_PER_M3S_HOUR * tau;
            let q = ctx.layout.turbined_col(k, h);
            let s = ctx.layout.spillage_col(k, h);
            ctx.builder.set_col_bounds(q, 0.0, q_max.max(0.0));
            ctx.builder.set_cost(q, pen.turbined_cost * tau / scale);
            ctx.builder.set_cost(s, pen.spillage_cost * tau / scale);
            ctx.categories.push((q, CostCategory::Turbined));
            ctx.categories.push((s, CostCategory::Spillage));
            ctx.builder.add_entry(wrow, q, c);
            ctx.builder.add_entry(wrow, s, c);
            if let Some(d) = system.cascade().downstream.get(h).copied().flatten() {
                let drow = ctx.layout.row_water.at(d);
                ctx.builder.add_entry(drow, q, -c);
                ctx.builder.add_entry(drow, s, -c);
            }
            ctx.builder.add_entry(ctx.layout.load_row(k, bus), q, rho);

            // Soft bounds: `coef·x + σ ≥ min` or `q + s − σ ≤ max`.
            let mut soft = |kind: SlackKind,
                            cost: f64,
                            lower: f64,
                            upper: f64,
                            terms: &[(usize, f64)],
                            sign: f64| {
                let row = ctx.builder.add_row(lower, upper);
                for &(col, coef) in terms {
                    ctx.builder.add_entry(row, col, coef);
                }
                let col = ctx.builder.add_col(0.0, f64::INFINITY, cost * tau / scale);
                ctx.builder.add_entry(row, col, sign);
                ctx.categories.push((col, CostCategory::HydroViolation));
                ctx.layout.soft_bounds.push(SoftBound {
                    kind,
                    hydro: h,
                    block: k,
                    col,
                    row,
                });
            };
            if active && hb.min_turbined_m3s > 0.0 {
                let cost = pen.turbined_violation_below_cost;
                soft(
                    SlackKind::TurbinedBelow,
                    cost,
                    hb.min_turbined_m3s,
                    f64::INFINITY,
                    &[(q, 1.0)],
                    1.0,
                );
            }
            if active && hb.min_generation_mw > 0.0 {
                let cost = pen.generation_violation_below_cost;
                soft(
                    SlackKind::GenerationBelow,
                    cost,
                    hb.min_generation_mw,
                    f64::INFINITY,
                    &[(q, rho)],
                    1.0,
                );
            }
            if hb.min_outflow_m3s > 0.0 {
                let cost = pen.outflow_violation_below_cost;
                soft(
                    SlackKind::OutflowBelow,
                    cost,
                    hb.min_outflow_m3s,
                    f64::INFINITY,
                    &[(q, 1.0), (s, 1.0)],
                    1.0,
                );
            }
            if let Some(max_out) = hb.max_outflow_m3s.filter(|m| m.is_finite()) {
                let cost = pen.outflow_violation_above_cost;
                soft(
                    SlackKind::OutflowAbove,
                    cost,
                    f64::NEG_INFINITY,
                    max_out,
                    &[(q, 1.0), (s, 1.0)],
                    -1.0,
                );
            }
        }
    }

    // Stage-level slacks of the water balance: inflow non-negativity
    // (adds water) and the two withdrawal slacks (realised withdrawal is
    // `W − ω⁻ + ω⁺`, never changing sign), all priced with the stage hours.
    if ctx.inflow_penalty {
        ctx.layout.inflow_slack = ctx.builder.add_cols(n, 0.0, f64::INFINITY, 0.0);
    }
    ctx.layout.withdrawal_under = ctx.builder.add_cols(n, 0.0, 0.0, 0.0);
    ctx.layout.withdrawal_over = ctx.builder.add_cols(n, 0.0, 0.0, 0.0);
    for (h, hydro) in system.hydros().iter().enumerate() {
        let pen = system
            .penalties()
            .hydro(t, h)
            .copied()
            .unwrap_or(hydro.penalties);
        let wrow = ctx.layout.row_water.at(h);
        if ctx.inflow_penalty {
            let col = ctx.layout.inflow_slack.at(h);
            ctx.builder
                .set_cost(col, pen.inflow_nonnegativity_cost * total_hours / scale);
            ctx.builder.add_entry(wrow, col, -zeta);
            ctx.categories.push((col, CostCategory::InflowPenalty));
        }
        let w = system
            .bounds()
            .hydro
            .get(t, h)
            .map_or(0.0, |hb| hb.water_withdrawal_m3s);
        let (under_ub, over_ub) = if w > 0.0 {
            (w, f64::INFINITY)
        } else if w < 0.0 {
            (f64::INFINITY, -w)
        } else {
            (0.0, 0.0)
        };
        let under = ctx.layout.withdrawal_under.at(h);
        let over = ctx.layout.withdrawal_over.at(h);
        ctx.builder.set_col_bounds(under, 0.0, under_ub);
        ctx.builder.set_col_bounds(over, 0.0, over_ub);
        ctx.builder.set_cost(
            under,
            pen.water_withdrawal_violation_neg_cost * total_hours / scale,
        );
        ctx.builder.set_cost(
            over,
            pen.water_withdrawal_violation_pos_cost * total_hours / scale,
        );
        ctx.builder.add_entry(wrow, under, -zeta);
        ctx.builder.add_entry(wrow, over, zeta);
        ctx.categories
            .push((under, CostCategory::WithdrawalViolation));
        ctx.categories
            .push((over, CostCategory::WithdrawalViolation));
    }
    Ok(())
}
