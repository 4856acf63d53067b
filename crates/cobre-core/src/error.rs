//! Errors raised while assembling a [`System`](crate::System).

use thiserror::Error;

/// A structural problem found while assembling the model from already-parsed parts.
///
/// The case reader (`cobre-io`) normally reports these as validation findings
/// before ever building a [`System`](crate::System); this enum is what the
/// builder returns when it is handed inconsistent data directly.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum CoreError {
    /// Two entities of the same kind share an id.
    #[error("duplicate {kind} id {id}")]
    DuplicateId {
        /// Entity kind (`"hydro"`, `"bus"`...).
        kind: &'static str,
        /// The repeated id.
        id: i32,
    },
    /// An entity refers to another entity that does not exist.
    #[error("{kind} {id} refers to missing {target_kind} {target_id} (field `{field}`)")]
    MissingReference {
        /// Kind of the referring entity.
        kind: &'static str,
        /// Id of the referring entity.
        id: i32,
        /// Field holding the reference.
        field: &'static str,
        /// Kind of the referenced entity.
        target_kind: &'static str,
        /// The id that does not resolve.
        target_id: i32,
    },
    /// The hydro cascade (downstream links) contains a cycle.
    #[error("the hydro cascade has a cycle through hydros {cycle:?}")]
    CyclicCascade {
        /// Ids of the hydros on the cycle.
        cycle: Vec<i32>,
    },
    /// A value is outside of its admissible domain.
    #[error("{what}: {message}")]
    Invalid {
        /// What was invalid (entity and field).
        what: String,
        /// Why.
        message: String,
    },
}
