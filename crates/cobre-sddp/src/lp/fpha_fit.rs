//! FPHA hyperplanes computed from the reservoir geometry
//! (`source: "computed"`, docs/formulation.md §9.3), the same fit as Cobre
//! 0.18's so that both solvers build the same LP.
//!
//! The production function `φ(v, q, s) = 9.81·10⁻³ · η · q · h_net` (MW),
//! with `h_net = max(0, h_fb(v) − h_tail(q + s) − losses)`, is sampled on an
//! `n_v × n_q` grid (`q` from 0 to the maximum turbined flow) at zero
//! spillage and capped at the plant's maximum generation. The planes are the
//! upper facets of the convex hull of the sampled points (every plane
//! through three grid points lying on or above all points is a supporting
//! plane; the distinct ones are the facets). They are scaled by the
//! least-squares factor `α` matching the envelope `min_p plane_p` to the
//! capped `φ`, and each gets a spillage slope: the least-squares secant of
//! the uncapped `φ` over `s ∈ [0, 2·MLT]` (twice the long-term mean inflow;
//! twice the maximum turbined flow without history) at the grid point where
//! the plane is on the envelope with the largest `φ`.
//!
//! A run-of-river plant (a fitting window of one volume, or one geometry
//! point) is fitted on two volumes `v₀ ± max(0.005·(v̄ − v), 1 hm³)` and its
//! storage slopes are set to exactly 0.
//!
//! The tailrace is the plant's `tailrace` model, or, when
//! `tailrace_curves.parquet` has families for it, the families interpolated
//! at the downstream plant's forebay level at its reference volume.

use cobre_core::entities::{EfficiencyModel, HydraulicLosses, TailraceModel};
use cobre_core::hydro_models::{FphaConfig, GeometryPoint, TailraceFamily};
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
const SPILL_POINTS: u32 = 9;
/// A fitting window narrower than this (hm³) is a single volume.
const SINGLE_VOLUME_EPS: f64 = 1e-9;
/// Half-width floor of the two synthesized volumes of a run-of-river fit (hm³).
const SYNTH_HALF_WIDTH_MIN: f64 = 1.0;
/// `|γ_v|` at or below this is snapped to 0 on a run-of-river fit.
const GAMMA_V_SNAP: f64 = 1e-6;
/// A secant slope above `-GAMMA_S_SNAP` is snapped to 0.
const GAMMA_S_SNAP: f64 = 1e-10;
/// A plane within this of the envelope (MW) is on it.
const ON_ENVELOPE: f64 = 1e-8;

/// Where the tailrace level of the production function comes from.
#[derive(Debug, Clone, Copy)]
pub enum TailraceSource<'a> {
    /// The hydro's own `tailrace` model (`None`: a level of 0).
    Entity(Option<&'a TailraceModel>),
    /// Tailrace families sorted by downstream level, interpolated at the
    /// downstream level (`None`: the lowest family).
    Families {
        /// The families, ascending by `downstream_reference_level_m`.
        families: &'a [&'a TailraceFamily],
        /// The downstream plant's forebay level (m), when it resolves.
        downstream_level_m: Option<f64>,
    },
}

impl TailraceSource<'_> {
    /// Tailrace level (m) at total outflow `q` (m³/s).
    #[must_use]
    pub fn level(&self, q: f64) -> f64 {
        match self {
            TailraceSource::Entity(None) => 0.0,
            TailraceSource::Entity(Some(TailraceModel::Polynomial(c))) => {
                c.iter().rev().fold(0.0, |acc, &ci| acc * q + ci)
            }
            TailraceSource::Entity(Some(TailraceModel::Piecewise(points))) => {
                let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
                let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
                interpolate(&xs, &ys, q)
            }
            TailraceSource::Families {
                families,
                downstream_level_m,
            } => family_level(families, q, *downstream_level_m),
        }
    }
}

/// Tailrace level of a plant's families at outflow `q`: the single family,
/// the lowest one when the downstream level is unknown, else the linear
/// blend of the two families bracketing the (clamped) downstream level.
fn family_level(families: &[&TailraceFamily], q: f64, downstream: Option<f64>) -> f64 {
    let (Some(first), Some(last)) = (families.first(), families.last()) else {
        return 0.0;
    };
    let Some(level) = downstream.filter(|_| families.len() > 1) else {
        return first.level_at(q);
    };
    let key = |f: &TailraceFamily| f.downstream_reference_level_m.unwrap_or(f64::NEG_INFINITY);
    let (lo_l, hi_l) = (key(first), key(last));
    let l = level.clamp(lo_l.min(hi_l), hi_l.max(lo_l));
    let upper = families
        .partition_point(|f| key(f) <= l)
        .clamp(1, families.len() - 1);
    let (lo, hi) = (families[upper - 1], families[upper]);
    let (h_lo, h_hi) = (lo.level_at(q), hi.level_at(q));
    let span = key(hi) - key(lo);
    if span <= 0.0 {
        h_lo
    } else {
        h_lo + (l - key(lo)) / span * (h_hi - h_lo)
    }
}

/// The plant's production function.
struct Production<'a> {
    volumes: Vec<f64>,
    heights: Vec<f64>,
    tailrace: TailraceSource<'a>,
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
    /// `φ(v, q, s)`, uncapped.
    fn power(&self, v: f64, q: f64, s: f64) -> f64 {
        let gross = interpolate(&self.volumes, &self.heights, v) - self.tailrace.level(q + s);
        let loss = match self.losses {
            None => 0.0,
            Some(HydraulicLosses::Factor(f)) => f * gross,
            Some(HydraulicLosses::ConstantMeters(m)) => m,
        };
        G_RHO * self.efficiency * q * (gross - loss).max(0.0)
    }

    /// `φ(v, q, s)` capped at the maximum generation.
    fn capped(&self, v: f64, q: f64, s: f64) -> f64 {
        self.power(v, q, s).min(self.max_generation)
    }
}

/// `n` equally spaced points over `[lo, hi]` (both included).
fn linspace(lo: f64, hi: f64, n: u32) -> Vec<f64> {
    if n <= 1 {
        return vec![lo];
    }
    let denom = f64::from(n - 1);
    (0..n)
        .map(|i| lo + f64::from(i) * (hi - lo) / denom)
        .collect()
}

/// The volume axis of the grid and whether the plant is fitted as
/// run-of-river: the configured fitting window (absolute, or as fractions of
/// the operating range) clamped to the geometry table, or the whole table.
fn volume_axis(hydro: &Hydro, config: &FphaConfig, table: (f64, f64)) -> (Vec<f64>, bool) {
    let (tlo, thi) = table;
    let clamp = |v: f64| v.clamp(tlo, thi.max(tlo));
    let span = hydro.max_storage_hm3 - hydro.min_storage_hm3;
    let at = |p: f64| hydro.min_storage_hm3 + span * p;
    let (abs, frac) = (
        config.fitting_window_hm3.unwrap_or_default(),
        config.fitting_window_percentile.unwrap_or_default(),
    );
    // Each bound: absolute, else a fraction of the operating range, else
    // the table's end; clamped to the table.
    let lo = clamp(abs.0.or(frac.0.map(at)).unwrap_or(tlo));
    let hi = clamp(abs.1.or(frac.1.map(at)).unwrap_or(thi));
    let points = config.volume_points.unwrap_or(DEFAULT_POINTS);
    if hi - lo <= SINGLE_VOLUME_EPS || points == 1 {
        let useful = (hydro.max_storage_hm3 - hydro.min_storage_hm3).max(0.0);
        let half = (0.005 * useful).max(SYNTH_HALF_WIDTH_MIN);
        let (a, b) = if thi - tlo <= SINGLE_VOLUME_EPS {
            (lo - half, lo + half)
        } else {
            (clamp(lo - half), clamp(lo + half))
        };
        return (vec![a, b], true);
    }
    (linspace(lo, hi.max(lo), points.max(2)), false)
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

/// Distinct upper-hull facets of `points` (`(v, q, g)`).
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

/// A fitted FPHA: its planes and the grid they were fitted on.
#[derive(Debug, Clone, PartialEq)]
pub struct FphaFit {
    /// The planes, scaled and with their spillage slopes.
    pub planes: Vec<Plane>,
    /// The fitting grid at zero spillage: `[v (hm³), q (m³/s), φ (MW)]`
    /// with `φ` the production function capped at the maximum generation.
    pub samples: Vec<[f64; 3]>,
}

impl FphaFit {
    /// The planes' envelope `min_p plane_p(v, q, 0)` (MW).
    #[must_use]
    pub fn envelope(&self, v: f64, q: f64) -> f64 {
        envelope(&self.planes, v, q)
    }
}

/// `min_p plane_p(v, q, 0)` over `planes` (MW).
fn envelope(planes: &[Plane], v: f64, q: f64) -> f64 {
    planes
        .iter()
        .map(|p| p.at(v, q))
        .fold(f64::INFINITY, f64::min)
}

/// Fits the FPHA planes of `hydro` from its geometry.
///
/// `geometry` holds the hydro's points sorted by volume (one point: a
/// constant forebay level); `mean_inflow_m3s` is the long-term mean inflow
/// when an inflow history gives one. Returns `None` for a degenerate plant
/// (no geometry, no turbine or generation capacity, no production on the
/// grid), which then produces nothing.
#[must_use]
pub fn fit_planes(
    hydro: &Hydro,
    config: &FphaConfig,
    geometry: &[GeometryPoint],
    mean_inflow_m3s: Option<f64>,
    tailrace: TailraceSource<'_>,
) -> Option<FphaFit> {
    let q_max = hydro.max_turbined_m3s;
    let (Some(first), Some(last)) = (geometry.first(), geometry.last()) else {
        return None;
    };
    if q_max <= 1e-9 || hydro.max_generation_mw <= 1e-9 {
        return None;
    }
    let f = Production {
        volumes: geometry.iter().map(|p| p.volume_hm3).collect(),
        heights: geometry.iter().map(|p| p.height_m).collect(),
        tailrace,
        losses: hydro.hydraulic_losses,
        efficiency: match hydro.efficiency {
            Some(EfficiencyModel::Constant(e)) => e,
            None => 1.0,
        },
        max_generation: hydro.max_generation_mw,
    };
    let (vs, single_volume) = volume_axis(hydro, config, (first.volume_hm3, last.volume_hm3));
    let nq = config.turbine_points.unwrap_or(DEFAULT_POINTS).max(2);
    let qs = linspace(0.0, q_max, nq);
    let mut points = Vec::with_capacity(vs.len() * qs.len());
    for &v in &vs {
        for &q in &qs {
            points.push([v, q, f.capped(v, q, 0.0)]);
        }
    }
    let mut planes = upper_hull_planes(&points);
    if single_volume {
        for p in &mut planes {
            if p.gamma_v.abs() <= GAMMA_V_SNAP {
                p.gamma_v = 0.0;
            }
        }
    }
    if planes.is_empty() {
        return None;
    }
    // Facets in a fixed order: steepest in storage first, then flattest in flow.
    planes.sort_by(|a, b| {
        b.gamma_v
            .total_cmp(&a.gamma_v)
            .then(a.gamma_q.total_cmp(&b.gamma_q))
            .then(a.gamma_0.total_cmp(&b.gamma_0))
    });

    // Least-squares scale of the envelope onto the capped production.
    let (mut num, mut den) = (0.0, 0.0);
    for x in &points {
        let e = envelope(&planes, x[0], x[1]);
        num += e * x[2];
        den += e * e;
    }
    let alpha = if den == 0.0 { 1.0 } else { num / den };
    if alpha <= 0.0 || !alpha.is_finite() {
        return None;
    }
    for p in &mut planes {
        p.gamma_0 *= alpha;
        p.gamma_v *= alpha;
        p.gamma_q *= alpha;
    }

    // Spillage slope: secant at each plane's most productive envelope point.
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
            if p.at(v, q) - envelope(&snapshot, v, q) > ON_ENVELOPE {
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
        p.gamma_s = if slope > -GAMMA_S_SNAP { 0.0 } else { slope };
    }
    Some(FphaFit {
        planes,
        samples: points,
    })
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
    use cobre_core::hydro_models::TailraceSegment;
    use cobre_core::HydroId;

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

    fn constant_family(level: f64, h: f64) -> TailraceFamily {
        TailraceFamily {
            hydro: HydroId(0),
            family_id: 0,
            downstream_reference_level_m: Some(level),
            segments: vec![TailraceSegment {
                outflow_min_m3s: 0.0,
                outflow_max_m3s: 1000.0,
                coefficients: [h, 0.0, 0.0, 0.0, 0.0],
            }],
        }
    }

    #[test]
    fn families_blend_linearly_at_the_downstream_level_and_clamp_outside() {
        let (a, b) = (constant_family(880.0, 10.0), constant_family(890.0, 20.0));
        let fams = [&a, &b];
        assert!((family_level(&fams, 1.0, Some(885.0)) - 15.0).abs() < 1e-12);
        assert!((family_level(&fams, 1.0, Some(870.0)) - 10.0).abs() < 1e-12);
        assert!((family_level(&fams, 1.0, Some(900.0)) - 20.0).abs() < 1e-12);
        assert!((family_level(&fams, 1.0, None) - 10.0).abs() < 1e-12);
        assert!((family_level(&fams[..1], 1.0, Some(900.0)) - 10.0).abs() < 1e-12);
    }

    #[test]
    fn a_single_volume_window_is_fitted_on_two_synthesized_volumes() {
        let mut hydro = cobre_core::testing::hydro(0, 0, None, 100.0, 10.0);
        hydro.min_storage_hm3 = 100.0;
        hydro.max_storage_hm3 = 100.0;
        let config = FphaConfig {
            source: cobre_core::hydro_models::FphaSource::Computed,
            volume_points: None,
            turbine_points: None,
            spillage_points: None,
            max_planes: None,
            fitting_window_hm3: Some((Some(100.0), Some(100.0))),
            fitting_window_percentile: None,
        };
        let (vs, single) = volume_axis(&hydro, &config, (100.0, 100.0));
        assert!(single);
        assert_eq!(vs, vec![99.0, 101.0]);
        let (vs, single) = volume_axis(&hydro, &config, (50.0, 100.0));
        assert!(single);
        assert_eq!(
            vs,
            vec![99.0, 100.0],
            "clamped to a table that spans a range"
        );
    }
}
