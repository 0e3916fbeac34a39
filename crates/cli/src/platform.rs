//! What `up` and `serve` share: the control plane with its runtime, background jobs and
//! (optionally) an in-process export worker, served until Ctrl-C/SIGTERM and then stopped in
//! order — HTTP first, then the worker and the scheduler, then (for `up`) the instances.
//!
//! Does not own configuration parsing (`config.rs`, `up.rs`) or any business rule.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use graph_olap_control_plane::AppState;
use graph_olap_runtime::{LocalProcessRuntime, LocalRuntimeConfig, Runtime};
use graph_olap_warehouse::Warehouse;

/// The local-process runtime: instance servers are this executable's `instance` subcommand,
/// with unit records and logs under `work_dir` (kept across restarts so units are re-adopted).
pub fn local_runtime(work_dir: &Path) -> anyhow::Result<Arc<dyn Runtime>> {
    let config =
        LocalRuntimeConfig::new(std::env::current_exe()?, work_dir).with_args(["instance"]);
    Ok(Arc::new(LocalProcessRuntime::new(config)?))
}

/// The Kubernetes runtime, checked against the cluster (namespace, RBAC, a dry-run pod) before
/// the control plane starts; every failure names the setting to fix.
/// Also returns the pod watch's change counter (see [`react_to_pod_changes`]).
pub async fn kubernetes_runtime(
    config: graph_olap_runtime::KubernetesConfig,
) -> anyhow::Result<(Arc<dyn Runtime>, tokio::sync::watch::Receiver<u64>)> {
    let runtime = graph_olap_runtime::KubernetesRuntime::connect(config)
        .await
        .map_err(|e| anyhow::anyhow!("the Kubernetes runtime cannot start: {e}"))?;
    let changes = runtime.changes();
    Ok((Arc::new(runtime), changes))
}

/// Runs reconciliation soon after the pod watch sees a change (a pod failed, was OOM-killed,
/// deleted…), instead of waiting for the job's interval; changes within half a second are
/// handled by one pass. Only for runtimes that watch (Kubernetes).
pub fn react_to_pod_changes(
    state: AppState,
    mut changes: tokio::sync::watch::Receiver<u64>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while changes.changed().await.is_ok() {
            tokio::time::sleep(Duration::from_millis(500)).await;
            drop(changes.borrow_and_update());
            let job = graph_olap_control_plane::jobs::Job::Reconciliation;
            if let Err(e) = graph_olap_control_plane::jobs::run_recorded(&state, job).await {
                tracing::warn!(error = %e.message, "reconciliation after a pod change failed");
            }
        }
    })
}

/// How the platform runs once its state is built.
pub struct Serving {
    /// The started control plane.
    pub state: AppState,
    /// The bound listener.
    pub listener: tokio::net::TcpListener,
    /// Run an export worker in this process against this warehouse.
    pub embedded_worker: Option<Arc<dyn Warehouse>>,
    /// Stop every instance on exit (`up`: yes; `serve`: no — instances outlive a replica).
    pub stop_instances_on_exit: bool,
    /// File that receives the URL once serving (and is removed on exit).
    pub url_file: Option<PathBuf>,
}

/// Prefix of the id of the export worker that runs inside a control-plane process (followed by
/// the host name and the process id: in containers every replica's process id is 1, so the host
/// — the pod's name — tells the replicas' workers apart in job rows and logs).
pub const EMBEDDED_WORKER_PREFIX: &str = "embedded-";

/// Serves until Ctrl-C or SIGTERM, then shuts everything down in order while HTTP still
/// answers (instance servers report their stop to it): the export worker and the background
/// jobs, then — for `up` — the instances (parked so the next `up` starts them again), and
/// last the HTTP server.
pub async fn serve(serving: Serving) -> anyhow::Result<()> {
    let Serving {
        state,
        listener,
        embedded_worker,
        stop_instances_on_exit,
        url_file,
    } = serving;
    let url = format!("http://{}", listener.local_addr()?);
    if stop_instances_on_exit {
        let resumed = graph_olap_control_plane::services::instances::resume_parked(&state)
            .await
            .map_err(|e| anyhow::anyhow!("cannot resume instances: {}", e.message))?;
        if resumed > 0 {
            eprintln!("restarting {resumed} instance(s) from the previous run …");
        }
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = graph_olap_control_plane::jobs::spawn_scheduler(state.clone(), stop_rx.clone());
    let worker = embedded_worker.map(|warehouse| {
        let mut config = graph_olap_export::WorkerConfig::new(
            url.clone(),
            state.settings.internal_api_key.clone().unwrap_or_default(),
            warehouse,
        );
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "localhost".into());
        config.worker_id = format!("{EMBEDDED_WORKER_PREFIX}{host}-{}", std::process::id());
        config.wait_seconds = 5;
        let mut stop = stop_rx.clone();
        tokio::spawn(graph_olap_export::run(config, async move {
            let _ = stop.wait_for(|stop| *stop).await;
        }))
    });
    let stopping = state.clone();
    let server = axum::serve(listener, graph_olap_control_plane::app(state.clone()))
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            eprintln!("stopping: export worker and background jobs …");
            let _ = stop_tx.send(true);
            if let Some(worker) = worker {
                let _ = worker.await;
            }
            let _ = scheduler.await;
            if stop_instances_on_exit {
                stop_instances(&stopping).await;
            }
        });
    if let Some(path) = &url_file {
        std::fs::write(path, format!("{url}\n"))?;
    }
    let served = server.await;
    if let Some(path) = &url_file {
        let _ = std::fs::remove_file(path);
    }
    state.store.close().await;
    served?;
    eprintln!("graph-olap stopped");
    Ok(())
}

/// Parks every active instance and stops its server (and any unit the runtime still knows).
async fn stop_instances(state: &AppState) {
    let Some(runtime) = &state.runtime else {
        return;
    };
    match graph_olap_control_plane::services::instances::park_for_restart(state).await {
        Ok(units) if !units.is_empty() => eprintln!(
            "stopping {} instance(s); they start again with the next `graph-olap up` …",
            units.len()
        ),
        Ok(_) => {}
        Err(e) => eprintln!("could not record the instances as stopped: {}", e.message),
    }
    if let Err(e) = runtime.shutdown_all(Duration::from_secs(10)).await {
        eprintln!("some instances did not stop cleanly: {e}");
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
