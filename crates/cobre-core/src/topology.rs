//! Hydro cascade and electrical network topology, in canonical positions.

use crate::entities::{Hydro, Line, NonControllableSource, Thermal};
use crate::{BusId, CoreError, HydroId};
use std::collections::BTreeMap;

/// The hydro cascade: who is downstream of whom, and an upstream-first order.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Cascade {
    /// Downstream plant of each hydro (canonical positions).
    pub downstream: Vec<Option<usize>>,
    /// Plants whose turbined and spilled water reaches each hydro.
    pub upstream: Vec<Vec<usize>>,
    /// Plants diverting water into each hydro.
    pub diverted_from: Vec<Vec<usize>>,
    /// Every hydro, upstream plants before their downstream plants
    /// (ties broken by id).
    pub topological_order: Vec<usize>,
}

impl Cascade {
    /// Builds the cascade of hydros given in canonical (id-sorted) order.
    ///
    /// # Errors
    /// [`CoreError::MissingReference`] for a downstream/diversion id that is not a
    /// hydro, [`CoreError::CyclicCascade`] when the downstream links loop.
    pub fn build(hydros: &[Hydro], index: &BTreeMap<HydroId, usize>) -> Result<Self, CoreError> {
        let n = hydros.len();
        let mut downstream = vec![None; n];
        let mut upstream = vec![Vec::new(); n];
        let mut diverted_from = vec![Vec::new(); n];
        for (i, h) in hydros.iter().enumerate() {
            if let Some(d) = h.downstream {
                let j = *index.get(&d).ok_or(CoreError::MissingReference {
                    kind: "hydro",
                    id: h.id.0,
                    field: "downstream_id",
                    target_kind: "hydro",
                    target_id: d.0,
                })?;
                downstream[i] = Some(j);
                upstream[j].push(i);
            }
            if let Some(div) = &h.diversion {
                let j = *index
                    .get(&div.downstream)
                    .ok_or(CoreError::MissingReference {
                        kind: "hydro",
                        id: h.id.0,
                        field: "diversion.downstream_id",
                        target_kind: "hydro",
                        target_id: div.downstream.0,
                    })?;
                diverted_from[j].push(i);
            }
        }
        // Kahn's algorithm over downstream + diversion arcs, smallest position first.
        let mut indegree = vec![0usize; n];
        for i in 0..n {
            indegree[i] = upstream[i].len() + diverted_from[i].len();
        }
        let mut ready: std::collections::BTreeSet<usize> =
            (0..n).filter(|&i| indegree[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(i) = ready.pop_first() {
            order.push(i);
            let mut targets: Vec<usize> = downstream[i].into_iter().collect();
            if let Some(div) = &hydros[i].diversion {
                if let Some(&j) = index.get(&div.downstream) {
                    targets.push(j);
                }
            }
            for j in targets {
                indegree[j] -= 1;
                if indegree[j] == 0 {
                    ready.insert(j);
                }
            }
        }
        if order.len() != n {
            let cycle = (0..n)
                .filter(|&i| indegree[i] > 0)
                .map(|i| hydros[i].id.0)
                .collect();
            return Err(CoreError::CyclicCascade { cycle });
        }
        Ok(Self {
            downstream,
            upstream,
            diverted_from,
            topological_order: order,
        })
    }
}

/// What is connected to each bus (canonical positions).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Network {
    /// Thermals at each bus.
    pub thermals_at: Vec<Vec<usize>>,
    /// `(hydro, unit group)` pairs injecting at each bus.
    pub hydro_groups_at: Vec<Vec<(usize, usize)>>,
    /// Non-controllable sources at each bus.
    pub ncs_at: Vec<Vec<usize>>,
    /// Lines leaving each bus (the bus is their source).
    pub lines_from: Vec<Vec<usize>>,
    /// Lines arriving at each bus (the bus is their target).
    pub lines_to: Vec<Vec<usize>>,
    /// Source bus position of each line.
    pub line_source: Vec<usize>,
    /// Target bus position of each line.
    pub line_target: Vec<usize>,
    /// Bus position of each thermal.
    pub thermal_bus: Vec<usize>,
    /// Bus position of each non-controllable source.
    pub ncs_bus: Vec<usize>,
}

impl Network {
    /// Builds the network.
    ///
    /// # Errors
    /// [`CoreError::MissingReference`] for any bus id that does not resolve.
    pub fn build(
        bus_index: &BTreeMap<BusId, usize>,
        thermals: &[Thermal],
        hydros: &[Hydro],
        ncs: &[NonControllableSource],
        lines: &[Line],
    ) -> Result<Self, CoreError> {
        let nb = bus_index.len();
        let find = |kind: &'static str, id: i32, field: &'static str, bus: BusId| {
            bus_index
                .get(&bus)
                .copied()
                .ok_or(CoreError::MissingReference {
                    kind,
                    id,
                    field,
                    target_kind: "bus",
                    target_id: bus.0,
                })
        };
        let mut net = Self {
            thermals_at: vec![Vec::new(); nb],
            hydro_groups_at: vec![Vec::new(); nb],
            ncs_at: vec![Vec::new(); nb],
            lines_from: vec![Vec::new(); nb],
            lines_to: vec![Vec::new(); nb],
            ..Self::default()
        };
        for (i, t) in thermals.iter().enumerate() {
            let b = find("thermal", t.id.0, "bus_id", t.bus)?;
            net.thermals_at[b].push(i);
            net.thermal_bus.push(b);
        }
        for (i, h) in hydros.iter().enumerate() {
            for (g, group) in h.unit_groups.iter().enumerate() {
                let b = find("hydro", h.id.0, "unit_groups.bus_id", group.bus)?;
                net.hydro_groups_at[b].push((i, g));
            }
        }
        for (i, r) in ncs.iter().enumerate() {
            let b = find("non-controllable source", r.id.0, "bus_id", r.bus)?;
            net.ncs_at[b].push(i);
            net.ncs_bus.push(b);
        }
        for (i, l) in lines.iter().enumerate() {
            let s = find("line", l.id.0, "source_bus_id", l.source_bus)?;
            let t = find("line", l.id.0, "target_bus_id", l.target_bus)?;
            net.lines_from[s].push(i);
            net.lines_to[t].push(i);
            net.line_source.push(s);
            net.line_target.push(t);
        }
        Ok(net)
    }
}
