//! User-defined linear constraints (`constraints/generic_constraints.json`
//! with `generic_constraint_bounds.parquet`, docs/formulation.md §10).
//!
//! A constraint has rows only at the stages its bounds name. A bounds row
//! for one block gives one row over that block's columns; a bounds row for
//! the whole stage gives one stage row when every variable is a stage
//! quantity (storage, evaporation, withdrawal) and one row per block
//! otherwise. With a slack, the row is relaxed by priced slack columns
//! (`penalty` per unit and block hour, or per stage hour for a stage row).
//! A term `@name * variable` has its coefficient multiplied by the
//! parameter's value at the stage and block (`parameters.rs`).

use super::layout::CostCategory;
use super::production::Production;
use super::BuildCtx;
use crate::SddpError;
use cobre_core::{GenericConstraint, LinearTerm, Stage, VariableRef};

/// Whether a variable is a stage quantity (one value per stage).
fn is_stage_level(v: VariableRef) -> bool {
    matches!(
        v,
        VariableRef::HydroStorage(_)
            | VariableRef::HydroStorageIn(_)
            | VariableRef::HydroEvaporation(_)
            | VariableRef::HydroWithdrawal(_)
    )
}

/// The error of a term naming an entity the system does not have.
fn missing(what: &str, id: i32) -> SddpError {
    SddpError::invalid(
        format!("generic constraint variable {what}({id})"),
        "no such entity",
    )
}

/// The position of hydro `id`.
fn hydro_at(ctx: &BuildCtx<'_>, id: cobre_core::HydroId) -> Result<usize, SddpError> {
    ctx.system
        .hydro_position(id)
        .ok_or_else(|| missing("hydro", id.0))
}

/// The `(column, coefficient)` entries of `coef × variable` in block `k`,
/// and the constant it contributes (the fixed part of a withdrawal).
fn expand(
    ctx: &BuildCtx<'_>,
    term: &LinearTerm,
    k: usize,
    out: &mut Vec<(usize, f64)>,
) -> Result<f64, SddpError> {
    let s = ctx.system;
    let l = &ctx.layout;
    let c = term.coefficient
        * term
            .parameter
            .map_or(1.0, |p| ctx.parameters.get(p, ctx.stage, k));
    let hydro = |id: cobre_core::HydroId| hydro_at(ctx, id);
    let pumping = |id: cobre_core::PumpingStationId| {
        s.pumping_position(id)
            .ok_or_else(|| missing("pumping station", id.0))
    };
    let line = |id: cobre_core::LineId| s.line_position(id).ok_or_else(|| missing("line", id.0));
    let bus = |id: cobre_core::BusId| s.bus_position(id).ok_or_else(|| missing("bus", id.0));
    let mut constant = 0.0;
    match term.variable {
        VariableRef::ThermalGeneration(id) => {
            let j = s
                .thermal_position(id)
                .ok_or_else(|| missing("thermal", id.0))?;
            out.push((l.thermal_col(k, j), c));
        }
        VariableRef::HydroGeneration(id) => hydro_generation(ctx, hydro(id)?, k, c, out),
        VariableRef::HydroTurbined(id) => out.push((l.turbined_col(k, hydro(id)?), c)),
        VariableRef::HydroSpillage(id) => out.push((l.spillage_col(k, hydro(id)?), c)),
        VariableRef::HydroOutflow(id) => {
            let h = hydro(id)?;
            out.push((l.turbined_col(k, h), c));
            out.push((l.spillage_col(k, h), c));
        }
        // A plant that diverts nothing at the stage contributes 0.
        VariableRef::HydroDiversion(id) => {
            out.extend(l.diversion_col(k, hydro(id)?).map(|u| (u, c)))
        }
        VariableRef::PumpingFlow(id) => out.push((l.pumping_col(k, pumping(id)?), c)),
        VariableRef::PumpingPower(id) => {
            let j = pumping(id)?;
            let gamma = s
                .pumping_stations()
                .get(j)
                .map_or(0.0, |p| p.consumption_mw_per_m3s);
            out.push((l.pumping_col(k, j), c * gamma));
        }
        VariableRef::HydroStorage(id) => out.push((l.storage.at(hydro(id)?), c)),
        VariableRef::HydroStorageIn(id) => out.push((l.storage_in.at(hydro(id)?), c)),
        VariableRef::HydroEvaporation(id) => {
            if let Some(Some(e)) = l.evaporation.get(hydro(id)?) {
                out.push((*e, c));
            }
        }
        VariableRef::HydroWithdrawal(id) => constant += withdrawal(ctx, hydro(id)?, c, out),
        VariableRef::LineFlow(id) => {
            let (fp, fm) = l.flow_cols(k, line(id)?);
            out.push((fp, c));
            out.push((fm, -c));
        }
        VariableRef::LineFlowDirect(id) => out.push((l.flow_cols(k, line(id)?).0, c)),
        VariableRef::LineFlowReverse(id) => out.push((l.flow_cols(k, line(id)?).1, c)),
        VariableRef::BusDeficit(id) => out.extend(l.deficit_cols(k, bus(id)?).map(|col| (col, c))),
        VariableRef::BusExcess(id) => out.push((l.excess_col(k, bus(id)?), c)),
        VariableRef::NcsGeneration(id) => {
            let r = s.ncs_position(id).ok_or_else(|| missing("source", id.0))?;
            out.push((l.ncs_col(k, r), c));
        }
    }
    Ok(constant)
}

/// The realised withdrawal `W − ω⁻ + ω⁺` of hydro `h` times `c`: the slack
/// entries, and the constant `c·W` it returns.
fn withdrawal(ctx: &BuildCtx<'_>, h: usize, c: f64, out: &mut Vec<(usize, f64)>) -> f64 {
    let w = ctx
        .system
        .bounds()
        .hydro
        .get(ctx.stage, h)
        .map_or(0.0, |b| b.water_withdrawal_m3s);
    out.push((ctx.layout.withdrawal_under.at(h), -c));
    out.push((ctx.layout.withdrawal_over.at(h), c));
    c * w
}

/// The generation of hydro `h` at block `k`: its cells' terms, its FPHA
/// generation column, or `ρ·q` for constant productivity.
fn hydro_generation(ctx: &BuildCtx<'_>, h: usize, k: usize, c: f64, out: &mut Vec<(usize, f64)>) {
    let l = &ctx.layout;
    if l.cells_of(h).next().is_some() {
        out.extend(
            l.generation_terms(k, h)
                .into_iter()
                .map(|(col, a)| (col, c * a)),
        );
    } else {
        match l.fpha_generation_col(k, h) {
            Some(g) => out.push((g, c)),
            None => {
                let rho = match ctx.production.get(ctx.stage, h) {
                    Some(Production::Constant(r)) => *r,
                    _ => 0.0,
                };
                out.push((l.turbined_col(k, h), c * rho));
            }
        }
    }
}

/// The block index of block id `id` in `stage`.
fn block_index(stage: &Stage, id: i32) -> Result<usize, SddpError> {
    stage.blocks.iter().position(|b| b.id == id).ok_or_else(|| {
        SddpError::invalid(format!("block {id} of stage {}", stage.id), "no such block")
    })
}

/// Adds one row of `constraint` over block `k` (`None`: a stage row).
fn add_row(
    ctx: &mut BuildCtx<'_>,
    stage: &Stage,
    constraint: &GenericConstraint,
    k: Option<usize>,
    lower: Option<f64>,
    upper: Option<f64>,
    entries: &mut Vec<(usize, f64)>,
) -> Result<(), SddpError> {
    entries.clear();
    let mut constant = constraint.constant;
    for term in &constraint.terms {
        let kk = match term.block {
            Some(id) => block_index(stage, id)?,
            None => k.unwrap_or(0),
        };
        constant += expand(ctx, term, kk, entries)?;
    }
    let lo = lower.map_or(f64::NEG_INFINITY, |v| v - constant);
    let hi = upper.map_or(f64::INFINITY, |v| v - constant);
    let row = ctx.builder.add_row(lo, hi);
    for &(col, coef) in entries.iter() {
        ctx.builder.add_entry(row, col, coef);
    }
    if let Some(penalty) = constraint.slack_penalty {
        let hours = k.map_or_else(|| ctx.layout.total_hours(), |k| ctx.layout.block_hours[k]);
        let cost = penalty * hours / ctx.cost_scale;
        // Upper-only: lhs − γ⁺ ≤ U; lower-only: lhs + γ⁺ ≥ L; two-sided:
        // L ≤ lhs + γ⁺ − γ⁻ ≤ U.
        if lower.is_some() {
            let up = ctx.builder.add_col(0.0, f64::INFINITY, cost);
            ctx.builder.add_entry(row, up, 1.0);
            ctx.categories.push((up, CostCategory::GenericViolation));
        }
        if upper.is_some() {
            let down = ctx.builder.add_col(0.0, f64::INFINITY, cost);
            ctx.builder.add_entry(row, down, -1.0);
            ctx.categories.push((down, CostCategory::GenericViolation));
        }
    }
    Ok(())
}

/// Adds the rows of every generic constraint bounded at this stage.
///
/// # Errors
/// [`SddpError::InvalidInput`] for a variable or block that does not exist.
pub(super) fn add_generic_constraints(
    ctx: &mut BuildCtx<'_>,
    stage: &Stage,
) -> Result<(), SddpError> {
    let system = ctx.system;
    let mut entries = Vec::new();
    for bound in system
        .generic_constraint_bounds()
        .iter()
        .filter(|b| b.stage == stage.id && (b.lower.is_some() || b.upper.is_some()))
    {
        let Some(constraint) = system
            .generic_constraints()
            .iter()
            .find(|c| c.id == bound.constraint)
        else {
            return Err(SddpError::invalid(
                format!("generic constraint {}", bound.constraint.0),
                "bounds given for a constraint that is not defined",
            ));
        };
        // One row for the given block, one for the whole stage when every
        // term is a stage-level variable, or one per block.
        let blocks: Vec<Option<usize>> = match bound.block {
            Some(id) => vec![Some(block_index(stage, id)?)],
            None if constraint.terms.iter().all(|t| is_stage_level(t.variable)) => vec![None],
            None => (0..ctx.layout.n_blocks).map(Some).collect(),
        };
        for k in blocks {
            add_row(
                ctx,
                stage,
                constraint,
                k,
                bound.lower,
                bound.upper,
                &mut entries,
            )?;
        }
    }
    Ok(())
}
