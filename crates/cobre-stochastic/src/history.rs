//! Inflow history on the season grid: the primary seasonal cycle, the
//! per-hydro seasonal series used for fitting, the fitted-model report and
//! the residual correlation estimated from history.

use crate::calendar::{season_in_year, Period};
use crate::fit::{
    fit_par, periodic_autocorrelation, seasonal_stats, standardise, FitSettings, FittedSeason,
    SeasonalSeries,
};
use crate::fit_annual::fit_par_annual;
use crate::StochasticError;
use chrono::Datelike;
use cobre_core::config::{EstimationConfig, OrderSelection};
use cobre_core::scenario::HistoricalInflow;
use cobre_core::stage::SeasonDefinitions;
use cobre_core::{HydroId, SeasonId};

/// The seasons of one calendar year in chronological order, each a whole
/// number of months, partitioning the year (all of a monthly cycle; the
/// one-month seasons of a custom cycle when they cover the year, else all of
/// its seasons when they partition it).
pub(crate) fn primary_cycle(defs: &SeasonDefinitions) -> Option<Vec<SeasonId>> {
    let year = 2001;
    let mut with_period: Vec<(SeasonId, Period)> = defs
        .seasons
        .iter()
        .filter_map(|s| season_in_year(defs, s.id, year).map(|p| (s.id, p)))
        .filter(|(_, p)| p.whole_months().is_some())
        .collect();
    with_period.sort_by_key(|(_, p)| p.start);
    let partitions = |set: &[(SeasonId, Period)]| {
        let months: u32 = set.iter().filter_map(|(_, p)| p.whole_months()).sum();
        months == 12 && set.windows(2).all(|w| w[0].1.end <= w[1].1.start)
    };
    let monthly: Vec<(SeasonId, Period)> = with_period
        .iter()
        .copied()
        .filter(|(_, p)| p.whole_months() == Some(1))
        .collect();
    if monthly.len() == 12 && partitions(&monthly) {
        return Some(monthly.into_iter().map(|x| x.0).collect());
    }
    partitions(&with_period).then(|| with_period.into_iter().map(|x| x.0).collect())
}

/// The season-grid periods from the first to the last year of the history.
pub(crate) fn grid(
    defs: &SeasonDefinitions,
    cycle: &[SeasonId],
    history: &[HistoricalInflow],
) -> Vec<Period> {
    let (Some(y0), Some(y1)) = (
        history.iter().map(|r| r.start_date.year()).min(),
        history.iter().map(|r| r.start_date.year()).max(),
    ) else {
        return Vec::new();
    };
    (y0..=y1)
        .flat_map(|y| {
            cycle
                .iter()
                .filter_map(move |&s| season_in_year(defs, s, y))
        })
        .collect()
}

/// Overlap-weighted average of records covering at least half of `period`.
pub(crate) fn average_over<'a>(
    records: impl Iterator<Item = (Period, f64)> + 'a,
    period: &Period,
) -> Option<f64> {
    let (mut sum, mut days) = (0.0, 0i64);
    for (p, v) in records {
        let o = p.overlap_days(period);
        if o > 0 {
            sum += v * o as f64;
            days += o;
        }
    }
    (days > 0 && 2 * days >= period.days()).then(|| sum / days as f64)
}

/// A hydro's history records as `(period, value)`, in file order.
fn records_of(history: &[HistoricalInflow], hydro: HydroId) -> Vec<(Period, f64)> {
    history
        .iter()
        .filter(|r| r.hydro == hydro)
        .map(|r| {
            (
                Period {
                    start: r.start_date,
                    end: r.end_date,
                },
                r.value_m3s,
            )
        })
        .collect()
}

/// A hydro's history on the grid.
pub(crate) fn series_of(
    history: &[HistoricalInflow],
    hydro: HydroId,
    grid: &[Period],
    num_seasons: usize,
) -> SeasonalSeries {
    let records = HydroRecords::of(history, hydro);
    let mut hits = Vec::new();
    SeasonalSeries {
        num_seasons,
        first: 0,
        values: grid.iter().map(|p| records.average(p, &mut hits)).collect(),
    }
}

/// One hydro's history records with an index by first day, to average
/// them over many periods without scanning them all for each (a history
/// of a century of months against a grid as long: a scan per period was
/// most of a large case's load time).
pub(crate) struct HydroRecords {
    /// `(period, value)` in file order.
    records: Vec<(Period, f64)>,
    /// `(first day, position in the records)`, by first day.
    starts: Vec<(chrono::NaiveDate, usize)>,
    /// Length in days of the longest record.
    longest: i64,
}

impl HydroRecords {
    /// The records of `hydro` in `history`.
    pub(crate) fn of(history: &[HistoricalInflow], hydro: HydroId) -> Self {
        let records = records_of(history, hydro);
        let mut starts: Vec<(chrono::NaiveDate, usize)> = records
            .iter()
            .enumerate()
            .map(|(i, (p, _))| (p.start, i))
            .collect();
        starts.sort_unstable();
        let longest = records.iter().map(|(p, _)| p.days()).max().unwrap_or(0);
        Self {
            records,
            starts,
            longest,
        }
    }

    /// [`average_over`] the records, bit for bit: the records that share a
    /// day with `period`, added in file order. `hits` is scratch space.
    pub(crate) fn average(&self, period: &Period, hits: &mut Vec<usize>) -> Option<f64> {
        hits.clear();
        // A record that overlaps starts before the period ends and, being
        // at most `longest` days long, no earlier than `longest` days
        // before the period starts.
        let from = period
            .start
            .checked_sub_signed(chrono::TimeDelta::days(self.longest))
            .map_or(0, |earliest| {
                self.starts.partition_point(|s| s.0 < earliest)
            });
        let to = self.starts.partition_point(|s| s.0 < period.end);
        hits.extend(
            self.starts
                .get(from..to)
                .unwrap_or_default()
                .iter()
                .map(|s| s.1),
        );
        hits.sort_unstable();
        average_over(
            hits.iter().filter_map(|&i| self.records.get(i).copied()),
            period,
        )
    }
}

/// The PAR model fitted to one hydro's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HydroFit {
    /// The hydro.
    pub hydro: HydroId,
    /// One entry per season of the cycle, in chronological order.
    pub seasons: Vec<(SeasonId, FittedSeason)>,
}

/// What fitting from history produced (reported through tracing at `info`).
#[derive(Debug, Clone, PartialEq)]
pub struct FitReport {
    /// Whether the annual component (PAR(p)-A) was fitted.
    pub annual: bool,
    /// Per-hydro models.
    pub hydros: Vec<HydroFit>,
    /// Correlation of the residuals between hydros over all seasons
    /// (row-major, hydro order), estimated when the case has no
    /// `correlation.json`: the profile of stages without a seasonal matrix.
    pub residual_correlation: Option<Vec<f64>>,
    /// Per season (cycle position), the correlation of that season's residuals
    /// when every pair of hydros has at least
    /// [`MIN_SEASONAL_CORRELATION_PAIRS`] of them.
    pub seasonal_correlation: Vec<(SeasonId, Vec<f64>)>,
}

/// Minimum residual pairs of a season for its own correlation matrix
/// (fewer: the pooled matrix applies), as in 0.18.
pub const MIN_SEASONAL_CORRELATION_PAIRS: usize = 30;

/// Fits every hydro that has history.
pub(crate) fn fit_history(
    defs: Option<&SeasonDefinitions>,
    history: &[HistoricalInflow],
    hydros: &[HydroId],
    estimation: &EstimationConfig,
) -> Result<FitReport, StochasticError> {
    let fail = |hydro: HydroId, message: String| StochasticError::Fitting {
        hydro: hydro.0,
        message,
    };
    let first = hydros.first().copied().unwrap_or(HydroId(-1));
    let defs = defs.ok_or_else(|| {
        fail(
            first,
            "fitting from inflow history needs season_definitions".into(),
        )
    })?;
    let cycle = primary_cycle(defs).ok_or_else(|| {
        fail(
            first,
            "the seasons must partition the year into whole months to fit from history".into(),
        )
    })?;
    let grid = grid(defs, &cycle, history);
    let settings = FitSettings {
        max_order: estimation.max_order as usize,
        min_observations: estimation.min_observations_per_season as usize,
        max_coefficient: estimation.max_coefficient_magnitude,
    };
    let annual = estimation.order_selection == OrderSelection::PacfAnnual;
    let mut fits = Vec::new();
    let mut residuals = Vec::new();
    for &h in hydros {
        if !history.iter().any(|r| r.hydro == h) {
            continue;
        }
        let series = series_of(history, h, &grid, cycle.len());
        let fitted = if annual {
            fit_par_annual(&series, &settings)
        } else {
            fit_par(&series, &settings)
        }
        .map_err(|e| fail(h, e.0))?;
        for (s, f) in cycle.iter().zip(&fitted) {
            tracing::info!(
                hydro = h.0, season = s.0, n = f.observations, mean = f.mean, std = f.std,
                selected_order = f.selected_order, order = f.coefficients.len(),
                coefficients = ?f.coefficients, residual_std_ratio = f.residual_std_ratio,
                annual = ?f.annual_coefficient, "fitted PAR model"
            );
        }
        residuals.push(residual_series(&series, &fitted));
        fits.push(HydroFit {
            hydro: h,
            seasons: cycle.iter().copied().zip(fitted).collect(),
        });
    }
    let residual_correlation = (residuals.len() >= 2).then(|| correlation(&residuals).0);
    let mut seasonal_correlation = Vec::new();
    if residuals.len() >= 2 {
        for (k, &season) in cycle.iter().enumerate() {
            let of_season: Vec<Vec<Option<f64>>> = residuals
                .iter()
                .map(|r| {
                    r.iter()
                        .enumerate()
                        .map(|(t, e)| e.filter(|_| t % cycle.len() == k))
                        .collect()
                })
                .collect();
            let (c, pairs) = correlation(&of_season);
            if pairs >= MIN_SEASONAL_CORRELATION_PAIRS {
                seasonal_correlation.push((season, c));
            }
        }
    }
    Ok(FitReport {
        annual,
        hydros: fits,
        residual_correlation,
        seasonal_correlation,
    })
}

/// Residuals `ε_t = Z_t − Σ_l φ_{m,l} Z_{t−l}` of a fitted series on the
/// classical lags (0.18 leaves the annual term out of the residuals its
/// correlation is estimated from); `None` where a lag is missing.
fn residual_series(series: &SeasonalSeries, fitted: &[FittedSeason]) -> Vec<Option<f64>> {
    let stats = seasonal_stats(series);
    let z = standardise(series, &stats);
    (0..z.len())
        .map(|t| {
            let f = &fitted[series.season(t)];
            let mut e = z[t]?;
            for (l, phi) in f.coefficients.iter().enumerate() {
                e -= phi * z.get(t.checked_sub(l + 1)?).copied().flatten()?;
            }
            Some(e)
        })
        .collect()
}

/// Pairwise Pearson correlations of aligned series (1 on the diagonal) and
/// the smallest number of pairs behind an entry.
fn correlation(series: &[Vec<Option<f64>>]) -> (Vec<f64>, usize) {
    let n = series.len();
    let mut c = vec![0.0; n * n];
    let mut fewest = usize::MAX;
    for i in 0..n {
        c[i * n + i] = 1.0;
        for j in 0..i {
            let pairs: Vec<(f64, f64)> = series[i]
                .iter()
                .zip(&series[j])
                .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
                .collect();
            fewest = fewest.min(pairs.len());
            let k = pairs.len().max(1) as f64;
            let (ma, mb) = pairs
                .iter()
                .fold((0.0, 0.0), |s, p| (s.0 + p.0 / k, s.1 + p.1 / k));
            let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
            for (a, b) in &pairs {
                sab += (a - ma) * (b - mb);
                saa += (a - ma).powi(2);
                sbb += (b - mb).powi(2);
            }
            let r = if pairs.len() >= 2 && saa > 0.0 && sbb > 0.0 {
                (sab / (saa * sbb).sqrt()).clamp(-1.0, 1.0)
            } else {
                0.0
            };
            c[i * n + j] = r;
            c[j * n + i] = r;
        }
    }
    (c, if n < 2 { 0 } else { fewest })
}

/// Periodic autocorrelations of a hydro's history (exposed for diagnostics).
#[must_use]
pub fn history_autocorrelation(series: &SeasonalSeries, max_lag: usize) -> Vec<Vec<f64>> {
    let stats = seasonal_stats(series);
    let z = standardise(series, &stats);
    periodic_autocorrelation(&z, series.first, series.num_seasons, max_lag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    /// Every grid period averaged over every record, as before the index.
    fn scanned(history: &[HistoricalInflow], hydro: HydroId, grid: &[Period]) -> Vec<Option<f64>> {
        let records = records_of(history, hydro);
        grid.iter()
            .map(|p| average_over(records.iter().copied(), p))
            .collect()
    }

    #[test]
    fn series_equals_a_scan_of_every_record_for_unordered_overlapping_records() {
        let hydro = HydroId(3);
        let other = HydroId(4);
        let mut history = Vec::new();
        // Monthly records, out of order, with a gap, a long record across
        // several months, overlapping weekly records, an empty and an
        // inverted one, and another hydro's records in between.
        let mut push = |h: HydroId, s: NaiveDate, e: NaiveDate, v: f64| {
            history.push(HistoricalInflow {
                hydro: h,
                start_date: s,
                end_date: e,
                value_m3s: v,
            });
        };
        for m in (1..=12).rev() {
            if m == 7 {
                continue;
            }
            let end = if m == 12 {
                day(2001, 1, 1)
            } else {
                day(2000, m + 1, 1)
            };
            push(hydro, day(2000, m, 1), end, 100.0 + f64::from(m) * 1.37);
            push(other, day(2000, m, 1), end, 1.0);
        }
        push(hydro, day(2000, 6, 20), day(2000, 9, 10), 77.7);
        push(hydro, day(2000, 7, 3), day(2000, 7, 10), 12.5);
        push(hydro, day(2000, 7, 8), day(2000, 7, 30), 0.1);
        push(hydro, day(2001, 2, 1), day(2001, 2, 1), 5.0);
        push(hydro, day(2001, 3, 1), day(2001, 2, 1), 6.0);
        push(hydro, day(1999, 12, 15), day(2000, 1, 15), 44.0);
        let grid: Vec<Period> = (0..15)
            .map(|k| {
                let start = day(1999, 12, 1) + chrono::Months::new(k);
                Period {
                    start,
                    end: start + chrono::Months::new(1),
                }
            })
            .collect();
        let series = series_of(&history, hydro, &grid, 12);
        let expected = scanned(&history, hydro, &grid);
        let bits = |v: &[Option<f64>]| v.iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>();
        assert_eq!(bits(&series.values), bits(&expected));
        // The case is not trivial: some periods have no value, most have
        // one.
        assert!(expected.iter().any(Option::is_none));
        assert!(expected.iter().filter(|v| v.is_some()).count() >= 10);
    }
}
