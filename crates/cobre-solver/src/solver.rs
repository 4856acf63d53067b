//! The LP solver trait: everything SDDP needs from an LP backend.

use crate::basis::Basis;
use crate::error::SolverError;
use crate::model::{LpModel, RowBatch};
use crate::status::{CumulativeStats, SolveStats};

/// An LP solver instance holding one model, re-solved many times.
///
/// One instance per worker thread: implementations are [`Send`] but not
/// shared between threads.
///
/// # Lifecycle
/// [`load_model`](Self::load_model) once, then any number of batches of
/// changes ([`set_row_bounds`](Self::set_row_bounds),
/// [`set_col_bounds`](Self::set_col_bounds),
/// [`set_col_costs`](Self::set_col_costs), [`add_rows`](Self::add_rows),
/// [`delete_rows`](Self::delete_rows)) each followed by
/// [`solve`](Self::solve) and reads of the solution. Every solve starts from
/// the current basis: the one left by the previous solve, or the one given
/// to [`set_basis`](Self::set_basis); after [`clear_basis`](Self::clear_basis)
/// or `load_model` it starts cold.
///
/// # Sign conventions (minimisation)
/// * [`row_duals_into`](Self::row_duals_into): `y_i = ∂ objective / ∂ b_i`,
///   where `b_i` is the active bound of row `i`. So the dual of an equality
///   row `v_in = v_hat` is the slope of the value function in `v_hat` (the
///   cut coefficient), a binding `>=` row has `y_i >= 0`, a binding `<=` row
///   has `y_i <= 0`.
/// * [`reduced_costs_into`](Self::reduced_costs_into):
///   `d_j = c_j - sum_i a_ij y_i = ∂ objective / ∂ (active bound of x_j)`;
///   `d_j >= 0` at a lower bound, `d_j <= 0` at an upper bound.
/// * [`objective_value`](Self::objective_value) includes
///   [`LpModel::objective_offset`].
///
/// # Reading results
/// Results refer to the last successful `solve` and stay readable until the
/// model or basis is changed. When there is none, the `_into` methods fill
/// their buffer with NaN and `objective_value` returns NaN. A buffer longer
/// than needed is filled at the front and the rest is left untouched.
pub trait LpSolver: Send {
    /// Replaces the model (and discards any basis and solution).
    ///
    /// # Errors
    /// [`SolverError::InvalidModel`] for a malformed model (the previous
    /// model is then kept), or a HiGHS call error.
    fn load_model(&mut self, model: &LpModel) -> Result<(), SolverError>;

    /// Current number of rows (template rows plus appended rows).
    fn num_rows(&self) -> usize;

    /// Number of columns.
    fn num_cols(&self) -> usize;

    /// Sets `lower[k] <= row rows[k] <= upper[k]` for every `k`: the RHS
    /// patch of SDDP. Indices need not be sorted but must be distinct.
    ///
    /// # Errors
    /// Length mismatch, index out of range, NaN, or a HiGHS call error.
    fn set_row_bounds(
        &mut self,
        rows: &[usize],
        lower: &[f64],
        upper: &[f64],
    ) -> Result<(), SolverError>;

    /// Sets `lower[k] <= x[cols[k]] <= upper[k]` for every `k`.
    ///
    /// # Errors
    /// Length mismatch, index out of range, NaN, or a HiGHS call error.
    fn set_col_bounds(
        &mut self,
        cols: &[usize],
        lower: &[f64],
        upper: &[f64],
    ) -> Result<(), SolverError>;

    /// Sets the objective coefficient of `cols[k]` to `cost[k]`.
    ///
    /// # Errors
    /// Length mismatch, index out of range, non-finite cost, or a HiGHS
    /// call error.
    fn set_col_costs(&mut self, cols: &[usize], cost: &[f64]) -> Result<(), SolverError>;

    /// Appends the rows of `rows` after the existing rows (new rows are
    /// numbered from the old `num_rows()`). The current basis is kept, with
    /// the new rows basic.
    ///
    /// # Errors
    /// A malformed batch (see [`RowBatch::validate`]) or a HiGHS call error.
    fn add_rows(&mut self, rows: &RowBatch) -> Result<(), SolverError>;

    /// Removes the rows at `rows`, which must be strictly increasing; the
    /// remaining rows keep their relative order and are renumbered
    /// consecutively. The next solve may start cold unless a basis is set.
    ///
    /// # Errors
    /// Unsorted or out-of-range indices, or a HiGHS call error.
    fn delete_rows(&mut self, rows: &[usize]) -> Result<(), SolverError>;

    /// Solves from the current basis (warm) or cold if there is none.
    ///
    /// Returns `Ok` only for an optimal solution. When a warm attempt ends
    /// otherwise (except on a time limit), the basis is discarded and the LP
    /// is solved once more from a cold start before the error is returned.
    ///
    /// # Errors
    /// [`SolverError::Infeasible`], [`SolverError::Unbounded`],
    /// [`SolverError::InfeasibleOrUnbounded`],
    /// [`SolverError::IterationLimit`], [`SolverError::TimeLimit`] or
    /// [`SolverError::NumericalTrouble`], each with HiGHS' model status.
    fn solve(&mut self) -> Result<SolveStats, SolverError>;

    /// Objective value of the last successful solve (offset included);
    /// NaN when there is none.
    fn objective_value(&self) -> f64;

    /// Column values of the last successful solve.
    fn primal_into(&self, out: &mut [f64]);

    /// Row duals `∂ objective / ∂ rhs` of the last successful solve.
    fn row_duals_into(&self, out: &mut [f64]);

    /// Reduced costs of the columns of the last successful solve.
    fn reduced_costs_into(&self, out: &mut [f64]);

    /// Row activities `A x` of the last successful solve.
    fn row_activity_into(&self, out: &mut [f64]);

    /// Writes the current basis into `out` (resized to the model, reusing
    /// its allocations). When the solver holds no valid basis (nothing
    /// solved since load or `clear_basis`, or a binding row was deleted
    /// since the last solve), writes the logical basis: rows basic, columns
    /// [`BasisStatus::Nonbasic`](crate::BasisStatus::Nonbasic).
    fn basis_into(&self, out: &mut Basis);

    /// Makes `basis` the starting basis of the next solve.
    ///
    /// `basis.col_status` must have `num_cols()` entries. `basis.row_status`
    /// may have *fewer* entries than `num_rows()`: the missing trailing rows
    /// are taken as basic (a basis saved before cut rows were appended stays
    /// usable). A basis whose basic columns are singular is repaired with
    /// slacks by the solver.
    ///
    /// # Errors
    /// [`SolverError::DimensionMismatch`] for a wrong number of columns or
    /// too many rows, or a HiGHS call error.
    fn set_basis(&mut self, basis: &Basis) -> Result<(), SolverError>;

    /// Discards the basis: the next solve is cold.
    fn clear_basis(&mut self);

    /// Counters accumulated since the instance was created.
    fn cumulative_stats(&self) -> CumulativeStats;
}
