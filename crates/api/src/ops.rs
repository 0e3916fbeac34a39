//! Wire types of the ops and admin surfaces (API.md §3.14, §3.15, §3.17): cluster health,
//! background-job status and triggers, and the bulk-delete result.
//!
//! The count-map views (`ClusterInstances`, `SystemState`) are plain JSON objects keyed by
//! status and are built by the control plane directly.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ErrorCode;
use crate::time::serde_ts;

/// Health of one probed component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    /// The probe succeeded within its timeout.
    Healthy,
    /// The probe failed or timed out.
    Unhealthy,
    /// The component is not part of this deployment (e.g. no instance runtime).
    NotConfigured,
}

/// The result of probing one component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ComponentHealth {
    /// Outcome.
    pub status: ComponentStatus,
    /// Probe round trip, when it answered.
    pub latency_ms: Option<u64>,
    /// Why it is unhealthy.
    pub error: Option<String>,
    /// When the probe ran.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub checked_at: DateTime<Utc>,
}

/// The four components of cluster health, in contract order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClusterComponents {
    /// Metadata database (`SELECT 1`).
    pub database: ComponentHealth,
    /// Instance runtime.
    pub compute: ComponentHealth,
    /// SQL warehouse (trivial query).
    pub warehouse: ComponentHealth,
    /// Object store (list of the snapshot root).
    pub object_storage: ComponentHealth,
}

/// Overall health: `unhealthy` when the database is, `degraded` when another component is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClusterStatus {
    /// Every configured component answers.
    Healthy,
    /// The database answers, something else does not.
    Degraded,
    /// The database does not answer.
    Unhealthy,
}

/// `GET /api/cluster/health` (§3.14).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClusterHealth {
    /// Overall status.
    pub status: ClusterStatus,
    /// Per-component results.
    pub components: ClusterComponents,
    /// When the probes ran (results may be cached up to 10 s).
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub checked_at: DateTime<Utc>,
}

/// Health of a background job as shown in its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobHealth {
    /// No run has finished yet.
    Unknown,
    /// Fewer than three consecutive failures.
    Healthy,
    /// Three or more consecutive failures.
    Unhealthy,
}

/// The last manual trigger of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LastTrigger {
    /// When it was accepted.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub triggered_at: DateTime<Utc>,
    /// Who triggered it.
    pub triggered_by: Option<String>,
    /// Why (audited).
    pub reason: Option<String>,
}

/// One item of `GET /api/ops/jobs/status` (§3.15).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JobStatus {
    /// Job name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Whether `POST /api/ops/jobs/trigger` accepts it.
    pub triggerable: bool,
    /// Scheduling interval.
    pub interval_seconds: u64,
    /// Human form of the interval, e.g. `every 60s`.
    pub schedule: String,
    /// When it runs next.
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub next_run: Option<DateTime<Utc>>,
    /// A run is in progress.
    pub running: bool,
    /// Start of the last run.
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub last_run_at: Option<DateTime<Utc>>,
    /// End of the last successful run.
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub last_success_at: Option<DateTime<Utc>>,
    /// End of the last failed run.
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub last_failure_at: Option<DateTime<Utc>>,
    /// Duration of the last run.
    pub last_duration_ms: Option<i64>,
    /// Error of the last failed run.
    pub last_error: Option<String>,
    /// Failed runs since the last success.
    pub consecutive_failures: i64,
    /// Derived health.
    pub health_status: JobHealth,
    /// The last manual trigger.
    pub last_trigger: Option<LastTrigger>,
}

/// Response of an accepted `POST /api/ops/jobs/trigger` (§3.15).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JobTrigger {
    /// Job name.
    pub job_name: String,
    /// Always `queued`.
    pub status: String,
    /// When the trigger was accepted.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub triggered_at: DateTime<Utc>,
    /// Who triggered it.
    pub triggered_by: String,
    /// Why.
    pub reason: String,
}

/// Why one resource of a bulk delete was not deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BulkDeleteError {
    /// The error code the single-resource call would have returned.
    pub code: ErrorCode,
    /// Its message.
    pub message: String,
    /// Its details.
    #[serde(default)]
    pub details: Map<String, Value>,
}

/// Response of `DELETE /api/admin/resources/bulk` (§3.17).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BulkDeleteResult {
    /// Nothing was changed.
    pub dry_run: bool,
    /// `instance` | `snapshot` | `mapping`.
    pub resource_type: String,
    /// Resources the filters matched.
    pub matched_count: usize,
    /// Their ids, ascending.
    pub matched_ids: Vec<i64>,
    /// Resources deleted (instances: terminated).
    pub deleted_count: usize,
    /// Their ids.
    pub deleted_ids: Vec<i64>,
    /// Resources that could not be deleted.
    pub failed_ids: Vec<i64>,
    /// Why, keyed by id.
    pub errors: BTreeMap<String, BulkDeleteError>,
}
