//! `system/tailrace_curves.parquet`: tailrace families (piecewise quartics
//! in total outflow, one per downstream water level) and their checks.
//!
//! A family's segments must be contiguous (each starts where the previous
//! one ends, within 1e-6 m³/s) and continuous (the two quartics meet within
//! `max(1e-3 m, 1e-4 · level)`); a hydro with several families must give
//! every family a `downstream_reference_level_m`. These are the conditions
//! under which Cobre 0.18 fits a computed FPHA from the table; a defect is an
//! error for a hydro whose FPHA is computed (the table feeds its fit) and a
//! warning otherwise (the table is unused).

use super::{row_ctx, table_of, Src};
use crate::files::{name, CaseFiles};
use crate::report::{Finding, FindingContext, FindingKind, Layer, Severity, Sink};
use crate::tables::{key, opt, ColType, TableSpec};
use cobre_core::hydro_models::{TailraceFamily, TailraceSegment};
use cobre_core::HydroId;
use std::collections::BTreeMap;

/// Tolerance of the contiguity check between consecutive segments (m³/s).
const CONTIGUITY_EPS: f64 = 1e-6;
/// Absolute floor of the continuity check at a segment boundary (m).
const CONTINUITY_ABS: f64 = 1e-3;
/// Relative tolerance of the continuity check at a segment boundary.
const CONTINUITY_REL: f64 = 1e-4;

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TailraceRow {
    pub hydro: i32,
    pub family: i32,
    pub level: Option<f64>,
    pub segment: i32,
    pub outflow_min: f64,
    pub outflow_max: f64,
    pub coefficients: [f64; 5],
}

static SPEC: TableSpec = TableSpec {
    file: name::TAILRACE_CURVES,
    columns: &[
        key("hydro_id", ColType::I32),
        key("family_id", ColType::I32),
        opt("downstream_reference_level_m", ColType::F64),
        key("segment_id", ColType::I32),
        key("outflow_min_m3s", ColType::F64),
        key("outflow_max_m3s", ColType::F64),
        key("coefficient_0", ColType::F64),
        opt("coefficient_1", ColType::F64),
        opt("coefficient_2", ColType::F64),
        opt("coefficient_3", ColType::F64),
        opt("coefficient_4", ColType::F64),
    ],
};

/// Reads the table (absent file: `Src::Absent`).
pub(crate) fn read(files: &CaseFiles, sink: &mut Sink) -> Src<Vec<(usize, TailraceRow)>> {
    let rows = table_of(files, &SPEC, sink).map_rows(|t, r| {
        let mut coefficients = [0.0; 5];
        for (i, c) in coefficients.iter_mut().enumerate() {
            *c = t.f64(&format!("coefficient_{i}"), r).unwrap_or(0.0);
        }
        Some(TailraceRow {
            hydro: t.i32("hydro_id", r)?,
            family: t.i32("family_id", r)?,
            level: t.f64("downstream_reference_level_m", r),
            segment: t.i32("segment_id", r)?,
            outflow_min: t.f64("outflow_min_m3s", r)?,
            outflow_max: t.f64("outflow_max_m3s", r)?,
            coefficients,
        })
    });
    if let Src::Read(rows) = &rows {
        for (r, x) in rows {
            if x.outflow_min < 0.0 || x.outflow_max < x.outflow_min {
                sink.push(Finding::error(
                    FindingKind::OutOfRange,
                    Layer::Schema,
                    row_ctx(name::TAILRACE_CURVES, *r).field("outflow_max_m3s"),
                    format!(
                        "segment outflow range [{}, {}] must satisfy 0 ≤ outflow_min_m3s ≤ outflow_max_m3s",
                        x.outflow_min, x.outflow_max
                    ),
                ));
            }
        }
    }
    rows
}

/// Groups the rows into families: per hydro sorted by (downstream level,
/// family id), segments in `segment_id` order.
pub(crate) fn families(rows: &[(usize, TailraceRow)]) -> Vec<TailraceFamily> {
    let mut by_key: BTreeMap<(i32, i32), Vec<TailraceRow>> = BTreeMap::new();
    for (_, x) in rows {
        by_key.entry((x.hydro, x.family)).or_default().push(*x);
    }
    let mut out: Vec<TailraceFamily> = by_key
        .into_iter()
        .map(|((hydro, family_id), mut segs)| {
            segs.sort_by_key(|s| s.segment);
            TailraceFamily {
                hydro: HydroId(hydro),
                family_id,
                downstream_reference_level_m: segs.first().and_then(|s| s.level),
                segments: segs
                    .iter()
                    .map(|s| TailraceSegment {
                        outflow_min_m3s: s.outflow_min,
                        outflow_max_m3s: s.outflow_max,
                        coefficients: s.coefficients,
                    })
                    .collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        let la = a.downstream_reference_level_m.unwrap_or(f64::NEG_INFINITY);
        let lb = b.downstream_reference_level_m.unwrap_or(f64::NEG_INFINITY);
        a.hydro
            .cmp(&b.hydro)
            .then(la.total_cmp(&lb))
            .then(a.family_id.cmp(&b.family_id))
    });
    out
}

/// The structural defects of one hydro's families, as messages.
pub(crate) fn defects(families: &[&TailraceFamily]) -> Vec<String> {
    let mut out = Vec::new();
    if families.len() > 1
        && families
            .iter()
            .any(|f| f.downstream_reference_level_m.is_none())
    {
        out.push(format!(
            "{} families but not every one has a `downstream_reference_level_m`: the family to use cannot be chosen",
            families.len()
        ));
    }
    for f in families {
        for w in f.segments.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            if (b.outflow_min_m3s - a.outflow_max_m3s).abs() > CONTIGUITY_EPS {
                out.push(format!(
                    "family {}: a segment ends at {} m³/s but the next starts at {} m³/s (segments must be contiguous)",
                    f.family_id, a.outflow_max_m3s, b.outflow_min_m3s
                ));
                continue;
            }
            let q = a.outflow_max_m3s;
            let (left, right) = (a.eval(q), b.eval(q));
            let tol = (CONTINUITY_REL * left.abs().max(right.abs())).max(CONTINUITY_ABS);
            if (left - right).abs() > tol {
                out.push(format!(
                    "family {}: the curve jumps from {left} m to {right} m at {q} m³/s (segments must meet)",
                    f.family_id
                ));
            }
        }
    }
    out
}

/// Reports the defects of every hydro's families: errors for `computed`
/// (the hydros whose computed FPHA reads the table), warnings otherwise.
pub(crate) fn check(
    families: &[TailraceFamily],
    computed: &dyn Fn(i32) -> bool,
    known: &dyn Fn(i32) -> bool,
    sink: &mut Sink,
) {
    let mut by_hydro: BTreeMap<i32, Vec<&TailraceFamily>> = BTreeMap::new();
    for f in families {
        by_hydro.entry(f.hydro.0).or_default().push(f);
    }
    for (h, fams) in by_hydro {
        let ctx = FindingContext::file(name::TAILRACE_CURVES).entity("hydro", h);
        if !known(h) {
            sink.push(Finding::error(
                FindingKind::MissingReference,
                Layer::Referential,
                ctx.clone().field("hydro_id"),
                format!(
                    "tailrace curves for hydro {h}, which `system/hydros.json` does not declare"
                ),
            ));
            continue;
        }
        let used = computed(h);
        for msg in defects(&fams) {
            let text = format!("hydro {h}: {msg}");
            sink.push(if used {
                Finding::error(
                    FindingKind::PhysicalConstraint,
                    Layer::Dimensional,
                    ctx.clone(),
                    text,
                )
            } else {
                Finding::new(
                    Severity::Warning,
                    FindingKind::PhysicalConstraint,
                    Layer::Dimensional,
                    ctx.clone(),
                    format!("{text} (the table is unused: the hydro has no computed FPHA)"),
                )
            });
        }
        if !used {
            sink.push(Finding::new(
Severity::Warning,
                FindingKind::CoverageMismatch,
                Layer::Dimensional,
                ctx,
                format!(
                    "hydro {h} has tailrace curves but no computed FPHA: the curves are not used (only a computed FPHA reads them)"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fam(level: Option<f64>, segs: &[(f64, f64, [f64; 5])]) -> TailraceFamily {
        TailraceFamily {
            hydro: HydroId(1),
            family_id: 1,
            downstream_reference_level_m: level,
            segments: segs
                .iter()
                .map(|&(a, b, c)| TailraceSegment {
                    outflow_min_m3s: a,
                    outflow_max_m3s: b,
                    coefficients: c,
                })
                .collect(),
        }
    }

    #[test]
    fn contiguous_continuous_segments_have_no_defect() {
        let f = fam(
            None,
            &[
                (0.0, 100.0, [10.0, 0.01, 0.0, 0.0, 0.0]),
                (100.0, 500.0, [11.0, 0.0, 0.0, 0.0, 0.0]),
            ],
        );
        assert!(defects(&[&f]).is_empty());
        assert!((f.level_at(50.0) - 10.5).abs() < 1e-12);
        assert!((f.level_at(900.0) - 11.0).abs() < 1e-12, "clamped above");
    }

    #[test]
    fn gaps_jumps_and_missing_levels_are_defects() {
        let gap = fam(
            Some(1.0),
            &[
                (0.0, 100.0, [10.0, 0.0, 0.0, 0.0, 0.0]),
                (101.0, 500.0, [10.0, 0.0, 0.0, 0.0, 0.0]),
            ],
        );
        let jump = fam(
            None,
            &[
                (0.0, 100.0, [10.0, 0.0, 0.0, 0.0, 0.0]),
                (100.0, 500.0, [12.0, 0.0, 0.0, 0.0, 0.0]),
            ],
        );
        assert_eq!(defects(&[&gap]).len(), 1);
        assert_eq!(defects(&[&jump]).len(), 1);
        // Two families, one without a level.
        let d = defects(&[&gap, &jump]);
        assert!(d.iter().any(|m| m.contains("downstream_reference_level_m")));
    }
}
