//! Bodies of `/api/ops/…` and `/api/cluster/…` (API.md §3.15, §6.5) not in [`crate::ops`].

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::export::ExportJob;
use crate::ops::JobStatus;

/// `POST /api/ops/jobs/trigger`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TriggerJob {
    /// A triggerable background job.
    pub job_name: String,
    /// Recorded with the trigger (default `manual-trigger`).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `GET /api/ops/jobs/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JobStatuses {
    /// Every background job, in §4.12 order.
    pub jobs: Vec<JobStatus>,
}

/// `GET /api/ops/export-jobs`: one page, newest first, under `jobs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExportJobPage {
    /// The jobs.
    pub jobs: Vec<ExportJob>,
}

/// Instances of one owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OwnerCount {
    /// The owner.
    pub owner_username: String,
    /// Their non-terminated instances.
    pub count: i64,
}

/// Concurrency limits and their use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClusterLimits {
    /// Active instances per analyst.
    pub per_analyst: i64,
    /// Active instances on the platform.
    pub cluster_total: i64,
    /// Active instances now.
    pub cluster_used: i64,
    /// How many more may start.
    pub cluster_available: i64,
}

/// `GET /api/cluster/instances`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClusterInstances {
    /// Non-terminated instances.
    pub total: i64,
    /// Count per status (every status, zero-filled).
    pub by_status: BTreeMap<String, i64>,
    /// Non-terminated instances per owner.
    pub by_owner: Vec<OwnerCount>,
    /// Non-terminated instances per engine.
    pub by_wrapper_type: BTreeMap<String, i64>,
    /// Limits and use.
    pub limits: ClusterLimits,
    /// The runtime's units by phase (pods on Kubernetes), to compare with `by_status`; absent
    /// when no runtime is configured or it did not answer within 2 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<RuntimeUnits>,
}

/// A total and the count per status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StatusCounts {
    /// Total (instances: non-terminated).
    pub total: i64,
    /// Count per status (every status, zero-filled).
    pub by_status: BTreeMap<String, i64>,
    /// Instances without a pod (instances only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub without_pod_name: Option<i64>,
}

/// Whether maintenance mode is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MaintenanceFlag {
    /// On or off.
    pub enabled: bool,
}

/// `GET /api/ops/state` (§3.15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SystemState {
    /// Instances by status.
    pub instances: StatusCounts,
    /// Snapshots by status.
    pub snapshots: StatusCounts,
    /// Export jobs by status (the name the ops tutorial reads).
    pub exports: StatusCounts,
    /// Export jobs by status.
    pub export_jobs: StatusCounts,
    /// Maintenance mode.
    pub maintenance: MaintenanceFlag,
}

/// The instance runtime's units by phase, next to the instance rows (`ClusterInstances.units`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuntimeUnits {
    /// The runtime (`local`, `kubernetes`).
    pub runtime: String,
    /// Units the runtime knows (pods with our labels on Kubernetes).
    pub total: i64,
    /// Count per phase (`Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`; zero-filled).
    pub by_phase: BTreeMap<String, i64>,
}

/// An amount of CPU and memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CapacityAmount {
    /// CPU in thousandths of a core.
    pub cpu_millicores: i64,
    /// Memory in bytes.
    pub memory_bytes: i64,
}

/// One node of the runtime (a Kubernetes node; the machine itself for the local runtime).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NodeCapacity {
    /// Node name.
    pub name: String,
    /// Its `Ready` condition is true.
    pub ready: bool,
    /// New pods may be scheduled on it (not cordoned).
    pub schedulable: bool,
    /// What the scheduler may hand out on it.
    pub allocatable: CapacityAmount,
    /// Requests of the pods counted on it (see `requests_counted`).
    pub requested: CapacityAmount,
    /// `allocatable − requested`, never below zero.
    pub available: CapacityAmount,
    /// Pods counted on it.
    pub pods: i64,
}

/// Totals over the ready, schedulable nodes (where new instances can go).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CapacityTotals {
    /// Ready, schedulable nodes.
    pub nodes: i64,
    /// Their allocatable CPU and memory.
    pub allocatable: CapacityAmount,
    /// The requests counted on them.
    pub requested: CapacityAmount,
    /// Their `allocatable − requested`, per node, summed.
    pub available: CapacityAmount,
}

/// `GET /api/cluster/capacity`: room for instances, as the runtime reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClusterCapacity {
    /// The runtime (`local`, `kubernetes`).
    pub runtime: String,
    /// Whose requests `requested` adds up: `all_pods` (every non-terminated pod on the node,
    /// any namespace — the scheduler's view) or `own_units` (only graph-olap's instances: the
    /// local runtime, or a cluster that refused listing pods in all namespaces).
    pub requests_counted: String,
    /// The runtime's units by phase.
    pub units: RuntimeUnits,
    /// Every node, by name.
    pub nodes: Vec<NodeCapacity>,
    /// Totals over ready, schedulable nodes.
    pub totals: CapacityTotals,
}
