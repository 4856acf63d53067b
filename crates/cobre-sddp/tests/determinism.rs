//! Same seed, different thread counts: bit-identical bounds and cuts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use cobre_sddp::{
    simulate, train, MemorySink, SimulationSettings, SolverInstances, StudyModel, TrainingHooks,
    TrainingResult, TrainingSettings,
};
use common::*;

fn run(study: &StudyModel, cfg: &cobre_core::StudyConfig, threads: usize) -> TrainingResult {
    let settings = TrainingSettings {
        threads,
        ..TrainingSettings::from_config(cfg)
    };
    train(study, &settings, TrainingHooks::default()).unwrap()
}

fn assert_identical(a: &TrainingResult, b: &TrainingResult, what: &str) {
    assert_eq!(a.records.len(), b.records.len(), "{what}: iterations");
    for (x, y) in a.records.iter().zip(&b.records) {
        assert_eq!(
            x.lower_bound.to_bits(),
            y.lower_bound.to_bits(),
            "{what}: lower bound at iteration {}",
            x.iteration
        );
        assert_eq!(
            x.upper_bound.to_bits(),
            y.upper_bound.to_bits(),
            "{what}: upper bound at iteration {}",
            x.iteration
        );
    }
    let (pa, pb) = (&a.policy, &b.policy);
    assert_eq!(pa.num_cuts(), pb.num_cuts(), "{what}: cut count");
    for t in 0..pa.num_stages() {
        let (ca, cb) = (pa.stage(t).unwrap(), pb.stage(t).unwrap());
        for i in 0..ca.len() {
            assert_eq!(
                ca.intercept(i).to_bits(),
                cb.intercept(i).to_bits(),
                "{what}: stage {t} cut {i}"
            );
            let bits = |c: &[f64]| c.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(ca.coefficients(i)),
                bits(cb.coefficients(i)),
                "{what}: stage {t} cut {i}"
            );
        }
    }
}

#[test]
fn bounds_and_cuts_are_bit_identical_for_one_two_and_four_threads() {
    let system = stochastic_system(4, 5);
    let cfg = config(25, 3);
    let study = StudyModel::build(&system, &cfg).unwrap();
    let one = run(&study, &cfg, 1);
    let two = run(&study, &cfg, 2);
    let four = run(&study, &cfg, 4);
    assert_identical(&one, &two, "1 vs 2 threads");
    assert_identical(&one, &four, "1 vs 4 threads");
}

#[test]
fn a_single_forward_pass_split_into_opening_chunks_is_thread_independent() {
    let system = stochastic_system(3, 10);
    let cfg = config(20, 1);
    let study = StudyModel::build(&system, &cfg).unwrap();
    let one = run(&study, &cfg, 1);
    let two = run(&study, &cfg, 2);
    let three = run(&study, &cfg, 3);
    assert_identical(&one, &two, "1 vs 2 threads");
    assert_identical(&one, &three, "1 vs 3 threads");
}

/// Trains with the given solver instances per worker, then simulates the
/// policy; returns the training and every scenario's total cost.
fn run_with_instances(
    study: &StudyModel,
    cfg: &cobre_core::StudyConfig,
    threads: usize,
    instances: SolverInstances,
) -> (TrainingResult, Vec<u64>) {
    let settings = TrainingSettings {
        threads,
        instances,
        ..TrainingSettings::from_config(cfg)
    };
    let trained = train(study, &settings, TrainingHooks::default()).unwrap();
    let sim = SimulationSettings {
        threads,
        instances,
        num_scenarios: 20,
        ..SimulationSettings::from_config(cfg)
    };
    let mut sink = MemorySink::default();
    simulate(study, &trained.policy, &sim, &mut sink, None).unwrap();
    let mut costs: Vec<(u32, u64)> = sink
        .scenarios
        .iter()
        .map(|s| (s.scenario, s.total_cost.to_bits()))
        .collect();
    costs.sort_unstable();
    (trained, costs.into_iter().map(|(_, c)| c).collect())
}

#[test]
fn one_solver_per_worker_reloading_stages_gives_the_results_of_one_per_stage() {
    let system = stochastic_system(4, 5);
    let cfg = config(25, 3);
    let study = StudyModel::build(&system, &cfg).unwrap();
    let (per_stage, sim_stage) = run_with_instances(&study, &cfg, 1, SolverInstances::PerStage);
    // Cuts leave the LPs (active-cut window) and come back, so the reload
    // replays removals as well as appends.
    assert!(
        per_stage.active_cuts.iter().sum::<usize>() < per_stage.policy.num_cuts(),
        "some cuts should have left the LPs"
    );
    for threads in [1, 2] {
        let (per_worker, sim_worker) =
            run_with_instances(&study, &cfg, threads, SolverInstances::PerWorker);
        let what = format!("per stage vs per worker on {threads} thread(s)");
        assert_identical(&per_stage, &per_worker, &what);
        assert_eq!(sim_stage, sim_worker, "{what}: simulated costs");
    }
}
