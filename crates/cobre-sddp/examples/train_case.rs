//! Trains (and optionally simulates) a case folder and prints timings.
//!
//! ```text
//! cargo run --release -p cobre-sddp --example train_case -- <case dir> [threads] [iterations] [--simulate]
//! ```
//!
//! Environment: `COBRE_SELECTION=level1:K|lml1:K` (cut selection every K
//! iterations), `COBRE_CUT_WINDOW=N` (drop cuts unused for N iterations),
//! `COBRE_WORK_ITEMS=N`, `COBRE_NO_RESET=1`, `COBRE_COLD=1` (every solve cold),
//! `COBRE_HIGHS_PRICING=1` (HiGHS' own cost perturbation and pricing),
//! `COBRE_INSTANCES=stage|worker` (solver instances per stage or per worker),
//! `COBRE_PERTURB=1` (HiGHS' cost perturbation, Devex pricing kept),
//! `COBRE_DSE=1` (dual steepest-edge pricing, no perturbation), `COBRE_DANTZIG=1`
//! (Dantzig's pricing),
//! `COBRE_SCALING=off|equilibration|forced|max` (HiGHS without scaling, equilibration, forced equilibration or
//! max-value scaling; training and simulation), `COBRE_DUAL_TOL`,
//! `COBRE_PRIMAL_TOL` (HiGHS' feasibility tolerances), `COBRE_LB_EXACT=1` (each
//! iteration's lower bound with every digit, to compare builds to the bit).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use cobre_core::config::StoppingRuleConfig;
use cobre_sddp::{
    simulate, train, MemorySink, SimulationSettings, StudyModel, TrainingHooks, TrainingSettings,
};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .get(1)
        .expect("usage: train_case <case dir> [threads] [iterations] [--simulate]");
    let threads: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let iterations: Option<u32> = args.get(3).and_then(|s| s.parse().ok());
    let sim = args.iter().any(|a| a == "--simulate");

    let t0 = Instant::now();
    let case = cobre_io::load_case(dir).expect("load");
    let study = StudyModel::build(&case.system, &case.config).expect("build");
    let t_build = t0.elapsed().as_secs_f64();
    if let Some(tpl) = study.templates().first() {
        let l = &tpl.layout;
        let fpha: usize = l.fpha_rows.iter().map(|r| r.len).sum();
        let named = l.row_inflow.len + l.row_load.len + l.row_water.len + fpha;
        println!(
            "stage 0 LP rows by kind: inflow {}, load {}, water balance {}, FPHA planes {}, \
             other {} (total {}; {} columns; cut rows hold {} of {} state components)",
            l.row_inflow.len,
            l.row_load.len,
            l.row_water.len,
            fpha,
            l.num_template_rows.saturating_sub(named),
            l.num_template_rows,
            l.num_cols,
            l.cut_state.len(),
            l.n_state(),
        );
    }
    let mut settings = TrainingSettings::from_config(&case.config);
    settings.threads = threads;
    match std::env::var("COBRE_SCALING").as_deref() {
        Ok("off") => settings.solver.scaling = cobre_solver::Scaling::Off,
        Ok("equilibration") => settings.solver.scaling = cobre_solver::Scaling::Equilibration,
        Ok("forced") => settings.solver.scaling = cobre_solver::Scaling::ForcedEquilibration,
        Ok("max") => settings.solver.scaling = cobre_solver::Scaling::MaxValue,
        _ => {}
    }
    if let Ok(t) = std::env::var("COBRE_DUAL_TOL") {
        settings.solver.dual_feasibility_tolerance = t.parse().unwrap();
    }
    if let Ok(t) = std::env::var("COBRE_PRIMAL_TOL") {
        settings.solver.primal_feasibility_tolerance = t.parse().unwrap();
    }
    if std::env::var("COBRE_NO_RESET").is_ok() {
        settings.solver.reset_on_set_basis = false;
    }
    if std::env::var("COBRE_HIGHS_PRICING").is_ok() {
        settings.solver.cost_perturbation = true;
        settings.solver.dual_edge_weights = cobre_solver::DualEdgeWeights::SteepestEdge;
    }
    if let Ok(m) = std::env::var("COBRE_INSTANCES") {
        settings.instances = match m.as_str() {
            "stage" => cobre_sddp::SolverInstances::PerStage,
            "worker" => cobre_sddp::SolverInstances::PerWorker,
            _ => cobre_sddp::SolverInstances::Auto,
        };
    }
    if std::env::var("COBRE_DANTZIG").is_ok() {
        settings.solver.dual_edge_weights = cobre_solver::DualEdgeWeights::Dantzig;
    }
    if std::env::var("COBRE_DSE").is_ok() {
        settings.solver.dual_edge_weights = cobre_solver::DualEdgeWeights::SteepestEdge;
    }
    if std::env::var("COBRE_PERTURB").is_ok() {
        settings.solver.cost_perturbation = true;
    }
    if std::env::var("COBRE_COLD").is_ok() {
        settings.warm_start = false;
    }
    if let Ok(w) = std::env::var("COBRE_CUT_WINDOW") {
        settings.active_cut_window = w.parse().ok();
    }
    if let Ok(sel) = std::env::var("COBRE_SELECTION") {
        // `level1:K` or `lml1:K` (check every K iterations).
        let (method, every) = sel.split_once(':').unwrap_or((sel.as_str(), "5"));
        let check_frequency = every.parse().expect("check frequency");
        settings.cut_selection = match method {
            "level1" => cobre_core::config::CutSelectionConfig::Level1 {
                check_frequency,
                tie_tolerance: 1e-10,
            },
            "lml1" => cobre_core::config::CutSelectionConfig::Lml1 {
                check_frequency,
                tie_tolerance: 1e-10,
            },
            _ => cobre_core::config::CutSelectionConfig::None,
        };
    }
    if let Ok(m) = std::env::var("COBRE_WORK_ITEMS") {
        settings.min_work_items = m.parse().unwrap();
    }
    if let Some(n) = iterations {
        settings.stopping_rules = vec![StoppingRuleConfig::IterationLimit { limit: n }];
    }
    let t1 = Instant::now();
    let r = train(&study, &settings, TrainingHooks::default()).expect("train");
    let t_train = t1.elapsed().as_secs_f64();
    let s = r.solver;
    println!(
        "case {dir}: threads {threads}, iterations {}, lower bound {:.6}, upper bound {:.6}",
        r.iterations(),
        r.lower_bound(),
        r.records.last().map_or(f64::NAN, |x| x.upper_bound)
    );
    println!(
        "  load+build {:.3} s, train {:.3} s ({:.2} ms/iteration), {} LP solves ({:.0}/s), \
         solver {:.3} s ({:.0}% of thread time), {:.2} simplex it/solve, {} cold retries, {} cuts",
        t_build,
        t_train,
        1e3 * t_train / r.iterations() as f64,
        s.solves,
        s.solves as f64 / t_train,
        s.solve_time_s,
        100.0 * s.solve_time_s / (t_train * threads as f64),
        s.simplex_iterations as f64 / s.solves.max(1) as f64,
        s.cold_retries,
        r.policy.num_cuts(),
    );
    // Every digit with COBRE_LB_EXACT (bit-identity checks).
    let exact = std::env::var_os("COBRE_LB_EXACT").is_some();
    println!(
        "  lower bound per iteration: {}",
        r.records
            .iter()
            .map(|x| if exact {
                format!("{:?}", x.lower_bound)
            } else {
                format!("{:.6e}", x.lower_bound)
            })
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "  active cuts at the end: {} of {}",
        r.active_cuts.iter().sum::<usize>(),
        r.policy.num_cuts()
    );
    let ph = &r.phases;
    for (name, p, wall) in [
        ("forward", ph.forward, ph.forward_wall_s),
        ("backward", ph.backward, ph.backward_wall_s),
        ("lower bound", ph.lower_bound, ph.lower_bound_wall_s),
    ] {
        println!(
            "    {name:>11}: {:7} solves, {:6.1} µs/solve, {:.2} simplex it/solve, {wall:.3} s wall",
            p.solves,
            1e6 * p.solve_time_s / p.solves.max(1) as f64,
            p.simplex_iterations as f64 / p.solves.max(1) as f64
        );
    }
    if sim {
        let mut ss = SimulationSettings::from_config(&case.config);
        ss.threads = threads;
        ss.instances = settings.instances;
        ss.solver = settings.solver.clone();
        let mut sink = MemorySink::default();
        let t2 = Instant::now();
        let summary = simulate(&study, &r.policy, &ss, &mut sink, None).expect("simulate");
        if std::env::var("COBRE_ACTIVE").is_ok() {
            // Level-1 census: cuts that are the highest at some simulated state.
            let nh = r.policy.n_hydros();
            for t in 0..r.policy.num_stages() {
                let pool = r.policy.stage(t).unwrap();
                if pool.is_empty() {
                    continue;
                }
                let mut used = vec![false; pool.len()];
                for sres in &sink.scenarios {
                    let h = &sres.hydros;
                    let x: Vec<f64> = (0..h.stage_id.len())
                        .filter(|&i| h.stage_id[i] == t as i32 && h.block[i] == 0)
                        .map(|i| h.storage_final_hm3[i])
                        .collect();
                    if x.len() != nh {
                        continue;
                    }
                    let vals: Vec<f64> =
                        (0..pool.len()).map(|i| pool.cut(i).value_at(&x)).collect();
                    let m = vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    for (i, v) in vals.iter().enumerate() {
                        if *v >= m - 1e-9 * m.abs().max(1.0) {
                            used[i] = true;
                        }
                    }
                }
                println!(
                    "    stage {t}: {} of {} cuts are the max at some simulated state",
                    used.iter().filter(|u| **u).count(),
                    pool.len()
                );
            }
        }
        println!(
            "  simulate {} scenarios in {:.3} s, mean cost {:.6}, std {:.3}",
            summary.num_scenarios,
            t2.elapsed().as_secs_f64(),
            summary.mean_cost,
            summary.std_cost
        );
        let s = summary.solver;
        println!(
            "    simulation: {:7} solves, {:6.1} µs/solve, {:.2} simplex it/solve",
            s.solves,
            1e6 * s.solve_time_s / s.solves.max(1) as f64,
            s.simplex_iterations as f64 / s.solves.max(1) as f64
        );
    }
}
