//! Layer 2: reading every file into typed, range-checked data.
//!
//! Each reader takes the bytes kept by the structural layer, reports every
//! schema problem, and returns what it could read. Entities that fail to read
//! still leave their id in the registry (so a typo in one hydro's name does not
//! turn into a "missing hydro" error elsewhere); a file that cannot be read at
//! all is [`Src::Failed`] and later layers skip the checks that need it.

mod config;
mod constraints;
mod entities;
mod expression;
mod hydros;
mod initial;
mod parameters;
mod penalties;
mod policy_graph;
mod pumping;
mod scenarios;
mod stages;
mod tailrace;

use crate::files::{CaseFiles, FileState};
use crate::json::{self, Obj};
use crate::report::{Finding, FindingContext, FindingKind, Layer, Sink};
use crate::tables::{self, Table, TableSpec};
use serde_json::Value;

pub(crate) use constraints::{
    BoundsData, GenericData, HydroBoundRow, LineBoundRow, ThermalBoundRow, HYDRO_BOUND_COLUMNS,
};
pub(crate) use entities::{RawBus, RawLine, RawNcs, RawThermal, Svc};
pub(crate) use hydros::{HydroSystemData, RawHydro};
pub(crate) use penalties::{HydroPenaltyRow, PenaltyOverrides, ScalarPenaltyRow};
pub(crate) use pumping::PumpingData;
pub(crate) use scenarios::ScenarioData;
pub(crate) use tailrace::{check as check_tailrace, families as tailrace_families, TailraceRow};

/// A file's content as far as it could be read.
#[derive(Debug, Clone, Default)]
pub(crate) enum Src<T> {
    /// The file is not in the case (an optional file), or the section is absent.
    #[default]
    Absent,
    /// The file exists but could not be read (findings reported).
    Failed,
    /// What was read (possibly partially; findings reported for the rest).
    Read(T),
}

impl<T> Src<T> {
    /// The content, when read.
    pub(crate) fn get(&self) -> Option<&T> {
        match self {
            Src::Read(t) => Some(t),
            _ => None,
        }
    }

    /// Whether the file could not be read.
    pub(crate) fn failed(&self) -> bool {
        matches!(self, Src::Failed)
    }

    /// The content converted by `f`, when read; `Absent` and `Failed` stay.
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Src<U> {
        match self {
            Src::Read(t) => Src::Read(f(t)),
            Src::Absent => Src::Absent,
            Src::Failed => Src::Failed,
        }
    }
}

impl Src<Table> {
    /// Converts every row with `f` (rows where `f` gives `None` are skipped:
    /// their problems were reported while decoding), keeping the row numbers.
    pub(crate) fn map_rows<T>(
        self,
        mut f: impl FnMut(&Table, usize) -> Option<T>,
    ) -> Src<Vec<(usize, T)>> {
        self.collect_rows(|t, r| f(t, r).map(|v| (r, v)))
    }

    /// Converts every row with `f`, in row order; rows where `f` gives
    /// `None` are skipped.
    pub(crate) fn collect_rows<T>(
        self,
        mut f: impl FnMut(&Table, usize) -> Option<T>,
    ) -> Src<Vec<T>> {
        self.map(|t| (0..t.rows).filter_map(|r| f(&t, r)).collect())
    }
}

/// Entities read from one registry file.
#[derive(Debug, Clone)]
pub(crate) struct Registry<T> {
    /// The file.
    pub file: &'static str,
    /// Entities that were read completely.
    pub items: Vec<T>,
    /// Every id found, in file order, including entities that failed to read.
    pub ids: Vec<i32>,
    /// False when the file could not be read at all: references into this
    /// registry are then not checked.
    pub complete: bool,
}

impl<T> Registry<T> {
    pub(crate) fn new(file: &'static str) -> Self {
        Self {
            file,
            items: Vec::new(),
            ids: Vec::new(),
            complete: true,
        }
    }

    pub(crate) fn failed(file: &'static str) -> Self {
        Self {
            complete: false,
            ..Self::new(file)
        }
    }
}

/// Everything the schema layer read from a case.
#[derive(Debug, Default)]
pub(crate) struct CaseData {
    pub config: Src<config::ConfigData>,
    pub stages: Src<stages::StagesData>,
    pub penalties: Src<cobre_core::GlobalPenalties>,
    pub initial: Src<initial::InitialData>,
    pub buses: Option<Registry<RawBus>>,
    pub lines: Option<Registry<RawLine>>,
    pub thermals: Option<Registry<RawThermal>>,
    pub hydros: Option<Registry<RawHydro>>,
    pub ncs: Option<Registry<RawNcs>>,
    pub hydro_system: HydroSystemData,
    pub scenarios: ScenarioData,
    pub bounds: BoundsData,
    pub penalty_overrides: PenaltyOverrides,
    pub generic: GenericData,
    pub pumping: PumpingData,
}

pub(crate) use stages::StagesData;

/// Parses a JSON file kept by the structural layer. `Absent` for a missing
/// file, `Failed` for one that could not be read or parsed.
pub(crate) fn json_of(files: &CaseFiles, rel: &'static str, sink: &mut Sink) -> Src<Value> {
    match files.state(rel) {
        FileState::Absent => Src::Absent,
        FileState::Json(text) => match json::parse(rel, text, sink) {
            Some(v) => Src::Read(v),
            None => Src::Failed,
        },
        FileState::Broken | FileState::Parquet(_) => Src::Failed,
    }
}

/// Reads a JSON file's root object with `read`, the root allowing the keys
/// `allowed`. `Absent` for a missing file; `Failed` for one that could not be
/// parsed or whose root is not an object (reported).
pub(crate) fn read_json_root<T>(
    files: &CaseFiles,
    rel: &'static str,
    sink: &mut Sink,
    allowed: &[&str],
    read: impl FnOnce(Obj<'_, '_>) -> Src<T>,
) -> Src<T> {
    let value = match json_of(files, rel, sink) {
        Src::Read(v) => v,
        Src::Absent => return Src::Absent,
        Src::Failed => return Src::Failed,
    };
    match Obj::root(sink, rel, &value, allowed) {
        Some(root) => read(root),
        None => Src::Failed,
    }
}

/// Decodes a Parquet file kept by the structural layer.
pub(crate) fn table_of(files: &CaseFiles, spec: &TableSpec, sink: &mut Sink) -> Src<Table> {
    match files.state(spec.file) {
        FileState::Absent => Src::Absent,
        FileState::Parquet(bytes) => match tables::read(spec, bytes.clone(), sink) {
            Some(t) => Src::Read(t),
            None => Src::Failed,
        },
        FileState::Broken | FileState::Json(_) => Src::Failed,
    }
}

/// A Float64 cell that must be ≥ 0: a negative value is reported (and
/// returned, so the row still counts).
pub(crate) fn non_negative_cell(t: &Table, col: &str, r: usize, sink: &mut Sink) -> Option<f64> {
    let v = t.f64(col, r)?;
    if v < 0.0 {
        sink.push(Finding::error(
            FindingKind::OutOfRange,
            Layer::Schema,
            row_ctx(t.file, r).field(col),
            format!("`{col}` = {v} must be ≥ 0"),
        ));
    }
    Some(v)
}

/// Context of a Parquet row.
pub(crate) fn row_ctx(file: &'static str, row: usize) -> FindingContext {
    FindingContext::file(file).row(row)
}

/// Layer 2: reads every file of the case.
pub(crate) fn read_all(files: &CaseFiles, sink: &mut Sink) -> CaseData {
    let mut data = CaseData {
        config: config::read(files, sink),
        stages: stages::read(files, sink),
        penalties: penalties::read_global(files, sink),
        initial: initial::read(files, sink),
        ..CaseData::default()
    };
    let entities = entities::read(files, sink);
    data.buses = Some(entities.buses);
    data.lines = Some(entities.lines);
    data.thermals = Some(entities.thermals);
    data.ncs = Some(entities.ncs);
    data.hydros = Some(hydros::read_hydros(files, sink));
    data.hydro_system = hydros::read_system_extensions(files, sink);
    data.scenarios = scenarios::read(files, sink);
    data.bounds = constraints::read_bounds(files, sink);
    data.penalty_overrides = penalties::read_overrides(files, sink);
    data.generic = constraints::read_generic(files, sink);
    data.pumping = pumping::read(files, sink);
    entities::refuse_unsupported_files(files, sink);
    data
}
