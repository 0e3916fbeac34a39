//! Export throughput against DataFusion alone (not a timed test; run it by hand):
//!
//! ```sh
//! cargo bench -p graph-olap-export --bench export
//! ```
//!
//! Generates (once, cached) the demo warehouse at `EXPORT_BENCH_SCALE` (default 100), then for
//! every node and edge definition of the seeded mappings (`bank-graph`, `tutorial-customer-graph`)
//! measures
//!
//! - **export**: the worker's code path — `Warehouse::query` on the embedded DataFusion
//!   connector, the result-schema check, then `write_table_checked` (conform, data-quality
//!   checks, Parquet part files, SHA-256) into a local-directory object store;
//! - **datafusion**: the same SQL through a DataFusion `SessionContext` as
//!   `COPY (sql) TO 'file.parquet' STORED AS PARQUET` with the same compression (SNAPPY).
//!
//! Each is run `EXPORT_BENCH_RUNS` times (default 3) and the fastest run counts. The table
//! prints rows/s and MB/s (Parquet bytes written) of the export and the ratio
//! `datafusion time / export time` (1.0 = as fast as DataFusion alone; target ≥ 0.8).
//! `EXPORT_BENCH_WAREHOUSE` overrides where the generated warehouse is kept.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use graph_olap_api::export::{ColumnRole, JobColumn};
use graph_olap_api::{EdgeDefinition, NodeDefinition, PropertyType};
use graph_olap_export::{
    Checks, Progress, WriterOptions, check_result_schema, open_store, write_table_checked,
};
use graph_olap_warehouse::{DataFusionWarehouse, Warehouse};

struct Job {
    name: String,
    sql: String,
    columns: Vec<JobColumn>,
}

fn node_job(mapping: &str, node: &NodeDefinition) -> Job {
    let mut columns = vec![JobColumn {
        name: node.primary_key.name.clone(),
        ty: node.primary_key.ty,
        role: ColumnRole::PrimaryKey,
    }];
    columns.extend(node.properties.iter().map(|p| JobColumn {
        name: p.name.clone(),
        ty: p.ty,
        role: ColumnRole::Property,
    }));
    Job {
        name: format!("{mapping} nodes/{}", node.label),
        sql: node.sql.clone(),
        columns,
    }
}

fn edge_job(mapping: &str, edge: &EdgeDefinition, nodes: &[NodeDefinition]) -> Job {
    let key = |label: &str| -> PropertyType {
        nodes
            .iter()
            .find(|n| n.label == label)
            .map(|n| n.primary_key.ty)
            .expect("endpoint label")
    };
    let mut columns = vec![
        JobColumn {
            name: edge.from_key.clone(),
            ty: key(&edge.from_node),
            role: ColumnRole::FromKey,
        },
        JobColumn {
            name: edge.to_key.clone(),
            ty: key(&edge.to_node),
            role: ColumnRole::ToKey,
        },
    ];
    columns.extend(edge.properties.iter().map(|p| JobColumn {
        name: p.name.clone(),
        ty: p.ty,
        role: ColumnRole::Property,
    }));
    Job {
        name: format!("{mapping} edges/{}", edge.edge_type),
        sql: edge.sql.clone(),
        columns,
    }
}

fn jobs() -> Vec<Job> {
    let mut jobs = Vec::new();
    for (mapping, _, nodes, edges) in [
        graph_olap_demo::bank_mapping(),
        graph_olap_demo::tutorial_mapping(),
    ] {
        jobs.extend(nodes.iter().map(|n| node_job(&mapping, n)));
        jobs.extend(edges.iter().map(|e| edge_job(&mapping, e, &nodes)));
    }
    jobs
}

fn warehouse_dir(scale: u32) -> PathBuf {
    if let Ok(dir) = std::env::var("EXPORT_BENCH_WAREHOUSE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
    PathBuf::from(home)
        .join(".cache/graph-olap/export-bench")
        .join(format!("warehouse-s{scale}"))
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                total += entry.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    total
}

/// One export through the worker's path; returns (rows, bytes).
async fn export_once(warehouse: &DataFusionWarehouse, job: &Job, out: &Path) -> (u64, u64) {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).unwrap();
    let (store, prefix) =
        open_store(&format!("file://{}/", out.display()), &Default::default()).unwrap();
    let stream = warehouse.query(&job.sql).await.unwrap();
    check_result_schema(&stream.schema, &job.columns).unwrap();
    let progress = Progress::default();
    let output = write_table_checked(
        store,
        &prefix,
        &job.columns,
        stream.batches,
        &WriterOptions::parallel(),
        &Checks::default(),
        &progress,
    )
    .await
    .unwrap();
    (output.row_count, output.size_bytes)
}

/// The same SQL written by DataFusion alone.
async fn copy_once(warehouse: &DataFusionWarehouse, job: &Job, out: &Path) -> u64 {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).unwrap();
    let file = out.join("copy.parquet");
    let ctx = warehouse.session_context();
    let sql = format!(
        "COPY ({}) TO '{}' STORED AS PARQUET OPTIONS ('format.compression' 'snappy')",
        job.sql,
        file.display()
    );
    ctx.sql(&sql)
        .await
        .map_err(|e| e.to_string())
        .unwrap()
        .collect()
        .await
        .map_err(|e| e.to_string())
        .unwrap();
    dir_bytes(out)
}

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best: Option<(Duration, T)> = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let value = f();
        let took = start.elapsed();
        if best.as_ref().is_none_or(|(b, _)| took < *b) {
            best = Some((took, value));
        }
    }
    best.expect("at least one run")
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let scale: u32 = std::env::var("EXPORT_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let runs: usize = std::env::var("EXPORT_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let dir = warehouse_dir(scale);
    let started = Instant::now();
    let summary = match graph_olap_demo::existing(&dir).unwrap() {
        Some(summary) if summary.scale == scale => summary,
        _ => {
            let _ = std::fs::remove_dir_all(&dir);
            graph_olap_demo::generate(&dir, scale).unwrap()
        }
    };
    eprintln!(
        "demo warehouse scale {scale} at {} ({:.1} s)",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    for table in &summary.tables {
        eprintln!(
            "  {:<45} {:>10} rows",
            table.relative_path().display(),
            table.rows
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let warehouse = runtime.block_on(DataFusionWarehouse::open(&dir)).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    println!();
    println!("| job | rows | export s | rows/s | MB/s | DataFusion COPY s | ratio |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let (mut total_rows, mut total_bytes, mut total_export, mut total_copy) =
        (0u64, 0u64, 0f64, 0f64);
    for job in jobs() {
        let out = scratch.path().join(job.name.replace(['/', ' '], "_"));
        let (export_time, (rows, bytes)) = best(runs, || {
            runtime.block_on(export_once(&warehouse, &job, &out.join("worker")))
        });
        let (copy_time, _) = best(runs, || {
            runtime.block_on(copy_once(&warehouse, &job, &out.join("copy")))
        });
        let (e, c) = (export_time.as_secs_f64(), copy_time.as_secs_f64());
        total_rows += rows;
        total_bytes += bytes;
        total_export += e;
        total_copy += c;
        println!(
            "| {} | {} | {:.3} | {:.0} | {:.1} | {:.3} | {:.2} |",
            job.name,
            rows,
            e,
            rows as f64 / e,
            bytes as f64 / e / 1e6,
            c,
            c / e
        );
    }
    println!(
        "| **total** | {} | {:.3} | {:.0} | {:.1} | {:.3} | {:.2} |",
        total_rows,
        total_export,
        total_rows as f64 / total_export,
        total_bytes as f64 / total_export / 1e6,
        total_copy,
        total_copy / total_export
    );
}
