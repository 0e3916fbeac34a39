//! Helpers shared by the cli benchmarks: knobs from the environment, percentiles, the engine
//! alone loading a local snapshot exactly as an instance server does (the baseline every
//! instance figure is compared with) — in this process or a new one (`engine_child`) — and what
//! they read from `/proc` (`procfs`).

#![allow(dead_code)]

pub mod engine_child;
pub mod procfs;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_engine::{EdgeLoad, GraphEngine, NodeLoad, RyuConfig, RyuEngine};

/// The environment variable `name` parsed as `T`, else `default`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The middle element (upper median) of `v`.
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The `p` quantile (0..=1) of an already sorted, non-empty slice (nearest rank).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Milliseconds as a float.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The Parquet files of one table directory of a local snapshot.
pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|it| {
            it.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The loads of a local snapshot's tables (`nodes/<label>/`, `edges/<type>/`).
pub fn snapshot_loads(
    snapshot_dir: &Path,
    nodes: &[NodeDefinition],
    edges: &[EdgeDefinition],
) -> (Vec<NodeLoad>, Vec<EdgeLoad>) {
    let node_loads = nodes
        .iter()
        .map(|n| NodeLoad {
            definition: n.clone(),
            files: parquet_files(&snapshot_dir.join("nodes").join(&n.label)),
        })
        .collect();
    let edge_loads = edges
        .iter()
        .map(|e| EdgeLoad {
            definition: e.clone(),
            files: parquet_files(&snapshot_dir.join("edges").join(&e.edge_type)),
        })
        .collect();
    (node_loads, edge_loads)
}

/// The engine alone, configured as the instance server configures it for the same sizing: open,
/// create the schema, `COPY FROM` every table (what an instance server does after downloading).
/// Returns the elapsed time and the loaded engine.
pub fn engine_load(
    snapshot_dir: &Path,
    nodes: &[NodeDefinition],
    edges: &[EdgeDefinition],
    db: &Path,
    config: RyuConfig,
) -> (Duration, RyuEngine) {
    let _ = std::fs::remove_dir_all(db);
    let started = Instant::now();
    let engine = RyuEngine::open(db, config).expect("open engine");
    engine.create_schema(nodes, edges).expect("schema");
    let (node_loads, edge_loads) = snapshot_loads(snapshot_dir, nodes, edges);
    engine
        .load(&node_loads, &edge_loads, &mut |_| {})
        .expect("load");
    (started.elapsed(), engine)
}
