//! Reading a snapshot table's Parquet files as batches of Cypher list literals.
//!
//! Owns: checking that every expected column is present (case-insensitively, as on Ryugraph),
//! casting each column to the canonical Arrow type of its declared property type, and writing
//! each row as `[v0, v1, …]` into batches of at most `batch_rows` rows. Does not own: the queries
//! that consume the batches (see `lib.rs`).
//!
//! Storage of types FalkorDB does not have: all integer widths are 64-bit integers and `FLOAT`
//! is a 64-bit float holding the `f32` value exactly (the declared width comes back from the
//! schema on read, see `compact`); `UUID` is its canonical lower-case text; `BLOB` is base64 text
//! (exactly the JSON encoding of a blob); `DATE` is a FalkorDB date; `TIMESTAMP` a FalkorDB
//! `localdatetime` in UTC, which has whole-second precision (fractions of a second are dropped).

use std::fmt::Write as _;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, TimeUnit};
use arrow::record_batch::RecordBatch;
use graph_olap_api::{EdgeDefinition, NodeDefinition, PropertyDef, PropertyType, ScalarType};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::literal::{push_f64, push_str};

/// A column to read: its name in the table and its declared type.
#[derive(Debug, Clone)]
pub struct ColumnSpec {
    /// Column name as the mapping spells it (matched case-insensitively).
    pub name: String,
    /// Declared type.
    pub ty: PropertyType,
}

impl ColumnSpec {
    fn of(p: &PropertyDef) -> Self {
        Self {
            name: p.name.clone(),
            ty: p.ty,
        }
    }

    /// A node table's columns as every load path reads them: the primary key, then the
    /// properties in definition order.
    pub fn of_nodes(def: &NodeDefinition) -> Vec<Self> {
        std::iter::once(&def.primary_key)
            .chain(&def.properties)
            .map(Self::of)
            .collect()
    }

    /// A relationship table's columns as every load path reads them: the source and destination
    /// keys (typed as the endpoint labels' primary keys `from` and `to`), then the properties.
    pub fn of_edges(def: &EdgeDefinition, from: &PropertyDef, to: &PropertyDef) -> Vec<Self> {
        let key = |name: &str, pk: &PropertyDef| Self {
            name: name.to_string(),
            ty: pk.ty,
        };
        [key(&def.from_key, from), key(&def.to_key, to)]
            .into_iter()
            .chain(def.properties.iter().map(Self::of))
            .collect()
    }
}

/// Reading failed; the message names the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError(pub String);

fn target(ty: &PropertyType) -> DataType {
    fn scalar(s: ScalarType) -> DataType {
        match s {
            ScalarType::String => DataType::Utf8,
            ScalarType::Int64 | ScalarType::Int32 | ScalarType::Int16 | ScalarType::Int8 => {
                DataType::Int64
            }
            ScalarType::Double | ScalarType::Float => DataType::Float64,
            ScalarType::Bool => DataType::Boolean,
            ScalarType::Date => DataType::Date32,
            ScalarType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            ScalarType::Blob => DataType::Binary,
            // UUIDs arrive as text or as 16 bytes; both are handled as they are.
            ScalarType::Uuid => DataType::Null,
        }
    }
    match ty {
        PropertyType::Scalar(s) => scalar(*s),
        PropertyType::List(s) => DataType::List(Arc::new(Field::new("item", scalar(*s), true))),
    }
}

fn canonical(column: &ArrayRef, ty: &PropertyType) -> Result<ArrayRef, String> {
    let want = target(ty);
    let want = match (&want, column.data_type()) {
        (DataType::Null, DataType::FixedSizeBinary(16)) => return Ok(Arc::clone(column)),
        (DataType::Null, _) => DataType::Utf8,
        // Time zone of the instant does not matter: the value is UTC microseconds.
        (DataType::Timestamp(..), DataType::Timestamp(TimeUnit::Microsecond, _)) => {
            return Ok(Arc::clone(column));
        }
        (w, _) => w.clone(),
    };
    if column.data_type() == &want {
        return Ok(Arc::clone(column));
    }
    arrow::compute::cast(column, &want)
        .map_err(|e| format!("cannot read {} as {ty}: {e}", column.data_type()))
}

/// A `DATE` cell (days since the epoch) as the ISO text FalkorDB's `date()` reads.
pub(crate) fn date_text(days: i32) -> Option<String> {
    chrono::DateTime::from_timestamp(i64::from(days) * 86_400, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
}

/// A `TIMESTAMP` cell (UTC microseconds) as the text FalkorDB's `localdatetime()` reads, to the
/// whole second (FalkorDB's precision).
pub(crate) fn timestamp_text(us: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_micros(us).map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
}

/// A `UUID` cell (16 bytes, or text) as its canonical lower-case text; text that is not a UUID
/// is kept as it is.
pub(crate) fn uuid_text(col: &dyn Array, row: usize) -> String {
    let format = graph_olap_engine::value::format_uuid;
    match col.data_type() {
        DataType::FixedSizeBinary(16) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(col.as_fixed_size_binary().value(row));
            format(u128::from_be_bytes(b))
        }
        _ => {
            let text = col.as_string::<i32>().value(row);
            match u128::from_str_radix(&text.replace('-', ""), 16) {
                Ok(u) if text.len() == 36 || text.len() == 32 => format(u),
                _ => text.to_string(),
            }
        }
    }
}

/// A `BLOB` cell as base64 text (its JSON encoding).
pub(crate) fn blob_text(col: &dyn Array, row: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(col.as_binary::<i32>().value(row))
}

/// Appends the value at `row` of a canonical column.
fn push_cell(out: &mut String, col: &dyn Array, row: usize, ty: &PropertyType) {
    if col.is_null(row) {
        out.push_str("null");
        return;
    }
    let scalar = match ty {
        PropertyType::Scalar(s) => *s,
        PropertyType::List(s) => {
            let list = col.as_list::<i32>().value(row);
            out.push('[');
            for i in 0..list.len() {
                if i > 0 {
                    out.push(',');
                }
                push_cell(out, list.as_ref(), i, &PropertyType::Scalar(*s));
            }
            out.push(']');
            return;
        }
    };
    match scalar {
        ScalarType::String => push_str(out, col.as_string::<i32>().value(row)),
        ScalarType::Int64 | ScalarType::Int32 | ScalarType::Int16 | ScalarType::Int8 => {
            let _ = write!(out, "{}", col.as_primitive::<Int64Type>().value(row));
        }
        ScalarType::Double | ScalarType::Float => {
            push_f64(out, col.as_primitive::<Float64Type>().value(row));
        }
        ScalarType::Bool => {
            out.push_str(if col.as_boolean().value(row) {
                "true"
            } else {
                "false"
            });
        }
        ScalarType::Date => {
            let days = col
                .as_primitive::<arrow::datatypes::Date32Type>()
                .value(row);
            match date_text(days) {
                Some(t) => push_str(out, &t),
                None => out.push_str("null"),
            }
        }
        ScalarType::Timestamp => {
            let us = col
                .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
                .value(row);
            match timestamp_text(us) {
                Some(t) => push_str(out, &t),
                None => out.push_str("null"),
            }
        }
        ScalarType::Blob => push_str(out, &blob_text(col, row)),
        ScalarType::Uuid => push_str(out, &uuid_text(col, row)),
    }
}

/// The Cypher expression that turns `source`, a value of type `ty` as the load sends it, into the
/// stored value, if the server must convert it: dates and timestamps travel as text (neither
/// Cypher literals nor the bulk format have them) and become `date` / `localdatetime` values.
pub fn convert_expr(source: &str, ty: &PropertyType) -> Option<String> {
    match ty {
        PropertyType::Scalar(ScalarType::Date) => Some(format!("date({source})")),
        PropertyType::Scalar(ScalarType::Timestamp) => Some(format!("localdatetime({source})")),
        PropertyType::List(ScalarType::Date) => Some(format!("[x IN {source} | date(x)]")),
        PropertyType::List(ScalarType::Timestamp) => {
            Some(format!("[x IN {source} | localdatetime(x)]"))
        }
        _ => None,
    }
}

/// The Cypher expression that stores list element `r[i]` with type `ty`.
pub fn store_expr(i: usize, ty: &PropertyType) -> String {
    let source = format!("r[{i}]");
    convert_expr(&source, ty).unwrap_or(source)
}

/// Rows in `files` (from the Parquet footers), checking every expected column is present.
pub fn count_rows(files: &[std::path::PathBuf], columns: &[ColumnSpec]) -> Result<u64, ReadError> {
    let mut rows = 0u64;
    for f in files {
        let builder = open(f)?;
        check_columns(f, builder.schema(), columns)?;
        rows += u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    }
    Ok(rows)
}

fn open(f: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>, ReadError> {
    let file = File::open(f).map_err(|e| ReadError(format!("{}: {e}", f.display())))?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| ReadError(format!("{}: not a readable Parquet file: {e}", f.display())))
}

fn check_columns(
    f: &Path,
    schema: &arrow::datatypes::SchemaRef,
    columns: &[ColumnSpec],
) -> Result<Vec<usize>, ReadError> {
    columns
        .iter()
        .map(|c| {
            schema
                .fields()
                .iter()
                .position(|field| field.name().eq_ignore_ascii_case(&c.name))
                .ok_or_else(|| ReadError(format!("file {} has no column {}", f.display(), c.name)))
        })
        .collect()
}

/// Reads `files` in record batches of at most `batch_size` rows and calls `record` with each
/// batch's expected columns, cast to their canonical types, in `columns` order, the row count and
/// the file. Stops at the first error `record` returns.
pub fn for_each_record<E>(
    files: &[std::path::PathBuf],
    columns: &[ColumnSpec],
    batch_size: usize,
    mut record: impl FnMut(&[ArrayRef], usize, &Path) -> Result<(), E>,
    read_error: impl Fn(ReadError) -> E,
) -> Result<(), E> {
    for f in files {
        let builder = open(f).map_err(&read_error)?;
        let indices = check_columns(f, builder.schema(), columns).map_err(&read_error)?;
        let reader = builder
            .with_batch_size(batch_size.clamp(1, 65_536))
            .build()
            .map_err(|e| read_error(ReadError(format!("{}: {e}", f.display()))))?;
        for batch in reader {
            let batch: RecordBatch =
                batch.map_err(|e| read_error(ReadError(format!("{}: {e}", f.display()))))?;
            let cols: Vec<ArrayRef> = indices
                .iter()
                .zip(columns)
                .map(|(&i, c)| canonical(batch.column(i), &c.ty))
                .collect::<Result<_, _>>()
                .map_err(|m| read_error(ReadError(format!("{}: {m}", f.display()))))?;
            record(&cols, batch.num_rows(), f)?;
        }
    }
    Ok(())
}

/// Reads `files` and calls `batch` with each `[[…],[…]]` literal of at most `batch_rows` rows
/// and its row count. Stops at the first error `batch` returns.
pub fn for_each_batch<E>(
    files: &[std::path::PathBuf],
    columns: &[ColumnSpec],
    batch_rows: usize,
    mut batch: impl FnMut(String, usize) -> Result<(), E>,
    read_error: impl Fn(ReadError) -> E,
) -> Result<(), E> {
    let batch_rows = batch_rows.max(1);
    let mut text = String::from("[");
    let mut pending = 0usize;
    for_each_record(
        files,
        columns,
        batch_rows,
        |cols, rows, _| {
            for row in 0..rows {
                if pending > 0 {
                    text.push(',');
                }
                text.push('[');
                for (j, (col, spec)) in cols.iter().zip(columns).enumerate() {
                    if j > 0 {
                        text.push(',');
                    }
                    push_cell(&mut text, col.as_ref(), row, &spec.ty);
                }
                text.push(']');
                pending += 1;
                if pending == batch_rows {
                    text.push(']');
                    batch(std::mem::replace(&mut text, String::from("[")), pending)?;
                    pending = 0;
                }
            }
            Ok(())
        },
        read_error,
    )?;
    if pending > 0 {
        text.push(']');
        batch(text, pending)?;
    }
    Ok(())
}
