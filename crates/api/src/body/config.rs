//! Bodies of `/api/config/…` (API.md §3.13, §6.4): each setting document as served (with who
//! changed it last) and the partial update each `PUT` takes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::IsoDuration;

/// Lifecycle limits of one resource kind (ISO 8601 durations; `null`: none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResourceLifecycle {
    /// TTL given when a create sends none.
    #[serde(default)]
    #[schemars(with = "Option<IsoDuration>")]
    pub default_ttl: Option<String>,
    /// Inactivity timeout given when a create sends none.
    #[serde(default)]
    #[schemars(with = "Option<IsoDuration>")]
    pub default_inactivity: Option<String>,
    /// Longest TTL allowed.
    #[serde(default)]
    #[schemars(with = "Option<IsoDuration>")]
    pub max_ttl: Option<String>,
}

/// `GET`/`PUT /api/config/lifecycle`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LifecycleSettings {
    /// Mappings.
    pub mapping: ResourceLifecycle,
    /// Snapshots.
    pub snapshot: ResourceLifecycle,
    /// Instances.
    pub instance: ResourceLifecycle,
    /// Last change (`null`: defaults).
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub updated_at: Option<String>,
    /// Who changed it last.
    pub updated_by: Option<String>,
    /// `true` on the answer to a `PUT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<bool>,
}

/// `PUT /api/config/lifecycle`: the resource kinds and fields to change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LifecycleUpdate {
    /// Mappings.
    #[serde(default)]
    pub mapping: Option<ResourceLifecycle>,
    /// Snapshots.
    #[serde(default)]
    pub snapshot: Option<ResourceLifecycle>,
    /// Instances.
    #[serde(default)]
    pub instance: Option<ResourceLifecycle>,
}

/// `GET`/`PUT /api/config/concurrency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConcurrencySettings {
    /// Active instances per analyst.
    pub per_analyst: i64,
    /// Active instances on the platform.
    pub cluster_total: i64,
    /// Last change (`null`: defaults).
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub updated_at: Option<String>,
    /// Who changed it last.
    pub updated_by: Option<String>,
}

/// `PUT /api/config/concurrency`: at least one limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConcurrencyUpdate {
    /// Active instances per analyst.
    #[serde(default)]
    pub per_analyst: Option<i64>,
    /// Active instances on the platform.
    #[serde(default)]
    pub cluster_total: Option<i64>,
}

/// `GET`/`PUT /api/config/maintenance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MaintenanceSettings {
    /// Whether writes are refused with `MAINTENANCE_MODE`.
    pub enabled: bool,
    /// Message shown to callers.
    pub message: String,
    /// Last change (`null`: defaults).
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub updated_at: Option<String>,
    /// Who changed it last.
    pub updated_by: Option<String>,
}

/// `PUT /api/config/maintenance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MaintenanceUpdate {
    /// Switch maintenance on or off.
    pub enabled: bool,
    /// Message shown to callers.
    #[serde(default)]
    pub message: Option<String>,
}

/// `GET`/`PUT /api/config/export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExportSettings {
    /// Longest an export job may run.
    pub max_duration_seconds: u64,
    /// Last change (`null`: defaults).
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub updated_at: Option<String>,
    /// Who changed it last.
    pub updated_by: Option<String>,
}

/// `PUT /api/config/export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExportUpdate {
    /// Longest an export job may run, 60–86 400 s.
    pub max_duration_seconds: i64,
}
