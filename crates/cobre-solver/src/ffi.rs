//! The one place with `unsafe`: an RAII handle around a HiGHS instance.
//!
//! Every method is safe to call with any arguments: lengths are checked
//! against the model held by HiGHS before a pointer crosses the boundary,
//! and every status goes through [`check`], which logs HiGHS warnings via
//! `tracing` and turns errors into [`SolverError::HighsCall`].

use std::ffi::{c_void, CStr};
use std::ptr::{self, NonNull};

use highs_sys as sys;

use crate::error::SolverError;
use crate::model::{check_at_least, check_len};

/// HiGHS' integer type. highs-sys builds HiGHS without `HIGHSINT64`, so it
/// is a 32-bit C `int`; the assertion below keeps that assumption honest.
pub(crate) type HInt = sys::HighsInt;
const _: () = assert!(std::mem::size_of::<HInt>() == 4);

/// Converts a size or index to HiGHS' integer type.
pub(crate) fn to_hint(what: &'static str, value: usize) -> Result<HInt, SolverError> {
    HInt::try_from(value).map_err(|_| SolverError::TooLarge { what, value })
}

/// The status check every HiGHS call goes through: `Ok` passes, a warning
/// is logged (at debug level: what a warning means for a solve — a model
/// status other than optimal — is reported by the solve itself) and passes,
/// an error becomes [`SolverError::HighsCall`].
fn check(call: &'static str, status: HInt) -> Result<(), SolverError> {
    if status == sys::STATUS_OK {
        Ok(())
    } else if status == sys::STATUS_WARNING {
        tracing::debug!(call, "HiGHS returned a warning");
        Ok(())
    } else {
        tracing::debug!(call, status, "HiGHS returned an error");
        Err(SolverError::HighsCall { call, status })
    }
}

/// What differs between changing row bounds and column bounds by set: the
/// names in error messages and the HiGHS function.
struct BoundsBySet {
    /// Name of the lower bounds.
    lower: &'static str,
    /// Name of the upper bounds.
    upper: &'static str,
    /// Name of the indices.
    indices: &'static str,
    /// Name of the number of entries.
    count: &'static str,
    /// Name of the HiGHS call.
    call: &'static str,
    /// The HiGHS call: `(highs, num_set_entries, set, lower, upper)`.
    function: unsafe extern "C" fn(*mut c_void, HInt, *const HInt, *const f64, *const f64) -> HInt,
}

/// [`HighsHandle::change_rows_bounds_by_set`]'s names and call.
const ROW_BOUNDS: BoundsBySet = BoundsBySet {
    lower: "row lower bounds",
    upper: "row upper bounds",
    indices: "row indices",
    count: "number of rows",
    call: "Highs_changeRowsBoundsBySet",
    function: sys::Highs_changeRowsBoundsBySet,
};

/// [`HighsHandle::change_cols_bounds_by_set`]'s names and call.
const COLUMN_BOUNDS: BoundsBySet = BoundsBySet {
    lower: "column lower bounds",
    upper: "column upper bounds",
    indices: "column indices",
    count: "number of columns",
    call: "Highs_changeColsBoundsBySet",
    function: sys::Highs_changeColsBoundsBySet,
};

/// Owner of one `Highs` object, freed on drop.
pub(crate) struct HighsHandle {
    ptr: NonNull<c_void>,
}

// SAFETY: a HiGHS instance has no thread affinity: it holds no thread-local
// state of its own (HiGHS' task scheduler is per calling thread and is not
// used with `threads = 1`), so it may be moved to, used from and destroyed
// on another thread. `HighsHandle` is not `Sync`: `&self` methods call
// HiGHS getters that are not documented as safe for concurrent use.
unsafe impl Send for HighsHandle {}

impl Drop for HighsHandle {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `Highs_create`, is destroyed exactly once
        // (here) and never used afterwards.
        unsafe { sys::Highs_destroy(self.ptr.as_ptr()) }
    }
}

impl HighsHandle {
    /// Creates a HiGHS instance.
    pub(crate) fn new() -> Result<Self, SolverError> {
        // SAFETY: `Highs_create` has no preconditions; it returns null only
        // when allocation fails, which is handled.
        let raw = unsafe { sys::Highs_create() };
        NonNull::new(raw)
            .map(|ptr| Self { ptr })
            .ok_or(SolverError::CreateFailed)
    }

    fn raw(&self) -> *mut c_void {
        self.ptr.as_ptr()
    }

    /// HiGHS' version string, e.g. `"1.16.0"`.
    pub(crate) fn version() -> &'static str {
        // SAFETY: `Highs_version` returns a pointer to a static
        // NUL-terminated string (or null, handled).
        unsafe {
            let p = sys::Highs_version();
            if p.is_null() {
                "unknown"
            } else {
                CStr::from_ptr(p).to_str().unwrap_or("unknown")
            }
        }
    }

    /// Sets a boolean option.
    pub(crate) fn set_bool_option(&mut self, name: &CStr, value: bool) -> Result<(), SolverError> {
        // SAFETY: valid instance and NUL-terminated option name.
        let s =
            unsafe { sys::Highs_setBoolOptionValue(self.raw(), name.as_ptr(), HInt::from(value)) };
        check("Highs_setBoolOptionValue", s)
    }

    /// Whether this HiGHS knows the option `name` (a HiGHS built with the
    /// project's patch knows more than the bundled one). An unknown name is
    /// reported on HiGHS' log, so call it with the output off.
    pub(crate) fn has_option(&self, name: &CStr) -> bool {
        let mut kind: HInt = 0;
        // SAFETY: valid instance, NUL-terminated option name, valid out pointer.
        let s = unsafe { sys::Highs_getOptionType(self.raw(), name.as_ptr(), &mut kind) };
        s == sys::STATUS_OK
    }

    /// Sets an integer option.
    pub(crate) fn set_int_option(&mut self, name: &CStr, value: HInt) -> Result<(), SolverError> {
        // SAFETY: valid instance and NUL-terminated option name.
        let s = unsafe { sys::Highs_setIntOptionValue(self.raw(), name.as_ptr(), value) };
        check("Highs_setIntOptionValue", s)
    }

    /// Sets a floating-point option.
    pub(crate) fn set_double_option(&mut self, name: &CStr, value: f64) -> Result<(), SolverError> {
        // SAFETY: valid instance and NUL-terminated option name.
        let s = unsafe { sys::Highs_setDoubleOptionValue(self.raw(), name.as_ptr(), value) };
        check("Highs_setDoubleOptionValue", s)
    }

    /// Sets a string option.
    pub(crate) fn set_string_option(
        &mut self,
        name: &CStr,
        value: &CStr,
    ) -> Result<(), SolverError> {
        // SAFETY: valid instance and NUL-terminated name and value.
        let s =
            unsafe { sys::Highs_setStringOptionValue(self.raw(), name.as_ptr(), value.as_ptr()) };
        check("Highs_setStringOptionValue", s)
    }

    /// Number of columns of the model held by HiGHS.
    pub(crate) fn num_col(&self) -> usize {
        // SAFETY: valid instance; a pure getter.
        let n = unsafe { sys::Highs_getNumCol(self.raw()) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Number of rows of the model held by HiGHS.
    pub(crate) fn num_row(&self) -> usize {
        // SAFETY: valid instance; a pure getter.
        let n = unsafe { sys::Highs_getNumRow(self.raw()) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Loads a minimisation LP with a column-wise matrix; `a_start` holds
    /// `num_col` (or `num_col + 1`) starts.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn pass_lp(
        &mut self,
        offset: f64,
        cost: &[f64],
        col_lower: &[f64],
        col_upper: &[f64],
        row_lower: &[f64],
        row_upper: &[f64],
        a_start: &[HInt],
        a_index: &[HInt],
        a_value: &[f64],
    ) -> Result<(), SolverError> {
        let n = cost.len();
        let m = row_lower.len();
        check_len("pass_lp col_lower", n, col_lower.len())?;
        check_len("pass_lp col_upper", n, col_upper.len())?;
        check_len("pass_lp row_upper", m, row_upper.len())?;
        check_at_least("pass_lp a_start", n, a_start.len())?;
        check_len("pass_lp a_value", a_index.len(), a_value.len())?;
        check_starts("pass_lp a_start", &a_start[..n], a_index.len())?;
        check_index_range("pass_lp a_index", a_index, m)?;
        let num_col = to_hint("number of columns", n)?;
        let num_row = to_hint("number of rows", m)?;
        let num_nz = to_hint("number of nonzeros", a_index.len())?;
        // SAFETY: valid instance; every array has the length HiGHS reads
        // (checked above): n column entries, m row entries, n starts that
        // stay within num_nz, and num_nz indices (all < m) and values.
        let s = unsafe {
            sys::Highs_passLp(
                self.raw(),
                num_col,
                num_row,
                num_nz,
                sys::MATRIX_FORMAT_COLUMN_WISE,
                sys::OBJECTIVE_SENSE_MINIMIZE,
                offset,
                cost.as_ptr(),
                col_lower.as_ptr(),
                col_upper.as_ptr(),
                row_lower.as_ptr(),
                row_upper.as_ptr(),
                a_start.as_ptr(),
                a_index.as_ptr(),
                a_value.as_ptr(),
            )
        };
        check("Highs_passLp", s)
    }

    /// Changes the bounds of the rows in `set`.
    pub(crate) fn change_rows_bounds_by_set(
        &mut self,
        set: &[HInt],
        lower: &[f64],
        upper: &[f64],
    ) -> Result<(), SolverError> {
        let bound = self.num_row();
        self.change_bounds_by_set(&ROW_BOUNDS, bound, set, lower, upper)
    }

    /// Changes the bounds of the columns in `set`.
    pub(crate) fn change_cols_bounds_by_set(
        &mut self,
        set: &[HInt],
        lower: &[f64],
        upper: &[f64],
    ) -> Result<(), SolverError> {
        let bound = self.num_col();
        self.change_bounds_by_set(&COLUMN_BOUNDS, bound, set, lower, upper)
    }

    /// Changes the bounds of the rows or columns (`kind`) in `set`, whose
    /// indices must lie in `0..bound`.
    fn change_bounds_by_set(
        &mut self,
        kind: &BoundsBySet,
        bound: usize,
        set: &[HInt],
        lower: &[f64],
        upper: &[f64],
    ) -> Result<(), SolverError> {
        check_len(kind.lower, set.len(), lower.len())?;
        check_len(kind.upper, set.len(), upper.len())?;
        check_index_range(kind.indices, set, bound)?;
        let k = to_hint(kind.count, set.len())?;
        // SAFETY: valid instance; the three arrays have k entries and the
        // indices are in range (`bound` is the number of rows or columns
        // `kind.function` reads them against).
        let s =
            unsafe { (kind.function)(self.raw(), k, set.as_ptr(), lower.as_ptr(), upper.as_ptr()) };
        check(kind.call, s)
    }

    /// Changes the costs of the columns in `set`.
    pub(crate) fn change_cols_cost_by_set(
        &mut self,
        set: &[HInt],
        cost: &[f64],
    ) -> Result<(), SolverError> {
        check_len("column costs", set.len(), cost.len())?;
        check_index_range("column indices", set, self.num_col())?;
        let k = to_hint("number of columns", set.len())?;
        // SAFETY: valid instance; both arrays have k entries and the indices
        // are in range.
        let s =
            unsafe { sys::Highs_changeColsCostBySet(self.raw(), k, set.as_ptr(), cost.as_ptr()) };
        check("Highs_changeColsCostBySet", s)
    }

    /// Appends rows given row-wise: `starts` has one entry per row.
    pub(crate) fn add_rows(
        &mut self,
        lower: &[f64],
        upper: &[f64],
        starts: &[HInt],
        index: &[HInt],
        value: &[f64],
    ) -> Result<(), SolverError> {
        check_len("added row upper bounds", lower.len(), upper.len())?;
        check_len("added row starts", lower.len(), starts.len())?;
        check_len("added row values", index.len(), value.len())?;
        check_starts("added row starts", starts, index.len())?;
        check_index_range("added row column indices", index, self.num_col())?;
        let num_new_row = to_hint("number of rows", lower.len())?;
        let num_new_nz = to_hint("number of nonzeros", index.len())?;
        // SAFETY: valid instance; bounds and starts have num_new_row
        // entries, starts stay within num_new_nz, and index/value have
        // num_new_nz entries with in-range column indices.
        let s = unsafe {
            sys::Highs_addRows(
                self.raw(),
                num_new_row,
                lower.as_ptr(),
                upper.as_ptr(),
                num_new_nz,
                starts.as_ptr(),
                index.as_ptr(),
                value.as_ptr(),
            )
        };
        check("Highs_addRows", s)
    }

    /// Deletes the rows in `set` (strictly increasing).
    pub(crate) fn delete_rows_by_set(&mut self, set: &[HInt]) -> Result<(), SolverError> {
        check_index_range("deleted row indices", set, self.num_row())?;
        let k = to_hint("number of rows", set.len())?;
        // SAFETY: valid instance; `set` has k in-range entries.
        let s = unsafe { sys::Highs_deleteRowsBySet(self.raw(), k, set.as_ptr()) };
        check("Highs_deleteRowsBySet", s)
    }

    /// Restarts HiGHS' run clock (its time limit applies to the clock
    /// accumulated over all runs otherwise) and runs the solver. Returns
    /// HiGHS' run status without interpreting it: the model status says
    /// how the solve ended.
    pub(crate) fn run(&mut self) -> HInt {
        // SAFETY: valid instance; `Highs_zeroAllClocks` only resets timers.
        let z = unsafe { sys::Highs_zeroAllClocks(self.raw()) };
        if let Err(e) = check("Highs_zeroAllClocks", z) {
            tracing::warn!(error = %e, "could not reset the HiGHS clock");
        }
        // SAFETY: valid instance holding a loaded model.
        let s = unsafe { sys::Highs_run(self.raw()) };
        // Logged like every other call; the caller reads the model status.
        let _logged = check("Highs_run", s);
        s
    }

    /// HiGHS' `kHighsModelStatus*` after the last run.
    pub(crate) fn model_status(&self) -> HInt {
        // SAFETY: valid instance; a pure getter.
        unsafe { sys::Highs_getModelStatus(self.raw()) }
    }

    /// Objective value of the last run (offset included).
    pub(crate) fn objective_value(&self) -> f64 {
        // SAFETY: valid instance; a pure getter.
        unsafe { sys::Highs_getObjectiveValue(self.raw()) }
    }

    /// An integer entry of HiGHS' info record.
    pub(crate) fn int_info(&self, name: &CStr) -> Result<HInt, SolverError> {
        let mut value: HInt = 0;
        // SAFETY: valid instance, NUL-terminated name, `value` is a valid
        // out-pointer for one HighsInt.
        let s = unsafe { sys::Highs_getIntInfoValue(self.raw(), name.as_ptr(), &mut value) };
        check("Highs_getIntInfoValue", s).map(|()| value)
    }

    /// Copies the solution of the last run into the given buffers (each
    /// `None` is skipped). Column buffers need `num_col` entries, row
    /// buffers `num_row`; longer buffers are filled at the front.
    pub(crate) fn get_solution(
        &self,
        col_value: Option<&mut [f64]>,
        col_dual: Option<&mut [f64]>,
        row_value: Option<&mut [f64]>,
        row_dual: Option<&mut [f64]>,
    ) -> Result<(), SolverError> {
        let (n, m) = (self.num_col(), self.num_row());
        let ptr_of = |what, need, b: Option<&mut [f64]>| -> Result<*mut f64, SolverError> {
            match b {
                Some(b) => {
                    check_at_least(what, need, b.len())?;
                    Ok(b.as_mut_ptr())
                }
                None => Ok(ptr::null_mut()),
            }
        };
        let cv = ptr_of("column values buffer", n, col_value)?;
        let cd = ptr_of("reduced costs buffer", n, col_dual)?;
        let rv = ptr_of("row activities buffer", m, row_value)?;
        let rd = ptr_of("row duals buffer", m, row_dual)?;
        // SAFETY: valid instance; each non-null pointer addresses at least
        // num_col (columns) or num_row (rows) writable doubles, which is
        // the size HiGHS keeps its solution vectors at; null pointers are
        // skipped by `Highs_getSolution`.
        let s = unsafe { sys::Highs_getSolution(self.raw(), cv, cd, rv, rd) };
        check("Highs_getSolution", s)
    }

    /// Copies the current basis into `col` (num_col entries) and `row`
    /// (num_row entries).
    pub(crate) fn get_basis(&self, col: &mut [HInt], row: &mut [HInt]) -> Result<(), SolverError> {
        check_at_least("column status buffer", self.num_col(), col.len())?;
        check_at_least("row status buffer", self.num_row(), row.len())?;
        // SAFETY: valid instance; the buffers hold at least num_col and
        // num_row entries, the sizes of HiGHS' basis vectors.
        let s = unsafe { sys::Highs_getBasis(self.raw(), col.as_mut_ptr(), row.as_mut_ptr()) };
        check("Highs_getBasis", s)
    }

    /// Sets the basis of the next run (`col`: num_col entries, `row`:
    /// num_row entries, HiGHS basis-status codes).
    pub(crate) fn set_basis(&mut self, col: &[HInt], row: &[HInt]) -> Result<(), SolverError> {
        check_len("column statuses", self.num_col(), col.len())?;
        check_len("row statuses", self.num_row(), row.len())?;
        // SAFETY: valid instance; HiGHS reads exactly num_col and num_row
        // entries, which the slices have.
        let s = unsafe { sys::Highs_setBasis(self.raw(), col.as_ptr(), row.as_ptr()) };
        check("Highs_setBasis", s)
    }

    /// Discards the basis, the solution and every piece of simplex state
    /// (factorization, edge weights, random vectors), keeping the model and
    /// its scaling factors.
    pub(crate) fn clear_solver(&mut self) -> Result<(), SolverError> {
        // SAFETY: valid instance.
        let s = unsafe { sys::Highs_clearSolver(self.raw()) };
        check("Highs_clearSolver", s)
    }
}

/// Starts must begin at 0 (when present), never decrease, and stay within
/// `nonzeros`, so HiGHS never reads past the index/value arrays.
fn check_starts(what: &'static str, starts: &[HInt], nonzeros: usize) -> Result<(), SolverError> {
    let mut previous: HInt = 0;
    for (k, &s) in starts.iter().enumerate() {
        let in_range = usize::try_from(s).is_ok_and(|s| s <= nonzeros);
        if (k == 0 && s != 0) || s < previous || !in_range {
            return Err(SolverError::IndexOutOfRange {
                what,
                index: usize::try_from(s).unwrap_or(usize::MAX),
                bound: nonzeros + 1,
            });
        }
        previous = s;
    }
    Ok(())
}

/// Every index must lie in `0..bound`.
fn check_index_range(
    what: &'static str,
    indices: &[HInt],
    bound: usize,
) -> Result<(), SolverError> {
    for &i in indices {
        if !usize::try_from(i).is_ok_and(|i| i < bound) {
            return Err(SolverError::IndexOutOfRange {
                what,
                index: usize::try_from(i).unwrap_or(usize::MAX),
                bound,
            });
        }
    }
    Ok(())
}
