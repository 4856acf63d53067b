//! The policy graph: its two dialects, their structural rules and the
//! rules tying it to the settings (0.18's, probed on a tree built from d28:
//! five weekly trunk nodes and a fan of five monthly leaves).

use super::{assert_error, want, Fixture, Want};
use cobre_io::FindingKind::{
    CoverageMismatch, DuplicateId, IncompatibleSettings, OutOfRange, PhysicalConstraint,
    StageMismatch, Unsupported,
};
use serde_json::{json, Value};

/// d28 as a tree: trunk nodes 0..4 (scenario 0), leaves 5..9 at stage 5
/// (scenarios 0..4) under node 4; enumerated training with the gap rule.
fn tree() -> Fixture {
    let fx = Fixture::new("d28-decomp-weekly-monthly");
    fx.json("stages.json", |v| {
        let mut nodes: Vec<Value> = (0..5)
            .map(|t| json!({"id": t, "stage_id": t, "scenario_id": 0}))
            .collect();
        nodes.extend((0..5).map(|k| json!({"id": 5 + k, "stage_id": 5, "scenario_id": k})));
        let mut tr: Vec<Value> = (0..4)
            .map(|t| json!({"source_id": t, "target_id": t + 1, "probability": 1.0}))
            .collect();
        tr.extend(
            [0.1, 0.2, 0.3, 0.25, 0.15]
                .iter()
                .enumerate()
                .map(|(k, p)| json!({"source_id": 4, "target_id": 5 + k, "probability": p})),
        );
        v["policy_graph"]["nodes"] = json!(nodes);
        v["policy_graph"]["transitions"] = json!(tr);
        for s in v["stages"].as_array_mut().unwrap() {
            s.as_object_mut().unwrap().remove("num_openings");
        }
    });
    fx.json("config.json", |v| {
        v["training"]["selection"] = json!({"method": "enumerated"});
        v["training"]["stopping_rules"] = json!([
            {"type": "gap", "relative_tolerance": 0.001},
            {"type": "iteration_limit", "limit": 10}
        ]);
        v["simulation"]["selection"] = json!({"method": "enumerated"});
    });
    fx
}

fn edit_graph(fx: &Fixture, f: impl FnOnce(&mut Value)) {
    fx.json("stages.json", |v| f(&mut v["policy_graph"]));
}

/// The tree with its policy graph edited by `f`.
fn tree_with(f: impl FnOnce(&mut Value)) -> Fixture {
    let fx = tree();
    edit_graph(&fx, f);
    fx
}

/// The shared case `case` with its chain described by `transitions`.
fn chain_with(case: &str, transitions: Value) -> Fixture {
    let fx = Fixture::new(case);
    edit_graph(&fx, |g| g["transitions"] = transitions);
    fx
}

/// Appends `item` to the array `g[key]`.
fn push(g: &mut Value, key: &str, item: Value) {
    g[key].as_array_mut().unwrap().push(item);
}

/// Adds node 20 at stage 4 as a sibling of node 4: node 3 leads to each
/// with probability 0.5.
fn add_stage_4_sibling(g: &mut Value) {
    push(
        g,
        "nodes",
        json!({"id": 20, "stage_id": 4, "scenario_id": 0}),
    );
    g["transitions"][3]["probability"] = json!(0.5);
    push(
        g,
        "transitions",
        json!({"source_id": 3, "target_id": 20, "probability": 0.5}),
    );
}

/// Asserts that `fx` is refused with an error matching `w`.
#[track_caller]
fn refused(fx: &Fixture, w: Want) {
    assert_error(&fx.validate(), w);
}

#[test]
fn a_tree_with_enumerated_selection_and_the_gap_rule_is_valid() {
    let r = tree().validate();
    assert!(r.is_valid(), "{:?}", r.errors().collect::<Vec<_>>());
}

#[test]
fn chain_transitions_describing_the_chain_are_accepted() {
    let fx = chain_with(
        "d01-thermal-dispatch",
        json!([{"source_id": 0, "target_id": 1, "probability": 1.0}]),
    );
    assert!(fx.validate().is_valid());
}

#[test]
fn a_chain_transition_skipping_a_stage_is_unsupported() {
    let fx = chain_with(
        "d03-two-hydro-cascade",
        json!([{"source_id": 0, "target_id": 2, "probability": 1.0}]),
    );
    refused(&fx, want(Unsupported, "stages.json").field("target_id"));
}

#[test]
fn a_chain_transition_with_a_probability_below_one_is_out_of_range() {
    let fx = chain_with(
        "d01-thermal-dispatch",
        json!([{"source_id": 0, "target_id": 1, "probability": 0.5}]),
    );
    refused(&fx, want(OutOfRange, "stages.json").field("probability"));
}

#[test]
fn a_duplicate_node_id_is_refused() {
    let fx = tree_with(|g| g["nodes"][9]["id"] = json!(8));
    refused(&fx, want(DuplicateId, "stages.json").field("id"));
}

#[test]
fn a_transition_skipping_a_stage_is_a_stage_mismatch() {
    let fx = tree_with(|g| g["transitions"][0]["target_id"] = json!(2));
    refused(&fx, want(StageMismatch, "stages.json").field("target_id"));
}

#[test]
fn probabilities_leaving_a_node_must_sum_to_one() {
    let fx = tree_with(|g| g["transitions"][8]["probability"] = json!(0.5));
    refused(&fx, want(OutOfRange, "stages.json").field("probability"));
}

#[test]
fn a_node_without_successors_before_the_last_stage_is_refused() {
    let fx = tree_with(add_stage_4_sibling);
    refused(&fx, want(PhysicalConstraint, "stages.json").entity(20));
}

#[test]
fn a_second_root_is_unsupported() {
    let fx = tree_with(|g| {
        push(
            g,
            "nodes",
            json!({"id": 20, "stage_id": 0, "scenario_id": 0}),
        );
        push(
            g,
            "transitions",
            json!({"source_id": 20, "target_id": 1, "probability": 1.0}),
        );
    });
    refused(&fx, want(Unsupported, "stages.json"));
}

#[test]
fn a_stage_without_a_node_is_a_coverage_mismatch() {
    let fx = tree_with(|g| {
        // Stage 2's node goes; 1 → 3 would skip a stage, so drop the trunk's end.
        g["nodes"].as_array_mut().unwrap().remove(2);
    });
    refused(&fx, want(CoverageMismatch, "stages.json").stage(2));
}

#[test]
fn num_openings_at_a_stage_of_external_nodes_is_refused() {
    let fx = tree();
    fx.json("stages.json", |v| v["stages"][5]["num_openings"] = json!(5));
    refused(
        &fx,
        want(IncompatibleSettings, "stages.json").field("num_openings"),
    );
}

#[test]
fn a_scenario_id_needs_enumerated_training() {
    let fx = tree();
    fx.json("config.json", |v| {
        v["training"]["selection"] = json!({"method": "sampled", "forward_passes": 2});
        v["training"]["stopping_rules"] = json!([{"type": "iteration_limit", "limit": 3}]);
    });
    refused(
        &fx,
        want(IncompatibleSettings, "stages.json").field("scenario_id"),
    );
}

#[test]
fn the_gap_rule_needs_enumerated_training() {
    let fx = Fixture::new("d01-thermal-dispatch");
    fx.json("config.json", |v| {
        push(
            &mut v["training"],
            "stopping_rules",
            json!({"type": "gap", "relative_tolerance": 0.01}),
        );
    });
    refused(&fx, want(IncompatibleSettings, "config.json").field("type"));
}

#[test]
fn enumerated_selection_needs_a_tree() {
    let fx = tree_with(|g| {
        // A second stage-4 node joining the fan: the leaves get two parents.
        add_stage_4_sibling(g);
        for (k, p) in [0.1, 0.2, 0.3, 0.25, 0.15].iter().enumerate() {
            push(
                g,
                "transitions",
                json!({"source_id": 20, "target_id": 5 + k, "probability": p}),
            );
        }
    });
    refused(
        &fx,
        want(IncompatibleSettings, "config.json").field("method"),
    );
}

#[test]
fn enumerated_selection_needs_one_realisation_per_stage_on_a_chain() {
    let fx = Fixture::new("1dtoy");
    fx.json("config.json", |v| {
        v["training"]["selection"] = json!({"method": "enumerated"});
    });
    refused(
        &fx,
        want(IncompatibleSettings, "config.json").field("method"),
    );
}

#[test]
fn every_node_names_its_scenario_when_a_class_is_external() {
    let fx = tree_with(|g| {
        g["nodes"][3].as_object_mut().unwrap().remove("scenario_id");
    });
    fx.json("stages.json", |v| v["stages"][3]["num_openings"] = json!(1));
    refused(&fx, want(IncompatibleSettings, "stages.json").entity(3));
}

#[test]
fn a_node_scenario_missing_from_the_external_library_is_a_coverage_mismatch() {
    let fx = tree_with(|g| g["nodes"][9]["scenario_id"] = json!(7));
    refused(&fx, want(CoverageMismatch, "stages.json").entity(9));
}

#[test]
fn a_cyclic_graph_stays_unsupported() {
    let fx = tree_with(|g| g["type"] = json!("cyclic"));
    refused(&fx, want(Unsupported, "stages.json").field("type"));
}
