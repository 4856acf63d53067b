//! Cobre stochastic layer: PAR(p) inflows, correlated noise, opening trees,
//! forward samplers. Everything here is a pure function of the case data and
//! a seed.
//!
//! # How the SDDP engine uses it
//!
//! ```text
//! let model = StochasticModel::build(&system, &config)?;       // once
//! let sampler = sampler_for(&source, &model, forward_passes, Phase::Training)?;
//! // per stage LP t, hydro h: the inflow row
//! //   z_h − Σ_k psi[h·L + k]·lag_k = base[h] + sigma[h]·η_h
//! let st = model.inflow_stage(t);
//! // forward pass, scenario s of iteration i (acc = model.lag_chain().accumulator()
//! // restarted per trajectory), stage t:
//! sampler.sample(&model, i, s, t, &mut noise);                  // noise vector
//! model.inflow_rhs(t, &lags, &noise[layout.inflow], &mut rhs);   // RHS (truncation applied)
//! model.inflow(t, &lags, &noise[layout.inflow], &mut z);         // realised inflow
//! model.lag_chain().advance(t, &lags, &z, &mut acc, &mut next_lags); // state for t + 1
//! // backward pass: every model.opening_tree().opening(t, k), k < openings(t)
//! ```
//!
//! The lag state at stage 0 is [`StochasticModel::initial_lags`]; lag `l` is
//! the mean inflow of the `l`-th season period back, so the state moves
//! through the trajectory's [`LagAccumulator`] ([`lag_chain`]): a shift when
//! stages and season periods coincide, frozen lags inside a month of weekly
//! stages, a ring from monthly to quarterly stages. Loads and NCS
//! availability are read from the same noise vector with
//! [`StochasticModel::load_mw`] and [`StochasticModel::ncs_available_mw`].
//!
//! # Policies
//!
//! * **Seeds**: the tree uses `training.tree_seed`, else [`DEFAULT_SEED`]
//!   (42, as Cobre 0.18); samplers use their source's seed, else the
//!   training scenario seed, else the same default. Streams are keyed by
//!   their address and compatible with 0.18's ([`rng`]).
//! * **Correlation**: applied through the spectral square root (as 0.18);
//!   structurally invalid matrices are refused, negative eigenvalues of
//!   indefinite ones are clipped with a warning ([`correlation`]). Fitted
//!   models estimate one matrix per season with enough data, else a pooled one.
//! * **Truncation** (`truncation`, `truncation_with_penalty`): η is raised so
//!   the inflow is 0 when it would be negative, for hydros with σ > 0
//!   ([`InflowModel::inflow_rhs`]); `penalty`/`none` leave it alone.
//! * **Replays** (historical, external) are delivered as noise that
//!   reproduces the target inflows along the lag chain started at the initial
//!   lags ([`sampling`]).
//! * **Multi-resolution**: lags live on the season grid and follow stages of
//!   other lengths through [`lag_chain`]; stages of one season period share
//!   one noise draw ([`calendar`], [`StochasticModel::noise_group`]).
//! * **External training scenarios**: the forward pass picks one per
//!   trajectory by hash ([`Phase`]); white-noise hydros take the library's
//!   per-stage moments and the tree has no more openings per stage than the
//!   library has scenarios (0.18's backward model).
//! * **Fitting** from history (`pacf`, `pacf_annual`) is reported in
//!   [`StochasticModel::fit_report`] and through `tracing` ([`fit`],
//!   [`fit_annual`], [`history`]); PAR(p)-A residual ratios come from the
//!   periodic-ACF closure ([`closure`]).

pub mod calendar;
pub mod closure;
pub mod correlation;
mod error;
pub mod fit;
pub mod fit_annual;
pub mod history;
mod inflow_build;
pub mod lag_chain;
pub mod linalg;
mod model;
pub mod noise;
pub mod par;
pub mod rng;
pub mod sampling;
pub mod tree;

pub use error::StochasticError;
pub use history::FitReport;
pub use lag_chain::{LagAccumulator, LagChain};
pub use model::{StochasticModel, DEFAULT_SEED};
pub use noise::{NoiseClass, NoiseLayout};
pub use par::{InflowModel, InflowStage};
pub use sampling::{sampler_for, Draw, ExternalRealisations, ForwardSampler, Phase};
pub use tree::OpeningTree;
