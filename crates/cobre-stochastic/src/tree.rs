//! The opening tree: the fixed noise vectors the backward pass evaluates.
//!
//! **Layout.** One contiguous `f64` buffer of shape
//! `(num_stages, max_openings, num_noise_entities)` in C order: stage-major,
//! then opening, then entity (inflows, loads, NCS — see
//! [`crate::NoiseLayout`]). A stage with fewer openings than the largest
//! stage has its unused rows filled with NaN; [`OpeningTree::openings`] gives
//! the valid count per stage. NumPy can view [`OpeningTree::data`] with
//! [`OpeningTree::shape`] without a copy (mask with the per-stage counts).
//!
//! **Generation (SAA).** Opening `k` of stage `t` is drawn from the
//! stream of `(tree seed, k, noise key of t)` ([`crate::rng`]) as
//! independent N(0, 1) values in entity order, then correlated with the
//! stage's factor. The noise key is the id of the first stage of `t`'s noise
//! group, so stages of one group (weekly stages of the same month) share
//! their openings. A stage with a single opening gets one random draw, like
//! any SAA tree (a deterministic case has σ = 0, so its draw has no effect).

use crate::correlation::Correlation;
use crate::rng::{fill_normal, opening_seed, stream};
use rayon::prelude::*;

/// The opening tree (see the module documentation for the layout).
#[derive(Debug, Clone, PartialEq)]
pub struct OpeningTree {
    openings: Vec<usize>,
    max_openings: usize,
    dim: usize,
    data: Vec<f64>,
}

impl OpeningTree {
    /// Generates the tree; stages are filled in parallel, each opening from its
    /// own stream, so the result does not depend on the thread count.
    pub(crate) fn generate(
        seed: u64,
        openings: Vec<usize>,
        keys: &[u32],
        dim: usize,
        correlation: &Correlation,
    ) -> Self {
        let max_openings = openings.iter().copied().max().unwrap_or(0);
        let stride = max_openings * dim;
        let mut data = vec![f64::NAN; openings.len() * stride];
        if stride > 0 {
            data.par_chunks_mut(stride)
                .enumerate()
                .for_each(|(t, block)| {
                    let n = openings[t];
                    for (k, row) in block.chunks_mut(dim).take(n).enumerate() {
                        let key = keys.get(t).copied().unwrap_or(t as u32);
                        fill_normal(&mut stream(opening_seed(seed, k as u32, key)), row);
                        correlation.apply(t, row, 0..dim);
                    }
                });
        }
        Self {
            openings,
            max_openings,
            dim,
            data,
        }
    }

    /// Number of openings of stage `t`.
    #[must_use]
    pub fn openings(&self, t: usize) -> usize {
        self.openings.get(t).copied().unwrap_or(0)
    }

    /// Noise vector of opening `k` of stage `t`.
    ///
    /// # Panics
    /// If `k ≥ openings(t)` or `t` is out of range (a caller bug).
    #[must_use]
    pub fn opening(&self, t: usize, k: usize) -> &[f64] {
        assert!(
            k < self.openings(t),
            "opening {k} of stage {t} does not exist"
        );
        let start = (t * self.max_openings + k) * self.dim;
        &self.data[start..start + self.dim]
    }

    /// The whole buffer (see [`OpeningTree::shape`]).
    #[must_use]
    pub fn data(&self) -> &[f64] {
        &self.data
    }

    /// `[num_stages, max_openings, num_noise_entities]`.
    #[must_use]
    pub fn shape(&self) -> [usize; 3] {
        [self.openings.len(), self.max_openings, self.dim]
    }

    /// Number of stages.
    #[must_use]
    pub fn num_stages(&self) -> usize {
        self.openings.len()
    }
}
