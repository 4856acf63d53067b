//! What a person sees after a run: bounds reported for what they are (an
//! estimate with one forward pass, a statistical bound with its interval,
//! never a negative gap), and `cobre report OUT --html FILE`, one
//! self-contained page of charts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use assert_cmd::Command;
use common::*;
use std::path::{Path, PathBuf};

/// `examples/valley` (3 reservoirs, 2 buses, 12 stages, 4 forward passes)
/// cut to `iterations` iterations and `scenarios` simulated scenarios.
fn small_valley(dir: &Path, iterations: u32, scenarios: u32) -> PathBuf {
    edited_copy(
        &example("valley"),
        &dir.join("valley"),
        "config.json",
        |v| {
            v["training"]["stopping_rules"] =
                serde_json::json!([{"type": "iteration_limit", "limit": iterations}]);
            v["simulation"]["selection"]["num_scenarios"] = serde_json::json!(scenarios);
        },
    )
}

fn stdout_of(cmd: &mut Command, code: i32) -> String {
    let out = cmd.assert().code(code);
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

/// A percentage printed with a minus sign, e.g. `-25.1700 %`.
fn has_negative_percent(text: &str) -> bool {
    text.split_whitespace()
        .zip(text.split_whitespace().skip(1))
        .any(|(a, b)| b == "%" && a.starts_with('-'))
}

/// The text of every `<text>` element of the page's charts, trimmed.
fn svg_texts(html: &str) -> Vec<String> {
    html.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = t.split_once('>')?.1;
            Some(body.split_once("</text>")?.0.trim().to_owned())
        })
        .collect()
}

/// The charts of a page, and a check that nothing in it is fetched.
fn check_self_contained(html: &str) -> usize {
    for attr in ["src=", "href=", "@import", "url("] {
        assert!(!html.contains(attr), "the page refers to `{attr}`");
    }
    html.matches("<svg").count()
}

#[test]
fn one_forward_pass_is_called_an_estimate_with_no_gap_in_the_summary_and_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // Run from the temporary folder into `out`, report from elsewhere: the
    // policy is found under the output folder all the same.
    let text = stdout_of(
        cobre()
            .current_dir(tmp.path())
            .arg("run")
            .arg(shared_case("1dtoy"))
            .args(["-o", "out", "--threads", "2"]),
        0,
    );
    assert!(
        !has_negative_percent(&text),
        "negative gap printed:\n{text}"
    );
    assert!(
        text.contains("one forward pass: an estimate, not a bound"),
        "{text}"
    );
    assert!(text.contains("no bound to measure a gap to"), "{text}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["training"]["upper_bound_kind"], "single_sample");
    assert!(manifest["training"]["gap"].is_null());

    let report = stdout_of(cobre().arg("report").arg(&out), 0);
    assert!(!has_negative_percent(&report), "{report}");
    assert!(report.contains("estimate, not a bound"), "{report}");

    let page = tmp.path().join("r.html");
    let said = stdout_of(cobre().arg("report").arg(&out).arg("--html").arg(&page), 0);
    assert!(said.contains("html report"), "{said}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(check_self_contained(&html) >= 5);
    let texts = svg_texts(&html);
    assert!(texts
        .iter()
        .any(|t| t == "upper bound estimate (one forward pass, not a bound)"));
    assert!(!html.contains("95 % interval of the upper bound"));
    assert!(
        texts.iter().any(|t| t == "Cuts per stage"),
        "policy not found"
    );
}

#[test]
fn html_report_draws_every_chart_with_its_series_and_axis_titles() {
    let tmp = tempfile::tempdir().unwrap();
    let case = small_valley(tmp.path(), 6, 40);
    let out = tmp.path().join("out");
    let text = stdout_of(cobre_run(&case, &out).args(["--threads", "2"]), 0);
    assert!(!has_negative_percent(&text), "{text}");
    assert!(
        text.contains("95 % interval, statistical estimate"),
        "{text}"
    );
    assert!(text.contains("to the top of the 95 % interval"), "{text}");

    let page = tmp.path().join("valley.html");
    let json = stdout_of(
        cobre()
            .args(["report", "--json"])
            .arg(&out)
            .arg("--html")
            .arg(&page),
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    let charts = check_self_contained(&html);
    assert_eq!(v["html"]["charts"], charts);
    // Bounds, time, solves, cuts, cost, 3 largest fans + 3 selectable, generation, deficit.
    assert_eq!(charts, 13, "charts");
    for c in v["convergence"].as_array().unwrap() {
        assert_eq!(c["upper_bound_kind"], "statistical");
        assert!(c["gap"].as_f64().unwrap() >= 0.0, "{c}");
    }
    let texts = svg_texts(&html);
    for text in [
        // titles
        "Bounds per iteration",
        "Time per iteration",
        "LP solves per iteration",
        "Cuts per stage",
        "Simulated total cost",
        "UPPER (hydro 0): end-of-stage storage",
        "Generation by source and deficit (mean over scenarios)",
        "Deficit per bus (mean over scenarios)",
        // axis titles
        "iteration",
        "cost ($)",
        "wall time (ms)",
        "LP solves",
        "stage",
        "cuts",
        "total discounted cost ($)",
        "scenarios",
        "storage (hm3)",
        "mean power (MW)",
        "mean deficit (MW)",
        // series
        "lower bound",
        "upper bound (statistical estimate)",
        "95 % interval of the upper bound",
        "in the pool",
        "active (in the LPs)",
        "percentiles P5 · P25 · P50 · P75 · P95",
        "mean",
        "P5–P95",
        "P25–P75",
        "median (P50)",
        "hydro",
        "thermal",
        "deficit",
        "NORTH",
        "SOUTH",
    ] {
        assert!(texts.iter().any(|t| t == text), "missing {text}");
    }
    // Every reservoir selectable, largest first.
    let upper = html.find(">UPPER (hydro 0, ").unwrap();
    let coastal = html.find(">COASTAL (hydro 2, ").unwrap();
    let middle = html.find(">MIDDLE (hydro 1, ").unwrap();
    assert!(upper < coastal && coastal < middle);
    assert_eq!(html.matches("class=\"pick\"").count(), 3);
    // The cost table gives the manifest's mean cost as the summary prints it.
    let mean = v["simulation"]["mean_cost"].as_f64().unwrap();
    let printed = format!("{:.0}", mean);
    let grouped: String = printed
        .chars()
        .rev()
        .enumerate()
        .flat_map(|(i, c)| (i > 0 && i % 3 == 0).then_some(',').into_iter().chain([c]))
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    assert!(
        html.contains(&format!(">{grouped}</td>")),
        "mean {grouped} not in the table"
    );
}

#[test]
fn html_report_of_a_folder_without_simulation_or_policy_still_draws_training() {
    let tmp = tempfile::tempdir().unwrap();
    let case = small_valley(tmp.path(), 3, 5);
    let out = tmp.path().join("out");
    cobre_run(&case, &out).arg("--quiet").assert().code(0);
    std::fs::remove_dir_all(out.join("simulation")).unwrap();
    std::fs::remove_dir_all(out.join("policy")).unwrap();
    let page = tmp.path().join("r.html");
    // The folder is now damaged (files of the manifest are missing): exit 4,
    // but the page is still written with what is there.
    cobre()
        .arg("report")
        .arg(&out)
        .arg("--html")
        .arg(&page)
        .assert()
        .code(4);
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(check_self_contained(&html), 3, "bounds, time, solves");
    assert!(
        html.contains("simulation tables not read"),
        "the missing tables are noted"
    );
    assert!(html.contains("No saved policy was found"));

    cobre()
        .arg("report")
        .arg(tmp.path().join("nothing"))
        .arg("--html")
        .arg(&page)
        .assert()
        .code(4);
}
