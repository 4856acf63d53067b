//! `constraints/generic_parameters.json`: the scalar parameters that
//! generic-constraint expressions use as `@name`.
//!
//! Each entry has an `id`, a `name` and a `kind` with its payload:
//! `constant` (`value`), `per_stage` (`values`: `[stage_id, value]` pairs
//! over every study stage), `seasonal` (`values`: `[season_id, value]`),
//! `per_stage_block` (`block_values`: `[stage_id, block_id, value]`) or
//! `computed` (`computed_spec`: a quantity of one hydro). Top-level keys
//! other than `scalar_parameters` are ignored (as in 0.18); an unknown key
//! inside an entry is an error.

use super::{json_of, Src};
use crate::files::{name, CaseFiles};
use crate::json::Obj;
use crate::report::{FindingKind, Sink};
use cobre_core::{ComputedParameter, HydroId, ParameterValue, ScalarParameter, StageId};

const FILE: &str = name::GENERIC_PARAMETERS;

/// Builds a computed parameter of one hydro.
type ComputedCtor = fn(HydroId) -> ComputedParameter;

/// The `computed_spec` tags and their constructors.
const COMPUTED: [(&str, ComputedCtor); 10] = [
    (
        "equivalent_productivity",
        ComputedParameter::EquivalentProductivity,
    ),
    (
        "accumulated_productivity",
        ComputedParameter::AccumulatedProductivity,
    ),
    ("reference_volume", ComputedParameter::ReferenceVolume),
    ("reference_turbine", ComputedParameter::ReferenceTurbine),
    ("min_storage", ComputedParameter::MinStorage),
    ("max_storage", ComputedParameter::MaxStorage),
    (
        "specific_productivity",
        ComputedParameter::SpecificProductivity,
    ),
    (
        "integrated_equivalent_productivity",
        ComputedParameter::IntegratedEquivalentProductivity,
    ),
    (
        "integrated_accumulated_productivity",
        ComputedParameter::IntegratedAccumulatedProductivity,
    ),
    ("max_stored_energy", ComputedParameter::MaxStoredEnergy),
];

/// What the file holds: every parameter read completely, in file order,
/// with its entry index.
#[derive(Debug, Default)]
pub(crate) struct ParametersData {
    pub items: Vec<(usize, ScalarParameter)>,
    /// Every name found (also of entries that failed to read), so that a
    /// reference to them is not reported as unknown.
    pub names: Vec<String>,
}

/// Reads `[key, value]` pairs (`n` integer keys then a number).
fn tuples(o: &mut Obj<'_, '_>, key: &str, n: usize) -> Option<Vec<(Vec<i32>, f64)>> {
    let items = o.req_array(key)?;
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, v) in items.iter().enumerate() {
        let parts = v.as_array().filter(|a| a.len() == n + 1);
        let Some(parts) = parts else {
            o.error(
                FindingKind::TypeMismatch,
                &format!("{key}[{i}]"),
                format!("`{key}[{i}]` must be an array of {} numbers", n + 1),
            );
            ok = false;
            continue;
        };
        let ids: Vec<Option<i32>> = parts
            .iter()
            .take(n)
            .map(|x| o.item_i32(key, i, x))
            .collect();
        let value = parts.get(n).and_then(|x| o.item_f64(key, i, x));
        match (ids.iter().copied().collect::<Option<Vec<i32>>>(), value) {
            (Some(ids), Some(v)) => out.push((ids, v)),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

fn entry(o: &mut Obj<'_, '_>, id: i32, name: &str) -> Option<ScalarParameter> {
    let kind = o.req_enum(
        "kind",
        &[
            "constant",
            "per_stage",
            "seasonal",
            "per_stage_block",
            "computed",
        ],
    )?;
    let payload: &[(&str, &str)] = &[
        ("value", "constant"),
        ("values", "per_stage or seasonal"),
        ("computed_spec", "computed"),
        ("block_values", "per_stage_block"),
    ];
    let wanted = match kind {
        "constant" => "value",
        "per_stage" | "seasonal" => "values",
        "computed" => "computed_spec",
        _ => "block_values",
    };
    for (key, owner) in payload {
        let present = o.raw(key).is_some_and(|v| !v.is_null());
        if present && *key != wanted {
            o.error(
                FindingKind::IncompatibleSettings,
                key,
                format!("`{key}` belongs to kind {owner}, not to `{kind}`"),
            );
        }
    }
    let value = match kind {
        "constant" => ParameterValue::Constant(o.req_f64("value")?),
        "per_stage" => ParameterValue::PerStage(
            tuples(o, "values", 1)?
                .into_iter()
                .map(|(k, v)| (StageId(k.first().copied().unwrap_or(0)), v))
                .collect(),
        ),
        "seasonal" => ParameterValue::Seasonal(
            tuples(o, "values", 1)?
                .into_iter()
                .map(|(k, v)| (k.first().copied().unwrap_or(0), v))
                .collect(),
        ),
        "per_stage_block" => ParameterValue::PerStageBlock(
            tuples(o, "block_values", 2)?
                .into_iter()
                .map(|(k, v)| {
                    (
                        StageId(k.first().copied().unwrap_or(0)),
                        k.get(1).copied().unwrap_or(0),
                        v,
                    )
                })
                .collect(),
        ),
        _ => {
            let tags: Vec<&'static str> = COMPUTED.iter().map(|(t, _)| *t).collect();
            let mut c = o.req_obj("computed_spec", &["tag", "hydro_id"])?;
            let tag = c.req_enum("tag", &tags);
            let hydro = c.req_i32("hydro_id");
            let make = COMPUTED.iter().find(|(t, _)| Some(*t) == tag)?.1;
            ParameterValue::Computed(make(HydroId(hydro?)))
        }
    };
    Some(ScalarParameter {
        id: Some(id),
        name: name.to_string(),
        value,
    })
}

/// Reads the file (absent: no parameter).
pub(crate) fn read(files: &CaseFiles, sink: &mut Sink) -> Src<ParametersData> {
    let value = match json_of(files, FILE, sink) {
        Src::Read(v) => v,
        Src::Absent => return Src::Absent,
        Src::Failed => return Src::Failed,
    };
    // Top-level keys other than `scalar_parameters` are ignored.
    let root_keys: Vec<&str> = value
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let Some(mut root) = Obj::root(sink, FILE, &value, &root_keys) else {
        return Src::Failed;
    };
    let Some(items) = root.req_array("scalar_parameters") else {
        return Src::Failed;
    };
    let mut data = ParametersData::default();
    for (i, v) in items.iter().enumerate() {
        let Some(mut o) = root.entity_item(
            "scalar_parameters",
            i,
            v,
            &[
                "id",
                "name",
                "kind",
                "value",
                "values",
                "computed_spec",
                "block_values",
            ],
            "parameter",
            "id",
        ) else {
            continue;
        };
        let id = o.req_i32("id");
        let name = o.req_str("name");
        if let Some(n) = name {
            data.names.push(n.to_string());
        }
        if let (Some(id), Some(name)) = (id, name) {
            if let Some(p) = entry(&mut o, id, name) {
                data.items.push((i, p));
            }
        }
    }
    Src::Read(data)
}
