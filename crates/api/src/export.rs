//! Wire types of export jobs (API.md §3.16) and of the export worker protocol (§9.2).
//!
//! Owns: the shapes exchanged between export workers and the control plane's internal API.
//! Does not own: how jobs are leased, retried or finalised (the control plane), nor how Parquet is
//! written (the export crate).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::mapping::PropertyType;
use crate::time::serde_ts;

crate::status::wire_enum! {
    /// State of an export job (§4.4).
    pub enum ExportJobStatus {
        /// Waiting to be claimed (possibly after a retry backoff, see `available_at`).
        Pending => "pending",
        /// Held by a worker under a lease.
        Claimed => "claimed",
        /// Files written and reported; terminal.
        Completed => "completed",
        /// Failed for good (non-retryable error, retries exhausted or deadline passed).
        Failed => "failed",
        /// Cancelled with its snapshot.
        Cancelled => "cancelled",
    }
}

/// Whether a job exports a node label or an edge type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobType {
    /// A node label (`nodes/{label}/`).
    Node,
    /// An edge type (`edges/{type}/`).
    Edge,
}

impl JobType {
    /// The wire name, `node` or `edge`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::Node => "node",
            JobType::Edge => "edge",
        }
    }
}

/// Most rows in one Parquet file of a node table in a snapshot. The embedded engine stores a
/// `COPY` that fills a whole node group (131,072 rows) through a slow path for floating-point
/// columns (about 20 µs per row), and a set of files under that size is copied without it, so
/// node tables are written in files this small; edge tables are not cut by rows.
pub const NODE_FILE_MAX_ROWS: u64 = 100_000;

/// `ExportJob.error_code` values (§1.13, export job codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExportErrorCode {
    /// The warehouse query failed.
    WarehouseError,
    /// Writing to or deleting from the object store failed.
    StorageError,
    /// The data violates the job's contract (null keys, wrong types).
    InvalidData,
    /// The job exceeded `export.max_duration_seconds` (§4.8).
    ExportTimeout,
    /// The worker's lease expired before it reported.
    LeaseExpired,
    /// Cancelled with its snapshot.
    Cancelled,
    /// Anything else.
    Other,
}

/// The error codes a worker may report through `fail` (§9.2): a subset of [`ExportErrorCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkerErrorCode {
    /// The warehouse query failed.
    WarehouseError,
    /// Writing to or deleting from the object store failed.
    StorageError,
    /// The data violates the job's contract (null keys, wrong types).
    InvalidData,
    /// Anything else.
    Other,
}

impl From<WorkerErrorCode> for ExportErrorCode {
    fn from(code: WorkerErrorCode) -> Self {
        match code {
            WorkerErrorCode::WarehouseError => ExportErrorCode::WarehouseError,
            WorkerErrorCode::StorageError => ExportErrorCode::StorageError,
            WorkerErrorCode::InvalidData => ExportErrorCode::InvalidData,
            WorkerErrorCode::Other => ExportErrorCode::Other,
        }
    }
}

/// An export job record (§3.16): `GET /api/internal/export-jobs/{id}`, `complete`, `fail` and the ops
/// listing return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExportJob {
    /// Job id.
    pub id: i64,
    /// Snapshot the job belongs to.
    pub snapshot_id: i64,
    /// Mapping of the snapshot.
    pub mapping_id: i64,
    /// Node or edge.
    pub job_type: JobType,
    /// Same value as `job_type` (compatibility name).
    pub entity_type: JobType,
    /// Label or edge type.
    pub entity_name: String,
    /// Current state.
    pub status: ExportJobStatus,
    /// Claims so far.
    pub attempts: u32,
    /// Claims allowed before the job fails for good.
    pub max_attempts: u32,
    /// Worker holding (or last holding) the lease.
    #[serde(default)]
    pub claimed_by: Option<String>,
    /// Start of the current lease.
    #[serde(with = "serde_ts::option", default)]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub claimed_at: Option<DateTime<Utc>>,
    /// End of the current lease.
    #[serde(with = "serde_ts::option", default)]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// First claim; the max-duration clock starts here.
    #[serde(with = "serde_ts::option", default)]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub started_at: Option<DateTime<Utc>>,
    /// `started_at + export.max_duration_seconds` (§4.8).
    #[serde(with = "serde_ts::option", default)]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub deadline_at: Option<DateTime<Utc>>,
    /// Earliest time the job may be (re)claimed.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub available_at: DateTime<Utc>,
    /// When the job completed.
    #[serde(with = "serde_ts::option", default)]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub completed_at: Option<DateTime<Utc>>,
    /// Rows exported, set on completion.
    #[serde(default)]
    pub row_count: Option<u64>,
    /// Parquet bytes written, set on completion.
    #[serde(default)]
    pub size_bytes: Option<u64>,
    /// `{snapshot.storage_path}nodes/{label}/` or `…edges/{type}/`, ending in `/`.
    pub output_uri: String,
    /// Last warehouse query id the worker reported.
    #[serde(default)]
    pub warehouse_query_id: Option<String>,
    /// Why the job failed (or last failed).
    #[serde(default)]
    pub error_code: Option<ExportErrorCode>,
    /// Human-readable failure.
    #[serde(default)]
    pub error_message: Option<String>,
    /// Creation time.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub updated_at: DateTime<Utc>,
}

/// What a column of an export is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    /// A node's primary key (first column of a node file).
    PrimaryKey,
    /// An edge's source key (first column of an edge file).
    FromKey,
    /// An edge's target key (second column of an edge file).
    ToKey,
    /// Any property.
    Property,
}

impl ColumnRole {
    /// Whether the column is a key (never null, no dictionary encoding).
    pub fn is_key(self) -> bool {
        !matches!(self, ColumnRole::Property)
    }
}

/// One output column of a claimed job, in Parquet column order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JobColumn {
    /// Column name in the query result and in the Parquet file.
    pub name: String,
    /// Declared type; values are cast to it.
    #[serde(rename = "type")]
    pub ty: PropertyType,
    /// Key or property.
    pub role: ColumnRole,
}

/// Connection hints for the warehouse, from the mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WarehouseHints {
    /// Default catalog for unqualified names.
    #[serde(default)]
    pub catalog: Option<String>,
    /// Default schema for unqualified names.
    #[serde(default)]
    pub schema: Option<String>,
}

/// `POST /api/internal/export-jobs/claim` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClaimRequest {
    /// Worker id, 1–128 characters.
    pub worker_id: String,
    /// Jobs to claim at most, 1–10.
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Lease length, 30–600 s.
    #[serde(default = "default_lease_seconds")]
    pub lease_seconds: u32,
    /// Long-poll: how long the server may hold the request waiting for a job, 0–30 s.
    #[serde(default)]
    pub wait_seconds: u32,
}

fn default_limit() -> u32 {
    1
}

fn default_lease_seconds() -> u32 {
    120
}

/// `claim` response `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClaimResponse {
    /// Claimed jobs, possibly none.
    pub jobs: Vec<ClaimedJob>,
}

/// A job as handed to the worker that claimed it: the [`ExportJob`] record plus the lease and
/// everything needed to run the export.
///
/// `lease_expires_at`, `deadline_at` and `output_uri` of §9.2 are the record's own fields (always
/// set for a claimed job); [`ClaimedJob::lease_expires_at`] and [`ClaimedJob::deadline_at`] read
/// them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClaimedJob {
    /// The job record (its fields are at the top level of the JSON object).
    #[serde(flatten)]
    pub job: ExportJob,
    /// Opaque lease token, required on every later call for this claim.
    pub lease_token: String,
    /// = `attempts`.
    pub attempt: u32,
    /// The definition's SQL, verbatim.
    pub sql: String,
    /// Output columns in Parquet column order.
    pub columns: Vec<JobColumn>,
    /// Names of `columns`, in order.
    pub column_names: Vec<String>,
    /// Warehouse connection hints.
    #[serde(default)]
    pub warehouse: WarehouseHints,
    /// The data-quality checks to apply (an addition to §9.2; the snapshot's policy).
    #[serde(default)]
    pub quality: QualityPolicy,
    /// For an edge job whose dangling-edge check is on: the exported files of its endpoint
    /// labels, whose key columns the worker reads (an addition to §9.2).
    #[serde(default)]
    pub endpoints: Option<EdgeEndpoints>,
}

impl ClaimedJob {
    /// End of the lease.
    pub fn lease_expires_at(&self) -> Option<DateTime<Utc>> {
        self.job.lease_expires_at
    }

    /// Hard deadline of the job (§4.8).
    pub fn deadline_at(&self) -> Option<DateTime<Utc>> {
        self.job.deadline_at
    }

    /// Prefix the Parquet files go under, ending in `/`.
    pub fn output_uri(&self) -> &str {
        &self.job.output_uri
    }
}

/// Progress sent with a heartbeat.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct HeartbeatProgress {
    /// Rows written so far in this attempt.
    pub rows_written: u64,
    /// Bytes written so far in this attempt (completed files plus the open file's estimate).
    pub bytes_written: u64,
    /// Part files completed so far in this attempt.
    pub files_written: u64,
}

/// `POST /api/internal/export-jobs/{id}/heartbeat` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HeartbeatRequest {
    /// The current lease token.
    pub lease_token: String,
    /// New lease length, 30–600 s.
    #[serde(default)]
    pub lease_seconds: Option<u32>,
    /// Warehouse query id, when the connector has one.
    #[serde(default)]
    pub warehouse_query_id: Option<String>,
    /// Progress of this attempt.
    #[serde(default)]
    pub progress: Option<HeartbeatProgress>,
}

/// `heartbeat` response `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HeartbeatAck {
    /// New end of the lease.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub lease_expires_at: DateTime<Utc>,
    /// Hard deadline of the job.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub deadline_at: DateTime<Utc>,
    /// The job was cancelled or timed out: abort and never call `complete`.
    pub cancel: bool,
}

/// One Parquet file written by a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExportedFile {
    /// Path relative to the job's `output_uri`, e.g. `part-00000.parquet`.
    pub path: String,
    /// Exact size in bytes.
    pub size_bytes: u64,
    /// Rows in the file.
    pub row_count: u64,
    /// Lower-case hex SHA-256 of the file (an addition to §9.2 so the manifest can carry it).
    #[serde(default)]
    pub sha256: Option<String>,
}

/// `POST /api/internal/export-jobs/{id}/complete` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CompleteRequest {
    /// The current lease token.
    pub lease_token: String,
    /// Total rows over `files`.
    pub row_count: u64,
    /// Total bytes over `files`.
    pub size_bytes: u64,
    /// Files in load order; empty only when `row_count = 0`.
    pub files: Vec<ExportedFile>,
    /// Warehouse query id, when the connector has one.
    #[serde(default)]
    pub warehouse_query_id: Option<String>,
    /// What the data-quality checks found (an addition to §9.2).
    #[serde(default)]
    pub quality: Option<JobQuality>,
}

/// `POST /api/internal/export-jobs/{id}/fail` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FailRequest {
    /// The current lease token.
    pub lease_token: String,
    /// What kind of failure.
    pub error_code: WorkerErrorCode,
    /// 1–8000 characters.
    pub error_message: String,
    /// Whether another attempt may succeed (default true).
    #[serde(default = "yes")]
    pub retryable: bool,
    /// What the data-quality checks found before the failure, when they ran (an addition to §9.2).
    #[serde(default)]
    pub quality: Option<JobQuality>,
}

fn yes() -> bool {
    true
}

/// What a data-quality check does when it finds a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckPolicy {
    /// Fail the export job (`INVALID_DATA`), and with it the snapshot.
    Fail,
    /// Count the offending rows, leave them out of the files (the graph engine cannot load
    /// them) and report them on the snapshot.
    Report,
    /// Do not check (for NULL keys this means `report`: such rows can never be loaded).
    Off,
}

impl CheckPolicy {
    /// The wire name, e.g. `report`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckPolicy::Fail => "fail",
            CheckPolicy::Report => "report",
            CheckPolicy::Off => "off",
        }
    }

    /// Parses a wire name (case-insensitive).
    pub fn parse(text: &str) -> Option<CheckPolicy> {
        match text.trim().to_ascii_lowercase().as_str() {
            "fail" => Some(CheckPolicy::Fail),
            "report" => Some(CheckPolicy::Report),
            "off" => Some(CheckPolicy::Off),
            _ => None,
        }
    }
}

/// The data-quality checks applied at export, one policy per kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QualityPolicy {
    /// A NULL primary key, from key or to key (default `fail`, as §3.2 requires).
    pub null_keys: CheckPolicy,
    /// A node primary key value that an earlier row of the same label already had (default
    /// `report`: the first row is kept).
    pub duplicate_keys: CheckPolicy,
    /// An edge whose from or to key is not a primary key of the exported nodes of its
    /// endpoint label in the same snapshot (default `report`).
    pub dangling_edges: CheckPolicy,
}

impl Default for QualityPolicy {
    fn default() -> Self {
        QualityPolicy {
            null_keys: CheckPolicy::Fail,
            duplicate_keys: CheckPolicy::Report,
            dangling_edges: CheckPolicy::Report,
        }
    }
}

/// Where the exported nodes of one endpoint label of an edge job are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NodeFiles {
    /// The node label.
    pub label: String,
    /// The node job's `output_uri` (ends in `/`).
    pub output_uri: String,
    /// The node job's completed files, relative to `output_uri`.
    pub files: Vec<String>,
}

/// The endpoint labels of an edge job, for the dangling-edge check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EdgeEndpoints {
    /// Nodes of `from_node`.
    pub from: NodeFiles,
    /// Nodes of `to_node`.
    pub to: NodeFiles,
}

/// What the data-quality checks of one export job found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JobQuality {
    /// Rows the query returned.
    pub rows_read: u64,
    /// Rows written to the files.
    pub rows_written: u64,
    /// Rows with a NULL key column.
    pub null_keys: u64,
    /// Node rows whose primary key repeats an earlier row's (always 0 for edges).
    pub duplicate_keys: u64,
    /// Edge rows whose from key is not an exported node of `from_node` (always 0 for nodes).
    pub dangling_from: u64,
    /// Edge rows whose to key is not an exported node of `to_node`.
    pub dangling_to: u64,
    /// Edge rows with at least one dangling end.
    pub dangling_edges: u64,
    /// Whether the dangling-edge check ran (false for nodes and when it is off).
    #[serde(default)]
    pub endpoints_checked: bool,
    /// Up to five examples of what was found, e.g. `duplicate primary key 'id' = '42'`.
    #[serde(default)]
    pub examples: Vec<String>,
}

impl JobQuality {
    /// Whether any problem was found.
    pub fn has_findings(&self) -> bool {
        self.null_keys + self.duplicate_keys + self.dangling_edges > 0
    }
}

/// `Snapshot.data_quality.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QualityStatus {
    /// Not every export job has reported yet.
    Pending,
    /// Every job reported and nothing was found.
    Passed,
    /// Problems were found under `report` policies: the rows were left out of the files.
    Warnings,
    /// A check whose policy is `fail` found problems; the snapshot failed.
    Failed,
    /// Pre-staged snapshot (§4.11): nothing was exported, so nothing was checked.
    NotChecked,
}

/// Data-quality findings of one node label.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NodeQuality {
    /// Rows the query returned.
    pub rows_read: u64,
    /// Rows written (= `node_counts[label]` once ready).
    pub rows_written: u64,
    /// Rows with a NULL primary key.
    pub null_keys: u64,
    /// Rows whose primary key repeated an earlier row's.
    pub duplicate_keys: u64,
    /// Up to five examples.
    pub examples: Vec<String>,
}

/// Data-quality findings of one edge type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EdgeQuality {
    /// Rows the query returned.
    pub rows_read: u64,
    /// Rows written (= `edge_counts[type]` once ready).
    pub rows_written: u64,
    /// Rows with a NULL from key or to key.
    pub null_keys: u64,
    /// Rows whose from key is not an exported node of `from_node`.
    pub dangling_from: u64,
    /// Rows whose to key is not an exported node of `to_node`.
    pub dangling_to: u64,
    /// Rows with at least one dangling end.
    pub dangling_edges: u64,
    /// Whether the dangling-edge check ran.
    pub endpoints_checked: bool,
    /// Up to five examples.
    pub examples: Vec<String>,
}

/// `Snapshot.data_quality`: the export-time checks of a snapshot (always present).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DataQuality {
    /// Overall outcome.
    pub status: QualityStatus,
    /// The policy the snapshot was exported under.
    pub policy: QualityPolicy,
    /// Total rows with NULL keys over every label and type.
    pub null_keys: u64,
    /// Total duplicate primary keys over every label.
    pub duplicate_keys: u64,
    /// Total dangling edges over every type.
    pub dangling_edges: u64,
    /// Per node label that has reported.
    pub nodes: BTreeMap<String, NodeQuality>,
    /// Per edge type that has reported.
    pub edges: BTreeMap<String, EdgeQuality>,
}

impl DataQuality {
    /// A snapshot's quality before any job reported.
    pub fn pending(policy: QualityPolicy) -> Self {
        DataQuality {
            status: QualityStatus::Pending,
            policy,
            null_keys: 0,
            duplicate_keys: 0,
            dangling_edges: 0,
            nodes: BTreeMap::new(),
            edges: BTreeMap::new(),
        }
    }

    /// The quality of a pre-staged snapshot.
    pub fn not_checked(policy: QualityPolicy) -> Self {
        DataQuality {
            status: QualityStatus::NotChecked,
            ..DataQuality::pending(policy)
        }
    }

    /// Records a job's findings under its label or type and updates the totals.
    pub fn record(&mut self, job_type: JobType, name: &str, q: &JobQuality) {
        match job_type {
            JobType::Node => {
                self.nodes.insert(
                    name.to_string(),
                    NodeQuality {
                        rows_read: q.rows_read,
                        rows_written: q.rows_written,
                        null_keys: q.null_keys,
                        duplicate_keys: q.duplicate_keys,
                        examples: q.examples.clone(),
                    },
                );
            }
            JobType::Edge => {
                self.edges.insert(
                    name.to_string(),
                    EdgeQuality {
                        rows_read: q.rows_read,
                        rows_written: q.rows_written,
                        null_keys: q.null_keys,
                        dangling_from: q.dangling_from,
                        dangling_to: q.dangling_to,
                        dangling_edges: q.dangling_edges,
                        endpoints_checked: q.endpoints_checked,
                        examples: q.examples.clone(),
                    },
                );
            }
        }
        self.null_keys = self.nodes.values().map(|n| n.null_keys).sum::<u64>()
            + self.edges.values().map(|e| e.null_keys).sum::<u64>();
        self.duplicate_keys = self.nodes.values().map(|n| n.duplicate_keys).sum();
        self.dangling_edges = self.edges.values().map(|e| e.dangling_edges).sum();
    }

    /// Whether any problem was found so far.
    pub fn has_findings(&self) -> bool {
        self.null_keys + self.duplicate_keys + self.dangling_edges > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::ScalarType;

    fn claimed_json() -> serde_json::Value {
        serde_json::json!({
            "id": 5, "snapshot_id": 7, "mapping_id": 1, "job_type": "node", "entity_type": "node",
            "entity_name": "Customer", "status": "claimed", "attempts": 1, "max_attempts": 3,
            "claimed_by": "w1", "claimed_at": "2025-01-15T10:30:00.000Z",
            "lease_expires_at": "2025-01-15T10:32:00.000Z", "started_at": "2025-01-15T10:30:00.000Z",
            "deadline_at": "2025-01-15T11:30:00.000Z", "available_at": "2025-01-15T10:29:00.000Z",
            "completed_at": null, "row_count": null, "size_bytes": null,
            "output_uri": "file:///tmp/x/alice/1/v2/7/nodes/Customer/",
            "warehouse_query_id": null, "error_code": null, "error_message": null,
            "created_at": "2025-01-15T10:29:00.000Z", "updated_at": "2025-01-15T10:30:00.000Z",
            "lease_token": "tok", "attempt": 1, "sql": "SELECT id, name FROM c",
            "columns": [{"name": "id", "type": "INT64", "role": "primary_key"},
                        {"name": "tags", "type": "LIST<STRING>", "role": "property"}],
            "column_names": ["id", "tags"],
            "warehouse": {"catalog": "demo", "schema": null},
            "quality": {"null_keys": "fail", "duplicate_keys": "report", "dangling_edges": "off"},
            "endpoints": null
        })
    }

    #[test]
    fn claimed_job_round_trips_with_flat_fields() {
        let job: ClaimedJob = serde_json::from_value(claimed_json()).unwrap();
        assert_eq!(job.job.entity_name, "Customer");
        assert_eq!(job.columns[0].role, ColumnRole::PrimaryKey);
        assert_eq!(job.columns[1].ty, PropertyType::List(ScalarType::String));
        assert!(job.lease_expires_at().is_some());
        assert_eq!(
            job.output_uri(),
            "file:///tmp/x/alice/1/v2/7/nodes/Customer/"
        );
        let back = serde_json::to_value(&job).unwrap();
        assert_eq!(back, claimed_json());
    }

    #[test]
    fn fail_request_defaults_to_retryable_and_uses_upper_case_codes() {
        let r: FailRequest = serde_json::from_value(serde_json::json!({
            "lease_token": "t", "error_code": "INVALID_DATA", "error_message": "null key"}))
        .unwrap();
        assert!(r.retryable);
        assert_eq!(r.error_code, WorkerErrorCode::InvalidData);
        assert_eq!(
            ExportErrorCode::from(r.error_code),
            ExportErrorCode::InvalidData
        );
        let bad = serde_json::json!({"lease_token": "t", "error_code": "EXPORT_TIMEOUT", "error_message": "x"});
        assert!(serde_json::from_value::<FailRequest>(bad).is_err());
    }

    #[test]
    fn claim_request_defaults() {
        let r: ClaimRequest =
            serde_json::from_value(serde_json::json!({"worker_id": "w"})).unwrap();
        assert_eq!((r.limit, r.lease_seconds, r.wait_seconds), (1, 120, 0));
    }
}
