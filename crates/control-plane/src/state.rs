//! `AppState`: the handles every handler shares.

use std::sync::Arc;

use graph_olap_store::{Clock, Store};
use graph_olap_warehouse::Warehouse;

use crate::auth::KeyCache;
use crate::schema_cache::SchemaCache;
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
}

impl AppState {
    /// The current instant.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
