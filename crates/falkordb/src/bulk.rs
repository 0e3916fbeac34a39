//! FalkorDB's binary bulk insert (`GRAPH.BULK`): the fastest load path measured here (README,
//! "FalkorDB load").
//!
//! Owns: the binary encoding of a table's rows (header, typed values), the map from primary keys
//! to node ids that resolves relationship endpoints on the client, and sending the batches with
//! one batch in flight while the next is encoded. Does not own: reading Parquet (see `load`), the
//! progress events and the dense-id check (see `lib.rs`).
//!
//! # The format (FalkorDB's `bulk_insert.c`)
//!
//! `GRAPH.BULK <graph> [BEGIN] <nodes> <relationships> <node tokens> <relationship tokens>
//! <token>…`: each token is one table's rows — a header (the label or type, NUL-terminated; a
//! 4-byte little-endian property count; the property names, NUL-terminated), then per row the
//! values in header order (a relationship first has its source and destination node ids, 8 bytes
//! each). A value is one type byte and its payload: null (none), bool (1 byte), double (8 bytes),
//! string (NUL-terminated), 64-bit integer (8 bytes), array (8-byte length, then the values).
//! `BEGIN` creates the graph and is refused when it exists; without it the graph must exist.
//! The reply counts are the declared ones, not what was created, so the load counts itself.
//!
//! # Values
//!
//! Storage is exactly that of the Cypher path (`load`): integers of every width as 64-bit
//! integers, `FLOAT` and `DOUBLE` as doubles (non-finite ones as null, which Cypher cannot
//! express), UUIDs as canonical text, blobs as base64 text; dates and timestamps travel as text
//! and one statement per table converts them afterwards ([`temporal_fix`]), because the format
//! has no temporal type. Null values are not stored (a missing property reads as null). FalkorDB
//! strings end at a NUL byte, so a string containing one fails the load by file and column
//! instead of being cut short.

use std::collections::HashMap;
use std::path::Path;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{Float64Type, Int64Type};
use graph_olap_api::{PropertyType, ScalarType};

use crate::literal::ident;
use crate::load::{
    self, ColumnSpec, blob_text, convert_expr, date_text, timestamp_text, uuid_text,
};
use crate::resp::{Connection, Reply};

const NULL: u8 = 0;
const BOOL: u8 = 1;
const DOUBLE: u8 = 2;
const STRING: u8 = 3;
const LONG: u8 = 4;
const ARRAY: u8 = 5;

/// Appends a table's header: its label or relationship type and its property names.
pub fn push_header(out: &mut Vec<u8>, name: &str, properties: &[&str]) -> Result<(), String> {
    push_cstr(out, name).map_err(|_| format!("the name {name:?} contains a NUL character"))?;
    let count = u32::try_from(properties.len()).map_err(|_| "too many properties".to_string())?;
    out.extend_from_slice(&count.to_le_bytes());
    for p in properties {
        push_cstr(out, p).map_err(|_| format!("the property {p:?} contains a NUL character"))?;
    }
    Ok(())
}

fn push_cstr(out: &mut Vec<u8>, s: &str) -> Result<(), ()> {
    if s.as_bytes().contains(&0) {
        return Err(());
    }
    out.extend_from_slice(s.as_bytes());
    out.push(0);
    Ok(())
}

fn push_text(out: &mut Vec<u8>, s: &str) -> Result<(), String> {
    out.push(STRING);
    push_cstr(out, s)
        .map_err(|_| "a string contains a NUL character, which FalkorDB cannot store".into())
}

/// Appends the value at `row` of a canonical column (see `load::for_each_record`).
pub fn push_value(
    out: &mut Vec<u8>,
    col: &dyn Array,
    row: usize,
    ty: &PropertyType,
) -> Result<(), String> {
    if col.is_null(row) {
        out.push(NULL);
        return Ok(());
    }
    let scalar = match ty {
        PropertyType::Scalar(s) => *s,
        PropertyType::List(s) => {
            let list = col.as_list::<i32>().value(row);
            out.push(ARRAY);
            out.extend_from_slice(&(list.len() as u64).to_le_bytes());
            for i in 0..list.len() {
                push_value(out, list.as_ref(), i, &PropertyType::Scalar(*s))?;
            }
            return Ok(());
        }
    };
    match scalar {
        ScalarType::String => push_text(out, col.as_string::<i32>().value(row))?,
        ScalarType::Int64 | ScalarType::Int32 | ScalarType::Int16 | ScalarType::Int8 => {
            out.push(LONG);
            out.extend_from_slice(&col.as_primitive::<Int64Type>().value(row).to_le_bytes());
        }
        ScalarType::Double | ScalarType::Float => {
            let f = col.as_primitive::<Float64Type>().value(row);
            if f.is_finite() {
                out.push(DOUBLE);
                out.extend_from_slice(&f.to_le_bytes());
            } else {
                out.push(NULL);
            }
        }
        ScalarType::Bool => {
            out.push(BOOL);
            out.push(u8::from(col.as_boolean().value(row)));
        }
        ScalarType::Date => {
            let days = col
                .as_primitive::<arrow::datatypes::Date32Type>()
                .value(row);
            match date_text(days) {
                Some(t) => push_text(out, &t)?,
                None => out.push(NULL),
            }
        }
        ScalarType::Timestamp => {
            let us = col
                .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
                .value(row);
            match timestamp_text(us) {
                Some(t) => push_text(out, &t)?,
                None => out.push(NULL),
            }
        }
        ScalarType::Blob => push_text(out, &blob_text(col, row))?,
        ScalarType::Uuid => push_text(out, &uuid_text(col, row))?,
    }
    Ok(())
}

/// The statement that converts a table's dates and timestamps from the text the bulk format
/// carried into FalkorDB temporal values (`None` when the table has none). `pattern` binds `e`:
/// `(e:Label)` or `()-[e:TYPE]->()`.
pub fn temporal_fix(pattern: &str, columns: &[ColumnSpec]) -> Option<String> {
    let sets: Vec<String> = columns
        .iter()
        .filter_map(|c| {
            let property = format!("e.{}", ident(&c.name));
            convert_expr(&property, &c.ty).map(|e| format!("{property} = {e}"))
        })
        .collect();
    (!sets.is_empty()).then(|| format!("MATCH {pattern} SET {}", sets.join(", ")))
}

/// Primary keys of one label → node ids, keyed by the key's bulk encoding (so a relationship's
/// endpoint column, read with the key's type, finds it byte for byte).
#[derive(Debug, Default)]
pub struct Keys {
    ints: HashMap<i64, u32>,
    other: HashMap<Vec<u8>, u32>,
}

fn as_long(encoded: &[u8]) -> Option<i64> {
    match encoded {
        [LONG, rest @ ..] => rest.try_into().ok().map(i64::from_le_bytes),
        _ => None,
    }
}

impl Keys {
    /// Records `encoded` → `id`; `false` when the key was already there.
    pub fn insert(&mut self, encoded: &[u8], id: u32) -> bool {
        match as_long(encoded) {
            Some(i) => self.ints.insert(i, id).is_none(),
            None => self.other.insert(encoded.to_vec(), id).is_none(),
        }
    }

    /// The node id of `encoded`.
    pub fn get(&self, encoded: &[u8]) -> Option<u32> {
        match as_long(encoded) {
            Some(i) => self.ints.get(&i).copied(),
            None => self.other.get(encoded).copied(),
        }
    }
}

/// An encoded key as text (for the duplicate-key error): integers and text as they read,
/// anything else as its bytes.
pub fn key_text(encoded: &[u8]) -> String {
    if let Some(i) = as_long(encoded) {
        return i.to_string();
    }
    match encoded {
        [STRING, rest @ .., 0] => String::from_utf8_lossy(rest).into_owned(),
        [DOUBLE, rest @ ..] => rest
            .try_into()
            .map(|b| f64::from_le_bytes(b).to_string())
            .unwrap_or_default(),
        [BOOL, b] => (*b != 0).to_string(),
        other => format!("{other:?}"),
    }
}

/// Sends `GRAPH.BULK` batches on one connection with at most one batch in flight: the next
/// batch is encoded while the server inserts the previous one.
pub struct Sender<'a> {
    conn: &'a mut Connection,
    graph: &'a str,
    begin: bool,
    in_flight: bool,
}

impl<'a> Sender<'a> {
    /// A sender into `graph`; `begin` when the graph does not exist yet (the first batch then
    /// creates it).
    pub fn new(conn: &'a mut Connection, graph: &'a str, begin: bool) -> Self {
        Self {
            conn,
            graph,
            begin,
            in_flight: false,
        }
    }

    /// Sends one token of `rows` nodes (`relationships == false`) or relationships, after the
    /// previous batch was answered.
    pub fn send(&mut self, token: &[u8], rows: u64, relationships: bool) -> Result<(), String> {
        self.finish()?;
        let count = rows.to_string();
        let (nodes, rels, node_tokens, rel_tokens): (&[u8], &[u8], &[u8], &[u8]) = if relationships
        {
            (b"0", count.as_bytes(), b"0", b"1")
        } else {
            (count.as_bytes(), b"0", b"1", b"0")
        };
        let mut args: Vec<&[u8]> = vec![b"GRAPH.BULK", self.graph.as_bytes()];
        if self.begin {
            args.push(b"BEGIN");
            self.begin = false;
        }
        args.extend([nodes, rels, node_tokens, rel_tokens, token]);
        self.conn.send(&args).map_err(|e| e.to_string())?;
        self.in_flight = true;
        Ok(())
    }

    /// Waits for the batch in flight, if any; a refusal is the error.
    pub fn finish(&mut self) -> Result<(), String> {
        if !self.in_flight {
            return Ok(());
        }
        self.in_flight = false;
        match self.conn.receive().map_err(|e| e.to_string())? {
            Reply::Error(e) => Err(format!("FalkorDB refused the bulk insert: {e}")),
            _ => Ok(()),
        }
    }
}

/// One table's rows as bulk tokens of at most `batch_rows` rows each.
///
/// `row` appends one row's payload after the header (and returns `false` to leave the row out,
/// e.g. a relationship whose endpoint is unknown); `batch` receives each finished token and its
/// row count. Errors name the file.
pub fn for_each_token<E>(
    files: &[std::path::PathBuf],
    columns: &[ColumnSpec],
    header: &[u8],
    batch_rows: usize,
    mut row: impl FnMut(&mut Vec<u8>, &[ArrayRef], usize, &Path) -> Result<bool, E>,
    mut batch: impl FnMut(&[u8], u64) -> Result<(), E>,
    read_error: impl Fn(load::ReadError) -> E,
) -> Result<(), E> {
    let batch_rows = batch_rows.max(1) as u64;
    let mut token = header.to_vec();
    let mut pending = 0u64;
    load::for_each_record(
        files,
        columns,
        usize::try_from(batch_rows).unwrap_or(usize::MAX),
        |cols, rows, file| {
            for r in 0..rows {
                let mark = token.len();
                if row(&mut token, cols, r, file)? {
                    pending += 1;
                } else {
                    token.truncate(mark);
                }
                if pending == batch_rows {
                    batch(&token, pending)?;
                    token.truncate(header.len());
                    pending = 0;
                }
            }
            Ok(())
        },
        read_error,
    )?;
    if pending > 0 {
        batch(&token, pending)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        BooleanArray, Float64Array, Int64Array, ListBuilder, StringArray, StringBuilder,
    };

    use super::*;

    #[test]
    fn values_are_typed_and_nul_is_refused() {
        let mut out = Vec::new();
        push_header(&mut out, "Person", &["id", "tags"]).unwrap();
        assert_eq!(out, b"Person\0\x02\0\0\0id\0tags\0");
        out.clear();
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![Some(-2), None]));
        push_value(
            &mut out,
            ints.as_ref(),
            0,
            &PropertyType::Scalar(ScalarType::Int32),
        )
        .unwrap();
        push_value(
            &mut out,
            ints.as_ref(),
            1,
            &PropertyType::Scalar(ScalarType::Int64),
        )
        .unwrap();
        assert_eq!(
            out[..9],
            [[LONG].as_slice(), &(-2i64).to_le_bytes()].concat()
        );
        assert_eq!(out[9..], [NULL]);
        out.clear();
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![1.5, f64::NAN]));
        let double = PropertyType::Scalar(ScalarType::Double);
        push_value(&mut out, floats.as_ref(), 0, &double).unwrap();
        push_value(&mut out, floats.as_ref(), 1, &double).unwrap();
        assert_eq!(
            out,
            [[DOUBLE].as_slice(), &1.5f64.to_le_bytes(), &[NULL]].concat()
        );
        out.clear();
        let bools: ArrayRef = Arc::new(BooleanArray::from(vec![true]));
        push_value(
            &mut out,
            bools.as_ref(),
            0,
            &PropertyType::Scalar(ScalarType::Bool),
        )
        .unwrap();
        assert_eq!(out, [BOOL, 1]);
        out.clear();
        let mut tags = ListBuilder::new(StringBuilder::new());
        tags.values().append_value("a");
        tags.values().append_null();
        tags.append(true);
        let tags: ArrayRef = Arc::new(tags.finish());
        push_value(
            &mut out,
            tags.as_ref(),
            0,
            &PropertyType::List(ScalarType::String),
        )
        .unwrap();
        assert_eq!(
            out,
            [
                [ARRAY].as_slice(),
                &2u64.to_le_bytes(),
                &[STRING, b'a', 0, NULL]
            ]
            .concat()
        );
        let text: ArrayRef = Arc::new(StringArray::from(vec!["a\0b"]));
        let err = push_value(
            &mut out,
            text.as_ref(),
            0,
            &PropertyType::Scalar(ScalarType::String),
        )
        .unwrap_err();
        assert!(err.contains("NUL"), "{err}");
        assert!(push_header(&mut out, "a\0", &[]).is_err());
    }

    #[test]
    fn keys_resolve_by_encoding_and_report_duplicates() {
        let mut keys = Keys::default();
        let (seven, text) = (
            [[LONG].as_slice(), &7i64.to_le_bytes()].concat(),
            b"\x03p1\0".to_vec(),
        );
        assert!(keys.insert(&seven, 3));
        assert!(keys.insert(&text, 4));
        assert!(!keys.insert(&text, 5));
        assert_eq!((keys.get(&seven), keys.get(&text)), (Some(3), Some(5)));
        assert_eq!(keys.get(b"\x03p2\0"), None);
        assert_eq!(
            (key_text(&seven), key_text(&text)),
            ("7".into(), "p1".into())
        );
    }

    #[test]
    fn temporal_columns_are_converted_by_one_statement() {
        let col = |name: &str, ty: PropertyType| ColumnSpec {
            name: name.into(),
            ty,
        };
        let columns = [
            col("id", PropertyType::Scalar(ScalarType::Int64)),
            col("born", PropertyType::Scalar(ScalarType::Date)),
            col("seen", PropertyType::List(ScalarType::Timestamp)),
        ];
        assert_eq!(
            temporal_fix("(e:`P`)", &columns).unwrap(),
            "MATCH (e:`P`) SET e.`born` = date(e.`born`), e.`seen` = [x IN e.`seen` | localdatetime(x)]"
        );
        assert_eq!(temporal_fix("(e:`P`)", &columns[..1]), None);
    }
}
