//! Shared fixtures of the export tests over the common harness (`common`): a control plane over
//! a suite's own warehouse, mappings, snapshot polling, and export workers.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use crate::common::{ALICE, Env, KEY, Server};
use graph_olap_control_plane::Settings;
use graph_olap_warehouse::Warehouse;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A running control plane.
pub type Plane = Server;

/// Starts a control plane over `warehouse`, with `adjust` applied to the development settings.
pub async fn start(warehouse: Arc<dyn Warehouse>, adjust: impl FnOnce(&mut Settings)) -> Plane {
    Env::over(warehouse).await.replica_with(adjust, None).await
}

impl Server {
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
