//! Building the compiled [`InflowModel`] from a case.
//!
//! Where the parameters come from (the 0.18 pipeline):
//!
//! | stats | AR coefficients | history | model |
//! |---|---|---|---|
//! | given | given | any | as given (history only for the historical sampler) |
//! | given | absent | given | given stats, AR fitted from history |
//! | absent | absent | given | stats and AR fitted from history |
//! | given | absent | absent | order 0: `z = μ + s·η` |
//! | absent | given | — | error |
//!
//! Given statistics are keyed by stage id (pre-study stages have negative ids);
//! fitted ones by season. Converting standardised coefficients needs the
//! standard deviation of each lag's period: `ψ_l = ψ*_l · s_t / s_{lag l}`,
//! where the lag period's statistics are those of the stages covering it
//! (duration-weighted when several do), else the average of the stages of the
//! same season, else the lag is dropped with a warning.

use crate::calendar::{season_in_year, Period, Timeline};
use crate::history::{average_over, fit_history, FitReport};
use crate::par::{assemble, CompiledRow, InflowModel, StageHydroModel};
use crate::StochasticError;
use chrono::Datelike;
use cobre_core::config::SamplingScheme;
use cobre_core::initial::InflowObservation;
use cobre_core::scenario::{ArCoefficient, ExternalValue, HistoricalInflow};
use cobre_core::{HydroId, SeasonId, Stage, StageId, StudyConfig, System};
use std::collections::BTreeMap;

/// `(period, mean, std, season)` of a stage with statistics.
type StatEntry = (Period, f64, f64, Option<SeasonId>);

/// Validated AR groups: `(hydro, stage)` → (standardised coefficients, ratio).
type ArGroups = BTreeMap<(usize, StageId), (Vec<f64>, f64)>;

/// Per-hydro statistics resolvable for any calendar period.
struct StatsTable {
    /// Every stage (study and pre-study) with stats, per hydro.
    entries: Vec<Vec<StatEntry>>,
    /// Season-level `(mean, std)` per hydro.
    by_season: Vec<BTreeMap<SeasonId, (f64, f64)>>,
}

impl StatsTable {
    fn resolve(&self, system: &System, h: usize, period: &Period) -> Option<(f64, f64)> {
        let (mut wm, mut ws, mut days) = (0.0, 0.0, 0i64);
        for (p, m, s, _) in &self.entries[h] {
            let o = p.overlap_days(period);
            if o > 0 {
                wm += m * o as f64;
                ws += s * o as f64;
                days += o;
            }
        }
        if days > 0 && 2 * days >= period.days() {
            return Some((wm / days as f64, ws / days as f64));
        }
        let defs = system.horizon().seasons.as_ref()?;
        let y = period.start.year();
        let (season, overlap) = defs
            .seasons
            .iter()
            .flat_map(|s| {
                (y - 1..=y + 1)
                    .filter_map(move |yy| season_in_year(defs, s.id, yy).map(|p| (s.id, p)))
            })
            .map(|(id, p)| (id, p.overlap_days(period)))
            .max_by_key(|x| x.1)?;
        (2 * overlap >= period.days()).then_some(())?;
        self.by_season[h].get(&season).copied()
    }
}

/// Validated AR rows of one (hydro, stage): standardised coefficients, ratio.
fn ar_groups(system: &System, rows: &[ArCoefficient]) -> Result<ArGroups, StochasticError> {
    let mut groups: BTreeMap<(usize, StageId), Vec<&ArCoefficient>> = BTreeMap::new();
    for r in rows {
        match system.hydro_position(r.hydro) {
            Some(h) => groups.entry((h, r.stage)).or_default().push(r),
            None => tracing::warn!(
                hydro = r.hydro.0,
                "AR coefficient of an unknown hydro ignored"
            ),
        }
    }
    let mut out = BTreeMap::new();
    for ((h, stage), mut g) in groups {
        g.sort_by_key(|r| r.lag);
        let err = |message: String| StochasticError::InvalidArModel {
            hydro: system.hydros()[h].id.0,
            stage: stage.0,
            message,
        };
        if g.iter().enumerate().any(|(i, r)| r.lag as usize != i + 1) {
            return Err(err("lags must be contiguous 1..p".into()));
        }
        let ratio = g[0].residual_std_ratio;
        if g.iter()
            .any(|r| (r.residual_std_ratio - ratio).abs() > 1e-12)
        {
            return Err(err(
                "residual_std_ratio differs between lags of the group".into()
            ));
        }
        if !(0.0..=1.0).contains(&ratio) {
            return Err(err(format!("residual_std_ratio {ratio} is outside [0, 1]")));
        }
        if let Some(r) = g.iter().find(|r| !r.coefficient.is_finite()) {
            return Err(err(format!("coefficient of lag {} is not finite", r.lag)));
        }
        out.insert(
            (h, stage),
            (g.iter().map(|r| r.coefficient).collect(), ratio),
        );
    }
    Ok(out)
}

/// The parameters of one (stage, hydro) before lag resolution.
struct Params {
    mean: f64,
    std: f64,
    coefficients: Vec<f64>,
    ratio: f64,
    /// `(ψ, μ^A, σ^A)` of the annual component.
    annual: Option<(f64, f64, f64)>,
}

/// Builds the compiled inflow model; also returns the fit report when the
/// model was fitted from history.
pub(crate) fn build_inflow_model(
    system: &System,
    config: &StudyConfig,
    timeline: &Timeline,
) -> Result<(InflowModel, Option<FitReport>), StochasticError> {
    let scen = system.scenarios();
    let n_h = system.hydros().len();
    check_inflow_inputs(system)?;
    let ar = ar_groups(system, &scen.ar_coefficients)?;
    let fit = if scen.ar_coefficients.is_empty() && !scen.inflow_history.is_empty() && n_h > 0 {
        let ids: Vec<HydroId> = system.hydros().iter().map(|h| h.id).collect();
        Some(fit_history(
            system.horizon().seasons.as_ref(),
            &scen.inflow_history,
            &ids,
            &config.estimation,
        )?)
    } else {
        None
    };
    let sources = Sources::new(system, ar, fit.as_ref());
    let table = sources.stats_table();
    // External training inflows: white-noise hydros take the library's
    // per-stage moments (0.18 fits its backward model to the scenarios it
    // replays forward).
    let external = (config.training.scenario_source.inflow == SamplingScheme::External)
        .then(|| external_moments(system, &scen.external_inflows))
        .filter(|m| !m.is_empty());
    let rows = sources.compile_rows(&table, timeline, external.as_ref(), fit.is_some());
    let first_period = timeline.season_periods.first().copied();
    let classical_order: Vec<usize> = (0..n_h).map(|h| sources.classical_order(h)).collect();
    let model = assemble(
        &rows,
        n_h,
        |h, k| sources.initial_lag(&table, first_period, classical_order[h], h, k),
        config.modeling.inflow_non_negativity,
    );
    Ok((model, fit))
}

/// Refuses non-finite or negative inflow statistics, and AR coefficients
/// without the statistics that convert them to m³/s.
fn check_inflow_inputs(system: &System) -> Result<(), StochasticError> {
    let scen = system.scenarios();
    for s in &scen.inflow_stats {
        if s.std.is_nan() || s.std < 0.0 || !s.mean.is_finite() || !s.std.is_finite() {
            return Err(StochasticError::invalid(
                format!(
                    "inflow statistics of hydro {} at stage {}",
                    s.entity.0, s.stage.0
                ),
                format!(
                    "mean {} / std {} must be finite with std ≥ 0",
                    s.mean, s.std
                ),
            ));
        }
    }
    if !scen.ar_coefficients.is_empty() && scen.inflow_stats.is_empty() {
        return Err(StochasticError::invalid(
            "inflow_ar_coefficients",
            "AR coefficients need inflow_seasonal_stats to be converted to m³/s",
        ));
    }
    Ok(())
}

/// `(mean, std)` per `(hydro position, stage id)`.
type StageMoments = BTreeMap<(usize, StageId), (f64, f64)>;

/// Where a study's inflow parameters come from (see the module docs),
/// gathered once: the given statistics and AR groups, and the model
/// fitted from history.
struct Sources<'a> {
    system: &'a System,
    /// Whether the case gives statistics (they then take precedence over
    /// fitted ones).
    has_stats: bool,
    /// The case's validated AR groups.
    ar: ArGroups,
    /// Fitted parameters per hydro, by season.
    fitted: Vec<BTreeMap<SeasonId, Params>>,
    /// The case's statistics, keyed by stage.
    given: StageMoments,
    /// Every stage (pre-study, then study) with its period and season.
    all_stages: Vec<(StageId, Period, Option<SeasonId>)>,
}

impl<'a> Sources<'a> {
    /// Gathers the sources of `system`'s parameters; `fit` is the model
    /// fitted from history, if any.
    fn new(system: &'a System, ar: ArGroups, fit: Option<&FitReport>) -> Self {
        let scen = system.scenarios();
        let horizon = system.horizon();
        let given = scen
            .inflow_stats
            .iter()
            .filter_map(|s| {
                system
                    .hydro_position(s.entity)
                    .map(|h| ((h, s.stage), (s.mean, s.std)))
            })
            .collect();
        let period = |start, end| Period { start, end };
        let all_stages = horizon
            .pre_study_stages
            .iter()
            .map(|p| (p.id, period(p.start_date, p.end_date), p.season))
            .chain(
                horizon
                    .stages
                    .iter()
                    .map(|s| (s.id, period(s.start_date, s.end_date), s.season)),
            )
            .collect();
        Self {
            system,
            has_stats: !scen.inflow_stats.is_empty(),
            ar,
            fitted: fitted_params(system, fit),
            given,
            all_stages,
        }
    }

    /// The fitted parameters of hydro `h` in `season`.
    fn fitted_in(&self, h: usize, season: Option<SeasonId>) -> Option<&Params> {
        season.and_then(|s| self.fitted[h].get(&s))
    }

    /// `(mean, std)` of hydro `h` at stage `id` (of `season`): given
    /// statistics when the case has them, else fitted ones.
    fn stats_of(&self, h: usize, id: StageId, season: Option<SeasonId>) -> Option<(f64, f64)> {
        if self.has_stats {
            self.given.get(&(h, id)).copied()
        } else {
            self.fitted_in(h, season).map(|p| (p.mean, p.std))
        }
    }

    /// The statistics of every hydro, resolvable for any period.
    fn stats_table(&self) -> StatsTable {
        let n_h = self.fitted.len();
        StatsTable {
            entries: (0..n_h)
                .map(|h| {
                    self.all_stages
                        .iter()
                        .filter_map(|&(id, p, season)| {
                            self.stats_of(h, id, season).map(|(m, s)| (p, m, s, season))
                        })
                        .collect()
                })
                .collect(),
            by_season: (0..n_h).map(|h| self.season_stats(h)).collect(),
        }
    }

    /// Season-level `(mean, std)` of hydro `h`: the fitted ones, or the
    /// averages of the given statistics of each season's stages.
    fn season_stats(&self, h: usize) -> BTreeMap<SeasonId, (f64, f64)> {
        if !self.has_stats {
            return self.fitted[h]
                .iter()
                .map(|(k, p)| (*k, (p.mean, p.std)))
                .collect();
        }
        let mut acc: BTreeMap<SeasonId, (f64, f64, f64)> = BTreeMap::new();
        for &(id, _, season) in &self.all_stages {
            if let (Some(season), Some((m, s))) = (season, self.given.get(&(h, id))) {
                let e = acc.entry(season).or_default();
                *e = (e.0 + m, e.1 + s, e.2 + 1.0);
            }
        }
        acc.into_iter()
            .map(|(k, (m, s, n))| (k, (m / n, s / n)))
            .collect()
    }

    /// Whether hydro `h` has no AR term at all (given or fitted).
    fn is_white(&self, h: usize) -> bool {
        !self.ar.keys().any(|k| k.0 == h)
            && self.fitted[h]
                .values()
                .all(|p| p.coefficients.is_empty() && p.annual.is_none())
    }

    /// The largest classical AR order of hydro `h` (given or fitted).
    fn classical_order(&self, h: usize) -> usize {
        let user = self
            .ar
            .iter()
            .filter(|(k, _)| k.0 == h)
            .map(|(_, v)| v.0.len());
        let fit = self.fitted[h].values().map(|p| p.coefficients.len());
        user.chain(fit).max().unwrap_or(0)
    }

    /// The parameters of hydro `h` at `stage`: given statistics with the
    /// given AR group (else the fitted coefficients of the stage's season),
    /// or, without given statistics, the fitted ones.
    fn own_params(&self, h: usize, stage: &Stage) -> Option<Params> {
        let fitted = self.fitted_in(h, stage.season);
        if !self.has_stats {
            return fitted.map(|p| Params {
                mean: p.mean,
                std: p.std,
                coefficients: p.coefficients.clone(),
                ratio: p.ratio,
                annual: p.annual,
            });
        }
        self.given.get(&(h, stage.id)).map(|&(mean, std)| {
            let (coefficients, ratio) = match self.ar.get(&(h, stage.id)) {
                Some((c, r)) => (c.clone(), *r),
                None => fitted.map_or((Vec::new(), 1.0), |p| (p.coefficients.clone(), p.ratio)),
            };
            Params {
                mean,
                std,
                coefficients,
                ratio,
                annual: fitted.and_then(|p| p.annual),
            }
        })
    }

    /// The compiled rows of every stage and hydro. White-noise hydros take
    /// the `external` moments when given; a hydro without parameters at a
    /// stage has its inflow fixed at 0 (with a warning when the case has
    /// statistics or was `fitted`).
    fn compile_rows(
        &self,
        table: &StatsTable,
        timeline: &Timeline,
        external: Option<&StageMoments>,
        fitted: bool,
    ) -> Vec<Vec<CompiledRow>> {
        let stages = &self.system.horizon().stages;
        let hydros = self.system.hydros();
        let mut rows = Vec::with_capacity(stages.len());
        for (t, stage) in stages.iter().enumerate() {
            let mut row = Vec::with_capacity(hydros.len());
            for (h, hydro) in hydros.iter().enumerate() {
                if let Some(moments) = external.filter(|_| self.is_white(h)) {
                    let (mean, std) = moments.get(&(h, stage.id)).copied().unwrap_or((0.0, 0.0));
                    row.push((mean, std, Vec::new()));
                    continue;
                }
                let Some(p) = self.own_params(h, stage) else {
                    if self.has_stats || fitted {
                        tracing::warn!(
                            hydro = hydro.id.0,
                            stage = stage.id.0,
                            "no inflow statistics: inflow fixed at 0"
                        );
                    }
                    row.push((0.0, 0.0, Vec::new()));
                    continue;
                };
                let m = stage_model(self.system, table, timeline, t, h, &p);
                let (base, slots) = m.compile();
                row.push((base, m.sigma, slots));
            }
            rows.push(row);
        }
        rows
    }

    /// Initial lag `k` (0-based) of hydro `h`: the mean inflow of the
    /// `k + 1`-th season period before `first_period`, read from recent
    /// observations, else history. An uncovered lag within the hydro's
    /// classical AR order (`order`) sits at its period's mean; one only the
    /// annual term reads (beyond that order) is 0, as 0.18 seeds it.
    fn initial_lag(
        &self,
        table: &StatsTable,
        first_period: Option<Period>,
        order: usize,
        h: usize,
        k: usize,
    ) -> f64 {
        let Some(period) = first_period.map(|p| p.shifted_back(k as u32 + 1)) else {
            return 0.0;
        };
        let id = self.system.hydros()[h].id;
        let (recent, history) = hydro_records(
            &self.system.initial_conditions().recent_observations,
            &self.system.scenarios().inflow_history,
            id,
        );
        let observed = average_over(recent.into_iter(), &period)
            .or_else(|| average_over(history.into_iter(), &period));
        if observed.is_none() && k >= order {
            tracing::debug!(
                hydro = id.0,
                lag = k + 1,
                "lag read only by the annual term and not observed: seeded at 0"
            );
            return 0.0;
        }
        observed
            .or_else(|| table.resolve(self.system, h, &period).map(|s| s.0))
            .unwrap_or(0.0)
    }
}

/// The parameters fitted from history, per hydro position and season (an
/// annual term only where its coefficient and std are non-zero).
fn fitted_params(system: &System, fit: Option<&FitReport>) -> Vec<BTreeMap<SeasonId, Params>> {
    let mut fitted: Vec<BTreeMap<SeasonId, Params>> = (0..system.hydros().len())
        .map(|_| BTreeMap::new())
        .collect();
    let Some(report) = fit else {
        return fitted;
    };
    for hf in &report.hydros {
        let Some(h) = system.hydro_position(hf.hydro) else {
            continue;
        };
        for (season, f) in &hf.seasons {
            fitted[h].insert(
                *season,
                Params {
                    mean: f.mean,
                    std: f.std,
                    coefficients: f.coefficients.clone(),
                    ratio: f.residual_std_ratio,
                    annual: match (f.annual_coefficient, f.annual_mean, f.annual_std) {
                        (Some(c), Some(m), Some(s)) if c != 0.0 && s > 0.0 => Some((c, m, s)),
                        _ => None,
                    },
                },
            );
        }
    }
    fitted
}

/// Population mean and std of the external inflow scenarios of each
/// `(hydro position, stage)`; a constant cell has std exactly 0.
fn external_moments(
    system: &System,
    rows: &[ExternalValue<HydroId>],
) -> BTreeMap<(usize, StageId), (f64, f64)> {
    let mut cells: BTreeMap<(usize, StageId), Vec<(u32, f64)>> = BTreeMap::new();
    for r in rows {
        if let Some(h) = system.hydro_position(r.entity) {
            cells
                .entry((h, r.stage))
                .or_default()
                .push((r.scenario, r.value));
        }
    }
    cells
        .into_iter()
        .map(|(key, mut cell)| {
            cell.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            let first = cell[0].1;
            if cell.iter().all(|c| c.1 == first) {
                return (key, (first, 0.0));
            }
            let n = cell.len() as f64;
            let mean = cell.iter().map(|c| c.1).sum::<f64>() / n;
            let var = cell
                .iter()
                .map(|c| (c.1 - mean) * (c.1 - mean))
                .sum::<f64>()
                / n;
            (key, (mean, var.sqrt()))
        })
        .collect()
}

/// Records of one hydro.
type Records = Vec<(Period, f64)>;

/// `(period, value)` of a hydro's recent observations and of its history.
/// A period is read from the observations when they cover it, else from
/// the history (never a blend of both).
pub(crate) fn hydro_records(
    observations: &[InflowObservation],
    history: &[HistoricalInflow],
    hydro: HydroId,
) -> (Records, Records) {
    let period = |start, end| Period { start, end };
    (
        observations
            .iter()
            .filter(|o| o.hydro == hydro)
            .map(|o| (period(o.start_date, o.end_date), o.value_m3s))
            .collect(),
        history
            .iter()
            .filter(|r| r.hydro == hydro)
            .map(|r| (period(r.start_date, r.end_date), r.value_m3s))
            .collect(),
    )
}

/// Resolves the seasonal lags of stage `t`, hydro `h` into original units.
fn stage_model(
    system: &System,
    table: &StatsTable,
    timeline: &Timeline,
    t: usize,
    h: usize,
    p: &Params,
) -> StageHydroModel {
    let hydro = system.hydros()[h].id;
    let stage = system.horizon().stages[t].id;
    let season_period = timeline.season_periods[t];
    let window = p.annual.map_or(0, |_| {
        system
            .horizon()
            .seasons
            .as_ref()
            .and_then(crate::history::primary_cycle)
            .map_or(12, |c| c.len())
    });
    let depth = p.coefficients.len().max(window);
    let mut m = StageHydroModel {
        mean: p.mean,
        sigma: p.std * p.ratio,
        ..StageHydroModel::default()
    };
    for j in 1..=depth {
        let period = season_period.shifted_back(j as u32);
        let stats = table.resolve(system, h, &period);
        let mut phi = 0.0;
        if let Some(&c) = p.coefficients.get(j - 1) {
            match stats {
                Some((_, s_lag)) if s_lag > 1e-12 * p.std.max(1e-300) && p.std > 0.0 => {
                    phi = c * p.std / s_lag
                }
                _ if c != 0.0 && p.std > 0.0 => tracing::warn!(
                    hydro = hydro.0,
                    stage = stage.0,
                    lag = j,
                    "no (or zero) standard deviation for the lag's period: lag dropped"
                ),
                _ => {}
            }
        }
        m.phi.push(phi);
        m.lag_mean.push(stats.map(|s| s.0));
    }
    if let Some((psi, _mean_a, std_a)) = p.annual {
        // ψ̂/W on each of the last W lags, centred like them on the lag
        // periods' own means (0.18's compilation: the annual mean μ^A only
        // scales the fit, the row's base uses −(ψ̂/W)·Σ μ_lag).
        let psi_hat = psi * p.std / std_a;
        let share = psi_hat / window as f64;
        for phi in m.phi.iter_mut().take(window) {
            *phi += share;
        }
    }
    m
}
