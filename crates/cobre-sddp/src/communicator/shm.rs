//! Processes of one host over a POSIX shared-memory segment (`shm_open`
//! through `rustix`, mapped with `memmap2`): no sockets, no copies through
//! the kernel, the fastest backend on one machine.
//!
//! Layout of the segment (every field 8-byte aligned):
//!
//! ```text
//! header   magic, token, size, slot bytes
//! control  arrived (u32), generation (u32, the futex word), registered (u32)
//! per rank pid (u32), closed (u32), length (u64)
//! slots    one data slot of `slot bytes` per rank
//! ```
//!
//! Every collective is the same round, repeated until every rank's message
//! has gone through the slots: each rank writes its next chunk into its own
//! slot, all meet at a barrier, each reads every slot, all meet again (so
//! nobody overwrites a slot someone still reads). The barrier is a counter
//! and a generation number; waiting ranks spin briefly, then sleep on the
//! generation with a futex (Linux; a short sleep elsewhere) and wake every 100 ms to check
//! that no peer has left (a rank that drops its communicator marks itself
//! closed; a process that died no longer exists) and that the timeout has
//! not passed.
//!
//! Rank 0 creates the segment (`O_EXCL`: a name in use is an error), the
//! others open it; once every rank has registered, rank 0 unlinks the name,
//! so nothing is left in `/dev/shm` however the processes end.

use super::{check_rank, no_root, Communicator, Gathered, Group};
use crate::SddpError;
use memmap2::MmapRaw;
use rustix::fs::Mode;
use rustix::shm;
use std::fs::File;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

const MAGIC: u64 = 0x434f_4252_4553_484d; // "COBRESHM"
const HEADER: usize = 64;
const PER_RANK: usize = 16;
/// Spins of a barrier before it sleeps.
const SPINS: usize = 4000;
/// Default bytes of one rank's slot (bigger messages take several rounds).
pub const DEFAULT_SLOT_BYTES: usize = 4 << 20;

/// How a process joins a shared-memory group.
#[derive(Debug, Clone)]
pub struct ShmConfig {
    /// This process's rank.
    pub rank: usize,
    /// Number of processes.
    pub size: usize,
    /// Name of the segment (`/cobre_…`; a leading `/` is added if missing).
    pub name: String,
    /// Shared by the processes of one job.
    pub token: u64,
    /// Longest wait for a peer (joining or inside a collective).
    pub timeout: Duration,
    /// Bytes of one rank's slot.
    pub slot_bytes: usize,
}

fn fail(message: impl Into<String>) -> SddpError {
    SddpError::Communicator {
        message: message.into(),
    }
}

/// The mapped segment; the only place raw memory is touched, each access
/// bounds- and alignment-checked.
#[derive(Debug)]
struct Segment {
    map: MmapRaw,
}

impl Segment {
    fn atomic_u32(&self, off: usize) -> Result<&AtomicU32, SddpError> {
        if off % 4 != 0 || off + 4 > self.map.len() {
            return Err(fail("shm: field outside the segment"));
        }
        // SAFETY: `off` is in bounds and 4-aligned (the mapping is
        // page-aligned); the memory stays mapped while `self` lives, and
        // every process only accesses this field atomically.
        Ok(unsafe { AtomicU32::from_ptr(self.map.as_mut_ptr().add(off).cast::<u32>()) })
    }

    fn atomic_u64(&self, off: usize) -> Result<&AtomicU64, SddpError> {
        if off % 8 != 0 || off + 8 > self.map.len() {
            return Err(fail("shm: field outside the segment"));
        }
        // SAFETY: as in `atomic_u32`, 8-aligned.
        Ok(unsafe { AtomicU64::from_ptr(self.map.as_mut_ptr().add(off).cast::<u64>()) })
    }

    /// Copies `src` into the segment at `off`.
    fn write(&self, off: usize, src: &[u8]) -> Result<(), SddpError> {
        if off
            .checked_add(src.len())
            .is_none_or(|e| e > self.map.len())
        {
            return Err(fail("shm: write outside the segment"));
        }
        // SAFETY: in bounds; the protocol gives each rank's slot to that
        // rank alone between two barriers (no concurrent access), and the
        // barrier's acquire/release orders the copy with the readers.
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), self.map.as_mut_ptr().add(off), src.len());
        }
        Ok(())
    }

    /// Copies `dst.len()` bytes of the segment at `off` into `dst`.
    fn read(&self, off: usize, dst: &mut [u8]) -> Result<(), SddpError> {
        if off
            .checked_add(dst.len())
            .is_none_or(|e| e > self.map.len())
        {
            return Err(fail("shm: read outside the segment"));
        }
        // SAFETY: in bounds; read only between the two barriers of a round,
        // while no rank writes (see `write`).
        unsafe {
            std::ptr::copy_nonoverlapping(self.map.as_ptr().add(off), dst.as_mut_ptr(), dst.len());
        }
        Ok(())
    }
}

/// One rank of a shared-memory group (see the module docs).
#[derive(Debug)]
pub struct ShmCommunicator {
    group: Group,
    slot_bytes: usize,
    timeout: Duration,
    seg: Segment,
    /// Pids of the ranks (to notice a process that died).
    pids: Vec<u32>,
    /// Collectives are not re-entrant: one at a time per process.
    lock: Mutex<()>,
}

fn shm_name(name: &str) -> String {
    if name.starts_with('/') {
        name.to_string()
    } else {
        format!("/{name}")
    }
}

fn layout(size: usize, slot_bytes: usize) -> Option<usize> {
    HEADER
        .checked_add(size.checked_mul(PER_RANK)?)?
        .next_multiple_of(64)
        .checked_add(size.checked_mul(slot_bytes)?)
}

/// Removes the segment `name` if it is still there (cleanup by whoever
/// started the group after a rank died before joining).
pub fn unlink(name: &str) {
    let _ = shm::unlink(shm_name(name).as_str());
}

impl ShmCommunicator {
    /// Joins the group: rank 0 creates the segment, the others open it
    /// (retrying until it exists), and all wait until every rank has
    /// joined (at most `config.timeout`).
    ///
    /// # Errors
    /// [`SddpError::InvalidSetting`] for a rank outside `0..size`;
    /// [`SddpError::Communicator`] when the segment cannot be created,
    /// opened or mapped, belongs to another job, or a rank does not come.
    pub fn connect(config: &ShmConfig) -> Result<Self, SddpError> {
        check_rank("shm.rank", config.rank, config.size)?;
        let slot_bytes = config.slot_bytes.max(64).next_multiple_of(64);
        let total =
            layout(config.size, slot_bytes).ok_or_else(|| fail("shm: segment size overflows"))?;
        let name = shm_name(&config.name);
        let deadline = Instant::now() + config.timeout;
        let file = if config.rank == 0 {
            let fd = shm::open(
                name.as_str(),
                shm::OFlags::CREATE | shm::OFlags::EXCL | shm::OFlags::RDWR,
                Mode::RUSR | Mode::WUSR,
            )
            .map_err(|e| fail(format!("shm: cannot create segment {name}: {e}")))?;
            let f = File::from(fd);
            f.set_len(total as u64).map_err(|e| {
                unlink(&name);
                fail(format!(
                    "shm: cannot size segment {name} to {total} bytes: {e}"
                ))
            })?;
            f
        } else {
            loop {
                match shm::open(name.as_str(), shm::OFlags::RDWR, Mode::empty()) {
                    Ok(fd) => {
                        let f = File::from(fd);
                        if f.metadata().map(|m| m.len()).unwrap_or(0) >= total as u64 {
                            break f;
                        }
                    }
                    Err(e) if e != rustix::io::Errno::NOENT => {
                        return Err(fail(format!("shm: cannot open segment {name}: {e}")))
                    }
                    Err(_) => {}
                }
                if Instant::now() > deadline {
                    return Err(fail(format!(
                        "shm: segment {name} did not appear within {:?}",
                        config.timeout
                    )));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        };
        let map = MmapRaw::map_raw(&file)
            .map_err(|e| fail(format!("shm: cannot map segment {name}: {e}")))?;
        if map.len() < total {
            return Err(fail("shm: segment smaller than its layout"));
        }
        let mut me = Self {
            group: Group {
                rank: config.rank,
                size: config.size,
            },
            slot_bytes,
            timeout: config.timeout,
            seg: Segment { map },
            pids: Vec::new(),
            lock: Mutex::new(()),
        };
        let magic = me.seg.atomic_u64(0)?;
        if config.rank == 0 {
            me.seg.atomic_u64(8)?.store(config.token, Ordering::Relaxed);
            me.seg
                .atomic_u64(16)?
                .store(config.size as u64, Ordering::Relaxed);
            me.seg
                .atomic_u64(24)?
                .store(slot_bytes as u64, Ordering::Relaxed);
            magic.store(MAGIC, Ordering::Release);
        } else {
            while magic.load(Ordering::Acquire) != MAGIC {
                if Instant::now() > deadline {
                    return Err(fail(format!("shm: segment {name} was never initialised")));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            let same = me.seg.atomic_u64(8)?.load(Ordering::Relaxed) == config.token
                && me.seg.atomic_u64(16)?.load(Ordering::Relaxed) == config.size as u64
                && me.seg.atomic_u64(24)?.load(Ordering::Relaxed) == slot_bytes as u64;
            if !same {
                return Err(fail(format!(
                    "shm: segment {name} belongs to another job (token, size or slot size differ)"
                )));
            }
        }
        me.rank_u32(config.rank, 0)?
            .store(std::process::id(), Ordering::Release);
        me.seg.atomic_u32(40)?.fetch_add(1, Ordering::AcqRel);
        // Everyone has registered once this first barrier passes.
        let joined = me.barrier_inner(deadline);
        if config.rank == 0 {
            unlink(&name);
        }
        joined?;
        me.pids = (0..config.size)
            .map(|r| me.rank_u32(r, 0).map(|p| p.load(Ordering::Acquire)))
            .collect::<Result<_, _>>()?;
        Ok(me)
    }

    /// The per-rank `u32` field at `field` (0: pid, 4: closed).
    fn rank_u32(&self, rank: usize, field: usize) -> Result<&AtomicU32, SddpError> {
        self.seg.atomic_u32(HEADER + rank * PER_RANK + field)
    }

    fn length(&self, rank: usize) -> Result<&AtomicU64, SddpError> {
        self.seg.atomic_u64(HEADER + rank * PER_RANK + 8)
    }

    fn slot(&self, rank: usize) -> usize {
        (HEADER + self.group.size * PER_RANK).next_multiple_of(64) + rank * self.slot_bytes
    }

    /// The first peer that has left (closed, or its process is gone).
    fn departed(&self) -> Option<usize> {
        (0..self.group.size)
            .filter(|&r| r != self.group.rank)
            .find(|&r| {
                let closed = self
                    .rank_u32(r, 4)
                    .map(|c| c.load(Ordering::Acquire) != 0)
                    .unwrap_or(true);
                let gone = self.pids.get(r).is_some_and(|&pid| {
                    rustix::process::Pid::from_raw(i32::try_from(pid).unwrap_or(0))
                        .is_some_and(|p| rustix::process::test_kill_process(p).is_err())
                });
                closed || gone
            })
    }

    fn barrier_inner(&self, deadline: Instant) -> Result<(), SddpError> {
        let arrived = self.seg.atomic_u32(32)?;
        let generation = self.seg.atomic_u32(36)?;
        let gen = generation.load(Ordering::Acquire);
        if arrived.fetch_add(1, Ordering::AcqRel) + 1 == u32::try_from(self.group.size).unwrap_or(0)
        {
            arrived.store(0, Ordering::Relaxed);
            generation.fetch_add(1, Ordering::AcqRel);
            wake_all(generation);
            return Ok(());
        }
        // A balanced exchange is usually over within microseconds: spin
        // briefly, then sleep on the futex.
        for _ in 0..SPINS {
            if generation.load(Ordering::Acquire) != gen {
                return Ok(());
            }
            std::hint::spin_loop();
        }
        while generation.load(Ordering::Acquire) == gen {
            wait_changed(generation, gen, Duration::from_millis(100));
            if generation.load(Ordering::Acquire) != gen {
                break;
            }
            if let Some(r) = self.departed() {
                return Err(fail(format!("shm: rank {r} has left the group")));
            }
            if Instant::now() > deadline {
                return Err(fail(format!(
                    "shm: rank {} waited {:?} for the other ranks",
                    self.group.rank, self.timeout
                )));
            }
        }
        Ok(())
    }

    fn barrier_now(&self) -> Result<(), SddpError> {
        self.barrier_inner(Instant::now() + self.timeout)
    }

    fn guard(&self) -> MutexGuard<'_, ()> {
        self.lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The exchange behind every collective: each rank in `senders`
    /// (every rank, or the root alone) publishes `mine`; returns every
    /// sender's length and fills `out` with their bytes in rank order.
    fn exchange(
        &self,
        mine: &[u8],
        root: Option<usize>,
        out: &mut Vec<u8>,
        counts: &mut Vec<usize>,
    ) -> Result<(), SddpError> {
        let sends = root.is_none_or(|r| r == self.group.rank);
        let senders: Vec<usize> = match root {
            Some(r) => vec![r],
            None => (0..self.group.size).collect(),
        };
        let cap = self.slot_bytes;
        // Round 0 also publishes the lengths.
        if sends {
            self.length(self.group.rank)?
                .store(mine.len() as u64, Ordering::Relaxed);
        }
        let mut round = 0usize;
        let mut offsets: Vec<usize> = Vec::new();
        counts.clear();
        out.clear();
        loop {
            if sends {
                let lo = (round * cap).min(mine.len());
                let hi = ((round + 1) * cap).min(mine.len());
                self.seg.write(self.slot(self.group.rank), &mine[lo..hi])?;
            }
            self.barrier_now()?;
            if round == 0 {
                for &r in &senders {
                    let n = usize::try_from(self.length(r)?.load(Ordering::Relaxed))
                        .map_err(|_| fail("shm: message length"))?;
                    counts.push(n);
                }
                let mut at = 0usize;
                for &n in counts.iter() {
                    offsets.push(at);
                    at = at
                        .checked_add(n)
                        .ok_or_else(|| fail("shm: message lengths overflow"))?;
                }
                out.resize(at, 0);
            }
            for ((&r, &n), &off) in senders.iter().zip(counts.iter()).zip(&offsets) {
                let lo = (round * cap).min(n);
                let hi = ((round + 1) * cap).min(n);
                if hi > lo {
                    self.seg.read(self.slot(r), &mut out[off + lo..off + hi])?;
                }
            }
            self.barrier_now()?;
            round += 1;
            let longest = counts.iter().copied().max().unwrap_or(0);
            if round * cap >= longest {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
fn wait_changed(word: &AtomicU32, seen: u32, timeout: Duration) {
    let ts = rustix::thread::futex::Timespec {
        tv_sec: i64::try_from(timeout.as_secs()).unwrap_or(1),
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    // Shared (not process-private) futex: the word lives in shared memory.
    let _ =
        rustix::thread::futex::wait(word, rustix::thread::futex::Flags::empty(), seen, Some(&ts));
}

#[cfg(target_os = "linux")]
fn wake_all(word: &AtomicU32) {
    let _ =
        rustix::thread::futex::wake(word, rustix::thread::futex::Flags::empty(), i32::MAX as u32);
}

#[cfg(not(target_os = "linux"))]
fn wait_changed(word: &AtomicU32, seen: u32, timeout: Duration) {
    let until = Instant::now() + timeout;
    while word.load(Ordering::Acquire) == seen && Instant::now() < until {
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[cfg(not(target_os = "linux"))]
fn wake_all(_word: &AtomicU32) {}

impl Drop for ShmCommunicator {
    fn drop(&mut self) {
        if let Ok(c) = self.rank_u32(self.group.rank, 4) {
            c.store(1, Ordering::Release);
        }
        if let Ok(g) = self.seg.atomic_u32(36) {
            wake_all(g);
        }
    }
}

impl Communicator for ShmCommunicator {
    fn group(&self) -> Group {
        self.group
    }
    fn all_gather_bytes(&self, local: &[u8], into: &mut Gathered) -> Result<(), SddpError> {
        let Gathered { bytes: out, counts } = into;
        let _g = self.guard();
        self.exchange(local, None, out, counts)
    }
    fn broadcast_bytes(&self, data: &mut Vec<u8>, root: usize) -> Result<(), SddpError> {
        if root >= self.group.size {
            return Err(no_root(root, self.group.size));
        }
        let _g = self.guard();
        let mine = if self.group.rank == root {
            std::mem::take(data)
        } else {
            Vec::new()
        };
        let mut counts = Vec::new();
        self.exchange(&mine, Some(root), data, &mut counts)
    }
    fn barrier(&self) -> Result<(), SddpError> {
        let _g = self.guard();
        self.barrier_now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::communicator::Collectives;

    fn group(size: usize, slot_bytes: usize, timeout: Duration) -> Vec<ShmCommunicator> {
        named_group(&test_name(), size, slot_bytes, timeout)
    }

    fn test_name() -> String {
        format!("/cobre_test_{}_{}", std::process::id(), rand_suffix())
    }

    fn named_group(
        name: &str,
        size: usize,
        slot_bytes: usize,
        timeout: Duration,
    ) -> Vec<ShmCommunicator> {
        std::thread::scope(|s| {
            let hs: Vec<_> = (0..size)
                .map(|rank| {
                    let cfg = ShmConfig {
                        rank,
                        size,
                        name: name.to_string(),
                        token: 9,
                        timeout,
                        slot_bytes,
                    };
                    s.spawn(move || ShmCommunicator::connect(&cfg).unwrap())
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    fn rand_suffix() -> u64 {
        use std::sync::atomic::AtomicU64;
        static N: AtomicU64 = AtomicU64::new(0);
        N.fetch_add(1, Ordering::Relaxed)
    }

    #[test]
    fn collectives_through_small_slots_take_several_rounds_and_keep_rank_order() {
        // 64-byte slots: every message below needs several rounds.
        let ranks = group(3, 64, Duration::from_secs(20));
        let out: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = ranks
                .iter()
                .map(|c| {
                    s.spawn(move || {
                        let local: Vec<f64> = (0..20 * (c.rank() + 1))
                            .map(|i| (1000 * c.rank() + i) as f64)
                            .collect();
                        let (mut all, mut counts) = (Vec::new(), Vec::new());
                        c.all_gather_f64(&local, &mut all, &mut counts).unwrap();
                        let shared: Vec<f64> = c.share(Some(&local), 1).unwrap();
                        c.barrier().unwrap();
                        (all, counts, shared)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let want: Vec<f64> = (0..3)
            .flat_map(|r| (0..20 * (r + 1)).map(move |i| (1000 * r + i) as f64))
            .collect();
        for (all, counts, shared) in out {
            assert_eq!(all, want);
            assert_eq!(counts, vec![20, 40, 60]);
            assert_eq!(
                shared,
                (0..40).map(|i| (1000 + i) as f64).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn a_rank_that_leaves_makes_the_others_fail_within_a_second() {
        let mut ranks = group(2, DEFAULT_SLOT_BYTES, Duration::from_secs(60));
        drop(ranks.pop());
        let started = Instant::now();
        assert!(ranks[0].barrier().is_err());
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn the_segment_name_is_gone_once_the_group_has_formed() {
        let name = test_name();
        let ranks = named_group(&name, 2, 4096, Duration::from_secs(20));
        let opened = shm::open(name.as_str(), shm::OFlags::RDWR, Mode::empty());
        assert_eq!(opened.err(), Some(rustix::io::Errno::NOENT));
        // The group still works without the name.
        std::thread::scope(|s| {
            s.spawn(|| ranks[1].barrier().unwrap());
            ranks[0].barrier().unwrap();
        });
    }

    #[test]
    fn a_second_group_cannot_take_a_name_in_use() {
        let name = test_name();
        let fd = shm::open(
            name.as_str(),
            shm::OFlags::CREATE | shm::OFlags::EXCL | shm::OFlags::RDWR,
            Mode::RUSR | Mode::WUSR,
        )
        .unwrap();
        let cfg = ShmConfig {
            rank: 0,
            size: 1,
            name: name.clone(),
            token: 1,
            timeout: Duration::from_millis(100),
            slot_bytes: 64,
        };
        assert!(ShmCommunicator::connect(&cfg).is_err());
        drop(fd);
        unlink(&name);
    }
}
