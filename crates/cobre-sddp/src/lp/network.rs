//! Buses and lines: the load balance per bus and block, piecewise deficit,
//! excess, and line flows with losses and exchange cost.
//!
//! Line capacities and thermal generation limits are per block (a
//! `block_id` row of the bounds files overrides the stage value of its block).
//!
//! Load balance of bus `b`, block `k` (MW):
//! `Σ generation + Σ_{l→b} (f⁺_l − f⁻_l) − Σ_{b→l} (f⁺_l − f⁻_l) + Σ_s δ_s − ε = load`.
//! Line losses have no LP effect (as in the reference, docs/formulation.md
//! §6.2); both flow directions carry the exchange cost.

use super::layout::CostCategory;
use super::BuildCtx;

/// Adds the load balance rows, deficit, excess and line columns.
pub(super) fn add_network(ctx: &mut BuildCtx<'_>) {
    let t = ctx.stage;
    let stage_id = ctx.stage_id;
    let nb = ctx.layout.n_buses;
    let nk = ctx.layout.n_blocks;
    let system = ctx.system;
    let scale = ctx.cost_scale;

    ctx.layout.row_load = ctx.builder.add_rows(nk * nb, 0.0, 0.0);

    // Deficit segments.
    let mut offset = Vec::with_capacity(nb + 1);
    let mut total = 0;
    for bus in system.buses() {
        offset.push(total);
        total += bus.deficit_segments.len();
    }
    offset.push(total);
    ctx.layout.deficit_offset = offset;
    ctx.layout.deficit = ctx.builder.add_cols(nk * total, 0.0, f64::INFINITY, 0.0);
    for k in 0..nk {
        let hours = ctx.layout.block_hours[k];
        for (b, bus) in system.buses().iter().enumerate() {
            let row = ctx.layout.load_row(k, b);
            let cols = ctx.layout.deficit_cols(k, b);
            for (col, seg) in cols.zip(&bus.deficit_segments) {
                let depth = seg.depth_mw.unwrap_or(f64::INFINITY);
                ctx.builder.set_col_bounds(col, 0.0, depth);
                ctx.builder.set_cost(col, seg.cost_per_mwh * hours / scale);
                ctx.builder.add_entry(row, col, 1.0);
                ctx.categories.push((col, CostCategory::Deficit));
            }
        }
    }

    // Excess.
    ctx.layout.excess = ctx.builder.add_cols(nk * nb, 0.0, f64::INFINITY, 0.0);
    for k in 0..nk {
        let hours = ctx.layout.block_hours[k];
        for b in 0..nb {
            let cost = system
                .penalties()
                .bus(t, b)
                .map_or(0.0, |p| p.excess_cost_per_mwh);
            let col = ctx.layout.excess_col(k, b);
            ctx.builder.set_cost(col, cost * hours / scale);
            ctx.builder.add_entry(ctx.layout.load_row(k, b), col, -1.0);
            ctx.categories.push((col, CostCategory::Excess));
        }
    }

    // Lines.
    let nl = ctx.layout.n_lines;
    ctx.layout.flow_direct = ctx.builder.add_cols(nk * nl, 0.0, f64::INFINITY, 0.0);
    ctx.layout.flow_reverse = ctx.builder.add_cols(nk * nl, 0.0, f64::INFINITY, 0.0);
    let net = system.network();
    for (l, line) in system.lines().iter().enumerate() {
        let active = line.service.is_active(stage_id);
        let exchange = system
            .penalties()
            .line_exchange_cost(t, l)
            .unwrap_or(line.exchange_cost_per_mwh);
        let (Some(&src), Some(&dst)) = (net.line_source.get(l), net.line_target.get(l)) else {
            continue;
        };
        for k in 0..nk {
            let hours = ctx.layout.block_hours[k];
            let (direct, reverse) = match system.bounds().line_at(t, l, k) {
                _ if !active => (0.0, 0.0),
                Some(lb) => (lb.direct_capacity_mw, lb.reverse_capacity_mw),
                None => (line.direct_capacity_mw, line.reverse_capacity_mw),
            };
            let (fp, fm) = ctx.layout.flow_cols(k, l);
            ctx.builder.set_col_bounds(fp, 0.0, direct);
            ctx.builder.set_col_bounds(fm, 0.0, reverse);
            ctx.builder.set_cost(fp, exchange * hours / scale);
            ctx.builder.set_cost(fm, exchange * hours / scale);
            ctx.categories.push((fp, CostCategory::Exchange));
            ctx.categories.push((fm, CostCategory::Exchange));
            let (rs, rt) = (ctx.layout.load_row(k, src), ctx.layout.load_row(k, dst));
            ctx.builder.add_entry(rs, fp, -1.0);
            ctx.builder.add_entry(rt, fp, 1.0);
            ctx.builder.add_entry(rt, fm, -1.0);
            ctx.builder.add_entry(rs, fm, 1.0);
        }
    }
}

/// Adds the thermal generation columns.
pub(super) fn add_thermals(ctx: &mut BuildCtx<'_>) {
    let (t, nk, system) = (ctx.stage, ctx.layout.n_blocks, ctx.system);
    ctx.layout.thermal = ctx
        .builder
        .add_cols(nk * ctx.layout.n_thermals, 0.0, 0.0, 0.0);
    for (j, th) in system.thermals().iter().enumerate() {
        let active = th.service.is_active(ctx.stage_id);
        let Some(&bus) = system.network().thermal_bus.get(j) else {
            continue;
        };
        for k in 0..nk {
            // Per-block rows override the stage's generation limits; the
            // cost is per stage.
            let (lo, hi, cost) = system.bounds().thermal_at(t, j, k).map_or(
                (th.min_generation_mw, th.max_generation_mw, th.cost_per_mwh),
                |tb| (tb.min_generation_mw, tb.max_generation_mw, tb.cost_per_mwh),
            );
            let (lo, hi) = if active { (lo, hi) } else { (0.0, 0.0) };
            let col = ctx.layout.thermal_col(k, j);
            ctx.builder.set_col_bounds(col, lo, hi);
            ctx.builder
                .set_cost(col, cost * ctx.layout.block_hours[k] / ctx.cost_scale);
            ctx.builder.add_entry(ctx.layout.load_row(k, bus), col, 1.0);
            ctx.categories.push((col, CostCategory::Thermal));
        }
    }
}

/// Adds the non-controllable generation columns: `[0, Ā]` (or `[Ā, Ā]`
/// without curtailment), `Ā` patched per solve, priced `−c^curt·H_k`
/// (docs/formulation.md §7: the reference prices the generation, not the
/// curtailment).
pub(super) fn add_ncs(ctx: &mut BuildCtx<'_>) {
    let (t, nk, system) = (ctx.stage, ctx.layout.n_blocks, ctx.system);
    ctx.layout.ncs = ctx.builder.add_cols(nk * ctx.layout.n_ncs, 0.0, 0.0, 0.0);
    ctx.layout.ncs_must_run = system
        .non_controllable_sources()
        .iter()
        .map(|s| !s.allow_curtailment)
        .collect();
    ctx.layout.ncs_active = system
        .non_controllable_sources()
        .iter()
        .map(|s| s.service.is_active(ctx.stage_id))
        .collect();
    for (r, src) in system.non_controllable_sources().iter().enumerate() {
        let cost = system
            .penalties()
            .ncs_curtailment_cost(t, r)
            .unwrap_or(src.curtailment_cost_per_mwh);
        let Some(&bus) = system.network().ncs_bus.get(r) else {
            continue;
        };
        for k in 0..nk {
            let col = ctx.layout.ncs_col(k, r);
            ctx.builder
                .set_cost(col, -cost * ctx.layout.block_hours[k] / ctx.cost_scale);
            ctx.builder.add_entry(ctx.layout.load_row(k, bus), col, 1.0);
            ctx.categories.push((col, CostCategory::Curtailment));
        }
    }
}
