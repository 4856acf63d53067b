//! `cobre validate CASE`: every finding of every layer, grouped by layer.

use crate::{Exit, ValidateArgs};
use cobre::{Finding, Layer, ValidationReport};
use std::fmt::Write as _;

pub(crate) fn validate(args: &ValidateArgs) -> Exit {
    let report = cobre::validate(&args.case);
    if args.json {
        println!("{}", to_json(&report));
    } else if args.quiet {
        if !report.is_valid() {
            eprintln!("{} error(s)", report.error_count());
        }
    } else {
        print!("{}", render(&args.case.display().to_string(), &report));
    }
    if report.is_valid() {
        Exit::Ok
    } else {
        Exit::InvalidCase
    }
}

/// The report as one JSON object (`valid`, `errors`, `warnings`,
/// `layers_completed`, each finding with its kind, message, context and
/// suggestion).
pub(crate) fn to_json(report: &ValidationReport) -> serde_json::Value {
    let list = |items: Vec<&Finding>| serde_json::to_value(items).unwrap_or_default();
    serde_json::json!({
        "valid": report.is_valid(),
        "errors": list(report.errors().collect()),
        "warnings": list(report.warnings().collect()),
        "layers_completed": report.layers_completed.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
    })
}

/// The human report: one section per layer with findings, then a verdict.
pub(crate) fn render(case: &str, report: &ValidationReport) -> String {
    let mut out = String::new();
    for layer in Layer::ALL {
        let found: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.layer == layer)
            .collect();
        if found.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{layer} ({} finding(s))", found.len());
        for f in found {
            let _ = writeln!(out, "  {f}");
            let c = &f.context;
            let mut at = Vec::new();
            match (&c.entity_kind, c.entity_id) {
                (Some(kind), Some(id)) => at.push(format!("{kind} {id}")),
                (Some(kind), None) => at.push(kind.clone()),
                _ => {}
            }
            if let Some(field) = &c.field {
                at.push(format!("field {field}"));
            }
            if let Some(stage) = c.stage_id {
                at.push(format!("stage {stage}"));
            }
            if let Some(row) = c.row {
                at.push(format!("row {row}"));
            }
            if let Some(line) = c.line {
                at.push(format!("line {line}"));
            }
            if !at.is_empty() {
                let _ = writeln!(out, "      at {}", at.join(", "));
            }
        }
    }
    let layers: Vec<&str> = report.layers_completed.iter().map(|l| l.as_str()).collect();
    let verdict = if report.is_valid() {
        "valid"
    } else {
        "INVALID"
    };
    let _ = writeln!(
        out,
        "{case}: {verdict} — {} error(s), {} warning(s); layers completed: {}",
        report.error_count(),
        report.warning_count(),
        if layers.is_empty() {
            "none".to_owned()
        } else {
            layers.join(", ")
        }
    );
    out
}
