//! Settings changed for one run: a JSON object deep-merged into the
//! case's `config.json` before the file is read, so the merged settings go
//! through the same validator as the file itself (an unknown key path or a
//! bad value is a finding naming its path in `config.json`, with a
//! suggestion).
//!
//! The merge follows JSON Merge Patch (RFC 7386): an object merges into an
//! object key by key, recursively; any other value (array, number, string,
//! boolean) replaces what was there; `null` removes the key.

use serde_json::Value;

/// Merges `patch` into `target` (RFC 7386).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_merge_key_by_key_arrays_and_scalars_replace_null_removes() {
        let mut cfg = json!({
            "training": {
                "stopping_rules": [{"type": "iteration_limit", "limit": 50}],
                "selection": {"method": "sampled", "forward_passes": 4},
                "tree_seed": 3
            },
            "simulation": {"enabled": true}
        });
        merge_patch(
            &mut cfg,
            &json!({
                "training": {
                    "stopping_rules": [{"type": "iteration_limit", "limit": 7}],
                    "selection": {"forward_passes": 2},
                    "tree_seed": null
                },
                "simulation": {"selection": {"method": "sampled", "num_scenarios": 37}}
            }),
        );
        assert_eq!(
            cfg,
            json!({
                "training": {
                    "stopping_rules": [{"type": "iteration_limit", "limit": 7}],
                    "selection": {"method": "sampled", "forward_passes": 2}
                },
                "simulation": {
                    "enabled": true,
                    "selection": {"method": "sampled", "num_scenarios": 37}
                }
            })
        );
    }
}
