//! Simplex bases: one status per column and per row, one byte each, so that
//! SDDP can keep one per (scenario, stage) cheaply.

/// Status of one column or row in a simplex basis (mirrors HiGHS'
/// `kHighsBasisStatus*`, with the same numeric codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
#[non_exhaustive]
pub enum BasisStatus {
    /// Nonbasic at its lower bound (for a row: activity at `row_lower`).
    #[default]
    Lower = 0,
    /// Basic.
    Basic = 1,
    /// Nonbasic at its upper bound (for a row: activity at `row_upper`).
    Upper = 2,
    /// Nonbasic free variable at zero.
    Zero = 3,
    /// Nonbasic, position left for the solver to decide.
    Nonbasic = 4,
}

impl BasisStatus {
    /// HiGHS' integer code for this status.
    #[must_use]
    pub fn to_code(self) -> u8 {
        self as u8
    }

    /// The status for HiGHS' integer code; unknown codes map to
    /// [`BasisStatus::Nonbasic`] (let the solver decide).
    #[must_use]
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => Self::Lower,
            1 => Self::Basic,
            2 => Self::Upper,
            3 => Self::Zero,
            _ => Self::Nonbasic,
        }
    }
}

/// A simplex basis of a model: one [`BasisStatus`] per column and per row.
///
/// A basis saved from a model with fewer rows (before cut rows were
/// appended) can be passed to [`LpSolver::set_basis`](crate::LpSolver::set_basis):
/// the missing trailing rows are taken as [`BasisStatus::Basic`], which is
/// exactly the status of a newly appended cut's slack.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Basis {
    /// Status of each column.
    pub col_status: Vec<BasisStatus>,
    /// Status of each row.
    pub row_status: Vec<BasisStatus>,
}

impl Basis {
    /// An empty basis (fill it with [`LpSolver::basis_into`](crate::LpSolver::basis_into)).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty basis with room for the given dimensions.
    #[must_use]
    pub fn with_capacity(num_cols: usize, num_rows: usize) -> Self {
        Self {
            col_status: Vec::with_capacity(num_cols),
            row_status: Vec::with_capacity(num_rows),
        }
    }

    /// The slack (logical) basis: every row basic, every column nonbasic at
    /// a bound chosen by the solver.
    #[must_use]
    pub fn logical(num_cols: usize, num_rows: usize) -> Self {
        Self {
            col_status: vec![BasisStatus::Nonbasic; num_cols],
            row_status: vec![BasisStatus::Basic; num_rows],
        }
    }

    /// Number of columns.
    #[must_use]
    pub fn num_cols(&self) -> usize {
        self.col_status.len()
    }

    /// Number of rows.
    #[must_use]
    pub fn num_rows(&self) -> usize {
        self.row_status.len()
    }

    /// Number of basic columns and rows (equals `num_rows` for a valid basis).
    #[must_use]
    pub fn num_basic(&self) -> usize {
        self.col_status
            .iter()
            .chain(&self.row_status)
            .filter(|s| **s == BasisStatus::Basic)
            .count()
    }

    /// Copies `other` into `self`, reusing `self`'s allocations.
    pub fn copy_from(&mut self, other: &Basis) {
        self.col_status.clear();
        self.col_status.extend_from_slice(&other.col_status);
        self.row_status.clear();
        self.row_status.extend_from_slice(&other.row_status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_round_trip_and_match_highs() {
        for s in [
            BasisStatus::Lower,
            BasisStatus::Basic,
            BasisStatus::Upper,
            BasisStatus::Zero,
            BasisStatus::Nonbasic,
        ] {
            assert_eq!(BasisStatus::from_code(i64::from(s.to_code())), s);
        }
        assert_eq!(BasisStatus::Basic.to_code(), 1);
        assert_eq!(BasisStatus::from_code(99), BasisStatus::Nonbasic);
    }

    #[test]
    fn basis_status_is_one_byte() {
        assert_eq!(std::mem::size_of::<BasisStatus>(), 1);
    }

    #[test]
    fn logical_basis_has_one_basic_per_row() {
        let b = Basis::logical(3, 2);
        assert_eq!(b.num_basic(), 2);
        assert_eq!((b.num_cols(), b.num_rows()), (3, 2));
        let mut c = Basis::new();
        c.copy_from(&b);
        assert_eq!(c, b);
    }
}
