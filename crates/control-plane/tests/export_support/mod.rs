//! Shared fixtures of the export tests: a real control plane on a loopback socket (SQLite
//! metadata in a temporary directory, a manual clock), HTTP helpers, and polling.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use graph_olap_control_plane::{AppState, Settings};
use graph_olap_store::ManualClock;
use graph_olap_warehouse::Warehouse;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// The seeded analyst.
pub const ALICE: &str = "analyst_alice@e2e.local";
/// The seeded ops user.
pub const OPS: &str = "ops_dave@e2e.local";
/// The internal service key of the test control planes.
pub const KEY: &str = "internal-key-for-export-tests-0123456789";

/// A running control plane.
pub struct Plane {
    /// Base URL, e.g. `http://127.0.0.1:4321`.
    pub url: String,
    /// HTTP client.
    pub client: Client,
    /// Temporary directory holding the metadata DB and the snapshots.
    pub dir: tempfile::TempDir,
    /// Shared state (for in-process passes such as reconciliation).
    pub state: AppState,
    /// The control plane's clock.
    pub clock: Arc<ManualClock>,
}

/// Starts a control plane over `warehouse`, with `adjust` applied to the development settings.
pub async fn start(warehouse: Arc<dyn Warehouse>, adjust: impl FnOnce(&mut Settings)) -> Plane {
    let dir = tempfile::tempdir().unwrap();
    let store = graph_olap_store::Store::connect(&format!(
        "sqlite://{}",
        dir.path().join("meta.db").display()
    ))
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let storage_root = format!("file://{}", dir.path().join("snapshots").display());
    let mut settings = Settings::development(url.clone(), storage_root, KEY.into());
    adjust(&mut settings);
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let state = graph_olap_control_plane::start(store, warehouse, settings, clock.clone())
        .await
        .unwrap();
    let app = graph_olap_control_plane::app(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Plane {
        url,
        client: Client::new(),
        dir,
        state,
        clock,
    }
}

impl Plane {
    /// A public call as `user` (development identity).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        user: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.url))
            .header("X-Username", user);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// An internal-API call.
    pub async fn internal(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.url))
            .header("X-Internal-Api-Key", KEY);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap())
    }

    /// Creates a mapping owned by Alice; returns its id.
    pub async fn mapping(&self, name: &str, nodes: Value, edges: Value) -> i64 {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/mappings",
                ALICE,
                Some(json!({"name": name, "node_definitions": nodes, "edge_definitions": edges})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"]["id"].as_i64().unwrap()
    }

    /// `POST /api/instances/from-mapping`.
    pub async fn create_from_mapping(&self, mapping_id: i64, name: &str) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/api/instances/from-mapping",
            ALICE,
            Some(json!({"mapping_id": mapping_id, "name": name})),
        )
        .await
    }

    /// The snapshot record.
    pub async fn snapshot(&self, id: i64) -> Value {
        let (status, body) = self
            .call(Method::GET, &format!("/api/snapshots/{id}"), ALICE, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].clone()
    }

    /// The snapshot's progress view.
    pub async fn progress(&self, id: i64) -> Value {
        let (status, body) = self
            .call(
                Method::GET,
                &format!("/api/snapshots/{id}/progress"),
                ALICE,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].clone()
    }

    /// Polls the snapshot until `done` holds (at most `seconds`), returning the last record.
    pub async fn wait_snapshot(
        &self,
        id: i64,
        seconds: u64,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
        loop {
            let snapshot = self.snapshot(id).await;
            if done(&snapshot) || std::time::Instant::now() > deadline {
                return snapshot;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A worker configuration for this control plane over `warehouse` (short polls).
    pub fn worker_config(
        &self,
        warehouse: Arc<dyn Warehouse>,
        id: &str,
    ) -> graph_olap_export::WorkerConfig {
        let mut config = graph_olap_export::WorkerConfig::new(self.url.clone(), KEY, warehouse);
        config.worker_id = id.into();
        config.wait_seconds = 1;
        config.idle_backoff = Duration::from_millis(100);
        config.heartbeat_interval = Some(Duration::from_millis(200));
        config.shutdown_grace = Duration::from_secs(2);
        config
    }

    /// Runs an in-process worker until the snapshot leaves `pending`/`creating` (or 60 s pass);
    /// returns the snapshot.
    pub async fn export_with_worker(
        &self,
        warehouse: Arc<dyn Warehouse>,
        snapshot_id: i64,
    ) -> Value {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let worker = tokio::spawn(graph_olap_export::run(
            self.worker_config(warehouse, "in-process"),
            async move {
                let _ = stop_rx.await;
            },
        ));
        let snapshot = self
            .wait_snapshot(snapshot_id, 60, |s| {
                !matches!(s["status"].as_str(), Some("pending" | "creating"))
            })
            .await;
        let _ = stop_tx.send(());
        worker.await.unwrap();
        snapshot
    }
}

/// Writes a CSV table `catalog/schema/table.csv` under `root`.
pub fn csv(root: &std::path::Path, table: &str, text: &str) {
    let path = root.join(format!("{}.csv", table.replace('.', "/")));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}
