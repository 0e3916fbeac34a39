//! The Parquet writer against a real S3-compatible server: moto's server mode, started by the test.
//!
//! Needs `python3 -m pip install 'moto[server]'`. If moto cannot be started the test fails (it
//! never skips), saying so.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use graph_olap_api::export::{ColumnRole, JobColumn, WorkerErrorCode};
use graph_olap_api::{PropertyType, ScalarType};
use graph_olap_export::parquet_writer::{MIN_UPLOAD_PART_BYTES, output_schema};
use graph_olap_export::{
    ExportError, Progress, StorageOptions, WriterOptions, open_store, write_table,
};
use graph_olap_storage::clear_prefix;
use graph_olap_warehouse::Warehouse;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// A moto server on a free loopback port, killed on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_moto() -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start moto (python3 -m moto.server): {e}; install it with `python3 -m pip install 'moto[server]'`"));
    let mut moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(response) = client.get(&moto.endpoint).send().await
            && response.status().is_success()
        {
            return moto;
        }
        if let Ok(Some(status)) = moto.child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = moto.child.stderr.take() {
                use std::io::Read;
                let _ = pipe.read_to_string(&mut stderr);
            }
            panic!(
                "moto exited ({status}) instead of serving; install it with `python3 -m pip install 'moto[server]'`.\n{stderr}"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "moto did not answer on {} within 60 s",
            moto.endpoint
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn create_bucket(moto: &Moto, bucket: &str) {
    let response = reqwest::Client::new()
        .put(format!("{}/{bucket}", moto.endpoint))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "creating bucket: {}",
        response.status()
    );
}

fn options(moto: &Moto) -> StorageOptions {
    StorageOptions::default()
        .with("aws_endpoint_url", &moto.endpoint)
        .with("aws_access_key_id", "test")
        .with("aws_secret_access_key", "test")
        .with("aws_region", "us-east-1")
}

async fn objects(store: &Arc<dyn ObjectStore>, prefix: &Path) -> Vec<String> {
    let mut names: Vec<String> = store
        .list(Some(prefix))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    names.sort();
    names
}

#[tokio::test]
async fn exports_to_s3_and_cleans_up_on_error() {
    let moto = start_moto().await;
    create_bucket(&moto, "exports").await;
    let demo = common::demo(500).await;
    let node = common::bank_node("Customer");
    let columns = common::node_columns(&node);
    let uri = "s3://exports/alice/1/v1/7/nodes/Customer/";
    let (store, prefix) = open_store(uri, &options(&moto)).unwrap();
    assert_eq!(prefix.as_ref(), "alice/1/v1/7/nodes/Customer");

    store
        .put(
            &prefix.clone().join("part-00009.parquet"),
            PutPayload::from_static(b"stale"),
        )
        .await
        .unwrap();
    assert_eq!(clear_prefix(&store, &prefix).await.unwrap(), 1);

    let total = common::demo_rows(&demo, "customers");
    let writer = WriterOptions {
        max_file_rows: total / 2 + 1,
        ..WriterOptions::default()
    };
    let stream = demo.warehouse.query(&node.sql).await.unwrap();
    let progress = Progress::default();
    let output = write_table(
        Arc::clone(&store),
        &prefix,
        &columns,
        stream.batches,
        &writer,
        &progress,
    )
    .await
    .unwrap();
    assert_eq!(output.files.len(), 2);
    assert_eq!(output.row_count, total);
    let expected: Vec<String> = ["part-00000.parquet", "part-00001.parquet"]
        .iter()
        .map(|n| format!("{prefix}/{n}"))
        .collect();
    assert_eq!(objects(&store, &prefix).await, expected);
    let schema = output_schema(&columns);
    for written in &output.files {
        let bytes = store
            .get(&written.location)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        common::check_file(
            bytes,
            &written.file,
            &columns,
            &schema,
            writer.row_group_rows,
        );
        assert!(written.e_tag.is_some(), "S3 reports entity tags");
    }

    let bad_prefix = Path::from("alice/1/v1/7/nodes/Broken");
    let sql = "SELECT CASE WHEN customer_id % 50 = 3 THEN NULL ELSE customer_id END AS customer_id, name, segment, \
               country, risk_score FROM demo.bank.customers ORDER BY customer_id NULLS LAST";
    let stream = demo.warehouse.query(sql).await.unwrap();
    let small = WriterOptions {
        max_file_rows: 100,
        ..WriterOptions::default()
    };
    let error = write_table(
        Arc::clone(&store),
        &bad_prefix,
        &columns,
        stream.batches,
        &small,
        &Progress::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, ExportError::DataQuality { message, .. } if message.contains("'customer_id'")),
        "{error}"
    );
    assert_eq!(error.code(), WorkerErrorCode::InvalidData);
    assert_eq!(
        objects(&store, &bad_prefix).await,
        Vec::<String>::new(),
        "no object left under the failed prefix"
    );
}

/// `rows` rows of an INT64 key and ~55 random digits that barely compress, keyed NULL at `null_at`.
fn padded_rows(rows: u64, null_at: Option<u64>) -> String {
    let key = match null_at {
        Some(n) => format!("CASE WHEN value = {n} THEN NULL ELSE value END"),
        None => "value".into(),
    };
    format!(
        "SELECT {key} AS id, CAST(random() AS VARCHAR) || CAST(random() AS VARCHAR) || CAST(random() AS VARCHAR) AS pad \
         FROM range({rows})"
    )
}

#[tokio::test]
async fn large_files_go_through_multipart_uploads_that_abort_cleanly() {
    let moto = start_moto().await;
    create_bucket(&moto, "big").await;
    let demo = common::demo(8192).await;
    let columns = vec![
        JobColumn {
            name: "id".into(),
            ty: PropertyType::Scalar(ScalarType::Int64),
            role: ColumnRole::PrimaryKey,
        },
        JobColumn {
            name: "pad".into(),
            ty: PropertyType::Scalar(ScalarType::String),
            role: ColumnRole::Property,
        },
    ];
    let (store, prefix) = open_store("s3://big/snap/nodes/Padded", &options(&moto)).unwrap();
    // Row groups of 20 000 rows stream out as they fill, so a 5 MiB buffer switches to multipart.
    let writer = WriterOptions {
        row_group_rows: 20_000,
        upload_buffer_bytes: MIN_UPLOAD_PART_BYTES,
        ..WriterOptions::default()
    };
    let stream = demo
        .warehouse
        .query(&padded_rows(120_000, None))
        .await
        .unwrap();
    let output = write_table(
        Arc::clone(&store),
        &prefix,
        &columns,
        stream.batches,
        &writer,
        &Progress::default(),
    )
    .await
    .unwrap();
    assert_eq!(output.files.len(), 1);
    assert!(
        output.size_bytes > MIN_UPLOAD_PART_BYTES as u64,
        "the file needs several parts: {}",
        output.size_bytes
    );
    let written = &output.files[0];
    let bytes = store
        .get(&written.location)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        common::check_file(
            bytes,
            &written.file,
            &columns,
            &output_schema(&columns),
            20_000
        ),
        120_000
    );

    let broken = Path::from("snap/nodes/Broken");
    let stream = demo
        .warehouse
        .query(&padded_rows(120_000, Some(119_990)))
        .await
        .unwrap();
    let error = write_table(
        Arc::clone(&store),
        &broken,
        &columns,
        stream.batches,
        &writer,
        &Progress::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, ExportError::DataQuality { message, .. } if message.contains("'id'")),
        "{error}"
    );
    assert_eq!(
        objects(&store, &broken).await,
        Vec::<String>::new(),
        "an aborted multipart upload leaves no object"
    );
}
