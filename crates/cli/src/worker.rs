//! `graph-olap worker`: a standalone export worker (any number of replicas) that talks only to
//! the control plane's internal API (API.md §9.2).

use anyhow::Context;
use clap::Args;

/// Arguments of `graph-olap worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Control plane base URL.
    #[arg(long, env = "GRAPH_OLAP_CONTROL_PLANE_URL")]
    pub control_plane_url: String,
    /// Warehouse the export SQL runs on (a directory, postgres://… or trino://…).
    #[arg(long, env = "GRAPH_OLAP_WAREHOUSE_URL")]
    pub warehouse_url: String,
    /// Worker id (default: host, pid and a random suffix).
    #[arg(long, env = "GRAPH_OLAP_WORKER_ID")]
    pub worker_id: Option<String>,
    /// Export jobs run in parallel.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
}

/// Runs the worker until Ctrl-C or SIGTERM, then lets running jobs finish (bounded grace).
pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let key = std::env::var("GRAPH_OLAP_INTERNAL_API_KEY")
        .context("GRAPH_OLAP_INTERNAL_API_KEY must hold the control plane's internal key")?;
    let warehouse = graph_olap_warehouse::connect(&args.warehouse_url)
        .await
        .context("cannot open the warehouse")?;
    let mut config = graph_olap_export::WorkerConfig::new(args.control_plane_url, key, warehouse);
    if let Some(id) = args.worker_id {
        config.worker_id = id;
    }
    config.concurrency = args.concurrency;
    tracing::info!(worker_id = %config.worker_id, "export worker started");
    let summary = graph_olap_export::run(config, crate::platform::shutdown_signal()).await;
    tracing::info!(?summary, "export worker stopped");
    Ok(())
}
