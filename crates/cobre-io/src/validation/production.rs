//! Layer 4, production models: which model covers each hydro at each
//! stage, where its productivity or planes come from, the geometry a
//! computed FPHA needs, and the tailrace families that feed it.

use super::err;
use crate::files::name;
use crate::reader::{check_tailrace, tailrace_families, CaseData, StagesData};
use crate::report::{Finding, FindingContext, FindingKind, Layer, Severity, Sink};
use crate::util::list_ids;
use cobre_core::entities::HydroGenerationModel;
use cobre_core::hydro_models::{
    EnergyProductivity, FphaPlane, FphaSource, GeometryPoint, HydroProductionModel,
    ProductionModelKind, ProductionModelSelection,
};
use cobre_core::Hydro;
use std::collections::{BTreeMap, BTreeSet};

const L: Layer = Layer::Dimensional;

/// The production model of a hydro at a stage.
fn model_at(
    entry: Option<&HydroProductionModel>,
    hydro: &Hydro,
    stage: i32,
) -> Option<ProductionModelKind> {
    if let Some(HydroProductionModel {
        selection: ProductionModelSelection::StageRanges(ranges),
        ..
    }) = entry
    {
        for r in ranges {
            if stage >= r.start_stage.0 && r.end_stage.is_none_or(|e| stage <= e.0) {
                return Some(r.model.clone());
            }
        }
    }
    if let Some(HydroProductionModel {
        selection: ProductionModelSelection::Seasonal { .. },
        ..
    }) = entry
    {
        return None;
    }
    match hydro.generation_model {
        HydroGenerationModel::ConstantProductivity => {
            Some(ProductionModelKind::ConstantProductivity {
                productivity_mw_per_m3s: None,
            })
        }
        _ => None,
    }
}

/// The Parquet tables a production model draws on, as read (empty when absent).
struct Tables<'a> {
    /// `hydro_productivity.parquet`.
    productivity: &'a [(usize, EnergyProductivity)],
    /// `fpha_hyperplanes.parquet`.
    planes: &'a [(usize, FphaPlane)],
    /// `hydro_geometry.parquet`.
    geometry: &'a [(usize, GeometryPoint)],
}

/// What one hydro's study stages lack or give twice.
#[derive(Default)]
struct Coverage {
    /// Stages of constant productivity without any productivity.
    none: Vec<i32>,
    /// Stages with productivity from both the JSON entry and the Parquet file.
    both: Vec<i32>,
    /// Stages of precomputed FPHA without planes.
    no_planes: Vec<i32>,
    /// Some stage has productivity 0 while the plant can turbine.
    zero_with_turbines: bool,
    /// Some stage computes its FPHA (from the geometry).
    needs_geometry: bool,
}

/// Layer 4 over the production models: stage ranges, then every hydro's
/// coverage, then the tailrace families.
pub(crate) fn check(d: &CaseData, st: &StagesData, sink: &mut Sink) {
    let Some(hydros) = &d.hydros else { return };
    let hs = &d.hydro_system;
    if hs.production.failed()
        || hs.productivity.failed()
        || hs.fpha.failed()
        || hs.geometry.failed()
    {
        return;
    }
    let entries: BTreeMap<i32, &HydroProductionModel> = hs
        .production
        .get()
        .map(|v| v.iter().map(|e| (e.model.hydro.0, &e.model)).collect())
        .unwrap_or_default();
    let tables = Tables {
        productivity: hs.productivity.get().map(Vec::as_slice).unwrap_or_default(),
        planes: hs.fpha.get().map(Vec::as_slice).unwrap_or_default(),
        geometry: hs.geometry.get().map(Vec::as_slice).unwrap_or_default(),
    };
    stage_ranges(&entries, st, sink);
    let mut computed = BTreeSet::new();
    for raw in &hydros.items {
        let hydro = &raw.hydro;
        let h = hydro.id.0;
        let entry = entries.get(&h).copied();
        if entry.is_none() && hydro.generation_model == HydroGenerationModel::Fpha {
            sink.push(err(
                L,
                FindingKind::CoverageMismatch,
                FindingContext::file(name::PRODUCTION_MODELS).entity("hydro", h),
                format!(
                    "hydro {h} is an FPHA plant but has no entry (with `fpha_config`) in `{}`",
                    name::PRODUCTION_MODELS
                ),
            ));
            continue;
        }
        let cov = coverage(entry, hydro, st, &tables);
        if cov.needs_geometry {
            computed.insert(h);
        }
        report(hydro, &cov, tables.geometry, sink);
    }
    if let Some(rows) = hs.tailrace.get() {
        let families = tailrace_families(rows);
        let known: BTreeSet<i32> = hydros.ids.iter().copied().collect();
        check_tailrace(
            &families,
            &|h| computed.contains(&h),
            &|h| known.contains(&h),
            sink,
        );
    }
}

/// Stage ranges name study stages and do not overlap.
fn stage_ranges(entries: &BTreeMap<i32, &HydroProductionModel>, st: &StagesData, sink: &mut Sink) {
    for (h, entry) in entries {
        let ProductionModelSelection::StageRanges(ranges) = &entry.selection else {
            continue;
        };
        let ctx = FindingContext::file(name::PRODUCTION_MODELS).entity("hydro", *h);
        for r in ranges {
            for s in [Some(r.start_stage.0), r.end_stage.map(|e| e.0)]
                .into_iter()
                .flatten()
            {
                if !st.is_study(s) {
                    sink.push(err(
                        L,
                        FindingKind::StageMismatch,
                        ctx.clone().field("stage_ranges").stage(s),
                        format!("hydro {h}: stage range bound {s} is not a study stage"),
                    ));
                }
            }
        }
        for s in &st.stage_ids {
            let n = ranges
                .iter()
                .filter(|r| *s >= r.start_stage.0 && r.end_stage.is_none_or(|e| *s <= e.0))
                .count();
            if n > 1 {
                sink.push(err(
                    L,
                    FindingKind::StageMismatch,
                    ctx.clone().field("stage_ranges").stage(*s),
                    format!("hydro {h}: {n} stage ranges cover stage {s}; ranges must not overlap"),
                ));
            }
        }
    }
}

/// Walks the study stages of one hydro and collects what its production
/// model lacks at each.
fn coverage(
    entry: Option<&HydroProductionModel>,
    hydro: &Hydro,
    st: &StagesData,
    tables: &Tables<'_>,
) -> Coverage {
    let h = hydro.id.0;
    let mut cov = Coverage::default();
    for s in &st.stage_ids {
        match model_at(entry, hydro, *s) {
            Some(ProductionModelKind::ConstantProductivity {
                productivity_mw_per_m3s,
            }) => {
                let own = |stage: Option<i32>| {
                    tables.productivity.iter().any(|(_, p)| {
                        p.hydro.0 == h
                            && p.stage.map(|x| x.0) == stage
                            && p.equivalent_productivity.is_some()
                    })
                };
                let parquet = own(Some(*s)) || own(None);
                let zero = productivity_mw_per_m3s == Some(0.0)
                    || tables.productivity.iter().any(|(_, p)| {
                        p.hydro.0 == h
                            && (p.stage.map(|x| x.0) == Some(*s) || p.stage.is_none())
                            && p.equivalent_productivity == Some(0.0)
                    });
                cov.zero_with_turbines |= zero && hydro.max_turbined_m3s > 0.0;
                match (productivity_mw_per_m3s.is_some(), parquet) {
                    (false, false) => cov.none.push(*s),
                    (true, true) => cov.both.push(*s),
                    _ => {}
                }
            }
            Some(ProductionModelKind::Fpha { config, .. }) => match config.source {
                FphaSource::Precomputed => {
                    let has = |stage: Option<i32>| {
                        tables
                            .planes
                            .iter()
                            .any(|(_, p)| p.hydro.0 == h && p.stage.map(|x| x.0) == stage)
                    };
                    if !has(Some(*s)) && !has(None) {
                        cov.no_planes.push(*s);
                    }
                }
                FphaSource::Computed => cov.needs_geometry = true,
            },
            _ => {}
        }
    }
    cov
}

/// The findings of one hydro's coverage, and of the geometry its model or
/// its evaporation needs.
fn report(hydro: &Hydro, cov: &Coverage, geometry: &[(usize, GeometryPoint)], sink: &mut Sink) {
    let h = hydro.id.0;
    let ctx = FindingContext::file(name::PRODUCTION_MODELS).entity("hydro", h);
    if let Some(first) = cov.none.first() {
        sink.push(err(L, FindingKind::CoverageMismatch, ctx.clone().stage(*first),
            format!("hydro {h} has no productivity for stage(s) {}: give `productivity_mw_per_m3s` in `{}` or `equivalent_productivity_mw_per_m3s` in `{}`",
                list_ids(&cov.none), name::PRODUCTION_MODELS, name::PRODUCTIVITY)));
    }
    if let Some(first) = cov.both.first() {
        sink.push(err(L, FindingKind::IncompatibleSettings, ctx.clone().stage(*first),
            format!("hydro {h} gets its productivity from both `{}` and `{}` at stage(s) {}; supply it from exactly one source",
                name::PRODUCTION_MODELS, name::PRODUCTIVITY, list_ids(&cov.both))));
    }
    if let Some(first) = cov.no_planes.first() {
        sink.push(err(L, FindingKind::CoverageMismatch, FindingContext::file(name::FPHA).entity("hydro", h).stage(*first),
            format!("hydro {h} uses precomputed FPHA but `{}` has no plane for stage(s) {} (and no all-stage rows)", name::FPHA, list_ids(&cov.no_planes))));
    }
    if cov.zero_with_turbines {
        sink.push(Finding::new(
Severity::Warning,FindingKind::PhysicalConstraint, L, ctx,
            format!("hydro {h} has productivity 0 but can turbine up to {} m³/s: its turbined water generates nothing", hydro.max_turbined_m3s)));
    }
    let points = geometry.iter().filter(|(_, g)| g.hydro.0 == h).count();
    // One point is a run-of-river plant's constant forebay level (0.18
    // fits it on a synthesized two-volume grid); none is an error.
    if cov.needs_geometry && points == 0 {
        sink.push(err(
            L,
            FindingKind::CoverageMismatch,
            FindingContext::file(name::GEOMETRY).entity("hydro", h),
            format!(
                "hydro {h} uses computed FPHA but `{}` has no point for it; at least 1 is needed",
                name::GEOMETRY
            ),
        ));
    }
    if hydro.evaporation.is_some()
        && !geometry
            .iter()
            .any(|(_, g)| g.hydro.0 == h && g.area_km2 > 0.0)
    {
        sink.push(Finding::new(
Severity::Warning,FindingKind::CoverageMismatch, L, FindingContext::file(name::GEOMETRY).entity("hydro", h),
            format!("hydro {h} has evaporation coefficients but no area curve in `{}`: evaporation is not modelled for it", name::GEOMETRY)));
    }
}
