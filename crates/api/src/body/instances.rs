//! Bodies of `/api/instances…` (API.md §3.8–3.10, §5.5, §6.1).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::IsoDuration;
use crate::status::InstanceStatus;

/// The wire record of an instance (§3.8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Instance {
    /// Instance id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Who created it.
    pub owner_username: String,
    /// Mapping its snapshot exports.
    pub mapping_id: i64,
    /// Mapping version of the snapshot.
    pub mapping_version: i64,
    /// Current name of the mapping.
    pub mapping_name: Option<String>,
    /// Snapshot it loads.
    pub snapshot_id: i64,
    /// Name of that snapshot.
    pub snapshot_name: Option<String>,
    /// Graph engine: `ryugraph` | `falkordb`.
    pub wrapper_type: String,
    /// Lifecycle status (§4.3).
    pub status: InstanceStatus,
    /// `{public_url}/wrapper/{slug}` while running, else `null`.
    pub instance_url: Option<String>,
    /// Pod running it.
    pub pod_name: Option<String>,
    /// CPU cores.
    pub cpu_cores: i64,
    /// Memory (GiB), once sized.
    pub memory_gb: Option<i64>,
    /// Why it failed (`InstanceErrorCode`).
    pub error_code: Option<String>,
    /// Failure message.
    pub error_message: Option<String>,
    /// Failure trace reported by the instance server.
    pub stack_trace: Option<String>,
    /// Lifecycle TTL.
    pub ttl: Option<String>,
    /// Inactivity timeout.
    pub inactivity_timeout: Option<String>,
    /// `created_at + ttl`.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub expires_at: Option<String>,
    /// When inactivity will stop it (running only).
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub inactivity_expires_at: Option<String>,
    /// Last query or algorithm.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub last_activity_at: Option<String>,
    /// When it became running.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub started_at: Option<String>,
    /// When it was terminated.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub terminated_at: Option<String>,
    /// Why it was terminated.
    pub termination_reason: Option<String>,
    /// Last reported memory use.
    pub memory_usage_bytes: Option<i64>,
    /// Last reported disk use.
    pub disk_usage_bytes: Option<i64>,
    /// Node and edge counts reported by the instance server.
    pub graph_stats: Option<serde_json::Value>,
    /// Creation time.
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: String,
    /// Last change.
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub updated_at: String,
}

/// `POST /api/instances`: an instance from a ready snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreateInstance {
    /// The snapshot to load.
    pub snapshot_id: i64,
    /// Display name.
    pub name: String,
    /// Optional description.
    #[serde(default)]
    pub description: Option<String>,
    /// Lifecycle TTL.
    #[serde(default)]
    pub ttl: Option<IsoDuration>,
    /// Inactivity timeout.
    #[serde(default)]
    pub inactivity_timeout: Option<IsoDuration>,
    /// CPU cores, 1–8.
    #[serde(default)]
    pub cpu_cores: Option<i64>,
    /// Memory in GiB, 2–32 (default: sized from the snapshot).
    #[serde(default)]
    pub memory_gb: Option<i64>,
    /// `ryugraph` (default) or `falkordb`.
    #[serde(default)]
    pub wrapper_type: Option<String>,
}

/// `POST /api/instances`: exactly one of the two shapes (`snapshot_id` or `mapping_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum NewInstance {
    /// From a ready snapshot.
    FromSnapshot(CreateInstance),
    /// From a mapping (a snapshot is created or reused).
    FromMapping(CreateInstanceFromMapping),
}

/// `POST /api/instances/from-mapping`: a snapshot of a mapping version and an instance of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreateInstanceFromMapping {
    /// The mapping to export.
    pub mapping_id: i64,
    /// Its version (default: the current one).
    #[serde(default)]
    pub mapping_version: Option<i64>,
    /// Name of the new snapshot.
    #[serde(default)]
    pub snapshot_name: Option<String>,
    /// Display name of the instance.
    pub name: String,
    /// Optional description.
    #[serde(default)]
    pub description: Option<String>,
    /// Lifecycle TTL.
    #[serde(default)]
    pub ttl: Option<IsoDuration>,
    /// Inactivity timeout.
    #[serde(default)]
    pub inactivity_timeout: Option<IsoDuration>,
    /// CPU cores, 1–8.
    #[serde(default)]
    pub cpu_cores: Option<i64>,
    /// Memory in GiB, 2–32.
    #[serde(default)]
    pub memory_gb: Option<i64>,
    /// `ryugraph` (default) or `falkordb`.
    #[serde(default)]
    pub wrapper_type: Option<String>,
}

/// `PUT /api/instances/{id}`: at least one field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UpdateInstance {
    /// New display name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description (`null` clears it).
    #[serde(default)]
    pub description: Option<String>,
}

/// `DELETE /api/instances/{id}` and `POST …/terminate`: an optional reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TerminateInstance {
    /// Recorded on the termination event.
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/instances/{id}/extend`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExtendInstance {
    /// Hours to add, 1–168 (default 24).
    #[serde(default)]
    pub hours: Option<i64>,
}

/// `PUT /api/instances/{id}/cpu`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SetCpu {
    /// New core count, 1–8.
    pub cpu_cores: i64,
}

/// `PUT /api/instances/{id}/memory`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SetMemory {
    /// New memory in GiB, 2–32 (only grows).
    pub memory_gb: i64,
}

/// `GET /api/instances/quota`: the caller's share of the concurrency limits (§4.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Quota {
    /// The caller.
    pub username: String,
    /// The caller's active instances.
    pub active_instances: i64,
    /// Per-analyst limit.
    pub per_analyst_limit: i64,
    /// How many more the caller may start.
    pub available_slots: i64,
    /// Active instances on the platform.
    pub cluster_used: i64,
    /// Cluster-wide limit.
    pub cluster_total: i64,
    /// How many more the platform may start.
    pub cluster_available: i64,
}

/// `GET /api/instances/{id}/progress` (§3.9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InstanceProgress {
    /// Instance id.
    pub id: i64,
    /// Lifecycle status.
    pub status: InstanceStatus,
    /// `waiting_for_snapshot`, `pod_scheduled`, `loading`, `ready`, `stopping` …
    pub phase: String,
    /// When startup began (`null` while waiting for the snapshot).
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub started_at: Option<String>,
    /// The control plane's steps, then those the instance server reported.
    pub steps: Vec<serde_json::Value>,
    /// Name of the step in progress.
    pub current_step: Option<String>,
    /// 0–100.
    pub progress_percent: usize,
    /// As reported by the instance server.
    pub estimated_remaining_seconds: Option<serde_json::Value>,
    /// Failure message.
    pub error_message: Option<String>,
}

/// One entry of `GET /api/instances/{id}/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InstanceEvent {
    /// Event id.
    pub id: i64,
    /// The instance.
    pub instance_id: i64,
    /// `created`, `status_changed`, `ttl_extended` …
    pub event_type: String,
    /// Who caused it (`system` for the platform).
    pub actor: String,
    /// Event-specific details.
    pub details: serde_json::Value,
    /// When it happened.
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: String,
}
