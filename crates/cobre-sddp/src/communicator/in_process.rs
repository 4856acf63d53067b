//! Several ranks as threads of one process, exchanging through shared
//! memory: the same collectives as MPI, to check without MPI that results do
//! not depend on the number of ranks.

use super::{no_root, Communicator, Gathered, Group};
use crate::SddpError;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// What the ranks of one group share.
#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    size: usize,
    timeout: Duration,
}

#[derive(Debug)]
struct State {
    /// Contribution of each rank to the current exchange.
    slots: Vec<Vec<u8>>,
    /// Ranks arrived at the current phase.
    arrived: usize,
    /// Bumped every time all ranks pass a phase.
    generation: u64,
}

/// One rank of a group of ranks living in one process (see
/// [`InProcess::group`]); give each rank its own thread.
///
/// A collective waits at most the group's timeout for the other ranks and
/// then fails with [`SddpError::Communicator`], so a rank that stopped on an
/// error never leaves the others waiting forever.
#[derive(Debug, Clone)]
pub struct InProcess {
    rank: usize,
    shared: Arc<Shared>,
}

impl InProcess {
    /// The `size` ranks of a new group (rank `i` at index `i`), with a
    /// timeout of ten minutes per collective.
    #[must_use]
    pub fn group(size: usize) -> Vec<Self> {
        Self::group_with_timeout(size, Duration::from_secs(600))
    }

    /// The `size` ranks of a new group whose collectives give up after
    /// `timeout`.
    #[must_use]
    pub fn group_with_timeout(size: usize, timeout: Duration) -> Vec<Self> {
        let size = size.max(1);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                slots: vec![Vec::new(); size],
                arrived: 0,
                generation: 0,
            }),
            changed: Condvar::new(),
            size,
            timeout,
        });
        (0..size)
            .map(|rank| Self {
                rank,
                shared: Arc::clone(&shared),
            })
            .collect()
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, SddpError> {
        self.shared
            .state
            .lock()
            .map_err(|_| SddpError::Communicator {
                message: "another in-process rank panicked".into(),
            })
    }

    /// Waits until every rank has arrived at this phase.
    fn phase<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
    ) -> Result<MutexGuard<'a, State>, SddpError> {
        let generation = st.generation;
        st.arrived += 1;
        if st.arrived == self.shared.size {
            st.arrived = 0;
            st.generation += 1;
            self.shared.changed.notify_all();
            return Ok(st);
        }
        while st.generation == generation {
            let (guard, waited) = self
                .shared
                .changed
                .wait_timeout(st, self.shared.timeout)
                .map_err(|_| SddpError::Communicator {
                    message: "another in-process rank panicked".into(),
                })?;
            st = guard;
            if waited.timed_out() && st.generation == generation {
                return Err(SddpError::Communicator {
                    message: format!(
                        "rank {} waited {:?} for the other ranks",
                        self.rank, self.shared.timeout
                    ),
                });
            }
        }
        Ok(st)
    }

    /// Every rank's `local`, in rank order.
    fn exchange(&self, local: &[u8]) -> Result<Vec<Vec<u8>>, SddpError> {
        let mut st = self.lock()?;
        if let Some(slot) = st.slots.get_mut(self.rank) {
            slot.clear();
            slot.extend_from_slice(local);
        }
        let st = self.phase(st)?;
        let all = st.slots.clone();
        // Nobody overwrites a slot before every rank has read them all.
        drop(self.phase(st)?);
        Ok(all)
    }
}

impl Communicator for InProcess {
    fn group(&self) -> Group {
        Group {
            rank: self.rank,
            size: self.shared.size,
        }
    }
    fn all_gather_bytes(&self, local: &[u8], into: &mut Gathered) -> Result<(), SddpError> {
        let Gathered { bytes: out, counts } = into;
        let all = self.exchange(local)?;
        out.clear();
        counts.clear();
        for part in &all {
            out.extend_from_slice(part);
            counts.push(part.len());
        }
        Ok(())
    }
    fn broadcast_bytes(&self, data: &mut Vec<u8>, root: usize) -> Result<(), SddpError> {
        if root >= self.shared.size {
            return Err(no_root(root, self.shared.size));
        }
        let mine = if self.rank == root {
            data.clone()
        } else {
            Vec::new()
        };
        let all = self.exchange(&mine)?;
        if let Some(from_root) = all.into_iter().nth(root) {
            *data = from_root;
        }
        Ok(())
    }
    fn barrier(&self) -> Result<(), SddpError> {
        self.exchange(&[]).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::communicator::Collectives;

    fn on_every_rank<T: Send>(size: usize, f: impl Fn(&InProcess) -> T + Sync) -> Vec<T> {
        let ranks = InProcess::group(size);
        std::thread::scope(|s| {
            let handles: Vec<_> = ranks.iter().map(|r| s.spawn(|| f(r))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    #[test]
    fn all_gather_concatenates_variable_lengths_in_rank_order() {
        let out = on_every_rank(3, |c| {
            let local: Vec<f64> = (0..=c.rank()).map(|i| (10 * c.rank() + i) as f64).collect();
            let (mut out, mut counts) = (Vec::new(), Vec::new());
            c.all_gather_f64(&local, &mut out, &mut counts).unwrap();
            c.all_gather_f64(&local, &mut out, &mut counts).unwrap();
            (out, counts)
        });
        for (o, counts) in out {
            assert_eq!(o, vec![0.0, 10.0, 11.0, 20.0, 21.0, 22.0]);
            assert_eq!(counts, vec![1, 2, 3]);
        }
    }

    #[test]
    fn broadcast_and_sum_reduce_agree_on_every_rank() {
        let out = on_every_rank(4, |c| {
            let data: Vec<f64> = c
                .share(Some(&vec![c.rank() as f64; c.rank() + 1]), 2)
                .unwrap();
            let mut sum = [c.rank() as f64, 1.0];
            c.sum_in_rank_order(&mut sum).unwrap();
            c.barrier().unwrap();
            (data, sum)
        });
        for (data, sum) in out {
            assert_eq!(data, vec![2.0; 3]);
            assert_eq!(sum, [6.0, 4.0]);
        }
    }

    #[test]
    fn a_rank_that_never_comes_makes_the_others_fail_instead_of_hang() {
        let ranks = InProcess::group_with_timeout(2, Duration::from_millis(50));
        let err = ranks[0].barrier().unwrap_err();
        assert_eq!(err.kind(), "communicator");
    }
}
