//! The graph's catalogue as translators see it: node labels and relationship types with their
//! property names and types.
//!
//! Owns: the engine-neutral description of what properties each label and relationship type
//! has, and the small type lattice translators reason with ([`ValueType`]). Does not own:
//! reading the catalogue from an engine (the engine adapter builds a [`Schema`]).

use std::collections::BTreeMap;

/// One node label or relationship type and its properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableSchema {
    /// Property name → type name as the engine spells it (`STRING`, `INT64`, `DOUBLE`, `BOOL`,
    /// `DATE`, `LIST<STRING>`, …).
    pub properties: BTreeMap<String, String>,
}

/// Labels and relationship types of a graph, with their properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Node label → its properties (primary key included).
    pub nodes: BTreeMap<String, TableSchema>,
    /// Relationship type → its properties.
    pub relationships: BTreeMap<String, TableSchema>,
}

/// The value types translators distinguish (everything else is [`ValueType::Other`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    /// 8- to 128-bit integers.
    Integer,
    /// `FLOAT` / `DOUBLE` / `DECIMAL`.
    Float,
    /// `STRING`.
    String,
    /// `BOOL`.
    Boolean,
    /// Any other engine type, by name.
    Other(String),
}

impl ValueType {
    /// The type of an engine type name.
    pub fn from_engine_name(name: &str) -> ValueType {
        let upper = name.trim().to_ascii_uppercase();
        match upper.as_str() {
            "INT8" | "INT16" | "INT32" | "INT64" | "INT128" | "UINT8" | "UINT16" | "UINT32"
            | "UINT64" | "SERIAL" => ValueType::Integer,
            "FLOAT" | "DOUBLE" => ValueType::Float,
            "STRING" => ValueType::String,
            "BOOL" | "BOOLEAN" => ValueType::Boolean,
            _ if upper.starts_with("DECIMAL") => ValueType::Float,
            _ => ValueType::Other(upper),
        }
    }

    /// The engine type name to `CAST` a null to.
    pub fn engine_name(&self) -> &str {
        match self {
            ValueType::Integer => "INT64",
            ValueType::Float => "DOUBLE",
            ValueType::String => "STRING",
            ValueType::Boolean => "BOOL",
            ValueType::Other(name) => name,
        }
    }
}

impl Schema {
    /// Adds a node label with `(name, type)` properties.
    pub fn with_node<'a>(
        mut self,
        label: &str,
        properties: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Schema {
        self.nodes.insert(label.to_string(), table(properties));
        self
    }

    /// Adds a relationship type with `(name, type)` properties.
    pub fn with_relationship<'a>(
        mut self,
        rel_type: &str,
        properties: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Schema {
        self.relationships
            .insert(rel_type.to_string(), table(properties));
        self
    }

    /// The types `property` has on the given tables (`None`: every table of that kind), in
    /// table order; empty when none of them has it. Label names match case-insensitively.
    pub fn property_types(
        &self,
        relationship: bool,
        tables: Option<&[String]>,
        property: &str,
    ) -> Vec<ValueType> {
        let all = if relationship {
            &self.relationships
        } else {
            &self.nodes
        };
        let has = |t: &TableSchema| {
            t.properties
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(property))
                .map(|(_, v)| ValueType::from_engine_name(v))
        };
        match tables {
            None => all.values().filter_map(has).collect(),
            Some(names) => all
                .iter()
                .filter(|(k, _)| names.iter().any(|n| n.eq_ignore_ascii_case(k)))
                .filter_map(|(_, t)| has(t))
                .collect(),
        }
    }

    /// Whether the schema names `label` (node) or `rel_type` (relationship).
    pub fn has_table(&self, relationship: bool, name: &str) -> bool {
        let all = if relationship {
            &self.relationships
        } else {
            &self.nodes
        };
        all.keys().any(|k| k.eq_ignore_ascii_case(name))
    }

    /// No labels and no relationship types: nothing can be checked.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.relationships.is_empty()
    }
}

fn table<'a>(properties: impl IntoIterator<Item = (&'a str, &'a str)>) -> TableSchema {
    TableSchema {
        properties: properties
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}
