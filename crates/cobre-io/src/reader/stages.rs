//! `stages.json` → [`Horizon`].

use super::policy_graph::{self, RawGraph};
use super::{read_json_root, Src};
use crate::capabilities::Feature;
use crate::files::{name, CaseFiles};
use crate::json::Obj;
use crate::report::{FindingKind, Sink};
use chrono::NaiveDate;
use cobre_core::stage::{
    BlockMode, HorizonKind, NoiseSamplingMethod, PolicyGraph, PreStudyStage, Season, SeasonCycle,
    SeasonDefinitions, StateVariableFlags,
};
use cobre_core::{Block, Horizon, RiskMeasure, SeasonId, Stage, StageId};
use serde_json::Value;
use std::collections::BTreeSet;

const FILE: &str = name::STAGES;

/// What `stages.json` holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct StagesData {
    /// Stages that were read completely, in file order (indices set later).
    pub horizon: Horizon,
    /// Every study stage id found, in file order (including unreadable stages).
    pub stage_ids: Vec<i32>,
    /// Every pre-study stage id found.
    pub pre_study_ids: Vec<i32>,
    /// Every season id defined, in file order.
    pub season_ids: Vec<i32>,
    /// False when some stage could not be read: stage references are then
    /// checked against `stage_ids` only.
    pub complete: bool,
    /// The policy graph's nodes and transitions as written.
    pub graph: RawGraph,
}

impl StagesData {
    /// The stage with this id.
    pub(crate) fn stage(&self, id: i32) -> Option<&Stage> {
        self.horizon.stages.iter().find(|s| s.id.0 == id)
    }

    /// Whether `id` is a study stage.
    pub(crate) fn is_study(&self, id: i32) -> bool {
        self.stage_ids.contains(&id)
    }

    /// Whether `id` is a study or pre-study stage.
    pub(crate) fn is_known(&self, id: i32) -> bool {
        self.is_study(id) || self.pre_study_ids.contains(&id)
    }
}

fn risk_measure(s: &mut Obj<'_, '_>) -> RiskMeasure {
    match s.raw("risk_measure") {
        None => RiskMeasure::Expectation,
        Some(Value::String(_)) => {
            s.opt_enum("risk_measure", &["expectation"]);
            RiskMeasure::Expectation
        }
        Some(_) => {
            let Some(mut r) = s.opt_obj("risk_measure", &["cvar"]) else {
                return RiskMeasure::Expectation;
            };
            let Some(mut c) = r.req_obj("cvar", &["alpha", "lambda"]) else {
                return RiskMeasure::Expectation;
            };
            let a = c.req_f64("alpha");
            let l = c.req_f64("lambda");
            let alpha = a.filter(|x| *x > 0.0 && *x <= 1.0);
            if let (Some(x), None) = (a, alpha) {
                c.error(
                    FindingKind::OutOfRange,
                    "alpha",
                    format!("CVaR `alpha` = {x} must be in (0, 1]"),
                );
            }
            let lambda = c.within("lambda", l, 0.0, 1.0);
            match (alpha, lambda) {
                (Some(alpha), Some(lambda)) if (0.0..=1.0).contains(&lambda) => {
                    RiskMeasure::Cvar { alpha, lambda }
                }
                _ => RiskMeasure::Expectation,
            }
        }
    }
}

fn blocks(s: &mut Obj<'_, '_>) -> Option<Vec<Block>> {
    let items = s.req_array("blocks")?;
    let mut out = Vec::new();
    let mut ok = true;
    for (i, v) in items.iter().enumerate() {
        let Some(mut b) = s.item("blocks", i, v, &["id", "name", "hours"]) else {
            ok = false;
            continue;
        };
        let id = b.req_i32("id");
        let name = b.req_str("name");
        let h = b.req_f64("hours");
        let hours = b.min("hours", h, 0.0, true);
        match (id, name, hours) {
            (Some(id), Some(name), Some(hours)) => out.push(Block {
                id,
                name: name.to_string(),
                hours,
            }),
            _ => ok = false,
        }
    }
    if items.is_empty() {
        s.error(
            FindingKind::SchemaViolation,
            "blocks",
            "a stage needs at least one block",
        );
        return None;
    }
    if !ok {
        return None;
    }
    let ids: Vec<i32> = out.iter().map(|b| b.id).collect();
    let expected: Vec<i32> = (0..).take(ids.len()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    if sorted != expected {
        s.error(
            FindingKind::SchemaViolation,
            "blocks",
            format!(
                "block ids must be 0..{} without repetition, found {ids:?}",
                ids.len().saturating_sub(1)
            ),
        );
        return None;
    }
    out.sort_by_key(|b| b.id);
    Some(out)
}

/// The keys of a study stage.
const STAGE_KEYS: [&str; 11] = [
    "id",
    "start_date",
    "end_date",
    "season_id",
    "blocks",
    "block_mode",
    "num_openings",
    "sampling_method",
    "state_variables",
    "risk_measure",
    "annual_discount_rate_override",
];

/// A stage's `start_date` and `end_date`; an end not after the start is reported.
fn dates(s: &mut Obj<'_, '_>) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let start = s.req_date("start_date");
    let end = s.req_date("end_date");
    if let (Some(a), Some(b)) = (start, end) {
        if b <= a {
            s.error(
                FindingKind::StageMismatch,
                "end_date",
                format!("end_date ({b}) must be after start_date ({a})"),
            );
        }
    }
    (start, end)
}

/// The stage's `block_mode` (chronological blocks are refused).
fn block_mode(s: &mut Obj<'_, '_>) -> BlockMode {
    match s.opt_enum("block_mode", &["parallel", "chronological"]) {
        Some("chronological") => {
            let ctx = s.ctx("block_mode");
            Feature::ChronologicalBlocks.refuse(s.sink(), ctx, "`block_mode = \"chronological\"`");
            BlockMode::Chronological
        }
        _ => BlockMode::Parallel,
    }
}

/// The stage's `num_openings`. A stage whose nodes all carry an external
/// scenario has no generated openings: `num_openings` is meaningless there
/// (0.18 rejects it) and the stage has one opening.
fn openings(s: &mut Obj<'_, '_>, external_only: bool) -> Option<u32> {
    let openings = if external_only {
        if s.has("num_openings") {
            s.error(
                FindingKind::IncompatibleSettings,
                "num_openings",
                "every node of this stage carries an external `scenario_id`: the stage has no generated openings and `num_openings` is meaningless there",
            );
        }
        Some(1)
    } else {
        s.req_u32("num_openings")
    };
    if openings == Some(0) {
        s.error(
            FindingKind::OutOfRange,
            "num_openings",
            "`num_openings` must be ≥ 1",
        );
    }
    openings
}

/// The stage's `sampling_method` (every method but SAA is refused).
fn sampling_method(s: &mut Obj<'_, '_>) -> NoiseSamplingMethod {
    match s.opt_enum(
        "sampling_method",
        &[
            "saa",
            "lhs",
            "qmc_sobol",
            "qmc_halton",
            "selective",
            "historical_residuals",
        ],
    ) {
        None | Some("saa") => NoiseSamplingMethod::Saa,
        Some(m) => {
            let ctx = s.ctx("sampling_method");
            Feature::NoiseSamplingMethods.refuse(
                s.sink(),
                ctx,
                &format!("`sampling_method = \"{m}\"`"),
            );
            match m {
                "lhs" => NoiseSamplingMethod::Lhs,
                "qmc_sobol" => NoiseSamplingMethod::QmcSobol,
                "qmc_halton" => NoiseSamplingMethod::QmcHalton,
                "selective" => NoiseSamplingMethod::Selective,
                _ => NoiseSamplingMethod::HistoricalResiduals,
            }
        }
    }
}

fn stage<'v>(
    root: &mut Obj<'v, '_>,
    i: usize,
    v: &'v Value,
    data: &mut StagesData,
    external_only: &BTreeSet<i32>,
) -> Option<Stage> {
    let mut s = root.entity_item("stages", i, v, &STAGE_KEYS, "stage", "id")?;
    let id = s.req_entity_id("id", "stage");
    if let Some(id) = id {
        data.stage_ids.push(id);
    }
    let (start, end) = dates(&mut s);
    let season = s.opt_i32("season_id");
    if let Some(x) = season {
        if x < 0 {
            s.error(
                FindingKind::OutOfRange,
                "season_id",
                format!("season_id = {x} must be ≥ 0"),
            );
        }
    }
    let blocks = blocks(&mut s);
    let block_mode = block_mode(&mut s);
    let openings = openings(&mut s, id.is_some_and(|id| external_only.contains(&id)));
    let sampling_method = sampling_method(&mut s);
    let state_variables = match s.opt_obj("state_variables", &["storage", "inflow_lags"]) {
        Some(mut sv) => StateVariableFlags {
            storage: sv.bool_or("storage", true),
            inflow_lags: sv.bool_or("inflow_lags", false),
        },
        None => StateVariableFlags::default(),
    };
    let risk_measure = risk_measure(&mut s);
    let r = s.opt_f64("annual_discount_rate_override");
    let annual_discount_rate_override = s.min("annual_discount_rate_override", r, 0.0, false);
    Some(Stage {
        index: i,
        id: StageId(id?),
        start_date: start?,
        end_date: end?,
        blocks: blocks?,
        block_mode,
        season: season.map(SeasonId),
        num_openings: usize::try_from(openings.filter(|n| *n > 0)?).ok()?,
        risk_measure,
        sampling_method,
        state_variables,
        annual_discount_rate_override,
    })
}

/// One pre-study stage (its id, negative, is recorded even when the rest
/// cannot be read).
fn pre_study_stage<'v>(
    root: &mut Obj<'v, '_>,
    i: usize,
    v: &'v Value,
    data: &mut StagesData,
) -> Option<PreStudyStage> {
    let mut p = root.item(
        "pre_study_stages",
        i,
        v,
        &["id", "start_date", "end_date", "season_id"],
    )?;
    let id = p.req_entity_id("id", "pre-study stage");
    if let Some(id) = id {
        data.pre_study_ids.push(id);
        if id >= 0 {
            p.error(
                FindingKind::OutOfRange,
                "id",
                format!("pre-study stage ids must be negative, found {id}"),
            );
        }
    }
    let (start, end) = dates(&mut p);
    let season = p.opt_u32("season_id").and_then(|x| i32::try_from(x).ok());
    Some(PreStudyStage {
        id: StageId(id?),
        start_date: start?,
        end_date: end?,
        season: season.map(SeasonId),
    })
}

fn seasons(root: &mut Obj<'_, '_>, data: &mut StagesData) -> Option<SeasonDefinitions> {
    let mut d = root.opt_obj("season_definitions", &["cycle_type", "seasons"])?;
    let cycle = d.req_enum("cycle_type", &["monthly", "weekly", "custom"]);
    let items = d.req_array("seasons").unwrap_or(&[]);
    let mut seasons = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let Some(mut s) = d.item(
            "seasons",
            i,
            v,
            &[
                "id",
                "label",
                "month_start",
                "day_start",
                "month_end",
                "day_end",
            ],
        ) else {
            continue;
        };
        let id = s.req_u32("id").and_then(|x| i32::try_from(x).ok());
        if let Some(id) = id {
            s.set_entity("season", i64::from(id));
            data.season_ids.push(id);
        }
        let label = s.req_str("label");
        let month_start = s.req_u32("month_start");
        let day_start = s.opt_u32("day_start");
        let month_end = s.opt_u32("month_end");
        let day_end = s.opt_u32("day_end");
        for (key, m) in [("month_start", month_start), ("month_end", month_end)] {
            if let Some(m) = m.filter(|m| !(1..=12).contains(m)) {
                s.error(
                    FindingKind::OutOfRange,
                    key,
                    format!("`{key}` = {m} must be in 1..=12"),
                );
            }
        }
        for (key, x) in [("day_start", day_start), ("day_end", day_end)] {
            if let Some(x) = x.filter(|x| !(1..=31).contains(x)) {
                s.error(
                    FindingKind::OutOfRange,
                    key,
                    format!("`{key}` = {x} must be in 1..=31"),
                );
            }
        }
        if let (Some(id), Some(label), Some(month_start)) = (id, label, month_start) {
            seasons.push(Season {
                id: SeasonId(id),
                label: label.to_string(),
                month_start,
                month_end,
                day_start,
                day_end,
            });
        }
    }
    seasons.sort_by_key(|s| s.id);
    let cycle = match cycle? {
        "monthly" => SeasonCycle::Monthly,
        "weekly" => SeasonCycle::Weekly,
        _ => SeasonCycle::Custom,
    };
    Some(SeasonDefinitions { cycle, seasons })
}

fn policy_graph(root: &mut Obj<'_, '_>, data: &mut StagesData) -> Option<PolicyGraph> {
    let mut g = root.req_obj(
        "policy_graph",
        &["type", "annual_discount_rate", "nodes", "transitions"],
    )?;
    let kind = g.req_enum("type", &["finite_horizon", "cyclic"]);
    if kind == Some("cyclic") {
        let ctx = g.ctx("type");
        Feature::CyclicPolicyGraph.refuse(g.sink(), ctx, "a cyclic policy graph");
    }
    let r = g.req_f64("annual_discount_rate");
    let rate = g.min("annual_discount_rate", r, 0.0, false);
    data.graph = policy_graph::read_raw(&mut g);
    Some(PolicyGraph {
        kind: if kind == Some("cyclic") {
            HorizonKind::Cyclic
        } else {
            HorizonKind::FiniteHorizon
        },
        annual_discount_rate: rate?,
        nodes: Vec::new(),
        transitions: Vec::new(),
    })
}

/// Reads `stages.json`.
pub(crate) fn read(files: &CaseFiles, sink: &mut Sink) -> Src<StagesData> {
    read_json_root(
        files,
        FILE,
        sink,
        &[
            "policy_graph",
            "pre_study_stages",
            "season_definitions",
            "stages",
        ],
        |mut root| {
            let mut data = StagesData {
                complete: true,
                ..StagesData::default()
            };
            let graph = policy_graph(&mut root, &mut data);
            let seasons = seasons(&mut root, &mut data);
            let pre_items = root.opt_array("pre_study_stages");
            let mut pre = Vec::new();
            for (i, v) in pre_items.iter().enumerate() {
                pre.extend(pre_study_stage(&mut root, i, v, &mut data));
            }
            let items = root.req_array("stages");
            let mut stages = Vec::new();
            let external_only = data.graph.external_only_stages();
            for (i, v) in items.unwrap_or(&[]).iter().enumerate() {
                match stage(&mut root, i, v, &mut data, &external_only) {
                    Some(s) => stages.push(s),
                    None => data.complete = false,
                }
            }
            if items.is_some_and(<[Value]>::is_empty) {
                root.error(
                    FindingKind::SchemaViolation,
                    "stages",
                    "the study has no stage",
                );
            }
            let Some(policy_graph) = graph else {
                return Src::Failed;
            };
            if items.is_none() {
                return Src::Failed;
            }
            data.horizon = Horizon {
                stages,
                pre_study_stages: pre,
                seasons,
                policy_graph,
            };
            let raw = std::mem::take(&mut data.graph);
            policy_graph::resolve(&mut data, &raw, root.sink());
            data.graph = raw;
            Src::Read(data)
        },
    )
}
