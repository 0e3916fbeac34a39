//! Structural validation of mapping definitions (API.md §3.2): labels, types, keys, references,
//! reserved words and limits — everything that can be checked without a warehouse.
//!
//! Input is the raw JSON so that wrong types are reported per field; output is the typed
//! definitions plus every problem found, with `node_definitions[i].field` paths.

use std::collections::HashSet;

use graph_olap_api::{EdgeDefinition, FieldError, NodeDefinition, PropertyDef, PropertyType};
use serde_json::Value;

fn reserved(word: &str) -> bool {
    graph_olap_api::mapping::is_reserved_name(word)
}

fn identifier_ok(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 64
}

fn edge_type_ok(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 64
}

struct Collector<'a> {
    errors: &'a mut Vec<FieldError>,
}

impl Collector<'_> {
    fn push(&mut self, field: String, reason: &str, message: String) {
        self.errors.push(FieldError::new(field, reason, message));
    }

    fn string(
        &mut self,
        obj: &serde_json::Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<String> {
        match obj.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            None | Some(Value::Null) => {
                self.push(
                    format!("{path}.{key}"),
                    "required",
                    format!("'{path}.{key}' is required"),
                );
                None
            }
            Some(_) => {
                self.push(
                    format!("{path}.{key}"),
                    "type",
                    format!("'{path}.{key}' must be a string"),
                );
                None
            }
        }
    }

    fn identifier(
        &mut self,
        obj: &serde_json::Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<String> {
        let s = self.string(obj, key, path)?;
        if !identifier_ok(&s) {
            self.push(
                format!("{path}.{key}"),
                "pattern",
                format!("'{s}' must be 1–64 characters: a letter, then letters, digits or '_'"),
            );
            return None;
        }
        Some(s)
    }

    fn sql(&mut self, obj: &serde_json::Map<String, Value>, path: &str) -> Option<String> {
        let s = self.string(obj, "sql", path)?;
        if s.trim().is_empty() || s.chars().count() > 100_000 {
            self.push(
                format!("{path}.sql"),
                if s.trim().is_empty() {
                    "too_short"
                } else {
                    "too_long"
                },
                "SQL must have 1 to 100000 characters".into(),
            );
            return None;
        }
        if let Err(message) = crate::services::sql_check::single_read_statement(&s) {
            self.push(format!("{path}.sql"), "sql_invalid", message);
            return None;
        }
        Some(s)
    }

    fn prop_type(&mut self, v: Option<&Value>, path: &str) -> Option<PropertyType> {
        match v {
            Some(Value::String(t)) => match PropertyType::parse(t) {
                Some(pt) => Some(pt),
                None => {
                    self.push(
                        path.into(),
                        "enum",
                        format!(
                            "'{t}' is not a supported type; use one of {}",
                            PropertyType::CANONICAL_NAMES.join(", ")
                        ),
                    );
                    None
                }
            },
            None | Some(Value::Null) => {
                self.push(path.into(), "required", format!("'{path}' is required"));
                None
            }
            Some(_) => {
                self.push(path.into(), "type", format!("'{path}' must be a string"));
                None
            }
        }
    }

    fn properties(
        &mut self,
        obj: &serde_json::Map<String, Value>,
        path: &str,
        taken: &mut HashSet<String>,
    ) -> Option<Vec<PropertyDef>> {
        let items = match obj.get("properties") {
            None | Some(Value::Null) => return Some(Vec::new()),
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.push(
                    format!("{path}.properties"),
                    "type",
                    "properties must be a list of {name, type}".into(),
                );
                return None;
            }
        };
        if items.len() > 100 {
            self.push(
                format!("{path}.properties"),
                "too_long",
                "at most 100 properties are allowed".into(),
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (j, item) in items.iter().enumerate() {
            let ppath = format!("{path}.properties[{j}]");
            let Some(p) = item.as_object() else {
                self.push(
                    ppath,
                    "type",
                    "each property must be an object {name, type}".into(),
                );
                ok = false;
                continue;
            };
            let name = self.identifier(p, "name", &ppath);
            let ty = self.prop_type(p.get("type"), &format!("{ppath}.type"));
            if let Some(n) = &name {
                if reserved(n) {
                    self.push(
                        format!("{ppath}.name"),
                        "reserved_word",
                        format!("Property name '{n}' is a reserved Cypher keyword"),
                    );
                    ok = false;
                } else if !taken.insert(n.to_ascii_lowercase()) {
                    self.push(
                        format!("{ppath}.name"),
                        "duplicate",
                        format!("Property name '{n}' is used twice in this definition"),
                    );
                    ok = false;
                }
            }
            match (name, ty) {
                (Some(name), Some(ty)) => out.push(PropertyDef { name, ty }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// Validates raw definitions; returns the typed definitions only when no problem was found.
pub fn validate(
    nodes: &Value,
    edges: &Value,
    errors: &mut Vec<FieldError>,
) -> Option<(Vec<NodeDefinition>, Vec<EdgeDefinition>)> {
    let start = errors.len();
    let mut c = Collector { errors };
    let node_items = match nodes {
        Value::Array(a) if !a.is_empty() && a.len() <= 100 => a.as_slice(),
        Value::Array(a) => {
            c.push(
                "node_definitions".into(),
                if a.is_empty() {
                    "too_short"
                } else {
                    "too_long"
                },
                "a mapping needs 1 to 100 node definitions".into(),
            );
            &[]
        }
        _ => {
            c.push(
                "node_definitions".into(),
                "type",
                "node_definitions must be a list".into(),
            );
            &[]
        }
    };
    let edge_items = match edges {
        Value::Null => &[][..],
        Value::Array(a) if a.len() <= 200 => a.as_slice(),
        Value::Array(_) => {
            c.push(
                "edge_definitions".into(),
                "too_long",
                "a mapping may have at most 200 edge definitions".into(),
            );
            &[]
        }
        _ => {
            c.push(
                "edge_definitions".into(),
                "type",
                "edge_definitions must be a list".into(),
            );
            &[]
        }
    };
    let mut labels: HashSet<String> = HashSet::new();
    let mut node_defs = Vec::new();
    for (i, item) in node_items.iter().enumerate() {
        let path = format!("node_definitions[{i}]");
        let Some(obj) = item.as_object() else {
            c.push(
                path,
                "type",
                "each node definition must be an object".into(),
            );
            continue;
        };
        let label = c.identifier(obj, "label", &path);
        if let Some(l) = &label {
            if reserved(l) {
                c.push(
                    format!("{path}.label"),
                    "reserved_word",
                    format!("Node label '{l}' is a reserved Cypher keyword"),
                );
            } else if !labels.insert(l.to_ascii_lowercase()) {
                c.push(
                    format!("{path}.label"),
                    "duplicate",
                    format!("Node label '{l}' is defined twice"),
                );
            }
        }
        let sql = c.sql(obj, &path);
        let mut taken = HashSet::new();
        let pk = match obj.get("primary_key") {
            Some(Value::Object(pk)) => {
                let name = c.identifier(pk, "name", &format!("{path}.primary_key"));
                let ty = c.prop_type(pk.get("type"), &format!("{path}.primary_key.type"));
                if let Some(t) = ty
                    && !t.allowed_as_key()
                {
                    c.push(
                        format!("{path}.primary_key.type"),
                        "enum",
                        format!("{t} cannot be a primary key; use STRING, an integer type or UUID"),
                    );
                }
                if let Some(n) = &name {
                    taken.insert(n.to_ascii_lowercase());
                }
                name.zip(ty.filter(|t| t.allowed_as_key()))
                    .map(|(name, ty)| PropertyDef { name, ty })
            }
            None | Some(Value::Null) => {
                c.push(
                    format!("{path}.primary_key"),
                    "required",
                    "primary_key {name, type} is required".into(),
                );
                None
            }
            Some(_) => {
                c.push(
                    format!("{path}.primary_key"),
                    "type",
                    "primary_key must be an object {name, type}".into(),
                );
                None
            }
        };
        let props = c.properties(obj, &path, &mut taken);
        if let (Some(label), Some(sql), Some(primary_key), Some(properties)) =
            (label, sql, pk, props)
        {
            node_defs.push(NodeDefinition {
                label,
                sql,
                primary_key,
                properties,
            });
        }
    }
    let mut types: HashSet<String> = HashSet::new();
    let mut edge_defs = Vec::new();
    let exact_labels: HashSet<&str> = node_defs.iter().map(|n| n.label.as_str()).collect();
    for (i, item) in edge_items.iter().enumerate() {
        let path = format!("edge_definitions[{i}]");
        let Some(obj) = item.as_object() else {
            c.push(
                path,
                "type",
                "each edge definition must be an object".into(),
            );
            continue;
        };
        let ty = c.string(obj, "type", &path);
        let ty = ty.and_then(|t| {
            if !edge_type_ok(&t) {
                c.push(format!("{path}.type"), "pattern", format!("Edge type '{t}' must be 1–64 upper-case letters, digits or '_', starting with a letter"));
                None
            } else if reserved(&t) {
                c.push(format!("{path}.type"), "reserved_word", format!("Edge type '{t}' is a reserved Cypher keyword"));
                None
            } else if !types.insert(t.clone()) {
                c.push(format!("{path}.type"), "duplicate", format!("Edge type '{t}' is defined twice"));
                None
            } else {
                Some(t)
            }
        });
        let endpoint = |key: &str, c: &mut Collector<'_>| {
            let v = c.string(obj, key, &path)?;
            if exact_labels.contains(v.as_str())
                || (node_defs.len() < node_items.len()) && labels.contains(&v.to_ascii_lowercase())
            {
                Some(v)
            } else {
                c.push(
                    format!("{path}.{key}"),
                    "unknown_reference",
                    format!("'{v}' is not the label of a node definition in this mapping"),
                );
                None
            }
        };
        let from_node = endpoint("from_node", &mut c);
        let to_node = endpoint("to_node", &mut c);
        let sql = c.sql(obj, &path);
        let from_key = c.identifier(obj, "from_key", &path);
        let to_key = c.identifier(obj, "to_key", &path);
        let mut taken = HashSet::new();
        if let (Some(f), Some(t)) = (&from_key, &to_key) {
            if f.eq_ignore_ascii_case(t) {
                c.push(
                    format!("{path}.to_key"),
                    "duplicate",
                    "from_key and to_key must differ".into(),
                );
            }
            taken.insert(f.to_ascii_lowercase());
            taken.insert(t.to_ascii_lowercase());
        }
        let props = c.properties(obj, &path, &mut taken);
        if let (
            Some(edge_type),
            Some(from_node),
            Some(to_node),
            Some(sql),
            Some(from_key),
            Some(to_key),
            Some(properties),
        ) = (ty, from_node, to_node, sql, from_key, to_key, props)
            && !from_key.eq_ignore_ascii_case(&to_key)
        {
            edge_defs.push(EdgeDefinition {
                edge_type,
                from_node,
                to_node,
                sql,
                from_key,
                to_key,
                properties,
            });
        }
    }
    (c.errors.len() == start).then_some((node_defs, edge_defs))
}

/// The columns a definition's SQL must produce, with their declared types (the column contract).
pub fn expected_node_columns(n: &NodeDefinition) -> Vec<graph_olap_warehouse::ExpectedColumn> {
    std::iter::once(&n.primary_key)
        .chain(n.properties.iter())
        .map(|p| graph_olap_warehouse::ExpectedColumn {
            name: p.name.clone(),
            ty: p.ty,
        })
        .collect()
}

/// The columns of an edge's SQL: keys typed like the referenced nodes' primary keys, then properties.
pub fn expected_edge_columns(
    e: &EdgeDefinition,
    nodes: &[NodeDefinition],
) -> Vec<graph_olap_warehouse::ExpectedColumn> {
    let key_type = |label: &str| {
        nodes
            .iter()
            .find(|n| n.label == label)
            .map(|n| n.primary_key.ty)
    };
    let mut cols = Vec::new();
    if let Some(t) = key_type(&e.from_node) {
        cols.push(graph_olap_warehouse::ExpectedColumn {
            name: e.from_key.clone(),
            ty: t,
        });
    }
    if let Some(t) = key_type(&e.to_node) {
        cols.push(graph_olap_warehouse::ExpectedColumn {
            name: e.to_key.clone(),
            ty: t,
        });
    }
    cols.extend(
        e.properties
            .iter()
            .map(|p| graph_olap_warehouse::ExpectedColumn {
                name: p.name.clone(),
                ty: p.ty,
            }),
    );
    cols
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(label: &str) -> Value {
        json!({"label": label, "sql": "SELECT 1 AS id", "primary_key": {"name": "id", "type": "string"}, "properties": [{"name": "n", "type": "bigint"}]})
    }

    #[test]
    fn accepts_a_valid_mapping_and_normalises_types() {
        let mut errors = Vec::new();
        let edges = json!([{"type": "KNOWS", "from_node": "Person", "to_node": "Person", "sql": "SELECT 1 AS a, 2 AS b", "from_key": "a", "to_key": "b"}]);
        let (nodes, edges) =
            validate(&json!([node("Person")]), &edges, &mut errors).expect("valid");
        assert!(errors.is_empty());
        assert_eq!(nodes[0].properties[0].ty.to_string(), "INT64");
        assert_eq!(edges[0].edge_type, "KNOWS");
    }

    #[test]
    fn reports_every_structural_problem_with_its_path() {
        let mut errors = Vec::new();
        let nodes = json!([node("Person"), node("person"), node("match"),
            {"label": "X", "sql": "DELETE FROM t", "primary_key": {"name": "k", "type": "DOUBLE"}, "properties": [{"name": "k", "type": "MAP"}]}]);
        let edges = json!([{"type": "knows", "from_node": "Person", "to_node": "Nobody", "sql": "SELECT 1", "from_key": "a", "to_key": "A"}]);
        assert!(validate(&nodes, &edges, &mut errors).is_none());
        let got: Vec<(String, String)> = errors
            .iter()
            .map(|e| (e.field.clone(), e.reason.clone()))
            .collect();
        for expected in [
            ("node_definitions[1].label", "duplicate"),
            ("node_definitions[2].label", "reserved_word"),
            ("node_definitions[3].sql", "sql_invalid"),
            ("node_definitions[3].primary_key.type", "enum"),
            ("node_definitions[3].properties[0].type", "enum"),
            ("edge_definitions[0].type", "pattern"),
            ("edge_definitions[0].to_node", "unknown_reference"),
            ("edge_definitions[0].to_key", "duplicate"),
        ] {
            assert!(
                got.iter().any(|(f, r)| f == expected.0 && r == expected.1),
                "missing {expected:?} in {got:?}"
            );
        }
    }

    #[test]
    fn empty_node_list_is_refused() {
        let mut errors = Vec::new();
        assert!(validate(&json!([]), &Value::Null, &mut errors).is_none());
        assert_eq!(errors[0].field, "node_definitions");
    }
}
