//! Cut selection: which cuts stay in the stage LPs.
//!
//! Only [`KeepAll`] exists for now (the reference's default); level-1 and
//! limited-memory level-1 dominance will be more implementations of
//! [`CutSelection`].

use crate::cuts::CutPool;
use std::fmt::Debug;

/// A rule deciding which cuts of a pool remain active.
pub trait CutSelection: Send + Sync + Debug {
    /// Whether the rule runs at the end of `iteration`.
    fn due(&self, iteration: u64) -> bool;
    /// Writes `true` for every cut of `pool` to keep into `keep` (one
    /// entry per cut).
    fn select(&self, pool: &CutPool, keep: &mut [bool]);
}

/// Keep every cut.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeepAll;

impl CutSelection for KeepAll {
    fn due(&self, _iteration: u64) -> bool {
        false
    }
    fn select(&self, _pool: &CutPool, keep: &mut [bool]) {
        keep.fill(true);
    }
}
