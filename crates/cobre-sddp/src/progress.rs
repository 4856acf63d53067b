//! Progress reporting at iteration boundaries, and the ways to stop
//! training from outside (an observer's answer or a shared stop flag).

use crate::bounds::{bound_note, LowerBoundPosition, UpperBoundKind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The convergence record of one training iteration.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IterationRecord {
    /// Iteration number (1-based).
    pub iteration: u64,
    /// Lower bound ($, present value at the first stage).
    pub lower_bound: f64,
    /// Mean forward-pass cost ($): an upper bound of the kind
    /// [`Self::upper_bound_kind`].
    pub upper_bound: f64,
    /// Sample standard deviation of the forward-pass costs ($; 0 with one pass).
    pub upper_bound_std: f64,
    /// Half-width of the 95 % confidence interval of the upper bound ($; 0
    /// unless the bound is statistical).
    pub ci_95: f64,
    /// What the upper bound is: statistical, one sample (not a bound) or
    /// exact.
    pub upper_bound_kind: UpperBoundKind,
    /// Relative gap, never negative ([`crate::bounds::relative_gap`]): to
    /// the top of the 95 % interval for a statistical bound, to the bound
    /// for an exact one; `None` for one forward pass (no bound).
    pub gap: Option<f64>,
    /// Wall time since training started (ms).
    pub wall_time_ms: f64,
    /// Wall time of this iteration (ms).
    pub iteration_time_ms: f64,
    /// LP solves of this iteration (every process of the run).
    pub lp_solves: u64,
    /// Cuts added by this iteration.
    pub cuts_added: u64,
    /// Time inside the LP solver this iteration (ms, summed over threads
    /// and processes).
    pub solver_time_ms: f64,
    /// Simplex iterations this iteration (every process).
    pub simplex_iterations: u64,
}

impl IterationRecord {
    /// Where the lower bound lies against the upper bound's 95 % interval
    /// (statistical bounds only).
    #[must_use]
    pub fn lower_bound_position(&self) -> Option<LowerBoundPosition> {
        if self.upper_bound_kind == UpperBoundKind::Statistical {
            LowerBoundPosition::of(self.lower_bound, self.upper_bound, self.ci_95)
        } else {
            None
        }
    }

    /// One sentence on what the bounds mean ([`bound_note`]).
    #[must_use]
    pub fn bound_note(&self) -> &'static str {
        bound_note(self.upper_bound_kind, self.lower_bound_position())
    }
}

/// What an observer asks of the training loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Control {
    /// Go on.
    #[default]
    Continue,
    /// Stop after this iteration (the policy so far is kept).
    Stop,
}

/// Called at every iteration boundary (progress bars, callbacks, logging).
pub trait TrainingObserver: Send {
    /// Sees the record of the iteration just finished; may ask to stop.
    fn on_iteration(&mut self, record: &IterationRecord) -> Control;
}

/// An observer that does nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl TrainingObserver for NoObserver {
    fn on_iteration(&mut self, _record: &IterationRecord) -> Control {
        Control::Continue
    }
}

impl<F: FnMut(&IterationRecord) -> Control + Send> TrainingObserver for F {
    fn on_iteration(&mut self, record: &IterationRecord) -> Control {
        self(record)
    }
}

/// A flag shared with other threads (Ctrl-C handlers, Python) asking
/// training or simulation to stop at the next boundary.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A new, lowered flag.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the flag.
    pub fn request_stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the flag is raised.
    #[must_use]
    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Why training ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TerminationReason {
    /// A stopping rule was met (its name).
    Rule(&'static str),
    /// The observer asked to stop.
    Observer,
    /// The stop flag was raised.
    StopFlag,
}

impl TerminationReason {
    /// A stable short description.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Rule(name) => name,
            Self::Observer => "observer",
            Self::StopFlag => "interrupted",
        }
    }
}
