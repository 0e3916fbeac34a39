//! The Ryugraph backend of [`GraphEngine`](crate::GraphEngine).
//!
//! Owns: the on-disk database, a pool of engine connections on dedicated threads (one writer
//! for loading and write-back, `readers` for user queries), interruption of running queries,
//! DDL generation from mapping definitions, bulk `COPY` loading, conversion of engine values into
//! [`GraphValue`]s, and the dense id space behind `_id`. Does not own: the read-only gate's
//! lexing (see `cypher.rs`), HTTP, or downloading files.
//!
//! Threading: `ryugraph::Connection` borrows its `Database`, so the database lives on the stack
//! of one owner thread which opens the connections and runs the workers in a thread scope. The
//! public handle talks to them through channels; dropping the last handle closes the channels,
//! the workers return and the database is closed.

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use graph_olap_api::{EdgeDefinition, NodeDefinition, PropertyType, ScalarType};
use ryugraph::{Connection, Database, LogicalType, SystemConfig, Value};

use crate::catalog::{Definitions, in_scope};
use crate::limits::QueryLimits;
use crate::model::{
    CancelToken, EdgeList, EdgeLoad, EngineError, FailureReason, GraphEngine, GraphSchema,
    LabelRange, LoadEvent, LoadReport, NodeLoad, QueryError, QueryErrorKind, QueryOutput,
    QueryRequest, TableKind, Topology, WriteBack, WriteType, WriteValues,
};
use crate::value::{GraphValue, NodeValue, RelValue};

/// Hidden relationship property holding the relationship's `_id` (the engine's Rust API does
/// not expose relationship ids in results). User property names cannot start with `_`.
const REL_ID_PROPERTY: &str = "_rid";

/// Sizing of the engine.
#[derive(Debug, Clone)]
pub struct RyuConfig {
    /// Connections serving user queries in parallel (≥ 1).
    pub readers: usize,
    /// Threads the engine may use per query (0 = engine default).
    pub threads_per_query: u64,
    /// Buffer pool in bytes (0 = engine default, a share of physical memory).
    pub buffer_pool_bytes: u64,
    /// Maximum database size in bytes (virtual address space reserved by the engine).
    pub max_db_bytes: u64,
    /// Keep the whole database in memory (the buffer pool) instead of a file in the directory.
    /// An instance's graph lives only as long as the instance, so this is the default: it also
    /// avoids the engine's slow on-disk path for bulk-loading relationship tables with
    /// floating-point properties (an 11 s instead of 0.4 s COPY of 120 000 rows, measured).
    pub in_memory: bool,
}

impl Default for RyuConfig {
    fn default() -> Self {
        Self {
            readers: 2,
            threads_per_query: 0,
            buffer_pool_bytes: 0,
            max_db_bytes: 1 << 40,
            in_memory: true,
        }
    }
}

type Job = Box<dyn for<'c, 'db> FnOnce(&'c Connection<'db>, usize) + Send + 'static>;

/// Per-connection marker of the query currently running, so an interrupt only hits the query
/// it was meant for.
struct Slot {
    running: Mutex<u64>,
}

/// Ids of the loaded graph: node `_id` = label base + offset (dense), relationship `_id` =
/// type base + offset (after all nodes).
#[derive(Debug, Default, Clone)]
struct IdSpace {
    node_base: HashMap<u64, (i64, String)>,
    rel_base: HashMap<u64, (i64, String)>,
    labels: Vec<LabelRange>,
    rel_bases_by_type: BTreeMap<String, i64>,
}

impl IdSpace {
    fn id_of(&self, table_id: u64, offset: u64) -> i64 {
        let off = offset as i64;
        if let Some((base, _)) = self.node_base.get(&table_id) {
            base + off
        } else if let Some((base, _)) = self.rel_base.get(&table_id) {
            base + off
        } else {
            ((table_id as i64) << 40) | off
        }
    }
}

#[derive(Debug, Default)]
struct Catalog {
    defs: Definitions,
    ids: Arc<IdSpace>,
}

struct Inner {
    read_tx: Mutex<Sender<Job>>,
    write_tx: Mutex<Sender<Job>>,
    interrupt_tx: Mutex<Sender<(usize, u64)>>,
    slots: Arc<Vec<Slot>>,
    next_seq: std::sync::atomic::AtomicU64,
    catalog: RwLock<Catalog>,
    dir: PathBuf,
}

/// The engine's default bound on variable-length paths (`var_length_extend_max_depth`).
const DEFAULT_MAX_PATH_LENGTH: u64 = 30;

/// A Ryugraph database in a directory, served by a pool of connections. Cheap to clone.
#[derive(Clone)]
pub struct RyuEngine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RyuEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RyuEngine")
            .field("dir", &self.inner.dir)
            .finish()
    }
}

fn engine_err(e: ryugraph::Error) -> String {
    strip_prefix(&e.to_string())
}

/// Removes the binding's "Query execution failed: " and the engine's "<Kind> exception: ".
fn strip_prefix(message: &str) -> String {
    let m = message
        .strip_prefix("Query execution failed: ")
        .unwrap_or(message);
    m.to_string()
}

fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn quote_str(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn engine_type(t: &PropertyType) -> String {
    fn scalar(s: ScalarType) -> &'static str {
        match s {
            ScalarType::String => "STRING",
            ScalarType::Int64 => "INT64",
            ScalarType::Int32 => "INT32",
            ScalarType::Int16 => "INT16",
            ScalarType::Int8 => "INT8",
            ScalarType::Double => "DOUBLE",
            ScalarType::Float => "FLOAT",
            ScalarType::Bool => "BOOLEAN",
            ScalarType::Date => "DATE",
            ScalarType::Timestamp => "TIMESTAMP",
            ScalarType::Blob => "BLOB",
            ScalarType::Uuid => "UUID",
        }
    }
    match t {
        PropertyType::Scalar(s) => scalar(*s).to_string(),
        PropertyType::List(s) => format!("{}[]", scalar(*s)),
    }
}

fn logical_type_name(t: &LogicalType) -> String {
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
fn convert(v: Value, ids: &IdSpace) -> GraphValue {
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

fn convert_node(n: &ryugraph::NodeVal, ids: &IdSpace) -> NodeValue {
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

fn convert_rel(r: &ryugraph::RelVal, ids: &IdSpace) -> RelValue {
    let src = r.get_src_node();
    let dst = r.get_dst_node();
    let mut id = -1;
    let mut properties = Vec::new();
    for (k, v) in r.get_properties() {
        if k == REL_ID_PROPERTY {
            if let Value::Int64(i) = v {
                id = *i;
            }
        } else {
            properties.push((k.clone(), convert(v.clone(), ids)));
        }
    }
    RelValue {
        id,
        rel_type: r.get_label_name().clone(),
        src: ids.id_of(src.table_id, src.offset),
        dst: ids.id_of(dst.table_id, dst.offset),
        properties,
    }
}

/// JSON parameter → engine value (§10.6: int → INT64, number → DOUBLE, string → STRING, bool →
/// BOOL, null, array → LIST, object → MAP, or STRUCT when the values' types differ).
fn param_value(name: &str, v: &serde_json::Value) -> Result<Value, QueryError> {
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

fn common_type(values: &[Value]) -> Option<LogicalType> {
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

/// Extracts `(line: L, offset: O)` from a parser message and the source line as snippet.
fn syntax_error(message: &str, query: &str) -> QueryError {
    let mut line = None;
    let mut column = None;
    if let Some(pos) = message.find("(line: ") {
        let rest = &message[pos + 7..];
        let l: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        line = l.parse::<usize>().ok();
        if let Some(opos) = rest.find("offset: ") {
            let o: String = rest[opos + 8..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            column = o.parse::<usize>().ok().map(|o| o + 1);
        }
    }
    let snippet = line
        .and_then(|l| query.lines().nth(l.saturating_sub(1)))
        .map(str::to_string);
    let first_line = message.lines().next().unwrap_or(message).to_string();
    QueryError {
        kind: QueryErrorKind::Syntax {
            line,
            column,
            snippet,
        },
        message: first_line,
    }
}

fn classify_failure(message: &str, query: &str) -> QueryError {
    if message.starts_with("Parser exception") {
        return syntax_error(message, query);
    }
    let (reason, parameter) = if let Some(rest) = message.strip_prefix("Parameter ") {
        let name = rest.split(' ').next().unwrap_or("").to_string();
        (FailureReason::MissingParameter, Some(name))
    } else if message.contains("Divide by zero") {
        (FailureReason::DivisionByZero, None)
    } else if message.contains("function") && message.contains("does not exist") {
        (FailureReason::UnknownFunction, None)
    } else if message.contains("data type")
        || message.contains("Cannot match a built-in function")
        || message.contains("Conversion exception")
    {
        (FailureReason::TypeError, None)
    } else {
        (FailureReason::Other, None)
    };
    QueryError {
        kind: QueryErrorKind::Failed { reason, parameter },
        message: message.to_string(),
    }
}

fn run(conn: &Connection<'_>, statement: &str) -> Result<Vec<Vec<Value>>, String> {
    let result = conn.query(statement).map_err(engine_err)?;
    Ok(result.collect())
}

fn scalar_u64(conn: &Connection<'_>, statement: &str) -> Result<u64, String> {
    let rows = run(conn, statement)?;
    match rows.first().and_then(|r| r.first()) {
        Some(Value::Int64(i)) => Ok(u64::try_from(*i).unwrap_or(0)),
        Some(Value::UInt64(i)) => Ok(*i),
        Some(Value::Null(_)) | None => Ok(0),
        Some(other) => Err(format!("unexpected count value {other}")),
    }
}

/// Row count and column names of a Parquet file, read through the engine's own scanner.
fn parquet_rows_and_columns(
    conn: &Connection<'_>,
    path: &Path,
) -> Result<(u64, Vec<String>), String> {
    let file = quote_str(&path.display().to_string());
    let columns = conn
        .query(&format!("LOAD FROM {file} RETURN * LIMIT 1"))
        .map_err(engine_err)?
        .get_column_names();
    let rows = scalar_u64(conn, &format!("LOAD FROM {file} RETURN count(*)"))?;
    Ok((rows, columns))
}

/// Where a COPY reads a table from: local Parquet files and the columns to take from them.
struct CopySource {
    /// `['a.parquet', 'b.parquet']`.
    list: String,
    /// The table's columns as spelled in the files, in table order.
    select: Vec<String>,
    /// The files' columns are exactly the table's, in order (the list can be copied directly).
    in_order: bool,
    /// Rows in the files.
    rows: u64,
}

impl CopySource {
    /// The whole source: the file list directly when possible, else a `LOAD FROM` subquery
    /// selecting the columns by name.
    fn whole(&self) -> String {
        if self.in_order {
            self.list.clone()
        } else {
            format!(
                "(LOAD FROM {} RETURN {})",
                self.list,
                self.select.join(", ")
            )
        }
    }

    /// The rows satisfying `predicate` (Cypher over the file columns).
    fn filtered(&self, predicate: &str) -> String {
        format!(
            "(LOAD FROM {} WHERE {predicate} RETURN {})",
            self.list,
            self.select.join(", ")
        )
    }

    /// The COPY sources of an edge table. The engine's first COPY into an empty relationship
    /// table with a floating-point property takes minutes for a few hundred thousand rows
    /// (measured: 1 M `TRANSFER` rows with a DOUBLE, 150 s), while later COPYs into a non-empty
    /// table are fast (the same rows: under 1 s). So a large table is copied as a small first
    /// part (≈ `PRIME_ROWS` rows, chosen by a hash of the source key) and then everything else;
    /// the two predicates are complementary, so every row is copied exactly once.
    fn for_edges(&self) -> Vec<String> {
        const PRIME_ROWS: u64 = 10_000;
        if self.rows <= 2 * PRIME_ROWS {
            return vec![self.whole()];
        }
        let buckets = self.rows / PRIME_ROWS;
        let first = format!("hash({}) % {buckets} = 0", self.select[0]);
        vec![
            self.filtered(&first),
            self.filtered(&format!("NOT coalesce({first}, false)")),
        ]
    }
}

/// Inspects the files of one table: every expected column present (matched case-insensitively),
/// and how many rows they hold.
fn copy_source(
    conn: &Connection<'_>,
    table: &str,
    files: &[PathBuf],
    expected: &[String],
) -> Result<CopySource, EngineError> {
    let load_err = |message: String| EngineError::Load {
        table: table.into(),
        message,
    };
    let mut rows = 0;
    let mut in_order = true;
    let mut actual_names: Vec<String> = Vec::new();
    let exp_lower: Vec<String> = expected.iter().map(|c| c.to_ascii_lowercase()).collect();
    for f in files {
        let (file_rows, columns) = parquet_rows_and_columns(conn, f)
            .map_err(|m| load_err(format!("{}: {m}", f.display())))?;
        rows += file_rows;
        let lower: Vec<String> = columns.iter().map(|c| c.to_ascii_lowercase()).collect();
        if let Some(missing) = expected
            .iter()
            .find(|e| !lower.contains(&e.to_ascii_lowercase()))
        {
            return Err(load_err(format!(
                "file {} has no column {missing}",
                f.display()
            )));
        }
        in_order &= lower == exp_lower;
        if actual_names.is_empty() {
            actual_names = columns;
        }
    }
    let list = format!(
        "[{}]",
        files
            .iter()
            .map(|f| quote_str(&f.display().to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let select = expected
        .iter()
        .map(|e| {
            quote_ident(
                actual_names
                    .iter()
                    .find(|a| a.eq_ignore_ascii_case(e))
                    .unwrap_or(e),
            )
        })
        .collect();
    Ok(CopySource {
        list,
        select,
        in_order,
        rows,
    })
}

fn duplicate_key(message: &str) -> Option<String> {
    let start =
        message.find("duplicated primary key value ")? + "duplicated primary key value ".len();
    let rest = &message[start..];
    let end = rest.find(", which violates").unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

impl RyuEngine {
    /// Opens (creating if needed) a database in `dir` and starts its connection pool.
    pub fn open(dir: &Path, config: RyuConfig) -> Result<Self, EngineError> {
        std::fs::create_dir_all(dir)?;
        let db_path = dir.join("graph.db");
        let readers = config.readers.max(1);
        let (read_tx, read_rx) = mpsc::channel::<Job>();
        let (write_tx, write_rx) = mpsc::channel::<Job>();
        let (interrupt_tx, interrupt_rx) = mpsc::channel::<(usize, u64)>();
        let slots: Arc<Vec<Slot>> = Arc::new(
            (0..=readers)
                .map(|_| Slot {
                    running: Mutex::new(0),
                })
                .collect(),
        );
        let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<(), String>>(1);
        let thread_slots = Arc::clone(&slots);
        let path_for_thread = db_path.clone();
        std::thread::Builder::new()
            .name("graph-engine".into())
            .spawn(move || {
                let mut sys = SystemConfig::default().max_db_size(config.max_db_bytes);
                if config.buffer_pool_bytes > 0 {
                    sys = sys.buffer_pool_size(config.buffer_pool_bytes);
                }
                if config.threads_per_query > 0 {
                    sys = sys.max_num_threads(config.threads_per_query);
                }
                let opened = if config.in_memory {
                    Database::in_memory(sys)
                } else {
                    Database::new(&path_for_thread, sys)
                };
                let db = match opened {
                    Ok(db) => db,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let mut conns = Vec::with_capacity(readers + 1);
                for _ in 0..=readers {
                    match Connection::new(&db) {
                        Ok(c) => conns.push(c),
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    }
                }
                let _ = ready_tx.send(Ok(()));
                serve(&conns, read_rx, write_rx, interrupt_rx, &thread_slots);
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(message)) => {
                return Err(EngineError::Open {
                    path: db_path,
                    message,
                });
            }
            Err(_) => {
                return Err(EngineError::Open {
                    path: db_path,
                    message: "engine thread died".into(),
                });
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                read_tx: Mutex::new(read_tx),
                write_tx: Mutex::new(write_tx),
                interrupt_tx: Mutex::new(interrupt_tx),
                slots,
                next_seq: std::sync::atomic::AtomicU64::new(1),
                catalog: RwLock::new(Catalog::default()),
                dir: dir.to_path_buf(),
            }),
        })
    }

    /// Runs `f` on the writer connection and waits for its result.
    fn on_writer<T: Send + 'static>(
        &self,
        f: impl for<'c, 'db> FnOnce(&'c Connection<'db>) -> T + Send + 'static,
    ) -> Result<T, EngineError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |conn, _slot| {
            let _ = tx.send(f(conn));
        });
        self.inner
            .write_tx
            .lock()
            .map_err(|_| EngineError::Stopped)?
            .send(job)
            .map_err(|_| EngineError::Stopped)?;
        rx.recv().map_err(|_| EngineError::Stopped)
    }

    fn ids(&self) -> Arc<IdSpace> {
        self.inner
            .catalog
            .read()
            .map(|c| Arc::clone(&c.ids))
            .unwrap_or_default()
    }

    /// The catalogue as the Cypher translator needs it: every label and relationship type with
    /// its property names and types (written-back algorithm properties included).
    fn cypher_schema(&self) -> graph_olap_cypher::Schema {
        self.inner
            .catalog
            .read()
            .map(|c| c.defs.cypher_schema())
            .unwrap_or_default()
    }

    /// Runs a statement in a read-only transaction without the lexical gate. Only for tests that
    /// prove the engine-side line of defence.
    #[doc(hidden)]
    pub fn query_ungated(&self, request: &QueryRequest) -> Result<QueryOutput, QueryError> {
        self.execute_read_only(request, &CancelToken::new(), None)
    }

    /// Runs one statement in a read-only transaction on a pool connection. With
    /// `max_path_length`, the engine's bound on variable-length paths (30 by default, which
    /// silently cuts off longer paths) is raised to it for this statement and restored after.
    fn execute_read_only(
        &self,
        request: &QueryRequest,
        cancel: &CancelToken,
        max_path_length: Option<u64>,
    ) -> Result<QueryOutput, QueryError> {
        let limits = QueryLimits::start(request);
        let mut params = Vec::with_capacity(request.parameters.len());
        for (k, v) in &request.parameters {
            params.push((k.clone(), param_value(k, v)?));
        }
        let ids = self.ids();
        let seq = self
            .inner
            .next_seq
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let slots = Arc::clone(&self.inner.slots);
        let interrupt_tx = self
            .inner
            .interrupt_tx
            .lock()
            .map_err(|_| QueryError::stopped())?
            .clone();
        let cancel_for_job = cancel.clone();
        let query = request.query.clone();
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |conn, slot| {
            let raised = max_path_length
                .filter(|&n| n > DEFAULT_MAX_PATH_LENGTH)
                .is_some_and(|n| {
                    conn.query(&format!("CALL var_length_extend_max_depth={n}"))
                        .is_ok()
                });
            let outcome = run_user_query(
                conn,
                UserQuery {
                    query: &query,
                    params,
                    limits,
                    seq,
                    slot,
                },
                &slots,
                &interrupt_tx,
                &cancel_for_job,
                &ids,
            );
            if raised {
                let _ = conn.query(&format!(
                    "CALL var_length_extend_max_depth={DEFAULT_MAX_PATH_LENGTH}"
                ));
            }
            let _ = tx.send(outcome);
        });
        self.inner
            .read_tx
            .lock()
            .map_err(|_| QueryError::stopped())?
            .send(job)
            .map_err(|_| QueryError::stopped())?;
        // Waiting for a free connection counts against the timeout.
        loop {
            let remaining = Duration::from_millis(limits.remaining_ms() + 500);
            match rx.recv_timeout(remaining) {
                Ok(outcome) => return outcome,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if limits.expired() {
                        // Still queued or the engine did not stop in time: cancel it and report.
                        cancel.cancel();
                        return Err(limits.timed_out());
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(QueryError::stopped()),
            }
        }
    }
}

struct UserQuery<'a> {
    query: &'a str,
    params: Vec<(String, Value)>,
    limits: QueryLimits,
    seq: u64,
    slot: usize,
}

fn run_user_query(
    conn: &Connection<'_>,
    q: UserQuery<'_>,
    slots: &[Slot],
    interrupt_tx: &Sender<(usize, u64)>,
    cancel: &CancelToken,
    ids: &IdSpace,
) -> Result<QueryOutput, QueryError> {
    let remaining_ms = q.limits.remaining_ms();
    if remaining_ms == 0 {
        return Err(q.limits.timed_out());
    }
    if let Ok(mut running) = slots[q.slot].running.lock() {
        *running = q.seq;
    }
    let tx = interrupt_tx.clone();
    let (slot, seq) = (q.slot, q.seq);
    let already = cancel.set_interrupt_hook(Some(Box::new(move || {
        let _ = tx.send((slot, seq));
    })));
    let outcome = if already {
        Err(QueryError::cancelled())
    } else {
        conn.set_query_timeout(remaining_ms);
        let started = Instant::now();
        let r = execute_in_read_only_tx(conn, &q, ids, started);
        conn.set_query_timeout(0);
        r
    };
    cancel.set_interrupt_hook(None);
    if let Ok(mut running) = slots[q.slot].running.lock() {
        *running = 0;
    }
    match outcome {
        Err(e) if e.message.contains("Interrupted") => Err(q.limits.interrupted(cancel)),
        other => other,
    }
}

fn execute_in_read_only_tx(
    conn: &Connection<'_>,
    q: &UserQuery<'_>,
    ids: &IdSpace,
    started: Instant,
) -> Result<QueryOutput, QueryError> {
    if let Err(e) = conn.query("BEGIN TRANSACTION READ ONLY") {
        return Err(QueryError::failed(FailureReason::Other, engine_err(e)));
    }
    let result = (|| {
        let mut statement = conn
            .prepare(q.query)
            .map_err(|e| classify_failure(&engine_err(e), q.query))?;
        let params: Vec<(&str, Value)> = q
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let result = conn
            .execute(&mut statement, params)
            .map_err(|e| classify_failure(&engine_err(e), q.query))?;
        let columns = result.get_column_names();
        let declared: Vec<String> = result
            .get_column_data_types()
            .iter()
            .map(logical_type_name)
            .collect();
        let (rows, truncated) = catch_unwind(AssertUnwindSafe(|| {
            let (rows, truncated) = q.limits.take_rows(result);
            let rows: Vec<Vec<GraphValue>> = rows
                .into_iter()
                .map(|row| row.into_iter().map(|v| convert(v, ids)).collect())
                .collect();
            (rows, truncated)
        }))
        .map_err(|_| {
            QueryError::failed(
                FailureReason::Other,
                "A result value could not be converted",
            )
        })?;
        Ok(q.limits
            .output(started, columns, &declared, rows, truncated))
    })();
    // Read-only: nothing to commit. A no-op if the engine already ended the transaction.
    let _ = conn.query("ROLLBACK");
    result
}

/// The owner thread's body: worker loops over the connections until the handles are dropped.
fn serve(
    conns: &[Connection<'_>],
    read_rx: Receiver<Job>,
    write_rx: Receiver<Job>,
    interrupt_rx: Receiver<(usize, u64)>,
    slots: &[Slot],
) {
    let read_rx = Mutex::new(read_rx);
    std::thread::scope(|s| {
        let (writer, readers) = conns.split_at(1);
        let writer = &writer[0];
        s.spawn(move || {
            while let Ok(job) = write_rx.recv() {
                job(writer, 0);
            }
        });
        for (i, conn) in readers.iter().enumerate() {
            let rx = &read_rx;
            s.spawn(move || {
                loop {
                    let job = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => break,
                    };
                    match job {
                        Ok(job) => job(conn, i + 1),
                        Err(_) => break,
                    }
                }
            });
        }
        s.spawn(move || {
            while let Ok((slot, seq)) = interrupt_rx.recv() {
                if let (Some(conn), Some(state)) = (conns.get(slot), slots.get(slot))
                    && let Ok(running) = state.running.lock()
                    && *running == seq
                {
                    let _ = conn.interrupt();
                }
            }
        });
    });
}

impl GraphEngine for RyuEngine {
    fn create_schema(
        &self,
        nodes: &[NodeDefinition],
        edges: &[EdgeDefinition],
    ) -> Result<(), EngineError> {
        let mut statements: Vec<(String, String)> = Vec::new();
        for n in nodes {
            let mut cols = vec![format!(
                "{} {}",
                quote_ident(&n.primary_key.name),
                engine_type(&n.primary_key.ty)
            )];
            for p in &n.properties {
                cols.push(format!("{} {}", quote_ident(&p.name), engine_type(&p.ty)));
            }
            cols.push(format!("PRIMARY KEY({})", quote_ident(&n.primary_key.name)));
            statements.push((
                n.label.clone(),
                format!(
                    "CREATE NODE TABLE {}({})",
                    quote_ident(&n.label),
                    cols.join(", ")
                ),
            ));
        }
        for e in edges {
            let mut cols = vec![format!(
                "FROM {} TO {}",
                quote_ident(&e.from_node),
                quote_ident(&e.to_node)
            )];
            for p in &e.properties {
                cols.push(format!("{} {}", quote_ident(&p.name), engine_type(&p.ty)));
            }
            statements.push((
                e.edge_type.clone(),
                format!(
                    "CREATE REL TABLE {}({})",
                    quote_ident(&e.edge_type),
                    cols.join(", ")
                ),
            ));
        }
        self.on_writer(move |conn| {
            for (table, ddl) in statements {
                conn.query(&ddl).map_err(|e| EngineError::Schema {
                    table,
                    message: engine_err(e),
                })?;
            }
            Ok::<(), EngineError>(())
        })??;
        let mut catalog = self
            .inner
            .catalog
            .write()
            .map_err(|_| EngineError::Stopped)?;
        catalog.defs = Definitions::new(nodes, edges);
        Ok(())
    }

    fn load(
        &self,
        nodes: &[NodeLoad],
        edges: &[EdgeLoad],
        progress: &mut dyn FnMut(LoadEvent),
    ) -> Result<LoadReport, EngineError> {
        let mut report = LoadReport::default();
        for n in nodes {
            let label = n.definition.label.clone();
            progress(LoadEvent::TableStarted {
                name: label.clone(),
                kind: TableKind::Node,
            });
            let mut expected = vec![n.definition.primary_key.name.clone()];
            expected.extend(n.definition.properties.iter().map(|p| p.name.clone()));
            let l = label.clone();
            let files = n.files.clone();
            let (count, rows_in_files) = self.on_writer(move |conn| {
                let source = if files.is_empty() {
                    None
                } else {
                    Some(copy_source(conn, &l, &files, &expected)?)
                };
                let rows_in_files = source.as_ref().map_or(0, |s| s.rows);
                if let Some(source) = source {
                    let copy = format!("COPY {} FROM {}", quote_ident(&l), source.whole());
                    if let Err(e) = conn.query(&copy) {
                        let message = engine_err(e);
                        return Err(match duplicate_key(&message) {
                            Some(key) => EngineError::DuplicateKey { label: l, key },
                            None => EngineError::Load { table: l, message },
                        });
                    }
                }
                let count = scalar_u64(
                    conn,
                    &format!("MATCH (n:{}) RETURN count(n)", quote_ident(&l)),
                )
                .map_err(|message| EngineError::Load { table: l, message })?;
                Ok((count, rows_in_files))
            })??;
            report.node_counts.insert(label.clone(), count);
            report.source_rows.insert(label.clone(), rows_in_files);
            progress(LoadEvent::TableLoaded {
                name: label,
                kind: TableKind::Node,
                rows: count,
                dangling: 0,
            });
        }
        for e in edges {
            let name = e.definition.edge_type.clone();
            progress(LoadEvent::TableStarted {
                name: name.clone(),
                kind: TableKind::Edge,
            });
            let mut expected = vec![e.definition.from_key.clone(), e.definition.to_key.clone()];
            expected.extend(e.definition.properties.iter().map(|p| p.name.clone()));
            let t = name.clone();
            let files = e.files.clone();
            let (count, rows_in_files) = self.on_writer(move |conn| {
                let source = if files.is_empty() {
                    None
                } else {
                    Some(copy_source(conn, &t, &files, &expected)?)
                };
                let rows_in_files = source.as_ref().map_or(0, |s| s.rows);
                if let Some(source) = source {
                    // Rows whose endpoint key matches no node are skipped by the engine and
                    // recorded as warnings; any other kind of warning fails the load.
                    for part in source.for_edges() {
                        let copy =
                            format!("COPY {} FROM {part} (ignore_errors=true)", quote_ident(&t));
                        conn.query(&copy).map_err(|e| EngineError::Load {
                            table: t.clone(),
                            message: engine_err(e),
                        })?;
                    }
                    let warnings =
                        run(conn, "CALL show_warnings() RETURN message").map_err(|message| {
                            EngineError::Load {
                                table: t.clone(),
                                message,
                            }
                        })?;
                    let _ = conn.query("CALL clear_warnings()");
                    for w in warnings {
                        let text = w.first().map(ToString::to_string).unwrap_or_default();
                        if !text.contains("Unable to find primary key") {
                            return Err(EngineError::Load {
                                table: t,
                                message: text,
                            });
                        }
                    }
                }
                let count = scalar_u64(
                    conn,
                    &format!("MATCH ()-[r:{}]->() RETURN count(r)", quote_ident(&t)),
                )
                .map_err(|message| EngineError::Load { table: t, message })?;
                Ok((count, rows_in_files))
            })??;
            let dangling = rows_in_files.saturating_sub(count);
            report.edge_counts.insert(name.clone(), count);
            report.dangling_edges.insert(name.clone(), dangling);
            report.source_rows.insert(name.clone(), rows_in_files);
            progress(LoadEvent::TableLoaded {
                name,
                kind: TableKind::Edge,
                rows: count,
                dangling,
            });
        }
        self.build_id_space(&report)?;
        Ok(report)
    }

    fn query(
        &self,
        request: &QueryRequest,
        cancel: &CancelToken,
    ) -> Result<QueryOutput, QueryError> {
        let schema = self.cypher_schema();
        let statement = crate::dialect::prepare_with_schema(
            &request.query,
            graph_olap_cypher::Dialect::Kuzu,
            &schema,
        )?;
        let translated = QueryRequest {
            query: statement.text.clone(),
            ..request.clone()
        };
        // An unbounded shortest path may be as long as the graph has nodes (Neo4j: unbounded).
        let max_path_length = statement.unbounded_shortest_path.then(|| {
            let nodes: u64 = self.node_ranges().iter().map(|r| u64::from(r.count)).sum();
            nodes.max(1)
        });
        let mut output = self.execute_read_only(&translated, cancel, max_path_length)?;
        if statement.explain {
            let plan = match output.rows.first().and_then(|r| r.first()) {
                Some(GraphValue::String(plan)) => plan.clone(),
                _ => String::new(),
            };
            let text = statement
                .text
                .strip_prefix("EXPLAIN ")
                .unwrap_or(&statement.text);
            output.rows = crate::dialect::explain_rows(text, &plan);
            output.columns = crate::dialect::EXPLAIN_COLUMNS.map(String::from).to_vec();
            output.column_types = vec!["STRING".into(), "STRING".into(), "INT64".into()];
            output.truncated = false;
            return Ok(output);
        }
        // Columns are named by the text as written (`count(*)`, `type(r)`), not by the engine's
        // spelling of the translated text (`COUNT_STAR()`, `LABEL(r)`).
        if let Some(names) = statement.columns
            && names.len() == output.columns.len()
        {
            output.columns = names;
        }
        Ok(output)
    }

    fn schema(&self) -> Result<GraphSchema, EngineError> {
        let defs = self
            .inner
            .catalog
            .read()
            .map_err(|_| EngineError::Stopped)?
            .defs
            .clone();
        let labels: Vec<String> = defs.nodes.iter().map(|n| n.label.clone()).collect();
        let types: Vec<String> = defs.edges.iter().map(|e| e.edge_type.clone()).collect();
        let (node_counts, edge_counts) = self
            .on_writer(move |conn| {
                let mut nc = Vec::new();
                for l in &labels {
                    nc.push(scalar_u64(
                        conn,
                        &format!("MATCH (n:{}) RETURN count(n)", quote_ident(l)),
                    )?);
                }
                let mut ec = Vec::new();
                for t in &types {
                    ec.push(scalar_u64(
                        conn,
                        &format!("MATCH ()-[r:{}]->() RETURN count(r)", quote_ident(t)),
                    )?);
                }
                Ok::<_, String>((nc, ec))
            })?
            .map_err(EngineError::Internal)?;
        Ok(defs.graph_schema(&node_counts, &edge_counts))
    }

    fn write_back(&self, column: &WriteBack) -> Result<u64, EngineError> {
        let wb_err = |message: String| EngineError::WriteBack {
            property: column.property.clone(),
            message,
        };
        let ty = column.values.write_type();
        let ids = self.ids();
        // Per label: the property's current type (if an earlier result wrote it), and the value
        // list indexed by offset. A result of another type replaces the older one whole: the
        // column is dropped and added again with the new type, in the same transaction.
        let plan: Vec<(String, Option<WriteType>, u32, u32)> = self
            .inner
            .catalog
            .read()
            .map_err(|_| EngineError::Stopped)?
            .defs
            .plan_write(column, &ids.labels)?
            .into_iter()
            .map(|w| (w.label, w.existing, w.range.first_id, w.range.count))
            .collect();
        let mut lists: Vec<Vec<Value>> = Vec::new();
        let mut masks: Vec<Vec<bool>> = plan
            .iter()
            .map(|(_, _, _, count)| vec![false; *count as usize])
            .collect();
        let null = match ty {
            WriteType::Int64 => LogicalType::Int64,
            WriteType::Double => LogicalType::Double,
            WriteType::Bool => LogicalType::Bool,
        };
        for (_, _, _, count) in &plan {
            lists.push(vec![Value::Null(null.clone()); *count as usize]);
        }
        let mut written = 0u64;
        for (i, id) in column.node_ids.iter().enumerate() {
            let Some(p) = plan
                .iter()
                .position(|(_, _, first, count)| *id >= *first && *id < first + count)
            else {
                return Err(wb_err(format!("node {id} is not in the labels in scope")));
            };
            let offset = (*id - plan[p].2) as usize;
            masks[p][offset] = true;
            lists[p][offset] = match &column.values {
                WriteValues::Int64(v) => v[i].map_or(Value::Null(null.clone()), Value::Int64),
                WriteValues::Double(v) => v[i].map_or(Value::Null(null.clone()), Value::Double),
                WriteValues::Bool(v) => v[i].map_or(Value::Null(null.clone()), Value::Bool),
            };
            written += 1;
        }
        let property = column.property.clone();
        let plan_for_job = plan.clone();
        let null_for_job = null.clone();
        self.on_writer(move |conn| {
            // ryugraph 25.9.2 crashes when a checkpoint (at the latest when the database closes)
            // replays committed updates of a column dropped since the previous checkpoint; so a
            // result replacing one of another type first checkpoints the updates made so far.
            let replaced: Vec<&String> = plan_for_job
                .iter()
                .filter(|(_, existing, _, _)| existing.is_some_and(|old| old != ty))
                .map(|(label, _, _, _)| label)
                .collect();
            if !replaced.is_empty() {
                conn.query("CHECKPOINT").map_err(engine_err)?;
                for label in &replaced {
                    let ddl = format!("ALTER TABLE {} DROP {}", quote_ident(label), quote_ident(&property));
                    conn.query(&ddl).map_err(engine_err)?;
                }
                conn.query("CHECKPOINT").map_err(engine_err)?;
            }
            conn.query("BEGIN TRANSACTION").map_err(engine_err)?;
            let outcome = (|| {
                for (((label, existing, _, _), values), mask) in plan_for_job.iter().zip(lists).zip(masks) {
                    if *existing != Some(ty) {
                        let ddl = format!(
                            "ALTER TABLE {} ADD {} {}",
                            quote_ident(label),
                            quote_ident(&property),
                            match ty {
                                WriteType::Int64 => "INT64",
                                WriteType::Double => "DOUBLE",
                                WriteType::Bool => "BOOLEAN",
                            }
                        );
                        conn.query(&ddl).map_err(engine_err)?;
                    }
                    if values.is_empty() {
                        continue;
                    }
                    let mut stmt;
                    let mut params = vec![("vals", Value::List(null_for_job.clone(), values))];
                    if mask.iter().all(|listed| *listed) {
                        let set = format!(
                            "MATCH (n:{}) SET n.{} = list_extract($vals, offset(id(n)) + 1)",
                            quote_ident(label),
                            quote_ident(&property)
                        );
                        stmt = conn.prepare(&set).map_err(engine_err)?;
                    } else {
                        // Only the listed nodes: the others keep what they had.
                        let set = format!(
                            "MATCH (n:{}) WHERE list_extract($listed, offset(id(n)) + 1) SET n.{} = list_extract($vals, offset(id(n)) + 1)",
                            quote_ident(label),
                            quote_ident(&property)
                        );
                        stmt = conn.prepare(&set).map_err(engine_err)?;
                        params.push(("listed", Value::List(LogicalType::Bool, mask.into_iter().map(Value::Bool).collect())));
                    }
                    conn.execute(&mut stmt, params).map_err(engine_err)?;
                }
                Ok::<(), String>(())
            })();
            match outcome {
                Ok(()) => conn.query("COMMIT").map(|_| ()).map_err(engine_err),
                Err(e) => {
                    let _ = conn.query("ROLLBACK");
                    Err(e)
                }
            }
        })?
        .map_err(wb_err)?;
        self.inner
            .catalog
            .write()
            .map_err(|_| EngineError::Stopped)?
            .defs
            .record_write(column);
        Ok(written)
    }

    fn node_ranges(&self) -> Vec<LabelRange> {
        self.ids().labels.clone()
    }

    fn wrapper_type(&self) -> &'static str {
        "ryugraph"
    }

    fn capabilities(&self) -> &'static [&'static str] {
        use crate::model::capability::*;
        &[
            CYPHER,
            EXPLAIN,
            ALGORITHMS,
            INTERRUPT_RUNNING_QUERY,
            TIMESTAMP_MICROSECONDS,
            EXACT_DOUBLES,
            TYPED_PROPERTIES,
            IN_MEMORY,
        ]
    }

    fn topology(&self, labels: &[String], edge_types: &[String]) -> Result<Topology, EngineError> {
        let ids = self.ids();
        let chosen: Vec<EdgeDefinition> = self
            .inner
            .catalog
            .read()
            .map_err(|_| EngineError::Stopped)?
            .defs
            .topology_edges(labels, edge_types)?;
        let label_ranges: Vec<LabelRange> = ids
            .labels
            .iter()
            .filter(|r| in_scope(labels, &r.label))
            .cloned()
            .collect();
        let ids_for_job = Arc::clone(&ids);
        let edges = self
            .on_writer(move |conn| {
                let mut out = Vec::new();
                for e in chosen {
                    let from_base = ids_for_job
                        .labels
                        .iter()
                        .find(|r| r.label == e.from_node)
                        .map_or(0, |r| r.first_id);
                    let to_base = ids_for_job
                        .labels
                        .iter()
                        .find(|r| r.label == e.to_node)
                        .map_or(0, |r| r.first_id);
                    let q = format!(
                        "MATCH (a:{})-[r:{}]->(b:{}) RETURN offset(id(a)), offset(id(b))",
                        quote_ident(&e.from_node),
                        quote_ident(&e.edge_type),
                        quote_ident(&e.to_node)
                    );
                    let result = conn.query(&q).map_err(engine_err)?;
                    let mut src = Vec::new();
                    let mut dst = Vec::new();
                    for row in result {
                        if let (Some(Value::Int64(a)), Some(Value::Int64(b))) =
                            (row.first(), row.get(1))
                        {
                            src.push(from_base + u32::try_from(*a).unwrap_or(u32::MAX));
                            dst.push(to_base + u32::try_from(*b).unwrap_or(u32::MAX));
                        }
                    }
                    out.push(EdgeList {
                        edge_type: e.edge_type,
                        from_label: e.from_node,
                        to_label: e.to_node,
                        src,
                        dst,
                    });
                }
                Ok::<_, String>(out)
            })?
            .map_err(EngineError::Internal)?;
        Ok(Topology {
            labels: label_ranges,
            edges,
        })
    }
}

impl RyuEngine {
    /// After loading: maps engine table ids to dense `_id` bases and stores each relationship's
    /// `_id` in its hidden property.
    fn build_id_space(&self, report: &LoadReport) -> Result<(), EngineError> {
        let (nodes, edges) = {
            let c = self
                .inner
                .catalog
                .read()
                .map_err(|_| EngineError::Stopped)?;
            (c.defs.nodes.clone(), c.defs.edges.clone())
        };
        let counts = report.node_counts.clone();
        let ids = self
            .on_writer(move |conn| {
                // The engine's internal table id, as carried by node and relationship ids (the catalog
                // ids of `show_tables` are a different numbering).
                let table_id = |statement: String| -> Result<Option<u64>, String> {
                    let rows = run(conn, &statement)?;
                    Ok(match rows.first().and_then(|r| r.first()) {
                        Some(Value::InternalID(id)) => Some(id.table_id),
                        _ => None,
                    })
                };
                let mut space = IdSpace::default();
                let mut next: i64 = 0;
                for n in &nodes {
                    let count = counts.get(&n.label).copied().unwrap_or(0);
                    if let Some(tid) = table_id(format!(
                        "MATCH (n:{}) RETURN id(n) LIMIT 1",
                        quote_ident(&n.label)
                    ))? {
                        space.node_base.insert(tid, (next, n.label.clone()));
                    }
                    space.labels.push(LabelRange {
                        label: n.label.clone(),
                        first_id: u32::try_from(next).map_err(|_| "too many nodes".to_string())?,
                        count: u32::try_from(count).map_err(|_| "too many nodes".to_string())?,
                    });
                    next += i64::try_from(count).unwrap_or(i64::MAX);
                }
                for e in &edges {
                    let t = quote_ident(&e.edge_type);
                    let tid = table_id(format!("MATCH ()-[r:{t}]->() RETURN id(r) LIMIT 1"))?;
                    let max = run(
                        conn,
                        &format!("MATCH ()-[r:{t}]->() RETURN max(offset(id(r)))"),
                    )?;
                    let span = match max.first().and_then(|r| r.first()) {
                        Some(Value::Int64(m)) => m + 1,
                        _ => 0,
                    };
                    conn.query(&format!(
                        "ALTER TABLE {t} ADD {} INT64",
                        quote_ident(REL_ID_PROPERTY)
                    ))
                    .map_err(engine_err)?;
                    if span > 0 {
                        conn.query(&format!(
                            "MATCH ()-[r:{t}]->() SET r.{} = {next} + offset(id(r))",
                            quote_ident(REL_ID_PROPERTY)
                        ))
                        .map_err(engine_err)?;
                    }
                    if let Some(tid) = tid {
                        space.rel_base.insert(tid, (next, e.edge_type.clone()));
                    }
                    space.rel_bases_by_type.insert(e.edge_type.clone(), next);
                    next += span;
                }
                Ok::<_, String>(space)
            })?
            .map_err(|message| EngineError::Load {
                table: "(ids)".into(),
                message,
            })?;
        let mut catalog = self
            .inner
            .catalog
            .write()
            .map_err(|_| EngineError::Stopped)?;
        catalog.ids = Arc::new(ids);
        Ok(())
    }
}

#[cfg(feature = "test-support")]
impl RyuEngine {
    /// Test support: writes the rows of a read query to a Parquet file (`COPY (…) TO …`).
    pub fn write_parquet(&self, query: &str, path: &Path) -> Result<(), EngineError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let statement = format!(
            "COPY ({query}) TO {}",
            quote_str(&path.display().to_string())
        );
        self.on_writer(move |conn| conn.query(&statement).map(|_| ()).map_err(engine_err))?
            .map_err(EngineError::Internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_messages_give_positions() {
        let msg = "Parser exception: Invalid input <MATCH (a:Person RETURN>: expected rule oC_SingleQuery (line: 1, offset: 16)\n\"MATCH (a:Person RETURN a.name\"";
        let e = syntax_error(msg, "MATCH (a:Person RETURN a.name");
        assert_eq!(
            e.kind,
            QueryErrorKind::Syntax {
                line: Some(1),
                column: Some(17),
                snippet: Some("MATCH (a:Person RETURN a.name".into())
            }
        );
    }

    #[test]
    fn duplicate_key_is_extracted() {
        let m = "Copy exception: Found duplicated primary key value c1, which violates the uniqueness constraint of the primary key column.";
        assert_eq!(duplicate_key(m).as_deref(), Some("c1"));
    }

    #[test]
    fn failures_are_classified() {
        let f = |m: &str| classify_failure(m, "").kind;
        assert_eq!(
            f("Parameter age not found."),
            QueryErrorKind::Failed {
                reason: FailureReason::MissingParameter,
                parameter: Some("age".into())
            }
        );
        assert_eq!(
            f("Runtime exception: Divide by zero."),
            QueryErrorKind::Failed {
                reason: FailureReason::DivisionByZero,
                parameter: None
            }
        );
        assert_eq!(
            f("Catalog exception: function FOO does not exist."),
            QueryErrorKind::Failed {
                reason: FailureReason::UnknownFunction,
                parameter: None
            }
        );
    }
}
