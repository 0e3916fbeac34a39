//! The FalkorDB backend of graph-olap's [`GraphEngine`]: an instance's graph held by its own
//! FalkorDB server (a Redis module with openCypher), started as a child process.
//!
//! Owns: the server child (see [`server`]), a pool of RESP connections to it, loading a
//! snapshot's Parquet files (read by [`load`]; sent through `GRAPH.BULK`, see [`bulk`], or as
//! Cypher batches, see [`LoadMethod`]), read-only queries through the same Cypher gate as
//! every engine (`graph_olap_engine::dialect`, FalkorDB dialect) and then `GRAPH.RO_QUERY`,
//! decoding results into the engine-neutral [`GraphValue`]s (see [`compact`]), the schema with
//! counts, topology export for the algorithm kernels and atomic write-back. Does not own: HTTP,
//! downloads, the Cypher grammar, or the algorithms.
//!
//! # Why a crate of its own
//!
//! The engine crate links the C++ Ryugraph engine, whose build is invalidated by any change in
//! the feature sets of the crates it shares with its dependants; it therefore keeps Parquet and
//! Arrow out of its dependency graph. FalkorDB has no Parquet reader of its own, so this backend
//! reads Parquet itself. Living here, it depends on the engine crate *without* its `ryugraph`
//! feature and builds and tests in seconds (`cargo test -p graph-olap-falkordb`).
//!
//! # Ids
//!
//! FalkorDB numbers nodes and relationships from 0 in creation order, reusing only deleted ids
//! (an instance deletes nothing). Labels are loaded in definition order, so a label's nodes get
//! one contiguous range — exactly the dense `_id`s the engine interface promises; the load
//! verifies each range. The bulk load relies on this to resolve relationship endpoints on the
//! client: a node's id is its label's first id plus its row's position among the rows sent. A
//! relationship's `_id` is FalkorDB's edge id plus the number of nodes, so relationship `_id`s
//! follow the node `_id`s as on Ryugraph. Cypher `id(n)` returns the node
//! `_id`; `id(r)` returns FalkorDB's edge id (without the offset).
//!
//! # Read-only enforcement
//!
//! Two lines, as on Ryugraph: the syntax-tree gate of `graph-olap-cypher` refuses every updating
//! clause before the server sees the statement, and the statement runs as `GRAPH.RO_QUERY`, which
//! FalkorDB itself refuses to run when it would write.
//!
//! # Documented differences from Ryugraph
//!
//! FalkorDB prints doubles with 15 significant digits in results; its datetimes have whole-second
//! precision; integer and float widths, UUIDs and blobs are restored from the snapshot's declared
//! types only where a whole node or relationship is returned (`RETURN n`), a bare property
//! (`RETURN n.age`) reads as FalkorDB's INT64 / DOUBLE / STRING; a running query cannot be
//! interrupted on the server (a cancelled query returns at once but the server finishes it or
//! stops it at its timeout); the column types of an empty result are `ANY`; parallel
//! relationships are read one by one only in single-hop `MATCH` patterns (the translation makes
//! FalkorDB expand them; variable-length patterns and patterns inside expressions read each pair
//! of nodes once).

#[cfg(feature = "bench-support")]
pub mod bench_support;
pub mod bulk;
mod bulk_load;
pub mod compact;
pub mod literal;
pub mod load;
pub mod resp;
pub mod server;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_engine::catalog::{Definitions, in_scope};
use graph_olap_engine::limits::elapsed_ms;
use graph_olap_engine::{
    CancelToken, EdgeList, EdgeLoad, EngineError, FailureReason, GraphEngine, GraphSchema,
    GraphValue, LabelRange, LoadEvent, LoadReport, NodeLoad, QueryError, QueryErrorKind,
    QueryLimits, QueryOutput, QueryRequest, TableKind, Topology, WriteBack, WriteValues,
};

use crate::compact::{DecodeError, Layout, Names};
use crate::literal::ident;
use crate::load::ColumnSpec;
use crate::resp::{Connection, Reply};
pub use crate::server::{BIN_DIR_ENV, Binaries, PYTHON_ENV, Server, ServerConfig};

/// The graph key inside the instance's own server.
const GRAPH: &str = "g";

/// Sizing and location of the backend.
#[derive(Debug, Clone)]
pub struct FalkorConfig {
    /// Server binaries (`None`: [`Binaries::locate`]).
    pub binaries: Option<Binaries>,
    /// FalkorDB worker threads (queries run in parallel on them).
    pub threads: usize,
    /// Server memory limit in bytes (0 = unlimited).
    pub max_memory_bytes: u64,
    /// Rows per load batch (one `GRAPH.BULK` call or one `UNWIND` query). The default, 100 000,
    /// suits `GRAPH.BULK` (each call rebuilds the matrices it touched; on a loaded machine
    /// 10 000-row calls loaded the scale-100 demo graph 2.4 times slower); the Cypher path was
    /// measured best near 10 000.
    pub batch_rows: usize,
    /// How the snapshot's rows reach the server.
    pub load_method: LoadMethod,
}

/// How a snapshot's rows reach the FalkorDB server. Both build the same graph.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LoadMethod {
    /// `GRAPH.BULK` binary batches, relationship endpoints resolved on the client: the fastest
    /// path measured (README, "FalkorDB load").
    #[default]
    Bulk,
    /// `UNWIND $rows … CREATE` Cypher batches, endpoints found through the primary-key index:
    /// kept as the benchmark's comparison and as a path that needs nothing beyond Cypher.
    Cypher,
}

impl Default for FalkorConfig {
    fn default() -> Self {
        Self {
            binaries: None,
            threads: 2,
            max_memory_bytes: 0,
            batch_rows: 100_000,
            load_method: LoadMethod::default(),
        }
    }
}

#[derive(Debug, Default, Clone)]
struct Catalog {
    defs: Definitions,
    labels: Vec<LabelRange>,
    layout: Layout,
}

impl Catalog {
    /// A relationship table's columns (see [`ColumnSpec::of_edges`]) and its endpoint labels'
    /// definitions.
    fn edge_columns(
        &self,
        def: &EdgeDefinition,
    ) -> Result<(Vec<ColumnSpec>, &NodeDefinition, &NodeDefinition), String> {
        let node = |label: &str| {
            self.defs
                .nodes
                .iter()
                .find(|n| n.label == label)
                .ok_or_else(|| format!("unknown node label {label}"))
        };
        let (from, to) = (node(&def.from_node)?, node(&def.to_node)?);
        let columns = ColumnSpec::of_edges(def, &from.primary_key, &to.primary_key);
        Ok((columns, from, to))
    }
}

/// An instance's FalkorDB server and the graph in it. Dropping it stops the server.
pub struct FalkorEngine {
    server: Server,
    idle: Mutex<Vec<Connection>>,
    catalog: RwLock<Catalog>,
    names: RwLock<Names>,
    batch_rows: usize,
    load_method: LoadMethod,
}

impl std::fmt::Debug for FalkorEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FalkorEngine")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// A failed command: the server refused it, or the connection broke.
#[derive(Debug)]
enum RunError {
    Server(String),
    Connection(String),
}

impl RunError {
    fn message(self) -> String {
        match self {
            RunError::Server(m) | RunError::Connection(m) => m,
        }
    }
}

/// Maps FalkorDB's error text onto the engine-neutral classification.
fn classify(message: &str, limits: &QueryLimits) -> QueryError {
    let lower = message.to_ascii_lowercase();
    if lower.contains("timed out") {
        return limits.timed_out();
    }
    if lower.contains("errmsg: invalid input") || lower.starts_with("invalid input") {
        return QueryError {
            kind: QueryErrorKind::Syntax {
                line: None,
                column: None,
                snippet: None,
            },
            message: message.to_string(),
        };
    }
    if lower.contains("read-only") || lower.contains("read only") {
        return QueryError {
            kind: QueryErrorKind::ReadOnlyViolation {
                clause: "write".into(),
                line: 1,
                column: 1,
            },
            message: message.to_string(),
        };
    }
    let reason = if lower.contains("missing parameters") {
        FailureReason::MissingParameter
    } else if lower.contains("division by zero") {
        FailureReason::DivisionByZero
    } else if lower.contains("unknown function") {
        FailureReason::UnknownFunction
    } else if lower.contains("type mismatch") {
        FailureReason::TypeError
    } else {
        FailureReason::Other
    };
    QueryError::failed(reason, message)
}

/// `Relationships created: 12` → 12, from a reply's statistics.
fn statistic(reply: &Reply, name: &str) -> u64 {
    let stats = reply.items().last().map(Reply::items).unwrap_or_default();
    stats
        .iter()
        .filter_map(Reply::as_text)
        .find_map(|s| {
            s.strip_prefix(name)?
                .strip_prefix(": ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn as_u64(v: Option<&GraphValue>) -> u64 {
    match v {
        Some(GraphValue::Int(i, _)) => u64::try_from(*i).unwrap_or(0),
        _ => 0,
    }
}

impl FalkorEngine {
    /// Starts a FalkorDB server working in `dir` (created if missing) and connects to it.
    pub fn open(dir: &Path, config: FalkorConfig) -> Result<Self, EngineError> {
        let binaries = match config.binaries {
            Some(b) => {
                b.check()?;
                b
            }
            None => Binaries::locate()?,
        };
        let server = Server::start(&ServerConfig {
            binaries,
            dir: dir.to_path_buf(),
            threads: config.threads,
            max_memory_bytes: config.max_memory_bytes,
        })?;
        Ok(Self {
            server,
            idle: Mutex::new(Vec::new()),
            catalog: RwLock::new(Catalog::default()),
            names: RwLock::new(Names::default()),
            batch_rows: config.batch_rows.max(1),
            load_method: config.load_method,
        })
    }

    /// The server's process id (tests kill it to prove the instance notices).
    pub fn server_pid(&self) -> u32 {
        self.server.pid()
    }

    fn connection(&self) -> Result<Connection, RunError> {
        if let Some(c) = self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            return Ok(c);
        }
        self.server
            .connect()
            .map_err(|e| RunError::Connection(self.connection_failure(e.to_string())))
    }

    fn connection_failure(&self, message: String) -> String {
        match self.server.exit_reason() {
            Some(why) => why,
            None => message,
        }
    }

    fn give_back(&self, c: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(c);
        }
    }

    /// Sends one command on a pooled connection.
    fn command(&self, args: &[&[u8]], timeout: Option<Duration>) -> Result<Reply, RunError> {
        let mut c = self.connection()?;
        c.set_read_timeout(timeout)
            .map_err(|e| RunError::Connection(e.to_string()))?;
        match c.command(args) {
            Ok(Reply::Error(e)) => {
                self.give_back(c);
                Err(RunError::Server(e))
            }
            Ok(reply) => {
                self.give_back(c);
                Ok(reply)
            }
            Err(e) => Err(RunError::Connection(self.connection_failure(e.to_string()))),
        }
    }

    /// A writing statement (load, index, write-back).
    fn write(&self, text: &str) -> Result<Reply, RunError> {
        self.command(
            &[
                b"GRAPH.QUERY",
                GRAPH.as_bytes(),
                text.as_bytes(),
                b"--compact",
            ],
            None,
        )
    }

    /// An internal read statement, decoded.
    fn read(&self, text: &str) -> Result<Vec<Vec<GraphValue>>, String> {
        let reply = self
            .command(
                &[
                    b"GRAPH.RO_QUERY",
                    GRAPH.as_bytes(),
                    text.as_bytes(),
                    b"--compact",
                ],
                None,
            )
            .map_err(RunError::message)?;
        let (rows, _) = self.decode(&reply, usize::MAX)?;
        Ok(rows.rows)
    }

    fn decode(
        &self,
        reply: &Reply,
        max_rows: usize,
    ) -> Result<(compact::ResultSet, usize), String> {
        let layout = self
            .catalog
            .read()
            .map(|c| c.layout.clone())
            .unwrap_or_default();
        let names = self.names.read().map(|n| n.clone()).unwrap_or_default();
        match compact::decode_result(reply, &names, &layout, max_rows) {
            Err(DecodeError::UnknownId) => {
                let names = self.refresh_names()?;
                compact::decode_result(reply, &names, &layout, max_rows)
                    .map_err(|e| format!("{e:?}"))
            }
            other => other.map_err(|e| format!("{e:?}")),
        }
    }

    fn refresh_names(&self) -> Result<Names, String> {
        let list = |procedure: &str| -> Result<Vec<String>, String> {
            let text = format!("CALL {procedure}()");
            let reply = self
                .command(
                    &[
                        b"GRAPH.RO_QUERY",
                        GRAPH.as_bytes(),
                        text.as_bytes(),
                        b"--compact",
                    ],
                    None,
                )
                .map_err(RunError::message)?;
            let (rows, _) =
                compact::decode_result(&reply, &Names::default(), &Layout::default(), usize::MAX)
                    .map_err(|e| format!("{e:?}"))?;
            Ok(rows
                .rows
                .into_iter()
                .map(|r| match r.into_iter().next() {
                    Some(GraphValue::String(s)) => s,
                    _ => String::new(),
                })
                .collect())
        };
        let names = Names {
            labels: list("db.labels")?,
            types: list("db.relationshipTypes")?,
            keys: list("db.propertyKeys")?,
        };
        if let Ok(mut slot) = self.names.write() {
            *slot = names.clone();
        }
        Ok(names)
    }

    fn count(&self, text: &str) -> Result<u64, String> {
        Ok(as_u64(self.read(text)?.first().and_then(|r| r.first())))
    }

    /// The catalogue as the Cypher translator needs it.
    fn cypher_schema(&self) -> graph_olap_cypher::Schema {
        self.catalog
            .read()
            .map(|c| c.defs.cypher_schema())
            .unwrap_or_default()
    }

    /// Runs a statement with `GRAPH.RO_QUERY` without the Cypher gate. Only for tests that prove
    /// the server-side line of defence.
    #[doc(hidden)]
    pub fn query_ungated(&self, request: &QueryRequest) -> Result<QueryOutput, QueryError> {
        self.run_read_only(&request.query, request, &CancelToken::new(), None)
    }

    /// Runs a writing statement without any gate and returns FalkorDB's error text on failure.
    /// Only for tests that prove a failing statement leaves nothing behind.
    #[doc(hidden)]
    pub fn write_ungated(&self, text: &str) -> Result<(), String> {
        self.write(text).map(|_| ()).map_err(RunError::message)
    }

    fn run_read_only(
        &self,
        text: &str,
        request: &QueryRequest,
        cancel: &CancelToken,
        names: Option<Vec<String>>,
    ) -> Result<QueryOutput, QueryError> {
        let limits = QueryLimits::start(request);
        let prefix = literal::parameter_prefix(&request.parameters)?;
        let full = format!("{prefix}{text}");
        let mut conn = self
            .connection()
            .map_err(|e| QueryError::failed(FailureReason::Other, e.message()))?;
        // The server stops the query at its timeout; the socket waits a little longer for that
        // answer before giving up on a server that does not answer at all.
        let _ = conn.set_read_timeout(Some(limits.timeout() + Duration::from_secs(5)));
        let interrupt = conn.interrupt_handle();
        let already = cancel.set_interrupt_hook(
            interrupt.map(|h| Box::new(move || h.interrupt()) as Box<dyn Fn() + Send>),
        );
        if already {
            cancel.set_interrupt_hook(None);
            self.give_back(conn);
            return Err(QueryError::cancelled());
        }
        // The server's own deadline is what is left of ours (waiting for a connection counts).
        let timeout_arg = limits.remaining_ms().max(1).to_string();
        let started = Instant::now();
        let outcome = conn.command(&[
            b"GRAPH.RO_QUERY",
            GRAPH.as_bytes(),
            full.as_bytes(),
            b"--compact",
            b"timeout",
            timeout_arg.as_bytes(),
        ]);
        cancel.set_interrupt_hook(None);
        let reply = match outcome {
            // A cancellation that raced with the answer may have shut the socket: not reusable.
            Ok(_) if cancel.is_cancelled() => return Err(QueryError::cancelled()),
            Ok(Reply::Error(e)) => {
                self.give_back(conn);
                return Err(classify(&e, &limits));
            }
            Ok(reply) => {
                self.give_back(conn);
                reply
            }
            Err(e) => {
                if cancel.is_cancelled() || limits.expired() {
                    return Err(limits.interrupted(cancel));
                }
                return Err(QueryError::failed(
                    FailureReason::Other,
                    self.connection_failure(e.to_string()),
                ));
            }
        };
        let (set, total) = self.decode(&reply, limits.max_rows()).map_err(|m| {
            QueryError::failed(
                FailureReason::Other,
                format!("A result could not be decoded: {m}"),
            )
        })?;
        let mut columns = set.columns;
        if let Some(names) = names
            && names.len() == columns.len()
        {
            columns = names;
        }
        Ok(limits.output(started, columns, &[], set.rows, limits.truncates(total)))
    }

    fn explain(&self, text: &str, request: &QueryRequest) -> Result<QueryOutput, QueryError> {
        let limits = QueryLimits::start(request);
        let started = Instant::now();
        let prefix = literal::parameter_prefix(&request.parameters)?;
        let full = format!("{prefix}{text}");
        let reply = self
            .command(&[b"GRAPH.EXPLAIN", GRAPH.as_bytes(), full.as_bytes()], None)
            .map_err(|e| match e {
                RunError::Server(m) => classify(&m, &limits),
                RunError::Connection(m) => QueryError::failed(FailureReason::Other, m),
            })?;
        let mut rows = vec![vec![
            GraphValue::String("QUERY".into()),
            GraphValue::String(text.to_string()),
            GraphValue::Null,
        ]];
        for line in reply.items().iter().filter_map(Reply::as_text) {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (operator, details) = match line.split_once(" | ") {
                Some((o, d)) => (o.trim(), d.trim()),
                None => (line, ""),
            };
            rows.push(vec![
                GraphValue::String(operator.to_string()),
                GraphValue::String(details.to_string()),
                GraphValue::Null,
            ]);
        }
        Ok(QueryOutput {
            columns: graph_olap_engine::dialect::EXPLAIN_COLUMNS
                .map(String::from)
                .to_vec(),
            column_types: vec!["STRING".into(), "STRING".into(), "INT64".into()],
            rows,
            truncated: false,
            execution_time_ms: elapsed_ms(started),
        })
    }

    /// Waits until every index is built (FalkorDB builds indexes in the background).
    fn await_indexes(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let rows = self.read("CALL db.indexes() YIELD status RETURN status")?;
            if rows
                .iter()
                .all(|r| matches!(r.first(), Some(GraphValue::String(s)) if s == "OPERATIONAL"))
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("the primary-key indexes were not built within 600 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn load_nodes(&self, n: &NodeLoad) -> Result<(u64, u64), EngineError> {
        let def = &n.definition;
        let label = def.label.clone();
        let load_err = |message: String| EngineError::Load {
            table: label.clone(),
            message,
        };
        let columns = ColumnSpec::of_nodes(def);
        let rows_in_files = load::count_rows(&n.files, &columns).map_err(|e| load_err(e.0))?;
        let assignments: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{}: {}", ident(&c.name), load::store_expr(i, &c.ty)))
            .collect();
        let statement = format!(
            "UNWIND $rows AS r CREATE (:{} {{{}}})",
            ident(&label),
            assignments.join(", ")
        );
        load::for_each_batch(
            &n.files,
            &columns,
            self.batch_rows,
            |batch, _| {
                self.write(&format!("CYPHER rows={batch} {statement}"))
                    .map(|_| ())
                    .map_err(|e| load_err(e.message()))
            },
            |e| load_err(e.0),
        )?;
        let pk = ident(&def.primary_key.name);
        let l = ident(&label);
        let check = self
            .read(&format!(
                "MATCH (n:{l}) RETURN count(n), count(n.{pk}), count(DISTINCT n.{pk}), min(id(n)), max(id(n))"
            ))
            .map_err(&load_err)?;
        let row = check.first().cloned().unwrap_or_default();
        let (count, keyed, distinct) =
            (as_u64(row.first()), as_u64(row.get(1)), as_u64(row.get(2)));
        if keyed < count {
            return Err(load_err(format!(
                "{} rows have no primary key {}",
                count - keyed,
                def.primary_key.name
            )));
        }
        if distinct < count {
            let dup = self
                .read(&format!(
                    "MATCH (n:{l}) WITH n.{pk} AS k, count(*) AS c WHERE c > 1 RETURN k LIMIT 1"
                ))
                .map_err(&load_err)?;
            let key = dup
                .first()
                .and_then(|r| r.first())
                .map(|v| match v.to_json() {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })
                .unwrap_or_default();
            return Err(EngineError::DuplicateKey { label, key });
        }
        Ok((count, rows_in_files))
    }

    fn load_edges(&self, e: &EdgeLoad, catalog: &Catalog) -> Result<(u64, u64), EngineError> {
        let def = &e.definition;
        let name = def.edge_type.clone();
        let load_err = |message: String| EngineError::Load {
            table: name.clone(),
            message,
        };
        let (columns, from, to) = catalog.edge_columns(def).map_err(&load_err)?;
        let (from_pk, to_pk) = (&from.primary_key, &to.primary_key);
        let rows_in_files = load::count_rows(&e.files, &columns).map_err(|er| load_err(er.0))?;
        let assignments: Vec<String> = columns
            .iter()
            .enumerate()
            .skip(2)
            .map(|(i, c)| format!("{}: {}", ident(&c.name), load::store_expr(i, &c.ty)))
            .collect();
        let statement = format!(
            "UNWIND $rows AS r MATCH (a:{} {{{}: r[0]}}) MATCH (b:{} {{{}: r[1]}}) CREATE (a)-[:{} {{{}}}]->(b)",
            ident(&def.from_node),
            ident(&from_pk.name),
            ident(&def.to_node),
            ident(&to_pk.name),
            ident(&name),
            assignments.join(", ")
        );
        let mut created = 0u64;
        load::for_each_batch(
            &e.files,
            &columns,
            self.batch_rows,
            |batch, _| {
                let reply = self
                    .write(&format!("CYPHER rows={batch} {statement}"))
                    .map_err(|er| load_err(er.message()))?;
                created += statistic(&reply, "Relationships created");
                Ok(())
            },
            |er| load_err(er.0),
        )?;
        Ok((created, rows_in_files))
    }

    fn label_ranges(&self) -> Vec<LabelRange> {
        self.catalog
            .read()
            .map(|c| c.labels.clone())
            .unwrap_or_default()
    }
}

impl GraphEngine for FalkorEngine {
    fn create_schema(
        &self,
        nodes: &[NodeDefinition],
        edges: &[EdgeDefinition],
    ) -> Result<(), EngineError> {
        // FalkorDB has no table schema: labels and types come into being with their first
        // element. What is created up front is the primary-key index of every label, in
        // definition order (which also fixes the label ids).
        for n in nodes {
            self.write(&format!(
                "CREATE INDEX FOR (n:{}) ON (n.{})",
                ident(&n.label),
                ident(&n.primary_key.name)
            ))
            .map_err(|e| EngineError::Schema {
                table: n.label.clone(),
                message: e.message(),
            })?;
        }
        let mut catalog = self.catalog.write().map_err(|_| EngineError::Stopped)?;
        catalog.defs = Definitions::new(nodes, edges);
        for n in nodes {
            let mut props = vec![(n.primary_key.name.clone(), n.primary_key.ty)];
            props.extend(n.properties.iter().map(|p| (p.name.clone(), p.ty)));
            catalog
                .layout
                .node_properties
                .insert(n.label.clone(), props);
        }
        for e in edges {
            catalog.layout.rel_properties.insert(
                e.edge_type.clone(),
                e.properties
                    .iter()
                    .map(|p| (p.name.clone(), p.ty))
                    .collect(),
            );
        }
        Ok(())
    }

    fn load(
        &self,
        nodes: &[NodeLoad],
        edges: &[EdgeLoad],
        progress: &mut dyn FnMut(LoadEvent),
    ) -> Result<LoadReport, EngineError> {
        let mut report = LoadReport::default();
        let mut labels = Vec::new();
        let mut next: u64 = 0;
        let mut keys = HashMap::new();
        for n in nodes {
            let label = n.definition.label.clone();
            progress(LoadEvent::TableStarted {
                name: label.clone(),
                kind: TableKind::Node,
            });
            let (count, rows_in_files) = match self.load_method {
                LoadMethod::Bulk => {
                    let (count, rows, label_keys) = self.bulk_nodes(n, next)?;
                    keys.insert(label.clone(), label_keys);
                    (count, rows)
                }
                LoadMethod::Cypher => self.load_nodes(n)?,
            };
            // Ids are dense per label: the load created `count` nodes after `next`.
            if count > 0 {
                let span = self
                    .read(&format!(
                        "MATCH (n:{}) RETURN min(id(n)), max(id(n))",
                        ident(&label)
                    ))
                    .map_err(|message| EngineError::Load {
                        table: label.clone(),
                        message,
                    })?;
                let row = span.first().cloned().unwrap_or_default();
                let (lo, hi) = (as_u64(row.first()), as_u64(row.get(1)));
                if lo != next || hi != next + count - 1 {
                    return Err(EngineError::Load {
                        table: label,
                        message: format!(
                            "node ids {lo}..={hi} are not the dense range {next}..{} the load expects",
                            next + count
                        ),
                    });
                }
            }
            labels.push(LabelRange {
                label: label.clone(),
                first_id: u32::try_from(next)
                    .map_err(|_| EngineError::Internal("too many nodes".into()))?,
                count: u32::try_from(count)
                    .map_err(|_| EngineError::Internal("too many nodes".into()))?,
            });
            next += count;
            report.nodes_loaded(label, count, rows_in_files, progress);
        }
        self.await_indexes().map_err(|message| EngineError::Load {
            table: "(indexes)".into(),
            message,
        })?;
        let catalog = {
            let mut c = self.catalog.write().map_err(|_| EngineError::Stopped)?;
            c.labels = labels;
            c.layout.rel_id_base = i64::try_from(next).unwrap_or(i64::MAX);
            c.clone()
        };
        for e in edges {
            let name = e.definition.edge_type.clone();
            progress(LoadEvent::TableStarted {
                name: name.clone(),
                kind: TableKind::Edge,
            });
            let (count, rows_in_files) = match self.load_method {
                LoadMethod::Bulk => self.bulk_edges(e, &catalog, &keys)?,
                LoadMethod::Cypher => self.load_edges(e, &catalog)?,
            };
            report.edges_loaded(name, count, rows_in_files, progress);
        }
        self.refresh_names().map_err(EngineError::Internal)?;
        Ok(report)
    }

    fn query(
        &self,
        request: &QueryRequest,
        cancel: &CancelToken,
    ) -> Result<QueryOutput, QueryError> {
        let schema = self.cypher_schema();
        let statement = graph_olap_engine::dialect::prepare_with_schema(
            &request.query,
            graph_olap_cypher::Dialect::FalkorDb,
            &schema,
        )?;
        if statement.explain {
            let text = statement
                .text
                .strip_prefix("EXPLAIN ")
                .unwrap_or(&statement.text);
            return self.explain(text, request);
        }
        self.run_read_only(&statement.text, request, cancel, statement.columns)
    }

    fn schema(&self) -> Result<GraphSchema, EngineError> {
        let defs = self
            .catalog
            .read()
            .map_err(|_| EngineError::Stopped)?
            .defs
            .clone();
        let node_counts = defs
            .nodes
            .iter()
            .map(|n| self.count(&format!("MATCH (n:{}) RETURN count(n)", ident(&n.label))))
            .collect::<Result<Vec<_>, _>>()
            .map_err(EngineError::Internal)?;
        let edge_counts = defs
            .edges
            .iter()
            .map(|e| {
                self.count(&format!(
                    "MATCH ()-[r:{}]->() RETURN count(r)",
                    ident(&e.edge_type)
                ))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(EngineError::Internal)?;
        Ok(defs.graph_schema(&node_counts, &edge_counts))
    }

    fn write_back(&self, column: &WriteBack) -> Result<u64, EngineError> {
        let wb_err = |message: String| EngineError::WriteBack {
            property: column.property.clone(),
            message,
        };
        let ty = column.values.write_type();
        // Labels whose earlier result of another type is replaced whole.
        let replaced: Vec<String> = {
            let catalog = self.catalog.read().map_err(|_| EngineError::Stopped)?;
            catalog
                .defs
                .plan_write(column, &catalog.labels)?
                .into_iter()
                .filter(|w| w.replaces(ty))
                .map(|w| w.label)
                .collect()
        };
        let mut rows = String::from("[");
        for (i, id) in column.node_ids.iter().enumerate() {
            if i > 0 {
                rows.push(',');
            }
            rows.push_str(&format!("[{id},"));
            match &column.values {
                WriteValues::Int64(v) => {
                    rows.push_str(&v[i].map_or("null".into(), |x| x.to_string()))
                }
                WriteValues::Double(v) => match v[i] {
                    Some(x) => literal::push_f64(&mut rows, x),
                    None => rows.push_str("null"),
                },
                WriteValues::Bool(v) => {
                    rows.push_str(&v[i].map_or("null".into(), |x| x.to_string()))
                }
            }
            rows.push(']');
        }
        rows.push(']');
        // One statement: FalkorDB runs a statement atomically (a failing one is undone whole),
        // so a failed write-back leaves no partial property.
        let property = ident(&column.property);
        let mut text = format!("CYPHER rows={rows} ");
        for (i, label) in replaced.iter().enumerate() {
            text.push_str(&format!(
                "MATCH (n{i}:{}) SET n{i}.{property} = NULL WITH count(*) AS c{i} ",
                ident(label)
            ));
        }
        // The id goes through a projection first: `WHERE id(n) = r[0]` straight after the UNWIND
        // makes FalkorDB scan every node per row (quadratic), a projected `i` seeks by id.
        text.push_str(&format!(
            "UNWIND $rows AS r WITH r[0] AS i, r[1] AS v MATCH (n) WHERE id(n) = i SET n.{property} = v RETURN count(n)"
        ));
        let reply = self.write(&text).map_err(|e| wb_err(e.message()))?;
        let (set, _) = self.decode(&reply, 1).map_err(&wb_err)?;
        let written = as_u64(set.rows.first().and_then(|r| r.first()));
        self.catalog
            .write()
            .map_err(|_| EngineError::Stopped)?
            .defs
            .record_write(column);
        Ok(written)
    }

    fn topology(&self, labels: &[String], edge_types: &[String]) -> Result<Topology, EngineError> {
        let catalog = self
            .catalog
            .read()
            .map_err(|_| EngineError::Stopped)?
            .clone();
        // One query per relationship type, all sent at once (the server runs the next while
        // this side reads the previous answer), answered without `--compact` so that each id is
        // one RESP integer, read straight into the id vectors.
        let types = catalog.defs.topology_edges(labels, edge_types)?;
        let failed = |m: String| EngineError::Internal(format!("reading the topology: {m}"));
        let mut conn = self.connection().map_err(|e| failed(e.message()))?;
        for e in &types {
            let text = format!(
                "MATCH (a:{})-[:{}]->(b:{}) RETURN id(a), id(b)",
                ident(&e.from_node),
                ident(&e.edge_type),
                ident(&e.to_node)
            );
            conn.send(&[b"GRAPH.RO_QUERY", GRAPH.as_bytes(), text.as_bytes()])
                .map_err(|er| failed(self.connection_failure(er.to_string())))?;
        }
        let mut edges = Vec::with_capacity(types.len());
        for e in &types {
            let mut columns = conn
                .receive_int_columns(2)
                .map_err(|er| failed(self.connection_failure(er.to_string())))?
                .map_err(&failed)?;
            let ids = |column: Vec<i64>| {
                column
                    .into_iter()
                    .map(|x| u32::try_from(x).map_err(|_| failed(format!("node id {x}"))))
                    .collect::<Result<Vec<u32>, _>>()
            };
            let dst = ids(columns.pop().unwrap_or_default())?;
            let src = ids(columns.pop().unwrap_or_default())?;
            edges.push(EdgeList {
                edge_type: e.edge_type.clone(),
                from_label: e.from_node.clone(),
                to_label: e.to_node.clone(),
                src,
                dst,
            });
        }
        self.give_back(conn);
        Ok(Topology {
            labels: catalog
                .labels
                .iter()
                .filter(|r| in_scope(labels, &r.label))
                .cloned()
                .collect(),
            edges,
        })
    }

    fn node_ranges(&self) -> Vec<LabelRange> {
        self.label_ranges()
    }

    fn failure(&self) -> Option<String> {
        self.server.exit_reason()
    }

    fn wrapper_type(&self) -> &'static str {
        "falkordb"
    }

    fn capabilities(&self) -> &'static [&'static str] {
        use graph_olap_engine::capability::*;
        &[CYPHER, EXPLAIN, ALGORITHMS, IN_MEMORY]
    }
}
