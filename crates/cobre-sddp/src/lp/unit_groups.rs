//! Unit groups: the limits of a plant's turbine groups, and the per-bus
//! cells of a plant whose groups sit on several buses (0.18's formulation,
//! docs/formulation.md §6.4).
//!
//! A group's limits are its `system/hydros.json` values overridden per stage
//! and per block by `constraints/hydro_unit_group_bounds.parquet`. The
//! groups of a plant on one bus form a **cell** whose limits are the sums of
//! theirs, capped by the plant's limits in force (`hydro_bounds`):
//! `q̄_c = min(Σ_g q̄_g, Q̄)`, `ḡ_c = min(Σ_g ḡ_g, Ḡ)`, the minimums
//! `max(Σ_g q_g, Q)`, `max(Σ_g g_g, G)` (soft, as the plant's).
//!
//! * One cell (every group on one bus): the plant's turbined and generation
//!   columns take the cell's limits (`hydro.rs`).
//! * Several cells: each cell `c` has its turbined column `q_c` per block
//!   (`Σ_c q_c = q`, the plant's turbined flow in the water balance) and
//!   injects its generation at its bus: `ρ·q_c` for constant productivity;
//!   for FPHA a column `g_c` under the plant's planes scaled by the cell's
//!   share `w_c` of the groups' turbined capacity,
//!   `g_c ≤ w_c·γ0 + w_c·γv·(v_in + v)/2 + γq·q_c + w_c·γs·s`, so that the
//!   cells together never exceed the plant's function. Minimums are soft
//!   rows per cell, priced as the plant's.

use super::fpha_fit::Plane;
use super::hydro::{add_plane_rows, add_soft_row, PlaneColumns, SoftRow};
use super::layout::{Cell, SlackKind};
use super::{BuildCtx, IndexRange};
use cobre_core::constraints::resolve_override;
use cobre_core::{Hydro, HydroPenalties, HydroStageBounds, System};

/// Limits of one group, a cell or a plant at one block.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Limits {
    pub(crate) min_turbined_m3s: f64,
    pub(crate) max_turbined_m3s: f64,
    pub(crate) min_generation_mw: f64,
    pub(crate) max_generation_mw: f64,
}

impl Limits {
    fn add(&mut self, o: &Limits) {
        self.min_turbined_m3s += o.min_turbined_m3s;
        self.max_turbined_m3s += o.max_turbined_m3s;
        self.min_generation_mw += o.min_generation_mw;
        self.max_generation_mw += o.max_generation_mw;
    }

    /// The turbine cap of constant productivity `rho > 0`: the flow that
    /// reaches the generation cap (`min(q̄, ḡ/ρ)`).
    fn cap_by_generation(mut self, rho: Option<f64>) -> Self {
        if let Some(r) = rho.filter(|r| *r > 0.0) {
            if self.max_generation_mw.is_finite() {
                self.max_turbined_m3s = self.max_turbined_m3s.min(self.max_generation_mw / r);
            }
        }
        self
    }

    /// Capped by the plant's limits in force.
    fn within(self, hb: &HydroStageBounds, rho: Option<f64>) -> Self {
        let plant = Self {
            min_turbined_m3s: hb.min_turbined_m3s,
            max_turbined_m3s: hb.max_turbined_m3s,
            min_generation_mw: hb.min_generation_mw,
            max_generation_mw: hb.max_generation_mw,
        }
        .cap_by_generation(rho);
        Self {
            min_turbined_m3s: self.min_turbined_m3s.max(plant.min_turbined_m3s),
            max_turbined_m3s: self.max_turbined_m3s.min(plant.max_turbined_m3s),
            min_generation_mw: self.min_generation_mw.max(plant.min_generation_mw),
            max_generation_mw: self.max_generation_mw.min(plant.max_generation_mw),
        }
    }
}

/// The bus positions of a plant's cells, ascending, each with its groups.
pub(crate) fn cells(system: &System, hydro: &Hydro) -> Vec<(usize, Vec<usize>)> {
    let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
    for (g, group) in hydro.unit_groups.iter().enumerate() {
        let Some(b) = system.bus_position(group.bus) else {
            continue;
        };
        match out.iter_mut().find(|c| c.0 == b) {
            Some(c) => c.1.push(g),
            None => out.push((b, vec![g])),
        }
    }
    out.sort_by_key(|c| c.0);
    out
}

/// Whether the plant's groups sit on several buses.
pub(crate) fn is_multi_cell(system: &System, hydro: &Hydro) -> bool {
    cells(system, hydro).len() > 1
}

/// Limits of group `g` of `hydro` at stage `t`, block `k`.
fn group_limits(ctx: &BuildCtx<'_>, hydro: &Hydro, g: usize, k: usize) -> Limits {
    let Some(group) = hydro.unit_groups.get(g) else {
        return Limits::default();
    };
    let rows = ctx.system.unit_group_bounds();
    let block = i32::try_from(k).unwrap_or(i32::MAX);
    let stage = ctx.stage_id;
    let pick = |base: f64, field: fn(&cobre_core::UnitGroupBound) -> Option<f64>| {
        resolve_override(rows, stage, block, base, |r| {
            (r.hydro == hydro.id && r.group == group.id).then(|| (r.stage, r.block, field(r)))
        })
    };
    Limits {
        min_turbined_m3s: pick(group.min_turbined_m3s, |r| r.min_turbined_m3s),
        max_turbined_m3s: pick(group.max_turbined_m3s, |r| r.max_turbined_m3s),
        min_generation_mw: pick(group.min_generation_mw, |r| r.min_generation_mw),
        max_generation_mw: pick(group.max_generation_mw, |r| r.max_generation_mw),
    }
}

/// Limits of the cell made of `groups`, within the plant's `hb`; with a
/// constant productivity `rho`, each group's turbine cap is first limited
/// by its generation cap.
pub(crate) fn cell_limits(
    ctx: &BuildCtx<'_>,
    hydro: &Hydro,
    groups: &[usize],
    k: usize,
    hb: &HydroStageBounds,
    rho: Option<f64>,
) -> Limits {
    let mut sum = Limits::default();
    for &g in groups {
        sum.add(&group_limits(ctx, hydro, g, k).cap_by_generation(rho));
    }
    sum.within(hb, rho)
}

/// Limits of a one-cell plant at block `k` (all its groups, within `hb`).
pub(crate) fn plant_limits(
    ctx: &BuildCtx<'_>,
    hydro: &Hydro,
    k: usize,
    hb: &HydroStageBounds,
    rho: Option<f64>,
) -> Limits {
    let all: Vec<usize> = (0..hydro.unit_groups.len()).collect();
    cell_limits(ctx, hydro, &all, k, hb, rho)
}

/// What the plant gives its cells.
pub(crate) struct PlantTerms<'p> {
    pub(crate) h: usize,
    pub(crate) rho: f64,
    pub(crate) planes: Option<&'p [Plane]>,
    pub(crate) hb: HydroStageBounds,
    pub(crate) pen: HydroPenalties,
    pub(crate) active: bool,
}

/// Each cell's share of the groups' turbined capacity (`hydros.json`
/// values); equal shares when the plant declares no capacity.
fn capacity_shares(hydro: &Hydro, plant_cells: &[(usize, Vec<usize>)]) -> Vec<f64> {
    let capacity: Vec<f64> = plant_cells
        .iter()
        .map(|(_, gs)| {
            gs.iter()
                .filter_map(|&g| hydro.unit_groups.get(g))
                .map(|g| g.max_turbined_m3s)
                .sum()
        })
        .collect();
    let total: f64 = capacity.iter().sum();
    #[allow(clippy::cast_precision_loss)]
    capacity
        .iter()
        .map(|c| {
            if total > 0.0 {
                c / total
            } else {
                1.0 / plant_cells.len() as f64
            }
        })
        .collect()
}

/// One cell being added: its bus, groups, capacity share, columns and the
/// plant's linking rows.
struct CellColumns<'g> {
    /// Bus position.
    bus: usize,
    /// Unit groups of the cell.
    groups: &'g [usize],
    /// Share of the plant's turbined capacity (scales the planes).
    share: f64,
    /// Turbined column per block.
    turbined: IndexRange,
    /// Generation column per block (FPHA only).
    generation: Option<IndexRange>,
    /// Linking rows `Σ_c q_c − q = 0`, one per block.
    link: IndexRange,
}

/// Adds the cells of a plant whose groups sit on several buses: per cell
/// and block the turbined column (linked to the plant's), the generation
/// (column and scaled planes for FPHA) at the cell's bus, and the soft
/// minimums. Returns the sum of the cells' turbined maxima per block (the
/// plant column's bound).
pub(crate) fn add_cells(ctx: &mut BuildCtx<'_>, p: &PlantTerms<'_>) -> Vec<f64> {
    let system = ctx.system;
    let Some(hydro) = system.hydros().get(p.h) else {
        return Vec::new();
    };
    let nk = ctx.layout.n_blocks;
    let hours = ctx.layout.block_hours.clone();
    let plant_cells = cells(system, hydro);
    let shares = capacity_shares(hydro, &plant_cells);
    let mut q_sum = vec![0.0; nk];
    let link = ctx.builder.add_rows(nk, 0.0, 0.0);
    for k in 0..nk {
        let q = ctx.layout.turbined_col(k, p.h);
        ctx.builder.add_entry(link.at(k), q, -1.0);
    }
    for ((bus, groups), &share) in plant_cells.iter().zip(&shares) {
        let cell = CellColumns {
            bus: *bus,
            groups,
            share,
            turbined: ctx.builder.add_cols(nk, 0.0, 0.0, 0.0),
            generation: p.planes.map(|_| ctx.builder.add_cols(nk, 0.0, 0.0, 0.0)),
            link,
        };
        for (k, &tau) in hours.iter().enumerate() {
            q_sum[k] += add_cell_block(ctx, p, hydro, &cell, k, tau);
        }
        let bus_id = system.buses().get(cell.bus).map_or(0, |b| b.id.0);
        ctx.layout.cells.push(Cell {
            hydro: p.h,
            bus: cell.bus,
            bus_id,
            turbined: cell.turbined,
            generation: cell.generation,
            productivity: if p.planes.is_some() { 0.0 } else { p.rho },
        });
    }
    q_sum
}

/// One cell at block `k` (of `tau` hours): its turbined column's bound and
/// link entry, its generation at its bus (scaled planes for FPHA, `ρ·q_c`
/// otherwise) and its soft minimums. Returns the cell's turbined maximum.
fn add_cell_block(
    ctx: &mut BuildCtx<'_>,
    p: &PlantTerms<'_>,
    hydro: &Hydro,
    cell: &CellColumns<'_>,
    k: usize,
    tau: f64,
) -> f64 {
    let rho = p.planes.is_none().then_some(p.rho);
    let lim = cell_limits(ctx, hydro, cell.groups, k, &p.hb, rho);
    let (q_max, g_max) = if p.active {
        (
            lim.max_turbined_m3s.max(0.0),
            lim.max_generation_mw.max(0.0),
        )
    } else {
        (0.0, 0.0)
    };
    let qc = cell.turbined.at(k);
    ctx.builder.set_col_bounds(qc, 0.0, q_max);
    ctx.builder.add_entry(cell.link.at(k), qc, 1.0);
    let load = ctx.layout.load_row(k, cell.bus);
    let gen_term = match (cell.generation, p.planes) {
        (Some(g), Some(planes)) => {
            let gc = g.at(k);
            ctx.builder.set_col_bounds(gc, 0.0, g_max);
            ctx.builder.add_entry(load, gc, 1.0);
            let cols = PlaneColumns {
                h: p.h,
                g: gc,
                q: qc,
                s: ctx.layout.spillage_col(k, p.h),
            };
            add_plane_rows(ctx, planes, cell.share, &cols);
            (gc, 1.0)
        }
        _ => {
            ctx.builder.add_entry(load, qc, p.rho);
            (qc, p.rho)
        }
    };
    // Soft minimums of the cell.
    let turbined = [(qc, 1.0)];
    let generation = [gen_term];
    let rows = [
        (p.active && lim.min_turbined_m3s > 0.0).then_some(SoftRow {
            kind: SlackKind::TurbinedBelow,
            cost: p.pen.turbined_violation_below_cost,
            lower: lim.min_turbined_m3s,
            upper: f64::INFINITY,
            terms: &turbined,
            sign: 1.0,
        }),
        (p.active && lim.min_generation_mw > 0.0).then_some(SoftRow {
            kind: SlackKind::GenerationBelow,
            cost: p.pen.generation_violation_below_cost,
            lower: lim.min_generation_mw,
            upper: f64::INFINITY,
            terms: &generation,
            sign: 1.0,
        }),
    ];
    for row in rows.iter().flatten() {
        add_soft_row(ctx, p.h, k, tau, row);
    }
    q_max
}
