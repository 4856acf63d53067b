//! How training and simulation reach other processes.
//!
//! The engine splits forward scenarios and backward work items across
//! ranks by fixed contiguous ranges ([`share`]), and exchanges results with
//! [`Communicator::all_gather`] in rank order, so every rank ends each step
//! with the same data in the same order whatever the rank count. The
//! single-process [`LocalCommunicator`] is the default; an MPI backend is
//! one more implementation of this trait.

use crate::SddpError;

/// Collective operations between the processes of one run.
pub trait Communicator: Send + Sync {
    /// This process's rank (0-based).
    fn rank(&self) -> usize;
    /// Number of processes.
    fn size(&self) -> usize;
    /// Concatenates every rank's `local` buffer in rank order into `out`
    /// (cleared first); `counts` receives each rank's length.
    ///
    /// # Errors
    /// [`SddpError::Communicator`] when the exchange fails.
    fn all_gather(
        &self,
        local: &[f64],
        out: &mut Vec<f64>,
        counts: &mut Vec<usize>,
    ) -> Result<(), SddpError>;
    /// Replaces `data` on every rank by rank `root`'s.
    ///
    /// # Errors
    /// [`SddpError::Communicator`] when the exchange fails.
    fn broadcast(&self, data: &mut Vec<f64>, root: usize) -> Result<(), SddpError>;
    /// Element-wise sum of `data` over ranks, written on every rank.
    ///
    /// # Errors
    /// [`SddpError::Communicator`] when the exchange fails.
    fn sum_reduce(&self, data: &mut [f64]) -> Result<(), SddpError>;
    /// Waits for every rank.
    ///
    /// # Errors
    /// [`SddpError::Communicator`] when the barrier fails.
    fn barrier(&self) -> Result<(), SddpError>;
}

/// One process: every collective is a copy or a no-op.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalCommunicator;

impl Communicator for LocalCommunicator {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn all_gather(
        &self,
        local: &[f64],
        out: &mut Vec<f64>,
        counts: &mut Vec<usize>,
    ) -> Result<(), SddpError> {
        out.clear();
        out.extend_from_slice(local);
        counts.clear();
        counts.push(local.len());
        Ok(())
    }
    fn broadcast(&self, _data: &mut Vec<f64>, root: usize) -> Result<(), SddpError> {
        if root == 0 {
            Ok(())
        } else {
            Err(SddpError::Communicator {
                message: format!("broadcast root {root} does not exist (size 1)"),
            })
        }
    }
    fn sum_reduce(&self, _data: &mut [f64]) -> Result<(), SddpError> {
        Ok(())
    }
    fn barrier(&self) -> Result<(), SddpError> {
        Ok(())
    }
}

/// The contiguous share `lo..hi` of `n` items owned by `rank` of `size`
/// (the first `n % size` ranks get one more).
#[must_use]
pub fn share(n: usize, rank: usize, size: usize) -> std::ops::Range<usize> {
    let size = size.max(1);
    let base = n / size;
    let extra = n % size;
    let lo = rank * base + rank.min(extra);
    let hi = lo + base + usize::from(rank < extra);
    lo.min(n)..hi.min(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_every_item_once_in_rank_order() {
        for n in 0..12 {
            for size in 1..5 {
                let mut next = 0;
                for rank in 0..size {
                    let r = share(n, rank, size);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, n);
            }
        }
    }

    #[test]
    fn local_all_gather_copies_the_local_buffer() {
        let c = LocalCommunicator;
        let (mut out, mut counts) = (vec![9.0], vec![]);
        c.all_gather(&[1.0, 2.0], &mut out, &mut counts).unwrap();
        assert_eq!(out, vec![1.0, 2.0]);
        assert_eq!(counts, vec![2]);
    }
}
