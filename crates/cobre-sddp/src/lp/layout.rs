//! The column and row layout of a stage LP: named index ranges, so results
//! can be read per entity and the state prefix is one contiguous slice.
//!
//! Columns, in order:
//!
//! | range | count | meaning |
//! |---|---|---|
//! | `storage` | N | outgoing storage `v_h` (hm³), state |
//! | `lags` | N·L | incoming inflow lags `a_{h,l}` (m³/s), fixed to the incoming state, index `h·L + l − 1` |
//! | `inflow` | N | stage inflow `z_h` (m³/s), free |
//! | `storage_in` | N | incoming storage `v_in_h` (hm³), fixed to the incoming state |
//! | `theta` | 1 | future cost θ (scaled $) |
//! | family columns | … | per block `k`, block-major: `k·n + i` |
//!
//! The incoming state is not a set of rows: its columns (`storage_in`,
//! `lags`) are fixed by their bounds to the incoming values, and the cut
//! coefficients are their reduced costs in the LP as formulated (plus, for
//! the lags, the part of the cut rows folded into their bounds, below).
//! The solver's copy has these columns empty, their entries moved into the
//! row bounds at each solve ([`super::StateFold`]).
//!
//! Rows, in order: `inflow_def` (N, `z_h − Σ ψ a = base + σ η`),
//! `load_balance` (K·B, block-major), `water_balance` (N), then the soft
//! bound rows, then the appended cut rows from `num_template_rows` on.
//! The per-solve patch is the contiguous row prefix `0..patch_len()`
//! (inflow and load right-hand sides), the bounds of the incoming-state
//! columns and of the rows their entries were folded out of, the bounds
//! of the non-controllable generation columns (availability) and, when some outgoing state component is an incoming
//! one (lag `l ≥ 2` is the incoming lag `l − 1`), the lower bounds of the
//! cut rows: a cut row holds only the components the stage decides
//! (storage, lag 1 = the stage inflow); the others are constants of the
//! solve, folded into the row's bound (`carried_state`). Cut rows are
//! then 2·N + 1 entries long instead of N·(1 + L) + 1.

use super::builder::IndexRange;

/// What a soft-bound slack relaxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlackKind {
    /// Turbined flow below its minimum (m³/s).
    TurbinedBelow,
    /// Generation below its minimum (MW).
    GenerationBelow,
    /// Outflow below its minimum (m³/s).
    OutflowBelow,
    /// Outflow above its maximum (m³/s).
    OutflowAbove,
}

/// One soft-bound slack column and the row it relaxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftBound {
    /// Kind of bound.
    pub kind: SlackKind,
    /// Hydro position.
    pub hydro: usize,
    /// Block index.
    pub block: usize,
    /// Slack column.
    pub col: usize,
    /// Constraint row.
    pub row: usize,
}

pub use cobre_core::records::CostCategory;

/// The turbines of one plant on one bus (its unit groups there), for a
/// plant whose groups sit on several buses.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Hydro position.
    pub hydro: usize,
    /// Bus position.
    pub bus: usize,
    /// Bus id (for results).
    pub bus_id: i32,
    /// Turbined flow of the cell per block, `k` (m³/s).
    pub turbined: IndexRange,
    /// Generation of the cell per block (FPHA plants; constant
    /// productivity: `ρ·q`).
    pub generation: Option<IndexRange>,
    /// Productivity (constant-productivity plants; 0 for FPHA).
    pub productivity: f64,
}

/// Index ranges of one stage LP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageLayout {
    /// Stage index.
    pub stage: usize,
    /// Hydros (N).
    pub n_hydros: usize,
    /// Lags per hydro (L).
    pub n_lags: usize,
    /// Blocks (K).
    pub n_blocks: usize,
    /// Buses (B).
    pub n_buses: usize,
    /// Thermals.
    pub n_thermals: usize,
    /// Lines.
    pub n_lines: usize,
    /// Block durations (hours).
    pub block_hours: Vec<f64>,
    /// Outgoing storage.
    pub storage: IndexRange,
    /// Incoming inflow lags.
    pub lags: IndexRange,
    /// Stage inflow.
    pub inflow: IndexRange,
    /// Incoming storage.
    pub storage_in: IndexRange,
    /// Future cost.
    pub theta: usize,
    /// Turbined flow, `k·N + h`.
    pub turbined: IndexRange,
    /// Spillage, `k·N + h`.
    pub spillage: IndexRange,
    /// Thermal generation, `k·T + j`.
    pub thermal: IndexRange,
    /// Deficit segments, `k·S + deficit_offset[b] + s`.
    pub deficit: IndexRange,
    /// First deficit segment of each bus within a block, plus the total `S` last.
    pub deficit_offset: Vec<usize>,
    /// Excess, `k·B + b`.
    pub excess: IndexRange,
    /// Non-controllable generation, `k·R + r` (bounds patched per solve).
    pub ncs: IndexRange,
    /// Non-controllable sources (R).
    pub n_ncs: usize,
    /// Whether each source must run (no curtailment allowed).
    pub ncs_must_run: Vec<bool>,
    /// Whether each source is in service at the stage.
    pub ncs_active: Vec<bool>,
    /// Direct line flow, `k·Lines + l`.
    pub flow_direct: IndexRange,
    /// Reverse line flow, `k·Lines + l`.
    pub flow_reverse: IndexRange,
    /// Inflow non-negativity slack per hydro (empty unless the penalty method is on).
    pub inflow_slack: IndexRange,
    /// Under-withdrawal slack per hydro (`[0, 0]` without withdrawal).
    pub withdrawal_under: IndexRange,
    /// Over-withdrawal slack per hydro (`[0, 0]` without withdrawal).
    pub withdrawal_over: IndexRange,
    /// Soft-bound slacks.
    pub soft_bounds: Vec<SoftBound>,
    /// Inflow definition rows.
    pub row_inflow: IndexRange,
    /// Load balance rows, `k·B + b`.
    pub row_load: IndexRange,
    /// Water balance rows.
    pub row_water: IndexRange,
    /// Rows of the template (cut rows are appended after them).
    pub num_template_rows: usize,
    /// Columns of the template.
    pub num_cols: usize,
    /// Column holding the outgoing value of each state component.
    pub state_out_cols: Vec<usize>,
    /// Column holding the incoming value of each state component (fixed
    /// by its bounds to it): `storage_in`, then `lags`.
    pub state_in_cols: Vec<usize>,
    /// The outgoing state components that are incoming ones, `(j, i)`:
    /// component `j` leaves the stage with the incoming value of
    /// component `i` (lag `l ≥ 2` of a hydro is its incoming lag `l − 1`).
    /// Cut rows leave them out; their terms move into the rows' bounds.
    pub carried_state: Vec<(usize, usize)>,
    /// The state components the cut rows hold (those not carried), in
    /// order.
    pub cut_state: Vec<usize>,
    /// Productivity of each hydro at this stage (MW per m³/s; 0 for an
    /// FPHA hydro, whose generation is a column).
    pub productivity: Vec<f64>,
    /// Generation column of each FPHA hydro, `k·N + h` (`None`: constant
    /// productivity, generation is `ρ·q`).
    pub fpha_generation: Vec<Option<usize>>,
    /// FPHA hyperplane rows, per hydro (empty without FPHA).
    pub fpha_rows: Vec<IndexRange>,
    /// Evaporated-flow column of each hydro (`None`: no evaporation).
    pub evaporation: Vec<Option<usize>>,
    /// Evaporation violation columns of each hydro, `(below the target,
    /// above it)` (`None`: no evaporation).
    pub evaporation_slack: Vec<Option<(usize, usize)>>,
    /// Bus position of each hydro's generation (its first unit group's).
    pub hydro_bus: Vec<usize>,
    /// Cells of the plants whose unit groups sit on several buses (the
    /// plant's generation is theirs), plant by plant.
    pub cells: Vec<Cell>,
    /// Diverted-flow column of each hydro per block, `k·N + h` (`None`:
    /// the plant diverts nothing at this stage).
    pub diversion: Vec<Option<usize>>,
    /// Pumping stations (P).
    pub n_pumping: usize,
    /// Pumped flow, `k·P + j` (m³/s).
    pub pumping: IndexRange,
    /// Cost category of each column.
    pub col_category: Vec<CostCategory>,
}

impl StageLayout {
    /// Dimension of the state: storage plus lags, `N·(1 + L)`.
    #[must_use]
    pub fn n_state(&self) -> usize {
        self.n_hydros * (1 + self.n_lags)
    }

    /// Length of the per-solve row patch (a prefix of the rows).
    #[must_use]
    pub fn patch_len(&self) -> usize {
        self.row_load.end()
    }

    /// Total hours of the stage.
    #[must_use]
    pub fn total_hours(&self) -> f64 {
        self.block_hours.iter().sum()
    }

    /// Turbined column of hydro `h` in block `k`.
    #[must_use]
    pub fn turbined_col(&self, k: usize, h: usize) -> usize {
        self.turbined.at(k * self.n_hydros + h)
    }

    /// Spillage column of hydro `h` in block `k`.
    #[must_use]
    pub fn spillage_col(&self, k: usize, h: usize) -> usize {
        self.spillage.at(k * self.n_hydros + h)
    }

    /// Thermal column of plant `j` in block `k`.
    #[must_use]
    pub fn thermal_col(&self, k: usize, j: usize) -> usize {
        self.thermal.at(k * self.n_thermals + j)
    }

    /// Load balance row of bus `b` in block `k`.
    #[must_use]
    pub fn load_row(&self, k: usize, b: usize) -> usize {
        self.row_load.at(k * self.n_buses + b)
    }

    /// Deficit segments of bus `b` in block `k`, as a column range.
    #[must_use]
    pub fn deficit_cols(&self, k: usize, b: usize) -> std::ops::Range<usize> {
        let per_block = self.deficit_offset.last().copied().unwrap_or(0);
        let lo = self.deficit_offset.get(b).copied().unwrap_or(0);
        let hi = self.deficit_offset.get(b + 1).copied().unwrap_or(lo);
        let base = self.deficit.start + k * per_block;
        base + lo..base + hi
    }

    /// Excess column of bus `b` in block `k`.
    #[must_use]
    pub fn excess_col(&self, k: usize, b: usize) -> usize {
        self.excess.at(k * self.n_buses + b)
    }

    /// Generation column of non-controllable source `r` in block `k`.
    #[must_use]
    pub fn ncs_col(&self, k: usize, r: usize) -> usize {
        self.ncs.at(k * self.n_ncs + r)
    }

    /// Generation column of FPHA hydro `h` in block `k` (`None` for a
    /// constant-productivity hydro).
    #[must_use]
    pub fn fpha_generation_col(&self, k: usize, h: usize) -> Option<usize> {
        self.fpha_generation
            .get(k * self.n_hydros + h)
            .copied()
            .flatten()
    }

    /// The cells of hydro `h` (empty unless its groups sit on several buses).
    pub fn cells_of(&self, h: usize) -> impl Iterator<Item = &Cell> + '_ {
        self.cells.iter().filter(move |c| c.hydro == h)
    }

    /// Generation (MW) of cell `c` in block `k` in the solution `primal`.
    #[must_use]
    pub fn cell_generation(&self, primal: &[f64], k: usize, c: &Cell) -> f64 {
        match c.generation {
            Some(g) => primal.get(g.at(k)).copied().unwrap_or(0.0),
            None => primal.get(c.turbined.at(k)).copied().unwrap_or(0.0) * c.productivity,
        }
    }

    /// Diverted-flow column of hydro `h` in block `k`.
    #[must_use]
    pub fn diversion_col(&self, k: usize, h: usize) -> Option<usize> {
        self.diversion.get(k * self.n_hydros + h).copied().flatten()
    }

    /// Pumped-flow column of station `j` in block `k`.
    #[must_use]
    pub fn pumping_col(&self, k: usize, j: usize) -> usize {
        self.pumping.at(k * self.n_pumping + j)
    }

    /// The `(column, coefficient)` terms of hydro `h`'s generation in
    /// block `k` (cells summed, `ρ·q` for constant productivity).
    #[must_use]
    pub fn generation_terms(&self, k: usize, h: usize) -> Vec<(usize, f64)> {
        let cells: Vec<(usize, f64)> = self
            .cells_of(h)
            .map(|c| match c.generation {
                Some(g) => (g.at(k), 1.0),
                None => (c.turbined.at(k), c.productivity),
            })
            .collect();
        if !cells.is_empty() {
            return cells;
        }
        match self.fpha_generation_col(k, h) {
            Some(g) => vec![(g, 1.0)],
            None => vec![(
                self.turbined_col(k, h),
                self.productivity.get(h).copied().unwrap_or(0.0),
            )],
        }
    }

    /// Generation (MW) of hydro `h` in block `k` in the solution `primal`.
    #[must_use]
    pub fn hydro_generation(&self, primal: &[f64], k: usize, h: usize) -> f64 {
        if self.cells.iter().any(|c| c.hydro == h) {
            return self
                .cells_of(h)
                .map(|c| self.cell_generation(primal, k, c))
                .sum();
        }
        match self.fpha_generation_col(k, h) {
            Some(g) => primal.get(g).copied().unwrap_or(0.0),
            None => {
                primal.get(self.turbined_col(k, h)).copied().unwrap_or(0.0)
                    * self.productivity.get(h).copied().unwrap_or(0.0)
            }
        }
    }

    /// Direct and reverse flow columns of line `l` in block `k`.
    #[must_use]
    pub fn flow_cols(&self, k: usize, l: usize) -> (usize, usize) {
        let i = k * self.n_lines + l;
        (self.flow_direct.at(i), self.flow_reverse.at(i))
    }
}
