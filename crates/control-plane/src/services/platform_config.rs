//! Platform configuration (API.md §3.13): lifecycle defaults and limits, concurrency limits,
//! maintenance mode and export limits — stored in the database, seeded on first start, and read
//! on every request that depends on them (no stale per-replica copies).
//!
//! Owns the typed documents, their defaults, their wire rendering and the checks other handlers
//! call ([`ensure_not_in_maintenance`], [`concurrency`], [`export_max_duration_seconds`],
//! [`lifecycle_of`]). The `/api/config/*` handlers that change them live in `routes::config`.

use graph_olap_api::body::config as wire;
use std::ops::{Deref, DerefMut};

use chrono::{DateTime, Utc};
use graph_olap_api::{ErrorCode, IsoDuration};
use graph_olap_server_kit::error::ApiError;
use graph_olap_store::{Conn, config};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The database connection type that pooled connections and transactions dereference to.
pub type DbConn = <Conn as Deref>::Target;

/// A pooled connection (`&mut state.store.read().await?`) or an open write transaction
/// (`&mut tx`): the functions below run on either, so a check can share the caller's transaction.
pub trait AsConn: DerefMut<Target = DbConn> + Send {}

impl<T: DerefMut<Target = DbConn> + Send> AsConn for T {}

/// Lifecycle settings of one resource type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceLifecycle {
    /// TTL given to new resources.
    pub default_ttl: Option<String>,
    /// Inactivity timeout given to new resources.
    pub default_inactivity: Option<String>,
    /// Upper bound on any TTL.
    pub max_ttl: Option<String>,
}

impl ResourceLifecycle {
    /// `max_ttl` in milliseconds.
    pub fn max_ttl_ms(&self) -> Option<u64> {
        self.max_ttl
            .as_deref()
            .and_then(|t| IsoDuration::parse(t).ok())
            .map(|d| d.millis())
    }

    /// `default_ttl` in milliseconds.
    pub fn default_ttl_ms(&self) -> Option<u64> {
        self.default_ttl
            .as_deref()
            .and_then(|t| IsoDuration::parse(t).ok())
            .map(|d| d.millis())
    }
}

/// The lifecycle document: settings per resource type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleConfig {
    /// Mappings.
    pub mapping: ResourceLifecycle,
    /// Snapshots.
    pub snapshot: ResourceLifecycle,
    /// Instances.
    pub instance: ResourceLifecycle,
}

impl LifecycleConfig {
    /// The resource types, in wire order.
    pub const RESOURCES: [&'static str; 3] = ["mapping", "snapshot", "instance"];

    /// The settings of `resource` (`mapping`, `snapshot` or `instance`).
    pub fn of(&self, resource: &str) -> Option<&ResourceLifecycle> {
        match resource {
            "mapping" => Some(&self.mapping),
            "snapshot" => Some(&self.snapshot),
            "instance" => Some(&self.instance),
            _ => None,
        }
    }

    /// Mutable settings of `resource`.
    pub fn of_mut(&mut self, resource: &str) -> Option<&mut ResourceLifecycle> {
        match resource {
            "mapping" => Some(&mut self.mapping),
            "snapshot" => Some(&mut self.snapshot),
            "instance" => Some(&mut self.instance),
            _ => None,
        }
    }
}

/// Instance concurrency limits (§4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConcurrencyLimits {
    /// Active instances one user may own (1–100).
    pub per_analyst: i64,
    /// Active instances on the whole platform (1–1000).
    pub cluster_total: i64,
}

/// Maintenance mode (§4.7) as stored: the wire fields plus when and by whom it was switched on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceConfig {
    /// Whether creations are blocked.
    pub enabled: bool,
    /// Message shown to blocked callers (may be empty).
    pub message: String,
    /// When it was last switched from off to on (`None` while off).
    #[serde(default)]
    pub enabled_at: Option<DateTime<Utc>>,
    /// Who switched it on.
    #[serde(default)]
    pub enabled_by: Option<String>,
}

impl MaintenanceConfig {
    /// Message used when the configured one is empty.
    pub const DEFAULT_MESSAGE: &'static str = "The platform is in maintenance mode";

    /// The configured message, or the default when it is empty.
    pub fn effective_message(&self) -> &str {
        if self.message.is_empty() {
            Self::DEFAULT_MESSAGE
        } else {
            &self.message
        }
    }
}

/// Export limits (§4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// Longest an export job may run from its first claim (60–86 400 s).
    pub max_duration_seconds: u64,
}

/// A configuration document with who changed it last and when (`None` for seeded defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct Stamped<T> {
    /// The document.
    pub value: T,
    /// Last change.
    pub updated_at: Option<DateTime<Utc>>,
    /// Who made it.
    pub updated_by: Option<String>,
}

/// Keys under which documents are stored.
pub mod keys {
    /// Lifecycle document.
    pub const LIFECYCLE: &str = "lifecycle";
    /// Concurrency document.
    pub const CONCURRENCY: &str = "concurrency";
    /// Maintenance document.
    pub const MAINTENANCE: &str = "maintenance";
    /// Export document.
    pub const EXPORT: &str = "export";
}

/// The initial values written at first start.
pub fn defaults() -> Vec<(&'static str, Value)> {
    vec![
        (
            keys::LIFECYCLE,
            json!({
                "mapping": {"default_ttl": null, "default_inactivity": null, "max_ttl": null},
                "snapshot": {"default_ttl": "P7D", "default_inactivity": "P3D", "max_ttl": "P30D"},
                "instance": {"default_ttl": "PT24H", "default_inactivity": "PT4H", "max_ttl": "P7D"}
            }),
        ),
        (
            keys::CONCURRENCY,
            json!({"per_analyst": 10, "cluster_total": 50}),
        ),
        (keys::MAINTENANCE, json!({"enabled": false, "message": ""})),
        (keys::EXPORT, json!({"max_duration_seconds": 3600})),
    ]
}

/// Reads one document (the seeded default if absent).
pub async fn read(conn: &mut impl AsConn, key: &str) -> Result<config::ConfigValue, ApiError> {
    if let Some(v) = config::get(conn, key).await? {
        return Ok(v);
    }
    let value = defaults()
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .unwrap_or(Value::Null);
    Ok(config::ConfigValue {
        value,
        updated_at: None,
        updated_by: None,
    })
}

/// Reads one document as its typed form; a stored document that does not parse is a server fault.
pub async fn load<T: DeserializeOwned>(
    conn: &mut impl AsConn,
    key: &str,
) -> Result<Stamped<T>, ApiError> {
    let doc = read(conn, key).await?;
    let value = serde_json::from_value(doc.value)
        .map_err(|e| ApiError::internal(format!("stored configuration '{key}' is corrupt: {e}")))?;
    Ok(Stamped {
        value,
        updated_at: doc.updated_at,
        updated_by: doc.updated_by,
    })
}

/// Replaces one document, recording who changed it and when.
pub async fn save<T: Serialize>(
    conn: &mut impl AsConn,
    key: &str,
    value: &T,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let doc = serde_json::to_value(value).map_err(ApiError::internal)?;
    config::put(conn, key, &doc, by, now).await?;
    Ok(())
}

/// The lifecycle settings of `resource` (`mapping`, `snapshot` or `instance`).
pub async fn lifecycle_of(
    conn: &mut impl AsConn,
    resource: &str,
) -> Result<ResourceLifecycle, ApiError> {
    let doc: Stamped<LifecycleConfig> = load(conn, keys::LIFECYCLE).await?;
    Ok(doc.value.of(resource).cloned().unwrap_or_default())
}

/// The current instance concurrency limits (§4.6).
pub async fn concurrency(conn: &mut impl AsConn) -> Result<ConcurrencyLimits, ApiError> {
    Ok(load::<ConcurrencyLimits>(conn, keys::CONCURRENCY)
        .await?
        .value)
}

/// The current maximum export duration in seconds (§4.8).
pub async fn export_max_duration_seconds(conn: &mut impl AsConn) -> Result<u64, ApiError> {
    Ok(load::<ExportConfig>(conn, keys::EXPORT)
        .await?
        .value
        .max_duration_seconds)
}

/// The current maintenance state, read from the database.
pub async fn maintenance(conn: &mut impl AsConn) -> Result<Stamped<MaintenanceConfig>, ApiError> {
    load(conn, keys::MAINTENANCE).await
}

/// `503 MAINTENANCE_MODE` (§4.7) while maintenance mode is on; call it on every creation of an
/// instance or snapshot, after ownership checks and before state checks (§1.14 step 7).
pub async fn ensure_not_in_maintenance(conn: &mut impl AsConn) -> Result<(), ApiError> {
    let doc = maintenance(conn).await?;
    if !doc.value.enabled {
        return Ok(());
    }
    Err(maintenance_error(&doc))
}

/// The `MAINTENANCE_MODE` error for an enabled maintenance document.
pub fn maintenance_error(doc: &Stamped<MaintenanceConfig>) -> ApiError {
    let m = &doc.value;
    let enabled_at = m.enabled_at.or(doc.updated_at);
    let enabled_by = m.enabled_by.clone().or_else(|| doc.updated_by.clone());
    ApiError::new(ErrorCode::MaintenanceMode, m.effective_message())
        .detail("maintenance_message", m.effective_message())
        .detail(
            "enabled_at",
            enabled_at
                .map(|t| Value::String(graph_olap_api::time::format_ts(&t)))
                .unwrap_or(Value::Null),
        )
        .detail(
            "enabled_by",
            enabled_by.map(Value::String).unwrap_or(Value::Null),
        )
}

impl<T> Stamped<T> {
    /// `updated_at` (RFC 3339) and `updated_by`, carried by every configuration object.
    fn stamp(&self) -> (Option<String>, Option<String>) {
        (
            self.updated_at
                .as_ref()
                .map(graph_olap_api::time::format_ts),
            self.updated_by.clone(),
        )
    }
}

impl ResourceLifecycle {
    fn to_wire(&self) -> wire::ResourceLifecycle {
        wire::ResourceLifecycle {
            default_ttl: self.default_ttl.clone(),
            default_inactivity: self.default_inactivity.clone(),
            max_ttl: self.max_ttl.clone(),
        }
    }
}

impl Stamped<LifecycleConfig> {
    /// `LifecycleConfig` of §3.13.
    pub fn to_wire(&self) -> wire::LifecycleSettings {
        let (updated_at, updated_by) = self.stamp();
        wire::LifecycleSettings {
            mapping: self.value.mapping.to_wire(),
            snapshot: self.value.snapshot.to_wire(),
            instance: self.value.instance.to_wire(),
            updated_at,
            updated_by,
            updated: None,
        }
    }
}

impl Stamped<ConcurrencyLimits> {
    /// `ConcurrencyConfig` of §3.13.
    pub fn to_wire(&self) -> wire::ConcurrencySettings {
        let (updated_at, updated_by) = self.stamp();
        wire::ConcurrencySettings {
            per_analyst: self.value.per_analyst,
            cluster_total: self.value.cluster_total,
            updated_at,
            updated_by,
        }
    }
}

impl Stamped<MaintenanceConfig> {
    /// `MaintenanceMode` of §3.13.
    pub fn to_wire(&self) -> wire::MaintenanceSettings {
        let (updated_at, updated_by) = self.stamp();
        wire::MaintenanceSettings {
            enabled: self.value.enabled,
            message: self.value.message.clone(),
            updated_at,
            updated_by,
        }
    }
}

impl Stamped<ExportConfig> {
    /// `ExportConfig` of §3.13.
    pub fn to_wire(&self) -> wire::ExportSettings {
        let (updated_at, updated_by) = self.stamp();
        wire::ExportSettings {
            max_duration_seconds: self.value.max_duration_seconds,
            updated_at,
            updated_by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_as_typed_documents() {
        for (key, value) in defaults() {
            let ok = match key {
                keys::LIFECYCLE => serde_json::from_value::<LifecycleConfig>(value).is_ok(),
                keys::CONCURRENCY => serde_json::from_value::<ConcurrencyLimits>(value).is_ok(),
                keys::MAINTENANCE => serde_json::from_value::<MaintenanceConfig>(value).is_ok(),
                keys::EXPORT => serde_json::from_value::<ExportConfig>(value).is_ok(),
                _ => false,
            };
            assert!(ok, "{key}");
        }
    }

    #[test]
    fn maintenance_error_carries_the_contract_details() {
        let at = DateTime::parse_from_rfc3339("2025-01-15T10:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let doc = Stamped {
            value: MaintenanceConfig {
                enabled: true,
                message: String::new(),
                enabled_at: Some(at),
                enabled_by: Some("ops_dave".into()),
            },
            updated_at: Some(at),
            updated_by: Some("ops_dave".into()),
        };
        let e = maintenance_error(&doc);
        assert_eq!(e.code, ErrorCode::MaintenanceMode);
        assert_eq!(e.message, MaintenanceConfig::DEFAULT_MESSAGE);
        assert_eq!(e.details["enabled_at"], "2025-01-15T10:30:00.000Z");
        assert_eq!(e.details["enabled_by"], "ops_dave");
        assert!(e.headers.is_empty(), "no Retry-After on MAINTENANCE_MODE");
    }
}
