//! The rows one solved stage of a simulated scenario adds to its results:
//! its costs, then per block the hydros, thermals, buses, pumping stations,
//! unit cells and lines.

use crate::lp::{CostCategory, SlackKind, StageTemplate};
use crate::study::StudyModel;
use cobre_core::records::ScenarioResult;

/// A solved stage LP of a simulated scenario, read for its records.
pub(super) struct SolvedStage<'a> {
    pub(super) study: &'a StudyModel,
    pub(super) tpl: &'a StageTemplate,
    /// Id of the stage.
    pub(super) stage_id: i32,
    /// Primal values of the solve (scaled).
    pub(super) primal: &'a [f64],
    /// Row duals of the solve (scaled).
    pub(super) duals: &'a [f64],
    /// Derivative of the objective in each incoming state component
    /// (scaled; [`crate::workspace::Worker::read_state_duals`]).
    pub(super) state_duals: &'a [f64],
    /// Incoming state.
    pub(super) x_in: &'a [f64],
    /// Realised inflow of every hydro (m³/s).
    pub(super) inflow: &'a [f64],
    /// Right-hand sides of the patched LP (the loads are among them).
    pub(super) rhs: &'a [f64],
}

impl SolvedStage<'_> {
    /// Appends the stage's cost row (objective `obj`, discount factor
    /// `discount`) and every block's entity rows to `res`.
    pub(super) fn record(&self, res: &mut ScenarioResult, obj: f64, discount: f64) {
        self.costs(res, obj, discount);
        self.hydros(res);
        self.thermals(res);
        self.buses(res);
        self.pumping(res);
        self.cells(res);
        self.lines(res);
    }

    /// Calls `row(k, block, e)` for every block `k` of the stage (`block`
    /// its number as written) and every entity `e < n`, block-major: the
    /// row order of the entity tables.
    fn each_row(&self, n: usize, mut row: impl FnMut(usize, u32, usize)) {
        for k in 0..self.tpl.layout.n_blocks {
            let block = u32::try_from(k).unwrap_or(u32::MAX);
            for e in 0..n {
                row(k, block, e);
            }
        }
    }

    fn costs(&self, res: &mut ScenarioResult, obj: f64, discount: f64) {
        let tpl = self.tpl;
        let k_scale = tpl.cost_scale;
        let p = self.primal;
        let theta = p.get(tpl.layout.theta).copied().unwrap_or(0.0);
        let immediate = (obj - tpl.discount * theta) * k_scale;
        let mut by_cat = [0.0; CostCategory::COUNT];
        for (j, cat) in tpl.layout.col_category.iter().enumerate() {
            if let (Some(c), Some(x)) = (tpl.model.col_cost.get(j), p.get(j)) {
                by_cat[*cat as usize] += c * x * k_scale;
            }
        }
        res.costs
            .push(self.stage_id, immediate, theta * k_scale, discount, &by_cat);
        res.total_cost += discount * immediate;
    }

    fn hydros(&self, res: &mut ScenarioResult) {
        let layout = &self.tpl.layout;
        let p = self.primal;
        let hy = &mut res.hydros;
        self.each_row(layout.n_hydros, |k, block, h| {
            let q = p[layout.turbined_col(k, h)];
            let s = p[layout.spillage_col(k, h)];
            hy.stage_id.push(self.stage_id);
            hy.block.push(block);
            hy.hydro_id
                .push(self.study.ids.hydros.get(h).copied().unwrap_or(0));
            hy.storage_initial_hm3.push(self.x_in[h]);
            hy.storage_final_hm3.push(p[layout.storage.at(h)]);
            hy.inflow_m3s
                .push(self.inflow.get(h).copied().unwrap_or(f64::NAN));
            hy.turbined_m3s.push(q);
            hy.spillage_m3s.push(s);
            hy.outflow_m3s.push(q + s);
            hy.diverted_m3s
                .push(layout.diversion_col(k, h).map_or(0.0, |c| p[c]));
            hy.generation_mw.push(layout.hydro_generation(p, k, h));
            hy.water_value_per_hm3
                .push(self.state_duals.get(h).copied().unwrap_or(f64::NAN) * self.tpl.cost_scale);
            let col = |c: Option<usize>| c.and_then(|c| p.get(c)).copied().unwrap_or(0.0);
            let at = |r: &crate::lp::IndexRange| (!r.is_empty()).then(|| r.at(h));
            let evaporation = layout.evaporation.get(h).copied().flatten();
            let evaporation_slack = layout.evaporation_slack.get(h).copied().flatten();
            hy.evaporation_m3s.push(col(evaporation));
            hy.evaporation_violation_neg_m3s
                .push(col(evaporation_slack.map(|(under, _)| under)));
            hy.evaporation_violation_pos_m3s
                .push(col(evaporation_slack.map(|(_, over)| over)));
            hy.inflow_nonnegativity_slack_m3s
                .push(col(at(&layout.inflow_slack)));
            hy.water_withdrawal_violation_neg_m3s
                .push(col(at(&layout.withdrawal_under)));
            hy.water_withdrawal_violation_pos_m3s
                .push(col(at(&layout.withdrawal_over)));
        });
        // Soft-bound violations: zero, then each slack added to its row
        // (a plant on several buses has one per cell).
        let first = hy.turbined_slack_m3s.len();
        let rows = layout.n_blocks * layout.n_hydros;
        for v in [
            &mut hy.turbined_slack_m3s,
            &mut hy.outflow_slack_below_m3s,
            &mut hy.outflow_slack_above_m3s,
            &mut hy.generation_slack_mw,
        ] {
            v.resize(first + rows, 0.0);
        }
        for sb in &layout.soft_bounds {
            let target = match sb.kind {
                SlackKind::TurbinedBelow => &mut hy.turbined_slack_m3s,
                SlackKind::OutflowBelow => &mut hy.outflow_slack_below_m3s,
                SlackKind::OutflowAbove => &mut hy.outflow_slack_above_m3s,
                SlackKind::GenerationBelow => &mut hy.generation_slack_mw,
            };
            if let Some(x) = target.get_mut(first + sb.block * layout.n_hydros + sb.hydro) {
                *x += p.get(sb.col).copied().unwrap_or(0.0);
            }
        }
    }

    fn thermals(&self, res: &mut ScenarioResult) {
        let layout = &self.tpl.layout;
        let p = self.primal;
        let th = &mut res.thermals;
        self.each_row(layout.n_thermals, |k, block, j| {
            let col = layout.thermal_col(k, j);
            th.stage_id.push(self.stage_id);
            th.block.push(block);
            th.thermal_id
                .push(self.study.ids.thermals.get(j).copied().unwrap_or(0));
            th.generation_mw.push(p[col]);
            th.generation_cost
                .push(self.tpl.model.col_cost[col] * p[col] * self.tpl.cost_scale);
        });
    }

    fn buses(&self, res: &mut ScenarioResult) {
        let layout = &self.tpl.layout;
        let (p, d) = (self.primal, self.duals);
        let bu = &mut res.buses;
        self.each_row(layout.n_buses, |k, block, b| {
            let hours = layout.block_hours.get(k).copied().unwrap_or(1.0);
            let row = layout.load_row(k, b);
            bu.stage_id.push(self.stage_id);
            bu.block.push(block);
            bu.bus_id
                .push(self.study.ids.buses.get(b).copied().unwrap_or(0));
            bu.load_mw.push(self.rhs.get(row).copied().unwrap_or(0.0));
            bu.deficit_mw
                .push(layout.deficit_cols(k, b).map(|c| p[c]).sum());
            bu.excess_mw.push(p[layout.excess_col(k, b)]);
            bu.marginal_cost.push(d[row] * self.tpl.cost_scale / hours);
        });
    }

    fn pumping(&self, res: &mut ScenarioResult) {
        let layout = &self.tpl.layout;
        let pu = &mut res.pumping;
        self.each_row(layout.n_pumping, |k, block, j| {
            let flow = self
                .primal
                .get(layout.pumping_col(k, j))
                .copied()
                .unwrap_or(0.0);
            let gamma = self
                .study
                .pumping_consumption
                .get(j)
                .copied()
                .unwrap_or(0.0);
            pu.stage_id.push(self.stage_id);
            pu.block.push(block);
            pu.station_id
                .push(self.study.ids.pumping.get(j).copied().unwrap_or(0));
            pu.pumped_m3s.push(flow);
            pu.power_mw.push(gamma * flow);
        });
    }

    fn cells(&self, res: &mut ScenarioResult) {
        let layout = &self.tpl.layout;
        let p = self.primal;
        let ce = &mut res.cells;
        self.each_row(layout.cells.len(), |k, block, i| {
            let c = &layout.cells[i];
            ce.stage_id.push(self.stage_id);
            ce.block.push(block);
            ce.hydro_id
                .push(self.study.ids.hydros.get(c.hydro).copied().unwrap_or(0));
            ce.bus_id.push(c.bus_id);
            ce.turbined_m3s
                .push(p.get(c.turbined.at(k)).copied().unwrap_or(0.0));
            ce.generation_mw.push(layout.cell_generation(p, k, c));
        });
    }

    fn lines(&self, res: &mut ScenarioResult) {
        let layout = &self.tpl.layout;
        let p = self.primal;
        let li = &mut res.lines;
        self.each_row(layout.n_lines, |k, block, l| {
            let (fp, fm) = layout.flow_cols(k, l);
            li.stage_id.push(self.stage_id);
            li.block.push(block);
            li.line_id
                .push(self.study.ids.lines.get(l).copied().unwrap_or(0));
            li.direct_mw.push(p[fp]);
            li.reverse_mw.push(p[fm]);
            li.net_mw.push(p[fp] - p[fm]);
        });
    }
}
