//! Counter-based random streams, compatible with Cobre 0.18.
//!
//! Every random number of the crate comes from a generator seeded by a pure
//! function of its *address*, never from a generator that is advanced by
//! whoever runs first:
//!
//! * the address is hashed with SipHash-1-3 (zero key) over the little-endian
//!   bytes of its fields: `(base seed: u64, opening: u32, stage key: u32)` for
//!   the opening tree (16 bytes), `(base seed: u64, iteration: u32, scenario:
//!   u32, stage key: u32)` for forward choices (20 bytes), and the same
//!   forward address behind a `0x01` byte for out-of-sample draws (21
//!   bytes). The lengths keep the domains apart even when the numbers
//!   coincide;
//! * the 64-bit hash seeds a PCG-64 (XSL-RR 128/64) generator through
//!   `SeedableRng::seed_from_u64`; normals are `rand_distr::StandardNormal`
//!   (ziggurat), uniform picks `random_range(0..n)`.
//!
//! So the numbers drawn for an address are a pure function of it: results
//! never depend on the thread count, on the number of processes or on the
//! order in which scenarios or stages are processed. The scheme is the one
//! of the public Cobre 0.18 solver, so the same case and seed give the same
//! opening tree, the same in-sample choices and the same out-of-sample
//! draws as 0.18 (the conformance suite
//! relies on it for the stochastic cases, whose reference bounds depend on
//! the draws).

use rand::{Rng, RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_pcg::Pcg64;
use siphasher::sip::SipHasher13;
use std::hash::Hasher;

/// The generator behind every stream.
pub(crate) type Stream = Pcg64;

/// Seed of opening `opening` of the stage whose key is `stage`.
#[must_use]
pub fn opening_seed(base_seed: u64, opening: u32, stage: u32) -> u64 {
    let mut h = SipHasher13::new_with_keys(0, 0);
    h.write(&base_seed.to_le_bytes());
    h.write(&opening.to_le_bytes());
    h.write(&stage.to_le_bytes());
    h.finish()
}

/// Seed of the forward draw of `(iteration, scenario)` at the stage whose key
/// is `stage`.
#[must_use]
pub fn forward_seed(base_seed: u64, iteration: u32, scenario: u32, stage: u32) -> u64 {
    let mut h = SipHasher13::new_with_keys(0, 0);
    h.write(&base_seed.to_le_bytes());
    h.write(&iteration.to_le_bytes());
    h.write(&scenario.to_le_bytes());
    h.write(&stage.to_le_bytes());
    h.finish()
}

/// Base seed of the choice of a policy-graph transition (`b"transitn"` read
/// as a little-endian `u64`, 0.18's constant).
const TRANSITION_SEED: u64 = u64::from_le_bytes(*b"transitn");

/// The child a forward pass takes out of a node at `stage` with several
/// successors, by inverse CDF over `weights` (in the node's canonical child
/// order) with `u = (h >> 11)·2⁻⁵³`, `h` the forward seed of `(TRANSITION,
/// iteration, scenario, stage)`; the running sum is Neumaier-compensated and
/// a sum short of `u` by rounding resolves to the last child. As 0.18 does;
/// callers with one successor take it without drawing.
#[must_use]
pub fn transition_choice(iteration: u32, scenario: u32, stage: u32, weights: &[f64]) -> usize {
    let h = forward_seed(TRANSITION_SEED, iteration, scenario, stage);
    #[allow(clippy::cast_precision_loss)]
    let u = ((h >> 11) as f64) * (1.0 / (1u64 << 53) as f64);
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for (i, &w) in weights.iter().enumerate() {
        let t = sum + w;
        if sum.abs() >= w.abs() {
            comp += (sum - t) + w;
        } else {
            comp += (w - t) + sum;
        }
        sum = t;
        if u < sum + comp {
            return i;
        }
    }
    weights.len().saturating_sub(1)
}

/// Seed of the out-of-sample draw of `(iteration, scenario)` for the noise
/// group whose key is `group`: the forward address of [`forward_seed`]
/// behind a `0x01` domain byte (21 bytes), as 0.18 derives its fresh
/// out-of-sample noise, so that draw never coincides with the in-sample
/// pick of the same address.
#[must_use]
pub fn out_of_sample_seed(base_seed: u64, iteration: u32, scenario: u32, group: u32) -> u64 {
    let mut h = SipHasher13::new_with_keys(0, 0);
    h.write(&[0x01]);
    h.write(&base_seed.to_le_bytes());
    h.write(&iteration.to_le_bytes());
    h.write(&scenario.to_le_bytes());
    h.write(&group.to_le_bytes());
    h.finish()
}

/// The generator of a derived seed.
pub(crate) fn stream(seed: u64) -> Stream {
    Pcg64::seed_from_u64(seed)
}

/// Fills `out` with independent standard normals drawn in order from `rng`.
pub(crate) fn fill_normal(rng: &mut impl Rng, out: &mut [f64]) {
    for x in out {
        *x = rng.sample(StandardNormal);
    }
}

/// A uniform index in `0..n` (`n ≥ 1`) from the stream of `seed`.
pub(crate) fn uniform_index(seed: u64, n: usize) -> usize {
    stream(seed).random_range(0..n.max(1))
}

/// Saturating conversion of a counter to the 32-bit fields of an address.
pub(crate) fn to_u32(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// Independent standard normals from one seed, for callers outside the
/// solver's addresses (e.g. the facade's `sample_noise`).
#[derive(Debug, Clone)]
pub struct NormalStream(Stream);

impl NormalStream {
    /// The stream of `seed` (mixed with SplitMix64 first).
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(stream(splitmix64(seed)))
    }

    /// Fills `out` with the next normals of the stream.
    pub fn fill(&mut self, out: &mut [f64]) {
        fill_normal(&mut self.0, out);
    }
}

/// SplitMix64 step: a bijective, well-mixed 64-bit function.
#[must_use]
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_draws_reproduce_the_reference_tree_values() {
        // Opening 0 of stages 0 and 1 and opening 1 of stage 0 with the
        // default seed 42, as the 0.18 solver exports them
        // (stochastic/noise_openings.parquet of any one-hydro case).
        let first = |opening, stage| {
            let mut out = [0.0];
            fill_normal(&mut stream(opening_seed(42, opening, stage)), &mut out);
            out[0]
        };
        assert_eq!(first(0, 0), 0.400_989_364_964_956_46);
        assert_eq!(first(1, 0), -1.395_412_177_608_524_4);
        assert_eq!(first(0, 1), 1.840_898_558_445_904_8);
    }

    #[test]
    fn seeds_are_pure_functions_of_their_address_and_differ_by_field() {
        let base = forward_seed(7, 1, 2, 3);
        assert_eq!(base, forward_seed(7, 1, 2, 3));
        assert_ne!(base, forward_seed(8, 1, 2, 3));
        assert_ne!(base, forward_seed(7, 2, 2, 3));
        assert_ne!(base, forward_seed(7, 1, 3, 3));
        assert_ne!(base, forward_seed(7, 1, 2, 4));
        assert_ne!(opening_seed(7, 0, 0), forward_seed(7, 0, 0, 0));
    }

    #[test]
    fn transition_choices_follow_the_weights_and_stay_in_range() {
        let w = [0.2, 0.3, 0.1, 0.4];
        let mut counts = [0usize; 4];
        for sc in 0..4000 {
            let k = transition_choice(3, sc, 1, &w);
            counts[k] += 1;
        }
        for (c, p) in counts.iter().zip(w) {
            #[allow(clippy::cast_precision_loss)]
            let f = *c as f64 / 4000.0;
            assert!((f - p).abs() < 0.03, "{counts:?}");
        }
        assert_eq!(
            transition_choice(1, 2, 3, &w),
            transition_choice(1, 2, 3, &w)
        );
        // A sum short of 1 by rounding resolves to the last child.
        assert!(transition_choice(0, 0, 0, &[0.0, 0.0]) == 1);
    }

    #[test]
    fn out_of_sample_seeds_are_a_separate_domain_of_the_forward_address() {
        // The 0x01 byte makes the 21-byte message differ from the 20-byte
        // forward address with the same numbers, for every field.
        assert_ne!(out_of_sample_seed(42, 0, 0, 0), forward_seed(42, 0, 0, 0));
        assert_eq!(
            out_of_sample_seed(42, 1, 2, 3),
            out_of_sample_seed(42, 1, 2, 3)
        );
        for (seed, it, sc, key) in [(42, 2, 1, 3), (42, 1, 2, 4), (43, 1, 2, 3)] {
            assert_ne!(
                out_of_sample_seed(42, 1, 2, 3),
                out_of_sample_seed(seed, it, sc, key)
            );
        }
    }

    #[test]
    fn uniform_index_stays_in_range_and_covers_it() {
        let mut seen = [false; 5];
        for s in 0..200 {
            let k = uniform_index(forward_seed(1, 0, s, 0), 5);
            seen[k] = true;
        }
        assert!(seen.iter().all(|&x| x));
    }
}
