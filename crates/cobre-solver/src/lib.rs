//! Cobre LP layer: HiGHS through `highs-sys`, with warm starts and
//! incremental cut rows.
//!
//! SDDP solves very many small LPs that differ from the previous one by a
//! few bounds or a few appended rows. This crate loads a stage LP once
//! ([`LpModel`], column-wise), patches it in batches, re-solves it from the
//! previous or a stored [`Basis`], and reads results into buffers the caller
//! owns. It is the only crate that talks to the LP solver; the [`LpSolver`]
//! trait is small enough for a second backend, [`HighsSolver`] is the one
//! implementation.
//!
//! ```
//! use cobre_solver::{HighsSolver, LpModel, LpSolver, RowBatch};
//!
//! // min x + 2y  s.t.  x + y >= 1,  x, y in [0, 10]
//! let model = LpModel {
//!     num_cols: 2,
//!     num_rows: 1,
//!     col_cost: vec![1.0, 2.0],
//!     col_lower: vec![0.0, 0.0],
//!     col_upper: vec![10.0, 10.0],
//!     row_lower: vec![1.0],
//!     row_upper: vec![f64::INFINITY],
//!     a_start: vec![0, 1, 2],
//!     a_index: vec![0, 0],
//!     a_value: vec![1.0, 1.0],
//!     objective_offset: 0.0,
//! };
//! let mut lp = HighsSolver::new()?;
//! lp.load_model(&model)?;
//! lp.solve()?;
//! assert!((lp.objective_value() - 1.0).abs() < 1e-9);
//!
//! // A cut x >= 3 moves the optimum; the solve starts from the last basis.
//! let mut cuts = RowBatch::new();
//! cuts.push_row(3.0, f64::INFINITY, &[(0, 1.0)]);
//! lp.add_rows(&cuts)?;
//! lp.solve()?;
//! let mut duals = vec![0.0; lp.num_rows()];
//! lp.row_duals_into(&mut duals);
//! assert!((lp.objective_value() - 3.0).abs() < 1e-9);
//! assert!((duals[1] - 1.0).abs() < 1e-9); // ∂obj/∂rhs of the cut
//! # Ok::<(), cobre_solver::SolverError>(())
//! ```
//!
//! # Sign conventions
//! Models are minimisations. Row duals are `∂ objective / ∂ rhs`, reduced
//! costs are `c - Aᵀy`; details on [`LpSolver`].
//!
//! # HiGHS settings
//! Every instance runs HiGHS' serial dual simplex with presolve off, one
//! thread, no output, and a fixed random seed ([`SolverOptions`]); by
//! default without cost perturbation and with Devex pricing, which suit
//! short warm re-solves (HiGHS' own choices come back as the first
//! fallback when a solve fails). HiGHS'
//! time limit is made per solve (its clock normally accumulates over the
//! life of the instance).
//!
//! # Determinism
//! HiGHS keeps state between solves on one instance: the factorization,
//! dual edge weights, the position of its random-number stream
//! (which feeds cost perturbation and pricing permutations and advances at
//! every solve), pivot-threshold and perturbation adjustments, and its
//! scaling factors (computed at the first solve from the rows present
//! then). So a warm re-solve is in general *not* bit-identical to the same
//! solve on a fresh instance. [`HighsSolver`] removes that dependence:
//!
//! * `load_model` computes the scaling factors right away from the loaded
//!   model, so they never depend on when the first solve happens; rows
//!   appended later get their own row factors, independent of history.
//!   It also stores each column's nonzeros in ascending row order, the
//!   order HiGHS produces when it transposes the matrix (it does so after a
//!   batch larger than the matrix), so storage order never depends on when
//!   that happened. (A template without rows has nothing to scale at
//!   load; its factors are then computed at the first solve with rows.)
//! * `set_basis` (with [`SolverOptions::reset_on_set_basis`], the default)
//!   first discards all simplex state (`Highs_clearSolver`), so the next
//!   solve starts from exactly the same state on every instance.
//!
//! With that, the results of the solves following a `set_basis` are a pure
//! function of (model, options, basis) — the model being the template plus
//! the same row additions/deletions in the same order, and the same bound
//! and cost patches. The engine gets bit-identical results for any thread
//! count when, at the start of each work item, it (1) appends any pending
//! cuts, (2) calls `set_basis` with the work item's deterministic basis,
//! (3) patches bounds and solves. Every instance must use the same
//! [`SolverOptions`] from `load_model` on. The integration test
//! `tests/determinism.rs` checks this bit for bit.
//!
//! # Allocation
//! The re-solve path (bound patches, `solve`, the `_into` reads,
//! `basis_into`, `set_basis`, `add_rows` with a reused [`RowBatch`])
//! allocates nothing on the Rust side after warm-up: every conversion
//! buffer is owned by the solver and reused (`tests/no_alloc.rs` counts with
//! a global allocator). HiGHS' own C++ allocations are outside that count.

mod basis;
mod error;
mod ffi;
mod highs;
mod model;
mod options;
mod solver;
mod status;

pub use basis::{Basis, BasisStatus};
pub use error::SolverError;
pub use highs::{HighsSolver, EXPECTED_HIGHS};
pub use model::{LpModel, RowBatch};
pub use options::{DualEdgeWeights, Scaling, SimplexAlgorithm, SolverOptions, StallGuard};
pub use solver::LpSolver;
pub use status::{CumulativeStats, SolveStats, SolveStatus};
