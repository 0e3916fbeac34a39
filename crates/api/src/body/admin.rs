//! Bodies of `/api/admin/…` and `/api/audit-log` (API.md §6.5).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Filters of a bulk delete; at least one is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BulkFilters {
    /// Names starting with this.
    #[serde(default)]
    pub name_prefix: Option<String>,
    /// Owner (`me` for the caller).
    #[serde(default)]
    pub created_by: Option<String>,
    /// Created at least this many hours ago.
    #[serde(default)]
    pub older_than_hours: Option<i64>,
    /// Status (snapshots and instances).
    #[serde(default)]
    pub status: Option<String>,
}

/// `DELETE /api/admin/resources/bulk` and `POST …/bulk-delete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BulkDelete {
    /// `mapping` | `snapshot` | `instance`.
    pub resource_type: String,
    /// Which resources.
    pub filters: BulkFilters,
    /// Recorded in the audit log.
    pub reason: String,
    /// Refuse unless exactly this many match.
    #[serde(default)]
    pub expected_count: Option<i64>,
    /// Only report what would be deleted.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// One entry of `GET /api/audit-log`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuditLogEntry {
    /// Entry id.
    pub id: i64,
    /// When it happened.
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: String,
    /// Who did it.
    pub username: String,
    /// `mapping.create`, `user.role_change` …
    pub action: String,
    /// Kind of resource acted on.
    pub resource_type: String,
    /// Its id.
    pub resource_id: Option<String>,
    /// Action-specific details.
    pub details: serde_json::Value,
    /// Request that did it.
    pub request_id: Option<String>,
}
