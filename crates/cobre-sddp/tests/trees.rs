//! Training and simulation over explicit policy graphs: an enumerated tree
//! reaches its extensive form with an exact upper bound, the gap rule stops
//! it, the simulation walks every path with its probability.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cobre_sddp::{
    simulate, train, MemorySink, RuleKind, SimulationSettings, StudyModel, TerminationReason,
    TrainingHooks, TrainingSettings,
};
use common::*;

#[test]
fn an_enumerated_tree_converges_to_its_extensive_form_with_an_exact_upper_bound() {
    let system = tree_system();
    let cfg = tree_config();
    let study = StudyModel::build(&system, &cfg).unwrap();
    assert_eq!(
        study.num_pools(),
        3,
        "root, trunk node, one shared leaf pool"
    );
    let settings = TrainingSettings::from_config(&cfg);
    let r = train(&study, &settings, TrainingHooks::default()).unwrap();
    let ef = tree_extensive_form();
    let last = r.records.last().unwrap();
    assert!(
        rel(last.lower_bound, ef) < 1e-6,
        "LB {} vs EF {ef}",
        last.lower_bound
    );
    assert!(
        rel(last.upper_bound, ef) < 1e-6,
        "UB {} vs EF {ef}",
        last.upper_bound
    );
    assert_eq!(last.upper_bound_std, 0.0, "the enumerated bound is exact");
    assert_eq!(r.termination, TerminationReason::Rule(RuleKind::Gap));
    assert!(r.iterations() < 30);
    // One cut per node with children per iteration: 2; solves per
    // iteration: 4 forward, 1 backward (the leaves' forward solves are
    // their backward solves), 1 lower bound.
    assert!(r.records.iter().all(|x| x.cuts_added == 2));
    assert!(
        r.records.iter().all(|x| x.lp_solves == 6),
        "{:?}",
        r.records
    );
}

#[test]
fn an_enumerated_simulation_visits_every_path_with_its_probability() {
    let system = tree_system();
    let cfg = tree_config();
    let (study, r) = train_study(&system, &cfg);
    let settings = SimulationSettings::from_config(&cfg);
    let mut sink = MemorySink::default();
    let summary = simulate(&study, &r.policy, &settings, &mut sink, None).unwrap();
    assert_eq!(summary.num_scenarios, 2);
    let paths: Vec<(Vec<i32>, f64)> = sink
        .scenarios
        .iter()
        .map(|s| (s.node_ids.clone(), s.probability))
        .collect();
    assert_eq!(paths, vec![(vec![0, 1, 2], 0.3), (vec![0, 1, 3], 0.7)]);
    // The probability-weighted mean cost is the tree's optimum.
    let ef = tree_extensive_form();
    assert!(
        rel(summary.mean_cost, ef) < 1e-6,
        "{} vs {ef}",
        summary.mean_cost
    );
}

#[test]
fn training_on_a_graph_is_bit_identical_for_any_thread_count() {
    let system = graph_system();
    let cfg = config(10, 4);
    let study = StudyModel::build(&system, &cfg).unwrap();
    assert_eq!(
        study.num_pools(),
        6,
        "five nodes with children and one leaf pool"
    );
    let run = |threads| {
        let s = TrainingSettings {
            threads,
            ..TrainingSettings::from_config(&cfg)
        };
        train(&study, &s, TrainingHooks::default()).unwrap()
    };
    let one = run(1);
    let three = run(3);
    for (a, b) in one.records.iter().zip(&three.records) {
        assert_eq!(a.lower_bound.to_bits(), b.lower_bound.to_bits());
        assert_eq!(a.upper_bound.to_bits(), b.upper_bound.to_bits());
    }
    assert_eq!(one.policy, three.policy);
    // The bound only rises and stays below what the sampled graph costs.
    let lbs: Vec<f64> = one.records.iter().map(|r| r.lower_bound).collect();
    assert!(
        lbs.windows(2).all(|w| w[1] >= w[0] - 1e-6 * w[0].abs()),
        "{lbs:?}"
    );
}

#[test]
fn a_sampled_graph_visits_children_in_proportion_to_their_probability() {
    let system = graph_system();
    let cfg = config(1, 1);
    let study = StudyModel::build(&system, &cfg).unwrap();
    let g = study.graph();
    let n = 4000;
    let to_one = (0..n)
        .filter(|&m| g.sample_child(g.root(), 1, m) == Some(1))
        .count();
    #[allow(clippy::cast_precision_loss)]
    let share = to_one as f64 / n as f64;
    assert!((share - 0.4).abs() < 0.03, "{share}");
}

#[test]
fn an_enumerated_tree_trains_identically_on_one_and_three_threads() {
    let system = tree_system();
    let cfg = tree_config();
    let study = StudyModel::build(&system, &cfg).unwrap();
    let run = |threads| {
        let s = TrainingSettings {
            threads,
            ..TrainingSettings::from_config(&cfg)
        };
        train(&study, &s, TrainingHooks::default()).unwrap()
    };
    let (one, three) = (run(1), run(3));
    assert_eq!(one.records.len(), three.records.len());
    for (a, b) in one.records.iter().zip(&three.records) {
        assert_eq!(a.lower_bound.to_bits(), b.lower_bound.to_bits());
        assert_eq!(a.upper_bound.to_bits(), b.upper_bound.to_bits());
    }
    assert_eq!(one.policy, three.policy);
}
