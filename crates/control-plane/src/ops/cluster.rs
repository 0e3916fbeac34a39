//! Platform-wide views for ops (API.md §3.14, §3.15): cluster health with every component
//! actually probed, the cluster instance summary, and the system state.
//!
//! Owns the probes (database `SELECT 1`, the instance runtime's own health call, a trivial
//! warehouse query, a listing of the snapshot root in object storage), run in parallel with a
//! 2 s timeout each and cached for 10 s on the injectable clock; and the capacity view, which
//! asks the runtime (Kubernetes: nodes' allocatable vs requested CPU and memory, our pods by
//! phase; local: the machine itself) at every call. Does not own the counts'
//! queries (`graph_olap_store::stats`) or configuration (`platform_config`).

use graph_olap_api::body::ops::{
    CapacityAmount, CapacityTotals, ClusterCapacity, ClusterInstances, ClusterLimits,
    MaintenanceFlag, NodeCapacity, OwnerCount, RuntimeUnits, StatusCounts, SystemState,
};
use graph_olap_api::export::ExportJobStatus;
use graph_olap_api::{InstanceStatus, SnapshotStatus};
use graph_olap_runtime::{RequestScope, Resources, RuntimeCapacity, UNIT_PHASES};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use graph_olap_api::ops::{
    ClusterComponents, ClusterHealth, ClusterStatus, ComponentHealth, ComponentStatus,
};
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::stats::{self, StatusTable};

use crate::state::AppState;

/// Longest any one probe may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a probe result is reused.
pub const CACHE_FOR: chrono::Duration = chrono::Duration::seconds(10);

/// The last cluster-health result; concurrent callers wait for one probe instead of each
/// starting their own.
#[derive(Debug, Default)]
pub struct HealthCache {
    last: tokio::sync::Mutex<Option<ClusterHealth>>,
}

/// Cluster health, probed at most every [`CACHE_FOR`].
pub async fn health(state: &AppState) -> ClusterHealth {
    let mut last = state.cluster_health.last.lock().await;
    if let Some(cached) = last.as_ref()
        && is_fresh(cached.checked_at, state.now())
    {
        return cached.clone();
    }
    let fresh = probe_all(state).await;
    *last = Some(fresh.clone());
    fresh
}

async fn probe_all(state: &AppState) -> ClusterHealth {
    let (database, compute, warehouse, object_storage) = tokio::join!(
        timed(state, async {
            state
                .store
                .ping(PROBE_TIMEOUT)
                .await
                .map_err(|e| e.to_string())
        }),
        probe_compute(state),
        timed(state, async {
            state.warehouse.ping().await.map_err(|e| e.to_string())
        }),
        timed(state, list_snapshot_root(&state.settings.storage_root)),
    );
    let others = [&compute, &warehouse, &object_storage];
    let status = if database.status == ComponentStatus::Unhealthy {
        ClusterStatus::Unhealthy
    } else if others
        .iter()
        .any(|c| c.status == ComponentStatus::Unhealthy)
    {
        ClusterStatus::Degraded
    } else {
        ClusterStatus::Healthy
    };
    ClusterHealth {
        status,
        components: ClusterComponents {
            database,
            compute,
            warehouse,
            object_storage,
        },
        checked_at: state.now(),
    }
}

/// Runs one probe with [`PROBE_TIMEOUT`], measuring its latency.
async fn timed(
    state: &AppState,
    probe: impl Future<Output = Result<(), String>>,
) -> ComponentHealth {
    let started = Instant::now();
    let outcome = tokio::time::timeout(PROBE_TIMEOUT, probe).await;
    let latency_ms = started.elapsed().as_millis() as u64;
    let checked_at = state.now();
    match outcome {
        Ok(Ok(())) => ComponentHealth {
            status: ComponentStatus::Healthy,
            latency_ms: Some(latency_ms),
            error: None,
            checked_at,
        },
        Ok(Err(error)) => ComponentHealth {
            status: ComponentStatus::Unhealthy,
            latency_ms: None,
            error: Some(error),
            checked_at,
        },
        Err(_) => ComponentHealth {
            status: ComponentStatus::Unhealthy,
            latency_ms: None,
            error: Some(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
            checked_at,
        },
    }
}

async fn probe_compute(state: &AppState) -> ComponentHealth {
    match state.runtime.clone() {
        None => ComponentHealth {
            status: ComponentStatus::NotConfigured,
            latency_ms: None,
            error: None,
            checked_at: state.now(),
        },
        Some(runtime) => {
            timed(state, async move {
                runtime
                    .health()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .await
        }
    }
}

/// Lists the first entry under the snapshot root: proves the store is reachable and readable.
async fn list_snapshot_root(root: &str) -> Result<(), String> {
    let (store, prefix) =
        graph_olap_storage::open_store(root, &Default::default()).map_err(|e| e.to_string())?;
    match store.list(Some(&prefix)).next().await {
        None | Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(e.to_string()),
    }
}

/// Every value of `statuses` with its count (0 when absent).
fn zero_filled(statuses: &[&str], counts: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    statuses
        .iter()
        .map(|s| (s.to_string(), counts.get(*s).copied().unwrap_or(0)))
        .collect()
}

/// `ClusterInstances` (§3.14): non-terminated totals, every status, owners, engines, limits.
pub async fn instances(state: &AppState) -> ApiResult<ClusterInstances> {
    let mut conn = state.store.read().await?;
    let counts = stats::count_by_status(&mut conn, StatusTable::Instances).await?;
    let owners = stats::instances_by_owner(&mut conn).await?;
    let engines = stats::instances_by_wrapper_type(&mut conn).await?;
    let limits = crate::services::platform_config::concurrency(&mut conn).await?;
    let total: i64 = counts
        .iter()
        .filter(|(s, _)| s.as_str() != "terminated")
        .map(|(_, n)| n)
        .sum();
    let used: i64 = InstanceStatus::ACTIVE
        .iter()
        .map(|s| counts.get(s.as_str()).copied().unwrap_or(0))
        .sum();
    Ok(ClusterInstances {
        total,
        by_status: zero_filled(&InstanceStatus::names(), &counts),
        by_owner: owners
            .into_iter()
            .map(|(owner_username, count)| OwnerCount {
                owner_username,
                count,
            })
            .collect(),
        by_wrapper_type: engines,
        limits: ClusterLimits {
            per_analyst: limits.per_analyst,
            cluster_total: limits.cluster_total,
            cluster_used: used,
            cluster_available: (limits.cluster_total - used).max(0),
        },
        units: runtime_units(state).await,
    })
}

/// The runtime's units by phase for `ClusterInstances`; `None` without a runtime, or when it
/// fails or takes longer than [`PROBE_TIMEOUT`] (logged: the view still answers from the rows).
async fn runtime_units(state: &AppState) -> Option<RuntimeUnits> {
    let runtime = state.runtime.clone()?;
    match tokio::time::timeout(PROBE_TIMEOUT, runtime.capacity()).await {
        Ok(Ok(capacity)) => Some(units_by_phase(&capacity)),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cluster instances: the runtime did not report its units");
            None
        }
        Err(_) => {
            tracing::warn!("cluster instances: the runtime did not answer within 2 s");
            None
        }
    }
}

fn units_by_phase(capacity: &RuntimeCapacity) -> RuntimeUnits {
    let by_phase: BTreeMap<String, i64> = UNIT_PHASES
        .iter()
        .map(|p| {
            let n = capacity.units_by_phase.get(*p).copied().unwrap_or(0);
            (p.to_string(), i64::try_from(n).unwrap_or(i64::MAX))
        })
        .collect();
    RuntimeUnits {
        runtime: capacity.kind.clone(),
        total: by_phase.values().sum(),
        by_phase,
    }
}

fn amount(r: Resources) -> CapacityAmount {
    CapacityAmount {
        cpu_millicores: i64::try_from(r.cpu_millicores).unwrap_or(i64::MAX),
        memory_bytes: i64::try_from(r.memory_bytes).unwrap_or(i64::MAX),
    }
}

/// `ClusterCapacity`: the runtime's nodes (allocatable, requested, available), totals over the
/// ready and schedulable ones, and its units by phase. No runtime → `503 SERVICE_UNAVAILABLE`;
/// the runtime failing or not answering within [`PROBE_TIMEOUT`] → `502 UPSTREAM_ERROR`, both
/// with `service: "compute"`.
pub async fn capacity(state: &AppState) -> ApiResult<ClusterCapacity> {
    let Some(runtime) = state.runtime.clone() else {
        return Err(ApiError::new(
            graph_olap_api::ErrorCode::ServiceUnavailable,
            "No instance runtime is configured on this control plane",
        )
        .detail("service", "compute"));
    };
    let upstream = |message: String| {
        ApiError::new(graph_olap_api::ErrorCode::UpstreamError, message)
            .detail("service", "compute")
    };
    let capacity = tokio::time::timeout(PROBE_TIMEOUT, runtime.capacity())
        .await
        .map_err(|_| {
            upstream(format!(
                "The {} runtime did not report its capacity within {} s",
                runtime.kind(),
                PROBE_TIMEOUT.as_secs()
            ))
        })?
        .map_err(|e| upstream(format!("The runtime could not report its capacity: {e}")))?;
    let mut totals = (
        0,
        Resources::default(),
        Resources::default(),
        Resources::default(),
    );
    let nodes = capacity
        .nodes
        .iter()
        .map(|n| {
            let available = n.allocatable.minus(n.requested);
            if n.ready && n.schedulable {
                totals.0 += 1;
                totals.1 = totals.1.plus(n.allocatable);
                totals.2 = totals.2.plus(n.requested);
                totals.3 = totals.3.plus(available);
            }
            NodeCapacity {
                name: n.name.clone(),
                ready: n.ready,
                schedulable: n.schedulable,
                allocatable: amount(n.allocatable),
                requested: amount(n.requested),
                available: amount(available),
                pods: i64::try_from(n.pods).unwrap_or(i64::MAX),
            }
        })
        .collect();
    Ok(ClusterCapacity {
        runtime: capacity.kind.clone(),
        requests_counted: match capacity.requests_counted {
            RequestScope::AllPods => "all_pods",
            RequestScope::OwnUnits => "own_units",
        }
        .to_owned(),
        units: units_by_phase(&capacity),
        nodes,
        totals: CapacityTotals {
            nodes: totals.0,
            allocatable: amount(totals.1),
            requested: amount(totals.2),
            available: amount(totals.3),
        },
    })
}

/// `SystemState` (§3.15): instances, snapshots and export jobs by status, and maintenance.
pub async fn system_state(state: &AppState) -> ApiResult<SystemState> {
    let mut conn = state.store.read().await?;
    let instances = stats::count_by_status(&mut conn, StatusTable::Instances).await?;
    let snapshots = stats::count_by_status(&mut conn, StatusTable::Snapshots).await?;
    let jobs = stats::count_by_status(&mut conn, StatusTable::ExportJobs).await?;
    let without_unit = stats::instances_without_unit(&mut conn).await?;
    let maintenance = crate::services::platform_config::maintenance(&mut conn)
        .await?
        .value
        .enabled;
    let total = |m: &BTreeMap<String, i64>| m.values().sum::<i64>();
    let export_jobs = StatusCounts {
        total: total(&jobs),
        by_status: zero_filled(&ExportJobStatus::names(), &jobs),
        without_pod_name: None,
    };
    Ok(SystemState {
        instances: StatusCounts {
            total: instances
                .iter()
                .filter(|(s, _)| s.as_str() != "terminated")
                .map(|(_, n)| n)
                .sum::<i64>(),
            by_status: zero_filled(&InstanceStatus::names(), &instances),
            without_pod_name: Some(without_unit),
        },
        snapshots: StatusCounts {
            total: total(&snapshots),
            by_status: zero_filled(&SnapshotStatus::names(), &snapshots),
            without_pod_name: None,
        },
        // `exports` repeats `export_jobs` under the name the ops tutorial (seed 000) reads.
        exports: export_jobs.clone(),
        export_jobs,
        maintenance: MaintenanceFlag {
            enabled: maintenance,
        },
    })
}

/// Whether a result probed at `checked_at` may still be served at `now` (a clock that moved
/// backwards counts as stale).
pub fn is_fresh(checked_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= checked_at && now - checked_at < CACHE_FOR
}
