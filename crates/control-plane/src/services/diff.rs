//! Differences between two mapping versions (API.md §3.4): definitions matched by label / edge
//! type, `fields_changed` as the sorted top-level keys whose values differ.

use graph_olap_api::body::mappings::{
    DefinitionChange as Change, DiffChanges, DiffSummary, MappingDiff,
};
use graph_olap_api::{EdgeDefinition, NodeDefinition};
use serde_json::{Map, Value, json};

fn compare(
    key_name: &str,
    from: Vec<(String, Value)>,
    to: Vec<(String, Value)>,
) -> (Vec<Change>, [usize; 3]) {
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut modified = Vec::new();
    let key = |k: &str| {
        let mut m = Map::new();
        m.insert(key_name.to_string(), Value::String(k.to_string()));
        m
    };
    for (k, t) in &to {
        match from.iter().find(|(fk, _)| fk == k) {
            None => added.push(Change {
                change_type: "added".into(),
                fields_changed: None,
                from: None,
                to: Some(t.clone()),
                key: key(k),
            }),
            Some((_, f)) if f != t => {
                let (fo, to_o) = (
                    f.as_object().cloned().unwrap_or_default(),
                    t.as_object().cloned().unwrap_or_default(),
                );
                let mut fields: Vec<String> = fo
                    .keys()
                    .chain(to_o.keys())
                    .filter(|k| fo.get(*k) != to_o.get(*k))
                    .cloned()
                    .collect();
                fields.sort();
                fields.dedup();
                modified.push(Change {
                    change_type: "modified".into(),
                    fields_changed: Some(fields),
                    from: Some(f.clone()),
                    to: Some(t.clone()),
                    key: key(k),
                });
            }
            _ => {}
        }
    }
    for (k, f) in &from {
        if !to.iter().any(|(tk, _)| tk == k) {
            removed.push(Change {
                change_type: "removed".into(),
                fields_changed: None,
                from: Some(f.clone()),
                to: None,
                key: key(k),
            });
        }
    }
    let by_key = |a: &Change, b: &Change| a.key[key_name].as_str().cmp(&b.key[key_name].as_str());
    added.sort_by(by_key);
    removed.sort_by(by_key);
    modified.sort_by(by_key);
    let counts = [added.len(), removed.len(), modified.len()];
    (
        added.into_iter().chain(removed).chain(modified).collect(),
        counts,
    )
}

/// The `MappingDiff` body between two versions' definitions.
pub fn diff(
    mapping_id: i64,
    from_version: i64,
    to_version: i64,
    from: (&[NodeDefinition], &[EdgeDefinition]),
    to: (&[NodeDefinition], &[EdgeDefinition]),
) -> MappingDiff {
    let nodes = |defs: &[NodeDefinition]| {
        defs.iter()
            .map(|d| (d.label.clone(), json!(d)))
            .collect::<Vec<_>>()
    };
    let edges = |defs: &[EdgeDefinition]| {
        defs.iter()
            .map(|d| (d.edge_type.clone(), json!(d)))
            .collect::<Vec<_>>()
    };
    let (node_changes, nc) = compare("label", nodes(from.0), nodes(to.0));
    let (edge_changes, ec) = compare("type", edges(from.1), edges(to.1));
    MappingDiff {
        mapping_id,
        from_version,
        to_version,
        summary: DiffSummary {
            nodes_added: nc[0],
            nodes_removed: nc[1],
            nodes_modified: nc[2],
            edges_added: ec[0],
            edges_removed: ec[1],
            edges_modified: ec[2],
        },
        changes: DiffChanges {
            nodes: node_changes,
            edges: edge_changes,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use graph_olap_api::{PropertyDef, PropertyType};

    fn node(label: &str, sql: &str) -> NodeDefinition {
        NodeDefinition {
            label: label.into(),
            sql: sql.into(),
            primary_key: PropertyDef {
                name: "id".into(),
                ty: PropertyType::parse("STRING").unwrap(),
            },
            properties: vec![],
        }
    }

    #[test]
    fn classifies_and_orders_changes() {
        let v1 = vec![node("Customer", "SELECT 1"), node("Old", "SELECT 1")];
        let v2 = vec![
            node("Store", "SELECT 1"),
            node("Customer", "SELECT 2"),
            node("Another", "SELECT 1"),
        ];
        let d = json!(diff(1, 1, 2, (&v1, &[]), (&v2, &[])));
        assert_eq!(d["summary"]["nodes_added"], 2);
        assert_eq!(d["summary"]["nodes_removed"], 1);
        assert_eq!(d["summary"]["nodes_modified"], 1);
        let labels: Vec<&str> = d["changes"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["label"].as_str().unwrap())
            .collect();
        assert_eq!(labels, ["Another", "Store", "Old", "Customer"]);
        assert_eq!(d["changes"]["nodes"][3]["fields_changed"], json!(["sql"]));
        assert!(d["changes"]["nodes"][0]["fields_changed"].is_null());
    }

    #[test]
    fn identical_versions_have_no_changes() {
        let v = vec![node("A", "SELECT 1")];
        let d = json!(diff(1, 2, 1, (&v, &[]), (&v, &[])));
        assert_eq!(d["changes"]["nodes"], json!([]));
        assert_eq!(d["summary"]["nodes_modified"], 0);
    }
}
