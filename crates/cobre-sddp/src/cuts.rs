//! Benders cuts and the per-stage cut pools of the future-cost function.
//!
//! The pool of stage `t` holds the cuts on θ_t, the outer approximation of
//! the cost-to-go from stage `t + 1`:
//! `θ_t ≥ α + Σ_i π_i · x_i`, where `x` is the state leaving stage `t`
//! (storage, then inflow lags; see [`StageLayout`]). Cuts are kept in the
//! LP's scaled cost units and grouped in *batches* (one per backward step),
//! the unit in which they are appended to every solver instance, so every
//! instance holds the same rows in the same order.

use crate::lp::StageLayout;
use cobre_solver::RowBatch;

/// One cut, in the LP's scaled cost units.
#[derive(Debug, Clone, PartialEq)]
pub struct Cut {
    /// Intercept α.
    pub intercept: f64,
    /// Coefficients π, one per state component.
    pub coefficients: Vec<f64>,
}

impl Cut {
    /// Value of the cut at state `x`.
    #[must_use]
    pub fn value_at(&self, x: &[f64]) -> f64 {
        self.intercept
            + self
                .coefficients
                .iter()
                .zip(x)
                .map(|(p, v)| p * v)
                .sum::<f64>()
    }
}

/// The cuts of one stage, stored flat.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CutPool {
    n_state: usize,
    intercepts: Vec<f64>,
    coefficients: Vec<f64>,
    /// Iteration that produced each cut.
    iterations: Vec<u64>,
    /// End (exclusive) of each batch in cut numbers.
    batch_ends: Vec<usize>,
}

impl CutPool {
    /// An empty pool for states of dimension `n_state`.
    #[must_use]
    pub fn new(n_state: usize) -> Self {
        Self {
            n_state,
            ..Self::default()
        }
    }

    /// State dimension.
    #[must_use]
    pub fn n_state(&self) -> usize {
        self.n_state
    }

    /// Number of cuts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.intercepts.len()
    }

    /// Whether the pool has no cut.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.intercepts.is_empty()
    }

    /// Number of batches.
    #[must_use]
    pub fn num_batches(&self) -> usize {
        self.batch_ends.len()
    }

    /// Cut numbers of batch `b`.
    #[must_use]
    pub fn batch(&self, b: usize) -> std::ops::Range<usize> {
        let lo = if b == 0 {
            0
        } else {
            self.batch_ends.get(b - 1).copied().unwrap_or(0)
        };
        let hi = self.batch_ends.get(b).copied().unwrap_or(lo);
        lo..hi
    }

    /// Intercept of cut `i`.
    #[must_use]
    pub fn intercept(&self, i: usize) -> f64 {
        self.intercepts.get(i).copied().unwrap_or(0.0)
    }

    /// Coefficients of cut `i`.
    #[must_use]
    pub fn coefficients(&self, i: usize) -> &[f64] {
        self.coefficients
            .get(i * self.n_state..(i + 1) * self.n_state)
            .unwrap_or(&[])
    }

    /// Iteration that produced cut `i`.
    #[must_use]
    pub fn iteration_of(&self, i: usize) -> u64 {
        self.iterations.get(i).copied().unwrap_or(0)
    }

    /// Cut `i` as an owned value.
    #[must_use]
    pub fn cut(&self, i: usize) -> Cut {
        Cut {
            intercept: self.intercept(i),
            coefficients: self.coefficients(i).to_vec(),
        }
    }

    /// Appends one batch of cuts: `intercepts[j]` with coefficients
    /// `coefficients[j·n_state..(j+1)·n_state]`.
    pub fn push_batch(&mut self, intercepts: &[f64], coefficients: &[f64], iteration: u64) {
        debug_assert_eq!(coefficients.len(), intercepts.len() * self.n_state);
        self.intercepts.extend_from_slice(intercepts);
        self.coefficients.extend_from_slice(coefficients);
        self.iterations
            .extend(std::iter::repeat_n(iteration, intercepts.len()));
        self.batch_ends.push(self.intercepts.len());
    }

    /// Largest cut value at `x` (`None` without cuts).
    #[must_use]
    pub fn max_value_at(&self, x: &[f64]) -> Option<f64> {
        (0..self.len())
            .map(|i| {
                self.intercept(i)
                    + self
                        .coefficients(i)
                        .iter()
                        .zip(x)
                        .map(|(p, v)| p * v)
                        .sum::<f64>()
            })
            .reduce(f64::max)
    }

    /// Writes cuts `range` as rows `θ − Σ π_i x_i ≥ α` of a stage LP into
    /// `batch` (cleared first), over the components the stage decides
    /// ([`StageLayout::cut_state`]); the others' terms belong in the row's
    /// lower bound at each solve ([`Self::row_lower`]).
    pub fn rows_into(
        &self,
        range: std::ops::Range<usize>,
        layout: &StageLayout,
        batch: &mut RowBatch,
    ) {
        batch.clear();
        for i in range {
            self.push_row(i, layout, batch);
        }
    }

    /// Writes the cuts `ids` (in that order) as rows into `batch` (cleared first).
    pub fn rows_for(&self, ids: &[usize], layout: &StageLayout, batch: &mut RowBatch) {
        batch.clear();
        for &i in ids {
            self.push_row(i, layout, batch);
        }
    }

    fn push_row(&self, i: usize, layout: &StageLayout, batch: &mut RowBatch) {
        batch.index.push(layout.theta);
        batch.value.push(1.0);
        let coefficients = self.coefficients(i);
        for &j in &layout.cut_state {
            let pi = coefficients.get(j).copied().unwrap_or(0.0);
            if pi != 0.0 {
                batch.index.push(layout.state_out_cols[j]);
                batch.value.push(-pi);
            }
        }
        batch.lower.push(self.intercept(i));
        batch.upper.push(f64::INFINITY);
        batch.start.push(batch.index.len());
    }

    /// The lower bound of cut `i`'s row at incoming state `x_in`: its
    /// intercept plus the terms of the components the row leaves out
    /// because the stage does not decide them (`carried`, from
    /// [`StageLayout::carried_state`]).
    #[must_use]
    pub fn row_lower(&self, i: usize, carried: &[(usize, usize)], x_in: &[f64]) -> f64 {
        let coefficients = self.coefficients(i);
        let mut value = self.intercept(i);
        for &(j, src) in carried {
            if let (Some(pi), Some(x)) = (coefficients.get(j), x_in.get(src)) {
                value += pi * x;
            }
        }
        value
    }
}
