//! What the ranks of a training run exchange besides cuts and costs, so
//! that every rank holds the same LPs as a single process would, as typed
//! messages ([`Wire`]):
//!
//! * **activations** — the inactive cuts that work items found violated,
//!   in global item order, replayed by every rank as the single process
//!   replays them ([`Activations`]);
//! * **iteration totals** — LP counters of every rank, added in rank
//!   order, and the cuts found binding anywhere ([`CutMarks`]), merged by
//!   union before stale cuts leave the LPs ([`iteration_totals`]);
//! * **the stop decision**, taken on rank 0 alone and broadcast
//!   ([`StopDecision`]): no rank re-derives it from its own clock;
//! * **warm-start bases** of the policy, from rank 0 (which owns forward
//!   scenario 0) to the others ([`share_bases`]).

use crate::active_set::LpCuts;
use crate::communicator::{Collectives, Communicator, Reader, Wire, WireError};
use crate::policy::Policy;
use crate::progress::TerminationReason;
use crate::stopping::StoppingRules;
use crate::workspace::{WorkerPool, WorkerStats};
use crate::SddpError;
use cobre_solver::Basis;

impl Wire for WorkerStats {
    fn encode(&self, out: &mut Vec<u8>) {
        self.solves.encode(out);
        self.simplex_iterations.encode(out);
        self.solve_time_s.encode(out);
        self.warm_solves.encode(out);
        self.cold_retries.encode(out);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(WorkerStats {
            solves: u64::decode(r)?,
            simplex_iterations: u64::decode(r)?,
            solve_time_s: f64::decode(r)?,
            warm_solves: u64::decode(r)?,
            cold_retries: u64::decode(r)?,
        })
    }
    const MIN_SIZE: usize = 40;
}

/// Violated inactive cuts found by this rank's work items, exchanged and
/// activated by every rank in global item order.
#[derive(Debug, Default)]
pub(crate) struct Activations {
    /// `(stage, cut ids)` per unfinished local item, in item order.
    local: Vec<(usize, Vec<usize>)>,
}

impl Activations {
    /// Starts a new round.
    pub(crate) fn clear(&mut self) {
        self.local.clear();
    }

    /// Records that the next unfinished local item (in item order) needs
    /// cuts `ids` of `stage`.
    pub(crate) fn push(&mut self, stage: usize, ids: &[usize]) {
        self.local.push((stage, ids.to_vec()));
    }

    /// Exchanges the round's records and activates every rank's, rank by
    /// rank (ranks own contiguous items, so this is the global item order).
    /// Returns whether any item of any rank is unfinished.
    pub(crate) fn apply(
        &mut self,
        comm: &dyn Communicator,
        cuts: &mut [LpCuts],
    ) -> Result<bool, SddpError> {
        let every = if comm.size() <= 1 {
            vec![std::mem::take(&mut self.local)]
        } else {
            comm.gather(&self.local)?
        };
        let mut any = false;
        for (stage, mut ids) in every.into_iter().flatten() {
            any = true;
            if let Some(c) = cuts.get_mut(stage) {
                c.activate(&mut ids);
            }
        }
        Ok(any)
    }
}

/// Cuts found binding in an iteration: one bitset per stage (bit `i` of
/// word `i / 64` for cut id `i`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CutMarks {
    /// Per stage, the words of its bitset.
    pub(crate) stages: Vec<Vec<u64>>,
}

impl CutMarks {
    /// Empty bitsets sized for pools of `pool_sizes` cuts.
    fn sized(pool_sizes: impl Iterator<Item = usize>) -> Self {
        Self {
            stages: pool_sizes.map(|n| vec![0; n.div_ceil(64)]).collect(),
        }
    }

    fn set(&mut self, stage: usize, id: usize) {
        if let Some(w) = self.stages.get_mut(stage).and_then(|s| s.get_mut(id / 64)) {
            *w |= 1u64 << (id % 64);
        }
    }

    /// Every marked `(stage, id)`.
    fn each(&self, mut f: impl FnMut(usize, usize)) {
        for (t, words) in self.stages.iter().enumerate() {
            for (k, &word) in words.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    f(t, k * 64 + bits.trailing_zeros() as usize);
                    bits &= bits - 1;
                }
            }
        }
    }
}

impl Wire for CutMarks {
    fn encode(&self, out: &mut Vec<u8>) {
        self.stages.encode(out);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            stages: Vec::decode(r)?,
        })
    }
    const MIN_SIZE: usize = 8;
}

/// Adds every rank's `local` counters in rank order.
///
/// # Errors
/// [`SddpError::Communicator`].
pub(crate) fn sum_stats(
    comm: &dyn Communicator,
    local: &[WorkerStats],
) -> Result<Vec<WorkerStats>, SddpError> {
    let every = comm.gather(&local.to_vec())?;
    let mut total = vec![WorkerStats::default(); local.len()];
    for part in &every {
        if part.len() != total.len() {
            return Err(SddpError::Communicator {
                message: "ranks sent different numbers of counters".into(),
            });
        }
        for (t, p) in total.iter_mut().zip(part) {
            t.add(p);
        }
    }
    Ok(total)
}

/// End-of-iteration exchange: returns the iteration's LP counters summed
/// over ranks (`local` is this rank's) and, when `marks_of` is given,
/// merges the binding marks of every rank's workers into `cuts` as used in
/// that iteration (a union: it does not depend on which rank saw what).
pub(crate) fn iteration_totals(
    comm: &dyn Communicator,
    workers: &WorkerPool,
    cuts: &mut [LpCuts],
    local: &WorkerStats,
    marks_of: Option<u64>,
) -> Result<WorkerStats, SddpError> {
    let mut marks = CutMarks::default();
    if marks_of.is_some() {
        marks = CutMarks::sized(cuts.iter().map(|c| c.pool.len()));
        workers.take_used(|t, id| marks.set(t, id));
    }
    let every = comm.gather(&(*local, marks))?;
    let mut total = WorkerStats::default();
    for (stats, marks) in &every {
        total.add(stats);
        if let Some(iteration) = marks_of {
            marks.each(|t, id| {
                if let Some(c) = cuts.get_mut(t) {
                    c.mark_used(id, iteration);
                }
            });
        }
    }
    Ok(total)
}

/// Whether training goes on, decided on rank 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopDecision {
    /// Run another iteration.
    Continue,
    /// The stopping rule at this position of the run's rules was met.
    Rule(u8),
    /// The observer asked to stop.
    Observer,
    /// The stop flag was raised.
    StopFlag,
}

impl StopDecision {
    /// The termination reason, naming the rule from `rules` (the same
    /// rules on every rank); `None` to continue.
    ///
    /// # Errors
    /// [`SddpError::Communicator`] for a rule position the rules do not have.
    pub(crate) fn reason(
        self,
        rules: &StoppingRules,
    ) -> Result<Option<TerminationReason>, SddpError> {
        Ok(match self {
            Self::Continue => None,
            Self::Rule(i) => Some(TerminationReason::Rule(
                rules
                    .kind_at(usize::from(i))
                    .ok_or_else(|| SddpError::Communicator {
                        message: format!("stop decision names rule {i}, which this run lacks"),
                    })?,
            )),
            Self::Observer => Some(TerminationReason::Observer),
            Self::StopFlag => Some(TerminationReason::StopFlag),
        })
    }
}

impl Wire for StopDecision {
    fn encode(&self, out: &mut Vec<u8>) {
        match *self {
            Self::Continue => out.push(0),
            Self::Rule(i) => {
                out.push(1);
                out.push(i);
            }
            Self::Observer => out.push(2),
            Self::StopFlag => out.push(3),
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let at = r.position();
        match u8::decode(r)? {
            0 => Ok(Self::Continue),
            1 => Ok(Self::Rule(u8::decode(r)?)),
            2 => Ok(Self::Observer),
            3 => Ok(Self::StopFlag),
            _ => Err(WireError {
                what: "stop decision",
                at,
            }),
        }
    }
}

/// Rank 0's stop decision on every rank (`mine` is only read on rank 0).
///
/// # Errors
/// [`SddpError::Communicator`].
pub(crate) fn share_decision(
    comm: &dyn Communicator,
    mine: StopDecision,
) -> Result<StopDecision, SddpError> {
    if comm.size() <= 1 {
        return Ok(mine);
    }
    comm.share(Some(&mine), 0)
}

/// Gives every rank rank 0's warm-start bases of `policy`.
///
/// # Errors
/// [`SddpError::Communicator`].
pub(crate) fn share_bases(comm: &dyn Communicator, policy: &mut Policy) -> Result<(), SddpError> {
    if comm.size() <= 1 {
        return Ok(());
    }
    let mine: Vec<Option<Basis>> = if comm.rank() == 0 {
        (0..policy.num_stages())
            .map(|t| policy.basis(t).cloned())
            .collect()
    } else {
        Vec::new()
    };
    let bases: Vec<Option<Basis>> = comm.share(Some(&mine), 0)?;
    if comm.rank() == 0 {
        return Ok(());
    }
    if bases.len() != policy.num_stages() {
        return Err(SddpError::Communicator {
            message: format!(
                "{} bases received for {} stages",
                bases.len(),
                policy.num_stages()
            ),
        });
    }
    for (t, b) in bases.into_iter().enumerate() {
        if let Some(b) = b {
            policy.set_basis(t, b);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::communicator::InProcess;

    #[test]
    fn stats_marks_and_decisions_round_trip() {
        let s = WorkerStats {
            solves: 7,
            simplex_iterations: 1234,
            solve_time_s: 0.25,
            warm_solves: 5,
            cold_retries: 1,
        };
        assert_eq!(WorkerStats::from_bytes(&s.to_bytes()).unwrap(), s);
        let mut m = CutMarks::sized([3usize, 130].into_iter());
        m.set(1, 129);
        m.set(0, 2);
        let back = CutMarks::from_bytes(&m.to_bytes()).unwrap();
        let mut seen = Vec::new();
        back.each(|t, id| seen.push((t, id)));
        assert_eq!(seen, vec![(0, 2), (1, 129)]);
        for d in [
            StopDecision::Continue,
            StopDecision::Rule(3),
            StopDecision::Observer,
            StopDecision::StopFlag,
        ] {
            assert_eq!(StopDecision::from_bytes(&d.to_bytes()).unwrap(), d);
        }
        assert!(StopDecision::from_bytes(&[9]).is_err());
    }

    #[test]
    fn rank_zero_decision_reaches_every_rank() {
        let ranks = InProcess::group(3);
        let got: Vec<StopDecision> = std::thread::scope(|s| {
            let hs: Vec<_> = ranks
                .iter()
                .map(|c| {
                    s.spawn(move || {
                        // Every rank proposes something different; rank 0's wins.
                        let mine = if c.rank() == 0 {
                            StopDecision::Rule(1)
                        } else {
                            StopDecision::Continue
                        };
                        share_decision(c, mine).unwrap()
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(got, vec![StopDecision::Rule(1); 3]);
    }
}
