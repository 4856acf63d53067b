//! A communicator wrapper that measures the collectives going through it.

use super::{Communicator, Gathered, Group};
use crate::SddpError;
use std::sync::Mutex;
use std::time::Instant;

/// What went through a [`Timed`] communicator.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CommStats {
    /// Collective calls.
    pub calls: u64,
    /// Wall time inside the calls (s), waiting for slower ranks included.
    pub seconds: f64,
    /// Bytes this rank contributed.
    pub bytes_sent: u64,
    /// Bytes this rank received back (for an all-gather, every rank's part).
    pub bytes_received: u64,
}

/// Wraps a [`Communicator`], counting its calls and bytes and the time
/// spent inside them; the run summary of the command line reports it.
#[derive(Debug, Default)]
pub struct Timed<C> {
    inner: C,
    stats: Mutex<CommStats>,
}

impl<C: Communicator> Timed<C> {
    /// Wraps `inner`.
    pub fn new(inner: C) -> Self {
        Self {
            inner,
            stats: Mutex::new(CommStats::default()),
        }
    }

    /// The wrapped communicator.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// The totals so far.
    pub fn stats(&self) -> CommStats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }

    fn record<T>(&self, sent: usize, started: Instant, received: usize, result: T) -> T {
        if let Ok(mut s) = self.stats.lock() {
            s.calls += 1;
            s.seconds += started.elapsed().as_secs_f64();
            s.bytes_sent += sent as u64;
            s.bytes_received += received as u64;
        }
        result
    }
}

impl<C: Communicator> Communicator for Timed<C> {
    fn group(&self) -> Group {
        self.inner.group()
    }
    fn all_gather_bytes(&self, local: &[u8], into: &mut Gathered) -> Result<(), SddpError> {
        let t = Instant::now();
        let r = self.inner.all_gather_bytes(local, into);
        self.record(local.len(), t, into.bytes.len(), r)
    }
    fn broadcast_bytes(&self, data: &mut Vec<u8>, root: usize) -> Result<(), SddpError> {
        let t = Instant::now();
        let sent = if self.rank() == root { data.len() } else { 0 };
        let r = self.inner.broadcast_bytes(data, root);
        let received = if self.rank() == root { 0 } else { data.len() };
        self.record(sent, t, received, r)
    }
    fn barrier(&self) -> Result<(), SddpError> {
        let t = Instant::now();
        let r = self.inner.barrier();
        self.record(0, t, 0, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::communicator::Collectives;
    use crate::LocalCommunicator;

    #[test]
    fn counts_calls_and_payload_bytes() {
        let c = Timed::new(LocalCommunicator);
        let (mut out, mut counts) = (Vec::new(), Vec::new());
        c.all_gather_f64(&[1.0, 2.0, 3.0], &mut out, &mut counts)
            .unwrap();
        c.barrier().unwrap();
        let s = c.stats();
        assert_eq!(s.calls, 2);
        assert_eq!(s.bytes_sent, 24);
        assert_eq!(s.bytes_received, 24);
        assert!(s.seconds >= 0.0);
    }
}
