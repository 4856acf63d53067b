//! Conversions between the engine's [`Policy`] and the plain-data
//! [`PolicyTable`] that `cobre-io` writes and reads.

use crate::cuts::CutPool;
use crate::policy::Policy;
use crate::study::StudyModel;
use crate::SddpError;
use cobre_core::policy::{PolicyTable, StageBasis, StageCuts, StateVariable};
use cobre_solver::{Basis, BasisStatus};

impl StudyModel {
    /// What each component of the state vector is: every hydro's storage,
    /// then every hydro's inflow lags `1..=L`.
    #[must_use]
    pub fn state_description(&self) -> Vec<StateVariable> {
        StateVariable::describe(&self.ids.hydros, self.scenario.max_order())
    }
}

impl Policy {
    /// The policy as plain data, labelled with `study`'s stage ids and state
    /// description; `iterations` is the number of training iterations done.
    ///
    /// The scenario of origin of a cut is its position within its batch (a
    /// backward step builds one cut per forward pass, in order); every cut
    /// is active (no cut selection removes rows yet).
    #[must_use]
    pub fn to_table(&self, study: &StudyModel, iterations: u64) -> PolicyTable {
        let pool_ids = study.pool_stage_ids();
        let stages = (0..self.num_stages())
            .map(|t| {
                let stage_id = pool_ids.get(t).copied().unwrap_or(0);
                self.stage(t)
                    .map_or_else(StageCuts::default, |p| stage_cuts(p, stage_id))
            })
            .collect();
        let bases = (0..self.num_stages())
            .map(|t| {
                self.basis(t).map(|b| StageBasis {
                    col_status: b.col_status.iter().map(|s| s.to_code()).collect(),
                    row_status: b.row_status.iter().map(|s| s.to_code()).collect(),
                })
            })
            .collect();
        PolicyTable {
            state: study.state_description(),
            stages,
            bases,
            iterations,
        }
    }

    /// Rebuilds a policy from plain data. Consecutive cuts of one iteration
    /// form one batch (the unit of row appends), as training built them.
    ///
    /// # Errors
    /// [`SddpError::InvalidInput`] when the table's columns disagree with
    /// its state dimension.
    pub fn from_table(table: &PolicyTable) -> Result<Self, SddpError> {
        let n = table.n_state();
        let n_hydros = table
            .state
            .iter()
            .filter(|v| matches!(v, StateVariable::Storage { .. }))
            .count();
        let n_lags = (n - n_hydros).checked_div(n_hydros).unwrap_or(0);
        if n_hydros * (1 + n_lags) != n {
            return Err(SddpError::invalid(
                "policy",
                format!("{n} state variables do not split into {n_hydros} hydros with equal lags"),
            ));
        }
        let mut pools = Vec::with_capacity(table.stages.len());
        for (t, s) in table.stages.iter().enumerate() {
            if !s.is_consistent(n) {
                return Err(SddpError::invalid(
                    format!("policy stage {t}"),
                    "cut columns inconsistent with the state dimension",
                ));
            }
            let mut pool = CutPool::new(n);
            let mut start = 0;
            while start < s.len() {
                let it = s.iteration.get(start).copied().unwrap_or(0);
                let mut end = start + 1;
                while s.iteration.get(end) == Some(&it) {
                    end += 1;
                }
                let intercepts = s.intercept.get(start..end).unwrap_or(&[]);
                let coefs = s.coefficients.get(start * n..end * n).unwrap_or(&[]);
                pool.push_batch(intercepts, coefs, it);
                start = end;
            }
            pools.push(pool);
        }
        let mut policy = Policy::new(pools, n_hydros, n_lags);
        for (t, b) in table.bases.iter().enumerate() {
            if let Some(b) = b {
                policy.set_basis(
                    t,
                    Basis {
                        col_status: b
                            .col_status
                            .iter()
                            .map(|&c| BasisStatus::from_code(i64::from(c)))
                            .collect(),
                        row_status: b
                            .row_status
                            .iter()
                            .map(|&c| BasisStatus::from_code(i64::from(c)))
                            .collect(),
                    },
                );
            }
        }
        Ok(policy)
    }
}

fn stage_cuts(pool: &CutPool, stage_id: i32) -> StageCuts {
    let n = pool.len();
    let mut out = StageCuts {
        stage_id,
        intercept: Vec::with_capacity(n),
        coefficients: Vec::with_capacity(n * pool.n_state()),
        iteration: Vec::with_capacity(n),
        scenario: Vec::with_capacity(n),
        active: vec![true; n],
    };
    for b in 0..pool.num_batches() {
        for (j, i) in pool.batch(b).enumerate() {
            out.intercept.push(pool.intercept(i));
            out.coefficients.extend_from_slice(pool.coefficients(i));
            out.iteration.push(pool.iteration_of(i));
            out.scenario.push(u32::try_from(j).unwrap_or(u32::MAX));
        }
    }
    out
}
