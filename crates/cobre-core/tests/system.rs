//! Assembly of a `System`: canonical order, references, cascade.

use cobre_core::testing::{bus, hydro, line, thermal};
use cobre_core::{CoreError, HydroId, System, SystemParts};

fn parts() -> SystemParts {
    SystemParts {
        buses: vec![bus(2, 1000.0), bus(1, 1000.0)],
        lines: vec![line(0, 1, 2, 100.0)],
        thermals: vec![thermal(5, 1, 10.0, 50.0), thermal(3, 2, 10.0, 20.0)],
        hydros: vec![
            hydro(7, 1, None, 100.0, 10.0),
            hydro(4, 2, Some(7), 100.0, 10.0),
        ],
        ..SystemParts::default()
    }
}

#[test]
fn system_content_does_not_depend_on_declaration_order() {
    let a = System::new(parts()).unwrap();
    let mut p = parts();
    p.buses.reverse();
    p.thermals.reverse();
    p.hydros.reverse();
    let b = System::new(p).unwrap();
    assert_eq!(a, b);
    let ids: Vec<i32> = a.thermals().iter().map(|t| t.id.0).collect();
    assert_eq!(ids, vec![3, 5]);
}

#[test]
fn cascade_orders_upstream_before_downstream() {
    let s = System::new(parts()).unwrap();
    let up = s.hydro_position(HydroId(4)).unwrap();
    let down = s.hydro_position(HydroId(7)).unwrap();
    assert_eq!(s.cascade().downstream[up], Some(down));
    assert_eq!(s.cascade().upstream[down], vec![up]);
    let order = &s.cascade().topological_order;
    let pos = |x| order.iter().position(|&i| i == x).unwrap();
    assert!(pos(up) < pos(down));
}

#[test]
fn cyclic_cascade_is_refused() {
    let mut p = parts();
    p.hydros[0].downstream = Some(HydroId(4));
    let err = System::new(p).unwrap_err();
    assert!(matches!(err, CoreError::CyclicCascade { .. }), "{err:?}");
}

#[test]
fn duplicate_ids_are_refused() {
    let mut p = parts();
    p.thermals.push(thermal(3, 1, 1.0, 1.0));
    assert_eq!(
        System::new(p).unwrap_err(),
        CoreError::DuplicateId {
            kind: "thermal",
            id: 3
        }
    );
}

#[test]
fn dangling_bus_reference_is_refused() {
    let mut p = parts();
    p.thermals.push(thermal(9, 42, 1.0, 1.0));
    let err = System::new(p).unwrap_err();
    assert!(
        matches!(err, CoreError::MissingReference { target_id: 42, .. }),
        "{err:?}"
    );
}

#[test]
fn network_lists_what_is_connected_to_each_bus() {
    let s = System::new(parts()).unwrap();
    let b1 = s.bus_position(cobre_core::BusId(1)).unwrap();
    let b2 = s.bus_position(cobre_core::BusId(2)).unwrap();
    assert_eq!(s.network().lines_from[b1], vec![0]);
    assert_eq!(s.network().lines_to[b2], vec![0]);
    assert_eq!(s.network().thermals_at[b2].len(), 1);
}
