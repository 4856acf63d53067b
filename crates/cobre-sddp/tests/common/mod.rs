//! Hand-built systems and settings shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use cobre_core::config::{
    EstimationConfig, ModelingConfig, PolicyConfig, ScenarioSourceConfig, SimulationConfig,
    StoppingMode, StoppingRuleConfig, TrainingConfig,
};
use cobre_core::hydro_models::EnergyProductivity;
use cobre_core::scenario::SeasonalStat;
use cobre_core::stage::{BlockMode, NoiseSamplingMethod, StateVariableFlags};
use cobre_core::{Block, BusId, HydroId, RiskMeasure, Stage, StageId, StudyConfig};

/// A monthly-like stage with the given block hours and openings.
pub fn stage(index: usize, hours: &[f64], openings: usize) -> Stage {
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(31 * index as u64);
    Stage {
        index,
        id: StageId(index as i32),
        start_date: start,
        end_date: start + chrono::Days::new(31),
        blocks: hours
            .iter()
            .enumerate()
            .map(|(k, &h)| Block {
                id: k as i32,
                name: format!("K{k}"),
                hours: h,
            })
            .collect(),
        block_mode: BlockMode::Parallel,
        season: None,
        num_openings: openings,
        risk_measure: RiskMeasure::Expectation,
        sampling_method: NoiseSamplingMethod::Saa,
        state_variables: StateVariableFlags::default(),
        annual_discount_rate_override: None,
    }
}

/// A study configuration with an iteration limit.
pub fn config(iterations: u32, forward_passes: u32) -> StudyConfig {
    StudyConfig {
        training: TrainingConfig {
            selection: cobre_core::config::SelectionMethod::Sampled,
            enabled: true,
            forward_passes,
            stopping_rules: vec![StoppingRuleConfig::IterationLimit { limit: iterations }],
            stopping_mode: StoppingMode::Any,
            tree_seed: None,
            scenario_source: ScenarioSourceConfig {
                seed: Some(7),
                ..ScenarioSourceConfig::default()
            },
            cut_selection: Default::default(),
            row_activity_tolerance: 0.0,
            max_active_per_stage: None,
            backward_scheduler: Default::default(),
        },
        simulation: SimulationConfig {
            selection: cobre_core::config::SelectionMethod::Sampled,
            enabled: true,
            num_scenarios: 10,
            scenario_source: None,
            io_channel_capacity: 8,
        },
        modeling: ModelingConfig {
            inflow_non_negativity: cobre_core::config::InflowNonNegativity::None,
            cost_scale_factor: None,
        },
        estimation: EstimationConfig::default(),
        policy: PolicyConfig::default(),
        exports: Default::default(),
    }
}

/// Inflow statistics row.
pub fn inflow(hydro: i32, stage: i32, mean: f64, std: f64) -> SeasonalStat<HydroId> {
    SeasonalStat {
        entity: HydroId(hydro),
        stage: StageId(stage),
        mean,
        std,
    }
}

/// Load statistics row.
pub fn load(bus: i32, stage: i32, mean: f64, std: f64) -> SeasonalStat<BusId> {
    SeasonalStat {
        entity: BusId(bus),
        stage: StageId(stage),
        mean,
        std,
    }
}

/// Relative error.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

/// The study of `system` under `cfg`, trained with the settings `cfg` gives.
pub fn train_study(
    system: &cobre_core::System,
    cfg: &StudyConfig,
) -> (cobre_sddp::StudyModel, cobre_sddp::TrainingResult) {
    let study = cobre_sddp::StudyModel::build(system, cfg).unwrap();
    let settings = cobre_sddp::TrainingSettings::from_config(cfg);
    let r = cobre_sddp::train(&study, &settings, cobre_sddp::TrainingHooks::default()).unwrap();
    (study, r)
}

/// Lower bound after three iterations of one forward pass (for the
/// deterministic closed-form cases).
pub fn lower_bound(system: &cobre_core::System) -> f64 {
    train_study(system, &config(3, 1)).1.lower_bound()
}

/// Constant productivity `rho` (MW per m³/s) of hydro `h` at every stage.
pub fn productivity(h: i32, rho: f64) -> EnergyProductivity {
    EnergyProductivity {
        hydro: HydroId(h),
        stage: None,
        equivalent_productivity: Some(rho),
        reference_outflow_m3s: None,
        specific_productivity: None,
    }
}

/// A small stochastic system: two buses joined by a line, a two-plant
/// cascade, three thermals, `stages` stages with `openings` openings, white
/// noise inflows (std 30 % of the mean) and a stochastic load.
pub fn stochastic_system(stages: usize, openings: usize) -> cobre_core::System {
    stochastic_system_with_risk(stages, openings, RiskMeasure::Expectation)
}

/// [`stochastic_system`] with the given risk measure at every stage.
pub fn stochastic_system_with_risk(
    stages: usize,
    openings: usize,
    risk: RiskMeasure,
) -> cobre_core::System {
    use cobre_core::initial::InitialStorage;
    use cobre_core::testing::{bus, hydro, line, thermal};
    use cobre_core::SystemParts;
    let mut parts = SystemParts {
        buses: vec![bus(0, 1000.0), bus(1, 1000.0)],
        lines: vec![line(0, 0, 1, 30.0)],
        thermals: vec![
            thermal(0, 0, 20.0, 50.0),
            thermal(1, 1, 20.0, 120.0),
            thermal(2, 0, 40.0, 300.0),
        ],
        hydros: vec![
            hydro(0, 0, Some(1), 150.0, 40.0),
            hydro(1, 1, None, 100.0, 50.0),
        ],
        ..SystemParts::default()
    };
    parts.horizon.stages = (0..stages)
        .map(|t| Stage {
            risk_measure: risk,
            ..stage(t, &[730.0], openings)
        })
        .collect();
    for t in 0..stages as i32 {
        let season = 1.0 + 0.5 * f64::from(t % 3);
        parts
            .scenarios
            .inflow_stats
            .push(inflow(0, t, 20.0 * season, 6.0 * season));
        parts
            .scenarios
            .inflow_stats
            .push(inflow(1, t, 10.0 * season, 3.0 * season));
        parts.scenarios.load_stats.push(load(0, t, 60.0, 5.0));
        parts.scenarios.load_stats.push(load(1, t, 40.0, 0.0));
    }
    parts.initial_conditions.storage = vec![
        InitialStorage {
            hydro: HydroId(0),
            value_hm3: 60.0,
        },
        InitialStorage {
            hydro: HydroId(1),
            value_hm3: 30.0,
        },
    ];
    cobre_core::System::new(parts).unwrap()
}

/// Solves `min cost·x` over `lower ≤ x ≤ upper`, `row_lower ≤ A x ≤ row_upper`,
/// with `A` given as `(row, column, value)` triplets (any order), and returns
/// the optimal objective. For the extensive forms the tests build.
pub fn solve_triplets(
    cost: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    row_lower: Vec<f64>,
    row_upper: Vec<f64>,
    mut triplets: Vec<(usize, usize, f64)>,
) -> f64 {
    use cobre_solver::{HighsSolver, LpModel, LpSolver};
    triplets.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let n = cost.len();
    let mut a_start = vec![0; n + 1];
    let (mut a_index, mut a_value) = (vec![], vec![]);
    let mut k = 0;
    for j in 0..n {
        while k < triplets.len() && triplets[k].1 == j {
            a_index.push(triplets[k].0);
            a_value.push(triplets[k].2);
            k += 1;
        }
        a_start[j + 1] = a_index.len();
    }
    let model = LpModel {
        num_cols: n,
        num_rows: row_lower.len(),
        col_cost: cost,
        col_lower: lower,
        col_upper: upper,
        row_lower,
        row_upper,
        a_start,
        a_index,
        a_value,
        objective_offset: 0.0,
    };
    let mut lp = HighsSolver::new().unwrap();
    lp.load_model(&model).unwrap();
    lp.solve().unwrap();
    lp.objective_value()
}

/// A d02-like system over three stages arranged as a policy-graph tree: a
/// trunk of two nodes (external inflow scenario 0 at stages 0 and 1: 40 and
/// 30 m³/s) and a fan of two leaves at stage 2 (scenario 0: 10 m³/s with
/// probability 0.3, scenario 1: 60 m³/s with 0.7). One reservoir (200 hm³,
/// 50 m³/s turbine, productivity 1, 100 hm³ at the start), a 100 MW thermal
/// at 50 $/MWh, 80 MW of load, deficit at 1000 $/MWh.
pub fn tree_system() -> cobre_core::System {
    use cobre_core::initial::InitialStorage;
    use cobre_core::scenario::ExternalValue;
    use cobre_core::testing::{bus, hydro, thermal};
    use cobre_core::{GraphNode, GraphTransition, SystemParts};
    let mut parts = SystemParts {
        buses: vec![bus(0, 1000.0)],
        thermals: vec![thermal(0, 0, 100.0, 50.0)],
        hydros: vec![hydro(0, 0, None, 200.0, 50.0)],
        ..SystemParts::default()
    };
    parts.horizon.stages = (0..3).map(|t| stage(t, &[730.0], 1)).collect();
    for t in 0..3 {
        parts.scenarios.load_stats.push(load(0, t, 80.0, 0.0));
        parts.scenarios.inflow_stats.push(inflow(0, t, 40.0, 10.0));
    }
    let ext = |stage: i32, scenario: u32, value: f64| ExternalValue {
        stage: StageId(stage),
        scenario,
        entity: HydroId(0),
        value,
    };
    parts.scenarios.external_inflows = vec![
        ext(0, 0, 40.0),
        ext(1, 0, 30.0),
        ext(2, 0, 10.0),
        ext(2, 1, 60.0),
    ];
    let node = |id: i32, stage: usize, scenario: u32| GraphNode {
        id,
        stage,
        scenario: Some(scenario),
        label: None,
    };
    let edge = |source: i32, target: i32, probability: f64| GraphTransition {
        source,
        target,
        probability,
    };
    parts.horizon.policy_graph.nodes =
        vec![node(0, 0, 0), node(1, 1, 0), node(2, 2, 0), node(3, 2, 1)];
    parts.horizon.policy_graph.transitions =
        vec![edge(0, 1, 1.0), edge(1, 2, 0.3), edge(1, 3, 0.7)];
    parts.initial_conditions.storage = vec![InitialStorage {
        hydro: HydroId(0),
        value_hm3: 100.0,
    }];
    cobre_core::System::new(parts).unwrap()
}

/// Settings of [`tree_system`]: external inflows, enumerated training
/// stopped by the gap rule (or 30 iterations), enumerated simulation.
pub fn tree_config() -> StudyConfig {
    let mut cfg = config(30, 1);
    cfg.training.selection = cobre_core::config::SelectionMethod::Enumerated;
    cfg.training.scenario_source.inflow = cobre_core::config::SamplingScheme::External;
    cfg.training.stopping_rules = vec![
        StoppingRuleConfig::Gap {
            tolerance: None,
            relative_tolerance: Some(1e-7),
        },
        StoppingRuleConfig::IterationLimit { limit: 30 },
    ];
    cfg.simulation.selection = cobre_core::config::SelectionMethod::Enumerated;
    cfg
}

/// The extensive form of [`tree_system`] (every node's LP at once, costs
/// weighted by the probability of reaching the node), solved as one LP ($).
pub fn tree_extensive_form() -> f64 {
    // Per node n: v (end storage), q, s, g (thermal), d (deficit), e (excess).
    // Nodes: 0 → 1 → {2 (p 0.3, z 10), 3 (p 0.7, z 60)}; z0 = 40, z1 = 30.
    let nodes = [
        (None, 40.0, 1.0),
        (Some(0), 30.0, 1.0),
        (Some(1), 10.0, 0.3),
        (Some(1), 60.0, 0.7),
    ];
    let c = 0.0036 * 730.0;
    let (mut cost, mut lo, mut up) = (vec![], vec![], vec![]);
    let (mut rl, mut ru, mut tr) = (vec![], vec![], vec![]);
    for (n, &(parent, z, p)) in nodes.iter().enumerate() {
        let base = n * 6;
        // v, q, s, g, d, e
        cost.extend([0.0, 0.0, 0.0, p * 50.0 * 730.0, p * 1000.0 * 730.0, 0.0]);
        lo.extend([0.0; 6]);
        up.extend([
            200.0,
            50.0,
            f64::INFINITY,
            100.0,
            f64::INFINITY,
            f64::INFINITY,
        ]);
        // Water: v − v_parent + c·q + c·s = c·z (+ 100 at the root).
        let row = rl.len();
        let v0 = if parent.is_none() { 100.0 } else { 0.0 };
        rl.push(c * z + v0);
        ru.push(c * z + v0);
        tr.extend([(row, base, 1.0), (row, base + 1, c), (row, base + 2, c)]);
        if let Some(par) = parent {
            tr.push((row, par * 6, -1.0));
        }
        // Load: q + g + d − e = 80.
        let row = rl.len();
        rl.push(80.0);
        ru.push(80.0);
        tr.extend([
            (row, base + 1, 1.0),
            (row, base + 3, 1.0),
            (row, base + 4, 1.0),
            (row, base + 5, -1.0),
        ]);
    }
    solve_triplets(cost, lo, up, rl, ru, tr)
}

/// [`stochastic_system`] over four stages (three openings each) arranged as
/// a policy graph whose nodes realise their stage's openings: root 0;
/// nodes 1 (p 0.4) and 2 (p 0.6) at stage 1; node 3 (reached from 1 and 2)
/// and node 4 (from 2) at stage 2; leaves 5 and 6 at stage 3. Node 3 has
/// two parents: a graph for sampled training.
pub fn graph_system() -> cobre_core::System {
    use cobre_core::{GraphNode, GraphTransition};
    let base = stochastic_system(4, 3);
    let mut parts = cobre_core::SystemParts {
        buses: base.buses().to_vec(),
        lines: base.lines().to_vec(),
        thermals: base.thermals().to_vec(),
        hydros: base.hydros().to_vec(),
        horizon: base.horizon().clone(),
        scenarios: base.scenarios().clone(),
        initial_conditions: base.initial_conditions().clone(),
        ..cobre_core::SystemParts::default()
    };
    let node = |id: i32, stage: usize| GraphNode {
        id,
        stage,
        scenario: None,
        label: None,
    };
    let edge = |source: i32, target: i32, probability: f64| GraphTransition {
        source,
        target,
        probability,
    };
    let g = &mut parts.horizon.policy_graph;
    g.nodes = vec![
        node(0, 0),
        node(1, 1),
        node(2, 1),
        node(3, 2),
        node(4, 2),
        node(5, 3),
        node(6, 3),
    ];
    g.transitions = vec![
        edge(0, 1, 0.4),
        edge(0, 2, 0.6),
        edge(1, 3, 1.0),
        edge(2, 3, 0.5),
        edge(2, 4, 0.5),
        edge(3, 5, 0.3),
        edge(3, 6, 0.7),
        edge(4, 6, 1.0),
    ];
    cobre_core::System::new(parts).unwrap()
}

/// Objective and state slopes (the cut coefficients) of a stage's folded
/// LP under `patch`, solved from a cold start with `options`.
pub fn solve_folded(
    tpl: &cobre_sddp::lp::StageTemplate,
    patch: &cobre_sddp::lp::StagePatch,
    options: cobre_solver::SolverOptions,
) -> (f64, Vec<f64>) {
    use cobre_solver::LpSolver;
    let mut lp = cobre_solver::HighsSolver::with_options(options).unwrap();
    lp.load_model(&tpl.model).unwrap();
    patch.apply(&mut lp).unwrap();
    lp.solve().unwrap();
    let mut y = vec![0.0; lp.num_rows()];
    lp.row_duals_into(&mut y);
    let mut slopes = vec![0.0; tpl.layout.state_in_cols.len()];
    tpl.fold.slopes_into(&tpl.model.col_cost, &y, &mut slopes);
    (lp.objective_value(), slopes)
}
