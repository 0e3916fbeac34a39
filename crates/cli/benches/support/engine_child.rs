//! The engine alone loading a local snapshot in a new process — what every instance, being a
//! new process, pays without the platform around it: the benchmark binary re-runs itself with a
//! job in the environment, the child loads once, prints its load time and peak memory, and
//! exits.
//!
//! Owns the job's shape and the parent/child protocol. Does not own the load itself
//! ([`super::engine_load`]) nor the engine's configuration (`engine_config`, the instance's).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_instance::startup::{GraphSize, engine_config};

use graph_olap_engine::RyuEngine;

use super::procfs::rss_and_peak_kb;
use super::{engine_load, snapshot_loads};

/// Environment variable that turns a benchmark binary into the engine-alone child: its value is
/// a JSON [`EngineJob`].
const ENGINE_CHILD: &str = "GRAPH_OLAP_BENCH_ENGINE_JOB";

/// One engine load in a child process, sized as the instance was.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EngineJob {
    /// The local snapshot directory (`nodes/<label>/*.parquet`, `edges/<type>/*.parquet`).
    pub snapshot_dir: PathBuf,
    /// The mapping version's node definitions.
    pub nodes: Vec<NodeDefinition>,
    /// The mapping version's edge definitions.
    pub edges: Vec<EdgeDefinition>,
    /// The engine's database path (removed first).
    pub db: PathBuf,
    /// The instance's `cpu_cores`.
    pub cpu_cores: u32,
    /// The instance's `memory_gb`.
    pub memory_gb: Option<u32>,
    /// The snapshot's row counts.
    pub graph: Option<GraphSize>,
    /// What the child does with the files.
    #[serde(default)]
    pub mode: LoadMode,
}

/// How the engine-alone child fills the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LoadMode {
    /// The instance's load (`GraphEngine::load`: inspection, copies, counts, ids).
    #[default]
    AsInstance,
    /// The engine's plain job: one `COPY FROM` per table, nothing else.
    CopyOnly,
    /// [`LoadMode::CopyOnly`] with a one-row primer per large relationship table.
    CopyPrimed,
}

/// What the child reported.
#[derive(Debug, Clone, Copy)]
pub struct FreshLoad {
    /// From spawn to the child's report.
    pub elapsed: Duration,
    /// The child's load alone, as it timed itself.
    pub load: Duration,
    /// The child's peak resident memory (`VmHWM`) once loaded, KiB.
    pub peak_kb: u64,
}

/// A benchmark's `main`: the engine-alone child's job if this process was started as one, else
/// `run` on a new tokio runtime.
pub fn bench_main<F: std::future::Future<Output = ()>>(run: impl FnOnce() -> F) {
    if run_engine_child_if_asked() {
        return;
    }
    tokio::runtime::Runtime::new()
        .expect("tokio runtime")
        .block_on(run());
}

/// If this process was started as the engine-alone child, runs its job, prints
/// `loaded <load ms> <peak KiB>` and returns `true` (the caller then exits); else `false`.
pub fn run_engine_child_if_asked() -> bool {
    let Ok(job) = std::env::var(ENGINE_CHILD) else {
        return false;
    };
    let job: EngineJob = serde_json::from_str(&job).expect("engine job");
    let config = engine_config(job.cpu_cores, job.memory_gb, job.graph);
    let load = match job.mode {
        LoadMode::AsInstance => {
            engine_load(&job.snapshot_dir, &job.nodes, &job.edges, &job.db, config).0
        }
        LoadMode::CopyOnly | LoadMode::CopyPrimed => {
            let (nodes, edges) = snapshot_loads(&job.snapshot_dir, &job.nodes, &job.edges);
            let _ = std::fs::remove_dir_all(&job.db);
            let started = Instant::now();
            let engine = RyuEngine::open(&job.db, config).expect("open engine");
            engine
                .copy_only(&nodes, &edges, job.mode == LoadMode::CopyPrimed)
                .expect("copy");
            started.elapsed()
        }
    };
    let peak_kb = rss_and_peak_kb(std::process::id()).map_or(0, |(_, peak)| peak);
    println!("loaded {} {peak_kb}", load.as_millis());
    let _ = std::fs::remove_dir_all(&job.db);
    true
}

/// Runs `job` in a new process of this binary, timed from spawn to its report; `Err` with what
/// happened when the child fails (e.g. it ran out of memory).
pub fn engine_load_fresh_process(job: &EngineJob) -> Result<FreshLoad, String> {
    use std::io::BufRead;
    let started = Instant::now();
    let mut child = std::process::Command::new(std::env::current_exe().expect("own path"))
        .env(ENGINE_CHILD, serde_json::to_string(job).expect("job"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn the engine child: {e}"))?;
    let mut line = String::new();
    let read = std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
    let elapsed = started.elapsed();
    let status = child.wait();
    let fields: Vec<u64> = line
        .strip_prefix("loaded ")
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    match (read, fields.as_slice()) {
        (Ok(_), [load_ms, peak_kb]) => Ok(FreshLoad {
            elapsed,
            load: Duration::from_millis(*load_ms),
            peak_kb: *peak_kb,
        }),
        _ => Err(format!(
            "the engine-alone child failed ({status:?}) after {:.1} s",
            elapsed.as_secs_f64()
        )),
    }
}
