//! How training and simulation reach other processes.
//!
//! The engine splits forward scenarios across ranks by fixed contiguous
//! ranges ([`share`]; simulation by whole output partitions,
//! [`block_share`]), and exchanges results with
//! [`Communicator::all_gather`] in rank order, so every rank ends each step
//! with the same data in the same order whatever the rank count. Nothing
//! is ever summed in an order that depends on the rank count: reductions of
//! values that feed results are all-gathers followed by a sum in scenario
//! order.
//!
//! Implementations:
//!
//! The trait moves bytes only; what travels is typed by the one
//! encode/decode layer of [`wire`] ([`Wire`], [`Collectives`]), shared by
//! every backend, so backends stay interchangeable and results bit-identical.
//!
//! Implementations:
//!
//! * [`LocalCommunicator`], one process, the default;
//! * [`InProcess`], several ranks as threads of one process (tests, and
//!   checks that results do not depend on the rank count without MPI);
//! * [`TcpCommunicator`], processes on one or several hosts over TCP
//!   sockets (rank 0 coordinates);
//! * [`ShmCommunicator`], processes of one host over POSIX shared memory;
//! * [`Timed`], a wrapper counting calls, bytes and the time spent inside;
//! * the MPI backend of the command line (`cobre-cli`, feature `mpi`): the
//!   library crates never link or initialise MPI.

mod in_process;
#[cfg(unix)]
pub mod shm;
pub mod tcp;
mod timed;
pub mod wire;

pub use in_process::InProcess;
#[cfg(unix)]
pub use shm::{ShmCommunicator, ShmConfig};
pub use tcp::{TcpCommunicator, TcpConfig};
pub use timed::{CommStats, Timed};
pub use wire::{Collectives, Reader, Wire, WireError};

use crate::SddpError;

/// A process's place in its run: rank `rank` (0-based) of `size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// This process's rank.
    pub rank: usize,
    /// Number of processes.
    pub size: usize,
}

/// The result of an all-gather: every rank's bytes in rank order, and how
/// many bytes each rank gave. Reused between calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gathered {
    /// The bytes of every rank, concatenated in rank order.
    pub bytes: Vec<u8>,
    /// Each rank's number of bytes.
    pub counts: Vec<usize>,
}

/// Collective operations between the processes of one run, over bytes.
///
/// Every rank calls the same collectives in the same order (the engine's
/// control flow depends only on data every rank holds). A failure of one
/// rank inside a step, before the next collective, leaves the others
/// waiting: every backend gives up after a timeout (or when it sees the
/// peer gone), and the MPI backend of the command line aborts the whole job.
/// Typed values go through [`Collectives`].
pub trait Communicator: Send + Sync {
    /// This process's place in the run.
    fn group(&self) -> Group;
    /// This process's rank (0-based).
    fn rank(&self) -> usize {
        self.group().rank
    }
    /// Number of processes.
    fn size(&self) -> usize {
        self.group().size
    }
    /// Concatenates every rank's `local` bytes in rank order into
    /// `into.bytes` (cleared first); `into.counts` receives each rank's
    /// length in bytes.
    ///
    /// # Errors
    /// [`SddpError::Communicator`] when the exchange fails.
    fn all_gather_bytes(&self, local: &[u8], into: &mut Gathered) -> Result<(), SddpError>;
    /// Replaces `data` on every rank by rank `root`'s (its length too: the
    /// other ranks need not know it in advance).
    ///
    /// # Errors
    /// [`SddpError::Communicator`] when the exchange fails.
    fn broadcast_bytes(&self, data: &mut Vec<u8>, root: usize) -> Result<(), SddpError>;
    /// Waits for every rank.
    ///
    /// # Errors
    /// [`SddpError::Communicator`] when the barrier fails.
    fn barrier(&self) -> Result<(), SddpError>;
}

/// Checks that `rank` is one of a group of `size` (`setting` names the
/// option in the error).
///
/// # Errors
/// [`SddpError::InvalidSetting`] for a rank outside `0..size`.
pub(crate) fn check_rank(setting: &'static str, rank: usize, size: usize) -> Result<(), SddpError> {
    if size == 0 || rank >= size {
        return Err(SddpError::InvalidSetting {
            setting,
            message: format!("rank {rank} of a group of {size}"),
        });
    }
    Ok(())
}

/// The error of a broadcast from a root that does not exist.
pub(crate) fn no_root(root: usize, size: usize) -> SddpError {
    SddpError::Communicator {
        message: format!("broadcast root {root} does not exist (size {size})"),
    }
}

/// One process: every collective is a copy or a no-op.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalCommunicator;

impl Communicator for LocalCommunicator {
    fn group(&self) -> Group {
        Group { rank: 0, size: 1 }
    }
    fn all_gather_bytes(&self, local: &[u8], into: &mut Gathered) -> Result<(), SddpError> {
        let Gathered { bytes: out, counts } = into;
        out.clear();
        out.extend_from_slice(local);
        counts.clear();
        counts.push(local.len());
        Ok(())
    }
    fn broadcast_bytes(&self, _data: &mut Vec<u8>, root: usize) -> Result<(), SddpError> {
        if root == 0 {
            Ok(())
        } else {
            Err(no_root(root, 1))
        }
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

/// The items owned by `rank` of `size` when `n` items are grouped in
/// blocks of `block` consecutive items and whole blocks are shared out with
/// [`share`]: a contiguous range that never splits a block (the simulation
/// gives each rank whole output partitions, so no two ranks write one
/// file). `block` 0 is taken as 1.
#[must_use]
pub fn block_share(n: usize, block: usize, rank: usize, size: usize) -> std::ops::Range<usize> {
    let block = block.max(1);
    let blocks = share(n.div_ceil(block), rank, size);
    (blocks.start * block).min(n)..(blocks.end * block).min(n)
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
    fn block_shares_cover_every_item_once_without_splitting_a_block() {
        for n in 0..30 {
            for block in 1..7 {
                for size in 1..5 {
                    let mut next = 0;
                    for rank in 0..size {
                        let r = block_share(n, block, rank, size);
                        assert_eq!(r.start, next, "n {n} block {block} size {size}");
                        assert!(r.start % block == 0 || r.start == n);
                        next = r.end;
                    }
                    assert_eq!(next, n);
                }
            }
        }
        assert_eq!(block_share(10, 4, 0, 2), 0..8);
        assert_eq!(block_share(10, 4, 1, 2), 8..10);
    }

    #[test]
    fn local_all_gather_copies_the_local_buffer() {
        let c = LocalCommunicator;
        let (mut out, mut counts) = (vec![9.0], vec![]);
        c.all_gather_f64(&[1.0, 2.0], &mut out, &mut counts)
            .unwrap();
        assert_eq!(out, vec![1.0, 2.0]);
        assert_eq!(counts, vec![2]);
    }
}
