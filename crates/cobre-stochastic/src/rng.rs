//! Counter-based random streams.
//!
//! Every random number of the crate comes from a ChaCha8 stream addressed by a
//! key and a counter, never from a generator that is advanced by whoever runs
//! first:
//!
//! * the 256-bit ChaCha **key** is the base seed and a domain tag (opening
//!   tree, in-sample selection, out-of-sample noise...), expanded with SplitMix64,
//!   so different domains are independent streams even under the same seed;
//! * the 64-bit ChaCha **stream** (nonce) is `(a << 32) | b`, e.g.
//!   `(iteration, scenario)` or `(opening, 0)`;
//! * the **block counter** starts at `c << 32` words, e.g. the stage (its noise
//!   group), leaving 2³² words to each `(a, b, c)`.
//!
//! So the numbers drawn for `(seed, domain, a, b, c)` are a pure function of
//! those five values: results never depend on the thread count or on the
//! order in which scenarios or stages are processed. Distinct keys never share
//! a block, so there are no collisions for `a, b, c < 2³²`.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Independent uses of randomness; each gets its own key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum Domain {
    /// Opening tree noise: `a` = opening, `c` = noise group (stage).
    Tree = 0x7472_6565_6f70_656e,
    /// In-sample opening choice: `(a, b)` = (iteration, scenario), `c` = noise group.
    InSample = 0x696e_7361_6d70_6c65,
    /// Out-of-sample noise: `(a, b)` = (iteration, scenario), `c` = noise group.
    OutOfSample = 0x6f75_746f_6673_616d,
}

/// SplitMix64 step: a bijective, well-mixed 64-bit function.
#[must_use]
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream of `(seed, domain, a, b, c)`.
pub(crate) fn stream(seed: u64, domain: Domain, a: u32, b: u32, c: u32) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    let mut state = splitmix64(seed ^ domain as u64);
    for chunk in key.chunks_exact_mut(8) {
        state = splitmix64(state);
        chunk.copy_from_slice(&state.to_le_bytes());
    }
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream((u64::from(a) << 32) | u64::from(b));
    rng.set_word_pos(u128::from(c) << 32);
    rng
}

/// A uniform integer in `0..n` (n ≥ 1) from `(seed, domain, a, b, c)`, by
/// Lemire's multiply-shift on one 64-bit draw (bias below 2⁻³² for n < 2³²).
pub(crate) fn uniform_index(seed: u64, domain: Domain, a: u32, b: u32, c: u32, n: usize) -> usize {
    use rand::Rng;
    let mut rng = stream(seed, domain, a, b, c);
    let x = rng.next_u64();
    let n = n.max(1) as u128;
    ((u128::from(x) * n) >> 64) as usize
}

/// Saturating conversion of a counter to the 32-bit fields of a stream address.
pub(crate) fn to_u32(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn stream_is_a_pure_function_of_its_address() {
        let a: Vec<u64> = (0..4).map(|_| 0).collect();
        let mut r1 = stream(7, Domain::Tree, 1, 2, 3);
        let mut r2 = stream(7, Domain::Tree, 1, 2, 3);
        let x1: Vec<u64> = a.iter().map(|_| r1.next_u64()).collect();
        let x2: Vec<u64> = a.iter().map(|_| r2.next_u64()).collect();
        assert_eq!(x1, x2);
    }

    #[test]
    fn streams_differ_by_domain_and_by_each_counter() {
        let first = |d, a, b, c| stream(7, d, a, b, c).next_u64();
        let base = first(Domain::Tree, 1, 2, 3);
        assert_ne!(base, first(Domain::OutOfSample, 1, 2, 3));
        assert_ne!(base, first(Domain::Tree, 2, 2, 3));
        assert_ne!(base, first(Domain::Tree, 1, 3, 3));
        assert_ne!(base, first(Domain::Tree, 1, 2, 4));
        assert_ne!(base, stream(8, Domain::Tree, 1, 2, 3).next_u64());
    }

    #[test]
    fn uniform_index_stays_in_range_and_covers_it() {
        let mut seen = [false; 5];
        for s in 0..200 {
            let k = uniform_index(1, Domain::InSample, 0, s, 0, 5);
            seen[k] = true;
        }
        assert!(seen.iter().all(|&x| x));
    }
}
