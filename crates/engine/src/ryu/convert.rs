//! Values crossing the Ryugraph binding: engine values into [`GraphValue`]s (dense `_id`s
//! included), JSON parameters into engine values, and engine type names into §3.2 names.

use super::*;

pub(super) fn logical_type_name(t: &LogicalType) -> String {
    match t {
        LogicalType::Any => "ANY".into(),
        LogicalType::Bool => "BOOL".into(),
        LogicalType::Serial | LogicalType::Int64 => "INT64".into(),
        LogicalType::Int32 => "INT32".into(),
        LogicalType::Int16 => "INT16".into(),
        LogicalType::Int8 => "INT8".into(),
        LogicalType::UInt64 => "UINT64".into(),
        LogicalType::UInt32 => "UINT32".into(),
        LogicalType::UInt16 => "UINT16".into(),
        LogicalType::UInt8 => "UINT8".into(),
        LogicalType::Int128 => "INT128".into(),
        LogicalType::Double => "DOUBLE".into(),
        LogicalType::Float => "FLOAT".into(),
        LogicalType::Date => "DATE".into(),
        LogicalType::Interval => "INTERVAL".into(),
        LogicalType::Timestamp
        | LogicalType::TimestampTz
        | LogicalType::TimestampNs
        | LogicalType::TimestampMs
        | LogicalType::TimestampSec => "TIMESTAMP".into(),
        LogicalType::InternalID => "INT64".into(),
        LogicalType::String => "STRING".into(),
        LogicalType::Blob => "BLOB".into(),
        LogicalType::List { child_type } | LogicalType::Array { child_type, .. } => {
            format!("LIST<{}>", logical_type_name(child_type))
        }
        LogicalType::Struct { .. } | LogicalType::Map { .. } => "MAP".into(),
        LogicalType::Node => "NODE".into(),
        LogicalType::Rel => "REL".into(),
        LogicalType::RecursiveRel => "PATH".into(),
        LogicalType::UUID => "UUID".into(),
        _ => "ANY".into(),
    }
}

/// Converts an engine value into a [`GraphValue`].
pub(super) fn convert(v: Value, ids: &IdSpace) -> GraphValue {
    match v {
        Value::Null(_) => GraphValue::Null,
        Value::Bool(b) => GraphValue::Bool(b),
        Value::Int64(i) => GraphValue::Int(i, 64),
        Value::Int32(i) => GraphValue::Int(i64::from(i), 32),
        Value::Int16(i) => GraphValue::Int(i64::from(i), 16),
        Value::Int8(i) => GraphValue::Int(i64::from(i), 8),
        Value::UInt64(i) => match i64::try_from(i) {
            Ok(v) => GraphValue::Int(v, 64),
            Err(_) => GraphValue::BigInt(i128::from(i)),
        },
        Value::UInt32(i) => GraphValue::Int(i64::from(i), 64),
        Value::UInt16(i) => GraphValue::Int(i64::from(i), 32),
        Value::UInt8(i) => GraphValue::Int(i64::from(i), 16),
        Value::Int128(i) => GraphValue::BigInt(i),
        Value::Double(f) => GraphValue::Double(f),
        Value::Float(f) => GraphValue::Float(f),
        Value::Date(d) => {
            let days = d.to_julian_day() - 2_440_588;
            match chrono::DateTime::from_timestamp(i64::from(days) * 86_400, 0) {
                Some(t) => GraphValue::Date(t.date_naive()),
                None => GraphValue::String(d.to_string()),
            }
        }
        Value::Interval(d) => {
            let us = d.whole_microseconds();
            GraphValue::Interval(i64::try_from(us).unwrap_or(i64::MAX))
        }
        Value::Timestamp(t)
        | Value::TimestampTz(t)
        | Value::TimestampNs(t)
        | Value::TimestampMs(t)
        | Value::TimestampSec(t) => {
            let us = t.unix_timestamp_nanos() / 1000;
            GraphValue::Timestamp(i64::try_from(us).unwrap_or(i64::MAX))
        }
        Value::InternalID(id) => GraphValue::Int(ids.id_of(id.table_id, id.offset), 64),
        Value::String(s) => GraphValue::String(s),
        Value::Blob(b) => GraphValue::Blob(b),
        Value::List(_, items) | Value::Array(_, items) => {
            GraphValue::List(items.into_iter().map(|i| convert(i, ids)).collect())
        }
        Value::Struct(fields) => GraphValue::Map(
            fields
                .into_iter()
                .map(|(k, v)| (k, convert(v, ids)))
                .collect(),
        ),
        Value::Map(_, entries) => GraphValue::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let key = match convert(k, ids).to_json() {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, convert(v, ids))
                })
                .collect(),
        ),
        Value::Node(n) => GraphValue::Node(convert_node(&n, ids)),
        Value::Rel(r) => GraphValue::Rel(convert_rel(&r, ids)),
        Value::RecursiveRel { nodes, rels } => GraphValue::Path {
            nodes: nodes.iter().map(|n| convert_node(n, ids)).collect(),
            rels: rels.iter().map(|r| convert_rel(r, ids)).collect(),
        },
        Value::Union { value, .. } => convert(*value, ids),
        Value::UUID(u) => GraphValue::Uuid(u.as_u128()),
        Value::Decimal(d) => GraphValue::Decimal(d.to_string()),
    }
}

pub(super) fn convert_node(n: &ryugraph::NodeVal, ids: &IdSpace) -> NodeValue {
    let id = n.get_node_id();
    NodeValue {
        id: ids.id_of(id.table_id, id.offset),
        label: n.get_label_name().clone(),
        properties: n
            .get_properties()
            .iter()
            .map(|(k, v)| (k.clone(), convert(v.clone(), ids)))
            .collect(),
    }
}

/// A relationship from the binding's row form, which lacks the relationship's own id (`-1`
/// here): results holding relationships are read through `arrow_rows`, which has it; this is
/// only reached when the engine cannot export such a result as Arrow.
pub(super) fn convert_rel(r: &ryugraph::RelVal, ids: &IdSpace) -> RelValue {
    let src = r.get_src_node();
    let dst = r.get_dst_node();
    RelValue {
        id: -1,
        rel_type: r.get_label_name().clone(),
        src: ids.id_of(src.table_id, src.offset),
        dst: ids.id_of(dst.table_id, dst.offset),
        properties: r
            .get_properties()
            .iter()
            .map(|(k, v)| (k.clone(), convert(v.clone(), ids)))
            .collect(),
    }
}

/// JSON parameter → engine value (§10.6: int → INT64, number → DOUBLE, string → STRING, bool →
/// BOOL, null, array → LIST, object → MAP, or STRUCT when the values' types differ).
pub(super) fn param_value(name: &str, v: &serde_json::Value) -> Result<Value, QueryError> {
    use serde_json::Value as J;
    let type_error = |what: &str| QueryError {
        kind: QueryErrorKind::Failed {
            reason: FailureReason::TypeError,
            parameter: Some(name.into()),
        },
        message: format!("Parameter {name}: {what}"),
    };
    Ok(match v {
        J::Null => Value::Null(LogicalType::Any),
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int64(i),
            None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::String(s.clone()),
        J::Array(items) => {
            let all_numbers =
                !items.is_empty() && items.iter().all(|i| i.is_number() || i.is_null());
            let any_float = items
                .iter()
                .any(|i| i.as_number().is_some_and(|n| n.as_i64().is_none()));
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                let value = if all_numbers && any_float {
                    match item.as_f64() {
                        Some(f) => Value::Double(f),
                        None => Value::Null(LogicalType::Double),
                    }
                } else {
                    param_value(name, item)?
                };
                values.push(value);
            }
            let element = common_type(&values)
                .ok_or_else(|| type_error("list elements have different types"))?;
            let values = values
                .into_iter()
                .map(|v| {
                    if let Value::Null(_) = v {
                        Value::Null(element.clone())
                    } else {
                        v
                    }
                })
                .collect();
            Value::List(element, values)
        }
        J::Object(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (k, item) in map {
                entries.push((k.clone(), param_value(name, item)?));
            }
            let values: Vec<Value> = entries.iter().map(|(_, v)| v.clone()).collect();
            match common_type(&values) {
                Some(t) if !entries.is_empty() => Value::Map(
                    (LogicalType::String, t.clone()),
                    entries
                        .into_iter()
                        .map(|(k, v)| {
                            let v = if let Value::Null(_) = v {
                                Value::Null(t.clone())
                            } else {
                                v
                            };
                            (Value::String(k), v)
                        })
                        .collect(),
                ),
                _ => Value::Struct(entries),
            }
        }
    })
}

pub(super) fn common_type(values: &[Value]) -> Option<LogicalType> {
    let mut found: Option<LogicalType> = None;
    for v in values {
        if let Value::Null(_) = v {
            continue;
        }
        let t = LogicalType::from(v);
        match &found {
            None => found = Some(t),
            Some(f) if *f == t => {}
            Some(_) => return None,
        }
    }
    Some(found.unwrap_or(LogicalType::String))
}
