//! What the FalkorDB benchmarks share (feature `bench-support`, enabled by this crate's own
//! benchmarks and by the instance crate's engines benchmark): the demo warehouse's tables as
//! loads, and the plain-Redis bound a load is compared with.
//!
//! Not part of an instance: a benchmark panics on the first failure, so these helpers do too
//! (each panic message names what failed).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use arrow::util::display::{ArrayFormatter, FormatOptions};
use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_engine::{EdgeLoad, NodeLoad};

use crate::{Binaries, Server, ServerConfig};

/// The demo table a definition of the demo's `bank-graph` reads (its SQL's
/// `FROM demo.bank.<table>`), as a Parquet file of the warehouse in `warehouse`.
///
/// # Panics
/// When the SQL names no `demo.bank` table.
pub fn table_file(warehouse: &Path, sql: &str) -> PathBuf {
    let table = sql
        .rsplit("demo.bank.")
        .next()
        .and_then(|t| t.split_whitespace().next())
        .expect("a demo.bank table");
    warehouse.join("demo/bank").join(format!("{table}.parquet"))
}

/// The tables a mapping's definitions read from the demo warehouse in `warehouse`, as loads.
#[derive(Debug, Clone)]
pub struct DemoTables {
    /// One load per node definition, in definition order.
    pub nodes: Vec<NodeLoad>,
    /// One load per relationship definition, in definition order.
    pub edges: Vec<EdgeLoad>,
}

impl DemoTables {
    /// The loads of `nodes` and `edges` over the warehouse in `warehouse` (see [`table_file`]).
    pub fn new(warehouse: &Path, nodes: &[NodeDefinition], edges: &[EdgeDefinition]) -> Self {
        Self {
            nodes: nodes
                .iter()
                .map(|d| NodeLoad {
                    definition: d.clone(),
                    files: vec![table_file(warehouse, &d.sql)],
                })
                .collect(),
            edges: edges
                .iter()
                .map(|d| EdgeLoad {
                    definition: d.clone(),
                    files: vec![table_file(warehouse, &d.sql)],
                })
                .collect(),
        }
    }

    /// Every table as (label or relationship type, its file): what [`hset_bound`] writes.
    pub fn files(&self) -> Vec<(String, PathBuf)> {
        self.nodes
            .iter()
            .map(|n| (n.definition.label.clone(), n.files[0].clone()))
            .chain(
                self.edges
                    .iter()
                    .map(|e| (e.definition.edge_type.clone(), e.files[0].clone())),
            )
            .collect()
    }
}

/// The bound for a load: every row of `files` written as one plain Redis hash
/// (`HSET <table>:<row> <column> <value> …`, values as text), pipelined 1 000 deep as
/// `redis-benchmark -P 1000` does, into a fresh server working in `dir`. Returns the rows
/// written and the time taken (the server's start excluded).
///
/// # Panics
/// When the server does not start or a file cannot be read or written.
pub fn hset_bound(binaries: &Binaries, dir: &Path, files: &[(String, PathBuf)]) -> (u64, Duration) {
    let server = Server::start(&ServerConfig {
        binaries: binaries.clone(),
        dir: dir.to_path_buf(),
        threads: 2,
        max_memory_bytes: 0,
    })
    .expect("the bound's server starts");
    let mut c = server.connect().expect("connect to the bound's server");
    let options = FormatOptions::default();
    let started = Instant::now();
    let mut rows = 0u64;
    for (table, file) in files {
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            std::fs::File::open(file).expect("open the Parquet file"),
        )
        .and_then(|b| b.build())
        .expect("read the Parquet file");
        let mut pipeline: Vec<Vec<Vec<u8>>> = Vec::with_capacity(1000);
        for batch in reader {
            let batch = batch.expect("a Parquet batch");
            let schema = batch.schema();
            let formatters: Vec<ArrayFormatter> = batch
                .columns()
                .iter()
                .map(|a| ArrayFormatter::try_new(a.as_ref(), &options).expect("a formatter"))
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
