//! The runtime unit model shared by every runtime implementation: what to start
//! ([`UnitSpec`]), what is running ([`UnitInfo`], [`UnitState`]) and how the runtime itself is
//! doing ([`RuntimeHealth`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The runtime unit name of an instance: `wrapper-{url_slug}` (API.md §8). It is also the
/// Kubernetes pod and Service name, and the value of the instance's `pod_name`.
pub fn unit_name(url_slug: &str) -> String {
    format!("wrapper-{url_slug}")
}

/// The environment variable that caps glibc's malloc arenas, and the cap every instance server
/// runs with. glibc reads it only at process start, so every runtime puts it in the unit's
/// environment; an instance server started without it re-executes itself to apply it (one more
/// process start on its way to `running`). Why two: `docs/decisions.md`, *Instance density*.
pub const MALLOC_ARENA_MAX: (&str, &str) = ("MALLOC_ARENA_MAX", "2");

/// What to run for one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitSpec {
    /// The instance the unit serves (passed as `--instance-id`).
    pub instance_id: i64,
    /// The instance's URL slug; names the unit (letters, digits, `-` and `_` only).
    pub url_slug: String,
    /// CPU allocation in cores (1–8).
    pub cpu_cores: u32,
    /// Memory allocation in GiB, when sized.
    pub memory_gb: Option<u32>,
    /// The instance's engine (`ryugraph`, `falkordb`): picks the container image on Kubernetes.
    pub wrapper_type: String,
    /// Where the snapshot's Parquet files are (`file://…`, `s3://…`), when known: passed to the
    /// unit as `GRAPH_OLAP_SNAPSHOT_PATH` for operators (the server still takes its bootstrap
    /// from the control plane).
    pub snapshot_path: Option<String>,
    /// The snapshot's Parquet size in bytes, when known: sizes the Kubernetes download volume.
    pub snapshot_bytes: Option<u64>,
    /// Extra environment for the instance server, e.g. `GRAPH_OLAP_INTERNAL_API_KEY` and
    /// `GRAPH_OLAP_CONTROL_PLANE_URL`. Secrets belong here, never in program arguments; values are
    /// not written to the runtime's records.
    pub env: Vec<(String, String)>,
}

impl UnitSpec {
    /// The unit name for this spec ([`unit_name`]).
    pub fn name(&self) -> String {
        unit_name(&self.url_slug)
    }
}

/// Whether a unit's process/pod is alive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum UnitState {
    /// The unit is alive (not necessarily ready: readiness is probed by the caller).
    Running,
    /// The unit's process is gone without having been stopped through the runtime.
    Exited {
        /// Exit code, when the process exited normally and the runtime saw it.
        code: Option<i32>,
        /// Terminating signal, when the process was killed and the runtime saw it.
        signal: Option<i32>,
        /// Killed for exceeding its memory limit, when the runtime can tell.
        oom_killed: bool,
        /// The runtime's own account of why the unit ended, when it has one (for example
        /// `out of memory (limit 4Gi)` or a scheduler message); the control plane puts it in the
        /// instance's error message.
        reason: Option<String>,
    },
}

impl UnitState {
    /// True for [`UnitState::Running`].
    pub fn is_running(&self) -> bool {
        matches!(self, UnitState::Running)
    }
}

/// A unit as the runtime sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitInfo {
    /// Unit name (`wrapper-{url_slug}`).
    pub name: String,
    /// The instance it serves.
    pub instance_id: i64,
    /// The instance's URL slug.
    pub url_slug: String,
    /// Alive or exited.
    pub state: UnitState,
    /// Why a unit that is alive has not started yet, when the runtime can tell: on Kubernetes
    /// the scheduler's message for a pod no node takes (`0/3 nodes are available: 3
    /// Insufficient memory. …`), or a container stuck waiting (`ErrImagePull: …`). `None` once
    /// it runs, and always for the local runtime. Past the runtime's deadline such a unit is
    /// [`UnitState::Exited`] instead, with the same message in its reason.
    #[serde(default)]
    pub pending_reason: Option<String>,
    /// Base URL at which the control plane reaches the instance API, e.g. `http://127.0.0.1:41234`.
    pub internal_url: String,
    /// Process id for local units; `None` where the runtime has no such notion.
    pub pid: Option<u32>,
    /// When the unit was started.
    pub started_at: DateTime<Utc>,
    /// Current CPU allocation in cores.
    pub cpu_cores: u32,
    /// Current memory allocation in GiB, when sized.
    pub memory_gb: Option<u32>,
}

/// The runtime's own health, for the `compute` component of cluster health (API.md §3.14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeHealth {
    /// The runtime implementation (`"local"`, `"kubernetes"`).
    pub kind: String,
    /// Units currently running.
    pub units_running: usize,
    /// Units known, running or exited.
    pub units_total: usize,
    /// How long the probe (a full listing) took.
    pub latency_ms: u64,
}
