//! Policies as plain data, warm start, resume and checkpoints.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cobre_sddp::{
    simulate, train, CheckpointSink, IterationRecord, MemorySink, Policy, SddpError,
    SimulationSettings, StudyModel, TrainingHooks, TrainingResult, TrainingSettings, TrainingStart,
};
use common::*;

fn settings(iterations: u32) -> (StudyModel, TrainingSettings) {
    let system = stochastic_system(4, 5);
    let cfg = config(iterations, 3);
    let study = StudyModel::build(&system, &cfg).unwrap();
    (study, TrainingSettings::from_config(&cfg))
}

fn run(study: &StudyModel, s: &TrainingSettings, hooks: TrainingHooks<'_>) -> TrainingResult {
    train(study, s, hooks).unwrap()
}

/// Training started from `start` (a warm start or a resumed run).
fn run_from(study: &StudyModel, s: &TrainingSettings, start: &TrainingStart) -> TrainingResult {
    run(
        study,
        s,
        TrainingHooks {
            start: Some(start),
            ..TrainingHooks::default()
        },
    )
}

#[test]
fn table_round_trip_rebuilds_the_same_policy_bit_for_bit() {
    let (study, s) = settings(6);
    let r = run(&study, &s, TrainingHooks::default());
    let table = r.policy.to_table(&study, r.iterations());
    assert_eq!(table.num_cuts(), r.policy.num_cuts());
    assert_eq!(table.state, study.state_description());
    assert_eq!(table.stages[0].scenario[..3], [0, 1, 2]);
    assert_eq!(table.stages[0].iteration[..4], [1, 1, 1, 2]);
    let back = Policy::from_table(&table).unwrap();
    assert_eq!(back, r.policy);
    assert_eq!(back.to_table(&study, r.iterations()), table);
}

#[test]
fn reloaded_policy_simulates_identically() {
    let (study, s) = settings(8);
    let r = run(&study, &s, TrainingHooks::default());
    let back = Policy::from_table(&r.policy.to_table(&study, 8)).unwrap();
    let sim = SimulationSettings {
        num_scenarios: 12,
        threads: 2,
        ..SimulationSettings::default()
    };
    let mut a = MemorySink::default();
    let mut b = MemorySink::default();
    simulate(&study, &r.policy, &sim, &mut a, None).unwrap();
    simulate(&study, &back, &sim, &mut b, None).unwrap();
    assert_eq!(a.scenarios.len(), 12);
    for (x, y) in a.scenarios.iter().zip(&b.scenarios) {
        assert_eq!(x.total_cost.to_bits(), y.total_cost.to_bits());
        assert_eq!(x, y);
    }
}

#[test]
fn warm_start_from_a_converged_policy_begins_at_its_lower_bound() {
    let (study, s) = settings(60);
    let converged = run(&study, &s, TrainingHooks::default());
    let lb = converged.lower_bound();
    let start = TrainingStart::warm_start(converged.policy.clone());
    let (_, s1) = settings(1);
    let warm = run_from(&study, &s1, &start);
    let first = warm.records[0];
    assert_eq!(first.iteration, 1);
    assert!(
        first.lower_bound >= lb - 1e-9 * lb.abs() && rel(first.lower_bound, lb) < 1e-4,
        "warm start at {} vs converged {lb}",
        first.lower_bound
    );
    // A cold start is far below it at its first iteration.
    let cold = run(&study, &s1, TrainingHooks::default());
    assert!(cold.records[0].lower_bound < first.lower_bound);
    assert_eq!(
        warm.policy.num_cuts(),
        converged.policy.num_cuts() + 3 * 3,
        "saved cuts plus one iteration's"
    );
}

#[test]
fn resume_continues_the_iteration_count_and_history() {
    let (study, s5) = settings(5);
    let first = run(&study, &s5, TrainingHooks::default());
    let start = TrainingStart::resume(first.policy.clone(), first.records.clone());
    assert_eq!(start.iterations, 5);
    let (_, s8) = settings(8);
    let resumed = run_from(&study, &s8, &start);
    let its: Vec<u64> = resumed.records.iter().map(|r| r.iteration).collect();
    assert_eq!(its, (1..=8).collect::<Vec<_>>());
    assert_eq!(resumed.records[..5], first.records[..]);
    assert!(resumed.records[5].wall_time_ms >= first.records[4].wall_time_ms);
    assert_eq!(resumed.policy.num_cuts(), 8 * 3 * 3);
    let table = resumed.policy.to_table(&study, resumed.iterations());
    assert_eq!(*table.stages[0].iteration.last().unwrap(), 8);
    // The lower bound never drops when resuming.
    assert!(resumed.records[5].lower_bound >= first.lower_bound() - 1e-6);
}

#[test]
fn resume_at_the_iteration_limit_already_reached_trains_no_further_iteration() {
    let (study, s5) = settings(5);
    let first = run(&study, &s5, TrainingHooks::default());
    let start = TrainingStart::resume(first.policy.clone(), first.records.clone());
    let resumed = run_from(&study, &s5, &start);
    assert_eq!(
        resumed.records, first.records,
        "the saved history, unchanged"
    );
    assert_eq!(resumed.policy.num_cuts(), first.policy.num_cuts());
    assert_eq!(resumed.solver.solves, 0, "no LP was solved");
    assert_eq!(
        resumed.termination,
        cobre_sddp::TerminationReason::Rule(cobre_sddp::RuleKind::IterationLimit)
    );
    // One iteration more than saved: exactly one new iteration.
    let (_, s6) = settings(6);
    let more = run_from(&study, &s6, &start);
    assert_eq!(more.records.len(), 6);
}

struct Every {
    interval: u64,
    saved: Vec<(u64, usize)>,
}

impl CheckpointSink for Every {
    fn due(&self, iteration: u64) -> bool {
        iteration % self.interval == 0
    }
    fn save(&mut self, policy: &Policy, records: &[IterationRecord]) -> Result<(), SddpError> {
        self.saved.push((records.len() as u64, policy.num_cuts()));
        Ok(())
    }
}

#[test]
fn checkpoints_see_the_policy_at_due_iterations() {
    let (study, s) = settings(5);
    let mut sink = Every {
        interval: 2,
        saved: Vec::new(),
    };
    let r = run(
        &study,
        &s,
        TrainingHooks {
            checkpoint: Some(&mut sink),
            ..TrainingHooks::default()
        },
    );
    assert_eq!(r.iterations(), 5);
    assert_eq!(sink.saved, [(2, 2 * 9), (4, 4 * 9)]);
}

#[test]
fn start_policy_of_another_shape_is_refused() {
    let (study, s) = settings(2);
    let other = StudyModel::build(&stochastic_system(3, 5), &config(2, 3)).unwrap();
    let r = run(&other, &s, TrainingHooks::default());
    let start = TrainingStart::warm_start(r.policy);
    let e = train(
        &study,
        &s,
        TrainingHooks {
            start: Some(&start),
            ..TrainingHooks::default()
        },
    )
    .unwrap_err();
    assert!(matches!(e, SddpError::PolicyMismatch { .. }), "{e}");
}
