//! `cobre report OUT --html FILE`: one self-contained HTML page of charts
//! (inline SVG drawn by `plotters`, a few lines of inline script to pick a
//! reservoir; nothing is fetched when it is viewed).
//!
//! [`data`] reads the output folder, [`stats`] summarises, [`charts`] draws,
//! this module lays the page out.

mod charts;
mod data;
mod stats;

use crate::bounds;
use crate::fmt::{count, money, seconds};
use data::ReportData;
use std::fmt::Write as _;
use std::path::Path;

/// Reservoirs drawn side by side at the top of the storage section.
const LARGEST: usize = 4;

/// Reads the output folder `dir` and renders its report.
///
/// # Errors
/// The folder cannot be read ([`cobre::read_run`]'s error, as text with its
/// kind) or a chart cannot be drawn.
pub(crate) fn render_dir(dir: &Path) -> Result<Page, cobre::Error> {
    let data = data::read(dir)?;
    render(&data).map_err(|message| {
        cobre::Error::Output(cobre::outputs::OutputError::Corrupted {
            path: dir.to_path_buf(),
            message: format!("the report could not be drawn: {message}"),
        })
    })
}

/// A rendered report.
#[derive(Debug)]
pub(crate) struct Page {
    /// The HTML text.
    pub html: String,
    /// Charts in it.
    pub charts: usize,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}\
h1{font-size:26px;margin-bottom:4px}h2{font-size:20px;margin-top:36px;border-bottom:1px solid #ccc;padding-bottom:4px}\
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 12px 3px 0;text-align:left;vertical-align:top}\
th{font-weight:600;color:#555}td.num{text-align:right;font-variant-numeric:tabular-nums}\
.note{background:#f4f6fa;border-left:4px solid #1f77b4;padding:8px 12px}\
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:12px}\
figure{margin:8px 0}svg{max-width:100%;height:auto}.muted{color:#777}";

const SCRIPT: &str = "var pick=document.getElementById('hydro-pick');\
if(pick){pick.addEventListener('change',function(){\
document.querySelectorAll('.pick').forEach(function(d){d.hidden=d.getAttribute('data-hydro')!==pick.value;});});}";

/// Key/value rows as an HTML table.
fn table(rows: &[(&str, String)]) -> String {
    let mut out = String::from("<table>");
    for (k, v) in rows {
        let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v));
    }
    out.push_str("</table>");
    out
}

fn figure(out: &mut String, charts: &mut usize, svg: &str) {
    out.push_str("<figure>");
    out.push_str(svg);
    out.push_str("</figure>");
    *charts += 1;
}

fn render(d: &ReportData) -> Result<Page, String> {
    let m = &d.run.manifest;
    let mut charts = 0;
    let mut body = String::new();
    let case_name = Path::new(&m.case.path)
        .file_name()
        .map_or_else(|| m.case.path.clone(), |n| n.to_string_lossy().into_owned());
    let status = if !d.run.missing_files.is_empty() {
        "damaged (files listed by the manifest are missing)"
    } else if d.run.complete {
        "complete"
    } else {
        "incomplete (no _SUCCESS)"
    };
    let _ = write!(
        body,
        "<h1>Cobre report: {}</h1><p class=\"muted\">{} · written by cobre {} at {}</p>",
        escape(&case_name),
        escape(&d.run.output_dir.display().to_string()),
        escape(&m.cobre_version),
        escape(&m.created_at)
    );
    let timings: Vec<String> = m
        .timings_s
        .iter()
        .map(|(k, v)| format!("{k} {}", seconds(*v)))
        .collect();
    body.push_str(&table(&[
        ("status", status.to_owned()),
        ("case", format!("{} ({})", m.case.path, m.case.fingerprint)),
        ("seed", m.seed.to_string()),
        (
            "processes",
            format!("{} rank(s) × {} thread(s)", m.ranks, m.threads),
        ),
        ("timings", timings.join(", ")),
    ]));

    convergence(d, &mut body, &mut charts)?;
    simulation(d, &mut body, &mut charts)?;

    if !d.notes.is_empty() {
        body.push_str("<h2>Notes</h2><ul>");
        for n in &d.notes {
            let _ = write!(body, "<li>{}</li>", escape(n));
        }
        body.push_str("</ul>");
    }
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Cobre report: {}</title><style>{STYLE}</style></head><body>\n{body}\n\
         <p class=\"muted\">{charts} charts, drawn by cobre {} from the output folder; \
         this file needs nothing else to be viewed.</p><script>{SCRIPT}</script></body></html>\n",
        escape(&case_name),
        env!("CARGO_PKG_VERSION"),
    );
    Ok(Page { html, charts })
}

#[allow(clippy::cast_precision_loss)]
fn lp_solves(r: &cobre::IterationRecord) -> f64 {
    r.lp_solves as f64
}

fn convergence(d: &ReportData, body: &mut String, charts: &mut usize) -> Result<(), String> {
    body.push_str("<h2>Training</h2>");
    let recs = &d.run.convergence;
    let Some(last) = recs.last() else {
        body.push_str("<p>Training did not run (no convergence records in this folder).</p>");
        return Ok(());
    };
    let kind = Some(last.upper_bound_kind);
    let _ = write!(body, "<p class=\"note\">{}.</p>", escape(last.bound_note()));
    let termination = d
        .run
        .manifest
        .training
        .as_ref()
        .map_or_else(String::new, |t| format!(" ({})", t.termination));
    let mut rows = vec![
        ("iterations", format!("{}{termination}", last.iteration)),
        ("lower bound", money(Some(last.lower_bound))),
        (
            "upper bound",
            bounds::upper_text(kind, Some(last.upper_bound), Some(last.ci_95)),
        ),
    ];
    if let Some(p) = last.lower_bound_position() {
        rows.push(("lower bound in 95 %", p.as_str().to_owned()));
    }
    rows.push(("gap", bounds::gap_text(kind, last.gap)));
    let solves: u64 = recs.iter().map(|r| r.lp_solves).sum();
    rows.push((
        "LP solves",
        format!("{} in {}", count(solves), seconds(last.wall_time_ms / 1e3)),
    ));
    body.push_str(&table(&rows));
    figure(body, charts, &charts::bounds(recs)?);
    body.push_str("<div class=\"grid\">");
    figure(
        body,
        charts,
        &charts::per_iteration(
            recs,
            "Time per iteration",
            "wall time (ms)",
            |r| r.iteration_time_ms,
            2,
        )?,
    );
    figure(
        body,
        charts,
        &charts::per_iteration(recs, "LP solves per iteration", "LP solves", lp_solves, 4)?,
    );
    body.push_str("</div>");
    match &d.cuts {
        Some(cuts) if !cuts.is_empty() => {
            let total: usize = cuts.iter().map(|c| c.total).sum();
            let active: usize = cuts.iter().map(|c| c.active).sum();
            let _ = write!(
                body,
                "<p>The saved policy holds {} cuts, {} of them active.</p>",
                count(total as u64),
                count(active as u64)
            );
            figure(body, charts, &charts::cuts(cuts)?);
        }
        _ => body.push_str("<p>No saved policy was found: cuts per stage are not shown.</p>"),
    }
    Ok(())
}

fn simulation(d: &ReportData, body: &mut String, charts: &mut usize) -> Result<(), String> {
    body.push_str("<h2>Simulation</h2>");
    let Some(sim) = &d.sim else {
        body.push_str("<p>The policy was not simulated in this run (no simulation tables).</p>");
        return Ok(());
    };
    let sorted = stats::sorted_finite(&sim.total_cost);
    let moments = data::cost_moments(sim);
    let percentiles: Vec<(f64, f64)> = stats::FAN
        .iter()
        .filter_map(|&p| stats::percentile(&sorted, p).map(|v| (p, v)))
        .collect();
    let _ = write!(
        body,
        "<h3>Total cost of {} simulated scenario(s)</h3>",
        count(sim.scenarios as u64)
    );
    body.push_str("<table><tr>");
    for h in [
        "mean", "std", "min", "P5", "P25", "P50", "P75", "P95", "max",
    ] {
        let _ = write!(body, "<th>{h}</th>");
    }
    body.push_str("</tr><tr>");
    let mut cells = vec![
        moments.map(|m| m.0),
        moments.map(|m| m.1),
        sorted.first().copied(),
    ];
    cells.extend(percentiles.iter().map(|p| Some(p.1)));
    cells.push(sorted.last().copied());
    for c in cells {
        let _ = write!(body, "<td class=\"num\">{}</td>", escape(&money(c)));
    }
    body.push_str("</tr></table>");
    figure(
        body,
        charts,
        &charts::cost_histogram(
            &stats::histogram(&sorted),
            &percentiles,
            moments.map(|m| m.0),
        )?,
    );

    body.push_str("<h3>Storage by reservoir</h3>");
    if sim.storage.is_empty() {
        body.push_str("<p>No reservoir with storage in this system.</p>");
    } else {
        let _ = write!(
            body,
            "<p>End-of-stage storage over the simulated scenarios: percentile fans \
             (P5–P95, P25–P75, median) of the {} largest reservoir(s){}.</p><div class=\"grid\">",
            sim.storage.len().min(LARGEST),
            if d.case_known {
                " by capacity"
            } else {
                " by the largest storage reached"
            }
        );
        for fan in sim.storage.iter().take(LARGEST) {
            figure(body, charts, &charts::storage_fan(fan, &sim.stage_ids)?);
        }
        body.push_str("</div>");
        body.push_str(
            "<p><label for=\"hydro-pick\">Any reservoir: </label><select id=\"hydro-pick\">",
        );
        for (i, fan) in sim.storage.iter().enumerate() {
            let _ = write!(
                body,
                "<option value=\"{}\"{}>{} (hydro {}, {} hm3)</option>",
                fan.hydro_id,
                if i == 0 { " selected" } else { "" },
                escape(&fan.name),
                fan.hydro_id,
                money(Some(fan.size_hm3))
            );
        }
        body.push_str("</select></p>");
        for (i, fan) in sim.storage.iter().enumerate() {
            let _ = write!(
                body,
                "<div class=\"pick\" data-hydro=\"{}\"{}>",
                fan.hydro_id,
                if i == 0 { "" } else { " hidden" }
            );
            figure(body, charts, &charts::storage_fan(fan, &sim.stage_ids)?);
            body.push_str("</div>");
        }
    }

    body.push_str("<h3>Generation and deficit</h3>");
    let weighting = if d.case_known {
        "blocks weighted by their hours"
    } else {
        "blocks weighted evenly (case folder not available)"
    };
    let _ = write!(
        body,
        "<p>Mean power per stage over the simulated scenarios, {weighting}.</p>"
    );
    figure(
        body,
        charts,
        &charts::generation(&sim.generation, &sim.stage_ids)?,
    );
    figure(
        body,
        charts,
        &charts::deficit(&sim.deficit, &sim.stage_ids)?,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
