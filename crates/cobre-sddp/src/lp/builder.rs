//! A small accumulator of columns, rows and nonzeros that compresses into
//! the column-wise [`LpModel`] of the LP layer.

use cobre_solver::LpModel;

/// A contiguous range of column or row indices, `start..start + len`,
/// addressed by a position inside the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexRange {
    /// First index.
    pub start: usize,
    /// Number of indices.
    pub len: usize,
}

impl IndexRange {
    /// The `i`-th index of the range (debug-checked).
    #[must_use]
    #[inline]
    pub fn at(&self, i: usize) -> usize {
        debug_assert!(i < self.len, "index {i} outside a range of {}", self.len);
        self.start + i
    }

    /// One past the last index.
    #[must_use]
    #[inline]
    pub fn end(&self) -> usize {
        self.start + self.len
    }

    /// The range as a `std::ops::Range`.
    #[must_use]
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end()
    }

    /// Whether the range is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Columns, rows and nonzeros of an LP under construction.
#[derive(Debug, Default, Clone)]
pub(crate) struct LpBuilder {
    col_lower: Vec<f64>,
    col_upper: Vec<f64>,
    col_cost: Vec<f64>,
    row_lower: Vec<f64>,
    row_upper: Vec<f64>,
    /// `(column, row, value)` triplets.
    entries: Vec<(usize, usize, f64)>,
}

impl LpBuilder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn num_cols(&self) -> usize {
        self.col_cost.len()
    }

    pub(crate) fn num_rows(&self) -> usize {
        self.row_lower.len()
    }

    /// Appends `n` columns with the same bounds and cost; returns their range.
    pub(crate) fn add_cols(&mut self, n: usize, lower: f64, upper: f64, cost: f64) -> IndexRange {
        let start = self.num_cols();
        self.col_lower.extend(std::iter::repeat_n(lower, n));
        self.col_upper.extend(std::iter::repeat_n(upper, n));
        self.col_cost.extend(std::iter::repeat_n(cost, n));
        IndexRange { start, len: n }
    }

    /// Appends one column; returns its index.
    pub(crate) fn add_col(&mut self, lower: f64, upper: f64, cost: f64) -> usize {
        self.add_cols(1, lower, upper, cost).start
    }

    /// Appends `n` rows with the same bounds; returns their range.
    pub(crate) fn add_rows(&mut self, n: usize, lower: f64, upper: f64) -> IndexRange {
        let start = self.num_rows();
        self.row_lower.extend(std::iter::repeat_n(lower, n));
        self.row_upper.extend(std::iter::repeat_n(upper, n));
        IndexRange { start, len: n }
    }

    /// Appends one row; returns its index.
    pub(crate) fn add_row(&mut self, lower: f64, upper: f64) -> usize {
        self.add_rows(1, lower, upper).start
    }

    /// Sets the bounds of a column.
    pub(crate) fn set_col_bounds(&mut self, col: usize, lower: f64, upper: f64) {
        if let (Some(l), Some(u)) = (self.col_lower.get_mut(col), self.col_upper.get_mut(col)) {
            *l = lower;
            *u = upper;
        }
    }

    /// Sets the cost of a column.
    pub(crate) fn set_cost(&mut self, col: usize, cost: f64) {
        if let Some(c) = self.col_cost.get_mut(col) {
            *c = cost;
        }
    }

    /// Sets the bounds of a row.
    pub(crate) fn set_row_bounds(&mut self, row: usize, lower: f64, upper: f64) {
        if let (Some(l), Some(u)) = (self.row_lower.get_mut(row), self.row_upper.get_mut(row)) {
            *l = lower;
            *u = upper;
        }
    }

    /// Adds `value` to the coefficient of `col` in `row` (entries given
    /// twice are summed when the model is assembled).
    pub(crate) fn add_entry(&mut self, row: usize, col: usize, value: f64) {
        if value != 0.0 {
            self.entries.push((col, row, value));
        }
    }

    /// Compresses into a column-wise model: entries sorted by column then
    /// row, duplicates summed, zeros dropped.
    pub(crate) fn finish(mut self) -> LpModel {
        let n = self.num_cols();
        self.entries
            .sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        // Sum duplicates in place.
        let mut merged: Vec<(usize, usize, f64)> = Vec::with_capacity(self.entries.len());
        for &(c, r, v) in &self.entries {
            match merged.last_mut() {
                Some(last) if last.0 == c && last.1 == r => last.2 += v,
                _ => merged.push((c, r, v)),
            }
        }
        merged.retain(|e| e.2 != 0.0);
        let mut a_start = Vec::with_capacity(n + 1);
        let mut a_index = Vec::with_capacity(merged.len());
        let mut a_value = Vec::with_capacity(merged.len());
        let mut k = 0;
        for col in 0..n {
            a_start.push(a_index.len());
            while let Some(&(c, r, v)) = merged.get(k) {
                if c != col {
                    break;
                }
                a_index.push(r);
                a_value.push(v);
                k += 1;
            }
        }
        a_start.push(a_index.len());
        LpModel {
            num_cols: n,
            num_rows: self.row_lower.len(),
            col_cost: self.col_cost,
            col_lower: self.col_lower,
            col_upper: self.col_upper,
            row_lower: self.row_lower,
            row_upper: self.row_upper,
            a_start,
            a_index,
            a_value,
            objective_offset: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_sums_duplicate_entries_and_drops_cancelled_ones() {
        let mut b = LpBuilder::new();
        let x = b.add_col(0.0, 1.0, 1.0);
        let y = b.add_col(0.0, 1.0, 2.0);
        let r0 = b.add_row(1.0, f64::INFINITY);
        let r1 = b.add_row(0.0, 0.0);
        b.add_entry(r1, x, 1.0);
        b.add_entry(r0, x, 1.0);
        b.add_entry(r0, x, 2.0);
        b.add_entry(r0, y, 1.0);
        b.add_entry(r1, y, 1.0);
        b.add_entry(r1, y, -1.0);
        let m = b.finish();
        assert!(m.validate().is_ok());
        assert_eq!(m.a_start, vec![0, 2, 3]);
        assert_eq!(m.a_index, vec![0, 1, 0]);
        assert_eq!(m.a_value, vec![3.0, 1.0, 1.0]);
    }

    #[test]
    fn index_range_addresses_its_members() {
        let r = IndexRange { start: 4, len: 3 };
        assert_eq!(r.at(2), 6);
        assert_eq!(r.end(), 7);
        assert_eq!(r.range().collect::<Vec<_>>(), vec![4, 5, 6]);
    }
}
