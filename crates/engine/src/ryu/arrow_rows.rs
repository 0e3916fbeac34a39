//! Results read through the engine's Arrow export, for results that carry relationships.
//!
//! The binding's row-by-row values give a relationship's source, target, label and properties
//! but not its own id; the engine's Arrow form of a relationship is a struct that includes it
//! (`_ID`). So a result whose declared types contain a relationship or a path is read as Arrow
//! record batches and converted here, into the same [`GraphValue`]s the row path produces (a
//! test runs every value type both ways). Arrow does not say whether a struct was a node, a
//! relationship, a path, an internal id or a plain struct, nor an `INT128` from a `DECIMAL(38, 0)`;
//! the declared [`LogicalType`] of the column, walked alongside, does.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, StructArray};
use arrow_schema::{DataType, TimeUnit};

use super::*;

/// Rows per Arrow batch read from the engine.
const BATCH_ROWS: usize = 2048;

/// Whether values of these declared types can hold a relationship (alone, in a path or nested
/// in a list, map, struct or union): such a result is read through [`rows`].
pub(super) fn carries_relationships(types: &[LogicalType]) -> bool {
    types.iter().any(holds_rel)
}

fn holds_rel(t: &LogicalType) -> bool {
    match t {
        LogicalType::Rel | LogicalType::RecursiveRel => true,
        LogicalType::List { child_type } | LogicalType::Array { child_type, .. } => {
            holds_rel(child_type)
        }
        LogicalType::Map {
            key_type,
            value_type,
        } => holds_rel(key_type) || holds_rel(value_type),
        LogicalType::Struct { fields } | LogicalType::Union { types: fields } => {
            fields.iter().any(|(_, t)| holds_rel(t))
        }
        _ => false,
    }
}

/// Reads at most `max_rows` rows of `result` as Arrow batches; returns them converted and whether
/// more rows followed. Fails when the engine cannot export one of the result's types.
pub(super) fn rows(
    result: &mut ryugraph::QueryResult<'_>,
    types: &[LogicalType],
    max_rows: usize,
    ids: &IdSpace,
) -> Result<(Vec<Vec<GraphValue>>, bool), String> {
    let batches = result
        .iter_arrow(BATCH_ROWS.min(max_rows.saturating_add(1)).max(1))
        .map_err(engine_err)?;
    let mut rows: Vec<Vec<GraphValue>> = Vec::new();
    for batch in batches {
        for i in 0..batch.num_rows() {
            if rows.len() == max_rows {
                return Ok((rows, true));
            }
            let row = batch
                .columns()
                .iter()
                .enumerate()
                .map(|(c, column)| value(column.as_ref(), i, types.get(c), ids))
                .collect();
            rows.push(row);
        }
    }
    Ok((rows, false))
}

/// Rows per Arrow batch when reading a topology's id pairs (two integers a row).
const PAIR_BATCH_ROWS: usize = 1 << 16;

/// The two `INT64` columns of every row of `result` (node offsets), each plus its base, as the
/// source and target `_id`s of a topology. Read as Arrow batches, a column a slice, instead of
/// one value at a time (10–25 % of the projection saved; the rest is the engine's own
/// materialisation of the result, `docs/decisions.md`).
pub(super) fn offset_pairs(
    result: &mut ryugraph::QueryResult<'_>,
    (first_base, second_base): (u32, u32),
) -> Result<(Vec<u32>, Vec<u32>), String> {
    let to_id = |base: u32, offset: i64| {
        u32::try_from(offset)
            .ok()
            .and_then(|o| base.checked_add(o))
            .ok_or_else(|| format!("node offset {offset} is outside the id space"))
    };
    let rows = usize::try_from(result.get_num_tuples()).unwrap_or(0);
    let (mut first, mut second) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    for batch in result.iter_arrow(PAIR_BATCH_ROWS).map_err(engine_err)? {
        let column = |k: usize| {
            batch
                .columns()
                .get(k)
                .and_then(|c| c.as_primitive_opt::<Int64Type>())
                .ok_or_else(|| format!("column {k} of a topology query is not INT64"))
        };
        let (a, b) = (column(0)?, column(1)?);
        if a.null_count() + b.null_count() > 0 {
            return Err("a topology query returned a null node offset".into());
        }
        for (&x, &y) in a.values().iter().zip(b.values().iter()) {
            first.push(to_id(first_base, x)?);
            second.push(to_id(second_base, y)?);
        }
    }
    Ok((first, second))
}

/// The value at `i` of `a`, whose declared type is `t` where known (inside nodes and
/// relationships the properties' types come from Arrow alone).
fn value(a: &dyn Array, i: usize, t: Option<&LogicalType>, ids: &IdSpace) -> GraphValue {
    if a.is_null(i) {
        return GraphValue::Null;
    }
    match (t, a.data_type()) {
        (Some(LogicalType::Node), DataType::Struct(_)) => {
            GraphValue::Node(node(a.as_struct(), i, ids))
        }
        (Some(LogicalType::Rel), DataType::Struct(_)) => {
            GraphValue::Rel(rel(a.as_struct(), i, ids))
        }
        (Some(LogicalType::RecursiveRel), DataType::Struct(_)) => path(a.as_struct(), i, ids),
        (Some(LogicalType::InternalID), DataType::Struct(_)) => {
            GraphValue::Int(internal_id(a.as_struct(), i, ids), 64)
        }
        (t, DataType::Struct(_)) => {
            let s = a.as_struct();
            let field_type = |k: usize| match t {
                Some(LogicalType::Struct { fields }) => fields.get(k).map(|(_, t)| t),
                _ => None,
            };
            GraphValue::Map(
                s.column_names()
                    .into_iter()
                    .zip(s.columns())
                    .enumerate()
                    .map(|(k, (name, column))| {
                        (name.to_string(), value(column, i, field_type(k), ids))
                    })
                    .collect(),
            )
        }
        (Some(LogicalType::Int128), DataType::Decimal128(_, 0)) => {
            GraphValue::BigInt(a.as_primitive::<Decimal128Type>().value(i))
        }
        (t, DataType::Union(..)) => {
            let u = a.as_union();
            let tag = u.type_id(i);
            let child_type = match t {
                Some(LogicalType::Union { types }) => usize::try_from(tag)
                    .ok()
                    .and_then(|k| types.get(k))
                    .map(|(_, t)| t),
                _ => None,
            };
            value(u.child(tag).as_ref(), u.value_offset(i), child_type, ids)
        }
        (t, DataType::List(_)) => {
            let child = child_type(t);
            let list = a.as_list::<i32>().value(i);
            items(list.as_ref(), child, ids)
        }
        (t, DataType::LargeList(_)) => {
            let child = child_type(t);
            let list = a.as_list::<i64>().value(i);
            items(list.as_ref(), child, ids)
        }
        (t, DataType::FixedSizeList(..)) => {
            let child = child_type(t);
            let list = a.as_fixed_size_list().value(i);
            items(list.as_ref(), child, ids)
        }
        (t, DataType::Map(..)) => {
            let (key_type, value_type) = match t {
                Some(LogicalType::Map {
                    key_type,
                    value_type,
                }) => (Some(key_type.as_ref()), Some(value_type.as_ref())),
                _ => (None, None),
            };
            let entries = a.as_map().value(i);
            let (keys, values) = (entries.column(0), entries.column(1));
            GraphValue::Map(
                (0..entries.len())
                    .map(|k| {
                        let key = match value(keys.as_ref(), k, key_type, ids).to_json() {
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        };
                        (key, value(values.as_ref(), k, value_type, ids))
                    })
                    .collect(),
            )
        }
        (_, _) => scalar(a, i),
    }
}

/// The element type of a declared list or array type.
fn child_type(t: Option<&LogicalType>) -> Option<&LogicalType> {
    match t {
        Some(LogicalType::List { child_type } | LogicalType::Array { child_type, .. }) => {
            Some(child_type)
        }
        _ => None,
    }
}

fn items(list: &dyn Array, t: Option<&LogicalType>, ids: &IdSpace) -> GraphValue {
    GraphValue::List((0..list.len()).map(|k| value(list, k, t, ids)).collect())
}

/// A value of a non-nested Arrow type, as the row path converts the engine's value of the type
/// the engine exported it from.
fn scalar(a: &dyn Array, i: usize) -> GraphValue {
    match a.data_type() {
        DataType::Boolean => GraphValue::Bool(a.as_boolean().value(i)),
        DataType::Int8 => GraphValue::Int(i64::from(a.as_primitive::<Int8Type>().value(i)), 8),
        DataType::Int16 => GraphValue::Int(i64::from(a.as_primitive::<Int16Type>().value(i)), 16),
        DataType::Int32 => GraphValue::Int(i64::from(a.as_primitive::<Int32Type>().value(i)), 32),
        DataType::Int64 => GraphValue::Int(a.as_primitive::<Int64Type>().value(i), 64),
        // Unsigned values take the next wider signed width, as in the row path.
        DataType::UInt8 => GraphValue::Int(i64::from(a.as_primitive::<UInt8Type>().value(i)), 16),
        DataType::UInt16 => GraphValue::Int(i64::from(a.as_primitive::<UInt16Type>().value(i)), 32),
        DataType::UInt32 => GraphValue::Int(i64::from(a.as_primitive::<UInt32Type>().value(i)), 64),
        DataType::UInt64 => {
            let v = a.as_primitive::<UInt64Type>().value(i);
            match i64::try_from(v) {
                Ok(v) => GraphValue::Int(v, 64),
                Err(_) => GraphValue::BigInt(i128::from(v)),
            }
        }
        DataType::Float32 => GraphValue::Float(a.as_primitive::<Float32Type>().value(i)),
        DataType::Float64 => GraphValue::Double(a.as_primitive::<Float64Type>().value(i)),
        DataType::Decimal128(precision, scale) => GraphValue::Decimal(decimal_text(
            decimal_unscaled(a.as_primitive::<Decimal128Type>().value(i), *precision),
            *scale,
        )),
        DataType::Date32 => {
            let days = a.as_primitive::<Date32Type>().value(i);
            match chrono::DateTime::from_timestamp(i64::from(days) * 86_400, 0) {
                Some(t) => GraphValue::Date(t.date_naive()),
                None => GraphValue::Null,
            }
        }
        DataType::Timestamp(unit, _) => GraphValue::Timestamp(temporal_micros(a, i, unit)),
        DataType::Duration(unit) => GraphValue::Interval(temporal_micros(a, i, unit)),
        DataType::Utf8 => GraphValue::String(a.as_string::<i32>().value(i).to_string()),
        DataType::LargeUtf8 => GraphValue::String(a.as_string::<i64>().value(i).to_string()),
        DataType::Binary => GraphValue::Blob(a.as_binary::<i32>().value(i).to_vec()),
        DataType::LargeBinary => GraphValue::Blob(a.as_binary::<i64>().value(i).to_vec()),
        DataType::FixedSizeBinary(16) => {
            let bytes = a.as_fixed_size_binary().value(i);
            match <[u8; 16]>::try_from(bytes) {
                Ok(b) => GraphValue::Uuid(u128::from_be_bytes(b)),
                Err(_) => GraphValue::Blob(bytes.to_vec()),
            }
        }
        DataType::FixedSizeBinary(_) => {
            GraphValue::Blob(a.as_fixed_size_binary().value(i).to_vec())
        }
        _ => GraphValue::Null,
    }
}

/// The `i`-th value of a timestamp or duration array (64-bit counts of `unit` either way) as
/// microseconds, sub-microsecond parts truncated towards zero.
fn temporal_micros(a: &dyn Array, i: usize, unit: &TimeUnit) -> i64 {
    let v = a.to_data().buffer::<i64>(0)[i];
    match unit {
        TimeUnit::Second => v.saturating_mul(1_000_000),
        TimeUnit::Millisecond => v.saturating_mul(1_000),
        TimeUnit::Microsecond => v,
        TimeUnit::Nanosecond => v / 1_000,
    }
}

/// The unscaled value of an exported decimal. The engine stores a decimal of precision up to 4, 9
/// or 18 in 2, 4 or 8 bytes and exports it by copying those bytes into Arrow's 16 without
/// extending the sign (measured: `-0.050` came out as `18446744073709551.566`), so only the
/// stored width is read, sign-extended.
fn decimal_unscaled(raw: i128, precision: u8) -> i128 {
    match precision {
        0..=4 => i128::from(raw as i16),
        5..=9 => i128::from(raw as i32),
        10..=18 => i128::from(raw as i64),
        _ => raw,
    }
}

/// A decimal's text with exactly `scale` fractional digits, as the engine prints it.
fn decimal_text(unscaled: i128, scale: i8) -> String {
    if scale <= 0 {
        return (unscaled * 10i128.pow(u32::from(scale.unsigned_abs()))).to_string();
    }
    let scale = usize::from(scale.unsigned_abs());
    let digits = unscaled.unsigned_abs().to_string();
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    let sign = if unscaled < 0 { "-" } else { "" };
    format!("{sign}{whole}.{fraction}")
}

/// The dense `_id` of an engine internal id (a struct of `offset` and `table`).
fn internal_id(s: &StructArray, i: usize, ids: &IdSpace) -> i64 {
    let part = |name: &str| {
        s.column_by_name(name)
            .and_then(|c| c.as_primitive_opt::<Int64Type>().map(|p| p.value(i)))
            .unwrap_or(0)
    };
    ids.id_of(part("table") as u64, part("offset") as u64)
}

/// The internal id in field `name` of a node or relationship struct (`-1` when absent).
fn id_field(s: &StructArray, name: &str, i: usize, ids: &IdSpace) -> i64 {
    s.column_by_name(name)
        .map_or(-1, |c| internal_id(c.as_struct(), i, ids))
}

fn label_field(s: &StructArray, i: usize) -> String {
    s.column_by_name("_LABEL")
        .and_then(|c| c.as_string_opt::<i32>().map(|l| l.value(i).to_string()))
        .unwrap_or_default()
}

/// The properties of a node or relationship struct: every field but the engine's own.
fn properties(s: &StructArray, i: usize, ids: &IdSpace) -> Vec<(String, GraphValue)> {
    s.column_names()
        .into_iter()
        .zip(s.columns())
        .filter(|(name, _)| !matches!(*name, "_ID" | "_LABEL" | "_SRC" | "_DST"))
        .map(|(name, column)| (name.to_string(), value(column, i, None, ids)))
        .collect()
}

fn node(s: &StructArray, i: usize, ids: &IdSpace) -> NodeValue {
    NodeValue {
        id: id_field(s, "_ID", i, ids),
        label: label_field(s, i),
        properties: properties(s, i, ids),
    }
}

fn rel(s: &StructArray, i: usize, ids: &IdSpace) -> RelValue {
    RelValue {
        id: id_field(s, "_ID", i, ids),
        rel_type: label_field(s, i),
        src: id_field(s, "_SRC", i, ids),
        dst: id_field(s, "_DST", i, ids),
        properties: properties(s, i, ids),
    }
}

/// A path: the struct of its `_NODES` and `_RELS` lists.
fn path(s: &StructArray, i: usize, ids: &IdSpace) -> GraphValue {
    let list = |name: &str| {
        s.column_by_name(name)
            .and_then(|c| c.as_list_opt::<i32>())
            .filter(|l| !l.is_null(i))
            .map(|l| l.value(i))
    };
    let nodes = list("_NODES").map_or_else(Vec::new, |n| {
        let n = n.as_struct();
        (0..n.len()).map(|k| node(n, k, ids)).collect()
    });
    let rels = list("_RELS").map_or_else(Vec::new, |r| {
        let r = r.as_struct();
        (0..r.len()).map(|k| rel(r, k, ids)).collect()
    });
    GraphValue::Path { nodes, rels }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_print_their_scale() {
        assert_eq!(decimal_text(150, 2), "1.50");
        assert_eq!(decimal_text(-5, 2), "-0.05");
        assert_eq!(decimal_text(0, 3), "0.000");
        assert_eq!(decimal_text(12, 0), "12");
        assert_eq!(decimal_text(12, -2), "1200");
    }

    #[test]
    fn decimals_are_read_at_the_width_the_engine_stores() {
        // -50 in the low 8 bytes, zeros above: what the engine exports for DECIMAL(18, 3).
        let zero_extended = i128::from(-50i64 as u64);
        assert_eq!(decimal_unscaled(zero_extended, 18), -50);
        assert_eq!(decimal_unscaled(i128::from(-7i32 as u32), 9), -7);
        assert_eq!(decimal_unscaled(i128::from(-7i16 as u16), 4), -7);
        assert_eq!(decimal_unscaled(-(1i128 << 100), 38), -(1i128 << 100));
        assert_eq!(decimal_unscaled(123_456, 18), 123_456);
    }

    #[test]
    fn relationships_are_found_inside_nested_types() {
        let list_of = |t: LogicalType| LogicalType::List {
            child_type: Box::new(t),
        };
        assert!(carries_relationships(&[
            LogicalType::Int64,
            LogicalType::Rel
        ]));
        assert!(carries_relationships(&[LogicalType::RecursiveRel]));
        assert!(carries_relationships(&[list_of(list_of(LogicalType::Rel))]));
        assert!(carries_relationships(&[LogicalType::Struct {
            fields: vec![("r".into(), LogicalType::Rel)]
        }]));
        assert!(!carries_relationships(&[
            LogicalType::Node,
            list_of(LogicalType::Node),
            LogicalType::String
        ]));
    }
}
