//! The state prefix of a stage LP: outgoing storage, incoming lags, stage
//! inflow, incoming storage, θ, and the inflow rows. The incoming-state
//! columns are fixed by their bounds (patched per solve); their reduced
//! costs in the LP as formulated are the cut coefficients (the solver's
//! copy holds them empty, [`super::StateFold`]).

use super::BuildCtx;

/// Adds the state prefix columns and rows.
pub(super) fn add_state_prefix(ctx: &mut BuildCtx<'_>) {
    let n = ctx.layout.n_hydros;
    let l_max = ctx.layout.n_lags;
    let t = ctx.stage;
    let b = &mut ctx.builder;

    ctx.layout.storage = b.add_cols(n, 0.0, f64::INFINITY, 0.0);
    for h in 0..n {
        let (lo, hi) = ctx
            .system
            .bounds()
            .hydro
            .get(t, h)
            .map_or((0.0, f64::INFINITY), |hb| {
                (hb.min_storage_hm3, hb.max_storage_hm3)
            });
        b.set_col_bounds(ctx.layout.storage.at(h), lo, hi);
    }
    // Incoming state: fixed by its bounds to the incoming values at every
    // solve (0 in the template).
    ctx.layout.lags = b.add_cols(n * l_max, 0.0, 0.0, 0.0);
    ctx.layout.inflow = b.add_cols(n, f64::NEG_INFINITY, f64::INFINITY, 0.0);
    ctx.layout.storage_in = b.add_cols(n, 0.0, 0.0, 0.0);
    let (theta_upper, theta_cost) = if ctx.last_stage {
        (0.0, 0.0)
    } else {
        (f64::INFINITY, ctx.discount)
    };
    ctx.layout.theta = b.add_col(0.0, theta_upper, theta_cost);

    ctx.layout.row_inflow = b.add_rows(n, 0.0, 0.0);
    let psi = ctx.scenario.psi(t);
    for h in 0..n {
        let row = ctx.layout.row_inflow.at(h);
        b.add_entry(row, ctx.layout.inflow.at(h), 1.0);
        for l in 0..l_max {
            let coef = psi.get(h * l_max + l).copied().unwrap_or(0.0);
            b.add_entry(row, ctx.layout.lags.at(h * l_max + l), -coef);
        }
    }

    // Where the outgoing value of each state component lives: storage in
    // `v_h`; lag 1 of the next stage is this stage's inflow, lag l ≥ 2 is
    // this stage's lag l − 1, an incoming value: a carried component (state
    // index j from incoming index j − 1), which cut rows leave out.
    let mut out = Vec::with_capacity(n * (1 + l_max));
    let mut carried = Vec::with_capacity(n * l_max.saturating_sub(1));
    let mut decided: Vec<usize> = (0..n).collect();
    out.extend(ctx.layout.storage.range());
    for h in 0..n {
        for l in 0..l_max {
            if l == 0 {
                out.push(ctx.layout.inflow.at(h));
                decided.push(n + h * l_max);
            } else {
                out.push(ctx.layout.lags.at(h * l_max + l - 1));
                let j = n + h * l_max + l;
                carried.push((j, j - 1));
            }
        }
    }
    ctx.layout.state_out_cols = out;
    let mut incoming = Vec::with_capacity(n * (1 + l_max));
    incoming.extend(ctx.layout.storage_in.range());
    incoming.extend(ctx.layout.lags.range());
    ctx.layout.state_in_cols = incoming;
    ctx.layout.carried_state = carried;
    ctx.layout.cut_state = decided;
}
