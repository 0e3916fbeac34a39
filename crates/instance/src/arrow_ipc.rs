//! Arrow IPC stream encoding of query results (API.md §10.6 "Arrow IPC responses").
//!
//! Owns: the mapping of `column_types` to Arrow types, field/schema metadata and batching into
//! record batches of at most 65 536 rows. Does not own: content negotiation or HTTP headers.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, DurationMicrosecondBuilder,
    Float32Builder, Float64Builder, Int64Builder, ListArray, NullArray, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::error::ArrowError;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;

use graph_olap_engine::{GraphValue, QueryOutput};

/// Rows per record batch.
pub const MAX_BATCH_ROWS: usize = 65_536;

fn arrow_type(type_name: &str) -> DataType {
    if let Some(inner) = type_name
        .strip_prefix("LIST<")
        .and_then(|r| r.strip_suffix('>'))
    {
        return DataType::List(Arc::new(Field::new("item", arrow_type(inner), true)));
    }
    match type_name {
        "INT8" | "INT16" | "INT32" | "INT64" => DataType::Int64,
        "FLOAT" => DataType::Float32,
        "DOUBLE" => DataType::Float64,
        "BOOL" => DataType::Boolean,
        "DATE" => DataType::Date32,
        "TIMESTAMP" => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        "INTERVAL" => DataType::Duration(TimeUnit::Microsecond),
        "BLOB" => DataType::Binary,
        "NULL" => DataType::Null,
        _ => DataType::Utf8,
    }
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

fn json_text(v: &GraphValue) -> Option<String> {
    match v {
        GraphValue::Null => None,
        GraphValue::String(s) => Some(s.clone()),
        other => match other.to_json() {
            serde_json::Value::String(s) => Some(s),
            j => Some(j.to_string()),
        },
    }
}

fn build(values: &[&GraphValue], ty: &DataType) -> ArrayRef {
    match ty {
        DataType::Int64 => {
            let mut b = Int64Builder::with_capacity(values.len());
            for v in values {
                b.append_option(match v {
                    GraphValue::Int(i, _) => Some(*i),
                    GraphValue::BigInt(i) => i64::try_from(*i).ok(),
                    _ => None,
                });
            }
            Arc::new(b.finish())
        }
        DataType::Float32 => {
            let mut b = Float32Builder::with_capacity(values.len());
            for v in values {
                b.append_option(if let GraphValue::Float(f) = v {
                    Some(*f)
                } else {
                    None
                });
            }
            Arc::new(b.finish())
        }
        DataType::Float64 => {
            let mut b = Float64Builder::with_capacity(values.len());
            for v in values {
                b.append_option(if let GraphValue::Double(f) = v {
                    Some(*f)
                } else {
                    None
                });
            }
            Arc::new(b.finish())
        }
        DataType::Boolean => {
            let mut b = BooleanBuilder::with_capacity(values.len());
            for v in values {
                b.append_option(if let GraphValue::Bool(x) = v {
                    Some(*x)
                } else {
                    None
                });
            }
            Arc::new(b.finish())
        }
        DataType::Date32 => {
            let mut b = Date32Builder::with_capacity(values.len());
            for v in values {
                b.append_option(if let GraphValue::Date(d) = v {
                    i32::try_from(d.signed_duration_since(epoch()).num_days()).ok()
                } else {
                    None
                });
            }
            Arc::new(b.finish())
        }
        DataType::Timestamp(_, _) => {
            let mut b =
                TimestampMicrosecondBuilder::with_capacity(values.len()).with_timezone("UTC");
            for v in values {
                b.append_option(if let GraphValue::Timestamp(t) = v {
                    Some(*t)
                } else {
                    None
                });
            }
            Arc::new(b.finish())
        }
        DataType::Duration(_) => {
            let mut b = DurationMicrosecondBuilder::with_capacity(values.len());
            for v in values {
                b.append_option(if let GraphValue::Interval(t) = v {
                    Some(*t)
                } else {
                    None
                });
            }
            Arc::new(b.finish())
        }
        DataType::Binary => {
            let mut b = BinaryBuilder::with_capacity(values.len(), 0);
            for v in values {
                b.append_option(if let GraphValue::Blob(x) = v {
                    Some(x.as_slice())
                } else {
                    None
                });
            }
            Arc::new(b.finish())
        }
        DataType::Null => Arc::new(NullArray::new(values.len())),
        DataType::List(field) => {
            let mut offsets = Vec::with_capacity(values.len() + 1);
            let mut children: Vec<&GraphValue> = Vec::new();
            let mut valid = Vec::with_capacity(values.len());
            offsets.push(0i32);
            for v in values {
                if let GraphValue::List(items) = v {
                    children.extend(items.iter());
                    valid.push(true);
                } else {
                    valid.push(false);
                }
                offsets.push(i32::try_from(children.len()).unwrap_or(i32::MAX));
            }
            let child = build(&children, field.data_type());
            Arc::new(ListArray::new(
                Arc::clone(field),
                OffsetBuffer::new(offsets.into()),
                child,
                Some(NullBuffer::from(valid)),
            ))
        }
        _ => {
            let mut b = StringBuilder::with_capacity(values.len(), 0);
            for v in values {
                b.append_option(json_text(v));
            }
            Arc::new(b.finish())
        }
    }
}

/// Encodes a result as one Arrow IPC stream (schema + batches of ≤ 65 536 rows).
pub fn encode_stream(output: &QueryOutput) -> Result<Vec<u8>, ArrowError> {
    let fields: Vec<Field> = output
        .columns
        .iter()
        .zip(&output.column_types)
        .map(|(name, ty)| {
            Field::new(name, arrow_type(ty), true)
                .with_metadata(HashMap::from([("graph_olap.type".to_string(), ty.clone())]))
        })
        .collect();
    let schema = Arc::new(Schema::new_with_metadata(
        fields,
        HashMap::from([
            (
                "graph_olap.row_count".to_string(),
                output.rows.len().to_string(),
            ),
            (
                "graph_olap.execution_time_ms".to_string(),
                output.execution_time_ms.to_string(),
            ),
            (
                "graph_olap.truncated".to_string(),
                output.truncated.to_string(),
            ),
        ]),
    ));
    let mut buffer = Vec::new();
    {
        let mut writer = StreamWriter::try_new(&mut buffer, &schema)?;
        for chunk in output.rows.chunks(MAX_BATCH_ROWS) {
            let columns: Vec<ArrayRef> = schema
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let column: Vec<&GraphValue> = chunk.iter().map(|r| &r[i]).collect();
                    build(&column, f.data_type())
                })
                .collect();
            let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
            writer.write(&batch)?;
        }
        writer.finish()?;
    }
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::ipc::reader::StreamReader;

    #[test]
    fn round_trips_through_an_ipc_reader() {
        let output = QueryOutput {
            columns: vec!["n".into(), "xs".into(), "node".into(), "nothing".into()],
            column_types: vec![
                "INT64".into(),
                "LIST<STRING>".into(),
                "NODE".into(),
                "NULL".into(),
            ],
            rows: vec![
                vec![
                    GraphValue::Int(1, 64),
                    GraphValue::List(vec![GraphValue::String("a".into())]),
                    GraphValue::Node(graph_olap_engine::NodeValue {
                        id: 3,
                        label: "L".into(),
                        properties: vec![],
                    }),
                    GraphValue::Null,
                ],
                vec![
                    GraphValue::Null,
                    GraphValue::Null,
                    GraphValue::Null,
                    GraphValue::Null,
                ],
            ],
            truncated: false,
            execution_time_ms: 4,
        };
        let bytes = encode_stream(&output).unwrap();
        let reader = StreamReader::try_new(std::io::Cursor::new(bytes), None).unwrap();
        let schema = reader.schema();
        assert_eq!(schema.metadata()["graph_olap.row_count"], "2");
        assert_eq!(schema.field(0).metadata()["graph_olap.type"], "INT64");
        assert!(matches!(schema.field(1).data_type(), DataType::List(_)));
        let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].num_rows(), 2);
        let nodes = batches[0]
            .column(2)
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        assert_eq!(nodes.value(0), r#"{"_id":3,"_label":"L"}"#);
    }
}
