//! Pumping stations (docs/formulation.md §6.6): per block a pumped flow
//! `p_j ∈ [P_j, P̄_j]` (m³/s) leaves the source plant's reservoir, enters
//! the destination plant's and draws `γ_j·p_j` MW from the station's bus.
//! There is no cost of its own: the energy is priced by the bus.
//!
//! The bounds are the station's `flow`, overridden per stage, then per
//! block, by `constraints/pumping_bounds.parquet`; out of service, `[0, 0]`.

use super::hydro::HM3_PER_M3S_HOUR;
use super::BuildCtx;
use cobre_core::constraints::resolve_override;
use cobre_core::Stage;

/// Adds the pumped-flow columns and their water and load balance entries.
pub(super) fn add_pumping(ctx: &mut BuildCtx<'_>, stage: &Stage) {
    let np = ctx.layout.n_pumping;
    let nk = ctx.layout.n_blocks;
    let system = ctx.system;
    ctx.layout.pumping = ctx.builder.add_cols(nk * np, 0.0, 0.0, 0.0);
    let rows = system.pumping_bounds();
    for (j, st) in system.pumping_stations().iter().enumerate() {
        let (Some(src), Some(dst), Some(bus)) = (
            system.hydro_position(st.source),
            system.hydro_position(st.destination),
            system.bus_position(st.bus),
        ) else {
            continue;
        };
        let active = st.service.is_active(stage.id);
        for k in 0..nk {
            let block = i32::try_from(k).unwrap_or(i32::MAX);
            let pick = |base: f64, max: bool| {
                resolve_override(rows, stage.id, block, base, |r| {
                    (r.station == st.id).then_some((
                        r.stage,
                        r.block,
                        if max { r.max_m3s } else { r.min_m3s },
                    ))
                })
            };
            let (lo, hi) = if active {
                let hi = pick(st.max_flow_m3s, true).max(0.0);
                (pick(st.min_flow_m3s, false).clamp(0.0, hi), hi)
            } else {
                (0.0, 0.0)
            };
            let col = ctx.layout.pumping_col(k, j);
            ctx.builder.set_col_bounds(col, lo, hi);
            let c = HM3_PER_M3S_HOUR * ctx.layout.block_hours[k];
            ctx.builder.add_entry(ctx.layout.row_water.at(src), col, c);
            ctx.builder.add_entry(ctx.layout.row_water.at(dst), col, -c);
            ctx.builder
                .add_entry(ctx.layout.load_row(k, bus), col, -st.consumption_mw_per_m3s);
        }
    }
}
