//! What every engine knows about its graph apart from the data, and the rules over it that do not
//! depend on the engine.
//!
//! Owns: the node and edge definitions of the loaded snapshot and the properties added by
//! write-back (with their types); the schema the Cypher translator needs; assembling `/schema`
//! from exact counts; which labels a write-back may touch (not a mapping-defined property, known
//! labels, ids inside their ranges) and recording what it added; which labels and relationship
//! types a topology request names. Does not own: counting, reading or writing anything in an
//! engine.

use std::collections::BTreeMap;

use graph_olap_api::{EdgeDefinition, NodeDefinition};

use crate::model::{
    EdgeTableSchema, EngineError, GraphSchema, LabelRange, NodeTableSchema, WriteBack, WriteType,
};

/// The definitions of a loaded graph and its written-back properties.
#[derive(Debug, Default, Clone)]
pub struct Definitions {
    /// Node labels in definition order.
    pub nodes: Vec<NodeDefinition>,
    /// Relationship types in definition order.
    pub edges: Vec<EdgeDefinition>,
    /// Per label, the properties added by write-back with their current type, in creation order.
    pub algorithm_properties: BTreeMap<String, Vec<(String, WriteType)>>,
}

/// One label a write-back touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelWrite {
    /// The label.
    pub label: String,
    /// The property's type from an earlier write-back to this label, if any.
    pub existing: Option<WriteType>,
    /// The label's dense `_id` range.
    pub range: LabelRange,
}

impl LabelWrite {
    /// Whether an earlier result of another type must be replaced whole.
    pub fn replaces(&self, ty: WriteType) -> bool {
        self.existing.is_some_and(|old| old != ty)
    }
}

fn unknown_label(name: &str) -> EngineError {
    EngineError::UnknownTable {
        kind: "label",
        name: name.to_string(),
    }
}

impl Definitions {
    /// The definitions of a graph before any write-back.
    pub fn new(nodes: &[NodeDefinition], edges: &[EdgeDefinition]) -> Self {
        Self {
            nodes: nodes.to_vec(),
            edges: edges.to_vec(),
            algorithm_properties: BTreeMap::new(),
        }
    }

    /// The catalogue as the Cypher translator needs it: every label and relationship type with
    /// its property names and types (written-back properties included).
    pub fn cypher_schema(&self) -> graph_olap_cypher::Schema {
        let mut schema = graph_olap_cypher::Schema::default();
        for n in &self.nodes {
            let table = schema.nodes.entry(n.label.clone()).or_default();
            for p in std::iter::once(&n.primary_key).chain(&n.properties) {
                table.properties.insert(p.name.clone(), p.ty.to_string());
            }
            for (name, ty) in self
                .algorithm_properties
                .get(&n.label)
                .into_iter()
                .flatten()
            {
                table
                    .properties
                    .insert(name.clone(), ty.as_str().to_string());
            }
        }
        for e in &self.edges {
            let table = schema.relationships.entry(e.edge_type.clone()).or_default();
            for p in &e.properties {
                table.properties.insert(p.name.clone(), p.ty.to_string());
            }
        }
        schema
    }

    /// `/schema` from exact counts, one per label and one per relationship type in definition
    /// order.
    pub fn graph_schema(&self, node_counts: &[u64], edge_counts: &[u64]) -> GraphSchema {
        let node_tables = self
            .nodes
            .iter()
            .zip(node_counts)
            .map(|(n, &node_count)| {
                let mut properties =
                    vec![(n.primary_key.name.clone(), n.primary_key.ty.to_string())];
                properties.extend(
                    n.properties
                        .iter()
                        .map(|p| (p.name.clone(), p.ty.to_string())),
                );
                let extra = self
                    .algorithm_properties
                    .get(&n.label)
                    .cloned()
                    .unwrap_or_default();
                properties.extend(
                    extra
                        .iter()
                        .map(|(p, t)| (p.clone(), t.as_str().to_string())),
                );
                NodeTableSchema {
                    label: n.label.clone(),
                    primary_key: n.primary_key.name.clone(),
                    primary_key_type: n.primary_key.ty.to_string(),
                    properties,
                    algorithm_properties: extra.into_iter().map(|(p, _)| p).collect(),
                    node_count,
                }
            })
            .collect();
        let edge_tables = self
            .edges
            .iter()
            .zip(edge_counts)
            .map(|(e, &edge_count)| EdgeTableSchema {
                edge_type: e.edge_type.clone(),
                from_node: e.from_node.clone(),
                to_node: e.to_node.clone(),
                from_key: e.from_key.clone(),
                to_key: e.to_key.clone(),
                properties: e
                    .properties
                    .iter()
                    .map(|p| (p.name.clone(), p.ty.to_string()))
                    .collect(),
                edge_count,
            })
            .collect();
        GraphSchema {
            node_tables,
            edge_tables,
        }
    }

    /// Checks a write-back against the catalogue and the label ranges and returns, per label in
    /// `column.labels`, what it touches. Refuses values not matching the ids, an unknown label, a
    /// mapping-defined property and an id outside the labels in scope.
    pub fn plan_write(
        &self,
        column: &WriteBack,
        ranges: &[LabelRange],
    ) -> Result<Vec<LabelWrite>, EngineError> {
        let wb_err = |message: String| EngineError::WriteBack {
            property: column.property.clone(),
            message,
        };
        if column.node_ids.len() != column.values.len() {
            return Err(wb_err("node_ids and values differ in length".into()));
        }
        let mut plan = Vec::with_capacity(column.labels.len());
        for label in &column.labels {
            let def = self
                .nodes
                .iter()
                .find(|n| &n.label == label)
                .ok_or_else(|| unknown_label(label))?;
            if std::iter::once(&def.primary_key)
                .chain(&def.properties)
                .any(|p| p.name.eq_ignore_ascii_case(&column.property))
            {
                return Err(wb_err(format!(
                    "{} is a mapping-defined property of {label}",
                    column.property
                )));
            }
            let existing = self.algorithm_properties.get(label).and_then(|ps| {
                ps.iter()
                    .find(|(p, _)| p == &column.property)
                    .map(|(_, t)| *t)
            });
            let range = ranges
                .iter()
                .find(|r| &r.label == label)
                .cloned()
                .ok_or_else(|| unknown_label(label))?;
            plan.push(LabelWrite {
                label: label.clone(),
                existing,
                range,
            });
        }
        if let Some(id) = column
            .node_ids
            .iter()
            .find(|&&id| !plan.iter().any(|w| w.range.contains(id)))
        {
            return Err(wb_err(format!("node {id} is not in the labels in scope")));
        }
        Ok(plan)
    }

    /// Records a successful write-back: its labels now have the property, of its type.
    pub fn record_write(&mut self, column: &WriteBack) {
        let ty = column.values.write_type();
        for label in &column.labels {
            let properties = self.algorithm_properties.entry(label.clone()).or_default();
            match properties.iter_mut().find(|(p, _)| p == &column.property) {
                Some(slot) => slot.1 = ty,
                None => properties.push((column.property.clone(), ty)),
            }
        }
    }

    /// The relationship types a topology request covers: those named in `edge_types` (all when
    /// empty) whose endpoints are both in `labels` (all when empty). Unknown names are refused.
    pub fn topology_edges(
        &self,
        labels: &[String],
        edge_types: &[String],
    ) -> Result<Vec<EdgeDefinition>, EngineError> {
        if let Some(l) = labels
            .iter()
            .find(|l| !self.nodes.iter().any(|n| &n.label == *l))
        {
            return Err(unknown_label(l));
        }
        if let Some(t) = edge_types
            .iter()
            .find(|t| !self.edges.iter().any(|e| &e.edge_type == *t))
        {
            return Err(EngineError::UnknownTable {
                kind: "relationship type",
                name: t.clone(),
            });
        }
        Ok(self
            .edges
            .iter()
            .filter(|e| edge_types.is_empty() || edge_types.contains(&e.edge_type))
            .filter(|e| in_scope(labels, &e.from_node) && in_scope(labels, &e.to_node))
            .cloned()
            .collect())
    }
}

/// Whether `label` is among `labels` (all labels when empty).
pub fn in_scope(labels: &[String], label: &str) -> bool {
    labels.is_empty() || labels.iter().any(|l| l == label)
}

impl LabelRange {
    /// Whether the node `_id` lies in this range.
    pub fn contains(&self, id: u32) -> bool {
        id >= self.first_id && id - self.first_id < self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WriteValues;
    use serde_json::json;

    fn defs() -> Definitions {
        let node = |label: &str| -> NodeDefinition {
            serde_json::from_value(json!({
                "label": label, "sql": "SELECT 1",
                "primary_key": {"name": "id", "type": "INT64"},
                "properties": [{"name": "name", "type": "STRING"}]}))
            .unwrap()
        };
        let edge: EdgeDefinition = serde_json::from_value(json!({
            "type": "R", "from_node": "A", "to_node": "B", "sql": "SELECT 1",
            "from_key": "a", "to_key": "b", "properties": []}))
        .unwrap();
        Definitions::new(&[node("A"), node("B")], &[edge])
    }

    fn ranges() -> Vec<LabelRange> {
        vec![
            LabelRange {
                label: "A".into(),
                first_id: 0,
                count: 2,
            },
            LabelRange {
                label: "B".into(),
                first_id: 2,
                count: 1,
            },
        ]
    }

    fn column(property: &str, labels: &[&str], ids: Vec<u32>, values: WriteValues) -> WriteBack {
        WriteBack {
            property: property.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            node_ids: ids,
            values,
        }
    }

    #[test]
    fn a_write_back_is_checked_then_recorded_with_its_type() {
        let mut d = defs();
        let pr = column(
            "pr",
            &["A"],
            vec![0, 1],
            WriteValues::Double(vec![Some(0.5), None]),
        );
        let plan = d.plan_write(&pr, &ranges()).unwrap();
        assert_eq!(plan.len(), 1);
        assert_eq!((plan[0].existing, plan[0].range.count), (None, 2));
        d.record_write(&pr);
        assert_eq!(
            d.graph_schema(&[2, 1], &[0]).node_tables[0].algorithm_properties,
            ["pr"]
        );
        assert_eq!(
            d.cypher_schema().nodes["A"]
                .properties
                .get("pr")
                .map(String::as_str),
            Some("DOUBLE")
        );
        let again = column("pr", &["A"], vec![0], WriteValues::Int64(vec![Some(1)]));
        let plan = d.plan_write(&again, &ranges()).unwrap();
        assert!(plan[0].replaces(WriteType::Int64) && !plan[0].replaces(WriteType::Double));

        let message = |c: WriteBack| d.plan_write(&c, &ranges()).unwrap_err().to_string();
        let m = message(column(
            "NAME",
            &["A"],
            vec![0],
            WriteValues::Bool(vec![None]),
        ));
        assert!(m.contains("mapping-defined property of A"), "{m}");
        let m = message(column("x", &["A"], vec![2], WriteValues::Bool(vec![None])));
        assert!(m.contains("node 2 is not in the labels in scope"), "{m}");
        let m = message(column(
            "x",
            &["A"],
            vec![0, 1],
            WriteValues::Bool(vec![None]),
        ));
        assert!(m.contains("differ in length"), "{m}");
        let m = message(column("x", &["Z"], vec![], WriteValues::Bool(vec![])));
        assert!(m.contains("unknown label Z"), "{m}");
    }

    #[test]
    fn topology_edges_follow_the_scope_and_refuse_unknown_names() {
        let d = defs();
        let names = |labels: &[&str], types: &[&str]| {
            let labels: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
            let types: Vec<String> = types.iter().map(|s| s.to_string()).collect();
            d.topology_edges(&labels, &types)
                .map(|es| es.into_iter().map(|e| e.edge_type).collect::<Vec<_>>())
        };
        assert_eq!(names(&[], &[]).unwrap(), ["R"]);
        assert_eq!(names(&["A", "B"], &["R"]).unwrap(), ["R"]);
        assert!(names(&["A"], &[]).unwrap().is_empty());
        assert!(names(&["Q"], &[]).is_err());
        assert!(
            names(&[], &["Q"])
                .unwrap_err()
                .to_string()
                .contains("relationship type Q")
        );
    }
}
