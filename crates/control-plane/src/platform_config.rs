//! Platform configuration (API.md §3.13): lifecycle defaults and limits, concurrency limits,
//! maintenance mode and export limits — stored in the database, seeded on first start, and read
//! on every request that depends on them (no stale per-replica copies).

use graph_olap_api::IsoDuration;
use graph_olap_store::{Conn, config};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ApiError;

/// Lifecycle settings of one resource type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
        self.max_ttl.as_deref().and_then(|t| IsoDuration::parse(t).ok()).map(|d| d.millis())
    }
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
        (keys::LIFECYCLE, json!({
            "mapping": {"default_ttl": null, "default_inactivity": null, "max_ttl": null},
            "snapshot": {"default_ttl": "P7D", "default_inactivity": "P3D", "max_ttl": "P30D"},
            "instance": {"default_ttl": "PT24H", "default_inactivity": "PT4H", "max_ttl": "P7D"}
        })),
        (keys::CONCURRENCY, json!({"per_analyst": 10, "cluster_total": 50})),
        (keys::MAINTENANCE, json!({"enabled": false, "message": ""})),
        (keys::EXPORT, json!({"max_duration_seconds": 3600})),
    ]
}

/// Reads one document (the seeded default if absent).
pub async fn read(conn: &mut Conn, key: &str) -> Result<config::ConfigValue, ApiError> {
    if let Some(v) = config::get(conn, key).await? {
        return Ok(v);
    }
    let value = defaults().into_iter().find(|(k, _)| *k == key).map(|(_, v)| v).unwrap_or(Value::Null);
    Ok(config::ConfigValue { value, updated_at: None, updated_by: None })
}

/// The lifecycle settings of `resource` (`mapping`, `snapshot` or `instance`).
pub async fn lifecycle_of(conn: &mut Conn, resource: &str) -> Result<ResourceLifecycle, ApiError> {
    let doc = read(conn, keys::LIFECYCLE).await?;
    Ok(serde_json::from_value(doc.value[resource].clone()).unwrap_or_default())
}

/// Adds `updated_at`/`updated_by` to a document for responses.
pub fn with_audit_fields(doc: &config::ConfigValue) -> Value {
    let mut v = doc.value.clone();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("updated_at".into(), doc.updated_at.map(|t| Value::String(graph_olap_api::time::format_ts(&t))).unwrap_or(Value::Null));
        obj.insert("updated_by".into(), doc.updated_by.clone().map(Value::String).unwrap_or(Value::Null));
    }
    v
}
