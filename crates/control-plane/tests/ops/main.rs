//! Black-box tests of the operations surface over real sockets — `/metrics` (API.md §5.2),
//! `/api/cluster/*` (§7.2), `/api/ops/*` (§7.3), bulk delete (§7.4) and `/api/audit-log`
//! (docs/ops.md) — each run against SQLite and against PostgreSQL (a private schema on
//! `GRAPH_OLAP_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`; the
//! PostgreSQL runs fail, never skip, when that server is absent). Time moves only on a manual
//! clock. Two replicas on one PostgreSQL share the trigger window and run a job once between them.
//!
//! One module per concern: `metrics` (`/metrics`), `cluster` (`/api/cluster/health`), `jobs`
//! (background jobs and their triggers), `export_jobs` (the ops view of the export queue),
//! `bulk_delete` and `audit_log`; the harness is `common`, the helpers shared by these modules
//! are here.

#[path = "../common/mod.rs"]
mod common;

mod audit_log;
mod bulk_delete;
mod cluster;
mod export_jobs;
mod jobs;
mod metrics;

use std::time::{Duration, Instant};

use common::{DAVE, Server, reasons};
use graph_olap_control_plane::jobs as cp_jobs;
use graph_olap_store::audit;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const JOB_NAMES: [&str; 5] = [
    "reconciliation",
    "lifecycle",
    "export_reconciliation",
    "schema_cache",
    "instance_orchestration",
];

impl Server {
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
        let jobs: Vec<Value> = cp_jobs::status(&self.state)
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
