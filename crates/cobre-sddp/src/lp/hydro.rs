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

use super::fpha_fit::Plane;
use super::layout::{CostCategory, SlackKind, SoftBound};
use super::production::Production;
use super::unit_groups::Limits;
use super::BuildCtx;
use crate::SddpError;
use cobre_core::{Hydro, HydroPenalties, HydroStageBounds, Stage};

/// hm³ per (m³/s · h).
pub const HM3_PER_M3S_HOUR: f64 = 0.0036;

/// The penalties of hydro `h` at the stage being built: the stage's
/// override, else the plant's own.
pub(super) fn hydro_penalties(ctx: &BuildCtx<'_>, h: usize, hydro: &Hydro) -> HydroPenalties {
    ctx.system
        .penalties()
        .hydro(ctx.stage, h)
        .copied()
        .unwrap_or(hydro.penalties)
}

/// One soft bound of a plant or cell at one block: the row
/// `lower ≤ Σ terms + sign·σ ≤ upper`, relaxed by a slack column `σ ≥ 0`
/// priced `cost` per block hour.
pub(super) struct SoftRow<'t> {
    /// What the slack relaxes.
    pub(super) kind: SlackKind,
    /// Penalty per unit and hour.
    pub(super) cost: f64,
    /// Row lower bound.
    pub(super) lower: f64,
    /// Row upper bound.
    pub(super) upper: f64,
    /// The `(column, coefficient)` entries of the bounded quantity.
    pub(super) terms: &'t [(usize, f64)],
    /// Coefficient of the slack in the row.
    pub(super) sign: f64,
}

/// Adds `soft` for hydro `h` at block `k` (of `tau` hours): its row, its
/// slack column and the [`SoftBound`] that records them.
pub(super) fn add_soft_row(
    ctx: &mut BuildCtx<'_>,
    h: usize,
    k: usize,
    tau: f64,
    soft: &SoftRow<'_>,
) {
    let row = ctx.builder.add_row(soft.lower, soft.upper);
    for &(col, coef) in soft.terms {
        ctx.builder.add_entry(row, col, coef);
    }
    let col = ctx
        .builder
        .add_col(0.0, f64::INFINITY, soft.cost * tau / ctx.cost_scale);
    ctx.builder.add_entry(row, col, soft.sign);
    ctx.categories.push((col, CostCategory::HydroViolation));
    ctx.layout.soft_bounds.push(SoftBound {
        kind: soft.kind,
        hydro: h,
        block: k,
        col,
        row,
    });
}

/// The columns one set of FPHA rows links: generation `g`, turbined `q`
/// and spillage `s` of hydro `h` at one block.
pub(super) struct PlaneColumns {
    /// Hydro position (its storage columns).
    pub(super) h: usize,
    /// Generation column.
    pub(super) g: usize,
    /// Turbined-flow column.
    pub(super) q: usize,
    /// Spillage column.
    pub(super) s: usize,
}

/// Adds one row per plane,
/// `g − share·(γv/2)·v_in − share·(γv/2)·v − γq·q − share·γs·s ≤ share·γ0`
/// (`share` 1 for a whole plant, a cell's capacity share otherwise).
pub(super) fn add_plane_rows(
    ctx: &mut BuildCtx<'_>,
    planes: &[Plane],
    share: f64,
    cols: &PlaneColumns,
) {
    let (v_in, v) = (
        ctx.layout.storage_in.at(cols.h),
        ctx.layout.storage.at(cols.h),
    );
    for pl in planes {
        let row = ctx.builder.add_row(f64::NEG_INFINITY, share * pl.gamma_0);
        ctx.builder.add_entry(row, cols.g, 1.0);
        ctx.builder.add_entry(row, v_in, -0.5 * share * pl.gamma_v);
        ctx.builder.add_entry(row, v, -0.5 * share * pl.gamma_v);
        ctx.builder.add_entry(row, cols.q, -pl.gamma_q);
        ctx.builder.add_entry(row, cols.s, -share * pl.gamma_s);
    }
}

/// What one plant brings to the stage LP, resolved once per stage.
struct Plant<'p> {
    /// Hydro position.
    h: usize,
    /// Constant productivity (0 for FPHA or no model).
    rho: f64,
    /// FPHA planes, if the plant uses them.
    planes: Option<&'p [Plane]>,
    /// Bus position of the plant's main unit group.
    bus: usize,
    /// Stage bounds (before per-block overrides).
    hb: HydroStageBounds,
    /// Penalties in force.
    pen: HydroPenalties,
    /// Whether the plant is in service at the stage.
    active: bool,
    /// Whether its unit groups sit on several buses.
    multi: bool,
    /// Limits of its one cell per block.
    limits: Vec<Limits>,
}

impl<'p> Plant<'p> {
    /// Resolves hydro `h` at the stage being built.
    fn resolve(
        ctx: &BuildCtx<'p>,
        stage: &Stage,
        h: usize,
        hydro: &Hydro,
    ) -> Result<Self, SddpError> {
        let system = ctx.system;
        let t = ctx.stage;
        let production: &'p super::ProductionTable = ctx.production;
        let (rho, planes) = match production.get(t, h) {
            Some(Production::Constant(r)) => (*r, None),
            Some(Production::Fpha(p)) => (0.0, Some(p.as_slice())),
            None => (0.0, None),
        };
        let bus = hydro
            .main_bus()
            .and_then(|b| system.bus_position(b))
            .ok_or_else(|| SddpError::invalid(format!("{}", hydro.id), "no unit group bus"))?;
        let hb = system.bounds().hydro.get(t, h).copied().ok_or_else(|| {
            SddpError::invalid(format!("{}", hydro.id), "no resolved bounds for the stage")
        })?;
        // A plant whose unit groups sit on several buses generates through
        // its cells (unit_groups.rs); otherwise its one cell's limits
        // (the groups', within the plant's) bound its columns.
        let mut plant = Self {
            h,
            rho,
            planes,
            bus,
            hb,
            pen: hydro_penalties(ctx, h, hydro),
            active: hydro.service.is_active(stage.id),
            multi: super::unit_groups::is_multi_cell(system, hydro),
            limits: Vec::new(),
        };
        let cp = planes.is_none().then_some(rho);
        plant.limits = (0..ctx.layout.n_blocks)
            .map(|k| {
                let bounds = plant.block_bounds(ctx, k);
                super::unit_groups::plant_limits(ctx, hydro, k, &bounds, cp)
            })
            .collect();
        Ok(plant)
    }

    /// The plant's limits of block `k`: the stage values overridden by a
    /// per-block row of `hydro_bounds.parquet`.
    fn block_bounds(&self, ctx: &BuildCtx<'_>, k: usize) -> HydroStageBounds {
        ctx.system
            .bounds()
            .hydro_at(ctx.stage, self.h, k)
            .unwrap_or(self.hb)
    }

    /// The one-cell limits of block `k`, zero when out of service.
    fn active_limits(&self, k: usize) -> Option<&Limits> {
        self.limits.get(k).filter(|_| self.active)
    }
}

/// Adds hydro columns, water balance rows and soft-bound rows; for an FPHA
/// hydro also its generation columns and hyperplane rows
/// `g − (γv/2)·v_in − (γv/2)·v − γq·q − γs·s ≤ γ0` per block and plane.
///
/// # Errors
/// [`SddpError::InvalidInput`] for a hydro without a unit-group bus or
/// resolved bounds.
pub(super) fn add_hydros(ctx: &mut BuildCtx<'_>, stage: &Stage) -> Result<(), SddpError> {
    let n = ctx.layout.n_hydros;
    let nk = ctx.layout.n_blocks;
    let hours = ctx.layout.block_hours.clone();
    let zeta: f64 = hours.iter().map(|h| HM3_PER_M3S_HOUR * h).sum();

    ctx.layout.turbined = ctx.builder.add_cols(nk * n, 0.0, 0.0, 0.0);
    ctx.layout.spillage = ctx.builder.add_cols(nk * n, 0.0, f64::INFINITY, 0.0);
    ctx.layout.row_water = ctx.builder.add_rows(n, 0.0, 0.0);
    ctx.layout.productivity = vec![0.0; n];
    ctx.layout.hydro_bus = vec![0; n];
    ctx.layout.fpha_generation = vec![None; nk * n];
    ctx.layout.fpha_rows = vec![super::IndexRange::default(); n];

    let system = ctx.system;
    for (h, hydro) in system.hydros().iter().enumerate() {
        let plant = Plant::resolve(ctx, stage, h, hydro)?;
        ctx.layout.productivity[h] = plant.rho;
        ctx.layout.hydro_bus[h] = plant.bus;
        if let Some(planes) = plant.planes.filter(|_| !plant.multi) {
            add_plant_fpha(ctx, &plant, planes);
        }
        add_water_balance(ctx, &plant, zeta);
        for (k, &tau) in hours.iter().enumerate() {
            add_plant_block(ctx, &plant, k, tau);
        }
        if plant.multi {
            add_plant_cells(ctx, &plant);
        }
    }
    add_balance_slacks(ctx, zeta, hours.iter().sum());
    Ok(())
}

/// The generation columns (on the plant's bus) and hyperplane rows of a
/// one-cell FPHA plant, per block.
fn add_plant_fpha(ctx: &mut BuildCtx<'_>, p: &Plant<'_>, planes: &[Plane]) {
    let n = ctx.layout.n_hydros;
    let first = ctx.builder.num_rows();
    for k in 0..ctx.layout.n_blocks {
        let g_max = p.active_limits(k).map_or(0.0, |lim| lim.max_generation_mw);
        let g = ctx.builder.add_col(0.0, g_max.max(0.0), 0.0);
        ctx.layout.fpha_generation[k * n + p.h] = Some(g);
        ctx.builder.add_entry(ctx.layout.load_row(k, p.bus), g, 1.0);
        let cols = PlaneColumns {
            h: p.h,
            g,
            q: ctx.layout.turbined_col(k, p.h),
            s: ctx.layout.spillage_col(k, p.h),
        };
        add_plane_rows(ctx, planes, 1.0, &cols);
    }
    ctx.layout.fpha_rows[p.h] = super::IndexRange {
        start: first,
        len: ctx.builder.num_rows() - first,
    };
}

/// The stage terms of the plant's water balance row: storage, incoming
/// storage, inflow and the withdrawal right-hand side.
fn add_water_balance(ctx: &mut BuildCtx<'_>, p: &Plant<'_>, zeta: f64) {
    let wrow = ctx.layout.row_water.at(p.h);
    let rhs = -zeta * p.hb.water_withdrawal_m3s;
    ctx.builder.set_row_bounds(wrow, rhs, rhs);
    ctx.builder.add_entry(wrow, ctx.layout.storage.at(p.h), 1.0);
    ctx.builder
        .add_entry(wrow, ctx.layout.storage_in.at(p.h), -1.0);
    ctx.builder
        .add_entry(wrow, ctx.layout.inflow.at(p.h), -zeta);
}

/// The plant's turbined and spilled flow at block `k` (of `tau` hours):
/// bounds, costs, water balance entries (its own and its downstream
/// plant's), constant-productivity generation and the soft bounds.
fn add_plant_block(ctx: &mut BuildCtx<'_>, p: &Plant<'_>, k: usize, tau: f64) {
    let h = p.h;
    let scale = ctx.cost_scale;
    let c = HM3_PER_M3S_HOUR * tau;
    let q = ctx.layout.turbined_col(k, h);
    let s = ctx.layout.spillage_col(k, h);
    let wrow = ctx.layout.row_water.at(h);
    let q_max = p.active_limits(k).map_or(0.0, |lim| lim.max_turbined_m3s);
    ctx.builder.set_col_bounds(q, 0.0, q_max.max(0.0));
    ctx.builder.set_cost(q, p.pen.turbined_cost * tau / scale);
    ctx.builder.set_cost(s, p.pen.spillage_cost * tau / scale);
    ctx.categories.push((q, CostCategory::Turbined));
    ctx.categories.push((s, CostCategory::Spillage));
    ctx.builder.add_entry(wrow, q, c);
    ctx.builder.add_entry(wrow, s, c);
    if let Some(d) = ctx.system.cascade().downstream.get(h).copied().flatten() {
        let drow = ctx.layout.row_water.at(d);
        ctx.builder.add_entry(drow, q, -c);
        ctx.builder.add_entry(drow, s, -c);
    }
    if p.planes.is_none() && !p.multi {
        ctx.builder
            .add_entry(ctx.layout.load_row(k, p.bus), q, p.rho);
    }
    add_plant_soft_bounds(ctx, p, k, tau);
}

/// The plant's soft bounds at block `k`: `coef·x + σ ≥ min` for the
/// turbined flow and generation minimums (one-cell plants in service),
/// and for the outflow minimum; `q + s − σ ≤ max` for the outflow maximum.
fn add_plant_soft_bounds(ctx: &mut BuildCtx<'_>, p: &Plant<'_>, k: usize, tau: f64) {
    let q = ctx.layout.turbined_col(k, p.h);
    let s = ctx.layout.spillage_col(k, p.h);
    let hb = p.block_bounds(ctx, k);
    let lim = p.limits.get(k).copied().unwrap_or_default();
    let generation: (usize, f64) = ctx
        .layout
        .fpha_generation_col(k, p.h)
        .map_or((q, p.rho), |g| (g, 1.0));
    let cell = p.active && !p.multi;
    let inf = f64::INFINITY;
    let turbined = [(q, 1.0)];
    let outflow = [(q, 1.0), (s, 1.0)];
    let rows = [
        (cell && lim.min_turbined_m3s > 0.0).then_some(SoftRow {
            kind: SlackKind::TurbinedBelow,
            cost: p.pen.turbined_violation_below_cost,
            lower: lim.min_turbined_m3s,
            upper: inf,
            terms: &turbined,
            sign: 1.0,
        }),
        (cell && lim.min_generation_mw > 0.0).then_some(SoftRow {
            kind: SlackKind::GenerationBelow,
            cost: p.pen.generation_violation_below_cost,
            lower: lim.min_generation_mw,
            upper: inf,
            terms: std::slice::from_ref(&generation),
            sign: 1.0,
        }),
        (hb.min_outflow_m3s > 0.0).then_some(SoftRow {
            kind: SlackKind::OutflowBelow,
            cost: p.pen.outflow_violation_below_cost,
            lower: hb.min_outflow_m3s,
            upper: inf,
            terms: &outflow,
            sign: 1.0,
        }),
        hb.max_outflow_m3s
            .filter(|m| m.is_finite())
            .map(|max_out| SoftRow {
                kind: SlackKind::OutflowAbove,
                cost: p.pen.outflow_violation_above_cost,
                lower: f64::NEG_INFINITY,
                upper: max_out,
                terms: &outflow,
                sign: -1.0,
            }),
    ];
    for row in rows.iter().flatten() {
        add_soft_row(ctx, p.h, k, tau, row);
    }
}

/// The cells of a plant whose unit groups sit on several buses, and the
/// plant's turbined bound per block as the sum of theirs.
fn add_plant_cells(ctx: &mut BuildCtx<'_>, p: &Plant<'_>) {
    let terms = super::unit_groups::PlantTerms {
        h: p.h,
        rho: p.rho,
        planes: p.planes,
        hb: p.hb,
        pen: p.pen,
        active: p.active,
    };
    let q_sum = super::unit_groups::add_cells(ctx, &terms);
    for (k, q_max) in q_sum.iter().enumerate() {
        let q = ctx.layout.turbined_col(k, p.h);
        ctx.builder.set_col_bounds(q, 0.0, q_max.max(0.0));
    }
}

/// Stage-level slacks of the water balance: inflow non-negativity (adds
/// water) and the two withdrawal slacks (realised withdrawal is
/// `W − ω⁻ + ω⁺`, never changing sign), all priced with the stage hours.
fn add_balance_slacks(ctx: &mut BuildCtx<'_>, zeta: f64, total_hours: f64) {
    let n = ctx.layout.n_hydros;
    let scale = ctx.cost_scale;
    if ctx.inflow_penalty {
        ctx.layout.inflow_slack = ctx.builder.add_cols(n, 0.0, f64::INFINITY, 0.0);
    }
    ctx.layout.withdrawal_under = ctx.builder.add_cols(n, 0.0, 0.0, 0.0);
    ctx.layout.withdrawal_over = ctx.builder.add_cols(n, 0.0, 0.0, 0.0);
    let system = ctx.system;
    for (h, hydro) in system.hydros().iter().enumerate() {
        let pen = hydro_penalties(ctx, h, hydro);
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
            .get(ctx.stage, h)
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
}
