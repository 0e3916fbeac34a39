//! Decoding FalkorDB's compact result set (`GRAPH.QUERY … --compact`) into [`GraphValue`]s.
//!
//! Owns: the value-type tags of the compact format, the id → name resolution of labels,
//! relationship types and property keys (`db.labels()`, `db.relationshipTypes()`,
//! `db.propertyKeys()`), and mapping nodes and relationships onto the dense `_id` space and the
//! declared property types of the snapshot (so a node reads exactly as it does on Ryugraph).
//! Does not own: sending queries (see `lib.rs`) or the wire encoding of values (`value.rs` of
//! the engine crate).
//!
//! Format (FalkorDB client specification): a reply is `[header, rows, statistics]`; the header
//! holds `[column type, name]` pairs; every value is a `[type, payload]` pair where the type is
//! 1 null, 2 string, 3 integer, 4 boolean (`"true"`/`"false"`), 5 double (text, 15 significant
//! digits), 6 array, 7 edge `[id, type id, src, dst, [[key id, type, value]…]]`, 8 node
//! `[id, [label ids], [[key id, type, value]…]]`, 9 path `[[6, nodes], [6, edges]]`, 10 map
//! `[key, [type, value], …]`, 11 point, 12 float vector, 13 datetime / 14 date / 15 time (seconds
//! since the epoch), 16 duration (seconds).

use std::collections::HashMap;

use chrono::DateTime;
use graph_olap_api::{PropertyType, ScalarType};
use graph_olap_engine::{GraphValue, NodeValue, RelValue};

use crate::resp::Reply;

/// Names behind the integer ids of the compact format.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Label names by id.
    pub labels: Vec<String>,
    /// Relationship type names by id.
    pub types: Vec<String>,
    /// Property key names by id.
    pub keys: Vec<String>,
}

/// The declared layout of the graph, so entities decode with the snapshot's property order and
/// types, and ids map onto the dense `_id` space.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Per label: properties in table order with their declared types.
    pub node_properties: HashMap<String, Vec<(String, PropertyType)>>,
    /// Per relationship type: properties in table order with their declared types.
    pub rel_properties: HashMap<String, Vec<(String, PropertyType)>>,
    /// Added to FalkorDB's edge id to give a relationship's `_id` (the number of nodes, so that
    /// relationship `_id`s follow the node `_id`s as on Ryugraph).
    pub rel_id_base: i64,
}

/// A compact reply could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// A label, type or key id is not in [`Names`] (refresh and retry).
    UnknownId,
    /// The reply does not have the documented shape.
    Malformed(String),
}

fn malformed(what: &str) -> DecodeError {
    DecodeError::Malformed(what.to_string())
}

/// A decoded result set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultSet {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<GraphValue>>,
    /// The server's execution time in ms, from the statistics.
    pub execution_ms: Option<f64>,
}

/// Decodes a whole `GRAPH.QUERY --compact` reply; at most `max_rows` rows are decoded (the
/// caller sees the total from the reply).
pub fn decode_result(
    reply: &Reply,
    names: &Names,
    layout: &Layout,
    max_rows: usize,
) -> Result<(ResultSet, usize), DecodeError> {
    let parts = reply.items();
    let (header, rows, stats) = match parts {
        [stats] => (None, None, stats),
        [header, rows, stats] => (Some(header), Some(rows), stats),
        _ => return Err(malformed("result set with neither 1 nor 3 parts")),
    };
    let columns = header
        .map(|h| {
            h.items()
                .iter()
                .map(|c| match c.items() {
                    [_, name] => name.as_text().ok_or_else(|| malformed("column name")),
                    _ => Err(malformed("header entry")),
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let all_rows = rows.map(Reply::items).unwrap_or_default();
    let mut out = Vec::with_capacity(all_rows.len().min(max_rows));
    for row in all_rows.iter().take(max_rows) {
        out.push(
            row.items()
                .iter()
                .map(|v| decode_value(v, names, layout))
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    let execution_ms = stats.items().iter().find_map(|s| {
        let text = s.as_text()?;
        let rest = text.strip_prefix("Query internal execution time: ")?;
        rest.split(' ').next()?.parse::<f64>().ok()
    });
    Ok((
        ResultSet {
            columns,
            rows: out,
            execution_ms,
        },
        all_rows.len(),
    ))
}

fn text(r: &Reply) -> Result<String, DecodeError> {
    r.as_text().ok_or_else(|| malformed("text value"))
}

fn int(r: &Reply) -> Result<i64, DecodeError> {
    r.as_int().ok_or_else(|| malformed("integer value"))
}

fn parse_double(s: &str) -> f64 {
    match s.trim_start_matches('-') {
        "inf" => {
            if s.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        }
        "nan" => f64::NAN,
        _ => s.parse().unwrap_or(f64::NAN),
    }
}

fn seconds_to_date(secs: i64) -> GraphValue {
    match DateTime::from_timestamp(secs, 0) {
        Some(t) => GraphValue::Date(t.date_naive()),
        None => GraphValue::Int(secs, 64),
    }
}

/// Decodes one `[type, payload]` value.
pub fn decode_value(v: &Reply, names: &Names, layout: &Layout) -> Result<GraphValue, DecodeError> {
    let [tag, payload] = v.items() else {
        return Err(malformed("value pair"));
    };
    decode_tagged(int(tag)?, payload, names, layout)
}

fn decode_tagged(
    tag: i64,
    payload: &Reply,
    names: &Names,
    layout: &Layout,
) -> Result<GraphValue, DecodeError> {
    Ok(match tag {
        1 => GraphValue::Null,
        2 => GraphValue::String(text(payload)?),
        3 => GraphValue::Int(int(payload)?, 64),
        4 => GraphValue::Bool(text(payload)? == "true"),
        5 => GraphValue::Double(parse_double(&text(payload)?)),
        6 | 12 => GraphValue::List(
            payload
                .items()
                .iter()
                .map(|i| {
                    if tag == 12 {
                        Ok(GraphValue::Double(parse_double(&text(i)?)))
                    } else {
                        decode_value(i, names, layout)
                    }
                })
                .collect::<Result<_, _>>()?,
        ),
        7 => GraphValue::Rel(decode_edge(payload, names, layout)?),
        8 => GraphValue::Node(decode_node(payload, names, layout)?),
        9 => {
            let [nodes, edges] = payload.items() else {
                return Err(malformed("path"));
            };
            fn inner(r: &Reply) -> &[Reply] {
                match r.items() {
                    [_, list] => list.items(),
                    _ => &[],
                }
            }
            let mut path_nodes = Vec::new();
            for n in inner(nodes) {
                match decode_value(n, names, layout)? {
                    GraphValue::Node(n) => path_nodes.push(n),
                    _ => return Err(malformed("path node")),
                }
            }
            let mut path_rels = Vec::new();
            for e in inner(edges) {
                match decode_value(e, names, layout)? {
                    GraphValue::Rel(r) => path_rels.push(r),
                    _ => return Err(malformed("path edge")),
                }
            }
            GraphValue::Path {
                nodes: path_nodes,
                rels: path_rels,
            }
        }
        10 => {
            let items = payload.items();
            let mut entries = Vec::with_capacity(items.len() / 2);
            for pair in items.chunks(2) {
                let [k, v] = pair else {
                    return Err(malformed("map entry"));
                };
                entries.push((text(k)?, decode_value(v, names, layout)?));
            }
            GraphValue::Map(entries)
        }
        11 => {
            let [lat, lon] = payload.items() else {
                return Err(malformed("point"));
            };
            GraphValue::Map(vec![
                (
                    "latitude".into(),
                    GraphValue::Double(parse_double(&text(lat)?)),
                ),
                (
                    "longitude".into(),
                    GraphValue::Double(parse_double(&text(lon)?)),
                ),
            ])
        }
        13 => GraphValue::Timestamp(int(payload)?.saturating_mul(1_000_000)),
        14 => seconds_to_date(int(payload)?),
        15 => GraphValue::Interval(int(payload)?.saturating_mul(1_000_000)),
        16 => GraphValue::Interval(int(payload)?.saturating_mul(1_000_000)),
        other => return Err(DecodeError::Malformed(format!("value type {other}"))),
    })
}

/// `[[key id, type, value], …]` → property name → value.
fn properties(
    r: &Reply,
    names: &Names,
    layout: &Layout,
) -> Result<Vec<(String, GraphValue)>, DecodeError> {
    let mut out = Vec::new();
    for p in r.items() {
        let [key, tag, value] = p.items() else {
            return Err(malformed("property"));
        };
        let key = usize::try_from(int(key)?).map_err(|_| malformed("key id"))?;
        let name = names.keys.get(key).ok_or(DecodeError::UnknownId)?;
        out.push((
            name.clone(),
            decode_tagged(int(tag)?, value, names, layout)?,
        ));
    }
    Ok(out)
}

/// Orders `found` by the declared properties (absent ones are null, as a table column would
/// be), restores each declared type, and appends undeclared properties (written-back
/// algorithm results) after them in their stored order.
fn arrange(
    declared: Option<&Vec<(String, PropertyType)>>,
    mut found: Vec<(String, GraphValue)>,
) -> Vec<(String, GraphValue)> {
    let Some(declared) = declared else {
        return found;
    };
    let mut out = Vec::with_capacity(declared.len() + found.len());
    for (name, ty) in declared {
        let value = match found.iter().position(|(k, _)| k == name) {
            Some(i) => found.remove(i).1,
            None => GraphValue::Null,
        };
        out.push((name.clone(), restore_type(value, ty)));
    }
    out.extend(found);
    out
}

/// A stored value read back as the snapshot type it was loaded from (FalkorDB has one integer
/// and one float type, and no UUID or BLOB: those are stored as canonical text / base64).
pub fn restore_type(value: GraphValue, ty: &PropertyType) -> GraphValue {
    match (ty, value) {
        (PropertyType::List(s), GraphValue::List(items)) => {
            GraphValue::List(items.into_iter().map(|i| restore_scalar(i, *s)).collect())
        }
        (PropertyType::Scalar(s), v) => restore_scalar(v, *s),
        (_, v) => v,
    }
}

fn restore_scalar(value: GraphValue, ty: ScalarType) -> GraphValue {
    use base64::Engine as _;
    match (ty, value) {
        (ScalarType::Int32, GraphValue::Int(i, _)) => GraphValue::Int(i, 32),
        (ScalarType::Int16, GraphValue::Int(i, _)) => GraphValue::Int(i, 16),
        (ScalarType::Int8, GraphValue::Int(i, _)) => GraphValue::Int(i, 8),
        (ScalarType::Float, GraphValue::Double(f)) => GraphValue::Float(f as f32),
        (ScalarType::Uuid, GraphValue::String(s)) => {
            match u128::from_str_radix(&s.replace('-', ""), 16) {
                Ok(u) => GraphValue::Uuid(u),
                Err(_) => GraphValue::String(s),
            }
        }
        (ScalarType::Blob, GraphValue::String(s)) => {
            match base64::engine::general_purpose::STANDARD.decode(&s) {
                Ok(b) => GraphValue::Blob(b),
                Err(_) => GraphValue::String(s),
            }
        }
        (_, v) => v,
    }
}

fn decode_node(r: &Reply, names: &Names, layout: &Layout) -> Result<NodeValue, DecodeError> {
    let [id, labels, props] = r.items() else {
        return Err(malformed("node"));
    };
    let label = match labels.items().first() {
        Some(l) => {
            let i = usize::try_from(int(l)?).map_err(|_| malformed("label id"))?;
            names.labels.get(i).ok_or(DecodeError::UnknownId)?.clone()
        }
        None => String::new(),
    };
    let found = properties(props, names, layout)?;
    Ok(NodeValue {
        id: int(id)?,
        properties: arrange(layout.node_properties.get(&label), found),
        label,
    })
}

fn decode_edge(r: &Reply, names: &Names, layout: &Layout) -> Result<RelValue, DecodeError> {
    let [id, ty, src, dst, props] = r.items() else {
        return Err(malformed("edge"));
    };
    let t = usize::try_from(int(ty)?).map_err(|_| malformed("type id"))?;
    let rel_type = names.types.get(t).ok_or(DecodeError::UnknownId)?.clone();
    let found = properties(props, names, layout)?;
    Ok(RelValue {
        id: layout.rel_id_base + int(id)?,
        src: int(src)?,
        dst: int(dst)?,
        properties: arrange(layout.rel_properties.get(&rel_type), found),
        rel_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(tag: i64, payload: Reply) -> Reply {
        Reply::Array(vec![Reply::Int(tag), payload])
    }

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }

    #[test]
    fn scalars_maps_and_entities_decode() {
        let names = Names {
            labels: vec!["Person".into()],
            types: vec!["KNOWS".into()],
            keys: vec!["id".into(), "age".into(), "w".into()],
        };
        let mut layout = Layout {
            rel_id_base: 10,
            ..Layout::default()
        };
        layout.node_properties.insert(
            "Person".into(),
            vec![
                ("id".into(), PropertyType::Scalar(ScalarType::String)),
                ("age".into(), PropertyType::Scalar(ScalarType::Int32)),
                ("nick".into(), PropertyType::Scalar(ScalarType::String)),
            ],
        );
        let node = Reply::Array(vec![
            Reply::Int(3),
            Reply::Array(vec![Reply::Int(0)]),
            Reply::Array(vec![
                Reply::Array(vec![Reply::Int(1), Reply::Int(3), Reply::Int(41)]),
                Reply::Array(vec![Reply::Int(0), Reply::Int(2), bulk("p3")]),
            ]),
        ]);
        let v = decode_value(&pair(8, node), &names, &layout).unwrap();
        assert_eq!(
            v,
            GraphValue::Node(NodeValue {
                id: 3,
                label: "Person".into(),
                properties: vec![
                    ("id".into(), GraphValue::String("p3".into())),
                    ("age".into(), GraphValue::Int(41, 32)),
                    ("nick".into(), GraphValue::Null),
                ],
            })
        );
        let edge = Reply::Array(vec![
            Reply::Int(0),
            Reply::Int(0),
            Reply::Int(3),
            Reply::Int(4),
            Reply::Array(vec![Reply::Array(vec![
                Reply::Int(2),
                Reply::Int(5),
                bulk("0.5"),
            ])]),
        ]);
        match decode_value(&pair(7, edge), &names, &layout).unwrap() {
            GraphValue::Rel(r) => {
                assert_eq!(
                    (r.id, r.src, r.dst, r.rel_type.as_str()),
                    (10, 3, 4, "KNOWS")
                );
                assert_eq!(r.properties, vec![("w".into(), GraphValue::Double(0.5))]);
            }
            other => panic!("{other:?}"),
        }
        let map = Reply::Array(vec![
            bulk("d"),
            pair(14, Reply::Int(1_704_153_600)),
            bulk("b"),
            pair(4, bulk("false")),
        ]);
        assert_eq!(
            decode_value(&pair(10, map), &names, &layout)
                .unwrap()
                .to_json(),
            serde_json::json!({"d": "2024-01-02", "b": false})
        );
        let unknown = Reply::Array(vec![
            Reply::Int(0),
            Reply::Int(7),
            Reply::Int(0),
            Reply::Int(1),
            Reply::Array(vec![]),
        ]);
        assert_eq!(
            decode_value(&pair(7, unknown), &names, &layout),
            Err(DecodeError::UnknownId)
        );
        assert!(matches!(
            decode_value(&pair(5, bulk("-inf")), &names, &layout),
            Ok(GraphValue::Double(f)) if f == f64::NEG_INFINITY
        ));
    }

    #[test]
    fn declared_types_come_back() {
        let uuid = restore_type(
            GraphValue::String("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".into()),
            &PropertyType::Scalar(ScalarType::Uuid),
        );
        assert_eq!(
            uuid,
            GraphValue::Uuid(0xa0ee_bc99_9c0b_4ef8_bb6d_6bb9_bd38_0a11)
        );
        let blob = restore_type(
            GraphValue::String("AAE=".into()),
            &PropertyType::Scalar(ScalarType::Blob),
        );
        assert_eq!(blob, GraphValue::Blob(vec![0, 1]));
        let list = restore_type(
            GraphValue::List(vec![GraphValue::Double(0.5)]),
            &PropertyType::List(ScalarType::Float),
        );
        assert_eq!(list, GraphValue::List(vec![GraphValue::Float(0.5)]));
    }
}
