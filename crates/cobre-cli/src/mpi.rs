//! The MPI backend of [`cobre::Communicator`] (feature `mpi`), over rsmpi.
//!
//! Only the command line links MPI: the library crates and the Python
//! module see nothing but the trait. MPI is initialised with
//! `MPI_THREAD_SERIALIZED`; every collective goes through one lock, and the
//! engine calls them from the thread that runs the study (its worker
//! threads never touch MPI). Errors inside MPI abort the job (MPI's default
//! error handler), so the collectives here only fail on sizes MPI cannot
//! express.

use cobre::{Communicator, Gathered, Group, SddpError};
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator as _, CommunicatorCollectives as _, Root as _};
use mpi::Threading;
use std::sync::Mutex;

/// The world communicator of an initialised MPI environment; dropping it
/// finalises MPI.
pub(crate) struct Mpi {
    world: SimpleCommunicator,
    group: Group,
    lock: Mutex<()>,
    // Declared last: finalises MPI after `world` is gone.
    _universe: Universe,
}

// SAFETY: `SimpleCommunicator` holds the raw MPI_Comm handle of
// MPI_COMM_WORLD, a process-wide object that stays valid until the
// universe is dropped (finalisation). MPI was initialised with
// MPI_THREAD_SERIALIZED (checked in `init`), which allows calls from any
// thread as long as no two are concurrent; every call below holds `lock`.
unsafe impl Send for Mpi {}
// SAFETY: as above; `&Mpi` only reaches MPI through the lock.
unsafe impl Sync for Mpi {}

fn too_large(n: usize) -> SddpError {
    SddpError::Communicator {
        message: format!("buffer of {n} bytes too large for one MPI message"),
    }
}

impl Mpi {
    /// Initialises MPI; `None` when it was initialised already or the
    /// library does not offer serialised multithreading.
    pub(crate) fn init() -> Option<Self> {
        let (universe, threading) = mpi::initialize_with_threading(Threading::Serialized)?;
        if !matches!(threading, Threading::Serialized | Threading::Multiple) {
            tracing::error!(
                ?threading,
                "the MPI library does not support MPI_THREAD_SERIALIZED"
            );
            return None;
        }
        let world = universe.world();
        let rank = usize::try_from(world.rank()).unwrap_or(0);
        let size = usize::try_from(world.size()).unwrap_or(1);
        Some(Self {
            world,
            group: Group { rank, size },
            lock: Mutex::new(()),
            _universe: universe,
        })
    }

    /// Ends every process of the job with `code` (a rank that failed while
    /// the others wait in a collective).
    pub(crate) fn abort(&self, code: i32) -> ! {
        self.world.abort(code)
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Communicator for Mpi {
    fn group(&self) -> Group {
        self.group
    }

    fn all_gather_bytes(&self, local: &[u8], into: &mut Gathered) -> Result<(), SddpError> {
        let Gathered { bytes: out, counts } = into;
        let _g = self.guard();
        let mine = i32::try_from(local.len()).map_err(|_| too_large(local.len()))?;
        let mut all = vec![0i32; self.group.size];
        self.world.all_gather_into(&mine, &mut all[..]);
        let mut displs = Vec::with_capacity(self.group.size);
        let mut total: i32 = 0;
        for &c in &all {
            displs.push(total);
            total = total.checked_add(c).ok_or_else(|| too_large(usize::MAX))?;
        }
        out.clear();
        out.resize(usize::try_from(total).unwrap_or(0), 0);
        {
            let mut part = PartitionMut::new(&mut out[..], &all[..], &displs[..]);
            self.world.all_gather_varcount_into(local, &mut part);
        }
        counts.clear();
        counts.extend(all.iter().map(|&c| usize::try_from(c).unwrap_or(0)));
        Ok(())
    }

    fn broadcast_bytes(&self, data: &mut Vec<u8>, root: usize) -> Result<(), SddpError> {
        let _g = self.guard();
        if root >= self.group.size {
            return Err(SddpError::Communicator {
                message: format!(
                    "broadcast root {root} does not exist (size {})",
                    self.group.size
                ),
            });
        }
        let root_rank = i32::try_from(root).map_err(|_| too_large(root))?;
        let root_process = self.world.process_at_rank(root_rank);
        let mut len = u64::try_from(data.len()).unwrap_or(u64::MAX);
        root_process.broadcast_into(&mut len);
        let len = usize::try_from(len).map_err(|_| too_large(usize::MAX))?;
        i32::try_from(len).map_err(|_| too_large(len))?;
        data.resize(len, 0);
        root_process.broadcast_into(&mut data[..]);
        Ok(())
    }

    fn barrier(&self) -> Result<(), SddpError> {
        let _g = self.guard();
        self.world.barrier();
        Ok(())
    }
}
