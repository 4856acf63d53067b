//! Shared test (and benchmark) fixtures: small LPs written row-wise, and a
//! generator of stage-like hydrothermal LPs.

#![allow(dead_code, clippy::unwrap_used)]

use cobre_solver::{HighsSolver, LpModel, LpSolver, RowBatch, SolveStatus, SolverError};

/// A row `lower <= sum coef * x[col] <= upper`.
pub type Row = (f64, f64, Vec<(usize, f64)>);

/// Builds a column-wise model from rows written row-wise.
pub fn model_from_rows(
    cost: &[f64],
    col_lower: &[f64],
    col_upper: &[f64],
    rows: &[Row],
) -> LpModel {
    let n = cost.len();
    let mut per_col: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for (r, (_, _, coefs)) in rows.iter().enumerate() {
        for &(c, v) in coefs {
            per_col[c].push((r, v));
        }
    }
    let mut a_start = vec![0];
    let (mut a_index, mut a_value) = (Vec::new(), Vec::new());
    for col in &per_col {
        for &(r, v) in col {
            a_index.push(r);
            a_value.push(v);
        }
        a_start.push(a_index.len());
    }
    LpModel {
        num_cols: n,
        num_rows: rows.len(),
        col_cost: cost.to_vec(),
        col_lower: col_lower.to_vec(),
        col_upper: col_upper.to_vec(),
        row_lower: rows.iter().map(|r| r.0).collect(),
        row_upper: rows.iter().map(|r| r.1).collect(),
        a_start,
        a_index,
        a_value,
        objective_offset: 0.0,
    }
}

/// A new solver with `model` loaded.
pub fn loaded(model: &LpModel) -> HighsSolver {
    let mut lp = HighsSolver::new().unwrap();
    lp.load_model(model).unwrap();
    lp
}

/// What the last solve of a solver returned.
pub struct Solution {
    /// Objective value.
    pub obj: f64,
    /// Primal values.
    pub x: Vec<f64>,
    /// Row duals.
    pub y: Vec<f64>,
    /// Reduced costs.
    pub d: Vec<f64>,
    /// Row activities.
    pub ax: Vec<f64>,
}

/// Reads the solution of `lp`'s last solve.
pub fn read_solution(lp: &HighsSolver) -> Solution {
    let mut x = vec![0.0; lp.num_cols()];
    let mut d = vec![0.0; lp.num_cols()];
    let mut y = vec![0.0; lp.num_rows()];
    let mut ax = vec![0.0; lp.num_rows()];
    lp.primal_into(&mut x);
    lp.reduced_costs_into(&mut d);
    lp.row_duals_into(&mut y);
    lp.row_activity_into(&mut ax);
    Solution {
        obj: lp.objective_value(),
        x,
        y,
        d,
        ax,
    }
}

/// The variant of a failed solve that records a cold retry, as its status,
/// with whether the cold retry happened; `None` for any other error.
pub fn retried_failure(err: &SolverError) -> Option<(SolveStatus, bool)> {
    match *err {
        SolverError::Infeasible { retried_cold, .. } => {
            Some((SolveStatus::Infeasible, retried_cold))
        }
        SolverError::Unbounded { retried_cold, .. } => Some((SolveStatus::Unbounded, retried_cold)),
        SolverError::InfeasibleOrUnbounded { retried_cold, .. } => {
            Some((SolveStatus::InfeasibleOrUnbounded, retried_cold))
        }
        SolverError::IterationLimit { retried_cold, .. } => {
            Some((SolveStatus::IterationLimit, retried_cold))
        }
        _ => None,
    }
}

/// A small deterministic pseudo-random generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * u
    }
}

/// A stage LP of a hydrothermal dispatch, shaped like an SDDP stage:
/// water balances (RHS = inflow), state-fixing rows `v_in = v_hat`,
/// piecewise production functions, bus balances with deficit, lines, and a
/// future-cost variable `theta` that cuts bound from below.
pub struct StageLp {
    pub model: LpModel,
    /// Water-balance rows (their RHS is the inflow).
    pub balance_rows: Vec<usize>,
    /// Rows fixing the incoming storage, `v_in[h] = v_hat[h]`.
    pub fix_rows: Vec<usize>,
    /// Outgoing-storage columns (the state the cuts are written in).
    pub storage_cols: Vec<usize>,
    /// Incoming-storage columns.
    pub v_in_cols: Vec<usize>,
    /// The future-cost column.
    pub theta_col: usize,
    pub base_inflow: Vec<f64>,
    pub base_v_hat: Vec<f64>,
    pub max_storage: Vec<f64>,
}

const BLOCK_HOURS: [f64; 3] = [0.25, 0.45, 0.30];
const PLANES: usize = 3;
const BUSES: usize = 20;
const LINES: usize = 40;

/// Builds a stage LP with `hydros` plants (three load blocks, three
/// production-function planes each) and `thermals` thermal units.
/// `stage_lp(80, 300, seed)` has 940 rows and 1,961 columns.
pub fn stage_lp(hydros: usize, thermals: usize, seed: u64) -> StageLp {
    let mut rng = Rng::new(seed);
    let k_blocks = BLOCK_HOURS.len();
    let mut cost = Vec::new();
    let mut lo = Vec::new();
    let mut up = Vec::new();
    let mut add_col = |c: f64, l: f64, u: f64| {
        cost.push(c);
        lo.push(l);
        up.push(u);
        cost.len() - 1
    };
    let mut max_storage = Vec::new();
    let mut v = Vec::new();
    let mut v_in = Vec::new();
    let mut q = Vec::new();
    let mut s = Vec::new();
    let mut g = Vec::new();
    let mut q_max = Vec::new();
    for _ in 0..hydros {
        let vmax = rng.uniform(500.0, 5000.0);
        max_storage.push(vmax);
        v.push(add_col(0.0, 0.0, vmax));
        v_in.push(add_col(0.0, 0.0, f64::INFINITY));
        let qm = rng.uniform(100.0, 2000.0);
        q_max.push(qm);
        q.push(
            (0..k_blocks)
                .map(|_| add_col(0.0, 0.0, qm))
                .collect::<Vec<_>>(),
        );
        s.push(
            (0..k_blocks)
                .map(|_| add_col(0.01, 0.0, f64::INFINITY))
                .collect::<Vec<_>>(),
        );
        g.push(
            (0..k_blocks)
                .map(|_| add_col(0.0, 0.0, f64::INFINITY))
                .collect::<Vec<_>>(),
        );
    }
    let mut tg = Vec::new();
    let mut t_bus = Vec::new();
    for t in 0..thermals {
        let c = rng.uniform(20.0, 800.0);
        let gmax = rng.uniform(50.0, 600.0);
        t_bus.push(t % BUSES);
        tg.push(
            BLOCK_HOURS
                .iter()
                .map(|d| add_col(c * d, 0.0, gmax))
                .collect::<Vec<_>>(),
        );
    }
    let deficit: Vec<Vec<usize>> = (0..BUSES)
        .map(|_| {
            BLOCK_HOURS
                .iter()
                .map(|d| add_col(5000.0 * d, 0.0, f64::INFINITY))
                .collect()
        })
        .collect();
    let mut line_ends = Vec::new();
    let flows: Vec<Vec<usize>> = (0..LINES)
        .map(|l| {
            let a = l % BUSES;
            let b = (l * 7 + 3) % BUSES;
            let b = if a == b { (b + 1) % BUSES } else { b };
            line_ends.push((a, b));
            let cap = rng.uniform(200.0, 1500.0);
            BLOCK_HOURS
                .iter()
                .map(|_| add_col(0.0, -cap, cap))
                .collect()
        })
        .collect();
    let theta = add_col(1.0, 0.0, f64::INFINITY);

    let mut rows: Vec<Row> = Vec::new();
    let mut balance_rows = Vec::new();
    let mut fix_rows = Vec::new();
    let mut base_inflow = Vec::new();
    let mut base_v_hat = Vec::new();
    let zeta = 2.6;
    for h in 0..hydros {
        let inflow = rng.uniform(50.0, 800.0);
        base_inflow.push(inflow);
        let mut coefs = vec![(v[h], 1.0), (v_in[h], -1.0)];
        for (k, d) in BLOCK_HOURS.iter().enumerate() {
            coefs.push((q[h][k], zeta * d));
            coefs.push((s[h][k], zeta * d));
            if h % 5 != 0 {
                coefs.push((q[h - 1][k], -zeta * d));
                coefs.push((s[h - 1][k], -zeta * d));
            }
        }
        balance_rows.push(rows.len());
        rows.push((inflow, inflow, coefs));
    }
    for h in 0..hydros {
        let v_hat = rng.uniform(0.2, 0.9) * max_storage[h];
        base_v_hat.push(v_hat);
        fix_rows.push(rows.len());
        rows.push((v_hat, v_hat, vec![(v_in[h], 1.0)]));
    }
    for h in 0..hydros {
        let rho = rng.uniform(0.5, 1.5);
        for k in 0..k_blocks {
            for p in 0..PLANES {
                // g <= a v + b q + c : concave envelope in (v, q)
                let a = rho * 0.02 / (p as f64 + 1.0);
                let b = rho * (1.0 - 0.15 * p as f64);
                let c = rho * 40.0 * p as f64;
                rows.push((
                    f64::NEG_INFINITY,
                    c,
                    vec![(g[h][k], 1.0), (v[h], -a), (q[h][k], -b)],
                ));
            }
        }
    }
    for (bus, bus_deficit) in deficit.iter().enumerate() {
        for (k, d) in BLOCK_HOURS.iter().enumerate() {
            let demand = rng.uniform(500.0, 3000.0) * d * 4.0;
            let mut coefs = vec![(bus_deficit[k], 1.0)];
            for h in (bus..hydros).step_by(BUSES) {
                coefs.push((g[h][k], 1.0));
            }
            for (t, &tb) in t_bus.iter().enumerate() {
                if tb == bus {
                    coefs.push((tg[t][k], 1.0));
                }
            }
            for (l, &(a, b)) in line_ends.iter().enumerate() {
                if a == bus {
                    coefs.push((flows[l][k], -1.0));
                } else if b == bus {
                    coefs.push((flows[l][k], 1.0));
                }
            }
            rows.push((demand, demand, coefs));
        }
    }
    StageLp {
        model: model_from_rows(&cost, &lo, &up, &rows),
        balance_rows,
        fix_rows,
        storage_cols: v,
        v_in_cols: v_in,
        theta_col: theta,
        base_inflow,
        base_v_hat,
        max_storage,
    }
}

impl StageLp {
    /// Inflows scaled by random factors in `[0.5, 1.5)`.
    pub fn inflow_scenario(&self, rng: &mut Rng, out: &mut Vec<f64>) {
        out.clear();
        out.extend(self.base_inflow.iter().map(|i| i * rng.uniform(0.5, 1.5)));
    }

    /// Appends `n` cuts `theta >= alpha + sum beta_h (v_h - v_ref_h)` with
    /// nonpositive slopes to `batch` (cleared first).
    pub fn random_cuts(&self, rng: &mut Rng, n: usize, batch: &mut RowBatch) {
        batch.clear();
        let mut coefs = Vec::with_capacity(self.storage_cols.len() + 1);
        for _ in 0..n {
            coefs.clear();
            coefs.push((self.theta_col, 1.0));
            let mut alpha = rng.uniform(1.0e5, 5.0e5);
            for (h, &col) in self.storage_cols.iter().enumerate() {
                let beta = -rng.uniform(0.0, 40.0);
                let v_ref = 0.5 * self.max_storage[h];
                alpha -= beta * v_ref;
                coefs.push((col, -beta));
            }
            batch.push_row(alpha, f64::INFINITY, &coefs);
        }
    }

    /// Appends `n` SDDP-like cuts through the neighbourhood of a trial
    /// point, `theta >= theta_at + delta + sum beta_h (v_h - storage_h)`,
    /// each violated at the point by `delta` in `[100, 2000)`, with slopes
    /// in `(-40, 0]` (cleared first).
    pub fn cuts_near(
        &self,
        storage: &[f64],
        theta_at: f64,
        rng: &mut Rng,
        n: usize,
        batch: &mut RowBatch,
    ) {
        batch.clear();
        let mut coefs = Vec::with_capacity(self.storage_cols.len() + 1);
        for _ in 0..n {
            coefs.clear();
            coefs.push((self.theta_col, 1.0));
            let mut rhs = theta_at + rng.uniform(100.0, 2000.0);
            for (h, &col) in self.storage_cols.iter().enumerate() {
                let beta = -rng.uniform(0.0, 40.0);
                rhs -= beta * storage[h];
                coefs.push((col, -beta));
            }
            batch.push_row(rhs, f64::INFINITY, &coefs);
        }
    }
}
