//! Engine-neutral values of query results and their wire encoding (API.md §10.6 value table).
//!
//! Owns: [`GraphValue`] (what any backend converts its results into), the JSON encoding of every
//! value kind and the `column_types` names. Does not own: conversion from a particular engine's
//! values (see the backend module) or Arrow encoding (see `arrow_ipc`).

use base64::Engine as _;
use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Number, Value as Json};

/// A node as returned by a query.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeValue {
    /// Stable unique id (= Cypher `id(n)` as an integer).
    pub id: i64,
    /// Node label.
    pub label: String,
    /// Every property of the label, in table order.
    pub properties: Vec<(String, GraphValue)>,
}

/// A relationship as returned by a query.
#[derive(Debug, Clone, PartialEq)]
pub struct RelValue {
    /// Stable unique id (= Cypher `id(r)` as an integer).
    pub id: i64,
    /// Relationship type.
    pub rel_type: String,
    /// `_id` of the source node.
    pub src: i64,
    /// `_id` of the destination node.
    pub dst: i64,
    /// Properties of the type, in table order.
    pub properties: Vec<(String, GraphValue)>,
}

/// One value of a query result.
#[derive(Debug, Clone, PartialEq)]
pub enum GraphValue {
    /// SQL/Cypher null.
    Null,
    /// Boolean.
    Bool(bool),
    /// Signed integer with its declared width in bits (8, 16, 32, 64).
    Int(i64, u8),
    /// Unsigned 64-bit or wider integers that do not fit `i64` are kept exactly.
    BigInt(i128),
    /// 32-bit float.
    Float(f32),
    /// 64-bit float.
    Double(f64),
    /// UTF-8 string.
    String(String),
    /// Calendar date.
    Date(NaiveDate),
    /// Instant as microseconds since the Unix epoch, UTC.
    Timestamp(i64),
    /// Duration in microseconds (months are folded into 30-day months by the engine).
    Interval(i64),
    /// Bytes.
    Blob(Vec<u8>),
    /// UUID as its 128-bit value.
    Uuid(u128),
    /// Exact decimal rendered as text.
    Decimal(String),
    /// List of values.
    List(Vec<GraphValue>),
    /// Map or struct with string keys, in order.
    Map(Vec<(String, GraphValue)>),
    /// Node.
    Node(NodeValue),
    /// Relationship.
    Rel(RelValue),
    /// Path: nodes and relationships in order.
    Path {
        /// Nodes of the path.
        nodes: Vec<NodeValue>,
        /// Relationships of the path.
        rels: Vec<RelValue>,
    },
}

impl GraphValue {
    /// The `column_types` name of this value (§10.6).
    pub fn type_name(&self) -> String {
        match self {
            GraphValue::Null => "NULL".into(),
            GraphValue::Bool(_) => "BOOL".into(),
            GraphValue::Int(_, w) => format!("INT{w}"),
            GraphValue::BigInt(_) => "INT128".into(),
            GraphValue::Float(_) => "FLOAT".into(),
            GraphValue::Double(_) => "DOUBLE".into(),
            GraphValue::String(_) => "STRING".into(),
            GraphValue::Date(_) => "DATE".into(),
            GraphValue::Timestamp(_) => "TIMESTAMP".into(),
            GraphValue::Interval(_) => "INTERVAL".into(),
            GraphValue::Blob(_) => "BLOB".into(),
            GraphValue::Uuid(_) => "UUID".into(),
            GraphValue::Decimal(_) => "DECIMAL".into(),
            GraphValue::List(items) => {
                let mut inner: Option<String> = None;
                for item in items.iter().filter(|v| !matches!(v, GraphValue::Null)) {
                    let t = item.type_name();
                    match &inner {
                        None => inner = Some(t),
                        Some(existing) if *existing == t => {}
                        Some(_) => {
                            inner = Some("ANY".into());
                            break;
                        }
                    }
                }
                format!("LIST<{}>", inner.unwrap_or_else(|| "ANY".into()))
            }
            GraphValue::Map(_) => "MAP".into(),
            GraphValue::Node(_) => "NODE".into(),
            GraphValue::Rel(_) => "REL".into(),
            GraphValue::Path { .. } => "PATH".into(),
        }
    }

    /// JSON encoding per the §10.6 value table.
    pub fn to_json(&self) -> Json {
        match self {
            GraphValue::Null => Json::Null,
            GraphValue::Bool(b) => Json::Bool(*b),
            GraphValue::Int(i, _) => Json::Number((*i).into()),
            GraphValue::BigInt(i) => match i64::try_from(*i) {
                Ok(v) => Json::Number(v.into()),
                Err(_) => match u64::try_from(*i) {
                    Ok(v) => Json::Number(v.into()),
                    Err(_) => Json::String(i.to_string()),
                },
            },
            GraphValue::Float(f) => float_json(f64::from(*f)),
            GraphValue::Double(f) => float_json(*f),
            GraphValue::String(s) => Json::String(s.clone()),
            GraphValue::Date(d) => Json::String(d.format("%Y-%m-%d").to_string()),
            GraphValue::Timestamp(us) => Json::String(format_timestamp_micros(*us)),
            GraphValue::Interval(us) => Json::String(format_interval_micros(*us)),
            GraphValue::Blob(b) => {
                Json::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            GraphValue::Uuid(u) => Json::String(format_uuid(*u)),
            GraphValue::Decimal(d) => Json::String(d.clone()),
            GraphValue::List(items) => Json::Array(items.iter().map(GraphValue::to_json).collect()),
            GraphValue::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            GraphValue::Node(n) => node_json(n),
            GraphValue::Rel(r) => rel_json(r),
            GraphValue::Path { nodes, rels } => {
                let mut m = Map::new();
                m.insert(
                    "_nodes".into(),
                    Json::Array(nodes.iter().map(node_json).collect()),
                );
                m.insert(
                    "_rels".into(),
                    Json::Array(rels.iter().map(rel_json).collect()),
                );
                Json::Object(m)
            }
        }
    }
}

fn float_json(f: f64) -> Json {
    if f.is_nan() {
        Json::String("NaN".into())
    } else if f.is_infinite() {
        Json::String(if f > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else {
        Number::from_f64(f).map_or(Json::Null, Json::Number)
    }
}

fn node_json(n: &NodeValue) -> Json {
    let mut m = Map::new();
    m.insert("_id".into(), Json::Number(n.id.into()));
    m.insert("_label".into(), Json::String(n.label.clone()));
    for (k, v) in &n.properties {
        m.insert(k.clone(), v.to_json());
    }
    Json::Object(m)
}

fn rel_json(r: &RelValue) -> Json {
    let mut m = Map::new();
    m.insert("_id".into(), Json::Number(r.id.into()));
    m.insert("_type".into(), Json::String(r.rel_type.clone()));
    m.insert("_src".into(), Json::Number(r.src.into()));
    m.insert("_dst".into(), Json::Number(r.dst.into()));
    for (k, v) in &r.properties {
        m.insert(k.clone(), v.to_json());
    }
    Json::Object(m)
}

/// Lower-case canonical UUID text, e.g. `a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`.
pub fn format_uuid(u: u128) -> String {
    let h = format!("{u:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `2024-01-31T10:30:00.123456Z` (UTC, microseconds).
pub fn format_timestamp_micros(us: i64) -> String {
    match DateTime::from_timestamp_micros(us) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        None => us.to_string(),
    }
}

/// ISO 8601 duration with days as the largest unit, e.g. `P1DT2H3M4.5S`; `PT0S` for zero.
pub fn format_interval_micros(us: i64) -> String {
    if us == 0 {
        return "PT0S".into();
    }
    let sign = if us < 0 { "-" } else { "" };
    let mut rest = us.unsigned_abs();
    let days = rest / 86_400_000_000;
    rest %= 86_400_000_000;
    let hours = rest / 3_600_000_000;
    rest %= 3_600_000_000;
    let minutes = rest / 60_000_000;
    rest %= 60_000_000;
    let seconds = rest / 1_000_000;
    let micros = rest % 1_000_000;
    let mut out = format!("{sign}P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if hours > 0 || minutes > 0 || seconds > 0 || micros > 0 {
        out.push('T');
        if hours > 0 {
            out.push_str(&format!("{hours}H"));
        }
        if minutes > 0 {
            out.push_str(&format!("{minutes}M"));
        }
        if seconds > 0 || micros > 0 {
            if micros > 0 {
                let frac = format!("{micros:06}");
                out.push_str(&format!("{seconds}.{}S", frac.trim_end_matches('0')));
            } else {
                out.push_str(&format!("{seconds}S"));
            }
        }
    }
    out
}

/// The column type of a result column: `NULL` if every value is null, `ANY` if non-null values
/// have different types, else the common type; `declared` is used for empty columns.
pub fn column_type<'a>(values: impl Iterator<Item = &'a GraphValue>, declared: &str) -> String {
    let mut seen: Option<String> = None;
    let mut any_value = false;
    for v in values {
        any_value = true;
        if matches!(v, GraphValue::Null) {
            continue;
        }
        let t = v.type_name();
        match &seen {
            None => seen = Some(t),
            Some(s) if *s == t => {}
            Some(_) => return "ANY".into(),
        }
    }
    match seen {
        Some(t) => t,
        None if any_value => "NULL".into(),
        None => declared.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_iso() {
        assert_eq!(format_interval_micros(0), "PT0S");
        assert_eq!(format_interval_micros(93_784_500_000), "P1DT2H3M4.5S");
        assert_eq!(format_interval_micros(86_400_000_000), "P1D");
        assert_eq!(format_interval_micros(-60_000_000), "-PT1M");
    }

    #[test]
    fn floats_and_timestamps() {
        assert_eq!(
            GraphValue::Double(f64::NAN).to_json(),
            Json::String("NaN".into())
        );
        assert_eq!(
            GraphValue::Float(f32::NEG_INFINITY).to_json(),
            Json::String("-Infinity".into())
        );
        assert_eq!(
            format_timestamp_micros(1_706_697_000_123_456),
            "2024-01-31T10:30:00.123456Z"
        );
        assert_eq!(
            format_uuid(0xa0ee_bc99_9c0b_4ef8_bb6d_6bb9_bd38_0a11),
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
        );
    }

    #[test]
    fn column_types() {
        let vals = [GraphValue::Null, GraphValue::Int(1, 64)];
        assert_eq!(column_type(vals.iter(), "INT64"), "INT64");
        let vals = [GraphValue::Null, GraphValue::Null];
        assert_eq!(column_type(vals.iter(), "STRING"), "NULL");
        let vals = [GraphValue::String("a".into()), GraphValue::Int(1, 64)];
        assert_eq!(column_type(vals.iter(), "ANY"), "ANY");
        let list = GraphValue::List(vec![GraphValue::String("a".into())]);
        assert_eq!(list.type_name(), "LIST<STRING>");
    }
}
