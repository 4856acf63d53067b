//! Progress reporting at iteration boundaries, and the ways to stop
//! training from outside (an observer's answer or a shared stop flag).

use crate::stopping::RuleKind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use cobre_core::records::IterationRecord;

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
    /// A stopping rule was met.
    Rule(RuleKind),
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
            Self::Rule(kind) => kind.as_str(),
            Self::Observer => "observer",
            Self::StopFlag => "interrupted",
        }
    }
}
