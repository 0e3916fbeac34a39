//! `AppState`: the handles every handler shares.

use std::sync::Arc;

use graph_olap_store::{Clock, Store};
use graph_olap_warehouse::Warehouse;

use crate::auth::KeyCache;
use crate::auth::throttle::AuthThrottle;
use crate::services::schema_cache::SchemaCache;
use crate::settings::Settings;

/// Shared state of the control plane.
#[derive(Clone)]
pub struct AppState {
    /// Metadata database.
    pub store: Store,
    /// The warehouse mapping SQL runs on.
    pub warehouse: Arc<dyn Warehouse>,
    /// Start-time settings.
    pub settings: Arc<Settings>,
    /// Source of "now".
    pub clock: Arc<dyn Clock>,
    /// In-memory view of the persisted warehouse metadata cache.
    pub schema: Arc<SchemaCache>,
    /// Short-lived cache of API-key lookups (≤ 30 s).
    pub keys: Arc<KeyCache>,
    /// Failed-authentication counters per peer address (`429` past the limit).
    pub auth_failures: Arc<AuthThrottle>,
    /// Where instances run; `None` disables instance scheduling (instances stay `starting`).
    pub runtime: Option<Arc<dyn graph_olap_runtime::Runtime>>,
    /// Wakes the background orchestration early (a snapshot became ready, an instance was created).
    pub orchestrator: Arc<tokio::sync::Notify>,
    /// HTTP client for readiness probes and the instance proxy.
    pub http: reqwest::Client,
    /// In-process Prometheus metrics (`/metrics`).
    pub metrics: Arc<crate::ops::metrics::Metrics>,
    /// Wakes the background job scheduler early (a job was triggered).
    pub scheduler: Arc<tokio::sync::Notify>,
    /// The last cluster-health probe, reused for up to 10 s.
    pub cluster_health: Arc<crate::ops::cluster::HealthCache>,
    /// This control plane's name among the replicas on one database (host, process, a random
    /// part): the holder of the job leases it takes.
    pub replica_id: Arc<str>,
}

impl AppState {
    /// The current instant.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Asks the orchestration loop to run now instead of at its next tick.
    pub fn wake_orchestrator(&self) {
        self.orchestrator.notify_one();
    }

    /// Asks the scheduler to look for due jobs now (a manual trigger was accepted).
    pub fn wake_scheduler(&self) {
        self.scheduler.notify_one();
    }
}
