//! The contents of `policy.json` (policy format 1): what both the policy
//! directory ([`super::policy`]) and its data files ([`super::cuts`]) read.

use cobre_core::policy::StateVariable;
use std::collections::BTreeMap;

/// One state component in `policy.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StateEntry {
    /// Position in the state vector.
    pub index: usize,
    /// Column name of its coefficient in `cuts.parquet`.
    pub name: String,
    /// `storage` or `inflow_lag`.
    pub kind: String,
    /// The hydro.
    pub hydro_id: i32,
    /// The lag (inflow lags only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag: Option<u32>,
    /// Unit of the state value (`hm3`, `m3/s`).
    pub unit: String,
}

impl StateEntry {
    pub(crate) fn new(index: usize, v: &StateVariable) -> Self {
        let (kind, lag) = match *v {
            StateVariable::Storage { .. } => ("storage", None),
            StateVariable::InflowLag { lag, .. } => ("inflow_lag", Some(lag)),
        };
        Self {
            index,
            name: v.name(),
            kind: kind.into(),
            hydro_id: v.hydro().0,
            lag,
            unit: v.unit().into(),
        }
    }

    pub(crate) fn variable(&self) -> Option<StateVariable> {
        match (self.kind.as_str(), self.lag) {
            ("storage", None) => Some(StateVariable::Storage {
                hydro_id: self.hydro_id,
            }),
            ("inflow_lag", Some(lag)) => Some(StateVariable::InflowLag {
                hydro_id: self.hydro_id,
                lag,
            }),
            _ => None,
        }
    }
}

/// One stage in `policy.json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StageEntry {
    /// Position in the horizon.
    pub index: usize,
    /// Stage id.
    pub stage_id: i32,
    /// Number of cuts.
    pub num_cuts: usize,
}

/// Size and checksum of one data file of the policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileEntry {
    /// Size in bytes.
    pub bytes: u64,
    /// `sha256:<hex>` of the bytes.
    pub sha256: String,
    /// Rows.
    pub rows: u64,
}

/// The contents of `policy.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PolicyMetadata {
    /// Always [`POLICY_FORMAT`].
    pub format: String,
    /// [`POLICY_FORMAT_VERSION`] when written by this build.
    pub format_version: u32,
    /// Version of Cobre that wrote it.
    pub cobre_version: String,
    /// When it was written (RFC 3339, UTC).
    pub created_at: String,
    /// Fingerprint of every input file of the case it was trained on.
    pub case_fingerprint: String,
    /// Fingerprint of the case without `config.json` (what must match to
    /// load the policy).
    pub system_fingerprint: String,
    /// Training iterations completed.
    pub iterations: u64,
    /// Lower bound at the last iteration ($), when known.
    pub lower_bound: Option<f64>,
    /// Seed of the training scenario streams.
    pub seed: Option<u64>,
    /// The state vector, in order.
    pub state: Vec<StateEntry>,
    /// The stages, in order.
    pub stages: Vec<StageEntry>,
    /// Every data file of the directory, by name.
    pub files: BTreeMap<String, FileEntry>,
}
