//! How the inflow lags move from one stage to the next when stages and lag
//! periods differ in length (the lag accumulator of Cobre 0.18).
//!
//! Lag `l` of a stage is the mean inflow of the `l`-th *season period* before
//! the stage's own (the previous month for monthly seasons), not of the
//! `l`-th previous stage. After stage `t` is solved with realised inflows
//! `z`, the lags handed to stage `t + 1` are computed outside the LP:
//!
//! * **accumulate**: `sum_h += z_h·a_t`, `weight_h += a_t`, with `a_t` the
//!   share of the stage's season period the stage covers (7/31 for a January
//!   week, 1 for a monthly stage);
//! * **finalize** (the stage is the last of its season period): the lags
//!   shift, `lag_1 = sum_h / weight_h`; the accumulator restarts with the
//!   part of the stage lying in the next period (`sum = z·s_t`, `weight =
//!   s_t`) or empty. A stage that does not finalize leaves the lags unchanged,
//!   so the four weeks of a January all read December.
//! * **coarse ring** (monthly stages followed by coarser ones, e.g. quarters):
//!   the `L·k` fine stages before the first coarse stage (`k` months per
//!   coarse period) also accumulate into coarse periods, completed ones
//!   filling a ring of at most `L` lags. Right after the first coarse stage
//!   the lags are replaced by the ring, newest first, and that stage's
//!   finalize is skipped — its primary accumulator is *not* restarted, so the
//!   next finalize averages two coarse stages. This is 0.18's behaviour,
//!   reproduced as is (d30 shows it).
//!
//! With one stage per season period every step is a plain shift (`lag_1 =
//! z`). The stage LP itself always renders a plain shift in its outgoing
//! state (cuts are written on `lag_1 = z_t`), while trial states carry the
//! lags computed here — again the 0.18 convention.

use crate::calendar::{next_season_period, Period, Timeline};
use cobre_core::stage::{Horizon, SeasonCycle};

/// What stage `t`'s realised inflows do to the lag state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LagTransition {
    /// Share of the stage's season period covered by the stage.
    pub accumulate: f64,
    /// Share of the next season period covered by the stage.
    pub spillover: f64,
    /// Whether the stage is the last of its season period.
    pub finalize: bool,
    /// Contribution to the coarse ring (fine stages before the first coarse one).
    pub coarse: Option<CoarseStep>,
    /// Whether the lags are rebuilt from the coarse ring after this stage.
    pub rebuild_from_coarse: bool,
}

impl LagTransition {
    /// One stage per season period: the lags shift by the stage's inflow.
    pub const SHIFT: Self = Self {
        accumulate: 1.0,
        spillover: 0.0,
        finalize: true,
        coarse: None,
        rebuild_from_coarse: false,
    };

    /// A stage without a season: the lags never move.
    pub const FROZEN: Self = Self {
        accumulate: 0.0,
        spillover: 0.0,
        finalize: false,
        coarse: None,
        rebuild_from_coarse: false,
    };
}

/// A fine stage's contribution to a coarse period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoarseStep {
    /// Share of the coarse period covered by the stage.
    pub accumulate: f64,
    /// Share of the next coarse period covered by the stage.
    pub spillover: f64,
    /// Whether the stage is the last of its coarse period.
    pub finalize: bool,
}

/// The running sums of one trajectory (reset at its start with
/// [`LagChain::restart`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LagAccumulator {
    sum: Vec<f64>,
    weight: Vec<f64>,
    coarse_sum: Vec<f64>,
    coarse_weight: f64,
    ring: Vec<f64>,
    ring_len: usize,
}

impl LagAccumulator {
    /// Appends the accumulator's state to `out` as numbers (to send it to
    /// another process; [`Self::read_from`] restores it).
    pub fn write_to(&self, out: &mut Vec<f64>) {
        out.extend_from_slice(&self.sum);
        out.extend_from_slice(&self.weight);
        out.extend_from_slice(&self.coarse_sum);
        out.push(self.coarse_weight);
        out.extend_from_slice(&self.ring);
        #[allow(clippy::cast_precision_loss)]
        out.push(self.ring_len as f64);
    }

    /// Number of values [`Self::write_to`] appends.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        self.sum.len() + self.weight.len() + self.coarse_sum.len() + self.ring.len() + 2
    }

    /// Restores a state written by [`Self::write_to`] from an accumulator of
    /// the same chain; returns `false` (leaving `self` unchanged) when `v`
    /// has the wrong length.
    pub fn read_from(&mut self, v: &[f64]) -> bool {
        if v.len() != self.encoded_len() {
            return false;
        }
        let mut at = 0;
        for dst in [&mut self.sum, &mut self.weight, &mut self.coarse_sum] {
            let n = dst.len();
            dst.copy_from_slice(&v[at..at + n]);
            at += n;
        }
        self.coarse_weight = v[at];
        at += 1;
        let n = self.ring.len();
        self.ring.copy_from_slice(&v[at..at + n]);
        at += n;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        {
            self.ring_len = v[at].max(0.0) as usize;
        }
        true
    }
}

/// The lag transitions of a study and the accumulator seed of its first stage.
#[derive(Debug, Clone, PartialEq)]
pub struct LagChain {
    num_hydros: usize,
    max_order: usize,
    transitions: Vec<LagTransition>,
    coarse_order: usize,
    seed_sum: Vec<f64>,
    seed_weight: Vec<f64>,
}

impl LagChain {
    /// Builds the transitions of `horizon` for `max_order` lags per hydro.
    /// `seed(h)` is the `(Σ value·share, Σ share)` of the observations that
    /// fall in the first stage's season period before the study starts.
    pub(crate) fn build(
        horizon: &Horizon,
        timeline: &Timeline,
        num_hydros: usize,
        max_order: usize,
        seed: impl Fn(usize) -> (f64, f64),
    ) -> Self {
        let n = horizon.stages.len();
        let mut transitions: Vec<LagTransition> = (0..n)
            .map(|t| {
                if horizon.stages[t].season.is_none() {
                    return LagTransition::FROZEN;
                }
                let stage = timeline.stage_dates[t];
                let current = timeline.season_periods[t];
                let share = |p: &Period| {
                    if p.days() > 0 {
                        stage.overlap_days(p) as f64 / p.days() as f64
                    } else {
                        0.0
                    }
                };
                let spillover =
                    next_season_period(horizon, &current).map_or(0.0, |next| share(&next));
                let finalize = !(t + 1..n).any(|u| {
                    horizon.stages[u].season == horizon.stages[t].season
                        && timeline.season_periods[u] == current
                });
                LagTransition {
                    accumulate: share(&current),
                    spillover,
                    finalize,
                    coarse: None,
                    rebuild_from_coarse: false,
                }
            })
            .collect();
        let weekly = horizon
            .seasons
            .as_ref()
            .is_some_and(|d| d.cycle == SeasonCycle::Weekly);
        let coarse_order = if weekly || max_order == 0 {
            0
        } else {
            add_coarse_ring(horizon, timeline, max_order, &mut transitions)
        };
        let (seed_sum, seed_weight) = (0..num_hydros).map(seed).unzip();
        Self {
            num_hydros,
            max_order,
            transitions,
            coarse_order,
            seed_sum,
            seed_weight,
        }
    }

    /// A chain where every stage shifts the lags (tests, hand-built models).
    #[must_use]
    pub fn uniform(num_hydros: usize, max_order: usize, num_stages: usize) -> Self {
        Self {
            num_hydros,
            max_order,
            transitions: vec![LagTransition::SHIFT; num_stages],
            coarse_order: 0,
            seed_sum: vec![0.0; num_hydros],
            seed_weight: vec![0.0; num_hydros],
        }
    }

    /// The transition of stage `t` (a shift beyond the study).
    #[must_use]
    pub fn transition(&self, t: usize) -> LagTransition {
        self.transitions
            .get(t)
            .copied()
            .unwrap_or(LagTransition::SHIFT)
    }

    /// Number of completed coarse periods the ring keeps (0: no ring).
    #[must_use]
    pub fn coarse_order(&self) -> usize {
        self.coarse_order
    }

    /// Whether every stage is a plain shift (one stage per season period).
    #[must_use]
    pub fn is_uniform(&self) -> bool {
        self.coarse_order == 0
            && self.transitions.iter().all(|t| *t == LagTransition::SHIFT)
            && self.seed_weight.iter().all(|w| *w == 0.0)
    }

    /// A fresh accumulator sized for this chain, at the study start.
    #[must_use]
    pub fn accumulator(&self) -> LagAccumulator {
        let mut acc = LagAccumulator {
            sum: vec![0.0; self.num_hydros],
            weight: vec![0.0; self.num_hydros],
            coarse_sum: vec![
                0.0;
                if self.coarse_order > 0 {
                    self.num_hydros
                } else {
                    0
                }
            ],
            coarse_weight: 0.0,
            ring: vec![0.0; self.num_hydros * self.coarse_order],
            ring_len: 0,
        };
        self.restart(&mut acc);
        acc
    }

    /// Resets `acc` to the study start (no allocation once sized).
    pub fn restart(&self, acc: &mut LagAccumulator) {
        if acc.sum.len() != self.num_hydros || acc.ring.len() != self.num_hydros * self.coarse_order
        {
            *acc = self.accumulator();
            return;
        }
        acc.sum.copy_from_slice(&self.seed_sum);
        acc.weight.copy_from_slice(&self.seed_weight);
        acc.coarse_sum.fill(0.0);
        acc.coarse_weight = 0.0;
        acc.ring.fill(0.0);
        acc.ring_len = 0;
    }

    /// The lags after stage `t` (`n_h × L`, hydro-major like `lags`) given
    /// its incoming lags and realised inflows `z`; updates `acc`.
    pub fn advance(
        &self,
        t: usize,
        lags: &[f64],
        z: &[f64],
        acc: &mut LagAccumulator,
        out: &mut [f64],
    ) {
        let (n, l) = (self.num_hydros, self.max_order);
        if l == 0 || n == 0 {
            return;
        }
        if acc.sum.len() != n {
            *acc = self.accumulator();
        }
        out[..n * l].copy_from_slice(&lags[..n * l]);
        let tr = self.transition(t);
        let z = &z[..n];
        for ((sum, weight), &zh) in acc.sum.iter_mut().zip(&mut acc.weight).zip(z) {
            *sum += zh * tr.accumulate;
            *weight += tr.accumulate;
        }
        if let (Some(c), true) = (tr.coarse, self.coarse_order > 0) {
            for (sum, &zh) in acc.coarse_sum.iter_mut().zip(z) {
                *sum += zh * c.accumulate;
            }
            acc.coarse_weight += c.accumulate;
            if c.finalize && acc.coarse_weight > 0.0 {
                let slot = acc.ring_len.min(self.coarse_order - 1);
                let inv = 1.0 / acc.coarse_weight;
                let ring = &mut acc.ring[slot * n..(slot + 1) * n];
                for ((r, sum), &zh) in ring.iter_mut().zip(&mut acc.coarse_sum).zip(z) {
                    *r = *sum * inv;
                    *sum = zh * c.spillover;
                }
                acc.ring_len = (acc.ring_len + 1).min(self.coarse_order);
                acc.coarse_weight = c.spillover;
            }
        }
        if tr.rebuild_from_coarse && acc.ring_len > 0 {
            for k in 0..acc.ring_len.min(l) {
                let slot = acc.ring_len - 1 - k;
                for h in 0..n {
                    out[h * l + k] = acc.ring[slot * n + h];
                }
            }
            acc.ring.fill(0.0);
            acc.ring_len = 0;
            acc.coarse_sum.fill(0.0);
            acc.coarse_weight = 0.0;
            return;
        }
        if tr.finalize {
            for (h, &zh) in z.iter().enumerate() {
                // Multiplying by the inverse (not dividing) rounds like 0.18.
                let mean = if acc.weight[h] > 0.0 {
                    acc.sum[h] * (1.0 / acc.weight[h])
                } else {
                    acc.sum[h]
                };
                out[h * l + 1..(h + 1) * l].copy_from_slice(&lags[h * l..(h + 1) * l - 1]);
                out[h * l] = mean;
                acc.sum[h] = zh * tr.spillover;
                acc.weight[h] = tr.spillover;
            }
        }
    }
}

/// Marks the fine stages feeding the coarse ring and the first coarse stage;
/// returns the ring length (`max_order`, or 0 when the study has no
/// fine-to-coarse transition).
///
/// The first coarse stage is the first stage whose season period spans
/// several whole months after a stage whose season period is one month (the
/// monthly → quarterly studies 0.18 supports); coarse periods are that
/// period shifted back by whole multiples of its length.
fn add_coarse_ring(
    horizon: &Horizon,
    timeline: &Timeline,
    max_order: usize,
    transitions: &mut [LagTransition],
) -> usize {
    let months = |t: usize| timeline.season_periods[t].whole_months();
    let Some(first) = (1..horizon.stages.len()).find(|&t| {
        horizon.stages[t].season.is_some()
            && months(t).is_some_and(|m| m > 1)
            && months(t - 1) == Some(1)
    }) else {
        return 0;
    };
    let coarse = timeline.season_periods[first];
    let k = months(first).unwrap_or(1) as usize;
    let window = first.saturating_sub(max_order * k)..first;
    // The coarse period (shifts back from `coarse`) holding a date.
    let period_of = |start: chrono::NaiveDate| {
        (1..=(max_order * k + 1) as u32)
            .map(|j| coarse.shifted_back(j))
            .find(|p| p.start <= start && start < p.end)
    };
    let periods: Vec<Option<Period>> = window
        .clone()
        .map(|s| period_of(timeline.season_periods[s].start))
        .collect();
    for (i, s) in window.clone().enumerate() {
        let Some(p) = periods[i] else { continue };
        if horizon.stages[s].season.is_none() {
            continue;
        }
        let stage = timeline.stage_dates[s];
        let next = Period {
            start: p.end,
            end: p.end + (p.end - p.start),
        };
        let share = |q: &Period| {
            if q.days() > 0 {
                stage.overlap_days(q) as f64 / q.days() as f64
            } else {
                0.0
            }
        };
        transitions[s].coarse = Some(CoarseStep {
            accumulate: share(&p),
            spillover: share(&next),
            finalize: periods[i + 1..].iter().all(|q| *q != Some(p)),
        });
    }
    transitions[first].rebuild_from_coarse = true;
    tracing::debug!(
        first_coarse_stage = first,
        fine_stages = window.len(),
        ring = max_order,
        "lag ring from fine to coarse stages"
    );
    max_order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(transitions: Vec<LagTransition>, l: usize, coarse_order: usize) -> LagChain {
        LagChain {
            num_hydros: 1,
            max_order: l,
            transitions,
            coarse_order,
            seed_sum: vec![0.0],
            seed_weight: vec![0.0],
        }
    }

    fn week(finalize: bool) -> LagTransition {
        LagTransition {
            accumulate: 7.0 / 31.0,
            spillover: 0.0,
            finalize,
            coarse: None,
            rebuild_from_coarse: false,
        }
    }

    #[test]
    fn one_stage_per_period_shifts_the_lags_by_the_inflow() {
        let c = LagChain::uniform(1, 2, 3);
        let mut acc = c.accumulator();
        let mut out = [0.0; 2];
        c.advance(0, &[5.0, 6.0], &[9.0], &mut acc, &mut out);
        assert_eq!(out, [9.0, 5.0]);
        assert!(c.is_uniform());
    }

    #[test]
    fn weeks_of_one_month_keep_the_lag_until_the_last_week_averages_them() {
        let c = chain(vec![week(false), week(false), week(true)], 1, 0);
        let mut acc = c.accumulator();
        let mut lags = [200.0];
        let mut out = [0.0];
        for (t, z) in [10.0, 20.0].into_iter().enumerate() {
            c.advance(t, &lags, &[z], &mut acc, &mut out);
            assert_eq!(out, [200.0]);
            lags = out;
        }
        c.advance(2, &lags, &[60.0], &mut acc, &mut out);
        assert!((out[0] - 30.0).abs() < 1e-12, "{out:?}");
    }

    #[test]
    fn spillover_seeds_the_next_period_with_the_raw_inflow() {
        let crossing = LagTransition {
            accumulate: 3.0 / 30.0,
            spillover: 4.0 / 31.0,
            finalize: true,
            coarse: None,
            rebuild_from_coarse: false,
        };
        let c = chain(vec![crossing, week(true)], 1, 0);
        let mut acc = c.accumulator();
        let mut out = [0.0];
        c.advance(0, &[1.0], &[50.0], &mut acc, &mut out);
        assert_eq!(out, [50.0]);
        c.advance(1, &out.clone(), &[10.0], &mut acc, &mut out);
        let expected = (50.0 * 4.0 / 31.0 + 10.0 * 7.0 / 31.0) / (11.0 / 31.0);
        assert!((out[0] - expected).abs() < 1e-12);
    }

    #[test]
    fn the_first_coarse_stage_hands_on_the_ring_and_keeps_its_accumulation() {
        // Three months feeding one quarter, then two quarterly stages, L = 1.
        let month = |w: f64, finalize: bool| LagTransition {
            coarse: Some(CoarseStep {
                accumulate: w,
                spillover: 0.0,
                finalize,
            }),
            ..LagTransition::SHIFT
        };
        let mut q = LagTransition::SHIFT;
        q.rebuild_from_coarse = true;
        let c = chain(
            vec![
                month(0.25, false),
                month(0.25, false),
                month(0.5, true),
                q,
                LagTransition::SHIFT,
            ],
            1,
            1,
        );
        let mut acc = c.accumulator();
        let mut lags = [0.0];
        let mut out = [0.0];
        for (t, z) in [40.0, 80.0, 100.0].into_iter().enumerate() {
            c.advance(t, &lags, &[z], &mut acc, &mut out);
            assert_eq!(out, [z], "monthly stages still shift");
            lags = out;
        }
        c.advance(3, &lags, &[70.0], &mut acc, &mut out);
        assert_eq!(out, [80.0], "quarter mean 0.25·40 + 0.25·80 + 0.5·100");
        lags = out;
        c.advance(4, &lags, &[90.0], &mut acc, &mut out);
        assert_eq!(out, [80.0], "mean of the two quarterly inflows");
    }

    #[test]
    fn restart_returns_to_the_seed() {
        let mut c = chain(vec![week(true)], 1, 0);
        c.seed_sum = vec![100.0 * 3.0 / 31.0];
        c.seed_weight = vec![3.0 / 31.0];
        let mut acc = c.accumulator();
        let mut out = [0.0];
        c.advance(0, &[0.0], &[100.0], &mut acc, &mut out);
        assert!((out[0] - 100.0).abs() < 1e-12);
        c.restart(&mut acc);
        assert_eq!(acc.weight, vec![3.0 / 31.0]);
        assert!(!c.is_uniform());
    }
}
