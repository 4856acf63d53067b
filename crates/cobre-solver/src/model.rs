//! Solver-independent LP data: the column-wise model template and batches
//! of row-wise rows (cuts) to append.

use crate::error::SolverError;

/// A linear program `min c'x + offset  s.t.  row_lower <= A x <= row_upper,
/// col_lower <= x <= col_upper`, with `A` stored column-wise (CSC).
///
/// Free bounds are `f64::INFINITY` / `f64::NEG_INFINITY` (HiGHS treats any
/// magnitude at or above `1e20` as infinite as well). An equality row has
/// `row_lower == row_upper`.
///
/// The nonzeros of column `j` are `a_index[a_start[j]..a_start[j + 1]]`
/// (row indices) and the matching `a_value` entries; `a_start` has
/// `num_cols + 1` entries, starts at 0 and ends at the number of nonzeros.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LpModel {
    /// Number of columns (variables).
    pub num_cols: usize,
    /// Number of rows (constraints).
    pub num_rows: usize,
    /// Objective coefficient per column.
    pub col_cost: Vec<f64>,
    /// Lower bound per column.
    pub col_lower: Vec<f64>,
    /// Upper bound per column.
    pub col_upper: Vec<f64>,
    /// Lower bound per row.
    pub row_lower: Vec<f64>,
    /// Upper bound per row.
    pub row_upper: Vec<f64>,
    /// Column starts into `a_index`/`a_value`, `num_cols + 1` entries.
    pub a_start: Vec<usize>,
    /// Row index of each nonzero.
    pub a_index: Vec<usize>,
    /// Value of each nonzero.
    pub a_value: Vec<f64>,
    /// Constant added to the objective value.
    pub objective_offset: f64,
}

impl LpModel {
    /// Number of nonzeros of the constraint matrix.
    #[must_use]
    pub fn num_nonzeros(&self) -> usize {
        self.a_value.len()
    }

    /// Checks lengths, the CSC structure, index ranges and that no value is
    /// NaN (and no matrix coefficient or cost is infinite).
    ///
    /// # Errors
    /// [`SolverError::InvalidModel`] describing the first problem found.
    pub fn validate(&self) -> Result<(), SolverError> {
        let bad = |reason: String| Err(SolverError::InvalidModel { reason });
        let (n, m) = (self.num_cols, self.num_rows);
        if n == 0 {
            return bad("the model has no columns".into());
        }
        for (name, len, want) in [
            ("col_cost", self.col_cost.len(), n),
            ("col_lower", self.col_lower.len(), n),
            ("col_upper", self.col_upper.len(), n),
            ("row_lower", self.row_lower.len(), m),
            ("row_upper", self.row_upper.len(), m),
            ("a_start", self.a_start.len(), n + 1),
            ("a_value", self.a_value.len(), self.a_index.len()),
        ] {
            if len != want {
                return bad(format!("{name} has length {len}, expected {want}"));
            }
        }
        if !self.objective_offset.is_finite() {
            return bad("objective_offset is not finite".into());
        }
        for (name, values) in [
            ("col_lower", &self.col_lower),
            ("col_upper", &self.col_upper),
            ("row_lower", &self.row_lower),
            ("row_upper", &self.row_upper),
        ] {
            if let Some(p) = values.iter().position(|v| v.is_nan()) {
                return bad(format!("{name}[{p}] is NaN"));
            }
        }
        if let Some(p) = self.col_cost.iter().position(|v| !v.is_finite()) {
            return bad(format!("col_cost[{p}] is not finite"));
        }
        if let Some(p) = self.a_value.iter().position(|v| !v.is_finite()) {
            return bad(format!("a_value[{p}] is not finite"));
        }
        check_compressed(&self.a_start, &self.a_index, m, "a_start", "a_index")
            .map_err(|reason| SolverError::InvalidModel { reason })
    }
}

/// Checks a compressed-sparse structure: `start` begins at 0, never
/// decreases, ends at `index.len()`, and every index is below `bound`.
fn check_compressed(
    start: &[usize],
    index: &[usize],
    bound: usize,
    start_name: &str,
    index_name: &str,
) -> Result<(), String> {
    if start.first().copied().unwrap_or(0) != 0 {
        return Err(format!("{start_name}[0] must be 0"));
    }
    if let Some(p) = start.windows(2).position(|w| w[1] < w[0]) {
        return Err(format!("{start_name} decreases at position {}", p + 1));
    }
    let last = start.last().copied().unwrap_or(0);
    if last != index.len() {
        return Err(format!(
            "{start_name} ends at {last} but there are {} nonzeros",
            index.len()
        ));
    }
    if let Some(p) = index.iter().position(|&i| i >= bound) {
        return Err(format!(
            "{index_name}[{p}] = {} is out of range (bound {bound})",
            index[p]
        ));
    }
    Ok(())
}

/// Checks HiGHS-style starts (no closing entry): begins at 0, never
/// decreases, and stays within the `nonzeros`.
fn check_open_starts(start: &[usize], nonzeros: usize) -> Result<(), String> {
    if start.first().copied().unwrap_or(0) != 0 {
        return Err("start[0] must be 0".into());
    }
    if let Some(p) = start.windows(2).position(|w| w[1] < w[0]) {
        return Err(format!("start decreases at position {}", p + 1));
    }
    if start.last().copied().unwrap_or(0) > nonzeros {
        return Err("start points past the last nonzero".into());
    }
    Ok(())
}

/// Rows to append to a loaded model, stored row-wise (CSR).
///
/// Row `r` has bounds `lower[r] <= a_r x <= upper[r]` and nonzeros
/// `index[start[r]..start[r + 1]]` (column indices) with values from
/// `value`. `start` has `num_rows() + 1` entries starting at 0; a `start`
/// without its closing entry (`num_rows()` entries, HiGHS style) is accepted
/// too.
///
/// Build it with [`push_row`](Self::push_row) and reuse it across
/// iterations with [`clear`](Self::clear), which keeps the capacity.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowBatch {
    /// Lower bound per row.
    pub lower: Vec<f64>,
    /// Upper bound per row.
    pub upper: Vec<f64>,
    /// Row starts into `index`/`value`.
    pub start: Vec<usize>,
    /// Column index of each nonzero.
    pub index: Vec<usize>,
    /// Value of each nonzero.
    pub value: Vec<f64>,
}

impl RowBatch {
    /// An empty batch.
    #[must_use]
    pub fn new() -> Self {
        Self {
            start: vec![0],
            ..Self::default()
        }
    }

    /// An empty batch with room for `rows` rows and `nonzeros` nonzeros.
    #[must_use]
    pub fn with_capacity(rows: usize, nonzeros: usize) -> Self {
        let mut start = Vec::with_capacity(rows + 1);
        start.push(0);
        Self {
            lower: Vec::with_capacity(rows),
            upper: Vec::with_capacity(rows),
            start,
            index: Vec::with_capacity(nonzeros),
            value: Vec::with_capacity(nonzeros),
        }
    }

    /// Removes every row, keeping the allocated capacity.
    pub fn clear(&mut self) {
        self.lower.clear();
        self.upper.clear();
        self.start.clear();
        self.start.push(0);
        self.index.clear();
        self.value.clear();
    }

    /// Appends the row `lower <= sum(coef * x[col]) <= upper`.
    pub fn push_row(&mut self, lower: f64, upper: f64, coefficients: &[(usize, f64)]) {
        if self.start.is_empty() {
            self.start.push(0);
        }
        self.lower.push(lower);
        self.upper.push(upper);
        for &(col, coef) in coefficients {
            self.index.push(col);
            self.value.push(coef);
        }
        self.start.push(self.index.len());
    }

    /// Number of rows in the batch.
    #[must_use]
    pub fn num_rows(&self) -> usize {
        self.lower.len()
    }

    /// Number of nonzeros in the batch.
    #[must_use]
    pub fn num_nonzeros(&self) -> usize {
        self.index.len()
    }

    /// `true` when the batch has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lower.is_empty()
    }

    /// Checks lengths, the CSR structure, that column indices are below
    /// `num_cols` and that no value is NaN (coefficients must be finite).
    ///
    /// # Errors
    /// [`SolverError::DimensionMismatch`], [`SolverError::IndexOutOfRange`],
    /// [`SolverError::NotANumber`] or [`SolverError::InvalidModel`].
    pub fn validate(&self, num_cols: usize) -> Result<(), SolverError> {
        let rows = self.lower.len();
        check_len("RowBatch::upper", rows, self.upper.len())?;
        check_len("RowBatch::value", self.index.len(), self.value.len())?;
        let full_start = match self.start.len() {
            l if l == rows + 1 => true,
            l if l == rows => false,
            l => return check_len("RowBatch::start", rows + 1, l),
        };
        check_no_nan("RowBatch::lower", &self.lower)?;
        check_no_nan("RowBatch::upper", &self.upper)?;
        if let Some(p) = self.value.iter().position(|v| !v.is_finite()) {
            return Err(SolverError::NotANumber {
                what: "RowBatch::value (must be finite)",
                position: p,
            });
        }
        if let Some(p) = self.index.iter().position(|&c| c >= num_cols) {
            return Err(SolverError::IndexOutOfRange {
                what: "RowBatch::index",
                index: self.index[p],
                bound: num_cols,
            });
        }
        let structure = if full_start {
            check_compressed(&self.start, &self.index, num_cols, "start", "index")
        } else {
            check_open_starts(&self.start, self.index.len())
        };
        structure.map_err(|reason| SolverError::InvalidModel {
            reason: format!("RowBatch: {reason}"),
        })
    }
}

/// `Ok` when `actual` entries are the `expected` ones, else
/// [`SolverError::DimensionMismatch`].
pub(crate) fn check_len(
    what: &'static str,
    expected: usize,
    actual: usize,
) -> Result<(), SolverError> {
    require_dimension(expected == actual, what, expected, actual)
}

/// `Ok` when `actual` entries are at least the `expected` ones, else
/// [`SolverError::DimensionMismatch`].
pub(crate) fn check_at_least(
    what: &'static str,
    expected: usize,
    actual: usize,
) -> Result<(), SolverError> {
    require_dimension(actual >= expected, what, expected, actual)
}

/// [`SolverError::DimensionMismatch`] unless `ok`.
fn require_dimension(
    ok: bool,
    what: &'static str,
    expected: usize,
    actual: usize,
) -> Result<(), SolverError> {
    if ok {
        Ok(())
    } else {
        Err(SolverError::DimensionMismatch {
            what,
            expected,
            actual,
        })
    }
}

pub(crate) fn check_no_nan(what: &'static str, values: &[f64]) -> Result<(), SolverError> {
    match values.iter().position(|v| v.is_nan()) {
        Some(position) => Err(SolverError::NotANumber { what, position }),
        None => Ok(()),
    }
}

/// Checks that every index is below `bound`; with `strictly_increasing`
/// also that the indices are sorted without duplicates.
pub(crate) fn check_indices(
    what: &'static str,
    indices: &[usize],
    bound: usize,
    strictly_increasing: bool,
) -> Result<(), SolverError> {
    let mut previous: Option<usize> = None;
    for &i in indices {
        let out_of_order = strictly_increasing && previous.is_some_and(|p| i <= p);
        if i >= bound || out_of_order {
            return Err(SolverError::IndexOutOfRange {
                what,
                index: i,
                bound,
            });
        }
        previous = Some(i);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> LpModel {
        // min x + y  s.t.  x + y >= 1,  0 <= x, y <= 10
        LpModel {
            num_cols: 2,
            num_rows: 1,
            col_cost: vec![1.0, 1.0],
            col_lower: vec![0.0, 0.0],
            col_upper: vec![10.0, 10.0],
            row_lower: vec![1.0],
            row_upper: vec![f64::INFINITY],
            a_start: vec![0, 1, 2],
            a_index: vec![0, 0],
            a_value: vec![1.0, 1.0],
            objective_offset: 0.0,
        }
    }

    #[test]
    fn valid_model_passes_validation() {
        assert!(tiny().validate().is_ok());
    }

    #[test]
    fn model_with_wrong_lengths_or_structure_is_rejected() {
        let mut m = tiny();
        m.col_cost.pop();
        assert!(matches!(
            m.validate(),
            Err(SolverError::InvalidModel { .. })
        ));
        let mut m = tiny();
        m.a_index[1] = 1;
        assert!(matches!(
            m.validate(),
            Err(SolverError::InvalidModel { .. })
        ));
        let mut m = tiny();
        m.a_start = vec![0, 2, 1];
        assert!(m.validate().is_err());
        let mut m = tiny();
        m.a_start = vec![1, 1, 2];
        assert!(m.validate().is_err());
        let mut m = tiny();
        m.row_lower[0] = f64::NAN;
        assert!(m.validate().is_err());
        let mut m = tiny();
        m.a_value[0] = f64::INFINITY;
        assert!(m.validate().is_err());
        let mut m = tiny();
        m.num_cols = 0;
        assert!(m.validate().is_err());
    }

    #[test]
    fn row_batch_push_and_clear_keep_csr_consistent() {
        let mut b = RowBatch::new();
        b.push_row(1.0, f64::INFINITY, &[(0, 2.0), (1, -1.0)]);
        b.push_row(f64::NEG_INFINITY, 3.0, &[(1, 1.0)]);
        assert_eq!(b.num_rows(), 2);
        assert_eq!(b.start, vec![0, 2, 3]);
        assert!(b.validate(2).is_ok());
        assert!(matches!(
            b.validate(1),
            Err(SolverError::IndexOutOfRange { .. })
        ));
        let cap = b.index.capacity();
        b.clear();
        assert!(b.is_empty());
        assert_eq!(b.start, vec![0]);
        assert_eq!(b.index.capacity(), cap);
        assert!(b.validate(2).is_ok());
    }

    #[test]
    fn row_batch_default_accepts_push_row() {
        let mut b = RowBatch::default();
        assert!(b.validate(3).is_ok());
        b.push_row(0.0, 1.0, &[(2, 1.0)]);
        assert_eq!(b.start, vec![0, 1]);
        assert!(b.validate(3).is_ok());
    }

    #[test]
    fn row_batch_accepts_highs_style_starts_without_closing_entry() {
        let b = RowBatch {
            lower: vec![0.0, 0.0],
            upper: vec![1.0, 1.0],
            start: vec![0, 1],
            index: vec![0, 1],
            value: vec![1.0, 1.0],
        };
        assert!(b.validate(2).is_ok());
        let bad = RowBatch {
            start: vec![0, 3],
            ..b.clone()
        };
        assert!(bad.validate(2).is_err());
    }

    #[test]
    fn index_checks_reject_unsorted_and_out_of_range() {
        assert!(check_indices("x", &[0, 2, 5], 6, true).is_ok());
        assert!(check_indices("x", &[0, 2, 2], 6, true).is_err());
        assert!(check_indices("x", &[3, 1], 6, true).is_err());
        assert!(check_indices("x", &[3, 1], 6, false).is_ok());
        assert!(check_indices("x", &[6], 6, false).is_err());
    }
}
