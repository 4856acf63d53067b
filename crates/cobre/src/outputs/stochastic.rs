//! `exports.stochastic`: the stochastic model a run used, under
//! `<output>/stochastic/` (layout and schemas in
//! `cobre_io::output::stochastic`; `fit_report.json` is built here).

use super::write_table;
use crate::stochastic::{par_summary, FitReport, StochasticModel};
use crate::{Case, Error};
use cobre_io::output::{
    inflow_model_batch, inflow_seasonal_stats_batch, layout, noise_openings_batch, write_atomic,
    FileInfo, InflowModelTable, NoiseEntity, OpeningsTable, OutputError, INFLOW_MODEL_SCHEMA,
    INFLOW_SEASONAL_STATS_SCHEMA, NOISE_OPENINGS_SCHEMA,
};
use cobre_stochastic::NoiseClass;
use serde_json::{json, Value};
use std::path::Path;

/// Writes `stochastic/` under `out`: the seasonal statistics and inflow
/// rows per study stage, the opening tree, and the fit from history when
/// there was one. Every file is written atomically.
///
/// # Errors
/// [`Error::Output`] when a file cannot be encoded or written.
pub fn write_stochastic(
    out: &Path,
    case: &Case,
    model: &StochasticModel,
) -> Result<Vec<FileInfo>, Error> {
    let s = par_summary(case, model);
    let table = InflowModelTable {
        stage_ids: &s.stage_ids,
        hydro_ids: &s.hydro_ids,
        order: s.order,
        means: &s.seasonal_means,
        stds: &s.seasonal_stds,
        base: &s.intercepts,
        sigma: &s.noise_std,
        psi: &s.ar_coefficients,
    };
    let mut files = vec![
        write_table(
            out,
            layout::INFLOW_SEASONAL_STATS,
            inflow_seasonal_stats_batch(&table),
            INFLOW_SEASONAL_STATS_SCHEMA,
        )?,
        write_table(
            out,
            layout::INFLOW_MODEL,
            inflow_model_batch(&table),
            INFLOW_MODEL_SCHEMA,
        )?,
    ];

    let system = &case.system;
    let entities: Vec<NoiseEntity<'_>> = model
        .noise_entities()
        .into_iter()
        .map(|(class, e)| match class {
            NoiseClass::Inflow => NoiseEntity {
                kind: "inflow",
                id: system.hydros().get(e).map_or(-1, |h| h.id.0),
            },
            NoiseClass::Load => NoiseEntity {
                kind: "load",
                id: system.buses().get(e).map_or(-1, |b| b.id.0),
            },
            NoiseClass::Ncs => NoiseEntity {
                kind: "ncs",
                id: system
                    .non_controllable_sources()
                    .get(e)
                    .map_or(-1, |r| r.id.0),
            },
        })
        .collect();
    let tree = model.opening_tree();
    let counts: Vec<usize> = (0..tree.num_stages()).map(|t| tree.openings(t)).collect();
    let value = |t: usize, k: usize| tree.opening(t, k);
    let openings = noise_openings_batch(&OpeningsTable {
        stage_ids: &s.stage_ids,
        openings: &counts,
        entities: &entities,
        value: &value,
    });
    files.push(write_table(
        out,
        layout::NOISE_OPENINGS,
        openings,
        NOISE_OPENINGS_SCHEMA,
    )?);

    if let Some(fit) = model.fit_report() {
        let path = out.join(layout::FIT_REPORT);
        let text = serde_json::to_vec_pretty(&fit_json(fit, &s.hydro_ids)).map_err(|e| {
            OutputError::Encode {
                path: path.clone(),
                message: e.to_string(),
            }
        })?;
        let bytes = write_atomic(&path, &text)?;
        files.push(FileInfo {
            path,
            bytes,
            rows: 0,
        });
    }
    tracing::info!(
        files = files.len(),
        dir = %out.join(layout::STOCHASTIC_DIR).display(),
        "stochastic model exported"
    );
    Ok(files)
}

/// A finite number, else `null` (JSON has no NaN).
fn num(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        Value::Null
    }
}

fn nums(v: &[f64]) -> Value {
    Value::Array(v.iter().map(|&x| num(x)).collect())
}

/// The fit from history as JSON: per hydro and season, the sample, the
/// partial autocorrelations, the order the PACF rule chose
/// (`selected_order`), and the standardised model after reductions
/// (`order` = the number of `coefficients`);
/// the residual correlations are row-major over `hydro_ids` (the system's
/// hydro order).
fn fit_json(fit: &FitReport, hydro_ids: &[i32]) -> Value {
    let hydros: Vec<Value> = fit
        .hydros
        .iter()
        .map(|h| {
            let seasons: Vec<Value> = h
                .seasons
                .iter()
                .map(|(season, f)| {
                    json!({
                        "season_id": season.0,
                        "observations": f.observations,
                        "mean_m3s": num(f.mean),
                        "std_m3s": num(f.std),
                        "pacf": nums(&f.pacf),
                        "selected_order": f.selected_order,
                        "order": f.coefficients.len(),
                        "coefficients": nums(&f.coefficients),
                        "residual_std_ratio": num(f.residual_std_ratio),
                        "annual_coefficient": f.annual_coefficient.map_or(Value::Null, num),
                        "annual_mean_m3s": f.annual_mean.map_or(Value::Null, num),
                        "annual_std_m3s": f.annual_std.map_or(Value::Null, num),
                    })
                })
                .collect();
            json!({ "hydro_id": h.hydro.0, "seasons": seasons })
        })
        .collect();
    let seasonal: Vec<Value> = fit
        .seasonal_correlation
        .iter()
        .map(|(season, m)| json!({ "season_id": season.0, "matrix": nums(m) }))
        .collect();
    json!({
        "annual": fit.annual,
        "correlation_hydro_order": hydro_ids,
        "hydros": hydros,
        "residual_correlation": fit.residual_correlation.as_deref().map_or(Value::Null, nums),
        "seasonal_correlation": seasonal,
    })
}
