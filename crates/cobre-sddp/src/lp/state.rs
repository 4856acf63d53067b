//! The state prefix of a stage LP: outgoing storage, incoming lags, stage
//! inflow, incoming storage, θ, and the fixing and inflow rows whose duals
//! are the cut coefficients.

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
    ctx.layout.lags = b.add_cols(n * l_max, f64::NEG_INFINITY, f64::INFINITY, 0.0);
    ctx.layout.inflow = b.add_cols(n, f64::NEG_INFINITY, f64::INFINITY, 0.0);
    ctx.layout.storage_in = b.add_cols(n, f64::NEG_INFINITY, f64::INFINITY, 0.0);
    let (theta_upper, theta_cost) = if ctx.last_stage {
        (0.0, 0.0)
    } else {
        (f64::INFINITY, ctx.discount)
    };
    ctx.layout.theta = b.add_col(0.0, theta_upper, theta_cost);

    ctx.layout.row_storage_fix = b.add_rows(n, 0.0, 0.0);
    for h in 0..n {
        b.add_entry(
            ctx.layout.row_storage_fix.at(h),
            ctx.layout.storage_in.at(h),
            1.0,
        );
    }
    ctx.layout.row_lag_fix = b.add_rows(n * l_max, 0.0, 0.0);
    for i in 0..n * l_max {
        b.add_entry(ctx.layout.row_lag_fix.at(i), ctx.layout.lags.at(i), 1.0);
    }
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
    // this stage's lag l − 1.
    let mut out = Vec::with_capacity(n * (1 + l_max));
    out.extend(ctx.layout.storage.range());
    for h in 0..n {
        for l in 0..l_max {
            out.push(if l == 0 {
                ctx.layout.inflow.at(h)
            } else {
                ctx.layout.lags.at(h * l_max + l - 1)
            });
        }
    }
    ctx.layout.state_out_cols = out;
}
