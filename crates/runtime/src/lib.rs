//! Starting, stopping and observing the runtime units that host instance servers.
//!
//! Owns: the [`Runtime`] trait the control plane drives (start, stop, list, resize, health),
//! the unit model ([`UnitSpec`], [`UnitInfo`], [`UnitState`]) and the local-process
//! implementation ([`LocalProcessRuntime`]), which survives control-plane restarts by keeping a
//! record per unit on disk. Does not own: instance state in the metadata database, readiness
//! probing of the instance API, or HTTP routing — the control plane decides what a unit's state
//! means for its instance (API.md §4.3, §4.12).
//!
//! Both also describe their capacity ([`RuntimeCapacity`]: nodes' allocatable vs requested CPU
//! and memory, units by phase) for the control plane's cluster views.
//!
//! The Kubernetes implementation ([`KubernetesRuntime`], module [`kubernetes`]) fits the same
//! trait: a unit is a pod plus a Service named [`unit_name`]`(url_slug)` (API.md §8),
//! `cpu_cores`/`memory_gb` become resource requests and limits, and `list` is a label-selected
//! pod list. It is built against the Kubernetes `v1_33` API (`k8s-openapi` feature, pinned in the
//! workspace).

mod capacity;
mod error;
pub mod kubernetes;
pub mod local;
mod unit;

use std::time::Duration;

pub use capacity::{NodeCapacity, RequestScope, Resources, RuntimeCapacity, UNIT_PHASES};
pub use error::RuntimeError;
pub use kubernetes::{KubernetesConfig, KubernetesRuntime};
pub use local::{LocalProcessRuntime, LocalRuntimeConfig};
pub use unit::{MALLOC_ARENA_MAX, RuntimeHealth, UnitInfo, UnitSpec, UnitState, unit_name};

/// A place where instance servers run: local child processes, Kubernetes pods, …
///
/// Every operation is idempotent so reconciliation can re-drive it after a crash: starting a
/// unit that is already running returns it, stopping a unit that is gone succeeds.
#[async_trait::async_trait]
pub trait Runtime: Send + Sync {
    /// Short name of the implementation (`"local"`, `"kubernetes"`), reported in cluster health.
    fn kind(&self) -> &'static str;

    /// Starts the unit for `spec` (named [`unit_name`]`(&spec.url_slug)`) and returns it once the
    /// process/pod has been created — not once the instance is ready; probing `/ready` is the
    /// caller's job. A unit of that name that is still running is returned unchanged; one that
    /// has exited is replaced.
    async fn start(&self, spec: &UnitSpec) -> Result<UnitInfo, RuntimeError>;

    /// Stops the unit: asks it to exit (SIGTERM / pod deletion), waits up to `grace`, then
    /// forces it, and forgets it. Stopping a unit that is unknown or already gone is `Ok`.
    async fn stop(&self, name: &str, grace: Duration) -> Result<(), RuntimeError>;

    /// Every unit this runtime knows, including units started by a previous control-plane
    /// process and units that have exited but were not stopped yet ([`UnitState::Exited`]).
    async fn list(&self) -> Result<Vec<UnitInfo>, RuntimeError>;

    /// One unit by name, `None` when the runtime does not know it.
    async fn get(&self, name: &str) -> Result<Option<UnitInfo>, RuntimeError>;

    /// Changes the unit's CPU allocation. See the implementation for when it takes effect.
    async fn resize_cpu(&self, name: &str, cores: u32) -> Result<(), RuntimeError>;

    /// Changes the unit's memory allocation to `gb` GiB (the control plane only ever grows it,
    /// API.md §6.1). See the implementation for when it takes effect.
    async fn resize_memory(&self, name: &str, gb: u32) -> Result<(), RuntimeError>;

    /// Probes the runtime itself (for the `compute` component of cluster health).
    async fn health(&self) -> Result<RuntimeHealth, RuntimeError>;

    /// The nodes' allocatable and requested CPU and memory, and the units by phase (for the
    /// cluster views). Kubernetes asks the cluster; the local runtime describes its machine.
    async fn capacity(&self) -> Result<RuntimeCapacity, RuntimeError>;

    /// The most memory, in whole GiB, one unit can be given here (`None`: no limit known
    /// beyond the API's). The control plane refuses instances whose estimated memory exceeds it.
    fn memory_limit_gb(&self) -> Option<i64> {
        None
    }

    /// Stops every known unit concurrently, each with `grace` (used when `graph-olap up` exits).
    /// Stops as many as it can and returns the first error, if any.
    async fn shutdown_all(&self, grace: Duration) -> Result<(), RuntimeError>;
}
