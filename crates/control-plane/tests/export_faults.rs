//! Fault tests of the export pipeline with real processes: the export worker runs as a separate
//! process (this test binary re-executed in "worker mode", running `graph_olap_export::run`), the
//! control plane in-process on a real socket over SQLite with a manual clock (so leases expire
//! and backoffs pass in seconds, not minutes).
//!
//! - A worker is SIGKILLed mid-export: its lease expires, another worker process reclaims the
//!   job, and the snapshot completes with exactly the demo warehouse's row counts.
//! - The PostgreSQL warehouse connection is cut mid-export by a TCP proxy between the worker and
//!   the real server (`GRAPH_OLAP_TEST_POSTGRES_URL`; the server itself is never stopped): the
//!   snapshot fails with the cause in `error_message`, and `POST …/retry` succeeds once the proxy
//!   forwards again.

mod common;
mod export_support;

use std::future::Future;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{ALICE, KEY};
use export_support::{Plane, start};
use futures::StreamExt;
use graph_olap_warehouse::{
    BatchStream, DataFusionWarehouse, PostgresWarehouse, SchemaRef, Warehouse, WarehouseError,
    WarehouseMetadata,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const WORKER_ENV: &str = "GRAPH_OLAP_FAULTS_WORKER_CONTROL_PLANE";

type Fut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A warehouse whose result batches arrive `delay` apart, so an export is reliably "mid-way"
/// when the test strikes.
struct Slow {
    inner: Arc<dyn Warehouse>,
    delay: Duration,
}

impl Warehouse for Slow {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    fn ping<'life0, 'async_trait>(&'life0 self) -> Fut<'async_trait, Result<(), WarehouseError>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.ping()
    }

    fn describe<'life0, 'life1, 'async_trait>(
        &'life0 self,
        sql: &'life1 str,
    ) -> Fut<'async_trait, Result<SchemaRef, WarehouseError>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.describe(sql)
    }

    fn metadata<'life0, 'async_trait>(
        &'life0 self,
    ) -> Fut<'async_trait, Result<WarehouseMetadata, WarehouseError>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.metadata()
    }

    fn query<'life0, 'life1, 'async_trait>(
        &'life0 self,
        sql: &'life1 str,
    ) -> Fut<'async_trait, Result<BatchStream, WarehouseError>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let mut stream = self.inner.query(sql).await?;
            let delay = self.delay;
            stream.batches = stream
                .batches
                .then(move |batch| async move {
                    tokio::time::sleep(delay).await;
                    batch
                })
                .boxed();
            Ok(stream)
        })
    }
}

/// Worker mode: when this test binary is re-executed with `GRAPH_OLAP_FAULTS_WORKER_*` set,
/// this "test" is the export worker process and runs until it is killed. In a normal test run
/// it does nothing.
#[test]
fn worker_process() {
    let Ok(control_plane) = std::env::var(WORKER_ENV) else {
        return;
    };
    let var =
        |name: &str| std::env::var(format!("GRAPH_OLAP_FAULTS_WORKER_{name}")).unwrap_or_default();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let location = var("WAREHOUSE");
        let batch: usize = var("BATCH").parse().unwrap_or(100);
        let inner: Arc<dyn Warehouse> = if location.starts_with("postgres") {
            Arc::new(PostgresWarehouse::new(&location, batch).unwrap())
        } else {
            Arc::new(
                DataFusionWarehouse::open_with_batch_size(&location, batch)
                    .await
                    .unwrap(),
            )
        };
        let delay = Duration::from_millis(var("DELAY_MS").parse().unwrap_or(0));
        let mut config = graph_olap_export::WorkerConfig::new(
            control_plane,
            KEY,
            Arc::new(Slow { inner, delay }),
        );
        config.worker_id = var("ID");
        config.lease_seconds = 30;
        config.heartbeat_interval = Some(Duration::from_millis(200));
        config.wait_seconds = 1;
        config.idle_backoff = Duration::from_millis(100);
        config.writer = graph_olap_export::WriterOptions {
            max_file_rows: 500,
            ..Default::default()
        };
        config.retry = graph_olap_export::RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
        };
        graph_olap_export::run(config, std::future::pending::<()>()).await;
    });
}

/// A worker process, killed (SIGKILL) and reaped when dropped.
struct WorkerProcess {
    child: Child,
    log: std::path::PathBuf,
}

impl WorkerProcess {
    fn spawn(
        plane: &Plane,
        id: &str,
        warehouse: &str,
        batch: usize,
        delay_ms: u64,
    ) -> WorkerProcess {
        let log = plane.env.dir.path().join(format!("{id}.log"));
        let child = Command::new(std::env::current_exe().unwrap())
            .args([
                "worker_process",
                "--exact",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(WORKER_ENV, &plane.url)
            .env("GRAPH_OLAP_FAULTS_WORKER_ID", id)
            .env("GRAPH_OLAP_FAULTS_WORKER_WAREHOUSE", warehouse)
            .env("GRAPH_OLAP_FAULTS_WORKER_BATCH", batch.to_string())
            .env("GRAPH_OLAP_FAULTS_WORKER_DELAY_MS", delay_ms.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        WorkerProcess { child, log }
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reap.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An export job by id (internal API). The tests use fresh databases with one snapshot, whose
/// jobs are 1..=n in step order.
async fn job(plane: &Plane, id: i64) -> Value {
    let (status, body) = plane
        .internal(
            Method::GET,
            &format!("/api/internal/export-jobs/{id}"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

/// Waits until some step of the snapshot is `in_progress` with at least `rows` rows written;
/// returns the step name.
async fn wait_mid_export(
    plane: &Plane,
    snapshot_id: i64,
    rows: i64,
    worker: &WorkerProcess,
) -> String {
    for _ in 0..600 {
        let progress = plane.progress(snapshot_id).await;
        if let Some(step) =
            progress["steps"].as_array().unwrap().iter().find(|s| {
                s["status"] == "in_progress" && s["row_count"].as_i64().unwrap_or(0) >= rows
            })
        {
            return step["name"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no export got under way; worker log:\n{}", worker.log());
}

fn part_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("part-") && n.ends_with(".parquet"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_worker_loses_its_lease_and_another_process_completes_the_snapshot_exactly() {
    let lake = tempfile::tempdir().unwrap();
    let summary = graph_olap_demo::generate(lake.path(), 3).unwrap();
    let warehouse = graph_olap_warehouse::connect(&lake.path().display().to_string())
        .await
        .unwrap();
    let plane = start(warehouse, |_| {}).await;
    let (name, description, nodes, edges) = graph_olap_demo::bank_mapping();
    let (status, body) = plane
        .call(Method::POST, "/api/mappings", ALICE, Some(json!({"name": name, "description": description, "node_definitions": nodes, "edge_definitions": edges})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mapping = body["data"]["id"].as_i64().unwrap();
    let (_, instance) = plane.create_from_mapping(mapping, "killed").await;
    let snapshot_id = instance["data"]["snapshot_id"].as_i64().unwrap();
    let storage = plane.snapshot(snapshot_id).await["storage_path"]
        .as_str()
        .unwrap()
        .trim_start_matches("file://")
        .to_string();

    // A slow worker process gets going, then is SIGKILLed in the middle of a job.
    let mut first = WorkerProcess::spawn(
        &plane,
        "worker-1",
        &lake.path().display().to_string(),
        100,
        40,
    );
    let step = wait_mid_export(&plane, snapshot_id, 1000, &first).await;
    first.kill();
    let progress = plane.progress(snapshot_id).await;
    let index = progress["steps"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["name"] == step.as_str())
        .unwrap();
    let killed_id = index as i64 + 1;
    let killed = job(&plane, killed_id).await;
    assert_eq!(
        (killed["status"].as_str(), killed["claimed_by"].as_str()),
        (Some("claimed"), Some("worker-1")),
        "{killed}"
    );
    let partial = part_files(&std::path::Path::new(&storage).join(&step));
    assert!(
        !partial.is_empty(),
        "the killed attempt left complete part files behind: {step}"
    );

    // Its lease runs out (the control plane's clock moves past it) and reconciliation requeues it.
    plane.clock.advance(chrono::Duration::seconds(31));
    let report = graph_olap_control_plane::services::export_queue::reconcile(&plane.state)
        .await
        .unwrap();
    assert_eq!(report.requeued, 1, "{report:?}");
    let requeued = job(&plane, killed_id).await;
    assert_eq!(
        (
            requeued["status"].as_str(),
            requeued["error_code"].as_str(),
            requeued["attempts"].as_u64()
        ),
        (Some("pending"), Some("LEASE_EXPIRED"), Some(1)),
        "{requeued}"
    );

    // After the retry backoff another worker process reclaims it and finishes the snapshot.
    plane.clock.advance(chrono::Duration::seconds(11));
    let second = WorkerProcess::spawn(
        &plane,
        "worker-2",
        &lake.path().display().to_string(),
        8192,
        0,
    );
    let snapshot = plane
        .wait_snapshot(snapshot_id, 120, |s| {
            s["status"] != "pending" && s["status"] != "creating"
        })
        .await;
    assert_eq!(
        snapshot["status"],
        "ready",
        "{snapshot}\nworker-2 log:\n{}",
        second.log()
    );
    let reclaimed = job(&plane, killed_id).await;
    assert_eq!(
        (
            reclaimed["status"].as_str(),
            reclaimed["claimed_by"].as_str(),
            reclaimed["attempts"].as_u64()
        ),
        (Some("completed"), Some("worker-2"), Some(2)),
        "{reclaimed}"
    );

    let rows = |table: &str| summary.rows(table).unwrap() as i64;
    assert_eq!(
        snapshot["node_counts"],
        json!({"Customer": rows("customers"), "Account": rows("accounts")}),
        "{snapshot}"
    );
    assert_eq!(
        snapshot["edge_counts"],
        json!({"HOLDS": rows("account_holders"), "TRANSFER": rows("transfers")}),
        "{snapshot}"
    );
    assert_eq!(
        snapshot["data_quality"]["status"], "passed",
        "{}",
        snapshot["data_quality"]
    );

    // The manifest lists exactly the part files on disk, and their rows add up.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(format!("{storage}_manifest.json")).unwrap())
            .unwrap();
    for table in manifest["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .chain(manifest["edges"].as_array().unwrap())
    {
        let listed: Vec<String> = table["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                f["path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let dir = std::path::Path::new(&storage)
            .join(table["files"][0]["path"].as_str().unwrap())
            .parent()
            .unwrap()
            .to_path_buf();
        assert_eq!(
            part_files(&dir),
            listed,
            "no stale part file of the killed attempt remains in {}",
            dir.display()
        );
        let sum: i64 = table["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["row_count"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, table["row_count"].as_i64().unwrap());
        for file in table["files"].as_array().unwrap() {
            let on_disk = std::fs::metadata(
                std::path::Path::new(&storage).join(file["path"].as_str().unwrap()),
            )
            .unwrap()
            .len();
            assert_eq!(on_disk as i64, file["size_bytes"].as_i64().unwrap());
        }
    }
}

/// A TCP proxy in front of PostgreSQL that can be cut (every connection dropped, new ones
/// refused) and restored.
struct Proxy {
    port: u16,
    open: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (flag, list) = (open.clone(), connections.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if !flag.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                list.lock().unwrap().push(task.abort_handle());
            }
        });
        Proxy {
            port,
            open,
            connections,
        }
    }

    /// Drops every open connection and refuses new ones.
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

fn pg_url() -> String {
    std::env::var("GRAPH_OLAP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn psql(sql: &str) {
    let out = Command::new("psql")
        .args([pg_url().as_str(), "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .output()
        .expect("psql (PostgreSQL client) is required");
    assert!(
        out.status.success(),
        "psql at {} failed: {}",
        pg_url(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A scratch schema, dropped on drop.
struct Scratch(String);

impl Drop for Scratch {
    fn drop(&mut self) {
        psql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_warehouse_connection_fails_the_snapshot_with_its_cause_and_retry_succeeds_once_it_is_back()
 {
    let schema = Scratch(format!("go_faults_{}", uuid::Uuid::new_v4().simple()));
    const ROWS: i64 = 200_000;
    psql(&format!(
        "CREATE SCHEMA {s}; CREATE TABLE {s}.accounts AS SELECT g::int8 AS account_id, 'acct-' || g AS account_no, repeat('x', 200) AS note FROM generate_series(1, {ROWS}) g;",
        s = schema.0
    ));
    let direct = pg_url();
    let (authority, database) = {
        let rest = direct.split_once("://").unwrap().1;
        let (userhost, db) = rest.split_once('/').unwrap();
        (userhost.to_string(), db.to_string())
    };
    let (user, host) = authority.rsplit_once('@').unwrap();
    let upstream = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    };
    let proxy = Proxy::start(upstream).await;
    let via_proxy = format!("postgres://{user}@127.0.0.1:{}/{database}", proxy.port);

    let warehouse: Arc<dyn Warehouse> = Arc::new(PostgresWarehouse::new(&direct, 1000).unwrap());
    let plane = start(warehouse, |_| {}).await;
    let nodes = json!([{"label": "Account", "sql": format!("SELECT account_id, account_no, note FROM {}.accounts", schema.0),
        "primary_key": {"name": "account_id", "type": "INT64"},
        "properties": [{"name": "account_no", "type": "STRING"}, {"name": "note", "type": "STRING"}]}]);
    let mapping = plane.mapping("pg accounts", nodes, json!([])).await;
    let (_, instance) = plane.create_from_mapping(mapping, "cut").await;
    let snapshot_id = instance["data"]["snapshot_id"].as_i64().unwrap();

    let worker = WorkerProcess::spawn(&plane, "pg-worker", &via_proxy, 500, 5);
    wait_mid_export(&plane, snapshot_id, 1000, &worker).await;
    proxy.cut();

    // Every attempt fails (the first mid-stream, the retries at connect); backoffs pass on the
    // control plane's clock until the attempts are used up.
    let mut snapshot = Value::Null;
    for _ in 0..600 {
        snapshot = plane.snapshot(snapshot_id).await;
        if snapshot["status"] == "failed" {
            break;
        }
        let job = job(&plane, 1).await;
        if job["status"] == "pending" {
            plane.clock.advance(chrono::Duration::seconds(60));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        snapshot["status"],
        "failed",
        "{snapshot}\nworker log:\n{}",
        worker.log()
    );
    let message = snapshot["error_message"].as_str().unwrap();
    assert!(
        message.starts_with("node 'Account': warehouse unreachable"),
        "the cause is named: {message}"
    );
    assert!(message.contains("gave up after 3 attempts"), "{message}");
    let failed_job = job(&plane, 1).await;
    assert_eq!(
        (
            failed_job["error_code"].as_str(),
            failed_job["attempts"].as_u64()
        ),
        (Some("WAREHOUSE_ERROR"), Some(3)),
        "{failed_job}"
    );
    assert_eq!(
        snapshot["data_quality"]["status"], "pending",
        "not a data problem"
    );

    // The connection is back: a retry exports everything.
    proxy.restore();
    let (status, retried) = plane
        .call(
            Method::POST,
            &format!("/api/snapshots/{snapshot_id}/retry"),
            ALICE,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{retried}");
    assert_eq!(retried["data"]["status"], "pending");
    let snapshot = plane
        .wait_snapshot(snapshot_id, 180, |s| {
            s["status"] != "pending" && s["status"] != "creating"
        })
        .await;
    assert_eq!(
        snapshot["status"],
        "ready",
        "{snapshot}\nworker log:\n{}",
        worker.log()
    );
    assert_eq!(snapshot["node_counts"]["Account"], ROWS);
    assert_eq!(
        snapshot["data_quality"]["nodes"]["Account"]["rows_written"],
        ROWS
    );
    drop(worker);
}
