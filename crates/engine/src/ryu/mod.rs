//! The Ryugraph backend of [`GraphEngine`].
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
//!
//! Layout: this module holds the handle, the connection pool and its threads, the catalogue and
//! the id space; `load` the schema and bulk load, `query` the read-only user queries,
//! `write_back` the computed columns, `convert` the values crossing the binding (`arrow_rows`
//! for results holding relationships, whose ids only the engine's Arrow form carries).

mod arrow_rows;
mod convert;
mod load;
mod query;
mod write_back;

use convert::{convert, logical_type_name, param_value};

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
        warm_up_parser(&read_tx);
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
}

/// Statements of the shapes a new engine parses next (the id space's `MATCH … RETURN id(…)`
/// after the load, and a user's read query), naming a table that does not exist so the engine
/// parses them and stops at binding, before it reads anything.
const PARSER_WARM_UP: [&str; 3] = [
    "MATCH (n:`graph_olap warm-up`) RETURN id(n) LIMIT 1",
    "MATCH ()-[r:`graph_olap warm-up`]->() RETURN id(r) LIMIT 1",
    "MATCH (a:`graph_olap warm-up`)-[r]->(b) WHERE a.k = $k RETURN a.k, count(r) AS c \
     ORDER BY c DESC SKIP 0 LIMIT 10",
];

/// Warms the engine's parser on a reader connection while the writer creates the tables and
/// loads them. The parser builds its decision tables lazily, per process, the first time it
/// meets each kind of statement: in a new process the first `MATCH … LIMIT 1` took 24–35 ms to
/// fail at binding, the next 0.3 ms, and the id space's statements after the `COPY`s (the cold
/// start's critical path) fell from about 12 ms to 3–7 ms once warmed (dev build, 2026-12-07).
/// Each statement fails at binding, before it reads a table, so nothing a `COPY` waits for is
/// held; a warm-up that scans the new tables while a `COPY` runs does hold it up (tried: the
/// `COPY`'s checkpoint timed out waiting for the reader's transaction).
fn warm_up_parser(read_tx: &Sender<Job>) {
    let job: Job = Box::new(|conn, _slot| {
        for statement in PARSER_WARM_UP {
            let _ = conn.query(statement);
        }
    });
    let _ = read_tx.send(job);
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
        self.create_tables(nodes, edges)
    }

    fn load(
        &self,
        nodes: &[NodeLoad],
        edges: &[EdgeLoad],
        progress: &mut dyn FnMut(LoadEvent),
    ) -> Result<LoadReport, EngineError> {
        self.load_tables(nodes, edges, progress)
    }

    fn query(
        &self,
        request: &QueryRequest,
        cancel: &CancelToken,
    ) -> Result<QueryOutput, QueryError> {
        self.run_query(request, cancel)
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
        self.write_column(column)
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
                    let mut result = conn.query(&q).map_err(engine_err)?;
                    let (src, dst) = arrow_rows::offset_pairs(&mut result, (from_base, to_base))?;
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
