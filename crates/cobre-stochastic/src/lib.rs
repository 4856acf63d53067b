//! Cobre stochastic layer: PAR(p) inflows, correlated noise, opening trees,
//! forward samplers. Everything here is a pure function of the case data and
//! a seed.
//!
//! # How the SDDP engine uses it
//!
//! ```text
//! let model = StochasticModel::build(&system, &config)?;       // once
//! let sampler = sampler_for(&source, &model, forward_passes)?;  // per phase
//! // per stage LP t, hydro h: the inflow row
//! //   z_h − Σ_k psi[h·L + k]·lag_k = base[h] + sigma[h]·η_h
//! let st = model.inflow_stage(t);
//! // forward pass, scenario s of iteration i, stage t:
//! sampler.sample(&model, i, s, t, &mut noise);                  // noise vector
//! model.inflow_rhs(t, &lags, &noise[layout.inflow], &mut rhs);   // RHS (truncation applied)
//! model.inflow(t, &lags, &noise[layout.inflow], &mut z);         // realised inflow
//! model.advance_lags(&lags, &z, &mut next_lags);                 // state for t + 1
//! // backward pass: every model.opening_tree().opening(t, k), k < openings(t)
//! ```
//!
//! The lag state at stage 0 is [`StochasticModel::initial_lags`]; it always
//! advances by a shift (slot 1 = the stage's inflow), also for
//! multi-resolution horizons (the season logic is compiled into `psi`, see
//! [`calendar`]). Loads and NCS availability are read from the same noise
//! vector with [`StochasticModel::load_mw`] and
//! [`StochasticModel::ncs_available_mw`].
//!
//! # Policies
//!
//! * **Seeds**: the tree uses `training.tree_seed`, else [`DEFAULT_SEED`]
//!   (42, as Cobre 0.18); samplers use their source's seed, else the
//!   training scenario seed, else the same default. Streams are keyed by
//!   their address and compatible with 0.18's ([`rng`]).
//! * **Correlation**: structurally invalid matrices are refused; indefinite
//!   ones are repaired to the nearest correlation matrix with a warning
//!   ([`correlation`]).
//! * **Truncation** (`truncation`, `truncation_with_penalty`): η is raised so
//!   the inflow is 0 when it would be negative, for hydros with σ > 0
//!   ([`InflowModel::inflow_rhs`]); `penalty`/`none` leave it alone.
//! * **Replays** (historical, external) are delivered as noise that
//!   reproduces the target inflows along the lag chain started at the initial
//!   lags ([`sampling`]).
//! * **Multi-resolution**: lags live on the season grid and are compiled into
//!   timeline slots; stages of one season period share one noise draw
//!   ([`calendar`], [`StochasticModel::noise_group`]).
//! * **Fitting** from history (`pacf`, `pacf_annual`) is reported in
//!   [`StochasticModel::fit_report`] and through `tracing` ([`fit`],
//!   [`fit_annual`], [`history`]).

pub mod calendar;
pub mod correlation;
mod error;
pub mod fit;
pub mod fit_annual;
pub mod history;
mod inflow_build;
pub mod linalg;
mod model;
pub mod noise;
pub mod par;
pub mod rng;
pub mod sampling;
pub mod tree;

pub use error::StochasticError;
pub use history::FitReport;
pub use model::{StochasticModel, DEFAULT_SEED};
pub use noise::NoiseLayout;
pub use par::{InflowModel, InflowStage};
pub use sampling::{sampler_for, ForwardSampler};
pub use tree::OpeningTree;
