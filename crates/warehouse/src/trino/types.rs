//! Trino types and their Arrow counterparts, and the conversion of JSON result pages to Arrow.
//!
//! Owns the type-name parser and the value decoding of the protocol's JSON encoding (decimals
//! as strings, varbinary as base64, timestamps as text, arrays as JSON arrays). Does not own HTTP.
//!
//! Mapping: `boolean`→Boolean; `tinyint/smallint/integer/bigint`→Int8/16/32/64; `real/double`→
//! Float32/64 (`"NaN"`, `"Infinity"` accepted); `decimal(p,s)`→Decimal128(p,s); `varchar`, `char`,
//! `uuid`, `json`→Utf8; `date`→Date32; `time(p)`→Time64(µs); `timestamp(p)`→Timestamp(µs) and
//! `timestamp(p) with time zone`→Timestamp(µs, "UTC") (sub-microsecond digits are truncated; zones
//! must be `UTC`/`Z`/`GMT` or a numeric offset — named zones such as `Europe/Paris` need
//! `AT TIME ZONE 'UTC'` in the query); `varbinary`→Binary; `array(T)`→List(T); any other type
//! (map, row, interval, ipaddress …)→Utf8 holding the value's JSON text.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array,
    Int8Array, Int16Array, Int32Array, Int64Array, ListArray, StringArray, Time64MicrosecondArray,
    TimestampMicrosecondArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Decimal128Type, Field, SchemaRef, TimeUnit};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use base64::Engine;
use serde_json::Value;

/// A Trino column type, as far as conversion cares.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // variants are the Trino type names
pub enum TrinoType {
    Boolean,
    TinyInt,
    SmallInt,
    Integer,
    BigInt,
    Real,
    Double,
    Decimal(u8, i8),
    Varchar,
    Char,
    Uuid,
    Json,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Varbinary,
    Array(Box<TrinoType>),
    /// Any other type; values are kept as their JSON text.
    Other(String),
}

impl TrinoType {
    /// Parses a type as the coordinator spells it in `columns[].type`, e.g. `decimal(12, 2)`,
    /// `timestamp(3) with time zone`, `array(varchar)`.
    pub fn parse(text: &str) -> TrinoType {
        let t = text.trim().to_ascii_lowercase();
        let base = t.split('(').next().unwrap_or("").trim();
        let args = t
            .find('(')
            .and_then(|open| t.rfind(')').map(|close| &t[open + 1..close]));
        match base {
            "boolean" => TrinoType::Boolean,
            "tinyint" => TrinoType::TinyInt,
            "smallint" => TrinoType::SmallInt,
            "integer" | "int" => TrinoType::Integer,
            "bigint" => TrinoType::BigInt,
            "real" => TrinoType::Real,
            "double" => TrinoType::Double,
            "decimal" => {
                let mut numbers = args
                    .unwrap_or("38,0")
                    .split(',')
                    .map(|n| n.trim().parse::<u8>().ok());
                match (numbers.next().flatten(), numbers.next().flatten()) {
                    (Some(p), Some(s)) if (1..=38).contains(&p) && s <= p => {
                        TrinoType::Decimal(p, s as i8)
                    }
                    (Some(p), None) if (1..=38).contains(&p) => TrinoType::Decimal(p, 0),
                    _ => TrinoType::Other(t.clone()),
                }
            }
            "varchar" => TrinoType::Varchar,
            "char" => TrinoType::Char,
            "uuid" => TrinoType::Uuid,
            "json" => TrinoType::Json,
            "date" => TrinoType::Date,
            "time" if !t.contains("with time zone") => TrinoType::Time,
            "timestamp" if t.ends_with("with time zone") => TrinoType::TimestampTz,
            "timestamp" => TrinoType::Timestamp,
            "varbinary" => TrinoType::Varbinary,
            "array" => TrinoType::Array(Box::new(TrinoType::parse(args.unwrap_or("")))),
            _ => TrinoType::Other(t.clone()),
        }
    }

    /// The Arrow type values of this type are converted to.
    pub fn arrow_type(&self) -> DataType {
        match self {
            TrinoType::Boolean => DataType::Boolean,
            TrinoType::TinyInt => DataType::Int8,
            TrinoType::SmallInt => DataType::Int16,
            TrinoType::Integer => DataType::Int32,
            TrinoType::BigInt => DataType::Int64,
            TrinoType::Real => DataType::Float32,
            TrinoType::Double => DataType::Float64,
            TrinoType::Decimal(p, s) => DataType::Decimal128(*p, *s),
            TrinoType::Varchar
            | TrinoType::Char
            | TrinoType::Uuid
            | TrinoType::Json
            | TrinoType::Other(_) => DataType::Utf8,
            TrinoType::Date => DataType::Date32,
            TrinoType::Time => DataType::Time64(TimeUnit::Microsecond),
            TrinoType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            TrinoType::TimestampTz => {
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
            }
            TrinoType::Varbinary => DataType::Binary,
            TrinoType::Array(inner) => {
                DataType::List(Arc::new(Field::new_list_field(inner.arrow_type(), true)))
            }
        }
    }
}

/// Converts one page of rows (JSON arrays, one value per column) into a batch of `schema`.
pub(crate) fn rows_to_batch(
    schema: &SchemaRef,
    types: &[TrinoType],
    rows: &[Vec<Value>],
) -> Result<RecordBatch, String> {
    let columns = types
        .iter()
        .enumerate()
        .map(|(i, ty)| {
            let values: Vec<&Value> = rows
                .iter()
                .map(|r| r.get(i).unwrap_or(&Value::Null))
                .collect();
            build(ty, &values).map_err(|e| format!("column '{}': {e}", schema.field(i).name()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows.len()));
    RecordBatch::try_new_with_options(schema.clone(), columns, &options).map_err(|e| e.to_string())
}

/// Converts the values of one column.
pub fn build(ty: &TrinoType, values: &[&Value]) -> Result<ArrayRef, String> {
    fn each<T>(
        values: &[&Value],
        f: impl Fn(&Value) -> Result<T, String>,
    ) -> Result<Vec<Option<T>>, String> {
        values
            .iter()
            .map(|v| {
                if v.is_null() {
                    Ok(None)
                } else {
                    f(v).map(Some)
                }
            })
            .collect()
    }
    fn int<T: TryFrom<i64>>(v: &Value) -> Result<T, String> {
        let n = v.as_i64().ok_or_else(|| format!("{v} is not an integer"))?;
        T::try_from(n).map_err(|_| format!("{n} is out of range"))
    }
    fn float(v: &Value) -> Result<f64, String> {
        match v {
            Value::Number(n) => n.as_f64().ok_or_else(|| format!("{v} is not a number")),
            Value::String(s) => match s.as_str() {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                other => other
                    .parse()
                    .map_err(|_| format!("'{other}' is not a number")),
            },
            _ => Err(format!("{v} is not a number")),
        }
    }
    fn string(v: &Value) -> Result<String, String> {
        Ok(match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }
    fn str_of(v: &Value) -> Result<&str, String> {
        v.as_str().ok_or_else(|| format!("{v} is not a string"))
    }
    Ok(match ty {
        TrinoType::Boolean => Arc::new(BooleanArray::from(each(values, |v| {
            v.as_bool().ok_or_else(|| format!("{v} is not a boolean"))
        })?)),
        TrinoType::TinyInt => Arc::new(Int8Array::from(each(values, int::<i8>)?)),
        TrinoType::SmallInt => Arc::new(Int16Array::from(each(values, int::<i16>)?)),
        TrinoType::Integer => Arc::new(Int32Array::from(each(values, int::<i32>)?)),
        TrinoType::BigInt => Arc::new(Int64Array::from(each(values, int::<i64>)?)),
        TrinoType::Real => Arc::new(Float32Array::from(each(values, |v| {
            float(v).map(|f| f as f32)
        })?)),
        TrinoType::Double => Arc::new(Float64Array::from(each(values, float)?)),
        TrinoType::Decimal(p, s) => {
            let parsed = each(values, |v| {
                let text = string(v)?;
                arrow::compute::kernels::cast_utils::parse_decimal::<Decimal128Type>(&text, *p, *s)
                    .map_err(|e| e.to_string())
            })?;
            Arc::new(
                Decimal128Array::from(parsed)
                    .with_precision_and_scale(*p, *s)
                    .map_err(|e| e.to_string())?,
            )
        }
        TrinoType::Varchar
        | TrinoType::Char
        | TrinoType::Uuid
        | TrinoType::Json
        | TrinoType::Other(_) => Arc::new(StringArray::from(each(values, string)?)),
        TrinoType::Date => Arc::new(Date32Array::from(each(values, |v| {
            let day = chrono::NaiveDate::parse_from_str(str_of(v)?, "%Y-%m-%d")
                .map_err(|e| format!("{v}: {e}"))?;
            Ok(
                (day - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")).num_days()
                    as i32,
            )
        })?)),
        TrinoType::Time => Arc::new(Time64MicrosecondArray::from(each(values, |v| {
            let time = chrono::NaiveTime::parse_from_str(str_of(v)?, "%H:%M:%S%.f")
                .map_err(|e| format!("{v}: {e}"))?;
            Ok((time - chrono::NaiveTime::MIN)
                .num_microseconds()
                .unwrap_or_default())
        })?)),
        TrinoType::Timestamp => Arc::new(TimestampMicrosecondArray::from(each(values, |v| {
            naive_micros(str_of(v)?)
        })?)),
        TrinoType::TimestampTz => Arc::new(
            TimestampMicrosecondArray::from(each(values, |v| zoned_micros(str_of(v)?))?)
                .with_timezone("UTC"),
        ),
        TrinoType::Varbinary => {
            let bytes = each(values, |v| {
                base64::engine::general_purpose::STANDARD
                    .decode(str_of(v)?)
                    .map_err(|e| e.to_string())
            })?;
            Arc::new(BinaryArray::from_iter(bytes))
        }
        TrinoType::Array(inner) => {
            let mut offsets = Vec::with_capacity(values.len() + 1);
            let mut valid = Vec::with_capacity(values.len());
            let mut children: Vec<&Value> = Vec::new();
            offsets.push(0i32);
            for v in values {
                match v {
                    Value::Null => valid.push(false),
                    Value::Array(items) => {
                        children.extend(items.iter());
                        valid.push(true);
                    }
                    other => return Err(format!("{other} is not an array")),
                }
                offsets.push(
                    i32::try_from(children.len())
                        .map_err(|_| "array page too large".to_string())?,
                );
            }
            let child = build(inner, &children)?;
            let field = Arc::new(Field::new_list_field(inner.arrow_type(), true));
            Arc::new(
                ListArray::try_new(
                    field,
                    OffsetBuffer::new(offsets.into()),
                    child,
                    Some(NullBuffer::from(valid)),
                )
                .map_err(|e| e.to_string())?,
            )
        }
    })
}

fn naive_micros(text: &str) -> Result<i64, String> {
    let parsed = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f")
        .map_err(|e| format!("'{text}' is not a timestamp: {e}"))?;
    Ok(parsed.and_utc().timestamp_micros())
}

/// `2024-01-02 03:04:05.678 UTC` or `… +02:00` → microseconds since the epoch, UTC.
fn zoned_micros(text: &str) -> Result<i64, String> {
    let (local, zone) = text
        .trim()
        .rsplit_once(' ')
        .ok_or_else(|| format!("'{text}' has no time zone"))?;
    let offset_seconds: i64 = match zone {
        "UTC" | "Z" | "GMT" | "Etc/UTC" | "Etc/GMT" => 0,
        z if z.starts_with('+') || z.starts_with('-') => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let digits: Vec<&str> = z[1..].split(':').collect();
            let hours: i64 = digits
                .first()
                .and_then(|h| h.parse().ok())
                .ok_or_else(|| format!("bad offset '{z}'"))?;
            let minutes: i64 = digits.get(1).map(|m| m.parse().unwrap_or(0)).unwrap_or(0);
            sign * (hours * 3600 + minutes * 60)
        }
        other => {
            return Err(format!(
                "time zone '{other}' is not supported; convert in the query with AT TIME ZONE 'UTC'"
            ));
        }
    };
    Ok(naive_micros(local)? - offset_seconds * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_type_names() {
        assert_eq!(
            TrinoType::parse("decimal(12, 2)"),
            TrinoType::Decimal(12, 2)
        );
        assert_eq!(TrinoType::parse("varchar(10)"), TrinoType::Varchar);
        assert_eq!(
            TrinoType::parse("timestamp(3) with time zone"),
            TrinoType::TimestampTz
        );
        assert_eq!(TrinoType::parse("timestamp(9)"), TrinoType::Timestamp);
        assert_eq!(
            TrinoType::parse("array(array(bigint))"),
            TrinoType::Array(Box::new(TrinoType::Array(Box::new(TrinoType::BigInt))))
        );
        assert_eq!(
            TrinoType::parse("map(varchar, bigint)"),
            TrinoType::Other("map(varchar, bigint)".into())
        );
    }

    #[test]
    fn zoned_timestamps_are_converted_to_utc() {
        assert_eq!(
            zoned_micros("2024-06-01 12:00:00.000 +02:00").unwrap(),
            1_717_236_000_000_000
        );
        assert_eq!(
            zoned_micros("2024-06-01 10:00:00 UTC").unwrap(),
            1_717_236_000_000_000
        );
        assert_eq!(
            zoned_micros("2024-06-01 02:30:00 -07:30").unwrap(),
            1_717_236_000_000_000
        );
        assert!(
            zoned_micros("2024-06-01 12:00:00 Europe/Paris")
                .unwrap_err()
                .contains("AT TIME ZONE")
        );
    }
}
