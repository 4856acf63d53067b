//! Starting training from a saved policy, and saving the policy while
//! training runs.
//!
//! * **warm start** — the saved cuts are loaded into every stage before the
//!   first iteration; iterations count from 1 and the history is empty;
//! * **resume** — the same, and the iteration counter and the convergence
//!   history continue where the saved run stopped. The forward-pass noise
//!   is keyed by `(seed, iteration, scenario, stage)`, so resumed
//!   iterations draw what the uninterrupted run would have drawn (the
//!   solver's warm-start bases are not restored, so degenerate LPs may
//!   pick other optimal vertices);
//! * **checkpoints** — a [`CheckpointSink`] sees the policy at the
//!   iteration boundaries it asks for.

use crate::policy::Policy;
use crate::progress::IterationRecord;
use crate::SddpError;

/// Where training starts when not from scratch.
#[derive(Debug, Clone)]
pub struct TrainingStart {
    /// The starting cuts (in $).
    pub policy: Policy,
    /// Iterations already done: the first new iteration is `iterations + 1`.
    pub iterations: u64,
    /// Convergence history of those iterations (kept in the result and seen
    /// by the stopping rules).
    pub records: Vec<IterationRecord>,
}

impl TrainingStart {
    /// Warm start: the policy's cuts, a fresh iteration count and history.
    #[must_use]
    pub fn warm_start(policy: Policy) -> Self {
        Self {
            policy,
            iterations: 0,
            records: Vec::new(),
        }
    }

    /// Resume: the policy's cuts and the saved history; iterations continue
    /// after the last record.
    #[must_use]
    pub fn resume(policy: Policy, records: Vec<IterationRecord>) -> Self {
        Self {
            policy,
            iterations: records.last().map_or(0, |r| r.iteration),
            records,
        }
    }
}

/// Receives the policy at chosen iteration boundaries (periodic
/// checkpoints). Called on the training thread, after the iteration's
/// record is known and before the stopping decision.
pub trait CheckpointSink: Send {
    /// Whether to save after `iteration`.
    fn due(&self, iteration: u64) -> bool;

    /// Saves `policy`, with every record so far.
    ///
    /// # Errors
    /// [`SddpError::Sink`] (training stops with it).
    fn save(&mut self, policy: &Policy, records: &[IterationRecord]) -> Result<(), SddpError>;
}
