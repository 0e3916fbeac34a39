//! The embedded graph engine adapter of graph-olap.
//!
//! Owns: loading a snapshot's Parquet files into an embedded graph database, running read-only
//! Cypher with parameters, row limits, timeouts and cancellation, typed result values, the graph
//! schema with exact counts, atomic write-back of computed node columns, and the topology export
//! the algorithm kernels build their CSR from. Does not own: HTTP, downloading from the object
//! store, the control plane, or the algorithms themselves.
//!
//! # Interface
//!
//! Other crates use only the engine-neutral [`GraphEngine`] trait and the plain types in
//! [`model`] and [`value`]; no engine type leaks. The second backend, FalkorDB, lives in the
//! `graph-olap-falkordb` crate and implements the same trait against this crate built without
//! its `ryugraph` feature (`default-features = false`: only the interface, no C++).
//!
//! What every backend applies alike lives here once, not in each backend: the query limits
//! ([`limits`]: deadline, row limit and `truncated`, the timeout/cancel errors, column types), the
//! catalogue ([`catalog`]: definitions, written-back properties, the translator's schema,
//! `/schema`, the write-back and topology checks) and the Cypher gate ([`dialect`]).
//!
//! What the second backend changed in the trait: [`GraphEngine::failure`] (an engine in its own
//! process can die under the instance), [`GraphEngine::wrapper_type`] and
//! [`GraphEngine::capabilities`] (what the instance reports), and `query`'s contract now says
//! "the engine itself refuses writes" instead of naming Ryugraph's read-only transaction.
//!
//! # Why Ryugraph
//!
//! The backend is the Kùzu lineage through the `ryugraph` crate (25.9.2). Ryugraph is the engine
//! the original platform design names; `kuzu` 0.11.3 is the frozen upstream (no further fixes);
//! LadybugDB's `lbug` needs GCC 13 (C++20 `<format>`), which the build machines do not have.
//!
//! # Read-only enforcement and dialect
//!
//! Two independent lines of defence. (1) [`dialect::prepare`] parses every user statement with
//! `graph-olap-cypher` (a real openCypher parser), refuses more than one statement, `PROFILE`,
//! and — on the syntax tree, subqueries and `UNION` branches included — every updating,
//! schema, administrative or transaction clause with its line and column, then translates the
//! analyst's Neo4j-flavoured Cypher into the engine's dialect; the engine only ever sees the
//! translated text. (2) Every user statement runs inside `BEGIN TRANSACTION READ ONLY`, in which
//! the engine itself refuses writes; since the gate refuses `BEGIN`/`COMMIT`/`ROLLBACK` and
//! multiple statements, user text can neither end nor escape that transaction. (The engine's
//! prepared statement has an `isReadOnly` flag internally, but `ryugraph` 25.9.2 does not expose
//! it; the read-only transaction is the check that uses it.)
//!
//! # Building
//!
//! The C++ engine takes ~35 min to compile, and cargo recompiles it whenever the feature set of
//! any crate it shares with a dependant changes (`uuid`, `num-traits`, `libc`, `syn` via
//! proc-macros …) — so this crate keeps its dependency list minimal. Dependants with richer
//! dependency graphs (the instance server, the CLI) link against the static libraries of an
//! existing build instead of recompiling: `RYU_LIBRARY_DIR=<dir with libryu.a and the
//! third-party .a files>` and `RYU_INCLUDE_DIR=<ryu-src/src/include + generated headers + a
//! ryu.hpp umbrella>` make `ryugraph`'s build script compile only its small cxx bridge.
//!
//! # Ids
//!
//! Node `_id`s are dense: one contiguous range per label in definition order, so they index the
//! algorithms' CSR directly ([`Topology`]). Relationship `_id`s follow after all nodes. Cypher
//! `id(n)`/`id(r)` return the same integers.

pub mod catalog;
pub mod dialect;
#[cfg(feature = "test-fixtures")]
pub mod fixtures;
pub mod limits;
pub mod model;
pub mod parquet_footer;
#[cfg(feature = "ryugraph")]
pub mod ryu;
pub mod value;
mod wire;

pub use limits::QueryLimits;
pub use model::{
    CancelToken, EdgeList, EdgeLoad, EdgeTableSchema, EngineError, FailureReason, GraphEngine,
    GraphSchema, LabelRange, LoadEvent, LoadReport, NodeLoad, NodeTableSchema, QueryError,
    QueryErrorKind, QueryOutput, QueryRequest, TableKind, Topology, WriteBack, WriteType,
    WriteValues, capability,
};
#[cfg(feature = "ryugraph")]
pub use ryu::{RyuConfig, RyuEngine};
pub use value::{GraphValue, NodeValue, RelValue};
