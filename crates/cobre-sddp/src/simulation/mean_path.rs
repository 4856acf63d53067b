//! Start bases for simulated stages, taken from the mean path.
//!
//! Before its scenarios, a simulation solves the *mean path*: the policy
//! walked with every noise at zero (each stage's inflows and loads at
//! their conditional mean), from the study's initial state. Every sampled
//! scenario then starts each stage from the basis the mean path ended that
//! stage with, waiting for it when it has caught up. A scenario's own
//! previous stage is a worse start: on the NEWAVE deck (113 stages, 5
//! iterations, 50 scenarios) 848 simplex pivots a solve against 1,039
//! (another sampled scenario's basis of the stage: 1,029).
//!
//! The mean path depends on the study and the policy only, so every rank
//! solves it for itself and results do not depend on threads or ranks. It
//! is not a scenario: its results are not handed to the sink, though its
//! LP work is counted. Should one of its LPs fail, the scenarios start
//! that stage and the later ones from their own previous stage instead.

use cobre_solver::Basis;
use std::sync::{Condvar, Mutex, MutexGuard};

/// One unit of work of a rank's simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Item {
    /// The mean path.
    MeanPath,
    /// A scenario of the rank's share.
    Scenario(usize),
}

/// The work of a rank simulating scenarios `range`: the mean path, then
/// the scenarios in order.
pub(crate) struct Plan {
    range: std::ops::Range<usize>,
    /// The bases the mean path ended its stages with.
    pub(crate) path: MeanPath,
}

impl Plan {
    pub(crate) fn new(range: std::ops::Range<usize>) -> Self {
        Self {
            range,
            path: MeanPath::default(),
        }
    }

    /// Work item `i` (in claim order), `None` past the end. A rank with no
    /// scenario has no work.
    pub(crate) fn item(&self, i: usize) -> Option<Item> {
        if self.range.is_empty() {
            return None;
        }
        match i.checked_sub(1) {
            None => Some(Item::MeanPath),
            Some(k) => {
                let s = self.range.start + k;
                (s < self.range.end).then_some(Item::Scenario(s))
            }
        }
    }
}

/// The bases of the mean path's stages, shared with the scenarios.
#[derive(Default)]
pub(crate) struct MeanPath {
    state: Mutex<PathState>,
    ready: Condvar,
}

#[derive(Default)]
struct PathState {
    /// Pool and final basis of every stage solved, in stage order.
    bases: Vec<(usize, Basis)>,
    /// No more bases will come (the path failed, or the run is failing).
    closed: bool,
}

/// What a scenario finds when it asks for the mean path's basis of a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// The mean path's basis, copied into the caller's buffer.
    Basis,
    /// No basis for this LP: the path solved another pool at this stage, or
    /// it stopped before it. Start from the scenario's own previous stage.
    None,
}

impl MeanPath {
    fn lock(&self) -> MutexGuard<'_, PathState> {
        // A panic while holding the lock leaves plain data behind.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The path ended its next stage (`pool`) with `basis`.
    pub(crate) fn publish(&self, pool: usize, basis: &Basis) {
        self.lock().bases.push((pool, basis.clone()));
        self.ready.notify_all();
    }

    /// No more bases will come.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    /// Waits until the path has solved stage `t` (or closes), and copies
    /// its basis into `into` when the path solved `pool` there.
    pub(crate) fn wait_for(&self, t: usize, pool: usize, into: &mut Basis) -> Found {
        let mut s = self.lock();
        loop {
            if let Some((path_pool, basis)) = s.bases.get(t) {
                if *path_pool != pool {
                    return Found::None;
                }
                into.clone_from(basis);
                return Found::Basis;
            }
            if s.closed {
                return Found::None;
            }
            s = self
                .ready
                .wait(s)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cobre_solver::BasisStatus;

    #[test]
    fn a_rank_solves_the_mean_path_before_its_scenarios() {
        let plan = Plan::new(7..10);
        let items: Vec<Item> = (0..).map_while(|i| plan.item(i)).collect();
        assert_eq!(
            items,
            vec![
                Item::MeanPath,
                Item::Scenario(7),
                Item::Scenario(8),
                Item::Scenario(9)
            ]
        );
    }

    #[test]
    fn a_rank_without_scenarios_has_no_work() {
        assert!(Plan::new(4..4).item(0).is_none());
    }

    #[test]
    fn a_scenario_waits_for_the_mean_paths_basis_of_its_stage() {
        let path = MeanPath::default();
        let basis = Basis {
            col_status: vec![BasisStatus::Basic; 3],
            row_status: vec![BasisStatus::Lower; 2],
        };
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                let mut got = Basis::new();
                let found = path.wait_for(1, 4, &mut got);
                (found, got)
            });
            path.publish(4, &Basis::new());
            path.publish(4, &basis);
            assert_eq!(waiter.join().expect("waiter"), (Found::Basis, basis));
        });
        // Another LP at stage 0: no basis for it.
        let mut into = Basis::new();
        assert_eq!(path.wait_for(0, 5, &mut into), Found::None);
    }

    #[test]
    fn a_closed_path_releases_the_scenarios_waiting_for_it() {
        let path = MeanPath::default();
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| path.wait_for(0, 0, &mut Basis::new()));
            path.close();
            assert_eq!(waiter.join().expect("waiter"), Found::None);
        });
    }
}
