//! Wire types of the instance server: its reporting calls to the control plane (API.md §9.3,
//! §9.4), the snapshot manifest it verifies, and the bodies of the instance API (§10).
//!
//! Owns: shapes only (serde). Does not own: how the instance server or the control plane act on
//! them, nor algorithm catalogue entries (the algorithms crate describes those).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::mapping::{EdgeDefinition, NodeDefinition};
use crate::time::serde_ts;

/// How the instance authenticates callers without the internal key (§10.2).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// Bearer API keys, checked through token introspection.
    #[default]
    ApiKey,
    /// Development identity from `X-Username` / `X-User-Role`.
    Dev,
}

/// Query limits from the control plane's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueryDefaults {
    /// Default per-query timeout.
    pub timeout_ms: u64,
    /// Default row limit.
    pub max_rows: u64,
    /// Largest `max_rows` a request may ask for.
    pub max_rows_cap: u64,
}

impl Default for QueryDefaults {
    fn default() -> Self {
        Self {
            timeout_ms: 60_000,
            max_rows: 100_000,
            max_rows_cap: 1_000_000,
        }
    }
}

/// `GET /api/internal/instances/{id}/mapping` → `data` (§9.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InstanceBootstrap {
    /// Instance id.
    pub instance_id: i64,
    /// Owner; the only non-admin/ops user allowed on the instance.
    pub owner_username: String,
    /// Snapshot loaded.
    pub snapshot_id: i64,
    /// Mapping of the snapshot.
    pub mapping_id: i64,
    /// Mapping version of the snapshot.
    pub mapping_version: i64,
    /// URI prefix of the snapshot, ending in `/`.
    pub storage_path: String,
    /// Pre-staged snapshot (any file names, no manifest, no counts).
    #[serde(default)]
    pub prestaged: bool,
    /// For a pre-staged snapshot: how long to wait, in seconds, until every node label's
    /// directory holds a file before failing with `DATA_LOAD_ERROR` (API.md §4.11).
    #[serde(default = "prestaged_wait_default")]
    pub prestaged_wait_seconds: u64,
    /// Node definitions of the snapshot's mapping version.
    pub node_definitions: Vec<NodeDefinition>,
    /// Edge definitions of the snapshot's mapping version.
    #[serde(default)]
    pub edge_definitions: Vec<EdgeDefinition>,
    /// Rows per label, `null` for pre-staged snapshots.
    #[serde(default)]
    pub node_counts: Option<BTreeMap<String, u64>>,
    /// Rows per edge type (loaded + dangling), `null` for pre-staged snapshots.
    #[serde(default)]
    pub edge_counts: Option<BTreeMap<String, u64>>,
    /// URI of `_manifest.json`, `null` for pre-staged snapshots.
    #[serde(default)]
    pub manifest_path: Option<String>,
    /// CPU cores of the runtime unit (sizes the query pool).
    #[serde(default = "one")]
    pub cpu_cores: u32,
    /// Memory of the runtime unit in GiB.
    #[serde(default)]
    pub memory_gb: Option<u32>,
    /// Query limits.
    #[serde(default)]
    pub query_defaults: QueryDefaults,
    /// Authentication mode.
    #[serde(default)]
    pub auth_mode: AuthMode,
    /// The graph engine to load into (`ryugraph` | `falkordb`, the instance's `wrapper_type`);
    /// absent from older control planes, which only had Ryugraph.
    #[serde(default = "default_wrapper_type")]
    pub wrapper_type: String,
}

/// The engine of instances created without a `wrapper_type`.
pub fn default_wrapper_type() -> String {
    "ryugraph".into()
}

fn one() -> u32 {
    1
}

fn prestaged_wait_default() -> u64 {
    300
}

/// Graph statistics reported with `running` and stored on the instance (§3.8).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GraphStats {
    /// Total nodes.
    pub node_count: u64,
    /// Total loaded edges.
    pub edge_count: u64,
    /// Nodes per label.
    pub node_counts: BTreeMap<String, u64>,
    /// Loaded edges per type.
    pub edge_counts: BTreeMap<String, u64>,
    /// Edges skipped because an endpoint matched no node.
    pub dangling_edges: u64,
}

/// Status values an instance reports about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportedStatus {
    /// Process started, loading.
    Starting,
    /// Loaded and serving.
    Running,
    /// Startup or serving failed.
    Failed,
    /// Shutting down.
    Stopping,
}

/// `PATCH /api/internal/instances/{id}/status` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatusReport {
    /// Reported status.
    pub status: ReportedStatus,
    /// Runtime unit name, if known.
    #[serde(default)]
    pub pod_name: Option<String>,
    /// Address the proxy should use.
    #[serde(default)]
    pub internal_url: Option<String>,
    /// With `running`.
    #[serde(default)]
    pub graph_stats: Option<GraphStats>,
    /// With `failed`: an instance error code (§1.13).
    #[serde(default)]
    pub error_code: Option<String>,
    /// With `failed`.
    #[serde(default)]
    pub error_message: Option<String>,
    /// With `failed`, ≤ 16 KiB.
    #[serde(default)]
    pub stack_trace: Option<String>,
    /// With `running`: the startup's final progress, stored in the same transaction as the
    /// status, so a reader never sees `running` beside an older progress and the instance saves
    /// the separate progress report's round trip on its way to `running`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<ProgressReport>,
}

/// What the control plane wants the instance to do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DesiredState {
    /// Keep serving.
    #[default]
    Run,
    /// Shut down gracefully.
    Stop,
}

/// `PATCH …/status` response `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatusReportAck {
    /// The control plane's status of the instance.
    pub status: String,
    /// Run or stop.
    #[serde(default)]
    pub desired_state: DesiredState,
}

/// One step of the instance's startup progress (§3.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProgressStep {
    /// Step name, e.g. `download`, `load:Customer`.
    pub name: String,
    /// `pending` | `in_progress` | `completed` | `failed`.
    pub status: String,
    /// `node` | `edge` | null.
    #[serde(rename = "type")]
    pub step_type: Option<String>,
    /// Rows loaded, when known.
    pub row_count: Option<u64>,
    /// Start time.
    #[serde(with = "serde_ts::option", default)]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub started_at: Option<DateTime<Utc>>,
    /// End time.
    #[serde(with = "serde_ts::option", default)]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub completed_at: Option<DateTime<Utc>>,
}

/// `PUT /api/internal/instances/{id}/progress` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProgressReport {
    /// `downloading` | `loading_schema` | `loading_data` | `ready` | `failed` | …
    pub phase: String,
    /// All instance-reported steps.
    pub steps: Vec<ProgressStep>,
    /// Name of the first `in_progress` step.
    pub current_step: Option<String>,
    /// Best effort.
    pub estimated_remaining_seconds: Option<u64>,
}

/// `PUT /api/internal/instances/{id}/metrics` body (all optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MetricsReport {
    /// Resident memory.
    pub memory_usage_bytes: Option<u64>,
    /// Bytes in the data directory.
    pub disk_usage_bytes: Option<u64>,
    /// Average CPU usage since the last report.
    pub cpu_usage_cores: Option<f64>,
    /// Queries since the last report.
    pub query_count_since_last: Option<u64>,
    /// Mean query time since the last report.
    pub avg_query_time_ms: Option<f64>,
    /// Queries running now.
    pub active_queries: Option<u64>,
    /// Whether an algorithm holds the lock.
    pub algorithm_running: Option<bool>,
}

/// `PUT …/metrics` response `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MetricsAck {
    /// Run or stop.
    #[serde(default)]
    pub desired_state: DesiredState,
}

/// Answer to a startup progress report: the percentage the control plane derives from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProgressAck {
    /// 0–100.
    pub progress_percent: usize,
}

/// Answer to an activity report: the stored last activity (it never moves backwards).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActivityAck {
    /// Last activity as stored.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub last_activity_at: Option<String>,
}

/// `POST /api/internal/instances/{id}/activity` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActivityReport {
    /// When (default now).
    #[serde(with = "serde_ts::option", default)]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub at: Option<DateTime<Utc>>,
    /// `query` | `schema` | `algorithm` | `other`.
    pub kind: String,
}

/// `POST /api/internal/auth/introspect` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IntrospectRequest {
    /// The Bearer API key.
    pub token: String,
}

/// `POST /api/internal/auth/introspect` response `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IntrospectResponse {
    /// Whether the key is valid and its user active.
    pub active: bool,
    /// Owner of the key.
    #[serde(default)]
    pub username: Option<String>,
    /// Owner's role.
    #[serde(default)]
    pub role: Option<String>,
    /// Key expiry.
    #[serde(with = "serde_ts::option", default)]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// Version of [`SnapshotManifest`] this code reads and writes.
pub const MANIFEST_SCHEMA_VERSION: u32 = 1;

/// One Parquet file of a snapshot table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Path relative to the snapshot's `storage_path`, e.g. `nodes/Customer/part-00000.parquet`.
    pub path: String,
    /// Exact size in bytes (verified after download).
    pub size_bytes: u64,
    /// Rows in the file (verified against the Parquet footer).
    pub row_count: u64,
    /// Lower-case hex SHA-256 of the file, if the writer computed it (verified when present).
    #[serde(default)]
    pub sha256: Option<String>,
}

/// One table (label or edge type) of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestTable {
    /// Label or edge type.
    pub name: String,
    /// Total rows (= sum of the files' `row_count`).
    pub row_count: u64,
    /// Files in load order.
    pub files: Vec<ManifestFile>,
}

/// `_manifest.json` at the root of a snapshot (§4.2), written at finalisation.
///
/// The instance verifies, for every listed file: it exists, its size equals `size_bytes`, its
/// Parquet footer's row count equals `row_count`, and its SHA-256 equals `sha256` when given; and
/// that every node label and edge type of the mapping version has an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotManifest {
    /// [`MANIFEST_SCHEMA_VERSION`]; other versions are refused.
    pub schema_version: u32,
    /// Snapshot id.
    pub snapshot_id: i64,
    /// Mapping id.
    pub mapping_id: i64,
    /// Mapping version exported.
    pub mapping_version: i64,
    /// Node tables in definition order.
    pub nodes: Vec<ManifestTable>,
    /// Edge tables in definition order.
    pub edges: Vec<ManifestTable>,
    /// When the snapshot was finalised.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: DateTime<Utc>,
}

/// `GET /health` and `GET /ready` success body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HealthBody {
    /// `healthy` or `ready`.
    pub status: String,
    /// Now.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub timestamp: DateTime<Utc>,
}

/// The algorithm lock (§10.7).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LockInfo {
    /// Whether an execution holds the lock.
    pub locked: bool,
    /// Holder (username).
    pub holder_id: Option<String>,
    /// Holder (username).
    pub holder_username: Option<String>,
    /// Algorithm running.
    pub algorithm_name: Option<String>,
    /// `native` | `networkx`.
    pub algorithm_type: Option<String>,
    /// Execution id.
    pub execution_id: Option<String>,
    /// When the lock was taken.
    #[serde(with = "serde_ts::option", default)]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub acquired_at: Option<DateTime<Utc>>,
}

/// `GET /lock` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LockBody {
    /// Lock state.
    pub lock: LockInfo,
}

/// `GET /status` body (§10.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InstanceStatusBody {
    /// `starting` | `loading` | `running` | `stopping`.
    pub status: String,
    /// Whether data endpoints serve.
    pub ready: bool,
    /// Instance id.
    pub instance_id: i64,
    /// Snapshot id (0 until the bootstrap answered).
    pub snapshot_id: i64,
    /// Mapping id.
    pub mapping_id: i64,
    /// Mapping version.
    pub mapping_version: i64,
    /// Owner.
    pub owner_username: String,
    /// Engine selector.
    pub wrapper_type: String,
    /// What the engine can do beyond the shared instance API (tokens such as
    /// `interrupt_running_query`, `exact_doubles`; see the engine crate's `capability` module).
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Server version.
    pub version: String,
    /// Process start.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub started_at: DateTime<Utc>,
    /// Seconds since start.
    pub uptime_seconds: u64,
    /// From load statistics.
    pub node_count: Option<u64>,
    /// From load statistics.
    pub edge_count: Option<u64>,
    /// Labels.
    pub node_tables: Vec<String>,
    /// Edge types.
    pub edge_tables: Vec<String>,
    /// Resident memory.
    pub memory_usage_bytes: Option<u64>,
    /// Data directory size.
    pub disk_usage_bytes: Option<u64>,
    /// Queries running now.
    pub active_queries: u64,
    /// Algorithm lock.
    pub lock: LockInfo,
}

/// A node label in `GET /schema` (§10.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SchemaNodeTable {
    /// Label.
    pub label: String,
    /// Primary-key property.
    pub primary_key: String,
    /// Its type.
    pub primary_key_type: String,
    /// Ordered map property → type.
    pub properties: Map<String, Value>,
    /// Properties written by algorithms, in creation order.
    pub algorithm_properties: Vec<String>,
    /// Exact count.
    pub node_count: u64,
}

/// An edge type in `GET /schema`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SchemaEdgeTable {
    /// Type.
    #[serde(rename = "type")]
    pub edge_type: String,
    /// Source label.
    pub from_node: String,
    /// Target label.
    pub to_node: String,
    /// Source key column.
    pub from_key: String,
    /// Target key column.
    pub to_key: String,
    /// Ordered map property → type.
    pub properties: Map<String, Value>,
    /// Exact count.
    pub edge_count: u64,
}

/// `GET /schema` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SchemaBody {
    /// Labels.
    pub node_tables: Vec<SchemaNodeTable>,
    /// Edge types.
    pub edge_tables: Vec<SchemaEdgeTable>,
    /// Sum of node counts.
    pub total_nodes: u64,
    /// Sum of edge counts.
    pub total_edges: u64,
}

/// `POST /query` request (§10.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueryBody {
    /// One Cypher statement.
    pub query: String,
    /// Named parameters.
    #[serde(default)]
    pub parameters: Map<String, Value>,
    /// 1 000–1 800 000.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// 1–`max_rows_cap`.
    #[serde(default)]
    pub max_rows: Option<u64>,
}

/// `POST /query` JSON response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueryResultBody {
    /// Column names.
    pub columns: Vec<String>,
    /// One type per column.
    pub column_types: Vec<String>,
    /// Rows in column order.
    pub rows: Vec<Vec<Value>>,
    /// Rows returned.
    pub row_count: u64,
    /// Planning + execution.
    pub execution_time_ms: u64,
    /// More rows existed.
    pub truncated: bool,
}

/// The engines an instance can run (`wrapper_type`, seed 004's WrapperFactory), the default
/// first. The one list the create request, the ops views and the metrics use.
pub const WRAPPER_TYPES: [&str; 2] = ["ryugraph", "falkordb"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_parses_the_documented_example() {
        let json = serde_json::json!({
            "instance_id": 3, "owner_username": "alice@example.com",
            "snapshot_id": 7, "mapping_id": 1, "mapping_version": 2,
            "storage_path": "gs://graph-exports/alice@example.com/1/v2/7/",
            "prestaged": false,
            "node_definitions": [{"label": "Customer", "sql": "SELECT 1",
                "primary_key": {"name": "customer_id", "type": "STRING"}, "properties": []}],
            "edge_definitions": [],
            "node_counts": {"Customer": 1000}, "edge_counts": {},
            "manifest_path": "gs://graph-exports/alice@example.com/1/v2/7/_manifest.json",
            "cpu_cores": 2, "memory_gb": 4,
            "query_defaults": {"timeout_ms": 60000, "max_rows": 100000, "max_rows_cap": 1000000},
            "auth_mode": "api_key"});
        let b: InstanceBootstrap = serde_json::from_value(json).unwrap();
        assert_eq!(b.node_counts.unwrap()["Customer"], 1000);
        assert_eq!(b.auth_mode, AuthMode::ApiKey);
        assert_eq!(b.query_defaults.max_rows_cap, 1_000_000);
    }

    #[test]
    fn manifest_refuses_unknown_fields() {
        let ok = serde_json::json!({"schema_version": 1, "snapshot_id": 7, "mapping_id": 1,
            "mapping_version": 2, "created_at": "2025-01-15T10:30:00.000Z",
            "nodes": [{"name": "Customer", "row_count": 2, "files": [
                {"path": "nodes/Customer/part-00000.parquet", "size_bytes": 10, "row_count": 2, "sha256": null}]}],
            "edges": []});
        let m: SnapshotManifest = serde_json::from_value(ok.clone()).unwrap();
        assert_eq!(m.nodes[0].files[0].row_count, 2);
        let mut bad = ok;
        bad["surprise"] = serde_json::json!(1);
        assert!(serde_json::from_value::<SnapshotManifest>(bad).is_err());
    }

    #[test]
    fn progress_steps_serialise_type_and_timestamps() {
        let step = ProgressStep {
            name: "load:Customer".into(),
            status: "completed".into(),
            step_type: Some("node".into()),
            row_count: Some(3),
            started_at: None,
            completed_at: crate::time::parse_ts("2025-01-15T10:30:00Z"),
        };
        let v = serde_json::to_value(&step).unwrap();
        assert_eq!(v["type"], "node");
        assert_eq!(v["completed_at"], "2025-01-15T10:30:00.000Z");
        assert!(v["started_at"].is_null());
    }
}
