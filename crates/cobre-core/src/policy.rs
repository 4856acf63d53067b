//! A trained policy as plain data: the cuts of every stage, the meaning of
//! each state component and the warm-start bases, with no engine types.
//!
//! `cobre-sddp` converts its `Policy` to and from a [`PolicyTable`];
//! `cobre-io` writes and reads a table on disk (`policy/`). Neither needs
//! the other.
//!
//! The state vector of every stage is ordered as the engine's LP prefix:
//! the storage of every hydro (in canonical hydro order), then for every
//! hydro its inflow lags `1..=L` ([`StateVariable`]).

use crate::HydroId;

/// What one component of the state vector is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StateVariable {
    /// Storage of a hydro at the end of the stage (hm³).
    Storage {
        /// The hydro.
        hydro_id: i32,
    },
    /// Incremental inflow of a hydro `lag` stages back (m³/s); lag 1 is the
    /// inflow of the stage just solved.
    InflowLag {
        /// The hydro.
        hydro_id: i32,
        /// The lag (≥ 1).
        lag: u32,
    },
}

impl StateVariable {
    /// The hydro this component belongs to.
    #[must_use]
    pub fn hydro(&self) -> HydroId {
        match *self {
            Self::Storage { hydro_id } | Self::InflowLag { hydro_id, .. } => HydroId(hydro_id),
        }
    }

    /// Unit of the component's values.
    #[must_use]
    pub fn unit(&self) -> &'static str {
        match self {
            Self::Storage { .. } => "hm3",
            Self::InflowLag { .. } => "m3/s",
        }
    }

    /// A stable, readable name: `storage[hydro=3]`, `inflow_lag2[hydro=3]`.
    #[must_use]
    pub fn name(&self) -> String {
        match *self {
            Self::Storage { hydro_id } => format!("storage[hydro={hydro_id}]"),
            Self::InflowLag { hydro_id, lag } => format!("inflow_lag{lag}[hydro={hydro_id}]"),
        }
    }

    /// The state description of `hydros` (in state order) with `lags` lags
    /// each: every storage first, then the lags of each hydro in turn.
    #[must_use]
    pub fn describe(hydros: &[i32], lags: usize) -> Vec<Self> {
        let mut out = Vec::with_capacity(hydros.len() * (1 + lags));
        out.extend(hydros.iter().map(|&hydro_id| Self::Storage { hydro_id }));
        for &hydro_id in hydros {
            for l in 1..=lags {
                out.push(Self::InflowLag {
                    hydro_id,
                    lag: u32::try_from(l).unwrap_or(u32::MAX),
                });
            }
        }
        out
    }
}

/// The cuts of one stage: `θ_t ≥ intercept + Σ_i coefficients_i · x_i`,
/// where `x` is the state leaving the stage, in $ (undiscounted).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageCuts {
    /// Stage id.
    pub stage_id: i32,
    /// Intercept of each cut ($).
    pub intercept: Vec<f64>,
    /// Coefficients, flat: cut `j` owns `coefficients[j·n..(j+1)·n]` where
    /// `n` is the state dimension ($ per state unit).
    pub coefficients: Vec<f64>,
    /// Training iteration that produced each cut (1-based).
    pub iteration: Vec<u64>,
    /// Forward pass (trial state) of that iteration the cut was built at.
    pub scenario: Vec<u32>,
    /// Whether the cut is in the stage LPs (cut selection may deactivate
    /// cuts; without selection every cut is active).
    pub active: Vec<bool>,
}

impl StageCuts {
    /// Number of cuts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.intercept.len()
    }

    /// Whether the stage has no cut.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.intercept.is_empty()
    }

    /// Whether the column lengths agree with `n_state`.
    #[must_use]
    pub fn is_consistent(&self, n_state: usize) -> bool {
        let n = self.len();
        self.coefficients.len() == n * n_state
            && self.iteration.len() == n
            && self.scenario.len() == n
            && self.active.len() == n
    }
}

/// A simplex basis of one stage LP as HiGHS status codes (0 lower, 1 basic,
/// 2 upper, 3 zero, 4 nonbasic), one per column and one per row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageBasis {
    /// Status code of each column.
    pub col_status: Vec<u8>,
    /// Status code of each row.
    pub row_status: Vec<u8>,
}

/// A policy as plain data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyTable {
    /// Meaning of each state component, in state order.
    pub state: Vec<StateVariable>,
    /// Cuts of every stage, in stage order (the last stage has none).
    pub stages: Vec<StageCuts>,
    /// Warm-start basis of every stage, when known (same length as
    /// `stages`, or empty).
    pub bases: Vec<Option<StageBasis>>,
    /// Training iterations completed when the table was taken.
    pub iterations: u64,
}

impl PolicyTable {
    /// State dimension.
    #[must_use]
    pub fn n_state(&self) -> usize {
        self.state.len()
    }

    /// Total number of cuts.
    #[must_use]
    pub fn num_cuts(&self) -> usize {
        self.stages.iter().map(StageCuts::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_description_lists_storages_then_lags_per_hydro() {
        let d = StateVariable::describe(&[3, 7], 2);
        let names: Vec<String> = d.iter().map(StateVariable::name).collect();
        assert_eq!(
            names,
            [
                "storage[hydro=3]",
                "storage[hydro=7]",
                "inflow_lag1[hydro=3]",
                "inflow_lag2[hydro=3]",
                "inflow_lag1[hydro=7]",
                "inflow_lag2[hydro=7]",
            ]
        );
        assert_eq!(d[0].unit(), "hm3");
        assert_eq!(d[2].unit(), "m3/s");
        assert_eq!(d[5].hydro(), HydroId(7));
    }

    #[test]
    fn stage_cuts_consistency_checks_every_column() {
        let mut c = StageCuts {
            stage_id: 0,
            intercept: vec![1.0],
            coefficients: vec![0.5, 0.25],
            iteration: vec![1],
            scenario: vec![0],
            active: vec![true],
        };
        assert!(c.is_consistent(2));
        assert!(!c.is_consistent(3));
        c.active.clear();
        assert!(!c.is_consistent(2));
    }
}
