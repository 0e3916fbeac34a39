//! The engine-neutral interface: the [`GraphEngine`] trait and the plain types that cross it.
//!
//! Owns: what the instance server (and the algorithm runner) may ask of any graph engine —
//! schema creation, bulk load, read-only queries, schema introspection, column write-back and
//! topology export — and the error type. Does not own: any engine's implementation (see
//! `ryu.rs`), HTTP, or the wire format of results (see `value.rs`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use graph_olap_api::{EdgeDefinition, NodeDefinition};

use crate::value::GraphValue;

/// Why a query failed at run time (`QUERY_FAILED.details.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// A `$parameter` was used but not supplied.
    MissingParameter,
    /// Type mismatch.
    TypeError,
    /// Unknown function.
    UnknownFunction,
    /// Integer division by zero.
    DivisionByZero,
    /// Anything else (unknown label, binder errors, …).
    Other,
}

impl FailureReason {
    /// The wire token.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::MissingParameter => "missing_parameter",
            FailureReason::TypeError => "type_error",
            FailureReason::UnknownFunction => "unknown_function",
            FailureReason::DivisionByZero => "division_by_zero",
            FailureReason::Other => "other",
        }
    }
}

/// Classified query failure; maps one-to-one onto the `QUERY_*` / `READ_ONLY_VIOLATION` codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryErrorKind {
    /// The statement does not parse.
    Syntax {
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
        /// The offending source line.
        snippet: Option<String>,
    },
    /// Valid but unsupported (`multiple_statements`, `profile`, …).
    Unsupported {
        /// Feature token.
        feature: String,
    },
    /// An updating or administrative clause.
    ReadOnlyViolation {
        /// The clause keyword(s).
        clause: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// Runtime or binding failure caused by the query.
    Failed {
        /// Reason token.
        reason: FailureReason,
        /// Name of the missing parameter, for `missing_parameter`.
        parameter: Option<String>,
    },
    /// The deadline passed and the engine was interrupted.
    Timeout {
        /// The timeout that applied.
        timeout_ms: u64,
        /// Time spent, including waiting for a connection.
        elapsed_ms: u64,
    },
    /// Cancelled through its [`CancelToken`].
    Cancelled,
}

/// A failed query: its classification and a one-sentence message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// Classification.
    pub kind: QueryErrorKind,
    /// Human-readable message (engine text with the exception prefix removed).
    pub message: String,
}

/// Errors of the engine adapter.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The database directory could not be opened or created.
    #[error("cannot open the graph database in {path}: {message}")]
    Open {
        /// Directory.
        path: PathBuf,
        /// Engine message.
        message: String,
    },
    /// A table could not be created.
    #[error("cannot create table {table}: {message}")]
    Schema {
        /// Label or type.
        table: String,
        /// Engine message.
        message: String,
    },
    /// The snapshot has two nodes of one label with the same primary key.
    #[error("duplicate primary key in label {label}: {key}")]
    DuplicateKey {
        /// Label.
        label: String,
        /// One offending key, as text.
        key: String,
    },
    /// Loading a table failed for another reason.
    #[error("loading {table} failed: {message}")]
    Load {
        /// Label or type.
        table: String,
        /// What went wrong.
        message: String,
    },
    /// A query failed.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// A label or relationship type that the graph does not have.
    #[error("unknown {kind} {name}")]
    UnknownTable {
        /// `label` or `relationship type`.
        kind: &'static str,
        /// The name asked for.
        name: String,
    },
    /// Writing a computed column failed; nothing was written.
    #[error("write-back of property {property} failed: {message}")]
    WriteBack {
        /// Property name.
        property: String,
        /// What went wrong.
        message: String,
    },
    /// The engine's worker threads have stopped.
    #[error("the graph engine has stopped")]
    Stopped,
    /// Local file I/O.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Any other engine failure.
    #[error("engine error: {0}")]
    Internal(String),
}

/// Cooperative cancellation shared between a caller and a running query.
#[derive(Clone, Default)]
pub struct CancelToken {
    inner: Arc<CancelInner>,
}

#[derive(Default)]
struct CancelInner {
    cancelled: AtomicBool,
    hook: Mutex<Option<Box<dyn Fn() + Send>>>,
}

impl std::fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancelToken {
    /// A fresh, not cancelled token.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests cancellation; interrupts the engine if the query is running.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        if let Ok(hook) = self.inner.hook.lock()
            && let Some(h) = hook.as_ref()
        {
            h();
        }
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Backends register how to interrupt the running work (`None` clears it). Returns whether the
    /// token was already cancelled at registration time.
    pub fn set_interrupt_hook(&self, hook: Option<Box<dyn Fn() + Send>>) -> bool {
        if let Ok(mut slot) = self.inner.hook.lock() {
            *slot = hook;
        }
        self.is_cancelled()
    }
}

/// A read-only query.
#[derive(Debug, Clone)]
pub struct QueryRequest {
    /// One Cypher statement.
    pub query: String,
    /// Named parameters as JSON values (§10.6 conversion rules).
    pub parameters: serde_json::Map<String, serde_json::Value>,
    /// Deadline measured from submission (waiting for a connection counts).
    pub timeout: Duration,
    /// Maximum rows returned; more rows set `truncated`.
    pub max_rows: usize,
}

/// The result of a query, fully materialised.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutput {
    /// Column names (alias or source text).
    pub columns: Vec<String>,
    /// `column_types` per §10.6.
    pub column_types: Vec<String>,
    /// Rows in column order.
    pub rows: Vec<Vec<GraphValue>>,
    /// More rows existed than `max_rows`.
    pub truncated: bool,
    /// Planning + execution time.
    pub execution_time_ms: u64,
}

/// One table of a snapshot with its local Parquet files.
#[derive(Debug, Clone)]
pub struct NodeLoad {
    /// Definition (table layout).
    pub definition: NodeDefinition,
    /// Local Parquet files.
    pub files: Vec<PathBuf>,
}

/// One edge type of a snapshot with its local Parquet files.
#[derive(Debug, Clone)]
pub struct EdgeLoad {
    /// Definition (table layout).
    pub definition: EdgeDefinition,
    /// Local Parquet files.
    pub files: Vec<PathBuf>,
}

/// Whether a table holds nodes or edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// Node label.
    Node,
    /// Relationship type.
    Edge,
}

/// Progress of a bulk load, one pair of events per table (nodes first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadEvent {
    /// Loading of a table started.
    TableStarted {
        /// Label or type.
        name: String,
        /// Kind.
        kind: TableKind,
    },
    /// A table is loaded.
    TableLoaded {
        /// Label or type.
        name: String,
        /// Kind.
        kind: TableKind,
        /// Rows in the graph.
        rows: u64,
        /// Edges skipped because an endpoint matched no node (0 for nodes).
        dangling: u64,
    },
}

/// Counts after a successful load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Nodes per label.
    pub node_counts: BTreeMap<String, u64>,
    /// Loaded edges per type.
    pub edge_counts: BTreeMap<String, u64>,
    /// Skipped (dangling) edges per type.
    pub dangling_edges: BTreeMap<String, u64>,
    /// Rows found in the Parquet files per table (loaded + dangling for edges).
    pub source_rows: BTreeMap<String, u64>,
}

impl LoadReport {
    /// Records a loaded label — `count` nodes from `source_rows` rows in its files — and reports
    /// it to `progress`.
    pub fn nodes_loaded(
        &mut self,
        label: String,
        count: u64,
        source_rows: u64,
        progress: &mut dyn FnMut(LoadEvent),
    ) {
        self.node_counts.insert(label.clone(), count);
        self.source_rows.insert(label.clone(), source_rows);
        progress(LoadEvent::TableLoaded {
            name: label,
            kind: TableKind::Node,
            rows: count,
            dangling: 0,
        });
    }

    /// Records a loaded relationship type — `count` edges from `source_rows` rows, the rest
    /// dangling — and reports it to `progress`.
    pub fn edges_loaded(
        &mut self,
        edge_type: String,
        count: u64,
        source_rows: u64,
        progress: &mut dyn FnMut(LoadEvent),
    ) {
        let dangling = source_rows.saturating_sub(count);
        self.edge_counts.insert(edge_type.clone(), count);
        self.dangling_edges.insert(edge_type.clone(), dangling);
        self.source_rows.insert(edge_type.clone(), source_rows);
        progress(LoadEvent::TableLoaded {
            name: edge_type,
            kind: TableKind::Edge,
            rows: count,
            dangling,
        });
    }
}

/// Schema of one node label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeTableSchema {
    /// Label.
    pub label: String,
    /// Primary-key property.
    pub primary_key: String,
    /// Primary-key type (§3.2 name).
    pub primary_key_type: String,
    /// Every property in order (primary key first), with §3.2 type names.
    pub properties: Vec<(String, String)>,
    /// Properties added by write-back, in creation order.
    pub algorithm_properties: Vec<String>,
    /// Exact node count.
    pub node_count: u64,
}

/// Schema of one relationship type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeTableSchema {
    /// Type.
    pub edge_type: String,
    /// Source label.
    pub from_node: String,
    /// Target label.
    pub to_node: String,
    /// Source key column of the snapshot.
    pub from_key: String,
    /// Target key column of the snapshot.
    pub to_key: String,
    /// Properties in order.
    pub properties: Vec<(String, String)>,
    /// Exact edge count.
    pub edge_count: u64,
}

/// The graph's schema with exact counts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphSchema {
    /// Node labels in definition order.
    pub node_tables: Vec<NodeTableSchema>,
    /// Relationship types in definition order.
    pub edge_tables: Vec<EdgeTableSchema>,
}

/// Type of a written-back column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteType {
    /// 64-bit integers.
    Int64,
    /// 64-bit floats.
    Double,
    /// Booleans.
    Bool,
}

impl WriteType {
    /// §3.2 type name.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteType::Int64 => "INT64",
            WriteType::Double => "DOUBLE",
            WriteType::Bool => "BOOL",
        }
    }
}

/// Values of a written-back column, indexed like [`WriteBack::node_ids`].
#[derive(Debug, Clone, PartialEq)]
pub enum WriteValues {
    /// Integers.
    Int64(Vec<Option<i64>>),
    /// Floats.
    Double(Vec<Option<f64>>),
    /// Booleans.
    Bool(Vec<Option<bool>>),
}

impl WriteValues {
    /// Column type.
    pub fn write_type(&self) -> WriteType {
        match self {
            WriteValues::Int64(_) => WriteType::Int64,
            WriteValues::Double(_) => WriteType::Double,
            WriteValues::Bool(_) => WriteType::Bool,
        }
    }
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            WriteValues::Int64(v) => v.len(),
            WriteValues::Double(v) => v.len(),
            WriteValues::Bool(v) => v.len(),
        }
    }
    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A computed column to store on nodes, atomically.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteBack {
    /// Property name (identifier rule of §3.2).
    pub property: String,
    /// Labels that get the property (added if absent). Nodes of these labels missing from
    /// `node_ids` keep their current value (null when the property is new), so a projection
    /// smaller than its labels leaves the nodes outside it untouched.
    pub labels: Vec<String>,
    /// Node `_id`s.
    pub node_ids: Vec<u32>,
    /// One value per node id.
    pub values: WriteValues,
}

/// The nodes of one label in the dense id space: `_id`s `first_id .. first_id + count`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRange {
    /// Label.
    pub label: String,
    /// First `_id`.
    pub first_id: u32,
    /// Number of nodes.
    pub count: u32,
}

/// Edges of one relationship type as parallel `_id` arrays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeList {
    /// Relationship type.
    pub edge_type: String,
    /// Source label.
    pub from_label: String,
    /// Target label.
    pub to_label: String,
    /// Source node `_id`s.
    pub src: Vec<u32>,
    /// Target node `_id`s.
    pub dst: Vec<u32>,
}

/// Graph topology for the algorithm kernels. Node `_id`s are dense: `0 .. node_count`, one
/// contiguous range per label, so they index a CSR directly.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Topology {
    /// Label ranges in definition order.
    pub labels: Vec<LabelRange>,
    /// Edge lists, one per relationship type asked for.
    pub edges: Vec<EdgeList>,
}

impl Topology {
    /// Total number of nodes (also one past the largest node `_id`).
    pub fn node_count(&self) -> u32 {
        self.labels.last().map_or(0, |l| l.first_id + l.count)
    }

    /// The label of a node `_id`.
    pub fn label_of(&self, id: u32) -> Option<&str> {
        self.labels
            .iter()
            .find(|l| id >= l.first_id && id < l.first_id + l.count)
            .map(|l| l.label.as_str())
    }
}

/// What every graph engine backend provides. All methods block; call them from a blocking
/// thread (e.g. `tokio::task::spawn_blocking`).
pub trait GraphEngine: Send + Sync {
    /// Creates one table per node and edge definition (nodes first).
    fn create_schema(
        &self,
        nodes: &[NodeDefinition],
        edges: &[EdgeDefinition],
    ) -> Result<(), EngineError>;

    /// Bulk-loads local Parquet files, nodes before edges, calling `progress` per table.
    /// Duplicate primary keys fail with [`EngineError::DuplicateKey`]; edges whose endpoints
    /// match no node are skipped and counted.
    fn load(
        &self,
        nodes: &[NodeLoad],
        edges: &[EdgeLoad],
        progress: &mut dyn FnMut(LoadEvent),
    ) -> Result<LoadReport, EngineError>;

    /// Runs one read-only statement. Refuses updating clauses before the engine sees them, and
    /// runs the statement so that the engine itself refuses writes too (a read-only transaction,
    /// a read-only command).
    fn query(
        &self,
        request: &QueryRequest,
        cancel: &CancelToken,
    ) -> Result<QueryOutput, QueryError>;

    /// Schema with exact counts.
    fn schema(&self) -> Result<GraphSchema, EngineError>;

    /// Writes a computed column in one transaction; returns the number of nodes written.
    fn write_back(&self, column: &WriteBack) -> Result<u64, EngineError>;

    /// Topology restricted to `labels` (empty = all) and `edge_types` (empty = all whose
    /// endpoints are both in scope).
    fn topology(&self, labels: &[String], edge_types: &[String]) -> Result<Topology, EngineError>;

    /// The dense `_id` range of every label, in definition order, without reading any edge: what
    /// a caller needs to check and label node ids that a query returned.
    fn node_ranges(&self) -> Vec<LabelRange>;

    /// Why the engine can no longer serve, if that is so. An engine running in a process of its
    /// own (FalkorDB) can die under the instance, which must then fail with this cause; an
    /// embedded engine (Ryugraph) dies only with the instance, hence the default.
    fn failure(&self) -> Option<String> {
        None
    }

    /// The engine's selector (`ryugraph` | `falkordb`), as the control plane's `wrapper_type`.
    fn wrapper_type(&self) -> &'static str;

    /// What this engine can do, as [`capability`] tokens, reported on the instance's `/status`.
    fn capabilities(&self) -> &'static [&'static str];
}

/// The capability tokens an engine may report (`GET /status` `capabilities`): the shared
/// instance API is the same for every engine; these name what differs between engines.
pub mod capability {
    /// Read-only Cypher with parameters, row limits and timeouts.
    pub const CYPHER: &str = "cypher";
    /// `EXPLAIN` answers with the engine's plan.
    pub const EXPLAIN: &str = "explain";
    /// Native and NetworkX algorithms with atomic write-back of node properties.
    pub const ALGORITHMS: &str = "algorithms";
    /// A cancelled query is interrupted inside the engine (not only abandoned by the caller).
    pub const INTERRUPT_RUNNING_QUERY: &str = "interrupt_running_query";
    /// Timestamps keep microseconds (otherwise: whole seconds).
    pub const TIMESTAMP_MICROSECONDS: &str = "timestamp_microseconds";
    /// Doubles in results are exact (otherwise: 15 significant digits).
    pub const EXACT_DOUBLES: &str = "exact_doubles";
    /// Bare properties keep their declared width and type (INT32, FLOAT, UUID, BLOB), not only
    /// the properties of returned nodes and relationships.
    pub const TYPED_PROPERTIES: &str = "typed_properties";
    /// The graph is held in memory only (sizing: memory must hold the whole graph).
    pub const IN_MEMORY: &str = "in_memory";
}
