//! Several ranks (in-process, one thread each) against one process: the
//! same seed gives bit-identical bounds, cuts, LP work, policy bases and
//! simulations whatever the number of ranks and threads per rank.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cobre_sddp::{
    simulate, simulate_with, train, Communicator, InProcess, MemorySink, Policy, ScenarioResult,
    SddpError, SimulationHooks, SimulationSettings, SimulationSink, StudyModel, TrainingHooks,
    TrainingResult, TrainingSettings,
};
use common::*;
use std::time::Duration;

fn settings(cfg: &cobre_core::StudyConfig, threads: usize) -> TrainingSettings {
    TrainingSettings {
        threads,
        ..TrainingSettings::from_config(cfg)
    }
}

/// Runs `f` once per rank of an in-process group of `ranks`, each on its
/// own thread, and returns every rank's result in rank order.
fn on_ranks<T: Send>(ranks: usize, f: impl Fn(&InProcess) -> T + Sync) -> Vec<T> {
    let group = InProcess::group(ranks);
    std::thread::scope(|s| {
        let handles: Vec<_> = group.iter().map(|c| s.spawn(|| f(c))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn train_on(study: &StudyModel, s: &TrainingSettings, comm: &dyn Communicator) -> TrainingResult {
    let hooks = TrainingHooks {
        communicator: Some(comm),
        ..TrainingHooks::default()
    };
    train(study, s, hooks).unwrap()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn assert_same_policy(a: &Policy, b: &Policy, what: &str) {
    assert_eq!(a.num_cuts(), b.num_cuts(), "{what}: cut count");
    for t in 0..a.num_stages() {
        let (ca, cb) = (a.stage(t).unwrap(), b.stage(t).unwrap());
        for i in 0..ca.len() {
            assert_eq!(
                ca.intercept(i).to_bits(),
                cb.intercept(i).to_bits(),
                "{what}: stage {t} cut {i} intercept"
            );
            assert_eq!(
                bits(ca.coefficients(i)),
                bits(cb.coefficients(i)),
                "{what}: stage {t} cut {i} coefficients"
            );
        }
        assert_eq!(a.basis(t), b.basis(t), "{what}: stage {t} basis");
    }
}

fn assert_same_training(a: &TrainingResult, b: &TrainingResult, what: &str) {
    assert_eq!(a.records.len(), b.records.len(), "{what}: iterations");
    for (x, y) in a.records.iter().zip(&b.records) {
        assert!(x.same_results(y), "{what}: {x:?} against {y:?}");
    }
    assert_eq!(a.solver.solves, b.solver.solves, "{what}: total LP solves");
    assert_eq!(
        a.phases.backward.solves, b.phases.backward.solves,
        "{what}: backward solves"
    );
    assert_same_policy(&a.policy, &b.policy, what);
}

/// Training in one process, on one thread.
fn train_alone(study: &StudyModel, cfg: &cobre_core::StudyConfig) -> TrainingResult {
    train(study, &settings(cfg, 1), TrainingHooks::default()).unwrap()
}

/// Trains `system` under `cfg` in one process, then in-process on every
/// `(ranks, threads per rank)` of `layouts`, and checks that every rank's
/// result is bit-identical to the one process's (`what` names the case).
fn assert_ranks_match_one_process(
    system: &cobre_core::System,
    cfg: &cobre_core::StudyConfig,
    layouts: &[(usize, usize)],
    what: &str,
) {
    let study = StudyModel::build(system, cfg).unwrap();
    let one = train_alone(&study, cfg);
    for &(ranks, threads) in layouts {
        let results = on_ranks(ranks, |c| train_on(&study, &settings(cfg, threads), c));
        for (rank, r) in results.iter().enumerate() {
            let case = format!("{what}{ranks} ranks × {threads} threads, rank {rank}");
            assert_same_training(&one, r, &case);
        }
    }
}

#[test]
fn training_on_two_and_three_ranks_is_bit_identical_to_one_process() {
    // 5 forward passes: uneven shares; 25 iterations: stale cuts leave the
    // LPs (window 5) and violated ones come back.
    let layouts = [(2, 1), (3, 1), (2, 2)];
    assert_ranks_match_one_process(&stochastic_system(4, 5), &config(25, 5), &layouts, "");
}

#[test]
fn ranks_without_forward_scenarios_still_train_identically() {
    // One forward pass on three ranks: ranks 1 and 2 own no trial state.
    assert_ranks_match_one_process(&stochastic_system(3, 10), &config(12, 1), &[(3, 1)], "");
}

/// Runs `f` once per rank of a group of `ranks` processes' worth of
/// sockets (one thread each here), in rank order.
fn on_tcp_ranks<T: Send>(ranks: usize, f: impl Fn(&dyn Communicator) -> T + Sync) -> Vec<T> {
    use cobre_sddp::communicator::{TcpCommunicator, TcpConfig};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let config = |rank| TcpConfig {
        rank,
        size: ranks,
        coordinator: addr.clone(),
        token: 5,
        timeout: Duration::from_secs(120),
    };
    let mut listener = Some(listener);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..ranks)
            .map(|rank| {
                let cfg = config(rank);
                let own = if rank == 0 { listener.take() } else { None };
                let f = &f;
                s.spawn(move || {
                    let comm = match own {
                        Some(l) => TcpCommunicator::accept(l, &cfg).unwrap(),
                        None => TcpCommunicator::connect(&cfg).unwrap(),
                    };
                    f(&comm)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// As [`on_tcp_ranks`] over a shared-memory segment (small slots, so
/// messages take several rounds).
#[cfg(unix)]
fn on_shm_ranks<T: Send>(ranks: usize, f: impl Fn(&dyn Communicator) -> T + Sync) -> Vec<T> {
    use cobre_sddp::communicator::{ShmCommunicator, ShmConfig};
    let name = format!("/cobre_dist_test_{}", std::process::id());
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..ranks)
            .map(|rank| {
                let cfg = ShmConfig {
                    rank,
                    size: ranks,
                    name: name.clone(),
                    token: 5,
                    timeout: Duration::from_secs(120),
                    slot_bytes: 256,
                };
                let f = &f;
                s.spawn(move || f(&ShmCommunicator::connect(&cfg).unwrap()))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn training_over_sockets_and_shared_memory_is_bit_identical_to_one_process() {
    let system = stochastic_system(4, 5);
    let cfg = config(12, 5);
    let study = StudyModel::build(&system, &cfg).unwrap();
    let one = train_alone(&study, &cfg);
    let tcp = on_tcp_ranks(2, |c| train_on(&study, &settings(&cfg, 2), c));
    for (rank, r) in tcp.iter().enumerate() {
        assert_same_training(&one, r, &format!("tcp, 2 ranks × 2 threads, rank {rank}"));
    }
    #[cfg(unix)]
    {
        let shm = on_shm_ranks(3, |c| train_on(&study, &settings(&cfg, 1), c));
        for (rank, r) in shm.iter().enumerate() {
            assert_same_training(&one, r, &format!("shm, 3 ranks, rank {rank}"));
        }
    }
}

#[test]
fn a_time_limit_stop_reads_the_same_on_every_rank() {
    // Rank 1 starts training 0.6 s after rank 0: by its own clock it is far
    // from the 0.3 s limit when rank 0 (which waited for it) reaches it.
    // The decision is rank 0's, broadcast: every rank stops on the same
    // iteration for the same reason.
    let system = stochastic_system(3, 3);
    let mut cfg = config(1000, 2);
    cfg.training
        .stopping_rules
        .push(cobre_core::config::StoppingRuleConfig::TimeLimit { seconds: 0.3 });
    let study = StudyModel::build(&system, &cfg).unwrap();
    let results = on_ranks(2, |c| {
        if c.rank() == 1 {
            std::thread::sleep(Duration::from_millis(600));
        }
        train_on(&study, &settings(&cfg, 1), c)
    });
    for (rank, r) in results.iter().enumerate() {
        assert_eq!(r.termination.as_str(), "time_limit", "rank {rank}");
    }
    assert_eq!(results[0].iterations(), results[1].iterations());
    assert!(results[0].iterations() < 1000);
}

fn sim_settings(threads: usize) -> SimulationSettings {
    SimulationSettings {
        num_scenarios: 23,
        threads,
        ..SimulationSettings::default()
    }
}

/// The 4-hydro, 5-stage study and its policy after `iterations` of one
/// process.
fn trained_policy(iterations: u32) -> (StudyModel, Policy) {
    let cfg = config(iterations, 3);
    let study = StudyModel::build(&stochastic_system(4, 5), &cfg).unwrap();
    let policy = train_alone(&study, &cfg).policy;
    (study, policy)
}

#[test]
fn simulation_ranks_take_whole_blocks_and_together_match_one_process() {
    let (study, policy) = trained_policy(10);
    let mut single = MemorySink::default();
    let one = simulate(&study, &policy, &sim_settings(2), &mut single, None).unwrap();
    for ranks in [2, 3] {
        let per_rank = on_ranks(ranks, |c| {
            let mut sink = MemorySink::default();
            let hooks = SimulationHooks {
                communicator: Some(c),
                scenarios_per_block: 4,
                ..SimulationHooks::default()
            };
            let summary =
                simulate_with(&study, &policy, &sim_settings(1), &mut sink, hooks).unwrap();
            (summary, sink.scenarios)
        });
        let mut all: Vec<ScenarioResult> = Vec::new();
        for (rank, (summary, scenarios)) in per_rank.into_iter().enumerate() {
            assert_eq!(summary.num_scenarios, 23);
            assert_eq!(
                summary.mean_cost.to_bits(),
                one.mean_cost.to_bits(),
                "rank {rank} mean"
            );
            assert_eq!(
                summary.std_cost.to_bits(),
                one.std_cost.to_bits(),
                "rank {rank} std"
            );
            // Each rank solves the mean path; its work counts once.
            assert_eq!(summary.solver.solves, one.solver.solves);
            if let (Some(first), Some(last)) = (scenarios.first(), scenarios.last()) {
                assert_eq!(first.scenario % 4, 0, "rank {rank} starts a block");
                assert!(
                    last.scenario % 4 == 3 || last.scenario == 22,
                    "rank {rank} ends a block"
                );
            }
            all.extend(scenarios);
        }
        assert_eq!(all, single.scenarios, "{ranks} ranks");
    }
}

#[test]
fn scenarios_started_from_the_mean_path_match_on_any_threads_and_ranks() {
    // Every scenario starts its stages from the bases of the mean path,
    // which each rank solves for itself; rank shares of 7-scenario blocks.
    let (study, policy) = trained_policy(6);
    let many = |threads| SimulationSettings {
        num_scenarios: 117,
        ..sim_settings(threads)
    };
    let mut single = MemorySink::default();
    let one = simulate(&study, &policy, &many(1), &mut single, None).unwrap();
    assert_eq!(single.scenarios.len(), 117);
    let mut threaded = MemorySink::default();
    let three = simulate(&study, &policy, &many(3), &mut threaded, None).unwrap();
    let costs = |s: &[ScenarioResult]| s.iter().map(|r| r.total_cost).collect::<Vec<_>>();
    assert_eq!(
        costs(&threaded.scenarios),
        costs(&single.scenarios),
        "3 threads"
    );
    assert_eq!(threaded.scenarios, single.scenarios, "3 threads");
    assert_eq!(three.mean_cost.to_bits(), one.mean_cost.to_bits());
    assert_eq!(
        three.solver.simplex_iterations,
        one.solver.simplex_iterations
    );
    let per_rank = on_ranks(3, |c| {
        let mut sink = MemorySink::default();
        let hooks = SimulationHooks {
            communicator: Some(c),
            scenarios_per_block: 7,
            ..SimulationHooks::default()
        };
        let summary = simulate_with(&study, &policy, &many(2), &mut sink, hooks).unwrap();
        (summary, sink.scenarios)
    });
    let mut all: Vec<ScenarioResult> = Vec::new();
    for (summary, scenarios) in per_rank {
        assert_eq!(summary.mean_cost.to_bits(), one.mean_cost.to_bits());
        all.extend(scenarios);
    }
    assert_eq!(costs(&all), costs(&single.scenarios), "3 ranks");
    assert_eq!(all, single.scenarios, "3 ranks");
}

/// A sink that refuses the first scenario it gets.
struct Refuses;

impl SimulationSink for Refuses {
    fn accept(&mut self, _result: ScenarioResult) -> Result<(), SddpError> {
        Err(SddpError::Sink {
            message: "disk full".into(),
        })
    }
}

#[test]
fn a_simulation_failing_on_one_rank_fails_on_every_rank() {
    let system = stochastic_system(3, 5);
    let cfg = config(3, 2);
    let study = StudyModel::build(&system, &cfg).unwrap();
    let policy = train_alone(&study, &cfg).policy;
    let errors = on_ranks(2, |c| {
        let hooks = SimulationHooks {
            communicator: Some(c),
            scenarios_per_block: 5,
            ..SimulationHooks::default()
        };
        let mut memory = MemorySink::default();
        let mut refuses = Refuses;
        let sink: &mut dyn SimulationSink = if c.rank() == 1 {
            &mut refuses
        } else {
            &mut memory
        };
        simulate_with(&study, &policy, &sim_settings(1), sink, hooks).unwrap_err()
    });
    assert_eq!(errors[0].kind(), "communicator");
    assert!(errors[0].to_string().contains("rank 1"), "{}", errors[0]);
    assert_eq!(errors[1].kind(), "sink");
}

#[test]
fn enumerated_training_on_a_tree_is_bit_identical_on_any_ranks() {
    let layouts = [(2, 1), (3, 1), (2, 2)];
    assert_ranks_match_one_process(&tree_system(), &tree_config(), &layouts, "tree, ");
}

#[test]
fn sampled_training_on_a_graph_is_bit_identical_on_any_ranks() {
    let layouts = [(2, 1), (3, 2)];
    assert_ranks_match_one_process(&graph_system(), &config(12, 5), &layouts, "graph, ");
}
