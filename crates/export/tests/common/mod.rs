//! Shared test fixtures: the demo warehouse, job columns from mapping definitions, and a Parquet
//! file checker.

#![allow(dead_code)]

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use graph_olap_api::export::{ColumnRole, ExportedFile, JobColumn};
use graph_olap_api::{EdgeDefinition, NodeDefinition, PropertyType};
use graph_olap_demo::DemoSummary;
use graph_olap_warehouse::DataFusionWarehouse;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Encoding};
use sha2::{Digest, Sha256};

/// A scale-1 demo warehouse in a temporary directory.
pub struct Demo {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// What was generated.
    pub summary: DemoSummary,
    /// DataFusion over it.
    pub warehouse: Arc<DataFusionWarehouse>,
}

/// Generates the demo warehouse (batches of `batch_size` rows).
pub async fn demo(batch_size: usize) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("warehouse");
    let summary = graph_olap_demo::generate(&root, 1).unwrap();
    let warehouse = Arc::new(
        DataFusionWarehouse::open_with_batch_size(&root, batch_size)
            .await
            .unwrap(),
    );
    Demo {
        dir,
        summary,
        warehouse,
    }
}

/// The bank mapping's node definition `label`.
pub fn bank_node(label: &str) -> NodeDefinition {
    graph_olap_demo::bank_mapping()
        .2
        .into_iter()
        .find(|n| n.label == label)
        .unwrap()
}

/// The bank mapping's edge definition `edge_type`.
pub fn bank_edge(edge_type: &str) -> EdgeDefinition {
    graph_olap_demo::bank_mapping()
        .3
        .into_iter()
        .find(|e| e.edge_type == edge_type)
        .unwrap()
}

/// Job columns of a node definition.
pub fn node_columns(node: &NodeDefinition) -> Vec<JobColumn> {
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
    columns
}

/// Job columns of an edge definition whose endpoints have keys of type `key`.
pub fn edge_columns(edge: &EdgeDefinition, key: PropertyType) -> Vec<JobColumn> {
    let mut columns = vec![
        JobColumn {
            name: edge.from_key.clone(),
            ty: key,
            role: ColumnRole::FromKey,
        },
        JobColumn {
            name: edge.to_key.clone(),
            ty: key,
            role: ColumnRole::ToKey,
        },
    ];
    columns.extend(edge.properties.iter().map(|p| JobColumn {
        name: p.name.clone(),
        ty: p.ty,
        role: ColumnRole::Property,
    }));
    columns
}

/// Checks one written file against what the job declared and what the writer reported:
/// size, SHA-256, row count, column names/types/order, SNAPPY everywhere, no dictionary on
/// key columns, row groups of at most `row_group_rows`. Returns the rows read back.
pub fn check_file(
    bytes: Bytes,
    reported: &ExportedFile,
    columns: &[JobColumn],
    expected_schema: &SchemaRef,
    row_group_rows: usize,
) -> usize {
    assert_eq!(
        bytes.len() as u64,
        reported.size_bytes,
        "{}: size",
        reported.path
    );
    let digest = hex::encode(Sha256::digest(&bytes));
    assert_eq!(Some(digest), reported.sha256, "{}: sha256", reported.path);
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap();
    assert_eq!(
        builder.schema().fields(),
        expected_schema.fields(),
        "{}: schema",
        reported.path
    );
    let metadata = Arc::clone(builder.metadata());
    let names: Vec<_> = metadata
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let declared: Vec<_> = columns.iter().map(|c| c.name.clone()).collect();
    assert_eq!(names, declared, "{}: column order", reported.path);
    for row_group in metadata.row_groups() {
        assert!(
            row_group.num_rows() as usize <= row_group_rows,
            "row group of {} rows",
            row_group.num_rows()
        );
        for (chunk, column) in row_group.columns().iter().zip(columns) {
            assert_eq!(
                chunk.compression(),
                Compression::SNAPPY,
                "{}: codec",
                column.name
            );
            let dictionary = chunk.dictionary_page_offset().is_some()
                || chunk
                    .encodings()
                    .any(|e| matches!(e, Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY));
            if column.role.is_key() {
                assert!(
                    !dictionary,
                    "key column '{}' is dictionary-encoded",
                    column.name
                );
            }
        }
    }
    let rows: usize = builder
        .build()
        .unwrap()
        .map(|b| b.unwrap().num_rows())
        .sum();
    assert_eq!(rows as u64, reported.row_count, "{}: rows", reported.path);
    rows
}

/// Rows generated for the demo table `table`.
pub fn demo_rows(demo: &Demo, table: &str) -> u64 {
    demo.summary.rows(table).unwrap()
}
