//! Diversion channels (docs/formulation.md §6.5): per block a diverted
//! flow `u_h ∈ [U_h, Ū_h]` (m³/s) leaves plant `h`'s reservoir and enters
//! the channel's target plant — or leaves the system when the plant has no
//! channel but `hydro_bounds.parquet` lets it divert. It is not part of
//! the plant's outflow (no tailrace effect, no outflow bounds) and is
//! priced `diversion_cost` per m³/s and hour.
//!
//! `U_h`, `Ū_h` are the `min/max_diversion_m3s` of `hydro_bounds.parquet`
//! in force at the block (a per-block row overrides the stage's), else the
//! channel's `max_flow_m3s`; a block with `Ū_h = 0` (or a plant out of
//! service) gets no column.

use super::hydro::{hydro_penalties, HM3_PER_M3S_HOUR};
use super::layout::CostCategory;
use super::BuildCtx;
use cobre_core::Stage;

/// Adds the diverted-flow columns and their water balance entries.
pub(super) fn add_diversions(ctx: &mut BuildCtx<'_>, stage: &Stage) {
    let (t, n, system) = (ctx.stage, ctx.layout.n_hydros, ctx.system);
    let hours = ctx.layout.block_hours.clone();
    ctx.layout.diversion = vec![None; hours.len() * n];
    for (h, hydro) in system.hydros().iter().enumerate() {
        if !hydro.service.is_active(stage.id) {
            continue;
        }
        let pen = hydro_penalties(ctx, h, hydro);
        let target = hydro
            .diversion
            .and_then(|d| system.hydro_position(d.downstream));
        let row = ctx.layout.row_water.at(h);
        for (k, &tau) in hours.iter().enumerate() {
            // The limits of block `k`: the stage values, overridden by a
            // per-block row of `hydro_bounds.parquet`.
            let Some(hb) = system.bounds().hydro_at(t, h, k) else {
                continue;
            };
            let max = hb.max_diversion_m3s.unwrap_or(0.0);
            if max <= 0.0 {
                continue;
            }
            let min = hb.min_diversion_m3s.clamp(0.0, max);
            let c = HM3_PER_M3S_HOUR * tau;
            let u = ctx
                .builder
                .add_col(min, max, pen.diversion_cost * tau / ctx.cost_scale);
            ctx.categories.push((u, CostCategory::Diversion));
            ctx.builder.add_entry(row, u, c);
            if let Some(d) = target {
                ctx.builder.add_entry(ctx.layout.row_water.at(d), u, -c);
            }
            if let Some(slot) = ctx.layout.diversion.get_mut(k * n + h) {
                *slot = Some(u);
            }
        }
    }
}
