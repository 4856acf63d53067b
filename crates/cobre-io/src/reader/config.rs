//! `config.json` → [`StudyConfig`].

use super::{read_json_root, Src};
use crate::capabilities::Feature;
use crate::files::{name, CaseFiles};
use crate::json::Obj;
use crate::report::{FindingKind, Sink};
use cobre_core::config::{
    BackwardScheduler, CutSelectionConfig, EstimationConfig, ExportsConfig, InflowNonNegativity,
    ModelingConfig, OrderSelection, PolicyConfig, PolicyMode, SamplingScheme, ScenarioSourceConfig,
    SelectionMethod, SimulationConfig, StoppingMode, StoppingRuleConfig, TrainingConfig,
};
use cobre_core::StudyConfig;
use serde_json::Value;

const FILE: &str = name::CONFIG;

/// What `config.json` holds, plus the facts later layers check.
#[derive(Debug, Clone)]
pub(crate) struct ConfigData {
    /// The typed settings.
    pub config: StudyConfig,
    /// `training.selection` was read as `sampled` (so `forward_passes` is meaningful).
    pub sampled_forward: bool,
}

/// Picks the allowed keys of a tagged object from its tag value.
pub(crate) fn tagged_keys<'a>(
    value: &Value,
    tag: &str,
    variants: &[(&str, &'a [&'a str])],
) -> Vec<&'a str> {
    let t = value.get(tag).and_then(Value::as_str);
    match variants.iter().find(|(name, _)| Some(*name) == t) {
        Some((_, keys)) => keys.to_vec(),
        None => {
            let mut all: Vec<&str> = variants
                .iter()
                .flat_map(|(_, k)| k.iter().copied())
                .collect();
            all.sort_unstable();
            all.dedup();
            all
        }
    }
}

fn stopping_rule<'v>(o: &mut Obj<'v, '_>, i: usize, v: &'v Value) -> Option<StoppingRuleConfig> {
    let keys = tagged_keys(
        v,
        "type",
        &[
            ("iteration_limit", &["type", "limit"]),
            ("time_limit", &["type", "seconds"]),
            ("bound_stalling", &["type", "iterations", "tolerance"]),
            ("gap", &["type", "tolerance", "relative_tolerance"]),
        ],
    );
    let mut r = o.item("stopping_rules", i, v, &keys)?;
    let kind = r.req_enum(
        "type",
        &["iteration_limit", "time_limit", "bound_stalling", "gap"],
    )?;
    match kind {
        "iteration_limit" => Some(StoppingRuleConfig::IterationLimit {
            limit: r.req_u32("limit")?,
        }),
        "time_limit" => {
            let s = r.req_f64("seconds");
            let seconds = r.min("seconds", s, 0.0, true)?;
            Some(StoppingRuleConfig::TimeLimit { seconds })
        }
        "bound_stalling" => {
            let iterations = r.req_u32("iterations");
            let t = r.req_f64("tolerance");
            let tolerance = r.min("tolerance", t, 0.0, false);
            Some(StoppingRuleConfig::BoundStalling {
                iterations: iterations?,
                tolerance: tolerance?,
            })
        }
        _ => Some(StoppingRuleConfig::Gap {
            tolerance: r.opt_f64("tolerance"),
            relative_tolerance: r.opt_f64("relative_tolerance"),
        }),
    }
}

fn scheme(o: &mut Obj<'_, '_>, key: &str) -> SamplingScheme {
    let Some(mut c) = o.opt_obj(key, &["scheme"]) else {
        return SamplingScheme::InSample;
    };
    match c.req_enum(
        "scheme",
        &["in_sample", "out_of_sample", "external", "historical"],
    ) {
        Some("out_of_sample") => SamplingScheme::OutOfSample,
        Some("external") => SamplingScheme::External,
        Some("historical") => SamplingScheme::Historical,
        _ => SamplingScheme::InSample,
    }
}

fn historical_years(o: &mut Obj<'_, '_>) -> Option<(i32, i32)> {
    let v = o.raw("historical_years")?;
    if v.is_array() {
        let items = o.opt_array("historical_years");
        let mut years: Vec<i32> = items
            .iter()
            .enumerate()
            .filter_map(|(i, y)| o.item_i32("historical_years", i, y))
            .collect();
        years.sort_unstable();
        years.dedup();
        let (first, last) = (*years.first()?, *years.last()?);
        let contiguous = i64::from(last) - i64::from(first) + 1 == years.len() as i64;
        if !contiguous {
            let ctx = o.ctx("historical_years");
            Feature::HistoricalYearList.refuse(
                o.sink(),
                ctx,
                "a non-contiguous `historical_years` list",
            );
        }
        Some((first, last))
    } else {
        let mut r = o.opt_obj("historical_years", &["from", "to"])?;
        let from = r.req_i32("from");
        let to = r.req_i32("to");
        let (from, to) = (from?, to?);
        if from > to {
            r.error(
                FindingKind::OutOfRange,
                "from",
                format!("historical_years.from ({from}) is after historical_years.to ({to})"),
            );
        }
        Some((from, to))
    }
}

fn scenario_source(o: &mut Obj<'_, '_>, key: &str) -> Option<ScenarioSourceConfig> {
    let mut s = o.opt_obj(
        key,
        &[
            "seed",
            "inflow",
            "load",
            "ncs",
            "historical_years",
            "openings",
        ],
    )?;
    let seed = s.opt_u64("seed");
    let inflow = scheme(&mut s, "inflow");
    let load = scheme(&mut s, "load");
    let ncs = scheme(&mut s, "ncs");
    let historical_years = historical_years(&mut s);
    if let Some(mut op) = s.opt_obj("openings", &["source"]) {
        if op.req_enum("source", &["generated", "file"]) == Some("file") {
            let ctx = op.ctx("source");
            Feature::UserNoiseOpenings.refuse(op.sink(), ctx, "`openings.source = \"file\"`");
        }
    }
    Some(ScenarioSourceConfig {
        seed,
        inflow,
        load,
        ncs,
        historical_years,
    })
}

fn refuse_if_present(o: &mut Obj<'_, '_>, key: &str, feature: Feature, what: &str) {
    if o.has(key) {
        let ctx = o.ctx(key);
        feature.refuse(o.sink(), ctx, what);
    }
}

/// Reads `selection`: `Some(Some(n))` sampled with `n`, `Some(None)` enumerated.
fn selection(o: &mut Obj<'_, '_>, count_key: &'static str, required: bool) -> Option<Option<u32>> {
    let v = if required {
        o.require("selection", "an object")?
    } else {
        o.raw("selection")?
    };
    let sampled_keys = ["method", count_key];
    let keys = tagged_keys(
        v,
        "method",
        &[("sampled", &sampled_keys), ("enumerated", &["method"])],
    );
    let mut s = o.opt_obj("selection", &keys)?;
    match s.req_enum("method", &["sampled", "enumerated"])? {
        "sampled" => Some(Some(s.req_u32(count_key)?)),
        _ => Some(None),
    }
}

/// `training.cut_selection`: the method, the activity tolerance and the
/// per-stage cap.
struct CutSelectionRead {
    method: CutSelectionConfig,
    row_activity_tolerance: f64,
    max_active_per_stage: Option<u32>,
}

fn cut_selection(o: &mut Obj<'_, '_>) -> CutSelectionRead {
    let mut out = CutSelectionRead {
        method: CutSelectionConfig::None,
        row_activity_tolerance: 0.0,
        max_active_per_stage: None,
    };
    let Some(mut c) = o.opt_obj(
        "cut_selection",
        &[
            "max_active_per_stage",
            "row_activity_tolerance",
            "selection",
        ],
    ) else {
        return out;
    };
    let t = c.opt_f64("row_activity_tolerance");
    out.row_activity_tolerance = c
        .min("row_activity_tolerance", t, 0.0, false)
        .unwrap_or(0.0);
    out.max_active_per_stage = c.opt_u32("max_active_per_stage");
    let Some(v) = c.raw("selection").filter(|v| !v.is_null()) else {
        return out;
    };
    let keys = tagged_keys(
        v,
        "method",
        &[
            ("level1", &["method", "check_frequency", "tie_tolerance"]),
            ("lml1", &["method", "check_frequency", "tie_tolerance"]),
            (
                "domination",
                &["method", "check_frequency", "domination_tolerance"],
            ),
            (
                "dynamic",
                &[
                    "method",
                    "candidate_recency",
                    "max_added_per_round",
                    "seed_window",
                    "start_iteration",
                    "violation_tolerance",
                ],
            ),
        ],
    );
    let Some(mut s) = c.opt_obj("selection", &keys) else {
        return out;
    };
    let method = s.req_enum("method", &["level1", "lml1", "domination", "dynamic"]);
    let positive = |s: &mut Obj<'_, '_>, key: &str, default: u32, min: u32| -> u32 {
        let v = s.opt_u32(key).unwrap_or(default);
        if v < min {
            s.error(
                FindingKind::OutOfRange,
                key,
                format!("`cut_selection.selection.{key}` = {v} must be ≥ {min}"),
            );
        }
        v.max(min)
    };
    out.method = match method {
        Some(m @ ("level1" | "lml1")) => {
            let check_frequency = positive(&mut s, "check_frequency", 5, 1);
            let t = s.opt_f64("tie_tolerance");
            let tie_tolerance = s.min("tie_tolerance", t, 0.0, false).unwrap_or(1e-10);
            if m == "level1" {
                CutSelectionConfig::Level1 {
                    check_frequency,
                    tie_tolerance,
                }
            } else {
                CutSelectionConfig::Lml1 {
                    check_frequency,
                    tie_tolerance,
                }
            }
        }
        Some("domination") => {
            let check_frequency = positive(&mut s, "check_frequency", 5, 1);
            let t = s.req_f64("domination_tolerance");
            match s.min("domination_tolerance", t, 0.0, false) {
                Some(tolerance) => CutSelectionConfig::Domination {
                    check_frequency,
                    tolerance,
                },
                None => CutSelectionConfig::None,
            }
        }
        Some(_) => {
            let start_iteration = positive(&mut s, "start_iteration", 2, 1);
            let seed_window = s.opt_u32("seed_window").unwrap_or(5);
            let candidate_recency = s.opt_u32("candidate_recency");
            if candidate_recency == Some(0) {
                s.error(
                    FindingKind::OutOfRange,
                    "candidate_recency",
                    "`cut_selection.selection.candidate_recency` must be ≥ 1 (omit it to make every cut a candidate)",
                );
            }
            let max_added_per_round = positive(&mut s, "max_added_per_round", 10, 1);
            let t = s.opt_f64("violation_tolerance");
            let violation_tolerance = s.min("violation_tolerance", t, 0.0, true).unwrap_or(1e-10);
            CutSelectionConfig::Dynamic {
                start_iteration,
                seed_window,
                candidate_recency: candidate_recency.filter(|n| *n > 0),
                max_added_per_round,
                violation_tolerance,
            }
        }
        None => CutSelectionConfig::None,
    };
    out
}

/// `training.parallelism.backward_scheduler`.
fn parallelism(o: &mut Obj<'_, '_>) -> BackwardScheduler {
    let Some(mut p) = o.opt_obj("parallelism", &["backward_scheduler"]) else {
        return BackwardScheduler::Default;
    };
    let Some(v) = p.raw("backward_scheduler").filter(|v| !v.is_null()) else {
        return BackwardScheduler::Default;
    };
    let keys = tagged_keys(
        v,
        "method",
        &[
            ("by_scenario", &["method"]),
            ("by_node", &["method", "block_size"]),
        ],
    );
    let Some(mut b) = p.opt_obj("backward_scheduler", &keys) else {
        return BackwardScheduler::Default;
    };
    match b.req_enum("method", &["by_scenario", "by_node"]) {
        Some("by_node") => {
            let block_size = b.opt_u32("block_size");
            if block_size == Some(0) {
                b.error(
                    FindingKind::OutOfRange,
                    "block_size",
                    "`backward_scheduler.block_size` must be ≥ 1",
                );
            }
            BackwardScheduler::ByNode {
                block_size: block_size.filter(|n| *n > 0),
            }
        }
        Some(_) => BackwardScheduler::ByScenario,
        None => BackwardScheduler::Default,
    }
}

fn training(root: &mut Obj<'_, '_>) -> Option<(TrainingConfig, bool)> {
    let mut t = root.req_obj(
        "training",
        &[
            "cut_selection",
            "enabled",
            "parallelism",
            "scenario_source",
            "selection",
            "solver",
            "stopping_mode",
            "stopping_rules",
            "tree_seed",
        ],
    )?;
    let enabled = t.bool_or("enabled", true);
    let rules_raw = t.req_array("stopping_rules");
    let mut stopping_rules = Vec::new();
    let mut rules_ok = rules_raw.is_some();
    for (i, v) in rules_raw.unwrap_or(&[]).iter().enumerate() {
        match stopping_rule(&mut t, i, v) {
            Some(r) => stopping_rules.push(r),
            None => rules_ok = false,
        }
    }
    let stopping_mode = match t.opt_enum("stopping_mode", &["any", "all"]) {
        Some("all") => StoppingMode::All,
        _ => StoppingMode::Any,
    };
    let tree_seed = t.opt_u64("tree_seed");
    let sel = selection(&mut t, "forward_passes", true);
    let scenario_source = scenario_source(&mut t, "scenario_source").unwrap_or_default();
    let cut_selection = cut_selection(&mut t);
    let backward_scheduler = parallelism(&mut t);
    refuse_if_present(
        &mut t,
        "solver",
        Feature::SolverProfiles,
        "`training.solver`",
    );
    let sel = sel?;
    if !rules_ok {
        return None;
    }
    Some((
        TrainingConfig {
            enabled,
            selection: if sel.is_some() {
                SelectionMethod::Sampled
            } else {
                SelectionMethod::Enumerated
            },
            forward_passes: sel.unwrap_or(0),
            stopping_rules,
            stopping_mode,
            tree_seed,
            scenario_source,
            cut_selection: cut_selection.method,
            row_activity_tolerance: cut_selection.row_activity_tolerance,
            max_active_per_stage: cut_selection.max_active_per_stage,
            backward_scheduler,
        },
        sel.is_some(),
    ))
}

fn simulation(root: &mut Obj<'_, '_>) -> SimulationConfig {
    let default = SimulationConfig {
        enabled: false,
        selection: SelectionMethod::Sampled,
        num_scenarios: 0,
        scenario_source: None,
        io_channel_capacity: 64,
    };
    let Some(mut s) = root.opt_obj(
        "simulation",
        &[
            "enabled",
            "io_channel_capacity",
            "scenario_source",
            "selection",
            "solver",
        ],
    ) else {
        return default;
    };
    let enabled = s.bool_or("enabled", false);
    let io_channel_capacity = s.opt_u32("io_channel_capacity").unwrap_or(64);
    let scenario_source = scenario_source(&mut s, "scenario_source");
    let sel = selection(&mut s, "num_scenarios", false);
    let num_scenarios = sel.flatten().unwrap_or(0);
    let selection = match sel {
        Some(None) => SelectionMethod::Enumerated,
        _ => SelectionMethod::Sampled,
    };
    refuse_if_present(
        &mut s,
        "solver",
        Feature::SolverProfiles,
        "`simulation.solver`",
    );
    SimulationConfig {
        enabled,
        selection,
        num_scenarios,
        scenario_source,
        io_channel_capacity,
    }
}

fn modeling(root: &mut Obj<'_, '_>) -> ModelingConfig {
    let Some(mut m) = root.opt_obj("modeling", &["cost_scale_factor", "inflow_non_negativity"])
    else {
        return ModelingConfig::default();
    };
    let c = m.opt_f64("cost_scale_factor");
    let cost_scale_factor = m.min("cost_scale_factor", c, 0.0, true);
    let inflow_non_negativity = match m.opt_obj("inflow_non_negativity", &["method"]) {
        Some(mut n) => match n.opt_enum(
            "method",
            &["none", "truncation", "penalty", "truncation_with_penalty"],
        ) {
            Some("none") => InflowNonNegativity::None,
            Some("truncation") => InflowNonNegativity::Truncation,
            Some("truncation_with_penalty") => InflowNonNegativity::TruncationWithPenalty,
            _ => InflowNonNegativity::Penalty,
        },
        None => InflowNonNegativity::Penalty,
    };
    ModelingConfig {
        inflow_non_negativity,
        cost_scale_factor,
    }
}

fn estimation(root: &mut Obj<'_, '_>) -> EstimationConfig {
    let d = EstimationConfig::default();
    let Some(mut e) = root.opt_obj(
        "estimation",
        &[
            "max_coefficient_magnitude",
            "max_order",
            "min_observations_per_season",
            "order_selection",
        ],
    ) else {
        return d;
    };
    let m = e.opt_f64("max_coefficient_magnitude");
    EstimationConfig {
        max_order: e.opt_u32("max_order").unwrap_or(d.max_order),
        order_selection: match e.opt_enum("order_selection", &["pacf", "pacf_annual"]) {
            Some("pacf_annual") => OrderSelection::PacfAnnual,
            _ => OrderSelection::Pacf,
        },
        min_observations_per_season: e
            .opt_u32("min_observations_per_season")
            .unwrap_or(d.min_observations_per_season),
        max_coefficient_magnitude: e.min("max_coefficient_magnitude", m, 0.0, true),
    }
}

fn policy(root: &mut Obj<'_, '_>) -> PolicyConfig {
    let d = PolicyConfig::default();
    let Some(mut p) = root.opt_obj("policy", &["boundary", "checkpointing", "mode", "path"]) else {
        return d;
    };
    let mode = match p.opt_enum("mode", &["fresh", "warm_start", "resume"]) {
        Some("warm_start") => PolicyMode::WarmStart,
        Some("resume") => PolicyMode::Resume,
        _ => PolicyMode::Fresh,
    };
    let path = p.opt_str("path").map_or(d.path, str::to_string);
    refuse_if_present(
        &mut p,
        "boundary",
        Feature::BoundaryPolicy,
        "`policy.boundary`",
    );
    let mut checkpoint_interval = None;
    if let Some(mut c) = p.opt_obj(
        "checkpointing",
        &[
            "compress",
            "enabled",
            "initial_iteration",
            "interval_iterations",
            "store_basis",
        ],
    ) {
        let enabled = c.bool_or("enabled", false);
        let interval = c.opt_u32("interval_iterations");
        for key in ["compress", "initial_iteration", "store_basis"] {
            refuse_if_present(
                &mut c,
                key,
                Feature::CheckpointOptions,
                &format!("`checkpointing.{key}`"),
            );
        }
        if enabled {
            match interval {
                Some(0) | None => c.error(
                    FindingKind::OutOfRange,
                    "interval_iterations",
                    "checkpointing is enabled: `interval_iterations` must be ≥ 1",
                ),
                Some(n) => checkpoint_interval = Some(n),
            }
        }
    }
    PolicyConfig {
        mode,
        path,
        checkpoint_interval,
    }
}

fn exports(root: &mut Obj<'_, '_>) -> ExportsConfig {
    let Some(mut e) = root.opt_obj(
        "exports",
        &["fpha_deviation_points", "states", "stochastic"],
    ) else {
        return ExportsConfig::default();
    };
    ExportsConfig {
        states: e.bool_or("states", false),
        stochastic: e.bool_or("stochastic", false),
        fpha_deviation_points: e.bool_or("fpha_deviation_points", false),
    }
}

fn upper_bound_evaluation(root: &mut Obj<'_, '_>) {
    let Some(mut u) = root.opt_obj(
        "upper_bound_evaluation",
        &[
            "enabled",
            "initial_iteration",
            "interval_iterations",
            "lipschitz",
        ],
    ) else {
        return;
    };
    if u.bool_or("enabled", false) {
        let ctx = u.ctx("enabled");
        Feature::UpperBoundEvaluation.refuse(u.sink(), ctx, "`upper_bound_evaluation.enabled`");
    }
    u.opt_u32("initial_iteration");
    u.opt_u32("interval_iterations");
    if let Some(mut l) = u.opt_obj("lipschitz", &["fallback_value", "mode", "scale_factor"]) {
        l.opt_f64("fallback_value");
        l.opt_str("mode");
        l.opt_f64("scale_factor");
    }
}

/// Reads `config.json`.
pub(crate) fn read(files: &CaseFiles, sink: &mut Sink) -> Src<ConfigData> {
    read_json_root(
        files,
        FILE,
        sink,
        &[
            "estimation",
            "exports",
            "modeling",
            "policy",
            "simulation",
            "training",
            "upper_bound_evaluation",
        ],
        |mut root| {
            let training = training(&mut root);
            let simulation = simulation(&mut root);
            let modeling = modeling(&mut root);
            let estimation = estimation(&mut root);
            let policy = policy(&mut root);
            let exports = exports(&mut root);
            upper_bound_evaluation(&mut root);
            match training {
                Some((training, sampled_forward)) => Src::Read(ConfigData {
                    config: StudyConfig {
                        training,
                        simulation,
                        modeling,
                        estimation,
                        policy,
                        exports,
                    },
                    sampled_forward,
                }),
                None => Src::Failed,
            }
        },
    )
}
