//! `graph-olap instance`: one instance server (API.md §10), started by a runtime with its
//! instance id and address; the control-plane URL and the internal key come from the
//! environment so they never appear on the command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

/// Arguments of `graph-olap instance`.
#[derive(Debug, Args)]
pub struct InstanceArgs {
    /// Instance id in the control plane.
    #[arg(long, env = "GRAPH_OLAP_INSTANCE_ID")]
    pub instance_id: i64,
    /// Address to serve the instance API on.
    #[arg(long, default_value = "0.0.0.0:8000")]
    pub listen: std::net::SocketAddr,
    /// URL the control plane should use to reach this server.
    #[arg(long)]
    pub internal_url: Option<String>,
    /// Control plane base URL.
    #[arg(long, env = "GRAPH_OLAP_CONTROL_PLANE_URL")]
    pub control_plane_url: String,
    /// Working directory for downloaded snapshot files and the graph database (default: a
    /// directory under the system temp dir, removed on exit).
    #[arg(long, env = "GRAPH_OLAP_INSTANCE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Runtime unit name to report.
    #[arg(long, env = "GRAPH_OLAP_POD_NAME")]
    pub pod_name: Option<String>,
}

/// Most tokio worker threads of an instance server: its async side only parses requests and
/// writes responses (queries, loads and algorithms run on the engine's own threads and the
/// blocking pool), so two are enough however many cores the machine has; the default, one per
/// core, would give every instance on a large machine dozens of idle threads.
pub fn worker_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(2))
}

/// Caps glibc's malloc arenas ([`graph_olap_runtime::MALLOC_ARENA_MAX`]) by re-executing this
/// process (same pid, same arguments) with the variable set, unless it or `GLIBC_TUNABLES` is
/// already set — as the runtimes set it, so only a server started by hand pays the second
/// process start.
///
/// glibc gives each thread that allocates its own arena, up to eight per core, and an arena
/// keeps what was freed in it: an idle tutorial-size instance held 19 MB in arenas after its
/// load, 6.5 MB less with two (measured, `docs/decisions.md`). glibc reads the setting only at
/// process start and the workspace forbids the `unsafe` a `mallopt` call needs, hence the
/// re-execution. Returns when nothing is to be done or the re-execution failed (then the
/// server runs with glibc's defaults).
pub fn cap_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        let (name, arenas) = graph_olap_runtime::MALLOC_ARENA_MAX;
        if std::env::var_os(name).is_some() || std::env::var_os("GLIBC_TUNABLES").is_some() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let error = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env(name, arenas)
            .exec();
        eprintln!(
            "could not re-execute with {name}={arenas} ({error}); running with glibc's default malloc arenas"
        );
    }
}

/// Runs the instance server until it is told to stop or receives SIGTERM.
pub async fn run(args: InstanceArgs) -> anyhow::Result<()> {
    let internal_api_key = std::env::var("GRAPH_OLAP_INTERNAL_API_KEY")
        .context("GRAPH_OLAP_INTERNAL_API_KEY must hold the control plane's internal key")?;
    let (data_dir, temporary) = match args.data_dir {
        Some(dir) => (dir, false),
        None => (
            std::env::temp_dir().join(format!(
                "graph-olap-instance-{}-{}",
                args.instance_id,
                std::process::id()
            )),
            true,
        ),
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let config = graph_olap_instance::InstanceConfig {
        instance_id: args.instance_id,
        control_plane_url: args.control_plane_url,
        internal_api_key,
        listen: args.listen,
        data_dir: data_dir.clone(),
        pod_name: args.pod_name,
        internal_url: args.internal_url,
        metrics_interval: std::time::Duration::from_secs(60),
    };
    let result = graph_olap_instance::run(config).await;
    if temporary {
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    result.map_err(|e| anyhow::anyhow!("instance server failed: {e}"))
}
