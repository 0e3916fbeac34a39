//! The startup sequence of an instance server (API.md §10.1): report `starting`, fetch the
//! bootstrap, download and verify the snapshot, create the schema, load nodes then edges, check
//! row counts, then report `running` with graph statistics.
//!
//! Owns: the order of those steps, the choice of engine by the bootstrap's `wrapper_type`,
//! progress reporting (phases `downloading`, `loading_schema`,
//! `loading_data`, one step per table) and the mapping of failures to instance error codes.
//! Does not own: the individual mechanisms (control-plane client, snapshot fetch, engine).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use graph_olap_api::instance::{
    GraphStats, ProgressReport, ProgressStep, ReportedStatus, StatusReport,
};
use graph_olap_engine::{EngineError, GraphEngine, LoadEvent, RyuConfig, RyuEngine};
use graph_olap_falkordb::{FalkorConfig, FalkorEngine};
use graph_olap_server_kit::InternalApiError;

use crate::state::{AppState, Phase};

/// A failed startup, reported to the control plane as `failed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct StartupFailure {
    /// Instance error code (§1.13).
    pub code: &'static str,
    /// One sentence.
    pub message: String,
}

fn fail(code: &'static str, message: impl Into<String>) -> StartupFailure {
    StartupFailure {
        code,
        message: message.into(),
    }
}

struct Progress {
    phase: String,
    steps: Vec<ProgressStep>,
}

impl Progress {
    fn step(&mut self, name: &str) -> Option<&mut ProgressStep> {
        self.steps.iter_mut().find(|s| s.name == name)
    }

    fn report(&self) -> ProgressReport {
        ProgressReport {
            phase: self.phase.clone(),
            current_step: self
                .steps
                .iter()
                .find(|s| s.status == "in_progress")
                .map(|s| s.name.clone()),
            steps: self.steps.clone(),
            estimated_remaining_seconds: None,
        }
    }
}

/// Least time between two progress reports: a fast load sends only its first (its last travels
/// with the `running` report), a slow one keeps the control plane informed without spending its
/// cores on reporting.
const REPORT_INTERVAL: Duration = Duration::from_millis(250);

/// Sends progress reports in the background so that loading never waits for the control plane,
/// at most one per [`REPORT_INTERVAL`]; reports published in between collapse into the newest
/// (each carries every step, so nothing is lost). The last one travels with the `running` report
/// instead ([`Reporter::close`]), saving a round trip on the way to `running`.
struct Reporter {
    tx: tokio::sync::mpsc::UnboundedSender<Publish>,
    task: tokio::task::JoinHandle<()>,
}

/// What the startup hands the [`Reporter`].
enum Publish {
    /// A newer progress report (replaces any not yet sent).
    Report(ProgressReport),
    /// Drop what is not yet sent and stop: its successor goes with the status report.
    Close,
}

impl Reporter {
    fn start(state: Arc<AppState>) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Publish>();
        let task = tokio::spawn(async move {
            // A dropped reporter (a failed startup) still sends its newest report; a closed one
            // does not.
            let mut latest: Option<ProgressReport> = None;
            let mut open = true;
            while open || latest.is_some() {
                if latest.is_none() {
                    match rx.recv().await {
                        Some(Publish::Report(report)) => latest = Some(report),
                        Some(Publish::Close) | None => return,
                    }
                }
                while let Ok(newer) = rx.try_recv() {
                    match newer {
                        Publish::Report(report) => latest = Some(report),
                        Publish::Close => return,
                    }
                }
                if let Some(report) = latest.take()
                    && let Err(e) = state.control_plane.report_progress(&report).await
                {
                    tracing::warn!(error = %e, "progress report failed");
                }
                // Until the interval has passed only collect; a dropped or closed reporter ends
                // the wait.
                let until = tokio::time::Instant::now() + REPORT_INTERVAL;
                loop {
                    match tokio::time::timeout_at(until, rx.recv()).await {
                        Ok(Some(Publish::Report(report))) => latest = Some(report),
                        Ok(Some(Publish::Close)) => return,
                        Ok(None) => {
                            open = false;
                            break;
                        }
                        Err(_) => break,
                    }
                }
            }
        });
        Self { tx, task }
    }

    fn publish(&self, progress: &Progress) {
        let _ = self.tx.send(Publish::Report(progress.report()));
    }

    /// Returns once a report already on its way has arrived; reports not yet sent are dropped
    /// (the caller sends the final progress itself, with its status report), so no older report
    /// can land after it.
    async fn close(self) {
        let _ = self.tx.send(Publish::Close);
        let _ = self.task.await;
    }
}

fn pending(name: String, kind: Option<&str>) -> ProgressStep {
    ProgressStep {
        name,
        status: "pending".into(),
        step_type: kind.map(str::to_string),
        row_count: None,
        started_at: None,
        completed_at: None,
    }
}

/// What an instance knows of the graph it will hold before loading it: the bootstrap's row
/// counts, summed over labels and edge types. Pre-staged snapshots carry no counts (`None` where
/// it is taken).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GraphSize {
    /// Nodes over all labels.
    pub nodes: u64,
    /// Edges over all types (dangling ones included: they are read before they are dropped).
    pub edges: u64,
}

impl GraphSize {
    /// The size the bootstrap announces, `None` for a pre-staged snapshot (no counts).
    pub fn of(boot: &graph_olap_api::instance::InstanceBootstrap) -> Option<GraphSize> {
        let nodes = boot.node_counts.as_ref()?.values().sum();
        let edges = boot
            .edge_counts
            .as_ref()
            .map_or(0, |counts| counts.values().sum());
        Some(GraphSize { nodes, edges })
    }
}

/// Least buffer pool of an instance whose graph is known (see [`engine_config`]).
pub const BUFFER_POOL_FLOOR: u64 = 512 << 20;

/// Buffer pool granted per node or edge of a known graph: far above what a row takes once loaded
/// (key index, columns and adjacency in both directions are tens of bytes for the demo graphs),
/// so that wide rows, query intermediates and written-back algorithm results fit.
pub const BUFFER_POOL_BYTES_PER_ROW: u64 = 16 << 10;

/// The engine configuration of an instance with `cpu_cores` and `memory_gb` (its sizing) that
/// will hold `graph`.
///
/// The engine's threads follow the unit's CPU *limit*, which API.md §5 sets at twice its
/// `cpu_cores` (requests = N, limits = 2N), capped at the cores this machine has: a bulk load is a
/// burst that may use the limit. At least two reader connections serve queries.
///
/// The graph lives in the buffer pool (an in-memory database), which may use three quarters of
/// `memory_gb`; the rest is for the server, query results and algorithms. The pool is a cap, not
/// an allocation, but the engine keeps an eviction queue of 8 bytes per 4 KiB page of it from the
/// start (4.6 MB for a 3 GB unit, a sixth of what an idle small instance otherwise holds), so a
/// known graph gets [`BUFFER_POOL_BYTES_PER_ROW`] per row, at least [`BUFFER_POOL_FLOOR`], never
/// more than the unit allows: small graphs get a small pool, large ones the unit's share as before.
/// An unknown graph (pre-staged snapshot) gets the unit's share.
pub fn engine_config(
    cpu_cores: u32,
    memory_gb: Option<u32>,
    graph: Option<GraphSize>,
) -> RyuConfig {
    let cores = cpu_cores.max(1);
    let machine = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let unit_share = memory_gb.map(|gb| u64::from(gb) * (3 << 30) / 4);
    let for_graph = graph.map(|g| {
        g.nodes
            .saturating_add(g.edges)
            .saturating_mul(BUFFER_POOL_BYTES_PER_ROW)
            .max(BUFFER_POOL_FLOOR)
    });
    let buffer_pool_bytes = match (for_graph, unit_share) {
        (Some(graph), Some(unit)) => graph.min(unit),
        (Some(graph), None) => graph,
        (None, Some(unit)) => unit,
        (None, None) => 0,
    };
    RyuConfig {
        readers: usize::try_from(cores).unwrap_or(1).max(2),
        threads_per_query: (2 * u64::from(cores)).min(machine),
        buffer_pool_bytes,
        ..RyuConfig::default()
    }
}

/// The FalkorDB configuration of an instance with `cpu_cores` and `memory_gb`: worker threads
/// follow the CPU limit as for Ryugraph (twice `cpu_cores`, capped at the machine's cores); the
/// server may use three quarters of `memory_gb` (FalkorDB holds the whole graph in memory, so a
/// graph too large fails the load with an out-of-memory error instead of the unit being killed).
pub fn falkor_config(cpu_cores: u32, memory_gb: Option<u32>) -> FalkorConfig {
    let cores = cpu_cores.max(1);
    let machine = std::thread::available_parallelism().map_or(1, |n| n.get());
    FalkorConfig {
        threads: (2 * usize::try_from(cores).unwrap_or(1))
            .min(machine)
            .max(1),
        max_memory_bytes: memory_gb.map_or(0, |gb| u64::from(gb) * (3 << 30) / 4),
        ..FalkorConfig::default()
    }
}

/// The engines an instance can load into, by `wrapper_type`.
pub const WRAPPER_TYPES: [&str; 2] = ["ryugraph", "falkordb"];

/// Opens the engine `wrapper_type` names in `dir` (emptied first), sized for the unit and for
/// `graph` (see [`engine_config`]).
pub fn open_engine(
    wrapper_type: &str,
    dir: &std::path::Path,
    cpu_cores: u32,
    memory_gb: Option<u32>,
    graph: Option<GraphSize>,
) -> Result<Arc<dyn GraphEngine>, EngineError> {
    let _ = std::fs::remove_dir_all(dir);
    Ok(match wrapper_type {
        "falkordb" => Arc::new(FalkorEngine::open(
            dir,
            falkor_config(cpu_cores, memory_gb),
        )?),
        _ => Arc::new(RyuEngine::open(
            dir,
            engine_config(cpu_cores, memory_gb, graph),
        )?),
    })
}

/// Runs the whole sequence; on success the state is `Running` and the control plane knows.
pub async fn start(state: Arc<AppState>) -> Result<(), StartupFailure> {
    let began = std::time::Instant::now();
    let elapsed_ms = move || began.elapsed().as_millis() as u64;
    tracing::info!(instance_id = state.config.instance_id, "startup began");
    let cp = &state.control_plane;
    let starting = StatusReport {
        status: ReportedStatus::Starting,
        pod_name: state.config.pod_name.clone(),
        internal_url: state.config.internal_url.clone(),
        graph_stats: None,
        error_code: None,
        error_message: None,
        stack_trace: None,
        progress: None,
    };
    // The bootstrap is a read: fetch it while the `starting` report is on its way.
    let (ack, boot) = tokio::join!(cp.report_status(&starting), cp.bootstrap());
    let ack = ack.map_err(|e| fail("STARTUP_FAILED", e.to_string()))?;
    if ack.desired_state == graph_olap_api::instance::DesiredState::Stop {
        state.request_shutdown();
        return Err(fail(
            "STARTUP_FAILED",
            "the control plane asked the instance to stop",
        ));
    }
    let boot = boot.map_err(|e| fail("MAPPING_FETCH_ERROR", e.to_string()))?;
    let boot = state.boot.get_or_init(|| boot).clone();
    tracing::info!(
        elapsed_ms = elapsed_ms(),
        snapshot_id = boot.snapshot_id,
        "bootstrap received"
    );
    state.set_phase(Phase::Loading);

    let mut progress = Progress {
        phase: "downloading".into(),
        steps: vec![pending("download".into(), None)],
    };
    for n in &boot.node_definitions {
        progress
            .steps
            .push(pending(format!("load:{}", n.label), Some("node")));
    }
    for e in &boot.edge_definitions {
        progress
            .steps
            .push(pending(format!("load:{}", e.edge_type), Some("edge")));
    }
    if let Some(s) = progress.step("download") {
        s.status = "in_progress".into();
        s.started_at = Some(Utc::now());
    }
    let reporter = Reporter::start(Arc::clone(&state));
    reporter.publish(&progress);

    // The engine and its schema need only the bootstrap: build them while the files download.
    let db_dir = state.config.data_dir.join("db");
    let wrapper_type = boot.wrapper_type.to_ascii_lowercase();
    if !WRAPPER_TYPES.contains(&wrapper_type.as_str()) {
        return Err(fail(
            "STARTUP_FAILED",
            format!(
                "unknown wrapper_type {:?}: this server runs {}",
                boot.wrapper_type,
                WRAPPER_TYPES.join(" or ")
            ),
        ));
    }
    let (cpu_cores, memory_gb, graph) = (boot.cpu_cores, boot.memory_gb, GraphSize::of(&boot));
    let nodes = boot.node_definitions.clone();
    let edges = boot.edge_definitions.clone();
    let schema =
        tokio::task::spawn_blocking(move || -> Result<Arc<dyn GraphEngine>, EngineError> {
            let engine = open_engine(&wrapper_type, &db_dir, cpu_cores, memory_gb, graph)?;
            engine.create_schema(&nodes, &edges)?;
            tracing::info!(elapsed_ms = elapsed_ms(), "schema created");
            Ok(engine)
        });

    let snapshot_dir = state.config.data_dir.join("snapshot");
    let local = crate::snapshot::fetch(&boot, &snapshot_dir, |path, bytes| {
        tracing::debug!(path, bytes, "downloaded");
    })
    .await
    .map_err(|e| fail("DATA_LOAD_ERROR", e.to_string()))?;
    tracing::info!(
        elapsed_ms = elapsed_ms(),
        files = local.files,
        bytes = local.bytes,
        "snapshot downloaded and verified"
    );
    if let Some(s) = progress.step("download") {
        s.status = "completed".into();
        s.completed_at = Some(Utc::now());
    }
    progress.phase = "loading_schema".into();
    reporter.publish(&progress);
    let engine = schema
        .await
        .map_err(|e| fail("SCHEMA_CREATE_ERROR", e.to_string()))?
        .map_err(|e| fail("SCHEMA_CREATE_ERROR", e.to_string()))?;

    progress.phase = "loading_data".into();
    reporter.publish(&progress);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<LoadEvent>();
    let loader = Arc::clone(&engine);
    let load = tokio::task::spawn_blocking(move || {
        let mut on_event = |e: LoadEvent| {
            let _ = tx.send(e);
        };
        loader.load(&local.nodes, &local.edges, &mut on_event)
    });
    while let Some(event) = rx.recv().await {
        match event {
            LoadEvent::TableStarted { name, .. } => {
                if let Some(s) = progress.step(&format!("load:{name}")) {
                    s.status = "in_progress".into();
                    s.started_at = Some(Utc::now());
                }
            }
            LoadEvent::TableLoaded { name, rows, .. } => {
                tracing::info!(elapsed_ms = elapsed_ms(), table = %name, rows, "table loaded");
                if let Some(s) = progress.step(&format!("load:{name}")) {
                    s.status = "completed".into();
                    s.row_count = Some(rows);
                    s.completed_at = Some(Utc::now());
                }
            }
        }
        reporter.publish(&progress);
    }
    let report = load
        .await
        .map_err(|e| fail("DATA_LOAD_ERROR", e.to_string()))?
        .map_err(|e| fail("DATA_LOAD_ERROR", e.to_string()))?;

    if let Some(expected) = &boot.node_counts {
        for (label, count) in &report.node_counts {
            if let Some(want) = expected.get(label)
                && want != count
            {
                return Err(fail(
                    "DATA_LOAD_ERROR",
                    format!("label {label}: loaded {count} nodes, the snapshot has {want}"),
                ));
            }
        }
    }
    if let Some(expected) = &boot.edge_counts {
        for (edge_type, count) in &report.edge_counts {
            let dangling = report.dangling_edges.get(edge_type).copied().unwrap_or(0);
            if let Some(want) = expected.get(edge_type)
                && *want != count + dangling
            {
                return Err(fail(
                    "DATA_LOAD_ERROR",
                    format!(
                        "edge type {edge_type}: loaded {count} + {dangling} dangling, the snapshot has {want}"
                    ),
                ));
            }
        }
    }
    let stats = GraphStats {
        node_count: report.node_counts.values().sum(),
        edge_count: report.edge_counts.values().sum(),
        node_counts: report.node_counts.clone(),
        edge_counts: report.edge_counts.clone(),
        dangling_edges: report.dangling_edges.values().sum(),
    };
    let _ = state.engine.set(engine);
    let _ = state.stats.set(stats.clone());
    state.set_phase(Phase::Running);
    progress.phase = "ready".into();
    reporter.close().await;
    tracing::info!(elapsed_ms = elapsed_ms(), "graph loaded; reporting running");
    graph_olap_server_kit::crash_point(graph_olap_server_kit::crash::steps::INSTANCE_GRAPH_LOADED);

    let running = StatusReport {
        status: ReportedStatus::Running,
        graph_stats: Some(stats),
        progress: Some(progress.report()),
        ..starting
    };
    for _ in 0..60 {
        match cp.report_status(&running).await {
            Ok(ack) => {
                tracing::info!(elapsed_ms = elapsed_ms(), "running");
                if ack.desired_state == graph_olap_api::instance::DesiredState::Stop {
                    state.request_shutdown();
                }
                return Ok(());
            }
            Err(InternalApiError::Api {
                status: 409,
                reason,
                ..
            }) if reason.as_deref() == Some("not_ready") => {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "the control plane refused the running report; shutting down");
                state.request_shutdown();
                return Ok(());
            }
        }
    }
    state.request_shutdown();
    Err(fail(
        "STARTUP_TIMEOUT",
        "the control plane never accepted the running report",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    fn graph(nodes: u64, edges: u64) -> Option<GraphSize> {
        Some(GraphSize { nodes, edges })
    }

    #[test]
    fn a_small_graph_gets_the_floor_not_the_units_share() {
        let config = engine_config(1, Some(3), graph(1_000, 2_000));
        assert_eq!(config.buffer_pool_bytes, BUFFER_POOL_FLOOR);
    }

    #[test]
    fn a_medium_graph_gets_its_allowance_per_row() {
        let config = engine_config(1, Some(8), graph(40_000, 60_000));
        assert_eq!(
            config.buffer_pool_bytes,
            100_000 * BUFFER_POOL_BYTES_PER_ROW
        );
    }

    #[test]
    fn a_large_graph_is_capped_at_three_quarters_of_the_unit() {
        let config = engine_config(2, Some(8), graph(500_000, 1_000_000));
        assert_eq!(config.buffer_pool_bytes, 6 * GIB);
    }

    #[test]
    fn an_unknown_graph_gets_the_units_share_or_the_engine_default() {
        assert_eq!(engine_config(1, Some(4), None).buffer_pool_bytes, 3 * GIB);
        assert_eq!(engine_config(1, None, None).buffer_pool_bytes, 0);
        assert_eq!(
            engine_config(1, None, graph(10, 10)).buffer_pool_bytes,
            BUFFER_POOL_FLOOR
        );
    }

    #[test]
    fn the_size_comes_from_the_bootstraps_counts() {
        let boot: graph_olap_api::instance::InstanceBootstrap =
            serde_json::from_value(serde_json::json!({
                "instance_id": 1, "owner_username": "a", "snapshot_id": 1, "mapping_id": 1,
                "mapping_version": 1, "storage_path": "file:///x/", "node_definitions": [],
                "node_counts": {"Customer": 10, "Account": 5}, "edge_counts": {"HOLDS": 7}
            }))
            .unwrap();
        assert_eq!(GraphSize::of(&boot), graph(15, 7));
        let prestaged = graph_olap_api::instance::InstanceBootstrap {
            node_counts: None,
            ..boot
        };
        assert_eq!(GraphSize::of(&prestaged), None);
    }
}
