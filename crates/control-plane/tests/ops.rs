//! Black-box tests of the operations surface over real sockets — `/metrics` (API.md §5.2),
//! `/api/cluster/*` (§7.2), `/api/ops/*` (§7.3), bulk delete (§7.4) and `/api/audit-log`
//! (docs/ops.md) — each run against SQLite and against PostgreSQL (a private schema on
//! `GRAPH_OLAP_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`; the
//! PostgreSQL runs fail, never skip, when that server is absent). Time moves only on a manual
//! clock. Two replicas on one PostgreSQL share the trigger window and run a job once between them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use graph_olap_control_plane::jobs::{self, Job, JobLock};
use graph_olap_control_plane::{AppState, Settings};
use graph_olap_store::{ManualClock, Store, audit};
use graph_olap_warehouse::Warehouse;
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

const ALICE: &str = "analyst_alice@e2e.local";
const BOB: &str = "analyst_bob@e2e.local";
const CAROL: &str = "admin_carol@e2e.local";
const DAVE: &str = "ops_dave@e2e.local";
const KEY: &str = "internal-key-for-ops-tests-0123456789abcdef";

// ---------------------------------------------------------------- harness

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Db {
    Sqlite,
    Postgres,
}

fn postgres_url() -> String {
    std::env::var("GRAPH_OLAP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A private PostgreSQL schema; the URL pins `search_path` to it.
async fn postgres_schema_url() -> String {
    use sqlx::Connection;
    let base = postgres_url();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let schema = format!("ops_{nanos:x}_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .expect("PostgreSQL must be reachable at GRAPH_OLAP_TEST_POSTGRES_URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .expect("create schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

/// One test's platform: a metadata database, the demo warehouse, a snapshot root and a clock
/// shared by every replica started from it.
struct Env {
    dir: tempfile::TempDir,
    db_url: String,
    warehouse: Arc<dyn Warehouse>,
    clock: Arc<ManualClock>,
}

struct Server {
    url: String,
    client: Client,
    state: AppState,
    clock: Arc<ManualClock>,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Env {
    async fn new(db: Db) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let wh = dir.path().join("warehouse");
        graph_olap_demo::generate(&wh, 1).unwrap();
        std::fs::create_dir_all(dir.path().join("snapshots")).unwrap();
        let db_url = match db {
            Db::Sqlite => format!("sqlite://{}", dir.path().join("meta.db").display()),
            Db::Postgres => postgres_schema_url().await,
        };
        let warehouse = graph_olap_warehouse::connect(&wh.display().to_string())
            .await
            .unwrap();
        Env {
            dir,
            db_url,
            warehouse,
            clock: Arc::new(ManualClock::new(chrono::Utc::now())),
        }
    }

    async fn replica(&self) -> Server {
        self.replica_with(|_| {}, None).await
    }

    /// A control plane on its own socket and its own connection pool.
    async fn replica_with(
        &self,
        tweak: impl FnOnce(&mut Settings),
        runtime: Option<Arc<dyn graph_olap_runtime::Runtime>>,
    ) -> Server {
        let store = Store::connect(&self.db_url).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut settings = Settings::development(
            url.clone(),
            format!("file://{}", self.dir.path().join("snapshots").display()),
            KEY.into(),
        );
        tweak(&mut settings);
        let state = graph_olap_control_plane::start_with_runtime(
            store,
            self.warehouse.clone(),
            settings,
            self.clock.clone(),
            runtime,
        )
        .await
        .unwrap();
        serve(state.clone(), listener);
        Server {
            url,
            client: Client::new(),
            state,
            clock: self.clock.clone(),
        }
    }
}

fn serve(state: AppState, listener: tokio::net::TcpListener) {
    let app = graph_olap_control_plane::app(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
}

/// Serves an already started state (e.g. one with a replaced dependency) on a new socket.
async fn serve_state(state: AppState, clock: Arc<ManualClock>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    serve(state.clone(), listener);
    Server {
        url,
        client: Client::new(),
        state,
        clock,
    }
}

impl Server {
    async fn send(
        &self,
        method: Method,
        path: &str,
        user: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.url));
        if let Some(u) = user {
            req = req.header("X-Username", u);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        Reply {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        user: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let r = self.send(method, path, Some(user), body).await;
        (r.status, r.body)
    }

    /// A successful call's `data`.
    async fn data(&self, method: Method, path: &str, user: &str, body: Option<Value>) -> Value {
        let (status, body) = self.call(method.clone(), path, user, body).await;
        assert!(status.is_success(), "{method} {path}: {status} {body}");
        body["data"].clone()
    }

    async fn internal(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        let resp = self
            .client
            .request(method, format!("{}{path}", self.url))
            .header("X-Internal-Api-Key", KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap())
    }

    /// A scrape as the ops persona.
    async fn scrape(&self) -> String {
        let r = self.send(Method::GET, "/metrics", Some(DAVE), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body.as_str().unwrap().to_string()
    }

    fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    async fn mapping(&self, user: &str, body: Value) -> i64 {
        let (status, m) = self
            .call(Method::POST, "/api/mappings", user, Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{m}");
        m["data"]["id"].as_i64().unwrap()
    }

    /// A mapping whose only definition is pre-staged (§4.11): its instances start at once.
    async fn prestaged_mapping(&self, user: &str, name: &str) -> i64 {
        self.mapping(
            user,
            json!({"name": name, "node_definitions": [prestaged_node()]}),
        )
        .await
    }

    async fn tutorial_mapping(&self, user: &str) -> i64 {
        let (name, description, nodes, edges) = graph_olap_demo::tutorial_mapping();
        self.mapping(user, json!({"name": name, "description": description, "node_definitions": nodes, "edge_definitions": edges})).await
    }

    async fn instance(&self, user: &str, mapping_id: i64, extra: Value) -> Value {
        let mut body = json!({"mapping_id": mapping_id, "name": format!("graph-{mapping_id}")});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().cloned().unwrap_or_default());
        let (status, inst) = self
            .call(
                Method::POST,
                "/api/instances/from-mapping",
                user,
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{inst}");
        inst["data"].clone()
    }

    async fn audit(&self, filter: audit::AuditFilter) -> Vec<audit::AuditEntry> {
        audit::query(&mut self.state.store.read().await.unwrap(), &filter, 0, 100)
            .await
            .unwrap()
            .0
    }

    /// Everything a bulk delete or a refused request could change, for before/after comparisons.
    async fn fingerprint(&self) -> Value {
        let instances = self
            .data(
                Method::GET,
                "/api/instances?include_terminated=true&limit=100&sort_order=asc",
                DAVE,
                None,
            )
            .await;
        let snapshots = self
            .data(
                Method::GET,
                "/api/snapshots?limit=100&sort_order=asc",
                DAVE,
                None,
            )
            .await;
        let mappings = self
            .data(
                Method::GET,
                "/api/mappings?limit=100&sort_order=asc",
                DAVE,
                None,
            )
            .await;
        let pick = |list: &Value, keys: &[&str]| -> Vec<Value> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|x| keys.iter().map(|k| x[*k].clone()).collect())
                .collect()
        };
        let audit = audit::query(
            &mut self.state.store.read().await.unwrap(),
            &audit::AuditFilter::default(),
            0,
            1,
        )
        .await
        .unwrap()
        .1;
        let jobs: Vec<Value> = jobs::status(&self.state)
            .await
            .unwrap()
            .into_iter()
            .map(|j| {
                json!([
                    j.name,
                    j.last_trigger.map(|t| t.triggered_at.timestamp_millis())
                ])
            })
            .collect();
        json!({"instances": pick(&instances, &["id", "status", "termination_reason"]), "snapshots": pick(&snapshots, &["id", "status"]), "mappings": pick(&mappings, &["id", "current_version"]), "audit_rows": audit, "jobs": jobs})
    }
}

fn prestaged_node() -> Value {
    json!({"label": "Staged", "sql": "SELECT id FROM placeholder", "primary_key": {"name": "id", "type": "STRING"}})
}

/// The value of one exact series (`name{labels}`) in a scrape.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|v| v.parse().ok())
    })
}

fn value(text: &str, series: &str) -> f64 {
    sample(text, series)
        .unwrap_or_else(|| panic!("series {series} missing from the scrape:\n{text}"))
}

fn reasons(body: &Value) -> Vec<(String, String)> {
    body["error"]["details"]["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_string(),
                        e["reason"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn assert_invalid(status: StatusCode, body: &Value, field: &str, reason: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_FAILED", "{body}");
    assert!(
        reasons(body).iter().any(|(f, r)| f == field && r == reason),
        "expected {field}/{reason}: {body}"
    );
}

/// A stand-in instance server that answers `GET /ready` (the control plane probes it before it
/// accepts a `running` report).
async fn ready_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/ready", axum::routing::get(|| async { "ready" }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Reports an instance `running` through the internal API, as its server would.
async fn report_running(s: &Server, id: i64, ready_url: &str) {
    let (status, body) = s
        .internal(
            Method::PATCH,
            &format!("/api/internal/instances/{id}/status"),
            json!({"status": "running", "internal_url": ready_url}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "running");
}

/// A listener that accepts connections and never answers (a hung dependency).
async fn black_hole() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Db::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Db::Postgres).await })*
        }
    };
}

on_both_databases!(
    metrics_are_ops_only_and_every_family_is_present,
    request_metrics_are_labelled_by_route_template,
    database_gauges_views_and_rejections_follow_the_platform,
    job_runs_export_failures_and_startup_durations_are_counted,
    lifecycle_expiries_are_counted_by_reason,
    failure_reports_accept_every_documented_instance_error_code,
    cluster_health_probes_every_component_and_caches,
    job_triggers_are_rate_limited_audited_and_run,
    export_job_view_filters_and_paginates,
    bulk_delete_refuses_unsafe_requests_and_changes_nothing,
    bulk_delete_processes_each_match_independently,
    audit_log_is_filtered_and_paginated,
);

// ---------------------------------------------------------------- /metrics

/// Every family of §5.2 with its type.
const FAMILIES: [(&str, &str); 24] = [
    ("graph_olap_http_requests_total", "counter"),
    ("graph_olap_http_request_duration_seconds", "histogram"),
    ("instances_by_status_total", "gauge"),
    ("snapshots_by_status_total", "gauge"),
    ("export_jobs_by_status_total", "gauge"),
    ("graph_olap_export_queue_depth", "gauge"),
    ("background_job_execution_total", "counter"),
    ("background_job_execution_duration_seconds", "histogram"),
    ("background_job_last_success_timestamp_seconds", "gauge"),
    ("background_job_health_status", "gauge"),
    ("reconciliation_passes_total", "counter"),
    ("lifecycle_passes_total", "counter"),
    ("export_reconciliation_passes_total", "counter"),
    ("ttl_instances_terminated_total", "counter"),
    ("inactive_instances_terminated_total", "counter"),
    ("lifecycle_deletions_total", "counter"),
    ("concurrency_limit_rejections_total", "counter"),
    ("maintenance_mode_enabled", "gauge"),
    ("export_job_failures_total", "counter"),
    ("instance_startup_duration_seconds", "histogram"),
    ("process_cpu_seconds_total", "counter"),
    ("process_resident_memory_bytes", "gauge"),
    ("process_open_fds", "gauge"),
    ("process_start_time_seconds", "gauge"),
];

const JOB_NAMES: [&str; 5] = [
    "reconciliation",
    "lifecycle",
    "export_reconciliation",
    "schema_cache",
    "instance_orchestration",
];

async fn metrics_are_ops_only_and_every_family_is_present(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    for user in [ALICE, CAROL] {
        let r = s.send(Method::GET, "/metrics", Some(user), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}: {}", r.body);
        assert_eq!(r.body["error"]["details"]["required_roles"], json!(["ops"]));
    }
    let anonymous = s.send(Method::GET, "/metrics", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let scraper = s
        .client
        .get(format!("{}/metrics", s.url))
        .header("X-Internal-Api-Key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        scraper.status(),
        StatusCode::OK,
        "the internal key may scrape"
    );

    let r = s.send(Method::GET, "/metrics", Some(DAVE), None).await;
    assert_eq!(
        r.headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = r.body.as_str().unwrap();
    for (family, kind) in FAMILIES {
        assert!(
            text.contains(&format!("# TYPE {family} {kind}\n")),
            "{family} ({kind}) missing:\n{text}"
        );
    }
    // Fixed-enum label combinations exist from start-up, at 0, before any job ran.
    for job in JOB_NAMES {
        for status in ["success", "failed"] {
            assert_eq!(
                value(
                    text,
                    &format!(
                        "background_job_execution_total{{job_name=\"{job}\",status=\"{status}\"}}"
                    )
                ),
                0.0
            );
        }
        assert_eq!(
            value(
                text,
                &format!("background_job_execution_duration_seconds_count{{job_name=\"{job}\"}}")
            ),
            0.0
        );
        assert_eq!(
            value(
                text,
                &format!("background_job_last_success_timestamp_seconds{{job_name=\"{job}\"}}")
            ),
            0.0
        );
        assert_eq!(
            value(
                text,
                &format!("background_job_health_status{{job_name=\"{job}\"}}")
            ),
            1.0
        );
    }
    for resource in ["instance", "snapshot", "mapping"] {
        for reason in ["ttl", "inactivity"] {
            assert_eq!(
                value(
                    text,
                    &format!(
                        "lifecycle_deletions_total{{resource_type=\"{resource}\",reason=\"{reason}\"}}"
                    )
                ),
                0.0
            );
        }
    }
    for limit in ["per_analyst", "cluster_total"] {
        assert_eq!(
            value(
                text,
                &format!("concurrency_limit_rejections_total{{limit_type=\"{limit}\"}}")
            ),
            0.0
        );
    }
    for code in [
        "WAREHOUSE_ERROR",
        "STORAGE_ERROR",
        "INVALID_DATA",
        "EXPORT_TIMEOUT",
        "LEASE_EXPIRED",
        "CANCELLED",
        "OTHER",
    ] {
        assert_eq!(
            value(
                text,
                &format!("export_job_failures_total{{error_code=\"{code}\"}}")
            ),
            0.0
        );
    }
    for status in [
        "waiting_for_snapshot",
        "starting",
        "running",
        "stopping",
        "failed",
        "terminated",
    ] {
        assert_eq!(
            value(
                text,
                &format!("instances_by_status_total{{status=\"{status}\"}}")
            ),
            0.0
        );
    }
    for status in ["pending", "creating", "ready", "failed", "cancelled"] {
        assert_eq!(
            value(
                text,
                &format!("snapshots_by_status_total{{status=\"{status}\"}}")
            ),
            0.0
        );
    }
    for status in ["pending", "claimed", "completed", "failed", "cancelled"] {
        assert_eq!(
            value(
                text,
                &format!("export_jobs_by_status_total{{status=\"{status}\"}}")
            ),
            0.0
        );
    }
    for series in [
        "reconciliation_passes_total",
        "lifecycle_passes_total",
        "export_reconciliation_passes_total",
        "ttl_instances_terminated_total",
        "inactive_instances_terminated_total",
        "graph_olap_export_queue_depth",
        "maintenance_mode_enabled",
        "instance_startup_duration_seconds_count",
    ] {
        assert_eq!(value(text, series), 0.0, "{series}");
    }
    assert_eq!(value(text, "graph_olap_database_up"), 1.0);
    assert!(value(text, "process_resident_memory_bytes") > 1e6);
    assert!(value(text, "process_open_fds") >= 3.0);
    assert!(value(text, "process_cpu_seconds_total") > 0.0);
    let started = value(text, "process_start_time_seconds");
    assert!(started > 1.6e9 && started <= chrono::Utc::now().timestamp() as f64 + 1.0);

    // GRAPH_OLAP_METRICS_PUBLIC=true opens the scrape to anonymous callers.
    let public = env
        .replica_with(|settings| settings.metrics_public = true, None)
        .await;
    let anonymous = public.send(Method::GET, "/metrics", None, None).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert!(
        anonymous
            .body
            .as_str()
            .unwrap()
            .contains("# TYPE graph_olap_http_requests_total counter")
    );
}

async fn request_metrics_are_labelled_by_route_template(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let id = s.prestaged_mapping(ALICE, "routes").await;
    for _ in 0..2 {
        s.data(Method::GET, &format!("/api/mappings/{id}"), ALICE, None)
            .await;
    }
    let (status, _) = s.call(Method::GET, "/api/no/such/route", ALICE, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.call(Method::GET, "/api/mappings/", BOB, None).await;
    assert_eq!(status, StatusCode::OK);
    let text = s.scrape().await;
    assert_eq!(
        value(
            &text,
            "graph_olap_http_requests_total{method=\"GET\",route=\"/api/mappings/{mapping_id}\",status=\"200\"}"
        ),
        2.0
    );
    assert_eq!(
        value(
            &text,
            "graph_olap_http_requests_total{method=\"POST\",route=\"/api/mappings\",status=\"201\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "graph_olap_http_requests_total{method=\"GET\",route=\"/api/mappings\",status=\"200\"}"
        ),
        1.0,
        "the trailing slash is normalised"
    );
    assert_eq!(
        value(
            &text,
            "graph_olap_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "graph_olap_http_request_duration_seconds_count{method=\"GET\",route=\"/api/mappings/{mapping_id}\"}"
        ),
        2.0
    );
    assert_eq!(
        value(
            &text,
            "graph_olap_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/mappings/{mapping_id}\",le=\"+Inf\"}"
        ),
        2.0
    );
    assert!(
        !text.contains(&format!("/api/mappings/{id}\"")),
        "raw paths never become labels"
    );
    assert!(!text.contains("/api/no/such/route"));
    // The scrape itself is counted by the next scrape.
    let again = s.scrape().await;
    assert_eq!(
        value(
            &again,
            "graph_olap_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"200\"}"
        ),
        1.0
    );
}

async fn database_gauges_views_and_rejections_follow_the_platform(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let tutorial = s.tutorial_mapping(ALICE).await;
    let staged = s.prestaged_mapping(ALICE, "staged").await;
    let waiting = s.instance(ALICE, tutorial, json!({})).await;
    assert_eq!(waiting["status"], "waiting_for_snapshot");
    let starting = s
        .instance(ALICE, staged, json!({"name": "staged-graph"}))
        .await;
    assert_eq!(starting["status"], "starting");
    s.instance(BOB, staged, json!({"name": "bob-graph"})).await;

    // Concurrency: lower alice's limit to her usage; the next creation is refused and counted.
    s.data(
        Method::PUT,
        "/api/config/concurrency",
        DAVE,
        Some(json!({"per_analyst": 2})),
    )
    .await;
    let (status, refused) = s
        .call(
            Method::POST,
            "/api/instances/from-mapping",
            ALICE,
            Some(json!({"mapping_id": staged, "name": "third"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "CONCURRENCY_LIMIT_EXCEEDED");
    assert_eq!(refused["error"]["details"]["limit_type"], "per_analyst");
    assert_eq!(refused["error"]["details"]["current_count"], 2);
    assert_eq!(refused["error"]["details"]["max_allowed"], 2);
    s.data(
        Method::PUT,
        "/api/config/concurrency",
        DAVE,
        Some(json!({"per_analyst": 3, "cluster_total": 3})),
    )
    .await;
    let (status, refused) = s
        .call(
            Method::POST,
            "/api/instances/from-mapping",
            BOB,
            Some(json!({"mapping_id": staged, "name": "fourth"})),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["details"]["limit_type"].clone()),
        (StatusCode::CONFLICT, json!("cluster_total"))
    );
    s.data(
        Method::PUT,
        "/api/config/maintenance",
        DAVE,
        Some(json!({"enabled": true, "message": "upgrade"})),
    )
    .await;

    let text = s.scrape().await;
    assert_eq!(
        value(
            &text,
            "concurrency_limit_rejections_total{limit_type=\"per_analyst\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "concurrency_limit_rejections_total{limit_type=\"cluster_total\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "instances_by_status_total{status=\"waiting_for_snapshot\"}"
        ),
        1.0
    );
    assert_eq!(
        value(&text, "instances_by_status_total{status=\"starting\"}"),
        2.0
    );
    assert_eq!(
        value(&text, "instances_by_status_total{status=\"running\"}"),
        0.0
    );
    assert_eq!(
        value(&text, "snapshots_by_status_total{status=\"pending\"}"),
        1.0
    );
    assert_eq!(
        value(&text, "snapshots_by_status_total{status=\"ready\"}"),
        2.0
    );
    assert_eq!(
        value(&text, "export_jobs_by_status_total{status=\"pending\"}"),
        2.0,
        "one job per node label and edge type"
    );
    assert_eq!(value(&text, "graph_olap_export_queue_depth"), 2.0);
    assert_eq!(value(&text, "maintenance_mode_enabled"), 1.0);

    // The same picture through the ops views.
    let cluster = s
        .data(Method::GET, "/api/cluster/instances", DAVE, None)
        .await;
    assert_eq!(cluster["total"], 3);
    assert_eq!(
        cluster["by_status"],
        json!({"failed": 0, "running": 0, "starting": 2, "stopping": 0, "terminated": 0, "waiting_for_snapshot": 1})
    );
    assert_eq!(
        cluster["by_owner"],
        json!([{"owner_username": ALICE, "count": 2}, {"owner_username": BOB, "count": 1}])
    );
    assert_eq!(cluster["by_wrapper_type"], json!({"ryugraph": 3}));
    assert_eq!(
        cluster["limits"],
        json!({"per_analyst": 3, "cluster_total": 3, "cluster_used": 3, "cluster_available": 0})
    );
    let state = s.data(Method::GET, "/api/ops/state", DAVE, None).await;
    assert_eq!(state["instances"]["total"], 3);
    assert_eq!(
        state["instances"]["without_pod_name"], 2,
        "starting instances that no runtime hosts"
    );
    assert_eq!(state["instances"]["by_status"]["starting"], 2);
    assert_eq!(
        state["snapshots"],
        json!({"total": 3, "by_status": {"cancelled": 0, "creating": 0, "failed": 0, "pending": 1, "ready": 2}})
    );
    assert_eq!(
        state["export_jobs"],
        json!({"total": 2, "by_status": {"cancelled": 0, "claimed": 0, "completed": 0, "failed": 0, "pending": 2}})
    );
    assert_eq!(
        state["exports"], state["export_jobs"],
        "the alias seed 000 reads"
    );
    assert_eq!(state["maintenance"], json!({"enabled": true}));

    // Terminating moves the gauges at the next scrape (they are read from the database).
    s.data(
        Method::POST,
        &format!("/api/instances/{}/terminate", waiting["id"]),
        ALICE,
        None,
    )
    .await;
    let text = s.scrape().await;
    assert_eq!(
        value(&text, "instances_by_status_total{status=\"terminated\"}"),
        1.0
    );
    assert_eq!(
        value(&text, "snapshots_by_status_total{status=\"cancelled\"}"),
        1.0,
        "its snapshot lost its last waiting instance"
    );
    assert_eq!(value(&text, "graph_olap_export_queue_depth"), 0.0);
    for user in [ALICE, CAROL] {
        for path in [
            "/api/cluster/instances",
            "/api/ops/state",
            "/api/cluster/health",
        ] {
            let (status, body) = s.call(Method::GET, path, user, None).await;
            assert_eq!(
                (status, body["error"]["code"].clone()),
                (StatusCode::FORBIDDEN, json!("PERMISSION_DENIED")),
                "{user} {path}"
            );
        }
    }
}

async fn job_runs_export_failures_and_startup_durations_are_counted(db: Db) {
    let env = Env::new(db).await;
    let runtime_dir = env.dir.path().join("runtime");
    let runtime = Arc::new(
        graph_olap_runtime::LocalProcessRuntime::new(graph_olap_runtime::LocalRuntimeConfig::new(
            "/bin/true",
            &runtime_dir,
        ))
        .unwrap(),
    );
    let s = env.replica_with(|_| {}, Some(runtime)).await;
    for job in [
        Job::Lifecycle,
        Job::Reconciliation,
        Job::ExportReconciliation,
    ] {
        assert!(jobs::run_recorded(&s.state, job).await.unwrap());
    }
    let text = s.scrape().await;
    for (job, passes) in [
        ("lifecycle", "lifecycle_passes_total"),
        ("reconciliation", "reconciliation_passes_total"),
        (
            "export_reconciliation",
            "export_reconciliation_passes_total",
        ),
    ] {
        assert_eq!(
            value(
                &text,
                &format!("background_job_execution_total{{job_name=\"{job}\",status=\"success\"}}")
            ),
            1.0,
            "{job}"
        );
        assert_eq!(
            value(
                &text,
                &format!("background_job_execution_duration_seconds_count{{job_name=\"{job}\"}}")
            ),
            1.0
        );
        assert_eq!(value(&text, passes), 1.0);
        let at = value(
            &text,
            &format!("background_job_last_success_timestamp_seconds{{job_name=\"{job}\"}}"),
        );
        assert_eq!(
            at,
            s.state.now().timestamp_millis() as f64 / 1000.0,
            "the database's last success, on the injected clock"
        );
    }
    assert_eq!(
        value(
            &text,
            "background_job_execution_total{job_name=\"schema_cache\",status=\"success\"}"
        ),
        0.0
    );

    // Three failed reconciliations (the runtime lost its unit directory) make the job unhealthy.
    std::fs::remove_dir_all(runtime_dir.join("units")).unwrap();
    for _ in 0..3 {
        assert!(
            jobs::run_recorded(&s.state, Job::Reconciliation)
                .await
                .unwrap()
        );
    }
    let text = s.scrape().await;
    assert_eq!(
        value(
            &text,
            "background_job_execution_total{job_name=\"reconciliation\",status=\"failed\"}"
        ),
        3.0
    );
    assert_eq!(
        value(
            &text,
            "background_job_health_status{job_name=\"reconciliation\"}"
        ),
        0.0
    );
    assert_eq!(
        value(
            &text,
            "background_job_health_status{job_name=\"lifecycle\"}"
        ),
        1.0
    );
    assert_eq!(value(&text, "reconciliation_passes_total"), 4.0);
    let status = s
        .data(Method::GET, "/api/ops/jobs/status", DAVE, None)
        .await;
    let reconciliation = &status["jobs"][0];
    assert_eq!(reconciliation["name"], "reconciliation");
    assert_eq!(
        (
            reconciliation["consecutive_failures"].clone(),
            reconciliation["health_status"].clone()
        ),
        (json!(3), json!("unhealthy"))
    );
    assert!(
        reconciliation["last_error"]
            .as_str()
            .unwrap()
            .contains("runtime"),
        "{reconciliation}"
    );
    assert_eq!(status["jobs"][1]["health_status"], "healthy");
    assert_eq!(
        status["jobs"][3]["health_status"], "unknown",
        "schema_cache never ran here"
    );

    // Export failures are counted by error code: a retried attempt, then a final one.
    let tutorial = s.tutorial_mapping(ALICE).await;
    s.instance(ALICE, tutorial, json!({})).await;
    let claim = json!({"worker_id": "w-1", "limit": 1});
    let (_, claimed) = s
        .internal(
            Method::POST,
            "/api/internal/export-jobs/claim",
            claim.clone(),
        )
        .await;
    let job = &claimed["data"]["jobs"][0];
    let fail = json!({"lease_token": job["lease_token"], "error_code": "WAREHOUSE_ERROR", "error_message": "warehouse went away", "retryable": true});
    let (status, _) = s
        .internal(
            Method::POST,
            &format!("/api/internal/export-jobs/{}/fail", job["id"]),
            fail,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    s.advance(chrono::Duration::seconds(11));
    let (_, claimed) = s
        .internal(Method::POST, "/api/internal/export-jobs/claim", claim)
        .await;
    let job = &claimed["data"]["jobs"][0];
    let fail = json!({"lease_token": job["lease_token"], "error_code": "INVALID_DATA", "error_message": "null key", "retryable": false});
    s.internal(
        Method::POST,
        &format!("/api/internal/export-jobs/{}/fail", job["id"]),
        fail,
    )
    .await;
    let text = s.scrape().await;
    assert_eq!(
        value(
            &text,
            "export_job_failures_total{error_code=\"WAREHOUSE_ERROR\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "export_job_failures_total{error_code=\"INVALID_DATA\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "export_job_failures_total{error_code=\"LEASE_EXPIRED\"}"
        ),
        0.0
    );
    assert_eq!(
        value(&text, "export_jobs_by_status_total{status=\"failed\"}"),
        1.0
    );
    assert_eq!(
        value(&text, "export_jobs_by_status_total{status=\"cancelled\"}"),
        1.0,
        "the sibling job is cancelled"
    );

    // Start-up duration: creation → running, on the injected clock.
    let staged = s.prestaged_mapping(ALICE, "staged").await;
    let inst = s.instance(ALICE, staged, json!({})).await;
    s.advance(chrono::Duration::seconds(42));
    report_running(&s, inst["id"].as_i64().unwrap(), &ready_server().await).await;
    let text = s.scrape().await;
    assert_eq!(value(&text, "instance_startup_duration_seconds_count"), 1.0);
    assert_eq!(value(&text, "instance_startup_duration_seconds_sum"), 42.0);
    assert_eq!(
        value(&text, "instance_startup_duration_seconds_bucket{le=\"30\"}"),
        0.0
    );
    assert_eq!(
        value(&text, "instance_startup_duration_seconds_bucket{le=\"60\"}"),
        1.0
    );
    assert_eq!(
        value(&text, "instances_by_status_total{status=\"running\"}"),
        1.0
    );
}

/// Every instance error code of API.md §1.13 is accepted in a `failed` report and stored;
/// anything else is refused and changes nothing (an instance server reporting `DATABASE_ERROR`
/// or `STARTUP_FAILED` must not be answered with 400).
async fn failure_reports_accept_every_documented_instance_error_code(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let staged = s.prestaged_mapping(ALICE, "failing").await;
    for code in graph_olap_api::InstanceErrorCode::ALL {
        let inst = s
            .instance(ALICE, staged, json!({"name": format!("fails-{code}")}))
            .await;
        let id = inst["id"].as_i64().unwrap();
        let path = format!("/api/internal/instances/{id}/status");
        let (status, body) = s
            .internal(
                Method::PATCH,
                &path,
                json!({"status": "failed", "error_code": "NOT_A_CODE", "error_message": "x"}),
            )
            .await;
        assert_invalid(status, &body, "error_code", "enum");
        let unchanged = s
            .data(Method::GET, &format!("/api/instances/{id}"), ALICE, None)
            .await;
        assert_eq!(unchanged["status"], "starting", "{unchanged}");
        let report = json!({"status": "failed", "error_code": code.as_str(), "error_message": "engine stopped"});
        let (status, body) = s.internal(Method::PATCH, &path, report).await;
        assert_eq!(status, StatusCode::OK, "{code}: {body}");
        let failed = s
            .data(Method::GET, &format!("/api/instances/{id}"), ALICE, None)
            .await;
        assert_eq!(failed["status"], "failed", "{failed}");
        assert_eq!(failed["error_code"], code.as_str(), "{failed}");
    }
}

async fn lifecycle_expiries_are_counted_by_reason(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let staged = s.prestaged_mapping(ALICE, "kept").await;
    let short = s
        .instance(ALICE, staged, json!({"name": "short", "ttl": "PT1H"}))
        .await;
    let idle = s
        .instance(
            ALICE,
            staged,
            json!({"name": "idle", "ttl": "P1D", "inactivity_timeout": "PT30M"}),
        )
        .await;
    report_running(&s, idle["id"].as_i64().unwrap(), &ready_server().await).await;
    let doomed = s
        .mapping(
            ALICE,
            json!({"name": "doomed", "ttl": "PT2H", "node_definitions": [prestaged_node()]}),
        )
        .await;
    let quiet = s.mapping(ALICE, json!({"name": "quiet", "inactivity_timeout": "P1D", "node_definitions": [prestaged_node()]})).await;
    let lifecycle = async || {
        assert!(jobs::run_recorded(&s.state, Job::Lifecycle).await.unwrap());
        s.scrape().await
    };

    s.advance(chrono::Duration::minutes(31));
    let text = lifecycle().await;
    assert_eq!(value(&text, "inactive_instances_terminated_total"), 1.0);
    assert_eq!(value(&text, "ttl_instances_terminated_total"), 0.0);
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"instance\",reason=\"inactivity\"}"
        ),
        1.0
    );
    let idle_now = s
        .data(
            Method::GET,
            &format!("/api/instances/{}", idle["id"]),
            ALICE,
            None,
        )
        .await;
    assert_eq!(
        (
            idle_now["status"].clone(),
            idle_now["termination_reason"].clone()
        ),
        (json!("stopping"), json!("inactivity_timeout"))
    );

    s.advance(chrono::Duration::minutes(30));
    let text = lifecycle().await;
    assert_eq!(value(&text, "ttl_instances_terminated_total"), 1.0);
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"instance\",reason=\"ttl\"}"
        ),
        1.0
    );
    let short_now = s
        .data(
            Method::GET,
            &format!("/api/instances/{}", short["id"]),
            ALICE,
            None,
        )
        .await;
    assert_eq!(short_now["termination_reason"], "ttl_expired");
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"mapping\",reason=\"ttl\"}"
        ),
        0.0,
        "not yet"
    );

    s.advance(chrono::Duration::minutes(60));
    let text = lifecycle().await;
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"mapping\",reason=\"ttl\"}"
        ),
        1.0
    );
    let (status, _) = s
        .call(Method::GET, &format!("/api/mappings/{doomed}"), ALICE, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Snapshots idle for their default inactivity (P3D) go once no active instance uses them;
    // the mapping idle for its P1D goes too; the mapping without a lifecycle stays.
    s.advance(chrono::Duration::days(3));
    let text = lifecycle().await;
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"snapshot\",reason=\"inactivity\"}"
        ),
        2.0
    );
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"mapping\",reason=\"inactivity\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"snapshot\",reason=\"ttl\"}"
        ),
        0.0
    );
    assert_eq!(value(&text, "lifecycle_passes_total"), 4.0);
    let (status, _) = s
        .call(Method::GET, &format!("/api/mappings/{quiet}"), ALICE, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.data(Method::GET, &format!("/api/mappings/{staged}"), ALICE, None)
        .await;
}

// ---------------------------------------------------------------- cluster health

async fn cluster_health_probes_every_component_and_caches(db: Db) {
    let env = Env::new(db).await;
    let runtime_dir = env.dir.path().join("runtime");
    let runtime = Arc::new(
        graph_olap_runtime::LocalProcessRuntime::new(graph_olap_runtime::LocalRuntimeConfig::new(
            "/bin/true",
            &runtime_dir,
        ))
        .unwrap(),
    );
    let s = env.replica_with(|_| {}, Some(runtime)).await;
    let health = s.data(Method::GET, "/api/cluster/health", DAVE, None).await;
    assert_eq!(health["status"], "healthy", "{health}");
    for component in ["database", "compute", "warehouse", "object_storage"] {
        let c = &health["components"][component];
        assert_eq!(c["status"], "healthy", "{component}: {health}");
        assert!(
            c["latency_ms"].is_u64() && c["error"].is_null() && c["checked_at"].is_string(),
            "{component}: {c}"
        );
    }

    // Results are reused for up to 10 s of the injected clock, then probed again.
    std::fs::remove_dir_all(runtime_dir.join("units")).unwrap();
    s.advance(chrono::Duration::seconds(9));
    let cached = s.data(Method::GET, "/api/cluster/health", DAVE, None).await;
    assert_eq!(cached, health, "served from the cache");
    s.advance(chrono::Duration::seconds(2));
    let fresh = s.data(Method::GET, "/api/cluster/health", DAVE, None).await;
    assert_ne!(fresh["checked_at"], health["checked_at"]);
    assert_eq!(fresh["status"], "degraded", "{fresh}");
    assert_eq!(fresh["components"]["compute"]["status"], "unhealthy");
    assert!(
        fresh["components"]["compute"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    assert_eq!(fresh["components"]["database"]["status"], "healthy");

    // A replica without a runtime, with a warehouse that never answers and an object store it
    // cannot open: every probe is bounded by 2 s and they run in parallel.
    let mut broken = s.state.clone();
    broken.runtime = None;
    broken.cluster_health = Default::default();
    broken.warehouse = Arc::new(
        graph_olap_warehouse::PostgresWarehouse::new(
            &format!("postgres://nobody@127.0.0.1:{}/none", black_hole().await),
            100,
        )
        .unwrap(),
    );
    let mut settings = (*broken.settings).clone();
    settings.storage_root = "ftp://nowhere/snapshots".into();
    broken.settings = Arc::new(settings);
    let b = serve_state(broken, env.clock.clone()).await;
    let started = Instant::now();
    let r = b
        .send(Method::GET, "/api/cluster/health", Some(DAVE), None)
        .await;
    let took = started.elapsed();
    assert_eq!(r.status, StatusCode::OK, "always 200: {}", r.body);
    let h = &r.body["data"];
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_millis(3500),
        "{took:?}"
    );
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(
        h["components"]["compute"],
        json!({"status": "not_configured", "latency_ms": null, "error": null, "checked_at": h["components"]["compute"]["checked_at"]})
    );
    assert_eq!(h["components"]["warehouse"]["status"], "unhealthy");
    assert_eq!(
        h["components"]["warehouse"]["error"],
        "no answer within 2 s"
    );
    assert_eq!(h["components"]["object_storage"]["status"], "unhealthy");
    assert!(
        h["components"]["object_storage"]["error"]
            .as_str()
            .unwrap()
            .contains("unsupported storage scheme"),
        "{h}"
    );
    assert_eq!(h["components"]["database"]["status"], "healthy");

    // With the database gone the cluster is unhealthy (probed in-process: no request could be
    // authenticated without the database).
    let mut no_db = s.state.clone();
    no_db.store = Store::connect(&env.db_url).await.unwrap();
    no_db.store.close().await;
    no_db.cluster_health = Default::default();
    let h = graph_olap_control_plane::ops::cluster::health(&no_db).await;
    assert_eq!(h.status, graph_olap_api::ops::ClusterStatus::Unhealthy);
    assert_eq!(
        h.components.database.status,
        graph_olap_api::ops::ComponentStatus::Unhealthy
    );
}

// ---------------------------------------------------------------- jobs

async fn job_triggers_are_rate_limited_audited_and_run(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let status = s
        .data(Method::GET, "/api/ops/jobs/status", DAVE, None)
        .await;
    let names: Vec<&str> = status["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, JOB_NAMES, "the order of §4.12");
    for j in status["jobs"].as_array().unwrap() {
        assert_eq!(j["health_status"], "unknown", "{j}");
        assert_eq!(j["triggerable"], j["name"] != "instance_orchestration");
        assert!(
            j["next_run"].is_string(),
            "next_run is known before the first pass: {j}"
        );
        for key in [
            "description",
            "interval_seconds",
            "schedule",
            "running",
            "last_run_at",
            "last_success_at",
            "last_failure_at",
            "last_duration_ms",
            "last_error",
            "consecutive_failures",
            "last_trigger",
        ] {
            assert!(j.get(key).is_some(), "{key} missing: {j}");
        }
    }
    assert_eq!(status["jobs"][0]["schedule"], "every 60s");
    assert_eq!(status["jobs"][3]["interval_seconds"], 86_400);

    // Bad input: a typed error and nothing changed (no trigger recorded, nothing audited).
    let before = s.fingerprint().await;
    let long = "x".repeat(501);
    let bad = [
        (
            json!({"job_name": "instance_orchestration"}),
            "job_name",
            "enum",
        ),
        (json!({"job_name": "vacuum"}), "job_name", "enum"),
        (json!({}), "job_name", "required"),
        (json!({"job_name": 7}), "job_name", "type"),
        (
            json!({"job_name": "lifecycle", "reason": ""}),
            "reason",
            "too_short",
        ),
        (
            json!({"job_name": "lifecycle", "reason": long}),
            "reason",
            "too_long",
        ),
    ];
    for (body, field, reason) in bad {
        let (status, e) = s
            .call(Method::POST, "/api/ops/jobs/trigger", DAVE, Some(body))
            .await;
        assert_invalid(status, &e, field, reason);
    }
    for user in [ALICE, CAROL] {
        let (status, _) = s
            .call(
                Method::POST,
                "/api/ops/jobs/trigger",
                user,
                Some(json!({"job_name": "lifecycle"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert_eq!(s.fingerprint().await, before);

    // One accepted trigger per job per 60 s of the injected clock.
    let accepted = s
        .send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": "reconciliation", "reason": "smoke-test"})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.body);
    let t = &accepted.body["data"];
    assert_eq!(
        (
            t["job_name"].clone(),
            t["status"].clone(),
            t["triggered_by"].clone(),
            t["reason"].clone()
        ),
        (
            json!("reconciliation"),
            json!("queued"),
            json!(DAVE),
            json!("smoke-test")
        )
    );
    let limited = s
        .send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": "reconciliation"})),
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.body["error"]["code"], "RATE_LIMITED");
    assert_eq!(limited.headers["retry-after"], "60");
    assert_eq!(
        limited.body["error"]["details"],
        json!({"job_name": "reconciliation", "retry_after_seconds": 60, "last_triggered_at": t["triggered_at"]})
    );
    let other = s
        .send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": "lifecycle"})),
        )
        .await;
    assert_eq!(other.status, StatusCode::ACCEPTED, "windows are per job");
    s.advance(chrono::Duration::milliseconds(59_500));
    let limited = s
        .send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": "reconciliation"})),
        )
        .await;
    assert_eq!(
        (
            limited.status,
            limited.headers["retry-after"].to_str().unwrap()
        ),
        (StatusCode::TOO_MANY_REQUESTS, "1")
    );
    assert_eq!(
        limited.body["error"]["details"]["last_triggered_at"], t["triggered_at"],
        "refused triggers do not move the window"
    );
    s.advance(chrono::Duration::milliseconds(500));
    let again = s
        .send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": "reconciliation", "reason": "second"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED);

    let status = s
        .data(Method::GET, "/api/ops/jobs/status", DAVE, None)
        .await;
    let reconciliation = &status["jobs"][0];
    assert_eq!(
        reconciliation["last_trigger"],
        json!({"triggered_at": again.body["data"]["triggered_at"], "triggered_by": DAVE, "reason": "second"})
    );
    assert_eq!(
        reconciliation["next_run"], again.body["data"]["triggered_at"],
        "due at once"
    );
    let audited = s
        .audit(audit::AuditFilter {
            action: Some("job.trigger".into()),
            ..Default::default()
        })
        .await;
    let reasons: Vec<(&str, &str)> = audited
        .iter()
        .map(|a| {
            (
                a.resource_id.as_deref().unwrap(),
                a.details["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("reconciliation", "second"),
            ("lifecycle", "manual-trigger"),
            ("reconciliation", "smoke-test")
        ]
    );
    assert!(
        audited
            .iter()
            .all(|a| a.actor == DAVE && a.resource_type == "background_job")
    );

    // The scheduler picks a trigger up: once it has settled, a trigger runs the job exactly once.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let scheduler = jobs::spawn_scheduler(s.state.clone(), stopped);
    let runs = async |job: &str| {
        value(
            &s.scrape().await,
            &format!("background_job_execution_total{{job_name=\"{job}\",status=\"success\"}}"),
        )
    };
    eventually("the first pass of every job", async || {
        let st = jobs::status(&s.state).await.unwrap();
        st.iter().all(|j| j.last_success_at.is_some() && !j.running)
    })
    .await;
    let before = runs("schema_cache").await;
    let r = s
        .send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": "schema_cache", "reason": "refresh now"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    eventually("the triggered run", async || {
        runs("schema_cache").await > before
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        runs("schema_cache").await,
        before + 1.0,
        "one trigger, one run"
    );
    let _ = stop.send(true);
    scheduler.await.unwrap();
}

/// Two replicas with their own pools on one PostgreSQL: the trigger window is shared, a held job
/// lock keeps the other replica from running that job, and a trigger runs the job once in all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_replicas_share_the_trigger_window_and_run_a_job_once() {
    let env = Env::new(Db::Postgres).await;
    let a = env.replica().await;
    let b = env.replica().await;
    let trigger = async |s: &Server, job: &str| {
        s.send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": job})),
        )
        .await
    };
    assert_eq!(trigger(&a, "lifecycle").await.status, StatusCode::ACCEPTED);
    let refused = trigger(&b, "lifecycle").await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.headers["retry-after"], "60");
    assert_eq!(
        trigger(&b, "export_reconciliation").await.status,
        StatusCode::ACCEPTED
    );

    // Ten concurrent triggers split over both replicas: exactly one is accepted.
    let attempts = (0..10).map(|i| {
        let s = if i % 2 == 0 { &a } else { &b };
        trigger(s, "schema_cache")
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::ACCEPTED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        9,
        "{statuses:?}"
    );
    a.advance(chrono::Duration::seconds(60));
    assert_eq!(
        trigger(&b, "lifecycle").await.status,
        StatusCode::ACCEPTED,
        "the window is over for both"
    );

    // While replica A holds the lifecycle lock, replica B does not run lifecycle.
    let lock = JobLock::acquire(&a.state, Job::Lifecycle)
        .await
        .unwrap()
        .expect("free");
    let before = jobs::status(&b.state).await.unwrap()[1].clone();
    assert!(
        !jobs::run_recorded(&b.state, Job::Lifecycle).await.unwrap(),
        "locked by the other replica"
    );
    assert_eq!(
        jobs::status(&b.state).await.unwrap()[1],
        before,
        "nothing recorded"
    );
    assert!(
        JobLock::acquire(&b.state, Job::Lifecycle)
            .await
            .unwrap()
            .is_none()
    );
    lock.release().await;
    assert!(jobs::run_recorded(&b.state, Job::Lifecycle).await.unwrap());

    // Both replicas schedule; a trigger on one makes the job run once between them.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let schedulers = [
        jobs::spawn_scheduler(a.state.clone(), stopped.clone()),
        jobs::spawn_scheduler(b.state.clone(), stopped),
    ];
    let runs = async |job: &str| {
        let series =
            format!("background_job_execution_total{{job_name=\"{job}\",status=\"success\"}}");
        value(&a.scrape().await, &series) + value(&b.scrape().await, &series)
    };
    eventually("both schedulers to settle", async || {
        let first = runs("reconciliation").await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let st = jobs::status(&a.state).await.unwrap();
        first >= 1.0
            && runs("reconciliation").await == first
            && st.iter().all(|j| j.last_success_at.is_some() && !j.running)
    })
    .await;
    let before = runs("reconciliation").await;
    assert_eq!(
        trigger(&b, "reconciliation").await.status,
        StatusCode::ACCEPTED
    );
    eventually("the triggered run", async || {
        runs("reconciliation").await > before
    })
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        runs("reconciliation").await,
        before + 1.0,
        "exactly one replica ran it"
    );
    let _ = stop.send(true);
    for s in schedulers {
        s.await.unwrap();
    }
}

// ---------------------------------------------------------------- export jobs view

async fn export_job_view_filters_and_paginates(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let tutorial = s.tutorial_mapping(ALICE).await;
    let first = s.instance(ALICE, tutorial, json!({"name": "first"})).await;
    let second = s
        .instance(
            BOB,
            tutorial,
            json!({"name": "second", "snapshot_name": "again"}),
        )
        .await;
    let (_, claimed) = s
        .internal(
            Method::POST,
            "/api/internal/export-jobs/claim",
            json!({"worker_id": "worker-7", "limit": 1}),
        )
        .await;
    let claimed_id = claimed["data"]["jobs"][0]["id"].as_i64().unwrap();

    let r = s
        .send(Method::GET, "/api/ops/export-jobs", Some(DAVE), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let jobs = r.body["data"]["jobs"].as_array().unwrap();
    let snapshots_expected = if first["snapshot_id"] == second["snapshot_id"] {
        2
    } else {
        4
    };
    assert_eq!(jobs.len(), snapshots_expected, "{}", r.body);
    assert_eq!(
        (
            r.body["meta"]["total"].clone(),
            r.body["meta"]["offset"].clone(),
            r.body["meta"]["limit"].clone()
        ),
        (json!(snapshots_expected), json!(0), json!(100))
    );
    let ids: Vec<i64> = jobs.iter().map(|j| j["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    for key in [
        "id",
        "snapshot_id",
        "mapping_id",
        "job_type",
        "entity_type",
        "entity_name",
        "status",
        "attempts",
        "max_attempts",
        "claimed_by",
        "claimed_at",
        "lease_expires_at",
        "started_at",
        "deadline_at",
        "available_at",
        "completed_at",
        "row_count",
        "size_bytes",
        "output_uri",
        "warehouse_query_id",
        "error_code",
        "error_message",
        "created_at",
        "updated_at",
    ] {
        assert!(jobs[0].get(key).is_some(), "{key} missing: {}", jobs[0]);
    }
    let claimed = s
        .data(
            Method::GET,
            "/api/ops/export-jobs?status=claimed",
            DAVE,
            None,
        )
        .await;
    assert_eq!(claimed["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            claimed["jobs"][0]["id"].as_i64(),
            claimed["jobs"][0]["claimed_by"].clone()
        ),
        (Some(claimed_id), json!("worker-7"))
    );
    let both = s
        .send(
            Method::GET,
            "/api/ops/export-jobs?status=pending,claimed&limit=1&offset=1",
            Some(DAVE),
            None,
        )
        .await;
    assert_eq!(both.body["data"]["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(both.body["data"]["jobs"][0]["id"].as_i64(), Some(ids[1]));
    assert_eq!(both.body["meta"]["total"], snapshots_expected);
    let of_first = s
        .data(
            Method::GET,
            &format!("/api/ops/export-jobs?snapshot_id={}", first["snapshot_id"]),
            DAVE,
            None,
        )
        .await;
    assert_eq!(of_first["jobs"].as_array().unwrap().len(), 2);
    assert!(
        of_first["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["snapshot_id"] == first["snapshot_id"])
    );
    let none = s
        .data(
            Method::GET,
            "/api/ops/export-jobs?status=completed",
            DAVE,
            None,
        )
        .await;
    assert_eq!(none["jobs"], json!([]));
    let big = s
        .send(
            Method::GET,
            "/api/ops/export-jobs?limit=1000",
            Some(DAVE),
            None,
        )
        .await;
    assert_eq!(big.status, StatusCode::OK, "up to 1000 per page");

    let before = s.fingerprint().await;
    for (query, field, reason) in [
        ("limit=0", "query.limit", "out_of_range"),
        ("limit=1001", "query.limit", "out_of_range"),
        ("offset=-1", "query.offset", "out_of_range"),
        ("status=running", "query.status", "enum"),
        ("status=pending,nope", "query.status", "enum"),
        ("snapshot_id=abc", "query.snapshot_id", "type"),
        ("snapshot_id=0", "query.snapshot_id", "out_of_range"),
    ] {
        let (status, e) = s
            .call(
                Method::GET,
                &format!("/api/ops/export-jobs?{query}"),
                DAVE,
                None,
            )
            .await;
        assert_invalid(status, &e, field, reason);
    }
    assert_eq!(s.fingerprint().await, before);
    for user in [ALICE, CAROL] {
        let (status, _) = s
            .call(Method::GET, "/api/ops/export-jobs", user, None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

// ---------------------------------------------------------------- bulk delete

async fn bulk_delete_refuses_unsafe_requests_and_changes_nothing(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let staged = s.prestaged_mapping(ALICE, "tmp-mapping").await;
    for i in 0..2 {
        s.instance(ALICE, staged, json!({"name": format!("tmp-{i}")}))
            .await;
    }
    let before = s.fingerprint().await;
    let del = async |body: Value| {
        let r = s
            .send(
                Method::DELETE,
                "/api/admin/resources/bulk",
                Some(CAROL),
                Some(body),
            )
            .await;
        (r.status, r.body)
    };
    let cases = [
        (
            json!({"resource_type": "instance", "reason": "x"}),
            "filters",
            "required",
        ),
        (
            json!({"resource_type": "instance", "filters": null, "reason": "x"}),
            "filters",
            "required",
        ),
        (
            json!({"resource_type": "instance", "filters": {}, "reason": "x"}),
            "filters",
            "required",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefix": null, "created_by": null, "older_than_hours": null, "status": null}, "reason": "x"}),
            "filters",
            "required",
        ),
        (
            json!({"resource_type": "instance", "filters": "tmp-", "reason": "x"}),
            "filters",
            "type",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefx": "tmp-"}, "reason": "x"}),
            "filters.name_prefx",
            "unknown_field",
        ),
        (
            json!({"resource_type": "mapping", "filters": {"status": "ready"}, "reason": "x"}),
            "filters.status",
            "not_allowed",
        ),
        (
            json!({"resource_type": "instance", "filters": {"status": "ready"}, "reason": "x"}),
            "filters.status",
            "enum",
        ),
        (
            json!({"resource_type": "snapshot", "filters": {"status": "running"}, "reason": "x"}),
            "filters.status",
            "enum",
        ),
        (
            json!({"resource_type": "user", "filters": {"name_prefix": "tmp-"}, "reason": "x"}),
            "resource_type",
            "enum",
        ),
        (
            json!({"filters": {"name_prefix": "tmp-"}, "reason": "x"}),
            "resource_type",
            "required",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-"}}),
            "reason",
            "required",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-"}, "reason": ""}),
            "reason",
            "too_short",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefix": ""}, "reason": "x"}),
            "filters.name_prefix",
            "too_short",
        ),
        (
            json!({"resource_type": "instance", "filters": {"older_than_hours": 0}, "reason": "x"}),
            "filters.older_than_hours",
            "out_of_range",
        ),
        (
            json!({"resource_type": "instance", "filters": {"older_than_hours": 87_601}, "reason": "x"}),
            "filters.older_than_hours",
            "out_of_range",
        ),
        (
            json!({"resource_type": "instance", "filters": {"older_than_hours": "2h"}, "reason": "x"}),
            "filters.older_than_hours",
            "type",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-"}, "reason": "x", "expected_count": -1}),
            "expected_count",
            "out_of_range",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-"}, "reason": "x", "dry_run": "yes"}),
            "dry_run",
            "type",
        ),
    ];
    for (body, field, reason) in cases {
        let (status, e) = del(body.clone()).await;
        assert_invalid(status, &e, field, reason);
    }
    // Every problem is reported together.
    let (status, e) =
        del(json!({"resource_type": "mapping", "filters": {"status": "x", "bogus": 1}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let found = reasons(&e);
    for expected in [
        ("reason", "required"),
        ("filters.bogus", "unknown_field"),
        ("filters.status", "not_allowed"),
    ] {
        assert!(
            found
                .iter()
                .any(|(f, r)| (f.as_str(), r.as_str()) == expected),
            "{expected:?} in {e}"
        );
    }
    // A wrong expected_count is refused, in a dry run too, naming both numbers.
    for dry_run in [true, false] {
        let (status, e) = del(json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-"}, "reason": "x", "expected_count": 3, "dry_run": dry_run})).await;
        assert_invalid(status, &e, "expected_count", "count_mismatch");
        let message = e["error"]["details"]["errors"][0]["message"]
            .as_str()
            .unwrap();
        assert!(message.contains('3') && message.contains('2'), "{message}");
    }
    // Bad durations elsewhere on the same platform: typed errors, nothing stored.
    for (ttl, reason) in [
        ("P1Y", "unsupported_unit"),
        ("PT0S", "out_of_range"),
        ("1 day", "invalid_duration"),
        ("P1DT", "invalid_duration"),
    ] {
        let (status, e) = s
            .call(
                Method::POST,
                "/api/instances/from-mapping",
                ALICE,
                Some(json!({"mapping_id": staged, "name": "bad", "ttl": ttl})),
            )
            .await;
        assert_invalid(status, &e, "ttl", reason);
        let (status, e) = s
            .call(
                Method::PUT,
                "/api/config/lifecycle",
                DAVE,
                Some(json!({"snapshot": {"default_inactivity": ttl}})),
            )
            .await;
        assert_invalid(status, &e, "snapshot.default_inactivity", reason);
    }
    assert_eq!(
        s.fingerprint().await,
        before,
        "refused requests changed nothing"
    );
    // Analysts may not bulk delete at all.
    let r = s.send(Method::DELETE, "/api/admin/resources/bulk", Some(ALICE), Some(json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-"}, "reason": "x"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A dry run reports what would be affected and changes nothing.
    let dry = s.data(Method::POST, "/api/admin/resources/bulk-delete", DAVE, Some(json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-", "created_by": "ANALYST_ALICE@e2e.local"}, "reason": "check", "expected_count": 2, "dry_run": true}))).await;
    assert_eq!(
        (
            dry["dry_run"].clone(),
            dry["matched_count"].clone(),
            dry["deleted_count"].clone()
        ),
        (json!(true), json!(2), json!(0))
    );
    assert_eq!(
        (
            dry["deleted_ids"].clone(),
            dry["failed_ids"].clone(),
            dry["errors"].clone()
        ),
        (json!([]), json!([]), json!({}))
    );
    assert_eq!(dry["matched_ids"].as_array().unwrap().len(), 2);

    // 101 matches is too many, even as a dry run.
    for i in 0..100 {
        s.mapping(
            BOB,
            json!({"name": format!("bulk-{i:03}"), "node_definitions": [prestaged_node()]}),
        )
        .await;
    }
    s.mapping(
        BOB,
        json!({"name": "bulk-extra", "node_definitions": [prestaged_node()]}),
    )
    .await;
    let before_many = s.fingerprint().await;
    for dry_run in [true, false] {
        let (status, e) = del(json!({"resource_type": "mapping", "filters": {"name_prefix": "bulk-"}, "reason": "too many", "dry_run": dry_run})).await;
        assert_invalid(status, &e, "filters", "too_many_matches");
        assert!(
            e["error"]["details"]["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("101"),
            "{e}"
        );
    }
    assert_eq!(s.fingerprint().await, before_many, "nothing changed");
    let exactly = s.data(Method::POST, "/api/admin/resources/bulk-delete", CAROL, Some(json!({"resource_type": "mapping", "filters": {"name_prefix": "bulk-0"}, "reason": "hundred", "dry_run": true}))).await;
    assert_eq!(exactly["matched_count"], 100, "100 is allowed");

    let after = s.fingerprint().await;
    assert_eq!(
        (&after["instances"], &after["snapshots"], &after["jobs"]),
        (&before["instances"], &before["snapshots"], &before["jobs"]),
        "no instance or snapshot was touched"
    );
    let audited = s
        .audit(audit::AuditFilter {
            action: Some("bulk.".into()),
            ..Default::default()
        })
        .await;
    assert!(
        audited.is_empty(),
        "refused requests and dry runs are not audited: {audited:?}"
    );
}

async fn bulk_delete_processes_each_match_independently(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let staged = s.prestaged_mapping(ALICE, "bulk-staged").await;
    let other = s.prestaged_mapping(BOB, "bulk-other").await;
    let mut tmp = Vec::new();
    for i in 0..3 {
        tmp.push(
            s.instance(ALICE, staged, json!({"name": format!("tmp-{i}")}))
                .await,
        );
    }
    let keep = s.instance(ALICE, staged, json!({"name": "keep"})).await;
    let bobs = s.instance(BOB, other, json!({"name": "tmp-bob"})).await;

    // Instances: terminated through the normal path with termination_reason bulk_delete.
    let r = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-", "created_by": "me"}, "reason": "nobody"}))).await;
    assert_eq!(r["matched_count"], 0, "created_by me is the admin: {r}");
    let r = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-", "created_by": ALICE, "status": "starting"}, "reason": "cleanup after test run", "expected_count": 3}))).await;
    let tmp_ids: Vec<i64> = tmp.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(r["matched_ids"], json!(tmp_ids));
    assert_eq!(
        (
            r["deleted_count"].clone(),
            r["deleted_ids"].clone(),
            r["failed_ids"].clone(),
            r["dry_run"].clone()
        ),
        (json!(3), json!(tmp_ids), json!([]), json!(false))
    );
    for id in &tmp_ids {
        let inst = s
            .data(Method::GET, &format!("/api/instances/{id}"), ALICE, None)
            .await;
        assert_eq!(inst["termination_reason"], "bulk_delete", "{inst}");
        assert!(
            matches!(inst["status"].as_str(), Some("stopping" | "terminated")),
            "{inst}"
        );
        let events = s
            .data(
                Method::GET,
                &format!("/api/instances/{id}/events?event_type=terminate_requested"),
                ALICE,
                None,
            )
            .await;
        assert_eq!(events[0]["actor"], CAROL);
        assert_eq!(events[0]["details"]["note"], "cleanup after test run");
    }
    for untouched in [&keep, &bobs] {
        assert_eq!(
            s.data(
                Method::GET,
                &format!("/api/instances/{}", untouched["id"]),
                ALICE,
                None
            )
            .await["status"],
            "starting"
        );
    }
    // Terminated instances never match again.
    let again = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-", "created_by": ALICE}, "reason": "again", "dry_run": true}))).await;
    assert_eq!(again["matched_count"], 0, "{again}");

    // Snapshots: the ones still used by an active instance fail with their own error; the rest go.
    let r = s.data(Method::POST, "/api/admin/resources/bulk-delete", DAVE, Some(json!({"resource_type": "snapshot", "filters": {"created_by": ALICE, "status": "ready"}, "reason": "free storage"}))).await;
    assert_eq!(r["matched_count"], 4, "{r}");
    assert_eq!(r["failed_ids"], json!([keep["snapshot_id"]]));
    let error = &r["errors"][keep["snapshot_id"].to_string()];
    assert_eq!(error["code"], "RESOURCE_HAS_DEPENDENCIES", "{r}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("active instance")
    );
    let deleted: Vec<Value> = tmp.iter().map(|i| i["snapshot_id"].clone()).collect();
    assert_eq!(r["deleted_ids"], json!(deleted));
    assert_eq!(r["deleted_count"], 3);
    for id in &deleted {
        let (status, _) = s
            .call(Method::GET, &format!("/api/snapshots/{id}"), ALICE, None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    // Mappings: the one with an active instance is refused, the other is deleted.
    let r = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "mapping", "filters": {"name_prefix": "bulk-"}, "reason": "end of project", "expected_count": 2}))).await;
    assert_eq!(
        r["failed_ids"].as_array().unwrap().len(),
        2,
        "both have an active instance: {r}"
    );
    s.data(
        Method::POST,
        &format!("/api/instances/{}/terminate", bobs["id"]),
        BOB,
        None,
    )
    .await;
    let r = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "mapping", "filters": {"name_prefix": "bulk-"}, "reason": "end of project"}))).await;
    assert_eq!(
        (r["deleted_ids"].clone(), r["failed_ids"].clone()),
        (json!([other]), json!([staged])),
        "{r}"
    );
    assert_eq!(
        r["errors"][staged.to_string()]["code"],
        "RESOURCE_HAS_DEPENDENCIES"
    );
    let (status, _) = s
        .call(Method::GET, &format!("/api/mappings/{other}"), BOB, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Age filter: nothing is older than an hour yet; two hours later everything is.
    let young = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "instance", "filters": {"older_than_hours": 1}, "reason": "old", "dry_run": true}))).await;
    assert_eq!(young["matched_count"], 0);
    s.advance(chrono::Duration::hours(2));
    let old = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "instance", "filters": {"older_than_hours": 1}, "reason": "old", "dry_run": true}))).await;
    assert_eq!(old["matched_ids"], json!([keep["id"]]), "{old}");

    // Each real run is one audit record with the caller, reason, filters and ids.
    let audited = s
        .audit(audit::AuditFilter {
            action: Some("bulk.delete".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(audited.len(), 5, "{audited:?}");
    let first = audited.last().unwrap();
    assert_eq!(
        (first.actor.as_str(), first.resource_type.as_str()),
        (CAROL, "instance")
    );
    assert_eq!(first.details["reason"], "nobody");
    let terminate_run = &audited[audited.len() - 2];
    assert_eq!(
        terminate_run.details["filters"],
        json!({"name_prefix": "tmp-", "created_by": ALICE, "status": "starting"})
    );
    assert_eq!(terminate_run.details["deleted_ids"], json!(tmp_ids));
    assert_eq!(terminate_run.details["expected_count"], 3);
}

// ---------------------------------------------------------------- audit log

async fn audit_log_is_filtered_and_paginated(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let t0 = s.state.now();
    let m = s.prestaged_mapping(ALICE, "audited").await;
    s.advance(chrono::Duration::minutes(5));
    s.data(
        Method::PUT,
        "/api/config/concurrency",
        DAVE,
        Some(json!({"per_analyst": 7})),
    )
    .await;
    s.data(
        Method::PUT,
        "/api/config/export",
        DAVE,
        Some(json!({"max_duration_seconds": 600})),
    )
    .await;
    s.advance(chrono::Duration::minutes(5));
    s.data(Method::DELETE, &format!("/api/mappings/{m}"), ALICE, None)
        .await;

    for user in [CAROL, DAVE] {
        let r = s
            .send(Method::GET, "/api/audit-log", Some(user), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{user}: {}", r.body);
        assert!(r.body["meta"]["total"].as_i64().unwrap() >= 4);
        assert_eq!(
            (
                r.body["meta"]["offset"].clone(),
                r.body["meta"]["limit"].clone()
            ),
            (json!(0), json!(50))
        );
    }
    let (status, _) = s.call(Method::GET, "/api/audit-log", ALICE, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let mine = s
        .send(
            Method::GET,
            &format!(
                "/api/audit-log?username={}&resource_type=mapping",
                ALICE.to_uppercase()
            ),
            Some(CAROL),
            None,
        )
        .await;
    let entries = mine.body["data"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["mapping.delete", "mapping.create"],
        "newest first: {}",
        mine.body
    );
    assert_eq!(entries[0]["resource_id"], m.to_string());
    assert_eq!(entries[0]["username"], ALICE);
    for key in [
        "id",
        "created_at",
        "username",
        "action",
        "resource_type",
        "resource_id",
        "details",
        "request_id",
    ] {
        assert!(entries[0].get(key).is_some(), "{key}");
    }
    assert!(
        entries[0]["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );

    let config = s
        .data(Method::GET, "/api/audit-log?action=config.", CAROL, None)
        .await;
    let ids: Vec<&str> = config
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["export", "concurrency"]);
    assert_eq!(config[1]["details"]["new"]["per_analyst"], 7);
    let one = s
        .data(
            Method::GET,
            "/api/audit-log?resource_type=config&resource_id=concurrency",
            CAROL,
            None,
        )
        .await;
    assert_eq!(one.as_array().unwrap().len(), 1);
    // `_` in an action is literal, not a wildcard.
    let none = s
        .data(Method::GET, "/api/audit-log?action=mapping_", CAROL, None)
        .await;
    assert_eq!(none, json!([]));

    // Time bounds are inclusive; dates mean midnight UTC.
    let window = format!(
        "created_after={}&created_before={}",
        graph_olap_api::time::format_ts(&(t0 + chrono::Duration::minutes(5))),
        graph_olap_api::time::format_ts(&(t0 + chrono::Duration::minutes(5)))
    );
    let middle = s
        .data(
            Method::GET,
            &format!("/api/audit-log?{}", window.replace('+', "%2B")),
            CAROL,
            None,
        )
        .await;
    assert_eq!(middle.as_array().unwrap().len(), 2, "{middle}");
    let later = s
        .data(
            Method::GET,
            &format!(
                "/api/audit-log?created_after={}",
                graph_olap_api::time::format_ts(&(t0 + chrono::Duration::minutes(6)))
            ),
            CAROL,
            None,
        )
        .await;
    assert_eq!(
        later
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["mapping.delete"]
    );

    let page = s
        .send(
            Method::GET,
            "/api/audit-log?limit=1&offset=1&resource_type=config",
            Some(CAROL),
            None,
        )
        .await;
    assert_eq!(page.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(page.body["data"][0]["resource_id"], "concurrency");
    assert_eq!(page.body["meta"]["total"], 2);

    let before = s.fingerprint().await;
    for (query, field, reason) in [
        ("limit=0", "query.limit", "out_of_range"),
        ("limit=101", "query.limit", "out_of_range"),
        ("offset=x", "query.offset", "type"),
        (
            "created_after=yesterday",
            "query.created_after",
            "invalid_timestamp",
        ),
        (
            "created_before=2025-13-01",
            "query.created_before",
            "invalid_timestamp",
        ),
        ("username=", "query.username", "too_short"),
    ] {
        let (status, e) = s
            .call(Method::GET, &format!("/api/audit-log?{query}"), CAROL, None)
            .await;
        assert_invalid(status, &e, field, reason);
    }
    assert_eq!(s.fingerprint().await, before);
}
