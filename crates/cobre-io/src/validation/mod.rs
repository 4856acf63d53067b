//! Layers 3–5: referential, dimensional and semantic checks over what the
//! schema layer could read.

pub(crate) mod dimensional;
mod equipment;
mod parameters;
mod production;
pub(crate) mod referential;
pub(crate) mod semantic;

use crate::reader::{CaseData, RawHydro};
use crate::report::{Finding, FindingContext, FindingKind, Layer, Sink};
use crate::util::list_ids;
use std::collections::BTreeMap;

/// Groups per-row problems of a Parquet file by a key (a missing id, an
/// unknown stage) so that one mistake repeated over many rows is one finding
/// naming every row.
pub(crate) struct RowGroups<K: Ord> {
    groups: BTreeMap<K, Vec<usize>>,
}

impl<K: Ord + Copy> RowGroups<K> {
    pub(crate) fn new() -> Self {
        Self {
            groups: BTreeMap::new(),
        }
    }

    pub(crate) fn add(&mut self, key: K, row: usize) {
        self.groups.entry(key).or_default().push(row);
    }

    /// Emits one finding per key; `make` builds it from the key, the first
    /// row and a description of the rows.
    pub(crate) fn emit(self, sink: &mut Sink, mut make: impl FnMut(K, usize, String) -> Finding) {
        for (k, rows) in self.groups {
            let first = rows.first().copied().unwrap_or(0);
            let desc = if rows.len() == 1 {
                format!("row {first}")
            } else {
                format!("rows {}", list_ids(&rows))
            };
            sink.push(make(k, first, desc));
        }
    }
}

/// An error of `layer` (warnings are [`Finding::new`] with
/// [`crate::report::Severity::Warning`]).
pub(crate) fn err(
    layer: Layer,
    kind: FindingKind,
    ctx: FindingContext,
    msg: impl Into<String>,
) -> Finding {
    Finding::error(kind, layer, ctx, msg)
}

/// `f` of every hydro read from `hydros.json`, collected (empty without
/// the file).
pub(crate) fn per_hydro<T, C: FromIterator<T>>(d: &CaseData, f: impl Fn(&RawHydro) -> T) -> C {
    d.hydros
        .iter()
        .flat_map(|r| r.items.iter())
        .map(f)
        .collect()
}
