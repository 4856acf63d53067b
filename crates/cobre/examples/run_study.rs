//! Runs a study end to end with `cobre::run_study` (for timing and memory
//! measurements of the output writers).
//!
//! ```text
//! cargo run --release -p cobre --example run_study -- <case> <output> [scenarios] [iterations] [threads]
//! /usr/bin/time -v target/release/examples/run_study ../shared/cases/4ree /tmp/out4ree 2000 64 2
//! ```
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: run_study <case> <output> [scenarios] [iterations] [threads]";
    let case_dir = args.get(1).expect(usage);
    let out = PathBuf::from(args.get(2).expect(usage));
    let scenarios: Option<usize> = args.get(3).and_then(|s| s.parse().ok());
    let iterations: Option<u32> = args.get(4).and_then(|s| s.parse().ok());
    let threads: usize = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(1);
    // Settings changed for this run go through config.json's validator.
    let mut overrides = serde_json::json!({});
    if let Some(n) = iterations {
        let patch = serde_json::json!({
            "training": {"stopping_rules": [{"type": "iteration_limit", "limit": n}]}
        });
        cobre::overrides::merge_patch(&mut overrides, &patch);
    }
    if let Some(n) = scenarios {
        let patch = serde_json::json!({
            "simulation": {"selection": {"method": "sampled", "num_scenarios": n}}
        });
        cobre::overrides::merge_patch(&mut overrides, &patch);
    }
    let case = cobre::load_case_with_overrides(case_dir, &overrides).expect("load");
    let options = cobre::RunOptions {
        threads,
        ..cobre::RunOptions::new(&out)
    };
    let s = cobre::run_study(&case, &options).expect("run");
    let t = &s.manifest.timings_s;
    println!(
        "{case_dir}: complete {}, iterations {}, lower bound {:.6e}, scenarios {}, mean cost {:.6e}, \
         train {:.2} s, simulate {:.2} s, total {:.2} s",
        s.complete,
        s.training.as_ref().map_or(0, |r| r.iterations()),
        s.training.as_ref().map_or(f64::NAN, |r| r.lower_bound()),
        s.simulated_scenarios,
        s.mean_cost.unwrap_or(f64::NAN),
        t.get("train").copied().unwrap_or(0.0),
        t.get("simulate").copied().unwrap_or(0.0),
        t.get("total").copied().unwrap_or(0.0),
    );
}
