//! What the ranks of a training run exchange besides cuts and costs, so
//! that every rank holds the same LPs as a single process would:
//!
//! * **activations** — the inactive cuts that work items found violated,
//!   in global item order, replayed by every rank as the single process
//!   replays them ([`Activations`]);
//! * **iteration totals** — LP counters of every rank, added in rank
//!   order, and the cuts found binding anywhere, merged by union before
//!   stale cuts leave the LPs ([`iteration_totals`]);
//! * **warm-start bases** of the policy, from rank 0 (which owns forward
//!   scenario 0) to the others ([`share_bases`]).
//!
//! Everything travels as `f64` (integers below 2⁵³ are exact).

use crate::active_set::LpCuts;
use crate::communicator::Communicator;
use crate::policy::Policy;
use crate::workspace::{WorkerPool, WorkerStats};
use crate::SddpError;
use cobre_solver::{Basis, BasisStatus};

/// Bits of cut marks packed into one `f64` (exact: below 2⁵³).
const BITS_PER_WORD: usize = 32;

fn malformed(what: &str) -> SddpError {
    SddpError::Communicator {
        message: format!("malformed {what} received from another rank"),
    }
}

#[allow(clippy::cast_precision_loss)]
fn enc(v: usize) -> f64 {
    v as f64
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn dec(v: f64) -> Option<usize> {
    (v >= 0.0 && v.fract() == 0.0 && v < 9.0e15).then_some(v as usize)
}

/// Violated inactive cuts found by this rank's work items, exchanged and
/// activated by every rank in global item order.
#[derive(Debug, Default)]
pub(crate) struct Activations {
    local: Vec<f64>,
    global: Vec<f64>,
    counts: Vec<usize>,
    ids: Vec<usize>,
}

impl Activations {
    /// Starts a new round.
    pub(crate) fn clear(&mut self) {
        self.local.clear();
    }

    /// Records that the next unfinished local item (in item order) needs
    /// cuts `ids` of `stage`.
    pub(crate) fn push(&mut self, stage: usize, ids: &[usize]) {
        self.local.push(enc(stage));
        self.local.push(enc(ids.len()));
        self.local.extend(ids.iter().map(|&i| enc(i)));
    }

    /// Exchanges the round's records and activates every rank's, rank by
    /// rank (ranks own contiguous items, so this is the global item order).
    /// Returns whether any item of any rank is unfinished.
    pub(crate) fn apply(
        &mut self,
        comm: &dyn Communicator,
        cuts: &mut [LpCuts],
    ) -> Result<bool, SddpError> {
        comm.all_gather(&self.local, &mut self.global, &mut self.counts)?;
        let mut pos = 0;
        while pos < self.global.len() {
            let head = self
                .global
                .get(pos..pos + 2)
                .ok_or_else(|| malformed("activations"))?;
            let (stage, n) = match (dec(head[0]), dec(head[1])) {
                (Some(s), Some(n)) => (s, n),
                _ => return Err(malformed("activations")),
            };
            let body = self
                .global
                .get(pos + 2..pos + 2 + n)
                .ok_or_else(|| malformed("activations"))?;
            self.ids.clear();
            for &v in body {
                self.ids
                    .push(dec(v).ok_or_else(|| malformed("activations"))?);
            }
            if let Some(c) = cuts.get_mut(stage) {
                c.activate(&mut self.ids);
            }
            pos += 2 + n;
        }
        Ok(!self.global.is_empty())
    }
}

/// Number of counters of [`WorkerStats`] exchanged.
const COUNTERS: usize = 5;

fn stats_to(s: &WorkerStats, out: &mut Vec<f64>) {
    #[allow(clippy::cast_precision_loss)]
    out.extend_from_slice(&[
        s.solves as f64,
        s.simplex_iterations as f64,
        s.solve_time_s,
        s.warm_solves as f64,
        s.cold_retries as f64,
    ]);
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn stats_from(v: &[f64]) -> WorkerStats {
    let u = |i: usize| v.get(i).copied().unwrap_or(0.0).max(0.0) as u64;
    WorkerStats {
        solves: u(0),
        simplex_iterations: u(1),
        solve_time_s: v.get(2).copied().unwrap_or(0.0),
        warm_solves: u(3),
        cold_retries: u(4),
    }
}

/// Adds every rank's `local` counters in rank order.
///
/// # Errors
/// [`SddpError::Communicator`].
pub(crate) fn sum_stats(
    comm: &dyn Communicator,
    local: &[WorkerStats],
) -> Result<Vec<WorkerStats>, SddpError> {
    let mut buf = Vec::with_capacity(local.len() * COUNTERS);
    for s in local {
        stats_to(s, &mut buf);
    }
    comm.sum_reduce(&mut buf)?;
    Ok(buf.chunks(COUNTERS).map(stats_from).collect())
}

/// End-of-iteration exchange: returns the iteration's LP counters summed
/// over ranks (`local` is this rank's) and, when `marks_of` is given,
/// merges the binding marks of every rank's workers into `cuts` as used in
/// that iteration (a union: it does not depend on which rank saw what).
#[allow(clippy::too_many_arguments)]
pub(crate) fn iteration_totals(
    comm: &dyn Communicator,
    workers: &WorkerPool,
    cuts: &mut [LpCuts],
    local: &WorkerStats,
    marks_of: Option<u64>,
    buf: &mut Vec<f64>,
    global: &mut Vec<f64>,
    counts: &mut Vec<usize>,
) -> Result<WorkerStats, SddpError> {
    buf.clear();
    stats_to(local, buf);
    let words: Vec<usize> = cuts
        .iter()
        .map(|c| c.pool.len().div_ceil(BITS_PER_WORD))
        .collect();
    if marks_of.is_some() {
        let offsets: Vec<usize> = words
            .iter()
            .scan(COUNTERS, |at, &w| {
                let here = *at;
                *at += w;
                Some(here)
            })
            .collect();
        buf.resize(COUNTERS + words.iter().sum::<usize>(), 0.0);
        workers.take_used(|t, id| {
            let (Some(&off), Some(&w)) = (offsets.get(t), words.get(t)) else {
                return;
            };
            if id / BITS_PER_WORD >= w {
                return;
            }
            if let Some(word) = buf.get_mut(off + id / BITS_PER_WORD) {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let bits = *word as u64 | (1u64 << (id % BITS_PER_WORD));
                #[allow(clippy::cast_precision_loss)]
                {
                    *word = bits as f64;
                }
            }
        });
    }
    comm.all_gather(buf, global, counts)?;
    let mut total = WorkerStats::default();
    let mut pos = 0;
    for &n in counts.iter() {
        let part = global
            .get(pos..pos + n)
            .ok_or_else(|| malformed("iteration totals"))?;
        pos += n;
        total.add(&stats_from(part));
        let Some(iteration) = marks_of else {
            continue;
        };
        let mut at = COUNTERS;
        for (t, &w) in words.iter().enumerate() {
            let stage_words = part.get(at..at + w).ok_or_else(|| malformed("cut marks"))?;
            at += w;
            let Some(c) = cuts.get_mut(t) else { continue };
            for (k, &word) in stage_words.iter().enumerate() {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let mut bits = word as u64;
                while bits != 0 {
                    let b = bits.trailing_zeros() as usize;
                    c.mark_used(k * BITS_PER_WORD + b, iteration);
                    bits &= bits - 1;
                }
            }
        }
    }
    Ok(total)
}

/// Gives every rank rank 0's warm-start bases of `policy`.
///
/// # Errors
/// [`SddpError::Communicator`].
pub(crate) fn share_bases(comm: &dyn Communicator, policy: &mut Policy) -> Result<(), SddpError> {
    if comm.size() <= 1 {
        return Ok(());
    }
    let mut buf = Vec::new();
    if comm.rank() == 0 {
        for t in 0..policy.num_stages() {
            match policy.basis(t) {
                Some(b) => {
                    buf.push(1.0);
                    buf.push(enc(b.col_status.len()));
                    buf.push(enc(b.row_status.len()));
                    buf.extend(b.col_status.iter().map(|s| f64::from(s.to_code())));
                    buf.extend(b.row_status.iter().map(|s| f64::from(s.to_code())));
                }
                None => buf.push(0.0),
            }
        }
    }
    comm.broadcast(&mut buf, 0)?;
    if comm.rank() == 0 {
        return Ok(());
    }
    let status = |v: &f64| {
        #[allow(clippy::cast_possible_truncation)]
        BasisStatus::from_code(*v as i64)
    };
    let mut pos = 0;
    for t in 0..policy.num_stages() {
        let present = buf.get(pos).copied().ok_or_else(|| malformed("bases"))?;
        pos += 1;
        if present == 0.0 {
            continue;
        }
        let head = buf.get(pos..pos + 2).ok_or_else(|| malformed("bases"))?;
        let (nc, nr) = match (dec(head[0]), dec(head[1])) {
            (Some(c), Some(r)) => (c, r),
            _ => return Err(malformed("bases")),
        };
        pos += 2;
        let cols = buf.get(pos..pos + nc).ok_or_else(|| malformed("bases"))?;
        let rows = buf
            .get(pos + nc..pos + nc + nr)
            .ok_or_else(|| malformed("bases"))?;
        pos += nc + nr;
        policy.set_basis(
            t,
            Basis {
                col_status: cols.iter().map(status).collect(),
                row_status: rows.iter().map(status).collect(),
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_survive_the_f64_encoding_and_bad_values_are_refused() {
        for v in [0usize, 1, 31, 1 << 40] {
            assert_eq!(dec(enc(v)), Some(v));
        }
        assert_eq!(dec(-1.0), None);
        assert_eq!(dec(1.5), None);
        assert_eq!(dec(f64::NAN), None);
    }

    #[test]
    fn stats_round_trip_through_the_counter_encoding() {
        let s = WorkerStats {
            solves: 7,
            simplex_iterations: 1234,
            solve_time_s: 0.25,
            warm_solves: 5,
            cold_retries: 1,
        };
        let mut buf = Vec::new();
        stats_to(&s, &mut buf);
        assert_eq!(stats_from(&buf), s);
    }
}
