//! The Parquet writer against the embedded DataFusion warehouse and a real local directory.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use bytes::Bytes;
use futures::StreamExt;
use graph_olap_api::export::{JobColumn, WorkerErrorCode};
use graph_olap_api::{PropertyType, ScalarType};
use graph_olap_export::parquet_writer::output_schema;
use graph_olap_export::{
    ExportError, Progress, TableOutput, WriterOptions, open_store, write_table,
};
use graph_olap_storage::clear_prefix;
use graph_olap_warehouse::Warehouse;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

const INT64: PropertyType = PropertyType::Scalar(ScalarType::Int64);

/// Runs `sql` into `dir` with `options`.
async fn export(
    warehouse: &dyn Warehouse,
    sql: &str,
    columns: &[JobColumn],
    dir: &std::path::Path,
    options: &WriterOptions,
) -> (Arc<dyn ObjectStore>, Path, Result<TableOutput, ExportError>) {
    let (store, prefix) =
        open_store(&format!("file://{}/", dir.display()), &Default::default()).unwrap();
    let stream = warehouse.query(sql).await.unwrap();
    let progress = Progress::default();
    let result = write_table(
        Arc::clone(&store),
        &prefix,
        columns,
        stream.batches,
        options,
        &progress,
    )
    .await;
    if let Ok(output) = &result {
        assert_eq!(progress.snapshot().rows_written, output.row_count);
        assert_eq!(progress.snapshot().files_written, output.files.len() as u64);
    }
    (store, prefix, result)
}

/// Every entry of `dir` (recursively), as names relative to it.
fn entries(dir: &std::path::Path) -> Vec<String> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = read
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file under `dir`, recursively, staging files included.
fn part_files(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path)
            } else {
                found.push(path.display().to_string())
            }
        }
    }
    found
}

fn check_output(
    dir: &std::path::Path,
    output: &TableOutput,
    columns: &[JobColumn],
    row_group_rows: usize,
) -> usize {
    let schema = output_schema(columns);
    let expected_names: Vec<String> = (0..output.files.len())
        .map(|i| format!("part-{i:05}.parquet"))
        .collect();
    assert_eq!(
        entries(dir),
        expected_names,
        "only the part files, in order"
    );
    let mut rows = 0;
    for written in &output.files {
        let bytes = Bytes::from(std::fs::read(dir.join(&written.file.path)).unwrap());
        rows += common::check_file(bytes, &written.file, columns, &schema, row_group_rows);
    }
    assert_eq!(rows as u64, output.row_count);
    assert_eq!(
        output.files.iter().map(|f| f.file.size_bytes).sum::<u64>(),
        output.size_bytes
    );
    rows
}

#[tokio::test]
async fn node_export_follows_the_job_contract_and_rolls_by_rows() {
    let demo = common::demo(1000).await;
    let node = common::bank_node("Customer");
    let columns = common::node_columns(&node);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("alice/1/v1/7/nodes/Customer");
    let total = demo.summary.rows("customers").unwrap();
    let options = WriterOptions {
        row_group_rows: 700,
        max_file_rows: total / 3 + 1,
        ..WriterOptions::default()
    };
    let (_, _, result) = export(demo.warehouse.as_ref(), &node.sql, &columns, &dir, &options).await;
    let output = result.unwrap();
    assert_eq!(output.files.len(), 3, "{output:?}");
    assert!(
        output
            .files
            .iter()
            .all(|f| f.file.row_count <= total / 3 + 1)
    );
    assert_eq!(check_output(&dir, &output, &columns, 700) as u64, total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_part_files_hold_every_row_once_under_contiguous_names() {
    let demo = common::demo(100).await;
    let edge = common::bank_edge("TRANSFER");
    let columns = common::edge_columns(&edge, INT64);
    let out = tempfile::tempdir().unwrap();
    let options = WriterOptions {
        row_group_rows: 500,
        max_file_rows: 700,
        parallel_files: 3,
        ..WriterOptions::default()
    };
    let (_, _, result) = export(
        demo.warehouse.as_ref(),
        &edge.sql,
        &columns,
        out.path(),
        &options,
    )
    .await;
    let output = result.unwrap();
    let total = demo.summary.rows("transfers").unwrap();
    assert!(
        output.files.len() as u64 >= total / 700,
        "{} files",
        output.files.len()
    );
    assert_eq!(
        check_output(out.path(), &output, &columns, 500) as u64,
        total,
        "names part-00000… contiguous, rows add up"
    );
    // Every transfer exactly once across the files: the same multiset as the query's result.
    let tuples = |batch: &arrow::record_batch::RecordBatch| -> Vec<(i64, i64, i64)> {
        let col = |i: usize| {
            arrow::compute::cast(batch.column(i), &arrow::datatypes::DataType::Int64).unwrap()
        };
        let (from, to, ts) = (col(0), col(1), col(3));
        let (from, to, ts) = (
            from.as_any()
                .downcast_ref::<arrow::array::Int64Array>()
                .unwrap(),
            to.as_any()
                .downcast_ref::<arrow::array::Int64Array>()
                .unwrap(),
            ts.as_any()
                .downcast_ref::<arrow::array::Int64Array>()
                .unwrap(),
        );
        (0..batch.num_rows())
            .map(|r| (from.value(r), to.value(r), ts.value(r)))
            .collect()
    };
    let mut expected: Vec<(i64, i64, i64)> = Vec::new();
    for batch in demo
        .warehouse
        .query(&edge.sql)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap()
    {
        let batch = graph_olap_warehouse::conform_batch(
            &batch,
            &columns
                .iter()
                .map(|c| graph_olap_warehouse::ExpectedColumn::new(&c.name, c.ty))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        expected.extend(tuples(&batch));
    }
    let mut ids = Vec::new();
    for written in &output.files {
        let bytes = Bytes::from(std::fs::read(out.path().join(&written.file.path)).unwrap());
        for batch in parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes)
            .unwrap()
            .build()
            .unwrap()
        {
            ids.extend(tuples(&batch.unwrap()));
        }
    }
    ids.sort_unstable();
    expected.sort_unstable();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn edge_export_casts_to_declared_types_and_rolls_by_size() {
    let demo = common::demo(4096).await;
    let edge = common::bank_edge("TRANSFER");
    let columns = common::edge_columns(&edge, INT64);
    let out = tempfile::tempdir().unwrap();
    let options = WriterOptions {
        max_file_bytes: 64 * 1024,
        ..WriterOptions::default()
    };
    let (_, _, result) = export(
        demo.warehouse.as_ref(),
        &edge.sql,
        &columns,
        out.path(),
        &options,
    )
    .await;
    let output = result.unwrap();
    assert!(
        output.files.len() > 1,
        "a 64 KiB roll size gives several files: {output:?}"
    );
    let rows = check_output(
        out.path(),
        &output,
        &columns,
        WriterOptions::default().row_group_rows,
    );
    assert_eq!(rows as u64, demo.summary.rows("transfers").unwrap());
    let schema = output_schema(&columns);
    assert_eq!(
        schema.field(3).data_type(),
        &arrow::datatypes::DataType::Timestamp(
            arrow::datatypes::TimeUnit::Microsecond,
            Some("UTC".into())
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_export_stops_though_the_warehouse_stalls_and_leaves_no_file() {
    let demo = common::demo(100).await;
    let edge = common::bank_edge("TRANSFER");
    let columns = common::edge_columns(&edge, INT64);
    let out = tempfile::tempdir().unwrap();
    let (store, prefix) = open_store(
        &format!("file://{}/", out.path().display()),
        &Default::default(),
    )
    .unwrap();
    let options = WriterOptions {
        row_group_rows: 500,
        max_file_rows: 700,
        parallel_files: 3,
        ..WriterOptions::default()
    };
    // Every row, then a warehouse that neither delivers another batch nor ends.
    let drained = AtomicBool::new(false);
    let stream = demo.warehouse.query(&edge.sql).await.unwrap();
    let stalled = stream.batches.chain(futures::stream::poll_fn(|_| {
        drained.store(true, Ordering::SeqCst);
        Poll::Pending
    }));
    let progress = Progress::default();
    let abort_once_drained = async {
        while !drained.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(
            progress.snapshot().files_written > 0,
            "completed files exist when the abort comes"
        );
        progress.abort();
    };
    let write = write_table(store, &prefix, &columns, stalled, &options, &progress);
    let (result, ()) = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        tokio::join!(write, abort_once_drained)
    })
    .await
    .expect("the aborted export returns");
    assert!(matches!(result, Err(ExportError::Aborted)), "{result:?}");
    assert_eq!(
        part_files(out.path()),
        Vec::<String>::new(),
        "neither the completed part files nor the open ones (nor their staging files) remain"
    );
}

#[tokio::test]
async fn null_key_is_invalid_data_and_leaves_no_file() {
    let demo = common::demo(100).await;
    let node = common::bank_node("Customer");
    let columns = common::node_columns(&node)[..2].to_vec();
    let sql = "SELECT CASE WHEN customer_id % 97 = 5 THEN NULL ELSE customer_id END AS customer_id, name \
               FROM demo.bank.customers ORDER BY customer_id NULLS LAST";
    let out = tempfile::tempdir().unwrap();
    let options = WriterOptions {
        max_file_rows: 100,
        ..WriterOptions::default()
    };
    let (_, _, result) = export(demo.warehouse.as_ref(), sql, &columns, out.path(), &options).await;
    let error = result.unwrap_err();
    assert!(
        matches!(&error, ExportError::DataQuality { message, .. } if message.contains("primary key 'customer_id'")),
        "{error}"
    );
    // Every NULL is counted (customer ids 5, 102, 199, … up to 1000), not just the first batch's.
    let nulls = (1..=1000u64).filter(|id| id % 97 == 5).count() as u64;
    assert_eq!(
        error.quality().map(|q| (q.null_keys, q.rows_read)),
        Some((nulls, 1000))
    );
    assert_eq!(error.code(), WorkerErrorCode::InvalidData);
    assert!(!error.retryable());
    assert!(
        error.message().contains("'customer_id'"),
        "{}",
        error.message()
    );
    assert_eq!(
        part_files(out.path()),
        Vec::<String>::new(),
        "completed files of the failed export are deleted"
    );
}

#[tokio::test]
async fn uncastable_value_is_invalid_data_naming_the_column() {
    let demo = common::demo(1000).await;
    let columns = vec![JobColumn {
        name: "customer_id".into(),
        ty: INT64,
        role: graph_olap_api::export::ColumnRole::PrimaryKey,
    }];
    let sql = "SELECT name AS customer_id FROM demo.bank.customers";
    let out = tempfile::tempdir().unwrap();
    let (_, _, result) = export(
        demo.warehouse.as_ref(),
        sql,
        &columns,
        out.path(),
        &WriterOptions::default(),
    )
    .await;
    let error = result.unwrap_err();
    assert_eq!(error.code(), WorkerErrorCode::InvalidData, "{error}");
    assert!(error.to_string().contains("customer_id"), "{error}");
    assert_eq!(part_files(out.path()), Vec::<String>::new());
}

#[tokio::test]
async fn empty_result_writes_no_file() {
    let demo = common::demo(1000).await;
    let node = common::bank_node("Customer");
    let columns = common::node_columns(&node);
    let sql = format!("{} WHERE customer_id < 0", node.sql);
    let out = tempfile::tempdir().unwrap();
    let (_, _, result) = export(
        demo.warehouse.as_ref(),
        &sql,
        &columns,
        out.path(),
        &WriterOptions::default(),
    )
    .await;
    let output = result.unwrap();
    assert_eq!(
        (output.row_count, output.size_bytes, output.files.len()),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn clearing_the_prefix_removes_a_previous_attempt() {
    let out = tempfile::tempdir().unwrap();
    let (store, prefix) = open_store(out.path().to_str().unwrap(), &Default::default()).unwrap();
    for name in ["part-00000.parquet", "part-00007.parquet", "sub/x"] {
        store
            .put(
                &prefix.clone().join(name),
                PutPayload::from_static(b"stale"),
            )
            .await
            .unwrap();
    }
    // What a process killed in the middle of an upload leaves: the store's staging file, which
    // the store itself never lists.
    std::fs::create_dir_all(out.path().join("nodes")).unwrap();
    std::fs::write(out.path().join("nodes/part-00001.parquet#1"), b"half").unwrap();
    let sibling = tempfile::tempdir_in(out.path().parent().unwrap()).unwrap();
    std::fs::write(sibling.path().join("keep"), b"keep").unwrap();
    std::fs::write(sibling.path().join("part-00002.parquet#1"), b"keep").unwrap();
    assert_eq!(clear_prefix(&store, &prefix).await.unwrap(), 4);
    assert!(!out.path().join("nodes/part-00001.parquet#1").exists());
    assert!(
        sibling.path().join("part-00002.parquet#1").exists(),
        "outside the prefix"
    );
    assert!(
        entries(out.path()).iter().all(|e| !e.starts_with("part-")),
        "{:?}",
        entries(out.path())
    );
    assert!(sibling.path().join("keep").exists());
    assert_eq!(clear_prefix(&store, &prefix).await.unwrap(), 0);
}
