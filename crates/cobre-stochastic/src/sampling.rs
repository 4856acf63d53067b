//! Forward samplers: where the forward pass's noise comes from.
//!
//! One small type per scheme, all implementing [`ForwardSampler`]:
//!
//! * [`InSample`] — one opening of the tree per stage, chosen uniformly from
//!   the stream `(seed, iteration, scenario, noise key)` ([`crate::rng`]);
//! * [`OutOfSample`] — fresh correlated N(0, 1) noise from the stream
//!   `0x01 ‖ (seed, iteration, scenario, noise key)`
//!   ([`crate::rng::out_of_sample_seed`], 0.18's derivation);
//! * [`Replay`] — replays of history windows (the study's stage dates
//!   shifted to another year, inflows only) or of the case's external
//!   scenario libraries;
//! * [`PerClass`] — a different scheme per class (inflow, load, NCS).
//!
//! Replayed values are delivered as **noise**: at build time every replayed
//! inflow trajectory is inverted through the PAR model along its own lag chain
//! rooted at [`StochasticModel::initial_lags`] (`η = (a − base − ψ·lags)/σ`),
//! so an engine that starts from the initial lags and advances them with the
//! realised inflows (through [`crate::lag_chain`]) reproduces the target
//! inflows exactly (where σ > 0; a stage with σ = 0 cannot deviate from its
//! deterministic value and a warning reports the gap). Loads and NCS replays
//! are standardised, `(v − μ)/s`. Historical replays and simulated external
//! replays use trajectory `(iteration·P + scenario) mod N`, `P` the scenarios
//! per iteration, so N replays are covered in turn; training forward passes
//! pick their external scenario by a hash of `(iteration, scenario)`, as
//! 0.18 does ([`Phase`]). A stage with fewer external scenarios than others
//! cycles through its own.
//!
//! Stages in one noise group (several stages in one season period, e.g.
//! weekly stages of a monthly PAR) share the draw of the group's first stage.

use crate::model::StochasticModel;
use crate::noise::NoiseClass;
use crate::rng::{fill_normal, forward_seed, out_of_sample_seed, stream, to_u32, uniform_index};
use crate::StochasticError;
use chrono::Months;
use cobre_core::config::{SamplingScheme, ScenarioSourceConfig};
use std::ops::Range;

/// Which noise vector to draw: that of `(iteration, scenario, stage)` of
/// `model`.
#[derive(Debug, Clone, Copy)]
pub struct Draw<'a> {
    /// The stochastic model.
    pub model: &'a StochasticModel,
    /// Training iteration (0 in simulation).
    pub iteration: u64,
    /// Forward or simulated scenario.
    pub scenario: u64,
    /// Stage.
    pub stage: usize,
}

/// A forward-pass noise source.
pub trait ForwardSampler: Send + Sync {
    /// Writes `out[range]` of the noise vector `at`; may use
    /// `out[..range.start]` as scratch. No allocation.
    fn sample_range(&self, at: Draw<'_>, range: Range<usize>, out: &mut [f64]);

    /// Writes the noise vector of `(iteration, scenario, stage)` into `out`
    /// (length [`StochasticModel::num_noise_entities`]).
    fn sample(
        &self,
        model: &StochasticModel,
        iteration: u64,
        scenario: u64,
        stage: usize,
        out: &mut [f64],
    ) {
        let n = out.len();
        let at = Draw {
            model,
            iteration,
            scenario,
            stage,
        };
        self.sample_range(at, 0..n, out);
    }

    /// Whether `out[range]` is the same for every `(iteration, scenario)`
    /// at each stage: the forward passes then follow the case's only
    /// scenario, and their cost is exact. `false` when unsure.
    fn single_path(&self, _model: &StochasticModel, range: Range<usize>) -> bool {
        range.is_empty()
    }

    /// The opening of the tree the sample is, when it is one (in-sample).
    fn opening(
        &self,
        _model: &StochasticModel,
        _iteration: u64,
        _scenario: u64,
        _stage: usize,
    ) -> Option<usize> {
        None
    }
}

/// In-sample: a uniformly chosen opening of the stage.
#[derive(Debug, Clone)]
pub struct InSample {
    /// Seed of the choice stream.
    pub seed: u64,
}

impl ForwardSampler for InSample {
    fn sample_range(&self, at: Draw<'_>, range: Range<usize>, out: &mut [f64]) {
        let k = self
            .opening(at.model, at.iteration, at.scenario, at.stage)
            .unwrap_or(0);
        let row = at.model.tree.opening(at.stage, k);
        out[range.clone()].copy_from_slice(&row[range]);
    }

    fn single_path(&self, model: &StochasticModel, range: Range<usize>) -> bool {
        range.is_empty() || (0..model.num_stages()).all(|t| model.tree.openings(t) <= 1)
    }

    fn opening(&self, model: &StochasticModel, it: u64, sc: u64, stage: usize) -> Option<usize> {
        let key = model.noise_key(stage);
        let n = model.tree.openings(stage);
        Some(uniform_index(
            forward_seed(self.seed, to_u32(it), to_u32(sc), key),
            n,
        ))
    }
}

/// Out-of-sample: fresh correlated noise from an independent stream.
#[derive(Debug, Clone)]
pub struct OutOfSample {
    /// Seed of the noise stream.
    pub seed: u64,
}

impl ForwardSampler for OutOfSample {
    fn sample_range(&self, at: Draw<'_>, range: Range<usize>, out: &mut [f64]) {
        let key = at.model.noise_key(at.stage);
        let seed = out_of_sample_seed(self.seed, to_u32(at.iteration), to_u32(at.scenario), key);
        fill_normal(&mut stream(seed), &mut out[..range.end]);
        at.model.correlate(at.stage, out, range);
    }
}

/// Which phase a sampler serves (it decides how replays are picked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Training forward passes: an external scenario is picked by a hash of
    /// `(iteration, scenario)`, the same for every stage, as in 0.18.
    Training,
    /// Policy simulation: scenario `i` replays trajectory `i` (cycled).
    Simulation,
}

/// Base seed of the external-scenario choice (`b"external"` read as a
/// little-endian `u64`, 0.18's constant).
const EXTERNAL_SELECTION_SEED: u64 = 0x6578_7465_726e_616c;

/// How a library's trajectory is chosen for `(iteration, scenario)`.
#[derive(Debug, Clone, Copy)]
enum Selection {
    /// `(iteration·P + scenario) mod N`, `P` the scenarios per iteration.
    Cycle { per_iteration: u64 },
    /// `hash(seed, iteration, scenario, 0) mod N` ([`crate::rng::forward_seed`]).
    Hashed { seed: u64 },
}

/// A replay library: `[trajectory][stage][entity]` noise for one class.
#[derive(Debug, Clone)]
struct Library {
    trajectories: usize,
    selection: Selection,
    class: Range<usize>,
    stages: usize,
    eta: Vec<f64>,
}

impl Library {
    fn trajectory(&self, it: u64, sc: u64) -> usize {
        let n = self.trajectories.max(1) as u64;
        let k = match self.selection {
            Selection::Cycle { per_iteration } => it.wrapping_mul(per_iteration).wrapping_add(sc),
            Selection::Hashed { seed } => forward_seed(seed, to_u32(it), to_u32(sc), 0),
        };
        (k % n) as usize
    }

    fn write(&self, it: u64, sc: u64, stage: usize, range: Range<usize>, out: &mut [f64]) {
        self.write_trajectory(self.trajectory(it, sc), stage, range, out);
    }

    fn write_trajectory(&self, w: usize, stage: usize, range: Range<usize>, out: &mut [f64]) {
        let w = w % self.trajectories.max(1);
        let n = self.class.len();
        let row = &self.eta[(w * self.stages + stage) * n..(w * self.stages + stage + 1) * n];
        for i in range {
            out[i] = if self.class.contains(&i) {
                row[i - self.class.start]
            } else {
                0.0
            };
        }
    }
}

/// Replay of one class's library of noise trajectories: windows of the
/// inflow history (historical) or the case's external scenarios (external),
/// see the module docs.
#[derive(Debug, Clone)]
pub struct Replay {
    library: Library,
}

impl ForwardSampler for Replay {
    fn sample_range(&self, at: Draw<'_>, range: Range<usize>, out: &mut [f64]) {
        self.library
            .write(at.iteration, at.scenario, at.stage, range, out);
    }

    fn single_path(&self, _model: &StochasticModel, range: Range<usize>) -> bool {
        range.is_empty() || self.library.trajectories <= 1
    }
}

/// The realisation of one external scenario (a column of the external
/// libraries) at one stage, as noise: what a policy-graph node carrying
/// `scenario_id = k` sees. The classes whose scheme in the scenario source
/// is `external` replay scenario `k` (inflows inverted along the scenario's
/// own lag chain, loads and NCS standardised, as the external [`Replay`]
/// sampler does); the other classes get η = 0, the model's mean.
#[derive(Debug, Clone)]
pub struct ExternalRealisations {
    libraries: Vec<Library>,
}

impl ExternalRealisations {
    /// The libraries of the external classes of `config`.
    ///
    /// # Errors
    /// [`StochasticError::Sampler`] when an external class has no library.
    pub fn build(
        config: &ScenarioSourceConfig,
        model: &StochasticModel,
    ) -> Result<Self, StochasticError> {
        let l = model.noise_layout();
        let mut libraries = Vec::new();
        for class in NoiseClass::ALL {
            let range = l.range(class);
            if scheme_of(config, class) == SamplingScheme::External && !range.is_empty() {
                libraries.push(external_library(
                    model,
                    class,
                    range,
                    Selection::Cycle { per_iteration: 1 },
                )?);
            }
        }
        Ok(Self { libraries })
    }

    /// Whether no class is external.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.libraries.is_empty()
    }

    /// Writes the noise of scenario `k` at `stage` into `out` (a whole
    /// noise vector; classes that are not external get 0).
    pub fn write(&self, stage: usize, k: usize, out: &mut [f64]) {
        out.fill(0.0);
        for lib in &self.libraries {
            let range = lib.class.clone();
            if range.end <= out.len() && stage < lib.stages {
                lib.write_trajectory(k, stage, range, out);
            }
        }
    }
}

/// A scheme per class; classes are filled from the last to the first so a
/// scheme's scratch use below its range is overwritten afterwards.
pub struct PerClass {
    /// `(class range, sampler)` in noise order.
    pub classes: Vec<(Range<usize>, Box<dyn ForwardSampler>)>,
}

impl ForwardSampler for PerClass {
    fn sample_range(&self, at: Draw<'_>, range: Range<usize>, out: &mut [f64]) {
        for (class, sampler) in self.classes.iter().rev() {
            let r = class.start.max(range.start)..class.end.min(range.end);
            if !r.is_empty() {
                sampler.sample_range(at, r, out);
            }
        }
    }

    fn single_path(&self, model: &StochasticModel, range: Range<usize>) -> bool {
        self.classes.iter().all(|(class, sampler)| {
            let r = class.start.max(range.start)..class.end.min(range.end);
            r.is_empty() || sampler.single_path(model, r)
        })
    }

    fn opening(&self, model: &StochasticModel, it: u64, sc: u64, stage: usize) -> Option<usize> {
        let mut ks = self
            .classes
            .iter()
            .filter(|c| !c.0.is_empty())
            .map(|c| c.1.opening(model, it, sc, stage));
        let first = ks.next()??;
        ks.all(|k| k == Some(first)).then_some(first)
    }
}

/// The sampler of a phase's scenario source. `scenarios_per_iteration` (the
/// forward passes of an iteration, or the simulated scenarios) sets which
/// historical replay each `(iteration, scenario)` gets; external replays are
/// picked by [`Phase`].
///
/// # Errors
/// [`StochasticError::Sampler`] when a replay scheme lacks its data.
pub fn sampler_for(
    config: &ScenarioSourceConfig,
    model: &StochasticModel,
    scenarios_per_iteration: u32,
    phase: Phase,
) -> Result<Box<dyn ForwardSampler>, StochasticError> {
    let seed = config.seed.unwrap_or(model.scenario_seed);
    let per = u64::from(scenarios_per_iteration.max(1));
    let external_selection = match phase {
        Phase::Training => Selection::Hashed {
            seed: EXTERNAL_SELECTION_SEED,
        },
        Phase::Simulation => Selection::Cycle { per_iteration: per },
    };
    let l = model.noise_layout();
    let classes = NoiseClass::ALL.map(|class| (l.range(class), scheme_of(config, class), class));
    let uniform = classes.iter().all(|c| c.1 == config.inflow);
    if uniform
        && matches!(
            config.inflow,
            SamplingScheme::InSample | SamplingScheme::OutOfSample
        )
    {
        return Ok(simple(config.inflow, seed));
    }
    let mut out = Vec::new();
    for (range, scheme, class) in classes {
        if range.is_empty()
            && matches!(
                scheme,
                SamplingScheme::External | SamplingScheme::Historical
            )
        {
            continue;
        }
        let sampler: Box<dyn ForwardSampler> = match scheme {
            SamplingScheme::InSample | SamplingScheme::OutOfSample => simple(scheme, seed),
            SamplingScheme::External => Box::new(Replay {
                library: external_library(model, class, range.clone(), external_selection)?,
            }),
            SamplingScheme::Historical => {
                if class != NoiseClass::Inflow {
                    return Err(StochasticError::Sampler {
                        scheme: "historical",
                        class,
                        message: "only inflows have a history to replay".into(),
                    });
                }
                Box::new(Replay {
                    library: historical_library(model, config.historical_years, per)?,
                })
            }
        };
        out.push((range, sampler));
    }
    Ok(Box::new(PerClass { classes: out }))
}

/// The scheme `config` gives `class`.
fn scheme_of(config: &ScenarioSourceConfig, class: NoiseClass) -> SamplingScheme {
    match class {
        NoiseClass::Inflow => config.inflow,
        NoiseClass::Load => config.load,
        NoiseClass::Ncs => config.ncs,
    }
}

/// The sampler of a tree-based scheme (in-sample, else out-of-sample).
fn simple(scheme: SamplingScheme, seed: u64) -> Box<dyn ForwardSampler> {
    match scheme {
        SamplingScheme::OutOfSample => Box::new(OutOfSample { seed }),
        _ => Box::new(InSample { seed }),
    }
}

/// Inverts inflow trajectories (`targets(w, t, h)`, NaN = follow the model
/// with η = 0) into noise along their lag chains.
fn invert_inflows(
    model: &StochasticModel,
    trajectories: usize,
    targets: impl Fn(usize, usize, &mut [f64]),
) -> Vec<f64> {
    let (n_h, ns, l) = (model.num_hydros(), model.num_stages(), model.max_order());
    let mut eta = vec![0.0; trajectories * ns * n_h];
    let (mut lags, mut next) = (vec![0.0; n_h * l], vec![0.0; n_h * l]);
    let (mut target, mut z) = (vec![0.0; n_h], vec![0.0; n_h]);
    let (mut extreme, mut gap) = (0usize, 0.0f64);
    let mut acc = model.lag_chain().accumulator();
    for w in 0..trajectories {
        lags.copy_from_slice(model.initial_lags());
        model.lag_chain().restart(&mut acc);
        for t in 0..ns {
            targets(w, t, &mut target);
            let e = &mut eta[(w * ns + t) * n_h..(w * ns + t + 1) * n_h];
            let zero = vec![0.0; n_h];
            model.inflow_model().inflow(t, &lags, &zero, &mut z);
            for h in 0..n_h {
                if target[h].is_nan() {
                    target[h] = z[h];
                }
            }
            gap = gap.max(model.inflow_model().invert(t, &lags, &target, e));
            extreme += e.iter().filter(|x| x.abs() > 4.0).count();
            model
                .lag_chain()
                .advance(t, &lags, &target, &mut acc, &mut next);
            std::mem::swap(&mut lags, &mut next);
        }
    }
    if extreme > 0 {
        tracing::warn!(
            count = extreme,
            "replayed inflows imply noise beyond ±4 standard deviations"
        );
    }
    if gap > 1e-6 {
        tracing::warn!(
            gap_m3s = gap,
            "replayed inflows differ from stages whose PAR model is deterministic (σ = 0)"
        );
    }
    eta
}

/// The library of `class`'s external scenarios, as noise (inflows inverted,
/// loads and NCS standardised).
fn external_library(
    model: &StochasticModel,
    class: NoiseClass,
    range: Range<usize>,
    selection: Selection,
) -> Result<Library, StochasticError> {
    let table = model.external_table(class);
    let err = |message: &str| StochasticError::Sampler {
        scheme: "external",
        class,
        message: message.to_string(),
    };
    let table = table.ok_or_else(|| err("the case has no external scenarios of this class"))?;
    let ns = model.num_stages();
    let n = table.counts.iter().copied().max().unwrap_or(0);
    if n == 0 {
        return Err(err("no external scenario matches a study stage"));
    }
    if let Some(t) = table.counts.iter().position(|&c| c == 0) {
        tracing::warn!(
            class = class.name(),
            stage = t,
            "no external scenario at this stage: the model's mean is used"
        );
    }
    let eta = if class == NoiseClass::Inflow {
        invert_inflows(model, n, |w, t, out| match table.row(t, w) {
            Some(row) => out.copy_from_slice(row),
            None => out.fill(f64::NAN),
        })
    } else {
        let q = if class == NoiseClass::Load {
            &model.loads
        } else {
            &model.ncs
        };
        let mut eta = vec![0.0; n * ns * range.len()];
        for w in 0..n {
            for t in 0..ns {
                let Some(row) = table.row(t, w) else { continue };
                for (e, idx) in q.noise_index.iter().enumerate() {
                    if let (Some(i), Some(&v)) = (idx, row.get(e)) {
                        if !v.is_nan() {
                            eta[(w * ns + t) * range.len() + (i - range.start)] =
                                q.standardise(t, e, v);
                        }
                    }
                }
            }
        }
        eta
    };
    Ok(Library {
        trajectories: n,
        selection,
        class: range,
        stages: ns,
        eta,
    })
}

/// The library of the history windows (years `years`, else every year of
/// the history) that cover every stage of every hydro, as noise.
fn historical_library(
    model: &StochasticModel,
    years: Option<(i32, i32)>,
    per: u64,
) -> Result<Library, StochasticError> {
    use crate::calendar::Period;
    use chrono::Datelike;
    let err = |message: String| StochasticError::Sampler {
        scheme: "historical",
        class: NoiseClass::Inflow,
        message,
    };
    let dates = &model.timeline.stage_dates;
    let first = dates
        .first()
        .ok_or_else(|| err("the study has no stages".into()))?;
    let hist_years = model.history.iter().map(|r| r.start_date.year());
    let (lo, hi) = match years {
        Some(r) => r,
        None => (
            hist_years.clone().min().unwrap_or(0),
            hist_years.max().unwrap_or(-1),
        ),
    };
    let y0 = first.start.year();
    let records: Vec<crate::history::HydroRecords> = model
        .hydro_ids
        .iter()
        .map(|&id| crate::history::HydroRecords::of(&model.history, id))
        .collect();
    let mut hits = Vec::new();
    let shift = |p: &Period, dy: i32| -> Option<Period> {
        let m = Months::new(12 * dy.unsigned_abs());
        let f = |d: chrono::NaiveDate| {
            if dy >= 0 {
                d.checked_add_months(m)
            } else {
                d.checked_sub_months(m)
            }
        };
        Some(Period {
            start: f(p.start)?,
            end: f(p.end)?,
        })
    };
    let mut windows: Vec<Vec<f64>> = Vec::new();
    for y in lo..=hi {
        let mut values = Vec::with_capacity(dates.len() * records.len());
        let ok = dates.iter().all(|d| {
            let Some(p) = shift(d, y - y0) else {
                return false;
            };
            records.iter().all(|r| match r.average(&p, &mut hits) {
                Some(v) => {
                    values.push(v);
                    true
                }
                None => false,
            })
        });
        if ok {
            windows.push(values);
        }
    }
    if windows.is_empty() {
        return Err(err(format!(
            "no year in {lo}..={hi} has history covering every stage of every hydro"
        )));
    }
    let n_h = model.num_hydros();
    let eta = invert_inflows(model, windows.len(), |w, t, out| {
        out.copy_from_slice(&windows[w][t * n_h..(t + 1) * n_h]);
    });
    Ok(Library {
        trajectories: windows.len(),
        selection: Selection::Cycle { per_iteration: per },
        class: model.noise_layout().inflow,
        stages: model.num_stages(),
        eta,
    })
}
