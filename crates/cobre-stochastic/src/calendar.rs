//! Calendar arithmetic: the season period of each stage, the calendar period
//! of each AR lag and the noise groups of stages that share one draw.
//!
//! The PAR model is defined on the *season grid*: lag `l` of a stage is the
//! inflow of the `l`-th season period before the stage's own season period
//! (the previous month for a monthly cycle), whatever the length of the
//! stages; how the lag state follows stages of other lengths is
//! [`crate::lag_chain`].

use chrono::{Datelike, Months, NaiveDate};
use cobre_core::stage::{Horizon, SeasonCycle, SeasonDefinitions};
use cobre_core::SeasonId;

/// A half-open calendar interval `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    /// First day.
    pub start: NaiveDate,
    /// First day after the period.
    pub end: NaiveDate,
}

impl Period {
    /// Length in days (0 for an empty or inverted interval).
    #[must_use]
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days().max(0)
    }

    /// Days shared with another period.
    #[must_use]
    pub fn overlap_days(&self, other: &Period) -> i64 {
        let s = self.start.max(other.start);
        let e = self.end.min(other.end);
        (e - s).num_days().max(0)
    }

    /// Number of whole months when the period starts and ends on the first of a month.
    #[must_use]
    pub fn whole_months(&self) -> Option<u32> {
        if self.start.day() != 1 || self.end.day() != 1 || self.end <= self.start {
            return None;
        }
        let m = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
        u32::try_from(m(self.end) - m(self.start)).ok()
    }

    /// The period `l` lengths earlier: whole months for month-aligned periods,
    /// days otherwise.
    #[must_use]
    pub fn shifted_back(&self, l: u32) -> Period {
        if let Some(n) = self.whole_months() {
            let shift = Months::new(n * l);
            if let (Some(start), Some(end)) = (
                self.start.checked_sub_months(shift),
                self.end.checked_sub_months(shift),
            ) {
                return Period { start, end };
            }
        }
        let d = chrono::Duration::days(self.days() * i64::from(l));
        Period {
            start: self.start - d,
            end: self.end - d,
        }
    }
}

fn first_of(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn clamp_day(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    (1..=day.max(1))
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(year, month, d))
}

/// Candidate calendar period of a season in a given year.
pub(crate) fn season_in_year(
    defs: &SeasonDefinitions,
    season: SeasonId,
    year: i32,
) -> Option<Period> {
    let s = defs.seasons.iter().find(|s| s.id == season)?;
    match defs.cycle {
        SeasonCycle::Weekly => None,
        SeasonCycle::Monthly => {
            let start = first_of(year, s.month_start)?;
            let end = start.checked_add_months(Months::new(1))?;
            Some(Period { start, end })
        }
        SeasonCycle::Custom => {
            let start = clamp_day(year, s.month_start, s.day_start.unwrap_or(1))?;
            let month_end = s.month_end.unwrap_or(s.month_start);
            // A season ending on day 28 or later is read as "to the end of the
            // month" (February written as 28, months as 30/31).
            let end_year = if (month_end, s.day_end.unwrap_or(31))
                < (s.month_start, s.day_start.unwrap_or(1))
            {
                year + 1
            } else {
                year
            };
            let end = match s.day_end {
                Some(d) if d < 28 => clamp_day(end_year, month_end, d)?.succ_opt()?,
                _ => first_of(end_year, month_end)?.checked_add_months(Months::new(1))?,
            };
            Some(Period { start, end })
        }
    }
}

/// The season period a stage belongs to: the season's calendar period in the
/// year that overlaps the stage most (ties: the one starting closest to the
/// stage), or the stage's own dates when it has no (calendar) season.
#[must_use]
pub fn season_period(horizon: &Horizon, stage: Period, season: Option<SeasonId>) -> Period {
    let (Some(defs), Some(season)) = (horizon.seasons.as_ref(), season) else {
        return stage;
    };
    let y = stage.start.year();
    (y - 1..=y + 1)
        .filter_map(|yy| season_in_year(defs, season, yy))
        .max_by_key(|p| {
            (
                p.overlap_days(&stage),
                -(p.start - stage.start).num_days().abs(),
            )
        })
        .unwrap_or(stage)
}

/// The next season period after `period`: the season period of the cycle
/// that starts where `period` ends, preferring one of the same number of
/// whole months (a month is followed by a month, a quarter by a quarter).
#[must_use]
pub fn next_season_period(horizon: &Horizon, period: &Period) -> Option<Period> {
    let defs = horizon.seasons.as_ref()?;
    let y = period.end.year();
    let candidates: Vec<Period> = defs
        .seasons
        .iter()
        .flat_map(|s| (y - 1..=y).filter_map(move |yy| season_in_year(defs, s.id, yy)))
        .filter(|p| p.start == period.end)
        .collect();
    candidates
        .iter()
        .find(|p| p.whole_months().is_some() && p.whole_months() == period.whole_months())
        .or_else(|| candidates.first())
        .copied()
}

/// The calendar of a study's stages: their dates, their season periods and
/// the noise groups of stages that share one draw.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Each study stage's own dates.
    pub stage_dates: Vec<Period>,
    /// Each study stage's season period.
    pub season_periods: Vec<Period>,
    /// Noise group of each stage: the index of the first stage sharing its draw.
    pub noise_groups: Vec<usize>,
    /// Noise key of each stage: the id of the first stage of its group, the
    /// `stage` field of its random-stream addresses ([`crate::rng`]).
    pub noise_keys: Vec<u32>,
}

impl Timeline {
    /// Builds the timeline of a horizon.
    #[must_use]
    pub fn new(horizon: &Horizon) -> Self {
        let stage_dates: Vec<Period> = horizon
            .stages
            .iter()
            .map(|s| Period {
                start: s.start_date,
                end: s.end_date,
            })
            .collect();
        let season_periods: Vec<Period> = horizon
            .stages
            .iter()
            .zip(&stage_dates)
            .map(|(s, &d)| season_period(horizon, d, s.season))
            .collect();
        let mut noise_groups = Vec::with_capacity(stage_dates.len());
        for (t, s) in horizon.stages.iter().enumerate() {
            let first = s
                .season
                .and_then(|season| {
                    (0..t).find(|&u| {
                        horizon.stages[u].season == Some(season)
                            && season_periods[u] == season_periods[t]
                    })
                })
                .unwrap_or(t);
            noise_groups.push(first);
        }
        let noise_keys = noise_groups
            .iter()
            .map(|&g| {
                horizon
                    .stages
                    .get(g)
                    .map_or(g as u32, |s| s.id.0.max(0) as u32)
            })
            .collect();
        Self {
            stage_dates,
            season_periods,
            noise_groups,
            noise_keys,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn month_aligned_periods_shift_by_whole_periods() {
        let q3 = Period {
            start: d(2024, 7, 1),
            end: d(2024, 10, 1),
        };
        assert_eq!(q3.whole_months(), Some(3));
        assert_eq!(
            q3.shifted_back(1),
            Period {
                start: d(2024, 4, 1),
                end: d(2024, 7, 1)
            }
        );
        let jan = Period {
            start: d(2024, 1, 1),
            end: d(2024, 2, 1),
        };
        assert_eq!(jan.shifted_back(1).start, d(2023, 12, 1));
    }

    #[test]
    fn weekly_periods_shift_by_days() {
        let w = Period {
            start: d(2024, 1, 8),
            end: d(2024, 1, 15),
        };
        assert_eq!(w.shifted_back(2).start, d(2023, 12, 25));
    }
}
