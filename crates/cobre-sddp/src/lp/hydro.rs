//! Hydro plants: turbined and spilled flow, constant-productivity
//! generation, the water balance with the hm³ ↔ m³/s conversion, soft
//! turbined/generation/outflow bounds with priced slacks (per block: a
//! `block_id` row of `hydro_bounds.parquet` overrides its block), the inflow
//! non-negativity slack and the withdrawal slacks (docs/formulation.md §6).
//!
//! Water balance of hydro `h` (hm³), with `c_k = 0.0036·τ_k` and
//! `ζ = Σ_k c_k`:
//! `v_h − v_in_h − ζ·z_h + Σ_k c_k (q_hk + s_hk) − Σ_{u ∈ up(h)} Σ_k c_k (q_uk + s_uk)
//!  − ζ·σ^inf_h − ζ·ω⁻_h + ζ·ω⁺_h = −ζ·W_h`.

use super::layout::{CostCategory, SlackKind, SoftBound};
use super::production::Production;
use super::BuildCtx;
use crate::SddpError;
use cobre_core::Stage;

/// hm³ per (m³/s · h).
pub const HM3_PER_M3S_HOUR: f64 = 0.0036;

/// Adds hydro columns, water balance rows and soft-bound rows; for an FPHA
/// hydro also its generation columns and hyperplane rows
/// `g − (γv/2)·v_in − (γv/2)·v − γq·q − γs·s ≤ γ0` per block and plane.
///
/// # Errors
/// [`SddpError::InvalidInput`] for a hydro without a unit-group bus or
/// resolved bounds.
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
    ctx.layout.fpha_generation = vec![None; nk * n];
    ctx.layout.fpha_rows = vec![super::IndexRange::default(); n];

    for (h, hydro) in system.hydros().iter().enumerate() {
        let production = ctx.production.get(t, h);
        let (rho, planes) = match production {
            Some(Production::Constant(r)) => (*r, None),
            Some(Production::Fpha(p)) => (0.0, Some(p.as_slice())),
            None => (0.0, None),
        };
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
        // A plant whose unit groups sit on several buses generates through
        // its cells (unit_groups.rs); otherwise its one cell's limits
        // (the groups', within the plant's) bound its columns. The plant's
        // limits of block `k` are the stage values overridden by a per-block
        // row of `hydro_bounds.parquet`.
        let block_bounds = |k: usize| system.bounds().hydro_at(t, h, k).unwrap_or(hb);
        let multi = super::unit_groups::is_multi_cell(system, hydro);
        let cp = planes.is_none().then_some(rho);
        let limits: Vec<super::unit_groups::Limits> = (0..nk)
            .map(|k| super::unit_groups::plant_limits(ctx, hydro, k, &block_bounds(k), cp))
            .collect();
        let q_max_at = |k: usize| -> f64 {
            match limits.get(k) {
                Some(lim) if active => lim.max_turbined_m3s,
                _ => 0.0,
            }
        };
        if let Some(planes) = planes.filter(|_| !multi) {
            let first = ctx.builder.num_rows();
            for k in 0..nk {
                let g_max = match limits.get(k) {
                    Some(lim) if active => lim.max_generation_mw,
                    _ => 0.0,
                };
                let g = ctx.builder.add_col(0.0, g_max.max(0.0), 0.0);
                ctx.layout.fpha_generation[k * n + h] = Some(g);
                ctx.builder.add_entry(ctx.layout.load_row(k, bus), g, 1.0);
                let q = ctx.layout.turbined_col(k, h);
                let s = ctx.layout.spillage_col(k, h);
                for p in planes {
                    let row = ctx.builder.add_row(f64::NEG_INFINITY, p.gamma_0);
                    ctx.builder.add_entry(row, g, 1.0);
                    ctx.builder
                        .add_entry(row, ctx.layout.storage_in.at(h), -0.5 * p.gamma_v);
                    ctx.builder
                        .add_entry(row, ctx.layout.storage.at(h), -0.5 * p.gamma_v);
                    ctx.builder.add_entry(row, q, -p.gamma_q);
                    ctx.builder.add_entry(row, s, -p.gamma_s);
                }
            }
            ctx.layout.fpha_rows[h] = super::IndexRange {
                start: first,
                len: ctx.builder.num_rows() - first,
            };
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
            let hb = block_bounds(k);
            ctx.builder.set_col_bounds(q, 0.0, q_max_at(k).max(0.0));
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
            if planes.is_none() && !multi {
                ctx.builder.add_entry(ctx.layout.load_row(k, bus), q, rho);
            }
            let lim = limits.get(k).copied().unwrap_or_default();
            let generation: (usize, f64) = ctx
                .layout
                .fpha_generation_col(k, h)
                .map_or((q, rho), |g| (g, 1.0));

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
            if active && !multi && lim.min_turbined_m3s > 0.0 {
                let cost = pen.turbined_violation_below_cost;
                soft(
                    SlackKind::TurbinedBelow,
                    cost,
                    lim.min_turbined_m3s,
                    f64::INFINITY,
                    &[(q, 1.0)],
                    1.0,
                );
            }
            if active && !multi && lim.min_generation_mw > 0.0 {
                let cost = pen.generation_violation_below_cost;
                soft(
                    SlackKind::GenerationBelow,
                    cost,
                    lim.min_generation_mw,
                    f64::INFINITY,
                    &[generation],
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
        if multi {
            let terms = super::unit_groups::PlantTerms {
                h,
                rho,
                planes,
                hb,
                pen,
                active,
            };
            let q_sum = super::unit_groups::add_cells(ctx, &terms);
            for (k, q_max) in q_sum.iter().enumerate() {
                let q = ctx.layout.turbined_col(k, h);
                ctx.builder.set_col_bounds(q, 0.0, q_max.max(0.0));
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
