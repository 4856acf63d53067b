//! FPHA hyperplanes computed from the reservoir geometry
//! (`source: "computed"`, docs/formulation.md §9.3).
//!
//! The production function `φ(v, q, s) = 9.81·10⁻³ · η · q · h_net` (MW),
//! with `h_net = max(0, h_fb(v) − h_tail(q + s) − losses)`, is sampled on an
//! `n_v × n_q` grid at zero spillage (capped at the plant's maximum
//! generation). The planes are the upper facets of the convex hull of the
//! sampled points, found directly: every plane through three grid points
//! that lies on or above all points is a supporting plane of the upper hull,
//! and the distinct ones are its facets. They are then scaled by the
//! least-squares factor `α` that best matches the envelope `min_p plane_p`
//! to `φ`, and each gets a spillage slope fitted at its most productive
//! binding grid point.

use cobre_core::entities::{EfficiencyModel, HydraulicLosses, TailraceModel};
use cobre_core::hydro_models::{FphaConfig, GeometryPoint};
use cobre_core::Hydro;

/// One plane `g ≤ γ0 + γv·v + γq·q + γs·s` (MW; v in hm³, flows in m³/s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plane {
    /// Intercept (MW).
    pub gamma_0: f64,
    /// Storage slope (MW/hm³).
    pub gamma_v: f64,
    /// Turbined-flow slope (MW per m³/s).
    pub gamma_q: f64,
    /// Spillage slope (MW per m³/s, ≤ 0).
    pub gamma_s: f64,
}

impl Plane {
    fn at(&self, v: f64, q: f64) -> f64 {
        self.gamma_0 + self.gamma_v * v + self.gamma_q * q
    }
}

/// Gravity times water density over 10⁶ (MW per m³/s per m).
const G_RHO: f64 = 9.81e-3;
/// Default grid resolution per axis.
const DEFAULT_POINTS: u32 = 5;
/// Spillage points of the secant fit of `γ_s`.
const SPILL_POINTS: usize = 9;

/// The plant's production function.
struct Production<'a> {
    geometry: &'a [GeometryPoint],
    tailrace: Option<&'a TailraceModel>,
    losses: Option<HydraulicLosses>,
    efficiency: f64,
    max_generation: f64,
}

/// Piecewise-linear interpolation of `ys` over increasing `xs`, clamped.
fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    let n = xs.len().min(ys.len());
    if n == 0 {
        return 0.0;
    }
    if n == 1 || x <= xs[0] {
        return ys[0];
    }
    if x >= xs[n - 1] {
        return ys[n - 1];
    }
    let i = xs[..n].partition_point(|&p| p <= x).clamp(1, n - 1);
    let (x0, x1, y0, y1) = (xs[i - 1], xs[i], ys[i - 1], ys[i]);
    if x1 > x0 {
        y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    } else {
        y1
    }
}

impl Production<'_> {
    fn forebay(&self, v: f64) -> f64 {
        let xs: Vec<f64> = self.geometry.iter().map(|p| p.volume_hm3).collect();
        let ys: Vec<f64> = self.geometry.iter().map(|p| p.height_m).collect();
        interpolate(&xs, &ys, v)
    }

    fn tailrace(&self, outflow: f64) -> f64 {
        match self.tailrace {
            None => 0.0,
            Some(TailraceModel::Polynomial(c)) => {
                c.iter().rev().fold(0.0, |acc, &ci| acc * outflow + ci)
            }
            Some(TailraceModel::Piecewise(points)) => {
                let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
                let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
                interpolate(&xs, &ys, outflow)
            }
        }
    }

    /// `φ(v, q, s)` (uncapped).
    fn power(&self, v: f64, q: f64, s: f64) -> f64 {
        let gross = self.forebay(v) - self.tailrace(q + s);
        let loss = match self.losses {
            None => 0.0,
            Some(HydraulicLosses::Factor(f)) => f * gross,
            Some(HydraulicLosses::ConstantMeters(m)) => m,
        };
        G_RHO * self.efficiency * q * (gross - loss).max(0.0)
    }
}

/// `n` equally spaced points over `[lo, hi]` (both included).
fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n <= 1 {
        return vec![lo];
    }
    #[allow(clippy::cast_precision_loss)]
    let step = (hi - lo) / (n - 1) as f64;
    #[allow(clippy::cast_precision_loss)]
    (0..n).map(|i| lo + step * i as f64).collect()
}

/// The volume range of the grid: the geometry table's, or the configured
/// fitting window (absolute or as percentiles of the operating range),
/// clamped to the table.
fn volume_range(hydro: &Hydro, config: &FphaConfig, table: (f64, f64)) -> (f64, f64) {
    let (tlo, thi) = table;
    let (lo, hi) = if let Some((lo, hi)) = config.fitting_window_hm3 {
        (lo.unwrap_or(tlo), hi.unwrap_or(thi))
    } else if let Some((lo, hi)) = config.fitting_window_percentile {
        let span = hydro.max_storage_hm3 - hydro.min_storage_hm3;
        let at = |p: f64| hydro.min_storage_hm3 + span * p / 100.0;
        (lo.map_or(tlo, at), hi.map_or(thi, at))
    } else {
        (tlo, thi)
    };
    (
        lo.clamp(tlo, thi),
        hi.clamp(tlo, thi).max(lo.clamp(tlo, thi)),
    )
}

/// The plane `g = γ0 + γv v + γq q` through three points, if they are not
/// collinear in the `(v, q)` projection.
fn plane_through(a: [f64; 3], b: [f64; 3], c: [f64; 3]) -> Option<Plane> {
    let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let w = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    let n = [
        u[1] * w[2] - u[2] * w[1],
        u[2] * w[0] - u[0] * w[2],
        u[0] * w[1] - u[1] * w[0],
    ];
    let scale = u.iter().chain(&w).fold(0.0_f64, |m, x| m.max(x.abs()));
    if n[2].abs() <= 1e-12 * scale * scale {
        return None;
    }
    let gamma_v = -n[0] / n[2];
    let gamma_q = -n[1] / n[2];
    Some(Plane {
        gamma_0: a[2] - gamma_v * a[0] - gamma_q * a[1],
        gamma_v,
        gamma_q,
        gamma_s: 0.0,
    })
}

/// Distinct upper-hull facets of `points` (`(v, q, g)`), in the order they
/// are first met.
fn upper_hull_planes(points: &[[f64; 3]]) -> Vec<Plane> {
    let g_scale = points.iter().fold(1.0_f64, |m, p| m.max(p[2].abs()));
    let tol = 1e-9 * g_scale;
    let mut planes: Vec<Plane> = Vec::new();
    let n = points.len();
    for i in 0..n {
        for j in i + 1..n {
            for k in j + 1..n {
                let Some(p) = plane_through(points[i], points[j], points[k]) else {
                    continue;
                };
                if points.iter().any(|x| x[2] > p.at(x[0], x[1]) + tol) {
                    continue;
                }
                let same = |o: &Plane| {
                    points
                        .iter()
                        .all(|x| (o.at(x[0], x[1]) - p.at(x[0], x[1])).abs() <= tol)
                };
                if !planes.iter().any(same) {
                    planes.push(p);
                }
            }
        }
    }
    planes
}

/// Fits the FPHA planes of `hydro` from its geometry.
///
/// `geometry` holds the hydro's points sorted by volume; `mean_inflow_m3s`
/// is the long-term mean inflow when an inflow history gives one. Returns
/// `None` for a degenerate plant (no turbine or generation capacity, fewer
/// than two geometry points), which then produces nothing.
#[must_use]
pub fn fit_planes(
    hydro: &Hydro,
    config: &FphaConfig,
    geometry: &[GeometryPoint],
    mean_inflow_m3s: Option<f64>,
) -> Option<Vec<Plane>> {
    let q_max = hydro.max_turbined_m3s;
    let g_max = hydro.max_generation_mw;
    if geometry.len() < 2 || q_max <= 1e-9 || g_max <= 1e-9 {
        return None;
    }
    let f = Production {
        geometry,
        tailrace: hydro.tailrace.as_ref(),
        losses: hydro.hydraulic_losses,
        efficiency: match hydro.efficiency {
            Some(EfficiencyModel::Constant(e)) => e,
            None => 1.0,
        },
        max_generation: g_max,
    };
    let table = (
        geometry.first().map_or(0.0, |p| p.volume_hm3),
        geometry.last().map_or(0.0, |p| p.volume_hm3),
    );
    let (v_lo, v_hi) = volume_range(hydro, config, table);
    let nv = config.volume_points.unwrap_or(DEFAULT_POINTS).max(2) as usize;
    let nq = config.turbine_points.unwrap_or(DEFAULT_POINTS).max(2) as usize;
    let vs = linspace(v_lo, v_hi, nv);
    let qs = linspace(0.0, q_max, nq);
    let mut points = Vec::with_capacity(nv * nq);
    for &v in &vs {
        for &q in &qs {
            points.push([v, q, f.power(v, q, 0.0).min(f.max_generation)]);
        }
    }
    let mut planes = upper_hull_planes(&points);
    if planes.is_empty() {
        return None;
    }

    // Least-squares scale of the envelope onto the capped production.
    let envelope = |planes: &[Plane], v: f64, q: f64| {
        planes
            .iter()
            .map(|p| p.at(v, q))
            .fold(f64::INFINITY, f64::min)
    };
    let (mut num, mut den) = (0.0, 0.0);
    for x in &points {
        let e = envelope(&planes, x[0], x[1]);
        num += e * x[2];
        den += e * e;
    }
    let alpha = if den > 0.0 { num / den } else { 1.0 };
    for p in &mut planes {
        p.gamma_0 *= alpha;
        p.gamma_v *= alpha;
        p.gamma_q *= alpha;
    }

    // Spillage slope: secant fit at each plane's most productive binding point.
    let s_max = match mean_inflow_m3s {
        Some(m) if m > 0.0 => 2.0 * m,
        _ => 2.0 * q_max,
    };
    let xs = linspace(0.0, s_max, SPILL_POINTS);
    let snapshot = planes.clone();
    for p in &mut planes {
        let mut best: Option<(f64, f64, f64)> = None;
        for x in &points {
            let (v, q) = (x[0], x[1]);
            if (p.at(v, q) - envelope(&snapshot, v, q)).abs() > 1e-8 {
                continue;
            }
            let phi = f.power(v, q, 0.0);
            if best.is_none_or(|b| phi > b.2) {
                best = Some((v, q, phi));
            }
        }
        let Some((v, q, _)) = best else {
            continue;
        };
        let ys: Vec<f64> = xs.iter().map(|&s| f.power(v, q, s)).collect();
        let slope = ols_slope(&xs, &ys);
        p.gamma_s = if slope <= -1e-10 { slope } else { 0.0 };
    }
    Some(planes)
}

/// Ordinary least-squares slope of `ys` on `xs`.
fn ols_slope(xs: &[f64], ys: &[f64]) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let n = xs.len().min(ys.len()) as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    if sxx > 0.0 {
        sxy / sxx
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hull_of_a_concave_surface_keeps_its_facets_only() {
        // g = min(q, 10 − q) over a 3 × 3 grid: two facets (rising, falling),
        // whatever v.
        let mut pts = Vec::new();
        for v in [0.0, 1.0, 2.0] {
            for q in [0.0, 5.0, 10.0] {
                pts.push([v, q, f64::min(q, 10.0 - q)]);
            }
        }
        let planes = upper_hull_planes(&pts);
        assert_eq!(planes.len(), 2, "{planes:?}");
        for p in &planes {
            assert!(p.gamma_v.abs() < 1e-12);
            assert!((p.gamma_q.abs() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn interpolation_is_clamped_at_both_ends() {
        let xs = [0.0, 10.0, 20.0];
        let ys = [1.0, 3.0, 4.0];
        assert_eq!(interpolate(&xs, &ys, -5.0), 1.0);
        assert_eq!(interpolate(&xs, &ys, 5.0), 2.0);
        assert_eq!(interpolate(&xs, &ys, 15.0), 3.5);
        assert_eq!(interpolate(&xs, &ys, 25.0), 4.0);
    }

    #[test]
    fn ols_slope_of_a_line_is_its_slope() {
        let xs = linspace(0.0, 8.0, 9);
        let ys: Vec<f64> = xs.iter().map(|x| 3.0 - 0.5 * x).collect();
        assert!((ols_slope(&xs, &ys) + 0.5).abs() < 1e-12);
    }
}
