//! `initial_conditions.json` → [`InitialConditions`].

use super::{json_of, Src};
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
        let hydro = s.req_i32("hydro_id");
        if let Some(h) = hydro {
            s.set_entity("hydro", i64::from(h));
        }
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

/// Reads `initial_conditions.json`.
pub(crate) fn read(files: &CaseFiles, sink: &mut Sink) -> Src<InitialData> {
    let value = match json_of(files, FILE, sink) {
        Src::Read(v) => v,
        Src::Absent => return Src::Absent,
        Src::Failed => return Src::Failed,
    };
    let Some(mut root) = Obj::root(
        sink,
        FILE,
        &value,
        &[
            "storage",
            "filling_storage",
            "recent_observations",
            "past_defluences",
            "past_anticipated_commitments",
        ],
    ) else {
        return Src::Failed;
    };
    let storage_items = root.req_array("storage");
    let filling_items = root.req_array("filling_storage");
    let storage = storages(&mut root, "storage", storage_items.unwrap_or(&[]));
    let filling_storage = storages(&mut root, "filling_storage", filling_items.unwrap_or(&[]));
    if filling_items.is_some_and(|f| !f.is_empty()) {
        let ctx = root.ctx("filling_storage");
        Feature::ReservoirFilling.refuse(root.sink(), ctx, "`filling_storage`");
    }
    let mut recent_observations = Vec::new();
    for (i, v) in root.opt_array("recent_observations").iter().enumerate() {
        let Some(mut o) = root.item(
            "recent_observations",
            i,
            v,
            &["hydro_id", "start_date", "end_date", "value_m3s"],
        ) else {
            continue;
        };
        let hydro = o.req_i32("hydro_id");
        if let Some(h) = hydro {
            o.set_entity("hydro", i64::from(h));
        }
        let w = window(&mut o);
        let value = o.req_f64("value_m3s");
        if let (Some(h), Some((start_date, end_date)), Some(value_m3s)) = (hydro, w, value) {
            recent_observations.push(InflowObservation {
                hydro: HydroId(h),
                start_date,
                end_date,
                value_m3s,
            });
        }
    }
    let mut past_defluences = Vec::new();
    for (i, v) in root.opt_array("past_defluences").iter().enumerate() {
        let Some(mut o) = root.item(
            "past_defluences",
            i,
            v,
            &["hydro_id", "start_date", "end_date", "value_m3s"],
        ) else {
            continue;
        };
        let hydro = o.req_i32("hydro_id");
        if let Some(h) = hydro {
            o.set_entity("hydro", i64::from(h));
        }
        let w = window(&mut o);
        let x = o.req_f64("value_m3s");
        let value = o.min("value_m3s", x, 0.0, false);
        if let (Some(h), Some((start_date, end_date)), Some(value_m3s)) = (hydro, w, value) {
            past_defluences.push(PastDefluence {
                hydro: HydroId(h),
                start_date,
                end_date,
                value_m3s,
            });
        }
    }
    let commitments = root.opt_array("past_anticipated_commitments");
    let mut past_commitments = Vec::new();
    for (i, v) in commitments.iter().enumerate() {
        let Some(mut o) = root.item(
            "past_anticipated_commitments",
            i,
            v,
            &["thermal_id", "start_date", "end_date", "value_mw"],
        ) else {
            continue;
        };
        let thermal = o.req_i32("thermal_id");
        if let Some(t) = thermal {
            o.set_entity("thermal", i64::from(t));
        }
        let w = window(&mut o);
        let value = o.req_f64("value_mw");
        if let (Some(t), Some((start_date, end_date)), Some(value_mw)) = (thermal, w, value) {
            past_commitments.push(PastCommitment {
                thermal: ThermalId(t),
                start_date,
                end_date,
                value_mw,
            });
        }
    }
    if !commitments.is_empty() {
        let ctx = root.ctx("past_anticipated_commitments");
        Feature::AnticipatedThermal.refuse(root.sink(), ctx, "`past_anticipated_commitments`");
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
}
