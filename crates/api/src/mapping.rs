//! Mapping definitions (API.md §3.2): which SQL rows become nodes and edges, and the property types
//! the graph engine will hold them as.
//!
//! Owns the typed definitions and the canonical type names with their accepted aliases.
//! Does not own validation against a warehouse or the rules on names (the control plane does).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A scalar property type, by its canonical API name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the variants are the canonical names of §3.2
pub enum ScalarType {
    String,
    Int64,
    Int32,
    Int16,
    Int8,
    Double,
    Float,
    Bool,
    Date,
    Timestamp,
    Blob,
    Uuid,
}

impl ScalarType {
    /// The canonical name, e.g. `INT64`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::String => "STRING",
            ScalarType::Int64 => "INT64",
            ScalarType::Int32 => "INT32",
            ScalarType::Int16 => "INT16",
            ScalarType::Int8 => "INT8",
            ScalarType::Double => "DOUBLE",
            ScalarType::Float => "FLOAT",
            ScalarType::Bool => "BOOL",
            ScalarType::Date => "DATE",
            ScalarType::Timestamp => "TIMESTAMP",
            ScalarType::Blob => "BLOB",
            ScalarType::Uuid => "UUID",
        }
    }

    /// Parses a canonical name or one of the documented aliases, case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.trim().to_ascii_uppercase().as_str() {
            "STRING" | "VARCHAR" | "TEXT" => ScalarType::String,
            "INT64" | "INT" | "INTEGER" | "BIGINT" => ScalarType::Int64,
            "INT32" => ScalarType::Int32,
            "INT16" | "SMALLINT" => ScalarType::Int16,
            "INT8" | "TINYINT" => ScalarType::Int8,
            "DOUBLE" => ScalarType::Double,
            "FLOAT" | "REAL" => ScalarType::Float,
            "BOOL" | "BOOLEAN" => ScalarType::Bool,
            "DATE" => ScalarType::Date,
            "TIMESTAMP" | "DATETIME" => ScalarType::Timestamp,
            "BLOB" => ScalarType::Blob,
            "UUID" => ScalarType::Uuid,
            _ => return None,
        })
    }

    /// Whether a primary key may have this type (strings, signed integers, UUIDs).
    pub fn allowed_as_key(self) -> bool {
        matches!(
            self,
            ScalarType::String
                | ScalarType::Int64
                | ScalarType::Int32
                | ScalarType::Int16
                | ScalarType::Int8
                | ScalarType::Uuid
        )
    }
}

/// A property type: a scalar, or `LIST<scalar>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropertyType {
    /// One value.
    Scalar(ScalarType),
    /// A list of values of one scalar type.
    List(ScalarType),
}

impl PropertyType {
    /// Parses `INT64`, `bigint`, `LIST<varchar>` …; `None` for anything else (bare LIST, MAP, STRUCT).
    pub fn parse(text: &str) -> Option<Self> {
        let upper = text.trim().to_ascii_uppercase();
        if let Some(inner) = upper
            .strip_prefix("LIST<")
            .and_then(|r| r.strip_suffix('>'))
        {
            return ScalarType::parse(inner).map(PropertyType::List);
        }
        ScalarType::parse(&upper).map(PropertyType::Scalar)
    }

    /// Whether a primary key may have this type.
    pub fn allowed_as_key(self) -> bool {
        matches!(self, PropertyType::Scalar(s) if s.allowed_as_key())
    }

    /// Every canonical name accepted, for error messages.
    pub const CANONICAL_NAMES: &'static [&'static str] = &[
        "STRING",
        "INT64",
        "INT32",
        "INT16",
        "INT8",
        "DOUBLE",
        "FLOAT",
        "BOOL",
        "DATE",
        "TIMESTAMP",
        "BLOB",
        "UUID",
        "LIST<T>",
    ];
}

impl fmt::Display for PropertyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropertyType::Scalar(s) => f.write_str(s.as_str()),
            PropertyType::List(s) => write!(f, "LIST<{}>", s.as_str()),
        }
    }
}

impl FromStr for PropertyType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PropertyType::parse(s).ok_or_else(|| format!("'{s}' is not a supported property type"))
    }
}

impl Serialize for PropertyType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PropertyType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A property type travels as its name (`INT64`, `LIST<STRING>`; aliases and any case accepted on
/// input), so its schema is a string.
impl schemars::JsonSchema for PropertyType {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PropertyType".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "minLength": 1})
    }
}

/// `{name, type}` of a property.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PropertyDef {
    /// Column and property name.
    pub name: String,
    /// Declared type; values are cast to it at export.
    #[serde(rename = "type")]
    pub ty: PropertyType,
}

/// `{name, type}` of a node's primary key.
pub type PrimaryKey = PropertyDef;

/// One node label: a query yielding one row per node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NodeDefinition {
    /// Node label, e.g. `Customer`.
    pub label: String,
    /// One read statement producing the key and property columns.
    pub sql: String,
    /// The primary-key column.
    pub primary_key: PrimaryKey,
    /// Property columns, in order.
    #[serde(default)]
    pub properties: Vec<PropertyDef>,
}

/// One edge type: a query yielding one row per edge, keyed by the endpoint nodes' primary keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EdgeDefinition {
    /// Edge type, e.g. `PURCHASED`.
    #[serde(rename = "type")]
    pub edge_type: String,
    /// Label of the source node definition.
    pub from_node: String,
    /// Label of the target node definition.
    pub to_node: String,
    /// One read statement producing the key and property columns.
    pub sql: String,
    /// Column holding the source node's primary key.
    pub from_key: String,
    /// Column holding the target node's primary key.
    pub to_key: String,
    /// Property columns, in order.
    #[serde(default)]
    pub properties: Vec<PropertyDef>,
}

/// Cypher words that may not name a label, a relationship type or a property — mapping-defined
/// or written back by an algorithm (compared case-insensitively).
pub const RESERVED_NAMES: &[&str] = &[
    "NODE",
    "RELATIONSHIP",
    "MATCH",
    "WHERE",
    "RETURN",
    "CREATE",
    "DELETE",
    "SET",
    "REMOVE",
    "WITH",
    "ORDER",
    "LIMIT",
    "SKIP",
    "UNION",
    "CALL",
    "YIELD",
];

/// Whether `name` is one of [`RESERVED_NAMES`], in any letter case.
pub fn is_reserved_name(name: &str) -> bool {
    RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_normalise_to_canonical_names() {
        for (input, canonical) in [
            ("bigint", "INT64"),
            ("Integer", "INT64"),
            ("varchar", "STRING"),
            ("real", "FLOAT"),
            ("boolean", "BOOL"),
            ("datetime", "TIMESTAMP"),
            ("list<text>", "LIST<STRING>"),
        ] {
            assert_eq!(PropertyType::parse(input).unwrap().to_string(), canonical);
        }
        for bad in ["LIST", "MAP", "STRUCT", "LIST<LIST<INT64>>", "DECIMAL", ""] {
            assert!(PropertyType::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn key_types() {
        assert!(PropertyType::parse("STRING").unwrap().allowed_as_key());
        assert!(PropertyType::parse("UUID").unwrap().allowed_as_key());
        assert!(!PropertyType::parse("DOUBLE").unwrap().allowed_as_key());
        assert!(!PropertyType::parse("LIST<INT64>").unwrap().allowed_as_key());
    }
}
