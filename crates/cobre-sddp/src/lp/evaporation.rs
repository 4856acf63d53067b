//! Reservoir evaporation, linearised in the storage (docs/formulation.md
//! §6.6, §9.4).
//!
//! For an evaporating hydro, the evaporated flow `e` (m³/s) follows
//! `e ≈ α0 + α1·(v_in + v)/2`, enforced softly:
//! `e − (α1/2)·v_in − (α1/2)·v + ε⁺ − ε⁻ = α0`, with `ε⁺` (less evaporation
//! than the linearisation) and `ε⁻` (more) priced per stage hour. `e` leaves
//! the water balance with `ζ` (the stage's hm³ per m³/s). The coefficients
//! come from the lake area curve at a reference volume and the calendar
//! month of the stage start.

use super::layout::CostCategory;
use super::BuildCtx;
use chrono::Datelike;
use cobre_core::hydro_models::GeometryPoint;
use cobre_core::{Hydro, Stage};

/// Hours of the calendar month containing `date` (leap years included).
fn hours_in_month(date: chrono::NaiveDate) -> f64 {
    let (y, m) = (date.year(), date.month());
    let first = chrono::NaiveDate::from_ymd_opt(y, m, 1);
    let next = if m == 12 {
        chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        chrono::NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    match (first, next) {
        #[allow(clippy::cast_precision_loss)]
        (Some(a), Some(b)) => 24.0 * (b - a).num_days() as f64,
        _ => 24.0 * 30.0,
    }
}

/// Area (km²) at `v` and the slope (km² per hm³) of the segment holding it:
/// the segment to the right at an interior breakpoint, the end segment
/// outside the table; the area is clamped to the table's ends.
fn area_and_slope(points: &[GeometryPoint], v: f64) -> (f64, f64) {
    let n = points.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    if n == 1 {
        return (points[0].area_km2, 0.0);
    }
    let seg = points
        .partition_point(|p| p.volume_hm3 <= v)
        .clamp(1, n - 1);
    let (a, b) = (points[seg - 1], points[seg]);
    let dv = b.volume_hm3 - a.volume_hm3;
    let slope = if dv > 0.0 {
        (b.area_km2 - a.area_km2) / dv
    } else {
        0.0
    };
    let area = if v <= points[0].volume_hm3 {
        points[0].area_km2
    } else if v >= points[n - 1].volume_hm3 {
        points[n - 1].area_km2
    } else {
        a.area_km2 + slope * (v - a.volume_hm3)
    };
    (area, slope)
}

/// `(α0, α1)` of a hydro at a stage, or `None` when it does not evaporate
/// (no evaporation data, or a geometry without any lake area).
pub(crate) fn linearisation(
    hydro: &Hydro,
    geometry: &[GeometryPoint],
    stage: &Stage,
) -> Option<(f64, f64)> {
    let data = hydro.evaporation.as_ref()?;
    if !geometry.iter().any(|p| p.area_km2 != 0.0) {
        tracing::warn!(
            hydro = hydro.id.0,
            "evaporation data but no lake area in system/hydro_geometry.parquet: evaporation is off"
        );
        return None;
    }
    let m = stage.start_date.month0() as usize;
    let coef = data.coefficients_mm.get(m).copied().unwrap_or(0.0);
    let v_ref = data
        .reference_volumes_hm3
        .and_then(|r| r.get(m).copied())
        .unwrap_or(0.5 * (hydro.min_storage_hm3 + hydro.max_storage_hm3));
    let (area, slope) = area_and_slope(geometry, v_ref);
    // mm · km² per month → m³/s: 10³ m³ per (mm·km²) over the month's seconds.
    let k = 1.0 / (3.6 * hours_in_month(stage.start_date));
    let alpha_1 = k * coef * slope;
    let alpha_0 = k * coef * area - alpha_1 * v_ref;
    Some((alpha_0, alpha_1))
}

/// Adds the evaporation columns and rows of every evaporating hydro.
pub(super) fn add_evaporation(ctx: &mut BuildCtx<'_>, stage: &Stage) {
    let t = ctx.stage;
    let system = ctx.system;
    let scale = ctx.cost_scale;
    let hours = ctx.layout.total_hours();
    let zeta = super::hydro::HM3_PER_M3S_HOUR * hours;
    ctx.layout.evaporation = vec![None; system.hydros().len()];
    ctx.layout.evaporation_slack = vec![None; system.hydros().len()];
    let geometry = &system.hydro_models().geometry;
    for (h, hydro) in system.hydros().iter().enumerate() {
        let points: Vec<GeometryPoint> = geometry
            .iter()
            .filter(|p| p.hydro == hydro.id)
            .copied()
            .collect();
        let Some((alpha_0, alpha_1)) = linearisation(hydro, &points, stage) else {
            continue;
        };
        let v_max = system
            .bounds()
            .hydro
            .get(t, h)
            .map_or(hydro.max_storage_hm3, |b| b.max_storage_hm3);
        let cap = 2.0 * (alpha_0 + alpha_1 * v_max).abs();
        let pen = system
            .penalties()
            .hydro(t, h)
            .copied()
            .unwrap_or(hydro.penalties);
        let e = ctx.builder.add_col(-cap, cap, 0.0);
        let under = ctx.builder.add_col(
            0.0,
            f64::INFINITY,
            pen.evaporation_violation_neg_cost * hours / scale,
        );
        let over = ctx.builder.add_col(
            0.0,
            f64::INFINITY,
            pen.evaporation_violation_pos_cost * hours / scale,
        );
        ctx.categories
            .push((under, CostCategory::EvaporationViolation));
        ctx.categories
            .push((over, CostCategory::EvaporationViolation));
        let row = ctx.builder.add_row(alpha_0, alpha_0);
        ctx.builder.add_entry(row, e, 1.0);
        ctx.builder
            .add_entry(row, ctx.layout.storage_in.at(h), -0.5 * alpha_1);
        ctx.builder
            .add_entry(row, ctx.layout.storage.at(h), -0.5 * alpha_1);
        ctx.builder.add_entry(row, under, 1.0);
        ctx.builder.add_entry(row, over, -1.0);
        ctx.builder.add_entry(ctx.layout.row_water.at(h), e, zeta);
        ctx.layout.evaporation[h] = Some(e);
        ctx.layout.evaporation_slack[h] = Some((under, over));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(v: f64, a: f64) -> GeometryPoint {
        GeometryPoint {
            hydro: cobre_core::HydroId(0),
            volume_hm3: v,
            height_m: 0.0,
            area_km2: a,
        }
    }

    #[test]
    fn area_slope_takes_the_right_segment_at_breakpoints_and_the_end_outside() {
        let g = [pt(0.0, 10.0), pt(100.0, 30.0), pt(200.0, 40.0)];
        assert_eq!(area_and_slope(&g, 50.0), (20.0, 0.2));
        assert_eq!(area_and_slope(&g, 100.0), (30.0, 0.1));
        assert_eq!(area_and_slope(&g, 250.0), (40.0, 0.1));
        assert_eq!(area_and_slope(&g, -5.0), (10.0, 0.2));
    }

    #[test]
    fn month_hours_follow_the_calendar() {
        let d = |y, m| chrono::NaiveDate::from_ymd_opt(y, m, 3).unwrap();
        assert_eq!(hours_in_month(d(2024, 2)), 696.0);
        assert_eq!(hours_in_month(d(2023, 2)), 672.0);
        assert_eq!(hours_in_month(d(2024, 12)), 744.0);
    }
}
