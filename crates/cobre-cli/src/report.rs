//! `cobre report OUT`: what an output folder holds, from its manifest and
//! its convergence file.

use crate::bounds;
use crate::fmt::{count, money, seconds, Table};
use crate::{Exit, ReportArgs};
use cobre::{RunReport, UpperBoundKind};

pub(crate) fn report(args: &ReportArgs) -> Exit {
    let r = match cobre::read_run(&args.output) {
        Ok(r) => r,
        Err(e) => return fail(args, &e),
    };
    let html = match &args.html {
        Some(file) => match write_html(&args.output, file) {
            Ok(charts) => Some((file, charts)),
            Err(e) => return fail(args, &e),
        },
        None => None,
    };
    if args.json {
        let mut v = to_json(&r);
        if let Some((file, charts)) = html {
            v["html"] = serde_json::json!({"path": file.display().to_string(), "charts": charts});
        }
        println!("{v}");
    } else {
        print!("{}", render(&r));
        if let Some((file, charts)) = html {
            println!("html report: {} ({charts} charts)", file.display());
        }
    }
    if r.complete && r.missing_files.is_empty() {
        Exit::Ok
    } else {
        Exit::Output
    }
}

/// Reports `e` (as JSON with `--json`, else on stderr) and gives the exit
/// code of an unreadable output folder.
fn fail(args: &ReportArgs, e: &cobre::Error) -> Exit {
    if args.json {
        println!(
            "{}",
            serde_json::json!({"status": "error", "kind": e.kind().as_str(), "message": e.to_string()})
        );
    } else {
        eprintln!("error[{}]: {e}", e.kind());
    }
    Exit::Output
}

/// Renders the charts of `output` into `file`; the number of charts.
fn write_html(output: &std::path::Path, file: &std::path::Path) -> Result<usize, cobre::Error> {
    let page = crate::html::render_dir(output)?;
    std::fs::write(file, page.html.as_bytes()).map_err(|source| cobre::Error::Io {
        path: file.to_path_buf(),
        source,
    })?;
    Ok(page.charts)
}

fn status(r: &RunReport) -> &'static str {
    if !r.missing_files.is_empty() {
        "damaged (files listed by the manifest are missing)"
    } else if r.complete {
        "complete"
    } else {
        "incomplete (no _SUCCESS)"
    }
}

fn render(r: &RunReport) -> String {
    let m = &r.manifest;
    let mut t = Table::default();
    t.row("folder", r.output_dir.display().to_string());
    t.row("status", status(r));
    t.row(
        "written by",
        format!("cobre {} at {}", m.cobre_version, m.created_at),
    );
    t.row("case", format!("{} ({})", m.case.path, m.case.fingerprint));
    t.row("seed", m.seed.to_string());
    t.row("ranks", m.ranks.to_string());
    t.row("threads", m.threads.to_string());
    t.row(
        "policy",
        format!(
            "mode {}, saved to {}",
            m.policy.mode,
            m.policy.saved_to.as_deref().unwrap_or("—")
        ),
    );
    match &m.training {
        Some(tr) => {
            t.row(
                "iterations",
                format!("{} ({})", tr.iterations, tr.termination),
            );
            let kind = tr
                .upper_bound_kind
                .as_deref()
                .and_then(UpperBoundKind::parse);
            t.row("lower bound", money(tr.lower_bound));
            t.row(
                "upper bound",
                bounds::upper_text(kind, tr.upper_bound, tr.ci_95),
            );
            if let Some(p) = &tr.lower_bound_position {
                t.row("lower bound in 95 %", p.clone());
            }
            t.row("gap", bounds::gap_text(kind, tr.gap));
            if let Some(note) = &tr.bound_note {
                t.row("bounds", note.clone());
            }
            t.row("cuts", count(tr.cuts));
            t.row("LP solves", count(tr.lp_solves));
        }
        None => {
            t.row("training", "did not run");
        }
    }
    match &m.simulation {
        Some(sim) => {
            t.row(
                "simulation",
                format!(
                    "{} of {} scenario(s)",
                    count(sim.scenarios),
                    count(sim.scenarios_requested)
                ),
            );
            t.row("mean cost", money(sim.mean_cost));
            t.row("cost std", money(sim.std_cost));
        }
        None => {
            t.row("simulation", "did not run");
        }
    }
    let timings: Vec<String> = m
        .timings_s
        .iter()
        .map(|(k, v)| format!("{k} {}", seconds(*v)))
        .collect();
    t.row("timings", timings.join(", "));
    let bytes: u64 = m.outputs.iter().map(|f| f.bytes).sum();
    t.row(
        "files",
        format!("{} ({} bytes)", m.outputs.len(), count(bytes)),
    );
    let mut out = t.render("run report");
    if !r.convergence.is_empty() {
        out.push_str("convergence (first and last iterations)\n");
        out.push_str(&format!(
            "  {:>9}  {:>18}  {:>19}  {:>14}  {:>10}  {:>10}\n",
            "iteration", "lower bound", "upper bound", "± 95 %", "gap", "LB in 95 %"
        ));
        let n = r.convergence.len();
        for (i, rec) in r.convergence.iter().enumerate() {
            if i < 3 || i + 3 >= n {
                out.push_str(&format!(
                    "  {:>9}  {:>18}  {:>19}  {:>14}  {:>10}  {:>10}\n",
                    rec.iteration,
                    money(Some(rec.lower_bound)),
                    bounds::upper_cell(rec.upper_bound_kind, rec.upper_bound),
                    bounds::ci_cell(rec.upper_bound_kind, rec.ci_95),
                    bounds::gap_cell(rec.gap),
                    bounds::position_cell(rec.lower_bound_position()),
                ));
            } else if i == 3 {
                out.push_str("        ...\n");
            }
        }
    }
    for p in &r.missing_files {
        out.push_str(&format!("missing: {}\n", p.display()));
    }
    out
}

fn to_json(r: &RunReport) -> serde_json::Value {
    let m = &r.manifest;
    serde_json::json!({
        "status": if !r.missing_files.is_empty() { "damaged" } else if r.complete { "complete" } else { "incomplete" },
        "output_dir": r.output_dir.display().to_string(),
        "cobre_version": m.cobre_version,
        "created_at": m.created_at,
        "case": m.case,
        "seed": m.seed,
        "ranks": m.ranks,
        "threads": m.threads,
        "policy": m.policy,
        "training": m.training,
        "simulation": m.simulation,
        "timings_s": m.timings_s,
        "files": m.outputs.len(),
        "missing_files": r.missing_files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "convergence": r.convergence.iter().map(|c| serde_json::json!({
            "iteration": c.iteration,
            "lower_bound": c.lower_bound,
            "upper_bound": c.upper_bound,
            "ci_95": c.ci_95,
            "upper_bound_kind": c.upper_bound_kind.as_str(),
            "lower_bound_position": c.lower_bound_position().map(|p| p.as_str()),
            "gap": c.gap,
        })).collect::<Vec<_>>(),
    })
}
