//! Wire types of the instance's algorithm endpoints (API.md §10.7–§10.12): the catalogue
//! entries, the run and shortest-path requests, the execution record with its typed status and
//! error code, and the execution history.
//!
//! Owns: shapes only (serde + `JsonSchema`, from which `docs/openapi-instance.json` takes its
//! schemas). Does not own: the catalogue's content or parameter validation
//! (`graph-olap-algorithms`, the instance's `nx_catalogue`), nor running anything (the instance).
//! Field order is the order the instance has always written them in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use crate::time::serde_ts;

crate::status::wire_enum! {
    /// Which catalogue (and URL namespace) an algorithm belongs to, and where an entry runs:
    /// the wire form of `graph_olap_algorithms::catalogue::AlgorithmType`.
    pub enum AlgorithmType {
        /// `/algo/…`: our native kernels.
        Native => "native",
        /// `/networkx/…`: NetworkX-compatible kernels and the NetworkX worker's functions.
        Networkx => "networkx",
    }
}

crate::status::wire_enum! {
    /// Status of an algorithm execution (§10.9).
    pub enum ExecutionStatus {
        /// Holding the instance's lock, computing.
        Running => "running",
        /// Finished; `result` (and written-back properties) are in place.
        Completed => "completed",
        /// Ended with an error (`error_code`, `error_message`).
        Failed => "failed",
        /// Stopped by a request or by the instance shutting down.
        Cancelled => "cancelled",
    }
}

crate::status::wire_enum! {
    /// Why an execution did not complete (`error_code` of a failed or cancelled execution).
    pub enum ExecutionErrorCode {
        /// The kernel, the projection, the write-back or the NetworkX function failed.
        AlgorithmFailed => "ALGORITHM_FAILED",
        /// The run exceeded its `timeout_ms`.
        AlgorithmTimeout => "ALGORITHM_TIMEOUT",
        /// Cancelled by `DELETE …/executions/{execution_id}`.
        Cancelled => "CANCELLED",
        /// Cancelled because the instance is shutting down.
        InstanceStopping => "INSTANCE_STOPPING",
    }
}

/// One parameter of a catalogue entry (§10.8 `AlgorithmInfo.parameters[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AlgorithmParameter {
    /// Name as sent in `parameters`.
    pub name: String,
    /// `int` | `float` | `string` | `bool` | `int[]` | `string[]` | `any`.
    #[serde(rename = "type")]
    pub param_type: String,
    /// Whether a run must send it.
    pub required: bool,
    /// The default (`null`: not set).
    pub default: Value,
    /// Human description.
    pub description: String,
    /// Lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<Number>,
    /// Upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<Number>,
    /// Allowed string values.
    #[serde(rename = "enum", default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

/// One catalogue entry (§10.8 `AlgorithmInfo`), native or run by the NetworkX worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AlgorithmInfo {
    /// Name in the URL (case-sensitive).
    pub name: String,
    /// Human name.
    pub display_name: String,
    /// Catalogue (namespace).
    #[serde(rename = "type")]
    pub algorithm_type: AlgorithmType,
    /// `centrality` | `community` | `pathfinding` | `similarity` | `traversal` | `clustering` |
    /// `link_prediction` | `other`.
    pub category: String,
    /// One-line description.
    pub description: String,
    /// Longer description.
    pub long_description: Option<String>,
    /// Accepted parameters.
    pub parameters: Vec<AlgorithmParameter>,
    /// What the result means.
    pub returns: String,
    /// `node_values` | `partition` | `scalar` | `json` | `path` (advisory for worker functions).
    pub result_kind: String,
    /// Written-back property type (`DOUBLE` | `INT64` | `BOOL`), for results written back.
    pub result_type: Option<String>,
    /// `directed` | `undirected`.
    pub graph_treatment: String,
    /// Whether a run can write its result back as a node property.
    pub supports_write_back: bool,
    /// Timeout of a run that gives none.
    pub default_timeout_ms: u64,
    /// Where it runs: our kernel (`native`) or the NetworkX worker (`networkx`).
    pub implementation: AlgorithmType,
    /// The worker function's module (worker entries only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
}

/// `GET /{algo|networkx}/algorithms` (§10.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AlgorithmCatalogue {
    /// The entries matching the filters, sorted by name.
    pub algorithms: Vec<AlgorithmInfo>,
    /// Their number.
    pub total_count: usize,
    /// `networkx.__version__` of the worker (`/networkx` when the worker answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networkx_version: Option<String>,
    /// Why the worker's functions are missing (`/networkx` when it could not be listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_error: Option<String>,
}

/// `POST /{algo|networkx}/{name}` request (§10.9); an empty body means all defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AlgorithmRunRequest {
    /// One label in scope (or `node_labels`, not both).
    #[serde(default)]
    pub node_label: Option<String>,
    /// Labels in scope (default: all).
    #[serde(default)]
    pub node_labels: Option<Vec<String>>,
    /// One edge type in scope (or `edge_types`, not both).
    #[serde(default)]
    pub edge_type: Option<String>,
    /// Edge types in scope (default: all).
    #[serde(default)]
    pub edge_types: Option<Vec<String>>,
    /// Node property the result is written to (required when writing back).
    #[serde(default)]
    pub result_property: Option<String>,
    /// The algorithm's parameters (a JSON object; checked against the catalogue).
    #[serde(default)]
    pub parameters: Option<Value>,
    /// Write the result back (default `true` where the algorithm supports it).
    #[serde(default)]
    pub write_back: Option<bool>,
    /// 1 000–7 200 000 (default: the entry's `default_timeout_ms`).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// `/networkx` only: a read-only Cypher query whose result is the projected subgraph.
    #[serde(default)]
    pub subgraph_query: Option<String>,
}

/// `POST /algo/shortest_path` request (§10.11).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ShortestPathRequest {
    /// Primary key of the source node (string or integer; required).
    #[serde(default)]
    pub source_id: Option<Value>,
    /// Primary key of the target node (string or integer; required).
    #[serde(default)]
    pub target_id: Option<Value>,
    /// The source's label, when keys are not unique across labels.
    #[serde(default)]
    pub source_label: Option<String>,
    /// The target's label.
    #[serde(default)]
    pub target_label: Option<String>,
    /// Edge types followed (default: all).
    #[serde(default)]
    pub relationship_types: Option<Vec<String>>,
    /// 1–50 (default 10).
    #[serde(default)]
    pub max_depth: Option<u32>,
    /// `both` (default) | `outgoing`.
    #[serde(default)]
    pub direction: Option<String>,
    /// 1 000–300 000 (default 60 000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// The `result` of a shortest-path execution (§10.11).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ShortestPathResult {
    /// Whether a path within `max_depth` exists.
    pub found: bool,
    /// Its number of relationships (`null` when not found).
    pub length: Option<u64>,
    /// The source key as given.
    pub source_id: Value,
    /// The target key as given.
    pub target_id: Value,
    /// Primary keys along the path.
    pub path: Vec<Value>,
    /// The nodes along the path, with their properties.
    pub nodes: Vec<Value>,
    /// The relationships along the path.
    pub relationships: Vec<Value>,
}

/// One algorithm execution (§10.9 `AlgorithmExecution`): answered by a run (`202`), the
/// shortest path (`200`), the status and cancel endpoints, and listed in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AlgorithmExecution {
    /// Execution id (UUID).
    pub execution_id: String,
    /// The algorithm run.
    pub algorithm_name: String,
    /// Its namespace.
    pub algorithm_type: AlgorithmType,
    /// Lifecycle status.
    pub status: ExecutionStatus,
    /// Who started it (`system` for the service principal).
    pub user_name: String,
    /// The single label in scope, `null` unless exactly one.
    pub node_label: Option<String>,
    /// The single edge type in scope, `null` unless exactly one.
    pub edge_type: Option<String>,
    /// Labels in scope (empty: all).
    pub node_labels: Vec<String>,
    /// Edge types in scope (empty: all).
    pub edge_types: Vec<String>,
    /// Property written back, `null` when not writing back.
    pub result_property: Option<String>,
    /// Whether the result is written back.
    pub write_back: bool,
    /// The effective parameters (given ones plus defaults).
    pub parameters: Map<String, Value>,
    /// Start.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub started_at: DateTime<Utc>,
    /// End (`null` while running).
    #[serde(with = "serde_ts::option", default)]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub completed_at: Option<DateTime<Utc>>,
    /// Milliseconds since the start (the final duration once finished).
    pub elapsed_ms: u64,
    /// Final duration (`null` while running).
    pub duration_ms: Option<u64>,
    /// Nodes whose property was written.
    pub nodes_updated: Option<u64>,
    /// The result (its shape follows the entry's `result_kind`; for a failed worker function
    /// the exception).
    pub result: Option<Value>,
    /// Why it did not complete.
    pub error_code: Option<ExecutionErrorCode>,
    /// The failure's message.
    pub error_message: Option<String>,
}

/// `GET /{algo|networkx}/executions` (§10.10): newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExecutionList {
    /// The executions, at most `limit`.
    pub executions: Vec<AlgorithmExecution>,
    /// Executions matching the filters (before `limit`).
    pub total_count: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_execution_travels_with_its_wire_names_and_millisecond_timestamps() {
        let e = AlgorithmExecution {
            execution_id: "e1".into(),
            algorithm_name: "pagerank".into(),
            algorithm_type: AlgorithmType::Native,
            status: ExecutionStatus::Cancelled,
            user_name: "alice".into(),
            node_label: None,
            edge_type: None,
            node_labels: vec![],
            edge_types: vec![],
            result_property: None,
            write_back: false,
            parameters: Map::new(),
            started_at: crate::time::parse_ts("2025-01-15T10:30:00Z").unwrap(),
            completed_at: None,
            elapsed_ms: 3,
            duration_ms: None,
            nodes_updated: None,
            result: None,
            error_code: Some(ExecutionErrorCode::InstanceStopping),
            error_message: None,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["status"], "cancelled");
        assert_eq!(v["algorithm_type"], "native");
        assert_eq!(v["error_code"], "INSTANCE_STOPPING");
        assert_eq!(v["started_at"], "2025-01-15T10:30:00.000Z");
        assert!(v["completed_at"].is_null() && v["duration_ms"].is_null());
        let back: AlgorithmExecution = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn catalogue_entries_leave_out_what_they_do_not_have() {
        let p = AlgorithmParameter {
            name: "damping".into(),
            param_type: "float".into(),
            required: false,
            default: serde_json::json!(0.85),
            description: "d".into(),
            minimum: Number::from_f64(0.0),
            maximum: None,
            allowed: None,
        };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "float");
        assert_eq!(v["minimum"], 0.0);
        assert!(v.get("maximum").is_none() && v.get("enum").is_none());
    }
}
