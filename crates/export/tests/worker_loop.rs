//! The worker loop against an in-test control plane that implements the §9.2 protocol with an
//! in-memory queue: claims with leases, heartbeats that cancel or expire on demand, complete and
//! fail with token checks, and injected 503s / refused connections.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use graph_olap_api::export::{
    ClaimRequest, ClaimedJob, CompleteRequest, ExportJob, ExportJobStatus, FailRequest,
    HeartbeatAck, HeartbeatRequest, JobColumn, JobType, WarehouseHints, WorkerErrorCode,
};
use graph_olap_api::{PropertyType, ScalarType};
use graph_olap_export::{RetryPolicy, RunSummary, WorkerConfig, WriterOptions, run};
use graph_olap_warehouse::{BatchStream, SchemaRef, Warehouse, WarehouseError, WarehouseMetadata};
use serde_json::json;

const KEY: &str = "internal-secret";

/// One job in the fake queue.
struct FakeJob {
    claimed: ClaimedJob,
    token: Option<String>,
    /// Answer `cancel: true` once a heartbeat reports this many files.
    cancel_at_files: Option<u64>,
    /// Answer `409 LEASE_EXPIRED` once a heartbeat reports this many files.
    expire_at_files: Option<u64>,
    completes: Vec<CompleteRequest>,
    fails: Vec<FailRequest>,
    heartbeats: Vec<HeartbeatRequest>,
}

#[derive(Default)]
struct Plane {
    jobs: Vec<FakeJob>,
    claim_calls: u32,
    complete_calls: u32,
    /// Answer the next N claims with 503.
    claims_unavailable: u32,
    /// Answer the next N completes with 503.
    completes_unavailable: u32,
}

type Shared = Arc<Mutex<Plane>>;

fn envelope(data: impl serde::Serialize) -> Response {
    Json(json!({"data": data, "meta": {"request_id": "test"}})).into_response()
}

fn error(status: StatusCode, code: &str) -> Response {
    let body = json!({"error": {"code": code, "message": format!("{code} from the fake"), "details": {}}, "meta": {"request_id": "test"}});
    (status, Json(body)).into_response()
}

fn authorised(headers: &HeaderMap) -> bool {
    headers
        .get("x-internal-api-key")
        .and_then(|v| v.to_str().ok())
        == Some(KEY)
}

async fn claim(
    State(plane): State<Shared>,
    headers: HeaderMap,
    Json(request): Json<ClaimRequest>,
) -> Response {
    let mut plane = plane.lock().unwrap();
    plane.claim_calls += 1;
    if !authorised(&headers) {
        return error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    }
    if plane.claims_unavailable > 0 {
        plane.claims_unavailable -= 1;
        return error(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE");
    }
    let now = Utc::now();
    let mut out = Vec::new();
    for job in plane
        .jobs
        .iter_mut()
        .filter(|j| j.claimed.job.status == ExportJobStatus::Pending)
    {
        if out.len() as u32 >= request.limit {
            break;
        }
        let record = &mut job.claimed.job;
        record.status = ExportJobStatus::Claimed;
        record.attempts += 1;
        record.claimed_by = Some(request.worker_id.clone());
        record.claimed_at = Some(now);
        record.lease_expires_at =
            Some(now + chrono::Duration::seconds(i64::from(request.lease_seconds)));
        record.started_at.get_or_insert(now);
        record
            .deadline_at
            .get_or_insert(now + chrono::Duration::hours(1));
        job.claimed.attempt = record.attempts;
        job.claimed.lease_token = format!("lease-{}-{}", record.id, record.attempts);
        job.token = Some(job.claimed.lease_token.clone());
        out.push(job.claimed.clone());
    }
    envelope(json!({"jobs": out}))
}

async fn heartbeat(
    State(plane): State<Shared>,
    UrlPath(id): UrlPath<i64>,
    Json(request): Json<HeartbeatRequest>,
) -> Response {
    let mut plane = plane.lock().unwrap();
    let Some(job) = plane.jobs.iter_mut().find(|j| j.claimed.job.id == id) else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND");
    };
    if job.token.as_deref() != Some(request.lease_token.as_str()) {
        return error(StatusCode::CONFLICT, "LEASE_EXPIRED");
    }
    let files = request.progress.map(|p| p.files_written).unwrap_or(0);
    job.heartbeats.push(request);
    if job.expire_at_files.is_some_and(|n| files >= n) {
        job.token = None;
        job.claimed.job.status = ExportJobStatus::Pending;
        job.expire_at_files = None;
        return error(StatusCode::CONFLICT, "LEASE_EXPIRED");
    }
    if job.cancel_at_files.is_some_and(|n| files >= n) {
        job.claimed.job.status = ExportJobStatus::Cancelled;
    }
    let now = Utc::now();
    envelope(HeartbeatAck {
        lease_expires_at: now + chrono::Duration::seconds(30),
        deadline_at: now + chrono::Duration::hours(1),
        cancel: job.claimed.job.status == ExportJobStatus::Cancelled,
    })
}

async fn complete(
    State(plane): State<Shared>,
    UrlPath(id): UrlPath<i64>,
    Json(request): Json<CompleteRequest>,
) -> Response {
    let mut plane = plane.lock().unwrap();
    plane.complete_calls += 1;
    if plane.completes_unavailable > 0 {
        plane.completes_unavailable -= 1;
        return error(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE");
    }
    let Some(job) = plane.jobs.iter_mut().find(|j| j.claimed.job.id == id) else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND");
    };
    if job.token.as_deref() != Some(request.lease_token.as_str()) {
        return error(StatusCode::CONFLICT, "LEASE_EXPIRED");
    }
    if job.claimed.job.status == ExportJobStatus::Cancelled {
        return error(StatusCode::CONFLICT, "INVALID_STATE");
    }
    job.claimed.job.status = ExportJobStatus::Completed;
    job.claimed.job.row_count = Some(request.row_count);
    job.claimed.job.size_bytes = Some(request.size_bytes);
    job.completes.push(request);
    envelope(&job.claimed.job)
}

async fn fail(
    State(plane): State<Shared>,
    UrlPath(id): UrlPath<i64>,
    Json(request): Json<FailRequest>,
) -> Response {
    let mut plane = plane.lock().unwrap();
    let Some(job) = plane.jobs.iter_mut().find(|j| j.claimed.job.id == id) else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND");
    };
    if job.token.as_deref() != Some(request.lease_token.as_str()) {
        return error(StatusCode::CONFLICT, "LEASE_EXPIRED");
    }
    job.token = None;
    // Retryable failures go to `failed` here too, so that a test sees exactly one attempt.
    job.claimed.job.status = ExportJobStatus::Failed;
    job.claimed.job.error_message = Some(request.error_message.clone());
    job.fails.push(request);
    envelope(&job.claimed.job)
}

async fn get_job(State(plane): State<Shared>, UrlPath(id): UrlPath<i64>) -> Response {
    let plane = plane.lock().unwrap();
    match plane.jobs.iter().find(|j| j.claimed.job.id == id) {
        Some(job) => envelope(&job.claimed.job),
        None => error(StatusCode::NOT_FOUND, "NOT_FOUND"),
    }
}

fn router(plane: Shared) -> Router {
    Router::new()
        .route("/api/internal/export-jobs/claim", post(claim))
        .route("/api/internal/export-jobs/{id}/heartbeat", post(heartbeat))
        .route("/api/internal/export-jobs/{id}/complete", post(complete))
        .route("/api/internal/export-jobs/{id}/fail", post(fail))
        .route("/api/internal/export-jobs/{id}", get(get_job))
        .with_state(plane)
}

async fn serve_on(listener: tokio::net::TcpListener, plane: Shared) {
    tokio::spawn(async move { axum::serve(listener, router(plane)).await.unwrap() });
}

async fn start_plane(jobs: Vec<FakeJob>) -> (Shared, String) {
    let plane = Arc::new(Mutex::new(Plane {
        jobs,
        ..Plane::default()
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    serve_on(listener, Arc::clone(&plane)).await;
    (plane, url)
}

fn fake_job(
    id: i64,
    job_type: JobType,
    name: &str,
    sql: &str,
    columns: Vec<JobColumn>,
    output_uri: String,
) -> FakeJob {
    let now = Utc::now();
    let job = ExportJob {
        id,
        snapshot_id: 7,
        mapping_id: 1,
        job_type,
        entity_type: job_type,
        entity_name: name.into(),
        status: ExportJobStatus::Pending,
        attempts: 0,
        max_attempts: 3,
        claimed_by: None,
        claimed_at: None,
        lease_expires_at: None,
        started_at: None,
        deadline_at: None,
        available_at: now,
        completed_at: None,
        row_count: None,
        size_bytes: None,
        output_uri,
        warehouse_query_id: None,
        error_code: None,
        error_message: None,
        created_at: now,
        updated_at: now,
    };
    let claimed = ClaimedJob {
        job,
        lease_token: String::new(),
        attempt: 0,
        sql: sql.into(),
        column_names: columns.iter().map(|c| c.name.clone()).collect(),
        columns,
        warehouse: WarehouseHints::default(),
        quality: Default::default(),
        endpoints: None,
    };
    FakeJob {
        claimed,
        token: None,
        cancel_at_files: None,
        expire_at_files: None,
        completes: Vec::new(),
        fails: Vec::new(),
        heartbeats: Vec::new(),
    }
}

/// The demo warehouse, optionally slowed down per batch or made unreachable.
struct TestWarehouse {
    inner: Arc<graph_olap_warehouse::DataFusionWarehouse>,
    delay: Duration,
    unreachable: bool,
}

#[async_trait::async_trait]
impl Warehouse for TestWarehouse {
    fn kind(&self) -> &'static str {
        "datafusion"
    }
    async fn ping(&self) -> Result<(), WarehouseError> {
        self.inner.ping().await
    }
    async fn describe(&self, sql: &str) -> Result<SchemaRef, WarehouseError> {
        self.inner.describe(sql).await
    }
    async fn metadata(&self) -> Result<WarehouseMetadata, WarehouseError> {
        self.inner.metadata().await
    }
    async fn query(&self, sql: &str) -> Result<BatchStream, WarehouseError> {
        use futures::StreamExt;
        if self.unreachable {
            return Err(WarehouseError::Unreachable(
                "connection refused (test)".into(),
            ));
        }
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
    }
}

struct Setup {
    demo: common::Demo,
    out: tempfile::TempDir,
}

impl Setup {
    async fn new() -> Setup {
        Setup {
            demo: common::demo(100).await,
            out: tempfile::tempdir().unwrap(),
        }
    }

    fn uri(&self, name: &str) -> String {
        format!("file://{}/snap/{name}/", self.out.path().display())
    }

    fn dir(&self, name: &str) -> std::path::PathBuf {
        self.out.path().join("snap").join(name)
    }

    fn customer_job(&self, id: i64) -> FakeJob {
        let node = common::bank_node("Customer");
        fake_job(
            id,
            JobType::Node,
            "Customer",
            &node.sql,
            common::node_columns(&node),
            self.uri("nodes/Customer"),
        )
    }

    fn config(&self, url: &str, delay: Duration, unreachable: bool) -> WorkerConfig {
        let warehouse = Arc::new(TestWarehouse {
            inner: Arc::clone(&self.demo.warehouse),
            delay,
            unreachable,
        });
        let mut config = WorkerConfig::new(url, KEY, warehouse);
        config.worker_id = "test-worker".into();
        config.lease_seconds = 30;
        config.heartbeat_interval = Some(Duration::from_millis(40));
        config.wait_seconds = 0;
        config.idle_backoff = Duration::from_millis(50);
        config.retry = RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
        };
        config.writer = WriterOptions {
            max_file_rows: 100,
            ..WriterOptions::default()
        };
        config.shutdown_grace = Duration::from_millis(100);
        config
    }
}

/// Runs the worker until `done(plane)` holds (or 60 s pass), then shuts it down.
async fn run_until(
    config: WorkerConfig,
    plane: &Shared,
    done: impl Fn(&Plane) -> bool,
) -> RunSummary {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(run(config, async move {
        let _ = stopped.await;
    }));
    let started = Instant::now();
    while !done(&plane.lock().unwrap()) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "condition not reached within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(30), worker)
        .await
        .expect("worker stops")
        .unwrap()
}

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn claims_exports_and_completes_node_and_edge_jobs_in_parallel() {
    let setup = Setup::new().await;
    let edge = common::bank_edge("HOLDS");
    let int64 = PropertyType::Scalar(ScalarType::Int64);
    let holds = fake_job(
        2,
        JobType::Edge,
        "HOLDS",
        &edge.sql,
        common::edge_columns(&edge, int64),
        setup.uri("edges/HOLDS"),
    );
    std::fs::create_dir_all(setup.dir("edges/HOLDS")).unwrap();
    std::fs::write(
        setup.dir("edges/HOLDS").join("part-00042.parquet"),
        b"previous attempt",
    )
    .unwrap();
    let (plane, url) = start_plane(vec![setup.customer_job(1), holds]).await;
    let mut config = setup.config(&url, Duration::from_millis(5), false);
    config.concurrency = 2;
    let summary = run_until(config, &plane, |p| {
        p.jobs.iter().all(|j| !j.completes.is_empty())
    })
    .await;
    assert_eq!(summary.completed, 2, "{summary:?}");
    let plane = plane.lock().unwrap();
    for (job, dir, table) in [
        (&plane.jobs[0], "nodes/Customer", "customers"),
        (&plane.jobs[1], "edges/HOLDS", "account_holders"),
    ] {
        let done = &job.completes[0];
        assert_eq!(
            done.row_count,
            common::demo_rows(&setup.demo, table),
            "{dir}"
        );
        let reported: Vec<String> = done.files.iter().map(|f| f.path.clone()).collect();
        assert_eq!(
            files_under(&setup.dir(dir)),
            reported,
            "{dir}: exactly the reported files, the stale one gone"
        );
        assert_eq!(
            done.size_bytes,
            done.files.iter().map(|f| f.size_bytes).sum::<u64>()
        );
        assert!(
            done.files
                .iter()
                .all(|f| f.sha256.as_ref().is_some_and(|s| s.len() == 64))
        );
        assert_eq!(done.lease_token, job.claimed.lease_token);
    }
    let progress: Vec<_> = plane.jobs[0]
        .heartbeats
        .iter()
        .filter_map(|h| h.progress)
        .collect();
    assert!(!progress.is_empty(), "heartbeats carry progress");
    assert!(
        progress
            .windows(2)
            .all(|w| w[0].rows_written <= w[1].rows_written)
    );
}

#[tokio::test]
async fn cancel_on_heartbeat_aborts_and_deletes_the_partial_files() {
    let setup = Setup::new().await;
    let mut job = setup.customer_job(1);
    job.cancel_at_files = Some(2);
    let (plane, url) = start_plane(vec![job]).await;
    let config = setup.config(&url, Duration::from_millis(30), false);
    let summary = run_until(config, &plane, |p| {
        p.jobs[0].claimed.job.status == ExportJobStatus::Cancelled
    })
    .await;
    assert_eq!(summary.cancelled, 1, "{summary:?}");
    let plane = plane.lock().unwrap();
    assert!(
        plane.jobs[0].completes.is_empty() && plane.jobs[0].fails.is_empty(),
        "a cancelled job is never reported"
    );
    assert_eq!(plane.complete_calls, 0);
    assert_eq!(
        files_under(&setup.dir("nodes/Customer")),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn lost_lease_aborts_and_deletes_the_partial_files() {
    let setup = Setup::new().await;
    let mut job = setup.customer_job(1);
    job.expire_at_files = Some(2);
    let (plane, url) = start_plane(vec![job]).await;
    let config = setup.config(&url, Duration::from_millis(30), false);
    // The lease expires once; the job goes back to pending and this worker claims it again.
    let summary = run_until(config, &plane, |p| !p.jobs[0].completes.is_empty()).await;
    assert_eq!(
        (summary.lease_lost, summary.completed),
        (1, 1),
        "{summary:?}"
    );
    let plane = plane.lock().unwrap();
    assert_eq!(plane.jobs[0].claimed.attempt, 2);
    let reported: Vec<String> = plane.jobs[0].completes[0]
        .files
        .iter()
        .map(|f| f.path.clone())
        .collect();
    assert_eq!(files_under(&setup.dir("nodes/Customer")), reported);
}

#[tokio::test]
async fn transport_errors_and_5xx_are_retried() {
    let setup = Setup::new().await;
    let plane = Arc::new(Mutex::new(Plane {
        jobs: vec![setup.customer_job(1)],
        claims_unavailable: 2,
        completes_unavailable: 2,
        ..Plane::default()
    }));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let config = setup.config(&url, Duration::ZERO, false);
    let late_plane = Arc::clone(&plane);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        serve_on(listener, late_plane).await;
    });
    let summary = run_until(config, &plane, |p| !p.jobs[0].completes.is_empty()).await;
    assert_eq!(summary.completed, 1, "{summary:?}");
    let plane = plane.lock().unwrap();
    assert!(
        plane.claim_calls >= 3,
        "two 503s then a claim: {}",
        plane.claim_calls
    );
    assert_eq!(plane.complete_calls, 3, "two 503s then success");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let setup = Setup::new().await;
    let (plane, url) = start_plane(vec![setup.customer_job(1)]).await;
    let mut config = setup.config(&url, Duration::ZERO, false);
    config.internal_api_key = "wrong".into();
    config.idle_backoff = Duration::from_secs(5);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(run(config, async move {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop.send(());
    worker.await.unwrap();
    assert_eq!(plane.lock().unwrap().claim_calls, 1, "a 401 is not retried");
}

async fn single_failure(setup: &Setup, job: FakeJob, unreachable: bool) -> FailRequest {
    let (plane, url) = start_plane(vec![job]).await;
    let config = setup.config(&url, Duration::ZERO, unreachable);
    let summary = run_until(config, &plane, |p| !p.jobs[0].fails.is_empty()).await;
    assert_eq!(summary.failed, 1, "{summary:?}");
    let plane = plane.lock().unwrap();
    assert!(plane.jobs[0].completes.is_empty());
    plane.jobs[0].fails[0].clone()
}

#[tokio::test]
async fn sql_errors_fail_without_retry() {
    let setup = Setup::new().await;
    let mut job = setup.customer_job(1);
    job.claimed.sql = "SELECT customer_id FROM demo.bank.no_such_table".into();
    let failure = single_failure(&setup, job, false).await;
    assert_eq!(
        (failure.error_code, failure.retryable),
        (WorkerErrorCode::WarehouseError, false)
    );
    assert!(
        failure.error_message.contains("no_such_table"),
        "{}",
        failure.error_message
    );
}

#[tokio::test]
async fn null_keys_fail_as_invalid_data_without_retry() {
    let setup = Setup::new().await;
    let mut job = setup.customer_job(1);
    job.claimed.sql = "SELECT CASE WHEN customer_id % 10 = 9 THEN NULL ELSE customer_id END AS customer_id, name, \
                       segment, country, risk_score FROM demo.bank.customers ORDER BY customer_id NULLS LAST"
        .into();
    let failure = single_failure(&setup, job, false).await;
    assert_eq!(
        (failure.error_code, failure.retryable),
        (WorkerErrorCode::InvalidData, false)
    );
    assert!(
        failure.error_message.contains("'customer_id'"),
        "{}",
        failure.error_message
    );
    assert_eq!(
        files_under(&setup.dir("nodes/Customer")),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn unreachable_warehouse_fails_as_retryable() {
    let setup = Setup::new().await;
    let failure = single_failure(&setup, setup.customer_job(1), true).await;
    assert_eq!(
        (failure.error_code, failure.retryable),
        (WorkerErrorCode::WarehouseError, true)
    );
}

#[tokio::test]
async fn shutdown_fails_the_running_job_as_retryable_and_deletes_its_files() {
    let setup = Setup::new().await;
    let (plane, url) = start_plane(vec![setup.customer_job(1)]).await;
    let config = setup.config(&url, Duration::from_millis(100), false);
    let summary = run_until(config, &plane, |p| {
        p.jobs[0]
            .heartbeats
            .iter()
            .any(|h| h.progress.is_some_and(|p| p.files_written >= 1))
    })
    .await;
    assert_eq!(summary.failed, 1, "{summary:?}");
    let plane = plane.lock().unwrap();
    let failure = &plane.jobs[0].fails[0];
    assert_eq!(
        (failure.error_code, failure.retryable),
        (WorkerErrorCode::Other, true)
    );
    assert_eq!(
        files_under(&setup.dir("nodes/Customer")),
        Vec::<String>::new()
    );
}
