//! Bodies of `/api/snapshots…` (API.md §3.6–3.7) that are not store rows.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::SnapshotStatus;

/// One export job in a snapshot's progress view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExportStep {
    /// `nodes/<label>` or `edges/<type>`.
    pub name: String,
    /// `node` | `edge`.
    #[serde(rename = "type")]
    pub job_type: String,
    /// `pending` | `in_progress` | `completed` | `failed` | `cancelled`.
    pub status: String,
    /// Rows exported (so far).
    pub row_count: Option<i64>,
    /// Bytes written (so far).
    pub size_bytes: Option<i64>,
    /// Claims so far.
    pub attempts: i64,
    /// When the first claim started it.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub started_at: Option<String>,
    /// When it completed.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub completed_at: Option<String>,
    /// Why it failed.
    pub error_message: Option<String>,
}

/// `GET /api/snapshots/{id}/progress` (§3.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SnapshotProgress {
    /// Snapshot id.
    pub id: i64,
    /// Snapshot status.
    pub status: SnapshotStatus,
    /// `queued`, `exporting`, `finalizing`, `ready`, `failed` or `cancelled`.
    pub phase: String,
    /// When the first job started.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub started_at: Option<String>,
    /// One step per export job.
    pub steps: Vec<ExportStep>,
    /// Name of a step in progress.
    pub current_step: Option<String>,
    /// 0–100.
    pub progress_percent: usize,
    /// Linear estimate from the jobs done so far.
    pub estimated_remaining_seconds: Option<usize>,
    /// Why it failed.
    pub error_message: Option<String>,
    /// Export jobs.
    pub jobs_total: usize,
    /// Jobs waiting.
    pub jobs_pending: usize,
    /// Jobs held by a worker.
    pub jobs_claimed: usize,
    /// Jobs done.
    pub jobs_completed: usize,
    /// Jobs failed.
    pub jobs_failed: usize,
    /// Jobs cancelled.
    pub jobs_cancelled: usize,
}
