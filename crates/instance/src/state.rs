//! Shared state of a running instance server.
//!
//! Owns: the lifecycle phase, the bootstrap configuration once fetched, the engine handle once
//! loaded, load statistics, query counters for metrics, the introspection cache and the shutdown
//! signal. Does not own: HTTP handling or the startup sequence.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Instant;

use chrono::{DateTime, Utc};
use graph_olap_api::instance::{GraphStats, InstanceBootstrap};
use graph_olap_engine::GraphEngine;
use tokio::sync::watch;

use crate::auth::Identity;
use crate::control_plane::ControlPlaneClient;

/// Lifecycle phase of the server (`GET /status` `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Process started; bootstrap not fetched yet.
    Starting,
    /// Downloading and loading.
    Loading,
    /// Serving data endpoints.
    Running,
    /// Shutting down.
    Stopping,
    /// Startup failed.
    Failed,
}

impl Phase {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::Loading | Phase::Failed => "loading",
            Phase::Running => "running",
            Phase::Stopping => "stopping",
        }
    }
}

/// Everything `run` needs (see the crate docs for the CLI arguments).
#[derive(Debug, Clone)]
pub struct InstanceConfig {
    /// Instance id in the control plane.
    pub instance_id: i64,
    /// Control plane base URL (its `api_url`, without `/api`).
    pub control_plane_url: String,
    /// Internal service key (`GRAPH_OLAP_INTERNAL_API_KEY`).
    pub internal_api_key: String,
    /// Address to listen on, e.g. `0.0.0.0:8000` (`:0` picks a free port).
    pub listen: std::net::SocketAddr,
    /// Working directory for downloaded files and the database.
    pub data_dir: PathBuf,
    /// Runtime unit name to report, if known.
    pub pod_name: Option<String>,
    /// URL the proxy should use to reach this server (default: derived by the runtime).
    pub internal_url: Option<String>,
    /// Interval of metrics reports.
    pub metrics_interval: std::time::Duration,
}

/// Query counters for the metrics report.
#[derive(Debug, Default)]
pub struct Counters {
    /// Queries running now.
    pub active_queries: AtomicU64,
    /// Queries finished since the last report.
    pub finished: AtomicU64,
    /// Their total time in ms.
    pub total_ms: AtomicU64,
}

/// Cached introspection answer.
#[derive(Debug, Clone)]
pub struct CachedIdentity {
    /// When it was fetched.
    pub at: Instant,
    /// `None` for inactive tokens.
    pub identity: Option<Identity>,
}

/// Shared server state.
pub struct AppState {
    /// Startup configuration.
    pub config: InstanceConfig,
    /// Process start.
    pub started_at: DateTime<Utc>,
    /// Current phase.
    pub phase: RwLock<Phase>,
    /// Bootstrap, once fetched.
    pub boot: OnceLock<InstanceBootstrap>,
    /// Engine, once loaded.
    pub engine: OnceLock<Arc<dyn GraphEngine>>,
    /// Load statistics, once loaded.
    pub stats: OnceLock<GraphStats>,
    /// Control-plane client.
    pub control_plane: ControlPlaneClient,
    /// Query counters.
    pub counters: Counters,
    /// Bearer token → identity, ≤ 60 s.
    pub introspection: Mutex<HashMap<String, CachedIdentity>>,
    /// Set to `true` to shut down.
    pub shutdown: watch::Sender<bool>,
    /// Algorithm lock and executions.
    pub algorithms: crate::algo::Registry,
    /// Why startup failed, if it did (set before shutdown is requested).
    pub failure: OnceLock<crate::startup::StartupFailure>,
}

impl AppState {
    /// Fresh state for a config.
    pub fn new(config: InstanceConfig) -> Arc<Self> {
        let control_plane = ControlPlaneClient::new(
            &config.control_plane_url,
            &config.internal_api_key,
            config.instance_id,
        );
        Arc::new(Self {
            config,
            started_at: Utc::now(),
            phase: RwLock::new(Phase::Starting),
            boot: OnceLock::new(),
            engine: OnceLock::new(),
            stats: OnceLock::new(),
            control_plane,
            counters: Counters::default(),
            introspection: Mutex::new(HashMap::new()),
            shutdown: watch::channel(false).0,
            failure: OnceLock::new(),
            algorithms: crate::algo::Registry::default(),
        })
    }

    /// Current phase.
    pub fn phase(&self) -> Phase {
        self.phase.read().map(|p| *p).unwrap_or(Phase::Failed)
    }

    /// Sets the phase.
    pub fn set_phase(&self, phase: Phase) {
        if let Ok(mut p) = self.phase.write() {
            *p = phase;
        }
    }

    /// Requests a graceful shutdown.
    pub fn request_shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    /// The engine when the graph is loaded and serving.
    pub fn ready_engine(&self) -> Option<Arc<dyn GraphEngine>> {
        if self.phase() == Phase::Running {
            self.engine.get().cloned()
        } else {
            None
        }
    }

    /// Records a finished query for the metrics report.
    pub fn record_query(&self, ms: u64) {
        self.counters.finished.fetch_add(1, Ordering::Relaxed);
        self.counters.total_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Reports activity of `kind` without waiting (failures are logged).
    pub fn report_activity(self: &Arc<Self>, kind: &'static str) {
        let cp = self.control_plane.clone();
        tokio::spawn(async move {
            if let Err(e) = cp.report_activity(kind).await {
                tracing::warn!(error = %e, "activity report failed");
            }
        });
    }
}
