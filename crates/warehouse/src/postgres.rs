//! PostgreSQL connector over tokio-postgres.
//!
//! Owns the mapping of PostgreSQL types to Arrow, row-to-batch conversion, error
//! classification and the information_schema listing. Does not own connection pooling: each
//! operation opens its own connection (an export stream holds its connection for its lifetime;
//! describe/metadata/ping are short), which keeps a long export from queueing behind others.
//!
//! Sessions are read-only (`default_transaction_read_only = on`), so even a statement that slips
//! past the control plane's static check cannot write: a statement's transaction takes its
//! read-only mode from that default when it starts, so a `set_config(…, 'off', …)` inside the
//! statement cannot lift it for itself, and each query has its own connection, so nothing
//! later inherits the change. (An explicit `BEGIN … READ ONLY` left open while the rows stream
//! held the tables' locks after a stream was dropped, until the connection was next polled.)
//! What the warehouse role may *read* (for instance server files through `pg_read_file`) is its
//! privileges' business: give the platform a role with `SELECT` on the mapped schemas only
//! (docs/security.md).
//!
//! Type mapping (PostgreSQL → Arrow): `bool`→Boolean; `int2/int4/int8`→Int16/32/64; `oid`→Int64;
//! `float4/float8`→Float32/64; `numeric(p,s)` with p ≤ 38 → Decimal128(p,s), exact; unconstrained
//! `numeric` (e.g. `SUM(bigint)`) or p > 38 → Decimal128(38,10), rounded half away from zero to
//! 10 decimals, a value beyond 28 integer digits (or NaN/±Infinity) fails the query;
//! `text/varchar/bpchar/name/citext`→Utf8; `json/jsonb`→Utf8 (JSON text); `uuid`→Utf8 (lower-case
//! hyphenated); `date`→Date32; `time`→Time64(µs); `timestamp`→Timestamp(µs, none);
//! `timestamptz`→Timestamp(µs, "UTC"); `bytea`→Binary; one-dimensional arrays of all of these →
//! List. Any other type makes `describe` fail with a message asking for a cast.

use std::pin::Pin;
use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, BinaryBuilder, BooleanBuilder, Decimal128Builder, Float32Builder,
    Float64Builder, Int16Builder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
    Time64MicrosecondBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use tokio_postgres::types::{FromSql, Kind as PgTypeKind, Type};
use tokio_postgres::{Client, NoTls, Row, RowStream, Statement};

use crate::metadata::{CatalogMeta, ColumnMeta, SchemaMeta, TableMeta, WarehouseMetadata};
use crate::{BatchStream, Warehouse, WarehouseError};

/// A PostgreSQL database read through tokio-postgres (no TLS).
pub struct PostgresWarehouse {
    config: tokio_postgres::Config,
    batch_size: usize,
}

impl PostgresWarehouse {
    /// A connector for the database at `url` (`postgres://user[:pw]@host[:port]/db` or a
    /// key=value string), streaming `batch_size` rows per batch. Nothing is contacted yet.
    pub fn new(url: &str, batch_size: usize) -> Result<Self, WarehouseError> {
        let config = url
            .parse()
            .map_err(|e| WarehouseError::Config(format!("invalid PostgreSQL URL: {e}")))?;
        Ok(PostgresWarehouse {
            config,
            batch_size: batch_size.max(1),
        })
    }

    /// Rows per streamed batch.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Opens a read-only session.
    async fn connect(&self) -> Result<Client, WarehouseError> {
        let (client, connection) = self
            .config
            .connect(NoTls)
            .await
            .map_err(|e| unreachable(&e))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "PostgreSQL connection ended with an error");
            }
        });
        client
            .batch_execute("SET default_transaction_read_only = on; SET TIME ZONE 'UTC'")
            .await
            .map_err(|e| unreachable(&e))?;
        Ok(client)
    }
}

#[async_trait::async_trait]
impl Warehouse for PostgresWarehouse {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<(), WarehouseError> {
        let client = self.connect().await?;
        client
            .simple_query("SELECT 1")
            .await
            .map_err(|e| unreachable(&e))?;
        Ok(())
    }

    async fn describe(&self, sql: &str) -> Result<SchemaRef, WarehouseError> {
        let client = self.connect().await?;
        let statement = client.prepare(sql).await.map_err(|e| planning_error(&e))?;
        Ok(plan_columns(&statement)?.1)
    }

    async fn metadata(&self) -> Result<WarehouseMetadata, WarehouseError> {
        let client = self.connect().await?;
        list_metadata(&client)
            .await
            .map_err(|e| execution_error(&e))
    }

    async fn query(&self, sql: &str) -> Result<BatchStream, WarehouseError> {
        let client = self.connect().await?;
        let statement = client.prepare(sql).await.map_err(|e| planning_error(&e))?;
        let (columns, schema) = plan_columns(&statement)?;
        let rows = client
            .query_raw(
                &statement,
                std::iter::empty::<&(dyn tokio_postgres::types::ToSql + Sync)>(),
            )
            .await
            .map_err(|e| execution_error(&e))?;
        let state = StreamState {
            rows: Box::pin(rows),
            columns,
            schema: schema.clone(),
            batch_size: self.batch_size,
            done: false,
            guard: CancelOnDrop {
                token: Some(client.cancel_token()),
                _client: client,
            },
        };
        let batches = futures::stream::unfold(state, |mut state| async move {
            if state.done {
                return None;
            }
            let result = state.next_batch().await;
            match result {
                Ok(Some(batch)) => Some((Ok(batch), state)),
                Ok(None) => None,
                Err(e) => {
                    state.done = true;
                    state.guard.token = None;
                    Some((Err(e), state))
                }
            }
        })
        .boxed();
        Ok(BatchStream {
            schema,
            batches,
            query_id: None,
        })
    }
}

/// Keeps the query's client alive while its rows stream, and cancels the query on the server
/// when the stream is dropped before the end.
struct CancelOnDrop {
    token: Option<tokio_postgres::CancelToken>,
    _client: Client,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let (Some(token), Ok(runtime)) =
            (self.token.take(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(async move {
                let _ = token.cancel_query(NoTls).await;
            });
        }
    }
}

struct StreamState {
    rows: Pin<Box<RowStream>>,
    columns: Vec<PgColumn>,
    schema: SchemaRef,
    batch_size: usize,
    done: bool,
    guard: CancelOnDrop,
}

impl StreamState {
    async fn next_batch(&mut self) -> Result<Option<RecordBatch>, WarehouseError> {
        let mut builders: Vec<Box<dyn ArrayBuilder>> = self
            .columns
            .iter()
            .map(|c| c.builder(self.batch_size))
            .collect();
        let mut count = 0;
        while count < self.batch_size {
            match self.rows.next().await {
                Some(Ok(row)) => {
                    for (i, (column, builder)) in
                        self.columns.iter().zip(builders.iter_mut()).enumerate()
                    {
                        column.append(builder.as_mut(), &row, i).map_err(|e| {
                            WarehouseError::Execution(format!("column '{}': {e}", column.name))
                        })?;
                    }
                    count += 1;
                }
                Some(Err(e)) => return Err(execution_error(&e)),
                None => {
                    self.done = true;
                    self.guard.token = None;
                    break;
                }
            }
        }
        if count == 0 {
            return Ok(None);
        }
        let arrays: Vec<ArrayRef> = builders.iter_mut().map(|b| b.finish()).collect();
        let options = arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(count));
        Ok(Some(RecordBatch::try_new_with_options(
            self.schema.clone(),
            arrays,
            &options,
        )?))
    }
}

/// A scalar PostgreSQL type this connector reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    Bool,
    Int16,
    Int32,
    Int64,
    Oid,
    Float32,
    Float64,
    /// Precision and scale of the Arrow decimal.
    Numeric(u8, i8),
    Text,
    Json,
    Uuid,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Bytes,
}

/// How one result column is read.
#[derive(Debug, Clone)]
struct PgColumn {
    name: String,
    scalar: Scalar,
    list: bool,
}

fn scalar_of(ty: &Type, type_modifier: i32) -> Option<Scalar> {
    Some(match *ty {
        Type::BOOL => Scalar::Bool,
        Type::INT2 => Scalar::Int16,
        Type::INT4 => Scalar::Int32,
        Type::INT8 => Scalar::Int64,
        Type::OID => Scalar::Oid,
        Type::FLOAT4 => Scalar::Float32,
        Type::FLOAT8 => Scalar::Float64,
        Type::NUMERIC => {
            // typmod = ((precision << 16) | scale) + 4; -1 when unconstrained.
            if type_modifier >= 4 {
                let m = type_modifier - 4;
                let (precision, scale) = ((m >> 16) & 0xffff, m & 0xffff);
                if (1..=38).contains(&precision) && scale <= precision {
                    Scalar::Numeric(precision as u8, scale as i8)
                } else {
                    Scalar::Numeric(38, 10)
                }
            } else {
                Scalar::Numeric(38, 10)
            }
        }
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => Scalar::Text,
        Type::JSON | Type::JSONB => Scalar::Json,
        Type::UUID => Scalar::Uuid,
        Type::DATE => Scalar::Date,
        Type::TIME => Scalar::Time,
        Type::TIMESTAMP => Scalar::Timestamp,
        Type::TIMESTAMPTZ => Scalar::TimestampTz,
        Type::BYTEA => Scalar::Bytes,
        _ if ty.name() == "citext" => Scalar::Text,
        _ => return None,
    })
}

impl Scalar {
    fn arrow_type(self) -> DataType {
        match self {
            Scalar::Bool => DataType::Boolean,
            Scalar::Int16 => DataType::Int16,
            Scalar::Int32 => DataType::Int32,
            Scalar::Int64 | Scalar::Oid => DataType::Int64,
            Scalar::Float32 => DataType::Float32,
            Scalar::Float64 => DataType::Float64,
            Scalar::Numeric(p, s) => DataType::Decimal128(p, s),
            Scalar::Text | Scalar::Json | Scalar::Uuid => DataType::Utf8,
            Scalar::Date => DataType::Date32,
            Scalar::Time => DataType::Time64(TimeUnit::Microsecond),
            Scalar::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            Scalar::TimestampTz => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Scalar::Bytes => DataType::Binary,
        }
    }

    fn builder(self, capacity: usize) -> Box<dyn ArrayBuilder> {
        match self {
            Scalar::Bool => Box::new(BooleanBuilder::with_capacity(capacity)),
            Scalar::Int16 => Box::new(Int16Builder::with_capacity(capacity)),
            Scalar::Int32 => Box::new(Int32Builder::with_capacity(capacity)),
            Scalar::Int64 | Scalar::Oid => Box::new(Int64Builder::with_capacity(capacity)),
            Scalar::Float32 => Box::new(Float32Builder::with_capacity(capacity)),
            Scalar::Float64 => Box::new(Float64Builder::with_capacity(capacity)),
            Scalar::Numeric(p, s) => Box::new(
                Decimal128Builder::with_capacity(capacity)
                    .with_precision_and_scale(p, s)
                    .expect("precision and scale are validated"),
            ),
            Scalar::Text | Scalar::Json | Scalar::Uuid => {
                Box::new(StringBuilder::with_capacity(capacity, capacity * 16))
            }
            Scalar::Date => Box::new(arrow::array::Date32Builder::with_capacity(capacity)),
            Scalar::Time => Box::new(Time64MicrosecondBuilder::with_capacity(capacity)),
            Scalar::Timestamp => Box::new(TimestampMicrosecondBuilder::with_capacity(capacity)),
            Scalar::TimestampTz => {
                Box::new(TimestampMicrosecondBuilder::with_capacity(capacity).with_timezone("UTC"))
            }
            Scalar::Bytes => Box::new(BinaryBuilder::with_capacity(capacity, capacity * 16)),
        }
    }
}

/// The columns a prepared statement will return and their Arrow schema, or `InvalidSql` naming
/// the first column of a type this connector cannot read.
fn plan_columns(statement: &Statement) -> Result<(Vec<PgColumn>, SchemaRef), WarehouseError> {
    let mut columns = Vec::new();
    let mut fields = Vec::new();
    for column in statement.columns() {
        let ty = column.type_();
        let (element, list) = match ty.kind() {
            PgTypeKind::Array(element) => (element, true),
            _ => (ty, false),
        };
        let scalar = scalar_of(element, column.type_modifier()).ok_or_else(|| {
            WarehouseError::InvalidSql(format!(
                "column '{}' has PostgreSQL type {}, which graph-olap cannot read; cast it in the query (e.g. `::text`)",
                column.name(),
                ty.name()
            ))
        })?;
        let data_type = if list {
            DataType::List(Arc::new(Field::new_list_field(scalar.arrow_type(), true)))
        } else {
            scalar.arrow_type()
        };
        fields.push(Field::new(column.name(), data_type, true));
        columns.push(PgColumn {
            name: column.name().to_string(),
            scalar,
            list,
        });
    }
    Ok((columns, Arc::new(Schema::new(fields))))
}

impl PgColumn {
    fn builder(&self, capacity: usize) -> Box<dyn ArrayBuilder> {
        if self.list {
            let field = Field::new_list_field(self.scalar.arrow_type(), true);
            Box::new(
                ListBuilder::with_capacity(self.scalar.builder(capacity), capacity)
                    .with_field(field),
            )
        } else {
            self.scalar.builder(capacity)
        }
    }

    /// Appends column `index` of `row` to `builder` (made by [`PgColumn::builder`]).
    fn append(
        &self,
        builder: &mut dyn ArrayBuilder,
        row: &Row,
        index: usize,
    ) -> Result<(), String> {
        match self.scalar {
            Scalar::Bool => self.put::<bool, _>(builder, row, index, |b, v| {
                downcast::<BooleanBuilder>(b).append_option(v);
                Ok(())
            }),
            Scalar::Int16 => self.put::<i16, _>(builder, row, index, |b, v| {
                downcast::<Int16Builder>(b).append_option(v);
                Ok(())
            }),
            Scalar::Int32 => self.put::<i32, _>(builder, row, index, |b, v| {
                downcast::<Int32Builder>(b).append_option(v);
                Ok(())
            }),
            Scalar::Int64 => self.put::<i64, _>(builder, row, index, |b, v| {
                downcast::<Int64Builder>(b).append_option(v);
                Ok(())
            }),
            Scalar::Oid => self.put::<u32, _>(builder, row, index, |b, v| {
                downcast::<Int64Builder>(b).append_option(v.map(i64::from));
                Ok(())
            }),
            Scalar::Float32 => self.put::<f32, _>(builder, row, index, |b, v| {
                downcast::<Float32Builder>(b).append_option(v);
                Ok(())
            }),
            Scalar::Float64 => self.put::<f64, _>(builder, row, index, |b, v| {
                downcast::<Float64Builder>(b).append_option(v);
                Ok(())
            }),
            Scalar::Numeric(_, scale) => self.put::<PgNumeric, _>(builder, row, index, |b, v| {
                let value = v.map(|n| n.to_scaled(scale as u32)).transpose()?;
                {
                    downcast::<Decimal128Builder>(b).append_option(value);
                    Ok(())
                }
            }),
            Scalar::Text => self.put::<String, _>(builder, row, index, |b, v| {
                downcast::<StringBuilder>(b).append_option(v);
                Ok(())
            }),
            Scalar::Json => self.put::<serde_json::Value, _>(builder, row, index, |b, v| {
                downcast::<StringBuilder>(b).append_option(v.map(|j| j.to_string()));
                Ok(())
            }),
            Scalar::Uuid => self.put::<PgUuid, _>(builder, row, index, |b, v| {
                downcast::<StringBuilder>(b).append_option(v.map(|u| u.to_string()));
                Ok(())
            }),
            Scalar::Date => self.put::<chrono::NaiveDate, _>(builder, row, index, |b, v| {
                let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
                {
                    downcast::<arrow::array::Date32Builder>(b)
                        .append_option(v.map(|d| (d - epoch).num_days() as i32));
                    Ok(())
                }
            }),
            Scalar::Time => self.put::<chrono::NaiveTime, _>(builder, row, index, |b, v| {
                let micros = v.map(|t| {
                    (t - chrono::NaiveTime::MIN)
                        .num_microseconds()
                        .unwrap_or_default()
                });
                {
                    downcast::<Time64MicrosecondBuilder>(b).append_option(micros);
                    Ok(())
                }
            }),
            Scalar::Timestamp => {
                self.put::<chrono::NaiveDateTime, _>(builder, row, index, |b, v| {
                    downcast::<TimestampMicrosecondBuilder>(b)
                        .append_option(v.map(|t| t.and_utc().timestamp_micros()));
                    Ok(())
                })
            }
            Scalar::TimestampTz => {
                self.put::<chrono::DateTime<chrono::Utc>, _>(builder, row, index, |b, v| {
                    downcast::<TimestampMicrosecondBuilder>(b)
                        .append_option(v.map(|t| t.timestamp_micros()));
                    Ok(())
                })
            }
            Scalar::Bytes => self.put::<Vec<u8>, _>(builder, row, index, |b, v| {
                downcast::<BinaryBuilder>(b).append_option(v);
                Ok(())
            }),
        }
    }

    /// Reads a `T` (or, for array columns, a `T[]`) and pushes each value with `push`.
    fn put<T, F>(
        &self,
        builder: &mut dyn ArrayBuilder,
        row: &Row,
        index: usize,
        push: F,
    ) -> Result<(), String>
    where
        T: for<'a> FromSql<'a>,
        F: Fn(&mut dyn ArrayBuilder, Option<T>) -> Result<(), String>,
    {
        if !self.list {
            let value: Option<T> = row.try_get(index).map_err(|e| e.to_string())?;
            return push(builder, value);
        }
        let value: Option<Vec<Option<T>>> = row.try_get(index).map_err(|e| e.to_string())?;
        let list = downcast::<ListBuilder<Box<dyn ArrayBuilder>>>(builder);
        match value {
            None => list.append_null(),
            Some(items) => {
                for item in items {
                    push(list.values().as_mut(), item)?;
                }
                list.append(true);
            }
        }
        Ok(())
    }
}

fn downcast<B: ArrayBuilder>(builder: &mut dyn ArrayBuilder) -> &mut B {
    builder
        .as_any_mut()
        .downcast_mut::<B>()
        .expect("the builder was made for this column's type")
}

/// A `numeric` value in PostgreSQL's binary form: base-10000 digits with a weight.
struct PgNumeric {
    negative: bool,
    special: Option<&'static str>,
    weight: i16,
    digits: Vec<i16>,
}

impl<'a> FromSql<'a> for PgNumeric {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let word = |i: usize| -> Result<u16, Box<dyn std::error::Error + Sync + Send>> {
            raw.get(i..i + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
                .ok_or_else(|| "truncated numeric".into())
        };
        let ndigits = word(0)? as usize;
        let weight = word(2)? as i16;
        let sign = word(4)?;
        let digits = (0..ndigits)
            .map(|i| word(8 + 2 * i).map(|d| d as i16))
            .collect::<Result<Vec<_>, _>>()?;
        let special = match sign {
            0x0000 | 0x4000 => None,
            0xC000 => Some("NaN"),
            0xD000 => Some("Infinity"),
            0xF000 => Some("-Infinity"),
            other => return Err(format!("unknown numeric sign {other:#x}").into()),
        };
        Ok(PgNumeric {
            negative: sign == 0x4000,
            special,
            weight,
            digits,
        })
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

impl PgNumeric {
    /// The value times 10^`scale`, rounded half away from zero; errors beyond i128 / 38 digits.
    fn to_scaled(&self, scale: u32) -> Result<i128, String> {
        if let Some(special) = self.special {
            return Err(format!("numeric {special} has no decimal representation"));
        }
        let out_of_range = || {
            "numeric value out of range for DECIMAL(38, s); cast it to double precision".to_string()
        };
        let mut acc: i128 = 0;
        for (i, &digit) in self.digits.iter().enumerate() {
            // Power of ten of this digit's unit, in units of 10^-scale.
            let exponent = 4 * (self.weight as i64 - i as i64) + scale as i64;
            if exponent >= 0 {
                let unit = 10i128
                    .checked_pow(exponent as u32)
                    .ok_or_else(out_of_range)?;
                acc = (digit as i128)
                    .checked_mul(unit)
                    .and_then(|v| acc.checked_add(v))
                    .ok_or_else(out_of_range)?;
            } else {
                let divisor = 10i128.checked_pow((-exponent) as u32).unwrap_or(i128::MAX);
                let (quotient, remainder) = (digit as i128 / divisor, digit as i128 % divisor);
                acc += quotient + i128::from(remainder * 2 >= divisor);
                break;
            }
        }
        if acc >= 10i128.pow(38) {
            return Err(out_of_range());
        }
        Ok(if self.negative { -acc } else { acc })
    }
}

/// A `uuid` value.
struct PgUuid([u8; 16]);

impl<'a> FromSql<'a> for PgUuid {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgUuid(raw.try_into().map_err(|_| "uuid is not 16 bytes")?))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::UUID
    }
}

impl std::fmt::Display for PgUuid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// The server's message, with detail and hint when it gives them.
fn message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = db.message().to_string();
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" ({detail})"));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!(" hint: {hint}"));
            }
            text
        }
        None => e.to_string(),
    }
}

/// Whether the error is about the connection or the server's availability rather than the query.
fn is_unavailable(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        // 08 connection exception, 28 invalid authorization, 53 insufficient resources,
        // 57 operator intervention (shutdown, cancel), 3D invalid catalog (database gone).
        Some(code) => ["08", "28", "53", "57P", "3D"]
            .iter()
            .any(|class| code.code().starts_with(class)),
        None => e.as_db_error().is_none(),
    }
}

fn unreachable(e: &tokio_postgres::Error) -> WarehouseError {
    WarehouseError::Unreachable(message(e))
}

fn planning_error(e: &tokio_postgres::Error) -> WarehouseError {
    if is_unavailable(e) {
        unreachable(e)
    } else {
        WarehouseError::InvalidSql(message(e))
    }
}

fn execution_error(e: &tokio_postgres::Error) -> WarehouseError {
    if e.code().is_some_and(|c| c.code() == "57014") {
        return WarehouseError::Cancelled;
    }
    if is_unavailable(e) {
        unreachable(e)
    } else {
        WarehouseError::Execution(message(e))
    }
}

const SCHEMAS_SQL: &str = "SELECT schema_name::text FROM information_schema.schemata \
     WHERE schema_name NOT IN ('information_schema', 'pg_catalog') AND schema_name NOT LIKE 'pg\\_toast%' \
     AND schema_name NOT LIKE 'pg\\_temp\\_%'";

const TABLES_SQL: &str = "SELECT t.table_schema::text, t.table_name::text, t.table_type::text, \
     obj_description(c.oid, 'pg_class') \
     FROM information_schema.tables t \
     LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = t.table_schema \
     LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name \
     WHERE t.table_schema NOT IN ('information_schema', 'pg_catalog')";

const COLUMNS_SQL: &str = "SELECT col.table_schema::text, col.table_name::text, col.column_name::text, \
     COALESCE(format_type(a.atttypid, a.atttypmod), col.data_type)::text, col.is_nullable::text = 'YES', \
     col.ordinal_position::int4, col.column_default::text, col_description(c.oid, a.attnum) \
     FROM information_schema.columns col \
     LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = col.table_schema \
     LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = col.table_name \
     LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = col.column_name \
     WHERE col.table_schema NOT IN ('information_schema', 'pg_catalog') \
     ORDER BY 1, 2, col.ordinal_position";

/// Lists the connected database's schemas, tables and columns (system schemas excluded).
async fn list_metadata(client: &Client) -> Result<WarehouseMetadata, tokio_postgres::Error> {
    use std::collections::BTreeMap;
    let database: String = client
        .query_one("SELECT current_database()::text", &[])
        .await?
        .get(0);
    let mut schemas: BTreeMap<String, BTreeMap<String, TableMeta>> = BTreeMap::new();
    for row in client.query(SCHEMAS_SQL, &[]).await? {
        schemas.entry(row.get(0)).or_default();
    }
    for row in client.query(TABLES_SQL, &[]).await? {
        let table = TableMeta {
            name: row.get(1),
            table_type: row.get(2),
            comment: row.get(3),
            columns: Vec::new(),
        };
        schemas
            .entry(row.get(0))
            .or_default()
            .insert(table.name.clone(), table);
    }
    for row in client.query(COLUMNS_SQL, &[]).await? {
        let (schema, table): (String, String) = (row.get(0), row.get(1));
        if let Some(table) = schemas.get_mut(&schema).and_then(|s| s.get_mut(&table)) {
            // Positions are renumbered 1.. so dropped columns leave no gaps.
            let ordinal_position = table.columns.len() as u32 + 1;
            table.columns.push(ColumnMeta {
                name: row.get(2),
                data_type: row.get(3),
                is_nullable: row.get(4),
                ordinal_position,
                column_default: row.get(6),
                comment: row.get(7),
            });
        }
    }
    let mut metadata = WarehouseMetadata {
        failures: Vec::new(),
        catalogs: vec![CatalogMeta {
            name: database,
            schemas: schemas
                .into_iter()
                .map(|(name, tables)| SchemaMeta {
                    name,
                    tables: tables.into_values().collect(),
                })
                .collect(),
        }],
    };
    metadata.sort();
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(negative: bool, weight: i16, digits: &[i16]) -> PgNumeric {
        PgNumeric {
            negative,
            special: None,
            weight,
            digits: digits.to_vec(),
        }
    }

    #[test]
    fn numeric_scaling_and_rounding() {
        // 12345.678 = [1, 2345, 6780] with weight 1
        assert_eq!(
            numeric(false, 1, &[1, 2345, 6780]).to_scaled(2).unwrap(),
            1_234_568
        );
        assert_eq!(
            numeric(true, 1, &[1, 2345, 6780]).to_scaled(3).unwrap(),
            -12_345_678
        );
        assert_eq!(
            numeric(false, 1, &[1, 2345, 6780]).to_scaled(0).unwrap(),
            12_346
        );
        // 0.00005 = [5000] weight -2 → scale 4 rounds up to 0.0001
        assert_eq!(numeric(false, -2, &[5000]).to_scaled(4).unwrap(), 1);
        assert_eq!(numeric(false, -3, &[1]).to_scaled(10).unwrap(), 0); // 1e-12
        assert_eq!(numeric(false, 0, &[]).to_scaled(10).unwrap(), 0);
        assert!(numeric(false, 10, &[1]).to_scaled(10).is_err()); // 1e40
        let nan = PgNumeric {
            negative: false,
            special: Some("NaN"),
            weight: 0,
            digits: vec![],
        };
        assert!(nan.to_scaled(2).is_err());
    }

    #[test]
    fn uuid_text() {
        let u = PgUuid([
            0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17,
            0x40, 0x00,
        ]);
        assert_eq!(u.to_string(), "123e4567-e89b-12d3-a456-426614174000");
    }
}
