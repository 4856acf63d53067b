//! `initial_conditions.json` → [`InitialConditions`].

use super::{read_json_root, Src};
use crate::capabilities::Feature;
use crate::files::{name, CaseFiles};
use crate::json::Obj;
use crate::report::{FindingKind, Sink};
use chrono::NaiveDate;
use cobre_core::initial::{InflowObservation, InitialStorage, PastCommitment, PastDefluence};
use cobre_core::{HydroId, InitialConditions, ThermalId};
use serde_json::Value;

const FILE: &str = name::INITIAL;

/// What `initial_conditions.json` holds, in file order.
#[derive(Debug, Clone, Default)]
pub(crate) struct InitialData {
    pub ic: InitialConditions,
}

fn window(o: &mut Obj<'_, '_>) -> Option<(NaiveDate, NaiveDate)> {
    let a = o.req_date("start_date");
    let b = o.req_date("end_date");
    let (a, b) = (a?, b?);
    if b <= a {
        o.error(
            FindingKind::OutOfRange,
            "end_date",
            format!("end_date ({b}) must be after start_date ({a})"),
        );
        return None;
    }
    Some((a, b))
}

fn storages<'v>(root: &mut Obj<'v, '_>, key: &str, items: &'v [Value]) -> Vec<InitialStorage> {
    let mut out = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let Some(mut s) =
            root.entity_item(key, i, v, &["hydro_id", "value_hm3"], "hydro", "hydro_id")
        else {
            continue;
        };
        let hydro = s.req_entity_id("hydro_id", "hydro");
        let v = s.req_f64("value_hm3");
        let value = s.min("value_hm3", v, 0.0, false);
        if let (Some(h), Some(value_hm3)) = (hydro, value) {
            out.push(InitialStorage {
                hydro: HydroId(h),
                value_hm3,
            });
        }
    }
    out
}

/// A list of dated values of one entity each (observed inflows, past
/// defluences, past thermal commitments).
struct DatedList {
    /// The array's key.
    key: &'static str,
    /// The element's entity id field.
    id_key: &'static str,
    /// The kind of entity the id names.
    kind: &'static str,
    /// The element's value field.
    value_key: &'static str,
    /// Whether the value must be ≥ 0.
    non_negative: bool,
}

const RECENT_OBSERVATIONS: DatedList = DatedList {
    key: "recent_observations",
    id_key: "hydro_id",
    kind: "hydro",
    value_key: "value_m3s",
    non_negative: false,
};

const PAST_DEFLUENCES: DatedList = DatedList {
    key: "past_defluences",
    id_key: "hydro_id",
    kind: "hydro",
    value_key: "value_m3s",
    non_negative: true,
};

const PAST_COMMITMENTS: DatedList = DatedList {
    key: "past_anticipated_commitments",
    id_key: "thermal_id",
    kind: "thermal",
    value_key: "value_mw",
    non_negative: false,
};

/// One element of a [`DatedList`] that was read completely.
struct DatedValue {
    id: i32,
    start_date: NaiveDate,
    end_date: NaiveDate,
    value: f64,
}

/// Reads the elements `items` of the list `list`, reporting every problem.
fn dated_values<'v>(
    root: &mut Obj<'v, '_>,
    list: &DatedList,
    items: &'v [Value],
) -> Vec<DatedValue> {
    let mut out = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let allowed = [list.id_key, "start_date", "end_date", list.value_key];
        let Some(mut o) = root.item(list.key, i, v, &allowed) else {
            continue;
        };
        let id = o.req_entity_id(list.id_key, list.kind);
        let w = window(&mut o);
        let x = o.req_f64(list.value_key);
        let value = if list.non_negative {
            o.min(list.value_key, x, 0.0, false)
        } else {
            x
        };
        if let (Some(id), Some((start_date, end_date)), Some(value)) = (id, w, value) {
            out.push(DatedValue {
                id,
                start_date,
                end_date,
                value,
            });
        }
    }
    out
}

/// Reads `initial_conditions.json`.
pub(crate) fn read(files: &CaseFiles, sink: &mut Sink) -> Src<InitialData> {
    read_json_root(
        files,
        FILE,
        sink,
        &[
            "storage",
            "filling_storage",
            "recent_observations",
            "past_defluences",
            "past_anticipated_commitments",
        ],
        |mut root| {
            let storage_items = root.req_array("storage");
            let filling_items = root.req_array("filling_storage");
            let storage = storages(&mut root, "storage", storage_items.unwrap_or(&[]));
            let filling_storage =
                storages(&mut root, "filling_storage", filling_items.unwrap_or(&[]));
            if filling_items.is_some_and(|f| !f.is_empty()) {
                let ctx = root.ctx("filling_storage");
                Feature::ReservoirFilling.refuse(root.sink(), ctx, "`filling_storage`");
            }
            let recent = root.opt_array("recent_observations");
            let recent_observations = dated_values(&mut root, &RECENT_OBSERVATIONS, recent)
                .into_iter()
                .map(|d| InflowObservation {
                    hydro: HydroId(d.id),
                    start_date: d.start_date,
                    end_date: d.end_date,
                    value_m3s: d.value,
                })
                .collect();
            let defluences = root.opt_array("past_defluences");
            let past_defluences = dated_values(&mut root, &PAST_DEFLUENCES, defluences)
                .into_iter()
                .map(|d| PastDefluence {
                    hydro: HydroId(d.id),
                    start_date: d.start_date,
                    end_date: d.end_date,
                    value_m3s: d.value,
                })
                .collect();
            let commitments = root.opt_array("past_anticipated_commitments");
            let past_commitments = dated_values(&mut root, &PAST_COMMITMENTS, commitments)
                .into_iter()
                .map(|d| PastCommitment {
                    thermal: ThermalId(d.id),
                    start_date: d.start_date,
                    end_date: d.end_date,
                    value_mw: d.value,
                })
                .collect();
            if !commitments.is_empty() {
                let ctx = root.ctx("past_anticipated_commitments");
                Feature::AnticipatedThermal.refuse(
                    root.sink(),
                    ctx,
                    "`past_anticipated_commitments`",
                );
            }
            if storage_items.is_none() || filling_items.is_none() {
                return Src::Failed;
            }
            Src::Read(InitialData {
                ic: InitialConditions {
                    storage,
                    filling_storage,
                    recent_observations,
                    past_defluences,
                    past_commitments,
                },
            })
        },
    )
}
